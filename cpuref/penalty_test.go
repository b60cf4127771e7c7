package cpuref

import (
	"math/rand/v2"
	"testing"
)

func TestPenaltyByHand(t *testing.T) {
	// l1 = 0.5, l2 = 0.25: θ = 2 → 1 + 1, 0.5 + 1; θ = −1 → 0.5 + 0.25, −0.5 − 0.5; θ = 0 → 0
	// with subgradient 0; the Hessian is 2·l2 everywhere.
	checkElem(t, "penalty", [8]float64{0.5, 0.25}, []float64{2, -1, 0}, nil, nil,
		elemWant{L: []float64{2, 0.75, 0}, GX: []float64{1.5, -1, 0}, H: []float64{0.5, 0.5, 0.5}}, 1e-15,
		"hand derivation: l1·|θ| + l2·θ²")
	r := runElem(t, "penalty", [8]float64{0.5, 0.25}, []float64{2, -1, 0}, nil, nil)
	eq(t, "penalty Ω(θ)", r.Sums[0], 2.75, 1e-15, "hand: 2 + 0.75 + 0")
}

func TestPenaltyGradFD(t *testing.T) {
	theta := func(r *rand.Rand, n int) (x, y, z []float64) {
		return elemAwayFrom(randn(r, n, 1), 1e-3, func(int) float64 { return 0 }), nil, nil
	}
	runFD(t, 61, []fdCase{
		{"penalty", [8]float64{0.5, 0.25}, theta, []int{0}, 1e-6},
		{"penalty", [8]float64{0, 1}, theta, []int{0}, 1e-6},
		{"penalty", [8]float64{2, 0}, theta, []int{0}, 1e-6},
	})
}

// TestElemWeightsAndScale checks, for every elementwise loss of the regression, binary, kl_div,
// ranking and penalty families, that a weighted, scaled call gives PerSample = s·L,
// gradients and Hessian Scale·s·(unweighted derivative), Sums = [Σ s·L, Σ s], with sample
// weights per element (N·C values) and per row (N values, s_i = w[i/C]); the unweighted
// terms come from the same kernel with Scale 1 and no weights.
func TestElemWeightsAndScale(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	const rows, cols = 4, 3
	n := rows * cols
	signs := make([]float64, n)
	bin := make([]float64, n)
	for i := range signs {
		signs[i] = float64(2*r.IntN(2) - 1)
		bin[i] = float64(r.IntN(2))
	}
	counts := make([]float64, n)
	for i := range counts {
		counts[i] = float64(r.IntN(5))
	}
	normal, normal2, unit := randn(r, n, 2), randn(r, n, 2), elemUniform(r, n, 0.05, 0.95)
	pos, soft := elemUniform(r, n, 0.1, 3), elemUniform(r, n, 0, 1)
	cases := []struct {
		name    string
		p       [8]float64
		x, y, z []float64
		cw      []float64
	}{
		{"mse", [8]float64{}, normal, normal2, nil, nil},
		{"mae", [8]float64{}, normal, normal2, nil, nil},
		{"huber", [8]float64{1}, normal, normal2, nil, nil},
		{"smooth_l1", [8]float64{0.7}, normal, normal2, nil, nil},
		{"pseudo_huber", [8]float64{1.3}, normal, normal2, nil, nil},
		{"log_cosh", [8]float64{}, normal, normal2, nil, nil},
		{"quantile", [8]float64{0.2}, normal, normal2, nil, nil},
		{"poisson", [8]float64{1, 1, 1e-8}, normal, counts, nil, nil},
		{"tweedie", [8]float64{1.4}, normal, counts, nil, nil},
		{"gaussian_nll", [8]float64{1, 1e-6}, normal, normal2, pos, nil},
		{"bce", [8]float64{}, unit, soft, nil, nil},
		{"bce_with_logits", [8]float64{2}, normal, unit, nil, []float64{0.5, 1, 3}},
		{"focal", [8]float64{2, 0.25}, normal, unit, nil, nil},
		{"hinge", [8]float64{1}, normal, signs, nil, nil},
		{"squared_hinge", [8]float64{1}, normal, signs, nil, nil},
		{"soft_margin", [8]float64{}, normal, signs, nil, nil},
		{"kl_div", [8]float64{0}, normal, unit, nil, nil},
		{"bpr", [8]float64{}, normal, normal2, nil, nil},
		{"pairwise_hinge", [8]float64{0.5}, normal, normal2, nil, nil},
		{"pairwise_logistic", [8]float64{}, normal, normal2, nil, nil},
		{"contrastive", [8]float64{1}, pos, bin, nil, nil},
		{"penalty", [8]float64{0.3, 0.7}, normal, nil, nil, nil},
	}
	outs := func(a *Args[float64]) {
		a.PerSample, a.GX, a.Hess = make([]float64, n), make([]float64, n), make([]float64, n)
		if a.Y != nil {
			a.GY = make([]float64, n)
		}
		if a.Z != nil {
			a.GZ = make([]float64, n)
		}
	}
	const scale = 0.37
	for _, c := range cases {
		base := &Args[float64]{N: rows, C: cols, X: c.x, Y: c.y, Z: c.z, ClassWeight: c.cw, P: c.p, Scale: 1}
		outs(base)
		if _, err := Run(c.name, base, Serial); err != nil {
			t.Fatal(err)
		}
		for _, w := range [][]float64{elemUniform(r, n, 0, 2), elemUniform(r, rows, 0, 2)} {
			a := *base
			a.Weight, a.Scale = w, scale
			outs(&a)
			sums, err := Run(c.name, &a, Serial)
			if err != nil {
				t.Fatal(err)
			}
			var wl, ws float64
			for i := range n {
				s := w[i%len(w)]
				if len(w) == rows {
					s = w[i/cols]
				}
				src := "the driver's rule: PerSample = s·L, gradients = Scale·s·∂L"
				what := c.name + " weights " + elemItoa(len(w)) + " "
				eq(t, what+"PerSample", a.PerSample[i], s*base.PerSample[i], 1e-15, src)
				eq(t, what+"GX", a.GX[i], scale*s*base.GX[i], 1e-15, src)
				eq(t, what+"Hess", a.Hess[i], scale*s*base.Hess[i], 1e-15, src)
				if a.GY != nil {
					eq(t, what+"GY", a.GY[i], scale*s*base.GY[i], 1e-15, src)
				}
				if a.GZ != nil {
					eq(t, what+"GZ", a.GZ[i], scale*s*base.GZ[i], 1e-15, src)
				}
				wl += s * base.PerSample[i]
				ws += s
			}
			eq(t, c.name+" Sums[0]", sums[0], wl, 1e-13, "Σ s·L")
			eq(t, c.name+" Sums[1]", sums[1], ws, 1e-13, "Σ s")
		}
	}
}
