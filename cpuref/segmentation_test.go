package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// perRow runs kernel name on a (N×C float64 inputs) with Serial and returns the per-sample
// terms and the sums.
func perRow(t *testing.T, name string, a *Args[float64]) ([]float64, []float64) {
	t.Helper()
	b := *a
	b.PerSample = make([]float64, a.N)
	if b.Scale == 0 {
		b.Scale = 1
	}
	s, err := Run(name, &b, Serial)
	if err != nil {
		t.Fatal(err)
	}
	return b.PerSample, s
}

// The masks of the hand-derived cases: row 0 has p = [1, ½, 0, 0] against y = [1, 1, 0, 0],
// so I = 1.5, P = 1.5, T = 2, FP = Σp(1−y) = 0, FN = Σ(1−p)y = 0.5; row 1 is empty in both.
var (
	handP = []float64{1, 0.5, 0, 0, 0, 0, 0, 0}
	handY = []float64{1, 1, 0, 0, 0, 0, 0, 0}
)

func TestSegmentationByHand(t *testing.T) {
	const eps = 1e-7
	for _, c := range []struct {
		name string
		p    [8]float64
		want [2]float64
		src  string
	}{
		// Dice: 1 − (2·1.5 + ε)/(1.5 + 2 + ε); the empty row gives 1 − ε/ε = 0.
		{"dice", [8]float64{eps, 0}, [2]float64{1 - (3+eps)/(3.5+eps), 0}, "hand: 1 − (2I+ε)/(P+T+ε)"},
		{"dice", [8]float64{0, 0}, [2]float64{1.0 / 7, math.NaN()}, "hand: 1 − 3/3.5 = 1/7; ε = 0 makes the empty row 0/0"},
		// IoU: 1 − (1.5 + ε)/(1.5 + 2 − 1.5 + ε).
		{"iou", [8]float64{eps, 0}, [2]float64{1 - (1.5+eps)/(2+eps), 0}, "hand: 1 − (I+ε)/(P+T−I+ε)"},
		{"iou", [8]float64{0, 0}, [2]float64{0.25, math.NaN()}, "hand: 1 − 1.5/2"},
		// Tversky α = 0.3, β = 0.7: 1 − 1.5/(1.5 + 0.3·0 + 0.7·0.5) = 1 − 1.5/1.85 = 7/37.
		{"tversky", [8]float64{0.3, 0.7, 0, 0}, [2]float64{7.0 / 37, math.NaN()}, "hand: 0.35/1.85 = 7/37"},
		{"tversky", [8]float64{0.3, 0.7, eps, 0}, [2]float64{1 - (1.5+eps)/(1.85+eps), 0}, "hand"},
		// Focal Tversky γ = 0.75: (7/37)^0.75.
		{"focal_tversky", [8]float64{0.3, 0.7, 0, 0, 0.75}, [2]float64{math.Pow(7.0/37, 0.75), math.NaN()}, "hand: (7/37)^γ"},
		{"focal_tversky", [8]float64{0.3, 0.7, eps, 0, 2}, [2]float64{math.Pow(1-(1.5+eps)/(1.85+eps), 2), 0}, "hand"},
	} {
		a := &Args[float64]{N: 2, C: 4, X: handP, Y: handY, P: c.p}
		ps, sums := perRow(t, c.name, a)
		for i := range 2 {
			eq(t, c.name+" row", ps[i], c.want[i], 1e-15, c.src)
		}
		eq(t, c.name+" Σd", sums[1], 2, 0, "one per row")
	}
}

func TestSegmentationFromLogitsByHand(t *testing.T) {
	// Logits 0 give p = ½ everywhere: I = 1 (y = [1, 1, 0, 0]), P = 2, T = 2.
	// Dice = 1 − 2/4 = ½; IoU = 1 − 1/3 = 2/3; Tversky(α = β = ½) = 1 − 1/(1 + ½ + ½) = ½.
	x := []float64{0, 0, 0, 0}
	y := []float64{1, 1, 0, 0}
	for _, c := range []struct {
		name string
		p    [8]float64
		want float64
	}{
		{"dice", [8]float64{0, 1}, 0.5},
		{"iou", [8]float64{0, 1}, 2.0 / 3},
		{"tversky", [8]float64{0.5, 0.5, 0, 1}, 0.5},
	} {
		ps, _ := perRow(t, c.name, &Args[float64]{N: 1, C: 4, X: x, Y: y, P: c.p})
		eq(t, c.name+"(σ(0))", ps[0], c.want, 1e-15, "hand, p = σ(0) = ½")
	}
	// Very negative logits against an empty mask: p ≈ 0 everywhere, so Dice ≈ 0.
	ps, _ := perRow(t, "dice", &Args[float64]{N: 1, C: 4, X: []float64{-200, -200, -200, -200}, Y: make([]float64, 4), P: [8]float64{1e-7, 1}})
	eq(t, "dice(empty, x = −200)", ps[0], 0, 1e-12, "hand: P = 4σ(−200) ≈ 0, so 1 − ε/(P+ε) ≈ 0")
}

func TestBCEDiceByHand(t *testing.T) {
	// x = [0, 0], y = [1, 0]: BCEWithLogits is log 2 for both pixels; σ(0) = ½ gives
	// I = ½, P = 1, T = 1 and Dice = 1 − (1 + ε)/(2 + ε).
	const eps = 1e-7
	a := &Args[float64]{N: 1, C: 2, X: []float64{0, 0}, Y: []float64{1, 0}, P: [8]float64{0.3, 2, eps}}
	ps, _ := perRow(t, "bce_dice", a)
	eq(t, "bce_dice", ps[0], 0.3*math.Ln2+2*(1-(1+eps)/(2+eps)), 1e-15, "hand: 0.3·log 2 + 2·Dice")
	// A large logit: BCE(100, 1) = log(1 + e^{−100}) ≈ e^{−100}, BCE(−100, 0) likewise; Dice ≈ 0.
	a = &Args[float64]{N: 1, C: 2, X: []float64{100, -100}, Y: []float64{1, 0}, P: [8]float64{1, 1, eps}}
	ps, _ = perRow(t, "bce_dice", a)
	eq(t, "bce_dice(±100)", ps[0], 0, 1e-12, "hand: saturated logits give ≈ 0")
}

func TestTverskyHalfIsDice(t *testing.T) {
	// With α = β = ½, den = I + ½(P−I) + ½(T−I) + ε = ½(P+T) + ε, so
	// Tversky(ε) = 1 − (I+ε)/(½(P+T)+ε) = 1 − (2I+2ε)/(P+T+2ε) = Dice(2ε): Dice "up to ε".
	r := rand.New(rand.NewPCG(5, 6))
	const n, c = 4, 7
	x := randn(r, n*c, 3)
	y := make([]float64, n*c)
	for i := range y {
		y[i] = r.Float64()
	}
	for _, logits := range []float64{0, 1} {
		xx := x
		if logits == 0 {
			xx = make([]float64, len(x))
			for i, v := range x {
				xx[i] = sigmoid(v)
			}
		}
		for _, eps := range []float64{1e-7, 0.5} {
			tv, _ := perRow(t, "tversky", &Args[float64]{N: n, C: c, X: xx, Y: y, P: [8]float64{0.5, 0.5, eps, logits}})
			dc, _ := perRow(t, "dice", &Args[float64]{N: n, C: c, X: xx, Y: y, P: [8]float64{2 * eps, logits}})
			for i := range n {
				eq(t, "tversky(½, ½, ε)", tv[i], dc[i], 1e-14, "dice(2ε), by the identity above")
			}
		}
	}
}

// segArgs draws n×c inputs: logits N(0, 2²) or probabilities in (0.02, 0.98), soft masks
// with some exact 0s and 1s, and sample weights.
func segArgs(r *rand.Rand, n, c int, logits bool, p [8]float64) *Args[float64] {
	x := randn(r, n*c, 2)
	if !logits {
		for i := range x {
			x[i] = 0.02 + 0.96*r.Float64()
		}
	}
	y := make([]float64, n*c)
	for i := range y {
		switch r.IntN(4) {
		case 0:
			y[i] = 0
		case 1:
			y[i] = 1
		default:
			y[i] = r.Float64()
		}
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.1 + 1.9*r.Float64()
	}
	return &Args[float64]{N: n, C: c, X: x, Y: y, Weight: w, P: p, Scale: 1}
}

func TestSegmentationGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		name string
		p    [8]float64
		fl   int // index of from_logits in P, or −1
	}{
		{"dice", [8]float64{1e-7, 1}, 1},
		{"dice", [8]float64{0.5, 0}, 1},
		{"iou", [8]float64{1e-7, 1}, 1},
		{"iou", [8]float64{0.5, 0}, 1},
		{"tversky", [8]float64{0.3, 0.7, 1e-7, 1}, 3},
		{"tversky", [8]float64{1.5, 0.2, 0.1, 0}, 3},
		{"focal_tversky", [8]float64{0.3, 0.7, 1e-7, 1, 0.75}, 3},
		{"focal_tversky", [8]float64{0.5, 0.5, 1e-3, 0, 2.5}, 3},
		{"bce_dice", [8]float64{1, 1, 1e-7}, -1},
		{"bce_dice", [8]float64{0.3, 2, 1}, -1},
	} {
		logits := c.fl < 0 || c.p[c.fl] != 0
		a := segArgs(r, 3, 6, logits, c.p)
		checkFD(t, c.name, a, []int{0}, false, 1e-6)
	}
}

func TestFocalTverskyPerfectRow(t *testing.T) {
	// Probabilities equal to a binary mask: FP = FN = 0, so t = 0 and L = 0. For γ < 1 the
	// factor γ·t^(γ−1) is infinite; the kernel's documented subgradient is 0.
	a := &Args[float64]{N: 1, C: 3, X: []float64{1, 0, 1}, Y: []float64{1, 0, 1}, P: [8]float64{0.3, 0.7, 1e-7, 0, 0.75}, Scale: 1}
	a.GX = make([]float64, 3)
	a.PerSample = make([]float64, 1)
	if _, err := Run("focal_tversky", a, Serial); err != nil {
		t.Fatal(err)
	}
	eq(t, "focal_tversky(perfect)", a.PerSample[0], 0, 0, "hand: t = 0")
	for _, g := range a.GX {
		eq(t, "focal_tversky(perfect) grad", g, 0, 0, "documented subgradient at t = 0")
	}
}
