package cpuref

import "math"

// Binary and multi-label losses: elementwise over N·C elements. X holds probabilities
// (bce), logits (bce_with_logits, focal) or scores (hinge, squared_hinge, soft_margin);
// Y the targets. Gradients are with respect to X only. Each block function mirrors
// kernels/binary.h.

func init() {
	registerElem("bce", bce)
	registerElem("bce_with_logits", bceWithLogits)
	registerElem("focal", focal)
	registerElem("hinge", hinge)
	registerElem("squared_hinge", squaredHinge)
	registerElem("soft_margin", softMargin)
}

// bceLogFloor is PyTorch's clamp of each log term of binary_cross_entropy.
const bceLogFloor = -100

// bceEps is PyTorch's floor of the denominators of binary_cross_entropy's backward.
const bceEps = 1e-12

// logAddExpPair returns log(e^a + e^b) without overflow; −Inf arguments are allowed
// (log(0 + e^b) = b).
func logAddExpPair(a, b float64) float64 {
	hi, lo := max(a, b), min(a, b)
	if math.IsInf(hi, -1) {
		return hi
	}
	return hi + math.Log1p(math.Exp(lo-hi))
}

// logistic returns softplus(x), softplus(−x), σ(x) and σ(−x) from one exp and one log1p:
// with u = e^{−|x|}, softplus(±x) = max(±x, 0) + log1p(u) and σ(|x|) = 1/(1 + u),
// σ(−|x|) = u/(1 + u). Nothing overflows for any x; NaN propagates.
func logistic(x float64) (spPos, spNeg, sPos, sNeg float64) {
	u := math.Exp(-math.Abs(x))
	t := math.Log1p(u)
	r := 1 / (1 + u)
	sPos, sNeg = r, u*r
	if x < 0 {
		sPos, sNeg = sNeg, sPos
	}
	return max(x, 0) + t, max(-x, 0) + t, sPos, sNeg
}

// bce (PyTorch binary_cross_entropy on probabilities p = X, targets y = Y), each log
// clamped at −100 and each backward denominator at 1e-12 like PyTorch:
//
//	L = −[y·max(log p, −100) + (1−y)·max(log1p(−p), −100)]
//	∂L/∂p = (p − y)/max(p(1−p), 1e-12)
//	∂²L/∂p² = y/max(p², 1e-12) + (1−y)/max((1−p)², 1e-12)
func bce(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, p := range in.X {
		y := in.Y[i]
		out.L[i] = -(y*max(math.Log(p), bceLogFloor) + (1-y)*max(math.Log1p(-p), bceLogFloor))
		if out.GX != nil {
			out.GX[i] = (p - y) / max(p*(1-p), bceEps)
		}
		if out.H != nil {
			q := 1 - p
			out.H[i] = y/max(p*p, bceEps) + (1-y)/max(q*q, bceEps)
		}
	}
}

// bceWithLogits (PyTorch binary_cross_entropy_with_logits) on logits x = X, targets y = Y,
// with pw = P[0] (pos_weight), times CW (the column's pos_weight) when present. Written
// without cancellation as
//
//	L = (1−y)·softplus(x) + pw·y·softplus(−x)   (= (1−y)x − (1 + (pw−1)y)·log σ(x))
//	∂L/∂x = (1−y)·σ(x) − pw·y·σ(−x),  ∂²L/∂x² = ((1−y) + pw·y)·σ(x)σ(−x)
func bceWithLogits(p *[8]float64, in ElemIn, out ElemOut) {
	for i, x := range in.X {
		y := in.Y[i]
		pw := p[0]
		if in.CW != nil {
			pw *= in.CW[i]
		}
		fp, fn, sp, sn := logistic(x)
		out.L[i] = (1-y)*fp + pw*y*fn
		if out.GX != nil {
			out.GX[i] = (1-y)*sp - pw*y*sn
		}
		if out.H != nil {
			out.H[i] = ((1 - y) + pw*y) * sp * sn
		}
	}
}

// focal (torchvision sigmoid_focal_loss) on logits x = X, targets y = Y ∈ [0, 1], with
// γ = P[0] ≥ 0 and α = P[1] (α < 0: no class balance, α_t = 1):
//
//	L = α_t·q^γ·ce,  ce = (1−y)·softplus(x) + y·softplus(−x),  q = 1 − p_t = (1−y)σ(x) + y·σ(−x),
//	α_t = α·y + (1−α)(1−y)
//
// With k = 1 − 2y, s = σ(x)σ(−x), ce' = (1−y)σ(x) − y·σ(−x) and r = s/q (≤ 2):
//
//	∂L/∂x = α_t·q^γ·(γ·k·r·ce + ce')
//	∂²L/∂x² = α_t·q^γ·(γ(γ−1)·k²r²·ce + γ·k·r·(σ(−x) − σ(x))·ce + 2γ·k·r·ce' + s)
//
// q is never formed: log q = logaddexp(log(1−y) + log σ(x), log y + log σ(−x)), q^γ =
// exp(γ·log q) and r = exp(log σ(x) + log σ(−x) − log q), each of which is finite and
// bounded for every finite x (q^γ ≤ 1, r ≤ 2). So the loss, gradient and Hessian stay
// finite where q underflows (|x| = 1e4, or γ < 1 at |x| = 100), where the textbook
// γ·q^{γ−1}·q' gives Inf·0. γ = 0 is plain α_t-weighted BCE with logits.
func focal(p *[8]float64, in ElemIn, out ElemOut) {
	g, alpha := p[0], p[1]
	for i, x := range in.X {
		y := in.Y[i]
		fp, fn, sp, sn := logistic(x) // log σ(x) = −softplus(−x), log σ(−x) = −softplus(x)
		lsp, lsn := -fn, -fp
		ce := (1-y)*fp + y*fn
		logq := logAddExpPair(math.Log1p(-y)+lsp, math.Log(y)+lsn)
		qg := 1.0
		if g != 0 {
			qg = math.Exp(g * logq)
		}
		at := 1.0
		if alpha >= 0 {
			at = alpha*y + (1-alpha)*(1-y)
		}
		out.L[i] = at * qg * ce
		if out.GX == nil && out.H == nil {
			continue
		}
		dce := (1-y)*sp - y*sn
		k := 1 - 2*y
		gkr := 0.0 // γ·k·r
		if g != 0 && k != 0 {
			gkr = g * k * math.Exp(lsp+lsn-logq)
		}
		if out.GX != nil {
			out.GX[i] = at * qg * (gkr*ce + dce)
		}
		if out.H != nil {
			h := sp * sn
			if gkr != 0 {
				h += (g-1)/g*gkr*gkr*ce + gkr*(sn-sp)*ce + 2*gkr*dce
			}
			out.H[i] = at * qg * h
		}
	}
}

// hinge, P[0] = margin m, y = Y ∈ {−1, +1}:
//
//	L = max(0, m − y·f),  ∂L/∂f = −y where y·f < m (0 at the kink and beyond),  Hessian 0
func hinge(p *[8]float64, in ElemIn, out ElemOut) {
	m := p[0]
	for i, f := range in.X {
		y := in.Y[i]
		z := m - y*f
		out.L[i] = max(0, z)
		if out.GX != nil {
			out.GX[i] = 0
			if z > 0 {
				out.GX[i] = -y
			}
		}
		if out.H != nil {
			out.H[i] = 0
		}
	}
}

// squaredHinge, P[0] = margin m, y = Y ∈ {−1, +1}:
//
//	L = max(0, m − y·f)²,  ∂L/∂f = −2y·max(0, m − y·f),  ∂²L/∂f² = 2·[y·f < m]
func squaredHinge(p *[8]float64, in ElemIn, out ElemOut) {
	m := p[0]
	for i, f := range in.X {
		y := in.Y[i]
		z := m - y*f
		h := max(0, z)
		out.L[i] = h * h
		if out.GX != nil {
			out.GX[i] = -2 * y * h
		}
		if out.H != nil {
			out.H[i] = 0
			if z > 0 {
				out.H[i] = 2
			}
		}
	}
}

// softMargin (PyTorch soft_margin_loss), y = Y ∈ {−1, +1}:
//
//	L = softplus(−y·f),  ∂L/∂f = −y·σ(−y·f),  ∂²L/∂f² = σ(f)σ(−f)
func softMargin(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, f := range in.X {
		y := in.Y[i]
		out.L[i] = log1pexp(-y * f)
		if out.GX != nil {
			out.GX[i] = -y * sigmoid(-y*f)
		}
		if out.H != nil {
			out.H[i] = sigmoid(f) * sigmoid(-f)
		}
	}
}
