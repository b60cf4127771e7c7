// regression.cu: the regression losses, elementwise over N·C elements with e = y − x
// (X predictions, Y targets; Z variances for gaussian_nll). Each op mirrors the function of the
// same name in cpuref/regression.go; launch shape, weights and sums: elem_body in gloss.cuh.
// Entry points: <stem>_fwd, <stem>_fwd_bwd, <stem>_hess.

#include "gloss.cuh"

// mse: L = e², ∂L/∂x = −2e, ∂²L/∂x² = 2. Mirrors cpuref.mse.
struct op_mse {
	ELEM_XY
	__device__ op_mse(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x;
		L = e * e;
		if (MODE > 0) gx = R(-2) * e;
		if (MODE > 1) h = R(2);
	}
};
ELEM_KERNELS(mse, op_mse)

// mae: L = |e|, ∂L/∂x = −sign(e) (0 at e = 0), Hessian 0. Mirrors cpuref.mae.
struct op_mae {
	ELEM_XY
	__device__ op_mae(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x;
		L = fabs(e);
		if (MODE > 0) gx = -sgn(e);
		if (MODE > 1) h = R(0);
	}
};
ELEM_KERNELS(mae, op_mae)

// huber, P[0] = δ: L = ½e² if |e| ≤ δ else δ(|e| − ½δ); ∂L/∂x = −clamp(e, −δ, δ);
// ∂²L/∂x² = [|e| ≤ δ]. Mirrors cpuref.huber.
struct op_huber {
	ELEM_XY
	real d;
	__device__ op_huber(const double* P) : d((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x, a = fabs(e);
		L = a <= d ? R(0.5) * e * e : d * (a - R(0.5) * d);
		if (MODE > 0) gx = -gmax(-d, gmin(e, d));
		if (MODE > 1) h = a <= d ? R(1) : R(0);
	}
};
ELEM_KERNELS(huber, op_huber)

// smooth_l1, P[0] = β ≥ 0: L = ½e²/β if |e| < β else |e| − ½β; ∂L/∂x = −e/β or −sign(e);
// ∂²L/∂x² = [|e| < β]/β. β = 0 is MAE. Mirrors cpuref.smoothL1.
struct op_smooth_l1 {
	ELEM_XY
	real b;
	__device__ op_smooth_l1(const double* P) : b((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x, a = fabs(e);
		const bool quad = a < b;
		L = quad ? R(0.5) * e * e / b : a - R(0.5) * b;
		if (MODE > 0) gx = quad ? -e / b : -sgn(e);
		if (MODE > 1) h = quad ? R(1) / b : R(0);
	}
};
ELEM_KERNELS(smooth_l1, op_smooth_l1)

// pseudo_huber, P[0] = δ, r = e/δ, h = hypot(1, r): L = e·δ·r/(h + 1) (= δ²(h − 1) without
// cancellation), ∂L/∂x = −e/h, ∂²L/∂x² = h⁻³. Mirrors cpuref.pseudoHuber.
struct op_pseudo_huber {
	ELEM_XY
	real d;
	__device__ op_pseudo_huber(const double* P) : d((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x, r = e / d, hy = hypot(R(1), r);
		L = e * (d * (r / (hy + R(1))));
		if (MODE > 0) gx = -e / hy;
		if (MODE > 1) h = R(1) / (hy * hy * hy);
	}
};
ELEM_KERNELS(pseudo_huber, op_pseudo_huber)

// log_cosh: L = log1p(2·sinh²(e/2)) for |e| < 1, |e| + log1p(e^{−2|e|}) − log 2 above;
// ∂L/∂x = −tanh(e); ∂²L/∂x² = 4u/(1 + u)², u = e^{−2|e|}. Mirrors cpuref.logCosh.
struct op_log_cosh {
	ELEM_XY
	__device__ op_log_cosh(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x, a = fabs(e), u = exp(R(-2) * a);
		if (a < R(1)) {
			const real s = sinh(R(0.5) * e);
			L = log1p(R(2) * s * s);
		} else {
			L = a + log1p(u) - R(0.69314718055994530942);
		}
		if (MODE > 0) gx = -tanh(e);
		if (MODE > 1) h = R(4) * u / ((R(1) + u) * (R(1) + u));
	}
};
ELEM_KERNELS(log_cosh, op_log_cosh)

// quantile, P[0] = τ: L = max(τe, (τ−1)e); ∂L/∂x = −τ (e > 0), 1−τ (e < 0), 0·e at 0;
// Hessian 0. Mirrors cpuref.quantile.
struct op_quantile {
	ELEM_XY
	real tau;
	__device__ op_quantile(const double* P) : tau((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real e = y - x;
		L = gmax(tau * e, (tau - R(1)) * e);
		if (MODE > 0) gx = e > 0 ? -tau : (e < 0 ? R(1) - tau : R(0) * e);
		if (MODE > 1) h = R(0);
	}
};
ELEM_KERNELS(quantile, op_quantile)

// poisson, P[0] = log_input, P[1] = full, P[2] = eps:
//   log input: L = e^x − y·x, ∂L/∂x = e^x − y, ∂²L/∂x² = e^x
//   otherwise: L = x − y·log(x + eps), ∂L/∂x = 1 − y/(x + eps), ∂²L/∂x² = (y/(x + eps))/(x + eps)
// full adds y·log y − y + ½log(2πy) where y > 1. Mirrors cpuref.poisson.
struct op_poisson {
	ELEM_XY
	bool log_input, full;
	real eps;
	__device__ op_poisson(const double* P) : log_input(P[0] != 0), full(P[1] != 0), eps((real)P[2]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		real l;
		if (log_input) {
			const real ex = exp(x);
			l = ex - y * x;
			if (MODE > 0) gx = ex - y;
			if (MODE > 1) h = ex;
		} else {
			const real xe = x + eps, q = y / xe;
			l = x - y * log(xe);
			if (MODE > 0) gx = R(1) - q;
			if (MODE > 1) h = q / xe;
		}
		if (full && y > R(1)) l += y * log(y) - y + R(0.5) * log(R(6.28318530717958647692) * y);
		L = l;
	}
};
ELEM_KERNELS(poisson, op_poisson)

// tweedie, P[0] = ρ, a = e^{(1−ρ)x}, b = e^{(2−ρ)x}: L = −y·a/(1−ρ) + b/(2−ρ),
// ∂L/∂x = −y·a + b, ∂²L/∂x² = −(1−ρ)·y·a + (2−ρ)·b; the y terms are dropped where y = 0.
// Mirrors cpuref.tweedie. 1 − ρ and 2 − ρ are formed in double and then rounded: in float,
// (real)ρ − 1 would lose the small differences of a ρ near 1 or 2 (ρ = 1 + 1e-8 rounds to 1,
// giving a division by zero where cpuref is finite).
struct op_tweedie {
	ELEM_XY
	real r1, r2;  // 1 − ρ and 2 − ρ
	__device__ op_tweedie(const double* P) : r1((real)(1.0 - P[0])), r2((real)(2.0 - P[0])) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real b = exp(r2 * x);
		const real ya = y != 0 ? y * exp(r1 * x) : R(0);
		L = -ya / r1 + b / r2;
		if (MODE > 0) gx = -ya + b;
		if (MODE > 1) h = -r1 * ya + r2 * b;
	}
};
ELEM_KERNELS(tweedie, op_tweedie)

// gaussian_nll, P[0] = full, P[1] = eps, Z = var, v = max(var, eps):
// L = ½(log v + e²/v) [+ ½log 2π], ∂L/∂x = −e/v, ∂L/∂var = ½(1/v − e²/v²), ∂²L/∂x² = 1/v.
// Mirrors cpuref.gaussianNLL.
struct op_gaussian_nll {
	static constexpr bool USES_Y = true, USES_Z = true, USES_CW = false, HAS_GY = false, HAS_GZ = true;
	real c, eps;
	__device__ op_gaussian_nll(const double* P)
	    : c(P[0] != 0 ? R(0.91893853320467274178) : R(0)), eps((real)P[1]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real z, real, real& L, real& gx, real&, real& gz, real& h) const {
		const real e = y - x, v = gmax(z, eps), q = e / v;
		L = R(0.5) * (log(v) + e * q) + c;
		if (MODE > 0) {
			gx = -q;
			gz = R(0.5) * (R(1) / v - q * q);
		}
		if (MODE > 1) h = R(1) / v;
	}
};
ELEM_KERNELS(gaussian_nll, op_gaussian_nll)
