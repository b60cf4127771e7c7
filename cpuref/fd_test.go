package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
)

// sumOf runs kernel name on a copy of a with X, Y or Z (which = 0, 1, 2) replaced by v and
// returns Σ s·L (the Sum reduction).
func sumOf(t *testing.T, name string, a *Args[float64], which int, v []float64) float64 {
	t.Helper()
	b := *a
	b.PerSample, b.GX, b.GY, b.GZ, b.Hess = nil, nil, nil, nil, nil
	switch which {
	case 0:
		b.X = v
	case 1:
		b.Y = v
	case 2:
		b.Z = v
	}
	s, err := Run(name, &b, Serial)
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// checkFD checks kernel name's analytic gradients with respect to the inputs listed in grads
// (0 = X, 1 = Y, 2 = Z) against central finite differences of the Sum, and, when hess is
// set, its Hessian diagonal against finite differences of the gradient. Points where the
// loss has a kink (|analytic − numeric| large but the input sits within step of a kink) are
// the caller's business: draw inputs away from kinks. It reports through t.Errorf.
func checkFD(t *testing.T, name string, a *Args[float64], grads []int, hess bool, tol float64) {
	t.Helper()
	inputs := [3][]float64{a.X, a.Y, a.Z}
	for _, w := range grads {
		x := append([]float64(nil), inputs[w]...)
		num := fd.Gradient(nil, func(v []float64) float64 { return sumOf(t, name, a, w, v) }, x,
			&fd.Settings{Formula: fd.Central, Step: 1e-6})
		b := *a
		b.Scale = 1
		b.PerSample, b.GX, b.GY, b.GZ, b.Hess = nil, nil, nil, nil, nil
		g := make([]float64, len(x))
		switch w {
		case 0:
			b.GX = g
		case 1:
			b.GY = g
		case 2:
			b.GZ = g
		}
		if _, err := Run(name, &b, Serial); err != nil {
			t.Fatal(err)
		}
		for i := range g {
			if !scalar.EqualWithinAbsOrRel(g[i], num[i], tol, tol) {
				t.Errorf("%s: d/d input%d[%d] = %v, finite difference %v (input %v)", name, w, i, g[i], num[i], x[i])
			}
		}
	}
	if !hess {
		return
	}
	b := *a
	b.Scale = 1
	b.PerSample, b.GY, b.GZ = nil, nil, nil
	b.GX, b.Hess = make([]float64, len(a.X)), make([]float64, len(a.X))
	if _, err := Run(name, &b, Serial); err != nil {
		t.Fatal(err)
	}
	for i := range a.X {
		gi := func(xi float64) float64 {
			c := *a
			c.X = append([]float64(nil), a.X...)
			c.X[i] = xi
			c.Scale = 1
			c.PerSample, c.GY, c.GZ, c.Hess = nil, nil, nil, nil
			c.GX = make([]float64, len(a.X))
			if _, err := Run(name, &c, Serial); err != nil {
				t.Fatal(err)
			}
			return c.GX[i]
		}
		num := fd.Derivative(gi, a.X[i], &fd.Settings{Formula: fd.Central, Step: 1e-5})
		if !scalar.EqualWithinAbsOrRel(b.Hess[i], num, tol, tol) {
			t.Errorf("%s: Hessian[%d] = %v, finite difference %v (x = %v)", name, i, b.Hess[i], num, a.X[i])
		}
	}
}

// eq fails the test unless got equals want within abs + rel·|want|, NaN matching NaN only.
// source names where want comes from (a hand derivation, a PyTorch example).
func eq(t *testing.T, what string, got, want, tol float64, source string) {
	t.Helper()
	if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && !scalar.EqualWithinAbsOrRel(got, want, tol, tol) {
		t.Errorf("%s = %v, want %v (%s)", what, got, want, source)
	}
}

// randn returns n values of N(0, sd²) from r.
func randn(r *rand.Rand, n int, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = sd * r.NormFloat64()
	}
	return v
}

func TestMSEByHand(t *testing.T) {
	// e = y − x: (1−3)² = 4, (1−1)² = 0, (2−0.5)² = 2.25; mean 6.25/3.
	a := &Args[float64]{N: 3, C: 1, X: []float64{3, 1, 0.5}, Y: []float64{1, 1, 2}, Scale: 1}
	s, err := Run("mse", a, Serial)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mse sum", s[0], 6.25, 1e-15, "by hand")
	eq(t, "mse weight", s[1], 3, 0, "three elements")
}

func TestMSEGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := &Args[float64]{N: 4, C: 3, X: randn(r, 12, 2), Y: randn(r, 12, 2), Weight: []float64{0.5, 1, 2, 0.1}, Scale: 1}
	checkFD(t, "mse", a, []int{0}, true, 1e-6)
}

func TestCrossEntropyGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range [][8]float64{{}, {0.1}, {0.2, 1e-3}} {
		a := &Args[float64]{N: 5, C: 4, X: randn(r, 20, 2), Labels: []int32{0, 3, -100, 2, 1}, Ignore: -100,
			ClassWeight: []float64{0.5, 2, 1, 0.3}, Weight: []float64{1, 0.5, 2, 1, 3}, P: p, Scale: 1}
		checkFD(t, "cross_entropy", a, []int{0}, false, 1e-6)
	}
}
