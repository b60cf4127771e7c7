package loss_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// The error contract of SPEC §1: structural problems are errors wrapping a sentinel, and the
// message names the input, the index and the value. Each case runs through Compute (float32
// and float64 host slices) and Run (cpu device buffers allocated with Alloc and filled with
// Write).

var (
	apiNaN    = math.NaN()
	apiInf    = math.Inf(1)
	apiNegInf = math.Inf(-1)
)

// errCase is one invalid call: a loss, a batch, options, the sentinel and the message parts.
type apiErrCase struct {
	name  string
	loss  func() (loss.Loss, error)
	batch loss.Batch[float64]
	opt   loss.Options
	want  error
	msg   []string // substrings the message must contain (input, index, value)
}

func apiMk(f func(...loss.Param) (loss.Loss, error), p ...loss.Param) func() (loss.Loss, error) {
	return func() (loss.Loss, error) { return f(p...) }
}

// computeCases are rejected by Compute and Run alike.
var apiErrCases = []apiErrCase{
	// Shapes and lengths.
	{"target length", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2, 3, 4}, Target: []float64{1, 2, 3}},
		loss.Options{}, loss.ErrShape, []string{"mse", "Target (target)", "has 3 values", "want 4"}},
	{"rows×cols", apiMk(loss.MSE), loss.Batch[float64]{Rows: 2, Cols: 3, Pred: []float64{1, 2, 3, 4, 5}, Target: []float64{1, 2, 3, 4, 5}},
		loss.Options{}, loss.ErrShape, []string{"pred", "5 values", "2×3"}},
	{"rows not dividing", apiMk(loss.MSE), loss.Batch[float64]{Rows: 2, Pred: []float64{1, 2, 3}, Target: []float64{1, 2, 3}},
		loss.Options{}, loss.ErrShape, []string{"pred", "3 values", "Rows = 2"}},
	{"negative rows", apiMk(loss.MSE), loss.Batch[float64]{Rows: -1, Pred: []float64{1}, Target: []float64{1}},
		loss.Options{}, loss.ErrShape, []string{"negative shape", "-1"}},
	{"cols missing", apiMk(loss.CrossEntropy), loss.Batch[float64]{Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}},
		loss.Options{}, loss.ErrShape, []string{"cross_entropy", "Cols"}},
	{"labels length", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{0, 1, 2}},
		loss.Options{}, loss.ErrShape, []string{"Labels (labels)", "has 3 values", "want 2"}},
	{"row weights length", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{0, 1}, Weights: []float64{1, 1, 1}},
		loss.Options{}, loss.ErrShape, []string{"Weights (sample weights)", "has 3 values", "want 2"}},
	{"element weights length", apiMk(loss.MSE), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Target: []float64{1, 2, 3, 4}, Weights: []float64{1, 1, 1}},
		loss.Options{}, loss.ErrShape, []string{"Weights (sample weights)", "has 3 values", "want 2 (one per row) or 4 (one per element)"}},
	{"class weights length", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{0, 1}, ClassWeights: []float64{1, 2}},
		loss.Options{}, loss.ErrShape, []string{"ClassWeights (class_weights)", "has 2 values", "want 3"}},
	{"min cols", apiMk(loss.MacroF1), loss.Batch[float64]{Cols: 1, Pred: []float64{1, 2}, Labels: []int32{0, 1}},
		loss.Options{}, loss.ErrShape, []string{"macro_f1", "at least 2 classes", "got 1"}},
	// Inputs a loss does not take, or needs.
	{"target to cross_entropy", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}, Labels: []int32{0}, Target: []float64{1, 0}},
		loss.Options{}, loss.ErrShape, []string{"cross_entropy does not take Target", "CrossEntropyProbs"}},
	{"labels to mse", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}, Labels: []int32{0}},
		loss.Options{}, loss.ErrShape, []string{"mse does not take Labels"}},
	{"aux to mse", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}, Aux: []float64{1}},
		loss.Options{}, loss.ErrShape, []string{"mse does not take Aux"}},
	{"class weights to mse", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}, ClassWeights: []float64{1}},
		loss.Options{}, loss.ErrShape, []string{"mse does not take ClassWeights"}},
	{"target missing", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2}},
		loss.Options{}, loss.ErrShape, []string{"mse needs Target (target)"}},
	{"labels missing", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}},
		loss.Options{}, loss.ErrShape, []string{"cross_entropy needs Labels"}},
	{"aux missing", apiMk(loss.GaussianNLL), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}},
		loss.Options{}, loss.ErrShape, []string{"gaussian_nll needs Aux (var)"}},

	// Labels outside [0, C) other than the ignore index.
	{"label = C", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{0, 3}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[1] = 3", "[0, 3)", "ignore index -100"}},
	{"label negative", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{-1, 0}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[0] = -1"}},
	{"default ignore with another ignore index", apiMk(loss.CrossEntropy, loss.IgnoreIndex(-1)),
		loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{-1, 1, -100}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[2] = -100", "ignore index -1"}},
	{"nll label", apiMk(loss.NLL), loss.Batch[float64]{Cols: 2, Pred: []float64{-1, -1, -1, -1}, Labels: []int32{1, 7}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[1] = 7", "[0, 2)"}},
	{"no ignore index in multi_margin", apiMk(loss.MultiMargin), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3}, Labels: []int32{-100}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[0] = -100", "[0, 3)"}},
	{"corn label > K−1", apiMk(loss.CORN), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{2, 3}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[1] = 3", "[0, 3)"}},
	{"binary accuracy label 2", apiMk(loss.Accuracy), loss.Batch[float64]{Cols: 1, Pred: []float64{0.2, 0.9}, Labels: []int32{1, 2}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[1] = 2", "[0, 2)"}},
	{"macro_f1 label", apiMk(loss.MacroF1), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}, Labels: []int32{5}},
		loss.Options{}, loss.ErrLabel, []string{"Labels", "[0] = 5"}},

	// Negative or non-finite weights.
	{"negative weight", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2, 3}, Target: []float64{1, 2, 3}, Weights: []float64{1, -0.5, 1}},
		loss.Options{}, loss.ErrWeight, []string{"Weights", "[1] = -0.5", "non-negative"}},
	{"NaN weight", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2, 3}, Target: []float64{1, 2, 3}, Weights: []float64{1, 1, apiNaN}},
		loss.Options{}, loss.ErrWeight, []string{"Weights", "[2] = NaN"}},
	{"Inf weight", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}, Weights: []float64{apiInf, 1}},
		loss.Options{}, loss.ErrWeight, []string{"Weights", "[0] = +Inf", "finite"}},
	{"negative class weight", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 3, Pred: []float64{1, 2, 3}, Labels: []int32{0}, ClassWeights: []float64{1, -2, 1}},
		loss.Options{}, loss.ErrWeight, []string{"ClassWeights", "[1] = -2"}},
	{"Inf pos_weight", apiMk(loss.BCEWithLogits), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}, Target: []float64{0, 1}, ClassWeights: []float64{1, apiInf}},
		loss.Options{}, loss.ErrWeight, []string{"ClassWeights", "pos_weight", "[1] = +Inf"}},
	{"metric weight", apiMk(loss.Accuracy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}, Weights: []float64{1, -1}},
		loss.Options{}, loss.ErrWeight, []string{"Weights", "[1] = -1"}},

	// Targets outside the loss's domain.
	{"hinge target 0", apiMk(loss.Hinge), loss.Batch[float64]{Pred: []float64{1, 2, 3}, Target: []float64{1, -1, 0}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[2] = 0", "−1 or +1"}},
	{"hinge target 0.5", apiMk(loss.SquaredHinge), loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{0.5, 1}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[0] = 0.5"}},
	{"soft margin target", apiMk(loss.SoftMargin), loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{1, 2}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = 2"}},
	{"bce target above 1", apiMk(loss.BCE), loss.Batch[float64]{Pred: []float64{0.5, 0.5}, Target: []float64{0, 1.5}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = 1.5", "[0, 1]"}},
	{"bce target below 0", apiMk(loss.BCE), loss.Batch[float64]{Pred: []float64{0.5, 0.5}, Target: []float64{-0.25, 1}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[0] = -0.25"}},
	{"bce target NaN", apiMk(loss.BCE), loss.Batch[float64]{Pred: []float64{0.5, 0.5}, Target: []float64{1, apiNaN}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = NaN"}},
	{"bce probability above 1", apiMk(loss.BCE), loss.Batch[float64]{Pred: []float64{1.25, 0.5}, Target: []float64{0, 1}},
		loss.Options{}, loss.ErrTarget, []string{"Pred", "prob", "[0] = 1.25"}},
	{"bce with logits target", apiMk(loss.BCEWithLogits), loss.Batch[float64]{Pred: []float64{3, -3}, Target: []float64{1, 2}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = 2"}},
	{"f1 target 0.5", apiMk(loss.F1), loss.Batch[float64]{Pred: []float64{0.2, 0.9}, Target: []float64{0.5, 1}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[0] = 0.5", "0 or 1"}},
	{"poisson count negative", apiMk(loss.Poisson), loss.Batch[float64]{Pred: []float64{0, 1}, Target: []float64{3, -1}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = -1", "non-negative"}},
	{"poisson negative rate", apiMk(loss.Poisson, loss.LogInput(false)), loss.Batch[float64]{Pred: []float64{2, -0.5}, Target: []float64{1, 1}},
		loss.Options{}, loss.ErrTarget, []string{"Pred", "[1] = -0.5", "rate"}},
	{"kl target above 1", apiMk(loss.KLDiv), loss.Batch[float64]{Pred: []float64{-1, -1}, Target: []float64{0.5, 1.5}},
		loss.Options{}, loss.ErrTarget, []string{"Target", "[1] = 1.5", "probability"}},
	{"negative distance", apiMk(loss.Contrastive), loss.Batch[float64]{Pred: []float64{1, -1}, Target: []float64{1, 0}},
		loss.Options{}, loss.ErrTarget, []string{"Pred", "distance", "[1] = -1"}},

	// CheckFinite names the first bad index.
	{"NaN pred", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2, 3, apiNaN, apiNaN}, Target: []float64{1, 2, 3, 4, 5}},
		loss.Options{CheckFinite: true}, loss.ErrNonFinite, []string{"Pred", "[3] = NaN", "finite"}},
	{"Inf target", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{apiInf, 2}},
		loss.Options{CheckFinite: true}, loss.ErrNonFinite, []string{"Target", "[0] = +Inf"}},
	{"-Inf logit", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, apiNegInf}, Labels: []int32{0, 0}},
		loss.Options{CheckFinite: true}, loss.ErrNonFinite, []string{"Pred", "logits", "[3] = -Inf"}},
	{"NaN metric score", apiMk(loss.AUC), loss.Batch[float64]{Pred: []float64{0.5, apiNaN}, Target: []float64{0, 1}},
		loss.Options{CheckFinite: true}, loss.ErrNonFinite, []string{"Pred", "scores", "[1] = NaN"}},

	// Options that do not fit the loss.
	{"hessian of a row loss", apiMk(loss.CrossEntropy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}, Labels: []int32{0}},
		loss.Options{Hessian: true}, loss.ErrOption, []string{"cross_entropy has no Hessian"}},
	{"batchmean of mse", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}},
		loss.Options{Reduction: loss.BatchMean}, loss.ErrOption, []string{"mse", "BatchMean"}},
	{"grad of a metric", apiMk(loss.Accuracy), loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2}, Labels: []int32{0}},
		loss.Options{Grad: true}, loss.ErrOption, []string{"accuracy is a metric"}},
	{"in-place grad of a metric", apiMk(loss.AUC), loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{0, 1}},
		loss.Options{InPlace: true}, loss.ErrOption, []string{"auc is a metric"}},
	{"hessian of a metric", apiMk(loss.F1), loss.Batch[float64]{Pred: []float64{1, 2}, Target: []float64{0, 1}},
		loss.Options{Hessian: true}, loss.ErrOption, []string{"f1 is a metric"}},
	{"unknown reduction", apiMk(loss.MSE), loss.Batch[float64]{Pred: []float64{1}, Target: []float64{1}},
		loss.Options{Reduction: loss.Reduction(9)}, loss.ErrOption, []string{"unknown reduction", "Reduction(9)"}},
}

// paramCases are rejected by the constructors.
var apiParamCases = []struct {
	name string
	loss func() (loss.Loss, error)
	msg  []string
}{
	{"huber δ = 0", apiMk(loss.Huber, loss.Delta(0)), []string{"huber", "delta = 0", "(0, +Inf)"}},
	{"huber δ < 0", apiMk(loss.Huber, loss.Delta(-1)), []string{"delta = -1"}},
	{"huber δ NaN", apiMk(loss.Huber, loss.Delta(apiNaN)), []string{"delta = NaN", "not a number"}},
	{"huber δ Inf", apiMk(loss.Huber, loss.Delta(apiInf)), []string{"delta = +Inf"}},
	{"pseudo-huber δ = 0", apiMk(loss.PseudoHuber, loss.Delta(0)), []string{"pseudo_huber", "delta = 0"}},
	{"smooth L1 β < 0", apiMk(loss.SmoothL1, loss.Beta(-0.5)), []string{"beta = -0.5"}},
	{"quantile τ = 0", apiMk(loss.Quantile, loss.Tau(0)), []string{"tau = 0", "(0, 1)"}},
	{"quantile τ = 1", apiMk(loss.Quantile, loss.Tau(1)), []string{"tau = 1"}},
	{"quantile τ > 1", apiMk(loss.Quantile, loss.Tau(1.5)), []string{"tau = 1.5"}},
	{"tweedie ρ = 1", apiMk(loss.Tweedie, loss.Rho(1)), []string{"rho = 1", "(1, 2)"}},
	{"tweedie ρ = 2", apiMk(loss.Tweedie, loss.Rho(2)), []string{"rho = 2"}},
	{"tweedie ρ < 1", apiMk(loss.Tweedie, loss.Rho(0.5)), []string{"rho = 0.5"}},
	{"focal γ < 0", apiMk(loss.Focal, loss.Gamma(-0.1)), []string{"focal", "gamma = -0.1"}},
	{"focal α > 1", apiMk(loss.Focal, loss.Alpha(1.5)), []string{"alpha = 1.5"}},
	{"label smoothing ε = 1", apiMk(loss.CrossEntropy, loss.LabelSmoothing(1)), []string{"label_smoothing = 1", "[0, 1)"}},
	{"label smoothing ε < 0", apiMk(loss.CrossEntropy, loss.LabelSmoothing(-0.1)), []string{"label_smoothing = -0.1"}},
	{"probs label smoothing ε = 1", apiMk(loss.CrossEntropyProbs, loss.LabelSmoothing(1)), []string{"cross_entropy_probs", "label_smoothing = 1"}},
	{"z-loss < 0", apiMk(loss.CrossEntropy, loss.ZLoss(-1)), []string{"z_loss = -1"}},
	{"temperature = 0", apiMk(loss.InfoNCE, loss.Temperature(0)), []string{"info_nce", "temperature = 0"}},
	{"temperature < 0", apiMk(loss.InfoNCE, loss.Temperature(-0.07)), []string{"temperature = -0.07"}},
	{"pos_weight < 0", apiMk(loss.BCEWithLogits, loss.PosWeight(-1)), []string{"pos_weight = -1"}},
	{"multi-margin p = 3", apiMk(loss.MultiMargin, loss.Power(3)), []string{"p = 3"}},
	{"multi-margin p = 1.5", apiMk(loss.MultiMargin, loss.Power(1.5)), []string{"p = 1.5", "integer"}},
	{"triplet p = 0", apiMk(loss.Triplet, loss.Power(0)), []string{"triplet", "p = 0"}},
	{"boolean not 0 or 1", apiMk(loss.Poisson, loss.With("full", 0.5)), []string{"full = 0.5", "boolean"}},
	{"calibration bins = 0", apiMk(loss.Calibration, loss.Bins(0)), []string{"bins = 0"}},
	{"penalty l1 < 0", apiMk(loss.Penalty, loss.L1(-1)), []string{"l1 = -1"}},
	{"dice eps < 0", apiMk(loss.Dice, loss.Eps(-1)), []string{"eps = -1"}},
	{"unknown parameter", apiMk(loss.MSE, loss.Delta(1)), []string{"mse has no parameter \"delta\"", "it takes: none"}},
	{"unknown parameter, with a list", apiMk(loss.Huber, loss.Tau(0.5)), []string{"huber has no parameter \"tau\"", "it takes: delta"}},
	{"ignore index of a loss without labels", apiMk(loss.MSE, loss.IgnoreIndex(-1)), []string{"no parameter \"ignore_index\""}},
	{"ignore index not an integer", apiMk(loss.CrossEntropy, loss.With("ignore_index", 1.5)), []string{"ignore_index 1.5"}},
	{"ignore index beyond int32", apiMk(loss.CrossEntropy, loss.With("ignore_index", math.MaxInt32+1)), []string{"ignore_index 2.147483648e+09"}},
	{"ignore index below int32", apiMk(loss.CrossEntropy, loss.With("ignore_index", math.MinInt32-1)), []string{"ignore_index", "not an int32"}},
	{"unknown loss", func() (loss.Loss, error) { return loss.New("no_such_loss") }, []string{"no loss \"no_such_loss\"", "known:"}},
}

// checkErr fails unless err wraps want and its message holds every part of msg.
func apiCheckErr(t *testing.T, err, want error, msg []string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want %v", want)
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q does not wrap %q", err, want)
	}
	for _, m := range msg {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not say %q", err, m)
		}
	}
}

func apiF32(v []float64) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// apiBatch32 is b with its float values rounded to float32 (exact for the error cases' values).
func apiBatch32(b loss.Batch[float64]) loss.Batch[float32] {
	return loss.Batch[float32]{Rows: b.Rows, Cols: b.Cols, Pred: apiF32(b.Pred), Target: apiF32(b.Target), Aux: apiF32(b.Aux),
		Labels: b.Labels, Weights: apiF32(b.Weights), ClassWeights: apiF32(b.ClassWeights)}
}

func TestComputeErrors(t *testing.T) {
	for _, c := range apiErrCases {
		t.Run(c.name, func(t *testing.T) {
			l, err := c.loss()
			if err != nil {
				t.Fatalf("constructor: %v", err)
			}
			_, err = loss.Compute(l, c.batch, c.opt)
			apiCheckErr(t, err, c.want, c.msg)
			_, err = loss.Compute(l, apiBatch32(c.batch), c.opt)
			apiCheckErr(t, err, c.want, c.msg)
		})
	}
}

// upload allocates dev buffers of dtype dt for a batch and writes its values.
func apiUpload(t *testing.T, dev device.Device, dt device.DType, b loss.Batch[float64]) loss.Buffers {
	t.Helper()
	put := func(v []float64) device.Buffer {
		if v == nil {
			return nil
		}
		buf, err := dev.Alloc(dt, len(v))
		if err != nil {
			t.Fatal(err)
		}
		var src any = v
		if dt == device.F32 {
			src = apiF32(v)
		}
		if err := dev.Write(buf, 0, src); err != nil {
			t.Fatal(err)
		}
		return buf
	}
	in := loss.Buffers{Rows: b.Rows, Cols: b.Cols, Pred: put(b.Pred), Target: put(b.Target), Aux: put(b.Aux),
		Weights: put(b.Weights), ClassWeights: put(b.ClassWeights)}
	if b.Labels != nil {
		buf, err := dev.Alloc(device.I32, len(b.Labels))
		if err != nil {
			t.Fatal(err)
		}
		if err := dev.Write(buf, 0, b.Labels); err != nil {
			t.Fatal(err)
		}
		in.Labels = buf
	}
	return in
}

// outputsFor allocates the outputs that stand for Compute's options in Run.
func apiOutputs(t *testing.T, dev device.Device, dt device.DType, in loss.Buffers, o loss.Options) loss.Outputs {
	t.Helper()
	var out loss.Outputs
	n := 0
	if in.Pred != nil {
		n = in.Pred.Len()
	}
	alloc := func(k int) device.Buffer {
		b, err := dev.Alloc(dt, k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	switch {
	case o.InPlace:
		out.Grad = in.Pred
	case o.Grad:
		out.Grad = alloc(n)
	}
	if o.Hessian {
		out.Hess = alloc(n)
	}
	return out
}

func TestRunErrors(t *testing.T) {
	dev := device.CPU0()
	for _, c := range apiErrCases {
		t.Run(c.name, func(t *testing.T) {
			l, err := c.loss()
			if err != nil {
				t.Fatalf("constructor: %v", err)
			}
			for _, dt := range []device.DType{device.F64, device.F32} {
				in := apiUpload(t, dev, dt, c.batch)
				_, err = loss.Run(dev, l, in, apiOutputs(t, dev, dt, in, c.opt), c.opt)
				apiCheckErr(t, err, c.want, c.msg)
			}
		})
	}
}

// TestRunBufferErrors covers what only device buffers can get wrong: dtypes and outputs.
func TestRunBufferErrors(t *testing.T) {
	dev := device.CPU0()
	mse, err := loss.MSE()
	if err != nil {
		t.Fatal(err)
	}
	ce, err := loss.CrossEntropy()
	if err != nil {
		t.Fatal(err)
	}
	acc, err := loss.Accuracy()
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(dt device.DType, n int) device.Buffer {
		b, err := dev.Alloc(dt, n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	reg := apiUpload(t, dev, device.F64, loss.Batch[float64]{Pred: []float64{1, 2, 3, 4}, Target: []float64{1, 1, 1, 1}})
	cls := apiUpload(t, dev, device.F64, loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}})
	for _, c := range []struct {
		name string
		l    loss.Loss
		in   loss.Buffers
		out  loss.Outputs
		want error
		msg  []string
	}{
		{"target dtype", mse, loss.Buffers{Pred: reg.Pred, Target: alloc(device.F32, 4)}, loss.Outputs{},
			loss.ErrShape, []string{"Target is float32", "pred is float64"}},
		{"weights dtype", mse, loss.Buffers{Pred: reg.Pred, Target: reg.Target, Weights: alloc(device.F32, 4)}, loss.Outputs{},
			loss.ErrShape, []string{"Weights is float32"}},
		{"labels float", ce, loss.Buffers{Cols: 2, Pred: cls.Pred, Labels: alloc(device.F64, 2)}, loss.Outputs{},
			loss.ErrShape, []string{"Labels"}},
		{"labels float32 with float32 logits", ce, loss.Buffers{Cols: 2, Pred: alloc(device.F32, 4), Labels: alloc(device.F32, 2)}, loss.Outputs{},
			loss.ErrShape, []string{"Labels must be int32", "float32"}},
		{"int pred", mse, loss.Buffers{Pred: alloc(device.I32, 4), Target: reg.Target}, loss.Outputs{},
			loss.ErrShape, []string{"pred must be float32 or float64", "int32"}},
		{"no pred", mse, loss.Buffers{Target: reg.Target}, loss.Outputs{},
			loss.ErrShape, []string{"pred must be float32 or float64"}},
		{"grad length", mse, reg, loss.Outputs{Grad: alloc(device.F64, 3)},
			loss.ErrShape, []string{"output Grad is 3 float64, want 4 float64"}},
		{"grad dtype", mse, reg, loss.Outputs{Grad: alloc(device.F32, 4)},
			loss.ErrShape, []string{"output Grad is 4 float32, want 4 float64"}},
		{"per-sample length of a row loss", ce, cls, loss.Outputs{PerSample: alloc(device.F64, 4)},
			loss.ErrShape, []string{"output PerSample is 4 float64, want 2 float64"}},
		{"hess length", mse, reg, loss.Outputs{Hess: alloc(device.F64, 5)},
			loss.ErrShape, []string{"output Hess is 5"}},
		{"grad of a target without one", mse, reg, loss.Outputs{GradTarget: alloc(device.F64, 4)},
			loss.ErrOption, []string{"mse has no GradTarget"}},
		{"aux grad of mse", mse, reg, loss.Outputs{GradAux: alloc(device.F64, 4)},
			loss.ErrOption, []string{"mse has no GradAux"}},
		{"per-sample of a metric", acc, cls, loss.Outputs{PerSample: alloc(device.F64, 2)},
			loss.ErrOption, []string{"accuracy has no PerSample"}},
		{"hess of a row loss", ce, cls, loss.Outputs{Hess: alloc(device.F64, 4)},
			loss.ErrOption, []string{"cross_entropy has no Hessian"}},
		{"grad of a metric", acc, cls, loss.Outputs{Grad: alloc(device.F64, 4)},
			loss.ErrOption, []string{"accuracy is a metric"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loss.Run(dev, c.l, c.in, c.out, loss.Options{})
			apiCheckErr(t, err, c.want, c.msg)
		})
	}
}

func TestParamErrors(t *testing.T) {
	for _, c := range apiParamCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.loss()
			apiCheckErr(t, err, loss.ErrParam, c.msg)
		})
	}
	// The zero Loss is refused by Compute and Run, not a panic.
	_, err := loss.Compute(loss.Loss{}, loss.Batch[float64]{Pred: []float64{1}}, loss.Options{})
	apiCheckErr(t, err, loss.ErrParam, []string{"zero Loss"})
	_, err = loss.Run(device.CPU0(), loss.Loss{}, loss.Buffers{}, loss.Outputs{}, loss.Options{})
	apiCheckErr(t, err, loss.ErrParam, []string{"zero Loss"})
	// Reductions by name.
	_, err = loss.ParseReduction("avg")
	apiCheckErr(t, err, loss.ErrOption, []string{"\"avg\""})
}

// TestValidAtTheEdges: the values just inside each domain are accepted (the other side of
// the table above).
func TestValidAtTheEdges(t *testing.T) {
	for _, c := range []struct {
		name string
		mk   func() (loss.Loss, error)
	}{
		{"smooth L1 β = 0", apiMk(loss.SmoothL1, loss.Beta(0))},
		{"focal γ = 0", apiMk(loss.Focal, loss.Gamma(0))},
		{"focal α = 1", apiMk(loss.Focal, loss.Alpha(1))},
		{"focal α < 0 disables", apiMk(loss.Focal, loss.Alpha(-1))},
		{"label smoothing ε = 0", apiMk(loss.CrossEntropy, loss.LabelSmoothing(0))},
		{"label smoothing ε = 0.999", apiMk(loss.CrossEntropy, loss.LabelSmoothing(0.999))},
		{"tweedie ρ = 1.001", apiMk(loss.Tweedie, loss.Rho(1.001))},
		{"quantile τ = 0.001", apiMk(loss.Quantile, loss.Tau(0.001))},
		{"temperature tiny", apiMk(loss.InfoNCE, loss.Temperature(1e-9))},
		{"negative margin", apiMk(loss.Hinge, loss.Margin(-1))},
		{"ignore index 0", apiMk(loss.CrossEntropy, loss.IgnoreIndex(0))},
		{"multi-margin p = 2", apiMk(loss.MultiMargin, loss.Power(2))},
		{"ignore index MinInt32", apiMk(loss.CrossEntropy, loss.IgnoreIndex(math.MinInt32))},
		{"ignore index MaxInt32", apiMk(loss.CrossEntropy, loss.IgnoreIndex(math.MaxInt32))},
	} {
		if _, err := c.mk(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Labels equal to the ignore index, and labels C for CORN (K = C+1 classes), are valid.
	ce, err := loss.CrossEntropy(loss.IgnoreIndex(-1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loss.Compute(ce, loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{-1, 1}}, loss.Options{}); err != nil {
		t.Errorf("cross_entropy with a label at the ignore index: %v", err)
	}
	corn, err := loss.CORN()
	if err != nil {
		t.Fatal(err)
	}
	if !apiHasKernel("corn") {
		t.Skip("cpuref has no corn kernel yet (another helper's file)")
	}
	if _, err := loss.Compute(corn, loss.Batch[float64]{Cols: 2, Pred: []float64{1, 2, 3, 4}, Labels: []int32{0, 2}}, loss.Options{}); err != nil {
		t.Errorf("corn with label K−1 = 2: %v", err)
	}
}
