package loss_test

import (
	"fmt"

	"github.com/gloss-ml/gloss/loss"
)

// The mean squared error of scikit-learn's mean_squared_error example: targets [3, −0.5, 2, 7],
// predictions [2.5, 0, 2, 8] give (0.25 + 0.25 + 0 + 1)/4 = 0.375. The gradient of the mean,
// −2(y − x)/N, is what an optimiser steps along.
func ExampleMSE() {
	mse, err := loss.MSE()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(mse, loss.Batch[float64]{
		Pred:   []float64{2.5, 0, 2, 8},
		Target: []float64{3, -0.5, 2, 7},
	}, loss.Options{Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mse: %.3f\n", res.Value)
	fmt.Printf("grad: %.2f\n", res.Grad)
	// Output:
	// mse: 0.375
	// grad: [-0.25 0.25 0.00 0.50]
}

// Huber with δ = 1 is quadratic for small residuals and linear for large ones: residuals
// e = y − x of 0.5, 2 and −3 cost ½·0.25, 1·(2 − ½) and 1·(3 − ½). Its gradient is the residual
// clamped to [−δ, δ] (with a minus sign), so outliers pull no harder than δ.
func ExampleHuber() {
	huber, err := loss.Huber(loss.Delta(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(huber, loss.Batch[float64]{
		Pred:   []float64{0, 0, 0},
		Target: []float64{0.5, 2, -3},
	}, loss.Options{Reduction: loss.Sum, Grad: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sum: %.3f\n", res.Value)
	fmt.Printf("grad: %.1f\n", res.Grad)
	// Output:
	// sum: 4.125
	// grad: [-0.5 -1.0 1.0]
}

// PyTorch's BCEWithLogitsLoss example: a logit of 1.5 for a positive target costs
// −log σ(1.5) = 0.2014. With pos_weight 3 the positive term counts three times.
func ExampleBCEWithLogits() {
	for _, pw := range []float64{1, 3} {
		bce, err := loss.BCEWithLogits(loss.PosWeight(pw))
		if err != nil {
			fmt.Println(err)
			return
		}
		res, err := loss.Compute(bce, loss.Batch[float32]{
			Pred:   []float32{1.5, 1.5},
			Target: []float32{1, 1},
		}, loss.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("pos_weight %g: %.4f\n", pw, res.Value)
	}
	// Output:
	// pos_weight 1: 0.2014
	// pos_weight 3: 0.6042
}

// A gradient-boosting step needs each sample's own gradient and Hessian: Reduction None with
// Grad and Hessian gives σ(x) − y and σ(x)(1 − σ(x)) per element, the pair XGBoost's
// binary:logistic objective computes (without its 1e-16 floor: the Hessian is the true one).
func ExampleBCEWithLogits_gradientBoosting() {
	bce, err := loss.BCEWithLogits()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(bce, loss.Batch[float64]{
		Pred:   []float64{0, 2, -1}, // the ensemble's current margins
		Target: []float64{1, 0, 1},
	}, loss.Options{Reduction: loss.None, Grad: true, Hessian: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss: %.4f\n", res.PerSample)
	fmt.Printf("grad: %.4f\n", res.Grad)
	fmt.Printf("hess: %.4f\n", res.Hess)
	// Output:
	// loss: [0.6931 2.1269 1.3133]
	// grad: [-0.5000 0.8808 -0.7311]
	// hess: [0.2500 0.1050 0.1966]
}

// The sigmoid focal loss (torchvision's convention, γ = 2, α = 0.25) down-weights easy
// examples by (1 − p_t)^γ. It is formed in log space, so extreme logits give finite values:
// a confident right answer (x = 100 for y = 1) costs about ¼·e^{−300} (gradient −¾·e^{−300},
// Hessian 9/4·e^{−300}), a confident wrong one costs α_t·|x| with gradient ±α_t and a
// Hessian near 0 (slightly negative: the focal loss is not convex). At x = 0, y = 1 the loss
// is ¼·¼·log 2, the gradient −(log 2 + ½)/16 and the Hessian (½log 2 + 5/4)/16.
func ExampleFocal() {
	focal, err := loss.Focal(loss.Gamma(2), loss.Alpha(0.25))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := loss.Compute(focal, loss.Batch[float64]{
		Pred:   []float64{0, 100, -100, 1e4},
		Target: []float64{1, 1, 1, 0},
	}, loss.Options{Reduction: loss.None, Grad: true, Hessian: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss: %.4g\n", res.PerSample)
	fmt.Printf("grad: %.4g\n", res.Grad)
	fmt.Printf("hess: %.4g\n", res.Hess)
	// Output:
	// loss: [0.04332 1.287e-131 25 7500]
	// grad: [-0.07457 -3.861e-131 -0.25 0.75]
	// hess: [0.09979 1.158e-130 -1.814e-42 0]
}
