// gloss.cuh: what every CUDA kernel file of gloss shares — the element type, per-element math,
// vector loads, deterministic reductions and the two launch drivers (elementwise and rowwise).
//
// Every file is compiled twice (gen.sh): with -DREAL=float into gloss_f32.fatbin and with
// -DREAL=double into gloss_f64.fatbin, with identical extern "C" symbol names.
//
// Rules every kernel follows:
//   - Every kernel parameter is 8 bytes (a pointer, long long or double): the host's launch
//     (internal/cu) passes 8 bytes for each parameter.
//   - Indices are 64-bit (i64); N·C beyond 2^31 works.
//   - Sums are accumulated in double in a fixed order: per thread over a fixed assignment of
//     elements (it depends on the grid, which the host derives from the problem size and the
//     device's SM count only), then a fixed tree per block (warp shuffles, then the warps in
//     order), written as one partial per block; reduce_finish adds the partials in block order.
//     No floating-point atomics anywhere: the same inputs on the same device give the same bits.
//   - GX may be X itself (the in-place gradient): X and GX are never __restrict__, every thread
//     reads an element before it (or its group) writes the gradient over it, and all reads of a
//     row that other threads still need happen before the group barrier that precedes the writes.
//   - No fast-math: per-element math uses the IEEE-accurate expf/logf/... (or their double
//     versions) in the element type; sums and per-row scalars are double.
//   - max/min follow Go (cpuref): a NaN operand gives NaN (gmax, gmin).
#pragma once

#include <math_constants.h>

#ifndef REAL
#error "compile with -DREAL=float or -DREAL=double"
#endif

typedef REAL real;
typedef long long i64;

// GLOSS_BLOCK is the block size of the elementwise, check and reduction kernels; the host
// (device/cuda) uses the same number. Row kernels take 32..GLOSS_MAX_BLOCK threads per block.
#define GLOSS_BLOCK 256
#define GLOSS_MAX_BLOCK 512
// GLOSS_ELEM_MINB is the elementwise kernels' minimum resident blocks per SM (their register cap:
// 80 registers for float, 128 for double, where every value takes two).
#define GLOSS_ELEM_MINB (sizeof(real) == 4 ? 3 : 2)
#define FULL_MASK 0xffffffffu

// VN is the number of elements in one 16-byte vector: float4 or double2.
#define VN ((int)(16 / sizeof(real)))

#define R(v) ((real)(v))
#define RINF ((real)CUDART_INF)
#define RNAN ((real)CUDART_NAN)

// ---------------------------------------------------------------------------------------------
// Per-element math. Overloads of exp, log, ... on float call the float versions (expf, ...).

// gmax and gmin are Go's max and min: NaN if either operand is NaN.
__device__ __forceinline__ real gmax(real a, real b) { return (a != a || a > b) ? a : b; }
__device__ __forceinline__ real gmin(real a, real b) { return (a != a || a < b) ? a : b; }
__device__ __forceinline__ double gmaxd(double a, double b) { return (a != a || a > b) ? a : b; }

// sgn is cpuref's sign: −1, +1, or v itself for ±0 and NaN.
__device__ __forceinline__ real sgn(real v) { return v > 0 ? R(1) : (v < 0 ? R(-1) : v); }

// sigmoid(x) = 1/(1 + e^{−x}) without overflow (cpuref.sigmoid).
__device__ __forceinline__ real sigmoid(real x) {
	if (x >= 0) return R(1) / (R(1) + exp(-x));
	const real e = exp(x);
	return e / (R(1) + e);
}

// logistic returns softplus(x), softplus(−x), σ(x) and σ(−x) from one exponential and one
// log1p (cpuref.logistic): with u = e^{−|x|}, softplus(±x) = max(±x, 0) + log1p(u),
// σ(|x|) = 1/(1 + u), σ(−|x|) = u/(1 + u). Nothing overflows; NaN propagates.
__device__ __forceinline__ void logistic(real x, real& sp_pos, real& sp_neg, real& s_pos, real& s_neg) {
	const real u = exp(-fabs(x)), t = log1p(u), r = R(1) / (R(1) + u);
	s_pos = r, s_neg = u * r;
	if (x < 0) s_pos = u * r, s_neg = r;
	sp_pos = gmax(x, R(0)) + t;
	sp_neg = gmax(-x, R(0)) + t;
}

// ---------------------------------------------------------------------------------------------
// 16-byte vector access (float4 / double2). Pointers must be 16-byte aligned.

__device__ __forceinline__ void vld(float (&v)[4], const float* p) {
	const float4 t = *reinterpret_cast<const float4*>(p);
	v[0] = t.x, v[1] = t.y, v[2] = t.z, v[3] = t.w;
}
__device__ __forceinline__ void vld(double (&v)[2], const double* p) {
	const double2 t = *reinterpret_cast<const double2*>(p);
	v[0] = t.x, v[1] = t.y;
}
__device__ __forceinline__ void vst(float* p, const float (&v)[4]) {
	*reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
}
__device__ __forceinline__ void vst(double* p, const double (&v)[2]) {
	*reinterpret_cast<double2*>(p) = make_double2(v[0], v[1]);
}

// ld_chunk loads elements [i0, i0+VN) of p, with 0 beyond n; one vector load when vec is set
// and the chunk is whole (the chunk starts are multiples of VN, so aligned when p is). The index
// type is i64 for flat indices and int for columns within a row.
template <class I>
__device__ __forceinline__ void ld_chunk(real (&v)[VN], const real* p, I i0, I n, bool vec) {
	if (vec && i0 + VN <= n) {
		vld(v, p + i0);
		return;
	}
#pragma unroll
	for (int k = 0; k < VN; ++k) v[k] = i0 + k < n ? p[i0 + k] : R(0);
}

// st_chunk stores elements [i0, min(i0+VN, n)) of p.
template <class I>
__device__ __forceinline__ void st_chunk(real* p, const real (&v)[VN], I i0, I n, bool vec) {
	if (vec && i0 + VN <= n) {
		vst(p + i0, v);
		return;
	}
#pragma unroll
	for (int k = 0; k < VN; ++k)
		if (i0 + k < n) p[i0 + k] = v[k];
}

// divmod splits a flat element index i into row r = i/c and column i − r·c, through a double
// reciprocal and one correction step (exact for i < 2^50), avoiding a 64-bit division.
__device__ __forceinline__ void divmod(i64 i, i64 c, double inv_c, i64& r, i64& col) {
	r = (i64)((double)i * inv_c);
	col = i - r * c;
	if (col < 0) {
		--r;
		col += c;
	} else if (col >= c) {
		++r;
		col -= c;
	}
}

// ---------------------------------------------------------------------------------------------
// Groups: the threads that share one row. A group is either a power-of-two slice of a warp
// (1..32 lanes; reductions by shuffles under the group's lane mask, so groups of one warp may
// diverge) or the whole block (reductions through shared memory and __syncthreads, so its
// control flow is uniform: every row-level branch depends on the row only).

struct Grp {
	int lane;       // index of this thread in its group
	int size;       // threads in the group
	int gib;        // index of the group in its block
	int ngb;        // groups per block
	unsigned mask;  // the group's lanes within its warp (sub-warp groups)
	bool block;     // the group is the whole block
};

// make_grp builds the group of this thread: gs = 0 for the whole block, else gs lanes (a
// power of two ≤ 32).
__device__ __forceinline__ Grp make_grp(i64 gs) {
	Grp g;
	if (gs <= 0) {
		g.lane = threadIdx.x, g.size = blockDim.x, g.gib = 0, g.ngb = 1, g.mask = FULL_MASK, g.block = true;
		return g;
	}
	const int s = (int)gs;
	g.size = s;
	g.lane = threadIdx.x & (s - 1);
	g.gib = threadIdx.x / s;
	g.ngb = blockDim.x / s;
	const int wl = threadIdx.x & 31;
	g.mask = s >= 32 ? FULL_MASK : (((1u << s) - 1u) << (wl & ~(s - 1)));
	g.block = false;
	return g;
}

// grp_sync is a barrier (with memory ordering) over the group.
__device__ __forceinline__ void grp_sync(const Grp& g) {
	if (g.block)
		__syncthreads();
	else
		__syncwarp(g.mask);
}

// grp_sum_v adds K values over the group; every thread of the group gets the same bits.
// red is shared scratch of at least 32·K doubles (used by whole-block groups only).
template <int K>
__device__ __forceinline__ void grp_sum_v(const Grp& g, double (&v)[K], double* red) {
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1)
#pragma unroll
			for (int k = 0; k < K; ++k) v[k] += __shfl_xor_sync(g.mask, v[k], o);
		__syncwarp(g.mask);
		return;
	}
#pragma unroll
	for (int k = 0; k < K; ++k)
		for (int o = 16; o > 0; o >>= 1) v[k] += __shfl_xor_sync(FULL_MASK, v[k], o);
	__syncthreads();  // red may still be read by the previous reduction
	if ((threadIdx.x & 31) == 0)
#pragma unroll
		for (int k = 0; k < K; ++k) red[(threadIdx.x >> 5) * K + k] = v[k];
	__syncthreads();
	const int nw = blockDim.x >> 5;
#pragma unroll
	for (int k = 0; k < K; ++k) {
		double t = red[k];
		for (int w = 1; w < nw; ++w) t += red[w * K + k];
		v[k] = t;
	}
}

__device__ __forceinline__ double grp_sum(const Grp& g, double v, double* red) {
	double a[1] = {v};
	grp_sum_v<1>(g, a, red);
	return a[0];
}

// grp_max_v takes Go's max (NaN wins) of K values over the group.
template <int K>
__device__ __forceinline__ void grp_max_v(const Grp& g, double (&v)[K], double* red) {
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1)
#pragma unroll
			for (int k = 0; k < K; ++k) v[k] = gmaxd(v[k], __shfl_xor_sync(g.mask, v[k], o));
		__syncwarp(g.mask);
		return;
	}
#pragma unroll
	for (int k = 0; k < K; ++k)
		for (int o = 16; o > 0; o >>= 1) v[k] = gmaxd(v[k], __shfl_xor_sync(FULL_MASK, v[k], o));
	__syncthreads();
	if ((threadIdx.x & 31) == 0)
#pragma unroll
		for (int k = 0; k < K; ++k) red[(threadIdx.x >> 5) * K + k] = v[k];
	__syncthreads();
	const int nw = blockDim.x >> 5;
#pragma unroll
	for (int k = 0; k < K; ++k) {
		double t = red[k];
		for (int w = 1; w < nw; ++w) t = gmaxd(t, red[w * K + k]);
		v[k] = t;
	}
}

// ---------------------------------------------------------------------------------------------
// Online log-sum-exp. The state (m, r) of a set of values is its maximum m and
// r = Σ_j e^{x_j − m} − 1, the sum without the maximum's own exactly-1 term (cpuref's "rest"),
// so that log S = log1p(r) keeps the tiny losses of confident rows. The empty set is
// (−Inf, −1). A NaN makes r NaN; −Inf values add nothing; m never becomes NaN.

template <class T>
__device__ __forceinline__ void lse_push(T x, T& m, T& r) {
	if (x > m) {
		r = (r + T(1)) * exp(m - x);
		m = x;
	} else if (x != -T(CUDART_INF)) {
		r += exp(x - m);
	}
}

// lse_merge combines two states; it is symmetric bit for bit (the larger maximum first; a tie
// adds the rests in a symmetric form), so every lane of a butterfly gets the same result.
template <class T>
__device__ __forceinline__ void lse_merge(T& m, T& r, T m2, T r2) {
	if (m2 > m) {
		T t = m;
		m = m2, m2 = t;
		t = r, r = r2, r2 = t;
	}
	if (m2 == -T(CUDART_INF)) {  // the other is empty or all −Inf: it adds nothing but a NaN
		if (r2 != r2) r = r2;
		return;
	}
	if (m2 == m)
		r = (r + r2) + T(1);
	else
		r = r + (r2 + T(1)) * exp(m2 - m);
}

// grp_lse combines the states of a group; every thread gets the same (m, r).
template <class T>
__device__ __forceinline__ void grp_lse(const Grp& g, T& m, T& r, double* red) {
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1) {
			const T m2 = __shfl_xor_sync(g.mask, m, o), r2 = __shfl_xor_sync(g.mask, r, o);
			lse_merge(m, r, m2, r2);
		}
		__syncwarp(g.mask);
		return;
	}
	for (int o = 16; o > 0; o >>= 1) {
		const T m2 = __shfl_xor_sync(FULL_MASK, m, o), r2 = __shfl_xor_sync(FULL_MASK, r, o);
		lse_merge(m, r, m2, r2);
	}
	__syncthreads();
	if ((threadIdx.x & 31) == 0) {
		red[(threadIdx.x >> 5) * 2] = (double)m;
		red[(threadIdx.x >> 5) * 2 + 1] = (double)r;
	}
	__syncthreads();
	const int nw = blockDim.x >> 5;
	T mm = (T)red[0], rr = (T)red[1];
	for (int w = 1; w < nw; ++w) lse_merge(mm, rr, (T)red[2 * w], (T)red[2 * w + 1]);
	m = mm, r = rr;
}

// ---------------------------------------------------------------------------------------------
// Argmax with cpuref's rule: the first index of the largest value; the first NaN wins.

__device__ __forceinline__ void amax_push(real v, i64 j, real& bv, i64& bj) {
	if (bv != bv) return;  // a NaN already won (indices arrive in increasing order)
	if (v != v || v > bv || bj < 0) bv = v, bj = j;
}

__device__ __forceinline__ void amax_merge(real& bv, i64& bj, real v2, i64 j2) {
	if (j2 < 0) return;
	if (bj < 0) {
		bv = v2, bj = j2;
		return;
	}
	const bool n1 = bv != bv, n2 = v2 != v2;
	bool take;
	if (n1 || n2)
		take = (n1 && n2) ? j2 < bj : n2;
	else
		take = v2 > bv || (v2 == bv && j2 < bj);
	if (take) bv = v2, bj = j2;
}

__device__ __forceinline__ void grp_argmax(const Grp& g, real& bv, i64& bj, double* red) {
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1) {
			const real v2 = __shfl_xor_sync(g.mask, bv, o);
			const i64 j2 = __shfl_xor_sync(g.mask, bj, o);
			amax_merge(bv, bj, v2, j2);
		}
		__syncwarp(g.mask);
		return;
	}
	for (int o = 16; o > 0; o >>= 1) {
		const real v2 = __shfl_xor_sync(FULL_MASK, bv, o);
		const i64 j2 = __shfl_xor_sync(FULL_MASK, bj, o);
		amax_merge(bv, bj, v2, j2);
	}
	__syncthreads();
	if ((threadIdx.x & 31) == 0) {
		red[(threadIdx.x >> 5) * 2] = (double)bv;
		red[(threadIdx.x >> 5) * 2 + 1] = (double)bj;
	}
	__syncthreads();
	const int nw = blockDim.x >> 5;
	real v = (real)red[0];
	i64 j = (i64)red[1];
	for (int w = 1; w < nw; ++w) amax_merge(v, j, (real)red[2 * w], (i64)red[2 * w + 1]);
	bv = v, bj = j;
}

// ---------------------------------------------------------------------------------------------
// Block partials: every thread contributes K sums (0 when it has none); thread 0 writes the
// block's K totals at partials[blockIdx.x·K + k]. Every thread of the block must call it.

template <int K>
__device__ __forceinline__ void write_partials(double (&a)[K], double* partials, double* red) {
	Grp b;
	b.lane = threadIdx.x, b.size = blockDim.x, b.gib = 0, b.ngb = 1, b.mask = FULL_MASK, b.block = true;
	grp_sum_v<K>(b, a, red);
	if (threadIdx.x == 0)
#pragma unroll
		for (int k = 0; k < K; ++k) partials[(i64)blockIdx.x * K + k] = a[k];
}

// ---------------------------------------------------------------------------------------------
// The elementwise driver (mirrors cpuref's elementwise). One term per element i of N·C:
//   PerSample[i] = s_i·L_i, GX/GY/GZ[i] = scale·s_i·∂L_i, H[i] = scale·s_i·∂²L_i/∂x_i²,
//   partials: Σ s_i·L_i and Σ s_i per block.
// s_i = W[i] (wmode 1: one weight per element), W[i/C] (wmode 2: one per row) or 1 (wmode 0).
// cw is CW[i mod C] (a per-column weight: BCEWithLogits's pos_weight) or 1.
// scale is *scale_ptr when scale_ptr is set (the Mean's scale, computed on the device by
// denom_finish), else the scale parameter.
//
// Work assignment: the N·C elements are cut into 16-byte chunks of VN elements; thread k of
// block b takes chunks b·GLOSS_BLOCK + k, then every gridDim.x·GLOSS_BLOCK, and adds its
// elements in that order. Chunks are loaded with one vector load when vec_ok (every pointer
// 16-byte aligned) and element by element otherwise, in the same order, so alignment never
// changes which thread adds which element.
//
// An op is a struct with a constructor from the 8 parameters and
//   template <int MODE> void eval(x, y, z, cw, L, gx, gy, gz, h) const
// (MODE 0: L only; 1: L and gradients; 2: also h), and the compile-time flags USES_Y, USES_Z,
// USES_CW, HAS_GY, HAS_GZ.

#define ELEM_PARAMS                                                                                \
	const real *X, const real *__restrict__ Y, const real *__restrict__ Z,                         \
	    const real *__restrict__ W, const real *__restrict__ CW, real *__restrict__ PS, real *GX, \
	    real *__restrict__ GY, real *__restrict__ GZ, real *__restrict__ H,                       \
	    double *__restrict__ partials, const double *__restrict__ scale_ptr, double scale, i64 n,  \
	    i64 c, i64 wmode, i64 vec_ok, double p0, double p1, double p2, double p3, double p4,       \
	    double p5, double p6, double p7
#define ELEM_ARGS \
	X, Y, Z, W, CW, PS, GX, GY, GZ, H, partials, scale_ptr, scale, n, c, wmode, vec_ok, p0, p1, p2, p3, p4, p5, p6, p7

template <class Op, int MODE>
__device__ __forceinline__ void elem_body(ELEM_PARAMS) {
	__shared__ double red[32 * 2];
	const double P[8] = {p0, p1, p2, p3, p4, p5, p6, p7};
	const Op op(P);
	real sc = 0;
	if (MODE > 0) sc = (real)(scale_ptr ? *scale_ptr : scale);
	const bool vec = vec_ok != 0;
	const bool use_cw = Op::USES_CW && CW != nullptr;
	const bool need_rc = wmode == 2 || use_cw;
	const double inv_c = 1.0 / (double)c;
	const i64 nch = (n + VN - 1) / VN;
	const i64 stride = (i64)gridDim.x * GLOSS_BLOCK;
	double acc[2] = {0, 0};
	// Chunk t of this thread: blockIdx.x·GLOSS_BLOCK + threadIdx.x, then every stride. The next
	// chunk's loads are issued before the current chunk is computed, so that two chunks per
	// thread are in flight.
	real x[VN], y[VN], z[VN], w[VN];
	i64 t = (i64)blockIdx.x * GLOSS_BLOCK + threadIdx.x;
	if (t < nch) {
		ld_chunk(x, X, t * VN, n, vec);
		if (Op::USES_Y) ld_chunk(y, Y, t * VN, n, vec);
		if (Op::USES_Z) ld_chunk(z, Z, t * VN, n, vec);
		if (wmode == 1) ld_chunk(w, W, t * VN, n, vec);
	}
	for (; t < nch; t += stride) {
		const i64 i0 = t * VN, tn = t + stride;
		real xn[VN], yn[VN], zn[VN], wn[VN];
		if (tn < nch) {
			ld_chunk(xn, X, tn * VN, n, vec);
			if (Op::USES_Y) ld_chunk(yn, Y, tn * VN, n, vec);
			if (Op::USES_Z) ld_chunk(zn, Z, tn * VN, n, vec);
			if (wmode == 1) ld_chunk(wn, W, tn * VN, n, vec);
		}
		i64 r = 0, col = 0;
		if (need_rc) divmod(i0, c, inv_c, r, col);
		real L[VN], gx[VN], gy[VN], gz[VN], hh[VN];
#pragma unroll
		for (int k = 0; k < VN; ++k) {
			const bool in = i0 + k < n;
			real s = R(1);
			if (wmode == 1)
				s = w[k];
			else if (wmode == 2 && in)
				s = W[r];
			const real cw = use_cw ? CW[col] : R(1);
			const real yk = Op::USES_Y ? y[k] : R(0);
			const real zk = Op::USES_Z ? z[k] : R(0);
			L[k] = gx[k] = gy[k] = gz[k] = hh[k] = R(0);
			op.template eval<MODE>(x[k], yk, zk, cw, L[k], gx[k], gy[k], gz[k], hh[k]);
			if (in) {
				const real wl = s * L[k];
				acc[0] += (double)wl;
				acc[1] += (double)s;
				L[k] = wl;
				if (MODE > 0) {
					const real gsc = sc * s;
					gx[k] *= gsc;
					if (Op::HAS_GY) gy[k] *= gsc;
					if (Op::HAS_GZ) gz[k] *= gsc;
					if (MODE > 1) hh[k] *= gsc;
				}
			}
			if (need_rc && ++col == c) col = 0, ++r;
		}
		if (PS) st_chunk(PS, L, i0, n, vec);
		if (MODE > 0) {
			if (GX) st_chunk(GX, gx, i0, n, vec);
			if (Op::HAS_GY && GY) st_chunk(GY, gy, i0, n, vec);
			if (Op::HAS_GZ && GZ) st_chunk(GZ, gz, i0, n, vec);
		}
		if (MODE > 1 && H) st_chunk(H, hh, i0, n, vec);
#pragma unroll
		for (int k = 0; k < VN; ++k) {
			x[k] = xn[k];
			if (Op::USES_Y) y[k] = yn[k];
			if (Op::USES_Z) z[k] = zn[k];
			if (wmode == 1) w[k] = wn[k];
		}
	}
	write_partials<2>(acc, partials, red);
}

// ELEM_KERNELS defines stem_fwd (loss only), stem_fwd_bwd (loss and gradients) and stem_hess
// (loss, gradients and the Hessian diagonal) for an elementwise op.
#define ELEM_KERNELS(stem, Op)                                                                  \
	extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK, GLOSS_ELEM_MINB) stem##_fwd(ELEM_PARAMS) {     \
		elem_body<Op, 0>(ELEM_ARGS);                                                            \
	}                                                                                           \
	extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK, GLOSS_ELEM_MINB) stem##_fwd_bwd(ELEM_PARAMS) { \
		elem_body<Op, 1>(ELEM_ARGS);                                                            \
	}                                                                                           \
	extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK, GLOSS_ELEM_MINB) stem##_hess(ELEM_PARAMS) {    \
		elem_body<Op, 2>(ELEM_ARGS);                                                            \
	}

// Flags of an op that reads X and Y only and differentiates in X only.
#define ELEM_XY                                                                              \
	static constexpr bool USES_Y = true, USES_Z = false, USES_CW = false, HAS_GY = false, \
	                      HAS_GZ = false;

// ---------------------------------------------------------------------------------------------
// The row driver (mirrors cpuref's rowwise). One term per row of C columns, computed by one
// group (a warp slice or the whole block, see Grp):
//   PerSample[i] = s_i·L_i, gradients = scale·s_i·∂L_i (the loss writes them with gs = scale·s_i),
//   partials: Σ s_i·L_i and Σ s_i·d_i per block.
// Rows go to groups round-robin: row = (blockIdx.x·groups_per_block + group) + k·(gridDim.x·
// groups_per_block), so every row's numbers come from the same threads whatever N is, and each
// group adds its rows in increasing order.
//
// flags: bit 0 — the row's inputs are staged in dynamic shared memory (Loss::NSTAGE arrays of
// cpad = C rounded up to VN elements per group) when the loss reads them more than once, so
// that the forward+gradient reads global memory once; bit 1 — 16-byte vector access (every
// pointer aligned and C a multiple of VN). gs: the group size (0 = whole block).
// aux: a loss-specific integer (the number of bins of a metric). scratch: loss-specific memory.
//
// A loss is a struct with a constructor from the 8 parameters, a constant NSTAGE and
//   template <int MODE> void row(const Grp&, const RowCtx&, double* red, double& L, double& d) const
// that every thread of the group calls with the same row; L and d must be the same in every
// thread of the group (they come from group reductions) — the group's lane 0 uses them.

#define ROW_PARAMS                                                                                  \
	const real *X, const real *__restrict__ Y, const real *__restrict__ Z,                          \
	    const int *__restrict__ LB, const real *__restrict__ W, const real *__restrict__ CW,       \
	    real *__restrict__ PS, real *GX, real *__restrict__ GY, real *__restrict__ GZ,             \
	    double *__restrict__ partials, const double *__restrict__ scale_ptr,                        \
	    double *__restrict__ scratch, double scale, i64 n, i64 c, i64 ignore, i64 gs, i64 flags,   \
	    i64 aux, double p0, double p1, double p2, double p3, double p4, double p5, double p6,       \
	    double p7
#define ROW_ARGS                                                                                 \
	X, Y, Z, LB, W, CW, PS, GX, GY, GZ, partials, scale_ptr, scratch, scale, n, c, ignore, gs, \
	    flags, aux, p0, p1, p2, p3, p4, p5, p6, p7

// RowCtx is one row as a loss sees it.
struct RowCtx {
	const real* x;   // the row of X in global memory (read it in the first pass)
	const real* y;   // the row of Y, or null
	const real* z;   // the row of Z, or null
	real* sx;        // staging for x, y, z in shared memory (null when not staged)
	real* sy;
	real* sz;
	real* gx;        // gradient rows in global memory, or null
	real* gy;
	real* gz;
	const real* cw;  // class weights (C), or null
	i64 c;           // columns
	i64 row;         // row index (within this launch)
	i64 n;           // rows in this launch
	i64 label;       // the row's label (0 without labels)
	i64 ignore;      // the ignore index
	i64 aux;
	double* scratch;
	double s;        // sample weight s_i (1 without weights)
	double gs;       // gradient factor scale·s_i
	bool vec;        // 16-byte access to the row in global (and shared) memory
};

// The source of a row in passes after the first: the staged copy, or global memory again.
__device__ __forceinline__ const real* src_x(const RowCtx& r) { return r.sx ? r.sx : r.x; }
__device__ __forceinline__ const real* src_y(const RowCtx& r) { return r.sy ? r.sy : r.y; }
__device__ __forceinline__ const real* src_z(const RowCtx& r) { return r.sz ? r.sz : r.z; }

// row_fill writes v over a whole row (for ignored rows).
__device__ __forceinline__ void row_fill(const Grp& g, real* p, i64 c, real v, bool vec) {
	real t[VN];
#pragma unroll
	for (int k = 0; k < VN; ++k) t[k] = v;
	for (i64 j0 = (i64)g.lane * VN; j0 < c; j0 += (i64)g.size * VN) st_chunk(p, t, j0, c, vec);
}

// ld_stage loads a chunk of a row from global memory and, when staging, stores it in shared
// memory too.
template <class I>
__device__ __forceinline__ void ld_stage(real (&v)[VN], const real* p, real* st, I j0, I c, bool vec) {
	ld_chunk(v, p, j0, c, vec);
	if (st) st_chunk(st, v, j0, c, vec);
}

template <class Loss, int MODE>
__device__ __forceinline__ void row_body(ROW_PARAMS) {
	extern __shared__ __align__(16) unsigned char gloss_dyn_smem[];
	__shared__ double red[32 * 8];
	const double P[8] = {p0, p1, p2, p3, p4, p5, p6, p7};
	const Loss loss(P);
	const Grp g = make_grp(gs);
	const bool staged = (flags & 1) != 0 && Loss::NSTAGE > 0;
	const i64 cpad = (c + VN - 1) / VN * VN;
	double sc = 0;
	if (MODE > 0) sc = scale_ptr ? *scale_ptr : scale;
	real* st = reinterpret_cast<real*>(gloss_dyn_smem) + (i64)g.gib * (Loss::NSTAGE > 0 ? Loss::NSTAGE : 1) * cpad;
	double acc[2] = {0, 0};
	const i64 stride = (i64)gridDim.x * g.ngb;
	for (i64 row = (i64)blockIdx.x * g.ngb + g.gib; row < n; row += stride) {
		if (g.block) __syncthreads();  // the previous row's readers of staging and red are done
		RowCtx r;
		const i64 off = row * c;
		r.x = X + off;
		r.y = Y ? Y + off : nullptr;
		r.z = Z ? Z + off : nullptr;
		r.sx = staged ? st : nullptr;
		r.sy = staged && Loss::NSTAGE > 1 ? st + cpad : nullptr;
		r.sz = staged && Loss::NSTAGE > 2 ? st + 2 * cpad : nullptr;
		r.gx = GX ? GX + off : nullptr;
		r.gy = GY ? GY + off : nullptr;
		r.gz = GZ ? GZ + off : nullptr;
		r.cw = CW;
		r.c = c, r.row = row, r.n = n;
		r.label = LB ? (i64)LB[row] : 0;
		r.ignore = ignore, r.aux = aux, r.scratch = scratch;
		r.vec = (flags & 2) != 0;
		const double s = W ? (double)W[row] : 1.0;
		r.s = s;
		r.gs = sc * s;
		double L = 0, d = 0;
		loss.template row<MODE>(g, r, red, L, d);
		if (g.lane == 0) {
			const double wl = s * L;
			acc[0] += wl;
			acc[1] += s * d;
			if (PS) PS[row] = (real)wl;
		}
	}
	write_partials<2>(acc, partials, red);
}

// ROW_KERNELS defines stem_fwd and stem_fwd_bwd for a row loss; ROW_KERNEL_FWD only stem_fwd.
#define ROW_KERNEL_FWD(stem, Loss)                                                       \
	extern "C" __global__ void __launch_bounds__(GLOSS_MAX_BLOCK) stem##_fwd(ROW_PARAMS) { \
		row_body<Loss, 0>(ROW_ARGS);                                                     \
	}
#define ROW_KERNELS(stem, Loss)                                                                \
	ROW_KERNEL_FWD(stem, Loss)                                                                 \
	extern "C" __global__ void __launch_bounds__(GLOSS_MAX_BLOCK) stem##_fwd_bwd(ROW_PARAMS) { \
		row_body<Loss, 1>(ROW_ARGS);                                                           \
	}
