package plan_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/plan"
)

func f64s(n int, v float64) device.Buffer {
	s := make([]float64, n)
	for i := range s {
		s[i] = v + 0.125*float64(i%5)
	}
	return device.Wrap(s)
}

func f32s(n int, v float32) device.Buffer {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return device.Wrap(s)
}

// lossArgs are the positions of LOSS_ARGS (kernels/gloss.h).
const (
	argX = iota
	argY
	argZ
	argLB
	argW
	argCW
	argPS
	argGX
	argGY
	argGZ
	argH
	argPart
	argScalePtr
	argScale
	argN
	argC
	argWrow
	argIgnore
	argAux
	argGeo
	argFlags
	argParams
)

const lossKinds = "pppppppppppppfiiiiiiiffffffff"

func run(t *testing.T, rec *plan.Recorder, c *device.Call) device.Sums {
	t.Helper()
	s, err := plan.Run(rec, c)
	if err != nil {
		t.Fatalf("%s: %v", c.Kernel, err)
	}
	return s
}

// TestElementwise: one launch of the mode's kernel over N·C elements, the loss argument list,
// the parameters with the derived slots formed in float64, and the partial sums added in group
// order on the host.
func TestElementwise(t *testing.T) {
	n := 10
	for _, tc := range []struct {
		name      string
		grad, h   bool
		kernel    string
		wantSlots [8]float64
	}{
		{"fwd", false, false, "tweedie_fwd", [8]float64{1 + 1e-8, -1e-8, 1 - 1e-8}},
		{"grad", true, false, "tweedie_fwd_bwd", [8]float64{1 + 1e-8, -1e-8, 1 - 1e-8}},
		{"hess", true, true, "tweedie_hess", [8]float64{1 + 1e-8, -1e-8, 1 - 1e-8}},
	} {
		c := &device.Call{Kernel: "tweedie", Family: device.Elementwise, DType: device.F32, N: n, C: 1,
			X: f32s(n, 0.5), Y: f32s(n, 2), P: [8]float64{1 + 1e-8, 5, 5}, Scale: 0.5}
		if tc.grad {
			c.GX = f32s(n, 0)
		}
		if tc.h {
			c.Hess = f32s(n, 0)
		}
		// Three groups' partials (value, compensation) of three sums each.
		rec := &plan.Recorder{Acc: func(r plan.Region, k int) []float64 {
			v := make([]float64, k)
			for i := range v {
				v[i] = float64(i + 1)
			}
			return v
		}}
		s := run(t, rec, c)
		if got := rec.Kernels(); !slices.Equal(got, []string{tc.kernel}) {
			t.Fatalf("%s: launches %v", tc.name, got)
		}
		l := rec.Launches[0]
		if l.Launch.Shape != plan.Vectors || l.Launch.N != int64(n) || plan.Kinds(l.Args) != lossKinds {
			t.Errorf("%s: launch %+v kinds %s", tc.name, l.Launch, plan.Kinds(l.Args))
		}
		p := l.Args[argParams].P
		if p[0] != tc.wantSlots[0] || p[1] != 1-p[0] || p[2] != 2-p[0] || float32(p[1]) == 0 {
			t.Errorf("%s: parameter slots %v", tc.name, p)
		}
		if a := l.Args[argScale]; a.F != 0.5 || l.Args[argScalePtr].Buf != nil {
			t.Errorf("%s: scale %v", tc.name, a)
		}
		if l.Args[argGX].Buf != c.GX || l.Args[argH].Buf != c.Hess || l.Args[argN].I != int64(n) {
			t.Errorf("%s: buffers or size wrong", tc.name)
		}
		// Groups 3, sums 3: pairs (1,2),(3,4),(5,6) | (7,8),... sum k = Σ_g (v[2(3g+k)] + v[2(3g+k)+1]).
		want := [2]float64{}
		for g := range 3 {
			for k := range 2 {
				i := 2 * (3*g + k)
				want[k] += float64(i+1) + float64(i+2)
			}
		}
		if len(s) != 2 || s[0] != want[0] || s[1] != want[1] {
			t.Errorf("%s: sums %v, want %v", tc.name, s, want)
		}
		if rec.Sizes[plan.RegPart] != 3*3*2*8 {
			t.Errorf("%s: partials of %d bytes", tc.name, rec.Sizes[plan.RegPart])
		}
	}
}

// TestMeanScale: the Mean's scale from a count on the host, from denom_sum read back, or kept
// on the device (denom_finish); per-row weights of an elementwise call count C times.
func TestMeanScale(t *testing.T) {
	n, c := 4, 3
	base := func() *device.Call {
		return &device.Call{Kernel: "mse", Family: device.Elementwise, DType: device.F64, N: n, C: c,
			X: f64s(n*c, 1), Y: f64s(n*c, 2), GX: f64s(n*c, 0), Scale: 2, ScaleByDenom: true}
	}
	// No weights: 2/12 on the host, one launch.
	f64 := plan.Caps{F64: true}
	rec := &plan.Recorder{C: f64}
	run(t, rec, base())
	if got := rec.Kernels(); !slices.Equal(got, []string{"mse_fwd_bwd"}) || rec.Launches[0].Args[argScale].F != 2.0/12 {
		t.Errorf("count: launches %v scale %v", got, rec.Launches[0].Args[argScale])
	}
	// Per-row weights, host: denom_sum over the N weights with wrow, Σd read back.
	call := base()
	call.Weight = f64s(n, 1)
	rec = &plan.Recorder{C: f64, Acc: func(r plan.Region, k int) []float64 {
		v := make([]float64, k)
		v[0] = 5 // group 0's Σd; its bad-label count and the other groups 0
		return v
	}}
	run(t, rec, call)
	if got := rec.Kernels(); !slices.Equal(got, []string{"denom_sum", "mse_fwd_bwd"}) {
		t.Fatalf("host denominator: launches %v", got)
	}
	ds := rec.Launches[0]
	if ds.Args[3].I != int64(n) || ds.Args[5].I != 1 || ds.Args[6].I != 0 || ds.Launch.Shape != plan.Items {
		t.Errorf("denom_sum args %v", ds.Args)
	}
	if rec.Launches[1].Args[argScale].F != 2.0/5 || rec.Launches[1].Args[argWrow].I != 1 {
		t.Errorf("loss kernel's scale %v wrow %v", rec.Launches[1].Args[argScale], rec.Launches[1].Args[argWrow])
	}
	// On the device: denom_finish writes the scale, the loss kernel reads it.
	rec = &plan.Recorder{C: plan.Caps{F64: true, ScaleOnDevice: true}}
	run(t, rec, call)
	if got := rec.Kernels(); !slices.Equal(got, []string{"denom_sum", "denom_finish", "mse_fwd_bwd"}) {
		t.Fatalf("device denominator: launches %v", got)
	}
	if a := rec.Launches[2].Args[argScalePtr]; a.Kind != plan.ArgScratch || a.Region != plan.RegScale {
		t.Errorf("loss kernel's scale_ptr %+v", a)
	}
	if f := rec.Launches[1]; f.Launch.Shape != plan.Single || f.Args[1].I != int64(rec.Launches[0].Launch.Groups) {
		t.Errorf("denom_finish %+v", f)
	}
	// A zero denominator gives a zero scale.
	rec = &plan.Recorder{C: f64}
	run(t, rec, call)
	if rec.Launches[1].Args[argScale].F != 0 {
		t.Errorf("Σd = 0: scale %v", rec.Launches[1].Args[argScale].F)
	}
}

// TestRows: row kernels by mode with their staging, labels counted outside their range.
func TestRows(t *testing.T) {
	n, c := 5, 4
	ce := func() *device.Call {
		return &device.Call{Kernel: "cross_entropy", Family: device.Rowwise, DType: device.F32, N: n, C: c,
			X: f32s(n*c, 1), Labels: device.Wrap(make([]int32, n)), Ignore: -100, Denom: device.DenomLabel, Scale: 1}
	}
	rec := &plan.Recorder{}
	run(t, rec, ce())
	if l := rec.Launches[0].Launch; l.Kernel != "cross_entropy_fwd" || l.Shape != plan.Rows || l.N != int64(n) || l.C != int64(c) || l.Stage != 1 {
		t.Errorf("cross_entropy forward: %+v (it stages its row: StageFwd)", l)
	}
	d := &device.Call{Kernel: "dice", Family: device.Rowwise, DType: device.F32, N: n, C: c,
		X: f32s(n*c, 1), Y: f32s(n*c, 0), P: [8]float64{1e-7, 1}, Scale: 1}
	rec = &plan.Recorder{}
	run(t, rec, d)
	if l := rec.Launches[0].Launch; l.Kernel != "dice_fwd" || l.Stage != 0 {
		t.Errorf("dice forward: %+v (no staging: one pass)", l)
	}
	d.GX = f32s(n*c, 0)
	rec = &plan.Recorder{}
	run(t, rec, d)
	if l := rec.Launches[0].Launch; l.Kernel != "dice_fwd_bwd" || l.Stage != 2 {
		t.Errorf("dice gradient: %+v (stages x and y)", l)
	}
	// A row kernel's third sum counts bad labels: an error, never numbers.
	rec = &plan.Recorder{Acc: func(r plan.Region, k int) []float64 {
		v := make([]float64, k)
		v[4] = 2 // group 0, sum 2 (bad labels)
		return v
	}}
	if _, err := plan.Run(rec, ce()); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("bad labels: %v, want ErrBuffer", err)
	}
}

// TestHist: a histogram metric's row kernel over at most MaxWorkers histograms, then
// hist_finish; its 3·bins sums, and its bad-label slot as an error.
func TestHist(t *testing.T) {
	n, c := 7, 3
	call := &device.Call{Kernel: "macro_f1", Family: device.Metric, DType: device.F64, N: n, C: c,
		X: f64s(n*c, 0), Labels: device.Wrap(make([]int32, n)), Ignore: -100, Denom: device.DenomLabel}
	rec := &plan.Recorder{C: plan.Caps{F64: true}, Acc: func(r plan.Region, k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = float64(i % 2) // value 0, compensation 1
		}
		return v
	}}
	_, err := plan.Run(rec, call)
	if !errors.Is(err, device.ErrBuffer) {
		t.Errorf("a nonzero bad-label slot: %v, want ErrBuffer", err)
	}
	rec = &plan.Recorder{C: plan.Caps{F64: true}}
	s := run(t, rec, call)
	if got := rec.Kernels(); !slices.Equal(got, []string{"macro_f1_fwd", "hist_finish"}) || len(s) != 3*c {
		t.Fatalf("launches %v, %d sums", got, len(s))
	}
	h, f := rec.Launches[0], rec.Launches[1]
	nslots := int64(3*c + 1)
	if h.Args[argAux].I != int64(c) || h.Launch.MaxWorkers <= 0 || rec.Sizes[plan.RegPart] != h.Launch.Workers*nslots*2*8 {
		t.Errorf("histograms: %+v, part %d bytes", h.Launch, rec.Sizes[plan.RegPart])
	}
	if f.Args[1].I != h.Launch.Workers || f.Args[2].I != nslots || f.Launch.N != nslots {
		t.Errorf("hist_finish args %v", f.Args)
	}
}

// TestInfoNCE: the passes and their arguments, symmetric or not, each gradient once.
func TestInfoNCE(t *testing.T) {
	n, d := 6, 4
	for _, sym := range []bool{false, true} {
		call := &device.Call{Kernel: "info_nce", Family: device.Rowwise, DType: device.F32, N: n, C: d,
			X: f32s(n*d, 1), Y: f32s(n*d, 2), GX: f32s(n*d, 0), GY: f32s(n*d, 0), P: [8]float64{0.07, 1}, Scale: 1}
		want := []string{"info_nce_prep", "info_nce_fwd", "info_nce_grad", "info_nce_grad"}
		if sym {
			call.P[2] = 1
			want = []string{"info_nce_prep", "info_nce_fwd", "info_nce_fwd", "info_nce_grad", "info_nce_grad"}
		}
		rec := &plan.Recorder{}
		run(t, rec, call)
		if got := rec.Kernels(); !slices.Equal(got, want) {
			t.Fatalf("symmetric %v: launches %v", sym, got)
		}
		ls := rec.Launches
		q, k := ls[len(ls)-2].Args, ls[len(ls)-1].Args
		if q[0].Region != plan.RegQH || q[7].Buf != call.GX || k[0].Region != plan.RegKH || k[7].Buf != call.GY {
			t.Errorf("symmetric %v: gradient launches' rows or outputs", sym)
		}
		alpha, beta := 1.0, 0.0
		if sym {
			alpha, beta = 0.5, 0.5
		}
		ka, kb := 1-alpha, 1-beta // keys: α = 0, β = 1 (symmetric: ½, ½)
		if q[13].F != alpha || q[14].F != beta || k[13].F != ka || k[14].F != kb {
			t.Errorf("symmetric %v: α, β %v %v and %v %v", sym, q[13].F, q[14].F, k[13].F, k[14].F)
		}
		if rec.Sizes[plan.RegG] != int64(n*d*8) || rec.Sizes[plan.RegQH] != int64(n*d*4) {
			t.Errorf("scratch %v", rec.Sizes)
		}
	}
}

// TestFind: the checks' bounds rounded inward for float32, labels' bounds by ceiling, the first
// failing index the smallest of the groups'.
func TestFind(t *testing.T) {
	x := f32s(100, 1)
	rec := &plan.Recorder{I64: func(r plan.Region, k int) []int64 {
		v := make([]int64, k)
		for i := range v {
			v[i] = int64(90 - i)
		}
		return v
	}}
	got, err := plan.Find(rec, &device.Check{Kind: device.CheckRange, Buf: x, N: 100, Lo: 0.1, Hi: 0.3})
	if err != nil || got != 90-2 {
		t.Fatalf("Find = %d, %v, want 88", got, err)
	}
	a := rec.Launches[0].Args
	// float32(0.1) is above 0.1 and float32(0.3) above 0.3: the bounds are the nearest float32
	// not below 0.1 and the nearest not above 0.3.
	if rec.Launches[0].Launch.Kernel != "check_values" || a[3].F != float64(float32(0.1)) ||
		a[4].F != float64(math.Nextafter32(float32(0.3), 0)) {
		t.Errorf("float32 range bounds %v %v", a[3].F, a[4].F)
	}
	rec = &plan.Recorder{}
	got, err = plan.Find(rec, &device.Check{Kind: device.CheckLabels, Buf: device.Wrap(make([]int32, 9)), N: 9, Lo: -0.5, Hi: 2.5, Ignore: -100})
	if err != nil || got != -1 {
		t.Fatalf("label Find = %d, %v, want -1", got, err)
	}
	if a := rec.Launches[0].Args; rec.Launches[0].Launch.Kernel != "check_labels" || a[2].I != 0 || a[3].I != 3 || a[4].I != -100 {
		t.Errorf("check_labels args %v", a)
	}
	if _, err := plan.Find(rec, &device.Check{Kind: device.CheckLabels, Buf: x, N: 1}); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("label check of a float buffer: %v", err)
	}
	if _, err := plan.Find(rec, &device.Check{Kind: device.CheckFinite, Buf: x, N: 101}); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("check past the end: %v", err)
	}
}

// TestRefuses: what the plan refuses before any launch.
func TestRefuses(t *testing.T) {
	x := f64s(4, 1)
	for _, tc := range []struct {
		what string
		caps plan.Caps
		c    *device.Call
		want error
	}{
		{"auc has no kernel", plan.Caps{F64: true}, &device.Call{Kernel: "auc", Family: device.Metric, DType: device.F64, N: 4, C: 1, X: x, Y: x}, device.ErrUnsupported},
		{"float64 without fp64", plan.Caps{}, &device.Call{Kernel: "mse", Family: device.Elementwise, DType: device.F64, N: 4, C: 1, X: x, Y: x}, device.ErrUnsupported},
		{"missing target", plan.Caps{F64: true}, &device.Call{Kernel: "mse", Family: device.Elementwise, DType: device.F64, N: 4, C: 1, X: x}, device.ErrBuffer},
		{"nil", plan.Caps{}, nil, device.ErrBuffer},
	} {
		rec := &plan.Recorder{C: tc.caps}
		if _, err := plan.Run(rec, tc.c); !errors.Is(err, tc.want) || len(rec.Launches) > 0 {
			t.Errorf("%s: %v after %d launches, want %v", tc.what, err, len(rec.Launches), tc.want)
		}
	}
	// An empty call launches nothing.
	rec := &plan.Recorder{C: plan.Caps{F64: true}}
	s, err := plan.Run(rec, &device.Call{Kernel: "f1", Family: device.Metric, DType: device.F64, X: f64s(0, 0), Y: f64s(0, 0)})
	if err != nil || len(s) != 3 || len(rec.Launches) != 0 {
		t.Errorf("empty f1: %v %v, %d launches", s, err, len(rec.Launches))
	}
}
