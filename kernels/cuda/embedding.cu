// embedding.cu: the triplet margin loss (a row loss over N×D anchors, positives, negatives) and
// the in-batch contrastive InfoNCE loss (N queries against N keys: N²·D work). Mirrors
// cpuref/embedding.go.
//
// triplet: row_body in gloss.cuh; entry points triplet_fwd, triplet_fwd_bwd.
// info_nce: its own kernels, run by the host in this order (all with GLOSS_BLOCK threads, one
// block per row, rows round-robin over the grid):
//   info_nce_prep     q̂, k̂ (double, normalised when asked) and the norms ‖q‖, ‖k‖;
//   info_nce_fwd      with A = k̂, B = q̂ (symmetric only): the column log-sum-exps c_j;
//   info_nce_fwd      with A = q̂, B = k̂: the row log-sum-exps r_i, s_ii, the loss, the sums;
//   info_nce_fwd_bwd  with A = q̂ (GX wanted) and with A = k̂ (GY wanted): the gradients.
// The similarity matrix is never stored: every pass recomputes the dot products, each by one
// warp in a fixed order, so s_ij has the same bits in every pass.

#include "gloss.cuh"

// pair_grad is cpuref.pairDistGrad: ∂‖w‖_p/∂w_j for one coordinate w_j of a distance d:
// sign(w_j)·(|w_j|/d)^(p−1) (w_j/d for p = 2, sign(w_j) for p = 1), 0 where w_j = 0 or d = 0.
__device__ __forceinline__ double pair_grad(double wj, double d, double p) {
	if (wj == 0 || d == 0) return 0;
	if (p == 1) return copysign(1.0, wj);
	if (p == 2) return wj / d;
	return copysign(pow(fabs(wj) / d, p - 1), wj);
}

// triplet (PyTorch triplet_margin_loss), X anchors a, Y positives p, Z negatives n;
// P[0] = margin, P[1] = the norm's degree, P[2] = eps, P[3] = swap:
//
//	d⁺ = ‖a − p + eps‖,  d⁻ = ‖a − n + eps‖ (swap: min(d⁻, ‖p − n + eps‖)),  L = max(d⁺ − d⁻ + m, 0)
//
// Distances as cpuref.pairDist (scaled by the largest |w_j| so that no power overflows: one
// pass for the maximum, one for the sum; p = 1 is one pass), gradients as cpuref.triplet
// (active where d⁺ − d⁻ + m ≥ 0; a swap tie splits the gradient in halves). Per-element
// math in double. d = 1.
struct L_triplet {
	static constexpr int NSTAGE = 3;
	double margin, p, eps;
	bool swap;
	__device__ L_triplet(const double* P) : margin(P[0]), p(P[1]), eps(P[2]), swap(P[3] != 0) {}

	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 c = r.c;
		const bool p1 = p == 1;
		double v[3] = {0, 0, 0};  // per pair (a,p), (a,n), (p,n): Σ|w| (p = 1) or max |w|
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real a[VN], q[VN], n[VN];
			ld_stage(a, r.x, r.sx, j0, c, r.vec);
			ld_stage(q, r.y, r.sy, j0, c, r.vec);
			ld_stage(n, r.z, r.sz, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				if (j0 + k >= c) continue;
				const double w0 = fabs((double)a[k] - (double)q[k] + eps);
				const double w1 = fabs((double)a[k] - (double)n[k] + eps);
				const double w2 = swap ? fabs((double)q[k] - (double)n[k] + eps) : 0.0;
				if (p1) {
					v[0] += w0, v[1] += w1, v[2] += w2;
				} else {
					v[0] = gmaxd(v[0], w0), v[1] = gmaxd(v[1], w1), v[2] = gmaxd(v[2], w2);
				}
			}
		}
		double dist[3];
		if (p1) {
			grp_sum_v<3>(g, v, red);
			dist[0] = v[0], dist[1] = v[1], dist[2] = v[2];
		} else {
			grp_max_v<3>(g, v, red);
			double s[3] = {0, 0, 0};
			const real* sa = src_x(r);
			const real* sq = src_y(r);
			const real* sn = src_z(r);
			for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
				real a[VN], q[VN], n[VN];
				ld_chunk(a, sa, j0, c, r.vec);
				ld_chunk(q, sq, j0, c, r.vec);
				ld_chunk(n, sn, j0, c, r.vec);
#pragma unroll
				for (int k = 0; k < VN; ++k) {
					if (j0 + k >= c) continue;
					double w[3] = {fabs((double)a[k] - (double)q[k] + eps) / v[0], fabs((double)a[k] - (double)n[k] + eps) / v[1],
					               swap ? fabs((double)q[k] - (double)n[k] + eps) / v[2] : 0.0};
#pragma unroll
					for (int t = 0; t < 3; ++t) s[t] += p == 2 ? w[t] * w[t] : pow(w[t], p);
				}
			}
			grp_sum_v<3>(g, s, red);
#pragma unroll
			for (int t = 0; t < 3; ++t) {
				const double m = v[t];
				if (m == 0 || isinf(m) || m != m)
					dist[t] = m;
				else
					dist[t] = p == 2 ? m * sqrt(s[t]) : m * pow(s[t], 1 / p);
			}
		}
		const double dp = dist[0], dn = dist[1], ds = swap ? dist[2] : 0.0;
		double wn = 1, ws = 0, dneg = dn;
		if (swap) {
			if (ds < dn)
				wn = 0, ws = 1, dneg = ds;
			else if (ds == dn)
				wn = 0.5, ws = 0.5;
		}
		const double h = dp - dneg + margin;
		L = h != h ? h : (h > 0 ? h : 0.0);
		d = 1;
		if (MODE == 0 || (!r.gx && !r.gy && !r.gz)) return;
		const bool active = h >= 0;
		const real* sa = src_x(r);
		const real* sq = src_y(r);
		const real* sn = src_z(r);
		for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) {
			real a[VN], q[VN], n[VN], ga[VN], gp[VN], gn[VN];
			ld_chunk(a, sa, j0, c, r.vec);
			ld_chunk(q, sq, j0, c, r.vec);
			ld_chunk(n, sn, j0, c, r.vec);
#pragma unroll
			for (int k = 0; k < VN; ++k) {
				double xa = 0, xp = 0, xn = 0;
				if (active) {
					const double up = pair_grad((double)a[k] - (double)q[k] + eps, dp, p);
					const double un = pair_grad((double)a[k] - (double)n[k] + eps, dn, p);
					const double us = ws != 0 ? pair_grad((double)q[k] - (double)n[k] + eps, ds, p) : 0.0;
					xa = up - wn * un;
					xp = -up - ws * us;
					xn = wn * un + ws * us;
				}
				ga[k] = (real)(r.gs * xa), gp[k] = (real)(r.gs * xp), gn[k] = (real)(r.gs * xn);
			}
			if (r.gx) st_chunk(r.gx, ga, j0, c, r.vec);
			if (r.gy) st_chunk(r.gy, gp, j0, c, r.vec);
			if (r.gz) st_chunk(r.gz, gn, j0, c, r.vec);
		}
	}
};
ROW_KERNELS(triplet, L_triplet)

// ---------------------------------------------------------------------------------------------
// InfoNCE. s_ij = (q̂_i·k̂_j)/τ, r_i = lse_j s_ij, c_j = lse_i s_ij;
// L_i = r_i − s_ii (symmetric: ½(r_i − s_ii + c_i − s_ii)); F = Σ_i w_i·L_i.

// warp_dot returns Σ_t a_t·b_t over d coordinates, lane l taking t ≡ l (mod 32), then the xor
// butterfly: every lane gets the same bits, and warp_dot(a, b) equals warp_dot(b, a).
__device__ __forceinline__ double warp_dot(const double* a, const double* b, i64 d, int lane) {
	double s = 0;
	for (i64 t = lane; t < d; t += 32) s += a[t] * b[t];
	for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(FULL_MASK, s, o);
	return s;
}

// info_nce_prep copies X (queries) and Y (keys) into qh and kh as double, divided by
// max(‖row‖₂, 1e-12) when normalize is set (F.normalize), and writes ‖row‖₂ into qn and kn
// (0 without normalize). Mirrors cpuref.ncePrepRow. Every input is read here, before any
// gradient is written, so GX may be X.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) info_nce_prep(
    const real* X, const real* __restrict__ Y, double* __restrict__ qh, double* __restrict__ kh,
    double* __restrict__ qn, double* __restrict__ kn, i64 n, i64 d, i64 normalize) {
	__shared__ double red[32];
	const Grp b = make_grp(0);
	for (i64 i = blockIdx.x; i < n; i += gridDim.x) {
		for (int side = 0; side < 2; ++side) {
			const real* src = (side ? Y : X) + i * d;
			double* dst = (side ? kh : qh) + i * d;
			double ss = 0;
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) {
				const double v = (double)src[t];
				dst[t] = v;
				ss += v * v;
			}
			ss = grp_sum(b, ss, red);
			const double nrm = normalize ? sqrt(ss) : 0.0;
			if (normalize) {
				const double den = nrm > 1e-12 ? nrm : 1e-12;
				for (i64 t = threadIdx.x; t < d; t += blockDim.x) dst[t] /= den;
			}
			if (threadIdx.x == 0) (side ? kn : qn)[i] = nrm;
		}
	}
}

// info_nce_fwd computes, for every row i of A, lse[i] = lse_j (A_i·B_j/τ) (cpuref.logSumExp:
// ±Inf maxima are returned as they are) and, when diag is set, diag[i] = A_i·B_i/τ.
// loss_mode 1 also forms L_i = lse_i − s_ii, mode 2 the symmetric L_i = ½(lse_i − s_ii +
// lse_other_i − s_ii); then PerSample[i] = w_i·L_i and the block partials of Σ w_i·L_i and Σ w_i.
// Warp k of a block takes the keys j ≡ k (mod warps); the warps' online states are merged in
// order.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) info_nce_fwd(
    const double* __restrict__ A, const double* __restrict__ B, double* __restrict__ lse,
    double* __restrict__ diag, const double* __restrict__ lse_other, const real* __restrict__ W,
    real* __restrict__ PS, double* __restrict__ partials, i64 n, i64 d, double tau, i64 loss_mode) {
	__shared__ double red[64];
	const Grp b = make_grp(0);
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
	double acc[2] = {0, 0};
	for (i64 i = blockIdx.x; i < n; i += gridDim.x) {
		const double* a = A + i * d;
		double m = -CUDART_INF, rr = -1, sii = 0;
		for (i64 j = warp; j < n; j += nw) {
			const double s = warp_dot(a, B + j * d, d, lane) / tau;
			lse_push(s, m, rr);
			if (j == i) sii = s;
		}
		// Every lane of a warp holds the same state (warp_dot gives each lane the same bits), and
		// the block reductions combine all lanes: keep lane 0's state and s_ii only, so that each
		// key is counted once (not 32 times: lse + log 32, 32·s_ii).
		if (lane != 0) m = -CUDART_INF, rr = -1, sii = 0;
		grp_lse(b, m, rr, red);
		sii = grp_sum(b, sii, red);  // lane 0 of one warp holds s_ii, the other threads 0
		const double l = isinf(m) ? m : m + log1p(rr);
		if (threadIdx.x == 0) {
			lse[i] = l;
			if (diag) diag[i] = sii;
			if (loss_mode) {
				const double li = loss_mode == 2 ? 0.5 * (l - sii + lse_other[i] - sii) : l - sii;
				const double w = W ? (double)W[i] : 1.0;
				const double wl = w * li;
				if (PS) PS[i] = (real)wl;
				acc[0] += wl;
				acc[1] += w;
			}
		}
	}
	if (loss_mode) write_partials<2>(acc, partials, red);
}

// info_nce_fwd_bwd writes the gradient with respect to the rows of A (queries or keys):
//
//	γ_ij = α·w_i·(e^{s_ij − lseA_i} − δ_ij) + β·w_j·(e^{s_ij − lseB_j} − δ_ij),  g_i = Σ_j γ_ij·B_j
//	G_i = scale/τ·(g_i − Â_i(Â_i·g_i))/‖a_i‖  (normalize; g_i/1e-12 where ‖a_i‖ < 1e-12),  scale/τ·g_i otherwise
//
// Queries: α = 1, β = 0 (symmetric: ½, ½ with lseA = r, lseB = c); keys: α = 0, β = 1 with
// lseB = r (symmetric: ½, ½ with lseA = c, lseB = r). g_i is accumulated over j in increasing
// order in gacc (n·d doubles of scratch): each tile of 4·warps keys gets its γ from the warps,
// then every thread adds the tile to its own coordinates. Mirrors cpuref.infoNCE and
// cpuref.nceNormGrad. scale is *scale_ptr when set.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) info_nce_fwd_bwd(
    const double* __restrict__ A, const double* __restrict__ B, const double* __restrict__ lseA,
    const double* __restrict__ lseB, const real* __restrict__ W, const double* __restrict__ nrmA,
    double* __restrict__ gacc, real* G, const double* __restrict__ scale_ptr, double scale, i64 n,
    i64 d, double tau, double alpha, double beta, i64 normalize) {
	__shared__ double gam[GLOSS_BLOCK / 32 * 4];
	__shared__ double red[32];
	const Grp b = make_grp(0);
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
	const int jt = nw * 4;
	const double sc = (scale_ptr ? *scale_ptr : scale) / tau;
	for (i64 i = blockIdx.x; i < n; i += gridDim.x) {
		const double* a = A + i * d;
		double* gi = gacc + i * d;
		const double wi = W ? (double)W[i] : 1.0;
		for (i64 j0 = 0; j0 < n; j0 += jt) {
			__syncthreads();  // the previous tile's γ have been used
			for (int q = 0; q < 4; ++q) {
				const int jj = warp + q * nw;
				const i64 j = j0 + jj;
				double gm = 0;
				if (j < n) {
					const double s = warp_dot(a, B + j * d, d, lane) / tau;
					const double delta = j == i ? 1.0 : 0.0;
					if (alpha != 0) gm += alpha * wi * (exp(s - lseA[i]) - delta);
					if (beta != 0) gm += beta * (W ? (double)W[j] : 1.0) * (exp(s - lseB[j]) - delta);
				}
				if (lane == 0) gam[jj] = gm;
			}
			__syncthreads();
			const int jn = (int)(n - j0 < jt ? n - j0 : jt);
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) {
				double acc = j0 == 0 ? 0.0 : gi[t];
				for (int jj = 0; jj < jn; ++jj) acc += gam[jj] * B[(j0 + jj) * d + t];
				gi[t] = acc;
			}
		}
		const double nrm = normalize ? nrmA[i] : 0.0;
		const bool proj = normalize && nrm >= 1e-12;
		double cd = 0;
		if (proj) {
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) cd += a[t] * gi[t];
		}
		cd = grp_sum(b, cd, red);  // every thread calls it: the branch above is uniform anyway
		for (i64 t = threadIdx.x; t < d; t += blockDim.x) {
			double gv = gi[t];
			if (proj)
				gv = (gv - a[t] * cd) / nrm;
			else if (normalize)
				gv /= 1e-12;
			G[i * d + t] = (real)(sc * gv);
		}
	}
}
