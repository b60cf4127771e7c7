// penalty.h: the elastic-net penalty, elementwise over a parameter buffer X = θ. Mirrors
// cpuref.penalty (cpuref/penalty.go).

// penalty, l1, l2: L = l1·|θ| + l2·θ², ∂L/∂θ = l1·sign(θ) + 2·l2·θ, ∂²L/∂θ² = 2·l2.
ELEM_FN(penalty) {
	const real l1 = (real)P[PENALTY_L1], l2 = (real)P[PENALTY_L2];
	*l = l1 * fabs(x) + l2 * x * x;
	if (mode > 0)
		*gx = l1 * VSGN(x) + 2 * l2 * x;
	if (mode > 1)
		*h = VC(2 * l2);
}
DEFINE_ELEM(penalty)
