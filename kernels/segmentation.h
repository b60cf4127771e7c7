// segmentation.h: Dice, IoU, Tversky, focal Tversky and BCE+Dice, row losses with one term per
// sample over its C pixels (X logits, or probabilities without from_logits; Y masks in
// [0, 1]). Mirrors cpuref/segmentation.go. Each row is summarised by p_c = σ(x_c) and
// q_c = σ(−x_c) (or x_c and 1 − x_c), I = Σ p·y, FP = Σ p(1−y), FN = Σ q·y (pass 1, staging
// x and y for the gradient); cpuref's P = Σ p and T = Σ y enter only as P + T = 2I + FP + FN.
// Each loss is formed from FP and FN, never as 1 − a ratio, so that a near-perfect row keeps
// its tiny value; ∂L/∂p_c depends on c only
// through y_c, as A(1 − y_c) + B·y_c (terms of one sign each for masks of 0 and 1), and
// pass 2 writes ∂L/∂x_c = (A(1 − y_c) + B·y_c)·p_c·q_c (p·q = 1 on probabilities). d = 1.

#define SEG_DICE 0
#define SEG_IOU 1
#define SEG_TVERSKY 2
#define SEG_FOCAL_TVERSKY 3
#define SEG_BCE_DICE 4

// seg_prob returns p and sets q = 1 − p (σ(−x) itself on logits, not 1 − σ(x)) of a chunk.
FN VR seg_prob(const VR x, const int logits, VR *q) {
	if (!logits) {
		*q = 1 - x;
		return x;
	}
	VR sp;
	sigmoids(x, &sp, q);
	return sp;
}

// seg_row is the five losses, told apart by kind; α, β and γ are Tversky's, wb and wd
// bce_dice's weights.
FN void seg_row(ROW *r, acc *L, acc *d, const int kind, const int logits, const acc eps, const acc alpha,
                const acc beta, const acc gamma, const acc wb, const acc wd) {
	const int nsum = kind == SEG_BCE_DICE ? 4 : 3;
	// The sums in separate accumulators (an array indexed by a variable would leave memory).
	RACC si = racc_zero(), sfp = racc_zero(), sfn = racc_zero(), sb = racc_zero();
	ROW_FOR(r, j) {
		const VR x = row_lds(r, 0, r->x, j), y = row_lds(r, 1, r->y, j);
		VR q;
		const VR p = VSEL(row_in(r, j), seg_prob(x, logits, &q), 0); // y is 0 past the row
		racc_add(&si, p * y);
		racc_add(&sfp, p * (1 - y));
		racc_add(&sfn, q * y);
		if (kind == SEG_BCE_DICE) // the stable BCE-with-logits terms
			racc_add(&sb, VSEL(row_in(r, j), VMAX(x, VZERO) - x * y + log1p(exp(-fabs(x))), 0));
	}
	const RACC s[4] = {si, sfp, sfn, sb};
	acc t[4];
	row_sums(r, s, t, nsum);
	const acc I = t[0], fpos = t[1], fneg = t[2];
	acc l, A, B, bc = 0; // the loss; ∂L/∂p_c = A(1 − y_c) + B·y_c
	if (kind == SEG_DICE || kind == SEG_BCE_DICE) {
		const acc den = 2 * I + (fpos + fneg) + eps, rr = (2 * I + eps) / den;
		l = (fpos + fneg) / den, A = rr / den, B = -(1 + l) / den;
	} else if (kind == SEG_IOU) {
		const acc den = I + (fpos + fneg) + eps, rr = (I + eps) / den;
		l = (fpos + fneg) / den, A = rr / den, B = -1 / den;
	} else {
		const acc fpn = alpha * fpos + beta * fneg, den = I + fpn + eps, rr = (I + eps) / den;
		l = fpn / den, A = rr * alpha / den, B = -(rr * beta + l) / den;
		if (kind == SEG_FOCAL_TVERSKY) { // L = t^γ; the factor γ·t^(γ−1) is 0 at t = 0 when γ < 1
			const acc f = (l > 0 || gamma >= 1) ? gamma * pow(l, gamma - 1) : 0;
			l = pow(l, gamma), A *= f, B *= f;
		}
	}
	if (kind == SEG_BCE_DICE) { // L = wb·(1/C)·Σ BCE + wd·Dice, ∂L/∂x_c += wb·((1 − y_c)p_c − y_c·q_c)/C
		const acc C = (acc)r->c;
		l = wb * t[3] / C + wd * l, A *= wd, B *= wd, bc = wb / C;
	}
	*L = l;
	*d = 1;
	if (!r->mode || !r->gx)
		return;
	const real ga = (real)(r->gs * A), gb = (real)(r->gs * B), gc = (real)(r->gs * bc);
	GP(const real) sx = row_src(r, 0, r->x);
	GP(const real) sy = row_src(r, 1, r->y);
	ROW_FOR(r, j) {
		const VR x = row_ld(r, sx, j), y = row_ld(r, sy, j), ny = 1 - y;
		VR q;
		const VR p = seg_prob(x, logits, &q), o = (ga * ny + gb * y) * (logits ? p * q : VC(1));
		row_st(r, r->gx, j, kind == SEG_BCE_DICE ? o + gc * (ny * p - y * q) : o);
	}
}

// dice, ε, from_logits: den = P + T + ε = 2I + FP + FN + ε, r = (2I + ε)/den,
// L = 1 − r = (FP + FN)/den, ∂L/∂p_c = (r − 2y_c)/den = (r(1 − y_c) − y_c(1 + L))/den.
ROW_FN(dice) {
	seg_row(r, L, d, SEG_DICE, P[DICE_FROM_LOGITS] != 0, P[DICE_EPS], 0, 0, 1, 0, 1);
}
DEFINE_ROW(dice)

// iou, ε, from_logits: den = I + FP + FN + ε (P + T − I + ε), r = (I + ε)/den,
// L = 1 − r = (FP + FN)/den, ∂L/∂p_c = (r(1 − y_c) − y_c)/den.
ROW_FN(iou) {
	seg_row(r, L, d, SEG_IOU, P[IOU_FROM_LOGITS] != 0, P[IOU_EPS], 0, 0, 1, 0, 1);
}
DEFINE_ROW(iou)

// tversky, α, β, ε, from_logits: den = I + (α·FP + β·FN) + ε, r = (I + ε)/den,
// L = 1 − r = (α·FP + β·FN)/den, ∂L/∂p_c = (r(α(1 − y_c) − β·y_c) − y_c·L)/den.
ROW_FN(tversky) {
	seg_row(r, L, d, SEG_TVERSKY, P[TVERSKY_FROM_LOGITS] != 0, P[TVERSKY_EPS], P[TVERSKY_ALPHA], P[TVERSKY_BETA], 1, 0,
	        1);
}
DEFINE_ROW(tversky)

// focal_tversky, tversky's parameters and γ: L = t^γ of the Tversky loss t.
ROW_FN(focal_tversky) {
	seg_row(r, L, d, SEG_FOCAL_TVERSKY, P[FOCAL_TVERSKY_FROM_LOGITS] != 0, P[FOCAL_TVERSKY_EPS],
	        P[FOCAL_TVERSKY_ALPHA], P[FOCAL_TVERSKY_BETA], P[FOCAL_TVERSKY_GAMMA], 0, 1);
}
DEFINE_ROW(focal_tversky)

// bce_dice, wb, wd, ε, on logits: L = wb·(1/C)·Σ_c (max(x_c, 0) − x_c·y_c + log1p(e^{−|x_c|}))
// + wd·Dice, ∂L/∂x_c = wb·((1 − y_c)σ(x_c) − y_c·σ(−x_c))/C + wd·∂Dice/∂p_c·σ(x_c)σ(−x_c).
ROW_FN(bce_dice) {
	seg_row(r, L, d, SEG_BCE_DICE, 1, P[BCE_DICE_EPS], 0, 0, 1, P[BCE_DICE_BCE_WEIGHT], P[BCE_DICE_DICE_WEIGHT]);
}
DEFINE_ROW(bce_dice)
