package cpuref

import "math"

// KL divergence: elementwise over N·C elements. Mirrors kernels/kldiv.h.

func init() {
	registerElem("kl_div", klDiv)
}

// klDiv (PyTorch kl_div) on log-probabilities x = X (log q) and targets Y, with
// P[0] = log_target:
//
//	p = Y:      L = p·log p − p·x (p·log p is 0 where p = 0),  ∂L/∂x = −p
//	t = log p:  L = e^t·(t − x),                               ∂L/∂x = −e^t
//
// The Hessian is 0. As in PyTorch (xlogy(p, p) − p·x), p = 0 gives L = 0 for every finite x
// and an infinite or NaN x still propagates (0·x).
func klDiv(p *[8]float64, in ElemIn, out ElemOut) {
	logTarget := p[0] != 0
	for i, x := range in.X {
		t := in.Y[i]
		var w, l float64 // w = p, the target probability
		if logTarget {
			w = math.Exp(t)
			l = w * (t - x)
		} else {
			w = t
			if t != 0 {
				l = t * math.Log(t)
			}
			l -= t * x
		}
		out.L[i] = l
		if out.GX != nil {
			out.GX[i] = -w
		}
		if out.H != nil {
			out.H[i] = 0
		}
	}
}
