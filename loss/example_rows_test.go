package loss_test

import (
	"fmt"

	"github.com/gloss-ml/gloss/loss"
)

// Dice on probabilities, two masks of four pixels. Row 0: p = [1, ½, 0, 0] against
// y = [1, 1, 0, 0] gives 1 − (2·1.5)/(1.5 + 2) = 1/7. Row 1 is empty in both target and
// prediction: the smoothing ε makes it 1 − ε/ε = 0, not NaN.
func ExampleDice() {
	dice, err := loss.Dice(loss.FromLogits(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(dice, loss.Batch[float64]{
		Rows: 2, Cols: 4,
		Pred:   []float64{1, 0.5, 0, 0, 0, 0, 0, 0},
		Target: []float64{1, 1, 0, 0, 0, 0, 0, 0},
	}, loss.Options{Reduction: loss.None})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("per mask: %.4f %.4f\n", res.PerSample[0], res.PerSample[1])
	fmt.Printf("sum: %.4f\n", res.Value)
	// Output:
	// per mask: 0.1429 0.0000
	// sum: 0.1429
}

// Tversky with α = 0.3 and β = 0.7 weighs false negatives more than false positives. Here
// I = 1.5, FP = 0 and FN = Σ(1−p)y = 0.5, so L = 1 − 1.5/(1.5 + 0.7·0.5) = 7/37.
func ExampleTversky() {
	tv, err := loss.Tversky(loss.Alpha(0.3), loss.Beta(0.7), loss.FromLogits(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(tv, loss.Batch[float64]{
		Rows: 1, Cols: 4,
		Pred:   []float64{1, 0.5, 0, 0},
		Target: []float64{1, 1, 0, 0},
	}, loss.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f (7/37 = %.4f)\n", res.Value, 7.0/37)
	// Output: 0.1892 (7/37 = 0.1892)
}

// BCEDice on logits 0 (p = ½): the BCE term is log 2 per pixel and Dice is
// 1 − (2·½)/(1 + 1) = ½, so the loss is log 2 + ½. The gradient is
// (σ(x) − y)/C + ∂Dice/∂p·σ'(x) = (∓¼) + (−3/16, 1/16) = (−7/16, 5/16).
func ExampleBCEDice() {
	bd, err := loss.BCEDice()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(bd, loss.Batch[float64]{
		Rows: 1, Cols: 2,
		Pred:   []float64{0, 0},
		Target: []float64{1, 0},
	}, loss.Options{Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f, grad %.4f\n", res.Value, res.Grad)
	// Output: loss 1.1931, grad [-0.4375 0.3125]
}

// Triplet loss of one anchor at the origin, a positive at (3, 4) and a negative at (1, 0):
// max(5 − 1 + margin 1, 0) = 5 (PyTorch's eps = 1e-6 moves it by about 1e-6). The gradients
// pull the anchor towards the positive and push it from the negative.
func ExampleTriplet() {
	tr, err := loss.Triplet()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(tr, loss.Batch[float64]{
		Rows: 1, Cols: 2,
		Pred:   []float64{0, 0}, // anchor
		Target: []float64{3, 4}, // positive
		Aux:    []float64{1, 0}, // negative
	}, loss.Options{Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f\n", res.Value)
	fmt.Printf("anchor %.4f\npositive %.4f\nnegative %.4f\n", res.Grad, res.GradTarget, res.GradAux)
	// Output:
	// loss 5.0000
	// anchor [0.4000 -0.8000]
	// positive [0.6000 0.8000]
	// negative [-1.0000 0.0000]
}

// InfoNCE without normalisation at τ = 1: queries q = [[1, 1], [0, 1]] against keys
// k = [[1, 0], [0, 1]] give similarities [[1, 1], [0, 1]]. Row 0 cannot tell its key from
// the other (log 2); row 1 prefers its own (log(1 + e^{−1})). The Mean is their average;
// the gradient of query 0 is ½·(softmax(1, 1) − (1, 0))·k = (−¼, ¼).
func ExampleInfoNCE() {
	nce, err := loss.InfoNCE(loss.Temperature(1), loss.Normalize(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(nce, loss.Batch[float64]{
		Rows: 2, Cols: 2,
		Pred:   []float64{1, 1, 0, 1}, // queries
		Target: []float64{1, 0, 0, 1}, // keys
	}, loss.Options{Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f\n", res.Value)
	fmt.Printf("query grad %.4f\nkey grad   %.4f\n", res.Grad, res.GradTarget)
	// Output:
	// loss 0.5032
	// query grad [-0.2500 0.2500 0.1345 -0.1345]
	// key grad   [-0.2500 -0.1155 0.2500 0.1155]
}
