package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRankingByHand(t *testing.T) {
	sg := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	// TF-Ranking's PairwiseLogisticLoss docstring: y = [1, 0], s = [0.6, 0.8] is one pair with
	// s⁺ = 0.6, s⁻ = 0.8, Δ = −0.2 and loss 0.79813887 summed (0.39906943 with Keras's default
	// reduction over the two items). Gradients and Hessian by hand: −σ(0.2), +σ(0.2), σ(0.2)σ(−0.2).
	for _, name := range []string{"pairwise_logistic", "bpr"} {
		checkElem(t, name, [8]float64{}, []float64{0.6}, []float64{0.8}, nil,
			elemWant{L: []float64{0.79813887}, GX: []float64{-sg(0.2)}, GY: []float64{sg(0.2)}, H: []float64{sg(0.2) * sg(-0.2)}},
			1e-8, "TF-Ranking PairwiseLogisticLoss docstring (0.79813887); derivatives by hand")
	}
	// Δ = 0: ln 2, −½, ½, ¼.
	checkElem(t, "bpr", [8]float64{}, []float64{1.5}, []float64{1.5}, nil,
		elemWant{L: []float64{math.Ln2}, GX: []float64{-0.5}, GY: []float64{0.5}, H: []float64{0.25}}, 1e-15,
		"hand derivation: −log σ(0)")
	// margin 0: Δ = −0.2 → 0.2, −1, +1; Δ = 2 → 0; margin 1, Δ = 0.5 → 0.5; Δ = m is the kink (0).
	checkElem(t, "pairwise_hinge", [8]float64{0}, []float64{0.6, 3}, []float64{0.8, 1}, nil,
		elemWant{L: []float64{0.2, 0}, GX: []float64{-1, 0}, GY: []float64{1, 0}, H: []float64{0, 0}}, 1e-15,
		"hand derivation: PyTorch margin_ranking_loss with y = 1, max(0, m − Δ)")
	checkElem(t, "pairwise_hinge", [8]float64{1}, []float64{1, 2}, []float64{0.5, 1}, nil,
		elemWant{L: []float64{0.5, 0}, GX: []float64{-1, 0}, GY: []float64{1, 0}}, 1e-15,
		"hand derivation: max(0, 1 − Δ)")
	// margin 1: d = 0.5 similar: 0.25, 1, 2; d = 0.5 dissimilar: 0.25, −1, 2; d = 2 dissimilar:
	// 0, 0, 0; d = 3 similar: 9, 6, 2.
	checkElem(t, "contrastive", [8]float64{1}, []float64{0.5, 0.5, 2, 3}, []float64{1, 0, 0, 1}, nil,
		elemWant{L: []float64{0.25, 0.25, 0, 9}, GX: []float64{1, -1, 0, 6}, H: []float64{2, 2, 0, 2}}, 1e-15,
		"hand derivation: TF-Addons contrastive_loss y·d² + (1−y)·max(0, m − d)²")
}

func TestRankingGradFD(t *testing.T) {
	pairs := func(m float64) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			x, y = randn(r, n, 2), randn(r, n, 2)
			elemAwayFrom(x, 1e-3, func(i int) float64 { return y[i] + m }) // the kink Δ = m
			return x, y, nil
		}
	}
	dist := func(m float64) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			x, y = elemUniform(r, n, 0.05, 3), make([]float64, n)
			for i := range y {
				y[i] = float64(r.IntN(2))
			}
			elemAwayFrom(x, 1e-3, func(int) float64 { return m })
			return x, y, nil
		}
	}
	runFD(t, 51, []fdCase{
		{"bpr", [8]float64{}, pairs(0), []int{0, 1}, 1e-6},
		{"pairwise_logistic", [8]float64{}, pairs(0), []int{0, 1}, 1e-6},
		{"pairwise_hinge", [8]float64{0}, pairs(0), []int{0, 1}, 1e-6},
		{"pairwise_hinge", [8]float64{1.5}, pairs(1.5), []int{0, 1}, 1e-6},
		{"contrastive", [8]float64{1}, dist(1), []int{0}, 1e-6},
		{"contrastive", [8]float64{2}, dist(2), []int{0}, 1e-6},
	})
}

func TestRankingExtremes(t *testing.T) {
	// Score differences of ±1e4: softplus and σ stay finite (no e^{1e4} is formed).
	x := []float64{1e4, -1e4, 100, -100}
	y := []float64{-1e4, 1e4, 0, 0}
	checkElemFinite(t, "bpr", [8]float64{}, x, y)
	checkElemFinite(t, "pairwise_logistic", [8]float64{}, x, y)
	checkElemFinite(t, "pairwise_hinge", [8]float64{1}, x, y)
	r := runElem(t, "bpr", [8]float64{}, []float64{-1e4}, []float64{1e4}, nil)
	eq(t, "bpr L(Δ = −2e4)", r.L[0], 2e4, 1e-15, "softplus(2e4) = 2e4")
	eq(t, "bpr dL/ds⁺(Δ = −2e4)", r.GX[0], -1, 0, "−σ(2e4) = −1")
}
