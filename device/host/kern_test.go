package host

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// atLevels runs f once at every vector level this machine has, restoring the active one.
func atLevels(t *testing.T, f func(t *testing.T, l vmath.Level)) {
	t.Helper()
	old := vmath.Active()
	defer vmath.Use(old)
	for _, l := range vmath.Available() {
		if err := vmath.Use(l); err != nil {
			t.Fatal(err)
		}
		t.Run(l.String(), func(t *testing.T) { f(t, l) })
	}
}

func randF32(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale * r.NormFloat64())
	}
	return x
}

// TestKernelsSameBitsAtEveryLevel checks each primitive against its portable Go at every
// level and length 0..70 (every tail), and against a plain float64 computation.
func TestKernelsSameBitsAtEveryLevel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type res struct {
		sq, spy, sp, sy float64
		mx              float32
		idx, idxNaN     int
		tp, fp, fn      int
		fpf, fnf        float64
	}
	compute := func(a, b []float32) res {
		var o res
		o.sq = sqDist(a, b, 1e-6)
		o.spy, o.sp, o.sy = sums3(a, b)
		o.fpf, o.fnf = fpfn(a, b, a)
		o.mx = maxF32(a)
		o.idx = indexF32(a, o.mx)
		o.idxNaN = indexF32(a, float32(math.NaN()))
		o.tp, o.fp, o.fn = countConfusion(a, b, 0.25, false)
		return o
	}
	ref := map[int]res{}
	inputs := map[int][2][]float32{}
	for n := range 71 {
		inputs[n] = [2][]float32{randF32(r, n, 1), randF32(r, n, 1)}
	}
	atLevels(t, func(t *testing.T, l vmath.Level) {
		for n := range 71 {
			a, b := inputs[n][0], inputs[n][1]
			got := compute(a, b)
			if l == vmath.Portable {
				ref[n] = got
				// The portable results against plain float64 arithmetic.
				var sq, spy, sp, sy, fp, fn float64
				mx := float32(math.Inf(-1))
				for j := range a {
					w := float64(a[j]) - float64(b[j]) + 1e-6
					sq += w * w
					spy += float64(a[j]) * float64(b[j])
					sp += float64(a[j])
					sy += float64(b[j])
					fp += float64(a[j]) * float64(1-a[j])
					fn += float64(b[j]) * float64(a[j])
					mx = max(mx, a[j])
				}
				for _, c := range [][2]float64{{got.sq, sq}, {got.spy, spy}, {got.sp, sp}, {got.sy, sy}, {got.fpf, fp}, {got.fnf, fn}} {
					if math.Abs(c[0]-c[1]) > 1e-12*(1+math.Abs(c[1])) {
						t.Errorf("n=%d: %v, plain sum %v", n, c[0], c[1])
					}
				}
				if got.mx != mx {
					t.Errorf("n=%d: max %v, want %v", n, got.mx, mx)
				}
				continue
			}
			if got != ref[n] {
				t.Errorf("n=%d: %+v, portable %+v", n, got, ref[n])
			}
		}
	})
}

func TestMaxIndexNaNAndTies(t *testing.T) {
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for _, n := range []int{1, 15, 16, 17, 40, 100} {
			for _, at := range []int{0, n / 2, n - 1} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(-i)
				}
				x[at] = 5
				if n > 3 {
					x[n-1] = 5 // a tie after at (or at itself)
				}
				if m := maxF32(x); m != 5 {
					t.Errorf("n=%d: max %v, want 5", n, m)
				}
				if j := indexF32(x, 5); j != at {
					t.Errorf("n=%d: index of 5 is %d, want %d", n, j, at)
				}
				if j := indexF32(x, 7); j != -1 {
					t.Errorf("n=%d: index of 7 is %d, want -1", n, j)
				}
				x[at] = float32(math.NaN())
				if m := maxF32(x); m == m {
					t.Errorf("n=%d: max %v with a NaN at %d, want NaN", n, m, at)
				}
				if j := indexF32(x, x[at]); j != at {
					t.Errorf("n=%d: index of NaN is %d, want %d", n, j, at)
				}
			}
		}
		if m := maxF32(nil); !math.IsInf(float64(m), -1) {
			t.Errorf("max of nothing %v, want -Inf", m)
		}
	})
}

func TestThreshold32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []float64{0, 0.5, 0.1, -0.1, 1e-40, 1e39, -1e39, math.MaxFloat32, 1.0000000000001, 0.3}
	for range 200 {
		cases = append(cases, r.NormFloat64())
	}
	for _, thr := range cases {
		f, ge := threshold32(thr)
		for _, base := range []float32{float32(thr), 0, 1, -1} {
			for _, x := range []float32{base, math.Nextafter32(base, 1e38), math.Nextafter32(base, -1e38), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
				want := float64(x) > thr
				got := x > f
				if ge {
					got = x >= f
				}
				if got != want {
					t.Errorf("thr=%v x=%v: got %v, want %v (t=%v ge=%v)", thr, x, got, want, f, ge)
				}
			}
		}
	}
}

func TestDot4x4(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const lda, ldb = 37, 45
	for _, k := range []int{0, 8, 16, 64, 136} {
		a, b := make([]float64, 3*lda+k+3), make([]float64, 3*ldb+k+5)
		for i := range a {
			a[i] = r.NormFloat64()
		}
		for i := range b {
			b[i] = r.NormFloat64()
		}
		var ref [31]float64
		atLevels(t, func(t *testing.T, l vmath.Level) {
			const ldo, scale = 9, 0.375
			var out [31]float64 // 4 rows of ldo, the last one 4 long
			for i := range out {
				out[i] = -7
			}
			dot4x4(out[:], ldo, scale, a, lda, b, ldb, k)
			for i := range 4 {
				for j := range 4 {
					var s float64
					for u := range k {
						s += a[i*lda+u] * b[j*ldb+u]
					}
					s *= scale
					if got := out[i*ldo+j]; math.Abs(got-s) > 1e-12*(1+math.Abs(s)) {
						t.Errorf("k=%d (%d,%d): %v, want %v", k, i, j, got, s)
					}
				}
				for j := 4; j < ldo && i*ldo+j < len(out); j++ {
					if out[i*ldo+j] != -7 {
						t.Errorf("k=%d: out[%d] written", k, i*ldo+j)
					}
				}
			}
			if l == vmath.Portable {
				ref = out
			} else if out != ref {
				t.Errorf("k=%d: %v, portable %v", k, out, ref)
			}
		})
	}
}

func TestAffineSameBitsAtEveryLevel(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 15, 16, 17, 47, 100} {
		x, y := randF32(r, n, 2), randF32(r, n, 2)
		var ref1, ref2 []float32
		atLevels(t, func(t *testing.T, l vmath.Level) {
			a := append([]float32(nil), x...)
			axpbF32(a, 0.7, -0.3)
			b := append([]float32(nil), x...)
			axpbycF32(b, y, 1.3, -0.6, 0.01)
			for j := range x {
				if want := float32(0.7*x[j]) + -0.3; a[j] != want {
					t.Errorf("n=%d: axpb[%d] = %v, want %v", n, j, a[j], want)
				}
				if want := float32(1.3*x[j]) + (float32(-0.6*y[j]) + 0.01); b[j] != want {
					t.Errorf("n=%d: axpbyc[%d] = %v, want %v", n, j, b[j], want)
				}
			}
			if l == vmath.Portable {
				ref1, ref2 = a, b
				return
			}
			for j := range a {
				if a[j] != ref1[j] || b[j] != ref2[j] {
					t.Errorf("n=%d: level %v differs from portable at %d", n, l, j)
					break
				}
			}
		})
	}
}

func TestConvertKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for n := range 71 {
			a, b := make([]float64, n), make([]float64, n)
			for i := range a {
				a[i], b[i] = 100*r.NormFloat64(), r.NormFloat64()
			}
			wantMax := math.Inf(-1)
			for _, v := range a {
				wantMax = max(wantMax, v)
			}
			if got := maxF64(a); got != wantMax {
				t.Errorf("n=%d: maxF64 %v, want %v", n, got, wantMax)
			}
			if n > 0 {
				k := r.IntN(n)
				old := a[k]
				a[k] = math.NaN()
				if got := maxF64(a); got == got {
					t.Errorf("n=%d: maxF64 %v with a NaN at %d", n, got, k)
				}
				a[k] = old
			}
			d1, d2 := make([]float32, n), make([]float32, n)
			subF32(d1, a, nil, 0.3)
			subF32(d2, a, b, 0)
			w := make([]float64, n)
			widenF32(w, d1)
			for i := range a {
				if d1[i] != float32(a[i]-0.3) || d2[i] != float32(a[i]-b[i]) || w[i] != float64(d1[i]) {
					t.Errorf("n=%d [%d]: subF32 %v %v widen %v, want %v %v %v", n, i, d1[i], d2[i], w[i],
						float32(a[i]-0.3), float32(a[i]-b[i]), float64(d1[i]))
					break
				}
			}
		}
	})
}

func TestTripletAndSegGradKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 15, 16, 31, 64, 77} {
		a, p, q, y := randF32(r, n, 1), randF32(r, n, 1), randF32(r, n, 1), make([]float32, n)
		pr := make([]float32, n)
		for i := range y {
			y[i] = float32(r.IntN(2))
			pr[i] = r.Float32()
		}
		var ref [4][]float32
		atLevels(t, func(t *testing.T, l vmath.Level) {
			ga, gp, gn, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			tripGrad(ga, gp, gn, a, p, q, 0.3, -1.7, 1e-6)
			qr := make([]float32, n)
			for i, v := range pr {
				qr[i] = 1 - v
			}
			segGrad32(g, pr, qr, y, 0.25, -1.5, 0.125)
			for i := range a {
				u := float64(a[i]) - float64(p[i]) + 1e-6
				v := float64(a[i]) - float64(q[i]) + 1e-6
				if d := math.Abs(float64(ga[i]) - (0.3*u + 1.7*v)); d > 1e-6*(1+math.Abs(0.3*u+1.7*v)) {
					t.Errorf("n=%d ga[%d] = %v, want %v", n, i, ga[i], 0.3*u+1.7*v)
				}
				ny := 1 - float64(y[i])
				want := (0.25*ny-1.5*float64(y[i]))*float64(pr[i])*float64(qr[i]) + 0.125*(ny*float64(pr[i])-float64(y[i])*float64(qr[i]))
				if d := math.Abs(float64(g[i]) - want); d > 1e-6 {
					t.Errorf("n=%d g[%d] = %v, want %v", n, i, g[i], want)
				}
			}
			got := [4][]float32{ga, gp, gn, g}
			if l == vmath.Portable {
				ref = got
				return
			}
			for k := range got {
				if !slices.Equal(got[k], ref[k]) {
					t.Errorf("n=%d: output %d at level %v differs from portable", n, k, l)
				}
			}
		})
	}
}

func TestArgmaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for c := 1; c <= 16; c++ {
		n := 200
		x := make([]float32, n*c)
		for i := range x {
			x[i] = float32(r.IntN(5)) - 2 // many ties
		}
		for k := 0; k < 20; k++ {
			switch i := r.IntN(n * c); k % 4 {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Inf(-1))
			case 2:
				x[i] = float32(math.Inf(1))
			default:
				x[i] = float32(math.Copysign(0, -1))
			}
		}
		for j := range c { // one row of −Inf
			x[5*c+j] = float32(math.Inf(-1))
		}
		want := make([]int32, n)
		for i := range want {
			row := x[i*c : (i+1)*c]
			best := 0
			for j, v := range row {
				if v != v {
					best = j
					break
				}
				if v > row[best] {
					best = j
				}
			}
			want[i] = int32(best)
		}
		atLevels(t, func(t *testing.T, _ vmath.Level) {
			got := make([]int32, n)
			argmaxRows(x[:n*c], c, got) // the last row ends the slice: masked loads stay inside
			if !slices.Equal(got, want) {
				t.Errorf("c=%d: %v, want %v", c, got[:10], want[:10])
			}
		})
	}
}

func TestNearEdge(t *testing.T) {
	for _, c := range []struct {
		f, fb float64
		want  bool
	}{
		{1, 15, true}, {1 + 1e-7, 15, true}, {1 - 1e-7, 15, true}, {1.5, 15, false}, {14, 15, true},
		{15, 15, false}, {14.99999999, 15, false}, {0.3, 15, false}, {1e-9, 15, false}, {7.00001, 15, true},
		{7.001, 15, false}, {math.NaN(), 15, false}, {2, 2, false}, {1, 2, true}, {0.999999999, 1, false},
	} {
		if got := nearEdge(c.f, c.fb); got != c.want {
			t.Errorf("nearEdge(%v, %v) = %v, want %v", c.f, c.fb, got, c.want)
		}
	}
}

func TestMargin32(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 3, 16, 17, 40, 100} {
		x := randF32(r, n, 1)
		if n > 5 {
			x[2] = 0.5 // thr + x = 0 exactly for thr = −0.5
		}
		for _, sq := range []bool{false, true} {
			var ref []float32
			var refl, refg float64
			atLevels(t, func(t *testing.T, l vmath.Level) {
				g := make([]float32, n)
				ls, gs := margin32(g, x, -0.5, 0.25, sq)
				ln, gn := margin32(nil, x, -0.5, 0.25, sq)
				if ln != ls || gn != gs {
					t.Errorf("n=%d sq=%v: sums without g %v %v, with g %v %v", n, sq, ln, gn, ls, gs)
				}
				var wl, wg float64
				for j, v := range x {
					z := max(float64(v)-0.5, 0)
					gj := 0.0
					if sq {
						wl += z * z
						gj = 0.5 * z
					} else if wl += z; z > 0 {
						gj = 0.25
					}
					wg += gj
					if float32(gj) != g[j] {
						t.Errorf("n=%d sq=%v: g[%d] = %v, want %v", n, sq, j, g[j], gj)
					}
				}
				if math.Abs(ls-wl) > 1e-12*(1+wl) || math.Abs(gs-wg) > 1e-12*(1+wg) {
					t.Errorf("n=%d sq=%v: l %v gsum %v, want %v %v", n, sq, ls, gs, wl, wg)
				}
				if l == vmath.Portable {
					ref, refl, refg = g, ls, gs
				} else if !slices.Equal(g, ref) || ls != refl || gs != refg {
					t.Errorf("n=%d sq=%v: level %v differs from portable", n, sq, l)
				}
			})
		}
	}
}

// validRef is device.Check.Valid's definition of the float checks.
func validRef(kind CheckKind, v, lo, hi float64) bool {
	switch kind {
	case CheckRange:
		return v >= lo && v <= hi && (!math.IsInf(v, 0) || math.IsInf(lo, -1) && v < 0 || math.IsInf(hi, 1) && v > 0)
	case CheckFinite:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case CheckSign:
		return v == 1 || v == -1
	case CheckBinary:
		return v == 0 || v == 1
	}
	return false
}

func TestFind64AndLabels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	special := []float64{0, 1, -1, 0.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, 1e-300, 0.1}
	bounds := [][2]float64{{0, 1}, {0, math.MaxFloat64}, {0, math.Inf(1)}, {math.Inf(-1), math.Inf(1)}, {0.1, 0.3}}
	for _, kind := range []CheckKind{CheckRange, CheckFinite, CheckSign, CheckBinary} {
		for _, bd := range bounds {
			for _, n := range []int{0, 1, 33, ElemChunk + 40, 3 * ElemChunk} {
				for trial := range 4 {
					x := make([]float64, n)
					for i := range x {
						switch kind {
						case CheckSign:
							x[i] = float64(1 - 2*r.IntN(2))
						case CheckBinary:
							x[i] = float64(r.IntN(2))
						default:
							x[i] = bd[0] + r.Float64()*min(bd[1]-bd[0], 1)
						}
					}
					if trial > 0 && n > 0 {
						for range trial {
							x[r.IntN(n)] = special[r.IntN(len(special))]
						}
					}
					want := -1
					for i, v := range x {
						if !validRef(kind, v, bd[0], bd[1]) {
							want = i
							break
						}
					}
					if got := Find64(x, kind, bd[0], bd[1]); got != want {
						t.Errorf("kind %d bounds %v n=%d: first failing %d, want %d", kind, bd, n, got, want)
					}
				}
			}
		}
	}
	l := make([]int32, 3*ElemChunk)
	if got := FindLabels(l, 0, 5, -100); got != -1 {
		t.Errorf("FindLabels: %d, want -1", got)
	}
	l[2*ElemChunk+7], l[2*ElemChunk+9] = 5, -100
	if got := FindLabels(l, 0, 5, -100); got != 2*ElemChunk+7 {
		t.Errorf("FindLabels: %d, want %d", got, 2*ElemChunk+7)
	}
}

func TestTripDist(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for n := range 70 {
			a, p, q := randF32(r, n, 1), randF32(r, n, 1), randF32(r, n, 1)
			dp, dn, ds := tripDist(a, p, q, 1e-6)
			if dp != sqDist(a, p, 1e-6) || dn != sqDist(a, q, 1e-6) || ds != sqDist(p, q, 1e-6) {
				t.Errorf("n=%d: tripDist %v %v %v, sqDist %v %v %v", n, dp, dn, ds, sqDist(a, p, 1e-6), sqDist(a, q, 1e-6), sqDist(p, q, 1e-6))
			}
		}
	})
}

func TestRowStats(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for n := 1; n < 70; n++ {
			x, y := randF32(r, n, 3), randF32(r, n, 1)
			if n == 40 {
				x[33] = float32(math.NaN())
			}
			m, stx, st, sx := rowStats(x, y)
			wm := maxF32(x)
			a, b, c := sums3(y, x)
			same := func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) || p != p && q != q }
			if !(m == wm || m != m && wm != wm) || !same(stx, a) || !same(st, b) || !same(sx, c) {
				t.Errorf("n=%d: rowStats %v %v %v %v, want %v %v %v %v", n, m, stx, st, sx, wm, a, b, c)
			}
		}
	})
}

// TestSigmoidsSameBits checks sigmoids32 against vmath.Sigmoid of x and of −x, bit for bit, at
// every level and every tail length, over random logits, ±30-scale values, the specials and a
// sweep of float32 bit patterns.
func TestSigmoidsSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := append(randF32(r, 997, 1), randF32(r, 997, 30)...)
	inf := float32(math.Inf(1))
	x = append(x, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 88.8, -88.8, 104, -104,
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32)
	for b := uint32(0); b < 1<<32-1<<20; b += 1<<20 + 7 {
		x = append(x, math.Float32frombits(b))
	}
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b) }
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for _, n := range []int{0, 1, 15, 16, 17, 33, len(x)} {
			xs := x[:n]
			p, q := make([]float32, n), make([]float32, n)
			sigmoids32(p, q, xs)
			wp, wq := make([]float32, n), make([]float32, n)
			vmath.Sigmoid(wp, xs)
			for i, v := range xs {
				wq[i] = -v
			}
			vmath.Sigmoid(wq, wq)
			for i := range xs {
				if !same(p[i], wp[i]) || !same(q[i], wq[i]) {
					t.Errorf("n=%d: sigmoids32(%g) = (%g, %g), vmath.Sigmoid of ±x (%g, %g)", n, xs[i], p[i], q[i], wp[i], wq[i])
					break
				}
			}
		}
	})
}
