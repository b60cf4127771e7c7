// Package losstest is gloss's conformance suite: Run checks every loss and metric of the
// catalog on a device against the cpu reference (package cpuref, through the cpuref device),
// over shapes, dtypes, parameters and options, including every case of SPEC.md §4 and every
// parameter at both ends of its domain (the parameter edges, edges.go).
//
// A backend's test is a few lines:
//
//	func TestConformance(t *testing.T) {
//		dev, err := device.Open("opencl")
//		if err != nil {
//			t.Skip("no OpenCL device:", err)
//		}
//		defer dev.Close()
//		losstest.Run(t, dev)
//	}
//
// Every comparison is |got − ref| ≤ abs + rel·|ref| with the spec's tolerances (abs scaled by
// the gradient's scale for gradients; the parameter edges tighten abs where values are tiny),
// NaN matched exactly; the first mismatches are printed with the maximum error. Outputs are
// views into larger buffers whose guard values must survive the call. Inputs are fresh random
// draws on every run; the seed is logged on failure.
package losstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// guard is the number of guard elements on each side of every output view: 128 elements keep
// views aligned for vector loads and sub-buffer rules.
const guard = 128

// guardValue is written around outputs; a kernel that writes out of bounds changes it.
const guardValue = -7.25e11

// shape is one (rows, columns) case.
type shape struct{ n, c int }

// option is one set of evaluation options.
type option struct {
	name                           string
	opts                           loss.Options
	weights, classWeights, ignored bool
}

// variants gives, per loss, parameter sets to run besides the defaults.
var variants = map[string][][]loss.Param{
	"huber":               {{loss.Delta(0.5)}},
	"smooth_l1":           {{loss.Beta(0)}, {loss.Beta(2)}},
	"pseudo_huber":        {{loss.Delta(3)}},
	"quantile":            {{loss.Tau(0.9)}},
	"poisson":             {{loss.LogInput(false)}, {loss.Full(true)}},
	"tweedie":             {{loss.Rho(1.2)}},
	"gaussian_nll":        {{loss.Full(true), loss.Eps(0.5)}},
	"bce_with_logits":     {{loss.PosWeight(3)}},
	"focal":               {{loss.Gamma(0.5), loss.Alpha(-1)}, {loss.Gamma(0)}},
	"hinge":               {{loss.Margin(0.5)}},
	"squared_hinge":       {{loss.Margin(2)}},
	"cross_entropy":       {{loss.LabelSmoothing(0.1)}, {loss.LabelSmoothing(0.2), loss.ZLoss(1e-3)}, {loss.IgnoreIndex(0)}},
	"cross_entropy_probs": {{loss.LabelSmoothing(0.1)}},
	"kl_div":              {{loss.LogTarget(true)}},
	"multi_margin":        {{loss.Power(2), loss.Margin(0.5)}},
	"pairwise_hinge":      {{loss.Margin(1)}},
	"contrastive":         {{loss.Margin(2)}},
	"triplet":             {{loss.Swap(true)}, {loss.Power(1), loss.Margin(0.3)}},
	"info_nce":            {{loss.Symmetric(true)}, {loss.Normalize(false), loss.Temperature(2)}},
	"dice":                {{loss.FromLogits(false)}},
	"iou":                 {{loss.FromLogits(false)}},
	"tversky":             {{loss.Alpha(0.7), loss.Beta(0.3)}},
	"focal_tversky":       {{loss.Gamma(1.5)}},
	"bce_dice":            {{loss.BCEWeight(0.5), loss.DiceWeight(2)}},
	"penalty":             {{loss.L1(0.1), loss.L2(0.01)}},
	"calibration":         {{loss.Bins(10), loss.FromLogits(false)}},
	"accuracy":            {{loss.Threshold(0)}},
}

// shapesFor lists the shapes a spec runs on: empty, single, odd sizes, one column, and (for
// cross-entropy) the vocabulary sizes of SPEC §4.
func shapesFor(s loss.Spec) []shape {
	var sh []shape
	switch s.Family {
	case device.Elementwise:
		sh = []shape{{0, 1}, {1, 1}, {7, 3}, {1000, 1}, {257, 5}, {4099, 1}}
	default:
		sh = []shape{{0, 3}, {1, 1}, {1, 5}, {7, 3}, {33, 130}, {5, 1000}, {300, 7}}
	}
	switch s.Name {
	case "cross_entropy":
		sh = append(sh, shape{3, 50257}, shape{2, 131072})
	case "info_nce":
		sh = append(sh, shape{300, 16})
	}
	var out []shape
	for _, x := range sh {
		if x.c >= s.MinCols || x.n == 0 {
			out = append(out, shape{x.n, max(x.c, s.MinCols)})
		}
	}
	return out
}

// optionsFor lists the option sets a spec runs with.
func optionsFor(s loss.Spec) []option {
	if s.Family == device.Metric {
		return []option{{name: "plain"}, {name: "weighted", weights: true, ignored: true}}
	}
	grad := loss.Options{Grad: true, Hessian: s.Hessian}
	opts := []option{
		{name: "mean", opts: loss.Options{}},
		{name: "mean-grad-weighted", opts: grad, weights: true, classWeights: true, ignored: true},
		{name: "sum-grad", opts: withRed(grad, loss.Sum), weights: true},
		{name: "none-grad-inplace", opts: loss.Options{Reduction: loss.None, Grad: true, InPlace: true, Hessian: s.Hessian}, ignored: true},
	}
	if s.BatchMean {
		opts = append(opts, option{name: "batchmean-grad", opts: withRed(grad, loss.BatchMean)})
	}
	return opts
}

func withRed(o loss.Options, r loss.Reduction) loss.Options {
	o.Reduction = r
	return o
}

// seedBase makes every run draw fresh inputs; the seed of a failing case is logged.
var seedBase = uint64(time.Now().UnixNano())

// Run checks every loss and metric of the catalog on dev: float32, and float64 when the
// device has fp64, over random inputs in the middle of every parameter's domain and then
// over the parameter edges (edges.go). It reports through t and never skips a loss the device claims to support;
// a loss it does not support is still run (loss falls back to the cpu) and must match.
func Run(t *testing.T, dev device.Device) {
	t.Helper()
	dts := []device.DType{device.F32}
	if dev.Info().FP64 {
		dts = append(dts, device.F64)
	}
	for _, s := range loss.Catalog() {
		t.Run(s.Name, func(t *testing.T) {
			for _, dt := range dts {
				t.Run(dt.String(), func(t *testing.T) {
					runSpec(t, dev, s, dt)
					if len(edges[s.Name]) > 0 {
						t.Run("edges", func(t *testing.T) { runEdges(t, dev, s, dt) })
					}
				})
			}
		})
	}
	t.Run("special", func(t *testing.T) { Special(t, dev) })
}

func runSpec(t *testing.T, dev device.Device, s loss.Spec, dt device.DType) {
	paramSets := append([][]loss.Param{nil}, variants[s.Name]...)
	for pi, ps := range paramSets {
		l, err := loss.New(s.Name, ps...)
		if err != nil {
			t.Fatalf("%s params %v: %v", s.Name, ps, err)
		}
		for _, sh := range shapesFor(s) {
			for oi, op := range optionsFor(s) {
				if pi > 0 && oi > 1 { // variants run the two main option sets
					continue
				}
				seed := seedBase + uint64(pi*1000+oi*100+sh.n*7+sh.c)
				name := fmt.Sprintf("%v/n=%d,c=%d/%s", l, sh.n, sh.c, op.name)
				r := rand.New(rand.NewPCG(seed, 17))
				b := loss.Generate(l, r, sh.n, sh.c, op.weights, op.classWeights, op.ignored)
				c := Case{Name: name, Seed: seed, Loss: l, Batch: b, Options: op.opts}
				if dt == device.F32 {
					Check[float32](t, dev, c)
				} else {
					Check[float64](t, dev, c)
				}
			}
		}
	}
	// Determinism: the same call twice gives the same bits.
	l, _ := loss.New(s.Name)
	sh := shapesFor(s)[len(shapesFor(s))-1]
	op := optionsFor(s)[min(1, len(optionsFor(s))-1)]
	seed := seedBase + 99
	b := loss.Generate(l, rand.New(rand.NewPCG(seed, 5)), sh.n, sh.c, op.weights, op.classWeights, op.ignored)
	c := Case{Name: fmt.Sprintf("%v/twice", l), Seed: seed, Loss: l, Batch: b, Options: op.opts}
	if dt == device.F32 {
		Twice[float32](t, dev, c)
	} else {
		Twice[float64](t, dev, c)
	}
}

// Case is one evaluation to check: a loss, a batch drawn in float64 (converted to the dtype
// under test), and options.
type Case struct {
	Name    string
	Seed    uint64
	Loss    loss.Loss
	Batch   loss.Batch[float64]
	Options loss.Options
	// OutTol32 and OutTol64, when set, replace the spec's tolerances for float32 and float64
	// results, output by output: Value and Weight, PerSample, Grad, GradTarget, GradAux, Hess
	// (the absolute ones of the last four still scaled by 1/Σd for a Mean). The parameter
	// edges tighten them where values are tiny.
	OutTol32, OutTol64 *[6]Tol
	// RowGradShare, when set, lets each gradient entry of a row loss also differ by
	// RowGradShare × the relative tolerance × the largest |entry| of its row: a float32
	// program computes a saturated pixel's σ(x)σ(−x) to float32's precision relative to the
	// row, not to the pixel.
	RowGradShare float64
	// CancelShare, when set, lets each entry i of Grad also differ by CancelShare × the
	// relative tolerance × (|GradTarget_i| + |GradAux_i|): for a loss of differences, whose
	// Grad is −(GradTarget + GradAux) (triplet's anchor), a program knows Grad only as well
	// as the terms it cancels, and they may be far larger (‖·‖_p with p near 0).
	CancelShare float64
}

// convert copies a float64 batch to T (rounding), keeping labels.
func convert[T loss.Float](b loss.Batch[float64]) loss.Batch[T] {
	return loss.Batch[T]{Rows: b.Rows, Cols: b.Cols, Pred: conv[T](b.Pred), Target: conv[T](b.Target), Aux: conv[T](b.Aux),
		Labels: b.Labels, Weights: conv[T](b.Weights), ClassWeights: conv[T](b.ClassWeights)}
}

// widen copies a batch to float64.
func widen[T loss.Float](b loss.Batch[T]) loss.Batch[float64] {
	return loss.Batch[float64]{Rows: b.Rows, Cols: b.Cols, Pred: conv[float64](b.Pred), Target: conv[float64](b.Target),
		Aux: conv[float64](b.Aux), Labels: b.Labels, Weights: conv[float64](b.Weights), ClassWeights: conv[float64](b.ClassWeights)}
}

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

// Reference computes the case on the cpuref device (package cpuref, float64) from the inputs
// as rounded to T, out of place.
func Reference[T loss.Float](c Case) (loss.Result[float64], error) {
	b := widen(convert[T](c.Batch))
	o := c.Options
	o.Device, o.InPlace = device.CPURef(), false
	return loss.Compute(c.Loss, b, o)
}

// outputs names the device buffers of one run, each a view with guards around it.
type outputs struct {
	full, view [5]device.Buffer // PerSample, Grad, GradTarget, GradAux, Hess
}

var outNames = [5]string{"PerSample", "Grad", "GradTarget", "GradAux", "Hess"}

// Check runs one case on dev through loss.Run with data resident on the device (outputs
// guarded) and through loss.Compute (host slices copied in and out), and compares both with
// the reference.
func Check[T loss.Float](t testing.TB, dev device.Device, c Case) {
	t.Helper()
	ref, err := Reference[T](c)
	if err != nil {
		t.Errorf("%s (seed %d): reference: %v", c.Name, c.Seed, err)
		return
	}
	got, err := runResident[T](t, dev, c)
	if err != nil {
		t.Errorf("%s (seed %d): on %s: %v", c.Name, c.Seed, dev.Info().Name, err)
		return
	}
	f64 := isF64[T]()
	compare(t, c, "resident", ref, got, f64)
	hb := convert[T](c.Batch)
	o := c.Options
	o.Device = dev
	hres, err := loss.Compute(c.Loss, hb, o)
	if err != nil {
		t.Errorf("%s (seed %d): Compute on %s: %v", c.Name, c.Seed, dev.Info().Name, err)
		return
	}
	compare(t, c, "host", ref, toF64(hres), f64)
}

// Twice runs a case twice on dev and requires bit-identical results.
func Twice[T loss.Float](t testing.TB, dev device.Device, c Case) {
	t.Helper()
	a, err := runResident[T](t, dev, c)
	if err != nil {
		t.Errorf("%s: %v", c.Name, err)
		return
	}
	b, err := runResident[T](t, dev, c)
	if err != nil {
		t.Errorf("%s: %v", c.Name, err)
		return
	}
	same := func(what string, x, y float64) {
		if math.Float64bits(x) != math.Float64bits(y) && !(math.IsNaN(x) && math.IsNaN(y)) {
			t.Errorf("%s (seed %d): %s differs between two identical calls: %v then %v", c.Name, c.Seed, what, x, y)
		}
	}
	same("Value", a.Value, b.Value)
	same("Weight", a.Weight, b.Weight)
	for k, x := range [][]float64{a.PerSample, a.Grad, a.GradTarget, a.GradAux, a.Hess} {
		y := [][]float64{b.PerSample, b.Grad, b.GradTarget, b.GradAux, b.Hess}[k]
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) && !(math.IsNaN(x[i]) && math.IsNaN(y[i])) {
				t.Errorf("%s (seed %d): %s[%d] differs between two identical calls: %v then %v", c.Name, c.Seed, outNames[k], i, x[i], y[i])
				break
			}
		}
	}
}

// runResident uploads the case to dev, runs loss.Run with guarded output views, checks the
// guards and returns the outputs as float64.
func runResident[T loss.Float](t testing.TB, dev device.Device, c Case) (loss.Result[float64], error) {
	t.Helper()
	var res loss.Result[float64]
	hb := convert[T](c.Batch)
	spec, _ := loss.Lookup(c.Loss.Name())
	var bufs []device.Buffer
	defer func() {
		for _, b := range bufs {
			dev.Free(b)
		}
	}()
	upload := func(v any, n int) device.Buffer {
		if n == 0 && isNil(v) {
			return nil
		}
		var dt device.DType
		switch v.(type) {
		case []float32:
			dt = device.F32
		case []float64:
			dt = device.F64
		case []int32:
			dt = device.I32
		}
		b, err := dev.Alloc(dt, n)
		if err != nil {
			t.Fatalf("%s: alloc %d %v: %v", c.Name, n, dt, err)
		}
		bufs = append(bufs, b)
		if n > 0 {
			if err := dev.Write(b, 0, v); err != nil {
				t.Fatalf("%s: write: %v", c.Name, err)
			}
		}
		return b
	}
	// Pred gets guards too: with InPlace the gradient is written over it.
	predFull, pred := guarded[T](t, dev, c.Name, len(hb.Pred), &bufs)
	if len(hb.Pred) > 0 {
		if err := dev.Write(pred, 0, hb.Pred); err != nil {
			t.Fatalf("%s: write pred: %v", c.Name, err)
		}
	}
	in := loss.Buffers{Rows: hb.Rows, Cols: hb.Cols, Pred: pred}
	if hb.Target != nil {
		in.Target = upload(hb.Target, len(hb.Target))
	}
	if hb.Aux != nil {
		in.Aux = upload(hb.Aux, len(hb.Aux))
	}
	if hb.Labels != nil {
		in.Labels = upload(hb.Labels, len(hb.Labels))
	}
	if hb.Weights != nil {
		in.Weights = upload(hb.Weights, len(hb.Weights))
	}
	if hb.ClassWeights != nil {
		in.ClassWeights = upload(hb.ClassWeights, len(hb.ClassWeights))
	}
	n := len(hb.Pred)
	per := len(hb.Pred)
	if spec.Family != device.Elementwise {
		per = hb.Rows
		if hb.Cols > 0 {
			per = len(hb.Pred) / hb.Cols
		}
	}
	var o outputs
	o.full[1] = predFull
	want := [5]bool{c.Options.Reduction == loss.None && spec.Family != device.Metric,
		c.Options.Grad && !c.Options.InPlace, c.Options.Grad && spec.Grads[1], c.Options.Grad && spec.Grads[2], c.Options.Hessian}
	lens := [5]int{per, n, len(hb.Target), len(hb.Aux), n}
	for k := range want {
		if want[k] {
			o.full[k], o.view[k] = guarded[T](t, dev, c.Name, lens[k], &bufs)
		}
	}
	out := loss.Outputs{PerSample: o.view[0], Grad: o.view[1], GradTarget: o.view[2], GradAux: o.view[3], Hess: o.view[4]}
	if c.Options.Grad && c.Options.InPlace {
		out.Grad = pred
		o.view[1] = pred
	}
	opts := c.Options
	v, err := loss.Run(dev, c.Loss, in, out, opts)
	if err != nil {
		return res, err
	}
	res.Value, res.Weight, res.Sums, res.Device, res.Fallback = v.Value, v.Weight, v.Sums, v.Device, v.Fallback
	dst := [5]*[]float64{&res.PerSample, &res.Grad, &res.GradTarget, &res.GradAux, &res.Hess}
	for k := range o.full {
		if o.full[k] == nil || (k == 1 && !c.Options.Grad) {
			continue
		}
		full := make([]T, o.full[k].Len())
		if err := dev.Read(full, o.full[k], 0); err != nil {
			t.Fatalf("%s: read %s: %v", c.Name, outNames[k], err)
		}
		checkGuards(t, c, outNames[k], full)
		*dst[k] = conv[float64](full[guard : len(full)-guard])
	}
	return res, nil
}

func isNil(v any) bool {
	switch v := v.(type) {
	case []float32:
		return v == nil
	case []float64:
		return v == nil
	case []int32:
		return v == nil
	}
	return true
}

// guarded allocates n+2·guard elements of T, fills them with guardValue, and returns the
// whole buffer and the view of its middle n elements.
func guarded[T loss.Float](t testing.TB, dev device.Device, name string, n int, bufs *[]device.Buffer) (device.Buffer, device.Buffer) {
	t.Helper()
	dt := device.F32
	if isF64[T]() {
		dt = device.F64
	}
	full, err := dev.Alloc(dt, n+2*guard)
	if err != nil {
		t.Fatalf("%s: alloc: %v", name, err)
	}
	*bufs = append(*bufs, full)
	g := make([]T, n+2*guard)
	for i := range g {
		g[i] = T(guardValue)
	}
	if err := dev.Write(full, 0, g); err != nil {
		t.Fatalf("%s: write guards: %v", name, err)
	}
	view, err := dev.Slice(full, guard, n)
	if err != nil {
		t.Fatalf("%s: slice: %v", name, err)
	}
	*bufs = append(*bufs, view) // a view is freed too (an OpenCL sub-buffer is a driver object)
	return full, view
}

func checkGuards[T loss.Float](t testing.TB, c Case, what string, full []T) {
	t.Helper()
	for i := 0; i < guard; i++ {
		for _, j := range []int{i, len(full) - 1 - i} {
			if full[j] != T(guardValue) {
				t.Errorf("%s (seed %d): %s: guard value at offset %d overwritten with %v", c.Name, c.Seed, what, j-guard, full[j])
				return
			}
		}
	}
}

func toF64[T loss.Float](r loss.Result[T]) loss.Result[float64] {
	return loss.Result[float64]{Value: r.Value, Weight: r.Weight, Sums: r.Sums, Device: r.Device, Fallback: r.Fallback,
		PerSample: conv[float64](r.PerSample), Grad: conv[float64](r.Grad), GradTarget: conv[float64](r.GradTarget),
		GradAux: conv[float64](r.GradAux), Hess: conv[float64](r.Hess)}
}

// Compare checks a result of the case (converted to float64; f64 when it was computed in
// float64) against the reference (Reference) within the spec's tolerance, reporting through t
// under the name path.
func Compare(t testing.TB, c Case, path string, ref, got loss.Result[float64], f64 bool) {
	t.Helper()
	compare(t, c, path, ref, got, f64)
}

// compare checks a device result against the reference within the spec's tolerance.
func compare(t testing.TB, c Case, path string, ref, got loss.Result[float64], f64 bool) {
	t.Helper()
	spec, _ := loss.Lookup(c.Loss.Name())
	tol, vtol := tolerances(c, ref, f64)
	where := fmt.Sprintf("%s [%s, seed %d]", c.Name, path, c.Seed)
	scalar(t, where, "Value", got.Value, ref.Value, tol)
	if spec.Family != device.Metric {
		scalar(t, where, "Weight", got.Weight, ref.Weight, tol)
	}
	sl := slacks(c, spec, ref, vtol, f64)
	for k, v := range vectors(got) {
		vector(t, where+" "+outNames[k], v, vectors(ref)[k], vtol[k], sl[k])
	}
}

// slacks returns the extra absolute tolerance of the entries of each vector (in the order
// of vectors) of a case whose reference is ref and tolerances vtol (nil for a vector
// without): with Case.RowGradShare, a share of each row's largest gradient entry for the
// gradients of a row loss; with Case.CancelShare, a share of the terms each entry of Grad
// cancels; for the outputs of a float32 result that jump at a kink (kinks), the jump where a
// float32 view of the case lands on the other side.
func slacks(c Case, spec loss.Spec, ref loss.Result[float64], vtol [5]Tol, f64 bool) [5][]float64 {
	var s [5][]float64
	rv := vectors(ref)
	for k := range s {
		if rowShared(c, spec, k) {
			s[k] = rowSlack(rv[k], c.Batch.Cols, c.RowGradShare*vtol[k].Rel)
		}
	}
	if kn, ok := kinks[spec.Name]; ok && !f64 {
		kinkSlack(c, ref, kn.outs, kn.diff, &s)
	}
	if c.CancelShare != 0 && len(ref.GradTarget) == len(ref.Grad) && len(ref.GradAux) == len(ref.Grad) {
		if s[1] == nil {
			s[1] = make([]float64, len(ref.Grad))
		}
		for i := range s[1] {
			if t := math.Abs(ref.GradTarget[i]) + math.Abs(ref.GradAux[i]); !math.IsNaN(t) && !math.IsInf(t, 0) {
				s[1][i] += c.CancelShare * vtol[1].Rel * t
			}
		}
	}
	return s
}

// kinks lists the losses with a kink at a parameter where an output jumps (the loss itself
// is continuous there): Huber's Hessian [|e| ≤ δ] and SmoothL1's [|e| < β] of e = y − x,
// the gradients of the hinges' [y·x < m] and of pairwise_hinge's [x − y < m], the Hessians
// of squared_hinge and contrastive ([d < m]). A float32 program (PyTorch's too) decides them
// from its own numbers, the parameter rounded to float32 and, for diff, the difference rounded
// to float32; where that moves an input across the kink (it lies within an ulp of it), either
// side is a float32 answer.
var kinks = map[string]struct {
	outs uint8 // bit k: vector k of vectors jumps
	diff bool  // the kink is in y − x
}{
	"huber":          {outs: 1 << 4, diff: true},
	"smooth_l1":      {outs: 1 << 4, diff: true},
	"pairwise_hinge": {outs: 1<<1 | 1<<2, diff: true},
	"hinge":          {outs: 1 << 1},
	"squared_hinge":  {outs: 1 << 4},
	"contrastive":    {outs: 1 << 4},
}

// kinkSlack adds to s[k] (nil: zeros), for each vector k in outs (bit k), the jump
// |ref_i − alt_i| at the entries where the reference differs from alt, the same case
// computed on cpuref from a float32 program's view: parameters rounded to float32 and, with
// diff, x replaced by y − float32(y − x) (exact in float64), so that e = y − x is the float32
// difference.
func kinkSlack(c Case, ref loss.Result[float64], outs uint8, diff bool, s *[5][]float64) {
	b := widen(convert[float32](c.Batch))
	if diff {
		for i, x := range b.Pred {
			b.Pred[i] = b.Target[i] - float64(float32(b.Target[i]-x))
		}
	}
	o := c.Options
	o.Device, o.InPlace = roundedParams{Device: device.CPURef(), all: true}, false
	alt, err := loss.Compute(c.Loss, b, o)
	if err != nil {
		return
	}
	rv, av := vectors(ref), vectors(alt)
	for k, r := range rv {
		if outs&(1<<k) == 0 || len(av[k]) != len(r) {
			continue
		}
		for i, v := range r {
			if d := math.Abs(v - av[k][i]); d > 0 && !math.IsInf(d, 0) {
				if s[k] == nil {
					s[k] = make([]float64, len(r))
				}
				s[k][i] += d
			}
		}
	}
}

// roundedParams is the cpuref device, except that in float32 calls (in every call with all)
// every parameter is first rounded to float32: the numbers of a float32 program that derives
// 1 − ρ, τ − 1 or the sign of α from a float parameter, as exactly as float64 arithmetic can.
type roundedParams struct {
	device.Device
	all bool
}

func (d roundedParams) Run(c *device.Call) (device.Sums, error) {
	if c.DType != device.F32 && !d.all {
		return d.Device.Run(c)
	}
	r := *c
	for i, v := range r.P {
		r.P[i] = float64(float32(v))
	}
	return d.Device.Run(&r)
}

// rowShared reports whether vector k of a case is held to a share of its rows' largest
// entries (Case.RowGradShare).
func rowShared(c Case, spec loss.Spec, k int) bool {
	return c.RowGradShare != 0 && spec.Family == device.Rowwise && k >= 1 && k <= 3
}

// vectors lists a result's PerSample, Grad, GradTarget, GradAux and Hess.
func vectors(r loss.Result[float64]) [5][]float64 {
	return [5][]float64{r.PerSample, r.Grad, r.GradTarget, r.GradAux, r.Hess}
}

// tolerances returns the tolerance of a case's Value and Weight, and those of its vectors
// (in the order of vectors): the case's own, else the spec's for the dtype. The absolute
// tolerance of the gradients and the Hessian is scaled by their natural size, 1/Σd for a
// Mean and 1/N for a BatchMean.
func tolerances(c Case, ref loss.Result[float64], f64 bool) (Tol, [5]Tol) {
	spec, _ := loss.Lookup(c.Loss.Name())
	tol := spec.Tol32
	if f64 {
		tol = spec.Tol64
	}
	all := [6]Tol{tol, tol, tol, tol, tol, tol}
	switch {
	case f64 && c.OutTol64 != nil:
		all = *c.OutTol64
	case !f64 && c.OutTol32 != nil:
		all = *c.OutTol32
	}
	scale := 1.0
	switch c.Options.Reduction {
	case loss.Mean:
		if ref.Weight > 0 {
			scale = 1 / ref.Weight
		}
	case loss.BatchMean:
		scale = 1 / float64(max(c.Batch.Rows, 1))
	}
	v := [5]Tol{all[1]}
	for k := 2; k < 6; k++ {
		v[k-1] = Tol{Abs: all[k].Abs * scale, Rel: all[k].Rel}
	}
	return all[0], v
}

// Tol is an absolute plus relative tolerance.
type Tol = loss.Tol

func isF64[T loss.Float]() bool {
	var z T
	_, ok := any(z).(float64)
	return ok
}

// scalar compares one value.
func scalar(t testing.TB, where, what string, got, ref float64, tol Tol) {
	t.Helper()
	if !close(got, ref, tol) {
		t.Errorf("%s: %s = %v, reference %v (|diff| %.3g > %.3g)", where, what, got, ref, math.Abs(got-ref), tol.Abs+tol.Rel*math.Abs(ref))
	}
}

func close(got, ref float64, tol Tol) bool {
	if math.IsNaN(ref) || math.IsNaN(got) {
		return math.IsNaN(ref) && math.IsNaN(got)
	}
	if math.IsInf(ref, 0) || math.IsInf(got, 0) {
		return got == ref
	}
	return math.Abs(got-ref) <= tol.Abs+tol.Rel*math.Abs(ref)
}

// Vector compares two vectors element by element, printing the first five mismatches and the
// largest error.
func Vector(t testing.TB, what string, got, ref []float64, tol Tol) {
	t.Helper()
	vector(t, what, got, ref, tol, nil)
}

// vector is Vector with an extra absolute tolerance per entry (nil: none).
func vector(t testing.TB, what string, got, ref []float64, tol Tol, slack []float64) {
	t.Helper()
	if len(got) != len(ref) {
		t.Errorf("%s: %d values, reference has %d", what, len(got), len(ref))
		return
	}
	bad := 0
	var worst float64
	worstAt := -1
	var msgs []string
	for i := range ref {
		ti := tol
		if slack != nil {
			ti.Abs += slack[i]
		}
		if close(got[i], ref[i], ti) {
			continue
		}
		bad++
		if d := math.Abs(got[i] - ref[i]); worstAt < 0 || d > worst || math.IsNaN(d) {
			worst, worstAt = d, i
		}
		if len(msgs) < 5 {
			msgs = append(msgs, fmt.Sprintf("[%d] %v vs %v", i, got[i], ref[i]))
		}
	}
	if bad > 0 {
		extra := ""
		if slack != nil {
			extra = " + a share of each row's largest"
		}
		t.Errorf("%s: %d of %d values differ (abs %.3g + rel %.3g%s): %s; largest error %.3g at [%d]",
			what, bad, len(ref), tol.Abs, tol.Rel, extra, strings.Join(msgs, ", "), worst, worstAt)
	}
}

// rowSlack returns, for each entry of a row loss's gradient ref (rows of cols entries), share
// times the largest |entry| of its row; nil when share is 0 or the rows are not known.
func rowSlack(ref []float64, cols int, share float64) []float64 {
	if share == 0 || cols <= 0 || len(ref)%cols != 0 {
		return nil
	}
	s := make([]float64, len(ref))
	for lo := 0; lo < len(ref); lo += cols {
		var m float64
		for _, v := range ref[lo : lo+cols] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m = max(m, math.Abs(v))
			}
		}
		for j := lo; j < lo+cols; j++ {
			s[j] = share * m
		}
	}
	return s
}
