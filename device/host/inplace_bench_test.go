package host_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// BenchmarkCrossEntropyInPlace times cross-entropy's forward and gradient written over the
// logits (Options.InPlace) through loss.Run on the cpu device, input checks included, at the
// sizes the engine's in-place target names:
//
//	go test ./device/host -run '^$' -bench CrossEntropyInPlace
func BenchmarkCrossEntropyInPlace(b *testing.B) {
	l, err := loss.CrossEntropy()
	if err != nil {
		b.Fatal(err)
	}
	dev := device.CPU0()
	for _, sz := range [][2]int{{1048, 1000}, {32768, 1024}} {
		n, c := sz[0], sz[1]
		b.Run(fmt.Sprintf("n=%d,c=%d", n, c), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, n*c)
			lab := make([]int32, n)
			for i := range lab {
				lab[i] = int32(r.IntN(c))
			}
			for i := range x {
				x[i] = float32(3 * r.NormFloat64())
			}
			pred := device.Wrap(x)
			in := loss.Buffers{Rows: n, Cols: c, Pred: pred, Labels: device.Wrap(lab)}
			out := loss.Outputs{Grad: pred}
			b.SetBytes(int64(8 * n * c)) // read and write the logits once
			// Each call runs on the gradient the last one left in the logits: finite values,
			// the same work.
			for b.Loop() {
				if _, err := loss.Run(dev, l, in, out, loss.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
