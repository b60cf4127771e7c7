package host

import "math"

// The cross-entropy family on the host engine: cross_entropy, cross_entropy_probs and nll.
// Mirrors cpuref/crossentropy.go, whose doc comments give the formulas; the engine computes
// the same quantities in a different order:
//
//   - A row's softmax is summarised by its maximum m and S = Σ_j e^{x_j − m} (so
//     lse = m + log S, p_j = e^{x_j − m}/S and rest = S − 1 in cpuref's terms). Rows of up to
//     ceBlock logits take two passes over the row in L1 (vmath.Max, vmath.SumExp); longer
//     rows (vocabularies of 50257 or 131072) are read once in blocks of ceBlock, each
//     block's (max, sum) merged into the row's with an online rescaling.
//   - The gradient pass writes g_j = gs·a·e^{x_j − m} (vmath.ExpShiftScale) over the row,
//     the smoothing term as one more pass over the row when ε > 0, and the label's entry
//     last, formed without cancellation. Everything the row needs from x (x_y, Σ_c w_c x_c)
//     is read before that pass, so the gradient may overwrite the logits (InPlace).
//   - Per-row scalars (log S, lse, the loss, the gradient's coefficients) are float64, as are
//     all sums; only the per-element exponentials and products are in the input's precision.

func init() {
	register(&Kernel{Name: "cross_entropy", Run32: crossEntropy[float32], Run64: crossEntropy[float64]})
	register(&Kernel{Name: "cross_entropy_probs", Run32: crossEntropyProbs[float32], Run64: crossEntropyProbs[float64]})
	register(&Kernel{Name: "nll", Run32: nll[float32], Run64: nll[float64]})
}

// ceBlock is the number of logits of one block of a long row: 16 KiB of float32, which stays
// in L1 between the block's two passes.
const ceBlock = 4096

// rowSoftmax returns the maximum m of the non-empty row x and S = Σ_j e^{x_j − m}, so that
// the row's log-sum-exp is m + log S. S is NaN when the row holds a NaN or +Inf, or is all
// −Inf (cpuref's "no softmax"). Rows longer than ceBlock are read in blocks of ceBlock
// whose sums are merged with an online rescaling: each element is read from memory once.
func rowSoftmax[T Float](x []T) (T, float64) {
	if len(x) <= ceBlock {
		m := vecMax(x)
		if math.IsInf(float64(m), 0) {
			return m, math.NaN()
		}
		return m, vecSumExp(x, m)
	}
	m := math.Inf(-1)
	var s float64
	for lo := 0; lo < len(x); lo += ceBlock {
		b := x[lo:min(lo+ceBlock, len(x))]
		bm := vecMax(b)
		mb := float64(bm)
		switch {
		case mb != mb:
			return bm, math.NaN()
		case math.IsInf(mb, -1): // a block of −Inf adds nothing
			continue
		case math.IsInf(mb, 1):
			return bm, math.NaN()
		}
		sb := vecSumExp(b, bm)
		if mb > m {
			s = s*math.Exp(m-mb) + sb
			m = mb
		} else {
			s += sb * math.Exp(mb-m)
		}
	}
	if math.IsInf(m, 0) {
		return T(m), math.NaN()
	}
	return T(m), s
}

// crossEntropy is cpuref's crossEntropy (class labels; P[0] = label smoothing ε, P[1] = z-loss
// scale) over all rows. Sums: [Σ s_i·L_i, Σ s_i·w_{y_i}] over rows not ignored.
func crossEntropy[T Float](a *Args[T]) []float64 {
	c := a.C
	eps, zs := a.P[0], a.P[1]
	cw := a.ClassWeight
	wsum := float64(c) // W = Σ_c w_c
	if cw != nil && eps > 0 {
		wsum = vecSum(cw)
	}
	b := eps / float64(c)
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var sl, sd float64
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			var g []T
			if a.GX != nil {
				g = a.GX[i*c : (i+1)*c]
			}
			if y == a.Ignore {
				clear(g)
				if a.PerSample != nil {
					a.PerSample[i] = 0
				}
				continue
			}
			x := a.X[i*c : (i+1)*c]
			xy := float64(x[y])
			m, s := rowSoftmax(x)
			m64 := float64(m)
			logS := math.Log(s)
			lse := m64 + logS
			wy := 1.0
			if cw != nil {
				wy = float64(cw[y])
			}
			l := wy * (1 - eps) * ((m64 - xy) + logS)
			if zs != 0 {
				l += wy * zs * lse * lse
			}
			if eps > 0 {
				// Σ_c w_c·(m − x_c): as m·W − Σ_c w_c·x_c (one vector pass) where the
				// cancellation is harmless, else term by term.
				var sm float64
				if fastShift[T](eps*float64(c), m64) {
					if cw == nil {
						sm = m64*wsum - vecSum(x)
					} else {
						sm = m64*wsum - vecDot(cw, x)
					}
				} else {
					sm = shiftSum(x, cw, m64)
				}
				l += b * (wsum*logS + sm)
			}
			sw := weightAt(a.Weight, i)
			sl += sw * l
			sd += sw * wy
			if a.PerSample != nil {
				a.PerSample[i] = T(sw * l)
			}
			if g == nil {
				continue
			}
			// g_j = gs·(A·e_j − b·w_j) with A = (w_y((1−ε) + z) + b·W)/S and z = 2s·lse, then
			// the label's entry with its one-hot term.
			gs := a.Scale * sw
			z := 0.0
			if zs != 0 {
				z = 2 * zs * lse
			}
			coef := (wy*((1-eps)+z) + b*wsum) / s
			expShiftScaleWide(g, x, m, gs*coef)
			if eps > 0 {
				if cw == nil {
					vecAddConst(g, T(-gs*b))
				} else {
					vecAxpy(g, T(-gs*b), cw)
				}
			}
			py := math.Exp(xy-m64) / s
			pym1 := py - 1
			if xy == m64 { // e_y = 1: p_y − 1 = −(S − 1)/S, without cancellation
				pym1 = -(s - 1) / s
			}
			g[y] = T(gs * (wy*((1-eps)*pym1+z*py) + b*(wsum*py-wy)))
		}
		sums[0], sums[1] = sl, sd
	})
}

// crossEntropyProbs is cpuref's crossEntropyProbs (probability targets t = Y, P[0] = label
// smoothing ε). With τ_c = w_c·((1−ε)t_c + ε/C) and T = Σ_c τ_c:
//
//	L = T·log S + Σ_c τ_c·(m − x_c),  ∂L/∂x_j = p_j·T − τ_j
//
// Without class weights the sums are T = (1−ε)·Σt + ε, Σ_c τ_c·x_c = (1−ε)·t·x + (ε/C)·Σx,
// each one vector pass. A term with τ_c = 0 counts 0 even at x_c = −Inf (0·∞): a row whose
// fast sums are not finite is summed again term by term with that rule.
// Sums: [Σ s_i·L_i, Σ s_i].
func crossEntropyProbs[T Float](a *Args[T]) []float64 {
	c := a.C
	eps := a.P[0]
	u, b := 1-eps, eps/float64(c)
	cw := a.ClassWeight
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var sl, sd float64
		for i := lo; i < hi; i++ {
			x, t := a.X[i*c:(i+1)*c], a.Y[i*c:(i+1)*c]
			m, s := rowSoftmax(x)
			m64 := float64(m)
			logS := math.Log(s)
			var tsum, sm float64
			fast := cw == nil && fastShift[T](float64(c), m64)
			if fast {
				tsum = u*vecSum(t) + b*float64(c)
				sm = tsum*m64 - (u*vecDot(t, x) + b*vecSum(x))
			}
			if !fast || math.IsNaN(sm) || math.IsInf(sm, 0) {
				tsum, sm = probsTerms(x, t, cw, m64, u, b)
			}
			l := tsum*logS + sm
			sw := weightAt(a.Weight, i)
			sl += sw * l
			sd += sw
			if a.PerSample != nil {
				a.PerSample[i] = T(sw * l)
			}
			if a.GX == nil {
				continue
			}
			g := a.GX[i*c : (i+1)*c]
			gs := a.Scale * sw
			expShiftScaleWide(g, x, m, gs*tsum/s)
			if cw == nil {
				vecAxpy(g, T(-gs*u), t)
				vecAddConst(g, T(-gs*b))
			} else {
				gu, gb := T(gs*u), T(gs*b)
				t = t[:len(g)]
				w := cw[:len(g)]
				for j := range g {
					g[j] -= w[j] * (gu*t[j] + gb)
				}
			}
		}
		sums[0], sums[1] = sl, sd
	})
}

// expShiftScaleWide sets g_j = k·e^{x_j − m} like vecExpShiftScale, but takes k in float64:
// when k overflows T (a z-loss on logits near the float32 limit), each term is formed in
// float64 and rounded, so that e_j = 0 gives 0 rather than ∞·0.
func expShiftScaleWide[T Float](g, x []T, m T, k float64) {
	if !isF32[T]() || math.Abs(k) <= math.MaxFloat32 {
		vecExpShiftScale(g, x, m, T(k))
		return
	}
	m64 := float64(m)
	for j, v := range x[:len(g)] {
		g[j] = T(k * math.Exp(float64(v)-m64))
	}
}

// fastShift reports whether Σ_c τ_c·(m − x_c) may be formed as m·Στ − Σ τ_c·x_c for a row of
// maximum m whose terms τ weigh k in all (ε·C for the smoothing term of cross_entropy, at
// most C for probability targets). Its rounding error is then at most about
// 2·k·|m|·2^−53 beyond a relative C·2^−53, which the bound below keeps under 1e−6: far
// inside the float32 tolerance. Float64 inputs always take the term-by-term sum.
func fastShift[T Float](k, m float64) bool {
	return isF32[T]() && k*math.Abs(m) <= 4e9
}

// shiftSum returns Σ_c w_c·(m − x_c) term by term in float64 (cw nil: all 1), as cpuref does.
func shiftSum[T Float](x, cw []T, m float64) float64 {
	var s0, s1 float64
	if cw == nil {
		j := 0
		for ; j+2 <= len(x); j += 2 {
			s0 += m - float64(x[j])
			s1 += m - float64(x[j+1])
		}
		if j < len(x) {
			s0 += m - float64(x[j])
		}
		return s0 + s1
	}
	for j, v := range x {
		s0 += float64(cw[j]) * (m - float64(v))
	}
	return s0
}

// probsTerms returns T = Σ_c τ_c and Σ_c τ_c·(m − x_c) term by term, skipping τ_c = 0 (cpuref's
// rule); cw may be nil (all 1).
func probsTerms[T Float](x, t, cw []T, m, u, b float64) (tsum, sm float64) {
	for j, v := range x {
		tau := u*float64(t[j]) + b
		if cw != nil {
			tau *= float64(cw[j])
		}
		if tau != 0 {
			tsum += tau
			sm += tau * (m - float64(v))
		}
	}
	return tsum, sm
}

// nll is cpuref's nll: L = −w_y·x_y, ∂L/∂x_j = −w_y·[j = y]. It reads x_y alone of each row;
// the gradient's rows are cleared and the label's entry set. Sums: [Σ s_i·L_i, Σ s_i·w_{y_i}].
func nll[T Float](a *Args[T]) []float64 {
	c := a.C
	cw := a.ClassWeight
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var sl, sd float64
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			if y == a.Ignore {
				if a.PerSample != nil {
					a.PerSample[i] = 0
				}
				continue
			}
			wy := 1.0
			if cw != nil {
				wy = float64(cw[y])
			}
			l := -wy * float64(a.X[i*c+int(y)])
			sw := weightAt(a.Weight, i)
			sl += sw * l
			sd += sw * wy
			if a.PerSample != nil {
				a.PerSample[i] = T(sw * l)
			}
		}
		sums[0], sums[1] = sl, sd
		if a.GX == nil {
			return
		}
		// Every x_y of the chunk has been read: the gradient may overwrite the logits.
		clear(a.GX[lo*c : hi*c])
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			if y == a.Ignore {
				continue
			}
			wy := 1.0
			if cw != nil {
				wy = float64(cw[y])
			}
			a.GX[i*c+int(y)] = T(-a.Scale * weightAt(a.Weight, i) * wy)
		}
	})
}
