// metrics.cl: the metric kernels accuracy, f1, binary_iou, macro_f1 and calibration (auc
// stays on the cpu). Each runs with work-groups of one work-item, each taking a contiguous
// run of items and writing its own partial counts to part[(group·nsums + k)·2 + {0, 1}];
// the host adds the groups in order. Mirrors cpuref/metrics.go:
//   - the argmax of a row is the first index of its largest score, the first NaN winning;
//   - "predicted positive" is score > threshold (P.s0; for float32 the host passes the largest
//     float not above the float64 threshold, which decides every float the same way);
//   - a target is positive when y > 0.5; rows labelled ignore are left out.

#define METRIC_ARGS                                                                                              \
	const ulong n, const ulong C, const ulong per, __global const real *X, __global const real *Y,               \
	    __global const int *LB, __global const real *W, const int wrow, const real8 P, const long ignore,        \
	    const uint bins, __global acc *part

// part_zero clears nsums partials of this group; part_add adds v to partial k.
static inline void part_zero(__global acc *part, const uint nsums) {
	const ulong o = (ulong)get_group_id(0) * nsums * 2;
	for (uint k = 0; k < 2 * nsums; k++)
		part[o + k] = 0;
}

static inline void part_add(__global acc *part, const uint nsums, const ulong k, const acc v) {
	const ulong o = ((ulong)get_group_id(0) * nsums + k) * 2;
	accum a;
	a.s = part[o];
	a.c = part[o + 1];
	acc_add(&a, v);
	part[o] = a.s;
	part[o + 1] = a.c;
}

static inline void part_store(__global acc *part, const uint nsums, const uint k, const accum a) {
	const ulong o = ((ulong)get_group_id(0) * nsums + k) * 2;
	part[o] = a.s;
	part[o + 1] = a.c;
}

// accuracy, n rows of C scores: correct when the argmax is the label (C ≥ 2) or when
// [x > threshold] equals the label (C = 1). Sums: [Σ s·correct, Σ s].
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void accuracy_fwd(METRIC_ARGS) {
	accum a0 = acc_zero(), a1 = acc_zero();
	FOR_ITEMS(r, n, per, 1) {
		const long y = (long)LB[r];
		if (y == ignore)
			continue;
		long pred;
		if (C == 1) {
			pred = X[r] > P.s0 ? 1 : 0;
		} else {
			real m;
			ulong k;
			row_argmax(X + r * C, C, 1, &m, &k);
			pred = (long)k;
		}
		const acc s = W ? (acc)W[r] : 1;
		if (pred == y)
			acc_add(&a0, s);
		acc_add(&a1, s);
	}
	part_store(part, 2, 0, a0);
	part_store(part, 2, 1, a1);
}

// confusion counts over n = N·C elements: [TP, FP, FN] = [Σ s·[x>t][y=1], Σ s·[x>t][y=0],
// Σ s·[x≤t][y=1]], s per element or (wrow) per row.
static inline void confusion(METRIC_ARGS) {
	accum8 tp = acc8_zero(), fp = acc8_zero(), fn = acc8_zero();
	FOR_ITEMS(i, n, per, 8) {
		const uint m = (uint)min((ulong)8, n - i);
		const real8 x = ld8(X, i, m), y = ld8(Y, i, m);
		real8 s = V(1), cw;
		if (W && wrow)
			gather8(W, 1, 0, C, i, m, &s, &cw);
		else if (W)
			s = ld8(W, i, m);
		s = select(V(0), s, HEAD(m));
		const mask8 pred = x > P.s0, pos = y > R(0.5);
		acc8_add(&tp, select(V(0), s, pred & pos));
		acc8_add(&fp, select(V(0), s, pred & ~pos));
		acc8_add(&fn, select(V(0), s, ~pred & pos));
	}
	part_store(part, 3, 0, acc8_sum(tp));
	part_store(part, 3, 1, acc8_sum(fp));
	part_store(part, 3, 2, acc8_sum(fn));
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void f1_fwd(METRIC_ARGS) {
	confusion(n, C, per, X, Y, LB, W, wrow, P, ignore, bins, part);
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void binary_iou_fwd(METRIC_ARGS) {
	confusion(n, C, per, X, Y, LB, W, wrow, P, ignore, bins, part);
}

// macro_f1, n rows of C scores, K = bins classes: with p the argmax and y the label,
// Sums[k] = TP_k, Sums[K + k] = FP_k, Sums[2K + k] = FN_k, and Sums[3K] counts labels outside
// [0, K) that are not ignore (never, through package loss).
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void macro_f1_fwd(METRIC_ARGS) {
	const uint K = bins, nsums = 3 * bins + 1;
	part_zero(part, nsums);
	FOR_ITEMS(r, n, per, 1) {
		const long y = (long)LB[r];
		if (y == ignore)
			continue;
		real m;
		ulong k;
		row_argmax(X + r * C, C, 1, &m, &k);
		const long p = (long)k;
		if (y < 0 || y >= (long)K || p >= (long)K) {
			part_add(part, nsums, 3 * K, 1);
			continue;
		}
		const acc s = W ? (acc)W[r] : 1;
		if (p == y) {
			part_add(part, nsums, (ulong)y, s);
		} else {
			part_add(part, nsums, K + (ulong)p, s);
			part_add(part, nsums, 2 * K + (ulong)y, s);
		}
	}
}

// calibration, n rows of C scores, B = bins bins, P.s1 = from_logits: confidence q = the
// top softmax probability (or top score) and correct = [argmax = label] for C ≥ 2; q = σ(x)
// (or x) and correct = [label = 1] for C = 1. The row goes to bin ⌊q·B⌋ clamped to [0, B−1]
// (q < 0 and NaN to bin 0). Sums: [W_b], [Σ s·q], [Σ s·correct], B each. q is formed in
// `acc` precision, as cpuref forms it in float64.
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void calibration_fwd(METRIC_ARGS) {
	const uint B = bins, nsums = 3 * bins;
	const int logits = P.s1 != 0;
	part_zero(part, nsums);
	FOR_ITEMS(r, n, per, 1) {
		const long y = (long)LB[r];
		if (y == ignore)
			continue;
		acc q;
		int correct;
		if (C == 1) {
			q = (acc)X[r];
			if (logits) {
				const acc e = exp(-fabs(q));
				q = q >= 0 ? 1 / (1 + e) : e / (1 + e);
			}
			correct = y == 1;
		} else {
			__global const real *row = X + r * C;
			real m;
			ulong k;
			row_argmax(row, C, 1, &m, &k);
			q = (acc)m;
			if (logits) {
				accum8 z = acc8_zero();
				ROW_FOR(j, C) {
					const uint rm = ROW_M(j, C);
					const acc8 e = exp(to_acc8(ld8f(row, j, rm, -INFINITY)) - q);
#if GLOSS_ACC64
					z.s += e;
#else
					acc8_add(&z, e);
#endif
				}
				q = 1 / acc_value(acc8_sum(z));
			}
			correct = (long)k == y;
		}
		const acc f = q * (acc)B;
		uint b = 0;
		if (f >= (acc)B)
			b = B - 1;
		else if (f > 0)
			b = (uint)f;
		const acc s = W ? (acc)W[r] : 1;
		part_add(part, nsums, b, s);
		part_add(part, nsums, B + b, s * q);
		if (correct)
			part_add(part, nsums, 2 * B + b, s);
	}
}
