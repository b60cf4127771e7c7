// regression.h: the regression losses, elementwise over N·C elements with e = y − x (X
// predictions, Y targets; Z variances for gaussian_nll). Each stem_elem mirrors the cpuref
// function of the same stem (cpuref/regression.go) and computes a chunk of terms: l = L(x, y),
// and with mode ≥ 1 gx = ∂L/∂x (gy, gz), with mode 2 h = ∂²L/∂x². DEFINE_ELEM makes its
// stem_fwd, stem_fwd_bwd and stem_hess kernels (sample weights, gradient scale and sums: the
// dialect's elementwise driver).

// mse: L = e², ∂L/∂x = 2(x − y) (+0 at e = 0), ∂²L/∂x² = 2.
ELEM_FN(mse) {
	const VR e = y - x;
	*l = e * e;
	if (mode > 0)
		*gx = 2 * (x - y);
	if (mode > 1)
		*h = VC(2);
}
DEFINE_ELEM(mse)

// mae: L = |e|, ∂L/∂x = sign(x − y) (0 at e = 0), Hessian 0.
ELEM_FN(mae) {
	*l = fabs(y - x);
	if (mode > 0)
		*gx = VSGN(x - y);
	if (mode > 1)
		*h = VZERO;
}
DEFINE_ELEM(mae)

// huber, δ: L = ½e² if |e| ≤ δ else δ(|e| − ½δ); ∂L/∂x = clamp(x − y, −δ, δ); ∂²L/∂x² = [|e| ≤ δ].
ELEM_FN(huber) {
	const real d = (real)P[HUBER_DELTA];
	const VR e = y - x, a = fabs(e), ne = x - y;
	const VM in = a <= d;
	*l = VSEL(in, R(0.5) * e * e, d * (a - R(0.5) * d));
	if (mode > 0)
		*gx = VMAX(VC(-d), VMIN(ne, VC(d)));
	if (mode > 1)
		*h = VSEL(in, 1, 0);
}
DEFINE_ELEM(huber)

// smooth_l1, β ≥ 0 (β = 0 is MAE): L = ½e²/β if |e| < β else |e| − ½β; ∂L/∂x = (x − y)/β or
// sign(x − y); ∂²L/∂x² = [|e| < β]/β.
ELEM_FN(smooth_l1) {
	const real b = (real)P[SMOOTH_L1_BETA];
	const VR e = y - x, a = fabs(e), ne = x - y;
	const VM quad = a < b;
	*l = VSEL(quad, R(0.5) * e * e / b, a - R(0.5) * b);
	if (mode > 0)
		*gx = VSEL(quad, ne / b, VSGN(ne));
	if (mode > 1)
		*h = VSEL(quad, 1 / VC(b), 0);
}
DEFINE_ELEM(smooth_l1)

// pseudo_huber, δ, r = e/δ, h = hypot(1, r): L = e·δ·r/(h + 1) (δ²(h − 1) without
// cancellation), ∂L/∂x = (x − y)/h, ∂²L/∂x² = h⁻³.
ELEM_FN(pseudo_huber) {
	const real d = (real)P[PSEUDO_HUBER_DELTA];
	const VR e = y - x, r = e / d, hy = hypot(VC(1), r);
	*l = e * (d * (r / (hy + 1)));
	if (mode > 0)
		*gx = (x - y) / hy;
	if (mode > 1)
		*h = 1 / (hy * hy * hy);
}
DEFINE_ELEM(pseudo_huber)

// log_cosh: L = log1p(2·sinh²(e/2)) for |e| < 1, |e| + log1p(u) − log 2 above (u = e^{−2|e|});
// ∂L/∂x = tanh(x − y); ∂²L/∂x² = 4u/(1 + u)².
ELEM_FN(log_cosh) {
	const VR e = y - x, a = fabs(e), u = exp(-2 * a), s = sinh(R(0.5) * e);
	*l = VSEL(a < 1, log1p(2 * s * s), a + log1p(u) - R(0.69314718055994530942));
	if (mode > 0)
		*gx = tanh(x - y);
	if (mode > 1)
		*h = 4 * u / ((1 + u) * (1 + u));
}
DEFINE_ELEM(log_cosh)

// quantile, τ: L = max(τe, (τ−1)e); ∂L/∂x = −τ (e > 0), 1−τ (e < 0), 0·e at 0; Hessian 0.
// τ − 1 and 1 − τ come from the host: a τ within 1e-9 of 1 keeps its 1 − τ in float32.
ELEM_FN(quantile) {
	const real tau = (real)P[QUANTILE_TAU];
	const VR e = y - x;
	*l = VMAX(tau * e, (real)P[QUANTILE_TAU_MINUS_ONE] * e);
	if (mode > 0)
		*gx = VSEL(e > 0, -tau, VSEL(e < 0, (real)P[QUANTILE_ONE_MINUS_TAU], 0 * e));
	if (mode > 1)
		*h = VZERO;
}
DEFINE_ELEM(quantile)

// poisson, log_input, full, eps:
//   log input: L = e^x − y·x, ∂L/∂x = e^x − y, ∂²L/∂x² = e^x
//   otherwise: L = x − y·log(x + eps), ∂L/∂x = 1 − y/(x + eps) (as (x + eps − y)/(x + eps), exact
//   where x + eps is close to y), ∂²L/∂x² = (y/(x + eps))/(x + eps)
// full adds Stirling's y·log y − y + ½log(2πy) where y > 1.
ELEM_FN(poisson) {
	VR lv;
	if (P[POISSON_LOG_INPUT] != 0) {
		const VR ex = exp(x);
		lv = ex - y * x;
		if (mode > 0)
			*gx = ex - y;
		if (mode > 1)
			*h = ex;
	} else {
		const VR xe = x + (real)P[POISSON_EPS], q = y / xe;
		lv = x - y * log(xe);
		if (mode > 0)
			*gx = (xe - y) / xe;
		if (mode > 1)
			*h = q / xe;
	}
	if (P[POISSON_FULL] != 0)
		lv = lv + VSEL(y > 1, y * log(y) - y + R(0.5) * log(R(6.28318530717958647692) * y), 0);
	*l = lv;
}
DEFINE_ELEM(poisson)

// tweedie, ρ ∈ (1, 2), a = e^{(1−ρ)x}, b = e^{(2−ρ)x}: L = −y·a/(1−ρ) + b/(2−ρ),
// ∂L/∂x = −y·a + b, ∂²L/∂x² = −(1−ρ)·y·a + (2−ρ)·b; the y terms are 0 where y = 0. 1 − ρ and
// 2 − ρ come from the host: in float32, ρ = 1 + 1e-8 rounds to 1 and 1 − ρ would be 0.
ELEM_FN(tweedie) {
	const real r1 = (real)P[TWEEDIE_ONE_MINUS_RHO], r2 = (real)P[TWEEDIE_TWO_MINUS_RHO];
	const VR b = exp(r2 * x), ya = VSEL(y != 0, y * exp(r1 * x), 0);
	*l = -ya / r1 + b / r2;
	if (mode > 0)
		*gx = b - ya;
	if (mode > 1)
		*h = r2 * b - r1 * ya;
}
DEFINE_ELEM(tweedie)

// gaussian_nll, full, eps, v = max(var, eps): L = ½(log v + e²/v) [+ ½log 2π, from the host],
// ∂L/∂x = (x − y)/v, ∂L/∂var = ½(1/v − e²/v²), ∂²L/∂x² = 1/v.
ELEM_FN(gaussian_nll) {
	const VR e = y - x, v = VMAX(z, VC((real)P[GAUSSIAN_NLL_EPS])), q = e / v;
	*l = R(0.5) * (log(v) + e * q) + (real)P[GAUSSIAN_NLL_LOG_TERM];
	if (mode > 0) {
		*gx = (x - y) / v;
		*gz = R(0.5) * (1 / v - q * q);
	}
	if (mode > 1)
		*h = 1 / v;
}
DEFINE_ELEM(gaussian_nll)
