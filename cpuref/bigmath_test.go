package cpuref

import (
	"math"
	"math/big"
	"testing"
)

// High-precision arithmetic for the edge tests: losses written the textbook way and evaluated
// with 320-bit math/big floats, where no cancellation or overflow of float64 matters, and
// their derivatives by central differences at that precision. They share nothing with the
// float64 formulas they check.

const bigPrec = 320

// bf returns x as a big float of bigPrec bits.
func bf(x float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(x) }

func bnew() *big.Float { return new(big.Float).SetPrec(bigPrec) }

func badd(a, b *big.Float) *big.Float { return bnew().Add(a, b) }
func bsub(a, b *big.Float) *big.Float { return bnew().Sub(a, b) }
func bmul(a, b *big.Float) *big.Float { return bnew().Mul(a, b) }
func bquo(a, b *big.Float) *big.Float { return bnew().Quo(a, b) }
func bneg(a *big.Float) *big.Float    { return bnew().Neg(a) }
func babs(a *big.Float) *big.Float    { return bnew().Abs(a) }
func bsqrt(a *big.Float) *big.Float   { return bnew().Sqrt(a) }

func bmax(a, b *big.Float) *big.Float {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// bexp returns e^x: x is halved m times to below 2^−20, the Taylor series summed until its
// terms vanish at bigPrec bits, and the result squared m times.
func bexp(x *big.Float) *big.Float {
	r := bnew().Set(x)
	m := 0
	for r.MantExp(nil) > -20 && r.Sign() != 0 {
		r.SetMantExp(r, -1)
		m++
	}
	sum, term := bf(1), bf(1)
	for k := 1; k < 200; k++ {
		term = bquo(bmul(term, r), bf(float64(k)))
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -bigPrec-8 {
			break
		}
		sum = badd(sum, term)
	}
	for range m {
		sum = bmul(sum, sum)
	}
	return sum
}

// blog returns log x for x > 0 by Newton's iteration y ← y + 2(x − e^y)/(x + e^y) from the
// float64 logarithm of x's mantissa plus its exponent·log 2.
func blog(x *big.Float) *big.Float {
	if x.Sign() <= 0 {
		panic("blog of a non-positive number")
	}
	mant := bnew()
	e := x.MantExp(mant)
	f, _ := mant.Float64()
	y := bf(math.Log(f) + float64(e)*math.Ln2)
	for range 8 {
		ey := bexp(y)
		y = badd(y, bquo(bmul(bf(2), bsub(x, ey)), badd(x, ey)))
	}
	return y
}

// bpow returns a^g for a > 0 (and 0^g = 0 for g > 0).
func bpow(a *big.Float, g float64) *big.Float {
	if a.Sign() == 0 {
		return bf(0)
	}
	return bexp(bmul(bf(g), blog(a)))
}

// bsigmoid returns σ(x) = 1/(1 + e^{−x}).
func bsigmoid(x *big.Float) *big.Float { return bquo(bf(1), badd(bf(1), bexp(bneg(x)))) }

func f64(x *big.Float) float64 {
	v, _ := x.Float64()
	return v
}

// bigDeriv returns the first and second derivatives of f at x by central differences with
// steps of 2^−90 and 2^−70 relative to max(|x|, 1): truncation errors of order 2^−180 and
// 2^−140, rounding errors of order 2^−230 and 2^−180 of f's size.
func bigDeriv(f func(*big.Float) *big.Float, x float64) (d1, d2 float64) {
	s := math.Max(math.Abs(x), 1)
	h1, h2 := bf(math.Ldexp(s, -90)), bf(math.Ldexp(s, -70))
	bx := bf(x)
	d1 = f64(bquo(bsub(f(badd(bx, h1)), f(bsub(bx, h1))), bmul(bf(2), h1)))
	num := badd(bsub(f(badd(bx, h2)), bmul(bf(2), f(bx))), f(bsub(bx, h2)))
	d2 = f64(bquo(num, bmul(h2, h2)))
	return d1, d2
}

// bigGrad returns the gradient of f at x (a vector) by central differences.
func bigGrad(f func([]*big.Float) *big.Float, x []float64) []float64 {
	g := make([]float64, len(x))
	for j := range x {
		g[j], _ = bigDeriv(func(v *big.Float) *big.Float {
			bx := make([]*big.Float, len(x))
			for i, xi := range x {
				bx[i] = bf(xi)
			}
			bx[j] = v
			return f(bx)
		}, x[j])
	}
	return g
}

// TestBigMath checks the high-precision functions against constants known to more digits
// than float64 holds, and against each other.
func TestBigMath(t *testing.T) {
	const e50 = "2.71828182845904523536028747135266249775724709369995"
	const ln2 = "0.69314718055994530941723212145817656807550013436025"
	want := func(s string) *big.Float { v, _, _ := big.ParseFloat(s, 10, bigPrec, big.ToNearestEven); return v }
	close := func(what string, got, w *big.Float, digits int) {
		t.Helper()
		d := babs(bsub(got, w))
		if d.Sign() != 0 && d.MantExp(nil)-w.MantExp(nil) > -int(float64(digits)*3.32) {
			t.Errorf("%s = %s, want %s (to %d digits)", what, got.Text('g', 60), w.Text('g', 60), digits)
		}
	}
	close("e", bexp(bf(1)), want(e50), 49)
	close("log 2", blog(bf(2)), want(ln2), 49)
	close("exp(log 1e-30)", bexp(blog(bf(1e-30))), bf(1e-30), 80)
	close("exp(−30)·exp(30)", bmul(bexp(bf(-30)), bexp(bf(30))), bf(1), 80)
	close("σ(30) + σ(−30)", badd(bsigmoid(bf(30)), bsigmoid(bf(-30))), bf(1), 80)
	close("0.5^0.5", bpow(bf(0.5), 0.5), bsqrt(bf(0.5)), 80)
	// d/dx x³ at 2 is 12, d²/dx² is 12.
	d1, d2 := bigDeriv(func(x *big.Float) *big.Float { return bmul(x, bmul(x, x)) }, 2)
	if math.Abs(d1-12) > 1e-15 || math.Abs(d2-12) > 1e-15 {
		t.Errorf("derivatives of x³ at 2: %v, %v, want 12, 12", d1, d2)
	}
}
