package opencl_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
	"github.com/gloss-ml/gloss/losstest"
)

// TestNonFinite plants NaN, +Inf and −Inf in the predictions (and NaN and +Inf in the
// targets, NaN in the third input) of every loss and metric whose inputs may hold them (SPEC §1: they propagate like IEEE arithmetic, as in cpuref) and
// checks the device against the reference, NaN for NaN, in both element types. Each value
// sits in its own row, so a row kernel's other rows stay finite.
func TestNonFinite(t *testing.T) {
	d := openDev(t)
	r := rand.New(rand.NewPCG(11, 13))
	for _, s := range loss.Catalog() {
		t.Run(s.Name, func(t *testing.T) {
			l, err := loss.New(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			n, c := 12, max(5, s.MinCols)
			for k, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.NaN(), math.Inf(1), math.NaN()} {
				b := loss.Generate(l, r, n, c, true, true, true)
				input := [][]float64{b.Pred, b.Pred, b.Pred, b.Target, b.Target, b.Aux}[k]
				if input == nil {
					continue
				}
				for _, at := range []int{1, 2*c + 3, 7*c + c - 1} {
					input[at] = bad
				}
				opts := loss.Options{}
				if s.Family != device.Metric {
					opts = loss.Options{Reduction: loss.None, Grad: true, Hessian: s.Hessian}
				}
				if _, err := loss.Compute(l, b, opts); err != nil {
					if errors.Is(err, loss.ErrTarget) {
						continue // the predictions have a domain that excludes bad
					}
					t.Fatalf("reference with %v: %v", bad, err)
				}
				c := losstest.Case{Name: fmt.Sprintf("%s/input %d holds %v", s.Name, k/3+k/5, bad), Loss: l, Batch: b, Options: opts}
				losstest.Check[float32](t, d, c)
				if d.Info().FP64 {
					losstest.Check[float64](t, d, c)
				}
			}
		})
	}
}

// TestElementWeights checks elementwise losses and metrics with one sample weight per
// element (N·C values; loss.Generate draws one per row), where a weight may also be 0.
func TestElementWeights(t *testing.T) {
	d := openDev(t)
	r := rand.New(rand.NewPCG(17, 19))
	for _, name := range []string{"huber", "bce_with_logits", "gaussian_nll", "bpr", "kl_div", "f1", "binary_iou"} {
		l, err := loss.New(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range [][2]int{{1, 1}, {37, 5}, {1000, 3}} {
			b := loss.Generate(l, r, sh[0], sh[1], false, true, false)
			b.Weights = make([]float64, sh[0]*sh[1])
			for i := range b.Weights {
				b.Weights[i] = float64(r.IntN(4)) * r.Float64()
			}
			spec, _ := loss.Lookup(name)
			opts := []loss.Options{{}}
			if spec.Family != device.Metric {
				opts = []loss.Options{{Grad: true, Hessian: spec.Hessian}, {Reduction: loss.None, Grad: true}}
			}
			for i, o := range opts {
				c := losstest.Case{Name: fmt.Sprintf("%s/%dx%d/element weights/%d", name, sh[0], sh[1], i), Loss: l, Batch: b, Options: o}
				losstest.Check[float32](t, d, c)
				if d.Info().FP64 {
					losstest.Check[float64](t, d, c)
				}
			}
		}
	}
}
