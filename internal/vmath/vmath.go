// Package vmath is the host engine's vector math: float32 transcendentals and reductions over
// slices, the inner loops of the cpu device. Each function works on whole slices so that an
// implementation can use SIMD; the portable versions here are the reference for the SIMD ones
// and the path on CPUs (or builds) without them.
//
// Conventions for every function:
//   - dst and the inputs have the same length (dst may be shorter only where said); dst may be
//     the same slice as an input (in place), but must not partially overlap one.
//   - NaN propagates as in IEEE arithmetic; ±Inf inputs give the mathematical limit.
//   - Error bounds are stated per function in ulp of the float32 result, over all finite
//     float32 inputs, and are checked by the tests.
//   - Sums accumulate in float64 in a fixed order that depends only on the length, so the same
//     input gives the same bits on a given machine.
package vmath

import "math"

// Exp sets dst[i] = e^x[i].
func Exp(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// Log sets dst[i] = ln x[i] (−Inf at 0, NaN below 0).
func Log(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Log(float64(v)))
	}
}

// Log1p sets dst[i] = ln(1 + x[i]), accurate for small x.
func Log1p(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Log1p(float64(v)))
	}
}

// Tanh sets dst[i] = tanh x[i].
func Tanh(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// Sigmoid sets dst[i] = 1/(1 + e^{−x[i]}) without overflow.
func Sigmoid(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		f := float64(v)
		if f >= 0 {
			dst[i] = float32(1 / (1 + math.Exp(-f)))
		} else {
			e := math.Exp(f)
			dst[i] = float32(e / (1 + e))
		}
	}
}

// Softplus sets dst[i] = ln(1 + e^{x[i]}) without overflow.
func Softplus(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		f := float64(v)
		dst[i] = float32(max(f, 0) + math.Log1p(math.Exp(-math.Abs(f))))
	}
}

// Max returns the largest element of x: NaN if any element is NaN, −Inf for an empty x.
func Max(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// SumExp returns Σ e^{x[i] − m} accumulated in float64: with m = Max(x), the log-sum-exp of x
// is m + ln SumExp(x, m).
func SumExp(x []float32, m float32) float64 {
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	return s
}

// Sum returns Σ x[i] accumulated in float64.
func Sum(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// Dot returns Σ x[i]·y[i] accumulated in float64 (len(y) ≥ len(x)).
func Dot(x, y []float32) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return s
}

// Axpy sets y[i] += a·x[i] (len(x) ≥ len(y)).
func Axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

// ExpShiftScale sets dst[i] = s·e^{x[i] − m}: a softmax row (m its max or log-sum-exp, s the
// gradient scale) in one pass.
func ExpShiftScale(dst, x []float32, m, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = s * float32(math.Exp(float64(v-m)))
	}
}
