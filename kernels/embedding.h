// embedding.h: the triplet margin loss (a row loss over N×D anchors, positives, negatives) and
// the formulas of the in-batch contrastive InfoNCE loss, whose N²·D pair loops are the
// dialects' own (opencl/info_nce.cl, cuda/info_nce.cuh). Mirrors cpuref/embedding.go.

// pd_grad is ∂‖w‖_p/∂w_j of a chunk of coordinates w of a distance dd (cpuref.pairDistGrad):
// sign(w)·(|w|/dd)^(p−1) (w/dd for p = 2, sign(w) for p = 1), 0 where w = 0 or dd = 0. In
// accumulator precision: the gradient of an anchor is a difference of two such terms, which
// cancel where the positive and the negative lie alike.
FN VA pd_grad(const VA w, const acc dd, const acc p, const acc pm1) {
	if (dd == 0)
		return VAC(0);
	VA g;
	if (p == 1)
		g = copysign(VAC(1), w);
	else if (p == 2)
		g = w / dd;
	else
		g = copysign(pow(fabs(w) / dd, VAC(pm1)), w);
	return VSELA(w == 0, 0, g);
}

// triplet (PyTorch triplet_margin_loss), anchors x, positives y, negatives z; margin, p (the
// norm's degree), eps, swap (1/p and p − 1 from the host):
//
//	d⁺ = ‖a − p + eps‖,  d⁻ = ‖a − n + eps‖ (swap: min(d⁻, ‖p − n + eps‖)),  L = max(d⁺ − d⁻ + m, 0)
//
// Distances as cpuref.pairDist: m·(Σ_j (|w_j|/m)^p)^(1/p) with m = max_j |w_j| (one pass for
// the maximum, one for the sum, so that no power overflows; p = 1 is one pass, Σ_j |w_j|).
// The hinge passes gradients where d⁺ − d⁻ + m ≥ 0; a swap tie splits them in halves. d = 1.
ROW_FN(triplet) {
	const acc margin = P[TRIPLET_MARGIN], p = P[TRIPLET_P], pm1 = P[TRIPLET_P_MINUS_ONE];
	const real eps = (real)P[TRIPLET_EPS];
	const acc ae = eps;
	const int swap = P[TRIPLET_SWAP] != 0, p1 = p == 1;
	RACC s0 = racc_zero(), s1 = racc_zero(), s2 = racc_zero(); // p = 1: Σ|w| per pair (a,p), (a,n), (p,n)
	RMAX m0 = rmax_zero(), m1 = rmax_zero(), m2 = rmax_zero();  // else max |w|
	ROW_FOR(r, j) {
		const VR a = row_lds(r, 0, r->x, j), q = row_lds(r, 1, r->y, j), n = row_lds(r, 2, r->z, j);
		const VM in = row_in(r, j);
		const VR w0 = VSEL(in, fabs(a - q + eps), 0), w1 = VSEL(in, fabs(a - n + eps), 0);
		const VR w2 = swap ? VSEL(in, fabs(q - n + eps), 0) : VZERO;
		if (p1) {
			racc_add(&s0, w0), racc_add(&s1, w1), racc_add(&s2, w2);
		} else {
			rmax_add(&m0, w0), rmax_add(&m1, w1), rmax_add(&m2, w2);
		}
	}
	GP(const real) sa = row_src(r, 0, r->x);
	GP(const real) sq = row_src(r, 1, r->y);
	GP(const real) sn = row_src(r, 2, r->z);
	acc dist[3];
	if (p1) {
		const RACC s[3] = {s0, s1, s2};
		row_sums(r, s, dist, 3);
	} else {
		const RMAX mx[3] = {m0, m1, m2};
		acc m[3], t[3];
		row_maxes(r, mx, m, 3);
		s0 = racc_zero(), s1 = racc_zero(), s2 = racc_zero();
		ROW_FOR(r, j) {
			const VR a = row_ld(r, sa, j), q = row_ld(r, sq, j), n = row_ld(r, sn, j);
			const VM in = row_in(r, j);
			if (p == 2) {
				const VR w0 = fabs(a - q + eps) / (real)m[0], w1 = fabs(a - n + eps) / (real)m[1];
				const VR w2 = swap ? fabs(q - n + eps) / (real)m[2] : VZERO;
				racc_add(&s0, VSEL(in, w0 * w0, 0)), racc_add(&s1, VSEL(in, w1 * w1, 0));
				racc_add(&s2, VSEL(in, w2 * w2, 0));
			} else { // in accumulator precision: the distance's 1/p-th root magnifies every error
				const VA one = to_va(VSEL(in, VC(1), 0)), av = to_va(a), qv = to_va(q), nv = to_va(n), pv = VAC(p);
				racc_adda(&s0, one * pow(fabs(av - qv + ae) / m[0], pv));
				racc_adda(&s1, one * pow(fabs(av - nv + ae) / m[1], pv));
				if (swap)
					racc_adda(&s2, one * pow(fabs(qv - nv + ae) / m[2], pv));
			}
		}
		const RACC s[3] = {s0, s1, s2};
		row_sums(r, s, t, 3);
		for (int i = 0; i < 3; i++)
			dist[i] = (m[i] == 0 || isinf(m[i]) || isnan(m[i])) ? m[i]
			          : p == 2                                   ? m[i] * sqrt(t[i])
			                                                     : m[i] * pow(t[i], (acc)P[TRIPLET_INV_P]);
	}
	const acc dp = dist[0], dn = dist[1], ds = swap ? dist[2] : 0;
	acc wn = 1, ws = 0, dneg = dn;
	if (swap && ds < dn)
		wn = 0, ws = 1, dneg = ds;
	else if (swap && ds == dn)
		wn = 0.5, ws = 0.5;
	const acc hh = dp - dneg + margin;
	*L = hh != hh ? hh : (hh > 0 ? hh : 0);
	*d = 1;
	if (!r->mode || (!r->gx && !r->gy && !r->gz))
		return;
	const int active = hh >= 0;
	const acc g = r->gs;
	ROW_FOR(r, j) {
		VA ga = VAC(0), gp = VAC(0), gn = VAC(0);
		if (active) {
			const VA a = to_va(row_ld(r, sa, j)), q = to_va(row_ld(r, sq, j)), n = to_va(row_ld(r, sn, j));
			const VA up = pd_grad(a - q + ae, dp, p, pm1), un = pd_grad(a - n + ae, dn, p, pm1);
			const VA us = ws != 0 ? pd_grad(q - n + ae, ds, p, pm1) : VAC(0);
			ga = up - wn * un, gp = -up - ws * us, gn = wn * un + ws * us;
		}
		if (r->gx)
			row_st(r, r->gx, j, to_vr(g * ga));
		if (r->gy)
			row_st(r, r->gy, j, to_vr(g * gp));
		if (r->gz)
			row_st(r, r->gz, j, to_vr(g * gn));
	}
}
DEFINE_ROW(triplet)

// ---- InfoNCE: s_ij = (q̂_i·k̂_j)/τ, r_i = lse_j s_ij, c_j = lse_i s_ij, F = Σ_i w_i·L_i ----
// The dialects' kernels, run by device/plan in this order:
//   info_nce_prep  q̂, k̂ (q/max(‖q‖₂, 1e-12) with normalize, else copies) and the norms
//   info_nce_fwd   per row i of A against every row of B: lse_i; with mode 1 also
//                  L_i = lse_i − s_ii, mode 2 (symmetric, after a mode-0 pass over the
//                  columns) L_i = ½(lse_i − s_ii + c_i − s_ii); then PS and the sums
//   info_nce_grad  per row of A: G = Σ_j γ_ij·B_j through the normalisation (queries with
//                  A = q̂, keys with A = k̂)

// nce_loss is L_i from row i's log-sum-exp, its diagonal similarity and (mode 2) the other
// direction's log-sum-exp.
FN acc nce_loss(const acc lse, const acc sii, const acc other, const i64 mode) {
	return mode == 2 ? (acc)0.5 * (lse - sii + other - sii) : lse - sii;
}

// NCE_GAMMA is ∂F/∂s_ij as seen from row i of A, for one similarity or a chunk of them:
// γ = α·w_i(e^{s − lseA_i} − δ_ij) + β·w_j(e^{s − lseB_j} − δ_ij) (a term whose factor is 0 is
// not formed: its log-sum-exp may be absent). Queries: α = 1, β = 0 (symmetric ½, ½ with
// lseB = c); keys: α = 0, β = 1 with lseB = r (symmetric ½, ½ with lseA = c). zero is 0 in
// the type of s.
#define NCE_GAMMA(s, delta, lse_a, lse_b, wi, wj, alpha, beta, zero)                    \
	(((alpha) != 0 ? (alpha) * (wi) * (exp((s) - (lse_a)) - (delta)) : (zero)) +         \
	 ((beta) != 0 ? (beta) * (wj) * (exp((s) - (lse_b)) - (delta)) : (zero)))

// nce_norm_div returns what turns the accumulated τ·∂F/∂â of a row (â = a/max(‖a‖, 1e-12))
// into ∂F/∂a: G_j = (g_j − â_j·c)/div with c = â·g and div = ‖a‖ (normalize, ‖a‖ ≥ 1e-12),
// c = 0 and div = 1e-12 (normalize, ‖a‖ < 1e-12), c = 0 and div = 1 (no normalize). The
// caller supplies c when *project is set (cpuref.nceNormGrad).
FN acc nce_norm_div(const acc nrm, const i64 normalize, int *project) {
	*project = normalize && nrm >= 1e-12;
	return !normalize ? 1 : (*project ? nrm : 1e-12);
}
