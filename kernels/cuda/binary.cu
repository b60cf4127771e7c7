// binary.cu: binary and multi-label losses, elementwise over N·C elements (X probabilities,
// logits or scores; Y targets). Each op mirrors the function of the same name in
// cpuref/binary.go; launch shape, weights and sums: elem_body in gloss.cuh.
// Entry points: <stem>_fwd, <stem>_fwd_bwd, <stem>_hess.

#include "gloss.cuh"

// bce on probabilities p = X, each log clamped at −100 and each backward denominator at 1e-12:
// L = −[y·max(log p, −100) + (1−y)·max(log1p(−p), −100)], ∂L/∂p = (p − y)/max(p(1−p), 1e-12),
// ∂²L/∂p² = y/max(p², 1e-12) + (1−y)/max((1−p)², 1e-12). Mirrors cpuref.bce.
struct op_bce {
	ELEM_XY
	__device__ op_bce(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real p, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		L = -(y * gmax(log(p), R(-100)) + (R(1) - y) * gmax(log1p(-p), R(-100)));
		if (MODE > 0) gx = (p - y) / gmax(p * (R(1) - p), R(1e-12));
		if (MODE > 1) {
			const real q = R(1) - p;
			h = y / gmax(p * p, R(1e-12)) + (R(1) - y) / gmax(q * q, R(1e-12));
		}
	}
};
ELEM_KERNELS(bce, op_bce)

// bce_with_logits on logits x, pw = P[0] times the column's CW (pos_weight) when given:
// L = (1−y)·softplus(x) + pw·y·softplus(−x), ∂L/∂x = (1−y)·σ(x) − pw·y·σ(−x),
// ∂²L/∂x² = ((1−y) + pw·y)·σ(x)σ(−x). Mirrors cpuref.bceWithLogits.
struct op_bce_with_logits {
	static constexpr bool USES_Y = true, USES_Z = false, USES_CW = true, HAS_GY = false, HAS_GZ = false;
	real pw0;
	__device__ op_bce_with_logits(const double* P) : pw0((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real cw, real& L, real& gx, real&, real&, real& h) const {
		const real pw = pw0 * cw;
		real fp, fn, sp, sn;
		logistic(x, fp, fn, sp, sn);
		L = (R(1) - y) * fp + pw * y * fn;
		if (MODE > 0) gx = (R(1) - y) * sp - pw * y * sn;
		if (MODE > 1) h = ((R(1) - y) + pw * y) * sp * sn;
	}
};
ELEM_KERNELS(bce_with_logits, op_bce_with_logits)

// log_add_exp returns log(e^a + e^b) without overflow; −Inf arguments are allowed.
__device__ __forceinline__ real log_add_exp(real a, real b) {
	const real hi = gmax(a, b), lo = gmin(a, b);
	if (hi == -RINF) return hi;
	return hi + log1p(exp(lo - hi));
}

// focal (torchvision sigmoid_focal_loss), P[0] = γ ≥ 0, P[1] = α (< 0: α_t = 1):
// L = α_t·q^γ·ce with q = 1 − p_t formed in log space, so that loss, gradient and Hessian stay
// finite where q underflows. The derivation is in cpuref.focal, which this mirrors line by line.
struct op_focal {
	ELEM_XY
	real g, alpha;
	bool balance;  // α ≥ 0, decided in double as cpuref does (a tiny negative α rounds to −0)
	__device__ op_focal(const double* P) : g((real)P[0]), alpha((real)P[1]), balance(P[1] >= 0) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		real fp, fn, sp, sn;  // softplus(±x), σ(±x); log σ(x) = −softplus(−x)
		logistic(x, fp, fn, sp, sn);
		const real lsp = -fn, lsn = -fp;
		const real ce = (R(1) - y) * fp + y * fn;
		const real logq = log_add_exp(log1p(-y) + lsp, log(y) + lsn);
		const real qg = g != 0 ? exp(g * logq) : R(1);
		const real at = balance ? alpha * y + (R(1) - alpha) * (R(1) - y) : R(1);
		L = at * qg * ce;
		if (MODE == 0) return;
		const real dce = (R(1) - y) * sp - y * sn;
		const real k = R(1) - R(2) * y;
		real gkr = 0;  // γ·k·r
		if (g != 0 && k != 0) gkr = g * k * exp(lsp + lsn - logq);
		gx = at * qg * (gkr * ce + dce);
		if (MODE > 1) {
			real hh = sp * sn;
			if (gkr != 0) hh += (g - R(1)) / g * gkr * gkr * ce + gkr * (sn - sp) * ce + R(2) * gkr * dce;
			h = at * qg * hh;
		}
	}
};
ELEM_KERNELS(focal, op_focal)

// hinge, P[0] = margin m, y ∈ {−1, +1}: L = max(0, m − y·f), ∂L/∂f = −y where y·f < m,
// Hessian 0. Mirrors cpuref.hinge.
struct op_hinge {
	ELEM_XY
	real m;
	__device__ op_hinge(const double* P) : m((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real f, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real z = m - y * f;
		L = gmax(R(0), z);
		if (MODE > 0) gx = z > 0 ? -y : R(0);
		if (MODE > 1) h = R(0);
	}
};
ELEM_KERNELS(hinge, op_hinge)

// squared_hinge, P[0] = margin m: L = max(0, m − y·f)², ∂L/∂f = −2y·max(0, m − y·f),
// ∂²L/∂f² = 2·[y·f < m]. Mirrors cpuref.squaredHinge.
struct op_squared_hinge {
	ELEM_XY
	real m;
	__device__ op_squared_hinge(const double* P) : m((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real f, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		const real z = m - y * f, hz = gmax(R(0), z);
		L = hz * hz;
		if (MODE > 0) gx = R(-2) * y * hz;
		if (MODE > 1) h = z > 0 ? R(2) : R(0);
	}
};
ELEM_KERNELS(squared_hinge, op_squared_hinge)

// soft_margin: L = softplus(−y·f), ∂L/∂f = −y·σ(−y·f), ∂²L/∂f² = σ(f)σ(−f) (= σ(yf)σ(−yf),
// y = ±1, so one exponential serves all three). Mirrors cpuref.softMargin.
struct op_soft_margin {
	ELEM_XY
	__device__ op_soft_margin(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real f, real y, real, real, real& L, real& gx, real&, real&, real& h) const {
		real fp, fn, sp, sn;  // of y·f; σ(f)σ(−f) = σ(yf)σ(−yf) for y = ±1
		logistic(y * f, fp, fn, sp, sn);
		L = fn;
		if (MODE > 0) gx = -y * sn;
		if (MODE > 1) h = sp * sn;
	}
};
ELEM_KERNELS(soft_margin, op_soft_margin)
