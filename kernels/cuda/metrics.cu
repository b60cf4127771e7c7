// metrics.cu: accuracy, f1, binary_iou, macro_f1 and calibration (AUC has no kernel: it runs on
// the cpu). Mirrors cpuref/metrics.go, whose rules hold here: a row whose label is the ignore
// index counts nowhere; the argmax is the first index of the largest score, the first NaN
// winning; "positive" means score > threshold; a target is positive when y > 0.5.
//
// accuracy_fwd      row kernel (row_body): partials [Σ s·correct, Σ s].
// f1_fwd, binary_iou_fwd
//                   elementwise signature (ELEM_PARAMS, P[0] = threshold): partials
//                   [TP, FP, FN] (three per block).
// macro_f1_fwd, calibration_fwd
//                   row kernels that write, per row, up to three (slot, value) records into
//                   scratch (record k of row i at scratch[2·(k·n + i)], slot −1 = none); then
//                   hist_accumulate adds the records into per-warp histograms and hist_finish
//                   adds the warps' histograms in warp order. No floating-point atomics: within a
//                   warp, lanes with the same slot are found with __match_any_sync and their
//                   values added in lane order by the lowest lane, which alone updates the slot
//                   of its warp's histogram.

#include "gloss.cuh"

// row_argmax finds the row's argmax (value and index) over the group.
__device__ __forceinline__ void row_argmax(const Grp& g, const RowCtx& r, double* red, real& bv, i64& bj) {
	bv = 0, bj = -1;
	for (i64 j0 = (i64)g.lane * VN; j0 < r.c; j0 += (i64)g.size * VN) {
		real v[VN];
		ld_chunk(v, r.x, j0, r.c, r.vec);
#pragma unroll
		for (int k = 0; k < VN; ++k)
			if (j0 + k < r.c) amax_push(v[k], j0 + k, bv, bj);
	}
	grp_argmax(g, bv, bj, red);
}

// accuracy, P[0] = threshold (C = 1): a row is correct when its argmax is its label (C ≥ 2) or
// when [x > threshold] equals its label (C = 1). L = [correct], d = 1; ignored rows give 0, 0.
// Mirrors cpuref.accuracy.
struct M_accuracy {
	static constexpr int NSTAGE = 0;
	double thr;
	__device__ M_accuracy(const double* P) : thr(P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 y = r.label;
		if (y == r.ignore) {
			L = d = 0;
			return;
		}
		i64 pred;
		if (r.c == 1) {
			pred = (double)r.x[0] > thr ? 1 : 0;
		} else {
			real bv;
			row_argmax(g, r, red, bv, pred);
		}
		L = pred == y ? 1.0 : 0.0;
		d = 1;
	}
};
ROW_KERNEL_FWD(accuracy, M_accuracy)

// confusion_body: TP = Σ s·[x>t]·[y>½], FP = Σ s·[x>t]·[y≤½], FN = Σ s·[x≤t]·[y>½] over the
// N·C elements, s per element (wmode 1), per row (wmode 2) or 1. Mirrors cpuref.confusion.
__device__ __forceinline__ void confusion_body(ELEM_PARAMS) {
	__shared__ double red[32 * 3];
	double acc[3] = {0, 0, 0};
	const double inv_c = 1.0 / (double)c;
	const i64 stride = (i64)gridDim.x * blockDim.x;
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		const bool pred = (double)X[i] > p0, pos = Y[i] > R(0.5);
		double s = 1;
		if (wmode == 1) {
			s = (double)W[i];
		} else if (wmode == 2) {
			i64 r, col;
			divmod(i, c, inv_c, r, col);
			s = (double)W[r];
		}
		if (pred && pos)
			acc[0] += s;
		else if (pred)
			acc[1] += s;
		else if (pos)
			acc[2] += s;
	}
	write_partials<3>(acc, partials, red);
}
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) f1_fwd(ELEM_PARAMS) { confusion_body(ELEM_ARGS); }
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) binary_iou_fwd(ELEM_PARAMS) { confusion_body(ELEM_ARGS); }

// put_records writes a row's three records (lane 0 of the group).
__device__ __forceinline__ void put_records(const Grp& g, const RowCtx& r, const i64 (&slot)[3], const double (&val)[3]) {
	if (g.lane != 0) return;
#pragma unroll
	for (int k = 0; k < 3; ++k) {
		const i64 at = 2 * (k * r.n + r.row);
		r.scratch[at] = (double)slot[k];
		r.scratch[at + 1] = val[k];
	}
}

// macro_f1 with K = aux classes: the row's argmax p against its label y gives the records
// (y, s) when p = y (TP_y), else (K + p, s) and (2K + y, s) (FP_p, FN_y). Sums after
// hist_finish: K true positives, K false positives, K false negatives. Mirrors cpuref.macroF1.
struct M_macro_f1 {
	static constexpr int NSTAGE = 0;
	__device__ M_macro_f1(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 y = r.label, K = r.aux;
		i64 slot[3] = {-1, -1, -1};
		double val[3] = {0, 0, 0};
		if (y != r.ignore) {
			real bv;
			i64 p;
			row_argmax(g, r, red, bv, p);
			if (y >= 0 && y < K && p >= 0 && p < K) {
				if (p == y) {
					slot[0] = y, val[0] = r.s;
				} else {
					slot[0] = K + p, val[0] = r.s;
					slot[1] = 2 * K + y, val[1] = r.s;
				}
			}
		}
		put_records(g, r, slot, val);
		L = d = 0;
	}
};
ROW_KERNEL_FWD(macro_f1, M_macro_f1)

// calibration with B = aux bins, P[1] = from_logits: the confidence q is the top softmax
// probability 1/Σ_k e^{x_k − max} (from_logits) or the top score (C ≥ 2), σ(x) or x (C = 1);
// correct = [argmax = label] (C ≥ 2) or [label = 1] (C = 1). The row goes to bin
// b = ⌊q·B⌋ clamped to [0, B−1] (NaN to 0) and gives the records (b, s), (B + b, s·q) and,
// when correct, (2B + b, s). q is formed in double. Mirrors cpuref.calibration.
struct M_calibration {
	static constexpr int NSTAGE = 0;
	bool logits;
	__device__ M_calibration(const double* P) : logits(P[1] != 0) {}
	template <int MODE>
	__device__ __forceinline__ void row(const Grp& g, const RowCtx& r, double* red, double& L, double& d) const {
		const i64 y = r.label, B = r.aux;
		i64 slot[3] = {-1, -1, -1};
		double val[3] = {0, 0, 0};
		if (y != r.ignore) {
			double q;
			bool correct;
			if (r.c == 1) {
				q = (double)r.x[0];
				if (logits) q = q >= 0 ? 1 / (1 + exp(-q)) : exp(q) / (1 + exp(q));
				correct = y == 1;
			} else {
				real bv;
				i64 p;
				row_argmax(g, r, red, bv, p);
				q = (double)bv;
				if (logits) {
					double z = 0;
					for (i64 j0 = (i64)g.lane * VN; j0 < r.c; j0 += (i64)g.size * VN) {
						real v[VN];
						ld_chunk(v, r.x, j0, r.c, r.vec);
#pragma unroll
						for (int k = 0; k < VN; ++k)
							if (j0 + k < r.c) z += exp((double)v[k] - q);
					}
					q = 1 / grp_sum(g, z, red);
				}
				correct = p == y;
			}
			const double f = q * (double)B;
			const i64 b = f >= (double)B ? B - 1 : (f > 0 ? (i64)f : 0);
			slot[0] = b, val[0] = r.s;
			slot[1] = B + b, val[1] = r.s * q;
			if (correct) slot[2] = 2 * B + b, val[2] = r.s;
		}
		put_records(g, r, slot, val);
		L = d = 0;
	}
};
ROW_KERNEL_FWD(calibration, M_calibration)

// hist_accumulate adds records [0, R) (three per row, see above) into per-warp histograms:
// warp w (of nwarps, the launch's global warps) takes the contiguous records
// [w·⌈R/nwarps⌉, (w+1)·⌈R/nwarps⌉) and adds them into hist[w·nslots + slot] in record order.
// The host zeroes hist once and may call this several times (chunks of rows) before
// hist_finish. Launch: ⌈32·nwarps/GLOSS_BLOCK⌉ blocks of GLOSS_BLOCK threads.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) hist_accumulate(
    const double* __restrict__ rec, i64 R, double* __restrict__ hist, i64 nslots, i64 nwarps) {
	const i64 w = ((i64)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
	const int lane = threadIdx.x & 31;
	if (w >= nwarps) return;  // whole warps only: no barrier follows
	const i64 per = (R + nwarps - 1) / nwarps;
	const i64 lo = w * per, hi = lo + per < R ? lo + per : R;
	double* h = hist + w * nslots;
	for (i64 b0 = lo; b0 < hi; b0 += 32) {
		const i64 i = b0 + lane;
		for (int k = 0; k < 3; ++k) {
			i64 slot = -1;
			double v = 0;
			if (i < hi) {
				slot = (i64)rec[2 * (k * R + i)];
				v = rec[2 * (k * R + i) + 1];
				if (slot >= nslots) slot = -1;
			}
			const unsigned peers = __match_any_sync(FULL_MASK, slot);
			double sum = 0;
			for (int l = 0; l < 32; ++l) {
				const double vl = __shfl_sync(FULL_MASK, v, l);
				if ((peers >> l) & 1u) sum += vl;
			}
			if (slot >= 0 && lane == __ffs(peers) - 1) h[slot] += sum;
		}
	}
}

// hist_finish adds the nwarps histograms in warp order: out[k] = Σ_w hist[w·nslots + k].
// Launch: ⌈nslots/GLOSS_BLOCK⌉ blocks of GLOSS_BLOCK threads.
extern "C" __global__ void __launch_bounds__(GLOSS_BLOCK) hist_finish(
    const double* __restrict__ hist, i64 nwarps, i64 nslots, double* __restrict__ out) {
	const i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	if (k >= nslots) return;
	double s = 0;
	for (i64 w = 0; w < nwarps; ++w) s += hist[w * nslots + k];
	out[k] = s;
}
