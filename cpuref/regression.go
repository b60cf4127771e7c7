package cpuref

import "math"

// Regression losses: elementwise over N·C elements, e = y − x (target minus prediction).
// X is the prediction, Y the target (Z the variance, for gaussian_nll). Each block function
// mirrors kernels/regression.h. Gradients are with
// respect to X (and Z for gaussian_nll); the targets are not differentiated.

func init() {
	registerElem("mse", mse)
	registerElem("mae", mae)
	registerElem("huber", huber)
	registerElem("smooth_l1", smoothL1)
	registerElem("pseudo_huber", pseudoHuber)
	registerElem("log_cosh", logCosh)
	registerElem("quantile", quantile)
	registerElem("poisson", poisson)
	registerElem("tweedie", tweedie)
	registerElem("gaussian_nll", gaussianNLL)
}

// sign returns −1, 0 or +1 (0 at 0, NaN for NaN): the subgradient convention of |v|.
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return v // ±0 or NaN
}

// mse: L = e², ∂L/∂x = −2e, ∂²L/∂x² = 2.
func mse(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, x := range in.X {
		e := in.Y[i] - x
		out.L[i] = e * e
		if out.GX != nil {
			out.GX[i] = 2 * (x - in.Y[i]) // −2e, with +0 at e = 0
		}
		if out.H != nil {
			out.H[i] = 2
		}
	}
}

// mae: L = |e|, ∂L/∂x = −sign(e) (0 at e = 0), Hessian 0.
func mae(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, x := range in.X {
		e := in.Y[i] - x
		out.L[i] = math.Abs(e)
		if out.GX != nil {
			out.GX[i] = sign(x - in.Y[i]) // −sign(e), with +0 at e = 0
		}
		if out.H != nil {
			out.H[i] = 0
		}
	}
}

// huber (PyTorch huber_loss), P[0] = δ > 0:
//
//	L = ½e² if |e| ≤ δ, else δ(|e| − ½δ);  ∂L/∂x = −clamp(e, −δ, δ);  ∂²L/∂x² = [|e| ≤ δ]
func huber(p *[8]float64, in ElemIn, out ElemOut) {
	d := p[0]
	for i, x := range in.X {
		e := in.Y[i] - x
		a := math.Abs(e)
		if a <= d {
			out.L[i] = 0.5 * e * e
		} else {
			out.L[i] = d * (a - 0.5*d)
		}
		if out.GX != nil {
			out.GX[i] = max(-d, min(x-in.Y[i], d)) // −clamp(e, −δ, δ)
		}
		if out.H != nil {
			out.H[i] = 0
			if a <= d {
				out.H[i] = 1
			}
		}
	}
}

// smoothL1 (PyTorch smooth_l1_loss), P[0] = β ≥ 0; β = 0 is MAE:
//
//	L = ½e²/β if |e| < β, else |e| − ½β;  ∂L/∂x = −e/β if |e| < β, else −sign(e);
//	∂²L/∂x² = [|e| < β]/β
func smoothL1(p *[8]float64, in ElemIn, out ElemOut) {
	b := p[0]
	for i, x := range in.X {
		e := in.Y[i] - x
		a := math.Abs(e)
		quad := a < b // never true for β = 0
		if quad {
			out.L[i] = 0.5 * e * e / b
		} else {
			out.L[i] = a - 0.5*b
		}
		if out.GX != nil {
			if quad {
				out.GX[i] = (x - in.Y[i]) / b
			} else {
				out.GX[i] = sign(x - in.Y[i])
			}
		}
		if out.H != nil {
			out.H[i] = 0
			if quad {
				out.H[i] = 1 / b
			}
		}
	}
}

// pseudoHuber (XGBoost reg:pseudohubererror), P[0] = δ > 0, r = e/δ, h = √(1 + r²):
//
//	L = δ²(h − 1) = e·δ·r/(h + 1),  ∂L/∂x = −e/h,  ∂²L/∂x² = h⁻³
//
// h is formed as hypot(1, r) and L in the cancellation-free form, so neither overflows
// nor loses precision for small or huge e.
func pseudoHuber(p *[8]float64, in ElemIn, out ElemOut) {
	d := p[0]
	for i, x := range in.X {
		e := in.Y[i] - x
		r := e / d
		h := math.Hypot(1, r)
		out.L[i] = e * (d * (r / (h + 1)))
		if out.GX != nil {
			out.GX[i] = (x - in.Y[i]) / h
		}
		if out.H != nil {
			out.H[i] = 1 / (h * h * h)
		}
	}
}

// logCosh: L = log cosh(e), ∂L/∂x = −tanh(e), ∂²L/∂x² = 1 − tanh²(e) = 4u/(1 + u)² with
// u = e^{−2|e|}. L is |e| + log1p(u) − log 2 for |e| ≥ 1 (no overflow) and
// log1p(2·sinh²(e/2)) below (no cancellation near 0); both are log cosh(e).
func logCosh(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, x := range in.X {
		e := in.Y[i] - x
		a := math.Abs(e)
		u := math.Exp(-2 * a)
		if a < 1 {
			s := math.Sinh(0.5 * e)
			out.L[i] = math.Log1p(2 * s * s)
		} else {
			out.L[i] = a + math.Log1p(u) - math.Ln2
		}
		if out.GX != nil {
			out.GX[i] = math.Tanh(x - in.Y[i])
		}
		if out.H != nil {
			out.H[i] = 4 * u / ((1 + u) * (1 + u))
		}
	}
}

// quantile (pinball loss), P[0] = τ ∈ (0, 1):
//
//	L = max(τe, (τ−1)e),  ∂L/∂x = −τ if e > 0, 1−τ if e < 0, 0 at e = 0;  Hessian 0
func quantile(p *[8]float64, in ElemIn, out ElemOut) {
	tau := p[0]
	for i, x := range in.X {
		e := in.Y[i] - x
		out.L[i] = max(tau*e, (tau-1)*e)
		if out.GX != nil {
			switch {
			case e > 0:
				out.GX[i] = -tau
			case e < 0:
				out.GX[i] = 1 - tau
			default:
				out.GX[i] = 0 * e // 0, or NaN for NaN
			}
		}
		if out.H != nil {
			out.H[i] = 0
		}
	}
}

// stirling returns PyTorch's full-loss term of poisson_nll_loss, y·log y − y + ½log(2πy),
// where y > 1 and 0 elsewhere.
func stirling(y float64) float64 {
	if !(y > 1) {
		return 0
	}
	return y*math.Log(y) - y + 0.5*math.Log(2*math.Pi*y)
}

// poisson (PyTorch poisson_nll_loss), P[0] = log_input, P[1] = full, P[2] = eps:
//
//	log input:  L = e^x − y·x,          ∂L/∂x = e^x − y,          ∂²L/∂x² = e^x
//	otherwise:  L = x − y·log(x + eps), ∂L/∂x = 1 − y/(x + eps),  ∂²L/∂x² = y/(x + eps)²
//
// full adds stirling(y). y/(x + eps)² is formed as (y/(x + eps))/(x + eps), so y = 0 gives
// 0 even where (x + eps)² underflows.
func poisson(p *[8]float64, in ElemIn, out ElemOut) {
	logInput, full, eps := p[0] != 0, p[1] != 0, p[2]
	for i, x := range in.X {
		y := in.Y[i]
		var l float64
		if logInput {
			ex := math.Exp(x)
			l = ex - y*x
			if out.GX != nil {
				out.GX[i] = ex - y
			}
			if out.H != nil {
				out.H[i] = ex
			}
		} else {
			xe := x + eps
			l = x - y*math.Log(xe)
			q := y / xe
			if out.GX != nil {
				out.GX[i] = 1 - q
			}
			if out.H != nil {
				out.H[i] = q / xe
			}
		}
		if full {
			l += stirling(y)
		}
		out.L[i] = l
	}
}

// tweedie (Tweedie deviance, log link; XGBoost's and LightGBM's gradient and Hessian),
// P[0] = ρ ∈ (1, 2), a = e^{(1−ρ)x}, b = e^{(2−ρ)x}:
//
//	L = −y·a/(1−ρ) + b/(2−ρ),  ∂L/∂x = −y·a + b,  ∂²L/∂x² = −(1−ρ)·y·a + (2−ρ)·b
//
// The y terms are dropped where y = 0, so that a very negative x (a = +Inf) gives L = b
// rather than 0·Inf = NaN.
func tweedie(p *[8]float64, in ElemIn, out ElemOut) {
	rho := p[0]
	for i, x := range in.X {
		y := in.Y[i]
		b := math.Exp((2 - rho) * x)
		ya := 0.0
		if y != 0 {
			ya = y * math.Exp((1-rho)*x)
		}
		out.L[i] = -ya/(1-rho) + b/(2-rho)
		if out.GX != nil {
			out.GX[i] = -ya + b
		}
		if out.H != nil {
			out.H[i] = -(1-rho)*ya + (2-rho)*b
		}
	}
}

// gaussianNLL (PyTorch gaussian_nll_loss), P[0] = full, P[1] = eps; Z holds var ≥ 0 and
// v = max(var, eps):
//
//	L = ½(log v + e²/v) [+ ½log 2π],  ∂L/∂x = −e/v,  ∂L/∂var = ½(1/v − e²/v²),  ∂²L/∂x² = 1/v
//
// As in PyTorch the clamp is not differentiated: ∂L/∂var is taken at v even where var < eps.
func gaussianNLL(p *[8]float64, in ElemIn, out ElemOut) {
	full, eps := p[0] != 0, p[1]
	c := 0.0
	if full {
		c = 0.5 * math.Log(2*math.Pi)
	}
	for i, x := range in.X {
		e := in.Y[i] - x
		v := max(in.Z[i], eps)
		q := e / v
		out.L[i] = 0.5*(math.Log(v)+e*q) + c
		if out.GX != nil {
			out.GX[i] = (x - in.Y[i]) / v
		}
		if out.GZ != nil {
			out.GZ[i] = 0.5 * (1/v - q*q)
		}
		if out.H != nil {
			out.H[i] = 1 / v
		}
	}
}
