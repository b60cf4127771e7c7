// segmentation.cu: Dice, IoU, Tversky, focal Tversky and BCE+Dice, row losses with one term per
// sample over its C pixels (X logits or probabilities, Y masks in [0, 1]). Mirrors
// cpuref/segmentation.go; launch shape, weights and sums: row_body in gloss.cuh.
// Entry points: <stem>_fwd, <stem>_fwd_bwd.
//
// The first pass sums, over the row, with p = σ(x) (from_logits) or x:
//	I = Σ p·y,  P = Σ p,  T = Σ y,  FP = Σ p(1−y),  FN = Σ (1−p)y  (and, for bce_dice, the
//	stable BCE-with-logits sum Σ max(x, 0) − x·y + log1p(e^{−|x|}))
// (staging x and y on chip when they fit); the loss then writes ∂L/∂p_c, which depends on c only
// through y_c, as A + B·y_c, and the second pass writes ∂L/∂x_c = gs·(A + B·y_c)·dp_c with
// dp = σ(x)σ(−x) (1 on probabilities). d = 1 for every row.

#include "gloss.cuh"

enum { SEG_DICE, SEG_IOU, SEG_TVERSKY, SEG_FOCAL_TVERSKY, SEG_BCE_DICE };

template <int KIND>
struct L_seg {
	static constexpr int NSTAGE = 2;
	double eps, alpha, beta, gamma, wb, wd;
	bool logits;
	__device__ L_seg(const double* P) : eps(0), alpha(0), beta(0), gamma(1), wb(0), wd(1), logits(true) {
		switch (KIND) {
		case SEG_DICE:
		case SEG_IOU:
			eps = P[0], logits = P[1] != 0;
			break;
		case SEG_TVERSKY:
		case SEG_FOCAL_TVERSKY:
			alpha = P[0], beta = P[1], eps = P[2], logits = P[3] != 0;
			if (KIND == SEG_FOCAL_TVERSKY) gamma = P[4];
			break;
		case SEG_BCE_DICE:
			wb = P[0], wd = P[1], eps = P[2];
			break;
		}
	}

	__device__ __forceinline__ real prob(real x) const { return logits ? sigmoid(x) : x; }

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 c = r.c;
		double s[6] = {0, 0, 0, 0, 0, 0};  // I, P, T, FP, FN, BCE
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real x[VN], y[VN];
			ld_stage(x, r.x, MODE > 0 ? r.sx : nullptr, j0, c, r.vec);
			ld_stage(y, r.y, MODE > 0 ? r.sy : nullptr, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				if (j0 + k >= c) continue;
				const real p = prob(x[k]), yk = y[k];
				s[0] += (double)(p * yk);
				s[1] += (double)p;
				s[2] += (double)yk;
				s[3] += (double)(p * (R(1) - yk));
				s[4] += (double)((R(1) - p) * yk);
				if (KIND == SEG_BCE_DICE) s[5] += (double)(gmax(x[k], R(0)) - x[k] * yk + log1p(exp(-fabs(x[k]))));
			}
		}
		grp_sum_v<6>(g, s, red);
		const double I = s[0], P = s[1], T = s[2], FP = s[3], FN = s[4];
		double l, A, B;  // loss; ∂L/∂p_c = A + B·y_c
		if (KIND == SEG_DICE || KIND == SEG_BCE_DICE) {
			const double den = P + T + eps, rr = (2 * I + eps) / den;
			l = 1 - rr, A = rr / den, B = -2 / den;
		} else if (KIND == SEG_IOU) {
			const double den = P + T - I + eps, rr = (I + eps) / den;
			l = 1 - rr, A = rr / den, B = -(rr + 1) / den;
		} else {
			const double den = I + (alpha * FP + beta * FN) + eps, rr = (I + eps) / den;
			l = 1 - rr, A = rr * alpha / den, B = (rr * (1 - alpha - beta) - 1) / den;
			if (KIND == SEG_FOCAL_TVERSKY) {
				const double t = l;
				const double f = (t > 0 || gamma >= 1) ? gamma * pow(t, gamma - 1) : 0.0;
				l = pow(t, gamma), A *= f, B *= f;
			}
		}
		double bc = 0;
		if (KIND == SEG_BCE_DICE) {
			l = wb * s[5] / (double)c + wd * l;
			A *= wd, B *= wd;
			bc = wb / (double)c;
		}
		L = l;
		d = 1;
		if (MODE == 0 || !r.gx) return;
		const real Ar = (real)(r.gs * A), Br = (real)(r.gs * B), Cr = (real)(r.gs * bc);
		const real* sx = src_x(r);
		const real* sy = src_y(r);
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real x[VN], y[VN], o[VN];
			ld_chunk(x, sx, j0, c, r.vec);
			ld_chunk(y, sy, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				real p = x[k], dp = R(1);
				if (logits) {
					p = sigmoid(x[k]);
					dp = p * sigmoid(-x[k]);
				}
				real gk = (Ar + Br * y[k]) * dp;
				if (KIND == SEG_BCE_DICE) gk += Cr * (p - y[k]);
				o[k] = gk;
			}
			st_chunk(r.gx, o, j0, c, r.vec);
		}
	}
};
ROW_KERNELS(dice, L_seg<SEG_DICE>)
ROW_KERNELS(iou, L_seg<SEG_IOU>)
ROW_KERNELS(tversky, L_seg<SEG_TVERSKY>)
ROW_KERNELS(focal_tversky, L_seg<SEG_FOCAL_TVERSKY>)
ROW_KERNELS(bce_dice, L_seg<SEG_BCE_DICE>)
