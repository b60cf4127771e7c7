// multiclass.cu: the multi-class margin loss and CORN for ordinal labels, row losses over N rows
// of C scores (logits). Each loss mirrors the function of the same name in
// cpuref/multiclass.go; launch shape, weights and sums: row_body in gloss.cuh. Both read each
// row once. Entry points: <stem>_fwd, <stem>_fwd_bwd.

#include "gloss.cuh"

// multi_margin, P[0] = power p ∈ {1, 2}, P[1] = margin μ, z_c = μ − x_y + x_c:
//
//	L = (w_y/C)·Σ_{c≠y} max(0, z_c)^p
//	∂L/∂x_c = (w_y/C)·p·z_c^{p−1}·[z_c > 0] (c ≠ y),  ∂L/∂x_y = −Σ_{c≠y} ∂L/∂x_c,  d = w_y
//
// The gradient of the other classes is written in the one pass; ∂L/∂x_y after the group's sum
// (x_y is read by every thread before any gradient is written). Mirrors cpuref.multiMargin.
struct L_multi_margin {
	static constexpr int NSTAGE = 0;
	bool sq;
	real mu;
	__device__ L_multi_margin(const double* P) : sq(P[0] == 2), mu((real)P[1]) {}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 c = r.c, y = r.label;
		if (y == r.ignore || y < 0 || y >= c) {
			const bool bad = y != r.ignore;
			if (MODE > 0 && r.gx) row_fill(g, r.gx, c, bad ? RNAN : R(0), r.vec);
			L = d = bad ? CUDART_NAN : 0.0;
			return;
		}
		const double wy = r.cw ? (double)r.cw[y] : 1.0;
		const double f = wy / (double)c;
		const real fr = (real)f;
		const real thr = mu - r.x[y];
		double part[2] = {0, 0};  // Σ max(0, z)^p, Σ of the gradients of the classes c ≠ y
		grp_sync(g);              // x_y is read everywhere before the first gradient store
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real v[VN], o[VN];
			ld_chunk(v, r.x, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				const i64 j = j0 + k;
				o[k] = 0;
				if (j >= c || j == y) continue;
				real z = gmax(thr + v[k], R(0));
				if (sq) {
					part[0] += (double)(z * z);
					z *= R(2) * fr;
				} else {
					part[0] += (double)z;
					if (z > 0) z = fr;
				}
				o[k] = z;
				part[1] += (double)z;
			}
			if (MODE > 0 && r.gx) {  // position y gets 0 here and its value after the sum
				const real gsr = (real)r.gs;
#pragma unroll
				for (int k = 0; k < VN; ++k) o[k] *= gsr;
				st_chunk(r.gx, o, j0, c, r.vec);
			}
		}
		grp_sum_v<2>(g, part, red);
		if (MODE > 0 && r.gx && g.lane == 0) r.gx[y] = (real)(r.gs * -part[1]);
		L = f * part[0];
		d = wy;
	}
};
ROW_KERNELS(multi_margin, L_multi_margin)

// corn (coral-pytorch corn_loss) on C = K−1 task logits, rank y ∈ [0, C]:
//
//	L = Σ_{k < min(y, C)} softplus(−x_k) + [y < C]·softplus(x_y)
//	∂L/∂x_k = σ(x_k) − 1 (k < y),  σ(x_y) (k = y < C),  0 (k > y),  d = min(y+1, C)
//
// Each term is BCE-with-logits in its stable form. Mirrors cpuref.corn.
struct L_corn {
	static constexpr int NSTAGE = 0;
	__device__ L_corn(const double*) {}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 c = r.c, y = r.label;
		const i64 pos = y < c ? y : c;  // tasks with label 1: k ∈ [0, pos)
		const real gsr = (real)r.gs;
		double part = 0;
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real v[VN], o[VN];
			ld_chunk(v, r.x, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				const i64 j = j0 + k;
				const real x = v[k], e = exp(-fabs(x));
				real gr = 0;
				if (j < pos) {
					part += (double)(gmax(-x, R(0)) + log1p(e));
					gr = x >= 0 ? -e / (R(1) + e) : R(-1) / (R(1) + e);
				} else if (j == y && j < c) {
					part += (double)(gmax(x, R(0)) + log1p(e));
					gr = x >= 0 ? R(1) / (R(1) + e) : e / (R(1) + e);
				}
				o[k] = gr * gsr;
			}
			if (MODE > 0 && r.gx) st_chunk(r.gx, o, j0, c, r.vec);
		}
		L = grp_sum(g, part, red);
		d = (double)(y + 1 < c ? y + 1 : c);
	}
};
ROW_KERNELS(corn, L_corn)
