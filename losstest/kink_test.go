package losstest

import (
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// TestKinkSlack puts one input of three next to a kink, where a float32 program sees it on
// the other side: Huber's e = y − x = 1 + 2^−25 (linear in float64, quadratic at |e| = δ = 1
// once rounded to float32), SmoothL1's 1 − 2^−26 (quadratic in float64, linear at |e| = β),
// Huber's y = float32(0.1) against δ = 0.1 (linear, quadratic against δ rounded to float32),
// the hinge's y·x = float32(0.7) < 0.7 against m = 0.7 (float32 rounds it to y·x). The output that jumps there, at that entry
// and only there, may take either value; the cpu device's float32 answer passes.
func TestKinkSlack(t *testing.T) {
	mk := must(t)
	for _, k := range []struct {
		l    loss.Loss
		y, x float32
		out  int // in the order of vectors
	}{
		{mk(loss.New("huber", loss.Delta(1))), 1.5, 0.5 - 0x1p-25, 4},
		{mk(loss.New("smooth_l1", loss.Beta(1))), 1, 0x1p-26, 4},
		{mk(loss.New("huber", loss.Delta(0.1))), 0.1, 0, 4},
		{mk(loss.New("hinge", loss.Margin(0.7))), 1, 0.7, 1},
	} {
		b := loss.Batch[float64]{Rows: 3, Cols: 1, Pred: []float64{3, float64(k.x), -2}, Target: []float64{1, float64(k.y), 1}}
		c := Case{Name: k.l.String() + "/kink", Loss: k.l, Batch: b, Options: loss.Options{Reduction: loss.None, Grad: true, Hessian: true}}
		ref, err := Reference[float32](c)
		if err != nil {
			t.Fatal(err)
		}
		spec, _ := loss.Lookup(k.l.Name())
		sl, sl64 := slacks(c, spec, ref, [5]Tol{}, false), slacks(c, spec, ref, [5]Tol{}, true)
		for v, s := range sl {
			switch {
			case v == k.out && (len(s) != 3 || s[0] != 0 || s[1] == 0 || s[2] != 0):
				t.Errorf("%v: %s slack %v, want [0 jump 0]", k.l, outNames[v], s)
			case v != k.out && s != nil:
				t.Errorf("%v: %s slack %v, want none", k.l, outNames[v], s)
			}
			if sl64[v] != nil {
				t.Errorf("%v: float64 %s slack %v, want none", k.l, outNames[v], sl64[v])
			}
		}
		Check[float32](t, device.CPU0(), c)
	}
}
