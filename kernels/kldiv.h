// kldiv.h: the Kullback–Leibler divergence, elementwise over N·C elements (X log-probabilities
// log q, Y targets p, or log p with log_target). Mirrors cpuref.klDiv (cpuref/kldiv.go).

// kl_div, log_target:
//   p = y:     L = p·log p − p·x (p·log p is 0 where p = 0),  ∂L/∂x = −p
//   t = log p: L = e^t·(t − x),                              ∂L/∂x = −e^t
// The Hessian is 0.
ELEM_FN(kl_div) {
	VR w;
	if (P[KL_DIV_LOG_TARGET] != 0) {
		w = exp(y);
		*l = w * (y - x);
	} else {
		w = y;
		*l = VSEL(y != 0, y * log(y), 0) - y * x;
	}
	if (mode > 0)
		*gx = -w;
	if (mode > 1)
		*h = VZERO;
}
DEFINE_ELEM(kl_div)
