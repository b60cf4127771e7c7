package main

import (
	"fmt"
	"math"
)

// The polynomial coefficients in mathfn.go come from fitPolys (go run . -fit): interpolation
// of each function at Chebyshev nodes (a near-minimax fit), solved in float64 and rounded to
// float32. The tests of package vmath check the error bounds that result.

// cheb returns the monomial coefficients of the degree-d polynomial interpolating f at the
// d+1 Chebyshev nodes of [lo, hi].
func cheb(f func(float64) float64, lo, hi float64, d int) []float64 {
	n := d + 1
	a := make([][]float64, n)
	for j := range n {
		x := (lo+hi)/2 + (hi-lo)/2*math.Cos(math.Pi*(float64(j)+0.5)/float64(n))
		row := make([]float64, n+1)
		p := 1.0
		for k := range n {
			row[k] = p
			p *= x
		}
		row[n] = f(x)
		a[j] = row
	}
	// Gaussian elimination with partial pivoting.
	for c := range n {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[piv][c]) {
				piv = r
			}
		}
		a[c], a[piv] = a[piv], a[c]
		for r := range n {
			if r == c {
				continue
			}
			m := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= m * a[c][k]
			}
		}
	}
	out := make([]float64, n)
	for c := range n {
		out[c] = a[c][n] / a[c][c]
	}
	return out
}

// Series for the fitted remainders, accurate where direct formulas cancel.
func expRem(r float64) float64 { // (e^r − 1 − r)/r²
	s, t := 0.0, 0.5
	for k := 2; k < 30; k++ {
		s += t
		t *= r / float64(k+1)
	}
	return s
}

func logRem(f float64) float64 { // (log1p(f) − f + f²/2)/f³
	s, p := 0.0, 1.0
	for k := 3; k < 200; k++ {
		sgn := 1.0
		if k%2 == 0 {
			sgn = -1
		}
		s += sgn * p / float64(k)
		p *= f
	}
	return s
}

func tanhRem(y float64) float64 { // (tanh x − x)/x³ at x = √y
	x := math.Sqrt(y)
	if x < 1e-3 {
		return -1.0/3 + 2.0/15*y
	}
	return (math.Tanh(x) - x) / (x * x * x)
}

func fitPolys() {
	show := func(name string, f func(float64) float64, lo, hi float64, d int) {
		c := cheb(f, lo, hi, d)
		worst := 0.0
		for j := 0; j <= 100000; j++ {
			x := lo + (hi-lo)*float64(j)/100000
			p := 0.0
			for k := len(c) - 1; k >= 0; k-- {
				p = p*x + float64(float32(c[k]))
			}
			worst = max(worst, math.Abs(p-f(x)))
		}
		fmt.Printf("%s deg %d on [%g, %g]: max |err| %.3g\n\t", name, d, lo, hi, worst)
		for _, v := range c {
			fmt.Printf("%#08x /* %.9g */, ", math.Float32bits(float32(v)), float32(v))
		}
		fmt.Println()
	}
	for d := 3; d <= 5; d++ {
		show("exp R", expRem, -math.Ln2/2, math.Ln2/2, d)
	}
	for d := 5; d <= 8; d++ {
		show("log R", logRem, math.Sqrt2/2-1, math.Sqrt2-1, d)
	}
	for d := 3; d <= 6; d++ {
		show("tanh T", tanhRem, 0, 0.5493*0.5493, d)
	}
}
