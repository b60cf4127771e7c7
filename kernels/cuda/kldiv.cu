// kldiv.cu: the Kullback–Leibler divergence, elementwise over N·C elements (X = log q, Y = p or
// log p). Mirrors cpuref/kldiv.go; launch shape, weights and sums: elem_body in gloss.cuh.
// Entry points: kl_div_fwd, kl_div_fwd_bwd, kl_div_hess.

#include "gloss.cuh"

// kl_div, P[0] = log_target:
//   p = Y:     L = p·log p − p·x (p·log p is 0 where p = 0), ∂L/∂x = −p
//   t = log p: L = e^t·(t − x),                              ∂L/∂x = −e^t
// Hessian 0. Mirrors cpuref.klDiv.
struct op_kl_div {
	ELEM_XY
	bool log_target;
	__device__ op_kl_div(const double* P) : log_target(P[0] != 0) {}
	template <int MODE>
	__device__ __forceinline__ void eval(real x, real t, real, real, real& L, real& gx, real&, real&, real& h) const {
		real w, l;
		if (log_target) {
			w = exp(t);
			l = w * (t - x);
		} else {
			w = t;
			l = t != 0 ? t * log(t) : R(0);
			l -= t * x;
		}
		L = l;
		if (MODE > 0) gx = -w;
		if (MODE > 1) h = R(0);
	}
};
ELEM_KERNELS(kl_div, op_kl_div)
