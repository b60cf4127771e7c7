// ranking.cl: pairwise ranking losses, elementwise over pairs: X = s⁺ (the positive item's
// score), Y = s⁻, Δ = s⁺ − s⁻, ∂L/∂s⁻ = −∂L/∂s⁺; contrastive takes a distance X = d and a
// similarity flag Y. Each element function mirrors the cpuref function of the same stem
// (cpuref/ranking.go).

// bpr: L = softplus(−Δ), ∂L/∂s⁺ = −σ(−Δ), ∂L/∂s⁻ = σ(−Δ), ∂²L/∂s⁺² = σ(Δ)σ(−Δ).
ELEM_FN(bpr_elem) {
	const real8 dd = x - y;
	const real8 e = exp(-fabs(dd)); // shared by softplus(−Δ) and σ(±Δ)
	*l = fmax(-dd, V(0)) + log1p(e);
	real8 sp, sn;
	sig2(dd, e, &sp, &sn);
	if (mode >= 1) {
		*gx = -sn;
		*gy = sn;
	}
	if (mode == 2)
		*h = sp * sn;
}
DEFINE_ELEM(bpr)

// pairwise_logistic is the same function as bpr (TF-Ranking's pairwise logistic loss).
ELEM_FN(pairwise_logistic_elem) {
	bpr_elem(P, x, y, z, cw, l, gx, gy, gz, h, mode);
}
DEFINE_ELEM(pairwise_logistic)

// pairwise_hinge, P.s0 = margin m: L = max(0, m − Δ), ∂L/∂s⁺ = −[m − Δ > 0], ∂L/∂s⁻ = −∂L/∂s⁺,
// Hessian 0.
ELEM_FN(pairwise_hinge_elem) {
	const real8 zz = P.s0 - (x - y);
	*l = relu(zz);
	if (mode >= 1) {
		const real8 g = select(V(0), V(-1), zz > 0);
		*gx = g;
		*gy = -g;
	}
	if (mode == 2)
		*h = V(0);
}
DEFINE_ELEM(pairwise_hinge)

// contrastive, P.s0 = margin m, hh = max(0, m − d): L = y·d² + (1−y)·hh²,
// ∂L/∂d = 2y·d − 2(1−y)·hh, ∂L/∂y = d² − hh², ∂²L/∂d² = 2y + 2(1−y)·[d < m].
ELEM_FN(contrastive_elem) {
	const real m = P.s0;
	const real8 hh = relu(m - x);
	*l = y * x * x + (1 - y) * hh * hh;
	if (mode >= 1) {
		*gx = R(2) * y * x - R(2) * (1 - y) * hh;
		*gy = x * x - hh * hh;
	}
	if (mode == 2)
		*h = R(2) * y + R(2) * (1 - y) * select(V(0), V(1), x < m);
}
DEFINE_ELEM(contrastive)
