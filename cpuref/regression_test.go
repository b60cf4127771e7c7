package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers shared by the elementwise tests (regression, binary, kldiv, ranking, penalty).

// elemRes holds one unweighted, unscaled evaluation of an elementwise kernel.
type elemRes struct {
	L, GX, GY, GZ, H []float64
	Sums             []float64
}

// runElem evaluates kernel name on one column of elements with Scale 1 and no weights, asking
// for every output (GY and GZ only where y and z are given), so that the outputs are L_i and
// its derivatives.
func runElem(t *testing.T, name string, p [8]float64, x, y, z []float64) elemRes {
	t.Helper()
	n := len(x)
	a := &Args[float64]{N: n, C: 1, X: x, Y: y, Z: z, P: p, Scale: 1,
		PerSample: make([]float64, n), GX: make([]float64, n), Hess: make([]float64, n)}
	if y != nil {
		a.GY = make([]float64, n)
	}
	if z != nil {
		a.GZ = make([]float64, n)
	}
	s, err := Run(name, a, Serial)
	if err != nil {
		t.Fatal(err)
	}
	return elemRes{L: a.PerSample, GX: a.GX, GY: a.GY, GZ: a.GZ, H: a.Hess, Sums: s}
}

// elemWant lists expected per-element values; a nil slice is not checked.
type elemWant struct {
	L, GX, GY, GZ, H []float64
}

// checkElem evaluates name and compares every listed output with want within tol (absolute
// or relative), naming source in failures.
func checkElem(t *testing.T, name string, p [8]float64, x, y, z []float64, w elemWant, tol float64, source string) {
	t.Helper()
	r := runElem(t, name, p, x, y, z)
	for _, c := range []struct {
		what      string
		got, want []float64
	}{{"L", r.L, w.L}, {"dL/dx", r.GX, w.GX}, {"dL/dy", r.GY, w.GY}, {"dL/dz", r.GZ, w.GZ}, {"d2L/dx2", r.H, w.H}} {
		for i := range c.want {
			eq(t, name+" "+c.what+"["+elemItoa(i)+"]", c.got[i], c.want[i], tol, source)
		}
	}
}

func elemItoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return elemItoa(i/10) + string(rune('0'+i%10))
}

// checkElemFinite fails unless every output of name at (x, y) is finite.
func checkElemFinite(t *testing.T, name string, p [8]float64, x, y []float64) {
	t.Helper()
	r := runElem(t, name, p, x, y, nil)
	for i := range x {
		for _, c := range []struct {
			what string
			v    float64
		}{{"L", r.L[i]}, {"dL/dx", r.GX[i]}, {"d2L/dx2", r.H[i]}} {
			if math.IsNaN(c.v) || math.IsInf(c.v, 0) {
				t.Errorf("%s%v: %s at x = %v, y = %v is %v, want finite", name, p[:2], c.what, x[i], y[i], c.v)
			}
		}
	}
}

// elemAwayFrom returns v with every element within gap of a kink k(i) moved to k(i) ± 2·gap, so
// that finite differences do not straddle a kink.
func elemAwayFrom(v []float64, gap float64, kink func(i int) float64) []float64 {
	for i := range v {
		k := kink(i)
		if math.Abs(v[i]-k) < gap {
			if v[i] < k {
				v[i] = k - 2*gap
			} else {
				v[i] = k + 2*gap
			}
		}
	}
	return v
}

// elemUniform returns n values uniform in [lo, hi).
func elemUniform(r *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	return v
}

// fdCase is one finite-difference check: fresh inputs from gen, with per-row weights.
type fdCase struct {
	name  string
	p     [8]float64
	gen   func(r *rand.Rand, n int) (x, y, z []float64)
	grads []int
	tol   float64
}

func runFD(t *testing.T, seed uint64, cases []fdCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	const rows, cols = 5, 3
	for _, c := range cases {
		x, y, z := c.gen(r, rows*cols)
		w := elemUniform(r, rows, 0.2, 2)
		a := &Args[float64]{N: rows, C: cols, X: x, Y: y, Z: z, Weight: w, P: c.p, Scale: 1}
		checkFD(t, c.name, a, c.grads, true, c.tol)
	}
}

func TestRegressionByHand(t *testing.T) {
	ln := math.Log
	s3 := math.Sqrt(3)
	// Every case has x = prediction, y = target, e = y − x; values derived by hand from the
	// formulas of loss/regression.go (PyTorch's huber_loss / smooth_l1_loss definitions, XGBoost's
	// pseudo-Huber gradient and Hessian, PyTorch's poisson_nll_loss and gaussian_nll_loss).
	cases := []struct {
		name    string
		p       [8]float64
		x, y, z []float64
		w       elemWant
	}{
		{"mse", [8]float64{}, []float64{3, 1, 0.5}, []float64{1, 1, 2}, nil,
			elemWant{L: []float64{4, 0, 2.25}, GX: []float64{4, 0, -3}, H: []float64{2, 2, 2}}},
		// e = −2, 0, 1.5: |e|, −sign(e) with 0 at 0, Hessian 0.
		{"mae", [8]float64{}, []float64{3, 1, 0.5}, []float64{1, 1, 2}, nil,
			elemWant{L: []float64{2, 0, 1.5}, GX: []float64{1, 0, -1}, H: []float64{0, 0, 0}}},
		// δ = 1, e = 0.5, −2, 1 (on the boundary |e| = δ: ½e²), e = −1e6 far in the linear part.
		{"huber", [8]float64{1}, []float64{0, 0, 0, 1e6}, []float64{0.5, -2, 1, 0}, nil,
			elemWant{L: []float64{0.125, 1.5, 0.5, 1e6 - 0.5}, GX: []float64{-0.5, 1, -1, 1}, H: []float64{1, 0, 1, 0}}},
		// δ = 2, e = 3: 2·(3 − 1) = 4, slope δ; e = −1: ½.
		{"huber", [8]float64{2}, []float64{0, 1}, []float64{3, 0}, nil,
			elemWant{L: []float64{4, 0.5}, GX: []float64{-2, 1}, H: []float64{0, 1}}},
		// β = 1 is Huber(1); β = 0.5: e = 0.25 → ½·0.0625/0.5, e = 2 → 2 − 0.25.
		{"smooth_l1", [8]float64{1}, []float64{0, 0}, []float64{0.5, -2}, nil,
			elemWant{L: []float64{0.125, 1.5}, GX: []float64{-0.5, 1}, H: []float64{1, 0}}},
		{"smooth_l1", [8]float64{0.5}, []float64{0, 0}, []float64{0.25, 2}, nil,
			elemWant{L: []float64{0.0625, 1.75}, GX: []float64{-0.5, -1}, H: []float64{2, 0}}},
		// β = 0 is MAE (PyTorch dispatches to l1_loss): gradient 0 at e = 0, no NaN.
		{"smooth_l1", [8]float64{0}, []float64{0, 1}, []float64{-3, 1}, nil,
			elemWant{L: []float64{3, 0}, GX: []float64{1, 0}, H: []float64{0, 0}}},
		// δ = 1, e = √3: h = 2, L = 1, ∂L/∂x = −√3/2, H = 1/8; δ = 2, e = 2√3: h = 2, L = 4·1.
		{"pseudo_huber", [8]float64{1}, []float64{0, 0}, []float64{s3, 0}, nil,
			elemWant{L: []float64{1, 0}, GX: []float64{-s3 / 2, 0}, H: []float64{0.125, 1}}},
		{"pseudo_huber", [8]float64{2}, []float64{0, 0}, []float64{2 * s3, -1e200}, nil,
			elemWant{L: []float64{4, 2e200 - 4}, GX: []float64{-s3, 2}, H: []float64{0.125, 0}}},
		// e = ln 2: cosh = 1.25, tanh = 0.6; e = −ln 3: cosh = 5/3, tanh = −0.8; e = 800: cosh
		// overflows, log cosh = 800 − ln 2; e = 1e-8: log cosh ≈ e²/2.
		{"log_cosh", [8]float64{}, []float64{0, 0, ln(3), -800, 0}, []float64{ln(2), 0, 0, 0, 1e-8}, nil,
			elemWant{L: []float64{ln(1.25), 0, ln(5.0 / 3), 800 - math.Ln2, 5e-17}, GX: []float64{-0.6, 0, 0.8, -1, -1e-8},
				H: []float64{0.64, 1, 0.36, 0, 1}}},
		// τ = 0.9: e = 2 → 1.8, e = −1 → 0.1, e = 0 → 0 with gradient 0.
		{"quantile", [8]float64{0.9}, []float64{0, 1, 1}, []float64{2, 0, 1}, nil,
			elemWant{L: []float64{1.8, 0.1, 0}, GX: []float64{-0.9, 0.1, 0}, H: []float64{0, 0, 0}}},
		// log input, not full: e^x − y·x.
		{"poisson", [8]float64{1, 0, 1e-8}, []float64{0, ln(3), 1}, []float64{2, 2, 0}, nil,
			elemWant{L: []float64{1, 3 - 2*ln(3), math.E}, GX: []float64{-1, 1, math.E}, H: []float64{1, 3, math.E}}},
		// full adds Stirling's y·log y − y + ½log(2πy) only where y > 1 (PyTorch masks y ≤ 1).
		{"poisson", [8]float64{1, 1, 1e-8}, []float64{0, 0, 0}, []float64{2, 1, 0.5}, nil,
			elemWant{L: []float64{1 + 2*ln(2) - 2 + 0.5*ln(4*math.Pi), 1, 1}, GX: []float64{-1, 0, 0.5}}},
		// rates: x − y·log(x + eps), eps = 0.5, x = 1.5, y = 3: 1.5 − 3 ln 2, 1 − 3/2, 3/4;
		// y = 0 at x = 0 gives 0 with no 0/0 in the Hessian.
		{"poisson", [8]float64{0, 0, 0.5}, []float64{1.5, 0}, []float64{3, 0}, nil,
			elemWant{L: []float64{1.5 - 3*ln(2), 0}, GX: []float64{-0.5, 1}, H: []float64{0.75, 0}}},
		// ρ = 1.5: x = 0, y = 2: a = b = 1: 4 + 2, −2 + 1, 1 + 0.5; x = 2 ln 2, y = 3:
		// a = ½, b = 2: 3 + 4, −1.5 + 2, 0.75 + 1.
		{"tweedie", [8]float64{1.5}, []float64{0, 2 * ln(2)}, []float64{2, 3}, nil,
			elemWant{L: []float64{6, 7}, GX: []float64{-1, 0.5}, H: []float64{1.5, 1.75}}},
		// var = 4, e = 2: ½(ln 4 + 1), −½, ½(¼ − ¼) = 0, ¼; var = 2, e = 1: ½(ln 2 + ½),
		// ∂/∂var = ½(½ − ¼); var = 0 is clamped to eps = 1e-6 and differentiated there.
		{"gaussian_nll", [8]float64{0, 1e-6}, []float64{0, 0, 3}, []float64{2, 1, 3}, []float64{4, 2, 0},
			elemWant{L: []float64{0.5 * (ln(4) + 1), 0.5 * (ln(2) + 0.5), 0.5 * ln(1e-6)}, GX: []float64{-0.5, -0.5, 0},
				GZ: []float64{0, 0.125, 5e5}, H: []float64{0.25, 0.5, 1e6}}},
		// full adds ½log 2π.
		{"gaussian_nll", [8]float64{1, 1e-6}, []float64{0}, []float64{1}, []float64{1},
			elemWant{L: []float64{0.5 + 0.5*ln(2*math.Pi)}, GX: []float64{-1}, GZ: []float64{0}, H: []float64{1}}},
	}
	for _, c := range cases {
		checkElem(t, c.name, c.p, c.x, c.y, c.z, c.w, 1e-12, "hand derivation from the doc formula")
	}
}

func TestRegressionGradFD(t *testing.T) {
	normal := func(r *rand.Rand, n int) (x, y, z []float64) { return randn(r, n, 2), randn(r, n, 2), nil }
	// kinked losses: e = y − x kept away from the kinks at e = 0 and |e| = δ.
	kinked := func(kinks ...float64) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			x, y = randn(r, n, 2), randn(r, n, 2)
			for _, k := range kinks {
				elemAwayFrom(x, 1e-3, func(i int) float64 { return y[i] - k })
			}
			return x, y, nil
		}
	}
	counts := func(logInput bool) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			y = make([]float64, n)
			for i := range y {
				y[i] = float64(r.IntN(6))
			}
			if logInput {
				return randn(r, n, 1.5), y, nil
			}
			return elemUniform(r, n, 0.1, 4), y, nil
		}
	}
	gauss := func(r *rand.Rand, n int) (x, y, z []float64) {
		return randn(r, n, 2), randn(r, n, 2), elemUniform(r, n, 0.1, 3)
	}
	runFD(t, 11, []fdCase{
		{"mse", [8]float64{}, normal, []int{0}, 1e-6},
		{"mae", [8]float64{}, kinked(0), []int{0}, 1e-6},
		{"huber", [8]float64{1}, kinked(0, 1, -1), []int{0}, 1e-6},
		{"huber", [8]float64{0.3}, kinked(0, 0.3, -0.3), []int{0}, 1e-6},
		{"smooth_l1", [8]float64{1}, kinked(0, 1, -1), []int{0}, 1e-6},
		{"smooth_l1", [8]float64{2.5}, kinked(0, 2.5, -2.5), []int{0}, 1e-6},
		{"smooth_l1", [8]float64{0}, kinked(0), []int{0}, 1e-6},
		{"pseudo_huber", [8]float64{1}, normal, []int{0}, 1e-6},
		{"pseudo_huber", [8]float64{0.2}, normal, []int{0}, 1e-6},
		{"log_cosh", [8]float64{}, normal, []int{0}, 1e-6},
		{"quantile", [8]float64{0.5}, kinked(0), []int{0}, 1e-6},
		{"quantile", [8]float64{0.1}, kinked(0), []int{0}, 1e-6},
		{"poisson", [8]float64{1, 0, 1e-8}, counts(true), []int{0}, 1e-6},
		{"poisson", [8]float64{1, 1, 1e-8}, counts(true), []int{0}, 1e-6},
		{"poisson", [8]float64{0, 1, 1e-8}, counts(false), []int{0}, 1e-6},
		{"poisson", [8]float64{0, 0, 0.5}, counts(false), []int{0}, 1e-6},
		{"tweedie", [8]float64{1.5}, counts(true), []int{0}, 1e-6},
		{"tweedie", [8]float64{1.1}, counts(true), []int{0}, 1e-6},
		{"tweedie", [8]float64{1.9}, counts(true), []int{0}, 1e-6},
		{"gaussian_nll", [8]float64{0, 1e-6}, gauss, []int{0, 2}, 1e-6},
		{"gaussian_nll", [8]float64{1, 1e-6}, gauss, []int{0, 2}, 1e-6},
	})
}

func TestRegressionExtremes(t *testing.T) {
	// Huge residuals and log-rates: every loss, gradient and Hessian finite where the true value
	// is representable (log_cosh at e = ±1e4 is 1e4 − ln 2; pseudo-Huber at 1e200 is ≈ δ|e|;
	// Poisson and Tweedie with log input x = −1e4 and y = 0 are 0, not 0·Inf = NaN).
	big := []float64{1e4, -1e4, 100, -100, 1e200, -1e200}
	zeros := make([]float64, len(big))
	for _, c := range []struct {
		name string
		p    [8]float64
	}{{"mae", [8]float64{}}, {"huber", [8]float64{1}}, {"smooth_l1", [8]float64{1}}, {"smooth_l1", [8]float64{0}},
		{"pseudo_huber", [8]float64{1}}, {"log_cosh", [8]float64{}}, {"quantile", [8]float64{0.3}}} {
		checkElemFinite(t, c.name, c.p, big, zeros)
	}
	r := runElem(t, "log_cosh", [8]float64{}, []float64{1e4, -1e4}, []float64{0, 0}, nil)
	eq(t, "log_cosh L(1e4)", r.L[0], 1e4-math.Ln2, 1e-15, "log cosh e = |e| − ln 2 + log1p(e^{−2|e|})")
	eq(t, "log_cosh dL/dx(−1e4)", r.GX[1], -1, 0, "−tanh(1e4)")
	// Near 0, log cosh e = e²/2 − e⁴/12 + …: relative accuracy, not just absolute.
	small := runElem(t, "log_cosh", [8]float64{}, []float64{0, 0}, []float64{1e-8, -3e-5}, nil)
	for i, e := range []float64{1e-8, -3e-5} {
		want := e*e/2 - e*e*e*e/12
		if rel := math.Abs(small.L[i]/want - 1); rel > 1e-12 {
			t.Errorf("log_cosh L(%v) = %v, want %v within relative 1e-12 (Taylor series e²/2 − e⁴/12), off by %v", e, small.L[i], want, rel)
		}
	}
	// Log input with y = 0 at x = −1e4 (e^x underflows) and y = 3 at x = −1e4, 100.
	neg := []float64{-1e4, -1e4, 100}
	cnt := []float64{0, 3, 3}
	checkElemFinite(t, "poisson", [8]float64{1, 1, 1e-8}, neg, cnt)
	checkElemFinite(t, "tweedie", [8]float64{1.5}, []float64{-1000, 0, 100, 1000}, []float64{0, 0, 3, 3})
	tw := runElem(t, "tweedie", [8]float64{1.5}, []float64{-1e4, -1e4}, []float64{0, 2}, nil)
	eq(t, "tweedie L(x=−1e4, y=0)", tw.L[0], 0, 0, "e^{0.5·x}/0.5 underflows to 0; the y term is absent")
	eq(t, "tweedie dL/dx(x=−1e4, y=0)", tw.GX[0], 0, 0, "e^{0.5·x} underflows to 0")
	if !math.IsInf(tw.L[1], 1) {
		t.Errorf("tweedie L(x=−1e4, y=2) = %v, want +Inf (−y·e^{0.5·1e4}/(−0.5) overflows)", tw.L[1])
	}
	// Rates: x = 0 with y = 0 and a tiny eps: (x + eps)² underflows, the Hessian is 0 not 0/0.
	pr := runElem(t, "poisson", [8]float64{0, 0, 1e-300}, []float64{0}, []float64{0}, nil)
	eq(t, "poisson d2L/dx2(rate 0, y 0, eps 1e-300)", pr.H[0], 0, 0, "y/(x + eps)² with y = 0")
	eq(t, "poisson L(rate 0, y 0)", pr.L[0], 0, 0, "x − 0·log(eps)")
	g := runElem(t, "gaussian_nll", [8]float64{0, 1e-6}, []float64{1e4, 1}, []float64{-1e4, 1}, []float64{0, 0})
	for i := range g.L {
		for _, v := range []float64{g.L[i], g.GX[i], g.GZ[i], g.H[i]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("gaussian_nll at var = 0 (clamped to eps): output %v, want finite", v)
			}
		}
	}
}

func TestRegressionNaNPropagates(t *testing.T) {
	// SPEC §1: NaN in predictions propagates like IEEE arithmetic.
	nan := math.NaN()
	for _, c := range []struct {
		name string
		p    [8]float64
	}{{"mse", [8]float64{}}, {"mae", [8]float64{}}, {"huber", [8]float64{1}}, {"smooth_l1", [8]float64{1}},
		{"pseudo_huber", [8]float64{1}}, {"log_cosh", [8]float64{}}, {"quantile", [8]float64{0.5}},
		{"poisson", [8]float64{1, 0, 1e-8}}, {"tweedie", [8]float64{1.5}}} {
		r := runElem(t, c.name, c.p, []float64{nan}, []float64{1}, nil)
		if !math.IsNaN(r.L[0]) {
			t.Errorf("%s: L(NaN) = %v, want NaN (IEEE propagation, SPEC §1)", c.name, r.L[0])
		}
	}
}
