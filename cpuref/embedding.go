package cpuref

import (
	"math"
	"sync"
)

// Embedding losses over N embeddings of D coordinates (C = D). Mirrors
// kernels/embedding.h.

func init() {
	registerRow("triplet", triplet)
	register(&Kernel{Name: "info_nce", Family: Rowwise, Run32: infoNCE[float32], Run64: infoNCE[float64]})
}

// pairDist returns ‖u − v + eps‖_p, PyTorch's pairwise_distance, computed as
// m·(Σ_j (|u_j − v_j + eps|/m)^p)^(1/p) with m = max_j |u_j − v_j + eps| so that no power
// overflows (Σ_j |u_j − v_j + eps| for p = 1). It is 0 when every difference is 0.
func pairDist(u, v []float64, p, eps float64) float64 {
	if p == 1 {
		var s float64
		for j, uj := range u {
			s += math.Abs(uj - v[j] + eps)
		}
		return s
	}
	var m float64
	for j, uj := range u {
		m = max(m, math.Abs(uj-v[j]+eps))
	}
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var s float64
	for j, uj := range u {
		t := math.Abs(uj-v[j]+eps) / m
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

// pairDistGrad returns ∂‖w‖_p/∂w_j for one coordinate w_j = u_j − v_j + eps of a distance
// d = ‖w‖_p:
//
//	sign(w_j)·(|w_j|/d)^(p−1)   (w_j/d for p = 2, sign(w_j) for p = 1)
//
// and 0 where w_j = 0 or d = 0: PyTorch's norm backward, whose subgradient at the origin is 0.
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

// triplet is PyTorch's triplet_margin_loss. X holds anchors a, Y positives p, Z negatives n.
// P[0] = margin m, P[1] = the norm's degree p, P[2] = eps, P[3] = swap.
//
//	d⁺ = ‖a − p + eps‖_p,  d⁻ = ‖a − n + eps‖_p,  with swap d⁻ ← min(d⁻, ‖p − n + eps‖_p)
//	L = max(d⁺ − d⁻ + m, 0)
//
// Gradients follow PyTorch's autograd: the hinge passes the gradient where d⁺ − d⁻ + m ≥ 0
// (so at the kink too, clamp_min's rule); a distance of 0 contributes 0 (pairDistGrad);
// with swap, a tie d⁻ = ‖p − n + eps‖ splits the gradient in halves between the two
// (minimum's rule). With u(w) = (pairDistGrad(w_j, ‖w‖_p, p))_j, and ω⁻, ωˢ the shares of
// d⁻ and of the swap distance (1 and 0 without swap):
//
//	∂L/∂a = u(a − p + eps) − ω⁻·u(a − n + eps)
//	∂L/∂p = −u(a − p + eps) − ωˢ·u(p − n + eps)
//	∂L/∂n = ω⁻·u(a − n + eps) + ωˢ·u(p − n + eps)
func triplet(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	margin, deg, eps, swap := p[0], p[1], p[2], p[3] != 0
	a, pos, neg := in.X, in.Y, in.Z
	dp := pairDist(a, pos, deg, eps)
	dn := pairDist(a, neg, deg, eps)
	wn, ws := 1.0, 0.0
	dneg := dn
	var ds float64
	if swap {
		ds = pairDist(pos, neg, deg, eps)
		switch {
		case ds < dn:
			wn, ws, dneg = 0, 1, ds
		case ds == dn:
			wn, ws = 0.5, 0.5
		}
	}
	h := dp - dneg + margin
	l := max(h, 0) // NaN stays NaN
	if out.GX == nil && out.GY == nil && out.GZ == nil {
		return l, 1
	}
	active := h >= 0
	for j := range a {
		var ga, gp, gn float64
		if active {
			up := pairDistGrad(a[j]-pos[j]+eps, dp, deg)
			un := pairDistGrad(a[j]-neg[j]+eps, dn, deg)
			var us float64
			if ws != 0 {
				us = pairDistGrad(pos[j]-neg[j]+eps, ds, deg)
			}
			ga = up - wn*un
			gp = -up - ws*us
			gn = wn*un + ws*us
		}
		if out.GX != nil {
			out.GX[j] = ga
		}
		if out.GY != nil {
			out.GY[j] = gp
		}
		if out.GZ != nil {
			out.GZ[j] = gn
		}
	}
	return l, 1
}

// nceNormEps is the floor of F.normalize's denominator: x/max(‖x‖₂, 1e-12).
const nceNormEps = 1e-12

// infoNCEChunk is the number of rows of one chunk of info_nce work: about ElemChunk
// multiply-adds per pass (each row meets all n rows of the other side), at least 1 row. It
// fixes the order in which the loss sums are added.
func infoNCEChunk(n, d int) int {
	return max(1, ElemChunk/max(n*max(d, 1), 1))
}

// nceDot returns Σ_j u_j·v_j, summed in four interleaved partial sums (j mod 4) that are then
// added as (s0 + s1) + (s2 + s3): a fixed order, so nceDot(u, v) and nceDot(v, u) agree bit for bit.
func nceDot(u, v []float64) float64 {
	v = v[:len(u)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(u); j += 4 {
		s0 += u[j] * v[j]
		s1 += u[j+1] * v[j+1]
		s2 += u[j+2] * v[j+2]
		s3 += u[j+3] * v[j+3]
	}
	for ; j < len(u); j++ {
		s0 += u[j] * v[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// nceAxpy adds a·x to y.
func nceAxpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for j, v := range x {
		y[j] += a * v
	}
}

// infoNCE is the in-batch contrastive loss of SimCLR and CLIP. X holds N queries q_i, Y N
// keys k_i (N×D each); row i of each is a positive pair and every other key a negative.
// P[0] = temperature τ, P[1] = normalize, P[2] = symmetric. With q̂ = q/max(‖q‖₂, 1e-12)
// and k̂ likewise when normalizing (q̂ = q, k̂ = k otherwise):
//
//	s_ij = (q̂_i·k̂_j)/τ
//	r_i = lse_j(s_ij),  c_j = lse_i(s_ij)     (log-sum-exp, shifted by the maximum)
//	L_i = r_i − s_ii                          (symmetric: L_i = ½(r_i − s_ii + c_i − s_ii))
//
// With sample weights w_i, F = Σ_i w_i·L_i has
//
//	∂F/∂s_ij = w_i·(e^{s_ij − r_i} − δ_ij)    (symmetric: ½w_i·(e^{s_ij − r_i} − δ_ij) + ½w_j·(e^{s_ij − c_j} − δ_ij))
//	∂F/∂q̂_i = Σ_j ∂F/∂s_ij·k̂_j/τ,  ∂F/∂k̂_j = Σ_i ∂F/∂s_ij·q̂_i/τ
//
// and through the normalisation ∂F/∂q = (g − q̂(q̂·g))/‖q‖ with g = ∂F/∂q̂ (g/1e-12 where
// ‖q‖ < 1e-12, F.normalize's clamp). GX = Scale·∂F/∂q, GY = Scale·∂F/∂k, PerSample[i] =
// w_i·L_i, and the sums are [Σ w_i·L_i, Σ w_i]. Every row's numbers are computed the same
// way whatever the chunking, and the sums are added over fixed chunks (infoNCEChunk), so a
// serial and a parallel Par agree bit for bit.
//
// The similarity matrix is never stored: each pass recomputes the n similarities of one row
// (or column) at a time, so memory is O(N·D) plus O(N) per running chunk. Passes: the
// column log-sum-exps (symmetric only), the rows (loss and query gradients), and the columns
// (key gradients, only when GY is wanted): each costs N²·D multiply-adds.
func infoNCE[T Float](a *Args[T], par Par) []float64 {
	n, d := a.N, a.C
	tau, normalize, sym := a.P[0], a.P[1] != 0, a.P[2] != 0
	if n == 0 {
		return []float64{0, 0}
	}
	// Read every input before any output is written (GX may be X).
	q, k := make([]float64, n*d), make([]float64, n*d)
	qn, kn := make([]float64, n), make([]float64, n)
	par(n, RowChunk(d), 0, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			qn[i] = ncePrepRow(q[i*d:(i+1)*d], a.X[i*d:(i+1)*d], normalize)
			kn[i] = ncePrepRow(k[i*d:(i+1)*d], a.Y[i*d:(i+1)*d], normalize)
		}
	})
	w := make([]float64, n)
	for i := range w {
		w[i] = sampleWeight(a, i, false)
	}
	chunk := infoNCEChunk(n, d)
	pool := sync.Pool{New: func() any { s := make([]float64, n+d); return &s }}
	// sim fills s[j] = s_ij for all j (byRow) or s[i] = s_ij for all i (column j), and
	// returns the row's (column's) log-sum-exp.
	sim := func(s []float64, idx int, byRow bool) float64 {
		if byRow {
			qi := q[idx*d : (idx+1)*d]
			for j := range n {
				s[j] = nceDot(qi, k[j*d:(j+1)*d]) / tau
			}
		} else {
			kj := k[idx*d : (idx+1)*d]
			for i := range n {
				s[i] = nceDot(q[i*d:(i+1)*d], kj) / tau
			}
		}
		return logSumExp(s)
	}

	lseR := make([]float64, n)
	var lseC []float64
	if sym {
		lseC = make([]float64, n)
		par(n, chunk, 0, func(lo, hi int, _ []float64) {
			bp := pool.Get().(*[]float64)
			defer pool.Put(bp)
			s := (*bp)[:n]
			for j := lo; j < hi; j++ {
				lseC[j] = sim(s, j, false)
			}
		})
	}
	// gradS returns ∂F/∂s_ij for the similarity sij.
	gradS := func(i, j int, sij float64) float64 {
		var delta float64
		if i == j {
			delta = 1
		}
		g := w[i] * (math.Exp(sij-lseR[i]) - delta)
		if sym {
			g = 0.5*g + 0.5*w[j]*(math.Exp(sij-lseC[j])-delta)
		}
		return g
	}

	sums := par(n, chunk, 2, func(lo, hi int, sums []float64) {
		bp := pool.Get().(*[]float64)
		defer pool.Put(bp)
		s, g := (*bp)[:n], (*bp)[n:n+d]
		for i := lo; i < hi; i++ {
			lr := sim(s, i, true)
			lseR[i] = lr
			sii := s[i]
			l := lr - sii
			if sym {
				l = 0.5 * (lr - sii + lseC[i] - sii)
			}
			wl := w[i] * l
			sums[0] += wl
			sums[1] += w[i]
			if a.PerSample != nil {
				a.PerSample[i] = T(wl)
			}
			if a.GX != nil {
				clear(g)
				for j := range n {
					nceAxpy(gradS(i, j, s[j]), k[j*d:(j+1)*d], g)
				}
				nceNormGrad(a.GX[i*d:(i+1)*d], g, q[i*d:(i+1)*d], qn[i], normalize, a.Scale/tau)
			}
		}
	})

	if a.GY != nil {
		par(n, chunk, 0, func(lo, hi int, _ []float64) {
			bp := pool.Get().(*[]float64)
			defer pool.Put(bp)
			s, g := (*bp)[:n], (*bp)[n:n+d]
			for j := lo; j < hi; j++ {
				sim(s, j, false)
				clear(g)
				for i := range n {
					nceAxpy(gradS(i, j, s[i]), q[i*d:(i+1)*d], g)
				}
				nceNormGrad(a.GY[j*d:(j+1)*d], g, k[j*d:(j+1)*d], kn[j], normalize, a.Scale/tau)
			}
		})
	}
	return sums
}

// ncePrepRow copies src into dst as float64, divided by max(‖src‖₂, 1e-12) when normalize is
// set, and returns ‖src‖₂ (0 without normalize).
func ncePrepRow[T Float](dst []float64, src []T, normalize bool) float64 {
	load(dst, src)
	if !normalize {
		return 0
	}
	nrm := math.Sqrt(nceDot(dst, dst))
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
			c := nceDot(xh, g)
			for j := range g {
				g[j] = (g[j] - xh[j]*c) / nrm
			}
		} else {
			for j := range g {
				g[j] /= nceNormEps
			}
		}
	}
	for j, v := range g {
		dst[j] = T(scale * v)
	}
}
