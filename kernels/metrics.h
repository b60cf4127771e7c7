// metrics.h: accuracy, f1, binary_iou, macro_f1 and calibration (auc has no kernel: it runs on
// the cpu). Mirrors cpuref/metrics.go, whose rules hold here: a row whose label is the ignore
// index counts nowhere; the argmax is the first index of the largest score, the first NaN
// winning; "positive" means score > threshold (a float32 kernel compares with the largest
// float32 not above the threshold, from the host, which decides every float32 the same way);
// a target is positive when y > 0.5.

// accuracy (a row metric; sums Σ s·correct, Σ s): correct when the argmax is the label
// (C ≥ 2) or [x > threshold] is the label (C = 1). An ignored row gives 0, 0.
ROW_FN(accuracy) {
	const i64 y = r->label;
	if (y == r->ignore) {
		*L = 0;
		*d = 0;
		return;
	}
	i64 pred = r->x[0] > (real)P[ACCURACY_THRESHOLD_BELOW] ? 1 : 0;
	if (r->c > 1) {
		real m;
		row_argmax(r, -1, r->x, 1, &m, &pred);
	}
	*L = pred == y ? 1 : 0;
	*d = 1;
}
DEFINE_ROW_FWD(accuracy)

// f1 and binary_iou (elementwise; sums TP, FP, FN weighted by s): the element's terms are
// l = [x > t][y > ½], gx = [x > t][y ≤ ½], gy = [x ≤ t][y > ½], which the driver's metric mode
// adds as its three sums.
ELEM_FN(confusion) {
	const VM pred = x > (real)P[F1_THRESHOLD_BELOW], pos = y > R(0.5);
	*l = VSEL(pred && pos, 1, 0);
	*gx = VSEL(pred && !pos, 1, 0);
	*gy = VSEL(!pred && pos, 1, 0);
}
DEFINE_CONFUSION(f1, confusion)
DEFINE_CONFUSION(binary_iou, confusion)

// The histogram metrics write up to three records (slot, value) per row (slot −1: none); the
// driver adds them, in row order, into a histogram of its own, and hist_finish adds the
// histograms in order. Slot 3·bins counts labels outside the metric's range.

// macro_f1 with K = bins classes: the row's argmax p against its label y gives (y, s) when
// p = y (TP_y), else (K + p, s) and (2K + y, s) (FP_p, FN_y).
HIST_FN(macro_f1) {
	const i64 y = r->label, K = r->aux;
	if (y == r->ignore)
		return;
	real m;
	i64 p;
	row_argmax(r, -1, r->x, 1, &m, &p);
	if (y < 0 || y >= K || p >= K) {
		slot[0] = 3 * K, val[0] = 1;
	} else if (p == y) {
		slot[0] = y, val[0] = r->s;
	} else {
		slot[0] = K + p, val[0] = r->s;
		slot[1] = 2 * K + y, val[1] = r->s;
	}
}
DEFINE_HIST(macro_f1)

// calibration with B = bins bins, from_logits: the confidence q is the top softmax probability
// 1/Σ_k e^{x_k − max} (from_logits) or the top score (C ≥ 2), σ(x) or x (C = 1), formed in acc;
// correct = [argmax = label] (C ≥ 2) or [label = 1] (C = 1). The row goes to bin ⌊q·B⌋
// clamped to [0, B−1] (NaN to 0): (b, s), (B + b, s·q) and, when correct, (2B + b, s).
HIST_FN(calibration) {
	const i64 y = r->label, B = r->aux;
	if (y == r->ignore)
		return;
	const int logits = P[CALIBRATION_FROM_LOGITS] != 0;
	acc q = r->x[0];
	int correct = y == 1;
	if (r->c == 1 && logits) {
		q = q >= 0 ? 1 / (1 + exp(-q)) : exp(q) / (1 + exp(q));
	} else if (r->c > 1) {
		real m;
		i64 p;
		row_argmax(r, -1, r->x, 1, &m, &p);
		q = m;
		correct = p == y;
		if (logits) {
			RACC z = racc_zero();
			ROW_FOR(r, j) {
				racc_adda(&z, exp(to_va(row_ldf(r, r->x, j, -INFINITY)) - q));
			}
			q = 1 / row_sum(r, z);
		}
	}
	const acc f = q * (acc)B;
	const i64 b = f >= (acc)B ? B - 1 : (f > 0 ? (i64)f : 0);
	slot[0] = b, val[0] = r->s;
	slot[1] = B + b, val[1] = r->s * q;
	if (correct)
		slot[2] = 2 * B + b, val[2] = r->s;
}
DEFINE_HIST(calibration)
