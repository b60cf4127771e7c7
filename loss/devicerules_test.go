package loss

import (
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestDeviceRulesMatchSpecs keeps device.Call.Validate's knowledge of each kernel in step with
// the specs: the Call package loss builds passes it, a Call missing an input the spec needs or
// asking for an output the spec does not have fails it, and the label ranges agree.
func TestDeviceRulesMatchSpecs(t *testing.T) {
	if p := specs["calibration"].params[0]; p.name != "bins" || p.hi != device.MaxCalibrationBins {
		t.Errorf("calibration's bins parameter %+v: device.MaxCalibrationBins is %d", p, device.MaxCalibrationBins)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for name, s := range specs {
		l, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		n, c := 5, max(4, s.minCols)
		b := Generate(l, r, n, c, true, true, false)
		if b.Cols == 1 {
			c = 1
		}
		in := Buffers{Rows: n, Cols: c, Pred: sliceBuf(b.Pred), Target: sliceBuf(b.Target), Aux: sliceBuf(b.Aux),
			Labels: sliceBuf(b.Labels), Weights: sliceBuf(b.Weights), ClassWeights: sliceBuf(b.ClassWeights)}
		var out Outputs
		o := Options{}
		if s.family != device.Metric {
			o.Grad = true
			out.Grad = device.Wrap(make([]float64, len(b.Pred)))
			if s.in[1].grad {
				out.GradTarget = device.Wrap(make([]float64, len(b.Target)))
			}
			if s.in[2].grad {
				out.GradAux = device.Wrap(make([]float64, len(b.Aux)))
			}
			if s.hess {
				out.Hess = device.Wrap(make([]float64, len(b.Pred)))
			}
		}
		call := l.call(n, c, device.F64, in, out, o)
		if err := call.Validate(); err != nil {
			t.Errorf("%s: the Call package loss builds fails Validate: %v", name, err)
			continue
		}
		if _, err := device.CPU0().Run(call); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		fresh := func() device.Buffer { return device.Wrap(make([]float64, n*c)) }
		for _, m := range []struct {
			what  string
			apply bool
			edit  func(c *device.Call)
		}{
			{"no Target", s.in[1].name != "", func(c *device.Call) { c.Y = nil }},
			{"no Aux", s.in[2].name != "", func(c *device.Call) { c.Z = nil }},
			{"no Labels", s.labels, func(c *device.Call) { c.Labels = nil }},
			{"a Hessian", !s.hess, func(c *device.Call) { c.Hess = fresh() }},
			{"a Target gradient", !s.in[1].grad, func(c *device.Call) { c.GY = fresh() }},
			{"an Aux gradient", !s.in[2].grad, func(c *device.Call) { c.GZ = fresh() }},
		} {
			if !m.apply {
				continue
			}
			bad := *call
			m.edit(&bad)
			if err := bad.Validate(); err == nil {
				t.Errorf("%s with %s: Validate accepts it", name, m.what)
			}
		}
		hi, ignore, ok := device.LabelRange(name, c)
		if ok != s.labels {
			t.Errorf("%s: device.LabelRange says labels %v, the spec %v", name, ok, s.labels)
		} else if ok {
			want := c
			if s.labelHi != nil {
				want = s.labelHi(c)
			}
			if hi != int64(want) || ignore != s.ignore {
				t.Errorf("%s: device labels [0, %d) ignore %v; the spec [0, %d) ignore %v", name, hi, ignore, want, s.ignore)
			}
		}
	}
}
