package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestKLDivByHand(t *testing.T) {
	ln := math.Log
	src := "hand derivation: p·(log p − x), PyTorch kl_div (xlogy(p, p) − p·x)"
	// p = ½, x = ln ¼: ½(ln ½ − ln ¼) = ½ ln 2; p = 0 contributes 0 (0·log 0 = 0) with gradient 0;
	// p = 1, x = 0: 0.
	checkElem(t, "kl_div", [8]float64{0}, []float64{ln(0.25), -3, 0}, []float64{0.5, 0, 1}, nil,
		elemWant{L: []float64{0.5 * ln(2), 0, 0}, GX: []float64{-0.5, 0, -1}, H: []float64{0, 0, 0}}, 1e-14, src)
	// log_target: t = ln ½ gives the same term; t = −Inf is p = 0 (e^t = 0) — 0·(t − x) is NaN
	// in IEEE arithmetic, as in PyTorch, so it is not listed.
	checkElem(t, "kl_div", [8]float64{1}, []float64{ln(0.25), ln(0.75)}, []float64{ln(0.5), ln(0.5)}, nil,
		elemWant{L: []float64{0.5 * ln(2), 0.5 * ln(2.0/3)}, GX: []float64{-0.5, -0.5}, H: []float64{0, 0}}, 1e-14,
		"hand derivation: e^t·(t − x), PyTorch kl_div with log_target")
	// One row: KL([½, ½] ‖ [¼, ¾]) = ½ ln 2 + ½ ln(2/3), the Sum over the row.
	a := &Args[float64]{N: 1, C: 2, X: []float64{ln(0.25), ln(0.75)}, Y: []float64{0.5, 0.5}, Scale: 1}
	s, err := Run("kl_div", a, Serial)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "KL([½,½] ‖ [¼,¾])", s[0], 0.5*ln(2)+0.5*ln(2.0/3), 1e-15, "definition of the KL divergence, by hand")
	// PyTorch's xlogy: p = 0 with a −Inf log-probability (0·(−Inf)) propagates NaN.
	r := runElem(t, "kl_div", [8]float64{0}, []float64{math.Inf(-1)}, []float64{0}, nil)
	if !math.IsNaN(r.L[0]) {
		t.Errorf("kl_div(x = −Inf, p = 0) = %v, want NaN (PyTorch: xlogy(0, 0) − 0·(−Inf))", r.L[0])
	}
}

func TestKLDivGradFD(t *testing.T) {
	gen := func(logTarget bool) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			x, y = randn(r, n, 1), elemUniform(r, n, 0.01, 1)
			if !logTarget {
				y[0] = 0 // p = 0: a zero term
			} else {
				for i := range y {
					y[i] = math.Log(y[i])
				}
			}
			return x, y, nil
		}
	}
	runFD(t, 41, []fdCase{
		{"kl_div", [8]float64{0}, gen(false), []int{0}, 1e-6},
		{"kl_div", [8]float64{1}, gen(true), []int{0}, 1e-6},
	})
}
