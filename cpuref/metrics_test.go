package cpuref

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// runMetric runs a metric kernel serially on float64 args and fails the test on error.
func runMetric(t *testing.T, name string, a *Args[float64]) []float64 {
	t.Helper()
	s, err := Run(name, a, Serial)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sumsEq compares a kernel's sums with expected values element by element (NaN matches NaN).
func sumsEq(t *testing.T, what string, got, want []float64, tol float64, source string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d sums %v, want %d %v (%s)", what, len(got), got, len(want), want, source)
		return
	}
	for i := range want {
		eq(t, what+"["+strconv.Itoa(i)+"]", got[i], want[i], tol, source)
	}
}

func TestMetricKernelsRegistered(t *testing.T) {
	for _, name := range []string{"accuracy", "f1", "macro_f1", "auc", "binary_iou", "calibration"} {
		k, ok := Lookup(name)
		if !ok {
			t.Errorf("metric kernel %q not registered", name)
			continue
		}
		if k.Family != Metric {
			t.Errorf("kernel %q has family %v, want Metric", name, k.Family)
		}
	}
}

func TestAccuracyByHand(t *testing.T) {
	// Rows (C = 3), labels and weights:
	//   [0.1 2 0.3]  y=1    argmax 1: correct      s=1
	//   [1 1 0]      y=0    tie → 0: correct       s=2
	//   [1 1 0]      y=1    tie → 0: wrong         s=0.5
	//   [0 0 5]      y=−100 ignored                s=7
	//   [3 0 1]      y=2    argmax 0: wrong        s=1.5
	x := []float64{0.1, 2, 0.3, 1, 1, 0, 1, 1, 0, 0, 0, 5, 3, 0, 1}
	labels := []int32{1, 0, 1, -100, 2}
	a := &Args[float64]{N: 5, C: 3, X: x, Labels: labels, Ignore: -100, P: [8]float64{0.5}}
	sumsEq(t, "accuracy", runMetric(t, "accuracy", a), []float64{2, 4}, 0, "by hand: 2 of 4 rows not ignored")
	a.Weight = []float64{1, 2, 0.5, 7, 1.5}
	sumsEq(t, "weighted accuracy", runMetric(t, "accuracy", a), []float64{3, 5}, 1e-15, "by hand: 1+2 of 1+2+0.5+1.5")

	// C = 1: predicted 1 where x > threshold (strictly), compared with labels in {0, 1}.
	b := &Args[float64]{N: 4, C: 1, X: []float64{0.7, 0.5, 0.2, 0.9}, Labels: []int32{1, 0, 1, 0}, Ignore: -100, P: [8]float64{0.5}}
	// threshold 0.5: predictions 1 0 0 1 → correct, correct (0.5 is not > 0.5), wrong, wrong.
	sumsEq(t, "binary accuracy t=0.5", runMetric(t, "accuracy", b), []float64{2, 4}, 0, "by hand")
	b.P[0] = 0.8 // predictions 0 0 0 1 → wrong, correct, wrong, wrong.
	sumsEq(t, "binary accuracy t=0.8", runMetric(t, "accuracy", b), []float64{1, 4}, 0, "by hand")

	// Every row ignored, and no rows at all: nothing counted.
	c := &Args[float64]{N: 2, C: 2, X: []float64{1, 0, 0, 1}, Labels: []int32{-1, -1}, Ignore: -1}
	sumsEq(t, "all ignored", runMetric(t, "accuracy", c), []float64{0, 0}, 0, "no row counted")
	d := &Args[float64]{N: 0, C: 3, Ignore: -100}
	sumsEq(t, "empty", runMetric(t, "accuracy", d), []float64{0, 0}, 0, "no rows")
}

func TestArgmaxNaN(t *testing.T) {
	// NumPy's and PyTorch's argmax treat NaN as the maximum; the first NaN wins.
	for _, c := range []struct {
		row  []float64
		want int
	}{
		{[]float64{1, 3, 3}, 1},
		{[]float64{math.NaN(), 5}, 0},
		{[]float64{5, math.NaN(), math.NaN()}, 1},
		{[]float64{math.Inf(-1), math.Inf(-1)}, 0},
		{[]float64{-1, math.Inf(1), 2}, 1},
	} {
		if got := argmax(c.row); got != c.want {
			t.Errorf("argmax(%v) = %d, want %d (first largest, NaN largest)", c.row, got, c.want)
		}
	}
}

func TestF1IoUByHand(t *testing.T) {
	// x > 0.5: predictions T T F F F T (0.5 itself is negative); targets 1 0 1 0 1 1.
	// TP = {0, 5}, FP = {1}, FN = {2, 4}.
	x := []float64{0.9, 0.6, 0.4, 0.1, 0.5, 0.7}
	y := []float64{1, 0, 1, 0, 1, 1}
	for _, name := range []string{"f1", "binary_iou"} {
		a := &Args[float64]{N: 6, C: 1, X: x, Y: y, P: [8]float64{0.5}}
		sumsEq(t, name, runMetric(t, name, a), []float64{2, 1, 2}, 0, "by hand: TP, FP, FN")
		// One weight per element 1..6: TP = 1+6, FP = 2, FN = 3+5.
		a.Weight = []float64{1, 2, 3, 4, 5, 6}
		sumsEq(t, name+" per-element weights", runMetric(t, name, a), []float64{7, 2, 8}, 0, "by hand")
		// Three rows of two columns, one weight per row 1, 10, 100: element i has weight w[i/2].
		// TP = 1 (elem 0) + 100 (elem 5), FP = 1 (elem 1), FN = 10 (elem 2) + 100 (elem 4).
		b := &Args[float64]{N: 3, C: 2, X: x, Y: y, P: [8]float64{0.5}, Weight: []float64{1, 10, 100}}
		sumsEq(t, name+" per-row weights", runMetric(t, name, b), []float64{101, 1, 110}, 0, "by hand")
		// Threshold −1: everything positive: TP = 4, FP = 2, FN = 0.
		c := &Args[float64]{N: 6, C: 1, X: x, Y: y, P: [8]float64{-1}}
		sumsEq(t, name+" t=-1", runMetric(t, name, c), []float64{4, 2, 0}, 0, "by hand")
		// No positives anywhere: all zero counts (F1 then reports 0, IoU 1).
		d := &Args[float64]{N: 3, C: 1, X: []float64{0.1, 0.2, math.NaN()}, Y: []float64{0, 0, 0}, P: [8]float64{0.5}}
		sumsEq(t, name+" empty", runMetric(t, name, d), []float64{0, 0, 0}, 0, "nothing positive; NaN is not > t")
	}
}

func TestMacroF1ByHand(t *testing.T) {
	// C = 3, weights 1..5:
	//   [5 0 0] y=0 → p=0: TP0 += 1
	//   [0 5 0] y=0 → p=1: FP1 += 2, FN0 += 2
	//   [0 0 5] y=2 → p=2: TP2 += 3
	//   [1 1 0] y=1 → p=0 (tie): FP0 += 4, FN1 += 4
	//   [0 5 0] y=−100: ignored
	x := []float64{5, 0, 0, 0, 5, 0, 0, 0, 5, 1, 1, 0, 0, 5, 0}
	a := &Args[float64]{N: 5, C: 3, X: x, Labels: []int32{0, 0, 2, 1, -100}, Ignore: -100,
		Weight: []float64{1, 2, 3, 4, 5}, Bins: 3}
	sumsEq(t, "macro_f1", runMetric(t, "macro_f1", a), []float64{1, 0, 3, 4, 2, 0, 2, 4, 0}, 0, "by hand: TP, FP, FN per class")
	a.Weight = nil
	sumsEq(t, "macro_f1 unweighted", runMetric(t, "macro_f1", a), []float64{1, 0, 1, 1, 1, 0, 1, 1, 0}, 0, "by hand")
	a.Labels = []int32{-100, -100, -100, -100, -100}
	sumsEq(t, "macro_f1 all ignored", runMetric(t, "macro_f1", a), make([]float64, 9), 0, "no row counted")
}

// naiveAUC is the definition: Σ over (positive, negative) pairs of s_i·s_j·([x_i > x_j] + ½[x_i = x_j])
// divided by S⁺·S⁻, in O(n²).
func naiveAUC(x, y, w []float64) float64 {
	var u, sp, sn float64
	for i := range x {
		if y[i] == 1 {
			sp += w[i]
		} else {
			sn += w[i]
		}
	}
	for i := range x {
		if y[i] != 1 {
			continue
		}
		for j := range x {
			if y[j] == 1 {
				continue
			}
			switch {
			case x[i] > x[j]:
				u += w[i] * w[j]
			case x[i] == x[j]:
				u += 0.5 * w[i] * w[j]
			}
		}
	}
	return u / (sp * sn)
}

func TestAUCByHand(t *testing.T) {
	// scikit-learn's roc_auc_score doc example: y = [0 0 1 1], scores [0.1 0.4 0.35 0.8] → 0.75.
	a := &Args[float64]{N: 4, C: 1, X: []float64{0.1, 0.4, 0.35, 0.8}, Y: []float64{0, 0, 1, 1}}
	sumsEq(t, "auc sklearn", runMetric(t, "auc", a), []float64{0.75, 2, 2}, 1e-15, "scikit-learn roc_auc_score example")

	// Ties: positives {0.5, 0.9}, negatives {0.5, 0.2}: pairs ½ + 1 + 1 + 1 = 3.5 of 4.
	b := &Args[float64]{N: 4, C: 1, X: []float64{0.5, 0.5, 0.2, 0.9}, Y: []float64{0, 1, 0, 1}}
	sumsEq(t, "auc ties", runMetric(t, "auc", b), []float64{0.875, 2, 2}, 1e-15, "by hand: 3.5/4")
	// Weights 1 2 3 4: U = 2·1·½ + 2·3 + 4·1 + 4·3 = 23, S⁺ = 6, S⁻ = 4: 23/24.
	b.Weight = []float64{1, 2, 3, 4}
	sumsEq(t, "auc weighted", runMetric(t, "auc", b), []float64{23.0 / 24, 6, 4}, 1e-15, "by hand: 23/24")
	// All scores tied: every pair counts ½.
	c := &Args[float64]{N: 5, C: 1, X: []float64{2, 2, 2, 2, 2}, Y: []float64{0, 1, 1, 0, 1}}
	sumsEq(t, "auc all tied", runMetric(t, "auc", c), []float64{0.5, 3, 2}, 1e-15, "by hand: all pairs ½")
	// Perfect and reversed rankings.
	d := &Args[float64]{N: 4, C: 1, X: []float64{-3, -1, 1, 3}, Y: []float64{0, 0, 1, 1}}
	sumsEq(t, "auc perfect", runMetric(t, "auc", d), []float64{1, 2, 2}, 0, "by hand")
	d.Y = []float64{1, 1, 0, 0}
	sumsEq(t, "auc reversed", runMetric(t, "auc", d), []float64{0, 2, 2}, 0, "by hand")

	// A class empty (no negatives), a class of zero weight, no elements, a NaN score: NaN.
	e := &Args[float64]{N: 3, C: 1, X: []float64{1, 2, 3}, Y: []float64{1, 1, 1}}
	sumsEq(t, "auc no negatives", runMetric(t, "auc", e), []float64{math.NaN(), 3, 0}, 0, "empty class")
	e.Y = []float64{1, 0, 1}
	e.Weight = []float64{1, 0, 2}
	sumsEq(t, "auc zero-weight negatives", runMetric(t, "auc", e), []float64{math.NaN(), 3, 0}, 0, "empty class by weight")
	f := &Args[float64]{N: 0, C: 1}
	sumsEq(t, "auc empty", runMetric(t, "auc", f), []float64{math.NaN(), 0, 0}, 0, "no elements")
	g := &Args[float64]{N: 3, C: 1, X: []float64{1, math.NaN(), 3}, Y: []float64{1, 0, 0}}
	sumsEq(t, "auc NaN score", runMetric(t, "auc", g), []float64{math.NaN(), 1, 2}, 0, "NaN propagates")

	// C > 1 flattens N·C elements; one weight per row applies to the row's elements.
	// Elements (x, y, s): (0.5,0,1) (0.5,1,1) (0.2,0,3) (0.9,1,3): the weighted tie case again
	// with weights 1 1 3 3: U = 1·1·½ + 1·3 + 3·1 + 3·3 = 15.5, S⁺ = 4, S⁻ = 4.
	h := &Args[float64]{N: 2, C: 2, X: []float64{0.5, 0.5, 0.2, 0.9}, Y: []float64{0, 1, 0, 1}, Weight: []float64{1, 3}}
	sumsEq(t, "auc per-row weights", runMetric(t, "auc", h), []float64{15.5 / 16, 4, 4}, 1e-15, "by hand")
}

func TestAUCNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 7, 300, 1000} {
		x := make([]float64, n)
		y := make([]float64, n)
		w := make([]float64, n)
		for i := range x {
			x[i] = math.Round(4*r.NormFloat64()) / 4 // coarse grid: many ties
			y[i] = float64(r.IntN(2))
			w[i] = 0.1 + 2*r.Float64()
		}
		if n >= 2 {
			y[0], y[1] = 0, 1 // both classes present
		}
		ones := slices.Repeat([]float64{1}, n)
		for _, wt := range [][]float64{nil, w} {
			a := &Args[float64]{N: n, C: 1, X: x, Y: y, Weight: wt}
			got := runMetric(t, "auc", a)
			ww := wt
			if ww == nil {
				ww = ones
			}
			want := naiveAUC(x, y, ww)
			eq(t, "auc vs naive pairs n="+strconv.Itoa(n), got[0], want, 1e-12, "O(n²) pair count")
		}
	}
}

func TestCalibrationByHand(t *testing.T) {
	// B = 4 bins [0,.25) [.25,.5) [.5,.75) [.75,1], C = 1, from_logits false: q = x, correct = [y = 1].
	//   x=0.1  y=0 → bin 0
	//   x=0.3  y=1 → bin 1
	//   x=0.25 y=1 → bin 1 (a lower edge belongs to its bin)
	//   x=1.0  y=1 → bin 3 (confidence 1 is in the last bin)
	//   x=0.8  y=0 → bin 3
	//   x=0.6  y=−100 → ignored
	a := &Args[float64]{N: 6, C: 1, X: []float64{0.1, 0.3, 0.25, 1, 0.8, 0.6}, Labels: []int32{0, 1, 1, 1, 0, -100},
		Ignore: -100, P: [8]float64{4, 0}, Bins: 4}
	sumsEq(t, "calibration", runMetric(t, "calibration", a),
		[]float64{1, 2, 0, 2, 0.1, 0.55, 0, 1.8, 0, 2, 0, 1}, 1e-15, "by hand: W_b, Σq, Σcorrect")
	// With row weights 1..6 (the ignored row's 6 unused).
	a.Weight = []float64{1, 2, 3, 4, 5, 6}
	sumsEq(t, "weighted calibration", runMetric(t, "calibration", a),
		[]float64{1, 5, 0, 9, 0.1, 2*0.3 + 3*0.25, 0, 4 + 5*0.8, 0, 5, 0, 4}, 1e-15, "by hand")

	// Scores outside [0, 1] without from_logits are clamped to the end bins (their
	// confidences are summed as they are); a NaN goes to bin 0 and poisons its sum.
	b := &Args[float64]{N: 3, C: 1, X: []float64{-0.3, 1.7, math.NaN()}, Labels: []int32{0, 1, 1}, Ignore: -100,
		P: [8]float64{2, 0}, Bins: 2}
	sumsEq(t, "calibration clamp", runMetric(t, "calibration", b),
		[]float64{2, 1, math.NaN(), 1.7, 1, 1}, 1e-15, "by hand: bins [0,.5) [.5,1]")

	// C = 1 from logits: q = σ(x). σ(0) = 0.5 exactly → bin 1 of 2; σ(−2) ≈ 0.119 → bin 0.
	c := &Args[float64]{N: 2, C: 1, X: []float64{0, -2}, Labels: []int32{1, 0}, Ignore: -100, P: [8]float64{2, 1}, Bins: 2}
	s2 := 1 / (1 + math.Exp(2))
	sumsEq(t, "calibration σ", runMetric(t, "calibration", c),
		[]float64{1, 1, s2, 0.5, 0, 1}, 1e-15, "σ(−2) = 1/(1+e²), σ(0) = ½")

	// C = 3 from logits: q = top softmax probability, correct = [argmax = label], B = 10.
	//   [2 0 0]     y=0: q = e²/(e²+2) ≈ 0.787 → bin 7, correct
	//   [0 0 0]     y=2: q = 1/3 → bin 3, argmax 0 (tie): wrong
	//   [−1 3 0.5]  y=1: q = e³/(e⁻¹+e³+e^½) ≈ 0.909 → bin 9, correct
	d := &Args[float64]{N: 3, C: 3, X: []float64{2, 0, 0, 0, 0, 0, -1, 3, 0.5}, Labels: []int32{0, 2, 1},
		Ignore: -100, P: [8]float64{10, 1}, Bins: 10}
	q0 := math.Exp(2) / (math.Exp(2) + 2)
	q2 := math.Exp(3) / (math.Exp(-1) + math.Exp(3) + math.Exp(0.5))
	want := make([]float64, 30)
	want[7], want[10+7], want[20+7] = 1, q0, 1
	want[3], want[10+3] = 1, 1.0/3
	want[9], want[10+9], want[20+9] = 1, q2, 1
	sumsEq(t, "calibration softmax", runMetric(t, "calibration", d), want, 1e-15, "softmax by hand")
	// The same rows without from_logits: q is the top score, clamped into the last bin for 2 and 3.
	d.P[1] = 0
	want = make([]float64, 30)
	want[9], want[10+9], want[20+9] = 2, 2+3, 2
	want[0], want[10+0] = 1, 0
	sumsEq(t, "calibration top score", runMetric(t, "calibration", d), want, 1e-15, "by hand")

	// Bins falls back to P[0] when Args.Bins is 0.
	e := &Args[float64]{N: 1, C: 1, X: []float64{0.9}, Labels: []int32{1}, Ignore: -100, P: [8]float64{3, 0}}
	sumsEq(t, "calibration P[0] bins", runMetric(t, "calibration", e), []float64{0, 0, 1, 0, 0, 0.9, 0, 0, 1}, 1e-15, "by hand: 3 bins")
}

// metricCase builds random args for a metric kernel: n rows of c columns, with weights.
func metricCase(r *rand.Rand, name string, n, c int) *Args[float64] {
	a := &Args[float64]{N: n, C: c, X: randn(r, n*c, 2), Ignore: -100}
	switch name {
	case "f1", "binary_iou", "auc":
		a.Y = make([]float64, n*c)
		for i := range a.Y {
			a.Y[i] = float64(r.IntN(2))
		}
		a.Weight = make([]float64, n*c)
		for i := range a.Weight {
			a.Weight[i] = 0.1 + r.Float64()
		}
		a.P[0] = 0.3
		return a
	}
	hi := max(c, 2)
	a.Labels = make([]int32, n)
	for i := range a.Labels {
		a.Labels[i] = int32(r.IntN(hi))
		if r.IntN(10) == 0 {
			a.Labels[i] = -100
		}
	}
	a.Weight = make([]float64, n)
	for i := range a.Weight {
		a.Weight[i] = 0.1 + r.Float64()
	}
	switch name {
	case "macro_f1":
		a.Bins = c
	case "calibration":
		a.P = [8]float64{15, 1}
		a.Bins = 15
	}
	return a
}

func TestMetricsDeterministic(t *testing.T) {
	// Several chunks each (ElemChunk = 65536 elements; RowChunk(4) = 16384 rows), so a parallel
	// Par adds chunk sums in a different schedule: the result must still be Serial's, bit for bit.
	// float32 inputs holding the same values must give the same sums too (all arithmetic is float64).
	r := rand.New(rand.NewPCG(21, 22))
	for _, name := range []string{"accuracy", "f1", "macro_f1", "auc", "binary_iou", "calibration"} {
		for _, shape := range [][2]int{{40000, 4}, {140000, 1}} {
			n, c := shape[0], shape[1]
			if name == "macro_f1" && c == 1 {
				c = 2
			}
			a := metricCase(r, name, n, c)
			ser, err := Run(name, a, Serial)
			if err != nil {
				t.Fatal(err)
			}
			par, err := Run(name, a, shuffledPar)
			if err != nil {
				t.Fatal(err)
			}
			a32 := &Args[float32]{N: a.N, C: a.C, X: to32(a.X), Y: to32(a.Y), Weight: to32(a.Weight),
				Labels: a.Labels, Ignore: a.Ignore, P: a.P, Bins: a.Bins}
			// Make the float64 inputs exactly the float32 values, then rerun serially.
			b := *a
			b.X, b.Y, b.Weight = to64(a32.X), to64(a32.Y), to64(a32.Weight)
			ser64, err := Run(name, &b, Serial)
			if err != nil {
				t.Fatal(err)
			}
			ser32, err := Run(name, a32, shuffledPar)
			if err != nil {
				t.Fatal(err)
			}
			for k := range ser {
				if math.Float64bits(ser[k]) != math.Float64bits(par[k]) {
					t.Errorf("%s %d×%d: sums[%d] serial %v, parallel %v: not bit-identical", name, n, c, k, ser[k], par[k])
				}
				if math.Float64bits(ser64[k]) != math.Float64bits(ser32[k]) {
					t.Errorf("%s %d×%d: sums[%d] float64 %v, float32 %v on the same values", name, n, c, k, ser64[k], ser32[k])
				}
			}
			if ser[len(ser)-1] == 0 && ser[0] == 0 {
				t.Errorf("%s %d×%d: all-zero sums %v from random inputs", name, n, c, ser)
			}
		}
	}
}

func to32(v []float64) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func to64(v []float32) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
