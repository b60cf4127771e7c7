package loss_test

import (
	"fmt"

	"github.com/gloss-ml/gloss/loss"
)

// Accuracy of argmax predictions over three classes; the second row ties between classes 0
// and 1 and the tie goes to class 0; the last row is ignored.
func ExampleAccuracy() {
	acc, err := loss.Accuracy()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(acc, loss.Batch[float64]{
		Cols: 3,
		Pred: []float64{
			0.1, 2.0, 0.3, // argmax 1
			1.0, 1.0, 0.0, // tie: argmax 0
			3.0, 0.0, 1.0, // argmax 0
			0.0, 0.0, 5.0, // ignored
		},
		Labels: []int32{1, 0, 2, loss.DefaultIgnoreIndex},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.4f (correct %g of %g)\n", res.Value, res.Sums[0], res.Sums[1])
	// Output: accuracy 0.6667 (correct 2 of 3)
}

// Binary F1 at the default threshold 0.5: 2 true positives, 1 false positive and 2 false
// negatives give 2·2/(2·2 + 1 + 2) = 4/7.
func ExampleF1() {
	f1, err := loss.F1()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(f1, loss.Batch[float64]{
		Pred:   []float64{0.9, 0.6, 0.4, 0.1, 0.5, 0.7},
		Target: []float64{1, 0, 1, 0, 1, 1},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("F1 %.4f (TP %g, FP %g, FN %g)\n", res.Value, res.Sums[0], res.Sums[1], res.Sums[2])
	// Output: F1 0.5714 (TP 2, FP 1, FN 2)
}

// Exact ROC AUC, scikit-learn's roc_auc_score example, and a case with a tied score, which
// counts ½: positives {0.5, 0.9} against negatives {0.5, 0.2} win ½ + 1 + 1 + 1 of 4 pairs.
func ExampleAUC() {
	auc, err := loss.AUC()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range []loss.Batch[float64]{
		{Pred: []float64{0.1, 0.4, 0.35, 0.8}, Target: []float64{0, 0, 1, 1}},
		{Pred: []float64{0.5, 0.5, 0.2, 0.9}, Target: []float64{0, 1, 0, 1}},
	} {
		res, err := loss.Compute(auc, b, loss.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("AUC %.4f on %s\n", res.Value, res.Device)
	}
	// Output:
	// AUC 0.7500 on cpu
	// AUC 0.8750 on cpu
}

// Expected calibration error of binary probabilities over 4 bins, with the reliability
// diagram's bins: ECE = (1/5)·|0.1 − 0| + (2/5)·|0.275 − 1| + (2/5)·|0.9 − 0.5| = 0.47.
func ExampleCalibration() {
	cal, err := loss.Calibration(loss.Bins(4), loss.FromLogits(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(cal, loss.Batch[float64]{
		Cols:   1,
		Pred:   []float64{0.1, 0.3, 0.25, 1.0, 0.8},
		Labels: []int32{0, 1, 1, 1, 0},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ECE %.4f\n", res.Value)
	for _, b := range loss.CalibrationBins(res.Sums) {
		fmt.Printf("[%.2f, %.2f] weight %g confidence %.3f accuracy %.3f\n", b.Lo, b.Hi, b.Weight, b.Confidence, b.Accuracy)
	}
	// Output:
	// ECE 0.4700
	// [0.00, 0.25] weight 1 confidence 0.100 accuracy 0.000
	// [0.25, 0.50] weight 2 confidence 0.275 accuracy 1.000
	// [0.50, 0.75] weight 0 confidence NaN accuracy NaN
	// [0.75, 1.00] weight 2 confidence 0.900 accuracy 0.500
}
