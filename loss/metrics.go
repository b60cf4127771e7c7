package loss

import (
	"math"

	"github.com/gloss-ml/gloss/device"
)

// Metrics: computed on the same inputs as the losses, never differentiated. Their means are
// weighted means Σ s·m / Σ s, stated separately from the loss reductions. They are Loss values
// of the Metric family: Compute and Run return the metric as Value and its counts as Sums.

func init() {
	twoClass := func(c int) int { return max(c, 2) }
	// A float32 kernel compares x > threshold as x > below(threshold): the same answer for
	// every float32 x, where rounding the threshold to nearest would not be.
	thr := []Derived{{"threshold_below", "below(threshold, dt)"}}
	define(&spec{name: "accuracy", family: device.Metric, denom: device.DenomLabel,
		in: [3]input{in("scores", distLogit)}, labels: true, ignore: true, labelHi: twoClass,
		params: []param{pAny("threshold", 0.5)}, shape: device.ShapeRow, derived: thr,
		metric: func(_ *Loss, s []float64) float64 { return ratio(s[0], s[1], math.NaN()) }})
	define(&spec{name: "f1", family: device.Metric,
		in:     [3]input{in("scores", distUnit), inBinary("target")},
		params: []param{pAny("threshold", 0.5)}, shape: device.ShapeConfusion, derived: thr,
		metric: func(_ *Loss, s []float64) float64 { return ratio(2*s[0], 2*s[0]+s[1]+s[2], 0) }})
	define(&spec{name: "macro_f1", family: device.Metric, denom: device.DenomLabel,
		in: [3]input{in("scores", distLogit)}, labels: true, ignore: true, minCols: 2, shape: device.ShapeHist,
		bins:   func(_ *Loss, c int) int { return c },
		metric: macroF1})
	define(&spec{name: "auc", family: device.Metric,
		in:     [3]input{in("scores", distNormal), inBinary("target")},
		metric: func(_ *Loss, s []float64) float64 { return s[0] }})
	define(&spec{name: "binary_iou", family: device.Metric,
		in:     [3]input{in("scores", distUnit), inBinary("target")},
		params: []param{pAny("threshold", 0.5)}, shape: device.ShapeConfusion, derived: thr,
		metric: func(_ *Loss, s []float64) float64 { return ratio(s[0], s[0]+s[1]+s[2], 1) }})
	define(&spec{name: "calibration", family: device.Metric, denom: device.DenomLabel,
		in: [3]input{in("scores", distLogit)}, labels: true, ignore: true, labelHi: twoClass,
		params: []param{pInt("bins", 15, 1, 1e6), pBool("from_logits", true)}, shape: device.ShapeHist,
		bins:   func(l *Loss, _ int) int { return int(l.p[0]) },
		metric: func(l *Loss, s []float64) float64 { return ece(CalibrationBins(s)) },
		fix: func(l *Loss, b *Batch[float64]) {
			if l.p[1] == 0 { // probabilities, not logits
				if b.Cols == 1 {
					sigmoidAll(b.Pred)
				} else {
					softmaxRows(b.Pred, b.Cols)
				}
			}
		}})
}

func ratio(a, b, empty float64) float64 {
	if b == 0 {
		return empty
	}
	return a / b
}

// Accuracy is the weighted fraction of rows whose predicted class is the label: the argmax of
// the row's scores (ties to the smallest index) for C ≥ 2, or [score > Threshold] (default 0.5)
// for C = 1 with labels in {0, 1}. Rows labelled IgnoreIndex (default −100) are excluded.
// Pred holds scores (N×C), Labels the classes, Weights sample weights.
// Sums: [Σ s·correct, Σ s].
func Accuracy(params ...Param) (Loss, error) { return New("accuracy", params...) }

// F1 is the binary F1 score 2TP/(2TP + FP + FN), predicting positive where the score exceeds
// Threshold (default 0.5), counts weighted by Weights; 0 when there are no positives at all
// (scikit-learn's f1_score with its default zero_division). Pred holds scores, Target
// y ∈ {0, 1}. Sums: [TP, FP, FN].
func F1(params ...Param) (Loss, error) { return New("f1", params...) }

// MacroF1 is the mean over classes of the per-class F1 2TP_k/(2TP_k + FP_k + FN_k) of the
// argmax prediction (ties to the smallest index), counts weighted by Weights, over the classes
// that occur as a label or a prediction (scikit-learn's average="macro"). With sample weights
// a class occurs only where a row of nonzero weight shows it: scikit-learn also averages in,
// with an F1 of 0, a class seen only in rows of weight 0 (its labels= argument gives gloss's
// value). Pred holds scores (N×C), Labels classes or IgnoreIndex (default −100), Weights
// sample weights (N). Sums: C true-positive, then C false-positive, then C false-negative
// counts.
func MacroF1(params ...Param) (Loss, error) { return New("macro_f1", params...) }

// AUC is the exact area under the ROC curve, the Mann–Whitney U statistic divided by the
// number of (positive, negative) pairs, tied scores counting ½, pairs weighted by the product
// of their sample weights (scikit-learn's roc_auc_score with sample_weight). NaN when either
// class is empty. Pred holds scores, Target y ∈ {0, 1}, Weights sample weights.
// Sums: [AUC, Σ s of positives, Σ s of negatives]. No device has a kernel for it: it runs on
// the cpu, and the Result says so.
func AUC(params ...Param) (Loss, error) { return New("auc", params...) }

// BinaryIoU is the thresholded intersection over union of binary masks, TP/(TP + FP + FN) over
// all elements, predicting positive where the score exceeds Threshold (default 0.5); 1 when
// both masks are empty (scikit-learn's jaccard_score with zero_division=1), counts weighted by
// Weights. Pred holds scores, Target y ∈ {0, 1}. Sums: [TP, FP, FN].
func BinaryIoU(params ...Param) (Loss, error) { return New("binary_iou", params...) }

// Calibration is the expected calibration error over Bins (default 15) equal-width confidence
// bins, ECE = Σ_b (W_b/W)·|conf_b − acc_b|, with the per-bin counts, mean confidences and
// accuracies that draw a reliability diagram (CalibrationBins). For C ≥ 2 the confidence is
// the top softmax probability (or the top value, with FromLogits false) and a row is correct
// when its argmax is the label; for C = 1 the confidence is σ(x) (or x) and the outcome is
// label = 1. Pred holds scores (N×C), Labels classes or IgnoreIndex (default −100).
// Sums: B weights W_b, then B confidence sums, then B correct sums.
func Calibration(params ...Param) (Loss, error) { return New("calibration", params...) }

func macroF1(_ *Loss, s []float64) float64 {
	c := len(s) / 3
	var sum float64
	var k int
	for j := range c {
		tp, fp, fn := s[j], s[c+j], s[2*c+j]
		if tp+fp+fn == 0 {
			continue
		}
		sum += 2 * tp / (2*tp + fp + fn)
		k++
	}
	return ratio(sum, float64(k), 0)
}

// Bin is one bin of a reliability diagram.
type Bin struct {
	Lo, Hi     float64 // the bin's confidence range
	Weight     float64 // Σ s of the rows in it (their count without weights)
	Confidence float64 // mean confidence (NaN when empty)
	Accuracy   float64 // fraction correct (NaN when empty)
}

// CalibrationBins turns a Calibration result's Sums into the bins of a reliability diagram.
func CalibrationBins(sums []float64) []Bin {
	b := len(sums) / 3
	out := make([]Bin, b)
	for j := range b {
		w := sums[j]
		out[j] = Bin{Lo: float64(j) / float64(b), Hi: float64(j+1) / float64(b), Weight: w,
			Confidence: ratio(sums[b+j], w, math.NaN()), Accuracy: ratio(sums[2*b+j], w, math.NaN())}
	}
	return out
}

func ece(bins []Bin) float64 {
	var total, e float64
	for _, b := range bins {
		total += b.Weight
	}
	if total == 0 {
		return math.NaN()
	}
	for _, b := range bins {
		if b.Weight > 0 {
			e += b.Weight / total * math.Abs(b.Confidence-b.Accuracy)
		}
	}
	return e
}
