// multiclass.cl: the multi-class margin loss and CORN, row losses over N rows of C scores.
// Launch: ROW_KERNEL (common.cl). Mirrors cpuref/multiclass.go.

// lanes_below returns the lanes j + l (l < 8) that are < hi.
static inline mask8 lanes_below(const ulong j, const ulong hi) {
	return hi > j ? HEAD((int)min(hi - j, (ulong)8)) : (mask8)(0);
}

// lane_at returns the lane holding index t of the vector starting at j (none when outside).
static inline mask8 lane_at(const ulong j, const ulong t) {
	return (t >= j && t < j + 8) ? (LANES == (mask8)((int)(t - j))) : (mask8)(0);
}

// multi_margin (PyTorch multi_margin_loss), P.s0 = power p ∈ {1, 2}, P.s1 = margin μ,
// z_c = μ − x_y + x_c, f = w_y/C:
//   L = f·Σ_{c≠y} max(0, z_c)^p,  ∂L/∂x_c = f·p·z_c^{p−1}·[z_c > 0] (c ≠ y),
//   ∂L/∂x_y = −Σ_{c≠y} ∂L/∂x_c,  d = w_y.
ROW_FN(multi_margin_row) {
	if (lab == ignore || lab < 0 || lab >= (long)C) {
		if (lab != ignore)
			*bad += 1;
		row_zero(gx, C);
		*d = 0;
		return 0;
	}
	const ulong yy = (ulong)lab;
	const acc wy = cw ? (acc)cw[yy] : 1;
	const acc fa = wy / (acc)C;
	const real f = (real)fa;
	const real thr = P.s1 - x[yy];
	const int sq = P.s0 == 2;
	accum8 la = acc8_zero(), gs = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const mask8 valid = HEAD(rm) & ~lane_at(j, yy);
		const real8 zz = relu(thr + ld8(x, j, rm));
		acc8_add(&la, select(V(0), sq ? zz * zz : zz, valid));
		if (gx) {
			const real8 gt = select(V(0), sq ? zz * (R(2) * f) : select(zz, V(f), zz > 0), valid);
			acc8_add(&gs, gt);
			st8(g * gt, gx, j, rm);
		}
	}
	if (gx)
		gx[yy] = (real)(g * -acc_value(acc8_sum(gs)));
	*d = wy;
	return fa * acc_value(acc8_sum(la));
}
DEFINE_ROW(multi_margin)

// corn (coral-pytorch corn_loss) over C = K−1 task logits, label y ∈ [0, C]:
//   L = Σ_{k < min(y, C)} softplus(−x_k) + [y < C]·softplus(x_y)
//   ∂L/∂x_k = σ(x_k) − 1 (k < y),  σ(x_y) (k = y < C),  0 (k > y);  d = min(y + 1, C).
ROW_FN(corn_row) {
	if (lab < 0 || lab > (long)C) {
		*bad += 1;
		row_zero(gx, C);
		*d = 0;
		return 0;
	}
	const ulong yy = (ulong)lab;
	const ulong pos = min(yy, C);
	accum8 la = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8(x, j, rm);
		const mask8 lt = lanes_below(j, pos);
		const mask8 eq = lane_at(j, yy) & HEAD(rm);
		const real8 e = exp(-fabs(v)), lp = log1p(e); // softplus(±v) = max(±v, 0) + lp
		acc8_add(&la, select(select(V(0), fmax(v, V(0)) + lp, eq), fmax(-v, V(0)) + lp, lt));
		if (gx) {
			real8 sp, sn;
			sig2(v, e, &sp, &sn);
			st8(g * select(select(V(0), sp, eq), -sn, lt), gx, j, rm);
		}
	}
	*d = (acc)min(yy + 1, C);
	return acc_value(acc8_sum(la));
}
DEFINE_ROW(corn)
