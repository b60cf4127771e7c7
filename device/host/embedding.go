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
// degrees scale by the largest |w| as cpuref does.
func pairDist[T Float](u, v []T, p, eps float64) float64 {
	v = v[:len(u)]
	switch p {
	case 2:
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
	case 1:
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
		s += math.Pow(math.Abs(float64(uj)-float64(v[j])+eps)/m, p)
	}
	return m * math.Pow(s, 1/p)
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
				dp = dist(an, po, deg, eps)
				dn = dist(an, ne, deg, eps)
				wn, ws, dneg = 1, 0, dn
				var tie bool
				if swap {
					ds = dist(po, ne, deg, eps)
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
		for j := range d {
			aj := float64(an[j])
			up := aj - float64(po[j]) + w.eps
			un := aj - float64(ne[j]) + w.eps
			if ga != nil {
				ga[j] = T(kp*up - kn*un)
			}
			if gp != nil {
				gp[j] = T(-kp * up)
			}
			if gn != nil {
				gn[j] = T(kn * un)
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

// nceRows is the number of rows of one chunk of info_nce work for n rows: about 2^21
// multiply-adds per pass, at most 64 rows. It depends only on n and d (so does the order of
// the loss sums).
func nceRows(n, d int) int { return max(1, min(64, (1<<21)/max(n*max(d, 1), 1))) }

// infoNCE is cpuref's infoNCE (P[0] = τ, P[1] = normalize, P[2] = symmetric) as blocked
// vector products. With q̂, k̂ the (normalised) rows, s_ij = q̂_i·k̂_j/τ, r_i and c_j the row
// and column log-sum-exps, and
//
//	G_ij = ∂F/∂s_ij = αR·w_i·(e^{s_ij − r_i} − δ_ij) + αC·w_j·(e^{s_ij − c_j} − δ_ij)
//
// (αR = 1, αC = 0; symmetric: ½ and ½), the passes over the N×N similarities, each N²·D
// multiply-adds in vmath.Dot calls (float64 sums), are:
//
//  1. symmetric only: c_j for every column (the row pass of k̂ against q̂);
//  2. the rows: s_i·, r_i and the loss; with a gradient, G_i· and GX_i = Σ_j G_ij·k̂_j/τ as D
//     dot products of G_i· with the columns of k̂ (a transposed copy);
//  3. with GY: the columns: s_·j, G_·j and GY_j = Σ_i G_ij·q̂_i/τ likewise.
//
// A block of rows computes its similarities key by key, so each key is loaded once per
// block. Similarities are kept in float64; the exponentials take them shifted in float64 (by
// the row's maximum, or by the log-sum-exp) and rounded to T, so that a sharp softmax (large
// similarities without normalisation) keeps its precision; log-sum-exps are m + log1p(rest)
// and the diagonal's e^{s_ii − lse} − 1 is an expm1 in float64, free of cancellation.
// Memory: four N×D copies of T and O(N) per running chunk.
func infoNCE[T Float](a *Args[T]) []float64 {
	n, d := a.N, a.C
	if n == 0 {
		return []float64{0, 0}
	}
	tau, normalize, sym := a.P[0], a.P[1] != 0, a.P[2] != 0
	wantGrad := a.GX != nil || a.GY != nil
	// Every input is read (copied) before any output is written: GX may be X.
	e := &nce[T]{n: n, d: d, tau: tau, w: a.Weight}
	e.q, e.k = make([]T, n*d), make([]T, n*d)
	e.qn, e.kn = make([]float64, n), make([]float64, n)
	Par(n, max(1, rowWork/max(d, 1)), 0, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			e.qn[i] = ncePrepRow(e.q[i*d:(i+1)*d], a.X[i*d:(i+1)*d], normalize)
			e.kn[i] = ncePrepRow(e.k[i*d:(i+1)*d], a.Y[i*d:(i+1)*d], normalize)
		}
	})
	if wantGrad {
		e.qt, e.kt = transpose(e.q, n, d), transpose(e.k, n, d)
	}
	e.aR, e.aC = 1.0, 0.0
	if sym {
		e.aR, e.aC = 0.5, 0.5
	}
	chunk := nceRows(n, d)
	e.pool.New = func() any {
		return &nceBuf[T]{sim: make([]float64, chunk*n), t: make([]T, n), g: make([]T, n), gv: make([]float64, d)}
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
				e.project(b.gv, b.g, e.kt)
				nceNormGrad(a.GX[i*d:(i+1)*d], b.gv, e.q[i*d:(i+1)*d], e.qn[i], normalize, a.Scale/tau)
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
				s := sim[(j-lo)*n : (j-lo+1)*n]
				var own float64
				if sym {
					own = e.c[j]
				}
				e.gradRow(b, s, j, own, e.r, e.aC, e.aR)
				e.project(b.gv, b.g, e.qt)
				nceNormGrad(a.GY[j*d:(j+1)*d], b.gv, e.k[j*d:(j+1)*d], e.kn[j], normalize, a.Scale/tau)
			}
		})
	}
	return sums
}

// nce is one info_nce evaluation's working set.
type nce[T Float] struct {
	n, d   int
	tau    float64
	w      []T       // sample weights, nil for all 1
	q, k   []T       // normalised rows, N×D
	qt, kt []T       // their transposes, D×N (gradients only)
	qn, kn []float64 // row norms (0 without normalize)
	r, c   []float64 // row and column log-sum-exps
	aR, aC float64   // shares of the row and column terms
	pool   sync.Pool // *nceBuf: one running chunk's buffers
}

// nceBuf is one running chunk's scratch: its similarities (rows × N, float64), two rows of T
// and one gradient row of D.
type nceBuf[T Float] struct {
	sim  []float64
	t, g []T
	gv   []float64
}

// simBlock fills dst[(i−lo)·N + j] = A_i·B_j/τ for rows i ∈ [lo, hi) of A and every row j of
// B, key by key so that each B_j is loaded once for the block.
func (e *nce[T]) simBlock(dst []float64, A, B []T, lo, hi int) {
	n, d := e.n, e.d
	inv := 1 / e.tau
	for j := range n {
		bj := B[j*d : (j+1)*d]
		for i := lo; i < hi; i++ {
			dst[(i-lo)*n+j] = vecDot(A[i*d:(i+1)*d], bj) * inv
		}
	}
}

// lseRow returns the maximum m of s and log1p(rest), rest = Σ_j e^{s_j − m} − 1, so that the
// log-sum-exp is m + log1p(rest) and m − s_j + log1p(rest) is free of cancellation; t is
// scratch of len(s). A row holding NaN gives m = NaN; one with +Inf or all −Inf gives that
// infinity and 0 (cpuref's logSumExp returns it as the log-sum-exp).
func lseRow[T Float](s []float64, t []T) (m, l1p float64) {
	m = math.Inf(-1)
	for _, v := range s {
		if v != v {
			return v, 0
		}
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m, 0
	}
	t = t[:len(s)]
	for j, v := range s {
		t[j] = T(v - m)
	}
	return m, math.Log1p(vecSumExp(t, 0) - 1)
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
		for c, v := range s {
			t[c] = T(v - own)
		}
		vecExpShiftScale(g, t, 0, T(a1*wa))
	}
	if a2 != 0 {
		for c, v := range s {
			t[c] = T(v - other[c])
		}
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

// project sets gv_d = Σ_c g_c·B_c[d] for every coordinate d, as dot products of g with the
// rows of Bt (B transposed, D×N).
func (e *nce[T]) project(gv []float64, g, Bt []T) {
	n := e.n
	for k := range gv {
		gv[k] = vecDot(g, Bt[k*n:(k+1)*n])
	}
}

// transpose returns the D×N transpose of the N×D matrix x.
func transpose[T Float](x []T, n, d int) []T {
	t := make([]T, n*d)
	const b = 32
	for i0 := 0; i0 < n; i0 += b {
		for j0 := 0; j0 < d; j0 += b {
			for i := i0; i < min(i0+b, n); i++ {
				for j := j0; j < min(j0+b, d); j++ {
					t[j*n+i] = x[i*d+j]
				}
			}
		}
	}
	return t
}

// ncePrepRow copies src into dst, divided by max(‖src‖₂, 1e-12) when normalize is set, and
// returns ‖src‖₂ (0 without normalize). The norm is a float64 sum; each coordinate is divided
// in float64 and rounded once.
func ncePrepRow[T Float](dst, src []T, normalize bool) float64 {
	if !normalize {
		copy(dst, src)
		return 0
	}
	nrm := math.Sqrt(vecDot(src, src))
	den := max(nrm, nceNormEps)
	for j, v := range src {
		dst[j] = T(float64(v) / den)
	}
	return nrm
}

// nceNormGrad writes dst = scale·∂F/∂x for a row x whose (normalised) value is xh, given
// g = τ·∂F/∂x̂ (scale carries the 1/τ): through x̂ = x/max(‖x‖, 1e-12) when normalize is set.
func nceNormGrad[T Float](dst []T, g []float64, xh []T, nrm float64, normalize bool, scale float64) {
	if normalize {
		if nrm >= nceNormEps {
			var c float64
			for j, v := range xh {
				c += float64(v) * g[j]
			}
			k := scale / nrm
			for j, v := range g {
				dst[j] = T(k * (v - float64(xh[j])*c))
			}
			return
		}
		scale /= nceNormEps
	}
	for j, v := range g {
		dst[j] = T(scale * v)
	}
}
