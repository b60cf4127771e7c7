package vmath

import "math"

// Float64 variants for the engine's float64 path. They are portable Go on every machine
// (package math's functions, error below 1 ulp), with the float32 versions' conventions:
// dst may be an input, NaN propagates, and sums use the same 8 lanes in the same order, so
// that they depend only on the length.

// Exp64 sets dst[i] = e^x[i].
func Exp64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Exp(v)
	}
}

// Log64 sets dst[i] = ln x[i].
func Log64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Log(v)
	}
}

// Log1p64 sets dst[i] = ln(1 + x[i]).
func Log1p64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Log1p(v)
	}
}

// Tanh64 sets dst[i] = tanh x[i].
func Tanh64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Tanh(v)
	}
}

// Sigmoid64 sets dst[i] = 1/(1 + e^{−x[i]}) without overflow.
func Sigmoid64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		u := math.Exp(-math.Abs(v))
		r := 1 / (1 + u)
		if v < 0 {
			r = u * r
		}
		if v != v {
			r = v
		}
		dst[i] = r
	}
}

// Softplus64 sets dst[i] = ln(1 + e^{x[i]}) = max(x, 0) + log1p(e^{−|x|}).
func Softplus64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
	}
}

// Max64 returns the largest element of x: the first NaN if any, −Inf for an empty x.
func Max64(x []float64) float64 {
	m := math.Inf(-1)
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

// fold8 adds 8 lanes in the package's order.
func fold8(s *[8]float64) float64 {
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// Sum64 returns Σ x[i] in 8 lanes (element i in lane i mod 8).
func Sum64(x []float64) float64 {
	var s [8]float64
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s[0] += v[0]
		s[1] += v[1]
		s[2] += v[2]
		s[3] += v[3]
		s[4] += v[4]
		s[5] += v[5]
		s[6] += v[6]
		s[7] += v[7]
	}
	for j := 0; i < len(x); i, j = i+1, j+1 {
		s[j] += x[i]
	}
	return fold8(&s)
}

// Dot64 returns Σ x[i]·y[i] in 8 lanes, each product added with one rounding (len(y) ≥ len(x)).
func Dot64(x, y []float64) float64 {
	y = y[:len(x)]
	var s [8]float64
	for i, v := range x {
		s[i&7] = math.FMA(v, y[i], s[i&7])
	}
	return fold8(&s)
}

// SumExp64 returns Σ e^{x[i] − m} in 8 lanes.
func SumExp64(x []float64, m float64) float64 {
	var s [8]float64
	for i, v := range x {
		s[i&7] += math.Exp(v - m)
	}
	return fold8(&s)
}

// ExpShiftScale64 sets dst[i] = s·e^{x[i] − m}.
func ExpShiftScale64(dst, x []float64, m, s float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = s * math.Exp(v-m)
	}
}

// Axpy64 sets y[i] += a·x[i] with one rounding (len(x) ≥ len(y)).
func Axpy64(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = math.FMA(a, v, y[i])
	}
}
