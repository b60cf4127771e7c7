// ranking.cu: pairwise ranking losses, elementwise over pairs (X = s⁺, Y = s⁻, Δ = s⁺ − s⁻;
// GY = ∂L/∂s⁻ = −GX) and the pair contrastive loss (X = distance d, Y = similar ∈ {0, 1}).
// Each op mirrors the function of the same name in cpuref/ranking.go; launch shape, weights and
// sums: elem_body in gloss.cuh. Entry points: <stem>_fwd, <stem>_fwd_bwd, <stem>_hess.

#include "gloss.cuh"

#define ELEM_XY_GY \
	static constexpr bool USES_Y = true, USES_Z = false, USES_CW = false, HAS_GY = true, HAS_GZ = false;

// bpr (and pairwise_logistic): L = softplus(−Δ), ∂L/∂s⁺ = −σ(−Δ), ∂L/∂s⁻ = σ(−Δ),
// ∂²L/∂s⁺² = σ(Δ)σ(−Δ). Mirrors cpuref.bpr.
struct op_bpr {
	ELEM_XY_GY
	__device__ op_bpr(const double*) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real sp, real sn, real, real, real& L, real& gx, real& gy, real&, real& h) const {
		real fp, fn, s_pos, s_neg;
		logistic(sp - sn, fp, fn, s_pos, s_neg);
		L = fn;
		if (MODE > 0) {
			gx = -s_neg;
			gy = s_neg;
		}
		if (MODE > 1) h = s_pos * s_neg;
	}
};
ELEM_KERNELS(bpr, op_bpr)
ELEM_KERNELS(pairwise_logistic, op_bpr)

// pairwise_hinge, P[0] = margin m: L = max(0, m − Δ), ∂L/∂s⁺ = −[Δ < m], ∂L/∂s⁻ = [Δ < m],
// Hessian 0. Mirrors cpuref.pairwiseHinge.
struct op_pairwise_hinge {
	ELEM_XY_GY
	real m;
	__device__ op_pairwise_hinge(const double* P) : m((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real sp, real sn, real, real, real& L, real& gx, real& gy, real&, real& h) const {
		const real z = m - (sp - sn);
		L = gmax(R(0), z);
		if (MODE > 0) {
			const real g = z > 0 ? R(-1) : R(0);
			gx = g;
			gy = -g;
		}
		if (MODE > 1) h = R(0);
	}
};
ELEM_KERNELS(pairwise_hinge, op_pairwise_hinge)

// contrastive, P[0] = margin m, h = max(0, m − d): L = y·d² + (1−y)·h²,
// ∂L/∂d = 2y·d − 2(1−y)·h, ∂L/∂y = d² − h² (GY, only if asked for),
// ∂²L/∂d² = 2y + 2(1−y)·[d < m]. Mirrors cpuref.contrastive.
struct op_contrastive {
	ELEM_XY_GY
	real m;
	__device__ op_contrastive(const double* P) : m((real)P[0]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real d, real y, real, real, real& L, real& gx, real& gy, real&, real& h) const {
		const real hm = gmax(R(0), m - d);
		L = y * d * d + (R(1) - y) * hm * hm;
		if (MODE > 0) {
			gx = R(2) * y * d - R(2) * (R(1) - y) * hm;
			gy = d * d - hm * hm;
		}
		if (MODE > 1) h = R(2) * y + R(2) * (R(1) - y) * (d < m ? R(1) : R(0));
	}
};
ELEM_KERNELS(contrastive, op_contrastive)
