// checks.h: the kernels every call may use besides its loss's: the validity checks behind
// device.Check (check_values, check_labels), the Mean's denominator Σd of cpuref.DenomSum
// (denom_sum, and denom_finish where the device keeps the gradient scale on the device) and
// the reduction of the histogram metrics (hist_finish). device/plan launches them.

// check_values writes, per group, the first index i < n at which X[i] fails the check (n when
// none does): kind 2 range [lo, hi] (the host rounds the bounds inward to the element type, so
// ±Inf passes only against an infinite bound of its sign), 3 finite, 4 sign (−1 or +1),
// 5 binary (0 or 1). NaN fails every check. Mirrors device.Check.Valid.
KERNEL void check_values(GP(const real) X, const i64 n, const i64 kind, const ARG_REAL lo, const ARG_REAL hi,
                         GP(i64) out, const i64 geo, const i64 flags) {
	GROUP_LOCALS;
	i64 first = n;
	FLAT_FOR(i, n, VW) {
		const VR v = flat_ld(X, i, n);
		const VM ok = kind == 2   ? (v >= (real)lo && v <= (real)hi)
		              : kind == 3 ? isfinite(v)
		              : kind == 4 ? (v == 1 || v == -1)
		                          : (v == 0 || v == 1);
		const VM bad = !ok && flat_in(i, n);
		if (vany(bad)) {
			first = i + first_lane(bad);
			break;
		}
	}
	group_min(first, out);
}

// check_labels writes, per group, the first index i < n whose label is neither ignore nor in
// [lo, hi) (n when none). Mirrors device.Check.ValidLabel.
KERNEL void check_labels(GP(const int) LB, const i64 n, const i64 lo, const i64 hi, const i64 ignore, GP(i64) out,
                         const i64 geo, const i64 flags) {
	GROUP_LOCALS;
	i64 first = n;
	FLAT_FOR(i, n, 1) {
		const i64 v = LB[i];
		if (!(v == ignore || (v >= lo && v < hi))) {
			first = i;
			break;
		}
	}
	group_min(first, out);
}

// denom_sum adds, per group, Σd over n items and the count of labels outside the rule's range:
//   rule 0 (DenomWeight): d = s over the weights W (times c with wrow: one weight per row of
//                         an elementwise call)
//   rule 1 (DenomLabel):  d = s·cw[y]·[y ≠ ignore] over rows
//   rule 2 (DenomCorn):   d = s·min(y + 1, c) over rows
KERNEL void denom_sum(GP(const int) LB, GP(const real) W, GP(const real) CW, const i64 n, const i64 c,
                      const i64 wrow, const i64 rule, const i64 ignore, GP(acc) part, const i64 geo,
                      const i64 flags) {
	GROUP_LOCALS;
	ACCUM a[2] = {accum_zero(), accum_zero()}; // Σd, bad labels
	FLAT_FOR(i, n, 1) {
		const acc s = W ? (acc)W[i] : 1;
		acc dd = wrow ? s * (acc)c : s;
		if (rule != 0) {
			const i64 y = LB[i];
			const int bad = rule == 2 ? (y < 0 || y > c) : (y != ignore && (y < 0 || y >= c));
			dd = bad || y == ignore ? 0 : s * (rule == 2 ? (acc)(y + 1 < c ? y + 1 : c) : CW ? (acc)CW[y] : 1);
			accum_add(&a[1], bad);
		}
		accum_add(&a[0], dd);
	}
	group_partials(a, 2, part);
}

// denom_finish (one group) adds denom_sum's ngroups partials of Σd in group order and writes
// the Mean's gradient scale out[0] = scale/Σd, or 0 when Σd = 0 (every term then has weight
// 0), which the loss kernel reads through its scale_ptr.
KERNEL void denom_finish(GP(const acc) part, const i64 ngroups, const ARG_REAL scale, GP(acc) out, const i64 geo,
                         const i64 flags) {
	GROUP_LOCALS;
	ACCUM a = accum_zero();
	ONE_FOR(i, ngroups) {
		accum_merge(&a, accum_load(part + 4 * i));
	}
	const acc den = group_total(a);
	if (group_leader())
		out[0] = den == 0 ? 0 : (acc)scale / den;
}

// hist_finish adds the ncopies histograms of nslots slots each, in copy order: out[k] is the sum
// of hist[w·nslots + k] over w, every slot an accumulator pair.
KERNEL void hist_finish(GP(const acc) hist, const i64 ncopies, const i64 nslots, GP(acc) out, const i64 geo,
                        const i64 flags) {
	FLAT_FOR(k, nslots, 1) {
		ACCUM a = accum_zero();
		for (i64 w = 0; w < ncopies; w++)
			accum_merge(&a, accum_load(hist + 2 * (w * nslots + k)));
		accum_store(out + 2 * k, a);
	}
}
