package loss

import "github.com/gloss-ml/gloss/device"

// Other multi-class losses: the multi-class margin loss and CORN for ordinal labels.

func init() {
	define(&spec{name: "multi_margin", family: device.Rowwise, denom: device.DenomLabel,
		in:     [3]input{inGrad("scores", distNormal)},
		labels: true, classWeight: "class_weights",
		params: []param{pInt("p", 1, 1, 2), pAny("margin", 1)}})
	define(&spec{name: "corn", family: device.Rowwise, denom: device.DenomCorn,
		in:      [3]input{inGrad("logits", distLogit)},
		labels:  true,
		labelHi: func(c int) int { return c + 1 }})
}

// MultiMargin is the multi-class hinge loss, PyTorch's multi_margin_loss, with Power p ∈ {1, 2}
// (default 1) and Margin m (default 1):
//
//	L_i = w_y·Σ_{c≠y} max(0, m − x_y + x_c)^p / C
//
// Pred holds scores (N×C), Labels classes y ∈ [0, C), ClassWeights w (C). Unlike PyTorch
// (which divides by N), Mean divides by Σ s_i·w_{y_i}, the rule every labelled loss here follows.
func MultiMargin(params ...Param) (Loss, error) { return New("multi_margin", params...) }

// CORN is the conditional ordinal loss of coral-pytorch's corn_loss for K ordered classes:
// Pred holds N×(K−1) logits (Cols = K−1), Labels ranks y ∈ [0, K). Task k (k = 0..K−2) uses
// the rows with y ≥ k and the binary label [y > k]:
//
//	L_i = Σ_{k ≤ min(y_i, K−2)} BCEWithLogits(x_ik, [y_i > k]),  Mean = Σ s_i L_i / Σ s_i·min(y_i+1, K−1)
//
// which is coral-pytorch's sum over tasks divided by the total size of the task subsets.
// It is CORN, not CORAL: the conditional subsets are what make it different.
func CORN(params ...Param) (Loss, error) { return New("corn", params...) }
