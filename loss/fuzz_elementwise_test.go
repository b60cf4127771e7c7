package loss_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/gloss-ml/gloss/loss"
)

// Fuzz targets for the elementwise losses, one per family: arbitrary bytes decode into a loss
// of the family, its parameters, a shape, finite float32 inputs in the loss's domain
// (moderate values, raw float32 bit patterns of any magnitude, and the extremes ±1e4, ±100),
// optional sample weights (per row or per element), optional per-column pos_weight, and a
// reduction. The cpu device runs it on float32 through loss.Compute; loss.Compute on float64
// copies of the same values is the reference, and every output (value, per-sample terms,
// gradients, Hessian) must agree within the loss's Tol32, after rounding the reference to
// float32 (so a reference beyond float32's range must come out as ±Inf). Nothing may panic,
// and valid inputs must not give an error.

var (
	elemRegression = []string{"mse", "mae", "huber", "smooth_l1", "pseudo_huber", "log_cosh", "quantile",
		"poisson", "tweedie", "gaussian_nll"}
	elemBinary = []string{"bce", "bce_with_logits", "focal", "hinge", "squared_hinge", "soft_margin"}
	elemOther  = []string{"kl_div", "bpr", "pairwise_hinge", "pairwise_logistic", "contrastive", "penalty"}
)

// elemParamValues are the values each parameter is drawn from: its default, the edges of
// its domain and a few values between.
var elemParamValues = map[string][]float64{
	"delta":      {1, 0.1, 2.5, 1e-3, 100},
	"beta":       {1, 0, 0.5, 2},
	"tau":        {0.5, 0.1, 0.9, 0.01},
	"log_input":  {1, 0},
	"full":       {0, 1},
	"eps":        {1e-8, 1e-6, 1e-3, 0.5},
	"rho":        {1.5, 1.1, 1.9, 1.01},
	"pos_weight": {1, 0, 3, 0.5},
	"gamma":      {2, 0, 0.5, 1, 5},
	"alpha":      {0.25, -1, 0, 1, 0.75},
	"margin":     {1, 0, -0.5, 2},
	"log_target": {0, 1},
	"l1":         {0, 0.5, 1, 2},
	"l2":         {0, 0.5, 1, 2},
}

// elemKind is the domain of one input's values.
type elemKind uint8

const (
	elemAny    elemKind = iota // any finite value
	elemNonNeg                 // ≥ 0
	elemUnit                   // [0, 1]
	elemSign                   // −1 or +1
	elemBin                    // 0 or 1
)

// elemKinds returns the domain of each input (Pred, Target, Aux) of the loss with the given
// parameters (by name), following the input checks of the specs.
func elemKinds(name string, p map[string]float64) [3]elemKind {
	switch name {
	case "poisson":
		if p["log_input"] == 0 {
			return [3]elemKind{elemNonNeg, elemNonNeg}
		}
		return [3]elemKind{elemAny, elemNonNeg}
	case "tweedie":
		return [3]elemKind{elemAny, elemNonNeg}
	case "gaussian_nll":
		return [3]elemKind{elemAny, elemAny, elemNonNeg}
	case "bce":
		return [3]elemKind{elemUnit, elemUnit}
	case "bce_with_logits", "focal":
		return [3]elemKind{elemAny, elemUnit}
	case "hinge", "squared_hinge", "soft_margin":
		return [3]elemKind{elemAny, elemSign}
	case "kl_div":
		if p["log_target"] == 0 {
			return [3]elemKind{elemAny, elemUnit}
		}
	case "contrastive":
		return [3]elemKind{elemNonNeg, elemBin}
	}
	return [3]elemKind{}
}

// elemExtremes are the magnitudes SPEC §4 singles out, and a few around them.
var elemExtremes = []float32{1e4, -1e4, 100, -100, 88.7, -88.7, 1e-30, 0, 30, -30}

// real decodes a finite float32: a moderate value k/16 in [−8, 8), a raw bit pattern (any
// finite float32, non-finite patterns folded to finite ones) or one of elemExtremes.
func (r *elemBytes) real() float32 {
	switch r.next() % 4 {
	case 0, 1:
		return float32(int8(r.next())) / 16
	case 2:
		var b [4]byte
		for i := range b {
			b[i] = r.next()
		}
		bits := binary.LittleEndian.Uint32(b[:])
		if bits&0x7f800000 == 0x7f800000 { // Inf or NaN: clear the lowest exponent bit
			bits &^= 0x00800000
		}
		return math.Float32frombits(bits)
	}
	return elemExtremes[int(r.next())%len(elemExtremes)]
}

// value decodes one float32 in the domain k.
func (r *elemBytes) value(k elemKind) float32 {
	switch k {
	case elemNonNeg:
		return float32(math.Abs(float64(r.real())))
	case elemUnit:
		switch r.next() % 4 {
		case 0:
			return 0
		case 1:
			return 1
		case 2:
			return float32(r.next()%129) / 128
		}
		var b [4]byte
		for i := range b {
			b[i] = r.next()
		}
		return float32(binary.LittleEndian.Uint32(b[:])&0xffffff) / (1 << 24) // exact in float32
	case elemSign:
		return float32(2*int(r.next()%2) - 1)
	case elemBin:
		return float32(r.next() % 2)
	}
	return r.real()
}

// fuzzElem decodes data into one evaluation of a loss among names and compares the cpu device
// on float32 with the float64 reference.
func fuzzElem(t *testing.T, names []string, data []byte) {
	r := &elemBytes{fuzzBytes{b: data}}
	name := names[int(r.next())%len(names)]
	sp, ok := loss.Lookup(name)
	if !ok {
		t.Fatalf("no loss %q", name)
	}
	var params []loss.Param
	pm := map[string]float64{}
	for _, p := range sp.Params {
		vs, ok := elemParamValues[p]
		if !ok {
			t.Fatalf("%s: parameter %q has no fuzz values", name, p)
		}
		v := vs[int(r.next())%len(vs)]
		pm[p] = v
		params = append(params, loss.With(p, v))
	}
	l, err := loss.New(name, params...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n := int(r.next()) % 7
	c := 1 + int(r.next())%4
	reds := []loss.Reduction{loss.Mean, loss.Sum, loss.None}
	if sp.BatchMean {
		reds = append(reds, loss.BatchMean)
	}
	opt := loss.Options{Reduction: reds[int(r.next())%len(reds)], Grad: true, Hessian: sp.Hessian,
		EmptyMeanZero: r.next()%2 == 1}

	kinds := elemKinds(name, pm)
	var in [3][]float32
	for k, iname := range sp.Inputs {
		if iname == "" {
			continue
		}
		in[k] = make([]float32, n*c)
		for j := range in[k] {
			in[k][j] = r.value(kinds[k])
		}
	}
	var w, cw []float32
	switch r.next() % 3 {
	case 1:
		w = make([]float32, n)
	case 2:
		w = make([]float32, n*c)
	}
	for j := range w {
		w[j] = float32(r.next()%33) / 16 // [0, 2], zeros included
	}
	if sp.ClassWeights != "" && r.next()%2 == 1 {
		cw = make([]float32, c)
		for j := range cw {
			cw[j] = float32(r.next()%49) / 16 // [0, 3]
		}
	}

	b32 := loss.Batch[float32]{Rows: n, Cols: c, Pred: in[0], Target: in[1], Aux: in[2], Weights: w, ClassWeights: cw}
	got, err := loss.Compute(l, b32, opt)
	if err != nil {
		t.Fatalf("%v on %d×%d (float32): %v", l, n, c, err)
	}
	b64 := loss.Batch[float64]{Rows: n, Cols: c, Pred: widen32(in[0]), Target: widen32(in[1]), Aux: widen32(in[2]),
		Weights: widen32(w), ClassWeights: widen32(cw)}
	ref, err := loss.Compute(l, b64, opt)
	if err != nil {
		t.Fatalf("%v on %d×%d (float64 reference): %v", l, n, c, err)
	}

	tol := sp.Tol32
	where := func(what string) string {
		return l.String() + " " + opt.Reduction.String() + " " + what
	}
	elemClose(t, where("value"), got.Value, ref.Value, tol, false)
	elemCloseAll(t, where("per-sample"), got.PerSample, ref.PerSample, tol)
	elemCloseAll(t, where("grad"), got.Grad, ref.Grad, tol)
	elemCloseAll(t, where("grad target"), got.GradTarget, ref.GradTarget, tol)
	elemCloseAll(t, where("grad aux"), got.GradAux, ref.GradAux, tol)
	elemCloseAll(t, where("hessian"), got.Hess, ref.Hess, tol)
	if t.Failed() {
		t.Logf("inputs: pred %v target %v aux %v weights %v class weights %v", in[0], in[1], in[2], w, cw)
	}
}

// elemCloseAll compares a float32 output with its float64 reference element by element.
func elemCloseAll(t *testing.T, what string, got []float32, ref []float64, tol loss.Tol) {
	t.Helper()
	if len(got) != len(ref) {
		t.Errorf("%s: %d values, reference has %d", what, len(got), len(ref))
		return
	}
	bad := 0
	for i := range got {
		if !elemClose(t, what+"["+elemItoa(i)+"]", float64(got[i]), ref[i], tol, true) {
			if bad++; bad == 5 {
				return
			}
		}
	}
}

// elemClose reports (through t.Errorf) whether got matches ref within tol: NaN only matches
// NaN, and when rounded is set (a float32 output) ref is first rounded to float32, so that an
// overflowing reference must be ±Inf. It returns whether it matched, to cap the reports.
func elemClose(t *testing.T, what string, got, ref float64, tol loss.Tol, rounded bool) bool {
	t.Helper()
	want := ref
	if rounded {
		want = float64(float32(ref))
	}
	ok := false
	switch {
	case math.IsNaN(want) || math.IsNaN(got):
		ok = math.IsNaN(want) && math.IsNaN(got)
	case math.IsInf(want, 0) || math.IsInf(got, 0):
		ok = got == want
	default:
		ok = math.Abs(got-want) <= tol.Abs+tol.Rel*math.Abs(want)
	}
	if !ok {
		t.Errorf("%s = %v, reference %v (float64 loss.Compute on the same values, tolerance %+v)", what, got, ref, tol)
	}
	return ok
}

func elemItoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return elemItoa(i/10) + string(rune('0'+i%10))
}

// elemSeeds adds, for every loss of the family, seeds that pick it with moderate values,
// raw float32 bit patterns and extremes, each reduction, and weights of both shapes.
func elemSeeds(f *testing.F, names []string) {
	for i := range names {
		b := byte(i)
		f.Add([]byte{b})
		f.Add([]byte{b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
		f.Add([]byte{b, 1, 1, 4, 2, 0, 1, 0, 16, 1, 240, 0, 32, 1, 200, 1, 9})
		f.Add([]byte{b, 2, 0, 6, 3, 1, 2, 2, 0, 0, 0x80, 0x7f, 2, 0xff, 0xff, 0x7f, 0x7f, 3, 1, 3, 3, 2})
		f.Add([]byte{b, 3, 2, 5, 1, 2, 1, 3, 0, 3, 1, 3, 2, 3, 3, 3, 4, 3, 5, 3, 6, 0, 1, 2})
		f.Add([]byte{b, 4, 3, 3, 0, 0, 0, 3, 0, 3, 2, 3, 8, 3, 9, 0, 128, 0, 127, 1, 255, 2, 0x3c, 0xa1, 0x4f, 0x1a})
		f.Add([]byte{b, 0, 0, 0, 0, 0})                                  // n = 0: an empty batch
		f.Add([]byte{b, 1, 2, 3, 4, 1, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0}) // n = 1
	}
}

func FuzzElemRegression(f *testing.F) {
	elemSeeds(f, elemRegression)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzElem(t, elemRegression, data) })
}

func FuzzElemBinary(f *testing.F) {
	elemSeeds(f, elemBinary)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzElem(t, elemBinary, data) })
}

func FuzzElemRankingPenaltyKL(f *testing.F) {
	elemSeeds(f, elemOther)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzElem(t, elemOther, data) })
}

// elemBytes decodes this file's inputs from the shared fuzz byte reader.
type elemBytes struct{ fuzzBytes }
