package losstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// Special runs the cases of SPEC §4 that random inputs do not reach: extreme logits, −Inf
// logits, every row ignored, and the in-place gradient against the out-of-place one.
func Special(t *testing.T, dev device.Device) {
	t.Run("extreme-logits", func(t *testing.T) { extremeLogits(t, dev) })
	t.Run("neg-inf-logit", func(t *testing.T) { negInfLogit(t, dev) })
	t.Run("all-ignored", func(t *testing.T) { allIgnored(t, dev) })
	t.Run("in-place", func(t *testing.T) { inPlace(t, dev) })
}

// must returns a function that fails the test on a constructor's error.
func must(t *testing.T) func(loss.Loss, error) loss.Loss {
	return func(l loss.Loss, err error) loss.Loss {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// extremes are the logits of SPEC §4, with ordinary values between them.
var extremes = []float64{1e4, -1e4, 100, -100, 1e4, 3, -1e4, -100, 0.5, 100, 20, -20}

func finite(t *testing.T, where string, r loss.Result[float32]) {
	t.Helper()
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		t.Errorf("%s: value %v is not finite", where, r.Value)
	}
	for i, g := range r.Grad {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Errorf("%s: grad[%d] = %v is not finite", where, i, g)
			return
		}
	}
	for i, h := range r.Hess {
		if math.IsNaN(float64(h)) || math.IsInf(float64(h), 0) {
			t.Errorf("%s: hess[%d] = %v is not finite", where, i, h)
			return
		}
	}
}

func extremeLogits(t *testing.T, dev device.Device) {
	n := len(extremes)
	// Elementwise: BCE with logits and focal (γ = 2 and γ = 0.5) against targets 0, 1 and soft.
	target := make([]float64, n)
	for i := range target {
		target[i] = []float64{0, 1, 0.3}[i%3]
	}
	for _, l := range []loss.Loss{
		must(t)(loss.BCEWithLogits()),
		must(t)(loss.Focal()),
		must(t)(loss.Focal(loss.Gamma(0.5))),
		must(t)(loss.Focal(loss.Gamma(0.5), loss.Alpha(-1))),
	} {
		b := loss.Batch[float64]{Pred: extremes, Target: target}
		c := Case{Name: fmt.Sprintf("%v/extreme", l), Loss: l, Batch: b, Options: loss.Options{Grad: true, Hessian: true}}
		Check[float32](t, dev, c)
		r, err := loss.Compute(l, convert[float32](b), loss.Options{Device: dev, Grad: true, Hessian: true})
		if err != nil {
			t.Errorf("%v: %v", l, err)
			continue
		}
		finite(t, fmt.Sprintf("%v on %s", l, dev.Info().Name), r)
	}
	// Cross-entropy: rows of 4 classes built from the extremes, each label in turn.
	ce := must(t)(loss.CrossEntropy())
	rows := n / 4
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(i % 4)
	}
	b := loss.Batch[float64]{Cols: 4, Pred: extremes[:rows*4], Labels: labels}
	for _, l := range []loss.Loss{ce, must(t)(loss.CrossEntropy(loss.LabelSmoothing(0.1), loss.ZLoss(1e-4)))} {
		c := Case{Name: fmt.Sprintf("%v/extreme", l), Loss: l, Batch: b, Options: loss.Options{Grad: true}}
		Check[float32](t, dev, c)
		r, err := loss.Compute(l, convert[float32](b), loss.Options{Device: dev, Grad: true})
		if err != nil {
			t.Errorf("%v: %v", l, err)
			continue
		}
		finite(t, fmt.Sprintf("%v on %s", l, dev.Info().Name), r)
	}
}

func negInfLogit(t *testing.T, dev device.Device) {
	ce := must(t)(loss.CrossEntropy())
	inf := math.Inf(-1)
	b := loss.Batch[float64]{Cols: 4,
		Pred:   []float64{1, inf, 2, 0.5, inf, inf, 3, -1, 0, 0, 0, inf},
		Labels: []int32{0, 2, 1}}
	Check[float32](t, dev, Case{Name: "cross_entropy/-inf", Loss: ce, Batch: b, Options: loss.Options{Grad: true}})
	r, err := loss.Compute(ce, convert[float32](b), loss.Options{Device: dev, Grad: true})
	if err != nil {
		t.Fatal(err)
	}
	finite(t, "cross_entropy with -Inf logits on "+dev.Info().Name, r)
}

func allIgnored(t *testing.T, dev device.Device) {
	for _, l := range []loss.Loss{must(t)(loss.CrossEntropy()), must(t)(loss.NLL()),
		must(t)(loss.CrossEntropy(loss.LabelSmoothing(0.1)))} {
		b := loss.Batch[float32]{Cols: 3, Pred: []float32{-1, -2, -0.5, -3, -0.1, -1}, Labels: []int32{-100, -100},
			Weights: []float32{1, 2}, ClassWeights: []float32{1, 2, 3}}
		for _, tc := range []struct {
			o    loss.Options
			want float64
		}{
			{loss.Options{Grad: true}, math.NaN()},
			{loss.Options{Grad: true, EmptyMeanZero: true}, 0},
			{loss.Options{Grad: true, Reduction: loss.Sum}, 0},
		} {
			o := tc.o
			o.Device = dev
			pred := append([]float32(nil), b.Pred...)
			bb := b
			bb.Pred = pred
			r, err := loss.Compute(l, bb, o)
			if err != nil {
				t.Errorf("%v all ignored %+v: %v", l, tc.o, err)
				continue
			}
			if math.IsNaN(tc.want) != math.IsNaN(r.Value) || !math.IsNaN(tc.want) && r.Value != tc.want {
				t.Errorf("%v all ignored (reduction %v, EmptyMeanZero %v) on %s: value %v, want %v (SPEC §1)",
					l, tc.o.Reduction, tc.o.EmptyMeanZero, dev.Info().Name, r.Value, tc.want)
			}
			for i, g := range r.Grad {
				if g != 0 {
					t.Errorf("%v all ignored on %s: grad[%d] = %v, want 0", l, dev.Info().Name, i, g)
					break
				}
			}
		}
	}
}

func inPlace(t *testing.T, dev device.Device) {
	r := rand.New(rand.NewPCG(seedBase, 23))
	for _, name := range []string{"cross_entropy", "huber", "bce_with_logits", "dice", "triplet"} {
		l, err := loss.New(name)
		if err != nil {
			t.Fatal(err)
		}
		b := convert[float32](loss.Generate(l, r, 37, 19, true, true, true))
		out, err := loss.Compute(l, b, loss.Options{Device: dev, Grad: true})
		if err != nil {
			t.Errorf("%s out of place: %v", name, err)
			continue
		}
		b.Pred = append([]float32(nil), b.Pred...)
		in, err := loss.Compute(l, b, loss.Options{Device: dev, Grad: true, InPlace: true})
		if err != nil {
			t.Errorf("%s in place: %v", name, err)
			continue
		}
		spec, _ := loss.Lookup(name)
		Vector(t, name+" in-place grad vs out-of-place on "+dev.Info().Name, conv[float64](in.Grad), conv[float64](out.Grad),
			Tol{Abs: spec.Tol32.Abs / max(out.Weight, 1), Rel: spec.Tol32.Rel})
		if &in.Grad[0] != &b.Pred[0] {
			t.Errorf("%s: in-place Result.Grad is not the Pred slice", name)
		}
	}
}

// RunLarge checks a cross-entropy with N·C > 2^31 (SPEC §4: 64-bit indexing) on dev: the value
// against the cpu reference and the gradient of sampled rows. It needs about 2·8.6 GB of device
// memory and 20 GB of host memory, so it runs only when GLOSS_LARGE=1.
func RunLarge(t *testing.T, dev device.Device) {
	if os.Getenv("GLOSS_LARGE") != "1" {
		t.Skip("set GLOSS_LARGE=1 to run the N·C > 2^31 case (needs ~18 GB of device memory)")
	}
	const n, c = 16400, 131072 // N·C = 2,149,580,800 > 2^31
	l := must(t)(loss.CrossEntropy())
	r := rand.New(rand.NewPCG(seedBase, 31))
	pred := make([]float32, n*c)
	for i := range pred {
		pred[i] = float32(2 * r.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(c))
	}
	want, err := loss.Compute(l, loss.Batch[float32]{Cols: c, Pred: pred, Labels: labels}, loss.Options{Reduction: loss.Sum})
	if err != nil {
		t.Fatal(err)
	}
	predB, err := dev.Alloc(device.F32, n*c)
	if err != nil {
		t.Fatalf("alloc %d floats: %v", n*c, err)
	}
	defer dev.Free(predB)
	labB, err := dev.Alloc(device.I32, n)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Free(labB)
	if err := dev.Write(predB, 0, pred); err != nil {
		t.Fatal(err)
	}
	if err := dev.Write(labB, 0, labels); err != nil {
		t.Fatal(err)
	}
	v, err := loss.Run(dev, l, loss.Buffers{Cols: c, Pred: predB, Labels: labB}, loss.Outputs{Grad: predB}, loss.Options{Reduction: loss.Sum})
	if err != nil {
		t.Fatal(err)
	}
	scalar(t, "large cross_entropy", "Value", v.Value, want.Value, Tol{Abs: 1e-3, Rel: 1e-6})
	// Sampled rows, including the last (its offsets exceed 2^31).
	for _, i := range []int{0, 1, n / 2, n - 2, n - 1} {
		row := make([]float32, c)
		if err := dev.Read(row, predB, i*c); err != nil {
			t.Fatal(err)
		}
		ref, err := loss.Compute(l, loss.Batch[float64]{Cols: c, Pred: conv[float64](pred[i*c : (i+1)*c]), Labels: labels[i : i+1]},
			loss.Options{Reduction: loss.Sum, Grad: true})
		if err != nil {
			t.Fatal(err)
		}
		Vector(t, fmt.Sprintf("large cross_entropy grad row %d", i), conv[float64](row), ref.Grad, Tol{Abs: 1e-6, Rel: 1e-4})
	}
}
