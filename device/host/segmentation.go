package host

import "math"

// Segmentation losses on the host engine: dice, iou, tversky, focal_tversky and bce_dice.
// Mirrors cpuref/segmentation.go, whose doc comments give the formulas. A row's loss depends
// on its pixels only through the sums I = Σ p·y, P = Σ p, T = Σ y (and, for bce_dice,
// Σ softplus(x) and Σ x·y), with p = σ(x) on logits or p = x on probabilities; FP = P − I and
// FN = T − I (clamped at 0, so that the Tversky ratio never exceeds 1 after rounding). Its
// gradient is linear in y_c:
//
//	∂L/∂x_c = (α + β·y_c)·dp_c + γ·p_c + δ·y_c,  dp_c = p_c(1 − p_c) (logits) or 1
//
// so a row takes one pass of sums over blocks of segBlock pixels (vmath.Sigmoid into a stack
// block, then one pass for the three sums), and, for the gradient, one more pass that writes
// (α + β·y)·dp (+ γ·p + δ·y) from the block's σ.

func init() {
	for _, name := range []string{"dice", "iou", "tversky", "focal_tversky", "bce_dice"} {
		register(&Kernel{Name: name, Run32: segmentation[float32](name), Run64: segmentation[float64](name)})
	}
}

// segBlock is the number of pixels transformed at once (a stack block of T).
const segBlock = 2048

// segRow holds one row's sums.
type segRow struct {
	i, p, t float64 // Σ p·y, Σ p, Σ y
	sp, xy  float64 // bce_dice: Σ softplus(x), Σ x·y
}

// segCoef is a row's loss and gradient coefficients: ∂L/∂x_c = (a + b·y_c)·dp_c + g·p_c + d·y_c.
type segCoef struct {
	l, a, b, g, d float64
}

// segmentation returns the kernel of one segmentation loss.
func segmentation[T Float](name string) func(a *Args[T]) []float64 {
	return func(a *Args[T]) []float64 {
		c := a.C
		var logits, bce bool
		var coef func(s segRow) segCoef
		p := a.P
		switch name {
		case "dice": // P: ε, from_logits
			logits = p[1] != 0
			coef = func(s segRow) segCoef { return diceCoef(s, p[0]) }
		case "iou": // P: ε, from_logits
			logits = p[1] != 0
			coef = func(s segRow) segCoef { return iouCoef(s, p[0]) }
		case "tversky": // P: α, β, ε, from_logits
			logits = p[3] != 0
			coef = func(s segRow) segCoef { return tverskyCoef(s, p[0], p[1], p[2]) }
		case "focal_tversky": // P: α, β, ε, from_logits, γ
			logits = p[3] != 0
			coef = func(s segRow) segCoef { return focalTverskyCoef(s, p[0], p[1], p[2], p[4]) }
		case "bce_dice": // P: w_b, w_d, ε; always logits
			logits, bce = true, true
			cc := float64(c)
			coef = func(s segRow) segCoef {
				d := diceCoef(s, p[2])
				wb, wd := p[0], p[1]
				// BCE: (Σ softplus(x) − Σ x·y)/C, gradient (p − y)/C.
				return segCoef{l: wb*(s.sp-s.xy)/cc + wd*d.l, a: wd * d.a, b: wd * d.b, g: wb / cc, d: -wb / cc}
			}
		}
		return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
			var buf [segBlock]T
			var sl, sd float64
			for i := lo; i < hi; i++ {
				x, y := a.X[i*c:(i+1)*c], a.Y[i*c:(i+1)*c]
				s := segSums(x, y, buf[:], logits, bce)
				k := coef(s)
				sw := weightAt(a.Weight, i)
				sl += sw * k.l
				sd += sw
				if a.PerSample != nil {
					a.PerSample[i] = T(sw * k.l)
				}
				if a.GX != nil {
					gs := a.Scale * sw
					k.a, k.b, k.g, k.d = gs*k.a, gs*k.b, gs*k.g, gs*k.d
					segGrad(a.GX[i*c:(i+1)*c], x, y, buf[:], logits, k)
				}
			}
			sums[0], sums[1] = sl, sd
		})
	}
}

// segSums computes a row's sums over blocks of len(buf) pixels.
func segSums[T Float](x, y, buf []T, logits, bce bool) segRow {
	var s segRow
	for lo := 0; lo < len(x); lo += len(buf) {
		hi := min(lo+len(buf), len(x))
		xb, yb := x[lo:hi], y[lo:hi]
		pb := xb
		if logits {
			pb = buf[:hi-lo]
			vecSigmoid(pb, xb)
		}
		if isF32[T]() {
			spy, sp, sy := sums3(asF32(pb), asF32(yb))
			s.i += spy
			s.p += sp
			s.t += sy
		} else {
			s.i += vecDot(pb, yb)
			s.p += vecSum(pb)
			s.t += vecSum(yb)
		}
		if bce {
			s.xy += vecDot(xb, yb)
			sp := buf[:hi-lo]
			vecSoftplus(sp, xb)
			s.sp += vecSum(sp)
		}
	}
	return s
}

// segGrad writes g_c = (a + b·y_c)·dp_c + γ·p_c + δ·y_c over the row (k holds the coefficients,
// already scaled). g may be x: each block is read before it is written.
func segGrad[T Float](g, x, y, buf []T, logits bool, k segCoef) {
	ka, kb, kg, kd := T(k.a), T(k.b), T(k.g), T(k.d)
	for lo := 0; lo < len(x); lo += len(buf) {
		hi := min(lo+len(buf), len(x))
		xb, yb, gb := x[lo:hi], y[lo:hi], g[lo:hi]
		if !logits { // dp = 1, p = x
			for j, v := range yb {
				gb[j] = ka + kb*v + kg*xb[j] + kd*v
			}
			continue
		}
		pb := buf[:hi-lo]
		vecSigmoid(pb, xb)
		if isF32[T]() {
			segGrad32(asF32(gb), asF32(pb), asF32(yb), float32(ka), float32(kb), float32(kg), float32(kd))
			continue
		}
		yb = yb[:len(pb)]
		gb = gb[:len(pb)]
		for j, pj := range pb {
			yj := yb[j]
			gb[j] = (ka+kb*yj)*(pj*(1-pj)) + kg*pj + kd*yj
		}
	}
}

// diceCoef: L = 1 − (2I + ε)/(P + T + ε), ∂L/∂p_c = (r − 2y_c)/den.
func diceCoef(s segRow, eps float64) segCoef {
	den := s.p + s.t + eps
	r := (2*s.i + eps) / den
	return segCoef{l: 1 - r, a: r / den, b: -2 / den}
}

// iouCoef: L = 1 − (I + ε)/(P + T − I + ε), ∂L/∂p_c = (r(1 − y_c) − y_c)/den.
func iouCoef(s segRow, eps float64) segCoef {
	den := s.p + s.t - s.i + eps
	r := (s.i + eps) / den
	return segCoef{l: 1 - r, a: r / den, b: -(r + 1) / den}
}

// tverskyCoef: L = 1 − (I + ε)/(I + α·FP + β·FN + ε),
// ∂L/∂p_c = (r·(y_c + α(1 − y_c) − β·y_c) − y_c)/den.
func tverskyCoef(s segRow, alpha, beta, eps float64) segCoef {
	fp, fn := max(s.p-s.i, 0), max(s.t-s.i, 0)
	den := s.i + (alpha*fp + beta*fn) + eps
	r := (s.i + eps) / den
	return segCoef{l: 1 - r, a: r * alpha / den, b: (r*(1-alpha-beta) - 1) / den}
}

// focalTverskyCoef: L = t^γ with t the Tversky loss, ∂L/∂p_c = γ·t^(γ−1)·∂t/∂p_c (0 at t = 0
// when γ < 1, cpuref's subgradient).
func focalTverskyCoef(s segRow, alpha, beta, eps, gamma float64) segCoef {
	k := tverskyCoef(s, alpha, beta, eps)
	t := k.l
	var f float64
	if t > 0 || gamma >= 1 {
		f = gamma * math.Pow(t, gamma-1)
	}
	return segCoef{l: math.Pow(t, gamma), a: f * k.a, b: f * k.b}
}
