package host

import (
	"math"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// The row kernels' vector layer: each function works on a whole slice of T and dispatches
// once per call (never per element) to internal/vmath for float32, or to a plain float64
// loop for float64. The test of the dispatch, unsafe.Sizeof of T, is a constant in each
// instantiation.

// isF32 reports whether T is a 4-byte float.
func isF32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// asF32 views a []T whose T is 4 bytes as []float32 (no copy).
func asF32[T Float](x []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// asF64 views a []T whose T is 8 bytes as []float64 (no copy).
func asF64[T Float](x []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// vecMax returns the largest element of x: NaN if any element is NaN, −Inf for an empty x.
func vecMax[T Float](x []T) T {
	if isF32[T]() {
		return T(maxF32(asF32(x)))
	}
	m := math.Inf(-1)
	for _, v := range asF64(x) {
		if v != v {
			return T(v)
		}
		if v > m {
			m = v
		}
	}
	return T(m)
}

// vecSumExp returns Σ e^{x_j − m} accumulated in float64.
func vecSumExp[T Float](x []T, m T) float64 {
	if isF32[T]() {
		return vmath.SumExp(asF32(x), float32(m))
	}
	var s0, s1 float64
	x64, m64 := asF64(x), float64(m)
	j := 0
	for ; j+2 <= len(x64); j += 2 {
		s0 += math.Exp(x64[j] - m64)
		s1 += math.Exp(x64[j+1] - m64)
	}
	if j < len(x64) {
		s0 += math.Exp(x64[j] - m64)
	}
	return s0 + s1
}

// vecExpShiftScale sets dst_j = s·e^{x_j − m}; dst may be x.
func vecExpShiftScale[T Float](dst, x []T, m, s T) {
	if isF32[T]() {
		vmath.ExpShiftScale(asF32(dst), asF32(x), float32(m), float32(s))
		return
	}
	d64, x64 := asF64(dst), asF64(x[:len(dst)])
	m64, s64 := float64(m), float64(s)
	for j, v := range x64 {
		d64[j] = s64 * math.Exp(v-m64)
	}
}

// vecSum returns Σ x_j accumulated in float64.
func vecSum[T Float](x []T) float64 {
	if isF32[T]() {
		return vmath.Sum(asF32(x))
	}
	return sum4(asF64(x))
}

// vecDot returns Σ x_j·y_j accumulated in float64 (len(y) ≥ len(x)).
func vecDot[T Float](x, y []T) float64 {
	if isF32[T]() {
		return vmath.Dot(asF32(x), asF32(y))
	}
	return dot4(asF64(x), asF64(y))
}

// vecAxpy sets y_j += a·x_j (len(x) ≥ len(y)).
func vecAxpy[T Float](y []T, a T, x []T) {
	if isF32[T]() {
		vmath.Axpy(asF32(y), float32(a), asF32(x))
		return
	}
	x = x[:len(y)]
	for j, v := range x {
		y[j] += a * v
	}
}

// vecExp sets dst_j = e^{x_j}.
func vecExp[T Float](dst, x []T) {
	if isF32[T]() {
		vmath.Exp(asF32(dst), asF32(x))
		return
	}
	d64, x64 := asF64(dst), asF64(x[:len(dst)])
	for j, v := range x64 {
		d64[j] = math.Exp(v)
	}
}

// vecSigmoid sets dst_j = σ(x_j).
func vecSigmoid[T Float](dst, x []T) {
	if isF32[T]() {
		vmath.Sigmoid(asF32(dst), asF32(x))
		return
	}
	d64, x64 := asF64(dst), asF64(x[:len(dst)])
	for j, v := range x64 {
		d64[j] = sigmoid64(v)
	}
}

// vecSoftplus sets dst_j = log(1 + e^{x_j}).
func vecSoftplus[T Float](dst, x []T) {
	if isF32[T]() {
		vmath.Softplus(asF32(dst), asF32(x))
		return
	}
	d64, x64 := asF64(dst), asF64(x[:len(dst)])
	for j, v := range x64 {
		d64[j] = max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
	}
}

// vecScale sets x_j *= c.
func vecScale[T Float](x []T, c T) { vecAxpb(x, c, 0) }

// vecAxpb sets x_j = (a·x_j) + b, each operation rounded.
func vecAxpb[T Float](x []T, a, b T) {
	if isF32[T]() {
		axpbF32(asF32(x), float32(a), float32(b))
		return
	}
	for j, v := range x {
		x[j] = T(a*v) + b
	}
}

// vecAxpbyc sets x_j = (a·x_j) + ((b·y_j) + c), each operation rounded.
func vecAxpbyc[T Float](x, y []T, a, b, c T) {
	if isF32[T]() {
		axpbycF32(asF32(x), asF32(y), float32(a), float32(b), float32(c))
		return
	}
	y = y[:len(x)]
	for j, v := range x {
		x[j] = T(a*v) + (T(b*y[j]) + c)
	}
}

// sigmoid64 returns σ(x) = 1/(1+e^{−x}) in float64 without overflow.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// sum4 adds v with four interleaved partial sums, a fixed order.
func sum4(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot4 returns Σ x_j·y_j with four interleaved partial sums, a fixed order.
func dot4(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// rowsPer returns the number of rows of c columns in one chunk of row work: about rowWork
// values, at least one row. It depends only on c, so sums do not depend on the thread count.
func rowsPer(c int) int { return max(1, rowWork/max(c, 1)) }

// rowWork is the number of values in one chunk of row work: small enough that a batch of
// 2^16 values spreads over several threads, large enough that a chunk outweighs its
// scheduling.
const rowWork = 1 << 14

// weightAt returns sample weight i, 1 without weights.
func weightAt[T Float](w []T, i int) float64 {
	if w == nil {
		return 1
	}
	return float64(w[i])
}

// unsafeSlice is the slice of n elements at p.
func unsafeSlice[E any](p *E, n int) []E { return unsafe.Slice(p, n) }
