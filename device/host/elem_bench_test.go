package host

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// BenchmarkElem times the engine's elementwise kernels (value, value and gradient) on
// float32 at each vmath level.
func BenchmarkElem(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, name := range []string{"mse", "huber", "bce_with_logits", "focal"} {
		for _, n := range []int{1 << 16, 1 << 20} {
			x := make([]float32, n)
			y := make([]float32, n)
			g := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
				y[i] = float32(r.IntN(2))
			}
			k, _ := Lookup(name)
			for _, l := range vmath.Available() {
				for _, grad := range []bool{false, true} {
					b.Run(fmt.Sprintf("%s/n=%d/%v/grad=%v", name, n, l, grad), func(b *testing.B) {
						prev := vmath.Active()
						vmath.Use(l)
						defer vmath.Use(prev)
						a := &Args[float32]{N: n, C: 1, X: x, Y: y, Scale: 1.0 / float64(n)}
						a.P[0], a.P[1] = 1, 0.25
						bytes := 8 * n
						if grad {
							a.GX = g
							bytes += 4 * n
						}
						b.SetBytes(int64(bytes))
						for b.Loop() {
							k.Run32(a)
						}
					})
				}
			}
		}
	}
}
