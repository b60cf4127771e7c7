package loss_test

import (
	"fmt"

	"github.com/gloss-ml/gloss/loss"
)

// Cross-entropy on three rows of three logits; the last row's label is the ignore index
// (PyTorch's −100 by default), so the Mean is over two rows. With lse = log(e + e² + e³),
// row 0 gives lse − 3 = 0.4076 and row 1 gives lse − 1 = 2.4076.
func ExampleCrossEntropy_ignoreIndex() {
	ce, err := loss.CrossEntropy()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(ce, loss.Batch[float64]{
		Cols:   3,
		Pred:   []float64{1, 2, 3, 1, 2, 3, 5, 0, -5},
		Labels: []int32{2, 0, loss.DefaultIgnoreIndex},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mean %.4f over %g rows\n", res.Value, res.Weight)
	// Output:
	// mean 1.4076 over 2 rows
}

// Label smoothing ε = 0.1 mixes the one-hot target with the uniform distribution:
// L = (1−ε)·(lse − x_y) + (ε/C)·Σ_c (lse − x_c) = 0.9·0.4076 + (0.1/3)·4.2228 = 0.5076.
func ExampleCrossEntropy_labelSmoothing() {
	ce, err := loss.CrossEntropy(loss.LabelSmoothing(0.1))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(ce, loss.Batch[float64]{
		Cols:   3,
		Pred:   []float64{1, 2, 3},
		Labels: []int32{2},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", res.Value)
	// Output:
	// 0.5076
}

// The fused forward and backward pass: with InPlace the gradient of the Mean,
// (softmax(x) − onehot(y))/N, overwrites the logits, and Result.Grad is the logits slice.
// softmax(1, 2, 3) = (0.0900, 0.2447, 0.6652).
func ExampleCrossEntropy_inPlace() {
	ce, err := loss.CrossEntropy()
	if err != nil {
		fmt.Println(err)
		return
	}
	logits := []float32{1, 2, 3, 1, 2, 3}
	res, err := loss.Compute(ce, loss.Batch[float32]{
		Cols:   3,
		Pred:   logits,
		Labels: []int32{2, 0},
	}, loss.Options{InPlace: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f\n", res.Value)
	fmt.Printf("row 0: %.4f\n", logits[0:3])
	fmt.Printf("row 1: %.4f\n", logits[3:6])
	fmt.Println("Grad is the logits:", &res.Grad[0] == &logits[0])
	// Output:
	// loss 1.4076
	// row 0: [0.0450 0.1224 -0.1674]
	// row 1: [-0.4550 0.1224 0.3326]
	// Grad is the logits: true
}

// Probability targets, for example a Mixup of class 0 (weight 0.3) and class 2 (0.7):
// L = −Σ_c t_c·log p_c = lse − 0.3·1 − 0.7·3 = 1.0076.
func ExampleCrossEntropyProbs() {
	ce, err := loss.CrossEntropyProbs()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(ce, loss.Batch[float64]{
		Cols:   3,
		Pred:   []float64{1, 2, 3},
		Target: []float64{0.3, 0, 0.7},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", res.Value)
	// Output:
	// 1.0076
}

// NLL on log-probabilities with class weights w = (1, 2, 3): the Mean divides by the weights
// of the target classes, (−2·log 0.3 − 1·log 0.6)/(2 + 1) = 0.9729.
func ExampleNLL() {
	nll, err := loss.NLL()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(nll, loss.Batch[float64]{
		Cols:         3,
		Pred:         []float64{-1.6094379, -1.2039728, -0.6931472, -0.5108256, -1.2039728, -2.3025851},
		Labels:       []int32{1, 0},
		ClassWeights: []float64{1, 2, 3},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f (weight %g)\n", res.Value, res.Weight)
	// Output:
	// 0.9729 (weight 3)
}

// PyTorch's MultiMarginLoss example: x = (0.1, 0.2, 0.4, 0.8), y = 3 gives
// ((1 − 0.8 + 0.1) + (1 − 0.8 + 0.2) + (1 − 0.8 + 0.4))/4 = 0.325.
func ExampleMultiMargin() {
	mm, err := loss.MultiMargin()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(mm, loss.Batch[float64]{
		Cols:   4,
		Pred:   []float64{0.1, 0.2, 0.4, 0.8},
		Labels: []int32{3},
	}, loss.Options{Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", res.Value)
	fmt.Println(res.Grad)
	// Output:
	// 0.3250
	// [0.25 0.25 0.25 -0.75]
}

// CORN for K = 4 ordered classes takes K−1 = 3 logits per row. A row of rank y takes part in
// the tasks k ≤ y (at most K−2), with binary labels [y > k]: rank 2 uses all three tasks
// (labels 1, 1, 0), rank 0 only the first (label 0). The Mean divides by the 3 + 1 = 4 tasks:
// (softplus(−2) + softplus(−1) + softplus(−1) + softplus(−1))/4 = 0.2667.
func ExampleCORN() {
	corn, err := loss.CORN()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(corn, loss.Batch[float64]{
		Cols:   3,
		Pred:   []float64{2, 1, -1, -1, 0.5, 0},
		Labels: []int32{2, 0},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f over %g tasks\n", res.Value, res.Weight)
	// Output:
	// 0.2667 over 4 tasks
}
