package cpuref

import "math"

// The elastic-net penalty: elementwise over a parameter buffer X = θ. Mirrors
// kernels/penalty.h.

func init() {
	registerElem("penalty", penalty)
}

// penalty, P[0] = l1 ≥ 0, P[1] = l2 ≥ 0:
//
//	L = l1·|θ| + l2·θ²,  ∂L/∂θ = l1·sign(θ) + 2·l2·θ (subgradient 0 at θ = 0),  ∂²L/∂θ² = 2·l2
func penalty(p *[8]float64, in ElemIn, out ElemOut) {
	l1, l2 := p[0], p[1]
	for i, t := range in.X {
		out.L[i] = l1*math.Abs(t) + l2*t*t
		if out.GX != nil {
			out.GX[i] = l1*sign(t) + 2*l2*t
		}
		if out.H != nil {
			out.H[i] = 2 * l2
		}
	}
}
