package host

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// TestFind32 checks the vector checks against the scalar rules on values that fail in every
// way, at every position, on every vmath level.
func TestFind32(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		kind   CheckKind
		lo, hi float64
		good   []float32
		bad    []float32
	}{
		{CheckRange, 0, 1, []float32{0, 0.5, 1}, []float32{-1e-45, 1.0000001, float32(math.NaN()), float32(inf)}},
		{CheckRange, 0, math.MaxFloat64, []float32{0, 3e38}, []float32{-1, float32(inf), float32(math.NaN())}},
		{CheckRange, 0, inf, []float32{0, float32(inf)}, []float32{-1, float32(math.NaN())}},
		{CheckRange, 0.1, 0.3, []float32{0.1000001, 0.2999999}, []float32{0.099999994}},
		{CheckFinite, 0, 0, []float32{0, -3e38, 1e-45}, []float32{float32(inf), float32(-inf), float32(math.NaN())}},
		{CheckSign, 0, 0, []float32{1, -1}, []float32{0, 2, float32(math.NaN())}},
		{CheckBinary, 0, 0, []float32{0, 1, float32(math.Copysign(0, -1))}, []float32{-1, 0.5, float32(math.NaN())}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	prev := vmath.Active()
	defer vmath.Use(prev)
	for _, l := range vmath.Available() {
		vmath.Use(l)
		for _, c := range cases {
			for _, n := range []int{1, 7, 17, 1000, 3*checkChunk + 5} {
				s := make([]float32, n)
				for i := range s {
					s[i] = c.good[r.IntN(len(c.good))]
				}
				if got := Find32(s, c.kind, c.lo, c.hi); got != -1 {
					t.Errorf("%v: kind %d [%g, %g] n=%d all valid: Find32 = %d", l, c.kind, c.lo, c.hi, n, got)
				}
				for _, b := range c.bad {
					for _, at := range []int{0, n / 2, n - 1} {
						s2 := append([]float32(nil), s...)
						s2[at] = b
						if n > 2 && at < n-1 {
							s2[n-1] = b // a later failure must not win
						}
						if got := Find32(s2, c.kind, c.lo, c.hi); got != at {
							t.Errorf("%v: kind %d [%g, %g] n=%d value %v at %d: Find32 = %d", l, c.kind, c.lo, c.hi, n, b, at, got)
						}
					}
				}
			}
		}
	}
}
