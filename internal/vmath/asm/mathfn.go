package main

import "math"

// Transcendental functions on the IR, float32 lanes. Each is a fixed sequence of IEEE
// operations (the same on every level); the error bounds are in package vmath's doc comments
// and are checked by its tests against float64 math.

var (
	// (e^r − 1 − r)/r² on [−ln2/2, ln2/2], degree 4 (fit.go).
	expR = []uint32{0x3f000000, 0x3e2aaa6f, 0x3d2aaa8d, 0x3c0905b1, 0x3ab6887e}
	// (log1p(f) − f + f²/2)/f³ on [√½ − 1, √2 − 1], degree 8.
	logR = []uint32{0x3eaaaaaa, 0xbe7ffffe, 0x3e4ccead, 0xbe2aada5, 0x3e11e90d, 0xbdfe7a63, 0x3def5141, 0xbdeb1ade, 0x3d8ec753}
	// (tanh x − x)/x³ as a polynomial in x² on [0, 0.5493²], degree 4.
	tanhT = []uint32{0xbeaaaaaa, 0x3e0887f7, 0xbd5cd090, 0x3cae964a, 0xbbd8c241}
)

const (
	ln2Hi      = float32(0.693145751953125)     // 11 significant bits: k·ln2Hi is exact for |k| ≤ 2^13
	ln2Lo      = float32(1.4286068203094172e-6) // ln 2 − ln2Hi
	log2e      = float32(math.Log2E)
	sqrtHalf   = 0x3f3504f3 // bits of float32(√½)
	minNormal  = float32(1.1754943508222875e-38)
	posInfBits = 0x7f800000
	negInfBits = 0xff800000
	nanBits    = 0x7fc00000
)

func (f *fn) hornerBits(x *node, c []uint32) *node {
	p := f.CB(c[len(c)-1])
	for i := len(c) - 2; i >= 0; i-- {
		p = f.FMA(p, x, f.CB(c[i]))
	}
	return p
}

// Exp is e^x. x is clamped to [−104, 88.8] (NaN passes the clamp), x = n·ln2 + r with
// |r| ≤ ln2/2 (Cody–Waite in two FMA steps), e^r = 1 + r + r²·R(r), and the result is
// scaled by 2^n as two exact powers of two, so that the one rounding into a subnormal
// result (x < −87.3) is the last multiplication and x > 88.72 overflows to +Inf.
func (f *fn) Exp(x *node) *node {
	t := f.Max(f.C(-104), x)
	t = f.Min(f.C(88.8), t)
	n := f.Round(f.Mul(t, f.C(log2e)))
	r := f.FNMA(n, f.C(0.693359375), t)               // 0.693359375 = 355/512: n·c exact for |n| < 2^15
	r = f.FNMA(n, f.C(-2.12194440e-4), r)             // ln 2 − 355/512
	p := f.FMA(f.Mul(r, r), f.hornerBits(r, expR), r) // e^r − 1
	p = f.Add(p, f.C(1))
	return f.Scale(p, n)
}

// logCore returns log(m·2^k) + corr from f = m − 1 (m ∈ [√½, √2)) and k as a float; corr
// (nil for none) is a small correction added with the low-order terms.
func (f *fn) logCore(fm, k, corr *node) *node {
	f2 := f.Mul(fm, fm)
	q := f.FMA(fm, f.hornerBits(fm, logR), f.C(-0.5)) // −½ + f·R(f)
	lo := f.Mul(f2, q)                                // log1p(f) − f
	if corr != nil {
		lo = f.Add(lo, corr)
	}
	y := f.FMA(k, f.C(ln2Lo), lo)
	y = f.Add(y, fm)
	return f.FMA(k, f.C(ln2Hi), y)
}

// split returns k and f with u = 2^k·(1 + f), 1 + f ∈ [√½, √2), for a positive normal u.
func (f *fn) split(u *node) (k, fm, ki *node) {
	ix := f.ISub(f.AsI(u), f.CI(sqrtHalf))
	ki = f.Sra(ix, 23)
	m := f.AsF(f.IAdd(f.And(ix, f.CI(0x007fffff)), f.CI(sqrtHalf)))
	return f.ToF(ki), f.Sub(m, f.C(1)), ki
}

// Log is ln x: x = 2^k·m, log x = k·ln2 + log1p(m − 1) with a degree-8 remainder
// polynomial; subnormal x is scaled by 2^23 first. log 0 = −Inf, log x<0 = NaN,
// log +Inf = +Inf, NaN → NaN.
func (f *fn) Log(x *node) *node {
	small := f.Lt(x, f.C(minNormal))
	xs := f.Sel(small, f.Mul(x, f.C(8388608)), x)
	k, fm, _ := f.split(xs)
	k = f.Sel(small, f.Sub(k, f.C(23)), k)
	y := f.logCore(fm, k, nil)
	y = f.Sel(f.Eq(x, f.C(0)), f.CB(negInfBits), y)
	y = f.Sel(f.Lt(x, f.C(0)), f.CB(nanBits), y)
	y = f.Sel(f.Eq(x, f.CB(posInfBits)), x, y)
	return f.Sel(f.IsNaN(x), x, y)
}

// Log1p is ln(1 + x): u = 1 + x split as in Log, plus the first-order correction for the
// rounding error of u, c = x − (u − 1): log1p(x) = log u + c/u, with c/u formed as
// c·2^−k·(1 − f + f² − f³) (1/(1+f) to 3%, of a term below 2^−24 of the result).
// log1p(−1) = −Inf, below −1 NaN, +Inf → +Inf.
func (f *fn) Log1p(x *node) *node {
	u := f.Add(x, f.C(1))
	c := f.Sub(x, f.Sub(u, f.C(1)))
	k, fm, ki := f.split(u)
	// 2^−k, with k ≤ 126 (beyond, c is 0 and the clamp keeps the factor finite).
	s := f.AsF(f.Shl(f.ISub(f.CI(127), f.IMin(ki, f.CI(126))), 23))
	inv := f.FNMA(fm, f.FNMA(fm, f.Sub(f.C(1), fm), f.C(1)), f.C(1)) // 1 − f(1 − f(1 − f))
	y := f.logCore(fm, k, f.Mul(f.Mul(c, s), inv))
	y = f.Sel(f.Eq(x, f.C(-1)), f.CB(negInfBits), y)
	y = f.Sel(f.Lt(x, f.C(-1)), f.CB(nanBits), y)
	y = f.Sel(f.Eq(x, f.CB(posInfBits)), x, y)
	return f.Sel(f.IsNaN(x), x, y)
}

// log1pUnit is Log1p for u ∈ [0, 1] or NaN (as e^{−|x|} is): no special cases but NaN.
func (f *fn) log1pUnit(u *node) *node {
	v := f.Add(u, f.C(1))
	c := f.Sub(u, f.Sub(v, f.C(1)))
	k, fm, ki := f.split(v)
	s := f.AsF(f.Shl(f.ISub(f.CI(127), ki), 23)) // k ∈ {0, 1}
	inv := f.FNMA(fm, f.FNMA(fm, f.Sub(f.C(1), fm), f.C(1)), f.C(1))
	y := f.logCore(fm, k, f.Mul(f.Mul(c, s), inv))
	return f.Sel(f.IsNaN(u), u, y)
}

// logNormal is Log for positive normal x (or where a NaN x is propagated by other terms):
// no special cases and no subnormal scaling.
func (f *fn) logNormal(x *node) *node {
	k, fm, _ := f.split(x)
	return f.logCore(fm, k, nil)
}

// Tanh: x + x³·T(x²) for |x| < 0.5493 (where tanh < ½), else ±(1 − 2/(e^{2|x|} + 1)).
func (f *fn) Tanh(x *node) *node {
	a := f.Abs(x)
	x2 := f.Mul(x, x)
	small := f.FMA(f.Mul(x2, x), f.hornerBits(x2, tanhT), x)
	e := f.Exp(f.Add(a, a))
	big := f.Sub(f.C(1), f.Div(f.C(2), f.Add(e, f.C(1))))
	big = f.Or(big, f.SignOf(x))
	return f.Sel(f.Lt(a, f.C(0.5493)), small, big)
}

// logistic returns u = e^{−|x|}, σ(x) and σ(−x) (one exp, one division).
func (f *fn) logistic(x *node) (u, sp, sn *node) {
	u = f.Exp(f.Neg(f.Abs(x)))
	r := f.Div(f.C(1), f.Add(f.C(1), u)) // σ(|x|)
	ur := f.Mul(u, r)                    // σ(−|x|)
	pos := f.Ge(x, f.C(0))
	return u, f.Sel(pos, r, ur), f.Sel(pos, ur, r)
}

// Sigmoid is σ(x) = 1/(1 + e^{−x}) without overflow: with u = e^{−|x|}, σ(|x|) = 1/(1+u) and
// σ(−|x|) = u/(1+u). NaN → NaN.
func (f *fn) Sigmoid(x *node) *node {
	_, sp, _ := f.logistic(x)
	return f.Sel(f.IsNaN(x), x, sp)
}

// Softplus is ln(1 + e^x) = max(x, 0) + log1p(e^{−|x|}).
func (f *fn) Softplus(x *node) *node {
	return f.Add(f.Max(f.C(0), x), f.log1pUnit(f.Exp(f.Neg(f.Abs(x)))))
}
