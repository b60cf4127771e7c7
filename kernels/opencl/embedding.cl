// embedding.cl: embedding losses over N embeddings of D = C coordinates. triplet is a row
// loss (ROW_KERNEL, common.cl); info_nce couples every query with every key and has its own
// kernels, run in this order by device/opencl:
//   info_nce_prep            normalise q and k into scratch rows (and keep their norms)
//   info_nce_lse (columns)   c_j = lse_i(s_ij), symmetric only
//   info_nce_fwd / _fwd_bwd  per query row: r_i = lse_j(s_ij), L_i, sums, ∂F/∂q
//   info_nce_cols            per key row: ∂F/∂k (when wanted)
// Mirrors cpuref/embedding.go.

// pair_dist returns ‖u − v + eps‖_p, PyTorch's pairwise_distance, as
// m·(Σ_j (|w_j|/m)^p)^(1/p) with m = max_j |w_j| (Σ_j |w_j| for p = 1); 0 when every w_j is 0.
static inline acc pair_dist(__global const real *u, __global const real *v, const ulong C, const acc p, const real eps) {
	if (p == 1) {
		accum8 s = acc8_zero();
		ROW_FOR(j, C) {
			const uint rm = ROW_M(j, C);
			acc8_add(&s, select(V(0), fabs(ld8(u, j, rm) - ld8(v, j, rm) + eps), HEAD(rm)));
		}
		return acc_value(acc8_sum(s));
	}
	real8 m8 = V(0);
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		m8 = maxn(m8, select(V(0), fabs(ld8(u, j, rm) - ld8(v, j, rm) + eps), HEAD(rm)));
	}
	real mv[8];
	vstore8(m8, 0, mv);
	real m = 0;
	for (int k = 0; k < 8; k++)
		m = isnan(mv[k]) ? mv[k] : (isnan(m) ? m : fmax(m, mv[k]));
	if (m == 0 || isinf(m) || isnan(m))
		return m;
	accum8 s = acc8_zero();
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 t = fabs(ld8(u, j, rm) - ld8(v, j, rm) + eps) / m;
		acc8_add(&s, select(V(0), p == 2 ? t * t : pow(t, V((real)p)), HEAD(rm)));
	}
	const acc sv = acc_value(acc8_sum(s));
	return p == 2 ? (acc)m * sqrt(sv) : (acc)m * pow(sv, 1 / p);
}

// pd_grad returns ∂‖w‖_p/∂w_j of eight coordinates w of a distance dd: sign(w)(|w|/dd)^(p−1)
// (w/dd for p = 2, sign(w) for p = 1), 0 where w = 0 or dd = 0.
static inline real8 pd_grad(const real8 w, const real dd, const acc p) {
	if (dd == 0)
		return V(0);
	real8 r;
	if (p == 1)
		r = copysign(V(1), w);
	else if (p == 2)
		r = w / dd;
	else
		r = copysign(pow(fabs(w) / dd, V((real)(p - 1))), w);
	return select(r, V(0), w == 0);
}

// triplet (PyTorch triplet_margin_loss), anchors x, positives y, negatives z; P.s0 = margin,
// P.s1 = p, P.s2 = eps, P.s3 = swap:
//   d⁺ = ‖a − p + eps‖, d⁻ = ‖a − n + eps‖ (swap: min(d⁻, ‖p − n + eps‖)), L = max(d⁺ − d⁻ + m, 0)
// with the gradients of cpuref.triplet (the hinge passes where d⁺ − d⁻ + m ≥ 0; a swap tie
// splits in halves). d = 1.
ROW_FN(triplet_row) {
	const acc margin = P.s0, deg = P.s1;
	const real eps = P.s2;
	const int swap = P.s3 != 0;
	const acc dpos = pair_dist(x, y, C, deg, eps);
	const acc dn = pair_dist(x, z, C, deg, eps);
	acc wn = 1, ws = 0, dneg = dn, ds = 0;
	if (swap) {
		ds = pair_dist(y, z, C, deg, eps);
		if (ds < dn) {
			wn = 0;
			ws = 1;
			dneg = ds;
		} else if (ds == dn) {
			wn = 0.5;
			ws = 0.5;
		}
	}
	const acc hh = dpos - dneg + margin;
	const acc L = isnan(hh) ? hh : fmax(hh, (acc)0);
	*d = 1;
	if (!gx && !gy && !gz)
		return L;
	const int active = hh >= 0;
	const real rdp = (real)dpos, rdn = (real)dn, rds = (real)ds, rwn = (real)wn, rws = (real)ws;
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		real8 ga = V(0), gp = V(0), gn = V(0);
		if (active) {
			const real8 a8 = ld8(x, j, rm), p8 = ld8(y, j, rm), n8 = ld8(z, j, rm);
			const real8 up = pd_grad(a8 - p8 + eps, rdp, deg);
			const real8 un = pd_grad(a8 - n8 + eps, rdn, deg);
			const real8 us = ws != 0 ? pd_grad(p8 - n8 + eps, rds, deg) : V(0);
			ga = up - rwn * un;
			gp = -up - rws * us;
			gn = rwn * un + rws * us;
		}
		if (gx)
			st8(g * ga, gx, j, rm);
		if (gy)
			st8(g * gp, gy, j, rm);
		if (gz)
			st8(g * gn, gz, j, rm);
	}
	return L;
}
DEFINE_ROW(triplet)

// ---- info_nce ----

// hsum8 adds the lanes of v in a fixed order.
static inline acc hsum8(const acc8 v) {
	return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
}

// nce_dot returns Σ_j u_j·v_j over D coordinates: eight lane sums in acc precision, then
// the lanes in a fixed order.
static inline acc nce_dot(__global const real *u, __global const real *v, const ulong D) {
	accum8 s = acc8_zero();
	ROW_FOR(j, D) {
		const uint rm = ROW_M(j, D);
		acc8_add(&s, ld8(u, j, rm) * ld8(v, j, rm));
	}
	return hsum8(acc8_value(s));
}

// nce_sims8 returns the similarities a·B_j/τ of the m ≤ 8 rows j0 .. j0+m−1 of B (lanes
// ≥ m: −Inf): eight dot products at once, a's coordinates loaded once for all eight.
static inline acc8 nce_sims8(__global const real *a, __global const real *B, const ulong j0, const uint m,
                             const ulong D, const acc tau) {
	acc8 sk[8];
	for (uint k = 0; k < 8; k++)
		sk[k] = (acc8)(0);
	__global const real *b = B + j0 * D;
	ROW_FOR(j, D) {
		const uint rm = ROW_M(j, D);
		const real8 a8 = ld8(a, j, rm);
		if (m == 8 && rm == 8) { // the common case, unrolled: eight independent sums
#pragma unroll
			for (uint k = 0; k < 8; k++)
				sk[k] += to_acc8(a8 * vload8(0, b + k * D + j));
		} else {
			for (uint k = 0; k < m; k++)
				sk[k] += to_acc8(a8 * ld8(b + k * D, j, rm));
		}
	}
	acc t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? hsum8(sk[k]) / tau : -INFINITY;
	return vload8(0, t);
}

// lda8 loads p[i .. i+m) of an accumulator array (missing lanes 0); ldw8 loads sample
// weights (1 without).
static inline acc8 lda8(__global const acc *p, const ulong i, const uint m) {
	acc t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = k < m ? p[i + k] : 0;
	return vload8(0, t);
}

static inline acc8 ldw8(__global const real *W, const ulong i, const uint m) {
	return W ? to_acc8(ld8(W, i, m)) : (acc8)(1);
}

// delta8 is 1 in the lane of the block starting at j0 that holds index i, 0 elsewhere.
static inline acc8 delta8(const ulong i, const ulong j0) {
	acc t[8];
	for (uint k = 0; k < 8; k++)
		t[k] = j0 + k == i ? 1 : 0;
	return vload8(0, t);
}

// info_nce_prep writes QH = q/max(‖q‖₂, 1e-12) and KH likewise (copies without normalize),
// and the norms QN, KN (0 without normalize), for n rows of D.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void info_nce_prep(
    const ulong n, const ulong D, const ulong per, __global const real *X, __global const real *Y, const int normalize,
    __global real *QH, __global real *KH, __global acc *QN, __global acc *KN) {
	FOR_ITEMS(r, n, per, 1) {
		for (int side = 0; side < 2; side++) {
			__global const real *src = (side ? Y : X) + r * D;
			__global real *dst = (side ? KH : QH) + r * D;
			acc nrm = 0;
			real den = 1;
			if (normalize) {
				nrm = sqrt(nce_dot(src, src, D));
				den = (real)fmax(nrm, (acc)1e-12);
			}
			// Divide, as cpuref does: with D = 1, q/|q| is ±1 exactly and the gradient
			// through the normalisation exactly 0.
			ROW_FOR(j, D) {
				const uint rm = ROW_M(j, D);
				st8(ld8(src, j, rm) / den, dst, j, rm);
			}
			(side ? KN : QN)[r] = nrm;
		}
	}
}

// nce_lse returns lse over the n similarities of row i of A against every row of B
// (s_ij = Â_i·B̂_j/τ), in one online pass over blocks of eight; an infinite maximum is
// returned as is.
static inline acc nce_lse(__global const real *A, __global const real *B, const ulong n, const ulong D,
                          const ulong i, const acc tau) {
	acc m = -INFINITY, s = 0;
	__global const real *a = A + i * D;
	for (ulong j0 = 0; j0 < n; j0 += 8) {
		const acc8 v = nce_sims8(a, B, j0, (uint)min((ulong)8, n - j0), D, tau);
		const acc4 h4 = fmax(v.lo, v.hi);
		const acc2 h2 = fmax(h4.lo, h4.hi);
		const acc mb = fmax(h2.lo, h2.hi);
		if (mb > m) {
			s *= exp(m - mb);
			m = mb;
		}
		if (m != -INFINITY)
			s += hsum8(exp(v - m));
	}
	return isinf(m) ? m : m + log(s);
}

// info_nce_lse writes LSE[i] = lse_j(s_ij) (byrow) or lse_j(s_ji) for the n rows or columns.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void info_nce_lse(
    const ulong n, const ulong D, const ulong per, __global const real *QH, __global const real *KH, const real8 P,
    const int byrow, __global acc *LSE) {
	FOR_ITEMS(i, n, per, 1) {
		LSE[i] = byrow ? nce_lse(QH, KH, n, D, i, P.s0) : nce_lse(KH, QH, n, D, i, P.s0);
	}
}

// nce_axpy adds a·v to the accumulator row G of D values; nce_zero clears it.
static inline void nce_axpy(__global acc *G, const acc a, __global const real *v, const ulong D) {
	ROW_FOR(j, D) {
		const uint rm = ROW_M(j, D);
		if (rm == 8) {
			vstore8(vload8(0, G + j) + a * to_acc8(vload8(0, v + j)), 0, G + j);
		} else {
			for (uint k = 0; k < rm; k++)
				G[j + k] += a * (acc)v[j + k];
		}
	}
}

// nce_axpy8 adds Σ_k a_k·B_k over the m ≤ 8 rows of D values starting at B to the
// accumulator row G (nce_axpy row by row, each G block loaded and stored once).
static inline void nce_axpy8(__global acc *G, const acc8 a, __global const real *B, const uint m, const ulong D) {
	if (m < 8) {
		acc t[8];
		vstore8(a, 0, t);
		for (uint k = 0; k < m; k++)
			nce_axpy(G, t[k], B + k * D, D);
		return;
	}
	ROW_FOR(j, D) {
		const uint rm = ROW_M(j, D);
		if (rm < 8) {
			for (uint c = 0; c < rm; c++) {
				acc g = G[j + c];
				g += a.s0 * (acc)B[j + c];
				g += a.s1 * (acc)B[D + j + c];
				g += a.s2 * (acc)B[2 * D + j + c];
				g += a.s3 * (acc)B[3 * D + j + c];
				g += a.s4 * (acc)B[4 * D + j + c];
				g += a.s5 * (acc)B[5 * D + j + c];
				g += a.s6 * (acc)B[6 * D + j + c];
				g += a.s7 * (acc)B[7 * D + j + c];
				G[j + c] = g;
			}
			continue;
		}
		acc8 g = vload8(0, G + j);
		g += a.s0 * to_acc8(vload8(0, B + j));
		g += a.s1 * to_acc8(vload8(0, B + D + j));
		g += a.s2 * to_acc8(vload8(0, B + 2 * D + j));
		g += a.s3 * to_acc8(vload8(0, B + 3 * D + j));
		g += a.s4 * to_acc8(vload8(0, B + 4 * D + j));
		g += a.s5 * to_acc8(vload8(0, B + 5 * D + j));
		g += a.s6 * to_acc8(vload8(0, B + 6 * D + j));
		g += a.s7 * to_acc8(vload8(0, B + 7 * D + j));
		vstore8(g, 0, G + j);
	}
}

static inline void nce_zero(__global acc *G, const ulong D) {
	for (ulong j = 0; j < D; j++)
		G[j] = 0;
}

// nce_norm_grad turns the accumulated G = τ·∂F/∂x̂ (row of D, acc) into dst = scale·∂F/∂x
// through x̂ = x/max(‖x‖, 1e-12) (normalize), as cpuref.nceNormGrad.
static inline void nce_norm_grad(__global real *dst, __global acc *G, __global const real *xh, const acc nrm,
                                 const int normalize, const acc scale, const ulong D) {
	acc c = 0, div = 1;
	if (normalize) {
		if (nrm >= 1e-12) {
			for (ulong j = 0; j < D; j++)
				c += (acc)xh[j] * G[j];
			div = nrm;
		} else {
			div = 1e-12;
		}
	}
	for (ulong j = 0; j < D; j++)
		dst[j] = (real)(scale * ((G[j] - (acc)xh[j] * c) / div));
}

// nce_grad_s8 is ∂F/∂s_ij for eight similarities v, with r_i, c_j, the weights w_i, w_j and
// the Kronecker δ_ij per lane: w_i(e^{v − r_i} − δ) (symmetric: half that plus
// ½w_j(e^{v − c_j} − δ)).
static inline acc8 nce_grad_s8(const acc8 v, const acc8 delta, const acc8 ri, const acc8 cj, const acc8 wi,
                               const acc8 wj, const int sym) {
	acc8 g = wi * (exp(v - ri) - delta);
	if (sym)
		g = (acc)0.5 * g + (acc)0.5 * wj * (exp(v - cj) - delta);
	return g;
}

// INFO_NCE_ROWS: per query row i: r_i (stored in LSER), L_i = r_i − s_ii (symmetric:
// ½(r_i − s_ii + c_i − s_ii)), PS = w_i·L_i, sums [Σ w·L, Σ w, 0]; with MODE 1 and GX, the
// query gradient Σ_j ∂F/∂s_ij·k̂_j through the scratch rows G (n×D acc).
#define INFO_NCE_ROWS(NAME, MODE)                                                                                \
	__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void NAME(                                         \
	    const ulong n, const ulong D, const ulong per, __global const real *QH, __global const real *KH,        \
	    __global const acc *QN, __global const real *W, const real8 P, __global const acc *LSEC,                \
	    __global acc *LSER, const real scale, __global real *PS, __global real *GX, __global acc *G,            \
	    __global acc *part) {                                                                                   \
		__local accum scratch[WG];                                                                              \
		const acc tau = P.s0;                                                                                   \
		const int normalize = P.s1 != 0, sym = P.s2 != 0;                                                       \
		accum a0 = acc_zero(), a1 = acc_zero();                                                                 \
		FOR_ITEMS(i, n, per, 1) {                                                                               \
			__global const real *qi = QH + i * D;                                                               \
			const acc lr = nce_lse(QH, KH, n, D, i, tau);                                                       \
			LSER[i] = lr;                                                                                       \
			const acc sii = nce_dot(qi, KH + i * D, D) / tau;                                                   \
			const acc l = sym ? (acc)0.5 * (lr - sii + LSEC[i] - sii) : lr - sii;                               \
			const acc wi = W ? (acc)W[i] : 1;                                                                   \
			const acc wl = wi * l;                                                                              \
			if (PS)                                                                                             \
				PS[i] = (real)wl;                                                                               \
			acc_add(&a0, wl);                                                                                   \
			acc_add(&a1, wi);                                                                                   \
			if (MODE && GX) {                                                                                   \
				__global acc *gi = G + i * D;                                                                   \
				nce_zero(gi, D);                                                                                \
				for (ulong j0 = 0; j0 < n; j0 += 8) {                                                           \
					const uint bm = (uint)min((ulong)8, n - j0);                                                \
					const acc8 v = nce_sims8(qi, KH, j0, bm, D, tau);                                           \
					const acc8 gs = nce_grad_s8(v, delta8(i, j0), (acc8)(lr), sym ? lda8(LSEC, j0, bm) : (acc8)(0), \
					                            (acc8)(wi), ldw8(W, j0, bm), sym);                              \
					nce_axpy8(gi, gs, KH + j0 * D, bm, D);                                                      \
				}                                                                                               \
				nce_norm_grad(GX + i * D, gi, qi, QN[i], normalize, (acc)scale / tau, D);                       \
			}                                                                                                   \
		}                                                                                                       \
		loss_store(scratch, a0, a1, 0, part);                                                                   \
	}

INFO_NCE_ROWS(info_nce_fwd, 0)
INFO_NCE_ROWS(info_nce_fwd_bwd, 1)

// info_nce_cols writes the key gradient GY: per key row j, Σ_i ∂F/∂s_ij·q̂_i through the
// normalisation of k_j, with r_i from LSER and c_j from LSEC.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void info_nce_cols(
    const ulong n, const ulong D, const ulong per, __global const real *QH, __global const real *KH,
    __global const acc *KN, __global const real *W, const real8 P, __global const acc *LSEC,
    __global const acc *LSER, const real scale, __global real *GY, __global acc *G) {
	const acc tau = P.s0;
	const int normalize = P.s1 != 0, sym = P.s2 != 0;
	FOR_ITEMS(j, n, per, 1) {
		__global const real *kj = KH + j * D;
		__global acc *gj = G + j * D;
		const acc wj = W ? (acc)W[j] : 1;
		const acc cj = sym ? LSEC[j] : 0;
		nce_zero(gj, D);
		for (ulong i0 = 0; i0 < n; i0 += 8) {
			const uint bm = (uint)min((ulong)8, n - i0);
			const acc8 v = nce_sims8(kj, QH, i0, bm, D, tau);
			const acc8 gs = nce_grad_s8(v, delta8(j, i0), lda8(LSER, i0, bm), (acc8)(cj), ldw8(W, i0, bm), (acc8)(wj), sym);
			nce_axpy8(gj, gs, QH + i0 * D, bm, D);
		}
		nce_norm_grad(GY + j * D, gj, kj, KN[j], normalize, (acc)scale / tau, D);
	}
}
