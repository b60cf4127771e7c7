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

// The per-element terms of cross_entropy's passes, for a chunk of a row or, in a dialect's path
// for short rows (opencl/short_rows.cl), a column of several rows: e_j, a term of
// Σ_c w_c·(m − x_c), and the gradient a·e_j − b·w_j (before the one-hot term at y).
#define CE_E(v, m) exp((v) - (m))
#define CE_SMOOTH(w, m, v) ((w) * ((m) - (v)))
#define CE_GRAD(ga, e, gb, w) ((ga) * (e) - (gb) * (w))

// CE_FINAL defines name, cross_entropy's final step over T (acc for a row; a vector of rows in a
// short-row path), with TM and PICK its condition type and c ? a : b: from the row maximum m, x_y, whether
// y is the maximum's first index, rest, w_y, W = Σ_c w_c and smp = Σ_c w_c·(m − x_c), the loss
// and the gradient's factors ga of e_j, gb of w_j and gyv at y (each times gs):
//
//	L = w_y·((1−ε)·((m − x_y) + log S) + s·lse²) + (ε/C)·(W·log S + smp)
//	∂L/∂x_j = a·e_j − b·w_j (j ≠ y),  b = ε/C,  a = (w_y((1−ε) + 2s·lse) + b·W)/S
//	∂L/∂x_y = w_y((1−ε)(p_y − 1) + 2s·lse·p_y) + b(W·p_y − w_y),  p_y − 1 = −rest/S when y = k
#define CE_FINAL(name, T, TM, PICK)                                                                  \
	FN T name(const T m, const T xy, const TM yk, const T rest, const T wy, const T wsum, const T smp,   \
	          const acc eps, const acc zs, const acc b, const T gs, T *ga, T *gb, T *gyv) {           \
		const T logS = log1p(rest), lse = m + logS, S = 1 + rest;                                    \
		T l = wy * (1 - eps) * ((m - xy) + logS);                                                    \
		if (zs != 0)                                                                                 \
			l += wy * zs * lse * lse;                                                                \
		if (eps > 0)                                                                                 \
			l += b * (wsum * logS + smp);                                                            \
		const T zf = zs != 0 ? 2 * zs * lse : (T)(0), py = exp(xy - m) / S;                          \
		*ga = gs * ((wy * ((1 - eps) + zf) + b * wsum) / S);                                          \
		*gb = gs * b;                                                                                \
		*gyv = gs * (wy * ((1 - eps) * PICK(yk, -rest / S, py - 1) + zf * py) + b * (wsum * py - wy)); \
		return l;                                                                                    \
	}
#define CE_PICK(c, a, b) ((c) ? (a) : (b))
CE_FINAL(ce_final, acc, int, CE_PICK)

// cross_entropy, ε (label smoothing), s (z-loss); class weights w (1 without): the row's passes
// and CE_FINAL. d = w_y; an ignored row gives 0 and a zero gradient.
ROW_FN(cross_entropy) {
	if (!row_label_ok(r, r->c, 1, L, d))
		return;
	const i64 y = r->label;
	const acc eps = P[CROSS_ENTROPY_LABEL_SMOOTHING];
	const int grad = r->mode && r->gx, smooth = eps > 0;
	const acc wy = r->cw ? (acc)r->cw[y] : 1, xy = r->x[y];
	real m;
	i64 k;
	row_argmax(r, 0, r->x, 0, &m, &k);
	GP(const real) src = row_src(r, 0, r->x);
	RACC sr = racc_zero(), ss = racc_zero(), sw = racc_zero(); // rest, Σ w_c·(m − x_c), W
	ROW_FOR(r, j) {
		const VR v = row_ld(r, src, j), e = CE_E(v, m);
		const VM in = row_in(r, j);
		racc_add(&sr, VSEL(in && !lane_at(j, k), e, 0));
		if (smooth) {
			const VR w = VSEL(in, r->cw ? row_ld(r, r->cw, j) : VC(1), 0);
			racc_add(&ss, VSEL(in, CE_SMOOTH(w, m, v), 0));
			racc_add(&sw, w);
		}
		if (grad)
			SOFTMAX_KEEP(r, j, e);
	}
	const RACC s[3] = {sr, ss, sw};
	acc t[3] = {0, 0, 0};
	row_sums(r, s, t, smooth ? 3 : 1);
	acc ga, gb, gyv;
	*L = ce_final(m, xy, y == k, isinf(m) ? (acc)NAN : t[0], wy, smooth && r->cw ? t[2] : (acc)r->c, t[1], eps,
	              P[CROSS_ENTROPY_Z_LOSS], eps / (acc)r->c, r->gs, &ga, &gb, &gyv);
	*d = wy;
	if (!grad)
		return;
	ROW_FOR(r, j) {
		const VR e = SOFTMAX_E(r, src, j, m);
		row_st(r, r->gx, j, CE_GRAD((real)ga, e, (real)gb, smooth && r->cw ? row_ld(r, r->cw, j) : VC(1)));
	}
	row_sync(r); // the one-hot term at y, formed without cancellation, over what its thread wrote
	if (row_leader(r))
		r->gx[y] = (real)gyv;
}
DEFINE_ROW_SHORT(cross_entropy)

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
	RACC sr = racc_zero(), st = racc_zero(), ss = racc_zero(); // rest, T, Σ τ·(m − x)
	ROW_FOR(r, j) {
		const VR v = row_ld(r, src, j), e = CE_E(v, m);
		const VM in = row_in(r, j);
		VR tau = u * row_lds(r, 1, r->y, j) + bc;
		if (r->cw)
			tau = tau * row_ld(r, r->cw, j);
		tau = VSEL(in, tau, 0);
		racc_add(&sr, VSEL(in && !lane_at(j, k), e, 0));
		racc_add(&st, tau);
		racc_add(&ss, VSEL(tau != 0, tau * (m - v), 0));
		if (grad)
			SOFTMAX_KEEP(r, j, e);
	}
	const RACC s[3] = {sr, st, ss};
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
		row_fill(r, r->gx, 0);
		row_sync(r); // then the one entry at y, over what its thread wrote
		if (row_leader(r))
			r->gx[y] = (real)(r->gs * -wy);
	}
}
DEFINE_ROW(nll)
