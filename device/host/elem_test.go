package host

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/internal/vmath"
)

// elemCase is one elementwise evaluation: a loss with parameters, inputs and options.
type elemCase struct {
	name    string
	p       [8]float64
	n, c    int
	weights int // 0 none, 1 per element, 2 per row
	cw      bool
	mode    int // 0 value, 1 gradients, 2 and the Hessian
	inPlace bool
}

// domains draws each input of a loss from its domain: targets in [0, 1], ±1, {0, 1} or ≥ 0
// where the loss needs it, moderate logits with a few extremes otherwise.
func fill(r *rand.Rand, name string, p [8]float64, x, y, z []float32) {
	logit := func() float32 {
		if r.IntN(20) == 0 {
			return []float32{1e4, -1e4, 100, -100, 30, -30}[r.IntN(6)]
		}
		return float32(r.NormFloat64() * 3)
	}
	for i := range x {
		x[i] = logit()
		y[i] = float32(r.NormFloat64() * 2)
		switch name {
		case "bce":
			x[i] = float32(r.Float64())
			y[i] = float32(r.Float64())
		case "bce_with_logits", "focal", "kl_div":
			y[i] = float32(r.Float64())
			if r.IntN(3) == 0 {
				y[i] = float32(r.IntN(2))
			}
			if name == "kl_div" && p[0] != 0 {
				y[i] = float32(-3 * r.Float64())
			}
		case "hinge", "squared_hinge", "soft_margin":
			y[i] = float32(2*r.IntN(2) - 1)
		case "contrastive":
			x[i] = float32(math.Abs(r.NormFloat64() * 2))
			y[i] = float32(r.IntN(2))
		case "poisson", "tweedie":
			y[i] = float32(r.IntN(8))
			x[i] = float32(r.NormFloat64())
			if name == "poisson" && p[0] == 0 {
				x[i] = float32(math.Exp(r.NormFloat64()))
			}
		case "gaussian_nll":
			z[i] = float32(math.Exp(r.NormFloat64()))
			if r.IntN(10) == 0 {
				z[i] = 0
			}
		}
	}
}

// params lists the parameter sets each loss is run with: defaults and the edges of the
// domains (ρ within 1e-6 of 1 and 2, α = 0, 1, −1e-50, γ = 0 and ½, δ and β at 1e-3).
var params = map[string][][8]float64{
	"mse": {{}}, "mae": {{}}, "log_cosh": {{}}, "bce": {{}}, "soft_margin": {{}}, "bpr": {{}}, "pairwise_logistic": {{}},
	"huber":           {{1}, {1e-3}, {100}},
	"smooth_l1":       {{1}, {0}, {1e-3}},
	"pseudo_huber":    {{1}, {1e-3}, {3}},
	"quantile":        {{0.5}, {0.01}, {0.99}},
	"poisson":         {{1, 0, 1e-8}, {1, 1, 1e-8}, {0, 0, 1e-8}, {0, 1, 0.5}},
	"tweedie":         {{1.5}, {1 + 1e-6}, {2 - 1e-6}},
	"gaussian_nll":    {{0, 1e-6}, {1, 0.5}},
	"bce_with_logits": {{1}, {3}, {0}},
	"focal":           {{2, 0.25}, {0, 0.25}, {0.5, -1}, {2, 0}, {2, 1}, {0.5, -1e-50}},
	"hinge":           {{1}, {0.5}},
	"squared_hinge":   {{1}, {2}},
	"kl_div":          {{0}, {1}},
	"pairwise_hinge":  {{0}, {1}},
	"contrastive":     {{1}, {2}},
	"penalty":         {{0.1, 0.01}, {0, 1}},
}

type elemOut struct {
	sums                 []float64
	ps, gx, gy, gz, h, x []float32
}

func runCase(t *testing.T, c elemCase, seed uint64) elemOut {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	n := c.n * c.c
	a := &Args[float32]{N: c.n, C: c.c, P: c.p, X: make([]float32, n), Y: make([]float32, n), Scale: 0.75}
	if c.name == "gaussian_nll" {
		a.Z = make([]float32, n)
	}
	fill(r, c.name, c.p, a.X, a.Y, a.Z)
	if c.name == "penalty" {
		a.Y = nil
	}
	switch c.weights {
	case 1:
		a.Weight = make([]float32, n)
	case 2:
		a.Weight = make([]float32, c.n)
	}
	for i := range a.Weight {
		a.Weight[i] = float32(r.IntN(9)) / 4
	}
	if c.cw {
		a.ClassWeight = make([]float32, c.c)
		for i := range a.ClassWeight {
			a.ClassWeight[i] = float32(r.IntN(13)) / 4
		}
	}
	a.PerSample = make([]float32, n)
	if c.mode >= 1 {
		a.GX = make([]float32, n)
		if c.inPlace {
			a.GX = a.X
		}
		switch c.name {
		case "bpr", "pairwise_logistic", "pairwise_hinge", "contrastive":
			a.GY = make([]float32, n)
		case "gaussian_nll":
			a.GZ = make([]float32, n)
		}
	}
	if c.mode == 2 {
		a.Hess = make([]float32, n)
	}
	k, ok := Lookup(c.name)
	if !ok {
		t.Fatalf("no engine kernel %q", c.name)
	}
	return elemOut{sums: k.Run32(a), ps: a.PerSample, gx: a.GX, gy: a.GY, gz: a.GZ, h: a.Hess, x: a.X}
}

func elemCases(short bool) []elemCase {
	var cs []elemCase
	for name, ps := range params {
		for _, p := range ps {
			shapes := [][2]int{{1, 1}, {37, 1}, {9, 7}, {3000, 3}}
			if short {
				shapes = shapes[1:3]
			}
			for _, sh := range shapes {
				for w := range 3 {
					for mode := range 3 {
						cs = append(cs, elemCase{name: name, p: p, n: sh[0], c: sh[1], weights: w, mode: mode,
							cw: name == "bce_with_logits" && w == 1, inPlace: mode == 1 && w == 2})
					}
				}
			}
		}
	}
	return cs
}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

func sameOut(t *testing.T, what string, got, want elemOut) {
	t.Helper()
	for i := range want.sums {
		if math.Float64bits(got.sums[i]) != math.Float64bits(want.sums[i]) && !(got.sums[i] != got.sums[i] && want.sums[i] != want.sums[i]) {
			t.Errorf("%s: sums[%d] = %v, want %v (the same bits)", what, i, got.sums[i], want.sums[i])
		}
	}
	for k, pair := range [][2][]float32{{got.ps, want.ps}, {got.gx, want.gx}, {got.gy, want.gy}, {got.gz, want.gz}, {got.h, want.h}} {
		if i := sameBits(pair[0], pair[1]); i >= 0 {
			t.Errorf("%s: output %d element %d = %v, want %v (the same bits)", what, k, i, pair[0][i], pair[1][i])
		}
	}
}

// TestElemLevelsAgree checks that AVX-512, AVX2 and portable Go give the same bits for every
// elementwise loss, parameter edge, shape, weighting and mode.
func TestElemLevelsAgree(t *testing.T) {
	if len(vmath.Available()) == 1 {
		t.Skip("only the portable level on this machine: nothing to compare")
	}
	prev := vmath.Active()
	defer vmath.Use(prev)
	seed := uint64(time.Now().UnixNano())
	for i, c := range elemCases(testing.Short()) {
		vmath.Use(vmath.Portable)
		want := runCase(t, c, seed+uint64(i))
		for _, l := range vmath.Available()[1:] {
			vmath.Use(l)
			got := runCase(t, c, seed+uint64(i))
			sameOut(t, fmt.Sprintf("%s %v n=%d c=%d w=%d mode=%d on %v (seed %d)", c.name, c.p[:3], c.n, c.c, c.weights, c.mode, l, seed+uint64(i)), got, want)
		}
	}
}

// TestElemGOMAXPROCS checks that the sums and outputs do not depend on the number of threads.
func TestElemGOMAXPROCS(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	seed := uint64(time.Now().UnixNano())
	for _, name := range []string{"mse", "huber", "bce_with_logits", "focal", "gaussian_nll", "pairwise_logistic"} {
		c := elemCase{name: name, p: params[name][0], n: 3*elemChunk + 777, c: 1, weights: 1, mode: 2, cw: name == "bce_with_logits"}
		runtime.GOMAXPROCS(1)
		want := runCase(t, c, seed)
		for _, procs := range []int{2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			sameOut(t, fmt.Sprintf("%s with GOMAXPROCS %d (seed %d)", name, procs, seed), runCase(t, c, seed), want)
		}
	}
}

// TestElemAgainstReference compares every case with cpuref (float64 arithmetic on the same
// float32 inputs) within the float32 tolerance of the loss specs: |got − ref| ≤ 1e-5·scale +
// 1e-4·|ref| for outputs, 1e-5 + 1e-4·|ref| for sums.
func TestElemAgainstReference(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	for i, c := range elemCases(true) {
		got := runCase(t, c, seed+uint64(i))
		c64 := c
		ref := refCase(t, c64, seed+uint64(i))
		what := fmt.Sprintf("%s %v n=%d c=%d w=%d mode=%d (seed %d)", c.name, c.p[:3], c.n, c.c, c.weights, c.mode, seed+uint64(i))
		for k := range ref.sums {
			if !close32(got.sums[k], ref.sums[k], 1e-5) {
				t.Errorf("%s: sums[%d] = %v, reference %v", what, k, got.sums[k], ref.sums[k])
			}
		}
		for k, pair := range [][2][]float32{{got.ps, ref.ps}, {got.gx, ref.gx}, {got.gy, ref.gy}, {got.gz, ref.gz}, {got.h, ref.h}} {
			for j := range pair[1] {
				if !close32(float64(pair[0][j]), float64(pair[1][j]), 1e-5*0.75) {
					t.Errorf("%s: output %d element %d = %v, reference %v", what, k, j, pair[0][j], pair[1][j])
					break
				}
			}
		}
	}
}

func close32(got, ref, abs float64) bool {
	if ref != ref || got != got {
		return ref != ref && got != got
	}
	if math.IsInf(ref, 0) || math.IsInf(got, 0) {
		return got == ref
	}
	return math.Abs(got-ref) <= abs+1e-4*math.Abs(ref)
}

// refCase runs a case on cpuref (float64 arithmetic, outputs rounded to float32).
func refCase(t *testing.T, c elemCase, seed uint64) elemOut {
	t.Helper()
	saved, had := kernels[c.name]
	ref, _ := cpuref.Lookup(c.name)
	kernels[c.name] = &Kernel{Name: c.name, Run32: func(a *Args[float32]) []float64 {
		return ref.Run32((*cpuref.Args[float32])(a), cpuref.Serial)
	}}
	defer func() {
		if had {
			kernels[c.name] = saved
		}
	}()
	return runCase(t, c, seed)
}

// TestElemOverflow checks that values beyond float32's range inside a term come out as float64
// arithmetic gives them (the block is recomputed by the reference).
func TestElemOverflow(t *testing.T) {
	k, _ := Lookup("mse")
	a := &Args[float32]{N: 3, C: 1, X: []float32{3e38, 1, 2}, Y: []float32{-3e38, 1, 0}, Scale: 1, GX: make([]float32, 3)}
	s := k.Run32(a)
	want := 6e38*6e38 + 4
	if math.Abs(s[0]-want) > 1e-6*want {
		t.Errorf("mse over (3e38, −3e38): sum %v, want %v (float64 arithmetic)", s[0], want)
	}
	if !math.IsInf(float64(a.GX[0]), 1) || a.GX[2] != 4 {
		t.Errorf("mse over (3e38, −3e38): grad %v, want [+Inf 0 4]", a.GX)
	}
	p, _ := Lookup("penalty")
	b := &Args[float32]{N: 2, C: 1, X: []float32{3e38, -1}, P: [8]float64{1, 0}}
	if s := p.Run32(b); s[0] != 3e38+1 && math.Abs(s[0]-(float64(float32(3e38))+1)) > 1e30 {
		t.Errorf("penalty l1=1, l2=0 over 3e38: sum %v, want 3e38 + 1 (not 0·Inf)", s[0])
	}
}

// TestElemNaN checks that a NaN input gives NaN in its own outputs and in the sums, as IEEE
// arithmetic (and cpuref) do. Its block is recomputed in float64 (so its other elements agree
// to float32 rounding); every other block keeps its bits.
func TestElemNaN(t *testing.T) {
	for _, name := range []string{"mse", "huber", "bce_with_logits", "focal", "log_cosh", "tweedie"} {
		c := elemCase{name: name, p: params[name][0], n: 5000, c: 1, weights: 1, mode: 2}
		clean := runCase(t, c, 7)
		r := rand.New(rand.NewPCG(7, 3))
		n := c.n
		a := &Args[float32]{N: n, C: 1, P: c.p, X: make([]float32, n), Y: make([]float32, n), Scale: 0.75,
			Weight: make([]float32, n), PerSample: make([]float32, n), GX: make([]float32, n), Hess: make([]float32, n)}
		if name == "gaussian_nll" {
			a.Z = make([]float32, n)
		}
		fill(r, name, c.p, a.X, a.Y, a.Z)
		for i := range a.Weight {
			a.Weight[i] = float32(r.IntN(9)) / 4
		}
		const at = 2345
		a.X[at] = float32(math.NaN())
		k, _ := Lookup(name)
		s := k.Run32(a)
		if !math.IsNaN(s[0]) {
			t.Errorf("%s with a NaN input: sum %v, want NaN", name, s[0])
		}
		for i := range n {
			want := clean.gx[i]
			if i == at {
				if a.Weight[i] != 0 && !math.IsNaN(float64(a.GX[i])) {
					t.Errorf("%s: grad at the NaN input = %v, want NaN", name, a.GX[i])
				}
				continue
			}
			if i/elemBlock == at/elemBlock {
				if !close32(float64(a.GX[i]), float64(want), 1e-7) {
					t.Errorf("%s: grad[%d] = %v in the NaN input's block, %v without it", name, i, a.GX[i], want)
					break
				}
			} else if math.Float32bits(a.GX[i]) != math.Float32bits(want) {
				t.Errorf("%s: grad[%d] = %v beside a NaN input's block, %v without it", name, i, a.GX[i], want)
				break
			}
		}
	}
}

// TestElemCancellation checks that a sum whose float32 terms cancel (Poisson terms of 1e4
// adding up to 2) comes out as float64 arithmetic gives it.
func TestElemCancellation(t *testing.T) {
	x := []float32{100, 7.5, 1e-30, 2.25, 10000, 3, 30, 0.25, 100}
	y := []float32{5.5, 1e-30, 5.25, 10000, 0, 88.7, 2.75, 100, 2.5}
	a := &Args[float32]{N: len(x), C: 1, X: x, Y: y, P: [8]float64{0, 0, 0.5}, Scale: 1, GX: make([]float32, len(x))}
	k, _ := Lookup("poisson")
	got := k.Run32(a)
	ref, _ := cpuref.Lookup("poisson")
	r := *(*cpuref.Args[float32])(a)
	r.GX = make([]float32, len(x))
	want := ref.Run32(&r, cpuref.Serial)
	if math.Abs(got[0]-want[0]) > 1e-9*math.Abs(want[0]) {
		t.Errorf("poisson sum of cancelling terms = %v, float64 reference %v", got[0], want[0])
	}
	if !cancels(want[0], want[1], 2e4) || cancels(5, 9, 5) {
		t.Errorf("cancels: wrong decision")
	}
}

// TestNonTemporalStores checks that the non-temporal stores of large outputs change nothing
// but the cache traffic: every elementwise loss, with and without weights, gradients and the
// Hessian, at every vector level, gives the same bits with ntMinBytes at 0 (every aligned call
// streams) as with it out of reach; and that outputs not aligned to 64 bytes never stream.
func TestNonTemporalStores(t *testing.T) {
	old := ntMinBytes
	defer func() { ntMinBytes = old }()
	seed := uint64(time.Now().UnixNano())
	atLevels(t, func(t *testing.T, _ vmath.Level) {
		for name, ps := range params {
			for w := range 2 {
				for mode := 1; mode <= 2; mode++ {
					c := elemCase{name: name, p: ps[0], n: 50_003, c: 1, weights: w, mode: mode}
					ntMinBytes = math.MaxInt
					want := runCase(t, c, seed)
					ntMinBytes = 0
					got := runCase(t, c, seed)
					if !streamOutputs(c.n, got.ps, got.gx, got.gy, got.gz, got.h) {
						t.Fatalf("%s: the outputs of a %d-element call were not streamed (alignment %d)", name, c.n,
							uintptr(unsafe.Pointer(&got.ps[0]))%64)
					}
					for _, o := range [][2][]float32{{want.ps, got.ps}, {want.gx, got.gx}, {want.gy, got.gy}, {want.gz, got.gz}, {want.h, got.h}} {
						if i := sameBits(o[0], o[1]); i >= 0 {
							t.Errorf("%s weights=%d mode=%d: streamed output [%d] = %g, cached %g", name, w, mode, i, o[1][i], o[0][i])
						}
					}
					for i := range want.sums {
						if math.Float64bits(want.sums[i]) != math.Float64bits(got.sums[i]) {
							t.Errorf("%s weights=%d mode=%d: sums[%d] = %g streamed, %g cached", name, w, mode, i, got.sums[i], want.sums[i])
						}
					}
				}
			}
		}
	})
	ntMinBytes = 0
	buf := make([]float32, 4097)
	if streamOutputs(4096, buf[1:]) {
		t.Errorf("an output 4 bytes past a 64-byte boundary would be streamed")
	}
	k, _ := Lookup("mse")
	x, y := randF32(rand.New(rand.NewPCG(seed, 9)), 4096, 1), randF32(rand.New(rand.NewPCG(seed, 10)), 4096, 1)
	k.Run32(&Args[float32]{N: 4096, C: 1, X: x, Y: y, GX: buf[1:], Scale: 1}) // must not fault
	for i, v := range buf[1:] {
		if want := 2 * (x[i] - y[i]); v != want {
			t.Fatalf("unaligned gradient [%d] = %g, want %g", i, v, want)
		}
	}
}
