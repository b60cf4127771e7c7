// short_rows.cl: cross_entropy's kernels on OpenCL (crossentropy.h: DEFINE_ROW_SHORT). A row of
// more than SHORT_ROW columns goes the row losses' way (ROW_LOOP over cross_entropy_row); rows
// shorter than that, which would be all tail in chunks of eight, go eight at a time, one row per
// lane, through the same passes on columns (CE_E, CE_SMOOTH, CE_GRAD) and the same final step
// (CE_FINAL over acc8). On a CPU that is several times faster for C ≤ 16.

#define SHORT_ROW 16

#if GLOSS_ACC64
typedef long8 amask8; // what comparing two acc8 gives
#define to_amask8(m) convert_long8(m)
#else
typedef int8 amask8;
#define to_amask8(m) convert_int8(m)
#endif
#define SELA(c, a, b) select((b), (a), (c))
CE_FINAL(ce_final8, acc8, amask8, SELA)

// col8 gathers column j of the m ≤ 8 rows of C values starting at x: lane k is x[k·C + j]
// (0 for k ≥ m); scol8 stores lane k of v to x[k·C + j] for k < m.
FN real8 col8(GP(const real) x, const i64 C, const i64 j, const uint m) {
	if (m == 8)
		return (real8)(x[j], x[C + j], x[2 * C + j], x[3 * C + j], x[4 * C + j], x[5 * C + j], x[6 * C + j], x[7 * C + j]);
	real t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? x[k * C + j] : R(0);
	return vload8(0, t);
}

FN void scol8(const real8 v, GP(real) x, const i64 C, const i64 j, const uint m) {
	real t[8];
	vstore8(v, 0, t);
	for (uint k = 0; k < m; k++)
		x[k * C + j] = t[k];
}

// ce_rows8 is cross_entropy_row for the m ≤ 8 rows starting at r0, lane k holding row r0 + k
// (with cpuref.softmaxRow's scan for the first maximum): it writes PS and the gradient rows (gx,
// when not NULL) and adds s·L, s·d to the lane sums a0, a1 and bad labels to *bad.
FN void ce_rows8(const PRM *P, const i64 C, GP(const real) X, GP(const int) LB, GP(const real) W, GP(const real) CW,
                 const i64 ignore, const acc sc, GP(real) PS, GP(real) GX, const i64 r0, const uint m, RACC *a0,
                 RACC *a1, uint *bad) {
	const acc eps = P[CROSS_ENTROPY_LABEL_SMOOTHING];
	GP(const real) x = X + r0 * C;
	GP(real) gx = GX ? GX + r0 * C : 0;
	int lt[8], yi[8];
	real xyt[8], wyt[8], st[8];
	for (uint k = 0; k < 8; k++) {
		const i64 y = k < m ? (i64)LB[r0 + k] : ignore;
		const int ok = y != ignore && y >= 0 && y < C;
		*bad += y != ignore && !ok;
		lt[k] = ok ? -1 : 0;
		yi[k] = ok ? (int)y : 0;
		xyt[k] = k < m ? x[k * C + yi[k]] : R(0);
		wyt[k] = ok ? (CW ? CW[yi[k]] : R(1)) : R(0);
		st[k] = k < m ? (W ? W[r0 + k] : R(1)) : R(0);
	}
	const mask8 live = to_mask8(vload8(0, lt)), ylane = to_mask8(vload8(0, yi));
	real8 mx = col8(x, C, 0, m); // the maximum and its first index, lane by lane
	mask8 ki = (mask8)(0);
	for (i64 j = 1; j < C; j++) {
		const real8 v = col8(x, C, j, m);
		const mask8 gt = v > mx;
		mx = select(mx, v, gt);
		ki = select(ki, (mask8)((int)j), gt);
	}
	acc wsum = (acc)C;
	RACC smp = racc_zero();
	if (eps > 0) {
		if (CW)
			wsum = 0;
		for (i64 j = 0; j < C; j++) {
			const real w = CW ? CW[j] : R(1);
			racc_add(&smp, CE_SMOOTH(w, mx, col8(x, C, j, m)));
			if (CW)
				wsum += w;
		}
	}
	acc8 rest = (acc8)(0); // Σ_{j≠k} e_j; e_j goes to gx (which may be x: column j is read first)
	for (i64 j = 0; j < C; j++) {
		const real8 e = CE_E(col8(x, C, j, m), mx);
		rest += to_va(select(e, VZERO, ki == (mask8)((int)j)));
		if (gx)
			scol8(e, gx, C, j, m);
	}
	const real8 s = vload8(0, st);
	const acc8 wy = to_va(vload8(0, wyt)), smpv = select(smp.s, smp.s + smp.c, isfinite(smp.s));
	acc8 ga, gb, gyv;
	const acc8 L = ce_final8(to_va(mx), to_va(vload8(0, xyt)), to_amask8(ki == ylane),
	                         select(rest, (acc8)(NAN), to_amask8(isinf(mx))), wy, (acc8)(wsum), smpv, eps,
	                         P[CROSS_ENTROPY_Z_LOSS], eps / (acc)C, sc * to_va(s), &ga, &gb, &gyv);
	const acc8 wl = to_va(s) * select((acc8)(0), L, to_amask8(live));
	if (PS)
		st8(to_real8(wl), PS, r0, m);
	racc_adda(a0, wl);
	racc_adda(a1, to_va(s) * wy);
	if (!gx)
		return;
	const real8 rga = to_real8(ga), rgb = to_real8(gb);
	for (i64 j = 0; j < C; j++) {
		const real8 out = CE_GRAD(rga, col8(gx, C, j, m), rgb, eps > 0 && CW ? CW[j] : R(1));
		scol8(select(VZERO, out, live), gx, C, j, m);
	}
	real gt[8];
	vstore8(to_real8(gyv), 0, gt);
	for (uint k = 0; k < m; k++)
		if (lt[k])
			gx[k * C + yi[k]] = gt[k];
}

#define CE_KERNEL(NAME, MODE)                                                                            \
	KERNEL void NAME(LOSS_ARGS) {                                                                        \
		GROUP_LOCALS;                                                                                    \
		PARAMS;                                                                                          \
		ACCUM a[3] = {accum_zero(), accum_zero(), accum_zero()};                                         \
		if (c > SHORT_ROW) {                                                                             \
			ROW_LOOP(cross_entropy, MODE, a)                                                             \
		} else {                                                                                         \
			RACC b0 = racc_zero(), b1 = racc_zero();                                                     \
			uint bad = 0;                                                                                \
			const acc sc = MODE ? (acc)loss_scale(scale, scale_ptr) : 0;                                  \
			FLAT_FOR(r0, n, 8) {                                                                         \
				ce_rows8(P, c, X, LB, W, CW, ignore, sc, PS, MODE ? GX : 0, r0,                           \
				         (uint)min((i64)8, ITEMS_LEFT(r0, n)), &b0, &b1, &bad);                          \
			}                                                                                            \
			a[0] = racc_total(b0), a[1] = racc_total(b1);                                                \
			accum_add(&a[2], bad);                                                                       \
		}                                                                                                \
		group_partials(a, 3, part);                                                                      \
	}

CE_KERNEL(cross_entropy_fwd, 0)
CE_KERNEL(cross_entropy_fwd_bwd, 1)
