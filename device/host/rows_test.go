package host_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device/host"
	"github.com/gloss-ml/gloss/internal/vmath"
)

// A case of a row kernel or metric: its inputs in float64 (exactly representable in float32)
// and which outputs it writes.
type rowsCase struct {
	name   string
	n, c   int
	p      [8]float64
	x      []float64
	y, z   []float64
	labels []int32
	w, cw  []float64
	ignore int64
	bins   int
	grad   [3]bool // GX, GY, GZ
	per    bool
	scale  float64
}

// rowsCases draws the cases: every kernel of this package's row losses and metrics, with and
// without weights, long rows for the cross-entropy family (several blocks, some all −Inf),
// extreme logits, ignored rows and label smoothing with class weights.
func rowsCases(r *rand.Rand) []rowsCase {
	f32 := func(v float64) float64 { return float64(float32(v)) }
	randv := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = f32(scale * r.NormFloat64())
		}
		return v
	}
	unit := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = f32(r.Float64())
		}
		return v
	}
	binary := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(2))
		}
		return v
	}
	labels := func(n, hi int, ignore bool) []int32 {
		l := make([]int32, n)
		for i := range l {
			l[i] = int32(r.IntN(hi))
			if ignore && r.IntN(5) == 0 {
				l[i] = -100
			}
		}
		return l
	}
	probs := func(n, c int) []float64 {
		v := unit(n * c)
		for i := 0; i < n; i++ {
			var s float64
			for _, u := range v[i*c : (i+1)*c] {
				s += u
			}
			for j := range v[i*c : (i+1)*c] {
				v[i*c+j] = f32(v[i*c+j] / s)
			}
		}
		return v
	}
	var cs []rowsCase
	add := func(c rowsCase) { cs = append(cs, c) }
	for _, weighted := range []bool{false, true} {
		wt := func(n int) []float64 {
			if !weighted {
				return nil
			}
			return unit(n)
		}
		long := 2*4096 + 37
		// cross_entropy: long rows with a block of −Inf and extremes; smoothing, z-loss, class weights.
		for _, p := range [][2]float64{{0, 0}, {0.1, 0}, {0.2, 1e-3}} {
			for _, c := range []int{7, 1000, long} {
				n := 9
				x := randv(n*c, 3)
				if c == long {
					for j := 0; j < 4096; j++ {
						x[2*c+j] = math.Inf(-1) // row 2: its first block is all −Inf
					}
					x[3*c+5], x[3*c+9000] = 1e4, -1e4
				}
				var cw []float64
				if weighted {
					cw = unit(c)
				}
				add(rowsCase{name: "cross_entropy", n: n, c: c, p: [8]float64{p[0], p[1]}, x: x, labels: labels(n, c, true),
					w: wt(n), cw: cw, ignore: -100, grad: [3]bool{true}, per: true})
				add(rowsCase{name: "cross_entropy_probs", n: n, c: c, p: [8]float64{p[0]}, x: x, y: probs(n, c), w: wt(n), cw: cw,
					grad: [3]bool{true}, per: true})
			}
		}
		add(rowsCase{name: "nll", n: 40, c: 50, x: randv(40*50, 2), labels: labels(40, 50, true), w: wt(40), ignore: -100,
			grad: [3]bool{true}, per: true})
		for _, p := range [][2]float64{{1, 1}, {2, 0.5}} {
			add(rowsCase{name: "multi_margin", n: 30, c: 40, p: [8]float64{p[0], p[1]}, x: randv(1200, 1), labels: labels(30, 40, false),
				w: wt(30), ignore: math.MinInt64, grad: [3]bool{true}, per: true})
		}
		for _, c := range []int{1, 10, 600} {
			add(rowsCase{name: "corn", n: 50, c: c, x: randv(50*c, 3), labels: labels(50, c+1, false), w: wt(50),
				ignore: math.MinInt64, grad: [3]bool{true}, per: true})
		}
		for _, p := range [][4]float64{{1, 2, 1e-6, 0}, {1, 2, 1e-6, 1}, {0.3, 1, 1e-6, 0}, {1, 1.5, 0, 0}} {
			add(rowsCase{name: "triplet", n: 40, c: 37, p: [8]float64{p[0], p[1], p[2], p[3]}, x: randv(40*37, 1),
				y: randv(40*37, 1), z: randv(40*37, 1), w: wt(40), grad: [3]bool{true, true, true}, per: true})
		}
		for _, p := range [][3]float64{{0.07, 1, 0}, {0.07, 1, 1}, {2, 0, 0}, {0.5, 0, 1}} {
			add(rowsCase{name: "info_nce", n: 70, c: 13, p: [8]float64{p[0], p[1], p[2]}, x: randv(70*13, 1),
				y: randv(70*13, 1), w: wt(70), grad: [3]bool{true, true}, per: true})
		}
		seg := map[string][8]float64{"dice": {1e-7, 1}, "iou": {1e-7, 0}, "tversky": {0.7, 0.3, 1e-7, 1},
			"focal_tversky": {0.5, 0.5, 1e-7, 1, 0.75}, "bce_dice": {0.5, 2, 1e-7}}
		for _, name := range []string{"dice", "iou", "tversky", "focal_tversky", "bce_dice"} {
			p := seg[name]
			x := randv(12*3000, 3)
			if (name == "iou") || (name == "dice" && p[1] == 0) {
				x = unit(12 * 3000)
			}
			add(rowsCase{name: name, n: 12, c: 3000, p: p, x: x, y: binary(12 * 3000), w: wt(12), grad: [3]bool{true}, per: true})
		}
		add(rowsCase{name: "accuracy", n: 200, c: 33, x: randv(200*33, 1), labels: labels(200, 33, true), w: wt(200), ignore: -100})
		add(rowsCase{name: "accuracy", n: 200, c: 1, p: [8]float64{0.1}, x: randv(200, 1), labels: labels(200, 2, true), w: wt(200), ignore: -100})
		for _, name := range []string{"f1", "binary_iou"} {
			add(rowsCase{name: name, n: 3000, c: 3, p: [8]float64{0.5}, x: unit(9000), y: binary(9000), w: wt(3000)})
		}
		add(rowsCase{name: "macro_f1", n: 500, c: 10, x: randv(5000, 1), labels: labels(500, 10, true), w: wt(500), ignore: -100})
		add(rowsCase{name: "calibration", n: 500, c: 10, p: [8]float64{15, 1}, bins: 15, x: randv(5000, 2), labels: labels(500, 10, true),
			w: wt(500), ignore: -100})
		add(rowsCase{name: "calibration", n: 500, c: 1, p: [8]float64{7, 1}, bins: 7, x: randv(500, 2), labels: labels(500, 2, true),
			w: wt(500), ignore: -100})
		xs := randv(5000, 1)
		for i := range xs {
			xs[i] = math.Round(xs[i]*8) / 8 // many ties
		}
		add(rowsCase{name: "auc", n: 1000, c: 5, x: xs, y: binary(5000), w: wt(1000)})
	}
	for i := range cs {
		cs[i].scale = 1 / float64(cs[i].n)
	}
	return cs
}

// runCase runs the engine's kernel on c in T and returns its sums and outputs as float64.
func runCase[T float32 | float64](c rowsCase, inPlace bool) (sums []float64, out [4][]float64) {
	k, ok := host.Lookup(c.name)
	if !ok {
		panic("no kernel " + c.name)
	}
	a := &host.Args[T]{N: c.n, C: c.c, P: c.p, Ignore: c.ignore, Scale: c.scale, Bins: c.bins,
		X: conv[T](c.x), Y: conv[T](c.y), Z: conv[T](c.z), Labels: c.labels, Weight: conv[T](c.w), ClassWeight: conv[T](c.cw)}
	if c.per {
		a.PerSample = make([]T, c.n)
	}
	nc := c.n * c.c
	if c.grad[0] {
		a.GX = make([]T, nc)
		if inPlace {
			a.GX = a.X
		}
	}
	if c.grad[1] {
		a.GY = make([]T, nc)
	}
	if c.grad[2] {
		a.GZ = make([]T, nc)
	}
	var z T
	if _, ok := any(z).(float32); ok {
		sums = k.Run32(any(a).(*host.Args[float32]))
	} else {
		sums = k.Run64(any(a).(*host.Args[float64]))
	}
	return sums, [4][]float64{conv[float64](a.PerSample), conv[float64](a.GX), conv[float64](a.GY), conv[float64](a.GZ)}
}

// refCase runs cpuref on c (float64, Serial).
func refCase(c rowsCase) (sums []float64, out [4][]float64) {
	a := &cpuref.Args[float64]{N: c.n, C: c.c, P: c.p, Ignore: c.ignore, Scale: c.scale, Bins: c.bins,
		X: c.x, Y: c.y, Z: c.z, Labels: c.labels, Weight: c.w, ClassWeight: c.cw}
	nc := c.n * c.c
	if c.per {
		a.PerSample = make([]float64, c.n)
	}
	if c.grad[0] {
		a.GX = make([]float64, nc)
	}
	if c.grad[1] {
		a.GY = make([]float64, nc)
	}
	if c.grad[2] {
		a.GZ = make([]float64, nc)
	}
	sums, err := cpuref.Run(c.name, a, cpuref.Serial)
	if err != nil {
		panic(err)
	}
	return sums, [4][]float64{a.PerSample, a.GX, a.GY, a.GZ}
}

func conv[T, U float32 | float64](v []U) []T {
	if v == nil {
		return nil
	}
	o := make([]T, len(v))
	for i, x := range v {
		o[i] = T(x)
	}
	return o
}

// tol32 is the loss's float32 tolerance (package loss's spec values).
func tol32(name string) (abs, rel float64) {
	switch name {
	case "cross_entropy", "cross_entropy_probs":
		return 2e-5, 1e-4
	case "info_nce":
		return 5e-5, 2e-4
	}
	return 1e-5, 1e-4
}

// near reports whether got matches want: NaN with NaN, an infinity with itself (or with want
// rounded to float32), else within abs + rel·|want|.
func near(got, want, abs, rel float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	if got == want || got == float64(float32(want)) {
		return true
	}
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

var outNames = [4]string{"PerSample", "GX", "GY", "GZ"}

// TestRowsAgainstCpuref checks every case on float32 (the loss's float32 tolerance) and float64
// (1e-12 + 1e-10 relative) against cpuref.
func TestRowsAgainstCpuref(t *testing.T) {
	for ci, c := range rowsCases(rand.New(rand.NewPCG(11, 12))) {
		wsums, wout := refCase(c)
		for _, f64 := range []bool{false, true} {
			var sums []float64
			var out [4][]float64
			abs, rel := tol32(c.name)
			if f64 {
				sums, out = runCase[float64](c, false)
				abs, rel = 1e-12, 1e-10
			} else {
				sums, out = runCase[float32](c, false)
			}
			where := fmt.Sprintf("case %d %s n=%d c=%d p=%v weighted=%v float64=%v", ci, c.name, c.n, c.c, c.p[:5], c.w != nil, f64)
			for i := range wsums {
				if !near(sums[i], wsums[i], abs, rel) {
					t.Errorf("%s: sums[%d] = %v, cpuref %v", where, i, sums[i], wsums[i])
				}
			}
			for k := range out {
				a := abs
				if k > 0 {
					a *= c.scale
				}
				bad := 0
				for i := range wout[k] {
					if !near(out[k][i], wout[k][i], a, rel) {
						if bad < 3 {
							t.Errorf("%s: %s[%d] = %v, cpuref %v", where, outNames[k], i, out[k][i], wout[k][i])
						}
						bad++
					}
				}
			}
		}
	}
}

// TestRowsInPlace checks that the gradient written over X has the same bits as the one written
// elsewhere.
func TestRowsInPlace(t *testing.T) {
	for ci, c := range rowsCases(rand.New(rand.NewPCG(13, 14))) {
		if !c.grad[0] {
			continue
		}
		_, a := runCase[float32](c, false)
		_, b := runCase[float32](c, true)
		if !sameBits(a[1], b[1]) {
			t.Errorf("case %d %s n=%d c=%d: the in-place gradient differs from the out-of-place one", ci, c.name, c.n, c.c)
		}
	}
}

// TestRowsDeterministic checks that every case gives the same bits for GOMAXPROCS 1, 2, 3 and 8
// and at every vector level (AVX-512, AVX2, portable Go) this machine has.
func TestRowsDeterministic(t *testing.T) {
	cases := rowsCases(rand.New(rand.NewPCG(15, 16)))
	// Each kernel again on enough rows for several chunks of work (of about 2^14 values).
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] || c.name == "info_nce" {
			continue
		}
		seen[c.name] = true
		cases = append(cases, grow(c, max(4, 4*(1<<14)/max(c.n*c.c, 1))))
	}
	r := rand.New(rand.NewPCG(17, 18))
	big := rowsCase{name: "info_nce", n: 260, c: 33, p: [8]float64{0.07, 1, 1}, grad: [3]bool{true, true}, per: true, scale: 1.0 / 260}
	big.x, big.y = make([]float64, 260*33), make([]float64, 260*33)
	for i := range big.x {
		big.x[i], big.y[i] = float64(float32(r.NormFloat64())), float64(float32(r.NormFloat64()))
	}
	cases = append(cases, big)
	type result struct {
		sums []float64
		out  [4][]float64
	}
	ref := make([]result, len(cases))
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	oldLevel := vmath.Active()
	defer vmath.Use(oldLevel)
	first := true
	for _, lvl := range vmath.Available() {
		if err := vmath.Use(lvl); err != nil {
			t.Fatal(err)
		}
		for _, procs := range []int{1, 2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			for ci, c := range cases {
				s, o := runCase[float32](c, false)
				if first {
					ref[ci] = result{s, o}
					continue
				}
				same := sameBits(s, ref[ci].sums)
				for k := range o {
					same = same && sameBits(o[k], ref[ci].out[k])
				}
				if !same {
					t.Errorf("level %v GOMAXPROCS=%d: case %d %s n=%d c=%d differs from the first run", lvl, procs, ci, c.name, c.n, c.c)
				}
			}
			first = false
		}
	}
}

// grow repeats a case's rows k times (labels, weights and inputs alike).
func grow(c rowsCase, k int) rowsCase {
	rep := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		o := make([]float64, 0, k*len(v))
		for range k {
			o = append(o, v...)
		}
		return o
	}
	g := c
	g.n = k * c.n
	g.x, g.y, g.z, g.w = rep(c.x), rep(c.y), rep(c.z), rep(c.w)
	if c.labels != nil {
		g.labels = make([]int32, 0, k*len(c.labels))
		for range k {
			g.labels = append(g.labels, c.labels...)
		}
	}
	g.scale = 1 / float64(g.n)
	return g
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestRowsValueWithoutGradient checks that a loss's sums and per-sample values have the same
// bits whether or not its gradients are wanted.
func TestRowsValueWithoutGradient(t *testing.T) {
	for ci, c := range rowsCases(rand.New(rand.NewPCG(31, 32))) {
		if c.grad == [3]bool{} {
			continue
		}
		s1, o1 := runCase[float32](c, false)
		c.grad = [3]bool{}
		s2, o2 := runCase[float32](c, false)
		if !sameBits(s1, s2) || !sameBits(o1[0], o2[0]) {
			t.Errorf("case %d %s n=%d c=%d: sums %v with the gradient, %v without", ci, c.name, c.n, c.c, s1, s2)
		}
	}
}
