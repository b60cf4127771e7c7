// penalty.cu: the elastic-net penalty over a parameter buffer X = θ, elementwise. Mirrors
// cpuref/penalty.go; launch shape, weights and sums: elem_body in gloss.cuh.
// Entry points: penalty_fwd, penalty_fwd_bwd, penalty_hess.

#include "gloss.cuh"

// penalty, P[0] = l1, P[1] = l2: L = l1·|θ| + l2·θ², ∂L/∂θ = l1·sign(θ) + 2·l2·θ,
// ∂²L/∂θ² = 2·l2. Mirrors cpuref.penalty.
struct op_penalty {
	static constexpr bool USES_Y = false, USES_Z = false, USES_CW = false, HAS_GY = false, HAS_GZ = false;
	real l1, l2;
	__device__ op_penalty(const double* P) : l1((real)P[0]), l2((real)P[1]) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real t, real, real, real, real& L, real& gx, real&, real&, real& h) const {
		L = l1 * fabs(t) + l2 * t * t;
		if (MODE > 0) gx = l1 * sgn(t) + R(2) * l2 * t;
		if (MODE > 1) h = R(2) * l2;
	}
};
ELEM_KERNELS(penalty, op_penalty)
