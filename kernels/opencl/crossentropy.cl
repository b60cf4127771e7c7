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

// CE_SMALL is the largest C whose rows the cross-entropy kernels take eight at a time, one
// row per vector lane: a row shorter than a vector would be all tail in cross_entropy_row.
#define CE_SMALL 16

// col8 gathers column j of the m ≤ 8 rows of C values starting at x: lane k is x[k·C + j]
// (0 for k ≥ m).
static inline real8 col8(__global const real *x, const ulong C, const ulong j, const uint m) {
	if (m == 8)
		return (real8)(x[j], x[C + j], x[2 * C + j], x[3 * C + j], x[4 * C + j], x[5 * C + j], x[6 * C + j],
		               x[7 * C + j]);
	real t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? x[k * C + j] : R(0);
	return vload8(0, t);
}

// scol8 stores lane k of v to x[k·C + j] for k < m.
static inline void scol8(const real8 v, __global real *x, const ulong C, const ulong j, const uint m) {
	if (m == 8) {
		x[j] = v.s0;
		x[C + j] = v.s1;
		x[2 * C + j] = v.s2;
		x[3 * C + j] = v.s3;
		x[4 * C + j] = v.s4;
		x[5 * C + j] = v.s5;
		x[6 * C + j] = v.s6;
		x[7 * C + j] = v.s7;
		return;
	}
	real t[8];
	vstore8(v, 0, t);
	for (uint k = 0; k < m; k++)
		x[k * C + j] = t[k];
}

// ce_rows8 is cross_entropy_row for the m ≤ 8 rows starting at row r0 of a call with
// C ≤ CE_SMALL, lane k holding row r0 + k: the arithmetic of cross_entropy_row lane by lane
// (with cpuref.softmaxRow's scan for the first maximum). It writes PS and the gradient rows
// (gx, when not NULL) and adds s·L, s·d to the lane sums a0, a1 and bad labels to *bad.
static inline void ce_rows8(const real8 P, const ulong C, __global const real *X, __global const int *LB,
                            __global const real *W, __global const real *CW, const long ignore, const real scale,
                            __global real *PS, __global real *GX, const ulong r0, const uint m, accum8 *a0,
                            accum8 *a1, uint *bad) {
	const acc eps = P.s0, zs = P.s1;
	__global const real *x = X + r0 * C;
	__global real *gx = GX ? GX + r0 * C : 0;
	int lt[8], yi[8];
	real xyt[8], wyt[8], st[8];
	ulong yt[8];
	for (uint k = 0; k < 8; k++) {
		const long y = k < m ? (long)LB[r0 + k] : ignore;
		const int ok = y != ignore && y >= 0 && y < (long)C;
		if (y != ignore && !ok)
			*bad += 1;
		lt[k] = ok ? -1 : 0;
		yt[k] = ok ? (ulong)y : 0;
		yi[k] = (int)yt[k];
		xyt[k] = k < m ? x[k * C + yt[k]] : R(0);
		wyt[k] = ok ? (CW ? CW[yt[k]] : R(1)) : R(0);
		st[k] = k < m ? (W ? W[r0 + k] : R(1)) : R(0);
	}
	const mask8 live = to_mask8(vload8(0, lt));
	const mask8 ylane = to_mask8(vload8(0, yi));
	// The maximum m and its first index k, lane by lane.
	real8 mx = col8(x, C, 0, m);
	mask8 ki = (mask8)(0);
	for (ulong j = 1; j < C; j++) {
		const real8 v = col8(x, C, j, m);
		const mask8 gt = v > mx;
		mx = select(mx, v, gt);
		ki = select(ki, (mask8)((int)j), gt);
	}
	acc wsum = (acc)C;
	accum8 sa = acc8_zero();
	if (eps > 0) {
		if (CW)
			wsum = 0;
		for (ulong j = 0; j < C; j++) {
			const real w = CW ? CW[j] : R(1);
			acc8_add(&sa, w * (mx - col8(x, C, j, m)));
			if (CW)
				wsum += w;
		}
	}
	const real8 xy = vload8(0, xyt);
	// rest = Σ_{j≠k} e^{x_j − m}; e_j goes to gx (which may be x: column j is read first).
	acc8 rest = (acc8)(0);
	for (ulong j = 0; j < C; j++) {
		const real8 e = exp(col8(x, C, j, m) - mx);
		rest += to_acc8(select(e, V(0), ki == (mask8)((int)j)));
		if (gx)
			scol8(e, gx, C, j, m);
	}
	rest = select(rest, (acc8)(NAN), to_amask8(isinf(mx)));
	const acc8 logS = log1p(rest), lse = to_acc8(mx) + logS;
	const acc8 wy = to_acc8(vload8(0, wyt));
	acc8 L = wy * (1 - eps) * ((to_acc8(mx) - to_acc8(xy)) + logS);
	if (zs != 0)
		L += wy * zs * lse * lse;
	if (eps > 0)
		L += eps / (acc)C * (wsum * logS + acc8_value(sa));
	const amask8 alive = to_amask8(live);
	L = select((acc8)(0), L, alive);
	const real8 s = vload8(0, st);
	const acc8 wl = to_acc8(s) * L;
	if (PS)
		st8(to_real8(wl), PS, r0, m);
	acc8_addacc(a0, wl);
	acc8_addacc(a1, to_acc8(s) * wy);
	if (!gx)
		return;
	const acc8 S = 1 + rest;
	const acc b = eps / (acc)C;
	const acc8 zf = zs != 0 ? 2 * zs * lse : (acc8)(0);
	const acc8 a = (wy * ((1 - eps) + zf) + b * wsum) / S;
	const real8 g = scale * s;
	const real8 ga = to_real8(to_acc8(g) * a), gb = g * (real)b;
	real et[8];
	for (uint k = 0; k < 8; k++)
		et[k] = k < m ? gx[k * C + yt[k]] : R(0);
	const acc8 py = to_acc8(vload8(0, et)) / S;
	for (ulong j = 0; j < C; j++) {
		const real8 e = col8(gx, C, j, m);
		const real8 out = eps == 0 ? ga * e : ga * e - gb * (CW ? CW[j] : R(1));
		scol8(select(V(0), out, live), gx, C, j, m);
	}
	const acc8 pym1 = select(py - 1, -rest / S, to_amask8(ki == ylane));
	const real8 gyv = to_real8(to_acc8(g) * (wy * ((1 - eps) * pym1 + zf * py) + b * (wsum * py - wy)));
	real gt[8];
	vstore8(gyv, 0, gt);
	for (uint k = 0; k < m; k++)
		if (lt[k])
			gx[k * C + yt[k]] = gt[k];
}

// CE_KERNEL makes a cross-entropy kernel: rows eight at a time (ce_rows8) when C ≤ CE_SMALL,
// else one at a time (cross_entropy_row).
#define CE_KERNEL(NAME, MODE)                                                                                    \
	__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void NAME(LOSS_ARGS) {                             \
		__local accum scratch[WG];                                                                              \
		accum a0 = acc_zero(), a1 = acc_zero();                                                                 \
		uint bad = 0;                                                                                           \
		if (C > CE_SMALL) {                                                                                     \
			ROW_LOOP(cross_entropy_row, MODE, a0, a1, bad)                                                      \
		} else {                                                                                                \
			accum8 b0 = acc8_zero(), b1 = acc8_zero();                                                          \
			FOR_ITEMS(r, n, per, 8) {                                                                           \
				ce_rows8(P, C, X, LB, W, CW, ignore, scale, PS, MODE ? GX : 0, r,                               \
				         (uint)min((ulong)8, ITEMS_LEFT(r, n)), &b0, &b1, &bad);                                \
			}                                                                                                   \
			acc_merge(&a0, acc8_sum(b0));                                                                       \
			acc_merge(&a1, acc8_sum(b1));                                                                       \
		}                                                                                                       \
		loss_store(scratch, a0, a1, bad, part);                                                                 \
	}

CE_KERNEL(cross_entropy_fwd, 0)
CE_KERNEL(cross_entropy_fwd_bwd, 1)

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
