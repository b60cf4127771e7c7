// binary.cl: binary and multi-label losses, elementwise over N·C elements: X holds
// probabilities (bce), logits (bce_with_logits, focal) or scores (hinge, squared_hinge,
// soft_margin), Y the targets. Each element function mirrors the cpuref function of the same
// stem (cpuref/binary.go); DEFINE_ELEM makes its _fwd, _fwd_bwd and _hess kernels.

// bce on probabilities p = x, each log clamped at −100 and each backward denominator at
// 1e-12 (PyTorch): L = −[y·max(log p, −100) + (1−y)·max(log1p(−p), −100)],
// ∂L/∂p = (p − y)/max(p(1−p), 1e-12), ∂²L/∂p² = y/max(p², 1e-12) + (1−y)/max((1−p)², 1e-12).
ELEM_FN(bce_elem) {
	const real8 p = x;
	*l = -(y * maxn(log(p), V(-100)) + (1 - y) * maxn(log1p(-p), V(-100)));
	if (mode >= 1)
		*gx = (p - y) / maxn(p * (1 - p), V(1e-12));
	if (mode == 2) {
		const real8 q = 1 - p;
		*h = y / maxn(p * p, V(1e-12)) + (1 - y) / maxn(q * q, V(1e-12));
	}
}
DEFINE_ELEM(bce)

// bce_with_logits, pw = P.s0·cw (cw: the column's pos_weight, 1 without):
// L = (1−y)·softplus(x) + pw·y·softplus(−x), ∂L/∂x = (1−y)σ(x) − pw·y·σ(−x),
// ∂²L/∂x² = ((1−y) + pw·y)·σ(x)σ(−x).
ELEM_FN(bce_with_logits_elem) {
	// softplus(±x) = max(±x, 0) + log1p(e) and σ(±x) share e = e^{−|x|}.
	const real8 pw = P.s0 * cw;
	const real8 e = exp(-fabs(x)), lp = log1p(e);
	*l = (1 - y) * (fmax(x, V(0)) + lp) + pw * y * (fmax(-x, V(0)) + lp);
	if (mode >= 1) {
		real8 sp, sn;
		sig2(x, e, &sp, &sn);
		*gx = (1 - y) * sp - pw * y * sn;
		if (mode == 2)
			*h = ((1 - y) + pw * y) * sp * sn;
	}
}
DEFINE_ELEM(bce_with_logits)

// logaddexp(a, b) = log(e^a + e^b) without overflow; −Inf arguments allowed.
static inline real8 logaddexp(const real8 a, const real8 b) {
	const real8 hi = maxn(a, b), lo = minn(a, b);
	return select(hi + log1p(exp(lo - hi)), hi, hi == -INFINITY);
}

// focal (torchvision sigmoid_focal_loss), P.s0 = γ, P.s1 = α (α < 0: α_t = 1), in log space
// exactly as cpuref.focal: L = α_t·q^γ·ce with log q = logaddexp(log(1−y) + log σ(x),
// log y + log σ(−x)), and its gradient and Hessian through r = e^{log σ(x) + log σ(−x) − log q}.
ELEM_FN(focal_elem) {
	const real g = P.s0, alpha = P.s1;
	const real8 e = exp(-fabs(x)), lp = log1p(e);
	const real8 lsp = -(fmax(-x, V(0)) + lp), lsn = -(fmax(x, V(0)) + lp); // log σ(±x)
	const real8 ce = -(1 - y) * lsn - y * lsp;
	const real8 logq = logaddexp(log1p(-y) + lsp, log(y) + lsn);
	const real8 qg = g != 0 ? exp(g * logq) : V(1);
	const real8 at = alpha >= 0 ? alpha * y + (1 - alpha) * (1 - y) : V(1);
	*l = at * qg * ce;
	if (mode >= 1) {
		real8 sp, sn;
		sig2(x, e, &sp, &sn);
		const real8 dce = (1 - y) * sp - y * sn;
		const real8 k = 1 - R(2) * y;
		const real8 gkr = g != 0 ? select(g * k * exp(lsp + lsn - logq), V(0), k == 0) : V(0);
		*gx = at * qg * (gkr * ce + dce);
		if (mode == 2) {
			real8 hh = sp * sn;
			if (g != 0)
				hh = select(hh + (g - 1) / g * gkr * gkr * ce + gkr * (sn - sp) * ce + R(2) * gkr * dce, hh,
				            gkr == 0);
			*h = at * qg * hh;
		}
	}
}
DEFINE_ELEM(focal)

// hinge, P.s0 = margin m, y ∈ {−1, +1}: L = max(0, m − y·f), ∂L/∂f = −y where m − y·f > 0,
// Hessian 0.
ELEM_FN(hinge_elem) {
	const real8 zz = P.s0 - y * x;
	*l = relu(zz);
	if (mode >= 1)
		*gx = select(V(0), -y, zz > 0);
	if (mode == 2)
		*h = V(0);
}
DEFINE_ELEM(hinge)

// squared_hinge, P.s0 = margin m: L = max(0, m − y·f)², ∂L/∂f = −2y·max(0, m − y·f),
// ∂²L/∂f² = 2·[m − y·f > 0].
ELEM_FN(squared_hinge_elem) {
	const real8 zz = P.s0 - y * x;
	const real8 hh = relu(zz);
	*l = hh * hh;
	if (mode >= 1)
		*gx = R(-2) * y * hh;
	if (mode == 2)
		*h = select(V(0), V(2), zz > 0);
}
DEFINE_ELEM(squared_hinge)

// soft_margin: L = softplus(−y·f), ∂L/∂f = −y·σ(−y·f), ∂²L/∂f² = σ(f)σ(−f).
ELEM_FN(soft_margin_elem) {
	const real8 t = -y * x;
	const real8 e = exp(-fabs(t));
	*l = fmax(t, V(0)) + log1p(e);
	if (mode >= 1) {
		real8 st, sn;
		sig2(t, e, &st, &sn);
		*gx = -y * st;
	}
	if (mode == 2) {
		real8 sp, sn;
		sig2(x, exp(-fabs(x)), &sp, &sn);
		*h = sp * sn;
	}
}
DEFINE_ELEM(soft_margin)
