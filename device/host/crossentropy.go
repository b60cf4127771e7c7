package host

import (
	"math"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// The cross-entropy family on the host engine: cross_entropy, cross_entropy_probs and nll.
// Mirrors cpuref/crossentropy.go, whose doc comments give the formulas; the engine computes
// the same quantities in another order.
//
// A row is scanned once, in blocks of ceBlock logits (16 KiB of float32, resident in L1
// between the block's passes): each block's maximum m_b, then e^{x_j − m_b} — summed
// (vmath.SumExp), or, when the gradient is wanted, stored into the gradient row and summed
// there (vmath.ExpShiftScale, vmath.Sum) — and the weighted sum Σ w_c·(m_b − x_c) that label
// smoothing (or probability targets) need. The blocks' sums are merged online into the row's
// maximum m and S = Σ_j e^{x_j − m}, so lse = m + log S, p_j = e^{x_j − m}/S and rest = S − 1
// in cpuref's terms; a vocabulary of 50257 or 131072 is read from memory once. The gradient
// is then one pass of g_j ← f_b·g_j + c over the stored exponentials (f_b folds e^{m_b − m},
// the scale and the row's coefficient), and the label's entry is formed last, without
// cancellation. Everything the row needs from x is read before its block is overwritten, so
// the gradient may overwrite the logits (InPlace). Per-row scalars and all sums are float64;
// only the per-element exponentials and products are in the input's precision. The same
// scan serves the forward and the gradient, so the loss does not depend on whether the
// gradient is wanted.

func init() {
	register(&Kernel{Name: "cross_entropy", Run32: crossEntropy[float32], Run64: crossEntropy[float64]})
	register(&Kernel{Name: "cross_entropy_probs", Run32: crossEntropyProbs[float32], Run64: crossEntropyProbs[float64]})
	register(&Kernel{Name: "nll", Run32: nll[float32], Run64: nll[float64]})
}

// ceBlock is the number of logits of one block of a row.
const ceBlock = 4096

// shiftKind says which weights ω_c the scan's shifted sum Σ_c ω_c·(m − x_c) uses.
type shiftKind uint8

const (
	shiftNone   shiftKind = iota // not wanted
	shiftOnes                    // ω_c = 1
	shiftWeight                  // ω_c = w_c (class weights); 0·∞ is NaN, as cpuref's sum has it
	shiftProbs                   // ω_c = w_c·(u·t_c + b) (w_c = 1 without class weights); ω_c = 0 counts 0
)

// ceScan is one row's scan: x the logits, g the gradient row to store e^{x_j − m_b} into (nil:
// forward only), and for the shifted sum its kind, the class weights w (nil: all 1), the
// targets t and (u, b) for shiftProbs. It returns the maximum m, S = Σ_j e^{x_j − m} (NaN when
// the row has no softmax: a NaN or +Inf logit, or all −Inf), Σ_c ω_c (the weights' total, W or
// T) and Σ_c ω_c·(m − x_c); bm receives each block's maximum when g is set (its length is at
// least the number of blocks). A block of −Inf gets a zero gradient block.
func ceScan[T Float](x, g []T, kind shiftKind, w, t []T, u, b float64, bm []float64) (m, s, wsum, sm float64) {
	m = math.Inf(-1)
	bad := false
	var wfin float64 // Σω over the blocks merged so far
	for k, lo := 0, 0; lo < len(x); k, lo = k+1, lo+ceBlock {
		hi := min(lo+ceBlock, len(x))
		xb := x[lo:hi]
		var gb, tb, wcb []T
		if g != nil {
			gb = g[lo:hi]
		}
		if t != nil {
			tb = t[lo:hi]
		}
		if w != nil {
			wcb = w[lo:hi]
		}
		var mbT T
		var pre *[3]float64 // the block's Σt·x, Σt, Σx, taken with its maximum
		var stats [3]float64
		if kind == shiftProbs && w == nil && isF32[T]() {
			var m32 float32
			m32, stats[0], stats[1], stats[2] = rowStats(asF32(xb), asF32(tb))
			mbT, pre = T(m32), &stats
		} else {
			mbT = vecMax(xb)
		}
		mb := float64(mbT)
		if g != nil {
			bm[k] = mb
		}
		switch {
		case mb != mb || math.IsInf(mb, 1): // no softmax: NaN throughout
			bad = true
			continue
		case math.IsInf(mb, -1): // adds nothing to S; its terms of the shifted sum are ω·∞
			if kind != shiftNone {
				wb, smb := shiftExact(xb, wcb, tb, kind, u, b, math.Inf(1))
				wsum += wb
				sm += smb
			}
			clear(gb)
			continue
		}
		var wb, smb float64 // the block's Σω and Σ ω·(m_b − x), before x may be overwritten
		if kind != shiftNone {
			wb, smb = shiftSums(xb, wcb, tb, kind, u, b, mb, pre)
		}
		var sb float64
		if g == nil {
			sb = vecSumExp(xb, mbT)
		} else {
			vecExpShiftScale(gb, xb, mbT, 1)
			sb = vecSum(gb)
		}
		// Merge at the larger maximum: every term of the shifted sum stays ≥ 0.
		switch {
		case math.IsInf(m, -1):
			s, m = sb, mb
			sm += smb
		case mb > m:
			s = s*math.Exp(m-mb) + sb
			sm += (mb-m)*wfin + smb
			m = mb
		default:
			s += sb * math.Exp(mb-m)
			sm += smb + (m-mb)*wb
		}
		wfin += wb
		wsum += wb
	}
	if bad || math.IsInf(m, -1) {
		s = math.NaN()
	}
	return m, s, wsum, sm
}

// shiftSums returns a block's Σ_c ω_c and Σ_c ω_c·(m − x_c) for its maximum m. The second is
// formed as m·Σω − Σ ω_c·x_c (vector passes; pre, when set, holds the block's Σt·x, Σt, Σx
// for probability targets) where that cancellation is harmless (fastShift), else term by
// term.
func shiftSums[T Float](x, w, t []T, kind shiftKind, u, b, m float64, pre *[3]float64) (wsum, sm float64) {
	n := float64(len(x))
	switch {
	case kind == shiftOnes && fastShift[T](n, m):
		return n, m*n - vecSum(x)
	case kind == shiftWeight && fastShift[T](n, m):
		wsum = vecSum(w)
		return wsum, m*wsum - vecDot(w, x)
	case kind == shiftProbs && w == nil && fastShift[T](2*n, m):
		var stx, st, sx float64
		switch {
		case pre != nil:
			stx, st, sx = pre[0], pre[1], pre[2]
		case isF32[T]():
			stx, st, sx = sums3(asF32(t), asF32(x))
		default:
			stx, st, sx = vecDot(t, x), vecSum(t), vecSum(x)
		}
		if wsum, sm, ok := probsShift(u, b, n, m, stx, st, sx); ok {
			return wsum, sm
		}
	}
	return shiftExact(x, w, t, kind, u, b, m)
}

// probsShift is shiftSums' fast form for probability targets without class weights: T =
// u·Σt + b·n and Σ τ_c·(m − x_c) = m·T − (u·Σt·x + b·Σx), ok when the latter is finite.
func probsShift(u, b, n, m, stx, st, sx float64) (wsum, sm float64, ok bool) {
	wsum = u*st + b*n
	sm = m*wsum - (u*stx + b*sx)
	return wsum, sm, !math.IsNaN(sm) && !math.IsInf(sm, 0)
}

// fastShift reports whether Σ_c ω_c·(m − x_c) over a block of maximum m may be formed as
// m·Σω − Σ ω_c·x_c, k being n·ε for the smoothing term of cross_entropy over n terms (the sum
// enters the loss divided by C ≥ n, times ε) and 2n for probability targets (Σω ≤ 2). The
// rounding error of that form is at most about 2·k·|m|·2^−53 in the loss beyond a relative
// n·2^−53, which the bound keeps under 1e−6: far inside the float32 tolerance. Float64 inputs
// always take the term-by-term sum.
func fastShift[T Float](k, m float64) bool {
	return isF32[T]() && k*math.Abs(m) <= 4e9
}

// shiftExact returns Σ ω_c and Σ ω_c·(m − x_c) term by term in float64, as cpuref sums them.
func shiftExact[T Float](x, w, t []T, kind shiftKind, u, b, m float64) (wsum, sm float64) {
	for j, v := range x {
		om := 1.0
		switch kind {
		case shiftWeight:
			om = float64(w[j])
		case shiftProbs:
			om = u*float64(t[j]) + b
			if w != nil {
				om *= float64(w[j])
			}
			if om == 0 {
				continue
			}
		}
		wsum += om
		sm += om * (m - float64(v))
	}
	return wsum, sm
}

// ceBlocks is the room for block maxima on the stack: rows of up to 64 blocks (262144 logits).
const ceBlocks = 64

// ceGrad finishes a gradient row whose blocks hold e^{x_j − m_b} (bm their maxima, m the row's):
// g_j ← k·e^{m_b − m}·g_j + c, with c the constant term, and, when ty is set,
// g_j ← … + cy·ty_j (probability targets). k may overflow T (a z-loss on logits near the
// float32 limit): the blocks are then scaled term by term in float64, so that e_j = 0 gives 0.
func ceGrad[T Float](g []T, bm []float64, m, k, c float64, ty []T, cy float64) {
	for i, lo := 0, 0; lo < len(g); i, lo = i+1, lo+ceBlock {
		hi := min(lo+ceBlock, len(g))
		gb := g[lo:hi]
		f := k
		if bm[i] != m {
			f = k * math.Exp(bm[i]-m)
		}
		if math.IsInf(bm[i], -1) {
			f = 0
			if k != k {
				f = k
			}
		}
		var tb []T
		if ty != nil {
			tb = ty[lo:hi]
		}
		if isF32[T]() && math.Abs(f) > math.MaxFloat32 {
			for j, v := range gb {
				gb[j] = T(f * float64(v))
				if tb != nil {
					gb[j] += T(cy*float64(tb[j]) + c)
				} else {
					gb[j] += T(c)
				}
			}
			continue
		}
		if tb != nil {
			vecAxpbyc(gb, tb, T(f), T(cy), T(c))
		} else {
			vecAxpb(gb, T(f), T(c))
		}
	}
}

// crossEntropy is cpuref's crossEntropy (class labels; P[0] = label smoothing ε, P[1] = z-loss
// scale) over all rows. Sums: [Σ s_i·L_i, Σ s_i·w_{y_i}] over rows not ignored.
func crossEntropy[T Float](a *Args[T]) []float64 {
	c := a.C
	eps, zs := a.P[0], a.P[1]
	cw := a.ClassWeight
	b := eps / float64(c)
	kind := shiftNone
	if eps > 0 {
		kind = shiftOnes
		if cw != nil {
			kind = shiftWeight
		}
	}
	nb := (c + ceBlock - 1) / ceBlock
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var bmStack [ceBlocks]float64
		bm := bmStack[:]
		if nb > ceBlocks {
			bm = make([]float64, nb)
		}
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
			xy := float64(x[y]) // read before the scan may overwrite x
			m, s, wsum, sm := ceScan(x, g, kind, cw, nil, 0, 0, bm)
			if kind == shiftNone {
				wsum = float64(c)
			}
			logS := math.Log(s)
			lse := m + logS
			wy := 1.0
			if cw != nil {
				wy = float64(cw[y])
			}
			l := wy * (1 - eps) * ((m - xy) + logS)
			if zs != 0 {
				l += wy * zs * lse * lse
			}
			if eps > 0 {
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
			cst := 0.0
			if eps > 0 && cw == nil {
				cst = -gs * b
			}
			ceGrad(g, bm, m, gs*coef, cst, []T(nil), 0)
			if eps > 0 && cw != nil {
				vecAxpy(g, T(-gs*b), cw)
			}
			py := math.Exp(xy-m) / s
			pym1 := py - 1
			if xy == m { // e_y = 1: p_y − 1 = −(S − 1)/S, without cancellation
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
// The scan gives T and Σ τ_c·(m − x_c) with the exponentials (without class weights from one
// pass of Σt·x, Σt, Σx per block). A term with τ_c = 0 counts 0 even at x_c = −Inf (0·∞).
// Sums: [Σ s_i·L_i, Σ s_i].
func crossEntropyProbs[T Float](a *Args[T]) []float64 {
	c := a.C
	eps := a.P[0]
	u, b := 1-eps, eps/float64(c)
	cw := a.ClassWeight
	nb := (c + ceBlock - 1) / ceBlock
	// The forward pass over float32 rows of one block, without class weights, scans many
	// rows a call at AVX-512 (ceProbsRows).
	fused := isF32[T]() && cw == nil && a.GX == nil && c > 0 && c <= ceBlock && simdLevel() == 2
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var bmStack [ceBlocks]float64
		bm := bmStack[:]
		if nb > ceBlocks {
			bm = make([]float64, nb)
		}
		var ss, ts, sms [probsRows]float64
		var sl, sd float64
		for r0 := lo; r0 < hi; r0 += probsRows {
			r1 := min(r0+probsRows, hi)
			done := 0 // rows r0 … r0+done−1 are finished
			if fused {
				done = ceProbsFused(asF32(a.X[r0*c:r1*c]), asF32(a.Y[r0*c:r1*c]), c, u, b, &ss, &ts, &sms)
			}
			for i := r0 + done; i < r1; i++ {
				x, t := a.X[i*c:(i+1)*c], a.Y[i*c:(i+1)*c]
				var g []T
				if a.GX != nil {
					g = a.GX[i*c : (i+1)*c]
				}
				m, s, tsum, sm := ceScan(x, g, shiftProbs, cw, t, u, b, bm)
				ss[i-r0], ts[i-r0], sms[i-r0] = s, tsum, sm
				if g == nil {
					continue
				}
				gs := a.Scale * weightAt(a.Weight, i)
				if cw == nil {
					ceGrad(g, bm, m, gs*tsum/s, -gs*b, t, -gs*u)
					continue
				}
				ceGrad(g, bm, m, gs*tsum/s, 0, []T(nil), 0)
				gu, gb := T(gs*u), T(gs*b)
				w := cw[:len(g)]
				t = t[:len(g)]
				for j := range g {
					g[j] -= w[j] * (gu*t[j] + gb)
				}
			}
			logs := rowLogs[T](ss[:r1-r0])
			for i := r0; i < r1; i++ {
				k := i - r0
				l := ts[k]*logs[k] + sms[k]
				sw := weightAt(a.Weight, i)
				sl += sw * l
				sd += sw
				if a.PerSample != nil {
					a.PerSample[i] = T(sw * l)
				}
			}
		}
		sums[0], sums[1] = sl, sd
	})
}

// probsRows is the number of rows whose log S cross_entropy_probs takes at once.
const probsRows = 64

// ceRow is one row's results of ceProbsRowsAVX512 (generated by internal/vmath/asm, cerows.go,
// which writes this layout): the maximum m with the NaN flag and Σ t·x, Σ t, Σ x of the first
// c − c mod 16 elements, and S = Σ e^{x_j − m} over the row.
type ceRow struct {
	m           float32
	nan         bool
	_           [3]byte
	stx, st, sx float64
	s           float64
}

// ceProbsFused runs the forward scan of the float32 rows x, t (of c elements, at most
// probsRows of them) through ceProbsRowsAVX512 and sets S, Σ_c τ_c and Σ_c τ_c·(m − x_c) of
// the first rows it can finish (rows without a tail whose shifted sum takes the fast form,
// inline; others by ceProbsFinish), up to the first that ceScan must take. It returns their
// number. (A function of its own: the gradient path's frame keeps its size.)
//
//go:noinline
func ceProbsFused(x, t []float32, c int, u, b float64, ss, ts, sms *[probsRows]float64) int {
	var rs [probsRows]ceRow
	rows := len(x) / c
	ceProbsRowsAVX512(&x[0], &t[0], c, rows, (*float64)(unsafe.Pointer(&rs[0])))
	n := float64(c)
	for k, r := range rs[:rows] {
		if c&15 == 0 {
			// ceProbsFinish's and shiftSums' arithmetic, inline.
			mb := float64(r.m)
			if r.nan || !fastShift[float32](2*n, mb) { // fastShift is false at ±Inf
				return k
			}
			wsum, sm, ok := probsShift(u, b, n, mb, r.stx, r.st, r.sx)
			if !ok {
				return k
			}
			var w0, s0 float64 // ceScan's running sums
			w0 += wsum
			s0 += sm
			ss[k], ts[k], sms[k] = r.s, w0, s0
			continue
		}
		var ok bool
		ss[k], ts[k], sms[k], ok = ceProbsFinish(&rs[k], x[k*c:(k+1)*c], t[k*c:(k+1)*c], u, b)
		if !ok {
			return k
		}
	}
	return rows
}

// ceProbsFinish completes a row of one block from its ceRow as ceScan does (rowStats, then
// vmath.SumExp: the same bits): the tail's sums added in order, the shifted sum for
// probability targets without class weights. It returns S, Σ_c τ_c and Σ_c τ_c·(m − x_c), or
// ok = false for a row without a finite maximum, which ceScan must take.
func ceProbsFinish(r *ceRow, x, t []float32, u, b float64) (s, wsum, sm float64, ok bool) {
	mb := float64(r.m)
	if r.nan || math.IsInf(mb, 0) {
		return 0, 0, 0, false
	}
	stats := [3]float64{r.stx, r.st, r.sx}
	t = t[:len(x)]
	for j := len(x) &^ 15; j < len(x); j++ {
		tv, xv := float64(t[j]), float64(x[j])
		stats[0] += tv * xv
		stats[1] += tv
		stats[2] += xv
	}
	wb, smb := shiftSums(x, nil, t, shiftProbs, u, b, mb, &stats)
	// ceScan's merge into its running sums, which start at 0.
	wsum += wb
	sm += smb
	return r.s, wsum, sm, true
}

// rowLogs returns log s_k for up to probsRows values s_k ≥ 1 (or NaN): for float32 inputs by
// one vmath.Log call on the values rounded to float32 (error within 2^−22 absolute for
// s_k < e^4), for float64 by math.Log. A short row's log is otherwise a large part of its cost.
func rowLogs[T Float](s []float64) (out [probsRows]float64) {
	if !isF32[T]() {
		for k, v := range s {
			out[k] = math.Log(v)
		}
		return out
	}
	var s32, l32 [probsRows]float32
	for k, v := range s {
		s32[k] = float32(v)
	}
	vmath.Log(l32[:len(s)], s32[:len(s)])
	for k := range s {
		out[k] = float64(l32[k])
	}
	return out
}

// nll is cpuref's nll: L = −w_y·x_y, ∂L/∂x_j = −w_y·[j = y]. It reads x_y alone of each row:
// the sums run over chunks of nllRows rows (one element each, so a batch of up to nllRows rows
// takes no second thread), then the gradient rows are cleared and the label's entries set, in
// chunks of rows of about rowWork values. The sums are the same with or without the gradient,
// and every x_y is read before the gradient may overwrite the logits.
// Sums: [Σ s_i·L_i, Σ s_i·w_{y_i}].
func nll[T Float](a *Args[T]) []float64 {
	c := a.C
	cw := a.ClassWeight
	sums := Par(a.N, nllRows, 2, func(lo, hi int, sums []float64) {
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
	})
	if a.GX == nil {
		return sums
	}
	Par(a.N, rowsPer(c), 0, func(lo, hi int, _ []float64) {
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
	return sums
}

// nllRows is the number of rows of one chunk of nll's sums.
const nllRows = 1 << 14
