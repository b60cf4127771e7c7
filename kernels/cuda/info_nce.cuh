// info_nce.cuh: InfoNCE's pair loops in CUDA (the formulas and the order of the kernels:
// embedding.h). One block per row of A (rows round-robin over the grid); its warps take the
// rows of B in turn, each similarity a dot product by one warp in a fixed order, so s_ij has
// the same bits in every pass.

// warp_dot returns Σ_t a_t·b_t over d coordinates, lane l taking t ≡ l (mod 32), then the xor
// butterfly: every lane gets the same bits.
FN double warp_dot(const real* a, const real* b, const i64 d, const int lane) {
	double s = 0;
	for (i64 t = lane; t < d; t += 32) s += (double)a[t] * (double)b[t];
	for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(FULL_MASK, s, o);
	return s;
}

// The online log-sum-exp of gloss's softmax: the state (m, r) of a set of values is its
// maximum m and r = Σ_j e^{x_j − m} − 1 (the empty set is (−Inf, −1)); lse_merge combines two
// states symmetrically, so every lane of a butterfly gets the same result.
FN void lse_push(const double x, double& m, double& r) {
	if (x > m) {
		r = (r + 1) * exp(m - x);
		m = x;
	} else if (x != -INFINITY) {
		r += exp(x - m);
	}
}
FN void lse_merge(double& m, double& r, double m2, double r2) {
	if (m2 > m) {
		double t = m;
		m = m2, m2 = t;
		t = r, r = r2, r2 = t;
	}
	if (m2 == -INFINITY) {  // the other is empty or all −Inf: it adds nothing but a NaN
		if (r2 != r2) r = r2;
		return;
	}
	r = m2 == m ? (r + r2) + 1 : r + (r2 + 1) * exp(m2 - m);
}

// info_nce_prep writes QH = q/max(‖q‖₂, 1e-12) and KH likewise (copies without normalize), and
// the norms QN, KN (0 without normalize), for n rows of d; every input is read here, before any
// gradient is written, so GX may be X.
KERNEL void __launch_bounds__(GLOSS_BLOCK) info_nce_prep(const real* X, const real* Y, real* QH, real* KH, double* QN,
                                                        double* KN, const i64 n, const i64 d, const i64 normalize,
                                                        const i64 geo, const i64 flags) {
	double* red = block_red();
	const Grp b = block_grp();
	for (i64 i = blockIdx.x; i < n; i += gridDim.x)
		for (int side = 0; side < 2; ++side) {
			const real* src = (side ? Y : X) + i * d;
			real* dst = (side ? KH : QH) + i * d;
			double ss = 0;
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) ss += (double)src[t] * (double)src[t];
			grp_reduce(b, &ss, 1, 0, red);
			const double nrm = normalize ? sqrt(ss) : 0.0, den = normalize && nrm > 1e-12 ? nrm : (normalize ? 1e-12 : 1);
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) dst[t] = (real)((double)src[t] / den);
			if (threadIdx.x == 0) (side ? KN : QN)[i] = nrm;
		}
}

// info_nce_fwd writes LSE[i] = lse_j(A_i·B_j/τ) for the rows of A (an infinite maximum as it
// is); with mode 1 or 2 also L_i (nce_loss; LSEO the other direction's), PS[i] = w_i·L_i and the
// partials Σ w·L, Σ w, 0. Warp k of a block takes the rows j ≡ k (mod warps) of B; the warps'
// online states are merged in order.
KERNEL void __launch_bounds__(GLOSS_BLOCK) info_nce_fwd(const real* A, const real* B, double* LSE, const double* LSEO,
                                                       const real* W, real* PS, double* part, const i64 n, const i64 d,
                                                       const double tau, const i64 mode, const i64 geo, const i64 flags) {
	double* red = block_red();
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
	double a[3] = {0, 0, 0};
	for (i64 i = blockIdx.x; i < n; i += gridDim.x) {
		double m = -INFINITY, rr = -1, sii = 0;
		for (i64 j = warp; j < n; j += nw) {
			const double s = warp_dot(A + i * d, B + j * d, d, lane) / tau;
			lse_push(s, m, rr);
			if (j == i) sii = s;
		}
		// Every lane of a warp holds the same state: keep lane 0's only, so that each row of B
		// counts once in the block's merge.
		if (lane != 0) m = -INFINITY, rr = -1, sii = 0;
		for (int o = 16; o > 0; o >>= 1) lse_merge(m, rr, __shfl_xor_sync(FULL_MASK, m, o), __shfl_xor_sync(FULL_MASK, rr, o));
		__syncthreads();
		if (lane == 0) red[warp * 3] = m, red[warp * 3 + 1] = rr, red[warp * 3 + 2] = sii;
		__syncthreads();
		m = red[0], rr = red[1], sii = red[2];
		for (int w = 1; w < nw; ++w) lse_merge(m, rr, red[3 * w], red[3 * w + 1]), sii += red[3 * w + 2];
		__syncthreads();
		const double lse = isinf(m) ? m : m + log1p(rr);
		if (threadIdx.x == 0) {
			LSE[i] = lse;
			if (mode) {
				const double wi = W ? (double)W[i] : 1.0, wl = wi * nce_loss(lse, sii, mode == 2 ? LSEO[i] : 0, mode);
				if (PS) PS[i] = (real)wl;
				a[0] += wl, a[1] += wi;
			}
		}
	}
	group_partials(a, 3, part);
}

// info_nce_grad writes, for each row i of A, OUT_i = scale/τ·∂F/∂a_i: G_i = Σ_j γ_ij·B_j
// accumulated over j in increasing order in G (n·d doubles of scratch), each tile of 4·warps rows
// of B getting its γ from the warps, then through the normalisation of a_i.
KERNEL void __launch_bounds__(GLOSS_BLOCK) info_nce_grad(const real* A, const real* B, const double* LSEA,
                                                        const double* LSEB, const real* W, const double* NRM, double* G,
                                                        real* OUT, const double* scale_ptr, const double scale, const i64 n,
                                                        const i64 d, const double tau, const double alpha, const double beta,
                                                        const i64 normalize, const i64 geo, const i64 flags) {
	SHARED(double, gam, [GLOSS_BLOCK / 32 * 4]);
	double* red = block_red();
	const Grp b = block_grp();
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5, jt = nw * 4;
	const double sc = loss_scale(scale, scale_ptr) / tau;
	for (i64 i = blockIdx.x; i < n; i += gridDim.x) {
		const real* a = A + i * d;
		double* gi = G + i * d;
		const double wi = W ? (double)W[i] : 1.0, la = alpha != 0 ? LSEA[i] : 0;
		for (i64 j0 = 0; j0 < n; j0 += jt) {
			__syncthreads();  // the previous tile's γ have been used
			for (int q = 0; q < 4; ++q) {
				const int jj = warp + q * nw;
				const i64 j = j0 + jj;
				double gm = 0;
				if (j < n) {
					const double s = warp_dot(a, B + j * d, d, lane) / tau, wj = W ? (double)W[j] : 1.0;
					gm = NCE_GAMMA(s, j == i ? 1.0 : 0.0, la, beta != 0 ? LSEB[j] : 0, wi, wj, alpha, beta, 0.0);
				}
				if (lane == 0) gam[jj] = gm;
			}
			__syncthreads();
			const int jn = (int)(n - j0 < jt ? n - j0 : jt);
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) {
				double s = j0 == 0 ? 0.0 : gi[t];
				for (int jj = 0; jj < jn; ++jj) s += gam[jj] * (double)B[(j0 + jj) * d + t];
				gi[t] = s;
			}
		}
		int project;
		const double div = nce_norm_div(NRM[i], normalize, &project);
		double cd = 0;
		if (project)
			for (i64 t = threadIdx.x; t < d; t += blockDim.x) cd += (double)a[t] * gi[t];
		grp_reduce(b, &cd, 1, 0, red);  // every thread calls it: project is the same in all
		for (i64 t = threadIdx.x; t < d; t += blockDim.x) OUT[i * d + t] = (real)(sc * ((gi[t] - (double)a[t] * cd) / div));
	}
}
