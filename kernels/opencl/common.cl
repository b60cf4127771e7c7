// common.cl: what every gloss OpenCL kernel file shares, and the kernels that are not losses:
// the validity checks behind device.Check (check_labels, check_values) and the Mean
// denominator Σd of cpuref.DenomSum (denom_sum). Compiled first; the family files follow.
//
// Build options (device/opencl sets them):
//   -DGLOSS_F64=0|1    the element type `real`: float, or double (needs cl_khr_fp64)
//   -DGLOSS_ACC64=0|1  sums in double (cl_khr_fp64), or in compensated (Neumaier) float
//   -DWG=n             the local size of every reduction kernel (1 on CPU devices)
//   -DSTRIDED=0|1      work-item w of W takes items w, w+W, w+2W, ... (GPUs) instead of one
//                      contiguous chunk of `per` items (CPUs: PoCL runs a work-group on one
//                      core and loops over its items, so contiguous chunks stream memory)
//
// Reductions are deterministic: each work-item adds its items in index order, work-item 0 of
// a group adds the group's accumulators in local-id order and writes one partial per sum,
// as a (value, compensation) pair, to part[(group·nsums + k)·2 + {0, 1}]; the host adds the
// groups' partials in group order. The number of groups depends only on the problem size.
// No floating-point atomics anywhere. Every index is 64-bit (ulong), so N·C > 2^31 works.

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
#else
typedef float real;
typedef float2 real2;
typedef float4 real4;
typedef float8 real8;
typedef int8 mask8;
#endif

#if GLOSS_ACC64
#ifndef GLOSS_HAS_FP64
#error "double accumulators need a device with cl_khr_fp64"
#endif
typedef double acc;
typedef double2 acc2;
typedef double4 acc4;
typedef double8 acc8;
#define to_acc8(v) convert_double8(v)
#else
#if GLOSS_F64
#error "float64 kernels accumulate in double: build with -DGLOSS_ACC64=1"
#endif
typedef float acc;
typedef float2 acc2;
typedef float4 acc4;
typedef float8 acc8;
#define to_acc8(v) (v)
#endif

// amask8 is what select wants with acc8 values; to_amask8, to_mask8 and to_real8 convert
// masks and values between the element and accumulator types.
#if GLOSS_ACC64
typedef long8 amask8;
#define to_amask8(m) convert_long8(m)
#else
typedef int8 amask8;
#define to_amask8(m) convert_int8(m)
#endif
#if GLOSS_F64
#define to_mask8(m) convert_long8(m)
#define to_real8(v) convert_double8(v)
#else
#define to_mask8(m) convert_int8(m)
#define to_real8(v) convert_float8(v)
#endif

// R(v) is the constant v in the element type; V(v) the same in all eight lanes.
#define R(v) ((real)(v))
#define V(v) ((real8)(v))
#define LANES ((mask8)(0, 1, 2, 3, 4, 5, 6, 7))
// The lanes below m.
#define HEAD(m) (LANES < (mask8)(m))

// ---- accumulators ----

// accum is a running sum with its compensation c (always 0 with double accumulators).
typedef struct {
	acc s, c;
} accum;

typedef struct {
	acc8 s, c;
} accum8;

static inline accum acc_zero(void) {
	accum a;
	a.s = 0;
	a.c = 0;
	return a;
}

static inline accum8 acc8_zero(void) {
	accum8 a;
	a.s = (acc8)(0);
	a.c = (acc8)(0);
	return a;
}

// acc_add adds v to a (Neumaier's compensated sum in float).
static inline void acc_add(accum *a, const acc v) {
#if GLOSS_ACC64
	a->s += v;
#else
	const acc t = a->s + v;
	if (fabs(a->s) >= fabs(v))
		a->c += (a->s - t) + v;
	else
		a->c += (v - t) + a->s;
	a->s = t;
#endif
}

// acc_merge adds the sum b to a.
static inline void acc_merge(accum *a, const accum b) {
	acc_add(a, b.s);
#if !GLOSS_ACC64
	a->c += b.c;
#endif
}

// acc8_add adds the eight lanes of v to the eight lane sums of a.
static inline void acc8_add(accum8 *a, const real8 v) {
#if GLOSS_ACC64
	a->s += to_acc8(v);
#else
	const acc8 t = a->s + v;
	a->c += select((v - t) + a->s, (a->s - t) + v, fabs(a->s) >= fabs(v));
	a->s = t;
#endif
}

// acc8_addacc adds the eight accumulator-precision values v to the lane sums of a.
static inline void acc8_addacc(accum8 *a, const acc8 v) {
#if GLOSS_ACC64
	a->s += v;
#else
	const acc8 t = a->s + v;
	a->c += select((v - t) + a->s, (a->s - t) + v, fabs(a->s) >= fabs(v));
	a->s = t;
#endif
}

// acc8_value is each lane's sum as one number (acc_value lane by lane).
static inline acc8 acc8_value(const accum8 a) {
#if GLOSS_ACC64
	return a.s;
#else
	return select(a.s, a.s + a.c, isfinite(a.s));
#endif
}

// acc8_sum adds the lanes of a in lane order.
static inline accum acc8_sum(const accum8 a) {
	acc s[8], c[8];
	vstore8(a.s, 0, s);
	vstore8(a.c, 0, c);
	accum t = acc_zero();
	for (int k = 0; k < 8; k++) {
		acc_add(&t, s[k]);
#if !GLOSS_ACC64
		t.c += c[k];
#endif
	}
	return t;
}

// acc_value is the accumulated sum as one number (an infinite or NaN sum is its s alone).
static inline acc acc_value(const accum a) {
#if GLOSS_ACC64
	return a.s;
#else
	return isfinite(a.s) ? a.s + a.c : a.s;
#endif
}

// group_store adds work-item accumulators a over the work-group in local-id order and writes
// the group's partial k of nsums. Every work-item of the group must call it.
static void group_store(__local accum *scratch, const accum a, __global acc *part, const uint nsums, const uint k) {
	const uint lid = get_local_id(0);
	scratch[lid] = a;
	barrier(CLK_LOCAL_MEM_FENCE);
	if (lid == 0) {
		accum t = scratch[0];
		for (uint i = 1; i < WG; i++)
			acc_merge(&t, scratch[i]);
		const ulong o = ((ulong)get_group_id(0) * nsums + k) * 2;
		part[o] = t.s;
		part[o + 1] = t.c;
	}
	barrier(CLK_LOCAL_MEM_FENCE);
}

// loss_store writes a loss kernel's three sums: Σ s·L, Σ s·d and the count of bad labels.
static void loss_store(__local accum *scratch, const accum sl, const accum sd, const uint bad, __global acc *part) {
	group_store(scratch, sl, part, 3, 0);
	group_store(scratch, sd, part, 3, 1);
	accum b = acc_zero();
	b.s = (acc)bad;
	group_store(scratch, b, part, 3, 2);
}

// ---- the items of a work-item ----

// FOR_ITEMS(i, n, per, step) runs i over this work-item's items in steps of step: the
// contiguous chunk [gid·per, gid·per + per) ∩ [0, n) (per a multiple of step), or with
// STRIDED the items gid·step, (gid + W)·step, ...
// ITEMS_LEFT(i, n) is the number of this work-item's items from i on within its current
// step (at most step when the chunk is not a multiple of it).
#if STRIDED
#define FOR_ITEMS(i, n, per, step) \
	for (ulong i = get_global_id(0) * (ulong)(step); i < (n); i += get_global_size(0) * (ulong)(step))
#define ITEMS_LEFT(i, n) ((n) - (i))
#else
#define FOR_ITEMS(i, n, per, step) \
	for (ulong i##_lo = min(get_global_id(0) * (per), (ulong)(n)), i##_hi = min(i##_lo + (per), (ulong)(n)), \
	           i = i##_lo; i < i##_hi; i += (ulong)(step))
#define ITEMS_LEFT(i, n) (i##_hi - (i))
#endif

// ---- loads and stores of eight elements ----

// ld8f loads p[i .. i+m) (m ≤ 8), the missing lanes fill; ld8 fills with 0. A short load
// is one straight-line case per length (a loop through a private array costs several times
// more, and rows shorter than eight are all tail).
static inline real8 ld8f(__global const real *p, const ulong i, const uint m, const real fill) {
	__global const real *q = p + i;
	const real f = fill;
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

static inline real8 ld8(__global const real *p, const ulong i, const uint m) {
	return ld8f(p, i, m, R(0));
}

// st8 stores the first m lanes of v to p[i .. i+m).
static inline void st8(const real8 v, __global real *p, const ulong i, const uint m) {
	__global real *q = p + i;
	switch (m) {
	case 8:
		vstore8(v, 0, q);
		return;
	case 7:
		vstore4(v.s0123, 0, q);
		vstore2(v.s45, 0, q + 4);
		q[6] = v.s6;
		return;
	case 6:
		vstore4(v.s0123, 0, q);
		vstore2(v.s45, 0, q + 4);
		return;
	case 5:
		vstore4(v.s0123, 0, q);
		q[4] = v.s4;
		return;
	case 4:
		vstore4(v.s0123, 0, q);
		return;
	case 3:
		vstore2(v.s01, 0, q);
		q[2] = v.s2;
		return;
	case 2:
		vstore2(v.s01, 0, q);
		return;
	case 1:
		q[0] = v.s0;
		return;
	}
}

// gather8 loads the sample weights s and column weights cw of elements i .. i+m of an N×C
// elementwise call: s = W[i] (per element) or W[i / C] (wrow: per row), cw = CW[i % C].
// Absent inputs give 1; missing lanes give s = 0.
static inline void gather8(__global const real *W, const int wrow, __global const real *CW, const ulong C,
                           const ulong i, const uint m, real8 *s, real8 *cw) {
	real ts[8], tc[8];
	ulong r = i / C, c = i - r * C;
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

// Lane reductions.
static inline real hmax8(const real8 v) {
	const real4 a = fmax(v.lo, v.hi);
	const real2 b = fmax(a.lo, a.hi);
	return fmax(b.lo, b.hi);
}

// first_lane returns the lowest lane whose mask is set (8 when none is).
static inline uint first_lane(const mask8 mk) {
	int t[8];
	vstore8(convert_int8(mk), 0, t);
	for (uint k = 0; k < 8; k++)
		if (t[k])
			return k;
	return 8;
}

// ---- NaN-propagating helpers: Go's max/min and cpuref's sign ----

// maxn and minn return NaN when either argument is NaN, as Go's max and min do.
static inline real8 maxn(const real8 a, const real8 b) {
	return select(fmax(a, b), a + b, isnan(a) | isnan(b));
}
static inline real8 minn(const real8 a, const real8 b) {
	return select(fmin(a, b), a + b, isnan(a) | isnan(b));
}
// relu is Go's max(0, v): v where v is NaN.
static inline real8 relu(const real8 v) {
	return select(v, V(0), v < 0);
}
// sgn is cpuref's sign: −1, +1, or v itself (±0, NaN).
static inline real8 sgn(const real8 v) {
	return select(select(v, V(-1), v < 0), V(1), v > 0);
}

// sig2 sets σ(x) = 1/(1 + e^−x) and σ(−x) without overflow from e = e^{−|x|} (cpuref's
// sigmoid: 1/(1 + e) or e/(1 + e) by the sign of the argument), one exponential for both.
// softplus(±x) = log(1 + e^{±x}) = max(±x, 0) + log1p(e) shares the same e.
static inline void sig2(const real8 x, const real8 e, real8 *sp, real8 *sn) {
	const real8 a = 1 / (1 + e), b = e / (1 + e);
	*sp = select(b, a, x >= 0);
	*sn = select(b, a, -x >= 0);
}

// ---- loss kernels: the argument list and the two drivers ----

// Every loss kernel takes the same arguments, in this order (absent buffers are NULL):
//   n, C    items (elements for elementwise kernels, rows for row kernels) and columns
//   per     items per work-item (contiguous layout)
//   X Y Z   float inputs; LB int32 labels; W sample weights (wrow: one per row of an
//           elementwise call); CW class weights (elementwise: per column, pos_weight)
//   P       the loss's parameters in its documented order; ignore the ignore index
//   scale   the gradient scale (Scale, or Scale/Σd for a Mean)
//   PS GX GY GZ H   outputs: s·L per item, Scale·s·∂L/∂(X, Y, Z), Scale·s·∂²L/∂X²
//   part    the group partials of [Σ s·L, Σ s·d, bad labels]
#define LOSS_ARGS                                                                                               \
	const ulong n, const ulong C, const ulong per, __global const real *X, __global const real *Y,               \
	    __global const real *Z, __global const int *LB, __global const real *W, const int wrow,                  \
	    __global const real *CW, const real8 P, const long ignore, const real scale, __global real *PS,          \
	    __global real *GX, __global real *GY, __global real *GZ, __global real *H, __global acc *part

// An element function computes eight terms at once: l = L(x, y, z; P, cw) and, when
// mode ≥ 1, the derivatives gx, gy, gz of L with respect to x, y, z; when mode = 2 also
// h = ∂²L/∂x². Lanes are independent. It mirrors cpuref's ElemFunc of the same stem.
#define ELEM_FN(name)                                                                                            \
	static inline void name(const real8 P, const real8 x, const real8 y, const real8 z, const real8 cw,         \
	                        real8 *l, real8 *gx, real8 *gy, real8 *gz, real8 *h, const int mode)

// ELEM_KERNEL is cpuref's elementwise driver: eight elements per step,
// PerSample = s·L, grads = scale·s·∂L, Hess = scale·s·∂²L, sums [Σ s·L, Σ s, 0].
#define ELEM_KERNEL(NAME, FN, MODE)                                                                              \
	__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void NAME(LOSS_ARGS) {                             \
		__local accum scratch[WG];                                                                              \
		accum8 a0 = acc8_zero(), a1 = acc8_zero();                                                              \
		const int gather = (W && wrow) || CW;                                                                   \
		FOR_ITEMS(i, n, per, 8) {                                                                               \
			const uint m = (uint)min((ulong)8, n - i);                                                          \
			const real8 x = ld8(X, i, m);                                                                       \
			const real8 y = Y ? ld8(Y, i, m) : V(0);                                                            \
			const real8 z = Z ? ld8(Z, i, m) : V(0);                                                            \
			real8 s = V(1), cw = V(1);                                                                          \
			if (gather)                                                                                         \
				gather8(W, wrow, CW, C, i, m, &s, &cw);                                                         \
			else if (W)                                                                                         \
				s = ld8(W, i, m);                                                                               \
			real8 l = V(0), gx = V(0), gy = V(0), gz = V(0), h = V(0);                                          \
			FN(P, x, y, z, cw, &l, &gx, &gy, &gz, &h, MODE);                                                    \
			const real8 wl = s * l;                                                                             \
			if (PS)                                                                                             \
				st8(wl, PS, i, m);                                                                              \
			if (MODE >= 1) {                                                                                    \
				const real8 g = scale * s;                                                                      \
				if (GX)                                                                                         \
					st8(g * gx, GX, i, m);                                                                      \
				if (GY)                                                                                         \
					st8(g * gy, GY, i, m);                                                                      \
				if (GZ)                                                                                         \
					st8(g * gz, GZ, i, m);                                                                      \
				if (MODE == 2 && H)                                                                             \
					st8(g * h, H, i, m);                                                                        \
			}                                                                                                   \
			if (m == 8) {                                                                                       \
				acc8_add(&a0, wl);                                                                              \
				acc8_add(&a1, s);                                                                               \
			} else {                                                                                            \
				acc8_add(&a0, select(V(0), wl, HEAD(m)));                                                       \
				acc8_add(&a1, select(V(0), s, HEAD(m)));                                                        \
			}                                                                                                   \
		}                                                                                                       \
		loss_store(scratch, acc8_sum(a0), acc8_sum(a1), 0, part);                                               \
	}

// DEFINE_ELEM(stem) makes the kernels stem_fwd, stem_fwd_bwd and stem_hess from the element
// function stem_elem.
#define DEFINE_ELEM(stem)                                                                                        \
	ELEM_KERNEL(stem##_fwd, stem##_elem, 0)                                                                      \
	ELEM_KERNEL(stem##_fwd_bwd, stem##_elem, 1)                                                                  \
	ELEM_KERNEL(stem##_hess, stem##_elem, 2)

// A row function computes one row's term L (class weights included) and its denominator
// contribution *d, and when mode ≥ 1 writes g·∂L/∂(x, y, z) into the rows gx, gy, gz that
// are not NULL (g = scale·s). x, y, z point at the row's C values; lab is its label (0
// without labels). A label it cannot use (outside its range, not ignore) adds 1 to *bad and
// the row counts as ignored. It mirrors cpuref's RowFunc of the same stem. The gradient may
// overwrite x (gx == x): a row function reads no x value after writing gx.
#define ROW_FN(name)                                                                                             \
	static inline acc name(const real8 P, const ulong C, __global const real *x, __global const real *y,        \
	                       __global const real *z, const long lab, const long ignore, __global const real *cw,  \
	                       const real g, __global real *gx, __global real *gy, __global real *gz, acc *d,       \
	                       uint *bad, const int mode)

// ROW_LOOP is cpuref's rowwise driver over this work-item's rows: PerSample = s·L, and
// s·L, s·d and bad labels added to the accumulators a0, a1 and bad.
#define ROW_LOOP(FN, MODE, a0, a1, bad)                                                                          \
	FOR_ITEMS(r, n, per, 1) {                                                                                   \
		const ulong off = r * C;                                                                                \
		const real s = W ? W[r] : R(1);                                                                         \
		acc d = 0;                                                                                              \
		const acc l = FN(P, C, X + off, Y ? Y + off : 0, Z ? Z + off : 0, LB ? (long)LB[r] : 0, ignore, CW,     \
		                 scale * s, (MODE && GX) ? GX + off : 0, (MODE && GY) ? GY + off : 0,                   \
		                 (MODE && GZ) ? GZ + off : 0, &d, &bad, MODE);                                          \
		const acc wl = (acc)s * l;                                                                              \
		if (PS)                                                                                                 \
			PS[r] = (real)wl;                                                                                   \
		acc_add(&a0, wl);                                                                                       \
		acc_add(&a1, (acc)s * d);                                                                               \
	}

// ROW_KERNEL makes a row kernel: ROW_LOOP, then the sums [Σ s·L, Σ s·d, bad].
#define ROW_KERNEL(NAME, FN, MODE)                                                                               \
	__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void NAME(LOSS_ARGS) {                             \
		__local accum scratch[WG];                                                                              \
		accum a0 = acc_zero(), a1 = acc_zero();                                                                 \
		uint bad = 0;                                                                                           \
		ROW_LOOP(FN, MODE, a0, a1, bad)                                                                         \
		loss_store(scratch, a0, a1, bad, part);                                                                 \
	}

// DEFINE_ROW(stem) makes the kernels stem_fwd and stem_fwd_bwd from the row function stem_row.
#define DEFINE_ROW(stem)                                                                                         \
	ROW_KERNEL(stem##_fwd, stem##_row, 0)                                                                        \
	ROW_KERNEL(stem##_fwd_bwd, stem##_row, 1)

// ---- row helpers ----

// ROW_FOR(j, C) runs j over a row in steps of eight; rm is the number of valid lanes.
#define ROW_FOR(j, C) for (ulong j = 0; j < (C); j += 8)
#define ROW_M(j, C) ((uint)min((ulong)8, (C) - (j)))

// row_zero writes C zeros to gx (nothing when gx is NULL).
static inline void row_zero(__global real *gx, const ulong C) {
	if (!gx)
		return;
	ROW_FOR(j, C) {
		st8(V(0), gx, j, ROW_M(j, C));
	}
}

// row_argmax returns the first index of the row's largest value, ignoring NaN, in *k and that
// value in *m (−Inf for a row of −Inf; NaN for a row of NaN). With nan_wins, the first NaN,
// if any, is the argmax instead (NumPy's rule, cpuref's metrics) and *m is NaN.
static inline void row_argmax(__global const real *x, const ulong C, const int nan_wins, real *m, ulong *k) {
	real8 m8 = V(-INFINITY);
	mask8 nan8 = (mask8)(0);
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8f(x, j, rm, -INFINITY);
		m8 = fmax(m8, v);
		nan8 |= isnan(v);
	}
	const real mx = hmax8(m8);
	const int findnan = nan_wins && any(nan8);
	*m = findnan ? NAN : mx;
	*k = 0;
	ROW_FOR(j, C) {
		const uint rm = ROW_M(j, C);
		const real8 v = ld8f(x, j, rm, -INFINITY);
		const mask8 hit = (findnan ? isnan(v) : (v == mx)) & HEAD(rm);
		if (any(hit)) {
			*k = j + first_lane(hit);
			return;
		}
	}
}

// ---- checks (device.Check) ----

// group_first writes the smallest of the work-group's first-bad indices to out[group]: the
// per-group stage of the checks' deterministic min-reduction.
static inline void group_first(__local long *scratch, const long first, __global long *out) {
	const uint lid = get_local_id(0);
	scratch[lid] = first;
	barrier(CLK_LOCAL_MEM_FENCE);
	if (lid == 0) {
		long f = scratch[0];
		for (uint k = 1; k < WG; k++)
			f = min(f, scratch[k]);
		out[get_group_id(0)] = f;
	}
}

// check_values writes, per group, the first index i < n at which the float value X[i] fails
// the check (n when none does): kind 2 range [lo, hi] (±Inf values fail unless neg_inf /
// pos_inf allow them; the host rounds the bounds inward to the element type), 3 finite,
// 4 sign (−1 or +1), 5 binary (0 or 1). NaN fails every check. Mirrors device.Check.Valid.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void check_values(
    const ulong n, const ulong per, __global const real *X, const int kind, const real lo, const real hi,
    const int neg_inf, const int pos_inf, __global long *out) {
	__local long scratch[WG];
	long first = (long)n;
	FOR_ITEMS(i, n, per, 8) {
		const uint m = (uint)min((ulong)8, n - i);
		const real8 v = ld8(X, i, m);
		mask8 ok;
		switch (kind) {
		case 2:
			ok = (v >= lo) & (v <= hi) &
			     (~isinf(v) | ((mask8)(neg_inf ? -1 : 0) & (v < 0)) | ((mask8)(pos_inf ? -1 : 0) & (v > 0)));
			break;
		case 3:
			ok = isfinite(v);
			break;
		case 4:
			ok = (v == 1) | (v == -1);
			break;
		case 5:
			ok = (v == 0) | (v == 1);
			break;
		default:
			ok = (mask8)(0);
		}
		const mask8 badm = ~ok & HEAD(m);
		if (any(badm)) {
			first = (long)(i + first_lane(badm));
			break;
		}
	}
	group_first(scratch, first, out);
}

// check_labels writes, per group, the first index i < n whose label is neither ignore nor in
// [lo, hi) (n when none). Mirrors device.Check.ValidLabel.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void check_labels(const ulong n, const ulong per,
                                                                         __global const int *LB, const long lo,
                                                                         const long hi, const long ignore,
                                                                         __global long *out) {
	__local long scratch[WG];
	long first = (long)n;
	FOR_ITEMS(i, n, per, 1) {
		const long v = (long)LB[i];
		if (!(v == ignore || (v >= lo && v < hi))) {
			first = (long)i;
			break;
		}
	}
	group_first(scratch, first, out);
}

// denom_sum computes Σd over n items (cpuref.DenomSum) into the partials [Σd, bad labels]:
//   rule 0 (DenomWeight): d = s; over rows with wrow (each row's weight counts C times),
//                         else over the items of W
//   rule 1 (DenomLabel):  d = s·cw[y]·[y ≠ ignore] over rows
//   rule 2 (DenomCorn):   d = s·min(y + 1, C) over rows
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void denom_sum(
    const ulong n, const ulong C, const ulong per, __global const int *LB, __global const real *W, const int wrow,
    __global const real *CW, const long ignore, const int rule, __global acc *part) {
	__local accum scratch[WG];
	accum a = acc_zero();
	uint bad = 0;
	FOR_ITEMS(i, n, per, 1) {
		const acc s = W ? (acc)W[i] : 1;
		acc d;
		if (rule == 0) {
			d = wrow ? s * (acc)C : s;
		} else {
			const long y = (long)LB[i];
			if (rule == 2) {
				if (y < 0 || y > (long)C) {
					bad++;
					d = 0;
				} else {
					d = s * (acc)min(y + 1, (long)C);
				}
			} else if (y == ignore) {
				d = 0;
			} else if (y < 0 || y >= (long)C) {
				bad++;
				d = 0;
			} else {
				d = s * (CW ? (acc)CW[y] : 1);
			}
		}
		acc_add(&a, d);
	}
	group_store(scratch, a, part, 2, 0);
	accum b = acc_zero();
	b.s = (acc)bad;
	group_store(scratch, b, part, 2, 1);
}
