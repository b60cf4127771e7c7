package cpuref

import "math"

// Cross-entropy family: row losses over N rows of C logits. Mirrors
// kernels/cuda/crossentropy.cu and kernels/opencl/crossentropy.cl.

func init() {
	registerRow("cross_entropy", crossEntropy)
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

// crossEntropy is softmax cross-entropy against a class label y (PyTorch cross_entropy with
// class-index targets). P[0] = label smoothing ε, P[1] = z-loss scale s. With class weights w
// (all 1 when absent) and lse = log Σ_c e^{x_c}:
//
//	L = w_y·((1−ε)·(lse − x_y) + s·lse²) + (ε/C)·Σ_c w_c·(lse − x_c)
//	∂L/∂x_j = w_y·((1−ε)·(p_j − [j=y]) + 2s·lse·p_j) + (ε/C)·(W·p_j − w_j),  p = softmax(x), W = Σ_c w_c
//	d = w_y (the Mean divides by Σ w_y, PyTorch's rule, smoothing included)
//
// A row whose label equals Ignore contributes 0 to everything and gets a zero gradient.
func crossEntropy(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	x, y := in.X, in.Label
	if y == in.Ignore {
		clear(out.GX)
		return 0, 0
	}
	eps, zs := p[0], p[1]
	c := float64(len(x))
	lse := logSumExp(x)
	wy, wsum := 1.0, c
	if in.CW != nil {
		wy, wsum = in.CW[y], 0
		for _, w := range in.CW {
			wsum += w
		}
	}
	l := wy * ((1-eps)*(lse-x[y]) + zs*lse*lse)
	if eps > 0 {
		var smooth float64
		for j, v := range x {
			smooth += cw(in.CW, j) * (lse - v)
		}
		l += eps / c * smooth
	}
	if out.GX != nil {
		for j, v := range x {
			pj := math.Exp(v - lse)
			g := wy * ((1-eps)*pj + 2*zs*lse*pj)
			if eps > 0 {
				g += eps / c * (wsum*pj - cw(in.CW, j))
			}
			if int64(j) == y {
				g -= wy * (1 - eps)
			}
			out.GX[j] = g
		}
	}
	return l, wy
}

// cw returns class weight j, or 1 without class weights.
func cw(w []float64, j int) float64 {
	if w == nil {
		return 1
	}
	return w[j]
}
