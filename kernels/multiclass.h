// multiclass.h: the multi-class margin loss and CORN for ordinal labels, row losses over N rows
// of C scores (logits). Each stem_row mirrors the cpuref function of the same stem
// (cpuref/multiclass.go); both read each row once.

// multi_margin (PyTorch multi_margin_loss), power p ∈ {1, 2}, margin μ, z_c = μ − x_y + x_c,
// f = w_y/C:
//
//	L = f·Σ_{c≠y} max(0, z_c)^p,  ∂L/∂x_c = f·p·z_c^{p−1}·[z_c > 0] (c ≠ y),
//	∂L/∂x_y = −Σ_{c≠y} ∂L/∂x_c,  d = w_y
ROW_FN(multi_margin) {
	if (!row_label_ok(r, r->c, 1, L, d))
		return;
	const i64 y = r->label;
	const acc wy = r->cw ? (acc)r->cw[y] : 1, f = wy / (acc)r->c;
	const real fr = (real)f, thr = (real)P[MULTI_MARGIN_MARGIN] - r->x[y];
	const int sq = P[MULTI_MARGIN_P] == 2, grad = r->mode && r->gx;
	RACC sl = racc_zero(), sg = racc_zero(); // Σ max(0, z)^p, Σ of the other classes' gradients
	row_sync(r);                            // x_y is read everywhere before the first gradient store
	ROW_FOR(r, j) {
		const VM live = row_in(r, j) && !lane_at(j, y);
		const VR z = VMAX(thr + row_ld(r, r->x, j), VZERO);
		racc_add(&sl, VSEL(live, sq ? z * z : z, 0));
		if (grad) {
			const VR g = VSEL(live, sq ? z * (2 * fr) : VSEL(z > 0, fr, z), 0);
			racc_add(&sg, g);
			row_st(r, r->gx, j, (real)r->gs * g); // 0 at y until the sum is known
		}
	}
	const RACC s[2] = {sl, sg};
	acc t[2];
	row_sums(r, s, t, 2);
	if (grad && row_leader(r))
		r->gx[y] = (real)(r->gs * -t[1]);
	*L = f * t[0];
	*d = wy;
}
DEFINE_ROW(multi_margin)

// corn (coral-pytorch corn_loss) over C = K−1 task logits, label y ∈ [0, C]:
//
//	L = Σ_{k < min(y, C)} softplus(−x_k) + [y < C]·softplus(x_y)
//	∂L/∂x_k = σ(x_k) − 1 = −σ(−x_k) (k < y),  σ(x_y) (k = y < C),  0 (k > y),  d = min(y + 1, C)
ROW_FN(corn) {
	if (!row_label_ok(r, r->c + 1, 0, L, d))
		return;
	const i64 y = r->label, pos = y < r->c ? y : r->c;
	RACC s = racc_zero();
	ROW_FOR(r, j) {
		VR fp, fn, sp, sn;
		logistic(row_ld(r, r->x, j), &fp, &fn, &sp, &sn);
		const VM lt = lane_lt(j, pos), eq = lane_at(j, y) && row_in(r, j);
		racc_add(&s, VSEL(lt, fn, VSEL(eq, fp, 0)));
		if (r->mode && r->gx)
			row_st(r, r->gx, j, (real)r->gs * VSEL(lt, -sn, VSEL(eq, sp, 0)));
	}
	*L = row_sum(r, s);
	*d = (acc)(y + 1 < r->c ? y + 1 : r->c);
}
DEFINE_ROW(corn)
