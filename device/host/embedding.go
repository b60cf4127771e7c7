package host

import (
	"math"
	"sync"
)

// Embedding losses on the host engine: triplet and info_nce. Mirrors cpuref/embedding.go,
// whose doc comments give the formulas and PyTorch's rules at the edges.

func init() {
	register(&Kernel{Name: "triplet", Run32: triplet[float32], Run64: triplet[float64]})
	register(&Kernel{Name: "info_nce", Run32: infoNCE[float32], Run64: infoNCE[float64]})
}

// pairDist returns ‖u − v + eps‖_p in float64 (every difference formed in float64). For p = 2
// the squares of float32 differences cannot overflow float64, so it is √Σw² directly; other
// degrees are pairDistRef (scaled by the largest |w|, as cpuref does).
func pairDist[T Float](u, v []T, p, eps float64) float64 {
	v = v[:len(u)]
	if p == 2 {
		if isF32[T]() {
			return math.Sqrt(sqDist(asF32(u), asF32(v), eps))
		}
		var s0, s1, s2, s3 float64
		j := 0
		for ; j+4 <= len(u); j += 4 {
			w0 := float64(u[j]) - float64(v[j]) + eps
			w1 := float64(u[j+1]) - float64(v[j+1]) + eps
			w2 := float64(u[j+2]) - float64(v[j+2]) + eps
			w3 := float64(u[j+3]) - float64(v[j+3]) + eps
			s0 += w0 * w0
			s1 += w1 * w1
			s2 += w2 * w2
			s3 += w3 * w3
		}
		for ; j < len(u); j++ {
			w := float64(u[j]) - float64(v[j]) + eps
			s0 += w * w
		}
		return math.Sqrt((s0 + s1) + (s2 + s3))
	}
	return pairDistRef(u, v, p, eps) // other degrees: cpuref's evaluation itself
}

// pairDistRef is cpuref's pairDist operation for operation (one float64 sum, in order, of
// (|w_j|/m)^p with m = max_j |w_j|), so that it gives cpuref's bits: the engine decides a
// triplet's near-ties with it.
func pairDistRef[T Float](u, v []T, p, eps float64) float64 {
	v = v[:len(u)]
	if p == 1 {
		var s float64
		for j, uj := range u {
			s += math.Abs(float64(uj) - float64(v[j]) + eps)
		}
		return s
	}
	var m float64
	for j, uj := range u {
		m = max(m, math.Abs(float64(uj)-float64(v[j])+eps))
	}
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var s float64
	for j, uj := range u {
		t := math.Abs(float64(uj)-float64(v[j])+eps) / m
		if p == 2 {
			s += t * t
		} else {
			s += math.Pow(t, p)
		}
	}
	if p == 2 {
		return m * math.Sqrt(s)
	}
	return m * math.Pow(s, 1/p)
}

// pairDistGrad is cpuref's ∂‖w‖_p/∂w_j: sign(w_j)·(|w_j|/d)^(p−1), 0 where w_j = 0 or d = 0.
func pairDistGrad(wj, d, p float64) float64 {
	if wj == 0 || d == 0 {
		return 0
	}
	switch p {
	case 1:
		return math.Copysign(1, wj)
	case 2:
		return wj / d
	}
	return math.Copysign(math.Pow(math.Abs(wj)/d, p-1), wj)
}

// triplet is cpuref's triplet (PyTorch's triplet_margin_loss): X anchors, Y positives, Z
// negatives; P[0] = margin, P[1] = p, P[2] = eps, P[3] = swap. Sums: [Σ s_i·L_i, Σ s_i].
// The gradient of the anchor may overwrite it (GX = X): each coordinate is read before it is
// written.
func triplet[T Float](a *Args[T]) []float64 {
	d := a.C
	margin, deg, eps, swap := a.P[0], a.P[1], a.P[2], a.P[3] != 0
	wantGrad := a.GX != nil || a.GY != nil || a.GZ != nil
	return Par(a.N, rowsPer(3*d), 2, func(lo, hi int, sums []float64) {
		var sl, sd float64
		for i := lo; i < hi; i++ {
			an, po, ne := a.X[i*d:(i+1)*d], a.Y[i*d:(i+1)*d], a.Z[i*d:(i+1)*d]
			dist := pairDist[T]
			var dp, dn, ds, dneg, wn, ws, h float64
			for try := 0; try < 2; try++ {
				if try == 0 && deg == 2 && isF32[T]() {
					// The three distances in one pass (pairDist's bits).
					dp, dn, ds = tripDist(asF32(an), asF32(po), asF32(ne), eps)
					dp, dn, ds = math.Sqrt(dp), math.Sqrt(dn), math.Sqrt(ds)
				} else {
					dp = dist(an, po, deg, eps)
					dn = dist(an, ne, deg, eps)
					if swap {
						ds = dist(po, ne, deg, eps)
					}
				}
				wn, ws, dneg = 1, 0, dn
				var tie bool
				if swap {
					switch {
					case ds < dn:
						wn, ws, dneg = 0, 1, ds
					case ds == dn:
						wn, ws = 0.5, 0.5
					}
					tie = math.Abs(ds-dn) <= 1e-12*(ds+dn)
				}
				h = dp - dneg + margin
				// A decision within rounding of a tie (the hinge's kink, or the swap's
				// d⁻ = dˢ) is taken on cpuref's own evaluation of the distances.
				if !tie && !(math.Abs(h) <= 1e-12*(dp+dneg+math.Abs(margin))) {
					break
				}
				dist = pairDistRef[T]
			}
			l := max(h, 0)
			sw := weightAt(a.Weight, i)
			sl += sw * l
			sd += sw
			if a.PerSample != nil {
				a.PerSample[i] = T(sw * l)
			}
			if !wantGrad {
				continue
			}
			var ga, gp, gn []T
			if a.GX != nil {
				ga = a.GX[i*d : (i+1)*d]
			}
			if a.GY != nil {
				gp = a.GY[i*d : (i+1)*d]
			}
			if a.GZ != nil {
				gn = a.GZ[i*d : (i+1)*d]
			}
			if !(h >= 0) { // inactive hinge (or NaN: cpuref's gradient is then 0 too)
				clear(ga)
				clear(gp)
				clear(gn)
				continue
			}
			tripletGrad(ga, gp, gn, an, po, ne, tripletW{dp: dp, dn: dn, ds: ds, wn: wn, ws: ws, p: deg, eps: eps, gs: a.Scale * sw})
		}
		sums[0], sums[1] = sl, sd
	})
}

// tripletW holds one active row's distances, shares and scale.
type tripletW struct{ dp, dn, ds, wn, ws, p, eps, gs float64 }

// tripletGrad writes the gradients of an active row (nil outputs are skipped).
func tripletGrad[T Float](ga, gp, gn, an, po, ne []T, w tripletW) {
	d := len(an)
	po, ne = po[:d], ne[:d]
	if w.p == 2 && w.ws == 0 && w.dp != 0 && w.dn != 0 {
		// The common case: u(w)_j = w_j/d, one multiply each.
		kp, kn := w.gs/w.dp, w.gs*w.wn/w.dn
		if isF32[T]() && ga != nil && gp != nil && gn != nil {
			tripGrad(asF32(ga), asF32(gp), asF32(gn), asF32(an), asF32(po), asF32(ne), kp, kn, w.eps)
			return
		}
		for j := range d {
			aj := float64(an[j])
			up := (aj - float64(po[j])) + w.eps
			un := (aj - float64(ne[j])) + w.eps
			ku, kv := float64(kp*up), float64(kn*un)
			if ga != nil {
				ga[j] = T(ku - kv)
			}
			if gp != nil {
				gp[j] = T(-kp * up)
			}
			if gn != nil {
				gn[j] = T(kv)
			}
		}
		return
	}
	for j := range d {
		aj, pj, nj := float64(an[j]), float64(po[j]), float64(ne[j])
		up := pairDistGrad(aj-pj+w.eps, w.dp, w.p)
		un := pairDistGrad(aj-nj+w.eps, w.dn, w.p)
		var us float64
		if w.ws != 0 {
			us = pairDistGrad(pj-nj+w.eps, w.ds, w.p)
		}
		if ga != nil {
			ga[j] = T(w.gs * (up - w.wn*un))
		}
		if gp != nil {
			gp[j] = T(w.gs * (-up - w.ws*us))
		}
		if gn != nil {
			gn[j] = T(w.gs * (w.wn*un + w.ws*us))
		}
	}
}

// nceNormEps is the floor of F.normalize's denominator: x/max(‖x‖₂, 1e-12).
const nceNormEps = 1e-12

// nceRows is the number of rows of one chunk of info_nce work for n rows of d: about 2^21
// multiply-adds per pass, a multiple of 4 (the dot-product tile) from 4 to 64. It depends
// only on n and d (so does the order of the loss sums).
func nceRows(n, d int) int { return max(4, min(64, (1<<21)/max(n*max(d, 1), 1))&^3) }

// infoNCE is cpuref's infoNCE (P[0] = τ, P[1] = normalize, P[2] = symmetric) as tiled matrix
// products. With q̂, k̂ the (normalised) rows, s_ij = q̂_i·k̂_j/τ, r_i and c_j the row and column
// log-sum-exps, and
//
//	G_ij = ∂F/∂s_ij = αR·w_i·(e^{s_ij − r_i} − δ_ij) + αC·w_j·(e^{s_ij − c_j} − δ_ij)
//
// (αR = 1, αC = 0; symmetric: ½ and ½), the passes over the N×N similarities, each N²·D
// multiply-adds in 4×4 tiles of dot products (dot4x4: float64, fused multiply-adds, AVX-512 or
// AVX2), are:
//
//  1. symmetric only: c_j for every column (the row pass of k̂ against q̂);
//  2. the rows, a chunk at a time: s_i·, r_i and the loss; with a gradient, G_i· and then
//     GX_i = Σ_j G_ij·k̂_j/τ for the chunk's rows as tiles of G against the columns of k̂ (a
//     transposed copy);
//  3. with GY: the columns likewise: s_·j, G_·j and GY_j = Σ_i G_ij·q̂_i/τ.
//
// q̂ and k̂ are float64 (padded with zeros to multiples of 8 coordinates and 4 rows), as are the
// similarities; the exponentials take them shifted in float64 (by the row's maximum, or by the
// log-sum-exp) and rounded to T for vmath, so that a sharp softmax (large similarities without
// normalisation) keeps its precision; log-sum-exps are m + log1p(rest) and the diagonal's
// e^{s_ii − lse} − 1 is an expm1 in float64, free of cancellation. Each row's numbers do not
// depend on the chunking. Memory: four N×D float64 copies and O(N) per running chunk.
func infoNCE[T Float](a *Args[T]) []float64 {
	n, d := a.N, a.C
	if n == 0 {
		return []float64{0, 0}
	}
	tau, normalize, sym := a.P[0], a.P[1] != 0, a.P[2] != 0
	wantGrad := a.GX != nil || a.GY != nil
	n4, dp := (n+3)&^3, (d+7)&^7
	e := &nce[T]{n: n, d: d, dp: dp, np: (n + 7) &^ 7, tau: tau, w: a.Weight}
	// Every input is read (copied) before any output is written: GX may be X.
	e.q, e.k = make([]float64, n4*dp), make([]float64, n4*dp)
	e.qn, e.kn = make([]float64, n), make([]float64, n)
	Par(n, max(1, rowWork/max(d, 1)), 0, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			e.qn[i] = ncePrepRow(e.q[i*dp:i*dp+d], a.X[i*d:(i+1)*d], normalize)
			e.kn[i] = ncePrepRow(e.k[i*dp:i*dp+d], a.Y[i*d:(i+1)*d], normalize)
		}
	})
	if wantGrad {
		e.qt, e.kt = e.transpose(e.q), e.transpose(e.k)
	}
	e.aR, e.aC = 1.0, 0.0
	if sym {
		e.aR, e.aC = 0.5, 0.5
	}
	chunk := nceRows(n, d)
	e.pool.New = func() any {
		b := &nceBuf[T]{sim: make([]float64, chunk*n), t: make([]T, n), g: make([]T, n)}
		if wantGrad {
			b.gm = make([]float64, chunk*e.np)
			b.gv = make([]float64, chunk*((d+3)&^3))
		}
		return b
	}
	e.r = make([]float64, n)
	if sym {
		e.c = make([]float64, n)
		Par(n, chunk, 0, func(lo, hi int, _ []float64) {
			b := e.pool.Get().(*nceBuf[T])
			defer e.pool.Put(b)
			sim := b.sim[:(hi-lo)*n]
			e.simBlock(sim, e.k, e.q, lo, hi)
			for j := lo; j < hi; j++ {
				m, l1p := lseRow(sim[(j-lo)*n:(j-lo+1)*n], b.t)
				e.c[j] = m + l1p
			}
		})
	}
	sums := Par(n, chunk, 2, func(lo, hi int, sums []float64) {
		b := e.pool.Get().(*nceBuf[T])
		defer e.pool.Put(b)
		sim := b.sim[:(hi-lo)*n]
		e.simBlock(sim, e.q, e.k, lo, hi)
		var sl, sd float64
		for i := lo; i < hi; i++ {
			s := sim[(i-lo)*n : (i-lo+1)*n]
			m, l1p := lseRow(s, b.t)
			r := m + l1p
			e.r[i] = r
			lii := (m - s[i]) + l1p // r_i − s_ii
			l := lii
			if sym {
				l = 0.5 * (lii + (e.c[i] - s[i]))
			}
			wi := weightAt(a.Weight, i)
			sl += wi * l
			sd += wi
			if a.PerSample != nil {
				a.PerSample[i] = T(wi * l)
			}
			if a.GX != nil {
				e.gradRow(b, s, i, r, e.c, e.aR, e.aC)
				e.keepRow(b, i-lo)
			}
		}
		if a.GX != nil {
			e.project(b, hi-lo, e.kt)
			for i := lo; i < hi; i++ {
				nceNormGrad(a.GX[i*d:(i+1)*d], b.gv[(i-lo)*d:(i-lo+1)*d], e.q[i*dp:i*dp+d], e.qn[i], normalize, a.Scale/tau)
			}
		}
		sums[0], sums[1] = sl, sd
	})
	if a.GY != nil {
		Par(n, chunk, 0, func(lo, hi int, _ []float64) {
			b := e.pool.Get().(*nceBuf[T])
			defer e.pool.Put(b)
			sim := b.sim[:(hi-lo)*n]
			e.simBlock(sim, e.k, e.q, lo, hi)
			for j := lo; j < hi; j++ {
				var own float64
				if sym {
					own = e.c[j]
				}
				e.gradRow(b, sim[(j-lo)*n:(j-lo+1)*n], j, own, e.r, e.aC, e.aR)
				e.keepRow(b, j-lo)
			}
			e.project(b, hi-lo, e.qt)
			for j := lo; j < hi; j++ {
				nceNormGrad(a.GY[j*d:(j+1)*d], b.gv[(j-lo)*d:(j-lo+1)*d], e.k[j*dp:j*dp+d], e.kn[j], normalize, a.Scale/tau)
			}
		})
	}
	return sums
}

// nce is one info_nce evaluation's working set.
type nce[T Float] struct {
	n, d   int
	dp, np int // d rounded up to 8, n rounded up to 8 (padded row lengths)
	tau    float64
	w      []T       // sample weights, nil for all 1
	q, k   []float64 // normalised rows: ⌈N⌉₄ rows of dp, zero-padded
	qt, kt []float64 // their transposes: ⌈D⌉₄ rows of np, zero-padded (gradients only)
	qn, kn []float64 // row norms (0 without normalize)
	r, c   []float64 // row and column log-sum-exps
	aR, aC float64   // shares of the row and column terms
	pool   sync.Pool // *nceBuf: one running chunk's buffers
}

// nceBuf is one running chunk's scratch: its similarities (rows × N), two rows of T, and for
// the gradient the chunk's rows of G (rows × np, float64, zero-padded) and their projections
// (rows × D).
type nceBuf[T Float] struct {
	sim    []float64
	t, g   []T
	gm, gv []float64
}

// transpose returns the transpose of a ⌈N⌉₄×dp matrix's first d columns: ⌈D⌉₄ rows of np.
func (e *nce[T]) transpose(x []float64) []float64 {
	n, d, dp, np := e.n, e.d, e.dp, e.np
	t := make([]float64, ((d+3)&^3)*np)
	const b = 32
	for i0 := 0; i0 < n; i0 += b {
		for j0 := 0; j0 < d; j0 += b {
			for i := i0; i < min(i0+b, n); i++ {
				for j := j0; j < min(j0+b, d); j++ {
					t[j*np+i] = x[i*dp+j]
				}
			}
		}
	}
	return t
}

// simBlock fills dst[(i−lo)·N + j] = A_i·B_j/τ for rows i ∈ [lo, hi) of A and every row j of
// B, in 4×4 tiles: for each tile of 4 keys, every tile of the block's rows (lo is a multiple
// of 4; the padding rows are computed and dropped).
func (e *nce[T]) simBlock(dst []float64, A, B []float64, lo, hi int) {
	n, dp := e.n, e.dp
	inv := 1 / e.tau
	var tile [16]float64
	for j0 := 0; j0 < n; j0 += 4 {
		for i0 := lo; i0 < hi; i0 += 4 {
			if j0+4 <= n && i0+4 <= hi {
				dot4x4(dst[(i0-lo)*n+j0:], n, inv, A[i0*dp:], dp, B[j0*dp:], dp, dp)
				continue
			}
			dot4x4(tile[:], 4, inv, A[i0*dp:], dp, B[j0*dp:], dp, dp)
			for i := i0; i < min(i0+4, hi); i++ {
				copy(dst[(i-lo)*n+j0:(i-lo)*n+min(j0+4, n)], tile[4*(i-i0):])
			}
		}
	}
}

// keepRow stores the gradient row b.g (T) as row r of the chunk's float64 G block.
func (e *nce[T]) keepRow(b *nceBuf[T], r int) {
	dst := b.gm[r*e.np : r*e.np+e.n]
	if isF32[T]() {
		widenF32(dst, asF32(b.g[:e.n]))
		return
	}
	for c, v := range b.g[:e.n] {
		dst[c] = float64(v)
	}
}

// project sets b.gv[r·D + k] = Σ_c G_rc·B_c[k] for the chunk's rows r < rows and every
// coordinate k, in 4×4 tiles of G's rows against the rows of Bt (B transposed).
func (e *nce[T]) project(b *nceBuf[T], rows int, Bt []float64) {
	d, np := e.d, e.np
	var tile [16]float64
	for k0 := 0; k0 < d; k0 += 4 {
		for r0 := 0; r0 < rows; r0 += 4 {
			if k0+4 <= d && r0+4 <= rows {
				dot4x4(b.gv[r0*d+k0:], d, 1, b.gm[r0*np:], np, Bt[k0*np:], np, np)
				continue
			}
			dot4x4(tile[:], 4, 1, b.gm[r0*np:], np, Bt[k0*np:], np, np)
			for r := r0; r < min(r0+4, rows); r++ {
				copy(b.gv[r*d+k0:r*d+min(k0+4, d)], tile[4*(r-r0):])
			}
		}
	}
}

// lseRow returns the maximum m of s and log1p(rest), rest = Σ_j e^{s_j − m} − 1, so that the
// log-sum-exp is m + log1p(rest) and m − s_j + log1p(rest) is free of cancellation; t is
// scratch of len(s). A row holding NaN gives m = NaN; one with +Inf or all −Inf gives that
// infinity and 0 (cpuref's logSumExp returns it as the log-sum-exp).
func lseRow[T Float](s []float64, t []T) (m, l1p float64) {
	m = maxF64(s)
	if m != m || math.IsInf(m, 0) {
		return m, 0
	}
	t = t[:len(s)]
	shiftTo(t, s, nil, m)
	return m, math.Log1p(vecSumExp(t, 0) - 1)
}

// shiftTo sets t_c = T(s_c − o_c), or T(s_c − k) when o is nil.
func shiftTo[T Float](t []T, s, o []float64, k float64) {
	if isF32[T]() {
		subF32(asF32(t), s, o, k)
		return
	}
	if o == nil {
		for c, v := range s {
			t[c] = T(v - k)
		}
		return
	}
	for c, v := range s {
		t[c] = T(v - o[c])
	}
}

// gradRow fills b.g with g_c = ∂F/∂s_ac over c for row a of the pass (s its similarities):
//
//	g_c = α1·w_a·e^{s_c − own} + α2·w_c·e^{s_c − other_c} − δ_ac·(α1 + α2)·w_a
//
// (own is unused when α1 = 0, other when α2 = 0). Every exponent is formed in float64 and
// rounded to T; the diagonal entry is α1·w_a·expm1(s_a − own) + α2·w_a·expm1(s_a − other_a)
// in float64.
func (e *nce[T]) gradRow(b *nceBuf[T], s []float64, a int, own float64, other []float64, a1, a2 float64) {
	wa := weightAt(e.w, a)
	g, t := b.g[:len(s)], b.t[:len(s)]
	if a1 != 0 {
		shiftTo(t, s, nil, own)
		vecExpShiftScale(g, t, 0, T(a1*wa))
	}
	if a2 != 0 {
		shiftTo(t, s, other, 0)
		if a1 == 0 {
			vecExp(g, t)
			if e.w == nil {
				vecScale(g, T(a2))
			} else {
				k, w := T(a2), e.w[:len(g)]
				for c := range g {
					g[c] *= k * w[c]
				}
			}
		} else {
			vecExp(t, t)
			if e.w == nil {
				vecAxpy(g, T(a2), t)
			} else {
				k, w := T(a2), e.w[:len(g)]
				for c := range g {
					g[c] += k * w[c] * t[c]
				}
			}
		}
	}
	var ga float64
	if a1 != 0 {
		ga += a1 * wa * math.Expm1(s[a]-own)
	}
	if a2 != 0 {
		ga += a2 * wa * math.Expm1(s[a]-other[a])
	}
	g[a] = T(ga)
}

// ncePrepRow writes src into dst as float64, divided by max(‖src‖₂, 1e-12) when normalize is
// set, and returns ‖src‖₂ (0 without normalize).
func ncePrepRow[T Float](dst []float64, src []T, normalize bool) float64 {
	for j, v := range src {
		dst[j] = float64(v)
	}
	if !normalize {
		return 0
	}
	nrm := math.Sqrt(dot4(dst, dst))
	den := max(nrm, nceNormEps)
	for j := range dst {
		dst[j] /= den
	}
	return nrm
}

// nceNormGrad writes dst = scale·∂F/∂x for a row x whose (normalised) value is xh, given
// g = τ·∂F/∂x̂ (scale carries the 1/τ): through x̂ = x/max(‖x‖, 1e-12) when normalize is set.
func nceNormGrad[T Float](dst []T, g, xh []float64, nrm float64, normalize bool, scale float64) {
	if normalize {
		if nrm >= nceNormEps {
			c := dot4(xh, g)
			k := scale / nrm
			for j, v := range g {
				dst[j] = T(k * (v - xh[j]*c))
			}
			return
		}
		scale /= nceNormEps
	}
	for j, v := range g {
		dst[j] = T(scale * v)
	}
}
