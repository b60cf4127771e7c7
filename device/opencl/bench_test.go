package opencl_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// benchCase is one loss evaluation timed on the cpu device and on the OpenCL device, with the
// data resident on each (loss.Run, the fast path: value checks, the Σd pre-pass and the
// kernel), the Mean reduction, the gradient (when grad) written out of place.
type benchCase struct {
	name string
	n, c int
	grad bool
}

var benchCases = []benchCase{
	{"cross_entropy", 100000, 1000, true},
	{"cross_entropy", 100000, 1000, false},
	{"cross_entropy", 8, 131072, true},
	{"cross_entropy", 1000000, 10, true},
	{"cross_entropy", 1000000, 3, true},
	{"cross_entropy_probs", 10000, 1000, true},
	{"nll", 100000, 1000, true},
	{"multi_margin", 100000, 100, true},
	{"multi_margin", 1000000, 5, true},
	{"corn", 1000000, 4, true},
	{"triplet", 100000, 128, true},
	{"info_nce", 2048, 128, true},
	{"dice", 1000, 16384, true},
	{"huber", 1 << 24, 1, true},
	{"bce_with_logits", 1 << 20, 16, true},
	{"focal", 1 << 20, 16, true},
}

// BenchmarkLoss times each case on "cpu" (device.CPU0: cpuref in parallel on GOMAXPROCS
// goroutines) and "opencl" (the default OpenCL device), float32. Bytes are the inputs read
// and the gradients written. Compare the pairs with benchstat or by eye:
//
//	go test -run '^$' -bench Loss -benchtime 5x ./device/opencl/
func BenchmarkLoss(b *testing.B) {
	for _, bc := range benchCases {
		kind := "fwd"
		if bc.grad {
			kind = "fwd_bwd"
		}
		l, err := loss.New(bc.name)
		if err != nil {
			b.Fatal(err)
		}
		spec, _ := loss.Lookup(bc.name)
		var batch loss.Batch[float32]
		generated := false
		for _, devName := range []string{"cpu", "opencl"} {
			b.Run(fmt.Sprintf("%s/%s/%dx%d/%s", bc.name, kind, bc.n, bc.c, devName), func(b *testing.B) {
				var d device.Device = device.CPU0()
				if devName == "opencl" {
					d = openDev(b)
				}
				if !generated { // only for the cases a -bench pattern selects
					batch = to32(loss.Generate(l, rand.New(rand.NewPCG(uint64(bc.n), uint64(bc.c))), bc.n, bc.c, false, false, false))
					generated = true
				}
				in, out, bytes, free := benchBuffers(b, d, batch, spec, bc.grad)
				defer free()
				if _, err := loss.Run(d, l, in, out, loss.Options{}); err != nil { // warm-up: PoCL compiles here
					b.Fatal(err)
				}
				b.SetBytes(bytes)
				b.ResetTimer()
				for b.Loop() {
					if _, err := loss.Run(d, l, in, out, loss.Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func to32(b loss.Batch[float64]) loss.Batch[float32] {
	c := func(v []float64) []float32 {
		if v == nil {
			return nil
		}
		o := make([]float32, len(v))
		for i, x := range v {
			o[i] = float32(x)
		}
		return o
	}
	return loss.Batch[float32]{Rows: b.Rows, Cols: b.Cols, Pred: c(b.Pred), Target: c(b.Target), Aux: c(b.Aux), Labels: b.Labels}
}

// benchBuffers puts a batch on d (wrapped host slices on the cpu) and makes the gradient
// outputs; it returns the bytes one evaluation reads and writes.
func benchBuffers(b *testing.B, d device.Device, h loss.Batch[float32], spec loss.Spec, grad bool) (loss.Buffers, loss.Outputs, int64, func()) {
	var bufs []device.Buffer
	var bytes int64
	put := func(v any, n int, upload bool) device.Buffer {
		if n == 0 {
			return nil
		}
		bytes += int64(4 * n)
		if d.Info().Kind == device.CPU {
			switch v := v.(type) {
			case []float32:
				return device.Wrap(v)
			case []int32:
				return device.Wrap(v)
			}
			return device.Wrap(make([]float32, n))
		}
		dt := device.F32
		if _, ok := v.([]int32); ok {
			dt = device.I32
		}
		buf, err := d.Alloc(dt, n)
		if err != nil {
			b.Fatal(err)
		}
		bufs = append(bufs, buf)
		if upload {
			if err := d.Write(buf, 0, v); err != nil {
				b.Fatal(err)
			}
		}
		return buf
	}
	in := loss.Buffers{Rows: h.Rows, Cols: h.Cols, Pred: put(h.Pred, len(h.Pred), true), Target: put(h.Target, len(h.Target), true),
		Aux: put(h.Aux, len(h.Aux), true), Labels: put(h.Labels, len(h.Labels), true)}
	var out loss.Outputs
	if grad {
		out.Grad = put(nil, len(h.Pred), false)
		if spec.Grads[1] {
			out.GradTarget = put(nil, len(h.Target), false)
		}
		if spec.Grads[2] {
			out.GradAux = put(nil, len(h.Aux), false)
		}
	}
	return in, out, bytes, func() {
		for _, buf := range bufs {
			d.Free(buf)
		}
	}
}
