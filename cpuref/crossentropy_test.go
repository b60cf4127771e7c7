package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// run runs kernel name on a with Serial and fails the test on error.
func run(t *testing.T, name string, a *Args[float64]) []float64 {
	t.Helper()
	s, err := Run(name, a, Serial)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// relEq fails the test unless got equals a non-zero want within a relative tolerance only
// (eq's absolute part would accept anything for values near 0).
func relEq(t *testing.T, what string, got, want, rel float64, source string) {
	t.Helper()
	if !(math.Abs(got-want) <= rel*math.Abs(want)) {
		t.Errorf("%s = %v, want %v within relative %g (%s)", what, got, want, rel, source)
	}
}

// softmaxNaive is softmax written the textbook way, for inputs small enough not to overflow.
func softmaxNaive(x []float64) []float64 {
	var s float64
	for _, v := range x {
		s += math.Exp(v)
	}
	p := make([]float64, len(x))
	for j, v := range x {
		p[j] = math.Exp(v) / s
	}
	return p
}

// atenCE is ATen's cross_entropy_loss_label_smoothing transcribed term by term (log_softmax,
// nll_loss with weights and ignore_index, the masked smoothing sum −Σ_c w_c·log p_c, both
// divided by Σ w_{y_i} for the Mean), on rows small enough for a naive log_softmax.
func atenCE(x [][]float64, y []int32, w []float64, ignore int32, eps float64) (mean, sum float64) {
	c := len(x[0])
	wt := func(j int) float64 {
		if w == nil {
			return 1
		}
		return w[j]
	}
	var nll, smooth, wsum float64
	for i, row := range x {
		if y[i] == ignore {
			continue
		}
		p := softmaxNaive(row)
		nll += -wt(int(y[i])) * math.Log(p[y[i]])
		for j := range row {
			smooth += -wt(j) * math.Log(p[j])
		}
		wsum += wt(int(y[i]))
	}
	return (1-eps)*nll/wsum + eps/float64(c)*smooth/wsum, (1-eps)*nll + eps/float64(c)*smooth
}

func flat(rows [][]float64) []float64 {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return v
}

func TestCrossEntropyByHand(t *testing.T) {
	// x = [1, 2, 3]: lse = log(e + e² + e³); −log p_2 = log(1 + e^{−1} + e^{−2}) =
	// 0.4076059644443804 and −log p_0 = 2 + that (hand derivation, Python math).
	for _, tc := range []struct {
		y    int32
		want float64
	}{{2, 0.4076059644443804}, {0, 2.4076059644443804}} {
		x := []float64{1, 2, 3}
		g := make([]float64, 3)
		a := &Args[float64]{N: 1, C: 3, X: x, Labels: []int32{tc.y}, Ignore: -100, Scale: 1, GX: g}
		s := run(t, "cross_entropy", a)
		eq(t, fmt.Sprintf("cross_entropy(y=%d)", tc.y), s[0], tc.want, 1e-15, "hand derivation")
		eq(t, "cross_entropy denominator", s[1], 1, 0, "one row, no weights")
		// ∂L/∂x = softmax(x) − onehot(y) (hand derivation).
		p := softmaxNaive(x)
		p[tc.y]--
		for j := range g {
			eq(t, fmt.Sprintf("grad[%d] (y=%d)", j, tc.y), g[j], p[j], 1e-15, "softmax − onehot")
		}
	}
}

func TestCrossEntropyWeightsIgnoreSmoothing(t *testing.T) {
	// PyTorch once crashed on class weights × ignore_index × label_smoothing. Expected values:
	// ATen's formula evaluated with Python's math module (mean 0.8202156650178213, sum
	// 1.1483019310249496, Σ w_y = 0.5 + 0.2 + 0.7 = 1.4), and atenCE transcribing it.
	x := [][]float64{{1, 2, 3}, {0.5, -1, 2}, {3, 0, -2}, {0, 0, 0}}
	y := []int32{2, -100, 0, 1}
	w := []float64{0.2, 0.7, 0.5}
	a := &Args[float64]{N: 4, C: 3, X: flat(x), Labels: y, ClassWeight: w, Ignore: -100, P: [8]float64{0.1}, Scale: 1}
	s := run(t, "cross_entropy", a)
	eq(t, "sum", s[0], 1.1483019310249496, 1e-14, "ATen formula in Python")
	eq(t, "Σd", s[1], 1.4, 1e-15, "Σ w_y over non-ignored rows")
	eq(t, "mean", s[0]/s[1], 0.8202156650178213, 1e-14, "ATen formula in Python")
	eq(t, "DenomSum", DenomSum(a, DenomLabel, Rowwise, Serial), s[1], 0, "the row function's Σd")

	// Random rows against the transcription, every option combination.
	r := rand.New(rand.NewPCG(11, 12))
	for _, eps := range []float64{0, 0.1, 0.7} {
		for _, cws := range [][]float64{nil, {0.5, 2, 1, 0.3, 1.7}} {
			n, c := 7, 5
			xs := make([][]float64, n)
			ys := make([]int32, n)
			for i := range xs {
				xs[i] = randn(r, c, 2)
				ys[i] = int32(r.IntN(c))
			}
			ys[2], ys[5] = 9, 9
			a := &Args[float64]{N: n, C: c, X: flat(xs), Labels: ys, ClassWeight: cws, Ignore: 9, P: [8]float64{eps}, Scale: 1}
			s := run(t, "cross_entropy", a)
			mean, sum := atenCE(xs, ys, cws, 9, eps)
			what := fmt.Sprintf("eps=%g cw=%v", eps, cws != nil)
			eq(t, what+" sum", s[0], sum, 1e-13, "ATen transcription")
			eq(t, what+" mean", s[0]/s[1], mean, 1e-13, "ATen transcription")
		}
	}
}

func TestCrossEntropyZLoss(t *testing.T) {
	// L = w_y·((lse − x_y) + s·lse²): x = [1, 2, 3], y = 0, w_0 = 2, s = 0.01 (hand derivation).
	x := []float64{1, 2, 3}
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	a := &Args[float64]{N: 1, C: 3, X: x, Labels: []int32{0}, Ignore: -100, ClassWeight: []float64{2, 1, 1}, P: [8]float64{0, 0.01}, Scale: 1}
	s := run(t, "cross_entropy", a)
	eq(t, "z-loss", s[0], 2*((lse-1)+0.01*lse*lse), 1e-14, "hand derivation")
}

func TestCrossEntropyGradFDCombos(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, c := 6, 4
	for _, eps := range []float64{0, 0.1, 0.4} {
		for _, zs := range []float64{0, 1e-2} {
			for _, cws := range [][]float64{nil, {0.5, 2, 1, 0.3}} {
				for _, sw := range [][]float64{nil, {1, 0.5, 2, 0, 3, 0.7}} {
					for _, ign := range []bool{false, true} {
						y := []int32{0, 3, 2, 2, 1, 0}
						if ign {
							y[1], y[4] = -1, -1
						}
						a := &Args[float64]{N: n, C: c, X: randn(r, n*c, 2), Labels: y, Ignore: -1,
							ClassWeight: cws, Weight: sw, P: [8]float64{eps, zs}, Scale: 1}
						checkFD(t, "cross_entropy", a, []int{0}, false, 1e-6)
					}
				}
			}
		}
	}
}

func TestCrossEntropyScaleAndSampleWeights(t *testing.T) {
	// GX = Scale·s_i·∂L_i/∂x and PerSample = s_i·L_i (the driver's contract).
	r := rand.New(rand.NewPCG(7, 8))
	x := randn(r, 8, 2)
	y := []int32{1, 3}
	one := &Args[float64]{N: 2, C: 4, X: x, Labels: y, Ignore: -100, P: [8]float64{0.2}, Scale: 1,
		GX: make([]float64, 8), PerSample: make([]float64, 2)}
	run(t, "cross_entropy", one)
	sw := &Args[float64]{N: 2, C: 4, X: x, Labels: y, Ignore: -100, P: [8]float64{0.2}, Scale: 0.25,
		Weight: []float64{2, 0.5}, GX: make([]float64, 8), PerSample: make([]float64, 2)}
	s := run(t, "cross_entropy", sw)
	for i := range 8 {
		eq(t, fmt.Sprintf("GX[%d]", i), sw.GX[i], 0.25*sw.Weight[i/4]*one.GX[i], 1e-15, "Scale·s_i·∂L_i")
	}
	eq(t, "PerSample[1]", sw.PerSample[1], 0.5*one.PerSample[1], 1e-15, "s_i·L_i")
	eq(t, "Σd", s[1], 2.5, 0, "Σ s_i")
}

func TestCrossEntropyAllIgnored(t *testing.T) {
	// SPEC §4: every row ignored gives Σ s·L = 0, Σd = 0, a zero gradient (0 scale) and
	// per-sample 0, whatever was in the output buffers.
	x := []float64{1, 2, 3, 4, -5, 6}
	g := []float64{math.NaN(), 7, 7, 7, 7, 7}
	ps := []float64{math.NaN(), 7}
	for _, name := range []string{"cross_entropy", "nll"} {
		a := &Args[float64]{N: 2, C: 3, X: x, Labels: []int32{-100, -100}, Ignore: -100, P: [8]float64{0.1, 0.01},
			ClassWeight: []float64{1, 2, 3}, Weight: []float64{1, 2}, GX: g, PerSample: ps}
		a.Scale = MeanScale(1, DenomSum(a, DenomLabel, Rowwise, Serial))
		eq(t, name+" Mean scale", a.Scale, 0, 0, "Σd = 0")
		s := run(t, name, a)
		eq(t, name+" Σ s·L", s[0], 0, 0, "all ignored")
		eq(t, name+" Σd", s[1], 0, 0, "all ignored")
		for i, v := range g {
			eq(t, fmt.Sprintf("%s GX[%d]", name, i), v, 0, 0, "ignored rows get a zero gradient")
		}
		for i, v := range ps {
			eq(t, fmt.Sprintf("%s PerSample[%d]", name, i), v, 0, 0, "ignored rows give 0")
		}
	}
}

func TestCrossEntropyOneClass(t *testing.T) {
	// SPEC §4, C = 1: p = 1, so L = 0 and ∂L = 0 without z-loss; with z-loss s: L = s·x²,
	// ∂L/∂x = 2s·x (lse = x), and smoothing changes nothing (hand derivation).
	x := []float64{3, -2}
	g := make([]float64, 2)
	a := &Args[float64]{N: 2, C: 1, X: x, Labels: []int32{0, 0}, Ignore: -100, P: [8]float64{0.3}, Scale: 1, GX: g}
	s := run(t, "cross_entropy", a)
	eq(t, "C=1 loss", s[0], 0, 0, "p = 1")
	eq(t, "C=1 grad[0]", g[0], 0, 0, "p − 1 = 0")
	a.P[1] = 0.5
	s = run(t, "cross_entropy", a)
	eq(t, "C=1 z-loss", s[0], 0.5*9+0.5*4, 1e-15, "s·x²")
	eq(t, "C=1 z-loss grad[0]", g[0], 2*0.5*3, 1e-15, "2s·x")
	eq(t, "C=1 z-loss grad[1]", g[1], 2*0.5*-2, 1e-15, "2s·x")
}

func TestCrossEntropyExtremeLogits(t *testing.T) {
	// SPEC §4: logits ±1e4 and ±100 give finite losses and gradients (hand derivation:
	// e^{−1e4} underflows to 0 and e^{−200} ≈ 1.4e−87 changes nothing at double precision).
	cases := []struct {
		x     []float64
		y     int32
		p     [8]float64
		loss  float64
		grads []float64
	}{
		{[]float64{1e4, -1e4, 0}, 1, [8]float64{}, 2e4, []float64{1, -1, 0}},
		{[]float64{1e4, -1e4, 0}, 0, [8]float64{}, 0, []float64{0, 0, 0}},
		{[]float64{-1e4, 1e4, 1e4}, 0, [8]float64{}, 2e4 + math.Ln2, []float64{-1, 0.5, 0.5}},
		{[]float64{100, -100}, 1, [8]float64{}, 200, []float64{1, -1}},
		{[]float64{100, -100}, 0, [8]float64{}, 0, []float64{0, 0}},
		// ε = 0.1, s = 1e-4, y = 1: lse = 1e4; L = 0.9·2e4 + 1e-4·1e8 + (0.1/3)·(0 + 2e4 + 1e4)
		// = 29000; ∂L = 0.9(p − e_y) + 2s·lse·p + (ε/C)(C·p − 1) with p = (1, 0, 0).
		{[]float64{1e4, -1e4, 0}, 1, [8]float64{0.1, 1e-4}, 29000,
			[]float64{0.9 + 2 + 0.2/3, -0.9 - 0.1/3, -0.1 / 3}},
	}
	for i, tc := range cases {
		g := make([]float64, len(tc.x))
		a := &Args[float64]{N: 1, C: len(tc.x), X: tc.x, Labels: []int32{tc.y}, Ignore: -100, P: tc.p, Scale: 1, GX: g}
		s := run(t, "cross_entropy", a)
		eq(t, fmt.Sprintf("case %d loss", i), s[0], tc.loss, 1e-14, "hand derivation")
		for j := range g {
			eq(t, fmt.Sprintf("case %d grad[%d]", i, j), g[j], tc.grads[j], 1e-14, "hand derivation")
		}
	}
}

func TestCrossEntropyNegInfLogit(t *testing.T) {
	// SPEC §4: −Inf in a non-target class. x = (−Inf, 1, 2), y = 2: L = log(1 + e^{−1}) =
	// 0.31326168751822286, ∂L = (0, σ(−1), −σ(−1)) with σ(−1) = 0.2689414213699951
	// (hand derivation, Python math). With smoothing the loss is +Inf, as in PyTorch, and the
	// gradient stays finite: ∂L_0 = (ε/C)·(C·p_0 − 1) = −ε/C.
	x := []float64{math.Inf(-1), 1, 2}
	g := make([]float64, 3)
	for _, cws := range [][]float64{nil, {1, 1, 1}} {
		a := &Args[float64]{N: 1, C: 3, X: x, Labels: []int32{2}, Ignore: -100, ClassWeight: cws, Scale: 1, GX: g}
		s := run(t, "cross_entropy", a)
		eq(t, "−Inf logit loss", s[0], 0.31326168751822286, 1e-15, "hand derivation")
		for j, want := range []float64{0, 0.2689414213699951, -0.2689414213699951} {
			eq(t, fmt.Sprintf("−Inf logit grad[%d]", j), g[j], want, 1e-15, "hand derivation")
		}
		a.P[0] = 0.3
		s = run(t, "cross_entropy", a)
		eq(t, "−Inf logit, smoothing, loss", s[0], math.Inf(1), 0, "PyTorch: ε/C·(−log 0)")
		eq(t, "−Inf logit, smoothing, grad[0]", g[0], -0.1, 1e-15, "(ε/C)(C·0 − 1)")
		for j, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("−Inf logit, smoothing: grad[%d] = %v, want finite", j, v)
			}
		}
	}
	// Non-finite rows propagate as IEEE arithmetic: all −Inf, +Inf, NaN give NaN.
	for _, x := range [][]float64{{math.Inf(-1), math.Inf(-1)}, {math.Inf(1), 0}, {0, math.NaN()}} {
		g := make([]float64, 2)
		s := run(t, "cross_entropy", &Args[float64]{N: 1, C: 2, X: x, Labels: []int32{0}, Ignore: -100, Scale: 1, GX: g})
		eq(t, fmt.Sprintf("loss of %v", x), s[0], math.NaN(), 0, "no softmax exists")
		eq(t, fmt.Sprintf("grad[0] of %v", x), g[0], math.NaN(), 0, "no softmax exists")
	}
}

func TestCrossEntropyConfidentAccuracy(t *testing.T) {
	// x = (30, 0, 0), y = 0: −log p_0 = log(1 + 2e^{−30}) ≈ 1.87e−13 and p_0 − 1 =
	// −2e^{−30}/(1 + 2e^{−30}) (hand derivation). Formed as lse − x_y or as p_y − 1 they
	// would keep about 3 significant digits; here they must keep all of them.
	e := 2 * math.Exp(-30)
	g := make([]float64, 3)
	a := &Args[float64]{N: 1, C: 3, X: []float64{30, 0, 0}, Labels: []int32{0}, Ignore: -100, Scale: 1, GX: g}
	s := run(t, "cross_entropy", a)
	relEq(t, "confident loss", s[0], math.Log1p(e), 1e-14, "log(1 + 2e^−30)")
	relEq(t, "confident p_y − 1", g[0], -e/(1+e), 1e-14, "−2e^−30/(1 + 2e^−30)")
	// x = (40, 0): the loss 4.2e−18 is far below the rounding of lse = 40.
	s = run(t, "cross_entropy", &Args[float64]{N: 1, C: 2, X: []float64{40, 0}, Labels: []int32{0}, Ignore: -100, Scale: 1})
	relEq(t, "confident loss at 40", s[0], math.Exp(-40), 1e-14, "log(1 + e^−40) = e^−40 to double precision")
}

func TestCrossEntropyVocabRow(t *testing.T) {
	// SPEC §4: a row of C = 50257 (GPT-2's vocabulary) against a naive log-sum-exp, and the
	// gradient of softmax − onehot summing to 0 (without weights or z-loss, smoothing too).
	const c = 50257
	r := rand.New(rand.NewPCG(13, 14))
	x := randn(r, c, 3)
	var s float64
	for _, v := range x {
		s += math.Exp(v)
	}
	y := int32(31337)
	for _, eps := range []float64{0, 0.1} {
		g := make([]float64, c)
		a := &Args[float64]{N: 1, C: c, X: x, Labels: []int32{y}, Ignore: -100, P: [8]float64{eps}, Scale: 1, GX: g}
		got := run(t, "cross_entropy", a)
		want := (1 - eps) * (math.Log(s) - x[y])
		if eps > 0 {
			var sm float64
			for _, v := range x {
				sm += math.Log(s) - v
			}
			want += eps / c * sm
		}
		eq(t, fmt.Sprintf("C=50257 loss (ε=%g)", eps), got[0], want, 1e-12, "naive log-sum-exp")
		var gs float64
		for _, v := range g {
			gs += v
		}
		eq(t, fmt.Sprintf("C=50257 Σ grad (ε=%g)", eps), gs, 0, 1e-12, "Σ_j (p_j − t_j) = 0")
		eq(t, "C=50257 grad[y]", g[y], (1-eps)*(math.Exp(x[y])/s-1)+eps/c*(c*math.Exp(x[y])/s-1), 1e-12, "naive softmax")
	}
}

func TestCrossEntropyProbsByHand(t *testing.T) {
	// x = (1, 2, 3), t = (0.1, 0.2, 0.7): L = lse − Σ t_c x_c = 0.80760596444438
	// (hand derivation, Python math); ∂L = p − t.
	x := []float64{1, 2, 3}
	tg := []float64{0.1, 0.2, 0.7}
	g := make([]float64, 3)
	s := run(t, "cross_entropy_probs", &Args[float64]{N: 1, C: 3, X: x, Y: tg, Scale: 1, GX: g})
	eq(t, "probs loss", s[0], 0.80760596444438, 1e-14, "hand derivation")
	eq(t, "probs Σd", s[1], 1, 0, "PyTorch divides by N")
	p := softmaxNaive(x)
	for j := range g {
		eq(t, fmt.Sprintf("probs grad[%d]", j), g[j], p[j]-tg[j], 1e-15, "p − t")
	}
	// A class with t_c = 0 and p_c = 0 contributes 0 (documented deviation from PyTorch's NaN).
	s = run(t, "cross_entropy_probs", &Args[float64]{N: 1, C: 3, X: []float64{math.Inf(-1), 1, 2}, Y: []float64{0, 0, 1}, Scale: 1, GX: g})
	eq(t, "probs 0·log 0", s[0], 0.31326168751822286, 1e-15, "log(1 + e^−1), hand derivation")
	eq(t, "probs 0·log 0 grad[0]", g[0], 0, 0, "p_0 = t_0 = 0")
}

func TestCrossEntropyProbsOneHotEqualsLabels(t *testing.T) {
	// With one-hot targets, −Σ_c w_c((1−ε)[c=y] + ε/C)·log p_c is exactly the label loss with
	// the same weights and smoothing (ATen's formula): per-row values and gradients agree.
	r := rand.New(rand.NewPCG(15, 16))
	n, c := 5, 4
	x := randn(r, n*c, 3)
	y := []int32{0, 3, 1, 1, 2}
	t1 := make([]float64, n*c)
	for i, v := range y {
		t1[i*c+int(v)] = 1
	}
	w := []float64{0.5, 2, 1, 0.3}
	for _, eps := range []float64{0, 0.25} {
		lab := &Args[float64]{N: n, C: c, X: x, Labels: y, Ignore: -100, ClassWeight: w, P: [8]float64{eps}, Scale: 1,
			PerSample: make([]float64, n), GX: make([]float64, n*c)}
		prob := &Args[float64]{N: n, C: c, X: x, Y: t1, ClassWeight: w, P: [8]float64{eps}, Scale: 1,
			PerSample: make([]float64, n), GX: make([]float64, n*c)}
		run(t, "cross_entropy", lab)
		run(t, "cross_entropy_probs", prob)
		for i := range n {
			eq(t, fmt.Sprintf("ε=%g row %d", eps, i), prob.PerSample[i], lab.PerSample[i], 1e-13, "label cross_entropy")
		}
		for i := range n * c {
			eq(t, fmt.Sprintf("ε=%g grad %d", eps, i), prob.GX[i], lab.GX[i], 1e-13, "label cross_entropy")
		}
	}
}

func TestCrossEntropyProbsGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	n, c := 5, 4
	for _, eps := range []float64{0, 0.2} {
		for _, cws := range [][]float64{nil, {0.5, 2, 1, 0.3}} {
			for _, sw := range [][]float64{nil, {1, 0.5, 2, 0, 3}} {
				tg := make([]float64, n*c)
				for i := range n {
					p := softmaxNaive(randn(r, c, 2))
					p[r.IntN(c)] = 0 // a zero target in every row
					copy(tg[i*c:], p)
				}
				a := &Args[float64]{N: n, C: c, X: randn(r, n*c, 2), Y: tg, ClassWeight: cws, Weight: sw, P: [8]float64{eps}, Scale: 1}
				checkFD(t, "cross_entropy_probs", a, []int{0}, false, 1e-6)
			}
		}
	}
}

func TestNLLByHand(t *testing.T) {
	// x = log(0.2, 0.3, 0.5), y = 1, w = (1, 2, 3): L = −2·log 0.3 = 2.4079456086518722,
	// d = 2, ∂L = (0, −2, 0) (hand derivation, Python math).
	g := []float64{9, 9, 9}
	a := &Args[float64]{N: 1, C: 3, X: []float64{math.Log(0.2), math.Log(0.3), math.Log(0.5)}, Labels: []int32{1},
		Ignore: -100, ClassWeight: []float64{1, 2, 3}, Scale: 1, GX: g}
	s := run(t, "nll", a)
	eq(t, "nll", s[0], 2.4079456086518722, 1e-15, "hand derivation")
	eq(t, "nll Σd", s[1], 2, 0, "w_y")
	for j, want := range []float64{0, -2, 0} {
		eq(t, fmt.Sprintf("nll grad[%d]", j), g[j], want, 0, "−w_y·[j=y]")
	}
}

func TestNLLGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, cws := range [][]float64{nil, {0.5, 2, 1}} {
		for _, sw := range [][]float64{nil, {1, 0.5, 2, 3}} {
			a := &Args[float64]{N: 4, C: 3, X: randn(r, 12, 2), Labels: []int32{0, -100, 2, 1}, Ignore: -100,
				ClassWeight: cws, Weight: sw, Scale: 1}
			checkFD(t, "nll", a, []int{0}, false, 1e-6)
		}
	}
}

func TestRowFuncsAllocateNothing(t *testing.T) {
	// The row functions are the cpu device's inner loop: no allocation per row.
	r := rand.New(rand.NewPCG(21, 22))
	c := 64
	x, y, g := randn(r, c, 2), softmaxNaive(randn(r, c, 1)), make([]float64, c)
	w := randn(r, c, 1)
	for i := range w {
		w[i] = math.Abs(w[i])
	}
	p := [8]float64{0.1, 1e-3}
	mm := [8]float64{2, 1}
	for name, f := range map[string]func(){
		"cross_entropy": func() { crossEntropy(&p, RowIn{X: x, Label: 3, Ignore: -100, CW: w}, RowOut{GX: g}) },
		"cross_entropy_probs": func() {
			crossEntropyProbs(&p, RowIn{X: x, Y: y, Ignore: -100, CW: w}, RowOut{GX: g})
		},
		"nll":          func() { nll(&p, RowIn{X: x, Label: 3, Ignore: -100, CW: w}, RowOut{GX: g}) },
		"multi_margin": func() { multiMargin(&mm, RowIn{X: x, Label: 3, Ignore: -100, CW: w}, RowOut{GX: g}) },
		"corn":         func() { corn(&p, RowIn{X: x, Label: 30}, RowOut{GX: g}) },
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per row, want 0", name, n)
		}
	}
}

// BenchmarkCrossEntropyRow measures the cpu device's per-row cost (forward + gradient).
func BenchmarkCrossEntropyRow(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []int{1000, 50257} {
		b.Run(fmt.Sprint(c), func(b *testing.B) {
			x, g := randn(r, c, 2), make([]float64, c)
			var p [8]float64
			b.SetBytes(int64(16 * c))
			for b.Loop() {
				crossEntropy(&p, RowIn{X: x, Label: 7, Ignore: -100}, RowOut{GX: g})
			}
		})
	}
}
