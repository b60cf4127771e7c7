// crossentropy.cl: the cross-entropy family, row losses over N rows of C logits (or
// log-probabilities for nll). Launch: ROW_KERNEL (common.cl), each work-item a contiguous run
// of rows, each row streamed in float8/double8 vectors. Mirrors cpuref/crossentropy.go.
//
// Every softmax is taken as cpuref.softmaxRow does: the row maximum m at its first index k,
// e_j = e^{x_j−m} (e_k = 1 exactly), rest = Σ_{j≠k} e_j, S = 1 + rest, log S = log1p(rest),
// lse = m + log S. Row scalars (rest, log S, the loss) are held in `acc` precision.

// softmax_rest returns rest = Σ_{j≠k} e^{x_j−m} (NaN when m is infinite: no softmax). When e
// is not NULL it receives e_j; e may be x itself (each value is read before it is written).
static inline acc softmax_rest(__global const real *x, const ulong C, const real m, const ulong k, __global real *e) {
	accum8 r = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8f(x, j, rm, m);
		real8 ev = exp(v - m);
		mask8 keep = HEAD(rm);
		if (k >= j && k < j + 8) {
			const mask8 atk = LANES == (mask8)((int)(k - j));
			ev = select(ev, V(1), atk);
			keep &= ~atk;
		}
		acc8_add(&r, select(V(0), ev, keep));
		if (e)
			st8(ev, e, j, rm);
	}
	const acc rest = acc_value(acc8_sum(r));
	return isinf(m) ? (acc)NAN : rest;
}

// cross_entropy, P.s0 = label smoothing ε, P.s1 = z-loss s; class weights w (1 without),
// W = Σ w_c:
//   L = w_y·((1−ε)·((m − x_y) + log S) + s·lse²) + (ε/C)·(W·log S + Σ_c w_c·(m − x_c))
//   ∂L/∂x_j = a·e_j − b·w_j (b = ε/C, a = (w_y((1−ε) + 2s·lse) + b·W)/S), and at j = y
//   w_y((1−ε)(p_y − 1) + 2s·lse·p_y) + b(W·p_y − w_y), p_y − 1 = −rest/S when y = k.
//   d = w_y; an ignored row gives 0 and a zero gradient.
ROW_FN(cross_entropy_row) {
	if (lab == ignore || lab < 0 || lab >= (long)C) {
		if (lab != ignore)
			*bad += 1;
		row_zero(gx, C);
		*d = 0;
		return 0;
	}
	const ulong yy = (ulong)lab;
	const acc eps = P.s0, zs = P.s1;
	real m;
	ulong k;
	row_argmax(x, C, 0, &m, &k);
	const real xy = x[yy];
	const acc wy = cw ? (acc)cw[yy] : 1;
	acc wsum = (acc)C, sm = 0;
	if (eps > 0) {
		// Σ_c w_c·(m − x_c) and W, before gx (maybe x) is written.
		accum8 sa = acc8_zero(), wa = acc8_zero();
		ROW_FOR(j, C) {
			const uint rm = ROW_M(j, C);
			const real8 v = ld8f(x, j, rm, m);
			const real8 w = cw ? ld8(cw, j, rm) : select(V(0), V(1), HEAD(rm));
			acc8_add(&sa, select(V(0), w * (m - v), HEAD(rm)));
			acc8_add(&wa, w);
		}
		sm = acc_value(acc8_sum(sa));
		if (cw)
			wsum = acc_value(acc8_sum(wa));
	}
	const acc rest = softmax_rest(x, C, m, k, gx);
	const acc logS = log1p(rest);
	const acc lse = (acc)m + logS;
	acc L = wy * (1 - eps) * (((acc)m - (acc)xy) + logS);
	if (zs != 0)
		L += wy * zs * lse * lse;
	if (eps > 0)
		L += eps / (acc)C * (wsum * logS + sm);
	if (gx) {
		// gx holds e_j now.
		const acc S = 1 + rest, b = eps / (acc)C;
		const acc zf = zs != 0 ? 2 * zs * lse : 0;
		const acc a = (wy * ((1 - eps) + zf) + b * wsum) / S;
		const real ga = (real)(g * a), gb = (real)(g * b);
		const acc ey = (acc)gx[yy];
		ROW_FOR(j, C) {
			const uint rm = ROW_M(j, C);
			const real8 e8 = ld8(gx, j, rm);
			if (eps == 0)
				st8(ga * e8, gx, j, rm);
			else
				st8(ga * e8 - gb * (cw ? ld8(cw, j, rm) : V(1)), gx, j, rm);
		}
		const acc py = ey / S;
		const acc pym1 = yy == k ? -rest / S : py - 1;
		gx[yy] = (real)(g * (wy * ((1 - eps) * pym1 + zf * py) + b * (wsum * py - wy)));
	}
	*d = wy;
	return L;
}
DEFINE_ROW(cross_entropy)

// cross_entropy_probs, P.s0 = ε; targets t = y, t' = (1−ε)t + ε/C, τ_c = w_c·t'_c, T = Σ τ_c:
//   L = T·log S + Σ_{τ_c ≠ 0} τ_c·(m − x_c),  ∂L/∂x_j = p_j·T − τ_j,  d = 1.
ROW_FN(cross_entropy_probs_row) {
	const real u = 1 - P.s0, b = P.s0 / (real)C;
	real m;
	ulong k;
	row_argmax(x, C, 0, &m, &k);
	accum8 ta = acc8_zero(), sa = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8f(x, j, rm, m);
		real8 tau = u * ld8(y, j, rm) + b;
		if (cw)
			tau *= ld8(cw, j, rm);
		tau = select(V(0), tau, HEAD(rm));
		acc8_add(&ta, tau);
		acc8_add(&sa, select(tau * (m - v), V(0), tau == 0));
	}
	const acc tsum = acc_value(acc8_sum(ta)), sm = acc_value(acc8_sum(sa));
	const acc rest = softmax_rest(x, C, m, k, gx);
	const acc logS = log1p(rest);
	if (gx) {
		const real ga = (real)(g * (tsum / (1 + rest)));
		ROW_FOR(j, C) {
			const uint rm = ROW_M(j, C);
			real8 tau = u * ld8(y, j, rm) + b;
			if (cw)
				tau *= ld8(cw, j, rm);
			st8(ga * ld8(gx, j, rm) - g * tau, gx, j, rm);
		}
	}
	*d = 1;
	return tsum * logS + sm;
}
DEFINE_ROW(cross_entropy_probs)

// nll on log-probabilities: L = −w_y·x_y, ∂L/∂x_j = −w_y·[j = y], d = w_y; an ignored row
// gives 0 and a zero gradient.
ROW_FN(nll_row) {
	if (lab == ignore || lab < 0 || lab >= (long)C) {
		if (lab != ignore)
			*bad += 1;
		row_zero(gx, C);
		*d = 0;
		return 0;
	}
	const ulong yy = (ulong)lab;
	const acc wy = cw ? (acc)cw[yy] : 1;
	const acc L = -wy * (acc)x[yy];
	if (gx) {
		row_zero(gx, C);
		gx[yy] = (real)(g * -wy);
	}
	*d = wy;
	return L;
}
DEFINE_ROW(nll)
