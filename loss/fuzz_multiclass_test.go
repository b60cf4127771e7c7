package loss_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/loss"
)

// A fuzz target for the multi-class row losses (cross_entropy, cross_entropy_probs, nll,
// multi_margin, corn): arbitrary bytes decode into a loss, its parameters, a shape, arbitrary
// finite float32 logits (the full float32 range, ±1e4, ±100 and small values), labels (some
// the ignore index, a few out of range), targets, sample and class weights, a reduction and
// the in-place gradient. The cpu device runs it on float32 through loss.Compute; cpuref.Run
// with Serial on the same values in float64 is the reference. Out-of-range labels must give
// ErrLabel, nothing may panic, and every output must agree within the loss's Tol32 (an
// infinity matches the reference rounded to float32, NaN matches NaN).

var mcLosses = []string{"cross_entropy", "cross_entropy_probs", "nll", "multi_margin", "corn"}

// mcSpecial are logits the SPEC singles out, and the float32 extremes.
var mcSpecial = []float32{1e4, -1e4, 100, -100, 0, math.MaxFloat32, -math.MaxFloat32, 1e-30}

// value decodes one finite float32: any finite bit pattern, a special value, or k/256 for a
// 16-bit k.
func (r *mcBytes) value() float32 {
	switch tag := r.next(); tag % 8 {
	case 0:
		bits := uint32(r.next()) | uint32(r.next())<<8 | uint32(r.next())<<16 | uint32(r.next())<<24
		if bits&0x7f800000 == 0x7f800000 {
			bits &^= 1 << 23 // an Inf or NaN exponent becomes the largest finite one
		}
		return math.Float32frombits(bits)
	case 1:
		return mcSpecial[int(tag/8)%len(mcSpecial)]
	default:
		return float32(int16(uint16(r.next())|uint16(r.next())<<8)) / 256
	}
}

func fuzzMulticlass(t *testing.T, data []byte) {
	r := &mcBytes{fuzzBytes{b: data}}
	name := mcLosses[int(r.next())%len(mcLosses)]
	sp, ok := loss.Lookup(name)
	if !ok {
		t.Fatalf("no loss %q", name)
	}
	c := 1 + int(r.next())%6
	n := int(r.next()) % 5
	fl := r.next()
	var params []loss.Param
	var p [8]float64
	ignore := int64(math.MinInt64)
	switch name {
	case "cross_entropy", "cross_entropy_probs":
		if b := r.next(); b >= 128 {
			p[0] = float64(b-128) / 128 // ε ∈ [0, 1)
		}
		params = append(params, loss.LabelSmoothing(p[0]))
		if name == "cross_entropy" {
			if b := r.next(); b >= 128 {
				p[1] = float64(b-128) / 32
			}
			params = append(params, loss.ZLoss(p[1]))
		}
	case "multi_margin":
		p[0] = float64(1 + r.next()%2)
		p[1] = float64(int8(r.next())) / 32
		params = append(params, loss.Power(p[0]), loss.Margin(p[1]))
	}
	if name == "cross_entropy" || name == "nll" {
		ignore = -1
		params = append(params, loss.IgnoreIndex(-1))
	}
	l, err := loss.New(name, params...)
	if err != nil {
		t.Fatalf("%s%v: %v", name, p, err)
	}

	hi := c // labels in [0, hi)
	if name == "corn" {
		hi = c + 1
	}
	b32 := loss.Batch[float32]{Rows: n, Cols: c, Pred: make([]float32, n*c)}
	for i := range b32.Pred {
		b32.Pred[i] = r.value()
	}
	badLabel := false
	if sp.Labels {
		b32.Labels = make([]int32, n)
		for i := range b32.Labels {
			switch b := r.next(); {
			case b < 232:
				b32.Labels[i] = int32(int(b) % hi)
			case b < 244:
				b32.Labels[i] = -1 // the ignore index, or out of range
				badLabel = badLabel || ignore != -1
			default:
				b32.Labels[i] = int32(hi) // out of range
				badLabel = true
			}
		}
	}
	if sp.Inputs[1] != "" {
		b32.Target = make([]float32, n*c)
		for i := range b32.Target {
			b32.Target[i] = float32(r.next()) / 255
		}
	}
	if fl&1 != 0 {
		b32.Weights = make([]float32, n)
		for i := range b32.Weights {
			b32.Weights[i] = float32(r.next()) / 32
		}
	}
	if fl&2 != 0 && sp.ClassWeights != "" {
		b32.ClassWeights = make([]float32, c)
		for i := range b32.ClassWeights {
			b32.ClassWeights[i] = float32(r.next()) / 32
		}
	}
	red := []loss.Reduction{loss.Mean, loss.Sum, loss.None}[int(fl>>4)%3]
	o := loss.Options{Reduction: red, Grad: fl&4 != 0, InPlace: fl&8 != 0, EmptyMeanZero: fl&64 != 0}

	// The reference, on the same values in float64, out of place.
	a := &cpuref.Args[float64]{N: n, C: c, X: widen32(b32.Pred), Y: widen32(b32.Target), Labels: b32.Labels,
		Weight: widen32(b32.Weights), ClassWeight: widen32(b32.ClassWeights), P: p, Ignore: ignore, Scale: 1}
	if red == loss.None {
		a.PerSample = make([]float64, n)
	}
	if o.Grad || o.InPlace {
		a.GX = make([]float64, n*c)
	}
	pred := append([]float32(nil), b32.Pred...)

	res, err := loss.Compute(l, b32, o)
	if badLabel {
		if !errors.Is(err, loss.ErrLabel) {
			t.Fatalf("%v on labels %v: error %v, want ErrLabel", l, b32.Labels, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v: %v", l, err)
	}
	kern, _ := cpuref.Lookup(name)
	if red == loss.Mean && a.GX != nil {
		a.Scale = cpuref.MeanScale(1, cpuref.DenomSum(a, mcDenom(name), kern.Family, cpuref.Serial))
	}
	sums, err := cpuref.Run(name, a, cpuref.Serial)
	if err != nil {
		t.Fatal(err)
	}
	want := sums[0]
	if red == loss.Mean {
		switch {
		case sums[1] != 0:
			want = sums[0] / sums[1]
		case o.EmptyMeanZero:
			want = 0
		default:
			want = math.NaN()
		}
	}
	tol := sp.Tol32
	mcClose(t, l, pred, "Value", []float64{res.Value}, []float64{want}, tol)
	mcClose(t, l, pred, "Weight", []float64{res.Weight}, []float64{sums[1]}, tol)
	mcClose(t, l, pred, "PerSample", widen32(res.PerSample), a.PerSample, tol)
	mcClose(t, l, pred, "Grad", widen32(res.Grad), a.GX, tol)
	if o.InPlace && n > 0 && &res.Grad[0] != &b32.Pred[0] {
		t.Errorf("%v: InPlace: Result.Grad is not Pred", l)
	}
}

// mcDenom is each loss's Mean denominator rule (its spec's).
func mcDenom(name string) cpuref.Denom {
	switch name {
	case "cross_entropy_probs":
		return cpuref.DenomWeight
	case "corn":
		return cpuref.DenomCorn
	}
	return cpuref.DenomLabel
}

// mcClose fails unless got (float32 results widened) and want (the float64 reference) have
// the same length and agree elementwise: |got − want| ≤ Abs + Rel·|want|, or got equals want
// rounded to float32 (so an overflow to ±Inf in float32 matches), NaN matching NaN only.
func mcClose(t *testing.T, l loss.Loss, pred []float32, what string, got, want []float64, tol loss.Tol) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%v: %s has %d values, want %d", l, what, len(got), len(want))
	}
	for i, g := range got {
		v := want[i]
		if math.IsNaN(g) || math.IsNaN(v) {
			if math.IsNaN(g) != math.IsNaN(v) {
				t.Errorf("%v: %s[%d] = %v (cpu device, float32), want %v (cpuref float64); logits %v", l, what, i, g, v, pred)
			}
			continue
		}
		if g == float64(float32(v)) || math.Abs(g-v) <= tol.Abs+tol.Rel*math.Abs(v) {
			continue
		}
		t.Errorf("%v: %s[%d] = %v (cpu device, float32), want %v (cpuref float64) within %+v; logits %v", l, what, i, g, v, tol, pred)
	}
}

func FuzzMulticlass(f *testing.F) {
	// Seeds: for each loss, random byte strings (every flag combination appears among them),
	// the empty input, zero rows, and hand-made rows of extreme logits.
	r := rand.New(rand.NewPCG(41, 42))
	for i := range mcLosses {
		for range 6 {
			b := make([]byte, 64)
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
			b[0] = byte(i)
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 3, 0, 0})
	// cross_entropy, C = 3, N = 2, Mean with the in-place gradient, ε and z-loss on, logits
	// ±1e4 (tag 1, index 0 and 1), float32's maximum (tag 1, index 5) and raw bits 0x7f800000
	// (+Inf, folded to a finite value).
	f.Add([]byte{0, 2, 2, 8 | 4, 200, 140, 1, 9, 41, 0, 0x00, 0x00, 0x80, 0x7f, 2, 1, 1, 17, 0, 1, 0})
	// Every loss on C = 2, N = 2 with sample and class weights, the Mean, EmptyMeanZero and the
	// in-place gradient (flags 0x6f), both labels at −1 (byte 240: the ignore index of
	// cross_entropy and nll, so every row is ignored; out of range elsewhere) or at C (250).
	for i, name := range mcLosses {
		for _, y := range []byte{240, 250} {
			b := []byte{byte(i), 1, 2, 0x6f}
			switch name {
			case "cross_entropy":
				b = append(b, 160, 130) // ε = 0.25, z-loss 1/16
			case "cross_entropy_probs":
				b = append(b, 160)
			case "multi_margin":
				b = append(b, 1, 32) // p = 2, margin 1
			}
			for k := range 4 {
				b = append(b, 2, byte(k), 1) // logits (256k + 256)/256
			}
			f.Add(append(b, y, y))
		}
	}
	f.Fuzz(fuzzMulticlass)
}

// mcBytes decodes this file's inputs from the shared fuzz byte reader.
type mcBytes struct{ fuzzBytes }
