package cuda

import (
	"math"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
)

// TestOverlap checks device.Overlap and device.Same on buffers and views of one device,
// without a driver: they overlap when their address ranges meet.
func TestOverlap(t *testing.T) {
	d, e := &cudaDevice{}, &cudaDevice{}
	buf := func(p uint64, dt device.DType, n int) *buffer {
		return &buffer{d: d, ptr: cu.DevicePtr(p), dt: dt, n: n}
	}
	root := buf(0x10000, device.F32, 256)
	a, b, c := buf(0x10000, device.F32, 64), buf(0x10000+128, device.F32, 64), buf(0x10000+256, device.F32, 64)
	for _, x := range []struct {
		name       string
		p, q       device.Buffer
		over, same bool
	}{
		{"a view and its allocation", a, root, true, false},
		{"overlapping views", a, b, true, false},
		{"adjacent views", a, c, false, false},
		{"two views of the same range", a, buf(0x10000, device.F32, 64), true, true},
		{"the same bytes as another dtype", buf(0x10000, device.F64, 32), a, true, false},
		{"different allocations", root, buf(0x20000, device.F32, 256), false, false},
		{"an empty view", buf(0x10000+40, device.F32, 0), root, false, false},
		{"another device's buffer", root, &buffer{d: e, ptr: 0x10000, dt: device.F32, n: 256}, false, false},
	} {
		if got := device.Overlap(x.p, x.q); got != x.over {
			t.Errorf("%s: Overlap = %v, want %v", x.name, got, x.over)
		}
		if got := device.Overlap(x.q, x.p); got != x.over {
			t.Errorf("%s (swapped): Overlap = %v, want %v", x.name, got, x.over)
		}
		if got := device.Same(x.p, x.q); got != x.same {
			t.Errorf("%s: Same = %v, want %v", x.name, got, x.same)
		}
	}
}

// TestInBounds checks the bounds test of Write, Read and Slice, whose off+n would overflow.
func TestInBounds(t *testing.T) {
	for _, x := range []struct {
		off, n, size int
		ok           bool
	}{
		{0, 10, 10, true}, {10, 0, 10, true}, {3, 8, 10, false}, {-1, 1, 10, false}, {1, -1, 10, false},
		{math.MaxInt, 1, 10, false}, {1, math.MaxInt, 10, false}, {math.MaxInt - 1, 1, math.MaxInt, true},
	} {
		if got := inBounds(x.off, x.n, x.size); got != x.ok {
			t.Errorf("inBounds(%d, %d, %d) = %v, want %v", x.off, x.n, x.size, got, x.ok)
		}
	}
}
