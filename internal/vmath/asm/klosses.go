package main

// The elementwise losses of the host engine (package device/host), each mirroring its
// cpuref block function in float32. A loss body returns L and its derivatives with respect
// to x (and y, z where the loss has them), unweighted and unscaled; the frame applies the
// sample weight and the gradient scale. Parameters p[k] are formed by the host in float64
// and rounded to float32 (derived ones like 1 − ρ included); their layout is given per loss
// and mirrored in device/host/elem.go.

// mode selects what a kernel computes: the value, the gradients, or the gradients and the
// Hessian diagonal.
type mode uint8

const (
	mF mode = iota
	mG
	mH
)

var modeSuffix = [...]string{"F", "G", "H"}

type loss struct {
	name string
	body func(f *fn, m mode) outs
}

// sign returns +1, −1, or v itself at ±0 and NaN (cpuref's sign).
func (f *fn) sign(v *node) *node {
	return f.Sel(f.Gt(v, f.C(0)), f.C(1), f.Sel(f.Lt(v, f.C(0)), f.C(-1), v))
}

// logisticAll returns softplus(x), softplus(−x), σ(x), σ(−x) from one exp, one log1p and one
// division (cpuref's logistic).
func (f *fn) logisticAll(x *node) (fp, fn_, sp, sn *node) {
	u, sp, sn := f.logistic(x)
	t := f.log1pUnit(u)
	fp = f.Add(f.Max(f.C(0), x), t)
	fn_ = f.Add(f.Max(f.C(0), f.Neg(x)), t)
	return fp, fn_, sp, sn
}

func sel3(m mode, l, g, h *node) outs {
	o := outs{L: l}
	if m >= mG {
		o.GX = g
	}
	if m == mH {
		o.H = h
	}
	return o
}

var losses = []loss{
	// mse: L = d², ∂ = 2d, H = 2 (d = x − y).
	{"mse", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		return sel3(m, f.Mul(d, d), f.Add(d, d), f.C(2))
	}},
	// mae: L = |d|, ∂ = sign(d), H = 0.
	{"mae", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		return sel3(m, f.Abs(d), f.sign(d), f.C(0))
	}},
	// huber, p0 = δ, p1 = −δ, p2 = ½δ: L = ½d² if |d| ≤ δ else δ(|d| − ½δ), ∂ = clamp(d, −δ, δ).
	{"huber", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		a := f.Abs(d)
		in := f.Le(a, f.P(0))
		l := f.Sel(in, f.Mul(f.Mul(d, d), f.C(0.5)), f.Mul(f.P(0), f.Sub(a, f.P(2))))
		g := f.Max(f.P(1), f.Min(f.P(0), d))
		if m == mH { // the Hessian's jump at |e| = δ is decided exactly
			d2, err := f.diffErr(f.In(inX), f.In(inY))
			in = f.absBelow(d2, err, f.P(0), true)
		}
		return sel3(m, l, g, f.Sel(in, f.C(1), f.C(0)))
	}},
	// smooth_l1, p0 = β, p1 = ½/β, p2 = 1/β, p3 = ½β: L = ½d²/β if |d| < β else |d| − ½β.
	{"smooth_l1", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		a := f.Abs(d)
		q := f.Lt(a, f.P(0))
		l := f.Sel(q, f.Mul(f.Mul(d, d), f.P(1)), f.Sub(a, f.P(3)))
		g := f.Sel(q, f.Mul(d, f.P(2)), f.sign(d))
		if m == mH {
			d2, err := f.diffErr(f.In(inX), f.In(inY))
			q = f.absBelow(d2, err, f.P(0), false)
		}
		return sel3(m, l, g, f.Zero(q, f.P(2)))
	}},
	// pseudo_huber, p0 = δ, p1 = 1/δ: r = d/δ, h = √(1 + r²) (= |r| beyond 2^12, no
	// overflow), L = d·(δ·(r/(h + 1))), ∂ = d/h, H = 1/h³.
	{"pseudo_huber", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		r := f.Mul(d, f.P(1))
		ar := f.Abs(r)
		h := f.Sel(f.Gt(ar, f.C(4096)), ar, f.Sqrt(f.FMA(r, r, f.C(1))))
		l := f.Mul(d, f.Mul(f.P(0), f.Div(r, f.Add(h, f.C(1)))))
		return sel3(m, l, f.Div(d, h), f.Div(f.C(1), f.Mul(f.Mul(h, h), h)))
	}},
	// log_cosh: a = |d|, u = e^{−2a}; L = log1p(2 sinh²(d/2)) for a < 1 (sinh by its Taylor
	// series to t⁹, exact to 1e-10 for |t| < ½), else a + log1p(u) − ln 2; ∂ = tanh d,
	// H = 4u/(1 + u)².
	{"log_cosh", func(f *fn, m mode) outs {
		d := f.Sub(f.In(inX), f.In(inY))
		a := f.Abs(d)
		u := f.Exp(f.Mul(a, f.C(-2)))
		t := f.Mul(d, f.C(0.5))
		t2 := f.Mul(t, t)
		s := f.FMA(f.Mul(t2, t), f.Horner(t2, 1.0/6, 1.0/120, 1.0/5040, 1.0/362880), t)
		// One log1p serves both branches: of 2 sinh²(d/2) below 1, of u above.
		lt1 := f.Lt(a, f.C(1))
		lp := f.log1pUnit(f.Sel(lt1, f.Mul(f.Mul(s, s), f.C(2)), u))
		l := f.Sel(lt1, lp, f.Sub(f.Add(a, lp), f.C(0.6931472)))
		if m == mF {
			return outs{L: l}
		}
		// tanh d from the same u: ±(1 − u)/(1 + u) at |d| ≥ 0.5493, the polynomial below.
		u1 := f.Add(u, f.C(1))
		d2 := f.Mul(d, d)
		small := f.FMA(f.Mul(d2, d), f.hornerBits(d2, tanhT), d)
		big := f.Or(f.Div(f.Sub(f.C(1), u), u1), f.SignOf(d))
		th := f.Sel(f.Lt(a, f.C(0.5493)), small, big)
		h := f.Div(f.Mul(u, f.C(4)), f.Mul(u1, u1))
		return sel3(m, l, th, h)
	}},
	// quantile, p0 = τ, p1 = τ − 1, p2 = 1 − τ, p3 = −τ: e = y − x, L = max(τe, (τ−1)e),
	// ∂ = −τ if e > 0, 1 − τ if e < 0, 0·e at 0.
	{"quantile", func(f *fn, m mode) outs {
		e := f.Sub(f.In(inY), f.In(inX))
		l := f.Max(f.Mul(f.P(0), e), f.Mul(f.P(1), e))
		g := f.Sel(f.Gt(e, f.C(0)), f.P(3), f.Sel(f.Lt(e, f.C(0)), f.P(2), f.Mul(e, f.C(0))))
		return sel3(m, l, g, f.C(0))
	}},
	// poisson with log input (_full: with Stirling's term): L = e^x − y·x [+ stirling(y)],
	// ∂ = e^x − y, H = e^x.
	{"poisson_log", func(f *fn, m mode) outs { return f.poissonLog(m, false) }},
	{"poisson_log_full", func(f *fn, m mode) outs { return f.poissonLog(m, true) }},
	// poisson on rates (_full: with Stirling's term), p1 = eps: xe = x + eps,
	// L = x − y·log xe [+ stirling(y)],
	// q = y/xe, ∂ = 1 − q, H = q/xe. With the Stirling term (y > 1) L is formed as
	// (x − y) − y·log(xe/y) + ½log(2πy), log(xe/y) as log1p((x − y + eps)/y) where xe is
	// near y: the same value without the cancellation of y·log xe against y·log y (both
	// 9.2e4 at x = y = 1e4, where a float32 ulp is 0.008).
	{"poisson_rate", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		xe := f.Add(x, f.P(1))
		q := f.Div(y, xe)
		return sel3(m, f.FNMA(y, f.logPlusEps(x, f.P(1)), x), f.Sub(f.C(1), q), f.Div(q, xe))
	}},
	{"poisson_rate_full", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		xe := f.Add(x, f.P(1))
		lxe, ly := f.logPlusEps(x, f.P(1)), f.Log(y)
		plain := f.FNMA(y, lxe, x)
		xy := f.Sub(x, y)
		d := f.Add(xy, f.P(1))
		// log(xe/y): log1p(d/y) near xe = y, log xe − log y elsewhere.
		near := f.Lt(f.Abs(d), f.Mul(y, f.C(0.5)))
		lr := f.Sel(near, f.Log1p(f.Div(d, y)), f.Sub(lxe, ly))
		st := f.FNMA(y, lr, xy)
		st = f.Add(st, f.FMA(f.C(0.5), ly, f.C(0.9189385)))
		on := f.MAnd(f.Gt(y, f.C(1)), f.Ne(f.P(0), f.C(0)))
		l := f.Sel(on, st, plain)
		// Counts beyond 2^24 (not all integers in float32) go to the float64 recomputation
		// (L = NaN sends the block there), where the reference's own terms are as rounded.
		l = f.Sel(f.MAnd(on, f.Gt(y, f.C(16777216))), f.CB(nanBits), l)
		q := f.Div(y, xe)
		return sel3(m, l, f.Sub(f.C(1), q), f.Div(q, xe))
	}},
	// tweedie, p0 = 1 − ρ, p1 = 2 − ρ, p2 = −1/(1 − ρ) (> 0), p3 = 1/(2 − ρ), p4 = −(1 − ρ):
	// a = e^{(1−ρ)x}, b = e^{(2−ρ)x}, ya = y·a (0 where y = 0); L = ya·p2 + b·p3 (two
	// positive terms), ∂ = b − ya, H = p4·ya + p1·b.
	// p5, p6 = the float32 remainders of 1 − ρ and 2 − ρ: the exponents are formed to double
	// float32 precision (expProd), since e^{(2−ρ)x} carries its exponent's rounding error
	// times |x|, and b − ya cancels near the optimum (×28 at x = 88.7, y = 3.2e38, ρ = 1.1).
	{"tweedie", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		b := f.expProd(f.P(1), f.P(6), x)
		ya := f.Sel(f.Ne(y, f.C(0)), f.Mul(y, f.expProd(f.P(0), f.P(5), x)), f.C(0))
		l := f.FMA(ya, f.P(2), f.Mul(b, f.P(3)))
		return sel3(m, l, f.Sub(b, ya), f.FMA(f.P(4), ya, f.Mul(f.P(1), b)))
	}},
	// gaussian_nll, p0 = eps, p1 = ½log 2π or 0: v = max(var, eps), q = e/v,
	// L = ½(log v + e·q) + c, ∂x = d/v, ∂var = ½(1 − e·q)/v, H = 1/v.
	{"gaussian_nll", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		v := f.Max(f.P(0), f.In(inZ))
		e := f.Sub(y, x)
		q := f.Div(e, v)
		l := f.FMA(f.C(0.5), f.Add(f.Log(v), f.Mul(e, q)), f.P(1))
		o := sel3(m, l, f.Div(f.Sub(x, y), v), f.Div(f.C(1), v))
		if m >= mG {
			o.GZ = f.Div(f.Mul(f.FNMA(e, q, f.C(1)), f.C(0.5)), v)
		}
		return o
	}},
	// bce on probabilities p = x: logs clamped at −100, backward denominators at 1e-12.
	{"bce", func(f *fn, m mode) outs {
		p, y := f.In(inX), f.In(inY)
		q := f.Sub(f.C(1), p)
		y1 := f.Sub(f.C(1), y)
		lp := f.Max(f.C(-100), f.Log(p))
		lq := f.Max(f.C(-100), f.Log1p(f.Neg(p)))
		l := f.Neg(f.FMA(y, lp, f.Mul(y1, lq)))
		g := f.Div(f.Sub(p, y), f.Max(f.C(1e-12), f.Mul(p, q)))
		h := f.Add(f.Div(y, f.Max(f.C(1e-12), f.Mul(p, p))), f.Div(y1, f.Max(f.C(1e-12), f.Mul(q, q))))
		return sel3(m, l, g, h)
	}},
	// bce_with_logits, p0 = pos_weight (times the column's factor in cw for the CW variant):
	// L = (1−y)·softplus(x) + pw·y·softplus(−x), ∂ = (1−y)σ(x) − pw·y·σ(−x),
	// H = ((1−y) + pw·y)·σ(x)σ(−x).
	{"bce_logits", func(f *fn, m mode) outs { return f.bceLogits(m, false) }},
	{"bce_logits_cw", func(f *fn, m mode) outs { return f.bceLogits(m, true) }},
	// focal, p0 = γ, p1 = α, p2 = 1 − α, p3 = 1 if α ≥ 0 (class balance) else 0,
	// p4 = (γ − 1)/γ (0 at γ = 0): cpuref's log-space form.
	{"focal", (*fn).focal},
	// hinge, p0 = m: z = m − y·x, L = max(0, z), ∂ = −y where z > 0.
	{"hinge", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		z := f.FNMA(y, x, f.P(0))
		return sel3(m, f.Max(f.C(0), z), f.Zero(f.Gt(z, f.C(0)), f.Neg(y)), f.C(0))
	}},
	// squared_hinge, p0 = m: h = max(0, m − y·x), L = h², ∂ = −2y·h, H = 2·[z > 0].
	{"squared_hinge", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		z := f.FNMA(y, x, f.P(0))
		h := f.Max(f.C(0), z)
		return sel3(m, f.Mul(h, h), f.Mul(f.Neg(f.Add(y, y)), h), f.Zero(f.Gt(z, f.C(0)), f.C(2)))
	}},
	// soft_margin: t = −y·x, L = softplus(t), ∂ = −y·σ(t), H = σ(t)σ(−t).
	{"soft_margin", func(f *fn, m mode) outs {
		x, y := f.In(inX), f.In(inY)
		t := f.Neg(f.Mul(y, x))
		fp, _, sp, sn := f.logisticAll(t)
		return sel3(m, fp, f.Neg(f.Mul(y, sp)), f.Mul(sp, sn))
	}},
	// kl_div on probabilities t = y: L = t·log t (0 where t = 0) − t·x, ∂ = −t.
	{"kl_div", func(f *fn, m mode) outs {
		x, t := f.In(inX), f.In(inY)
		xl := f.Sel(f.Ne(t, f.C(0)), f.Mul(t, f.Log(t)), f.C(0))
		return sel3(m, f.FNMA(t, x, xl), f.Neg(t), f.C(0))
	}},
	// kl_div on log-probabilities t = y: w = e^t, L = w·(t − x), ∂ = −w.
	{"kl_div_log", func(f *fn, m mode) outs {
		x, t := f.In(inX), f.In(inY)
		w := f.Exp(t)
		return sel3(m, f.Mul(w, f.Sub(t, x)), f.Neg(w), f.C(0))
	}},
	// bpr = pairwise_logistic: t = y − x = −Δ, L = softplus(t), ∂x = −σ(t), ∂y = σ(t),
	// H = σ(t)σ(−t).
	{"bpr", func(f *fn, m mode) outs {
		t := f.Sub(f.In(inY), f.In(inX))
		fp, _, sp, sn := f.logisticAll(t)
		o := sel3(m, fp, f.Neg(sp), f.Mul(sp, sn))
		if m >= mG {
			o.GY = sp
		}
		return o
	}},
	// pairwise_hinge, p0 = m: z = m − (x − y), L = max(0, z), ∂x = −[z > 0], ∂y = [z > 0].
	// z = (m − d) − err' with x − y = d + err exactly (TwoSum) and err' the part of err that
	// float64 keeps (see err64): m − d is exact where z is near 0 (Sterbenz), so z has the
	// sign of the reference's float64 z, which decides the gradient (x − y = 1 − 5e-11
	// rounds to 1 in float32, not in float64).
	{"pairwise_hinge", func(f *fn, m mode) outs {
		d, err := f.diffErr(f.In(inX), f.In(inY))
		z := f.Sub(f.Sub(f.P(0), d), f.err64(d, err))
		in := f.Gt(z, f.C(0))
		o := sel3(m, f.Max(f.C(0), z), f.Zero(in, f.C(-1)), f.C(0))
		if m >= mG {
			o.GY = f.Zero(in, f.C(1))
		}
		return o
	}},
	// contrastive, p0 = m: d = x, h = max(0, m − d), L = y·d² + (1−y)·h²,
	// ∂d = 2y·d − 2(1−y)·h, ∂y = d² − h², H = 2y + 2(1−y)·[d < m].
	{"contrastive", func(f *fn, m mode) outs {
		d, y := f.In(inX), f.In(inY)
		h := f.Max(f.C(0), f.Sub(f.P(0), d))
		y1 := f.Sub(f.C(1), y)
		d2, h2 := f.Mul(d, d), f.Mul(h, h)
		l := f.FMA(y, d2, f.Mul(y1, h2))
		g := f.FMS(f.Add(y, y), d, f.Mul(f.Add(y1, y1), h))
		hs := f.FMA(f.Add(y1, y1), f.Zero(f.Lt(d, f.P(0)), f.C(1)), f.Add(y, y))
		o := sel3(m, l, g, hs)
		if m >= mG {
			o.GY = f.Sub(d2, h2)
		}
		return o
	}},
	// penalty, p0 = l1, p1 = l2, p2 = 2·l2: L = l1|θ| + l2θ², ∂ = l1·sign θ + 2l2θ, H = 2l2.
	{"penalty", func(f *fn, m mode) outs {
		t := f.In(inX)
		l := f.FMA(f.P(1), f.Mul(t, t), f.Mul(f.P(0), f.Abs(t)))
		g := f.FMA(f.P(2), t, f.Mul(f.P(0), f.sign(t)))
		return sel3(m, l, g, f.P(2))
	}},
}

// diffErr returns d = x − y rounded and its exact rounding error (TwoSum): x − y = d + err.
func (f *fn) diffErr(x, y *node) (d, err *node) {
	d = f.Sub(x, y)
	bv := f.Sub(d, x)
	av := f.Sub(d, bv)
	err = f.Sub(f.Sub(x, av), f.Add(y, bv))
	return d, err
}

// err64 returns what float64 keeps of d + err (d, err from diffErr): RN64(d + err) is d
// when |err| ≤ ½ulp64(d) (a tie goes to d, whose float64 significand is even) and d + err
// exactly otherwise; so the result is 0 or err.
func (f *fn) err64(d, err *node) *node {
	return f.Sel(f.Le(f.Abs(err), f.halfUlp64(d, err)), f.C(0), err)
}

// halfUlp64 is half the spacing of float64 numbers next to the float32 d on err's side: 2^{e−53}
// for d's exponent e, halved where err points toward zero from a power of two (the spacing
// below it is half the spacing above).
func (f *fn) halfUlp64(d, err *node) *node {
	bits := f.AsI(f.Abs(d))
	half := f.Mul(f.AsF(f.And(bits, f.CI(0x7f800000))), f.C(0x1p-53))
	pow2 := f.Eq(f.AsF(f.And(bits, f.CI(0x007fffff))), f.C(0)) // significand bits zero
	down := f.MAnd(pow2, f.Lt(f.Mul(d, err), f.C(0)))
	return f.Sel(down, f.Mul(half, f.C(0.5)), half)
}

// absBelow decides |x − y| < t (orEqual: ≤ t) as float64 arithmetic does, the reference's:
// on |RN64(x − y)|, from d, err of diffErr. It is |d|'s comparison except where |d| = t;
// there RN64(d + err) = d when |err| ≤ ½ulp64(d) (a tie rounds to d, whose float64
// significand is even), and otherwise lies on err's side. The float32 difference alone
// puts |−100 − 7e-12| = 100.00000000001 inside a Huber δ of 100.
func (f *fn) absBelow(d, err, t *node, orEqual bool) *node {
	a := f.Abs(d)
	at := f.Eq(a, t)
	rounds := f.Le(f.Abs(err), f.halfUlp64(d, err)) // RN64(d + err) = d
	inward := f.Lt(f.Mul(d, err), f.C(0))
	var edge *node
	if orEqual {
		edge = f.MOr(rounds, inward)
	} else {
		edge = f.MAndNot(inward, rounds)
	}
	return f.MOr(f.Lt(a, t), f.MAnd(at, edge))
}

// expProd is e^{(ch + cl)·x} with the product kept to double float32 precision: t = ch·x
// rounded, its exact error plus cl·x as lo, and e^t·(1 + lo) (lo is below 2^−20·|t|).
func (f *fn) expProd(ch, cl, x *node) *node {
	t := f.Mul(ch, x)
	lo := f.FMA(cl, x, f.FMS(ch, x, t))
	e := f.Exp(t)
	return f.FMA(e, lo, e)
}

// logPlusEps is log(x + eps) for x ≥ 0, eps > 0, as log max + log1p(min/max): x + eps itself
// loses eps's digits (1 + 1e-6 rounds to 1 + 9.5e-7 in float32, and y·log(x + eps) carries
// that 5% error at large y).
func (f *fn) logPlusEps(x, eps *node) *node {
	big, small := f.Max(eps, x), f.Min(eps, x)
	return f.Add(f.Log(big), f.Log1p(f.Div(small, big)))
}

// poissonLog is poisson with log input; full adds stirling(y). With the full term, counts
// y > 256 are left to the float64 recomputation (L is set to NaN, which sends the block
// there): near the optimum x ≈ log y the terms y·x, y·log y and e^x cancel to about
// ½log(2πy), and their float32 rounding (y·log y·2^−24, 7e-4 at y = 1000 against a value of
// 4.4) exceeds the float32 tolerance.
func (f *fn) poissonLog(m mode, full bool) outs {
	x, y := f.In(inX), f.In(inY)
	ex := f.Exp(x)
	l := f.FNMA(y, x, ex)
	if full {
		l = f.Add(l, f.stirling(y, f.C(1)))
		l = f.Sel(f.Gt(y, f.C(256)), f.CB(nanBits), l)
	}
	return sel3(m, l, f.Sub(ex, y), ex)
}

// stirling is PyTorch's full term y·log y − y + ½log(2πy) where y > 1 and full (≠ 0), else 0.
func (f *fn) stirling(y, full *node) *node {
	ly := f.Log(y)
	s := f.FMA(y, ly, f.Neg(y))
	s = f.Add(s, f.FMA(f.C(0.5), ly, f.C(0.9189385))) // ½log 2π = 0.91893853
	on := f.MAnd(f.Gt(y, f.C(1)), f.Ne(full, f.C(0)))
	return f.Zero(on, s)
}

func (f *fn) bceLogits(m mode, cw bool) outs {
	x, y := f.In(inX), f.In(inY)
	pw := f.P(0)
	if cw {
		pw = f.Mul(pw, f.In(inCW))
	}
	fp, fn_, sp, sn := f.logisticAll(x)
	y1 := f.Sub(f.C(1), y)
	pwy := f.Mul(pw, y)
	l := f.FMA(y1, fp, f.Mul(pwy, fn_))
	g := f.FMS(y1, sp, f.Mul(pwy, sn))
	h := f.Mul(f.Add(y1, pwy), f.Mul(sp, sn))
	return sel3(m, l, g, h)
}

// focal computes cpuref's focal loss with log q formed without underflow in one log: with
// u = e^{−|x|}, m = min(sp(x), sp(−x)) (sp = softplus) and the other one m + |x|,
//
//	q = (1−y)σ(x) + y·σ(−x) = e^{−m}·w,  w = (1−y) + y·u (x ≥ 0) or (1−y)·u + y (x < 0),
//
// so log q = −m + log w, where w ≥ 2^−24 except where w is u itself (y = 1 with x ≥ 0, y = 0
// with x < 0), whose log is −|x| exactly. Then q^γ = e^{γ log q} and r = σ(x)σ(−x)/q =
// e^{−max(sp(x), sp(−x)) − log w}, finite and bounded for every finite x as in cpuref.
func (f *fn) focal(m mode) outs {
	x, y := f.In(inX), f.In(inY)
	g, alpha, alpha1, useAlpha, gm1 := f.P(0), f.P(1), f.P(2), f.P(3), f.P(4)
	u, sp, sn := f.logistic(x)
	t := f.log1pUnit(u)
	fp := f.Add(f.Max(f.C(0), x), t)         // softplus(x)
	fn_ := f.Add(f.Max(f.C(0), f.Neg(x)), t) // softplus(−x)
	y1 := f.Sub(f.C(1), y)
	ce := f.FMA(y1, fp, f.Mul(y, fn_))
	var dce, s, snsp *node
	if m >= mG {
		dce = f.FMS(y1, sp, f.Mul(y, sn))
	}
	if m == mH {
		s = f.Mul(sp, sn)
		snsp = f.Sub(sn, sp)
	}
	pos := f.Ge(x, f.C(0))
	w := f.Sel(pos, f.FMA(y, u, y1), f.FMA(y1, u, y))
	edge := f.Sel(pos, f.Eq(y, f.C(1)), f.Eq(y, f.C(0)))
	lw := f.Sel(edge, f.Neg(f.Abs(x)), f.logNormal(w)) // w ≥ 2^−24 off the edge; NaN x reaches ce
	logq := f.Sub(lw, f.Min(fp, fn_))
	gz := f.Eq(g, f.C(0))
	qg := f.Sel(gz, f.C(1), f.Exp(f.Mul(g, logq)))
	at := f.Sel(f.Ne(useAlpha, f.C(0)), f.FMA(alpha, y, f.Mul(alpha1, y1)), f.C(1))
	wt := f.Mul(at, qg)
	l := f.Mul(wt, ce)
	if m == mF {
		return outs{L: l}
	}
	k := f.Sub(f.C(1), f.Add(y, y))
	on := f.MAndNot(f.Ne(k, f.C(0)), gz)
	r := f.Exp(f.Neg(f.Add(f.Max(fp, fn_), lw)))
	gkr := f.Zero(on, f.Mul(f.Mul(g, k), r))
	grad := f.Mul(wt, f.FMA(gkr, ce, dce))
	o := outs{L: l, GX: grad}
	if m == mH {
		// (γ−1)/γ·gkr²·ce + gkr·(σ(−x) − σ(x))·ce + 2·gkr·dce, 0 where gkr = 0
		h2 := f.Mul(f.Mul(gm1, f.Mul(gkr, gkr)), ce)
		h2 = f.FMA(f.Mul(gkr, snsp), ce, h2)
		h2 = f.FMA(f.Add(gkr, gkr), dce, h2)
		o.H = f.Mul(wt, f.Add(s, f.Zero(f.Ne(gkr, f.C(0)), h2)))
	}
	return o
}

func hostKernels() []*kernel {
	var ks []*kernel
	for _, l := range losses {
		for m := mF; m <= mH; m++ {
			body := l.body
			mm := m
			ks = append(ks, &kernel{name: l.name + modeSuffix[m], kind: kLoss, body: func(f *fn) outs { return body(f, mm) }})
		}
	}
	return ks
}
