package cpuref

import "math"

// Cross-entropy family: row losses over N rows of C logits (or log-probabilities for nll).
// Mirrors kernels/crossentropy.h.
//
// Every softmax here is taken the same way (softmaxRow): the row maximum m at its first index
// k, e_j = e^{x_j−m} (so e_k = 1 exactly) and rest = Σ_{j≠k} e_j. Then the softmax denominator
// is S = 1 + rest, log S = log1p(rest) and lse = m + log S: one exponential per element, no
// overflow at any finite logit, and −log p_y = (m − x_y) + log S is accurate down to the
// tiniest loss of a confident, correct prediction.

func init() {
	registerRow("cross_entropy", crossEntropy)
	registerRow("cross_entropy_probs", crossEntropyProbs)
	registerRowLabelOnly("nll", nll)
}

// logSumExp returns log Σ_c e^{x_c}, shifted by the row maximum so that no term overflows.
// A row of all −Inf gives −Inf; a +Inf entry gives +Inf.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// softmaxRow returns the maximum m of a non-empty row x, the first index k where it occurs,
// and rest = Σ_{j≠k} e^{x_j−m}; the softmax of x is then p_j = e_j/(1 + rest). When e is not
// nil it receives e_j = e^{x_j−m} (e_k = 1). A NaN in x makes rest NaN; −Inf entries give
// e_j = 0; a row of all −Inf, or with a +Inf, has rest = NaN (no softmax), so its loss and
// gradient are NaN.
func softmaxRow(e, x []float64) (m float64, k int, rest float64) {
	m = x[0]
	for j, v := range x {
		if v > m {
			m, k = v, j
		}
	}
	if e == nil {
		for _, v := range x[:k] {
			rest += math.Exp(v - m)
		}
		for _, v := range x[k+1:] {
			rest += math.Exp(v - m)
		}
	} else {
		for j, v := range x[:k] {
			ej := math.Exp(v - m)
			e[j] = ej
			rest += ej
		}
		e[k] = 1
		hi := e[k+1:]
		for j, v := range x[k+1:] {
			ej := math.Exp(v - m)
			hi[j] = ej
			rest += ej
		}
	}
	if math.IsInf(m, 0) {
		// x_k − m is ∞ − ∞: the row has no softmax.
		rest = math.NaN()
	}
	return m, k, rest
}

// crossEntropy is softmax cross-entropy against a class label y (PyTorch cross_entropy with
// class-index targets). P[0] = label smoothing ε, P[1] = z-loss scale s. With class weights w
// (all 1 when absent), W = Σ_c w_c, lse = log Σ_c e^{x_c} and p = softmax(x):
//
//	L = w_y·((1−ε)·(lse − x_y) + s·lse²) + (ε/C)·Σ_c w_c·(lse − x_c)
//	∂L/∂x_j = w_y·((1−ε)·(p_j − [j=y]) + 2s·lse·p_j) + (ε/C)·(W·p_j − w_j)
//	d = w_y (the Mean divides by Σ w_y, PyTorch's rule, smoothing included)
//
// This is ATen's cross_entropy_loss_label_smoothing: (1−ε)·nll_loss(log_softmax, w) plus
// (ε/C)·Σ_c w_c·(−log p_c), both divided by Σ w_{y_i} for the Mean. The smoothing sum is
// formed as W·log S + Σ_c w_c·(m − x_c) (every term ≥ 0) and is skipped when ε = 0, so a −Inf
// logit outside the target class gives a finite loss and gradient without smoothing (+Inf
// loss with it, as in PyTorch). p_y − 1 is −rest/S when y is the argmax, never 1 − 1.
// A row whose label equals Ignore contributes 0 to everything and gets a zero gradient.
func crossEntropy(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	x, y := in.X, in.Label
	if y == in.Ignore {
		clear(out.GX)
		return 0, 0
	}
	eps, zs := p[0], p[1]
	c := float64(len(x))
	m, k, rest := softmaxRow(out.GX, x)
	logS := math.Log1p(rest)
	lse := m + logS
	wy := cw(in.CW, int(y))
	l := wy * (1 - eps) * ((m - x[y]) + logS)
	if zs != 0 {
		l += wy * zs * lse * lse
	}
	wsum := c
	if eps > 0 {
		var sm float64
		if in.CW == nil {
			for _, v := range x {
				sm += m - v
			}
		} else {
			wsum = 0
			for j, v := range x {
				w := in.CW[j]
				sm += w * (m - v)
				wsum += w
			}
		}
		l += eps / c * (wsum*logS + sm)
	}
	if g := out.GX; g != nil {
		// g_j = a·e_j − b·w_j with a = (w_y((1−ε) + 2s·lse) + b·W)/S, b = ε/C; then the
		// one-hot term at y, formed without cancellation.
		s := 1 + rest
		b := eps / c
		ey := g[y]
		z := 0.0 // 2s·lse, the z-loss factor
		if zs != 0 {
			z = 2 * zs * lse
		}
		a := (wy*((1-eps)+z) + b*wsum) / s
		switch {
		case eps == 0:
			for j := range g {
				g[j] *= a
			}
		case in.CW == nil:
			for j := range g {
				g[j] = a*g[j] - b
			}
		default:
			for j, w := range in.CW {
				g[j] = a*g[j] - b*w
			}
		}
		py := ey / s
		pym1 := py - 1
		if int(y) == k {
			pym1 = -rest / s
		}
		g[y] = wy*((1-eps)*pym1+z*py) + b*(wsum*py-wy)
	}
	return l, wy
}

// crossEntropyProbs is softmax cross-entropy against probability targets t = Y (PyTorch
// cross_entropy with class-probability targets). P[0] = label smoothing ε: t' = (1−ε)·t + ε/C.
// With class weights w (all 1 when absent), τ_c = w_c·t'_c and T = Σ_c τ_c:
//
//	L = −Σ_c τ_c·log p_c = T·log S + Σ_c τ_c·(m − x_c)
//	∂L/∂x_j = p_j·T − τ_j
//	d = 1 (the Mean divides by N, PyTorch's rule)
//
// A class with τ_c = 0 contributes 0 to L even where p_c = 0 (PyTorch gives NaN there).
func crossEntropyProbs(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	x, t := in.X, in.Y
	eps := p[0]
	c := float64(len(x))
	m, _, rest := softmaxRow(out.GX, x)
	logS := math.Log1p(rest)
	u, b := 1-eps, eps/c
	var tsum, sm float64
	if in.CW == nil {
		for j, v := range x {
			tau := u*t[j] + b
			if tau != 0 {
				tsum += tau
				sm += tau * (m - v)
			}
		}
	} else {
		for j, v := range x {
			tau := in.CW[j] * (u*t[j] + b)
			if tau != 0 {
				tsum += tau
				sm += tau * (m - v)
			}
		}
	}
	if g := out.GX; g != nil {
		a := tsum / (1 + rest)
		if in.CW == nil {
			for j, tj := range t {
				g[j] = a*g[j] - (u*tj + b)
			}
		} else {
			for j, tj := range t {
				g[j] = a*g[j] - in.CW[j]*(u*tj+b)
			}
		}
	}
	return tsum*logS + sm, 1
}

// nll is the negative log-likelihood of log-probabilities X (PyTorch nll_loss):
//
//	L = −w_y·x_y,  ∂L/∂x_j = −w_y·[j=y],  d = w_y
//
// A row whose label equals Ignore contributes 0 and gets a zero gradient.
func nll(_ *[8]float64, in RowIn, out RowOut) (float64, float64) {
	clear(out.GX)
	y := in.Label
	if y == in.Ignore {
		return 0, 0
	}
	wy := cw(in.CW, int(y))
	if out.GX != nil {
		out.GX[y] = -wy
	}
	return -wy * in.X[y], wy
}

// cw returns class weight j, or 1 without class weights.
func cw(w []float64, j int) float64 {
	if w == nil {
		return 1
	}
	return w[j]
}
