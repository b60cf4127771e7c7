package loss

// The backends register themselves with package device. Both are in every build: they find
// their drivers at run time and say why when there is none.
import (
	_ "github.com/gloss-ml/gloss/device/cuda"
	_ "github.com/gloss-ml/gloss/device/opencl"
)
