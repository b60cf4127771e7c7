// common.cu: the kernels every call shares — the validity checks (device.Check), the Mean's
// denominator pre-pass (cpuref.DenomSum) and the final reduction of block partials.

#include "gloss.cuh"

// check_labels finds the first label that is neither the ignore index nor in [lo, hi)
// (device.Check.ValidLabel). Launch: 1-D grid of GLOSS_BLOCK threads, any size.
// first must hold n before the launch; it ends as the smallest bad index (or n). Integer atomicMin
// on an index is exact, so the answer does not depend on the order threads run in.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) check_labels(
    const int* __restrict__ lab, i64 n, double lo, double hi, i64 ignore, unsigned long long* first) {
	const i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		const i64 v = lab[i];
		const bool ok = v == ignore || ((double)v >= lo && (double)v < hi);
		if (!ok) {
			atomicMin(first, (unsigned long long)i);
			break;  // later indices of this thread are larger
		}
	}
}

// check_values finds the first value that fails a float check (device.Check.Valid):
// kind 2 range [lo, hi] (±Inf values pass only against an infinite bound on their side),
// 3 finite, 4 sign (−1 or +1), 5 binary (0 or 1). NaN fails every check. Launch and first as
// check_labels.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) check_values(
    const real* __restrict__ x, i64 n, i64 kind, double lo, double hi, unsigned long long* first) {
	const i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		const double v = (double)x[i];
		bool ok = false;
		switch (kind) {
		case 2:
			ok = v >= lo && v <= hi && (!isinf(v) || (isinf(lo) && lo < 0 && v < 0) || (isinf(hi) && hi > 0 && v > 0));
			break;
		case 3:
			ok = isfinite(v);
			break;
		case 4:
			ok = v == 1 || v == -1;
			break;
		case 5:
			ok = v == 0 || v == 1;
			break;
		}
		if (!ok) {
			atomicMin(first, (unsigned long long)i);
			break;
		}
	}
}

// denom_sum computes block partials of the Mean's denominator Σd (cpuref.DenomSum):
//   rule 0 (DenomWeight): Σ_i W[i] over n weights (the host multiplies by C when an
//          elementwise loss has one weight per row);
//   rule 1 (DenomLabel):  Σ_i s_i·cw[y_i]·[y_i ≠ ignore]   (cw = 1 without class weights);
//   rule 2 (DenomCorn):   Σ_i s_i·min(y_i + 1, C).
// s_i = W[i] or 1. A label outside [0, C) that is not ignored gives NaN (package loss rejects
// such labels before any kernel runs; NaN makes a missed check visible instead of reading
// out of bounds). Launch: 1-D grid of GLOSS_BLOCK threads; partials: one double per block.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) denom_sum(
    const int* __restrict__ lab, const real* __restrict__ W, const real* __restrict__ CW, i64 n, i64 c,
    i64 rule, i64 ignore, double* __restrict__ partials) {
	__shared__ double red[32];
	double acc[1] = {0};
	const i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		const double s = W ? (double)W[i] : 1.0;
		double d = 1;
		if (rule == 1) {
			const i64 y = lab[i];
			if (y == ignore)
				d = 0;
			else if (y < 0 || y >= c)
				d = CUDART_NAN;
			else
				d = CW ? (double)CW[y] : 1.0;
		} else if (rule == 2) {
			const i64 y = lab[i];
			d = (double)(y + 1 < c ? y + 1 : c);
		}
		acc[0] += s * d;
	}
	write_partials<1>(acc, partials, red);
}

// denom_finish adds the nblocks partials of denom_sum in block order, multiplies by mult and
// writes out[0] = Σd and out[1] = scale/Σd (0 when Σd = 0): the gradient scale of a Mean
// (cpuref.MeanScale), read by the loss kernels through their scale_ptr. Launch: 1 block of
// GLOSS_BLOCK threads.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) denom_finish(
    const double* __restrict__ partials, i64 nblocks, double scale, double mult, double* __restrict__ out) {
	__shared__ double red[32];
	double acc[1] = {0};
	for (i64 j = threadIdx.x; j < nblocks; j += blockDim.x) acc[0] += partials[j];
	Grp b = make_grp(0);
	grp_sum_v<1>(b, acc, red);
	if (threadIdx.x == 0) {
		const double d = acc[0] * mult;
		out[0] = d;
		out[1] = d == 0 ? 0.0 : scale / d;
	}
}

// reduce_finish adds the nblocks partials of a kernel (nsums ≤ 4 per block, interleaved) in
// block order: out[k] = Σ_j partials[j·nsums + k]. Launch: 1 block of GLOSS_BLOCK threads.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) reduce_finish(
    const double* __restrict__ partials, i64 nblocks, i64 nsums, double* __restrict__ out) {
	__shared__ double red[32 * 4];
	double acc[4] = {0, 0, 0, 0};
	for (i64 j = threadIdx.x; j < nblocks; j += blockDim.x)
		for (int k = 0; k < 4; ++k)
			if (k < nsums) acc[k] += partials[j * nsums + k];
	Grp b = make_grp(0);
	grp_sum_v<4>(b, acc, red);
	if (threadIdx.x == 0)
		for (int k = 0; k < 4; ++k)
			if (k < nsums) out[k] = acc[k];
}
