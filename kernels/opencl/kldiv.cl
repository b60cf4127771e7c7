// kldiv.cl: the KL divergence, elementwise over N·C elements (X log-probabilities log q,
// Y targets p, or log p with log_target). Mirrors cpuref.klDiv (cpuref/kldiv.go).

// kl_div, P.s0 = log_target:
//   p = y:      L = p·log p − p·x (p·log p is 0 where p = 0),  ∂L/∂x = −p
//   t = log p:  L = e^t·(t − x),                               ∂L/∂x = −e^t
// The Hessian is 0.
ELEM_FN(kl_div_elem) {
	real8 w;
	if (P.s0 != 0) {
		w = exp(y);
		*l = w * (y - x);
	} else {
		w = y;
		*l = select(y * log(y), V(0), y == 0) - y * x;
	}
	if (mode >= 1)
		*gx = -w;
	if (mode == 2)
		*h = V(0);
}
DEFINE_ELEM(kl_div)
