package loss

import (
	"math"

	"github.com/gloss-ml/gloss/device"
)

// Regression losses: elementwise over the N·C elements of Pred x and Target y, with
// e = y − x. Each has a gradient and a Hessian diagonal. Rows and Cols may be left 0 (one
// column); Weights has one value per element, or one per row when Cols > 1.

func init() {
	reg := func(name string, params ...param) *spec {
		s := &spec{name: name, family: device.Elementwise, hess: true, params: params,
			in: [3]input{inGrad("pred", distNormal), in("target", distNormal)}}
		define(s)
		return s
	}
	reg("mse")
	reg("mae")
	reg("huber", pPos("delta", 1))
	reg("smooth_l1", pNonNeg("beta", 1))
	reg("pseudo_huber", pPos("delta", 1))
	reg("log_cosh")
	q := reg("quantile", pReal("tau", 0.5, 0, 1, true, true))
	q.derived = []Derived{{"tau_minus_one", "tau - 1"}, {"one_minus_tau", "1 - tau"}}
	p := reg("poisson", pBool("log_input", true), pBool("full", false), pPos("eps", 1e-8))
	p.in[1] = inNonNeg("target", false, distCounts)
	p.checks = func(l *Loss) []inputCheck {
		if l.p[0] == 0 { // rates, not log-rates: they must not be negative
			return []inputCheck{{which: 0, kind: device.CheckRange, lo: 0, hi: math.Inf(1), what: "a non-negative rate (log_input is false)"}}
		}
		return nil
	}
	p.fix = func(l *Loss, b *Batch[float64]) {
		if l.p[0] == 0 {
			for i, x := range b.Pred {
				b.Pred[i] = math.Exp(x / 2) // rates
			}
		}
	}
	t := reg("tweedie", pReal("rho", 1.5, 1, 2, true, true))
	t.in[1] = inNonNeg("target", false, distCounts)
	t.derived = []Derived{{"one_minus_rho", "1 - rho"}, {"two_minus_rho", "2 - rho"}}
	g := reg("gaussian_nll", pBool("full", false), pPos("eps", 1e-6))
	g.in[2] = inNonNeg("var", true, distPositive)
	g.derived = []Derived{{"log_term", "flag(full != 0) * 0.5 * math.Log(2*math.Pi)"}}
}

// MSE is the squared error, the Gaussian negative log-likelihood up to constants:
//
//	L = e²,  ∂L/∂x = −2e,  ∂²L/∂x² = 2
//
// Pred holds predictions x, Target targets y (N·C each). No parameters.
func MSE(params ...Param) (Loss, error) { return New("mse", params...) }

// MAE is the absolute error: L = |e|, ∂L/∂x = −sign(e) with subgradient 0 at e = 0, and a
// Hessian of 0. Pred holds predictions, Target targets. No parameters.
func MAE(params ...Param) (Loss, error) { return New("mae", params...) }

// Huber is PyTorch's huber_loss with threshold Delta δ > 0 (default 1):
//
//	L = ½e² if |e| ≤ δ, else δ(|e| − ½δ);  ∂L/∂x = −clamp(e, −δ, δ);  ∂²L/∂x² = [|e| ≤ δ]
//
// Pred holds predictions, Target targets.
func Huber(params ...Param) (Loss, error) { return New("huber", params...) }

// SmoothL1 is PyTorch's smooth_l1_loss with Beta β ≥ 0 (default 1): Huber(β)/β.
//
//	L = ½e²/β if |e| < β, else |e| − ½β;  β = 0 is MAE;  ∂²L/∂x² = [|e| < β]/β
//
// Pred holds predictions, Target targets.
func SmoothL1(params ...Param) (Loss, error) { return New("smooth_l1", params...) }

// PseudoHuber is the smooth Huber approximation with Delta δ > 0 (default 1), with
// XGBoost's reg:pseudohubererror gradient and Hessian:
//
//	L = δ²(√(1 + (e/δ)²) − 1),  ∂L/∂x = −e/√(1 + (e/δ)²),  ∂²L/∂x² = (1 + (e/δ)²)^(−3/2)
//
// Pred holds predictions, Target targets.
func PseudoHuber(params ...Param) (Loss, error) { return New("pseudo_huber", params...) }

// LogCosh is log cosh(e), computed without overflow or cancellation (|e| + log1p(e^{−2|e|}) − log 2,
// and log1p(2·sinh²(e/2)) for |e| < 1):
// ∂L/∂x = −tanh(e), ∂²L/∂x² = 1 − tanh²(e). Pred holds predictions, Target targets.
func LogCosh(params ...Param) (Loss, error) { return New("log_cosh", params...) }

// Quantile is the pinball loss for quantile Tau τ ∈ (0, 1) (default 0.5, the median):
//
//	L = max(τe, (τ−1)e),  ∂L/∂x = −τ if e > 0, 1−τ if e < 0, 0 at e = 0;  Hessian 0
//
// Pred holds predictions, Target targets.
func Quantile(params ...Param) (Loss, error) { return New("quantile", params...) }

// Poisson is PyTorch's poisson_nll_loss. Parameters LogInput (default true), Full (default
// false) and Eps (default 1e-8):
//
//	log input:  L = e^x − y·x,          ∂L/∂x = e^x − y,          ∂²L/∂x² = e^x
//	otherwise:  L = x − y·log(x + eps), ∂L/∂x = 1 − y/(x + eps),  ∂²L/∂x² = y/(x + eps)²
//	Full adds Stirling's term y·log y − y + ½log(2πy) where y > 1 (it does not depend on x).
//
// Pred holds log-rates (or rates, which must be ≥ 0, without LogInput), Target counts y ≥ 0.
// The Hessian is the true one, not XGBoost's 0.5(μ+y) surrogate.
func Poisson(params ...Param) (Loss, error) { return New("poisson", params...) }

// Tweedie is the Tweedie deviance with log link and power Rho ρ ∈ (1, 2) (default 1.5), with
// XGBoost's and LightGBM's gradient and Hessian:
//
//	L = −y·e^{(1−ρ)x}/(1−ρ) + e^{(2−ρ)x}/(2−ρ)
//	∂L/∂x = −y·e^{(1−ρ)x} + e^{(2−ρ)x},  ∂²L/∂x² = −(1−ρ)y·e^{(1−ρ)x} + (2−ρ)e^{(2−ρ)x}
//
// Pred holds log-means x, Target targets y ≥ 0 (where y = 0 the y term is dropped, so no
// 0·Inf arises).
func Tweedie(params ...Param) (Loss, error) { return New("tweedie", params...) }

// GaussianNLL is PyTorch's gaussian_nll_loss with Eps (default 1e-6) and Full (default false):
//
//	L = ½(log v + e²/v) [+ ½log 2π],  v = max(var, eps)
//	∂L/∂x = −e/v,  ∂L/∂var = ½(1/v − e²/v²),  ∂²L/∂x² = 1/v
//
// As in PyTorch the clamp is not differentiated: where var < eps, ∂L/∂var is still taken at v = eps.
//
// Pred holds means x, Target targets y, Aux variances var ≥ 0 (same shape as Pred; the
// gradient with respect to them is GradAux).
func GaussianNLL(params ...Param) (Loss, error) { return New("gaussian_nll", params...) }
