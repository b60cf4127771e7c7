package host

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// TestCeProbsRows checks the fused forward scan of cross_entropy_probs (ceProbsRowsAVX512)
// row by row against what it replaces, rowStats and vmath.SumExp, bit for bit, on rows of
// every length class (shorter than a block, whole blocks, a tail) with NaN, ±Inf, −Inf rows,
// signed zeros and large values; and the loss it gives through crossEntropyProbs against the
// gradient path's (ceScan).
func TestCeProbsRows(t *testing.T) {
	if simdLevel() != 2 {
		t.Skip("ceProbsRows is AVX-512 assembly: this machine or build runs at another level")
	}
	r := rand.New(rand.NewPCG(5, 6))
	inf := float32(math.Inf(1))
	for _, c := range []int{1, 5, 15, 16, 17, 31, 32, 100, 128, 1000, 4096} {
		const n = 23
		x, y := randF32(r, n*c, 3), make([]float32, n*c)
		for i := range y {
			y[i] = r.Float32()
		}
		row := func(i int) []float32 { return x[i*c : (i+1)*c] }
		row(1)[c/2] = float32(math.NaN())
		row(2)[c-1] = inf
		for j := range row(3) {
			row(3)[j] = -inf
		}
		row(4)[0] = -inf
		for j := range row(5) {
			row(5)[j] = float32(math.Copysign(0, float64(j%2*2-1)))
		}
		row(6)[c-1] = 1e30
		row(7)[0] = -1e30
		row(8)[c-1] = float32(math.NaN())
		var rs [n]ceRow
		ceProbsRowsAVX512(&x[0], &y[0], c, n, (*float64)(unsafe.Pointer(&rs[0])))
		for i := range n {
			xr, yr := row(i), y[i*c:(i+1)*c]
			got := rs[i]
			k := c &^ 15
			var m float32
			var nan bool
			var stx, st, sx float64
			if k > 0 {
				m, nan, stx, st, sx = statsAVX512(&xr[0], &yr[0], k)
			} else {
				m = float32(math.Inf(-1))
			}
			for _, v := range xr[k:] {
				nan = nan || v != v
				if v > m {
					m = v
				}
			}
			same := math.Float32bits(got.m) == math.Float32bits(m) && got.nan == nan &&
				bitsEq64([]float64{got.stx, got.st, got.sx}, []float64{stx, st, sx})
			if !same {
				t.Errorf("c=%d row %d: m %v nan %v sums %v %v %v; want %v %v %v %v %v", c, i, got.m, got.nan,
					got.stx, got.st, got.sx, m, nan, stx, st, sx)
			}
			if !nan && !math.IsInf(float64(m), 0) {
				if s := vmath.SumExp(xr, m); math.Float64bits(got.s) != math.Float64bits(s) {
					t.Errorf("c=%d row %d: S = %v, vmath.SumExp %v", c, i, got.s, s)
				}
			}
		}
		// Through the loss: the forward alone (the fused scan) against the gradient's path.
		for _, eps := range []float64{0, 0.1} {
			a := &Args[float32]{N: n, C: c, P: [8]float64{eps}, X: x, Y: y, Scale: 1, PerSample: make([]float32, n)}
			s1 := crossEntropyProbs(a)
			p1 := append([]float32(nil), a.PerSample...)
			a.GX = make([]float32, n*c)
			s2 := crossEntropyProbs(a)
			if !bitsEq64(s1, s2) || sameBits(p1, a.PerSample) != -1 {
				t.Errorf("c=%d ε=%v: sums %v and per-sample %v without the gradient, %v and %v with it", c, eps, s1, p1, s2, a.PerSample)
			}
		}
	}
}

// bitsEq64 reports whether a and b hold the same float64 bits.
func bitsEq64(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
