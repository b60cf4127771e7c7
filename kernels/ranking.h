// ranking.h: pairwise ranking losses, elementwise over pairs: X = s⁺ (the positive item's
// score), Y = s⁻, Δ = s⁺ − s⁻, ∂L/∂s⁻ = −∂L/∂s⁺; contrastive takes a distance X = d and a
// similarity flag Y. Each stem_elem mirrors the cpuref function of the same stem
// (cpuref/ranking.go).

// bpr: L = softplus(−Δ), ∂L/∂s⁺ = −σ(−Δ), ∂L/∂s⁻ = σ(−Δ), ∂²L/∂s⁺² = σ(Δ)σ(−Δ).
ELEM_FN(bpr) {
	VR fp, fn, sp, sn;
	logistic(x - y, &fp, &fn, &sp, &sn);
	*l = fn;
	if (mode > 0) {
		*gx = -sn;
		*gy = sn;
	}
	if (mode > 1)
		*h = sp * sn;
}
DEFINE_ELEM(bpr)

// pairwise_logistic is the same function as bpr (TF-Ranking's pairwise logistic loss).
ELEM_FN(pairwise_logistic) {
	bpr_elem(P, x, y, z, cw, l, gx, gy, gz, h, mode);
}
DEFINE_ELEM(pairwise_logistic)

// pairwise_hinge, margin m: L = max(0, m − Δ), ∂L/∂s⁺ = −[m − Δ > 0], ∂L/∂s⁻ = −∂L/∂s⁺,
// Hessian 0.
ELEM_FN(pairwise_hinge) {
	const VR zz = (real)P[PAIRWISE_HINGE_MARGIN] - (x - y), g = VSEL(zz > 0, -1, 0);
	*l = VMAX(VZERO, zz);
	if (mode > 0) {
		*gx = g;
		*gy = -g;
	}
	if (mode > 1)
		*h = VZERO;
}
DEFINE_ELEM(pairwise_hinge)

// contrastive, margin m, hh = max(0, m − d): L = y·d² + (1−y)·hh², ∂L/∂d = 2y·d − 2(1−y)·hh,
// ∂L/∂y = d² − hh², ∂²L/∂d² = 2y + 2(1−y)·[d < m].
ELEM_FN(contrastive) {
	const real m = (real)P[CONTRASTIVE_MARGIN];
	const VR hh = VMAX(VZERO, m - x);
	*l = y * x * x + (1 - y) * hh * hh;
	if (mode > 0) {
		*gx = 2 * y * x - 2 * (1 - y) * hh;
		*gy = x * x - hh * hh;
	}
	if (mode > 1)
		*h = 2 * y + 2 * (1 - y) * VSEL(x < m, 1, 0);
}
DEFINE_ELEM(contrastive)
