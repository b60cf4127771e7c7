package loss_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// Fuzz targets for the segmentation and embedding row losses: arbitrary bytes decode into a
// loss of the family, its parameters, a shape, finite inputs in the loss's domain, optional
// sample weights and a reduction. The cpu device runs it on float32 through loss.Compute;
// cpuref.Run with Serial on the same values in float64 is the reference, and every output
// must agree within the loss's Tol32. Inputs decode to float32-representable values (k/16,
// k/128), so the two runs see the same numbers.

// pick returns one of vs.
func (r *rowsBytes) pick(vs []float64) float64 { return vs[int(r.next())%len(vs)] }

// logit decodes a value in [−8, 8) in steps of 1/16.
func (r *rowsBytes) logit() float64 { return float64(int8(r.next())) / 16 }

// unit decodes a value in [0, 1] in steps of 1/128.
func (r *rowsBytes) unit() float64 { return float64(r.next()%129) / 128 }

// rowsParamValues are the values each parameter of the fuzzed losses is drawn from: their
// defaults, the edges of their domains and a few values between.
var rowsParamValues = map[string][]float64{
	"eps":         {0, 1e-7, 1e-6, 1e-3, 0.5},
	"from_logits": {0, 1},
	"alpha":       {0, 0.3, 0.5, 0.7, 1, 2},
	"beta":        {0, 0.3, 0.5, 0.7, 1, 2},
	"gamma":       {0.5, 0.75, 1, 2},
	"bce_weight":  {0, 0.5, 1, 2},
	"dice_weight": {0, 0.5, 1, 2},
	"margin":      {-1, 0, 0.5, 1, 2},
	"p":           {0.5, 1, 1.5, 2, 3},
	"swap":        {0, 1},
	"temperature": {0.05, 0.07, 0.5, 1, 2},
	"normalize":   {0, 1},
	"symmetric":   {0, 1},
}

// fuzzRows decodes data into one evaluation of a loss among names and compares the cpu
// device on float32 with the float64 reference.
func fuzzRows(t *testing.T, names []string, data []byte) {
	r := &rowsBytes{fuzzBytes{b: data}}
	name := names[int(r.next())%len(names)]
	sp, ok := loss.Lookup(name)
	if !ok {
		t.Fatalf("no loss %q", name)
	}
	var params []loss.Param
	pv := make([]float64, len(sp.Params))
	for i, p := range sp.Params {
		vs, ok := rowsParamValues[p]
		if !ok {
			t.Fatalf("%s: parameter %q has no fuzz values", name, p)
		}
		pv[i] = r.pick(vs)
		params = append(params, loss.With(p, pv[i]))
	}
	l, err := loss.New(name, params...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n := int(r.next()) % 5
	c := 1 + int(r.next())%7
	logits := true
	for i, p := range sp.Params {
		if p == "from_logits" {
			logits = pv[i] != 0
		}
	}
	red := []loss.Reduction{loss.Mean, loss.Sum, loss.None}[int(r.next())%3]
	weighted := r.next()%2 == 1

	// Inputs: embeddings and logits in [−8, 8), probabilities and masks in [0, 1].
	var in [3][]float64
	for k, iname := range sp.Inputs {
		if iname == "" {
			continue
		}
		v := make([]float64, n*c)
		for j := range v {
			switch {
			case sp.Family == device.Rowwise && k == 1 && !sp.Grads[1]: // a segmentation mask
				v[j] = r.unit()
			case k == 0 && !logits:
				v[j] = r.unit()
			default:
				v[j] = r.logit()
			}
		}
		in[k] = v
	}
	var w []float64
	if weighted {
		w = make([]float64, n)
		for j := range w {
			w[j] = float64(r.next()%33) / 16 // [0, 2], zeros included
		}
	}

	b32 := loss.Batch[float32]{Rows: n, Cols: c, Pred: rowsF32(in[0]), Target: rowsF32(in[1]), Aux: rowsF32(in[2]), Weights: rowsF32(w)}
	res, err := loss.Compute(l, b32, loss.Options{Reduction: red, Grad: true})
	if err != nil {
		t.Fatalf("%v on %d×%d: %v", l, n, c, err)
	}

	// The reference: cpuref in float64 with the Call's semantics (Scale = 1/Σd for a Mean).
	a := &cpuref.Args[float64]{N: n, C: c, X: in[0], Y: in[1], Z: in[2], Weight: w, Scale: 1}
	copy(a.P[:], pv)
	if red == loss.Mean {
		a.Scale = cpuref.MeanScale(1, cpuref.DenomSum(a, cpuref.DenomWeight, cpuref.Rowwise, cpuref.Serial))
	}
	a.PerSample = make([]float64, n)
	outs := [3][]float64{}
	for k := range in {
		if in[k] != nil && sp.Grads[k] {
			outs[k] = make([]float64, n*c)
		}
	}
	a.GX, a.GY, a.GZ = outs[0], outs[1], outs[2]
	sums, err := cpuref.Run(name, a, cpuref.Serial)
	if err != nil {
		t.Fatal(err)
	}
	want := sums[0]
	if red == loss.Mean {
		want = sums[0] / sums[1]
	}
	tol := sp.Tol32
	if name == "info_nce" && pv[1] != 0 {
		nceZeroRows(t, l, c, in[0], res.Grad, outs[0], a.Scale, w, tol, "Grad")
		nceZeroRows(t, l, c, in[1], res.GradTarget, outs[1], a.Scale, w, tol, "GradTarget")
	}
	rowsClose(t, l, "Value", []float64{res.Value}, []float64{want}, tol)
	rowsClose(t, l, "Weight", []float64{res.Weight}, []float64{sums[1]}, tol)
	if red == loss.None {
		rowsClose(t, l, "PerSample", widen32(res.PerSample), a.PerSample, tol)
	}
	for k, got := range [3][]float32{res.Grad, res.GradTarget, res.GradAux} {
		if (got == nil) != (outs[k] == nil) {
			t.Fatalf("%v: gradient %d present = %v, reference %v", l, k, got != nil, outs[k] != nil)
		}
		rowsClose(t, l, []string{"Grad", "GradTarget", "GradAux"}[k], widen32(got), outs[k], tol)
	}
}

// nceZeroRows handles info_nce's rows of zeros under normalize. Below F.normalize's floor
// (‖x‖ < 1e-12) the gradient of a row is g/1e-12, g = ∂F/∂x̂: g is a sum of terms of size up
// to Σw whose exact value may be 0, so the rounding in g of any arithmetic (2^−24 relative in
// float32, 2^−53 in cpuref's float64) is amplified 10^12, and float32 cannot meet Tol32's
// absolute part there: where g is 0, a float32 run gives about 10^4 and cpuref's float64
// noise 10^−5. Such rows are compared with the absolute tolerance that amplification implies,
// |Scale|·10^12·2^−16·max(1, Σw), and Tol32's relative one, then cleared in both results so
// that the comparison that follows skips them.
func nceZeroRows(t *testing.T, l loss.Loss, d int, x []float64, got []float32, want []float64, scale float64, w []float64, tol loss.Tol, what string) {
	t.Helper()
	if got == nil || want == nil || d == 0 {
		return
	}
	sw := float64(len(x) / d)
	if w != nil {
		sw = 0
		for _, v := range w {
			sw += v
		}
	}
	abs := math.Abs(scale) * 1e12 * math.Ldexp(1, -16) * max(1, sw)
	for i := 0; i+d <= len(x); i += d {
		zero := true
		for _, v := range x[i : i+d] {
			zero = zero && v == 0
		}
		if !zero {
			continue
		}
		for j := i; j < i+d; j++ {
			g := float64(got[j])
			if !(math.Abs(g-want[j]) <= abs+tol.Rel*math.Abs(want[j])) {
				t.Errorf("%v: %s[%d] = %v (cpu device), want %v (cpuref) within %v + %v relative on a row of zeros", l, what, j, g, want[j], abs, tol.Rel)
			}
			got[j], want[j] = 0, 0
		}
	}
}

// rowsClose fails unless |got − want| ≤ Abs + Rel·|want| elementwise; NaN matches NaN and
// an infinity matches the same infinity.
func rowsClose(t *testing.T, l loss.Loss, what string, got, want []float64, tol loss.Tol) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%v: %s has %d values, want %d", l, what, len(got), len(want))
	}
	for i, g := range got {
		v := want[i]
		switch {
		case math.IsNaN(v) || math.IsNaN(g):
			if math.IsNaN(v) != math.IsNaN(g) {
				t.Errorf("%v: %s[%d] = %v (float32 on the cpu device), want %v (cpuref float64)", l, what, i, g, v)
			}
		case math.IsInf(v, 0) || math.IsInf(g, 0):
			if g != v {
				t.Errorf("%v: %s[%d] = %v (float32 on the cpu device), want %v (cpuref float64)", l, what, i, g, v)
			}
		case math.Abs(g-v) > tol.Abs+tol.Rel*math.Abs(v):
			t.Errorf("%v: %s[%d] = %v (float32 on the cpu device), want %v (cpuref float64) within %+v", l, what, i, g, v, tol)
		}
	}
}

func rowsF32(v []float64) []float32 {
	if v == nil {
		return nil
	}
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

var (
	rowsSegmentation = []string{"dice", "iou", "tversky", "focal_tversky", "bce_dice"}
	rowsEmbedding    = []string{"triplet", "info_nce"}
)

// rowsSeeds adds, for each loss, a few seeds: its selector byte followed by varied bytes.
func rowsSeeds(f *testing.F, names []string) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := range names {
		for range 3 {
			b := make([]byte, 48)
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
			b[0] = byte(i)
			f.Add(b)
		}
	}
	f.Add([]byte{})                    // everything decodes from the empty pattern
	f.Add([]byte{0, 0, 0, 0, 0, 0, 4}) // zero rows
}

func FuzzSegmentation(f *testing.F) {
	rowsSeeds(f, rowsSegmentation)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRows(t, rowsSegmentation, data) })
}

func FuzzEmbedding(f *testing.F) {
	rowsSeeds(f, rowsEmbedding)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRows(t, rowsEmbedding, data) })
}

// TestInfoNCEDeviceDeterministic checks that the cpu device (the host engine) gives the same
// bits for info_nce whatever GOMAXPROCS (1, 2, 3, 8): its rows are computed the same way in any
// chunk, and its sums are added over fixed chunks. Its float64 results must also agree with
// cpuref.Serial within the loss's Tol64.
func TestInfoNCEDeviceDeterministic(t *testing.T) {
	const n, d = 201, 9 // about 360k multiply-adds per pass: several chunks of rows
	r := rand.New(rand.NewPCG(23, 24))
	q, k, w := make([]float64, n*d), make([]float64, n*d), make([]float64, n)
	for i := range q {
		q[i] = r.NormFloat64()
		k[i] = 0.6*q[i] + 0.8*r.NormFloat64()
	}
	for i := range w {
		w[i] = 0.1 + 1.9*r.Float64()
	}
	sp, _ := loss.Lookup("info_nce")
	for _, sym := range []bool{false, true} {
		l, err := loss.InfoNCE(loss.Symmetric(sym))
		if err != nil {
			t.Fatal(err)
		}
		// The reference: Serial, with the Mean's scale 1/Σw.
		a := &cpuref.Args[float64]{N: n, C: d, X: q, Y: k, Weight: w, PerSample: make([]float64, n),
			GX: make([]float64, n*d), GY: make([]float64, n*d)}
		copy(a.P[:], []float64{0.07, 1, rowsFlag(sym)})
		a.Scale = cpuref.MeanScale(1, cpuref.DenomSum(a, cpuref.DenomWeight, cpuref.Rowwise, cpuref.Serial))
		sums, err := cpuref.Run("info_nce", a, cpuref.Serial)
		if err != nil {
			t.Fatal(err)
		}
		var first loss.Result[float64]
		for pi, procs := range []int{1, 2, 3, 8} {
			old := runtime.GOMAXPROCS(procs)
			res, err := loss.Compute(l, loss.Batch[float64]{Rows: n, Cols: d, Pred: q, Target: k, Weights: w},
				loss.Options{Device: device.CPU0(), Grad: true})
			runtime.GOMAXPROCS(old)
			if err != nil {
				t.Fatal(err)
			}
			if pi == 0 {
				first = res
				rowsClose(t, l, "Value", []float64{res.Value}, []float64{sums[0] / sums[1]}, sp.Tol64)
				rowsClose(t, l, "Grad", res.Grad, a.GX, sp.Tol64)
				rowsClose(t, l, "GradTarget", res.GradTarget, a.GY, sp.Tol64)
				continue
			}
			if math.Float64bits(res.Value) != math.Float64bits(first.Value) {
				t.Errorf("symmetric=%v GOMAXPROCS=%d: value %v, GOMAXPROCS=1 %v", sym, procs, res.Value, first.Value)
			}
			for _, c := range []struct {
				what      string
				got, want []float64
			}{{"Grad", res.Grad, first.Grad}, {"GradTarget", res.GradTarget, first.GradTarget}} {
				for i := range c.want {
					if math.Float64bits(c.got[i]) != math.Float64bits(c.want[i]) {
						t.Errorf("symmetric=%v GOMAXPROCS=%d: %s[%d] = %v, GOMAXPROCS=1 %v", sym, procs, c.what, i, c.got[i], c.want[i])
						break
					}
				}
			}
		}
	}
}

func rowsFlag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// rowsBytes decodes this file's inputs from the shared fuzz byte reader.
type rowsBytes struct{ fuzzBytes }
