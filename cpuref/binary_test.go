package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBinaryByHand(t *testing.T) {
	ln := math.Log
	sg := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }  // σ, textbook form (moderate x only)
	sp := func(x float64) float64 { return math.Log1p(math.Exp(x)) } // softplus, textbook form
	cases := []struct {
		name   string
		p      [8]float64
		x, y   []float64
		w      elemWant
		source string
	}{
		// p = 0.8, y = 1: −ln 0.8, −0.2/0.16, 1/0.64; p = 0.25, y = 0: −ln 0.75, 0.25/0.1875,
		// 1/0.5625; p = y = 0.5: ln 2, 0, 0.5/0.25 + 0.5/0.25.
		{"bce", [8]float64{}, []float64{0.8, 0.25, 0.5}, []float64{1, 0, 0.5},
			elemWant{L: []float64{-ln(0.8), -ln(0.75), ln(2)}, GX: []float64{-1.25, 4.0 / 3, 0}, H: []float64{1.5625, 16.0 / 9, 4}},
			"hand derivation from PyTorch's binary_cross_entropy formula"},
		// The clamps: log 0 → −100, so p = 0, y = 1 and p = 1, y = 0 give 100; the backward
		// denominators p(1−p) and p², (1−p)² are floored at 1e-12 (PyTorch's EPSILON).
		{"bce", [8]float64{}, []float64{0, 1, 0, 1}, []float64{1, 0, 0, 1},
			elemWant{L: []float64{100, 100, 0, 0}, GX: []float64{-1e12, 1e12, 0, 0}, H: []float64{1e12, 1e12, 1, 1}},
			"PyTorch binary_cross_entropy: log terms clamped at −100, backward denominator max(·, 1e-12)"},
		// PyTorch BCEWithLogitsLoss doc example: output 1.5, target 1, pos_weight 1 → 0.2014
		// (= −log σ(1.5) = 0.20141327).
		{"bce_with_logits", [8]float64{1}, []float64{1.5}, []float64{1},
			elemWant{L: []float64{0.20141327}}, "PyTorch BCEWithLogitsLoss doc example (0.2014), 8 digits by hand"},
		// x = 0, y = 0.3: (0.7 + 0.3)·ln 2, 0.7·½ − 0.3·½, ¼; x = 2, y = 0: softplus(2), σ(2), σ(2)σ(−2).
		{"bce_with_logits", [8]float64{1}, []float64{0, 2}, []float64{0.3, 0},
			elemWant{L: []float64{ln(2), sp(2)}, GX: []float64{0.2, sg(2)}, H: []float64{0.25, sg(2) * sg(-2)}},
			"hand derivation: (1−y)x − log σ(x)"},
		// pos_weight 3, x = 0: y = 1: 3 ln 2, −3·½, 3·¼; y = 0.5: ½ln 2 + 1.5 ln 2, ¼ − ¾, 2·¼.
		{"bce_with_logits", [8]float64{3}, []float64{0, 0}, []float64{1, 0.5},
			elemWant{L: []float64{3 * ln(2), 2 * ln(2)}, GX: []float64{-1.5, -0.5}, H: []float64{0.75, 0.5}},
			"hand derivation: (1−y)x − (1 + (pw−1)y)·log σ(x)"},
		// γ = 2, α = 0.25, x = 0, y = 1: q = ½, ce = ln 2: L = ¼·¼·ln 2; differentiating
		// α·σ(−x)²·softplus(−x) twice at 0 gives −(ln 2 + ½)/16 and (ln 2/2 + 5/4)/16.
		// x = 2, y = 0: α_t = 0.75, q = σ(2), ce = softplus(2).
		{"focal", [8]float64{2, 0.25}, []float64{0, 2}, []float64{1, 0},
			elemWant{L: []float64{ln(2) / 16, 0.75 * sg(2) * sg(2) * sp(2)}, GX: []float64{-(ln(2) + 0.5) / 16},
				H: []float64{(ln(2)/2 + 1.25) / 16}},
			"hand derivation from torchvision sigmoid_focal_loss: α_t(1−p_t)^γ·ce"},
		// α < 0 disables α_t; γ = 1, x = ln 3, y = 1: q = σ(−ln 3) = ¼, ce = ln(4/3).
		{"focal", [8]float64{1, -1}, []float64{ln(3)}, []float64{1},
			elemWant{L: []float64{0.25 * ln(4.0/3)}}, "hand derivation: (1−p_t)·ce, σ(ln 3) = ¾"},
		// soft target y = 0.5, γ = 2, α = 0.25, x = 0: q = ½, α_t = ½, ce = ln 2.
		{"focal", [8]float64{2, 0.25}, []float64{0}, []float64{0.5},
			elemWant{L: []float64{0.5 * 0.25 * ln(2)}, GX: []float64{0}}, "hand derivation: q = ½(σ(x) + σ(−x)) = ½"},
		// margin 1: f = 0.5, y = 1 → 0.5, −1; f = 2, y = 1 → 0, 0; f = 0.5, y = −1 → 1.5, +1;
		// f = 1, y = 1 sits on the kink: 0 with gradient 0.
		{"hinge", [8]float64{1}, []float64{0.5, 2, 0.5, 1}, []float64{1, 1, -1, 1},
			elemWant{L: []float64{0.5, 0, 1.5, 0}, GX: []float64{-1, 0, 1, 0}, H: []float64{0, 0, 0, 0}},
			"hand derivation: max(0, m − y·f)"},
		{"hinge", [8]float64{2}, []float64{1}, []float64{1}, elemWant{L: []float64{1}, GX: []float64{-1}}, "hand: max(0, 2 − 1)"},
		// f = 0.5, y = 1: 0.25, −1, 2; f = −1, y = −1 is on the margin: 0, 0, 0; f = 0.5, y = −1:
		// 2.25, 3, 2.
		{"squared_hinge", [8]float64{1}, []float64{0.5, -1, 0.5}, []float64{1, -1, -1},
			elemWant{L: []float64{0.25, 0, 2.25}, GX: []float64{-1, 0, 3}, H: []float64{2, 0, 2}},
			"hand derivation: max(0, m − y·f)²"},
		// f = 0: ln 2, −y/2, ¼; f = ln 3, y = 1: ln(4/3), −¼, 3/16.
		{"soft_margin", [8]float64{}, []float64{0, 0, ln(3)}, []float64{1, -1, 1},
			elemWant{L: []float64{ln(2), ln(2), ln(4.0 / 3)}, GX: []float64{-0.5, 0.5, -0.25}, H: []float64{0.25, 0.25, 3.0 / 16}},
			"hand derivation: log(1 + e^{−y·f}) with σ(ln 3) = ¾"},
	}
	for _, c := range cases {
		checkElem(t, c.name, c.p, c.x, c.y, nil, c.w, 1e-8, c.source)
	}
}

func TestBCEWithLogitsPosWeightColumns(t *testing.T) {
	// ClassWeight is a per-column pos_weight multiplied with P[0]: with P[0] = 3 and columns
	// (2, 0.5), the effective pos_weights are 6 and 1.5. At x = 0, y = 1: pw·ln 2, −pw/2, pw/4.
	a := &Args[float64]{N: 2, C: 2, X: []float64{0, 0, 0, 0}, Y: []float64{1, 1, 1, 0}, ClassWeight: []float64{2, 0.5},
		P: [8]float64{3}, Scale: 1, PerSample: make([]float64, 4), GX: make([]float64, 4), Hess: make([]float64, 4)}
	if _, err := Run("bce_with_logits", a, Serial); err != nil {
		t.Fatal(err)
	}
	ln2 := math.Ln2
	src := "hand derivation: pos_weight = P[0]·ClassWeight[column]"
	for i, w := range []elemWant{
		{L: []float64{6 * ln2}, GX: []float64{-3}, H: []float64{1.5}},
		{L: []float64{1.5 * ln2}, GX: []float64{-0.75}, H: []float64{0.375}},
		{L: []float64{6 * ln2}, GX: []float64{-3}, H: []float64{1.5}},
		{L: []float64{ln2}, GX: []float64{0.5}, H: []float64{0.25}}, // y = 0: pos_weight unused
	} {
		eq(t, "L["+elemItoa(i)+"]", a.PerSample[i], w.L[0], 1e-14, src)
		eq(t, "dL/dx["+elemItoa(i)+"]", a.GX[i], w.GX[0], 1e-14, src)
		eq(t, "d2L/dx2["+elemItoa(i)+"]", a.Hess[i], w.H[0], 1e-14, src)
	}
}

func TestFocalReducesToBCEWithLogits(t *testing.T) {
	// torchvision: γ = 0 and α < 0 leave plain BCE with logits; γ = 0 with α weights it by α_t.
	r := rand.New(rand.NewPCG(21, 22))
	x := randn(r, 40, 3)
	y := elemUniform(r, 40, 0, 1)
	y[0], y[1] = 0, 1
	b := runElem(t, "bce_with_logits", [8]float64{1}, x, y, nil)
	f := runElem(t, "focal", [8]float64{0, -1}, x, y, nil)
	fa := runElem(t, "focal", [8]float64{0, 0.3}, x, y, nil)
	for i := range x {
		eq(t, "focal(γ=0, α<0) L", f.L[i], b.L[i], 1e-13, "torchvision: (1−p_t)^0 = 1, no α_t")
		eq(t, "focal(γ=0, α<0) dL/dx", f.GX[i], b.GX[i], 1e-13, "torchvision: (1−p_t)^0 = 1, no α_t")
		eq(t, "focal(γ=0, α<0) d2L/dx2", f.H[i], b.H[i], 1e-13, "torchvision: (1−p_t)^0 = 1, no α_t")
		at := 0.3*y[i] + 0.7*(1-y[i])
		eq(t, "focal(γ=0, α=0.3) L", fa.L[i], at*b.L[i], 1e-13, "torchvision: α_t·ce")
		eq(t, "focal(γ=0, α=0.3) dL/dx", fa.GX[i], at*b.GX[i], 1e-13, "torchvision: α_t·ce")
	}
	// Against the textbook (1 − p_t)^γ·ce at moderate logits, where it is accurate.
	for _, g := range []float64{0.5, 1, 2, 3.5} {
		fg := runElem(t, "focal", [8]float64{g, 0.25}, x, y, nil)
		for i := range x {
			p := 1 / (1 + math.Exp(-x[i]))
			pt := p*y[i] + (1-p)*(1-y[i])
			ce := -(y[i]*math.Log(p) + (1-y[i])*math.Log(1-p))
			at := 0.25*y[i] + 0.75*(1-y[i])
			eq(t, "focal L", fg.L[i], at*math.Pow(1-pt, g)*ce, 1e-9, "torchvision sigmoid_focal_loss, textbook form")
		}
	}
}

func TestBinaryGradFD(t *testing.T) {
	probs := func(r *rand.Rand, n int) (x, y, z []float64) {
		y = elemUniform(r, n, 0, 1)
		y[0], y[1] = 0, 1
		return elemUniform(r, n, 0.02, 0.98), y, nil
	}
	logits := func(r *rand.Rand, n int) (x, y, z []float64) {
		y = elemUniform(r, n, 0, 1)
		y[0], y[1], y[2], y[3] = 0, 1, 0, 1
		return randn(r, n, 3), y, nil
	}
	signs := func(m float64) func(r *rand.Rand, n int) (x, y, z []float64) {
		return func(r *rand.Rand, n int) (x, y, z []float64) {
			x, y = randn(r, n, 2), make([]float64, n)
			for i := range y {
				y[i] = float64(2*r.IntN(2) - 1)
			}
			elemAwayFrom(x, 1e-3, func(i int) float64 { return m * y[i] }) // the kink y·f = m
			return x, y, nil
		}
	}
	runFD(t, 31, []fdCase{
		{"bce", [8]float64{}, probs, []int{0}, 1e-5},
		{"bce_with_logits", [8]float64{1}, logits, []int{0}, 1e-6},
		{"bce_with_logits", [8]float64{2.5}, logits, []int{0}, 1e-6},
		{"bce_with_logits", [8]float64{0}, logits, []int{0}, 1e-6},
		{"focal", [8]float64{2, 0.25}, logits, []int{0}, 1e-6},
		{"focal", [8]float64{0.5, 0.25}, logits, []int{0}, 1e-6},
		{"focal", [8]float64{0, -1}, logits, []int{0}, 1e-6},
		{"focal", [8]float64{1.5, -1}, logits, []int{0}, 1e-6},
		{"focal", [8]float64{5, 0.9}, logits, []int{0}, 1e-6},
		{"hinge", [8]float64{1}, signs(1), []int{0}, 1e-6},
		{"hinge", [8]float64{-0.5}, signs(-0.5), []int{0}, 1e-6},
		{"squared_hinge", [8]float64{1}, signs(1), []int{0}, 1e-6},
		{"squared_hinge", [8]float64{2}, signs(2), []int{0}, 1e-6},
		{"soft_margin", [8]float64{}, signs(0), []int{0}, 1e-6},
	})
	// Per-column pos_weight with per-element sample weights.
	r := rand.New(rand.NewPCG(32, 33))
	x, y, _ := logits(r, 12)
	a := &Args[float64]{N: 4, C: 3, X: x, Y: y, ClassWeight: []float64{0.5, 1, 4}, Weight: elemUniform(r, 12, 0.1, 2),
		P: [8]float64{1.5}, Scale: 1}
	checkFD(t, "bce_with_logits", a, []int{0}, true, 1e-6)
}

func TestBinaryExtremeLogits(t *testing.T) {
	// SPEC §1 and §4: logits of ±1e4 and ±100 in BCE with logits and focal (γ = 0.5 too, and
	// γ = 0) give a finite loss, gradient and Hessian, for hard and soft targets.
	xs := []float64{1e4, -1e4, 100, -100, 30, -30}
	for _, y := range []float64{0, 1, 0.3, 1e-9, 1 - 1e-9} {
		ys := []float64{y, y, y, y, y, y}
		checkElemFinite(t, "bce_with_logits", [8]float64{1}, xs, ys)
		checkElemFinite(t, "bce_with_logits", [8]float64{10}, xs, ys)
		for _, p := range [][8]float64{{2, 0.25}, {0.5, 0.25}, {0, 0.25}, {0.5, -1}, {0.1, -1}, {4, 0.75}} {
			checkElemFinite(t, "focal", p, xs, ys)
		}
		checkElemFinite(t, "soft_margin", [8]float64{}, xs, []float64{1, 1, -1, -1, 1, -1})
	}
	// Values at the extremes (hand derivation, exact in float64):
	// a confident wrong logit costs |x|·α_t with gradient ±α_t; a confident right one costs 0.
	r := runElem(t, "focal", [8]float64{2, 0.25}, []float64{-1e4, 1e4, 1e4, -1e4}, []float64{1, 0, 1, 0}, nil)
	src := "hand derivation: q = 1, ce = |x| for a wrong logit; q = ce = 0 for a right one"
	for i, w := range []struct{ l, g float64 }{{2500, -0.25}, {7500, 0.75}, {0, 0}, {0, 0}} {
		eq(t, "focal L at |x| = 1e4", r.L[i], w.l, 1e-15, src)
		eq(t, "focal dL/dx at |x| = 1e4", r.GX[i], w.g, 1e-15, src)
		eq(t, "focal d2L/dx2 at |x| = 1e4", r.H[i], 0, 1e-300, src)
	}
	// γ = 0.5, x = 100, y = 1: L = ¼·σ(−100)^½·softplus(−100) ≈ ¼·e^{−150}, ∂L/∂x ≈ −¼·1.5·e^{−150}
	// (differentiating ¼·e^{−x/2}·e^{−x}), ∂²L/∂x² ≈ ¼·2.25·e^{−150}.
	r = runElem(t, "focal", [8]float64{0.5, 0.25}, []float64{100}, []float64{1}, nil)
	e150 := math.Exp(-150)
	src = "hand derivation: σ(−100) = e^{−100}(1 − O(e^{−100})), softplus(−100) likewise"
	eq(t, "focal(γ=0.5) L at x = 100", r.L[0], 0.25*e150, 1e-12, src)
	eq(t, "focal(γ=0.5) dL/dx at x = 100", r.GX[0], -0.25*1.5*e150, 1e-12, src)
	eq(t, "focal(γ=0.5) d2L/dx2 at x = 100", r.H[0], 0.25*2.25*e150, 1e-12, src)
	b := runElem(t, "bce_with_logits", [8]float64{1}, []float64{1e4, -1e4, -1e4}, []float64{0, 1, 0}, nil)
	eq(t, "bce_with_logits L(1e4, 0)", b.L[0], 1e4, 1e-15, "max(x,0) − x·y + log1p(e^{−|x|}) = 1e4")
	eq(t, "bce_with_logits L(−1e4, 1)", b.L[1], 1e4, 1e-15, "max(x,0) − x·y + log1p(e^{−|x|}) = 1e4")
	eq(t, "bce_with_logits L(−1e4, 0)", b.L[2], 0, 0, "max(x,0) − x·y + log1p(e^{−|x|}) = 0")
	eq(t, "bce_with_logits dL/dx(−1e4, 1)", b.GX[1], -1, 0, "σ(x) − y")
	// BCE on probabilities at the ends: finite by PyTorch's clamps.
	checkElemFinite(t, "bce", [8]float64{}, []float64{0, 1, 0, 1, 1e-300, 1 - 1e-16}, []float64{0, 0, 1, 1, 0.5, 0.5})
}
