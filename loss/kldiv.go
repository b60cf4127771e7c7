package loss

import (
	"math"

	"github.com/gloss-ml/gloss/device"
)

func init() {
	s := &spec{name: "kl_div", family: device.Elementwise, hess: true, batchMean: true,
		in:     [3]input{inGrad("log_input", distLogProbRow), in("target", distProbRow)},
		params: []param{pBool("log_target", false)}}
	s.checks = func(l *Loss) []inputCheck {
		if l.p[0] == 0 {
			return []inputCheck{{which: 1, kind: device.CheckRange, lo: 0, hi: 1, what: "a probability in [0, 1] (log_target is false)"}}
		}
		return nil
	}
	s.fix = func(l *Loss, b *Batch[float64]) {
		if l.p[0] == 1 {
			for i, p := range b.Target {
				b.Target[i] = math.Log(p)
			}
		}
	}
	define(s)
}

// KLDiv is the Kullback–Leibler divergence KL(p ‖ q), PyTorch's kl_div: Pred holds log q
// (log-probabilities x), Target p, or log p with LogTarget (default false). Elementwise over
// N×C:
//
//	L = p·(log p − x),  ∂L/∂x = −p;  with LogTarget: L = e^t·(t − x), ∂L/∂x = −e^t
//
// p·log p is 0 where p = 0, so the term is 0 for any finite x; a non-finite x propagates as
// in PyTorch (xlogy(p, p) − p·x).
// The Hessian is 0. Reductions as PyTorch: Mean divides by N·C elements; BatchMean divides the
// sum by N rows, which is the true KL divergence per sample, and is what to use.
func KLDiv(params ...Param) (Loss, error) { return New("kl_div", params...) }
