// dialect.cl: the OpenCL C 1.2 dialect of gloss's kernel source (kernels/gloss.h says what the
// shared source expects), and the drivers that make its functions kernels. device/opencl
// builds this file, params.h, gloss.h, the family files and info_nce.cl as one program.
//
// Build options (device/opencl sets them):
//   -DGLOSS_F64=0|1    the element type `real`: float, or double (needs cl_khr_fp64)
//   -DGLOSS_ACC64=0|1  sums in double (cl_khr_fp64), or in compensated (Neumaier) float
//   -DWG=n             the local size of every kernel (1 on CPU devices)
//   -DSTRIDED=0|1      work-item w of W takes items w, w+W, w+2W, ... (GPUs) instead of one
//                      contiguous run of `geo` items (CPUs: PoCL runs a work-group on one core
//                      and loops over its items, so contiguous runs stream memory)
//
// A chunk (VR) is eight elements, real8. Reductions are deterministic: each work-item adds its
// items in index order into eight lane sums, then its lanes in order; work-item 0 of a group
// adds the group's sums in local-id order and writes one partial per sum, as a (value,
// compensation) pair, to part[(group·nsums + k)·2 + {0, 1}]; the host adds the groups in
// order. Every index is 64-bit, so N·C > 2^31 works.

#if defined(cl_khr_fp64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define GLOSS_HAS_FP64 1
#endif
#ifndef WG
#define WG 1
#endif
#ifndef STRIDED
#define STRIDED 0
#endif

#if GLOSS_F64
#ifndef GLOSS_HAS_FP64
#error "float64 kernels need a device with cl_khr_fp64"
#endif
typedef double real;
typedef double2 real2;
typedef double4 real4;
typedef double8 real8;
typedef long8 mask8; // what comparing two real8 gives, and what select wants
#define to_real8(v) convert_double8(v)
#define to_mask8(m) convert_long8(m)
#else
typedef float real;
typedef float2 real2;
typedef float4 real4;
typedef float8 real8;
typedef int8 mask8;
#define to_real8(v) convert_float8(v)
#define to_mask8(m) convert_int8(m)
#endif

#if GLOSS_ACC64
#ifndef GLOSS_HAS_FP64
#error "double accumulators need a device with cl_khr_fp64"
#endif
typedef double acc;
typedef double8 acc8;
#define to_va(v) convert_double8(v)
#else
#if GLOSS_F64
#error "float64 kernels accumulate in double: build with -DGLOSS_ACC64=1"
#endif
typedef float acc;
typedef float8 acc8;
#define to_va(v) (v)
#endif

// ---- the words of gloss.h ----
typedef long i64;
typedef acc PRM; // double wherever the device has it: a float64 parameter kept (CUDA's too)
typedef real8 VR;
typedef mask8 VM;
typedef acc8 VA;
#define VW 8
#define FN static inline __attribute__((always_inline))
#define KERNEL __kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
#define GP(T) __global T *
#define ARG_REAL real
#define PARAM_ARGS const acc8 PV
#define R(v) ((real)(v))
#define VC(v) ((real8)(v))
#define VZERO VC(0)
#define VSEL(c, a, b) select((real8)(b), (real8)(a), (c))
#define VAC(v) ((acc8)(v))
#define to_vr(v) to_real8(v)
#define VSELA(c, a, b) select((acc8)(b), (acc8)(a), (c)) // c a comparison of accumulator chunks
#define LANES ((mask8)(0, 1, 2, 3, 4, 5, 6, 7))
#define HEAD(m) (LANES < (mask8)(m)) // the lanes below m
// PARAMS declares P, the kernel's parameter slots, as an array (params.h indexes it).
#define PARAMS    \
	acc P_[8];    \
	vstore8(PV, 0, P_); \
	const PRM *P = P_

// ---- accumulators: a sum and its compensation (always 0 with double accumulators) ----

typedef struct {
	acc s, c;
} ACCUM;

typedef struct {
	acc8 s, c;
} RACC;

FN ACCUM accum_zero(void) {
	ACCUM a = {0, 0};
	return a;
}

FN RACC racc_zero(void) {
	RACC a = {(acc8)(0), (acc8)(0)};
	return a;
}

// accum_add adds v to a (Neumaier's compensated sum in float).
FN void accum_add(ACCUM *a, const acc v) {
#if GLOSS_ACC64
	a->s += v;
#else
	const acc t = a->s + v;
	a->c += fabs(a->s) >= fabs(v) ? (a->s - t) + v : (v - t) + a->s;
	a->s = t;
#endif
}

FN void accum_merge(ACCUM *a, const ACCUM b) {
	accum_add(a, b.s);
	a->c += b.c;
}

FN acc accum_value(const ACCUM a) {
	return isfinite(a.s) ? a.s + a.c : a.s;
}

FN ACCUM accum_load(__global const acc *p) {
	ACCUM a = {p[0], p[1]};
	return a;
}

FN void accum_store(__global acc *p, const ACCUM a) {
	p[0] = a.s;
	p[1] = a.c;
}

// racc_adda adds eight accumulator-precision values to the lane sums of a; racc_add eight
// elements.
FN void racc_adda(RACC *a, const acc8 v) {
#if GLOSS_ACC64
	a->s += v;
#else
	const acc8 t = a->s + v;
	a->c += select((v - t) + a->s, (a->s - t) + v, fabs(a->s) >= fabs(v));
	a->s = t;
#endif
}
#define racc_add(a, v) racc_adda(a, to_va(v))

// racc_total adds the lanes of a in lane order.
#if GLOSS_ACC64
FN ACCUM racc_total(const RACC a) { // in registers (a loop over the lanes would go through memory)
	const acc8 s = a.s;
	ACCUM t = {((((((s.s0 + s.s1) + s.s2) + s.s3) + s.s4) + s.s5) + s.s6) + s.s7, 0};
	return t;
}
#else
FN ACCUM racc_total(const RACC a) {
	acc s[8], c[8];
	vstore8(a.s, 0, s);
	vstore8(a.c, 0, c);
	ACCUM t = accum_zero();
	for (int k = 0; k < 8; k++) {
		accum_add(&t, s[k]);
		t.c += c[k];
	}
	return t;
}
#endif

// ---- the group: its local memory and collectives ----

#define GROUP_LOCALS         \
	__local ACCUM l_acc_[WG]; \
	__local i64 l_min_[WG];   \
	(void)l_acc_;             \
	(void)l_min_

// group_partials_ adds work-item sums a[0..K) over the work-group in local-id order and writes
// the group's K partials. Every work-item of the group must call it.
FN void group_partials_(__local ACCUM *scratch, const ACCUM *a, const int K, __global acc *part) {
	const uint lid = get_local_id(0);
	for (int k = 0; k < K; k++) {
		scratch[lid] = a[k];
		barrier(CLK_LOCAL_MEM_FENCE);
		if (lid == 0) {
			ACCUM t = scratch[0];
			for (uint i = 1; i < WG; i++)
				accum_merge(&t, scratch[i]);
			accum_store(part + ((i64)get_group_id(0) * K + k) * 2, t);
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
}
#define group_partials(a, K, part) group_partials_(l_acc_, a, K, part)

// group_total_ returns the sum of every work-item's a, in local-id order, to each of them.
FN acc group_total_(__local ACCUM *scratch, const ACCUM a) {
	const uint lid = get_local_id(0);
	scratch[lid] = a;
	barrier(CLK_LOCAL_MEM_FENCE);
	ACCUM t = scratch[0];
	for (uint i = 1; i < WG; i++)
		accum_merge(&t, scratch[i]);
	barrier(CLK_LOCAL_MEM_FENCE);
	return accum_value(t);
}
#define group_total(a) group_total_(l_acc_, a)
#define group_leader() (get_local_id(0) == 0)

// group_min_ writes the smallest of the work-group's values to out[group].
FN void group_min_(__local i64 *scratch, const i64 v, __global i64 *out) {
	const uint lid = get_local_id(0);
	scratch[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	if (lid == 0) {
		i64 f = scratch[0];
		for (uint k = 1; k < WG; k++)
			f = min(f, scratch[k]);
		out[get_group_id(0)] = f;
	}
}
#define group_min(v, out) group_min_(l_min_, v, out)

// ---- the items of a work-item ----

// FOR_ITEMS(i, n, per, step) runs i over this work-item's items in steps of step: the
// contiguous run [gid·per, gid·per + per) ∩ [0, n), or with STRIDED the items gid·step,
// (gid + W)·step, ... ITEMS_LEFT(i, n) is the number of this work-item's items from i on
// within its current step (at most step when its run is not a multiple of it).
#if STRIDED
#define FOR_ITEMS(i, n, per, step) \
	for (i64 i = get_global_id(0) * (i64)(step); i < (n); i += get_global_size(0) * (i64)(step))
#define ITEMS_LEFT(i, n) ((n) - (i))
#else
#define ITEMS_LEFT(i, n) (i##_hi - (i))
#define FOR_ITEMS(i, n, per, step)                                                                       \
	for (i64 i##_lo = min((i64)get_global_id(0) * (per), (i64)(n)), i##_hi = min(i##_lo + (per), (i64)(n)), \
	         i = i##_lo;                                                                                 \
	     i < i##_hi; i += (i64)(step))
#endif
#define FLAT_FOR(i, n, step) FOR_ITEMS(i, n, geo, step)
#define ONE_FOR(i, n) for (i64 i = get_local_id(0); i < (n); i += WG)

// ---- loads and stores of eight elements ----

// ld8f loads p[i .. i+m) (m ≤ 8), the missing lanes fill; a short load is one straight-line
// case per length (a loop through a private array costs several times more, and rows shorter
// than eight are all tail).
FN real8 ld8f(__global const real *p, const i64 i, const uint m, const real f) {
	__global const real *q = p + i;
	switch (m) {
	case 8:
		return vload8(0, q);
	case 7:
		return (real8)(vload4(0, q), vload2(0, q + 4), q[6], f);
	case 6:
		return (real8)(vload4(0, q), vload2(0, q + 4), f, f);
	case 5:
		return (real8)(vload4(0, q), q[4], f, f, f);
	case 4:
		return (real8)(vload4(0, q), f, f, f, f);
	case 3:
		return (real8)(vload2(0, q), q[2], f, f, f, f, f);
	case 2:
		return (real8)(vload2(0, q), f, f, f, f, f, f);
	case 1:
		return (real8)(q[0], f, f, f, f, f, f, f);
	}
	return (real8)(f);
}
#define ld8(p, i, m) ld8f(p, i, m, 0)

// st8 stores the first m lanes of v to p[i .. i+m).
FN void st8(const real8 v, __global real *p, const i64 i, const uint m) {
	__global real *q = p + i;
	switch (m) {
	case 8:
		vstore8(v, 0, q);
		return;
	case 7:
		q[6] = v.s6;
	case 6:
		vstore2(v.s45, 0, q + 4);
		vstore4(v.s0123, 0, q);
		return;
	case 5:
		q[4] = v.s4;
	case 4:
		vstore4(v.s0123, 0, q);
		return;
	case 3:
		q[2] = v.s2;
	case 2:
		vstore2(v.s01, 0, q);
		return;
	case 1:
		q[0] = v.s0;
	}
}

#define CHUNK(i, n) ((uint)min((i64)8, (n) - (i)))
#define flat_ld(p, i, n) ld8(p, i, CHUNK(i, n))
#define flat_in(i, n) HEAD(CHUNK(i, n))
#define vany(m) any(m)

// first_lane returns the lowest lane whose mask is set (8 when none is).
FN i64 first_lane(const mask8 mk) {
	int t[8];
	vstore8(convert_int8(mk), 0, t);
	for (int k = 0; k < 8; k++)
		if (t[k])
			return k;
	return 8;
}

// loss_scale is the gradient scale of a call: the Mean's, computed on the device, or scale.
FN real loss_scale(const real scale, __global const acc *scale_ptr) {
	return scale_ptr ? (real)scale_ptr[0] : scale;
}

// ---- the elementwise driver (mirrors cpuref's elementwise), eight elements per step ----
// PS = s·L, GX/GY/GZ = scale·s·∂L, H = scale·s·∂²L; sums [Σ s·L, Σ s, 0], where s = W[i], or
// W[i/C] (wrow), or 1, and cw = CW[i % C] (bce_with_logits's pos_weight per column) or 1.
// MODE 3 is the confusion metrics': sums [Σ s·l, Σ s·gx, Σ s·gy], no outputs.

#define ELEM_FN(stem)                                                                                     \
	FN void stem##_elem(const PRM *P, const real8 x, const real8 y, const real8 z, const real8 cw, real8 *l, \
	                    real8 *gx, real8 *gy, real8 *gz, real8 *h, const int mode)

// gather8 loads the sample weights s and per-column weights cw of elements i .. i+m of an
// N×C elementwise call (absent: 1; missing lanes: s = 0).
FN void gather8(__global const real *W, const i64 wrow, __global const real *CW, const i64 C, const i64 i,
                const uint m, real8 *s, real8 *cw) {
	real ts[8], tc[8];
	i64 r = i / C, c = i - r * C;
	for (uint k = 0; k < 8; k++) {
		ts[k] = k < m ? (W ? (wrow ? W[r] : W[i + k]) : R(1)) : R(0);
		tc[k] = (k < m && CW) ? CW[c] : R(1);
		if (++c == C) {
			c = 0;
			r++;
		}
	}
	*s = vload8(0, ts);
	*cw = vload8(0, tc);
}

// ELEM_STEP is the elementwise driver's work on the chunk at i, with GATHER (a constant: the
// weights of rows or of classes gathered lane by lane) telling the driver's two loops apart.
#define ELEM_STEP(STEM, MODE, GATHER)                                                                   \
	const uint m = CHUNK(i, n);                                                                          \
	const real8 x = ld8(X, i, m), y = Y ? ld8(Y, i, m) : VZERO, z = Z ? ld8(Z, i, m) : VZERO;             \
	real8 s = VC(1), cw = VC(1), l = VZERO, gx = VZERO, gy = VZERO, gz = VZERO, hh = VZERO;                 \
	if (GATHER)                                                                                          \
		gather8(W, wrow, CW, c, i, m, &s, &cw);                                                          \
	else if (W)                                                                                          \
		s = ld8(W, i, m);                                                                                \
	STEM##_elem(P, x, y, z, cw, &l, &gx, &gy, &gz, &hh, MODE);                                           \
	const real8 wl = s * l;                                                                              \
	if (MODE == 3) {                                                                                     \
		const real8 sm = m == 8 ? s : VSEL(HEAD(m), s, 0);                                               \
		racc_add(&a0, sm * l);                                                                           \
		racc_add(&a1, sm * gx);                                                                          \
		racc_add(&a2, sm * gy);                                                                          \
		continue;                                                                                        \
	}                                                                                                    \
	if (PS)                                                                                              \
		st8(wl, PS, i, m);                                                                               \
	if (MODE == 1 || MODE == 2) {                                                                        \
		const real8 g = sc * s;                                                                          \
		if (GX)                                                                                          \
			st8(g * gx, GX, i, m);                                                                       \
		if (GY)                                                                                          \
			st8(g * gy, GY, i, m);                                                                       \
		if (GZ)                                                                                          \
			st8(g * gz, GZ, i, m);                                                                       \
		if (MODE == 2 && H)                                                                              \
			st8(g * hh, H, i, m);                                                                        \
	}                                                                                                    \
	if (m == 8) {                                                                                        \
		racc_add(&a0, wl);                                                                               \
		racc_add(&a1, s);                                                                                \
	} else {                                                                                             \
		racc_add(&a0, VSEL(HEAD(m), wl, 0));                                                             \
		racc_add(&a1, VSEL(HEAD(m), s, 0));                                                              \
	}

#define ELEM_KERNEL(NAME, STEM, MODE)                                                                    \
	KERNEL void NAME(LOSS_ARGS) {                                                                        \
		GROUP_LOCALS;                                                                                    \
		PARAMS;                                                                                          \
		const real sc = MODE == 1 || MODE == 2 ? loss_scale(scale, scale_ptr) : 0;                        \
		RACC a0 = racc_zero(), a1 = racc_zero(), a2 = racc_zero();                                       \
		if ((W && wrow) || CW) {                                                                         \
			FLAT_FOR(i, n, 8) {                                                                          \
				ELEM_STEP(STEM, MODE, 1)                                                                 \
			}                                                                                            \
		} else {                                                                                         \
			FLAT_FOR(i, n, 8) {                                                                          \
				ELEM_STEP(STEM, MODE, 0)                                                                 \
			}                                                                                            \
		}                                                                                                \
		ACCUM t[3] = {racc_total(a0), racc_total(a1), MODE == 3 ? racc_total(a2) : accum_zero()};        \
		group_partials(t, 3, part);                                                                      \
	}

#define DEFINE_ELEM(stem)                       \
	ELEM_KERNEL(stem##_fwd, stem, 0)            \
	ELEM_KERNEL(stem##_fwd_bwd, stem, 1)        \
	ELEM_KERNEL(stem##_hess, stem, 2)
#define DEFINE_CONFUSION(name, fn) ELEM_KERNEL(name##_fwd, fn, 3)

// ---- rows: one work-item takes a contiguous run of rows, each streamed in chunks of eight ----

typedef struct {
	__global const real *x, *y, *z, *cw; // the row's inputs, the class weights
	__global real *gx, *gy, *gz;         // its gradients (NULL when not written)
	i64 c, label, ignore, aux;           // columns, its label (0 without), the ignore index, bins
	acc s, gs;                           // its sample weight, and the gradient factor scale·s
	int mode;                            // 0: value only; 1: value and gradients
	uint bad;                            // labels outside the kernel's range, so far
} ROW;

#define ROW_FN(stem) FN void stem##_row(ROW *r, const PRM *P, acc *L, acc *d)
#define HIST_FN(stem) FN void stem##_rec(ROW *r, const PRM *P, i64 *slot, acc *val)

#define ROW_FOR(r, j) for (i64 j = 0; j < (r)->c; j += 8)
#define row_ldf(r, p, j, f) ld8f(p, j, CHUNK(j, (r)->c), f)
#define row_ld(r, p, j) ld8(p, j, CHUNK(j, (r)->c))
#define row_lds(r, slot, p, j) row_ld(r, p, j) // no staging: the row is in the CPU's cache
#define row_src(r, slot, p) (p)
#define row_st(r, p, j, v) st8(v, p, j, CHUNK(j, (r)->c))
#define row_in(r, j) HEAD(CHUNK(j, (r)->c))
#define lane_at(j, t) ((t) >= (j) && (t) < (j) + 8 ? LANES == (mask8)((t) - (j)) : (mask8)(0))
#define lane_lt(j, t) ((t) > (j) ? HEAD(min((t) - (j), (i64)8)) : (mask8)(0))
#define row_sync(r)
#define row_leader(r) 1
// On a CPU e_j is kept in the gradient row in pass 2 (the row is in cache) rather than
// recomputed in pass 3.
#define SOFTMAX_KEEP(r, j, e) row_st(r, (r)->gx, j, e)
#define SOFTMAX_E(r, src, j, m) row_ld(r, (r)->gx, j)

FN acc row_sum(ROW *r, const RACC a) {
	return accum_value(racc_total(a));
}

FN void row_sums(ROW *r, const RACC *a, acc *t, const int K) {
	for (int k = 0; k < K; k++)
		t[k] = row_sum(r, a[k]);
}

FN void row_fill(ROW *r, __global real *p, const real v) {
	ROW_FOR(r, j) {
		row_st(r, p, j, VC(v));
	}
}

// RMAX is a running maximum, Go's max (NaN wins), lane by lane.
typedef real8 RMAX;
#define rmax_zero() VZERO
#define rmax_add(m, v) (*(m) = VMAX(*(m), v))

FN void row_maxes(ROW *r, const RMAX *a, acc *t, const int K) {
	for (int k = 0; k < K; k++) {
		real v[8];
		vstore8(a[k], 0, v);
		real m = v[0];
		for (int i = 1; i < 8; i++)
			m = isnan(m) || m > v[i] ? m : v[i];
		t[k] = m;
	}
}

// row_argmax finds the first index k of the row's largest value, ignoring NaN, and that value m
// (−Inf for a row of −Inf; NaN for a row of NaN); with nan_wins, the first NaN, if any, is the
// argmax instead (NumPy's rule, cpuref's metrics) and m is NaN.
FN void row_argmax(ROW *r, const int slot, __global const real *x, const int nan_wins, real *m, i64 *k) {
	real8 m8 = VC(-INFINITY);
	mask8 nan8 = (mask8)(0);
	ROW_FOR(r, j) {
		const real8 v = row_ldf(r, x, j, -INFINITY);
		m8 = fmax(m8, v);
		nan8 |= isnan(v);
	}
	const real4 h4 = fmax(m8.lo, m8.hi);
	const real2 h2 = fmax(h4.lo, h4.hi);
	const real mx = fmax(h2.lo, h2.hi);
	const int findnan = nan_wins && any(nan8);
	*m = findnan ? NAN : mx;
	*k = 0;
	ROW_FOR(r, j) {
		const real8 v = row_ldf(r, x, j, -INFINITY);
		const mask8 hit = (findnan ? isnan(v) : (v == mx)) & row_in(r, j);
		if (any(hit)) {
			*k = j + first_lane(hit);
			return;
		}
	}
}

// ROW_KERNEL is cpuref's rowwise driver over this work-item's rows: PS = s·L, and the sums
// [Σ s·L, Σ s·d, bad labels].
#define ROW_SETUP                                                                                        \
	ROW r;                                                                                               \
	r.c = c, r.ignore = ignore, r.aux = aux, r.cw = CW, r.bad = 0, r.gs = 0;                             \
	r.y = r.z = 0, r.gx = r.gy = r.gz = 0;
#define ROW_AT(i, MODE)                                                                                  \
	const i64 off = (i) * c;                                                                             \
	r.x = X + off;                                                                                       \
	if (Y)                                                                                               \
		r.y = Y + off;                                                                                   \
	if (Z)                                                                                               \
		r.z = Z + off;                                                                                   \
	if (MODE) {                                                                                          \
		r.gx = GX ? GX + off : 0, r.gy = GY ? GY + off : 0, r.gz = GZ ? GZ + off : 0;                    \
	}                                                                                                    \
	r.label = LB ? (i64)LB[i] : 0;                                                                       \
	r.s = W ? (acc)W[i] : 1;

// ROW_LOOP runs a row function over this work-item's rows into the sums a[0..3).
#define ROW_LOOP(STEM, MODE, a)                                                                          \
	{                                                                                                    \
		const acc sc = MODE ? (acc)loss_scale(scale, scale_ptr) : 0;                                      \
		ROW_SETUP                                                                                        \
		r.mode = MODE;                                                                                   \
		FLAT_FOR(i, n, 1) {                                                                              \
			ROW_AT(i, MODE)                                                                              \
			r.gs = sc * r.s;                                                                             \
			acc L = 0, d = 0;                                                                            \
			STEM##_row(&r, P, &L, &d);                                                                   \
			const acc wl = r.s * L;                                                                      \
			if (PS)                                                                                      \
				PS[i] = (real)wl;                                                                        \
			accum_add(&a[0], wl);                                                                        \
			accum_add(&a[1], r.s * d);                                                                   \
		}                                                                                                \
		accum_add(&a[2], r.bad);                                                                         \
	}

#define ROW_KERNEL(NAME, STEM, MODE)                                                                     \
	KERNEL void NAME(LOSS_ARGS) {                                                                        \
		GROUP_LOCALS;                                                                                    \
		PARAMS;                                                                                          \
		ACCUM a[3] = {accum_zero(), accum_zero(), accum_zero()};                                         \
		ROW_LOOP(STEM, MODE, a)                                                                          \
		group_partials(a, 3, part);                                                                      \
	}

#define DEFINE_ROW(stem)                  \
	ROW_KERNEL(stem##_fwd, stem, 0)       \
	ROW_KERNEL(stem##_fwd_bwd, stem, 1)
#define DEFINE_ROW_FWD(stem) ROW_KERNEL(stem##_fwd, stem, 0)
// DEFINE_ROW_SHORT marks a row loss whose kernels take short rows their own way: on OpenCL
// they are in short_rows.cl, compiled after the families.
#define DEFINE_ROW_SHORT(stem)

// DEFINE_HIST makes a histogram metric's stem_fwd: work-group g is a worker; its first
// work-item clears histogram g of part (3·aux + 1 slots, accumulator pairs) and adds the
// records of the group's geo rows into it in row order.
#define DEFINE_HIST(stem)                                                                                \
	KERNEL void stem##_fwd(LOSS_ARGS) {                                                                  \
		PARAMS;                                                                                          \
		if (get_local_id(0) != 0)                                                                        \
			return;                                                                                      \
		const i64 nslots = 3 * aux + 1, lo = min((i64)get_group_id(0) * geo, n), hi = min(lo + geo, n); \
		__global acc *h = part + 2 * nslots * (i64)get_group_id(0);                                      \
		for (i64 k = 0; k < 2 * nslots; k++)                                                             \
			h[k] = 0;                                                                                    \
		ROW_SETUP                                                                                        \
		r.mode = 0;                                                                                      \
		for (i64 i = lo; i < hi; i++) {                                                                  \
			ROW_AT(i, 0)                                                                                 \
			i64 slot[3] = {-1, -1, -1};                                                                  \
			acc val[3] = {0, 0, 0};                                                                      \
			stem##_rec(&r, P, slot, val);                                                                \
			for (int k = 0; k < 3; k++)                                                                  \
				if (slot[k] >= 0) {                                                                      \
					ACCUM a = accum_load(h + 2 * slot[k]);                                               \
					accum_add(&a, val[k]);                                                               \
					accum_store(h + 2 * slot[k], a);                                                     \
				}                                                                                        \
		}                                                                                                \
	}
