package opencl_test

import (
	"errors"
	"math"
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestHugeOffsets: offsets and lengths whose sum overflows int are bad buffers, not driver
// calls with a wrapped-around offset.
func TestHugeOffsets(t *testing.T) {
	d := openDev(t)
	b, err := d.Alloc(device.F32, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(b)
	one := []float32{1}
	for what, err := range map[string]error{
		"Write at MaxInt": d.Write(b, math.MaxInt, one),
		"Read at MaxInt":  d.Read(one, b, math.MaxInt),
		"Slice at MaxInt": func() error { _, err := d.Slice(b, math.MaxInt, 1); return err }(),
		"Slice of MaxInt": func() error { _, err := d.Slice(b, 32, math.MaxInt); return err }(),
	} {
		if !errors.Is(err, device.ErrBuffer) {
			t.Errorf("%s = %v, want ErrBuffer", what, err)
		}
	}
}
