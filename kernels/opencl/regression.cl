// regression.cl: the regression losses, elementwise over N·C elements with e = y − x
// (X predictions, Y targets; Z variances for gaussian_nll). Each element function mirrors
// the cpuref function of the same stem (cpuref/regression.go); DEFINE_ELEM makes its
// _fwd, _fwd_bwd and _hess kernels (launch: see ELEM_KERNEL in common.cl).

// mse: L = e², ∂L/∂x = −2e, ∂²L/∂x² = 2.
ELEM_FN(mse_elem) {
	const real8 e = y - x;
	*l = e * e;
	if (mode >= 1)
		*gx = R(-2) * e;
	if (mode == 2)
		*h = V(2);
}
DEFINE_ELEM(mse)

// mae: L = |e|, ∂L/∂x = −sign(e) (0 at e = 0), Hessian 0.
ELEM_FN(mae_elem) {
	const real8 e = y - x;
	*l = fabs(e);
	if (mode >= 1)
		*gx = -sgn(e);
	if (mode == 2)
		*h = V(0);
}
DEFINE_ELEM(mae)

// huber, P.s0 = δ: L = ½e² if |e| ≤ δ else δ(|e| − ½δ); ∂L/∂x = −clamp(e, −δ, δ);
// ∂²L/∂x² = [|e| ≤ δ].
ELEM_FN(huber_elem) {
	const real d = P.s0;
	const real8 e = y - x;
	const real8 a = fabs(e);
	const mask8 in = a <= d;
	*l = select(d * (a - R(0.5) * d), R(0.5) * e * e, in);
	if (mode >= 1)
		*gx = -maxn(V(-d), minn(e, V(d)));
	if (mode == 2)
		*h = select(V(0), V(1), in);
}
DEFINE_ELEM(huber)

// smooth_l1, P.s0 = β ≥ 0 (β = 0 is MAE): L = ½e²/β if |e| < β else |e| − ½β;
// ∂L/∂x = −e/β or −sign(e); ∂²L/∂x² = [|e| < β]/β.
ELEM_FN(smooth_l1_elem) {
	const real b = P.s0;
	const real8 e = y - x;
	const real8 a = fabs(e);
	const mask8 quad = a < b;
	*l = select(a - R(0.5) * b, R(0.5) * e * e / b, quad);
	if (mode >= 1)
		*gx = select(-sgn(e), -e / b, quad);
	if (mode == 2)
		*h = select(V(0), V(1) / b, quad);
}
DEFINE_ELEM(smooth_l1)

// pseudo_huber, P.s0 = δ, r = e/δ, h = hypot(1, r): L = e·δ·r/(h + 1), ∂L/∂x = −e/h,
// ∂²L/∂x² = h⁻³.
ELEM_FN(pseudo_huber_elem) {
	const real d = P.s0;
	const real8 e = y - x;
	const real8 r = e / d;
	const real8 hh = hypot(V(1), r);
	*l = e * (d * (r / (hh + 1)));
	if (mode >= 1)
		*gx = -e / hh;
	if (mode == 2)
		*h = 1 / (hh * hh * hh);
}
DEFINE_ELEM(pseudo_huber)

// log_cosh: L = log cosh(e) (log1p(2 sinh²(e/2)) for |e| < 1, |e| + log1p(u) − log 2 with
// u = e^{−2|e|} above), ∂L/∂x = −tanh(e), ∂²L/∂x² = 4u/(1 + u)².
ELEM_FN(log_cosh_elem) {
	const real8 e = y - x;
	const real8 a = fabs(e);
	const real8 u = exp(R(-2) * a);
	const real8 s = sinh(R(0.5) * e);
	*l = select(a + log1p(u) - R(0.693147180559945309417232121458176568), log1p(R(2) * s * s), a < 1);
	if (mode >= 1)
		*gx = -tanh(e);
	if (mode == 2)
		*h = R(4) * u / ((1 + u) * (1 + u));
}
DEFINE_ELEM(log_cosh)

// quantile, P.s0 = τ: L = max(τe, (τ−1)e); ∂L/∂x = −τ (e > 0), 1−τ (e < 0), 0·e (e = 0);
// Hessian 0.
ELEM_FN(quantile_elem) {
	const real tau = P.s0;
	const real8 e = y - x;
	*l = maxn(tau * e, (tau - 1) * e);
	if (mode >= 1)
		*gx = select(select(R(0) * e, V(1 - tau), e < 0), V(-tau), e > 0);
	if (mode == 2)
		*h = V(0);
}
DEFINE_ELEM(quantile)

// poisson, P.s0 = log_input, P.s1 = full, P.s2 = eps:
//   log input: L = e^x − y·x, ∂L/∂x = e^x − y, ∂²L/∂x² = e^x
//   otherwise: L = x − y·log(x + eps), ∂L/∂x = 1 − y/(x + eps), ∂²L/∂x² = (y/(x + eps))/(x + eps)
// full adds Stirling's y·log y − y + ½log(2πy) where y > 1.
ELEM_FN(poisson_elem) {
	real8 lv;
	if (P.s0 != 0) {
		const real8 ex = exp(x);
		lv = ex - y * x;
		if (mode >= 1)
			*gx = ex - y;
		if (mode == 2)
			*h = ex;
	} else {
		const real8 xe = x + P.s2;
		lv = x - y * log(xe);
		const real8 q = y / xe;
		if (mode >= 1)
			*gx = 1 - q;
		if (mode == 2)
			*h = q / xe;
	}
	if (P.s1 != 0) {
		const real8 st = y * log(y) - y + R(0.5) * log(R(6.283185307179586476925286766559005768) * y);
		lv += select(V(0), st, y > 1);
	}
	*l = lv;
}
DEFINE_ELEM(poisson)

// tweedie, P.s0 = ρ, a = e^{(1−ρ)x}, b = e^{(2−ρ)x}: L = −y·a/(1−ρ) + b/(2−ρ),
// ∂L/∂x = −y·a + b, ∂²L/∂x² = −(1−ρ)·y·a + (2−ρ)·b; the y terms are 0 where y = 0.
ELEM_FN(tweedie_elem) {
	const real rho = P.s0;
	const real8 b = exp((2 - rho) * x);
	const real8 ya = select(y * exp((1 - rho) * x), V(0), y == 0);
	*l = -ya / (1 - rho) + b / (2 - rho);
	if (mode >= 1)
		*gx = -ya + b;
	if (mode == 2)
		*h = -(1 - rho) * ya + (2 - rho) * b;
}
DEFINE_ELEM(tweedie)

// gaussian_nll, P.s0 = full, P.s1 = eps, v = max(z, eps): L = ½(log v + e²/v) [+ ½log 2π],
// ∂L/∂x = −e/v, ∂L/∂z = ½(1/v − e²/v²), ∂²L/∂x² = 1/v.
ELEM_FN(gaussian_nll_elem) {
	const real c = P.s0 != 0 ? R(0.918938533204672741780329736405617640) : R(0);
	const real8 e = y - x;
	const real8 v = maxn(z, V(P.s1));
	const real8 q = e / v;
	*l = R(0.5) * (log(v) + e * q) + c;
	if (mode >= 1) {
		*gx = -q;
		*gz = R(0.5) * (1 / v - q * q);
	}
	if (mode == 2)
		*h = 1 / v;
}
DEFINE_ELEM(gaussian_nll)
