package vmath

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"
	"unsafe"
)

// forLevels runs f once per level this machine has, with that level active.
func forLevels(t *testing.T, f func(t *testing.T, l Level)) {
	t.Helper()
	prev := Active()
	defer Use(prev)
	for _, l := range Available() {
		t.Run(l.String(), func(t *testing.T) {
			if err := Use(l); err != nil {
				t.Fatal(err)
			}
			f(t, l)
		})
	}
}

func TestKargsLayout(t *testing.T) {
	var a kargs
	for _, c := range []struct {
		name     string
		got, off uintptr
	}{
		{"x", unsafe.Offsetof(a.x), 0}, {"y", unsafe.Offsetof(a.y), 24}, {"z", unsafe.Offsetof(a.z), 48},
		{"w", unsafe.Offsetof(a.w), 72}, {"cw", unsafe.Offsetof(a.cw), 96}, {"ps", unsafe.Offsetof(a.ps), 120},
		{"gx", unsafe.Offsetof(a.gx), 144}, {"gy", unsafe.Offsetof(a.gy), 168}, {"gz", unsafe.Offsetof(a.gz), 192},
		{"h", unsafe.Offsetof(a.h), 216}, {"n", unsafe.Offsetof(a.n), 240}, {"scale", unsafe.Offsetof(a.scale), 248},
		{"p", unsafe.Offsetof(a.p), 252}, {"nt", unsafe.Offsetof(a.nt), 284}, {"sums", unsafe.Offsetof(a.sums), 288},
	} {
		if c.got != c.off {
			t.Errorf("kargs.%s at offset %d, the assembly reads it at %d", c.name, c.got, c.off)
		}
	}
	if got := unsafe.Offsetof(a.flags); got != 480 {
		t.Errorf("kargs.flags at offset %d, the assembly writes it at 480", got)
	}
	if s := unsafe.Sizeof(a); s != 544 {
		t.Errorf("kargs is %d bytes, want 544", s)
	}
}

func TestAvailable(t *testing.T) {
	av := Available()
	if len(av) == 0 || av[0] != Portable {
		t.Fatalf("Available() = %v, want Portable first", av)
	}
	if err := Use(Level(7)); err == nil {
		t.Errorf("Use(Level(7)) succeeded")
	}
	t.Logf("levels: %v, active %v", av, Active())
}

// ulpErr returns |got − ref| in float32 ulps at ref, with the rules of the package comment.
// Infinite or NaN references must be matched exactly (NaN by any NaN).
func ulpErr(got float32, ref float64) float64 {
	if math.IsNaN(ref) {
		if got != got {
			return 0
		}
		return math.Inf(1)
	}
	r32 := float32(ref)
	if math.IsInf(float64(r32), 0) || math.IsInf(ref, 0) {
		if got == r32 {
			return 0
		}
		return math.Inf(1)
	}
	g := float64(got)
	if math.IsInf(g, 0) || g != g {
		return math.Inf(1)
	}
	a := math.Abs(ref)
	ulp := math.Ldexp(1, -149)
	if a >= 0x1p-126 {
		_, e := math.Frexp(a) // a = m·2^e, m ∈ [½, 1)
		ulp = math.Ldexp(1, e-24)
	}
	return math.Abs(g-ref) / ulp
}

func refSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func refSoftplus(x float64) float64 { return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

type unary struct {
	name  string
	f     func(dst, x []float32)
	ref   func(float64) float64
	bound float64
}

var unaries = []unary{
	{"Exp", Exp, math.Exp, 1.1},
	{"Log", Log, math.Log, 1},
	{"Log1p", Log1p, math.Log1p, 1},
	{"Tanh", Tanh, math.Tanh, 2},
	{"Sigmoid", Sigmoid, refSigmoid, 3},
	{"Softplus", Softplus, refSoftplus, 2},
}

// specials are the inputs every function is checked at: zeros, infinities, NaN, subnormals,
// the ends of the normal range, and the overflow and underflow edges of exp.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 2, -2, 0.5, -0.5,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.Float32frombits(1), -math.Float32frombits(1), math.Float32frombits(0x007fffff), -math.Float32frombits(0x007fffff),
	0x1p-126, -0x1p-126, math.MaxFloat32, -math.MaxFloat32,
	88.72283, 88.72284, 88.7, 88.8, 89, 100, -87.33654, -87.34, -103.27893, -103.97, -103.972, -104, -105, -1e4, 1e4,
	0.34657359, -0.34657359, 0.5493, -0.5493, 0.54930615, 9.01, -9.01, 44.4, 1e-8, -1e-8, 1e-20, -0.99999994, -1.0000001,
	0.70710677, 1.4142135, 16777216, -16777216, 3e38,
}

func sweepStep() uint64 {
	if os.Getenv("GLOSS_VMATH_EXHAUSTIVE") == "1" {
		return 1
	}
	if testing.Short() {
		return 65521
	}
	return 2039 // a prime: about 2.1 million inputs spread over every exponent
}

// TestUnaryAccuracy checks each function's error bound against float64 math over a sweep of
// the float32 bit patterns (every one with GLOSS_VMATH_EXHAUSTIVE=1, on the best level; and
// only the function GLOSS_VMATH_ONLY names, when set), on every level.
func TestUnaryAccuracy(t *testing.T) {
	step := sweepStep()
	forLevels(t, func(t *testing.T, l Level) {
		if step == 1 && l != available[len(available)-1] {
			t.Skip("the exhaustive sweep runs on the best level only; TestLevelsAgree checks that the others give the same bits")
		}
		const block = 1 << 16
		xs := make([]float32, 0, block)
		dst := make([]float32, block)
		for _, u := range unaries {
			if only := os.Getenv("GLOSS_VMATH_ONLY"); only != "" && only != u.name {
				continue
			}
			worst, worstX := 0.0, float32(0)
			check := func() {
				u.f(dst[:len(xs)], xs)
				for i, x := range xs {
					if e := ulpErr(dst[i], u.ref(float64(x))); e > worst {
						worst, worstX = e, x
					}
				}
				xs = xs[:0]
			}
			xs = append(xs, specials...)
			check()
			for b := uint64(0); b < 1<<32; b += step {
				xs = append(xs, math.Float32frombits(uint32(b)))
				if len(xs) == block {
					check()
				}
			}
			check()
			if worst > u.bound {
				t.Errorf("%s on %v: error %.4g ulp at x = %v (%#x): got %v, want %v within %g ulp", u.name, l, worst, worstX,
					math.Float32bits(worstX), one(u.f, worstX), u.ref(float64(worstX)), u.bound)
			} else {
				t.Logf("%s on %v: max error %.4f ulp (bound %g)", u.name, l, worst, u.bound)
			}
		}
	})
}

func one(f func(dst, x []float32), x float32) float32 {
	d := []float32{0}
	f(d, []float32{x})
	return d[0]
}

// TestLevelsAgree checks that every level gives the portable level's bits, on random and
// special inputs of every length up to 70 (tails) and a long one.
func TestLevelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	gen := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			switch r.IntN(4) {
			case 0:
				x[i] = specials[r.IntN(len(specials))]
			case 1:
				x[i] = math.Float32frombits(r.Uint32())
			default:
				x[i] = float32(r.NormFloat64() * 10)
			}
		}
		return x
	}
	var cases, ys [][]float32
	for _, n := range append(seq(71), 10007) {
		cases = append(cases, gen(n))
		ys = append(ys, gen(n))
	}
	type result struct {
		maps [][]float32
		sums []float64
	}
	run := func() result {
		var res result
		for ci, x := range cases {
			y := ys[ci]
			for _, u := range unaries {
				d := make([]float32, len(x))
				u.f(d, x)
				res.maps = append(res.maps, d)
			}
			d := make([]float32, len(x))
			ExpShiftScale(d, x, 1.5, 0.25)
			res.maps = append(res.maps, d)
			ax := append([]float32(nil), y...)
			Axpy(ax, 1.25, x)
			res.maps = append(res.maps, ax)
			res.sums = append(res.sums, Sum(x), Dot(x, y), SumExp(x, 3), float64(Max(x)))
		}
		return res
	}
	prev := Active()
	defer Use(prev)
	Use(Portable)
	want := run()
	forLevels(t, func(t *testing.T, l Level) {
		got := run()
		for i := range want.maps {
			for j := range want.maps[i] {
				a, b := got.maps[i][j], want.maps[i][j]
				if math.Float32bits(a) != math.Float32bits(b) && !(a != a && b != b) {
					t.Errorf("%v: map result %d element %d of %d: %v (%#x), portable gives %v (%#x)", l, i, j,
						len(want.maps[i]), a, math.Float32bits(a), b, math.Float32bits(b))
					break
				}
			}
		}
		for i := range want.sums {
			a, b := got.sums[i], want.sums[i]
			if i%4 == 3 && a == b { // Max: the sign of a zero maximum is unspecified
				continue
			}
			if math.Float64bits(a) != math.Float64bits(b) && !(a != a && b != b) {
				t.Errorf("%v: sum %d: %v, portable gives %v", l, i, a, b)
			}
		}
	})
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestSums checks Sum, Dot and SumExp against float64 sums and the lane order.
func TestSums(t *testing.T) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	forLevels(t, func(t *testing.T, l Level) {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 65537} {
			x := make([]float32, n)
			y := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
				y[i] = float32(r.NormFloat64())
			}
			var lx, lxy, le [8]float64
			for i := range x {
				lx[i&7] += float64(x[i])
				lxy[i&7] = math.FMA(float64(x[i]), float64(y[i]), lxy[i&7])
				le[i&7] += math.Exp(float64(x[i] - 0.5))
			}
			fold := func(s [8]float64) float64 {
				return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
			}
			if got, want := Sum(x), fold(lx); got != want {
				t.Errorf("%v: Sum of %d: %v, want %v (the lane order)", l, n, got, want)
			}
			if got, want := Dot(x, y), fold(lxy); got != want {
				t.Errorf("%v: Dot of %d: %v, want %v (the lane order)", l, n, got, want)
			}
			if got, want := SumExp(x, 0.5), fold(le); math.Abs(got-want) > 1.2e-7*want {
				t.Errorf("%v: SumExp of %d: %v, want %v", l, n, got, want)
			}
		}
		if got := Max([]float32{1, float32(math.NaN()), 3}); got == got {
			t.Errorf("Max with a NaN = %v", got)
		}
		if got := Max(nil); !math.IsInf(float64(got), -1) {
			t.Errorf("Max(nil) = %v, want −Inf", got)
		}
		if got := Max([]float32{-3, 7, 2}); got != 7 {
			t.Errorf("Max = %v, want 7", got)
		}
	})
}

// TestInPlace checks that dst may be the input slice.
func TestInPlace(t *testing.T) {
	forLevels(t, func(t *testing.T, l Level) {
		x := []float32{-3, -1, 0, 0.5, 2, 30, 80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
		want := make([]float32, len(x))
		Exp(want, x)
		Exp(x, x)
		for i := range x {
			if x[i] != want[i] {
				t.Errorf("%v: in-place Exp[%d] = %v, want %v", l, i, x[i], want[i])
			}
		}
	})
}

func BenchmarkExp(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200) - 100
	}
	d := make([]float32, len(x))
	for _, l := range Available() {
		b.Run(l.String(), func(b *testing.B) {
			prev := Active()
			Use(l)
			defer Use(prev)
			b.SetBytes(int64(8 * len(x)))
			for b.Loop() {
				Exp(d, x)
			}
		})
	}
}
