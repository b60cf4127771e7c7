// info_nce.cl: InfoNCE's pair loops in OpenCL C (the formulas and the order of the kernels:
// embedding.h). One work-item per row of A against every row of B, the rows of B eight at a
// time: eight dot products share each load of A's row, in eight accumulator lanes.

// nce_dot returns Σ_j u_j·v_j over D coordinates: eight lane sums, then the lanes in a fixed
// order.
FN acc hsum8(const acc8 v) {
	return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
}

FN acc nce_dot(GP(const real) u, GP(const real) v, const i64 D) {
	RACC s = racc_zero();
	for (i64 j = 0; j < D; j += 8)
		racc_add(&s, ld8(u, j, CHUNK(j, D)) * ld8(v, j, CHUNK(j, D)));
	return hsum8(select(s.s, s.s + s.c, isfinite(s.s)));
}

// nce_sims8 returns the similarities a·B_j/τ of the m ≤ 8 rows j0 .. j0+m−1 of B (lanes ≥ m:
// −Inf).
FN acc8 nce_sims8(GP(const real) a, GP(const real) B, const i64 j0, const uint m, const i64 D, const acc tau) {
	acc8 sk[8];
	for (uint k = 0; k < 8; k++)
		sk[k] = (acc8)(0);
	GP(const real) b = B + j0 * D;
	for (i64 j = 0; j < D; j += 8) {
		const uint rm = CHUNK(j, D);
		const real8 a8 = ld8(a, j, rm);
		if (m == 8 && rm == 8) { // the common case, unrolled: eight independent sums
#pragma unroll
			for (uint k = 0; k < 8; k++)
				sk[k] += to_va(a8 * vload8(0, b + k * D + j));
		} else {
			for (uint k = 0; k < m; k++)
				sk[k] += to_va(a8 * ld8(b + k * D, j, rm));
		}
	}
	acc t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? hsum8(sk[k]) / tau : -INFINITY;
	return vload8(0, t);
}

// lda8 loads p[i .. i+m) of an accumulator array (missing lanes 0); ldw8 loads sample weights
// (1 without).
FN acc8 lda8(GP(const acc) p, const i64 i, const uint m) {
	acc t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? p[i + k] : 0;
	return vload8(0, t);
}

FN acc8 ldw8(GP(const real) W, const i64 i, const uint m) {
	return W ? to_va(ld8(W, i, m)) : (acc8)(1);
}

// nce_axpy8 adds Σ_k a_k·B_k over the m ≤ 8 rows of d values starting at B to the accumulator
// row G, each block of G loaded and stored once for all eight.
FN void nce_axpy8(GP(acc) G, const acc8 a, GP(const real) B, const uint m, const i64 d) {
	acc t[8];
	vstore8(a, 0, t);
	for (i64 j = 0; j < d; j += 8) {
		const uint rm = CHUNK(j, d);
		if (m < 8 || rm < 8) {
			for (uint c = 0; c < rm; c++) {
				acc g = G[j + c];
				for (uint k = 0; k < m; k++)
					g += t[k] * (acc)B[k * d + j + c];
				G[j + c] = g;
			}
			continue;
		}
		acc8 g = vload8(0, G + j);
		g += a.s0 * to_va(vload8(0, B + j));
		g += a.s1 * to_va(vload8(0, B + d + j));
		g += a.s2 * to_va(vload8(0, B + 2 * d + j));
		g += a.s3 * to_va(vload8(0, B + 3 * d + j));
		g += a.s4 * to_va(vload8(0, B + 4 * d + j));
		g += a.s5 * to_va(vload8(0, B + 5 * d + j));
		g += a.s6 * to_va(vload8(0, B + 6 * d + j));
		g += a.s7 * to_va(vload8(0, B + 7 * d + j));
		vstore8(g, 0, G + j);
	}
}

// info_nce_prep writes QH = q/max(‖q‖₂, 1e-12) and KH likewise (copies without normalize), and
// the norms QN, KN (0 without normalize), for n rows of d. It divides, as cpuref does: with
// d = 1, q/|q| is ±1 exactly and the gradient through the normalisation exactly 0.
KERNEL void info_nce_prep(GP(const real) X, GP(const real) Y, GP(real) QH, GP(real) KH, GP(acc) QN, GP(acc) KN,
                          const i64 n, const i64 d, const i64 normalize, const i64 geo, const i64 flags) {
	FLAT_FOR(r, n, 1) {
		for (int side = 0; side < 2; side++) {
			GP(const real) src = (side ? Y : X) + r * d;
			GP(real) dst = (side ? KH : QH) + r * d;
			const acc nrm = normalize ? sqrt(nce_dot(src, src, d)) : 0;
			const real den = normalize ? (real)fmax(nrm, (acc)1e-12) : 1;
			for (i64 j = 0; j < d; j += 8)
				st8(ld8(src, j, CHUNK(j, d)) / den, dst, j, CHUNK(j, d));
			(side ? KN : QN)[r] = nrm;
		}
	}
}

// info_nce_fwd writes LSE[i] = lse_j(A_i·B_j/τ) for the n rows of A (an infinite maximum as it
// is), in one online pass over blocks of eight; with mode 1 or 2 also L_i (nce_loss, LSEO[i]
// the other direction's), PS[i] = w_i·L_i and the sums [Σ w·L, Σ w, 0].
KERNEL void info_nce_fwd(GP(const real) A, GP(const real) B, GP(acc) LSE, GP(const acc) LSEO, GP(const real) W,
                         GP(real) PS, GP(acc) part, const i64 n, const i64 d, const ARG_REAL tau, const i64 mode,
                         const i64 geo, const i64 flags) {
	GROUP_LOCALS;
	ACCUM a[3] = {accum_zero(), accum_zero(), accum_zero()};
	FLAT_FOR(i, n, 1) {
		GP(const real) ai = A + i * d;
		acc m = -INFINITY, s = 0, sii = 0;
		for (i64 j0 = 0; j0 < n; j0 += 8) {
			const acc8 v = nce_sims8(ai, B, j0, CHUNK(j0, n), d, tau);
			const acc mb = fmax(fmax(fmax(v.s0, v.s1), fmax(v.s2, v.s3)), fmax(fmax(v.s4, v.s5), fmax(v.s6, v.s7)));
			if (mb > m) {
				s *= exp(m - mb);
				m = mb;
			}
			if (m != -INFINITY)
				s += hsum8(exp(v - m));
			if (i >= j0 && i < j0 + 8) {
				acc t[8];
				vstore8(v, 0, t);
				sii = t[i - j0];
			}
		}
		const acc lse = isinf(m) ? m : m + log(s);
		LSE[i] = lse;
		if (mode) {
			const acc wi = W ? (acc)W[i] : 1, wl = wi * nce_loss(lse, sii, mode == 2 ? LSEO[i] : 0, mode);
			if (PS)
				PS[i] = (real)wl;
			accum_add(&a[0], wl);
			accum_add(&a[1], wi);
		}
	}
	group_partials(a, 3, part);
}

// info_nce_grad writes, for each row i of A, OUT_i = scale/τ·∂F/∂a_i: G_i = Σ_j γ_ij·B_j over
// blocks of eight keys (G: n×d accumulator scratch), then through the normalisation of a_i.
KERNEL void info_nce_grad(GP(const real) A, GP(const real) B, GP(const acc) LSEA, GP(const acc) LSEB,
                          GP(const real) W, GP(const acc) NRM, GP(acc) G, GP(real) OUT, GP(const acc) scale_ptr,
                          const ARG_REAL scale, const i64 n, const i64 d, const ARG_REAL tau, const ARG_REAL alpha,
                          const ARG_REAL beta, const i64 normalize, const i64 geo, const i64 flags) {
	const acc sc = (acc)loss_scale(scale, scale_ptr) / tau;
	FLAT_FOR(i, n, 1) {
		GP(const real) ai = A + i * d;
		GP(acc) gi = G + i * d;
		const acc wi = W ? (acc)W[i] : 1, la = alpha != 0 ? LSEA[i] : 0;
		for (i64 t = 0; t < d; t++)
			gi[t] = 0;
		for (i64 j0 = 0; j0 < n; j0 += 8) {
			const uint bm = CHUNK(j0, n);
			const acc8 v = nce_sims8(ai, B, j0, bm, d, tau);
			acc dl[8];
			for (int k = 0; k < 8; k++)
				dl[k] = j0 + k == i ? 1 : 0;
			const acc8 lb = beta != 0 ? lda8(LSEB, j0, bm) : (acc8)(0);
			nce_axpy8(gi, NCE_GAMMA(v, vload8(0, dl), la, lb, wi, ldw8(W, j0, bm), (acc)alpha, (acc)beta, (acc8)(0)),
			          B + j0 * d, bm, d);
		}
		int project;
		const acc div = nce_norm_div(NRM[i], normalize, &project);
		acc cdot = 0;
		if (project)
			for (i64 t = 0; t < d; t++)
				cdot += (acc)ai[t] * gi[t];
		for (i64 t = 0; t < d; t++)
			OUT[i * d + t] = (real)(sc * ((gi[t] - (acc)ai[t] * cdot) / div));
	}
}
