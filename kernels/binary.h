// binary.h: binary and multi-label losses, elementwise over N·C elements: X holds probabilities
// (bce), logits (bce_with_logits, focal) or scores (hinge, squared_hinge, soft_margin), Y the
// targets. Each stem_elem mirrors the cpuref function of the same stem (cpuref/binary.go);
// DEFINE_ELEM makes its kernels (see regression.h).

// bce on probabilities p = x, each log clamped at −100 and each backward denominator at 1e-12
// (PyTorch): L = −[y·max(log p, −100) + (1−y)·max(log1p(−p), −100)],
// ∂L/∂p = (p − y)/max(p(1−p), 1e-12), ∂²L/∂p² = y/max(p², 1e-12) + (1−y)/max((1−p)², 1e-12).
ELEM_FN(bce) {
	const VR q = 1 - x, lo = VC(-100), tiny = VC(R(1e-12));
	*l = -(y * VMAX(log(x), lo) + (1 - y) * VMAX(log1p(-x), lo));
	if (mode > 0)
		*gx = (x - y) / VMAX(x * q, tiny);
	if (mode > 1)
		*h = y / VMAX(x * x, tiny) + (1 - y) / VMAX(q * q, tiny);
}
DEFINE_ELEM(bce)

// bce_with_logits, pw = pos_weight·cw (cw: the column's weight, 1 without):
// L = (1−y)·softplus(x) + pw·y·softplus(−x), ∂L/∂x = (1−y)σ(x) − pw·y·σ(−x),
// ∂²L/∂x² = ((1−y) + pw·y)·σ(x)σ(−x).
ELEM_FN(bce_with_logits) {
	const VR pw = (real)P[BCE_WITH_LOGITS_POS_WEIGHT] * cw;
	VR fp, fn, sp, sn;
	logistic(x, &fp, &fn, &sp, &sn);
	*l = (1 - y) * fp + pw * y * fn;
	if (mode > 0)
		*gx = (1 - y) * sp - pw * y * sn;
	if (mode > 1)
		*h = ((1 - y) + pw * y) * sp * sn;
}
DEFINE_ELEM(bce_with_logits)

// log_add_exp is log(e^a + e^b) without overflow; −Inf arguments allowed.
FN VR log_add_exp(const VR a, const VR b) {
	const VR hi = VMAX(a, b), lo = VMIN(a, b);
	return VSEL(hi == -INFINITY, hi, hi + log1p(exp(lo - hi)));
}

// focal (torchvision sigmoid_focal_loss), γ ≥ 0, α ≤ 1 (α < 0: α_t = 1), in log space exactly
// as cpuref.focal: L = α_t·q^γ·ce with log q = logaddexp(log(1−y) + log σ(x), log y + log σ(−x)),
// gradient and Hessian through r = e^{log σ(x) + log σ(−x) − log q}. Whether α ≥ 0, 1 − α and
// (γ − 1)/γ come from the host, decided in float64: a tiny negative α rounds to −0 in float32.
ELEM_FN(focal) {
	const real g = (real)P[FOCAL_GAMMA], alpha = (real)P[FOCAL_ALPHA];
	VR fp, fn, sp, sn; // softplus(±x), σ(±x); log σ(x) = −softplus(−x)
	logistic(x, &fp, &fn, &sp, &sn);
	const VR ce = (1 - y) * fp + y * fn;
	const VR logq = log_add_exp(log1p(-y) - fn, log(y) - fp);
	const VR qg = g != 0 ? exp(g * logq) : VC(1);
	const VR at = P[FOCAL_BALANCE] != 0 ? alpha * y + (real)P[FOCAL_ONE_MINUS_ALPHA] * (1 - y) : VC(1);
	*l = at * qg * ce;
	if (mode > 0) {
		const VR dce = (1 - y) * sp - y * sn, k = 1 - 2 * y;
		const VR gkr = g != 0 ? VSEL(k != 0, g * k * exp(-fn - fp - logq), 0) : VZERO; // γ·k·r
		*gx = at * qg * (gkr * ce + dce);
		if (mode > 1) {
			const VR extra = (real)P[FOCAL_GAMMA_RATIO] * gkr * gkr * ce + gkr * (sn - sp) * ce + 2 * gkr * dce;
			*h = at * qg * (sp * sn + VSEL(gkr != 0, extra, 0));
		}
	}
}
DEFINE_ELEM(focal)

// hinge, margin m, y ∈ {−1, +1}: L = max(0, m − y·f), ∂L/∂f = −y where m − y·f > 0, Hessian 0.
ELEM_FN(hinge) {
	const VR zz = (real)P[HINGE_MARGIN] - y * x;
	*l = VMAX(VZERO, zz);
	if (mode > 0)
		*gx = VSEL(zz > 0, -y, 0);
	if (mode > 1)
		*h = VZERO;
}
DEFINE_ELEM(hinge)

// squared_hinge, margin m: L = max(0, m − y·f)², ∂L/∂f = −2y·max(0, m − y·f),
// ∂²L/∂f² = 2·[m − y·f > 0].
ELEM_FN(squared_hinge) {
	const VR zz = (real)P[SQUARED_HINGE_MARGIN] - y * x, hz = VMAX(VZERO, zz);
	*l = hz * hz;
	if (mode > 0)
		*gx = -2 * y * hz;
	if (mode > 1)
		*h = VSEL(zz > 0, 2, 0);
}
DEFINE_ELEM(squared_hinge)

// soft_margin: L = softplus(−y·f), ∂L/∂f = −y·σ(−y·f), ∂²L/∂f² = σ(f)σ(−f) (= σ(yf)σ(−yf) for
// y = ±1, so one exponential serves all three).
ELEM_FN(soft_margin) {
	VR fp, fn, sp, sn;
	logistic(y * x, &fp, &fn, &sp, &sn);
	*l = fn;
	if (mode > 0)
		*gx = -y * sn;
	if (mode > 1)
		*h = sp * sn;
}
DEFINE_ELEM(soft_margin)
