// crossentropy.h: the cross-entropy family, row losses over N rows of C logits (or
// log-probabilities for nll). Each stem_row mirrors the cpuref function of the same stem
// (cpuref/crossentropy.go); DEFINE_ROW makes its stem_fwd and stem_fwd_bwd kernels (rows per
// thread group, sample weights, sums: the dialect's row driver).
//
// Every softmax is taken as cpuref.softmaxRow takes it: the row maximum m at its first index
// k (pass 1), e_j = e^{x_j−m} (e_k = 1 exactly), rest = Σ_{j≠k} e_j (pass 2), S = 1 + rest,
// log S = log1p(rest), lse = m + log S, so −log p_y = (m − x_y) + log S keeps the tiny losses
// of confident rows and p_y − 1 = −rest/S when y = k. A row with +Inf or all −Inf has no
// softmax (rest = NaN): its loss and gradient are NaN, as in cpuref. The gradient (pass 3)
// needs e_j again: SOFTMAX_KEEP and SOFTMAX_E are the dialect's choice between keeping e_j
// in the gradient row during pass 2 (OpenCL on a CPU: the row is in cache) and recomputing it
// (CUDA: compute is cheaper than memory). Pass 1 stages the row on chip where the dialect does.

// cross_entropy, ε (label smoothing), s (z-loss); class weights w (1 without), W = Σ_c w_c:
//
//	L = w_y·((1−ε)·((m − x_y) + log S) + s·lse²) + (ε/C)·(W·log S + Σ_c w_c·(m − x_c))
//	∂L/∂x_j = a·e_j − b·w_j (j ≠ y),  b = ε/C,  a = (w_y((1−ε) + 2s·lse) + b·W)/S
//	∂L/∂x_y = w_y((1−ε)(p_y − 1) + 2s·lse·p_y) + b(W·p_y − w_y)
//	d = w_y; an ignored row gives 0 and a zero gradient.
ROW_FN(cross_entropy) {
	if (!row_label_ok(r, r->c, 1, L, d))
		return;
	const i64 y = r->label;
	const acc eps = P[CROSS_ENTROPY_LABEL_SMOOTHING], zs = P[CROSS_ENTROPY_Z_LOSS];
	const int grad = r->mode && r->gx, smooth = eps > 0;
	const acc wy = r->cw ? (acc)r->cw[y] : 1, xy = r->x[y];
	real m;
	i64 k;
	row_argmax(r, 0, r->x, 0, &m, &k);
	GP(const real) src = row_src(r, 0, r->x);
	RACC s[3] = {racc_zero(), racc_zero(), racc_zero()}; // rest, Σ w_c·(m − x_c), W
	ROW_FOR(r, j) {
		const VR v = row_ld(r, src, j), e = exp(v - m);
		const VM in = row_in(r, j);
		racc_add(&s[0], VSEL(in && !lane_at(j, k), e, 0));
		if (smooth) {
			const VR w = VSEL(in, r->cw ? row_ld(r, r->cw, j) : VC(1), 0);
			racc_add(&s[1], VSEL(in, w * (m - v), 0));
			racc_add(&s[2], w);
		}
		if (grad)
			SOFTMAX_KEEP(r, j, e);
	}
	acc t[3];
	row_sums(r, s, t, smooth ? 3 : 1);
	const acc rest = isinf(m) ? (acc)NAN : t[0], logS = log1p(rest), md = m, lse = md + logS;
	const acc C = (acc)r->c, b = eps / C, wsum = smooth && r->cw ? t[2] : C;
	acc l = wy * (1 - eps) * ((md - xy) + logS);
	if (zs != 0)
		l += wy * zs * lse * lse;
	if (smooth)
		l += b * (wsum * logS + t[1]);
	*L = l;
	*d = wy;
	if (!grad)
		return;
	const acc S = 1 + rest, zf = zs != 0 ? 2 * zs * lse : 0, a = (wy * ((1 - eps) + zf) + b * wsum) / S;
	const acc py = exp(xy - md) / S, pym1 = y == k ? -rest / S : py - 1;
	const real ga = (real)(r->gs * a), gb = (real)(r->gs * b);
	const real gyv = (real)(r->gs * (wy * ((1 - eps) * pym1 + zf * py) + b * (wsum * py - wy)));
	ROW_FOR(r, j) {
		const VR e = SOFTMAX_E(r, src, j, m);
		const VR o = smooth ? ga * e - gb * (r->cw ? row_ld(r, r->cw, j) : VC(1)) : ga * e;
		row_st(r, r->gx, j, VSEL(lane_at(j, y), gyv, o));
	}
}
DEFINE_ROW(cross_entropy)

// cross_entropy_probs, ε; targets t = Y, t' = (1−ε)t + ε/C, τ_c = w_c·t'_c, T = Σ_c τ_c:
//
//	L = T·log S + Σ_{τ_c ≠ 0} τ_c·(m − x_c),  ∂L/∂x_j = (T/S)·e_j − τ_j,  d = 1
//
// (a class with τ_c = 0 contributes 0 even where p_c = 0).
ROW_FN(cross_entropy_probs) {
	const acc eps = P[CROSS_ENTROPY_PROBS_LABEL_SMOOTHING];
	const real u = (real)(1 - eps), bc = (real)(eps / (acc)r->c);
	const int grad = r->mode && r->gx;
	real m;
	i64 k;
	row_argmax(r, 0, r->x, 0, &m, &k);
	GP(const real) src = row_src(r, 0, r->x);
	RACC s[3] = {racc_zero(), racc_zero(), racc_zero()}; // rest, T, Σ τ·(m − x)
	ROW_FOR(r, j) {
		const VR v = row_ld(r, src, j), e = exp(v - m);
		const VM in = row_in(r, j);
		VR tau = u * row_lds(r, 1, r->y, j) + bc;
		if (r->cw)
			tau = tau * row_ld(r, r->cw, j);
		tau = VSEL(in, tau, 0);
		racc_add(&s[0], VSEL(in && !lane_at(j, k), e, 0));
		racc_add(&s[1], tau);
		racc_add(&s[2], VSEL(tau != 0, tau * (m - v), 0));
		if (grad)
			SOFTMAX_KEEP(r, j, e);
	}
	acc t[3];
	row_sums(r, s, t, 3);
	const acc rest = isinf(m) ? (acc)NAN : t[0];
	*L = t[1] * log1p(rest) + t[2];
	*d = 1;
	if (!grad)
		return;
	const real ga = (real)(r->gs * (t[1] / (1 + rest))), g = (real)r->gs;
	GP(const real) sy = row_src(r, 1, r->y);
	ROW_FOR(r, j) {
		VR tau = u * row_ld(r, sy, j) + bc;
		if (r->cw)
			tau = tau * row_ld(r, r->cw, j);
		row_st(r, r->gx, j, ga * SOFTMAX_E(r, src, j, m) - g * tau);
	}
}
DEFINE_ROW(cross_entropy_probs)

// nll on log-probabilities: L = −w_y·x_y, ∂L/∂x_j = −w_y·[j = y], d = w_y; an ignored row
// gives 0 and a zero gradient.
ROW_FN(nll) {
	if (!row_label_ok(r, r->c, 1, L, d))
		return;
	const i64 y = r->label;
	const acc wy = r->cw ? (acc)r->cw[y] : 1;
	*L = -wy * (acc)r->x[y];
	*d = wy;
	if (r->mode && r->gx) {
		row_sync(r); // every thread has read x_y before the gradient overwrites it in place
		const real gy = (real)(r->gs * -wy);
		ROW_FOR(r, j) {
			row_st(r, r->gx, j, VSEL(lane_at(j, y), gy, 0));
		}
	}
}
DEFINE_ROW(nll)
