package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMultiMarginByHand(t *testing.T) {
	// PyTorch's MultiMarginLoss doc example: x = (0.1, 0.2, 0.4, 0.8), y = 3 →
	// ((1−0.8+0.1) + (1−0.8+0.2) + (1−0.8+0.4))/4 = 0.325. With p = 2: (0.09 + 0.16 + 0.36)/4 =
	// 0.1525; with w_3 = 2 both double; margin 0.5: (0 + 0 + 0.1)/4 = 0.025 (hand derivation).
	x := []float64{0.1, 0.2, 0.4, 0.8}
	cases := []struct {
		p, margin float64
		cw        []float64
		loss, d   float64
		grads     []float64
	}{
		{1, 1, nil, 0.325, 1, []float64{0.25, 0.25, 0.25, -0.75}},
		{2, 1, nil, 0.1525, 1, []float64{2 * 0.3 / 4, 2 * 0.4 / 4, 2 * 0.6 / 4, -2 * 1.3 / 4}},
		{1, 1, []float64{1, 1, 1, 2}, 0.65, 2, []float64{0.5, 0.5, 0.5, -1.5}},
		{2, 1, []float64{5, 5, 5, 2}, 0.305, 2, []float64{0.3, 0.4, 0.6, -1.3}},
		{1, 0.5, nil, 0.025, 1, []float64{0, 0, 0.25, -0.25}},
	}
	for i, tc := range cases {
		g := make([]float64, 4)
		a := &Args[float64]{N: 1, C: 4, X: x, Labels: []int32{3}, Ignore: math.MinInt64, ClassWeight: tc.cw,
			P: [8]float64{tc.p, tc.margin}, Scale: 1, GX: g}
		s := run(t, "multi_margin", a)
		eq(t, fmt.Sprintf("case %d loss", i), s[0], tc.loss, 1e-15, "PyTorch doc example / hand derivation")
		eq(t, fmt.Sprintf("case %d Σd", i), s[1], tc.d, 0, "w_y")
		for j := range g {
			eq(t, fmt.Sprintf("case %d grad[%d]", i, j), g[j], tc.grads[j], 1e-15, "hand derivation")
		}
	}
}

func TestMultiMarginGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	n, c := 5, 4
	y := []int32{0, 3, 1, 2, 3}
	for _, pw := range []float64{1, 2} {
		for _, margin := range []float64{1, 0.5, -0.2} {
			for _, cws := range [][]float64{nil, {0.5, 2, 1, 0.3}} {
				for _, sw := range [][]float64{nil, {1, 0.5, 2, 0, 3}} {
					// Draw logits away from the kinks z = margin − x_y + x_c = 0 (the FD step is 1e-6).
					var x []float64
					for ok := false; !ok; {
						x, ok = randn(r, n*c, 1), true
						for i := range n {
							for j := range c {
								if j != int(y[i]) && math.Abs(margin-x[i*c+int(y[i])]+x[i*c+j]) < 1e-3 {
									ok = false
								}
							}
						}
					}
					a := &Args[float64]{N: n, C: c, X: x, Labels: y, Ignore: math.MinInt64, ClassWeight: cws, Weight: sw,
						P: [8]float64{pw, margin}, Scale: 1}
					checkFD(t, "multi_margin", a, []int{0}, false, 1e-6)
				}
			}
		}
	}
}

func TestMultiMarginExtremes(t *testing.T) {
	// C = 1: no other class, L = 0 and ∂L = 0. Scores ±1e4: L = (2e4 + 1)/2 for p = 1
	// (hand derivation), finite.
	g := []float64{7}
	s := run(t, "multi_margin", &Args[float64]{N: 1, C: 1, X: []float64{3}, Labels: []int32{0}, Ignore: math.MinInt64, P: [8]float64{1, 1}, Scale: 1, GX: g})
	eq(t, "C=1 loss", s[0], 0, 0, "no other class")
	eq(t, "C=1 grad", g[0], 0, 0, "no other class")
	g = make([]float64, 2)
	s = run(t, "multi_margin", &Args[float64]{N: 1, C: 2, X: []float64{1e4, -1e4}, Labels: []int32{1}, Ignore: math.MinInt64, P: [8]float64{1, 1}, Scale: 1, GX: g})
	eq(t, "±1e4 loss", s[0], (2e4+1)/2, 1e-15, "hand derivation")
	eq(t, "±1e4 grad[0]", g[0], 0.5, 0, "w_y/C")
	eq(t, "±1e4 grad[1]", g[1], -0.5, 0, "−w_y/C")
}

// cornNaive is coral-pytorch's corn_loss transcribed: for each task k, the rows with y > k−1,
// binary labels y > k, the summed BCE −[logσ(x)·t + (logσ(x) − x)·(1−t)], divided by the
// total number of (row, task) pairs. x is N×(K−1), row-major.
func cornNaive(x []float64, y []int32, k int) float64 {
	c := k - 1
	logsig := func(v float64) float64 { return -math.Log(1 + math.Exp(-v)) }
	var losses float64
	var num int
	for task := range c {
		for i, yi := range y {
			if !(int(yi) > task-1) {
				continue
			}
			tl := 0.0
			if int(yi) > task {
				tl = 1
			}
			v := x[i*c+task]
			losses += -(logsig(v)*tl + (logsig(v)-v)*(1-tl))
			num++
		}
	}
	return losses / float64(num)
}

// coralNaive is the CORAL loss on the same logits (every row in every task, label y > k,
// mean over N·(K−1) pairs): what CORN must not be.
func coralNaive(x []float64, y []int32, k int) float64 {
	c := k - 1
	var l float64
	for i, yi := range y {
		for task := range c {
			v := x[i*c+task]
			if int(yi) > task {
				l += math.Log(1 + math.Exp(-v))
			} else {
				l += math.Log(1 + math.Exp(v))
			}
		}
	}
	return l / float64(len(y)*c)
}

func TestCORNByHand(t *testing.T) {
	// K = 3 (two task logits), x = (1, −1), y = 1: both tasks take part, task 0 with label 1
	// and task 1 with label 0: L = softplus(−1) + softplus(−1) = 0.6265233750364457, d = 2,
	// ∂L = (σ(1) − 1, σ(−1)) = (−0.2689414213699951, 0.2689414213699951) (hand derivation,
	// Python math). y = 0 takes only task 0 (label 0): L = softplus(1), d = 1, ∂L_1 = 0.
	g := make([]float64, 2)
	a := &Args[float64]{N: 1, C: 2, X: []float64{1, -1}, Labels: []int32{1}, Ignore: math.MinInt64, Scale: 1, GX: g}
	s := run(t, "corn", a)
	eq(t, "corn y=1", s[0], 0.6265233750364457, 1e-15, "hand derivation")
	eq(t, "corn y=1 d", s[1], 2, 0, "min(y+1, K−1)")
	eq(t, "corn y=1 grad[0]", g[0], -0.2689414213699951, 1e-15, "σ(1) − 1")
	eq(t, "corn y=1 grad[1]", g[1], 0.2689414213699951, 1e-15, "σ(−1)")
	g[1] = 7
	a.Labels[0] = 0
	s = run(t, "corn", a)
	eq(t, "corn y=0", s[0], 1.3132616875182228, 1e-15, "softplus(1) = log(1 + e), hand derivation")
	eq(t, "corn y=0 d", s[1], 1, 0, "min(y+1, K−1)")
	eq(t, "corn y=0 grad[1]", g[1], 0, 0, "task 1 does not see the row")
	a.Labels[0] = 2
	s = run(t, "corn", a)
	eq(t, "corn y=K−1", s[0], math.Log1p(math.E)+math.Log1p(1/math.E), 1e-15, "softplus(−1) + softplus(1)")
	eq(t, "corn y=K−1 d", s[1], 2, 0, "min(y+1, K−1)")
}

func TestCORNAgainstCoralPytorch(t *testing.T) {
	// K = 5 ordinal classes: the mean equals coral-pytorch's corn_loss (transcribed in
	// cornNaive), its denominator equals DenomSum's DenomCorn rule, and it differs from
	// CORAL's all-rows mean on the same logits (the conditional subsets matter).
	r := rand.New(rand.NewPCG(33, 34))
	const k = 5
	y := []int32{0, 4, 2, 1, 0, 3, 4, 0}
	n := len(y)
	x := randn(r, n*(k-1), 2)
	a := &Args[float64]{N: n, C: k - 1, X: x, Labels: y, Ignore: math.MinInt64, Scale: 1}
	s := run(t, "corn", a)
	want := cornNaive(x, y, k)
	eq(t, "corn mean", s[0]/s[1], want, 1e-13, "coral-pytorch corn_loss transcription")
	eq(t, "corn Σd", s[1], 1+4+3+2+1+4+4+1, 0, "Σ min(y+1, K−1)")
	eq(t, "corn DenomSum", DenomSum(a, DenomCorn, Rowwise, Serial), s[1], 0, "the row function's Σd")
	if coral := coralNaive(x, y, k); math.Abs(coral-want) < 1e-2 {
		t.Errorf("CORAL %v and CORN %v agree on a case built to tell them apart", coral, want)
	}
}

func TestCORNGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, c := range []int{1, 4} {
		for _, sw := range [][]float64{nil, {1, 0.5, 2, 0, 3, 1.5}} {
			y := make([]int32, 6)
			for i := range y {
				y[i] = int32(i % (c + 1))
			}
			a := &Args[float64]{N: 6, C: c, X: randn(r, 6*c, 2), Labels: y, Ignore: math.MinInt64, Weight: sw, Scale: 1}
			checkFD(t, "corn", a, []int{0}, false, 1e-6)
		}
	}
}

func TestCORNExtremes(t *testing.T) {
	// Logits ±1e4 and ±100: softplus(1e4) = 1e4, softplus(−1e4) = 0, finite gradients
	// (hand derivation).
	g := make([]float64, 3)
	a := &Args[float64]{N: 1, C: 3, X: []float64{-1e4, 1e4, 100}, Labels: []int32{2}, Ignore: math.MinInt64, Scale: 1, GX: g}
	s := run(t, "corn", a)
	// y = 2: tasks 0, 1 have label 1 (softplus(1e4) + softplus(−1e4)), task 2 label 0 (softplus(100)).
	eq(t, "corn extreme loss", s[0], 1e4+0+100, 1e-15, "hand derivation")
	for j, want := range []float64{-1, 0, 1} {
		eq(t, fmt.Sprintf("corn extreme grad[%d]", j), g[j], want, 1e-15, "σ(x) − t")
	}
}
