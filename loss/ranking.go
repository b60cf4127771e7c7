package loss

import "github.com/gloss-ml/gloss/device"

// Pairwise ranking losses: elementwise over pairs, each a function of the score difference
// Δ = s⁺ − s⁻ (Pred holds s⁺, Target s⁻; the gradient with respect to s⁻ is GradTarget = −Grad).
// Contrastive takes a distance and a similarity label instead.

func init() {
	pair := func(name string, params ...param) {
		define(&spec{name: name, family: device.Elementwise, hess: true, params: params,
			in: [3]input{inGrad("pos_scores", distNormal), inGrad("neg_scores", distNormal)}})
	}
	pair("bpr")
	pair("pairwise_hinge", pAny("margin", 0))
	pair("pairwise_logistic")
	define(&spec{name: "contrastive", family: device.Elementwise, hess: true,
		in:     [3]input{inNonNeg("distance", true, distPositive), inBinary("similar")},
		params: []param{pAny("margin", 1)}})
}

// BPR is Bayesian personalised ranking: L = −log σ(Δ) = softplus(−Δ), ∂L/∂s⁺ = −σ(−Δ),
// ∂²L/∂s⁺² = σ(Δ)σ(−Δ). Pred holds the positive items' scores s⁺, Target the negatives' s⁻.
func BPR(params ...Param) (Loss, error) { return New("bpr", params...) }

// PairwiseHinge is the margin ranking loss (PyTorch's margin_ranking_loss with y = 1) with
// Margin m (default 0): L = max(0, m − Δ), ∂L/∂s⁺ = −[Δ < m], Hessian 0.
// Pred holds s⁺, Target s⁻.
func PairwiseHinge(params ...Param) (Loss, error) { return New("pairwise_hinge", params...) }

// PairwiseLogistic is TF-Ranking's pairwise logistic loss for one pair: L = log(1 + e^{−Δ}),
// computed stably; the same function as BPR, kept under its own name. Pred holds s⁺, Target s⁻.
// TF-Ranking's example (y = [1, 0], s = [0.6, 0.8]) is one pair with Δ = −0.2: L = 0.79813887.
func PairwiseLogistic(params ...Param) (Loss, error) {
	return New("pairwise_logistic", params...)
}

// Contrastive is the pair contrastive loss of TF-Addons' contrastive_loss with Margin m
// (default 1):
//
//	L = y·d² + (1−y)·max(0, m − d)²,  ∂L/∂d = 2y·d − 2(1−y)·max(0, m − d),  ∂²L/∂d² = 2y + 2(1−y)·[d < m]
//
// Pred holds distances d ≥ 0, Target y ∈ {0, 1} (1 = similar pair).
func Contrastive(params ...Param) (Loss, error) { return New("contrastive", params...) }
