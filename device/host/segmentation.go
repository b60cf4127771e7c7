package host

import "math"

// Segmentation losses on the host engine: dice, iou, tversky, focal_tversky and bce_dice.
// Mirrors cpuref/segmentation.go, whose doc comments give the formulas. A row's loss depends
// on its pixels only through the sums I = Σ p·y, P = Σ p, T = Σ y, FP = Σ p·(1 − y) and
// FN = Σ q·y (and, for bce_dice, Σ (1 − y)·softplus(x) + y·softplus(−x)), with p = σ(x) and
// q = σ(−x) on logits or p = x and q = 1 − x on probabilities. FP and FN are summed as such,
// never as P − I or T − I, and each loss is formed from them rather than as 1 − a ratio, so
// that a near-perfect row (logits of ±30 agreeing with the mask) keeps its tiny loss and
// gradient. The gradient is
//
//	∂L/∂x_c = (A·(1 − y_c) + B·y_c)·dp_c + G·((1 − y_c)·p_c − y_c·q_c),  dp_c = p_c·q_c (logits) or 1
//
// whose terms have one sign each for masks of 0 and 1. A row takes one pass of sums over
// blocks of segBlock pixels (σ(±x) into stack blocks, then vector sums and dot products) and,
// for the gradient, one more pass over the same blocks.

func init() {
	for _, name := range []string{"dice", "iou", "tversky", "focal_tversky", "bce_dice"} {
		register(&Kernel{Name: name, Run32: segmentation[float32](name), Run64: segmentation[float64](name)})
	}
}

// segBlock is the number of pixels transformed at once (stack blocks of T).
const segBlock = 2048

// segRow holds one row's sums.
type segRow struct {
	i, p, t, fp, fn float64 // Σ p·y, Σ p, Σ y, Σ p·(1 − y), Σ q·y
	bce             float64 // bce_dice: Σ (1 − y)·softplus(x) + y·softplus(−x)
}

// segCoef is a row's loss and gradient coefficients (see the file's comment).
type segCoef struct {
	l, a, b, g float64
}

// segBufs are the stack blocks of one row pass: p, q and 1 − y.
type segBufs[T Float] struct {
	p, q, ny [segBlock]T
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
				// BCE averaged over the row, gradient (p − y)/C = ((1 − y)p − y·q)/C.
				return segCoef{l: wb*s.bce/cc + wd*d.l, a: wd * d.a, b: wd * d.b, g: wb / cc}
			}
		}
		return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
			buf := new(segBufs[T])
			var sl, sd float64
			for i := lo; i < hi; i++ {
				x, y := a.X[i*c:(i+1)*c], a.Y[i*c:(i+1)*c]
				s := segSums(x, y, buf, logits, bce)
				k := coef(s)
				sw := weightAt(a.Weight, i)
				sl += sw * k.l
				sd += sw
				if a.PerSample != nil {
					a.PerSample[i] = T(sw * k.l)
				}
				if a.GX != nil {
					gs := a.Scale * sw
					k.a, k.b, k.g = gs*k.a, gs*k.b, gs*k.g
					segGrad(a.GX[i*c:(i+1)*c], x, y, buf, logits, k)
				}
			}
			sums[0], sums[1] = sl, sd
		})
	}
}

// segBlockPQ fills b.p and b.q for the pixels xb of one block, and b.ny for yb when withNY,
// and returns the slices: p = σ(x), q = σ(−x) on logits (p = x, q = 1 − x on probabilities),
// ny = 1 − y (nil without withNY). Every pass is a vector primitive: −x is (−1)·x + 0 (exact,
// but +0 for ±0, where σ is ½ either way) and 1 − x is (−1)·x + 1 (one rounding, 1 − x's bits).
func segBlockPQ[T Float](xb, yb []T, b *segBufs[T], logits, withNY bool) (pb, qb, nyb []T) {
	m := len(xb)
	pb, qb = b.p[:m], b.q[:m]
	if withNY {
		nyb = b.ny[:m]
		copy(nyb, yb[:m])
		vecAxpb(nyb, -1, 1)
	}
	if !logits {
		copy(pb, xb)
		copy(qb, xb)
		vecAxpb(qb, -1, 1)
		return pb, qb, nyb
	}
	if isF32[T]() {
		sigmoids32(asF32(pb), asF32(qb), asF32(xb))
		return pb, qb, nyb
	}
	vecSigmoid(pb, xb)
	copy(qb, xb)
	vecScale(qb, -1)
	vecSigmoid(qb, qb)
	return pb, qb, nyb
}

// segSums computes a row's sums over blocks of segBlock pixels.
func segSums[T Float](x, y []T, b *segBufs[T], logits, bce bool) segRow {
	var s segRow
	for lo := 0; lo < len(x); lo += segBlock {
		hi := min(lo+segBlock, len(x))
		xb, yb := x[lo:hi], y[lo:hi]
		pb, qb, nyb := segBlockPQ(xb, yb, b, logits, bce || !isF32[T]())
		if isF32[T]() {
			spy, sp, sy := sums3(asF32(pb), asF32(yb))
			fp, fn := fpfn(asF32(pb), asF32(qb), asF32(yb))
			s.i, s.p, s.t, s.fp, s.fn = s.i+spy, s.p+sp, s.t+sy, s.fp+fp, s.fn+fn
		} else {
			s.i += vecDot(pb, yb)
			s.p += vecSum(pb)
			s.t += vecSum(yb)
			s.fp += vecDot(pb, nyb)
			s.fn += vecDot(qb, yb)
		}
		if bce { // softplus(±x) into the p and q blocks, which are not needed any more
			vecSoftplus(pb, xb)
			copy(qb, xb)
			vecScale(qb, -1)
			vecSoftplus(qb, qb)
			s.bce += vecDot(nyb, pb) + vecDot(yb, qb)
		}
	}
	return s
}

// segGrad writes g_c = (a·(1 − y_c) + b·y_c)·dp_c + k.g·((1 − y_c)·p_c − y_c·q_c) over the row
// (k holds the coefficients, already scaled). g may be x: each block is read before it is
// written.
func segGrad[T Float](g, x, y []T, b *segBufs[T], logits bool, k segCoef) {
	ka, kb, kg := T(k.a), T(k.b), T(k.g)
	for lo := 0; lo < len(x); lo += segBlock {
		hi := min(lo+segBlock, len(x))
		xb, yb, gb := x[lo:hi], y[lo:hi], g[lo:hi]
		pb, qb, nyb := segBlockPQ(xb, yb, b, logits, !logits || !isF32[T]())
		yb, gb = yb[:len(pb)], gb[:len(pb)]
		if !logits { // dp = 1, and no BCE term
			for j, ny := range nyb {
				gb[j] = ka*ny + kb*yb[j]
			}
			continue
		}
		if isF32[T]() {
			segGrad32(asF32(gb), asF32(pb), asF32(qb), asF32(yb), float32(ka), float32(kb), float32(kg))
			continue
		}
		for j, pj := range pb {
			qj, yj, ny := qb[j], yb[j], nyb[j]
			gb[j] = (ka*ny+kb*yj)*(pj*qj) + kg*(ny*pj-yj*qj)
		}
	}
}

// diceCoef: den = P + T + ε, r = (2I + ε)/den, L = (FP + FN)/den,
// ∂L/∂p_c = (r·(1 − y_c) − y_c·(1 + L))/den.
func diceCoef(s segRow, eps float64) segCoef {
	den := s.p + s.t + eps
	r, l := (2*s.i+eps)/den, (s.fp+s.fn)/den
	return segCoef{l: l, a: r / den, b: -(1 + l) / den}
}

// iouCoef: den = I + FP + FN + ε, r = (I + ε)/den, L = (FP + FN)/den,
// ∂L/∂p_c = (r·(1 − y_c) − y_c)/den.
func iouCoef(s segRow, eps float64) segCoef {
	den := s.i + (s.fp + s.fn) + eps
	r, l := (s.i+eps)/den, (s.fp+s.fn)/den
	return segCoef{l: l, a: r / den, b: -1 / den}
}

// tverskyCoef: den = I + α·FP + β·FN + ε, r = (I + ε)/den, L = (α·FP + β·FN)/den,
// ∂L/∂p_c = (r·(α(1 − y_c) − β·y_c) − y_c·L)/den.
func tverskyCoef(s segRow, alpha, beta, eps float64) segCoef {
	fpn := alpha*s.fp + beta*s.fn
	den := s.i + fpn + eps
	r, l := (s.i+eps)/den, fpn/den
	return segCoef{l: l, a: r * alpha / den, b: -(r*beta + l) / den}
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
