package loss

// The backends register themselves with package device; without their build tags they
// register stubs that say how to build them.
import (
	_ "github.com/gloss-ml/gloss/device/cuda"
	_ "github.com/gloss-ml/gloss/device/opencl"
)
