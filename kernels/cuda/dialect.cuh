// dialect.cuh: the CUDA C++ dialect of gloss's kernel source (kernels/gloss.h says what the
// shared source expects), and the drivers that make its functions kernels. gloss.cu compiles
// it with the shared source, once per element type (gen.sh: -DREAL=float, -DREAL=double); the
// emulator (internal/cudaemu) compiles the same files for the host.
//
// A chunk (VR) is one 16-byte vector: four floats or two doubles, a struct with the lane-wise
// operators and math functions that OpenCL's vector types have built in. Sums are doubles, in
// a fixed order: per thread over a fixed assignment of chunks (it depends on the grid, which
// the host derives from the problem size and the device only), then a fixed tree per block
// (warp shuffles, then the warps in order), one partial per block; the host adds the blocks'
// partials in order. No floating-point atomics: the same inputs give the same bits.
//
// Groups: the threads that share one row are a power-of-two slice of a warp (1..32 lanes;
// reductions by shuffles under the group's lane mask, so groups of one warp may diverge) or the
// whole block (reductions through shared memory and __syncthreads, so its control flow is
// uniform: every row-level branch of a row loss depends on the row only).
#pragma once

#ifndef REAL
#error "compile with -DREAL=float or -DREAL=double"
#endif

typedef REAL real;
typedef double acc;
typedef long long i64;
typedef double PRM;

// GLOSS_BLOCK is the block of the elementwise, flat and InfoNCE kernels; row kernels take
// 32..GLOSS_MAX_BLOCK threads. GLOSS_ELEM_MINB is the elementwise kernels' minimum resident
// blocks per SM (their register cap). device/cuda uses the same numbers.
#define GLOSS_BLOCK 256
#define GLOSS_MAX_BLOCK 512
#define GLOSS_ELEM_MINB (sizeof(real) == 4 ? 3 : 2)
#define FULL_MASK 0xffffffffu
#define VW ((int)(16 / sizeof(real)))

// The emulator compiles the kernels into a namespace of their own, with C++ linkage (so that
// the two element types never share a symbol) and its own forms of shared memory.
#ifdef GLOSS_CUDA_EMU
#define KERNEL __global__
#define SHARED(T, name, dims) GLOSS_EMU_SHARED(T, name, dims)
#define DYN_SHARED(T, name) T* const name = (T*)::gloss_emu::dyn_smem()
#else
#define KERNEL extern "C" __global__
#define SHARED(T, name, dims) __shared__ T name dims
#define DYN_SHARED(T, name) extern __shared__ __align__(16) T name[]
#endif
#define FN static __device__ __forceinline__
#define GP(T) T*
#define ARG_REAL double
#define PARAM_ARGS                                                                                  \
	const double p0, const double p1, const double p2, const double p3, const double p4, const double p5, \
	    const double p6, const double p7
#define PARAMS const double P[8] = {p0, p1, p2, p3, p4, p5, p6, p7}
#define R(v) ((real)(v))

// ---- chunks: VW lanes with OpenCL's lane-wise semantics ----

template <class T>
struct vec {
	T v[VW];
};
typedef vec<real> VR;
typedef vec<bool> VM;
typedef vec<double> VA;
template <class T>
struct same {
	typedef T type;
};

template <class T>
FN vec<T> vsplat(const T a) {
	vec<T> r;
#pragma unroll
	for (int k = 0; k < VW; ++k) r.v[k] = a;
	return r;
}
#define VC(a) vsplat<real>((real)(a))
#define VZERO VC(0)

#define LANES(T, expr)                         \
	vec<T> r;                                  \
	_Pragma("unroll") for (int k = 0; k < VW; ++k) r.v[k] = (expr); \
	return r
#define VEC_OP(op, R)                                                                                                 \
	template <class T>                                                                                             \
	FN vec<R> operator op(const vec<T>& a, const vec<T>& b) { LANES(R, a.v[k] op b.v[k]); }                        \
	template <class T>                                                                                             \
	FN vec<R> operator op(const vec<T>& a, const typename same<T>::type b) { LANES(R, a.v[k] op b); }              \
	template <class T>                                                                                             \
	FN vec<R> operator op(const typename same<T>::type a, const vec<T>& b) { LANES(R, a op b.v[k]); }
VEC_OP(+, T)
VEC_OP(-, T)
VEC_OP(*, T)
VEC_OP(/, T)
VEC_OP(<, bool)
VEC_OP(<=, bool)
VEC_OP(>, bool)
VEC_OP(>=, bool)
VEC_OP(==, bool)
VEC_OP(!=, bool)
template <class T>
FN vec<T> operator-(const vec<T>& a) { LANES(T, -a.v[k]); }
FN VM operator&&(const VM& a, const VM& b) { LANES(bool, a.v[k] && b.v[k]); }
FN VM operator||(const VM& a, const VM& b) { LANES(bool, a.v[k] || b.v[k]); }
FN VM operator!(const VM& a) { LANES(bool, !a.v[k]); }

// The math functions, lane by lane; the scalar ones stay visible beside them.
#ifdef GLOSS_CUDA_EMU
using ::copysign, ::exp, ::fabs, ::fmax, ::fmin, ::hypot, ::isfinite, ::isinf, ::isnan, ::log, ::log1p, ::pow, ::sinh,
    ::sqrt, ::tanh;
#endif
#define VEC_FN1(f, R) \
	template <class T> \
	FN vec<R> f(const vec<T>& a) { LANES(R, f(a.v[k])); }
#define VEC_FN2(f) \
	template <class T> \
	FN vec<T> f(const vec<T>& a, const vec<T>& b) { LANES(T, f(a.v[k], b.v[k])); }
VEC_FN1(exp, T)
VEC_FN1(log, T)
VEC_FN1(log1p, T)
VEC_FN1(fabs, T)
VEC_FN1(sqrt, T)
VEC_FN1(sinh, T)
VEC_FN1(tanh, T)
VEC_FN1(isnan, bool)
VEC_FN1(isinf, bool)
VEC_FN1(isfinite, bool)
VEC_FN2(pow)
VEC_FN2(hypot)
VEC_FN2(copysign)
VEC_FN2(fmax)
VEC_FN2(fmin)

// VSEL is lane-wise c ? a : b, a and b chunks or scalars.
FN VR vr(const VR& a) { return a; }
FN VR vr(const real a) { return vsplat(a); }
template <class A, class B>
FN VR vsel(const VM& c, const A& a, const B& b) {
	const VR x = vr(a), y = vr(b);
	LANES(real, c.v[k] ? x.v[k] : y.v[k]);
}
#define VSEL(c, a, b) vsel(c, a, b)
FN VA va(const VA& a) { return a; }
FN VA va(const double a) { return vsplat(a); }
template <class A, class B>
FN VA vsela(const VM& c, const A& a, const B& b) {
	const VA x = va(a), y = va(b);
	LANES(double, c.v[k] ? x.v[k] : y.v[k]);
}
#define VAC(a) vsplat<double>((double)(a))
#define VSELA(c, a, b) vsela(c, a, b)
#define to_va(a) to_va_(a)
FN VA to_va_(const VR& a) { LANES(double, (double)a.v[k]); }
FN VR to_vr(const VA& a) { LANES(real, (real)a.v[k]); }

FN bool vany(const VM& m) {
	bool r = false;
#pragma unroll
	for (int k = 0; k < VW; ++k) r = r || m.v[k];
	return r;
}
FN i64 first_lane(const VM& m) {
	for (int k = 0; k < VW; ++k)
		if (m.v[k]) return k;
	return VW;
}
// The lanes of the chunk at j that are below n, at index t, below t.
FN VM lanes_below(const i64 j, const i64 n) { LANES(bool, j + k < n); }
#define lane_at(j, t) lane_at_(j, t)
FN VM lane_at_(const i64 j, const i64 t) { LANES(bool, j + k == t); }
#define lane_lt(j, t) lanes_below(j, t)

// ld_chunk loads the chunk at i of p, 0 (or f) beyond n: one 16-byte load when vec is set and
// the chunk is whole (chunk starts are multiples of VW, so aligned when p is).
FN VR ld_chunk(const real* p, const i64 i, const i64 n, const bool vec, const real f) {
	VR v;
	if (vec && i + VW <= n) {
		if constexpr (sizeof(real) == 4) {
			const float4 t = *reinterpret_cast<const float4*>(p + i);
			v.v[0] = t.x, v.v[1] = t.y, v.v[2 % VW] = t.z, v.v[3 % VW] = t.w;
		} else {
			const double2 t = *reinterpret_cast<const double2*>(p + i);
			v.v[0] = t.x, v.v[1] = t.y;
		}
		return v;
	}
#pragma unroll
	for (int k = 0; k < VW; ++k) v.v[k] = i + k < n ? p[i + k] : f;
	return v;
}

// st_chunk stores the lanes of the chunk at i of p that are below n.
FN void st_chunk(real* p, const VR& v, const i64 i, const i64 n, const bool vec) {
	if (vec && i + VW <= n) {
		if constexpr (sizeof(real) == 4)
			*reinterpret_cast<float4*>(p + i) = make_float4(v.v[0], v.v[1], v.v[2 % VW], v.v[3 % VW]);
		else
			*reinterpret_cast<double2*>(p + i) = make_double2(v.v[0], v.v[1]);
		return;
	}
#pragma unroll
	for (int k = 0; k < VW; ++k)
		if (i + k < n) p[i + k] = v.v[k];
}

// ---- sums: a thread's sum is one double (no compensation: pairs in memory hold 0 as theirs) ----

typedef double ACCUM;
typedef double RACC;
typedef real RMAX;
FN double accum_zero() { return 0; }
FN void accum_add(double* a, const double v) { *a += v; }
FN void accum_merge(double* a, const double b) { *a += b; }
FN double accum_load(const double* p) { return p[0] + p[1]; }
FN void accum_store(double* p, const double a) { p[0] = a, p[1] = 0; }
#define racc_zero accum_zero
#define racc_total(a) (a)
template <class T>
FN void racc_add_(double* a, const vec<T>& v) {
#pragma unroll
	for (int k = 0; k < VW; ++k) *a += (double)v.v[k];
}
#define racc_add(a, v) racc_add_(a, v)
#define racc_adda(a, v) racc_add_(a, v)
FN double gmaxd(const double a, const double b) { return (a != a || a > b) ? a : b; }
#define rmax_zero() ((real)0)
FN void rmax_add(real* m, const VR& v) {
#pragma unroll
	for (int k = 0; k < VW; ++k) *m = (*m != *m || *m > v.v[k]) ? *m : v.v[k];
}

// ---- groups and their reductions ----

struct Grp {
	int lane;       // index of this thread in its group
	int size;       // threads in the group
	int gib;        // index of the group in its block
	int ngb;        // groups per block
	unsigned mask;  // the group's lanes within its warp (sub-warp groups)
	bool block;     // the group is the whole block
};

// make_grp builds the group of this thread: gs = 0 for the whole block, else gs lanes (a power
// of two ≤ 32).
FN Grp make_grp(const i64 gs) {
	Grp g;
	if (gs <= 0) {
		g.lane = threadIdx.x, g.size = blockDim.x, g.gib = 0, g.ngb = 1, g.mask = FULL_MASK, g.block = true;
		return g;
	}
	const int s = (int)gs, wl = threadIdx.x & 31;
	g.size = s, g.lane = threadIdx.x & (s - 1), g.gib = threadIdx.x / s, g.ngb = blockDim.x / s;
	g.mask = s >= 32 ? FULL_MASK : (((1u << s) - 1u) << (wl & ~(s - 1)));
	g.block = false;
	return g;
}

FN void grp_sync(const Grp& g) {
	if (g.block)
		__syncthreads();
	else
		__syncwarp(g.mask);
}

// grp_reduce combines K ≤ 8 values over the group with op (0: sum, 1: Go's max); every thread
// of the group gets the same bits. red is shared scratch of 32·8 doubles (whole-block groups).
FN double grp_op(const int op, const double a, const double b) { return op ? gmaxd(a, b) : a + b; }
FN void grp_reduce(const Grp& g, double* v, const int K, const int op, double* red) {
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1)
			for (int k = 0; k < K; ++k) v[k] = grp_op(op, v[k], __shfl_xor_sync(g.mask, v[k], o));
		__syncwarp(g.mask);
		return;
	}
	for (int k = 0; k < K; ++k)
		for (int o = 16; o > 0; o >>= 1) v[k] = grp_op(op, v[k], __shfl_xor_sync(FULL_MASK, v[k], o));
	__syncthreads();  // red may still be read by the previous reduction
	if ((threadIdx.x & 31) == 0)
		for (int k = 0; k < K; ++k) red[(threadIdx.x >> 5) * 8 + k] = v[k];
	__syncthreads();
	const int nw = blockDim.x >> 5;
	for (int k = 0; k < K; ++k) {
		double t = red[k];
		for (int w = 1; w < nw; ++w) t = grp_op(op, t, red[w * 8 + k]);
		v[k] = t;
	}
}

FN Grp block_grp() { return make_grp(0); }

// block_red is the block's reduction scratch: one static shared array per kernel, however many
// reductions use it (each starts with a barrier after the previous one's reads). Not static
// like FN: nvcc names the shared variable of a static function with a part that changes from
// one compile to the next, and the fatbins would not reproduce.
__device__ __forceinline__ double* block_red() {
	SHARED(double, red, [32 * 8]);
	return red;
}

// The collectives of the flat kernels: every thread of the block calls them.
#define GROUP_LOCALS
FN void group_partials(double* a, const int K, double* part) {
	grp_reduce(block_grp(), a, K, 0, block_red());
	if (threadIdx.x == 0)
		for (int k = 0; k < K; ++k) part[((i64)blockIdx.x * K + k) * 2] = a[k], part[((i64)blockIdx.x * K + k) * 2 + 1] = 0;
}
FN double group_total(double a) {
	grp_reduce(block_grp(), &a, 1, 0, block_red());
	return a;
}
#define group_leader() (threadIdx.x == 0)
FN void group_min(i64 v, i64* out) {
	double* mins = block_red();  // warp minima, as int64 bits
	for (int o = 16; o > 0; o >>= 1) v = min(v, __shfl_xor_sync(FULL_MASK, v, o));
	__syncthreads();
	if ((threadIdx.x & 31) == 0) reinterpret_cast<i64*>(mins)[threadIdx.x >> 5] = v;
	__syncthreads();
	if (threadIdx.x == 0) {
		for (int w = 1; w < (int)(blockDim.x >> 5); ++w) v = min(v, reinterpret_cast<i64*>(mins)[w]);
		out[blockIdx.x] = v;
	}
}

// Flat kernels: a grid-stride loop, thread t of the grid taking items t·step, (t + T)·step, ...
#define FLAT_FOR(i, n, step)                                                                  \
	for (i64 i = ((i64)blockIdx.x * blockDim.x + threadIdx.x) * (step); i < (n); \
	     i += (i64)gridDim.x * blockDim.x * (step))
#define ONE_FOR(i, n) for (i64 i = threadIdx.x; i < (n); i += blockDim.x)
#define flat_ld(p, i, n) ld_chunk(p, i, n, false, 0)
#define flat_in(i, n) lanes_below(i, n)

// loss_scale is a call's gradient scale: the Mean's, computed on the device, or scale.
FN double loss_scale(const double scale, const double* scale_ptr) { return scale_ptr ? *scale_ptr : scale; }

// ---- rows ----
// Rows go to groups round-robin: row = (blockIdx.x·groups_per_block + group) + k·(gridDim.x·
// groups_per_block), so every row's numbers come from the same threads whatever N is. geo is
// the group size (0: the whole block); flags bit 0: the row's inputs are staged in dynamic
// shared memory (STAGE arrays of C rounded up to VW per group) for the passes after the first;
// bit 1: 16-byte access (every pointer aligned and C a multiple of VW).

struct ROW {
	const real *x, *y, *z, *cw;  // the row's inputs, the class weights
	real *gx, *gy, *gz;          // its gradients (null when not written)
	i64 c, label, ignore, aux;   // columns, its label (0 without), the ignore index, bins
	acc s, gs;                   // its sample weight, and the gradient factor scale·s
	int mode;                    // 0: value only; 1: value and gradients
	unsigned bad;                // labels outside the kernel's range, so far
	Grp g;                       // the group
	double* red;                 // shared scratch of the group's reductions
	real* st;                    // the group's staging, nstage arrays of cpad
	i64 cpad;
	int nstage;
	bool vec;
};

#define ROW_FN(stem) FN void stem##_row(ROW* r, const PRM* P, acc* L, acc* d)
#define HIST_FN(stem) FN void stem##_rec(ROW* r, const PRM* P, i64* slot, acc* val)
#define ROW_FOR(r, j) for (i64 j = (i64)(r)->g.lane * VW; j < (r)->c; j += (i64)(r)->g.size * VW)
FN VR row_ldf(const ROW* r, const real* p, const i64 j, const real f) { return ld_chunk(p, j, r->c, r->vec, f); }
FN VR row_ld(const ROW* r, const real* p, const i64 j) { return ld_chunk(p, j, r->c, r->vec, 0); }
FN void row_st(const ROW* r, real* p, const i64 j, const VR& v) { st_chunk(p, v, j, r->c, r->vec); }
FN VR row_lds(const ROW* r, const int slot, const real* p, const i64 j) {
	const VR v = row_ld(r, p, j);
	if (slot < r->nstage) st_chunk(r->st + slot * r->cpad, v, j, r->c, r->vec);
	return v;
}
FN const real* row_src(const ROW* r, const int slot, const real* p) { return slot < r->nstage ? r->st + slot * r->cpad : p; }
#define row_in(r, j) lanes_below(j, (r)->c)
#define row_sync(r) grp_sync((r)->g)
#define row_leader(r) ((r)->g.lane == 0)
// On a GPU e_j is recomputed in pass 3 rather than kept in the gradient row (memory is dearer).
#define SOFTMAX_KEEP(r, j, e) ((void)0)
#define SOFTMAX_E(r, src, j, m) exp(row_ld(r, src, j) - (m))

FN void row_sums(ROW* r, const double* a, acc* t, const int K) {
	for (int k = 0; k < K; ++k) t[k] = a[k];
	grp_reduce(r->g, t, K, 0, r->red);
}
FN acc row_sum(ROW* r, double a) {
	grp_reduce(r->g, &a, 1, 0, r->red);
	return a;
}
FN void row_maxes(ROW* r, const real* m, acc* t, const int K) {
	for (int k = 0; k < K; ++k) t[k] = m[k];
	grp_reduce(r->g, t, K, 1, r->red);
}
FN void row_fill(ROW* r, real* p, const real v) {
	ROW_FOR(r, j) { row_st(r, p, j, VC(v)); }
}

// amax_merge keeps the argmax of two (value, index) pairs (index −1: none): the larger value,
// the smaller index on a tie; with nan_wins a NaN beats any number and the first NaN wins.
FN void amax_merge(real& bv, i64& bj, const real v2, const i64 j2, const bool nan_wins) {
	if (j2 < 0) return;
	if (bj < 0) {
		bv = v2, bj = j2;
		return;
	}
	const bool n1 = nan_wins && bv != bv, n2 = nan_wins && v2 != v2;
	const bool take = (n1 || n2) ? ((n1 && n2) ? j2 < bj : n2) : (v2 > bv || (v2 == bv && j2 < bj));
	if (take) bv = v2, bj = j2;
}

// row_argmax finds the first index k of the row's largest value, ignoring NaN, and that value m
// (−Inf and k = 0 for a row without a number); with nan_wins, the first NaN, if any, is the
// argmax instead (NumPy's rule, cpuref's metrics) and m is NaN. It stages x in slot (< 0: none).
FN void row_argmax(ROW* r, const int slot, const real* x, const int nan_wins, real* m, i64* kk) {
	real bv = 0;
	i64 bj = -1;
	ROW_FOR(r, j) {
		const VR v = slot >= 0 ? row_lds(r, slot, x, j) : row_ld(r, x, j);
		for (int k = 0; k < VW && j + k < r->c; ++k)
			if (nan_wins || v.v[k] == v.v[k]) amax_merge(bv, bj, v.v[k], j + k, nan_wins);
	}
	const Grp& g = r->g;
	if (!g.block) {
		for (int o = g.size >> 1; o > 0; o >>= 1) {
			const real v2 = __shfl_xor_sync(g.mask, bv, o);
			const i64 j2 = __shfl_xor_sync(g.mask, bj, o);
			amax_merge(bv, bj, v2, j2, nan_wins);
		}
		__syncwarp(g.mask);
	} else {
		for (int o = 16; o > 0; o >>= 1) {
			const real v2 = __shfl_xor_sync(FULL_MASK, bv, o);
			const i64 j2 = __shfl_xor_sync(FULL_MASK, bj, o);
			amax_merge(bv, bj, v2, j2, nan_wins);
		}
		__syncthreads();
		if ((threadIdx.x & 31) == 0) r->red[(threadIdx.x >> 5) * 2] = (double)bv, r->red[(threadIdx.x >> 5) * 2 + 1] = (double)bj;
		__syncthreads();
		bv = (real)r->red[0], bj = (i64)r->red[1];
		for (int w = 1; w < (int)(blockDim.x >> 5); ++w) amax_merge(bv, bj, (real)r->red[2 * w], (i64)r->red[2 * w + 1], nan_wins);
	}
	*m = bj < 0 ? -INFINITY : bv;
	*kk = bj < 0 ? 0 : bj;
}

typedef void (*RowFn)(ROW*, const PRM*, acc*, acc*);
typedef void (*HistFn)(ROW*, const PRM*, i64*, acc*);

