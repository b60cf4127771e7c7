package device

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gloss-ml/gloss/cpuref"
)

func TestOpenCPU(t *testing.T) {
	for _, name := range []string{"cpu", "cpu:0"} {
		d, err := Open(name)
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		if d.Info().Name != "cpu" || d.Info().Kind != CPU || !d.Info().FP64 {
			t.Errorf("Open(%q).Info() = %+v", name, d.Info())
		}
	}
	if _, err := Open("cpu:1"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("Open(cpu:1) = %v, want ErrNoDevice", err)
	}
	if _, err := Open("tpu"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Open(tpu) = %v, want ErrUnknown", err)
	}
}

func TestAuto(t *testing.T) {
	t.Setenv(EnvDevice, "")
	d, skips, err := Auto()
	if err != nil {
		t.Fatal(err)
	}
	// In this package's test binary no GPU backend is registered: auto must say so for cuda
	// and opencl, then open the cpu.
	if d.Info().Kind != CPU || len(skips) != 2 || skips[0].Backend != "cuda" || skips[1].Backend != "opencl" {
		t.Fatalf("Auto() = %v, skips %v", d.Info().Name, skips)
	}
	for _, s := range skips {
		if !errors.Is(s.Err, ErrNotBuilt) {
			t.Errorf("skip %s: %v, want ErrNotBuilt", s.Backend, s.Err)
		}
	}
	t.Setenv(EnvDevice, "cpu")
	if d, err := Open("auto"); err != nil || d.Info().Name != "cpu" {
		t.Errorf("GLOSS_DEVICE=cpu: %v, %v", d, err)
	}
	t.Setenv(EnvDevice, "tpu")
	if _, err := Open(""); !errors.Is(err, ErrUnknown) {
		t.Errorf("GLOSS_DEVICE=tpu: %v, want ErrUnknown", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering cpu twice did not panic")
		}
	}()
	Register("cpu", nil, nil)
}

// TestParDeterministic: the cpu device's Par gives the same bits as cpuref.Serial for any
// GOMAXPROCS, on sums whose value depends on the order of addition.
func TestParDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	v := make([]float64, 3*cpuref.ElemChunk+123)
	for i := range v {
		v[i] = math.Ldexp(r.NormFloat64(), r.IntN(60)-30) // mixed magnitudes: order matters
	}
	body := func(lo, hi int, sums []float64) {
		for _, x := range v[lo:hi] {
			sums[0] += x
			sums[1] += x * x
		}
	}
	want := cpuref.Serial(len(v), cpuref.ElemChunk, 2, body)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(p)
		got := Par(len(v), cpuref.ElemChunk, 2, body)
		for k := range want {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				t.Errorf("GOMAXPROCS %d: sum %d = %v, serial %v", p, k, got[k], want[k])
			}
		}
	}
}

func TestCPUBuffers(t *testing.T) {
	d := CPU0()
	b, err := d.Alloc(F32, 10)
	if err != nil || b.Len() != 10 || b.DType() != F32 {
		t.Fatalf("Alloc: %v %v", b, err)
	}
	if err := d.Write(b, 8, []float32{1, 2, 3}); !errors.Is(err, ErrBuffer) {
		t.Errorf("write past the end: %v, want ErrBuffer", err)
	}
	if err := d.Write(b, 0, []float64{1}); !errors.Is(err, ErrBuffer) {
		t.Errorf("write of float64 into float32: %v, want ErrBuffer", err)
	}
	if err := d.Write(b, 2, []float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	v, err := d.Slice(b, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 4)
	if err := d.Read(got, v, 0); err != nil || got[0] != 2 || got[1] != 3 || got[2] != 0 {
		t.Errorf("view read %v, %v; want [2 3 0 0]", got, err)
	}
	if err := d.Write(v, 3, []float32{9}); err != nil {
		t.Fatal(err)
	}
	all := make([]float32, 10)
	if err := d.Read(all, b, 0); err != nil || all[6] != 9 || all[7] != 0 {
		t.Errorf("a write through the view: %v, %v (want all[6] = 9, all[7] untouched)", all, err)
	}
	if _, err := d.Slice(b, 8, 3); !errors.Is(err, ErrBuffer) {
		t.Errorf("slice past the end: %v, want ErrBuffer", err)
	}
	c, _ := d.Alloc(F32, 10)
	if err := d.Copy(c, b); err != nil {
		t.Fatal(err)
	}
	cp := make([]float32, 10)
	if err := d.Read(cp, c, 0); err != nil || cp[6] != 9 || cp[2] != 1 {
		t.Errorf("copy: %v, %v", cp, err)
	}
	short, _ := d.Alloc(F32, 9)
	if err := d.Copy(short, b); !errors.Is(err, ErrBuffer) {
		t.Errorf("copy into a shorter buffer: %v, want ErrBuffer", err)
	}
}

func TestCheckValid(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		c    Check
		v    float64
		want bool
	}{
		{Check{Kind: CheckRange, Lo: 0, Hi: 1}, 0, true},
		{Check{Kind: CheckRange, Lo: 0, Hi: 1}, 1, true},
		{Check{Kind: CheckRange, Lo: 0, Hi: 1}, 1.0000001, false},
		{Check{Kind: CheckRange, Lo: 0, Hi: 1}, math.NaN(), false},
		{Check{Kind: CheckRange, Lo: 0, Hi: inf}, inf, true},
		{Check{Kind: CheckRange, Lo: 0, Hi: math.MaxFloat64}, inf, false},
		{Check{Kind: CheckRange, Lo: 0, Hi: inf}, -1e-300, false},
		{Check{Kind: CheckFinite}, -inf, false},
		{Check{Kind: CheckFinite}, -1e308, true},
		{Check{Kind: CheckSign}, -1, true},
		{Check{Kind: CheckSign}, 0, false},
		{Check{Kind: CheckBinary}, 1, true},
		{Check{Kind: CheckBinary}, 0.5, false},
	} {
		if got := tc.c.Valid(tc.v); got != tc.want {
			t.Errorf("%+v.Valid(%v) = %v, want %v", tc.c, tc.v, got, tc.want)
		}
	}
	c := Check{Kind: CheckLabels, Lo: 0, Hi: 3, Ignore: -100}
	for v, want := range map[int32]bool{0: true, 2: true, 3: false, -1: false, -100: true} {
		if c.ValidLabel(v) != want {
			t.Errorf("ValidLabel(%d) = %v, want %v", v, !want, want)
		}
	}
}

// TestScaleByDenom: a Mean's gradient scale is computed on the device from Σd.
func TestScaleByDenom(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := []float32{0, 0, 0, 0}
	w := []float32{1, 0, 3, 0}
	g := make([]float32, 4)
	c := &Call{Kernel: "mse", Family: Elementwise, DType: F32, N: 4, C: 1, X: Wrap(x), Y: Wrap(y), Weight: Wrap(w),
		Scale: 1, ScaleByDenom: true, GX: Wrap(g)}
	s, err := CPU0().Run(c)
	if err != nil {
		t.Fatal(err)
	}
	// Σ s·L = 1·1 + 3·9 = 28, Σd = 4; ∂/∂x_i of Σ s·(x−0)²/Σd = 2·s_i·x_i/4.
	if s[0] != 28 || s[1] != 4 {
		t.Errorf("sums %v, want [28 4] (by hand)", s)
	}
	for i, want := range []float32{0.5, 0, 4.5, 0} {
		if g[i] != want {
			t.Errorf("grad[%d] = %v, want %v (by hand)", i, g[i], want)
		}
	}
}
