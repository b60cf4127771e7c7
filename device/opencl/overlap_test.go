package opencl

import (
	"math"
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestOverlap checks device.Overlap and device.Same on buffers and views (sub-buffers) of one
// device, without a driver: views overlap when their byte ranges in one allocation meet.
func TestOverlap(t *testing.T) {
	d, e := &Device{}, &Device{}
	root := &buffer{dev: d, dt: device.F32, n: 256}
	other := &buffer{dev: d, dt: device.F32, n: 256}
	view := func(of *buffer, off, n int) *buffer { return &buffer{dev: d, dt: of.dt, n: n, root: of, off: off} }
	a, b, c := view(root, 0, 64), view(root, 32, 64), view(root, 64, 64)
	a2 := view(root, 0, 64)
	whole := view(root, 0, 256)
	for _, x := range []struct {
		name       string
		p, q       device.Buffer
		over, same bool
	}{
		{"a view and its allocation", a, root, true, false},
		{"overlapping views", a, b, true, false},
		{"adjacent views", a, c, false, false},
		{"two views of the same range", a, a2, true, true},
		{"a view of all of it", whole, root, true, true},
		{"different allocations", root, other, false, false},
		{"an empty view", view(root, 10, 0), root, false, false},
		{"another device's buffer", root, &buffer{dev: e, dt: device.F32, n: 256}, false, false},
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
		{0, 10, 10, true}, {10, 0, 10, true}, {3, 7, 10, true}, {3, 8, 10, false}, {11, 0, 10, false},
		{-1, 1, 10, false}, {1, -1, 10, false}, {math.MaxInt, 1, 10, false}, {1, math.MaxInt, 10, false},
		{math.MaxInt, math.MaxInt, math.MaxInt, false}, {math.MaxInt - 1, 1, math.MaxInt, true},
	} {
		if got := inBounds(x.off, x.n, x.size); got != x.ok {
			t.Errorf("inBounds(%d, %d, %d) = %v, want %v", x.off, x.n, x.size, got, x.ok)
		}
	}
}
