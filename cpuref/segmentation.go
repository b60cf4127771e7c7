package cpuref

import "math"

// Segmentation losses: row losses, one term per sample over its C pixels (all non-batch
// dimensions flattened). X holds logits (or probabilities when from_logits is 0), Y the masks
// y ∈ [0, 1]. Each row is summarised by
//
//	p_c = σ(x_c) (from_logits) or x_c,  I = Σ_c p_c·y_c,  P = Σ_c p_c,  T = Σ_c y_c,
//	FP = Σ_c p_c·(1 − y_c),  FN = Σ_c (1 − p_c)·y_c,
//
// with 1 − p_c formed as σ(−x_c) on logits. Each loss is formed from FP and FN rather than as
// 1 − a ratio, so that it keeps its precision where it is tiny (near-perfect rows). The
// gradient with respect to x_c is ∂L/∂p_c times dp_c/dx_c = σ(x_c)·σ(−x_c) (1 with
// probabilities). There is no gradient with respect to the masks. Every row has d = 1, so
// the Mean is the mean over rows. Mirrors kernels/segmentation.h.

func init() {
	registerRow("dice", segDice)
	registerRow("iou", segIoU)
	registerRow("tversky", segTversky)
	registerRow("focal_tversky", segFocalTversky)
	registerRow("bce_dice", segBCEDice)
}

// segStats holds one row's sums.
type segStats struct {
	i, p, t, fp, fn float64
}

// segProb returns p = σ(x), q = 1 − p = σ(−x) and dp/dx = σ(x)·σ(−x) on logits, or p = x,
// q = 1 − x and 1 on probabilities. On logits q is σ(−x) itself, not 1 − σ(x), which is 0
// or rounding noise where σ(x) rounds to 1 (x ≳ 37, or x = 30 to three digits).
func segProb(x float64, logits bool) (p, q, dp float64) {
	if !logits {
		return x, 1 - x, 1
	}
	p, q = sigmoid(x), sigmoid(-x)
	return p, q, p * q
}

// segSums computes the row sums of x (logits or probabilities) against the masks y.
func segSums(x, y []float64, logits bool) segStats {
	var s segStats
	for c, xc := range x {
		p, q, _ := segProb(xc, logits)
		yc := y[c]
		s.i += p * yc
		s.p += p
		s.t += yc
		s.fp += p * (1 - yc)
		s.fn += q * yc
	}
	return s
}

// segGrad fills gx[c] = ∂L/∂x_c from dLdp(y_c), the derivative of the row's loss with
// respect to p_c, which depends on c only through y_c.
func segGrad(gx, x, y []float64, logits bool, dLdp func(yc float64) float64) {
	for c, xc := range x {
		_, _, dp := segProb(xc, logits)
		gx[c] = dLdp(y[c]) * dp
	}
}

// segDice is the soft Dice loss. P[0] = ε, P[1] = from_logits. With den = P + T + ε and
// r = (2I + ε)/den:
//
//	L = 1 − r = (FP + FN)/den
//	∂L/∂p_c = (r − 2y_c)/den = (r·(1 − y_c) − y_c·(1 + L))/den
//
// (P + T − 2I = FP + FN.) r and L are both formed from the sums, never as 1 − the other, and
// the gradient in its right-hand form, whose terms have one sign for masks of 0 and 1: so a
// near-perfect row (logits of ±30 agreeing with the mask, L of the order of e^{−30}) and a
// wholly wrong one (r tiny) both keep full precision.
// An empty mask with an empty prediction (I = P = T = 0) gives 0/ε = 0 (NaN when ε = 0).
func segDice(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	eps, logits := p[0], p[1] != 0
	s := segSums(in.X, in.Y, logits)
	l, g := diceOf(s, eps)
	if out.GX != nil {
		segGrad(out.GX, in.X, in.Y, logits, g)
	}
	return l, 1
}

// diceOf returns the Dice loss of a row's sums and its derivative with respect to p_c as a
// function of y_c (see segDice).
func diceOf(s segStats, eps float64) (float64, func(yc float64) float64) {
	den := s.p + s.t + eps
	r, l := (2*s.i+eps)/den, (s.fp+s.fn)/den
	return l, func(yc float64) float64 { return (r*(1-yc) - yc*(1+l)) / den }
}

// segIoU is the soft Jaccard loss. P[0] = ε, P[1] = from_logits. With the union
// U = P + T − I = I + FP + FN, den = U + ε and r = (I + ε)/den:
//
//	L = 1 − r = (FP + FN)/den
//	∂L/∂p_c = (r·(1 − y_c) − y_c)/den
//
// r and L both formed from the sums (see segDice).
func segIoU(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	eps, logits := p[0], p[1] != 0
	s := segSums(in.X, in.Y, logits)
	den := s.i + (s.fp + s.fn) + eps
	r, l := (s.i+eps)/den, (s.fp+s.fn)/den
	if out.GX != nil {
		segGrad(out.GX, in.X, in.Y, logits, func(yc float64) float64 { return (r*(1-yc) - yc) / den })
	}
	return l, 1
}

// tverskyOf returns the Tversky loss of a row's sums and its derivative with respect to p_c
// as a function of y_c. With den = I + α·FP + β·FN + ε and r = (I + ε)/den:
//
//	L = 1 − r = (α·FP + β·FN)/den
//	∂L/∂p_c = (r·(y_c + α(1 − y_c) − β·y_c) − y_c)/den = (r·(α(1 − y_c) − β·y_c) − y_c·L)/den
//
// r and L both formed from the sums, and the gradient in its right-hand form (see
// segDice). FP and FN are summed as Σp(1−y) and Σ(1−p)y, so that for p, y ∈ [0, 1] the
// loss lies in [0, 1] after rounding too.
func tverskyOf(s segStats, alpha, beta, eps float64) (float64, func(yc float64) float64) {
	fpn := alpha*s.fp + beta*s.fn
	den := s.i + fpn + eps
	r, l := (s.i+eps)/den, fpn/den
	return l, func(yc float64) float64 {
		return (r*(alpha*(1-yc)-beta*yc) - yc*l) / den
	}
}

// segTversky is the Tversky loss. P[0] = α, P[1] = β, P[2] = ε, P[3] = from_logits (see
// tverskyOf). With α = β = ½ it equals Dice with smoothing 2ε; with α = β = 1, IoU.
func segTversky(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	logits := p[3] != 0
	s := segSums(in.X, in.Y, logits)
	l, g := tverskyOf(s, p[0], p[1], p[2])
	if out.GX != nil {
		segGrad(out.GX, in.X, in.Y, logits, g)
	}
	return l, 1
}

// segFocalTversky is the Tversky loss t raised to γ. P[0] = α, P[1] = β, P[2] = ε,
// P[3] = from_logits, P[4] = γ.
//
//	L = t^γ,  ∂L/∂p_c = γ·t^(γ−1)·∂t/∂p_c
//
// At t = 0 (a perfect row, the minimum) the factor γ·t^(γ−1) is taken as 0 when γ < 1,
// where it is infinite: the gradient there is 0, a subgradient of the cusp. For γ ≥ 1 the
// formula holds as written (the factor is γ·0^(γ−1), 1 for γ = 1).
func segFocalTversky(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	logits, gamma := p[3] != 0, p[4]
	s := segSums(in.X, in.Y, logits)
	t, g := tverskyOf(s, p[0], p[1], p[2])
	if out.GX != nil {
		var f float64
		if t > 0 || gamma >= 1 {
			f = gamma * math.Pow(t, gamma-1)
		}
		segGrad(out.GX, in.X, in.Y, logits, func(yc float64) float64 { return f * g(yc) })
	}
	return math.Pow(t, gamma), 1
}

// segBCEDice is BCEWithLogits averaged over the row's C pixels plus Dice on σ(x).
// P[0] = bce_weight w_b, P[1] = dice_weight w_d, P[2] = ε. Always on logits.
//
//	L = w_b·(1/C)·Σ_c (max(x_c, 0) − x_c·y_c + log(1 + e^{−|x_c|})) + w_d·Dice(σ(x), y; ε)
//	∂L/∂x_c = w_b·(σ(x_c) − y_c)/C + w_d·∂Dice/∂p_c·σ(x_c)σ(−x_c)
//
// σ(x_c) − y_c is formed as (1 − y_c)·σ(x_c) − y_c·σ(−x_c), which has no cancellation for a
// mask of 0 or 1 (σ(30) − 1 would leave rounding noise instead of −σ(−30)).
func segBCEDice(p *[8]float64, in RowIn, out RowOut) (float64, float64) {
	wb, wd, eps := p[0], p[1], p[2]
	x, y := in.X, in.Y
	c := float64(len(x))
	var bce float64
	for j, xc := range x {
		bce += max(xc, 0) - xc*y[j] + math.Log1p(math.Exp(-math.Abs(xc)))
	}
	s := segSums(x, y, true)
	dl, g := diceOf(s, eps)
	if out.GX != nil {
		for j, xc := range x {
			pc, qc, dp := segProb(xc, true)
			out.GX[j] = wb*((1-y[j])*pc-y[j]*qc)/c + wd*g(y[j])*dp
		}
	}
	return wb*bce/c + wd*dl, 1
}
