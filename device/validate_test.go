package device

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestAllocTooLarge: sizes no host can hold are ErrOutOfMemory, not a panic or a fatal
// runtime error; negative sizes and unknown dtypes are ErrBuffer.
func TestAllocTooLarge(t *testing.T) {
	for _, d := range []Device{CPU0(), CPURef()} {
		for _, tc := range []struct {
			dt   DType
			n    int
			want error
		}{
			{F32, math.MaxInt, ErrOutOfMemory},
			{F64, 1 << 60, ErrOutOfMemory},
			{I32, math.MaxInt/4 + 1, ErrOutOfMemory}, // n·4 overflows
			{F32, 1 << 44, ErrOutOfMemory},           // 64 TiB: beyond maxHostAlloc
			{F64, -1, ErrBuffer},
			{F32, math.MinInt, ErrBuffer},
			{DType(0), 1, ErrBuffer},
			{DType(9), 1, ErrBuffer},
		} {
			b, err := d.Alloc(tc.dt, tc.n)
			if !errors.Is(err, tc.want) || b != nil {
				t.Errorf("%s: Alloc(%v, %d) = %v, %v; want %v", d.Info().Name, tc.dt, tc.n, b, err, tc.want)
			}
		}
	}
	// Over the host's available memory (but under maxHostAlloc): refused before make.
	if avail := hostAvailable(); avail > 0 && avail < maxHostAlloc/2 {
		n := int(avail/8) * 2
		if _, err := CPU0().Alloc(F64, n); !errors.Is(err, ErrOutOfMemory) || !strings.Contains(err.Error(), "available memory") {
			t.Errorf("Alloc of twice the available memory (%d float64): %v, want ErrOutOfMemory naming it", n, err)
		}
	}
	b, err := CPU0().Alloc(F32, 0)
	if err != nil || b.Len() != 0 {
		t.Errorf("Alloc(F32, 0) = %v, %v", b, err)
	}
}

// TestBufferBounds: offsets and lengths near the ends of int, where off+n overflows, are
// ErrBuffer for Write, Read and Slice; nil and typed-nil buffers too.
func TestBufferBounds(t *testing.T) {
	d := CPU0()
	b, err := d.Alloc(F32, 8)
	if err != nil {
		t.Fatal(err)
	}
	one := []float32{1}
	for _, off := range []int{-1, math.MinInt, math.MaxInt, math.MaxInt - 1, 8, 9} {
		if err := d.Write(b, off, one); !errors.Is(err, ErrBuffer) {
			t.Errorf("Write at %d: %v, want ErrBuffer", off, err)
		}
		if err := d.Read(one, b, off); !errors.Is(err, ErrBuffer) {
			t.Errorf("Read at %d: %v, want ErrBuffer", off, err)
		}
	}
	for _, s := range [][2]int{
		{1, math.MaxInt}, {math.MaxInt, 1}, {math.MaxInt, math.MaxInt}, {-1, 1}, {0, -1},
		{math.MinInt, 0}, {0, math.MinInt}, {4, 5}, {9, 0},
	} {
		if v, err := d.Slice(b, s[0], s[1]); !errors.Is(err, ErrBuffer) || v != nil {
			t.Errorf("Slice(%d, %d) = %v, %v; want ErrBuffer", s[0], s[1], v, err)
		}
	}
	// The edges that are valid.
	if err := d.Write(b, 8, []float32{}); err != nil {
		t.Errorf("empty Write at the end: %v", err)
	}
	if v, err := d.Slice(b, 8, 0); err != nil || v.Len() != 0 {
		t.Errorf("empty Slice at the end: %v, %v", v, err)
	}
	if err := d.Write(b, 7, one); err != nil {
		t.Errorf("Write of the last element: %v", err)
	}
	var typedNil *hostBuffer
	for _, bad := range []Buffer{nil, typedNil} {
		if err := d.Write(bad, 0, one); !errors.Is(err, ErrBuffer) {
			t.Errorf("Write to %#v: %v, want ErrBuffer", bad, err)
		}
		if err := d.Read(one, bad, 0); !errors.Is(err, ErrBuffer) {
			t.Errorf("Read from %#v: %v, want ErrBuffer", bad, err)
		}
		if _, err := d.Slice(bad, 0, 0); !errors.Is(err, ErrBuffer) {
			t.Errorf("Slice of %#v: %v, want ErrBuffer", bad, err)
		}
		if err := d.Copy(bad, b); !errors.Is(err, ErrBuffer) {
			t.Errorf("Copy to %#v: %v, want ErrBuffer", bad, err)
		}
		if _, err := d.Find(&Check{Kind: CheckFinite, Buf: bad}); !errors.Is(err, ErrBuffer) {
			t.Errorf("Find in %#v: %v, want ErrBuffer", bad, err)
		}
	}
	if typedNil.Len() != 0 || typedNil.DType() != 0 || HostSlice(typedNil) != nil {
		t.Error("a typed nil cpu buffer is not empty")
	}
	// Copy between overlapping views is refused; a view onto itself is a no-op.
	v0, _ := d.Slice(b, 0, 4)
	v1, _ := d.Slice(b, 2, 4)
	if err := d.Copy(v1, v0); !errors.Is(err, ErrBuffer) {
		t.Errorf("Copy between overlapping views: %v, want ErrBuffer", err)
	}
	if err := d.Copy(v0, v0); err != nil {
		t.Errorf("Copy of a view onto itself: %v", err)
	}
}

// TestFindBounds: Check.N outside [0, Len], a nil check, unknown kinds and kinds that do not
// fit the buffer's dtype are ErrBuffer.
func TestFindBounds(t *testing.T) {
	d := CPU0()
	f := Wrap([]float32{1, 2, math.Float32frombits(0x7fc00000)})
	l := Wrap([]int32{0, 1, 7})
	for _, tc := range []struct {
		what string
		c    *Check
	}{
		{"nil check", nil},
		{"N = -1", &Check{Kind: CheckFinite, Buf: f, N: -1}},
		{"N = MinInt", &Check{Kind: CheckFinite, Buf: f, N: math.MinInt}},
		{"N past the end", &Check{Kind: CheckFinite, Buf: f, N: 4}},
		{"N = MaxInt", &Check{Kind: CheckLabels, Buf: l, N: math.MaxInt}},
		{"kind 0", &Check{Buf: f, N: 1}},
		{"kind 99", &Check{Kind: 99, Buf: f, N: 1}},
		{"labels of floats", &Check{Kind: CheckLabels, Buf: f, N: 1}},
		{"range of labels", &Check{Kind: CheckRange, Buf: l, N: 1}},
	} {
		if i, err := d.Find(tc.c); !errors.Is(err, ErrBuffer) {
			t.Errorf("%s: Find = %d, %v; want ErrBuffer", tc.what, i, err)
		}
	}
	if i, err := d.Find(&Check{Kind: CheckFinite, Buf: f, N: 3}); err != nil || i != 2 {
		t.Errorf("Find NaN = %d, %v; want 2", i, err)
	}
	if i, err := d.Find(&Check{Kind: CheckFinite, Buf: f, N: 2}); err != nil || i != -1 {
		t.Errorf("Find in the first 2 = %d, %v; want -1", i, err)
	}
	if i, err := d.Find(&Check{Kind: CheckLabels, Buf: l, N: 3, Hi: 3}); err != nil || i != 2 {
		t.Errorf("Find label 7 of 3 classes = %d, %v; want 2", i, err)
	}
}

func TestOpenEmptySelector(t *testing.T) {
	for _, name := range []string{"cpu:", "cpuref:", "cuda:", "opencl:"} {
		if d, err := Open(name); !errors.Is(err, ErrUnknown) || d != nil {
			t.Errorf("Open(%q) = %v, %v; want ErrUnknown", name, d, err)
		}
	}
	for _, name := range []string{"cpu:x", "cpu:0:0", "cpu::"} {
		if _, err := Open(name); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
	}
}

func TestMulInt(t *testing.T) {
	for _, tc := range []struct {
		a, b, want int
		ok         bool
	}{
		{3, 4, 12, true}, {0, math.MaxInt, 0, true}, {math.MaxInt, 1, math.MaxInt, true},
		{1<<62 + 2, 4, 0, false}, {1 << 32, 1 << 32, 0, false}, {-1, 2, 0, false}, {2, -1, 0, false},
		{math.MaxInt/2 + 1, 2, 0, false},
	} {
		if got, ok := MulInt(tc.a, tc.b); got != tc.want || ok != tc.ok {
			t.Errorf("MulInt(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

// validCall returns a valid call of the kernel on fresh buffers: N = 3 rows of C = 4, every
// input the kernel reads, labels in range, and a gradient where the kernel has one.
func validCall(kernel string) *Call {
	r := kernelRules[kernel]
	n, c := 3, 4
	buf := func(k int, v float64) Buffer {
		s := make([]float64, k)
		for i := range s {
			s[i] = v + 0.125*float64(i%3)
		}
		return Wrap(s)
	}
	call := &Call{Kernel: kernel, Family: r.family, DType: F64, N: n, C: c, X: buf(n*c, 0.25), Scale: 1}
	if strings.Contains(r.reads, "Y") {
		call.Y = buf(n*c, 0.5)
	}
	if strings.Contains(r.reads, "Z") {
		call.Z = buf(n*c, 1)
	}
	if r.labels != noLabels {
		call.Labels = Wrap([]int32{0, 1, 3})
		call.Denom = DenomLabel
		if r.labels == labelsCorn {
			call.Denom = DenomCorn
		}
	}
	switch kernel {
	case "macro_f1":
		call.Bins = c
	case "calibration":
		call.P[0], call.P[1], call.Bins = 15, 1, 15
	}
	if r.family != Metric {
		call.GX = buf(n*c, 0)
		call.ScaleByDenom = true
	}
	return call
}

// TestValidateCatalog: every kernel's valid call passes Validate and runs on both cpu devices.
func TestValidateCatalog(t *testing.T) {
	for k := range kernelRules {
		c := validCall(k)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: valid call refused: %v", k, err)
			continue
		}
		for _, d := range []Device{CPU0(), CPURef()} {
			if _, err := d.Run(c); err != nil {
				t.Errorf("%s on %s: %v", k, d.Info().Name, err)
			}
		}
	}
}

// TestValidateRefuses: hand-built calls that would index out of range, allocate without
// bound or alias their outputs are refused by Validate and by the cpu devices' Run with the
// sentinel, never a panic.
func TestValidateRefuses(t *testing.T) {
	shared := make([]float64, 24)
	view := func(off, n int) Buffer { return Wrap(shared[off : off+n]) }
	for _, tc := range []struct {
		kernel string
		what   string
		edit   func(c *Call)
		want   error
		// run: Run must refuse it too (false where Validate passes and the cpu's label
		// check refuses, or the reverse).
		labelsOnly bool
	}{
		{"mse", "unknown kernel", func(c *Call) { c.Kernel = "nope" }, ErrUnsupported, false},
		{"mse", "empty kernel", func(c *Call) { c.Kernel = "" }, ErrUnsupported, false},
		{"mse", "wrong family", func(c *Call) { c.Family = Rowwise }, ErrUnsupported, false},
		{"mse", "family 0", func(c *Call) { c.Family = 0 }, ErrUnsupported, false},
		{"mse", "dtype 0", func(c *Call) { c.DType = 0 }, ErrBuffer, false},
		{"mse", "dtype int32", func(c *Call) { c.DType = I32 }, ErrBuffer, false},
		{"mse", "X float32", func(c *Call) { c.X = Wrap(make([]float32, 12)) }, ErrBuffer, false},
		{"mse", "negative N", func(c *Call) { c.N = -3 }, ErrBuffer, false},
		{"mse", "negative C", func(c *Call) { c.C = -4 }, ErrBuffer, false},
		{"mse", "N·C overflows to 8", func(c *Call) { c.N, c.C = 1<<62+2, 4; c.X, c.Y, c.GX = view(0, 8), view(8, 8), view(16, 8) }, ErrBuffer, false},
		{"mse", "N = C = 2^32, empty", func(c *Call) {
			c.N, c.C = 1<<32, 1<<32
			c.X, c.Y, c.GX = Wrap([]float64{}), Wrap([]float64{}), nil
		}, ErrBuffer, false},
		{"cross_entropy", "rows of no columns", func(c *Call) {
			c.C = 0
			c.X, c.GX = Wrap([]float64{}), Wrap([]float64{})
		}, ErrBuffer, false},
		{"mse", "no X", func(c *Call) { c.X = nil }, ErrBuffer, false},
		{"mse", "short X", func(c *Call) { c.N = 4 }, ErrBuffer, false},
		{"mse", "no Y", func(c *Call) { c.Y = nil }, ErrBuffer, false},
		{"gaussian_nll", "no Z", func(c *Call) { c.Z = nil }, ErrBuffer, false},
		{"triplet", "no Z", func(c *Call) { c.Z = nil }, ErrBuffer, false},
		{"cross_entropy", "no labels", func(c *Call) { c.Labels = nil }, ErrBuffer, false},
		{"cross_entropy", "float labels", func(c *Call) { c.Labels = Wrap([]float64{0, 1, 2}) }, ErrBuffer, false},
		{"cross_entropy", "short labels", func(c *Call) { c.Labels = Wrap([]int32{0, 1}) }, ErrBuffer, false},
		{"mse", "weights of 5", func(c *Call) { c.Weight = Wrap(make([]float64, 5)) }, ErrBuffer, false},
		{"cross_entropy", "weights per element", func(c *Call) { c.Weight = Wrap(make([]float64, 12)) }, ErrBuffer, false},
		{"cross_entropy", "class weights of 3", func(c *Call) { c.ClassWeight = Wrap(make([]float64, 3)) }, ErrBuffer, false},
		{"cross_entropy", "per-sample per element", func(c *Call) { c.PerSample = Wrap(make([]float64, 12)) }, ErrBuffer, false},
		{"mse", "gradient of Y", func(c *Call) { c.GY = Wrap(make([]float64, 12)) }, ErrUnsupported, false},
		{"cross_entropy", "Hessian of a row loss", func(c *Call) { c.Hess = Wrap(make([]float64, 12)) }, ErrUnsupported, false},
		{"accuracy", "per-sample of a metric", func(c *Call) { c.PerSample = Wrap(make([]float64, 3)) }, ErrUnsupported, false},
		{"accuracy", "gradient of a metric", func(c *Call) { c.GX = Wrap(make([]float64, 12)) }, ErrUnsupported, false},
		{"mse", "label denominator", func(c *Call) { c.Denom = DenomLabel }, ErrBuffer, false},
		{"cross_entropy", "corn denominator", func(c *Call) { c.Denom = DenomCorn }, ErrBuffer, false},
		{"mse", "bins", func(c *Call) { c.Bins = 2 }, ErrBuffer, false},
		{"macro_f1", "bins below C", func(c *Call) { c.Bins = 2 }, ErrBuffer, false},
		{"macro_f1", "2^40 classes, no rows", func(c *Call) {
			c.N, c.C, c.Bins = 0, 1<<40, 1<<40
			c.X, c.Labels = Wrap([]float64{}), Wrap([]int32{})
		}, ErrOutOfMemory, false},
		{"calibration", "0 bins", func(c *Call) { c.P[0], c.Bins = 0, 0 }, ErrBuffer, false},
		{"calibration", "1e18 bins", func(c *Call) { c.P[0], c.Bins = 1e18, 0 }, ErrBuffer, false},
		{"calibration", "NaN bins", func(c *Call) { c.P[0] = math.NaN() }, ErrBuffer, false},
		{"calibration", "bins not P[0]", func(c *Call) { c.Bins = 10 }, ErrBuffer, false},
		{"mse", "GX overlaps Y", func(c *Call) { c.Y, c.GX = view(0, 12), view(6, 12) }, ErrBuffer, false},
		{"mse", "GX overlaps X off by one", func(c *Call) { c.X, c.GX = view(0, 12), view(1, 12) }, ErrBuffer, false},
		{"mse", "PerSample is X", func(c *Call) { c.PerSample = c.X }, ErrBuffer, false},
		{"mse", "Hess is GX", func(c *Call) { c.Hess = c.GX }, ErrBuffer, false},
		{"mse", "GX over the weights", func(c *Call) { c.Weight, c.GX = view(0, 12), view(0, 12) }, ErrBuffer, false},
		{"cross_entropy", "label 4 of 4 classes", func(c *Call) { c.Labels = Wrap([]int32{0, 4, 1}) }, ErrBuffer, true},
		{"cross_entropy", "label -1", func(c *Call) { c.Labels = Wrap([]int32{-1, 0, 1}) }, ErrBuffer, true},
		{"cross_entropy", "label MinInt32", func(c *Call) { c.Labels = Wrap([]int32{math.MinInt32, 0, 1}) }, ErrBuffer, true},
		{"multi_margin", "ignore index not honoured", func(c *Call) { c.Ignore = -100; c.Labels = Wrap([]int32{-100, 0, 1}) }, ErrBuffer, true},
		{"corn", "label C+1", func(c *Call) { c.Labels = Wrap([]int32{0, 5, 1}) }, ErrBuffer, true},
		{"accuracy", "label 2 of one column", func(c *Call) {
			c.C, c.X, c.Labels = 1, Wrap([]float64{0.1, 0.9, 0.3}), Wrap([]int32{0, 2, 1})
		}, ErrBuffer, true},
	} {
		c := validCall(tc.kernel)
		tc.edit(c)
		err := c.Validate()
		if tc.labelsOnly {
			if err != nil {
				t.Errorf("%s, %s: Validate (which reads no labels) = %v", tc.kernel, tc.what, err)
			}
		} else if !errors.Is(err, tc.want) {
			t.Errorf("%s, %s: Validate = %v, want %v", tc.kernel, tc.what, err, tc.want)
		}
		for _, d := range []Device{CPU0(), CPURef()} {
			if s, err := d.Run(c); err == nil {
				t.Errorf("%s, %s: %s ran it: %v", tc.kernel, tc.what, d.Info().Name, s)
			} else if !errors.Is(err, tc.want) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s, %s: %s: %v, want %v", tc.kernel, tc.what, d.Info().Name, err, tc.want)
			}
		}
	}
	// Valid aliasing: GX is X (in place), also as a second Wrap of the same slice; an ignored
	// label; the labels of C = 1 accuracy are 0 and 1.
	for _, edit := range []func(c *Call){
		func(c *Call) { c.GX = c.X },
		func(c *Call) { c.X, c.GX = view(0, 12), view(0, 12) },
	} {
		c := validCall("mse")
		edit(c)
		if _, err := CPU0().Run(c); err != nil {
			t.Errorf("in-place mse: %v", err)
		}
	}
	c := validCall("cross_entropy")
	c.Ignore, c.Labels = -100, Wrap([]int32{-100, 0, 3})
	if _, err := CPU0().Run(c); err != nil {
		t.Errorf("cross_entropy with an ignored row: %v", err)
	}
}

func TestOverlap(t *testing.T) {
	s := make([]float32, 10)
	a, b, c := Wrap(s[0:5]), Wrap(s[4:8]), Wrap(s[5:10])
	if !Overlap(a, b) || !Overlap(b, a) || Overlap(a, c) || !Overlap(b, c) {
		t.Error("overlap of slices [0,5), [4,8), [5,10) wrong")
	}
	if Overlap(a, Wrap(s[2:2])) || Overlap(nil, a) || Overlap(a, nil) {
		t.Error("an empty or nil buffer overlaps")
	}
	if !Same(a, Wrap(s[0:5])) || Same(a, Wrap(s[0:4])) || Same(a, nil) || !Same(nil, nil) {
		t.Error("Same wrong")
	}
	// The same bytes as another dtype: float32 [0, 2) and int32 [0, 2) overlap but are not the same.
	f := make([]float32, 4)
	if Overlap(Wrap(f), Wrap(make([]float32, 4))) {
		t.Error("two allocations overlap")
	}
	// A foreign buffer type is compared by identity.
	var x, y Buffer = foreign{3}, foreign{3}
	if !Overlap(x, x) || Overlap(x, y) == (x != y) && x != y {
		t.Error("foreign buffers")
	}
}

type foreign struct{ n int }

func (f foreign) DType() DType { return F32 }
func (f foreign) Len() int     { return f.n }

// TestNilCallAndCheck: nil calls and checks are errors (or false), never a panic.
func TestNilCallAndCheck(t *testing.T) {
	var c *Call
	if err := c.Validate(); !errors.Is(err, ErrBuffer) {
		t.Errorf("nil Call: Validate = %v, want ErrBuffer", err)
	}
	if c.WantGrad() || c.Elems() != 0 {
		t.Error("nil Call wants a gradient or has elements")
	}
	for _, d := range []Device{CPU0(), CPURef()} {
		if _, err := d.Run(nil); !errors.Is(err, ErrBuffer) {
			t.Errorf("%s: Run(nil) = %v, want ErrBuffer", d.Info().Name, err)
		}
	}
	if (&Call{N: 1 << 40, C: 1 << 40}).Elems() != -1 || (&Call{N: -1, C: 2}).Elems() != -1 {
		t.Error("Elems of an overflowing or negative shape is not -1")
	}
	var k *Check
	if k.Valid(0) || k.ValidLabel(0) {
		t.Error("a nil Check passes values")
	}
}

// TestHostSumsBound: a metric whose per-chunk sums exceed the host's memory is refused before
// the cpu's Par allocates them (the buffers are not read by the check).
func TestHostSumsBound(t *testing.T) {
	big := &Call{Kernel: "calibration", N: 1 << 30, C: 1 << 16}
	big.P[0] = MaxCalibrationBins
	if err := checkHostSums(big); !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("calibration of 2^30 rows in 10^6 bins: %v, want ErrOutOfMemory", err)
	}
	if err := checkHostSums(&Call{Kernel: "macro_f1", N: math.MaxInt / 2, C: 1 << 20}); !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("macro_f1 of MaxInt/2 rows of 2^20 classes: %v, want ErrOutOfMemory", err)
	}
	small := &Call{Kernel: "calibration", N: 1000, C: 10}
	small.P[0] = 15
	if err := checkHostSums(small); err != nil {
		t.Errorf("calibration of 1000 rows in 15 bins: %v", err)
	}
}
