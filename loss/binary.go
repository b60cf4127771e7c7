package loss

import (
	"math"

	"github.com/gloss-ml/gloss/device"
)

// Binary and multi-label losses: elementwise over the N·C elements of Pred (C labels per row
// for multi-label), each with a gradient and a Hessian diagonal.

func init() {
	bin := func(name string, x, y input, params ...param) *spec {
		s := &spec{name: name, family: device.Elementwise, hess: true, params: params, in: [3]input{x, y}}
		define(s)
		return s
	}
	bin("bce", inUnit("prob", true, distUnit), inUnit("target", false, distSoft01))
	b := bin("bce_with_logits", inGrad("logit", distLogit), inUnit("target", false, distSoft01), pNonNeg("pos_weight", 1))
	b.classWeight = "pos_weight"
	f := bin("focal", inGrad("logit", distLogit), inUnit("target", false, distSoft01),
		pNonNeg("gamma", 2), pReal("alpha", 0.25, math.Inf(-1), 1, true, false))
	f.derived = []Derived{{"balance", "flag(alpha >= 0)"}, {"one_minus_alpha", "1 - alpha"},
		{"gamma_ratio", "ratio(gamma-1, gamma)"}}
	bin("hinge", inGrad("score", distNormal), inSign("target"), pAny("margin", 1))
	bin("squared_hinge", inGrad("score", distNormal), inSign("target"), pAny("margin", 1))
	bin("soft_margin", inGrad("score", distNormal), inSign("target"))
}

// BCE is binary cross-entropy on probabilities, as PyTorch's binary_cross_entropy, each log
// clamped at −100:
//
//	L = −[y·max(log p, −100) + (1−y)·max(log(1−p), −100)]
//	∂L/∂p = (p − y)/max(p(1−p), 1e-12),  ∂²L/∂p² = y/max(p², 1e-12) + (1−y)/max((1−p)², 1e-12)
//
// log(1−p) is computed as log1p(−p), as PyTorch does.
// Pred holds probabilities p ∈ [0, 1], Target targets y ∈ [0, 1]. Prefer BCEWithLogits: it
// is stable where this one saturates.
func BCE(params ...Param) (Loss, error) { return New("bce", params...) }

// BCEWithLogits is binary cross-entropy on logits, PyTorch's binary_cross_entropy_with_logits,
// in its stable form. PosWeight pw ≥ 0 (default 1) weights the positive term; ClassWeights, if
// given, is a per-column pos_weight (C values) multiplied with it:
//
//	L = (1−y)·x − (1 + (pw−1)·y)·log σ(x)
//	∂L/∂x = (1 + (pw−1)y)·σ(x) − pw·y,  ∂²L/∂x² = (1 + (pw−1)y)·σ(x)σ(−x)
//
// Pred holds logits x, Target targets y ∈ [0, 1]; multi-label is C columns per row.
func BCEWithLogits(params ...Param) (Loss, error) { return New("bce_with_logits", params...) }

// Focal is the sigmoid focal loss on logits (torchvision's sigmoid_focal_loss) with Gamma γ ≥ 0
// (default 2) and Alpha α ≤ 1 (default 0.25; α < 0 disables the class balance):
//
//	L = α_t·(1 − p_t)^γ·BCEWithLogits(x, y),  p = σ(x),  p_t = p·y + (1−p)(1−y),  α_t = α·y + (1−α)(1−y)
//
// (1 − p_t)^γ is formed in log space, so the loss and its gradient stay finite for γ < 1 at
// |x| = 100 and beyond. Pred holds logits, Target targets y ∈ [0, 1]. The Hessian is the
// true second derivative: focal loss is not convex, so it can be negative (gradient-boosting
// users may want to clamp it).
func Focal(params ...Param) (Loss, error) { return New("focal", params...) }

// Hinge is the binary hinge loss with Margin m (default 1): L = max(0, m − y·f),
// ∂L/∂f = −y where y·f < m (0 at the kink), Hessian 0. Pred holds scores f, Target labels
// y ∈ {−1, +1}.
func Hinge(params ...Param) (Loss, error) { return New("hinge", params...) }

// SquaredHinge is the squared hinge loss with Margin m (default 1): L = max(0, m − y·f)²,
// ∂L/∂f = −2y·max(0, m − y·f), ∂²L/∂f² = 2·[y·f < m]. Pred holds scores, Target y ∈ {−1, +1}.
func SquaredHinge(params ...Param) (Loss, error) { return New("squared_hinge", params...) }

// SoftMargin is the logistic loss on ±1 labels, PyTorch's soft_margin_loss:
//
//	L = log(1 + e^{−y·f}),  ∂L/∂f = −y·σ(−y·f),  ∂²L/∂f² = σ(f)σ(−f)
//
// Pred holds scores f, Target labels y ∈ {−1, +1} (checked, unlike PyTorch).
func SoftMargin(params ...Param) (Loss, error) { return New("soft_margin", params...) }
