// Package faulttest is the driver-fault suite of the OpenCL and CUDA backends' tests: each
// public call (device.Open, Alloc, Write, Read, Copy, Slice, Free, Close, loss.Compute and
// loss.Run over a set of evaluations that covers every loss family and mode, and over every
// loss of the catalog) is made once per call it makes into the driver binding, with that call
// failing. Every time, the public call
// must return an error that names the driver call and its code and wraps the documented
// sentinel, return no value with it, leave the driver holding nothing the device does not
// account for, and leave the device able to compute the same numbers as before (which were
// checked against the cpuref device first).
//
// A backend's test provides an Injector over its binding's fault layer (internal/cl.Faults,
// internal/cu.Faults). The package is test infrastructure: only tests import it.
package faulttest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
	"github.com/gloss-ml/gloss/losstest"
)

// Injector is a backend's fault layer as the suite drives it.
type Injector interface {
	// Arm makes the nth call into the driver from now (1: the next) fail, with a code the
	// injector chooses (it varies them over n).
	Arm(n int)
	// Disarm cancels Arm and returns the call that failed, "" when none did.
	Disarm() string
	// Calls counts the calls into the driver so far.
	Calls() int
	// Explain returns nil when err carries the binding's error for the failed call, with the
	// code Arm chose, and its text names both; else what is wrong.
	Explain(err error, call string) error
	// Fresh makes the next evaluation on dev start cold: what the device caches per kernel
	// (kernel objects, functions and their attributes) is dropped and made again on use.
	Fresh(dev device.Device) error
	// Leaks lists what the driver holds beyond what dev accounts for (with a nil dev, anything:
	// after a failed Open or a Close nothing may be left), and the misuses the binding saw
	// (releases of what was released already).
	Leaks(dev device.Device) []string
	// Absorbed reports whether a failure of call is one that no public call reports, by
	// contract (a query whose failure reads as "unknown"): the call must then succeed.
	Absorbed(call string) bool
}

// Scenario is one public evaluation: a loss, a batch, options, the element type, and the
// path (loss.Run on device buffers, or loss.Compute on host slices).
type Scenario struct {
	Name     string
	Loss     loss.Loss
	N, C     int
	Weights  bool // sample weights
	Classes  bool // class weights (or pos_weight)
	Ignored  bool // labels with the ignore index
	Options  loss.Options
	F64      bool
	Resident bool
}

// Scenarios are the evaluations the suite fails call by call: one or more per family of the
// catalog (regression, binary, ranking, KL, penalty, cross-entropy, multi-class, embeddings,
// segmentation, metrics) and between them every mode: forward, gradient, Hessian diagonal, in
// place, the None reduction, the Mean's denominator pass (weights, labels, CORN), value checks
// (labels, weights, targets, CheckFinite), metrics with bins, InfoNCE's passes, and the cpu
// fallback of a kernel the device lacks (auc), on both paths and both element types.
func Scenarios() []Scenario {
	grad := loss.Options{Grad: true}
	return []Scenario{
		{Name: "regression/huber/mean", Loss: must("huber"), N: 64, C: 3, Weights: true},
		{Name: "binary/bce_with_logits/mean-grad-hess", Loss: must("bce_with_logits"), N: 40, C: 3, Weights: true, Classes: true,
			Options: loss.Options{Grad: true, Hessian: true}, F64: true, Resident: true},
		{Name: "regression/poisson/none-inplace-hess-finite", Loss: must("poisson"), N: 50, C: 2,
			Options: loss.Options{Reduction: loss.None, Grad: true, InPlace: true, Hessian: true, CheckFinite: true}},
		{Name: "regression/gaussian_nll/sum-grad3-resident-inplace", Loss: must("gaussian_nll"), N: 33, C: 1,
			Options: loss.Options{Reduction: loss.Sum, Grad: true, InPlace: true}, Resident: true},
		{Name: "ranking/bpr/mean-grad2", Loss: must("bpr"), N: 70, C: 1, Weights: true, Options: grad, F64: true},
		{Name: "kldiv/kl_div/batchmean-grad", Loss: must("kl_div"), N: 9, C: 7, Options: loss.Options{Reduction: loss.BatchMean, Grad: true}},
		{Name: "penalty/penalty/sum-grad", Loss: must("penalty", loss.L1(0.1), loss.L2(0.01)), N: 100, C: 1,
			Options: loss.Options{Reduction: loss.Sum, Grad: true}, F64: true, Resident: true},
		{Name: "crossentropy/cross_entropy/mean-grad-weighted", Loss: must("cross_entropy", loss.LabelSmoothing(0.1)), N: 30, C: 11,
			Weights: true, Classes: true, Ignored: true, Options: grad, Resident: true},
		{Name: "crossentropy/cross_entropy_probs/none-grad", Loss: must("cross_entropy_probs"), N: 12, C: 5,
			Options: loss.Options{Reduction: loss.None, Grad: true}, F64: true},
		{Name: "crossentropy/cross_entropy_probs/wide-rows-grad", Loss: must("cross_entropy_probs"), N: 8, C: 1024, Options: grad},
		{Name: "multiclass/corn/mean-grad", Loss: must("corn"), N: 25, C: 4, Weights: true, Ignored: true, Options: grad},
		{Name: "multiclass/multi_margin/mean-inplace-resident", Loss: must("multi_margin"), N: 20, C: 6, Classes: true,
			Options: loss.Options{Grad: true, InPlace: true}, F64: true, Resident: true},
		{Name: "embedding/triplet/sum-grad3", Loss: must("triplet"), N: 17, C: 8, Weights: true,
			Options: loss.Options{Reduction: loss.Sum, Grad: true}, F64: true, Resident: true},
		{Name: "embedding/info_nce/symmetric-grad", Loss: must("info_nce", loss.Symmetric(true)), N: 19, C: 6, Weights: true, Options: grad},
		{Name: "embedding/info_nce/forward-resident", Loss: must("info_nce", loss.Normalize(false)), N: 15, C: 4,
			F64: true, Resident: true},
		{Name: "embedding/contrastive/mean-grad-hess", Loss: must("contrastive"), N: 45, C: 1, Weights: true,
			Options: loss.Options{Grad: true, Hessian: true}},
		{Name: "segmentation/dice/mean-grad", Loss: must("dice"), N: 6, C: 40, Weights: true, Options: grad, Resident: true},
		{Name: "metrics/accuracy", Loss: must("accuracy"), N: 50, C: 4, Weights: true, Ignored: true},
		{Name: "metrics/f1", Loss: must("f1"), N: 20, C: 3, Weights: true, F64: true, Resident: true},
		{Name: "metrics/macro_f1-bins", Loss: must("macro_f1"), N: 60, C: 5, Weights: true, Ignored: true},
		{Name: "metrics/calibration-bins", Loss: must("calibration", loss.Bins(7)), N: 50, C: 3, F64: true, Resident: true},
		{Name: "fallback/auc", Loss: must("auc"), N: 80, C: 1, Weights: true},
		{Name: "fallback/auc-resident", Loss: must("auc"), N: 40, C: 1, F64: true, Resident: true},
	}
}

// CatalogScenarios are one evaluation of every loss and metric of the catalog: the gradient
// (and Hessian diagonal where there is one) of the weighted Mean, or a metric with weights,
// alternating between the element types and between the two paths.
func CatalogScenarios() []Scenario {
	var out []Scenario
	for i, sp := range loss.Catalog() {
		sc := Scenario{Name: "catalog/" + sp.Name, Loss: must(sp.Name), N: 23, C: max(4, sp.MinCols), Weights: true,
			Classes: sp.ClassWeights != "", Ignored: sp.Labels, F64: i%2 == 1, Resident: i%4 >= 2}
		if sp.Family != device.Metric {
			sc.Options = loss.Options{Grad: true, Hessian: sp.Hessian}
		}
		out = append(out, sc)
	}
	return out
}

func must(name string, ps ...loss.Param) loss.Loss {
	l, err := loss.New(name, ps...)
	if err != nil {
		panic(fmt.Sprintf("faulttest: %s: %v", name, err))
	}
	return l
}

// wantSentinel reports whether err wraps a sentinel a driver failure may be reported as.
func wantSentinel(err error, open bool) bool {
	if errors.Is(err, device.ErrDriver) || errors.Is(err, device.ErrOutOfMemory) {
		return true
	}
	return open && errors.Is(err, device.ErrNoDevice)
}

// failed checks the outcome of a public call whose nth driver call failed: an error that
// names the call and wraps a documented sentinel (or, for an absorbed call, no error).
func failed(t *testing.T, inj Injector, where string, n int, call string, err error, open bool) {
	t.Helper()
	switch {
	case call == "":
		t.Errorf("%s: call %d never came: the public call made fewer driver calls than the same call unfaulted (err %v)", where, n, err)
	case inj.Absorbed(call):
		if err != nil {
			t.Errorf("%s: %s (call %d) failed, which the call must absorb, and it returned %v", where, call, n, err)
		}
	case err == nil:
		t.Errorf("%s: %s (call %d) failed and the public call returned no error", where, call, n)
	default:
		if e := inj.Explain(err, call); e != nil {
			t.Errorf("%s: %s (call %d) failed: %v\n\terror: %v", where, call, n, e, err)
		}
		if !wantSentinel(err, open) {
			t.Errorf("%s: %s (call %d) failed: the error wraps none of device.ErrDriver, ErrOutOfMemory%s: %v", where, call, n,
				map[bool]string{true: ", ErrNoDevice", false: ""}[open], err)
		}
	}
}

// leaks reports what the driver holds beyond what dev accounts for.
func leaks(t *testing.T, inj Injector, where string, dev device.Device) {
	t.Helper()
	if l := inj.Leaks(dev); len(l) > 0 {
		t.Errorf("%s: %s", where, strings.Join(l, "; "))
	}
}

// Open makes open (a device.Open of the backend) fail at each of its driver calls in turn;
// each time no device may come back and nothing may be left. Then it opens a device, runs one
// evaluation (so that kernel objects and scratch exist) and makes Close fail at each of its
// calls in turn: Close must report it and still leave nothing.
func Open(t *testing.T, inj Injector, open func() (device.Device, error)) {
	count := func(f func()) int {
		c0 := inj.Calls()
		f()
		return inj.Calls() - c0
	}
	var d device.Device
	var err error
	m := count(func() { d, err = open() })
	if err != nil {
		t.Fatalf("Open, unfaulted: %v", err)
	}
	sc := Scenarios()[0]
	b := testBatch(sc, uint64(time.Now().UnixNano()))
	warm := func(d device.Device) {
		if _, err := evaluate(t, d, sc, b, nil); err != nil {
			t.Fatalf("%s, unfaulted: %v", sc.Name, err)
		}
	}
	warm(d)
	mc := count(func() { err = d.Close() })
	if err != nil {
		t.Fatalf("Close, unfaulted: %v", err)
	}
	leaks(t, inj, "after Close, unfaulted", nil)
	t.Logf("Open makes %d driver calls, Close after one evaluation %d", m, mc)
	for n := 1; n <= m; n++ {
		inj.Arm(n)
		d, err := open()
		call := inj.Disarm()
		where := fmt.Sprintf("Open with call %d (%s) failing", n, call)
		failed(t, inj, where, n, call, err, true)
		if d != nil {
			if call != "" && !inj.Absorbed(call) {
				t.Errorf("%s: a device came back with the error", where)
			}
			if err := d.Close(); err != nil {
				t.Errorf("%s: Close: %v", where, err)
			}
		}
		leaks(t, inj, where, nil)
	}
	for n := 1; n <= mc; n++ {
		d, err := open()
		if err != nil {
			t.Fatalf("Open, unfaulted: %v", err)
		}
		warm(d)
		inj.Arm(n)
		err = d.Close()
		call := inj.Disarm()
		where := fmt.Sprintf("Close with call %d (%s) failing", n, call)
		failed(t, inj, where, n, call, err, false)
		leaks(t, inj, where, nil)
		if err := d.Close(); err != nil {
			t.Errorf("%s: a second Close: %v, want nil", where, err)
		}
	}
}

// Buffers makes each buffer operation (Alloc, Write, Read, Copy, Slice, Free) fail at each of
// its driver calls in turn; each time the operation must report it, nothing may leak, and the
// same operation unfaulted must then do its work (checked by reading back).
func Buffers(t *testing.T, dev device.Device, inj Injector) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	const n = 640
	data := make([]float32, n)
	fresh := func() {
		for i := range data {
			data[i] = float32(r.NormFloat64()) + 2
		}
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s, unfaulted: %v", what, err)
		}
	}
	alloc := func() device.Buffer {
		b, err := dev.Alloc(device.F32, n)
		must("Alloc", err)
		return b
	}
	readBack := func(where string, b device.Buffer, want []float32) {
		got := make([]float32, len(want))
		must("Read", dev.Read(got, b, 0))
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s: then unfaulted, element %d reads %v, want %v", where, i, got[i], want[i])
				return
			}
		}
	}
	type op struct {
		name string
		// setup prepares the buffers (unfaulted); do is the operation; check verifies that the
		// same operation, unfaulted, did its work; free releases what setup and do made.
		setup func() []device.Buffer
		do    func(bs []device.Buffer) ([]device.Buffer, error)
		check func(where string, bs []device.Buffer)
	}
	ops := []op{
		{name: "Alloc", setup: func() []device.Buffer { return nil },
			do: func([]device.Buffer) ([]device.Buffer, error) {
				b, err := dev.Alloc(device.F64, n)
				if b != nil {
					return []device.Buffer{b}, err
				}
				return nil, err
			},
			check: func(where string, bs []device.Buffer) {
				if len(bs) != 1 || bs[0].Len() != n || bs[0].DType() != device.F64 {
					t.Errorf("%s: then unfaulted, Alloc gave %v", where, bs)
				}
			}},
		{name: "Write", setup: func() []device.Buffer { fresh(); return []device.Buffer{alloc()} },
			do: func(bs []device.Buffer) ([]device.Buffer, error) { return nil, dev.Write(bs[0], 0, data) },
			check: func(where string, bs []device.Buffer) {
				readBack(where, bs[0], data)
			}},
		{name: "Read", setup: func() []device.Buffer {
			fresh()
			b := alloc()
			must("Write", dev.Write(b, 0, data))
			return []device.Buffer{b}
		},
			do: func(bs []device.Buffer) ([]device.Buffer, error) {
				got := make([]float32, n-64)
				err := dev.Read(got, bs[0], 64)
				if err == nil {
					for i := range got {
						if got[i] != data[64+i] {
							return nil, fmt.Errorf("element %d reads %v, want %v", 64+i, got[i], data[64+i])
						}
					}
				}
				return nil, err
			},
			check: func(string, []device.Buffer) {}},
		{name: "Copy", setup: func() []device.Buffer {
			fresh()
			a, b := alloc(), alloc()
			must("Write", dev.Write(a, 0, data))
			return []device.Buffer{a, b}
		},
			do: func(bs []device.Buffer) ([]device.Buffer, error) { return nil, dev.Copy(bs[1], bs[0]) },
			check: func(where string, bs []device.Buffer) {
				readBack(where, bs[1], data)
			}},
		{name: "Slice", setup: func() []device.Buffer {
			fresh()
			b := alloc()
			must("Write", dev.Write(b, 0, data))
			return []device.Buffer{b}
		},
			do: func(bs []device.Buffer) ([]device.Buffer, error) {
				v, err := dev.Slice(bs[0], 64, 128)
				if v != nil {
					return []device.Buffer{v}, err
				}
				return nil, err
			},
			check: func(where string, bs []device.Buffer) {
				readBack(where, bs[1], data[64:192])
			}},
		{name: "Free", setup: func() []device.Buffer { return []device.Buffer{alloc()} },
			do: func(bs []device.Buffer) ([]device.Buffer, error) { return nil, dev.Free(bs[0]) },
			check: func(where string, bs []device.Buffer) {
				leaks(t, inj, where+", then unfaulted", dev)
			}},
	}
	for _, o := range ops {
		// The unfaulted operation: how many driver calls it makes.
		bs := o.setup()
		c0 := inj.Calls()
		made, err := o.do(bs)
		m := inj.Calls() - c0
		must(o.name, err)
		o.check(o.name, append(bs, made...))
		freeAll(t, dev, o.name, o.name != "Free", append(bs, made...))
		leaks(t, inj, o.name+", unfaulted", dev)
		for n := 1; n <= m; n++ {
			bs := o.setup()
			inj.Arm(n)
			made, err := o.do(bs)
			call := inj.Disarm()
			where := fmt.Sprintf("%s with call %d (%s) failing", o.name, n, call)
			failed(t, inj, where, n, call, err, false)
			if err != nil && len(made) > 0 {
				t.Errorf("%s: a buffer came back with the error", where)
			}
			freeAll(t, dev, where, o.name != "Free", append(bs, made...))
			leaks(t, inj, where, dev)
			// The same operation, unfaulted.
			bs = o.setup()
			made, err = o.do(bs)
			if err != nil {
				t.Errorf("%s: then unfaulted: %v", where, err)
			} else {
				o.check(where, append(bs, made...))
			}
			freeAll(t, dev, where, o.name != "Free", append(bs, made...))
			leaks(t, inj, where+", then unfaulted", dev)
		}
	}
}

// freeAll frees buffers (views first: they are last in bs); the first unless keepFirst is
// false (Free's operation freed it).
func freeAll(t *testing.T, dev device.Device, where string, keepFirst bool, bs []device.Buffer) {
	t.Helper()
	for i := len(bs) - 1; i >= 0; i-- {
		if i == 0 && !keepFirst {
			continue
		}
		if err := dev.Free(bs[i]); err != nil {
			t.Errorf("%s: freeing a buffer afterwards: %v", where, err)
		}
	}
}

// outcome is what an evaluation returned, in float64, on either path.
type outcome struct {
	Value, Weight float64
	Sums          []float64
	Outs          [5][]float64 // PerSample, Grad, GradTarget, GradAux, Hess
	Device        string
	Fallback      bool
}

// result is the outcome as a loss.Result.
func (o outcome) result() loss.Result[float64] {
	return loss.Result[float64]{Value: o.Value, Weight: o.Weight, Sums: o.Sums, Device: o.Device, Fallback: o.Fallback,
		PerSample: o.Outs[0], Grad: o.Outs[1], GradTarget: o.Outs[2], GradAux: o.Outs[3], Hess: o.Outs[4]}
}

var outNames = [5]string{"PerSample", "Grad", "GradTarget", "GradAux", "Hess"}

// testBatch draws the scenario's batch.
func testBatch(sc Scenario, seed uint64) loss.Batch[float64] {
	return loss.Generate(sc.Loss, rand.New(rand.NewPCG(seed, 11)), sc.N, sc.C, sc.Weights, sc.Classes, sc.Ignored)
}

// evaluate runs a scenario once; arm (when not nil) is called just before the public call and
// returns the failed call just after it.
func evaluate(t *testing.T, dev device.Device, sc Scenario, b loss.Batch[float64], armed *armed) (outcome, error) {
	t.Helper()
	if sc.F64 {
		return eval[float64](t, dev, sc, b, armed)
	}
	return eval[float32](t, dev, sc, b, armed)
}

// armed brackets the public call of an evaluation.
type armed struct {
	arm    func()
	disarm func()
	result any // what the public call returned beside its error
}

func eval[T loss.Float](t *testing.T, dev device.Device, sc Scenario, b64 loss.Batch[float64], a *armed) (outcome, error) {
	t.Helper()
	b := convert[T](b64)
	var o outcome
	if !sc.Resident {
		opts := sc.Options
		opts.Device = dev
		if a != nil {
			a.arm()
		}
		res, err := loss.Compute(sc.Loss, b, opts)
		if a != nil {
			a.disarm()
			a.result = res
		}
		if err != nil {
			return o, err
		}
		o.Value, o.Weight, o.Sums, o.Device, o.Fallback = res.Value, res.Weight, res.Sums, res.Device, res.Fallback
		for k, s := range [][]T{res.PerSample, res.Grad, res.GradTarget, res.GradAux, res.Hess} {
			o.Outs[k] = conv[float64](s)
		}
		return o, nil
	}
	// Device-resident: upload, allocate the outputs (unfaulted), run, read back, free.
	var bufs []device.Buffer
	defer func() {
		for _, x := range bufs {
			if err := dev.Free(x); err != nil {
				t.Errorf("%s: freeing the test's buffers: %v", sc.Name, err)
			}
		}
	}()
	alloc := func(dt device.DType, n int) device.Buffer {
		x, err := dev.Alloc(dt, n)
		if err != nil {
			t.Fatalf("%s: Alloc, unfaulted: %v", sc.Name, err)
		}
		bufs = append(bufs, x)
		return x
	}
	dt := device.F32
	if sc.F64 {
		dt = device.F64
	}
	up := func(v []T) device.Buffer {
		if v == nil {
			return nil
		}
		x := alloc(dt, len(v))
		if err := dev.Write(x, 0, v); err != nil {
			t.Fatalf("%s: Write, unfaulted: %v", sc.Name, err)
		}
		return x
	}
	in := loss.Buffers{Rows: b.Rows, Cols: b.Cols, Pred: up(b.Pred), Target: up(b.Target), Aux: up(b.Aux),
		Weights: up(b.Weights), ClassWeights: up(b.ClassWeights)}
	if b.Labels != nil {
		in.Labels = alloc(device.I32, len(b.Labels))
		if err := dev.Write(in.Labels, 0, b.Labels); err != nil {
			t.Fatalf("%s: Write, unfaulted: %v", sc.Name, err)
		}
	}
	spec, _ := loss.Lookup(sc.Loss.Name())
	per := len(b.Pred)
	if spec.Family != device.Elementwise {
		per = len(b.Pred) / max(b.Cols, 1)
	}
	opts := sc.Options
	var out loss.Outputs
	if opts.Reduction == loss.None && spec.Family != device.Metric {
		out.PerSample = alloc(dt, per)
	}
	if opts.Grad {
		if opts.InPlace {
			out.Grad = in.Pred
		} else {
			out.Grad = alloc(dt, len(b.Pred))
		}
		if spec.Grads[1] {
			out.GradTarget = alloc(dt, len(b.Target))
		}
		if spec.Grads[2] {
			out.GradAux = alloc(dt, len(b.Aux))
		}
	}
	if opts.Hessian {
		out.Hess = alloc(dt, len(b.Pred))
	}
	if a != nil {
		a.arm()
	}
	v, err := loss.Run(dev, sc.Loss, in, out, opts)
	if a != nil {
		a.disarm()
		a.result = v
	}
	if err != nil {
		return o, err
	}
	o.Value, o.Weight, o.Sums, o.Device, o.Fallback = v.Value, v.Weight, v.Sums, v.Device, v.Fallback
	for k, x := range []device.Buffer{out.PerSample, out.Grad, out.GradTarget, out.GradAux, out.Hess} {
		if x == nil {
			continue
		}
		h := make([]T, x.Len())
		if err := dev.Read(h, x, 0); err != nil {
			t.Fatalf("%s: Read of %s, unfaulted: %v", sc.Name, outNames[k], err)
		}
		o.Outs[k] = conv[float64](h)
	}
	return o, nil
}

func convert[T loss.Float](b loss.Batch[float64]) loss.Batch[T] {
	return loss.Batch[T]{Rows: b.Rows, Cols: b.Cols, Pred: conv[T](b.Pred), Target: conv[T](b.Target), Aux: conv[T](b.Aux),
		Labels: b.Labels, Weights: conv[T](b.Weights), ClassWeights: conv[T](b.ClassWeights)}
}

// conv copies v converted to T (nil stays nil).
func conv[T, U loss.Float](v []U) []T {
	if v == nil {
		return nil
	}
	o := make([]T, len(v))
	for i, x := range v {
		o[i] = T(x)
	}
	return o
}

// same reports the first difference between two outcomes, bit for bit ("" when none).
func same(a, b outcome) string {
	eq := func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y)
	}
	if !eq(a.Value, b.Value) {
		return fmt.Sprintf("Value %v, want %v", a.Value, b.Value)
	}
	if !eq(a.Weight, b.Weight) {
		return fmt.Sprintf("Weight %v, want %v", a.Weight, b.Weight)
	}
	if a.Device != b.Device || a.Fallback != b.Fallback {
		return fmt.Sprintf("Device %q (fallback %v), want %q (%v)", a.Device, a.Fallback, b.Device, b.Fallback)
	}
	if len(a.Sums) != len(b.Sums) {
		return fmt.Sprintf("%d sums, want %d", len(a.Sums), len(b.Sums))
	}
	for i := range a.Sums {
		if !eq(a.Sums[i], b.Sums[i]) {
			return fmt.Sprintf("Sums[%d] %v, want %v", i, a.Sums[i], b.Sums[i])
		}
	}
	for k := range a.Outs {
		if len(a.Outs[k]) != len(b.Outs[k]) {
			return fmt.Sprintf("%d %s values, want %d", len(a.Outs[k]), outNames[k], len(b.Outs[k]))
		}
		for i := range a.Outs[k] {
			if !eq(a.Outs[k][i], b.Outs[k][i]) {
				return fmt.Sprintf("%s[%d] %v, want %v", outNames[k], i, a.Outs[k][i], b.Outs[k][i])
			}
		}
	}
	return ""
}

// zero reports whether what a public call returned beside an error is the zero value (no
// value, no outputs).
func zero(v any) bool {
	return v == nil || reflect.ValueOf(v).IsZero()
}

// Evaluations checks each scenario: first unfaulted, on both paths, against the cpuref
// device (losstest.Check), which also gives the scenario's numbers on this device (the device
// is deterministic); then with each of the public call's driver calls failing in turn, each
// time followed by the same call unfaulted, which must give the same numbers bit for bit.
// Before each, the device's per-kernel caches are dropped (Fresh), so that the calls that fill
// them are among those that fail.
func Evaluations(t *testing.T, dev device.Device, inj Injector, scenarios []Scenario) {
	seed := uint64(time.Now().UnixNano())
	total := 0
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			b := testBatch(sc, seed)
			name := fmt.Sprintf("%s (seed %d)", sc.Name, seed)
			c := losstest.Case{Name: sc.Name, Seed: seed, Loss: sc.Loss, Batch: b, Options: sc.Options}
			if sc.F64 {
				losstest.Check[float64](t, dev, c)
			} else {
				losstest.Check[float32](t, dev, c)
			}
			if t.Failed() {
				t.FailNow()
			}
			fresh := func() {
				if err := inj.Fresh(dev); err != nil {
					t.Fatalf("%s: dropping the kernel caches: %v", name, err)
				}
			}
			fresh()
			var m int
			a := &armed{arm: func() { m = inj.Calls() }, disarm: func() { m = inj.Calls() - m }}
			want, err := evaluate(t, dev, sc, b, a)
			if err != nil {
				t.Fatalf("%s, unfaulted: %v", name, err)
			}
			// These numbers, which every later unfaulted call must repeat bit for bit, are right.
			var ref loss.Result[float64]
			if sc.F64 {
				ref, err = losstest.Reference[float64](c)
			} else {
				ref, err = losstest.Reference[float32](c)
			}
			if err != nil {
				t.Fatalf("%s: the reference: %v", name, err)
			}
			losstest.Compare(t, c, "fault suite's path", ref, want.result(), sc.F64)
			leaks(t, inj, name+", unfaulted", dev)
			total += m
			for n := 1; n <= m; n++ {
				fresh()
				var call string
				a := &armed{arm: func() { inj.Arm(n) }, disarm: func() { call = inj.Disarm() }}
				got, err := evaluate(t, dev, sc, b, a)
				where := fmt.Sprintf("%s with call %d of %d (%s) failing", name, n, m, call)
				failed(t, inj, where, n, call, err, false)
				switch {
				case err != nil && !zero(a.result):
					t.Errorf("%s: a result came back with the error: %.200s", where, fmt.Sprintf("%+v", a.result))
				case err == nil && call != "" && inj.Absorbed(call):
					if d := same(got, want); d != "" {
						t.Errorf("%s: absorbed, but the result differs: %s", where, d)
					}
				}
				leaks(t, inj, where, dev)
				// The next call, unfaulted, gives the same numbers.
				got, err = evaluate(t, dev, sc, b, nil)
				if err != nil {
					t.Errorf("%s: then unfaulted: %v", where, err)
				} else if d := same(got, want); d != "" {
					t.Errorf("%s: then unfaulted: %s", where, d)
				}
				leaks(t, inj, where+", then unfaulted", dev)
				if t.Failed() {
					t.FailNow() // one failing call is enough to read; the rest would repeat it
				}
			}
		})
	}
	t.Logf("%d scenarios, %d failing driver calls in all", len(scenarios), total)
}
