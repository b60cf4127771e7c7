// Package vmath is the host engine's vector math: float32 transcendentals and reductions over
// slices, the inner loops of the cpu device. Each function works on whole slices so that an
// implementation can use SIMD.
//
// Implementations: AVX-512F (16 lanes) and AVX2+FMA (8 lanes) assembly on amd64, selected at
// run time (see Level, Available, Active), and portable Go for every other CPU and for builds
// with the purego tag. All three are generated from one description of each kernel (the
// generator in internal/vmath/asm) and compute the same bits: each lane performs the same
// IEEE float32 operations in the same order, the Go version rounds products explicitly and
// emulates the fused multiply-add exactly, and float64 sums use the same 8 lanes in the same
// order at every level. So results do not depend on the machine's vector unit.
//
// Conventions for every function:
//   - dst and the inputs have the same length (dst may be shorter only where said); dst may be
//     the same slice as an input (in place), but must not partially overlap one.
//   - NaN propagates as in IEEE arithmetic; ±Inf inputs give the mathematical limit.
//   - Error bounds are stated per function in ulp of the float32 result (the distance to the
//     exact value, in units of the spacing of float32 numbers at the exact value; 2^−149 for
//     subnormal results), over all float32 inputs, and are checked by the tests against
//     float64 math on every level the machine has.
//   - Sums accumulate in float64 in 8 interleaved lanes (element i in lane i mod 8, each lane
//     in index order) added at the end as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)): a fixed order
//     that depends only on the length, so the same input gives the same bits everywhere.
package vmath

//go:generate sh -c "cd asm && go run . -target vmath -dir .."

import "math"

// Exp sets dst[i] = e^x[i]. Error ≤ 1.1 ulp (1.077 at worst over every float32 input,
// subnormal results included); overflows to +Inf for x > 88.7228 and underflows to 0 below
// −103.98.
func Exp(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	expRun(&a)
}

// Log sets dst[i] = ln x[i] (−Inf at ±0, NaN below 0, +Inf at +Inf). Error ≤ 1 ulp (0.888 at
// worst over every float32 input).
func Log(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	logRun(&a)
}

// Log1p sets dst[i] = ln(1 + x[i]), accurate for small x (log1p(x) = x where 1 + x rounds
// to 1); −Inf at −1, NaN below. Error ≤ 1 ulp (0.996 at worst over every float32 input).
func Log1p(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	log1pRun(&a)
}

// Tanh sets dst[i] = tanh x[i]. Error ≤ 2 ulp (1.50 at worst over every float32 input).
func Tanh(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	tanhRun(&a)
}

// Sigmoid sets dst[i] = 1/(1 + e^{−x[i]}) without overflow (subnormal results for
// x < −87.3 are kept). Error ≤ 3 ulp (2.83 at worst over every float32 input).
func Sigmoid(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	sigmoidRun(&a)
}

// Softplus sets dst[i] = ln(1 + e^{x[i]}) = max(x, 0) + log1p(e^{−|x|}) without overflow.
// Error ≤ 2 ulp (1.75 at worst over every float32 input).
func Softplus(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	softplusRun(&a)
}

// Max returns the largest element of x: the first NaN if any element is NaN, −Inf for an
// empty x. (Of equal zeros, the sign of the one returned is unspecified.)
func Max(x []float32) float32 {
	m := float32(math.Inf(-1))
	if len(x) == 0 {
		return m
	}
	a := kargs{x: x, n: len(x)}
	maxRun(&a)
	// sums[0:4] hold the kernel's NaN lanes as raw bits.
	if math.Float64bits(a.sums[0])|math.Float64bits(a.sums[1])|math.Float64bits(a.sums[2])|math.Float64bits(a.sums[3]) != 0 {
		for _, v := range x {
			if v != v {
				return v
			}
		}
	}
	for _, v := range a.flags {
		if v > m {
			m = v
		}
	}
	return m
}

// lanes adds the 8 float64 lanes in the package's fixed order.
func lanes(s *[24]float64) float64 {
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// SumExp returns Σ e^{x[i] − m} accumulated in float64 (each e^{x−m} computed in float32 as
// Exp does, from x − m rounded to float32): with m = Max(x), the log-sum-exp of x is
// m + ln SumExp(x, m).
func SumExp(x []float32, m float32) float64 {
	if len(x) == 0 {
		return 0
	}
	a := kargs{x: x, n: len(x)}
	a.p[0] = m
	sumExpRun(&a)
	return lanes(&a.sums)
}

// Sum returns Σ x[i] accumulated in float64.
func Sum(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	a := kargs{x: x, n: len(x)}
	sumRun(&a)
	return lanes(&a.sums)
}

// Dot returns Σ x[i]·y[i] accumulated in float64, each product exact (len(y) ≥ len(x)).
func Dot(x, y []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	a := kargs{x: x, y: y[:len(x)], n: len(x)}
	dotRun(&a)
	return lanes(&a.sums)
}

// Axpy sets y[i] += a·x[i] with one rounding (a fused multiply-add) (len(x) ≥ len(y)).
func Axpy(y []float32, a float32, x []float32) {
	if len(y) == 0 {
		return
	}
	k := kargs{x: x[:len(y)], y: y, ps: y, n: len(y)}
	k.p[0] = a
	axpyRun(&k)
}

// ExpShiftScale sets dst[i] = s·e^{x[i] − m}: a softmax row (m its max or log-sum-exp, s the
// gradient scale) in one pass. e^{x−m} is computed as Exp does, then multiplied by s.
func ExpShiftScale(dst, x []float32, m, s float32) {
	if len(dst) == 0 {
		return
	}
	a := kargs{x: x[:len(dst)], ps: dst, n: len(dst)}
	a.p[0], a.p[1] = m, s
	expShiftScaleRun(&a)
}
