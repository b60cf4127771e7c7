package loss

import "github.com/gloss-ml/gloss/device"

// Embedding losses: row losses over N embeddings of D coordinates (Cols = D).

func init() {
	define(&spec{name: "triplet", family: device.Rowwise,
		in:      [3]input{inGrad("anchor", distEmbed), inGrad("positive", distEmbed), inGrad("negative", distEmbed)},
		params:  []param{pAny("margin", 1), pPos("p", 2), pNonNeg("eps", 1e-6), pBool("swap", false)},
		derived: []Derived{{"inv_p", "1 / p"}, {"p_minus_one", "p - 1"}},
		stage:   3, stageFwd: true})
	define(&spec{name: "info_nce", family: device.Rowwise,
		in:     [3]input{inGrad("query", distEmbed), inGrad("key", distEmbed)},
		params: []param{pPos("temperature", 0.07), pBool("normalize", true), pBool("symmetric", false)},
		shape:  device.ShapeInfoNCE,
		tol32:  Tol{Abs: 5e-5, Rel: 2e-4}})
}

// Triplet is PyTorch's triplet_margin_loss with Margin m (default 1), Power p > 0 (the norm's
// degree, default 2), Eps (default 1e-6) and Swap (default false):
//
//	L_i = max(d(a_i, p_i) − d(a_i, n_i) + m, 0),  d(u, v) = ‖u − v + eps‖_p
//
// With Swap, d(a, n) is replaced by min(d(a, n), d(p, n)). Pred holds anchors a, Target
// positives p, Aux negatives n (N×D each); gradients for all three.
func Triplet(params ...Param) (Loss, error) { return New("triplet", params...) }

// InfoNCE is the in-batch contrastive loss of SimCLR and CLIP with Temperature τ > 0 (default
// 0.07), Normalize (default true: cosine similarity) and Symmetric (default false):
//
//	s_ij = sim(q_i, k_j)/τ,  L_i = −log softmax_j(s_ij)_i = lse_j(s_ij) − s_ii
//
// Symmetric is CLIP's loss, the mean of the query→key and key→query directions:
// L_i = ½(lse_j(s_ij) − s_ii + lse_j(s_ji) − s_ii). Pred holds queries q, Target keys k
// (N×D each, row i of each a positive pair; every other row is a negative); gradients for both.
// Its cost is N²·D: every query meets every key.
func InfoNCE(params ...Param) (Loss, error) { return New("info_nce", params...) }
