package opencl_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// upload allocates a buffer on d holding v and frees it at the end of the test.
func upload[T float32 | float64 | int32](t *testing.T, d device.Device, v []T) device.Buffer {
	t.Helper()
	var dt device.DType
	switch any(v).(type) {
	case []float32:
		dt = device.F32
	case []float64:
		dt = device.F64
	default:
		dt = device.I32
	}
	b, err := d.Alloc(dt, len(v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Free(b) })
	if err := d.Write(b, 0, v); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFind compares every check kind on the device with the cpu device's Find (the
// definition: device.Check.Valid and ValidLabel) on arrays with bad values planted at random
// places, including several work-groups' worth of elements.
func TestFind(t *testing.T) {
	d := openDev(t)
	r := rand.New(rand.NewPCG(1, 2))
	inf := math.Inf(1)
	checks := []device.Check{
		{Kind: device.CheckRange, Lo: 0, Hi: 1},
		{Kind: device.CheckRange, Lo: 0, Hi: math.MaxFloat64}, // weights: +Inf fails
		{Kind: device.CheckRange, Lo: 0, Hi: inf},             // +Inf passes
		{Kind: device.CheckRange, Lo: -inf, Hi: 0.3},          // 0.3 is not a float32
		{Kind: device.CheckFinite},
		{Kind: device.CheckSign},
		{Kind: device.CheckBinary},
	}
	// Values that sit on or just past the bounds above.
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.3, float64(float32(0.3)), math.Nextafter(1, 2),
		float64(math.Nextafter32(1, 2)), -1e-30, math.MaxFloat32, inf, -inf, math.NaN(), 2, 1e30}
	for _, n := range []int{1, 7, 100, 70001} {
		for trial := range 4 {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = float64(r.IntN(2)) // valid for binary, range [0,1], finite, ...
			}
			// Plant up to three specials; trial 0 plants none.
			for range trial {
				vals[r.IntN(n)] = special[r.IntN(len(special))]
			}
			for ci, ck := range checks {
				for _, dt := range []device.DType{device.F32, device.F64} {
					if dt == device.F64 && !d.Info().FP64 {
						continue
					}
					var buf, host device.Buffer
					if dt == device.F32 {
						v := make([]float32, n)
						for i, x := range vals {
							v[i] = float32(x)
						}
						buf, host = upload(t, d, v), device.Wrap(v)
					} else {
						buf, host = upload(t, d, vals), device.Wrap(vals)
					}
					for _, m := range []int{n, n / 2} {
						c := ck
						c.Buf, c.N = host, m
						want, _ := device.CPU0().Find(&c)
						c.Buf = buf
						got, err := d.Find(&c)
						if err != nil || got != want {
							t.Errorf("check %d (%+v) of %d %v (n %d, trial %d): got %d (%v), want %d", ci, ck, m, dt, n, trial, got, err, want)
						}
					}
				}
			}
			// Labels: in [0, 5) or the ignore index −100.
			labels := make([]int32, n)
			for i := range labels {
				labels[i] = int32(r.IntN(5))
			}
			for range trial {
				labels[r.IntN(n)] = []int32{-100, 5, -1, math.MaxInt32, math.MinInt32}[r.IntN(5)]
			}
			lc := device.Check{Kind: device.CheckLabels, Lo: 0, Hi: 5, Ignore: -100, N: n, Buf: device.Wrap(labels)}
			want, _ := device.CPU0().Find(&lc)
			lc.Buf = upload(t, d, labels)
			if got, err := d.Find(&lc); err != nil || got != want {
				t.Errorf("label check of %d (trial %d): got %d (%v), want %d", n, trial, got, err, want)
			}
		}
	}
	// A bad value in each of many work-groups: the first one is reported.
	v := make([]float32, 300000)
	for _, i := range []int{299999, 250000, 123457, 5000} {
		v[i] = float32(math.NaN())
	}
	if got, err := d.Find(&device.Check{Kind: device.CheckFinite, Buf: upload(t, d, v), N: len(v)}); err != nil || got != 5000 {
		t.Errorf("first NaN of four = %d (%v), want 5000", got, err)
	}
	b := upload(t, d, []float32{1})
	if _, err := d.Find(&device.Check{Kind: device.CheckFinite, Buf: b, N: 2}); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("check past the end: %v, want ErrBuffer", err)
	}
	if _, err := d.Find(&device.Check{Kind: device.CheckLabels, Buf: b, N: 1}); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("label check of a float buffer: %v, want ErrBuffer", err)
	}
}

// TestRunErrors checks that calls the kernels cannot run correctly are refused with an
// error, before or after the launch, and never give numbers.
func TestRunErrors(t *testing.T) {
	d := openDev(t)
	x := upload(t, d, []float32{1, 2, 3, 4, 5, 6})
	g, err := d.Alloc(device.F32, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(g)
	ce := func(labels []int32) *device.Call {
		return &device.Call{Kernel: "cross_entropy", Family: device.Rowwise, DType: device.F32, N: 2, C: 3,
			X: x, Labels: upload(t, d, labels), Ignore: -100, Denom: device.DenomLabel, Scale: 1, ScaleByDenom: true, GX: g}
	}
	if _, err := d.Run(ce([]int32{0, 2})); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	// Labels outside [0, C): the kernel counts them and Run fails (the Σd pre-pass first).
	for _, labels := range [][]int32{{0, 3}, {-1, 0}} {
		if _, err := d.Run(ce(labels)); !errors.Is(err, device.ErrBuffer) || !strings.Contains(err.Error(), "labels") {
			t.Errorf("labels %v: %v, want ErrBuffer about labels", labels, err)
		}
		c := ce(labels)
		c.ScaleByDenom = false
		if _, err := d.Run(c); !errors.Is(err, device.ErrBuffer) {
			t.Errorf("labels %v without the pre-pass: %v, want ErrBuffer", labels, err)
		}
	}
	bad := []struct {
		what string
		edit func(c *device.Call)
		want error
	}{
		{"no labels", func(c *device.Call) { c.Labels = nil }, device.ErrBuffer},
		{"short X", func(c *device.Call) { c.N = 3 }, device.ErrBuffer},
		{"cpu buffer", func(c *device.Call) { c.X = device.Wrap(make([]float32, 6)) }, device.ErrBuffer},
		{"dtype", func(c *device.Call) { c.DType = device.F64 }, device.ErrBuffer},
		{"Hessian of a row loss", func(c *device.Call) { c.Hess = g }, device.ErrUnsupported},
		{"unknown kernel", func(c *device.Call) { c.Kernel = "nope" }, device.ErrUnsupported},
		{"auc", func(c *device.Call) { c.Kernel, c.Family = "auc", device.Metric }, device.ErrUnsupported},
		{"wrong family", func(c *device.Call) { c.Family = device.Elementwise }, device.ErrUnsupported},
	}
	for _, b := range bad {
		c := ce([]int32{0, 1})
		b.edit(c)
		if c.DType == device.F64 && !d.Info().FP64 {
			continue
		}
		if _, err := d.Run(c); !errors.Is(err, b.want) {
			t.Errorf("%s: %v, want %v", b.what, err, b.want)
		}
	}
	// corn takes labels in [0, C]: C + 1 is refused.
	corn := &device.Call{Kernel: "corn", Family: device.Rowwise, DType: device.F32, N: 2, C: 3, X: x,
		Labels: upload(t, d, []int32{3, 4}), Denom: device.DenomCorn, Scale: 1}
	if _, err := d.Run(corn); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("corn label 4 of C = 3: %v, want ErrBuffer", err)
	}
}
