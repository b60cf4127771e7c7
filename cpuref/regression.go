package cpuref

// Regression losses: elementwise over N·C elements, e = y − x (target minus prediction).
// X is the prediction, Y the target. Each block function mirrors kernels/cuda/regression.cu
// and kernels/opencl/regression.cl.

func init() {
	registerElem("mse", mse)
}

// mse: L = e², ∂L/∂x = −2e, ∂²L/∂x² = 2.
func mse(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, x := range in.X {
		e := in.Y[i] - x
		out.L[i] = e * e
		if out.GX != nil {
			out.GX[i] = -2 * e
		}
		if out.H != nil {
			out.H[i] = 2
		}
	}
}
