// segmentation.cl: segmentation losses, one row term per sample over its C pixels. X holds
// logits (or probabilities without from_logits), Y masks y ∈ [0, 1]. Each row is summarised by
// p_c = σ(x_c) (or x_c), I = Σ p·y, P = Σ p, T = Σ y, FP = Σ p(1 − y), FN = Σ (1 − p)y; the
// gradient is ∂L/∂p_c·dp_c/dx_c with dp/dx = σ(x)σ(−x) (1 on probabilities), where ∂L/∂p_c
// depends on c only through y_c: ∂L/∂p_c = A + B·y_c. Every row has d = 1.
// Launch: ROW_KERNEL (common.cl). Mirrors cpuref/segmentation.go.

// seg_prob returns p and dp/dx of eight values.
static inline real8 seg_prob(const real8 x, const int logits, real8 *dp) {
	if (!logits) {
		*dp = V(1);
		return x;
	}
	real8 p, q;
	sig2(x, exp(-fabs(x)), &p, &q);
	*dp = p * q;
	return p;
}

typedef struct {
	acc i, p, t, fp, fn;
} seg_stats;

// seg_sums computes a row's sums.
static inline seg_stats seg_sums(__global const real *x, __global const real *y, const ulong C, const int logits) {
	accum8 ai = acc8_zero(), ap = acc8_zero(), at = acc8_zero(), afp = acc8_zero(), afn = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		real8 dp;
		const mask8 in = HEAD(rm);
		const real8 p = select(V(0), seg_prob(ld8(x, j, rm), logits, &dp), in);
		const real8 yc = ld8(y, j, rm);
		acc8_add(&ai, p * yc);
		acc8_add(&ap, p);
		acc8_add(&at, yc);
		acc8_add(&afp, p * (1 - yc));
		acc8_add(&afn, select(V(0), (1 - p) * yc, in));
	}
	seg_stats s;
	s.i = acc_value(acc8_sum(ai));
	s.p = acc_value(acc8_sum(ap));
	s.t = acc_value(acc8_sum(at));
	s.fp = acc_value(acc8_sum(afp));
	s.fn = acc_value(acc8_sum(afn));
	return s;
}

// seg_grad writes gx_c = g·(A + B·y_c)·dp_c (+ g·bw·(p_c − y_c) for bce_dice's BCE part).
static inline void seg_grad(__global const real *x, __global const real *y, const ulong C, const int logits,
                            const real g, const acc A, const acc B, const real bw, __global real *gx) {
	const real ga = (real)(g * A), gb = (real)(g * B), gw = g * bw;
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		real8 dp;
		const real8 p = seg_prob(ld8(x, j, rm), logits, &dp);
		const real8 yc = ld8(y, j, rm);
		real8 out = (ga + gb * yc) * dp;
		if (bw != 0)
			out += gw * (p - yc);
		st8(out, gx, j, rm);
	}
}

// dice, P.s0 = ε, P.s1 = from_logits: L = 1 − (2I + ε)/(P + T + ε),
// ∂L/∂p_c = (r − 2y_c)/den with r = (2I + ε)/den, den = P + T + ε.
ROW_FN(dice_row) {
	const int logits = P.s1 != 0;
	const seg_stats s = seg_sums(x, y, C, logits);
	const acc eps = P.s0;
	const acc num = 2 * s.i + eps, den = s.p + s.t + eps;
	const acc r = num / den;
	if (gx)
		seg_grad(x, y, C, logits, g, r / den, -2 / den, 0, gx);
	*d = 1;
	return 1 - r;
}
DEFINE_ROW(dice)

// iou, P.s0 = ε, P.s1 = from_logits: L = 1 − (I + ε)/(P + T − I + ε),
// ∂L/∂p_c = (r(1 − y_c) − y_c)/den.
ROW_FN(iou_row) {
	const int logits = P.s1 != 0;
	const seg_stats s = seg_sums(x, y, C, logits);
	const acc eps = P.s0;
	const acc num = s.i + eps, den = s.p + s.t - s.i + eps;
	const acc r = num / den;
	if (gx)
		seg_grad(x, y, C, logits, g, r / den, (-r - 1) / den, 0, gx);
	*d = 1;
	return 1 - r;
}
DEFINE_ROW(iou)

// tversky_of returns the Tversky loss 1 − r of a row's sums, r = (I + ε)/den,
// den = I + (α·FP + β·FN) + ε, and ∂L/∂p_c = A + B·y_c = (r(y_c + α(1 − y_c) − β·y_c) − y_c)/den.
static inline acc tversky_of(const seg_stats s, const acc alpha, const acc beta, const acc eps, acc *A, acc *B) {
	const acc num = s.i + eps, den = s.i + (alpha * s.fp + beta * s.fn) + eps;
	const acc r = num / den;
	*A = r * alpha / den;
	*B = (r * (1 - alpha - beta) - 1) / den;
	return 1 - r;
}

// tversky, P.s0 = α, P.s1 = β, P.s2 = ε, P.s3 = from_logits.
ROW_FN(tversky_row) {
	const int logits = P.s3 != 0;
	const seg_stats s = seg_sums(x, y, C, logits);
	acc A, B;
	const acc t = tversky_of(s, P.s0, P.s1, P.s2, &A, &B);
	if (gx)
		seg_grad(x, y, C, logits, g, A, B, 0, gx);
	*d = 1;
	return t;
}
DEFINE_ROW(tversky)

// focal_tversky, P.s0..3 as tversky, P.s4 = γ: L = t^γ, ∂L/∂p_c = γ·t^(γ−1)·∂t/∂p_c, the
// factor taken as 0 at t = 0 when γ < 1.
ROW_FN(focal_tversky_row) {
	const int logits = P.s3 != 0;
	const acc gamma = P.s4;
	const seg_stats s = seg_sums(x, y, C, logits);
	acc A, B;
	const acc t = tversky_of(s, P.s0, P.s1, P.s2, &A, &B);
	if (gx) {
		const acc f = (t > 0 || gamma >= 1) ? gamma * pow(t, gamma - 1) : 0;
		seg_grad(x, y, C, logits, g, f * A, f * B, 0, gx);
	}
	*d = 1;
	return pow(t, gamma);
}
DEFINE_ROW(focal_tversky)

// bce_dice, P.s0 = bce weight w_b, P.s1 = dice weight w_d, P.s2 = ε, on logits:
//   L = w_b·(1/C)·Σ_c (max(x_c, 0) − x_c·y_c + log(1 + e^{−|x_c|})) + w_d·Dice
//   ∂L/∂x_c = w_b·(σ(x_c) − y_c)/C + w_d·∂Dice/∂p_c·σ(x_c)σ(−x_c)
ROW_FN(bce_dice_row) {
	const acc wb = P.s0, wd = P.s1, eps = P.s2;
	accum8 ab = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8(x, j, rm);
		acc8_add(&ab, select(V(0), fmax(v, V(0)) - v * ld8(y, j, rm) + log1p(exp(-fabs(v))), HEAD(rm)));
	}
	const acc bce = acc_value(acc8_sum(ab));
	const seg_stats s = seg_sums(x, y, C, 1);
	const acc num = 2 * s.i + eps, den = s.p + s.t + eps;
	const acc r = num / den;
	if (gx)
		seg_grad(x, y, C, 1, g, wd * r / den, wd * -2 / den, (real)(wb / (acc)C), gx);
	*d = 1;
	return wb * bce / (acc)C + wd * (1 - r);
}
DEFINE_ROW(bce_dice)
