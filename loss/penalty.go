package loss

import "github.com/gloss-ml/gloss/device"

func init() {
	define(&spec{name: "penalty", family: device.Elementwise, hess: true, sumOnly: true,
		in:     [3]input{inGrad("params", distNormal)},
		params: []param{pNonNeg("l1", 0), pNonNeg("l2", 0)}})
}

// Penalty is the elastic-net regulariser Ω(θ) = l1·Σ|θ| + l2·Σθ² over a parameter buffer,
// with its gradient l1·sign(θ) + 2·l2·θ (subgradient 0 at θ = 0) and Hessian 2·l2, so a caller
// forms J(θ) + λΩ(θ) on the device without a copy to the host. L1 and L2 are ≥ 0 (default 0).
// Pred holds θ. A penalty is a sum by definition: Mean and Sum both give Ω(θ); None gives the
// per-parameter terms.
func Penalty(params ...Param) (Loss, error) { return New("penalty", params...) }
