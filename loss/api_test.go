package loss_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// The public API's behaviour besides errors: reductions, empty means, shard weights, the
// in-place gradient, Penalty's sum, the device named in results and the cpu fallback.

func apiHasKernel(name string) bool {
	_, ok := cpuref.Lookup(name)
	return ok
}

func apiNeedKernel(t *testing.T, name string) {
	t.Helper()
	if !apiHasKernel(name) {
		t.Skipf("cpuref has no %s kernel yet (another helper's file); this test needs it", name)
	}
}

func apiMust(t *testing.T) func(loss.Loss, error) loss.Loss {
	return func(l loss.Loss, err error) loss.Loss {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// near fails unless got equals want within tol·(1 + |want|); NaN matches NaN only.
func apiNear(t *testing.T, what string, got, want, tol float64, source string) {
	t.Helper()
	if math.IsNaN(want) || math.IsNaN(got) {
		if math.IsNaN(want) != math.IsNaN(got) {
			t.Errorf("%s = %v, want %v (%s)", what, got, want, source)
		}
		return
	}
	if math.Abs(got-want) > tol*(1+math.Abs(want)) {
		t.Errorf("%s = %v, want %v (%s)", what, got, want, source)
	}
}

func apiNearAll[T loss.Float](t *testing.T, what string, got []T, want []float64, tol float64, source string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d values %v, want %d %v (%s)", what, len(got), got, len(want), want, source)
		return
	}
	for i := range want {
		apiNear(t, what+"["+strconv.Itoa(i)+"]", float64(got[i]), want[i], tol, source)
	}
}

func apiCompute[T loss.Float](t *testing.T, l loss.Loss, b loss.Batch[T], o loss.Options) loss.Result[T] {
	t.Helper()
	r, err := loss.Compute(l, b, o)
	if err != nil {
		t.Fatalf("%v: %v", l, err)
	}
	return r
}

func TestReductionsMSE(t *testing.T) {
	mse := apiMust(t)(loss.MSE())
	// x = [3 1 0.5 2], y = [1 1 2 2]: e = y − x = [−2 0 1.5 0], e² = [4 0 2.25 0] (sum 6.25),
	// ∂e²/∂x = −2e = [4 0 −3 0], ∂²e²/∂x² = 2.
	b := loss.Batch[float64]{Pred: []float64{3, 1, 0.5, 2}, Target: []float64{1, 1, 2, 2}}
	const src = "by hand: e² = [4 0 2.25 0]"
	for _, dt := range []string{"float64", "float32"} {
		run := func(o loss.Options) (float64, float64, []float64, []float64, []float64) {
			o.Grad = true
			o.Hessian = true
			if dt == "float32" {
				r := apiCompute(t, mse, apiBatch32(b), o)
				return r.Value, r.Weight, apiF64(r.PerSample), apiF64(r.Grad), apiF64(r.Hess)
			}
			r := apiCompute(t, mse, b, o)
			return r.Value, r.Weight, r.PerSample, r.Grad, r.Hess
		}
		v, w, ps, g, h := run(loss.Options{})
		apiNear(t, dt+" mean", v, 1.5625, 1e-7, src)
		apiNear(t, dt+" mean weight", w, 4, 0, "four elements")
		if ps != nil {
			t.Errorf("%s mean: PerSample %v, want nil", dt, ps)
		}
		apiNearAll(t, dt+" mean grad", g, []float64{1, 0, -0.75, 0}, 1e-7, "−2e/4")
		apiNearAll(t, dt+" mean hess", h, []float64{0.5, 0.5, 0.5, 0.5}, 1e-7, "2/4")
		v, w, _, g, h = run(loss.Options{Reduction: loss.Sum})
		apiNear(t, dt+" sum", v, 6.25, 1e-7, src)
		apiNear(t, dt+" sum weight", w, 4, 0, "four elements")
		apiNearAll(t, dt+" sum grad", g, []float64{4, 0, -3, 0}, 1e-7, "−2e")
		apiNearAll(t, dt+" sum hess", h, []float64{2, 2, 2, 2}, 1e-7, "2")
		v, _, ps, g, h = run(loss.Options{Reduction: loss.None})
		apiNear(t, dt+" none value", v, 6.25, 1e-7, "Value is the sum of the terms")
		apiNearAll(t, dt+" none per-sample", ps, []float64{4, 0, 2.25, 0}, 1e-7, src)
		apiNearAll(t, dt+" none grad", g, []float64{4, 0, -3, 0}, 1e-7, "each term's own gradient")
		apiNearAll(t, dt+" none hess", h, []float64{2, 2, 2, 2}, 1e-7, "∂²L_i/∂x_i² itself")
	}

	// Weights per element [1 2 0.5 3]: Sum = 4·1 + 2.25·0.5 = 5.125, Σs = 6.5.
	wb := b
	wb.Weights = []float64{1, 2, 0.5, 3}
	r := apiCompute(t, mse, wb, loss.Options{Grad: true})
	apiNear(t, "weighted mean", r.Value, 5.125/6.5, 1e-15, "by hand: Σs·e²/Σs")
	apiNear(t, "weighted weight", r.Weight, 6.5, 0, "Σs")
	apiNearAll(t, "weighted mean grad", r.Grad, []float64{4 / 6.5, 0, -1.5 / 6.5, 0}, 1e-15, "s·(−2e)/Σs")
	r = apiCompute(t, mse, wb, loss.Options{Reduction: loss.None})
	apiNearAll(t, "weighted per-sample", r.PerSample, []float64{4, 0, 1.125, 0}, 1e-15, "s·e²")
	// Two rows of two, one weight per row [2 1]: element weights [2 2 1 1]: 2·4 + 1·2.25 over 6.
	rb := b
	rb.Cols, rb.Weights = 2, []float64{2, 1}
	r = apiCompute(t, mse, rb, loss.Options{})
	apiNear(t, "row-weighted mean", r.Value, 10.25/6, 1e-15, "by hand")
	apiNear(t, "row-weighted weight", r.Weight, 6, 0, "Σ over elements of their row's weight")
}

func apiF64[T loss.Float](v []T) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestReductionsCrossEntropy(t *testing.T) {
	ce := apiMust(t)(loss.CrossEntropy())
	// Rows: [0 0 0] y=0 → ln 3; [1 2 3] ignored; [0 ln2 ln5] y=2 → −ln(5/8) = ln 1.6.
	b := loss.Batch[float64]{Cols: 3, Pred: []float64{0, 0, 0, 1, 2, 3, 0, math.Ln2, math.Log(5)}, Labels: []int32{0, -100, 2}}
	r := apiCompute(t, ce, b, loss.Options{Grad: true})
	apiNear(t, "ce mean", r.Value, math.Log(4.8)/2, 1e-15, "by hand: (ln 3 + ln 1.6)/2 non-ignored rows")
	apiNear(t, "ce weight", r.Weight, 2, 0, "two rows not ignored")
	// ∂/∂x = (softmax − onehot)/2: row 0 [−1/3 1/6 1/6], row 1 zero, row 2 [1/16 1/8 −3/16].
	apiNearAll(t, "ce mean grad", r.Grad, []float64{-1.0 / 3, 1.0 / 6, 1.0 / 6, 0, 0, 0, 1.0 / 16, 1.0 / 8, -3.0 / 16}, 1e-15, "(softmax − onehot)/2")
	r = apiCompute(t, ce, b, loss.Options{Reduction: loss.None})
	apiNearAll(t, "ce per-sample", r.PerSample, []float64{math.Log(3), 0, math.Log(1.6)}, 1e-15, "by hand; ignored row 0")
	apiNear(t, "ce none value", r.Value, math.Log(4.8), 1e-15, "sum of the terms")
	r = apiCompute(t, ce, b, loss.Options{Reduction: loss.Sum})
	apiNear(t, "ce sum", r.Value, math.Log(4.8), 1e-15, "ln 3 + ln 1.6")
}

func TestBatchMeanKLDiv(t *testing.T) {
	apiNeedKernel(t, "kl_div")
	kl := apiMust(t)(loss.KLDiv())
	// p = [.5 .5], [.25 .75]; x = log q with q = [.25 .75], [.5 .5]. L = p·(log p − x).
	b := loss.Batch[float64]{Cols: 2, Pred: []float64{math.Log(0.25), math.Log(0.75), math.Log(0.5), math.Log(0.5)},
		Target: []float64{0.5, 0.5, 0.25, 0.75}}
	s := 0.5*math.Log(2) + 0.5*math.Log(2.0/3) + 0.25*math.Log(0.5) + 0.75*math.Log(1.5)
	apiNear(t, "kl sum", apiCompute(t, kl, b, loss.Options{Reduction: loss.Sum}).Value, s, 1e-14, "KL by hand")
	apiNear(t, "kl batchmean", apiCompute(t, kl, b, loss.Options{Reduction: loss.BatchMean}).Value, s/2, 1e-14, "sum / 2 rows")
	apiNear(t, "kl mean", apiCompute(t, kl, b, loss.Options{}).Value, s/4, 1e-14, "sum / 4 elements (PyTorch)")
	r := apiCompute(t, kl, b, loss.Options{Reduction: loss.BatchMean, Grad: true})
	apiNearAll(t, "kl batchmean grad", r.Grad, []float64{-0.25, -0.25, -0.125, -0.375}, 1e-15, "−p / 2 rows")
}

func TestEmptyMean(t *testing.T) {
	ce := apiMust(t)(loss.CrossEntropy())
	mse := apiMust(t)(loss.MSE())
	ignored := loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{-100, -100}}
	zeroW := loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{0, 0}, Weights: []float64{0, 0}}
	emptyReg := loss.Batch[float64]{Pred: []float64{}, Target: []float64{}}
	emptyCE := loss.Batch[float64]{Cols: 3, Pred: []float64{}, Labels: []int32{}}
	for _, c := range []struct {
		name string
		l    loss.Loss
		b    loss.Batch[float64]
	}{{"all ignored", ce, ignored}, {"zero weights", mse, zeroW}, {"no elements", mse, emptyReg}, {"no rows", ce, emptyCE}} {
		r := apiCompute(t, c.l, c.b, loss.Options{Grad: true})
		apiNear(t, c.name+" mean", r.Value, math.NaN(), 0, "SPEC §1: an empty Mean is NaN")
		apiNear(t, c.name+" weight", r.Weight, 0, 0, "nothing counted")
		// The gradient of an empty Mean is 0, not NaN (cpuref.MeanScale).
		apiNearAll(t, c.name+" grad", r.Grad, make([]float64, len(c.b.Pred)), 0, "zero gradient")
		r = apiCompute(t, c.l, c.b, loss.Options{EmptyMeanZero: true})
		apiNear(t, c.name+" mean with EmptyMeanZero", r.Value, 0, 0, "Options.EmptyMeanZero")
		r = apiCompute(t, c.l, c.b, loss.Options{Reduction: loss.Sum})
		apiNear(t, c.name+" sum", r.Value, 0, 0, "SPEC §4: an empty Sum is 0")
		// float32 alike.
		r32 := apiCompute(t, c.l, apiBatch32(c.b), loss.Options{})
		apiNear(t, c.name+" float32 mean", r32.Value, math.NaN(), 0, "SPEC §1")
	}
}

// rows returns rows [lo, hi) of a batch of c columns; weights per row or per element.
func apiRows(b loss.Batch[float64], lo, hi int) loss.Batch[float64] {
	c := b.Cols
	n := len(b.Pred) / c
	cut := func(v []float64, per int) []float64 {
		if v == nil {
			return nil
		}
		return v[lo*per : hi*per]
	}
	out := loss.Batch[float64]{Cols: c, Pred: cut(b.Pred, c), Target: cut(b.Target, c), Aux: cut(b.Aux, c), ClassWeights: b.ClassWeights}
	if b.Labels != nil {
		out.Labels = b.Labels[lo:hi]
	}
	if b.Weights != nil {
		per := 1
		if len(b.Weights) == n*c && c > 1 {
			per = c
		}
		out.Weights = cut(b.Weights, per)
	}
	return out
}

func TestShardsCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, name := range []string{"cross_entropy", "mse"} {
		l := apiMust(t)(loss.New(name))
		b := loss.Generate(l, r, 23, 5, true, true, true)
		if name == "mse" {
			// One weight per element this time.
			b.Weights = make([]float64, len(b.Pred))
			for i := range b.Weights {
				b.Weights[i] = 0.1 + r.Float64()
			}
		}
		whole := apiCompute(t, l, b, loss.Options{})
		wholeSum := apiCompute(t, l, b, loss.Options{Reduction: loss.Sum})
		var vw, w, sum float64
		for _, cut := range [][2]int{{0, 9}, {9, 23}} {
			part := apiRows(b, cut[0], cut[1])
			pr := apiCompute(t, l, part, loss.Options{})
			vw += pr.Value * pr.Weight
			w += pr.Weight
			sum += apiCompute(t, l, part, loss.Options{Reduction: loss.Sum}).Value
		}
		apiNear(t, name+" Σ Value·Weight / Σ Weight", vw/w, whole.Value, 1e-13, "the whole batch's Mean")
		apiNear(t, name+" Σ Weight", w, whole.Weight, 1e-13, "the whole batch's weight")
		apiNear(t, name+" Σ Sum", sum, wholeSum.Value, 1e-13, "the whole batch's Sum")
	}
}

func TestInPlaceGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, name := range []string{"cross_entropy", "mse"} {
		l := apiMust(t)(loss.New(name))
		b := loss.Generate(l, r, 9, 6, true, true, true)
		for _, red := range []loss.Reduction{loss.Mean, loss.Sum, loss.None} {
			apiInPlaceCompute(t, l, b, red)
			apiInPlaceCompute(t, l, apiBatch32(b), red)
		}
		apiInPlaceRun(t, l, b)
	}
}

func apiInPlaceCompute[T loss.Float](t *testing.T, l loss.Loss, b loss.Batch[T], red loss.Reduction) {
	t.Helper()
	orig := slices.Clone(b.Pred)
	out := apiCompute(t, l, b, loss.Options{Grad: true, Reduction: red})
	if !slices.Equal(b.Pred, orig) {
		t.Fatalf("%v %v: the out-of-place gradient changed Pred", l, red)
	}
	b.Pred = slices.Clone(orig)
	in := apiCompute(t, l, b, loss.Options{InPlace: true, Reduction: red})
	if &in.Grad[0] != &b.Pred[0] {
		t.Errorf("%v %v: InPlace Result.Grad is not Pred", l, red)
	}
	if math.Float64bits(in.Value) != math.Float64bits(out.Value) {
		t.Errorf("%v %v: in-place value %v, out-of-place %v", l, red, in.Value, out.Value)
	}
	for i := range out.Grad {
		if math.Float64bits(float64(in.Grad[i])) != math.Float64bits(float64(out.Grad[i])) {
			t.Errorf("%v %v %T: grad[%d] in place %v, out of place %v (SPEC §4: equal)", l, red, in.Grad[i], i, in.Grad[i], out.Grad[i])
		}
	}
}

// inPlaceRun checks the device path: Outputs.Grad = Buffers.Pred.
func apiInPlaceRun(t *testing.T, l loss.Loss, b loss.Batch[float64]) {
	t.Helper()
	dev := device.CPU0()
	in := apiUpload(t, dev, device.F64, b)
	g, err := dev.Alloc(device.F64, len(b.Pred))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := loss.Run(dev, l, in, loss.Outputs{Grad: g}, loss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := loss.Run(dev, l, in, loss.Outputs{Grad: in.Pred}, loss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(b.Pred))
	over := make([]float64, len(b.Pred))
	if err := dev.Read(out, g, 0); err != nil {
		t.Fatal(err)
	}
	if err := dev.Read(over, in.Pred, 0); err != nil {
		t.Fatal(err)
	}
	if v1.Value != v2.Value || !slices.Equal(out, over) {
		t.Errorf("%v Run: in-place value %v grad %v; out-of-place %v grad %v", l, v2.Value, over, v1.Value, out)
	}
}

func TestPenaltyMeanIsSum(t *testing.T) {
	apiNeedKernel(t, "penalty")
	p := apiMust(t)(loss.Penalty(loss.L1(0.1), loss.L2(0.5)))
	// Ω = 0.1·(1 + 2 + 0.5) + 0.5·(1 + 4 + 0.25) = 0.35 + 2.625; ∇ = 0.1·sign θ + θ.
	b := loss.Batch[float64]{Pred: []float64{1, -2, 0.5}}
	mean := apiCompute(t, p, b, loss.Options{Grad: true})
	sum := apiCompute(t, p, b, loss.Options{Grad: true, Reduction: loss.Sum})
	apiNear(t, "penalty mean", mean.Value, 2.975, 1e-15, "by hand")
	apiNear(t, "penalty sum", sum.Value, 2.975, 1e-15, "by hand")
	apiNearAll(t, "penalty mean grad", mean.Grad, []float64{1.1, -2.1, 0.6}, 1e-15, "l1·sign θ + 2·l2·θ")
	apiNearAll(t, "penalty sum grad", sum.Grad, []float64{1.1, -2.1, 0.6}, 1e-15, "l1·sign θ + 2·l2·θ")
	none := apiCompute(t, p, b, loss.Options{Reduction: loss.None})
	apiNearAll(t, "penalty per-parameter", none.PerSample, []float64{0.6, 2.2, 0.175}, 1e-15, "l1·|θ| + l2·θ²")
}

func TestNonFinitePropagates(t *testing.T) {
	// Without CheckFinite, NaN flows through like IEEE arithmetic (SPEC §1), and −Inf is a
	// valid logit in a non-target class.
	mse := apiMust(t)(loss.MSE())
	r := apiCompute(t, mse, loss.Batch[float64]{Pred: []float64{1, math.NaN()}, Target: []float64{1, 1}}, loss.Options{})
	apiNear(t, "mse with NaN", r.Value, math.NaN(), 0, "IEEE propagation")
	ce := apiMust(t)(loss.CrossEntropy())
	r = apiCompute(t, ce, loss.Batch[float64]{Cols: 2, Pred: []float64{0, math.Inf(-1)}, Labels: []int32{0}}, loss.Options{})
	apiNear(t, "ce with −Inf off target", r.Value, 0, 0, "softmax puts all mass on the target: −log 1")
}

func TestMetricValues(t *testing.T) {
	// Metric values from their sums (loss/metrics.go) on the cpuref hand examples.
	acc := apiMust(t)(loss.Accuracy())
	x3 := []float64{0.1, 2, 0.3, 1, 1, 0, 1, 1, 0, 0, 0, 5, 3, 0, 1}
	r := apiCompute(t, acc, loss.Batch[float64]{Cols: 3, Pred: x3, Labels: []int32{1, 0, 1, -100, 2}, Weights: []float64{1, 2, 0.5, 7, 1.5}}, loss.Options{})
	apiNear(t, "weighted accuracy", r.Value, 0.6, 1e-15, "by hand: 3 of 5")
	r = apiCompute(t, acc, loss.Batch[float64]{Cols: 3, Pred: x3, Labels: []int32{-100, -100, -100, -100, -100}}, loss.Options{})
	apiNear(t, "accuracy all ignored", r.Value, math.NaN(), 0, "Accuracy: nothing counted")

	mf := apiMust(t)(loss.MacroF1())
	xm := []float64{5, 0, 0, 0, 5, 0, 0, 0, 5, 1, 1, 0, 0, 5, 0}
	r = apiCompute(t, mf, loss.Batch[float64]{Cols: 3, Pred: xm, Labels: []int32{0, 0, 2, 1, -100}, Weights: []float64{1, 2, 3, 4, 5}}, loss.Options{})
	apiNear(t, "macro F1", r.Value, (0.25+0+1)/3, 1e-15, "by hand: class F1s 2/8, 0, 6/6")
	r = apiCompute(t, mf, loss.Batch[float64]{Cols: 3, Pred: xm, Labels: []int32{-100, -100, -100, -100, -100}}, loss.Options{})
	apiNear(t, "macro F1 all ignored", r.Value, 0, 0, "MacroF1: no class occurs")

	xs := []float64{0.9, 0.6, 0.4, 0.1, 0.5, 0.7}
	ys := []float64{1, 0, 1, 0, 1, 1}
	iou := apiMust(t)(loss.BinaryIoU())
	r = apiCompute(t, iou, loss.Batch[float64]{Pred: xs, Target: ys}, loss.Options{})
	apiNear(t, "IoU", r.Value, 0.4, 1e-15, "by hand: TP 2 / (2 + 1 + 2)")
	r = apiCompute(t, iou, loss.Batch[float64]{Pred: []float64{0.1, 0.2}, Target: []float64{0, 0}}, loss.Options{})
	apiNear(t, "IoU of empty masks", r.Value, 1, 0, "BinaryIoU: 1 when both masks are empty")
	f1 := apiMust(t)(loss.F1(loss.Threshold(0.45)))
	r = apiCompute(t, f1, loss.Batch[float64]{Pred: xs, Target: ys}, loss.Options{})
	apiNear(t, "F1 t=0.45", r.Value, 0.75, 1e-15, "by hand: TP 3 (0.5 > 0.45), FP 1, FN 1: 6/8")
	r = apiCompute(t, f1, loss.Batch[float64]{Pred: []float64{0.1, 0.2}, Target: []float64{0, 0}}, loss.Options{})
	apiNear(t, "F1 without positives", r.Value, 0, 0, "F1: 0 when there are no positives")

	auc := apiMust(t)(loss.AUC())
	r = apiCompute(t, auc, loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{1, 1}}, loss.Options{})
	apiNear(t, "AUC one class", r.Value, math.NaN(), 0, "AUC: NaN when a class is empty")
	r32 := apiCompute(t, auc, loss.Batch[float32]{Pred: []float32{0.1, 0.4, 0.35, 0.8}, Target: []float32{0, 0, 1, 1}}, loss.Options{})
	apiNear(t, "AUC float32", r32.Value, 0.75, 0, "scikit-learn roc_auc_score example")

	cal := apiMust(t)(loss.Calibration(loss.Bins(4), loss.FromLogits(false)))
	r = apiCompute(t, cal, loss.Batch[float64]{Cols: 1, Pred: []float64{0.3}, Labels: []int32{-100}}, loss.Options{})
	apiNear(t, "ECE all ignored", r.Value, math.NaN(), 0, "Calibration: no weight")
	if len(r.Sums) != 12 {
		t.Errorf("calibration with 4 bins returned %d sums, want 12", len(r.Sums))
	}
}

func TestResultDevice(t *testing.T) {
	mse := apiMust(t)(loss.MSE())
	b := loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{0, 0}}
	for _, o := range []loss.Options{{}, {Device: device.CPU0()}} {
		r := apiCompute(t, mse, b, o)
		if r.Device != "cpu" || r.Fallback {
			t.Errorf("Compute on %v: Device %q, Fallback %v; want \"cpu\", false", o.Device, r.Device, r.Fallback)
		}
	}
	dev := device.CPU0()
	v, err := loss.Run(dev, mse, apiUpload(t, dev, device.F32, b), loss.Outputs{}, loss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Device != "cpu" || v.Fallback {
		t.Errorf("Run on the cpu: Device %q, Fallback %v; want \"cpu\", false", v.Device, v.Fallback)
	}
	apiNear(t, "Run mse", v.Value, 2.5, 0, "by hand: (1 + 4)/2")
}

// fakeDev is the cpu device under another name and kind, without the kernels in no: what a
// GPU backend without some kernel looks like to package loss.
type apiFakeDev struct {
	device.Device
	no   map[string]bool
	runs atomic.Int64
}

func apiNewFake(no ...string) *apiFakeDev {
	d := &apiFakeDev{Device: device.CPU0(), no: map[string]bool{}}
	for _, k := range no {
		d.no[k] = true
	}
	return d
}

func (d *apiFakeDev) Info() device.Info {
	i := d.Device.Info()
	i.Name, i.Kind, i.Description = "fake:0", device.OpenCL, "test device over the cpu"
	return i
}

func (d *apiFakeDev) Supports(k string, dt device.DType) bool {
	return !d.no[k] && d.Device.Supports(k, dt)
}

func (d *apiFakeDev) Run(c *device.Call) (device.Sums, error) {
	d.runs.Add(1)
	return d.Device.Run(c)
}

func TestFallback(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, name := range []string{"mse", "cross_entropy", "auc"} {
		l := apiMust(t)(loss.New(name))
		b := loss.Generate(l, r, 11, 4, true, false, true)
		o := loss.Options{Grad: l.Family() != device.Metric, Reduction: loss.None}
		if l.Family() == device.Metric {
			o.Reduction = loss.Mean
		}
		ref := apiCompute(t, l, b, o)

		// The device lacks the kernel: the cpu runs it and the Result says so.
		fake := apiNewFake(name, "check_values", "check_labels")
		o.Device = fake
		got := apiCompute(t, l, b, o)
		if !got.Fallback {
			t.Errorf("%s: Fallback false on a device without the kernel", name)
		}
		for _, part := range []string{"cpu (fallback from fake:0", name, "float64"} {
			if !strings.Contains(got.Device, part) {
				t.Errorf("%s: Device %q does not say %q", name, got.Device, part)
			}
		}
		if n := fake.runs.Load(); n != 0 {
			t.Errorf("%s: the device without the kernel ran %d calls", name, n)
		}
		apiSame(t, name+" fallback", got, ref)

		// The device has it: it runs there, no fallback, same numbers.
		fake = apiNewFake()
		o.Device = fake
		got = apiCompute(t, l, b, o)
		if got.Fallback || got.Device != "fake:0" {
			t.Errorf("%s: Device %q, Fallback %v on a device with the kernel; want \"fake:0\", false", name, got.Device, got.Fallback)
		}
		if n := fake.runs.Load(); n != 1 {
			t.Errorf("%s: the device ran %d calls, want 1", name, n)
		}
		apiSame(t, name+" on the device", got, ref)

		// float32 through Run on the device's own buffers.
		fake = apiNewFake(name)
		in := apiUpload(t, fake, device.F32, b)
		ref32 := apiCompute(t, l, apiBatch32(b), loss.Options{Reduction: o.Reduction})
		v, err := loss.Run(fake, l, in, loss.Outputs{}, loss.Options{Reduction: o.Reduction})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Fallback || !strings.Contains(v.Device, "float32") || !strings.HasPrefix(v.Device, "cpu (fallback from fake:0") {
			t.Errorf("%s Run: Device %q, Fallback %v", name, v.Device, v.Fallback)
		}
		if math.Float64bits(v.Value) != math.Float64bits(ref32.Value) {
			t.Errorf("%s Run fallback: value %v, cpu %v", name, v.Value, ref32.Value)
		}
	}

	// The in-place gradient through the fallback: the cpu's result is written back over the
	// device's Pred buffer.
	for _, name := range []string{"mse", "cross_entropy"} {
		l := apiMust(t)(loss.New(name))
		b := loss.Generate(l, r, 6, 3, true, false, true)
		want := apiCompute(t, l, b, loss.Options{Grad: true})
		for _, fake := range []*apiFakeDev{apiNewFake(name), apiNewFake()} {
			pred := slices.Clone(b.Pred)
			fb := b
			fb.Pred = pred
			got := apiCompute(t, l, fb, loss.Options{Device: fake, InPlace: true})
			if &got.Grad[0] != &pred[0] || !slices.Equal(pred, want.Grad) || got.Value != want.Value {
				t.Errorf("%s in place on %s: value %v grad %v; cpu out of place %v %v", name, got.Device, got.Value, pred, want.Value, want.Grad)
			}
			in := apiUpload(t, fake, device.F64, b)
			v, err := loss.Run(fake, l, in, loss.Outputs{Grad: in.Pred}, loss.Options{})
			if err != nil {
				t.Fatal(err)
			}
			over := make([]float64, len(b.Pred))
			if err := fake.Read(over, in.Pred, 0); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(over, want.Grad) || v.Value != want.Value {
				t.Errorf("%s Run in place on %s: value %v grad %v; cpu out of place %v %v", name, v.Device, v.Value, over, want.Value, want.Grad)
			}
		}
	}

	// Value checks on a device without check kernels run on a host copy and still name the
	// input, index and value.
	fake := apiNewFake("check_labels", "check_values")
	ce := apiMust(t)(loss.CrossEntropy())
	in := apiUpload(t, fake, device.F32, loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 3}, Weights: []float64{1, 1}})
	_, err := loss.Run(fake, ce, in, loss.Outputs{}, loss.Options{})
	apiCheckErr(t, err, loss.ErrLabel, []string{"Labels", "[1] = 3"})
	in = apiUpload(t, fake, device.F32, loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}, Weights: []float64{1, -3}})
	_, err = loss.Run(fake, ce, in, loss.Outputs{}, loss.Options{})
	apiCheckErr(t, err, loss.ErrWeight, []string{"Weights", "[1] = -3"})
}

func apiSame(t *testing.T, what string, got, want loss.Result[float64]) {
	t.Helper()
	same := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	if !same([]float64{got.Value, got.Weight}, []float64{want.Value, want.Weight}) || !same(got.Sums, want.Sums) {
		t.Errorf("%s: value %v weight %v sums %v; cpu %v %v %v", what, got.Value, got.Weight, got.Sums, want.Value, want.Weight, want.Sums)
	}
	if !same(got.PerSample, want.PerSample) || !same(got.Grad, want.Grad) {
		t.Errorf("%s: per-sample %v grad %v; cpu %v %v", what, got.PerSample, got.Grad, want.PerSample, want.Grad)
	}
}

func TestParseReduction(t *testing.T) {
	for _, red := range []loss.Reduction{loss.Mean, loss.Sum, loss.None, loss.BatchMean} {
		for _, s := range []string{red.String(), strings.ToUpper(red.String())} {
			got, err := loss.ParseReduction(s)
			if err != nil || got != red {
				t.Errorf("ParseReduction(%q) = %v, %v; want %v", s, got, err, red)
			}
		}
	}
}

func TestLossDescription(t *testing.T) {
	h := apiMust(t)(loss.Huber(loss.Delta(2)))
	if h.String() != "huber(delta=2)" || h.Name() != "huber" {
		t.Errorf("Huber(Delta(2)): String %q, Name %q", h.String(), h.Name())
	}
	ce := apiMust(t)(loss.CrossEntropy(loss.IgnoreIndex(-1)))
	if p := ce.Params(); p["ignore_index"] != -1 || p["label_smoothing"] != 0 || p["z_loss"] != 0 {
		t.Errorf("CrossEntropy params %v", p)
	}
	if _, ok := loss.Lookup("cross_entropy"); !ok {
		t.Errorf("Lookup(cross_entropy) failed")
	}
}

// TestElementMetricWeights: f1, auc and binary_iou are elementwise over the N·C scores, so, as
// for the elementwise losses, Weights may hold one value per element or one per row (cpuref's
// sampleWeight rule, which their kernels follow).
func TestElementMetricWeights(t *testing.T) {
	// Two rows of two: scores [1 0 | 1 0], targets [1 0 | 0 1], threshold 0.5: element 0 is a
	// TP, 2 a FP, 3 a FN. Element weights 1 2 3 4: TP 1, FP 3, FN 4.
	b := loss.Batch[float64]{Cols: 2, Pred: []float64{1, 0, 1, 0}, Target: []float64{1, 0, 0, 1}, Weights: []float64{1, 2, 3, 4}}
	for _, c := range []struct {
		name string
		want float64
		src  string
	}{
		{"f1", 2.0 / 9, "by hand: 2·1/(2·1 + 3 + 4)"},
		{"binary_iou", 1.0 / 8, "by hand: 1/(1 + 3 + 4)"},
		// Positives (1, s=1), (0, s=4); negatives (0, s=2), (1, s=3):
		// U = 1·2 + ½·1·3 + ½·4·2 = 7.5 over S⁺·S⁻ = 5·5.
		{"auc", 0.3, "by hand: 7.5/25"},
	} {
		l := apiMust(t)(loss.New(c.name))
		r, err := loss.Compute(l, b, loss.Options{})
		if err != nil {
			t.Errorf("%s with one weight per element (Cols 2): %v", c.name, err)
			continue
		}
		apiNear(t, c.name+" per-element weights", r.Value, c.want, 1e-15, c.src)
		// One weight per row still works: rows 1 and 10 → element weights 1 1 10 10.
		rb := b
		rb.Weights = []float64{1, 10}
		if _, err := loss.Compute(l, rb, loss.Options{}); err != nil {
			t.Errorf("%s with one weight per row: %v", c.name, err)
		}
	}
}

// TestEmptyNilBatch: a batch of no rows may leave its slices nil (in Go a nil slice is an
// empty one); the Mean over it is NaN (SPEC §1), not a shape error.
func TestEmptyNilBatch(t *testing.T) {
	for _, c := range []struct {
		name string
		b    loss.Batch[float64]
	}{
		{"mse", loss.Batch[float64]{}},
		{"cross_entropy", loss.Batch[float64]{Cols: 3}},
		{"gaussian_nll", loss.Batch[float64]{}},
	} {
		l := apiMust(t)(loss.New(c.name))
		r, err := loss.Compute(l, c.b, loss.Options{})
		if err != nil {
			t.Errorf("%s on an empty batch of nil slices: %v", c.name, err)
			continue
		}
		apiNear(t, c.name+" empty mean", r.Value, math.NaN(), 0, "SPEC §1: an empty Mean is NaN")
	}
}
