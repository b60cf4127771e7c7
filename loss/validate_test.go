package loss_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// TestZeroLoss: every method and entry point takes the zero Loss without a panic.
func TestZeroLoss(t *testing.T) {
	var l loss.Loss
	if l.Name() != "" || l.String() != "loss(invalid)" || l.Family() != 0 || len(l.Params()) != 0 {
		t.Errorf("zero Loss: Name %q, String %q, Family %v, Params %v", l.Name(), l.String(), l.Family(), l.Params())
	}
	if _, err := loss.Compute(l, loss.Batch[float32]{Pred: []float32{1}}, loss.Options{}); !errors.Is(err, loss.ErrParam) {
		t.Errorf("Compute(zero Loss) = %v, want ErrParam", err)
	}
	if _, err := loss.Run(device.CPU0(), l, loss.Buffers{Pred: device.Wrap([]float32{1})}, loss.Outputs{}, loss.Options{}); !errors.Is(err, loss.ErrParam) {
		t.Errorf("Run(zero Loss) = %v, want ErrParam", err)
	}
	mse, _ := loss.MSE()
	x := []float64{1, 2}
	if v, err := loss.Run(nil, mse, loss.Buffers{Pred: device.Wrap(x), Target: device.Wrap([]float64{0, 0})}, loss.Outputs{}, loss.Options{}); err != nil || v.Value != 2.5 {
		t.Errorf("Run on a nil device (the cpu) = %v, %v; want 2.5", v.Value, err)
	}
	if _, err := loss.Run(nil, mse, loss.Buffers{Pred: negLen{}, Target: negLen{}}, loss.Outputs{}, loss.Options{}); !errors.Is(err, loss.ErrShape) {
		t.Errorf("Run on a buffer of length -3: %v, want ErrShape", err)
	}
	if b := loss.Generate(l, rand.New(rand.NewPCG(1, 2)), 4, 3, true, true, true); b.Pred != nil || b.Rows != 0 {
		t.Errorf("Generate(zero Loss) = %+v, want the empty Batch", b)
	}
}

// TestGenerateBounds: sizes Generate cannot draw give the empty Batch, not a panic.
func TestGenerateBounds(t *testing.T) {
	l, _ := loss.MSE()
	r := rand.New(rand.NewPCG(3, 4))
	for _, nc := range [][2]int{{-1, 3}, {3, -1}, {1 << 32, 1 << 32}, {1<<62 + 2, 4}, {loss.MaxGenerate + 1, 1}} {
		if b := loss.Generate(l, r, nc[0], nc[1], false, false, false); b.Pred != nil {
			t.Errorf("Generate(%d, %d) drew %d values", nc[0], nc[1], len(b.Pred))
		}
	}
	if b := loss.Generate(l, nil, 3, 1, false, false, false); b.Pred != nil {
		t.Error("Generate with a nil source drew values")
	}
	if b := loss.Generate(l, r, 3, 2, false, false, false); len(b.Pred) != 6 || len(b.Target) != 6 {
		t.Errorf("Generate(3, 2) = %+v", b)
	}
}

func TestParamTwice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params []loss.Param
	}{
		{"huber", []loss.Param{loss.Delta(1), loss.Delta(2)}},
		{"huber", []loss.Param{loss.Delta(1), loss.Delta(1)}},
		{"cross_entropy", []loss.Param{loss.IgnoreIndex(-1), loss.LabelSmoothing(0.1), loss.IgnoreIndex(3)}},
		{"calibration", []loss.Param{loss.Bins(10), loss.With("bins", 10)}},
	} {
		if _, err := loss.New(tc.name, tc.params...); !errors.Is(err, loss.ErrParam) {
			t.Errorf("%s with a parameter twice: %v, want ErrParam", tc.name, err)
		}
	}
}

// TestShapeOverflow: Rows×Cols that overflows int, and sizes no data bounds, are ErrShape.
func TestShapeOverflow(t *testing.T) {
	mse, _ := loss.MSE()
	ce, _ := loss.CrossEntropy()
	f1, _ := loss.MacroF1()
	eight := make([]float32, 8)
	for _, tc := range []struct {
		what string
		l    loss.Loss
		b    loss.Batch[float32]
	}{
		{"Rows 2^62+2 × Cols 4 over 8 values", mse, loss.Batch[float32]{Rows: 1<<62 + 2, Cols: 4, Pred: eight, Target: eight}},
		{"Rows = Cols = 2^32, empty", mse, loss.Batch[float32]{Rows: 1 << 32, Cols: 1 << 32, Pred: []float32{}, Target: []float32{}}},
		{"cross_entropy Rows = Cols = 2^32, empty", ce, loss.Batch[float32]{Rows: 1 << 32, Cols: 1 << 32, Pred: []float32{}, Labels: []int32{}}},
		{"Rows MaxInt × Cols 2", mse, loss.Batch[float32]{Rows: math.MaxInt, Cols: 2, Pred: eight, Target: eight}},
		{"macro_f1 with 2^40 classes and no rows", f1, loss.Batch[float32]{Cols: 1 << 40, Pred: []float32{}, Labels: []int32{}}},
		{"macro_f1 with MaxBins+1 classes and no rows", f1, loss.Batch[float32]{Cols: device.MaxBins + 1}},
	} {
		if _, err := loss.Compute(tc.l, tc.b, loss.Options{}); !errors.Is(err, loss.ErrShape) {
			t.Errorf("%s: Compute = %v, want ErrShape", tc.what, err)
		}
		in := loss.Buffers{Rows: tc.b.Rows, Cols: tc.b.Cols, Pred: device.Wrap(tc.b.Pred)}
		if tc.b.Target != nil {
			in.Target = device.Wrap(tc.b.Target)
		}
		if tc.b.Labels != nil {
			in.Labels = device.Wrap(tc.b.Labels)
		}
		if _, err := loss.Run(device.CPU0(), tc.l, in, loss.Outputs{}, loss.Options{}); !errors.Is(err, loss.ErrShape) {
			t.Errorf("%s: Run = %v, want ErrShape", tc.what, err)
		}
	}
	// The largest class count without data that is still taken, and many classes with data.
	if r, err := loss.Compute(f1, loss.Batch[float32]{Cols: 1000}, loss.Options{}); err != nil || r.Value != 0 {
		t.Errorf("macro_f1 of no rows and 1000 classes: %v, %v", r.Value, err)
	}
}

// TestMetricReduction: a metric takes only Mean.
func TestMetricReduction(t *testing.T) {
	acc, _ := loss.Accuracy()
	b := loss.Batch[float64]{Cols: 2, Pred: []float64{0.1, 0.9, 0.8, 0.2}, Labels: []int32{1, 1}}
	for _, red := range []loss.Reduction{loss.Sum, loss.None, loss.BatchMean} {
		if _, err := loss.Compute(acc, b, loss.Options{Reduction: red}); !errors.Is(err, loss.ErrOption) {
			t.Errorf("accuracy with %v: %v, want ErrOption", red, err)
		}
	}
	if r, err := loss.Compute(acc, b, loss.Options{}); err != nil || r.Value != 0.5 {
		t.Errorf("accuracy = %v, %v; want 0.5", r.Value, err)
	}
}

// TestRunOverlap: outputs that share memory with an input other than Pred (or with each
// other) are ErrOverlap; the in-place gradient is not.
func TestRunOverlap(t *testing.T) {
	mse, _ := loss.MSE()
	mem := []float32{0.5, 1, -2, 3, 0.25, 1.5, 2, -1, 0, 4, 1, 2, 0, 0, 0, 0}
	pred, target := mem[0:4], mem[4:8]
	in := loss.Buffers{Pred: device.Wrap(pred), Target: device.Wrap(target)}
	for _, tc := range []struct {
		what string
		out  loss.Outputs
	}{
		{"Grad over Target", loss.Outputs{Grad: device.Wrap(target)}},
		{"Grad straddling Pred and Target", loss.Outputs{Grad: device.Wrap(mem[2:6])}},
		{"Grad one off Pred", loss.Outputs{Grad: device.Wrap(mem[1:5])}},
		{"Hess over Pred", loss.Outputs{Hess: device.Wrap(pred)}},
		{"PerSample over Target", loss.Outputs{PerSample: device.Wrap(mem[5:9])}},
		{"Grad and Hess in one place", loss.Outputs{Grad: device.Wrap(mem[8:12]), Hess: device.Wrap(mem[8:12])}},
		{"Grad and PerSample overlapping", loss.Outputs{Grad: device.Wrap(mem[8:12]), PerSample: device.Wrap(mem[11:15])}},
	} {
		if _, err := loss.Run(device.CPU0(), mse, in, tc.out, loss.Options{Reduction: loss.None}); !errors.Is(err, loss.ErrOverlap) {
			t.Errorf("%s: %v, want ErrOverlap", tc.what, err)
		}
	}
	// In place, by the same buffer and by a second Wrap of the same slice.
	want := []float32{2 * (0.5 - 0.25) / 4, 2 * (1 - 1.5) / 4, 2 * (-2 - 2) / 4, 2 * (3 + 1) / 4}
	for _, g := range []device.Buffer{in.Pred, device.Wrap(pred)} {
		copy(pred, []float32{0.5, 1, -2, 3})
		if _, err := loss.Run(device.CPU0(), mse, in, loss.Outputs{Grad: g}, loss.Options{}); err != nil {
			t.Fatalf("in-place gradient: %v", err)
		}
		for i := range want {
			if pred[i] != want[i] {
				t.Errorf("in-place grad[%d] = %v, want %v (by hand)", i, pred[i], want[i])
			}
		}
	}
	// Compute in place over a Pred that is also the Target.
	x := []float64{1, 2, 3}
	if _, err := loss.Compute(mse, loss.Batch[float64]{Pred: x, Target: x}, loss.Options{InPlace: true}); !errors.Is(err, loss.ErrOverlap) {
		t.Errorf("Compute in place with Target = Pred: %v, want ErrOverlap", err)
	}
	if r, err := loss.Compute(mse, loss.Batch[float64]{Pred: x, Target: x}, loss.Options{Grad: true}); err != nil || r.Value != 0 {
		t.Errorf("Compute with Target = Pred (not in place): %v, %v", r.Value, err)
	}
}

// negLen is a Buffer implementation that reports a negative length.
type negLen struct{}

func (negLen) DType() device.DType { return device.F64 }
func (negLen) Len() int            { return -3 }
