// crossentropy.cu: softmax cross-entropy against labels and against probability targets, and
// the negative log-likelihood: row losses over N rows of C logits. Each loss mirrors the
// function of the same name in cpuref/crossentropy.go; launch shape, weights and sums:
// row_body in gloss.cuh. Entry points: <stem>_fwd, <stem>_fwd_bwd.
//
// Memory traffic: the first pass reads the row once, keeping the online softmax state (m, r)
// of gloss.cuh (one exponential per element) and, when the host staged the row (it fits in
// shared memory), a copy of it on chip; the gradient pass then reads the copy, so the fused
// forward+gradient reads the logits once and writes the gradient once (in place allowed).
// Rows too long for shared memory are read twice (online softmax, then the gradient).
//
// Per-element math is in the element type; the row's scalars (log S, lse, the loss) are double.
// The softmax follows cpuref.softmaxRow: m is the row maximum, rest = Σ_j e^{x_j−m} − 1,
// S = 1 + rest, log S = log1p(rest), so −log p_y = (m − x_y) + log S is accurate for tiny
// losses, and p_y − 1 = −rest/S when x_y is the maximum. A row with +Inf or all −Inf has no
// softmax (rest = NaN): its loss and gradient are NaN, as in cpuref.

#include "gloss.cuh"

// The row's softmax statistics after the first pass.
struct Softmax {
	real m;       // row maximum
	double rest;  // Σ_j e^{x_j − m} − 1, NaN where the row has no softmax
	double logS;  // log1p(rest)
};

__device__ __forceinline__ Softmax finish_softmax(real m, real rr) {
	Softmax s;
	s.m = m;
	s.rest = isinf(m) ? CUDART_NAN : (double)rr;
	s.logS = log1p(s.rest);
	return s;
}

// cross_entropy, P[0] = label smoothing ε, P[1] = z-loss s, class weights w (1 when absent),
// W = Σ_c w_c, lse = m + log S, p = softmax(x):
//
//	L = w_y·((1−ε)·(lse − x_y) + s·lse²) + (ε/C)·(W·log S + Σ_c w_c·(m − x_c))
//	∂L/∂x_j = a·e_j − b·w_j (j ≠ y),  a = (w_y((1−ε) + 2s·lse) + b·W)/S,  b = ε/C
//	∂L/∂x_y = w_y((1−ε)(p_y − 1) + 2s·lse·p_y) + b(W·p_y − w_y)
//	d = w_y; an ignored row gives 0 and a zero gradient.
//
// The smoothing sum needs the row maximum, so it is taken in the second pass (with the
// gradient); without smoothing and without a gradient the forward is one pass. Mirrors
// cpuref.crossEntropy.
struct L_cross_entropy {
	static constexpr int NSTAGE = 1;
	double eps, zs;
	__device__ L_cross_entropy(const double* P) : eps(P[0]), zs(P[1]) {}

	// pass2 reads the row again (from src) and writes the gradient (MODE > 0): A·e_j − B·w_j,
	// and gyv at j = y. With SMOOTH it returns Σ_c w_c·(m − x_c).
	template <int MODE, bool SMOOTH>
	__device__ __forceinline__ double pass2(const Grp& g, const RowCtx& r, const real* src, int c, int y, real m,
	                                        real A, real B, real gyv) const {
		double smp = 0;
#pragma unroll 2
		for (int j0 = g.lane * VN; j0 < c; j0 += g.size * VN) {
			real v[VN], o[VN];
			ld_chunk(v, src, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				const int j = j0 + k;
				if (SMOOTH) {
					const real w = r.cw ? r.cw[j < c ? j : c - 1] : R(1);
					if (j < c) smp += (double)w * ((double)m - (double)v[k]);
					o[k] = A * exp(v[k] - m) - B * w;
				} else {
					o[k] = A * exp(v[k] - m);
				}
				if (j == y) o[k] = gyv;
			}
			if (MODE > 0) st_chunk(r.gx, o, j0, c, r.vec);
		}
		return smp;
	}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const int c = (int)r.c;
		const i64 y64 = r.label;
		if (y64 == r.ignore || y64 < 0 || y64 >= c) {
			const bool bad = y64 != r.ignore;  // only reachable without package loss's label check
			if (MODE > 0 && r.gx) row_fill(g, r.gx, r.c, bad ? RNAN : R(0), r.vec);
			L = d = bad ? CUDART_NAN : 0.0;
			return;
		}
		const int y = (int)y64;
		const bool grad = MODE > 0 && r.gx != nullptr;
		const bool smooth = eps > 0;
		real* st = grad || smooth ? r.sx : nullptr;  // staged only when a second pass follows
		const double wy = r.cw ? (double)r.cw[y] : 1.0;
		const real xy = r.x[y];
		const bool need_w = smooth && r.cw != nullptr;
		real m = -RINF, rr = R(-1);
		double wpart = 0;
#pragma unroll 4
		for (int j0 = g.lane * VN; j0 < c; j0 += g.size * VN) {
			real v[VN];
			ld_stage(v, r.x, st, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k)
				if (j0 + k < c) lse_push(v[k], m, rr);
			if (need_w)
				for (int k = 0; k < VN && j0 + k < c; ++k) wpart += (double)r.cw[j0 + k];
		}
		grp_lse(g, m, rr, red);  // also the barrier after which the staged row is complete
		const double W = need_w ? grp_sum(g, wpart, red) : (double)c;
		const Softmax sm = finish_softmax(m, rr);
		const double md = (double)m, lse = md + sm.logS;
		double l = wy * (1 - eps) * ((md - (double)xy) + sm.logS);
		if (zs != 0) l += wy * zs * lse * lse;
		if (grad || smooth) {
			const double b = eps / (double)c, zf = zs != 0 ? 2 * zs * lse : 0.0;
			real A = 0, B = 0, gyv = 0;
			if (grad) {
				const double invS = 1 / (1 + sm.rest);
				A = (real)(r.gs * ((wy * ((1 - eps) + zf) + b * W) * invS));
				B = (real)(r.gs * b);
				const double py = exp((double)xy - md) * invS;
				const double pym1 = xy == m ? -sm.rest * invS : py - 1;
				gyv = (real)(r.gs * (wy * ((1 - eps) * pym1 + zf * py) + b * (W * py - wy)));
			}
			const real* src = st ? st : r.x;
			if (smooth) {
				const double smp = grad ? pass2<1, true>(g, r, src, c, y, m, A, B, gyv) : pass2<0, true>(g, r, src, c, y, m, A, B, gyv);
				l += b * (W * sm.logS + grp_sum(g, smp, red));
			} else {
				pass2<1, false>(g, r, src, c, y, m, A, B, gyv);
			}
		}
		L = l;
		d = wy;
	}
};
ROW_KERNELS(cross_entropy, L_cross_entropy)

// cross_entropy_probs, P[0] = label smoothing ε, targets t = Y, t' = (1−ε)t + ε/C,
// τ_c = w_c·t'_c, T = Σ_c τ_c:
//
//	L = T·log S + Σ_{τ_c ≠ 0} τ_c·(m − x_c),  ∂L/∂x_j = (T/S)·e_j − τ_j,  d = 1
//
// (a class with τ_c = 0 contributes 0 even where p_c = 0). Mirrors cpuref.crossEntropyProbs.
struct L_cross_entropy_probs {
	static constexpr int NSTAGE = 2;
	double eps;
	__device__ L_cross_entropy_probs(const double* P) : eps(P[0]) {}

	__device__ __forceinline__ double tau(const RowCtx& r, int j, real t, double u, double b) const {
		const double w = r.cw ? (double)r.cw[j] : 1.0;
		return w * (u * (double)t + b);
	}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const int c = (int)r.c;
		const double u = 1 - eps, b = eps / (double)c;
		real m = -RINF, rr = R(-1);
		double tpart = 0;
#pragma unroll 2
		for (int j0 = g.lane * VN; j0 < c; j0 += g.size * VN) {
			real v[VN], t[VN];
			ld_stage(v, r.x, r.sx, j0, c, r.vec);
			ld_stage(t, r.y, r.sy, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k)
				if (j0 + k < c) {
					lse_push(v[k], m, rr);
					tpart += tau(r, j0 + k, t[k], u, b);
				}
		}
		grp_lse(g, m, rr, red);
		const double T = grp_sum(g, tpart, red);
		const Softmax sm = finish_softmax(m, rr);
		const double md = (double)m;
		const bool grad = MODE > 0 && r.gx != nullptr;
		const real A = grad ? (real)(r.gs * (T / (1 + sm.rest))) : R(0);
		const real* sx = src_x(r);
		const real* sy = src_y(r);
		double smp = 0;
#pragma unroll 2
		for (int j0 = g.lane * VN; j0 < c; j0 += g.size * VN) {
			real v[VN], t[VN], o[VN];
			ld_chunk(v, sx, j0, c, r.vec);
			ld_chunk(t, sy, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				const int j = j0 + k;
				const double tj = j < c ? tau(r, j, t[k], u, b) : 0.0;
				if (tj != 0) smp += tj * (md - (double)v[k]);
				o[k] = A * exp(v[k] - m) - (real)(r.gs * tj);
			}
			if (grad) st_chunk(r.gx, o, j0, c, r.vec);
		}
		L = T * sm.logS + grp_sum(g, smp, red);
		d = 1;
	}
};
ROW_KERNELS(cross_entropy_probs, L_cross_entropy_probs)

// nll on log-probabilities X: L = −w_y·x_y, ∂L/∂x_j = −w_y·[j = y], d = w_y; an ignored row
// gives 0 and a zero gradient. Mirrors cpuref.nll.
struct L_nll {
	static constexpr int NSTAGE = 0;
	__device__ L_nll(const double*) {}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double*, double& L, double& d) const {
		const i64 c = r.c, y = r.label;
		if (y == r.ignore || y < 0 || y >= c) {
			const bool bad = y != r.ignore;
			if (MODE > 0 && r.gx) row_fill(g, r.gx, c, bad ? RNAN : R(0), r.vec);
			L = d = bad ? CUDART_NAN : 0.0;
			return;
		}
		const double wy = r.cw ? (double)r.cw[y] : 1.0;
		L = -wy * (double)r.x[y];
		d = wy;
		if (MODE > 0 && r.gx) {
			grp_sync(g);  // every thread has read x_y before the gradient overwrites it in place
			const real gy = (real)(r.gs * -wy);
			for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
				real o[VN];
#pragma unroll
				for (int k = 0; k < VN; ++k) o[k] = j0 + k == y ? gy : R(0);
				st_chunk(r.gx, o, j0, c, r.vec);
			}
		}
	}
};
ROW_KERNELS(nll, L_nll)
