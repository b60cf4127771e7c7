package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloat64Variants(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1001} {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() * 20
			y[i] = r.NormFloat64()
		}
		d := make([]float64, n)
		for _, c := range []struct {
			name string
			f    func(d, x []float64)
			ref  func(float64) float64
		}{
			{"Exp64", Exp64, math.Exp}, {"Tanh64", Tanh64, math.Tanh}, {"Log1p64", Log1p64, func(v float64) float64 { return math.Log1p(v) }},
			{"Sigmoid64", Sigmoid64, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
			{"Softplus64", Softplus64, func(v float64) float64 {
				if v > 0 {
					return v + math.Log1p(math.Exp(-v))
				}
				return math.Log1p(math.Exp(v))
			}},
		} {
			c.f(d, x)
			for i, v := range x {
				want := c.ref(v)
				if math.IsInf(want, 0) || want != want {
					continue // the plain formula overflows where the function does not
				}
				if math.Abs(d[i]-want) > 1e-14*math.Abs(want)+1e-300 {
					t.Errorf("%s(%v) = %v, want %v", c.name, v, d[i], want)
					break
				}
			}
		}
		var ls, ld, le [8]float64
		m := Max64(x)
		for i := range x {
			ls[i&7] += x[i]
			ld[i&7] = math.FMA(x[i], y[i], ld[i&7])
			le[i&7] += math.Exp(x[i] - m)
		}
		if got := Sum64(x); got != fold8(&ls) {
			t.Errorf("Sum64 of %d = %v, want %v (the lane order)", n, got, fold8(&ls))
		}
		if got := Dot64(x, y); got != fold8(&ld) {
			t.Errorf("Dot64 of %d = %v, want %v", n, got, fold8(&ld))
		}
		if got := SumExp64(x, m); got != fold8(&le) {
			t.Errorf("SumExp64 of %d = %v, want %v", n, got, fold8(&le))
		}
		if n > 0 {
			ExpShiftScale64(d, x, m, 0.5)
			if d[0] != 0.5*math.Exp(x[0]-m) {
				t.Errorf("ExpShiftScale64[0] = %v", d[0])
			}
			yy := append([]float64(nil), y...)
			Axpy64(yy, 2, x)
			if yy[n-1] != math.FMA(2, x[n-1], y[n-1]) {
				t.Errorf("Axpy64[%d] = %v", n-1, yy[n-1])
			}
		}
	}
	if !math.IsNaN(Max64([]float64{1, math.NaN()})) || !math.IsInf(Max64(nil), -1) {
		t.Errorf("Max64 NaN or empty")
	}
	v := []float64{math.NaN()}
	if Sigmoid64(v, v); !math.IsNaN(v[0]) {
		t.Errorf("Sigmoid64(NaN) = %v", v[0])
	}
}
