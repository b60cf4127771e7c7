// penalty.cl: the elastic-net penalty, elementwise over a parameter buffer X = θ.
// Mirrors cpuref.penalty (cpuref/penalty.go).

// penalty, P.s0 = l1, P.s1 = l2: L = l1·|θ| + l2·θ², ∂L/∂θ = l1·sign(θ) + 2·l2·θ (0 at θ = 0
// for the l1 part), ∂²L/∂θ² = 2·l2.
ELEM_FN(penalty_elem) {
	const real l1 = P.s0, l2 = P.s1;
	*l = l1 * fabs(x) + l2 * x * x;
	if (mode >= 1)
		*gx = l1 * sgn(x) + R(2) * l2 * x;
	if (mode == 2)
		*h = V(R(2) * l2);
}
DEFINE_ELEM(penalty)
