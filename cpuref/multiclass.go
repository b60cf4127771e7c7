package cpuref

import "math"

// Other multi-class row losses: the multi-class margin loss and CORN for ordinal labels.
// Mirrors kernels/multiclass.h.

func init() {
	registerRow("multi_margin", multiMargin)
	registerRow("corn", corn)
}

// multiMargin is the multi-class hinge loss (PyTorch multi_margin_loss). P[0] = power
// p ∈ {1, 2}, P[1] = margin μ. With z_c = μ − x_y + x_c and class weights w (1 when absent):
//
//	L = (w_y/C)·Σ_{c≠y} max(0, z_c)^p
//	∂L/∂x_c = (w_y/C)·p·z_c^{p−1}·[z_c > 0] (c ≠ y),  ∂L/∂x_y = −Σ_{c≠y} ∂L/∂x_c
//	d = w_y
//
// The kink z_c = 0 takes the zero side, as PyTorch does. A row whose label equals Ignore
// (never, through package loss) contributes 0.
func multiMargin(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	x, y := in.X, in.Label
	if y == in.Ignore {
		clear(out.GX)
		return 0, 0
	}
	wy := cw(in.CW, int(y))
	f := wy / float64(len(x))
	thr := p[1] - x[y]
	sq := p[0] == 2
	var g0, g1 []float64
	if out.GX != nil {
		g0, g1 = out.GX[:y], out.GX[y+1:]
	}
	l0, s0 := marginTerms(g0, x[:y], thr, sq, f)
	l1, s1 := marginTerms(g1, x[y+1:], thr, sq, f)
	if out.GX != nil {
		out.GX[y] = -(s0 + s1)
	}
	return f * (l0 + l1), wy
}

// marginTerms returns Σ_c max(0, thr + x_c)^p over the classes x of one side of the label,
// with p = 2 when sq and 1 otherwise; when g is not nil it receives each class's gradient
// f·p·z^{p−1} (0 where z ≤ 0), and the second result is their sum.
func marginTerms(g, x []float64, thr float64, sq bool, f float64) (l, gs float64) {
	for j, v := range x {
		z := max(thr+v, 0)
		if sq {
			l += z * z
			z *= 2 * f
		} else {
			l += z
			if z > 0 {
				z = f
			}
		}
		if g != nil {
			g[j] = z
			gs += z
		}
	}
	return l, gs
}

// corn is the conditional ordinal loss of coral-pytorch's corn_loss. X holds the C = K−1 task
// logits of a row, Label its rank y ∈ [0, K) = [0, C]. Task k takes part when y ≥ k, with
// binary label [y > k], so the row's tasks are k = 0..min(y, C−1):
//
//	L = Σ_{k < min(y, C)} softplus(−x_k) + [y < C]·softplus(x_y)
//	∂L/∂x_k = σ(x_k) − 1 (k < y),  σ(x_y) (k = y < C),  0 (k > y)
//	d = min(y+1, C), the number of tasks the row takes part in (DenomCorn)
//
// Each term is BCE-with-logits in its stable form, one exponential per task.
func corn(_ *[8]float64, in RowIn, out RowOut) (float64, float64) {
	x, y := in.X, in.Label
	c := int64(len(x))
	pos := min(y, c) // tasks with label 1: k ∈ [0, pos)
	var l float64
	for k, v := range x[:pos] {
		e := math.Exp(-math.Abs(v))
		// softplus(−v) = max(−v, 0) + log1p(e); σ(v) − 1 = −σ(−v).
		l += max(-v, 0) + math.Log1p(e)
		if out.GX != nil {
			if v >= 0 {
				out.GX[k] = -e / (1 + e)
			} else {
				out.GX[k] = -1 / (1 + e)
			}
		}
	}
	if y < c {
		v := x[y]
		e := math.Exp(-math.Abs(v))
		l += max(v, 0) + math.Log1p(e)
		if out.GX != nil {
			if v >= 0 {
				out.GX[y] = 1 / (1 + e)
			} else {
				out.GX[y] = e / (1 + e)
			}
		}
	}
	if out.GX != nil {
		clear(out.GX[min(y+1, c):])
	}
	return l, float64(min(y+1, c))
}
