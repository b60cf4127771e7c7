package loss

import "github.com/gloss-ml/gloss/device"

// The cross-entropy family: row losses over N rows of C logits.

func init() {
	define(&spec{name: "cross_entropy", family: device.Rowwise, denom: device.DenomLabel,
		in:     [3]input{inGrad("logits", distLogit)},
		labels: true, ignore: true, classWeight: "class_weights",
		params: []param{pReal("label_smoothing", 0, 0, 1, false, true), pNonNeg("z_loss", 0)},
		tol32:  Tol{Abs: 2e-5, Rel: 1e-4}, stage: 1, stageFwd: true})
	define(&spec{name: "cross_entropy_probs", family: device.Rowwise,
		in:          [3]input{inGrad("logits", distLogit), inUnit("target", false, distProbRow)},
		classWeight: "class_weights",
		params:      []param{pReal("label_smoothing", 0, 0, 1, false, true)},
		tol32:       Tol{Abs: 2e-5, Rel: 1e-4}, stage: 2, stageFwd: true})
	define(&spec{name: "nll", family: device.Rowwise, denom: device.DenomLabel,
		in:     [3]input{inGrad("log_probs", distLogProbRow)},
		labels: true, ignore: true, classWeight: "class_weights"})
}

// CrossEntropy is softmax cross-entropy against class labels, PyTorch's cross_entropy with
// class-index targets, including its rules for class weights, the ignore index and label
// smoothing together. Parameters: IgnoreIndex (default −100), LabelSmoothing ε ∈ [0, 1)
// (default 0), ZLoss s ≥ 0 (default 0). With lse = log Σ_c e^{x_c}, p = softmax(x) and class
// weights w (all 1 when ClassWeights is nil):
//
//	L_i = w_y·((1−ε)·(lse − x_y) + s·lse²) + (ε/C)·Σ_c w_c·(lse − x_c)
//	∂L_i/∂x_j = w_y·((1−ε)(p_j − [j=y]) + 2s·lse·p_j) + (ε/C)(Σ_c w_c·p_j − w_j)
//	Mean = Σ s_i·L_i / Σ s_i·w_{y_i} over rows whose label is not the ignore index
//
// Pred holds logits (N×C, Cols = C; −Inf is allowed in a non-target class), Labels the
// classes y ∈ [0, C) (N), ClassWeights w (C), Weights sample weights s (N). Ignored rows give
// 0 and a zero gradient. The log-sum-exp is taken once per row with the row maximum, so
// logits of ±1e4 are finite. With Options.InPlace the gradient overwrites the logits.
func CrossEntropy(params ...Param) (Loss, error) { return New("cross_entropy", params...) }

// CrossEntropyProbs is softmax cross-entropy against probability targets (Mixup, CutMix,
// distillation), PyTorch's cross_entropy with class-probability targets. LabelSmoothing ε
// (default 0) mixes the targets with the uniform distribution: t' = (1−ε)t + ε/C.
//
//	L_i = −Σ_c w_c·t'_c·log p_c,  ∂L_i/∂x_j = p_j·Σ_c w_c t'_c − w_j t'_j,  Mean = Σ s_i L_i / Σ s_i (÷N, as PyTorch)
//
// A class with w_c·t'_c = 0 contributes 0 even where p_c = 0 (PyTorch gives NaN there).
// Pred holds logits (N×C), Target the probabilities t (N×C, values in [0, 1]), ClassWeights w (C).
func CrossEntropyProbs(params ...Param) (Loss, error) {
	return New("cross_entropy_probs", params...)
}

// NLL is the negative log-likelihood on log-probabilities, PyTorch's nll_loss:
//
//	L_i = −w_y·x_y,  ∂L_i/∂x_j = −w_y·[j=y],  Mean = Σ s_i L_i / Σ s_i w_{y_i}
//
// Pred holds log-probabilities (N×C), Labels classes in [0, C) or IgnoreIndex (default −100),
// ClassWeights w (C).
func NLL(params ...Param) (Loss, error) { return New("nll", params...) }
