package host

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKern times each row primitive of kern.go on rows of 1024 elements (resident in
// L1) at the active vector level (GLOSS_SIMD selects it), with cpu-ns/op as in BenchmarkRows:
//
//	go test ./device/host -run '^$' -bench Kern -cpu 1
func BenchmarkKern(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(3, 4))
	x, y, z := randF32(r, n, 1), randF32(r, n, 1), randF32(r, n, 1)
	g1, g2, g3 := make([]float32, n), make([]float32, n), make([]float32, n)
	x64, y64 := make([]float64, n), make([]float64, n)
	widenF32(x64, x)
	widenF32(y64, y)
	idx := make([]int32, n/10)
	out := make([]float64, 4*4)
	var sink float64
	cases := []struct {
		name string
		f    func()
	}{
		{"sqDist", func() { sink += sqDist(x, y, 1e-6) }},
		{"sums3", func() { a, c, d := sums3(x, y); sink += a + c + d }},
		{"maxF32", func() { sink += float64(maxF32(x)) }},
		{"indexF32", func() { sink += float64(indexF32(x, x[n-3])) }},
		{"countConfusion", func() { a, c, d := countConfusion(x, y, 0.25, false); sink += float64(a + c + d) }},
		{"axpbF32", func() { axpbF32(g1, 0.5, 0.25) }},
		{"axpbycF32", func() { axpbycF32(g1, y, 0.5, 0.25, 0.125) }},
		{"maxF64", func() { sink += maxF64(x64) }},
		{"subF32", func() { subF32(g1, x64, y64, 0) }},
		{"subF32const", func() { subF32(g1, x64, nil, 0.5) }},
		{"widenF32", func() { widenF32(x64, y) }},
		{"tripGrad", func() { tripGrad(g1, g2, g3, x, y, z, 0.5, 0.25, 1e-6) }},
		{"segGrad32", func() { segGrad32(g1, x, x, y, 0.5, 0.25, 0.125) }},
		{"argmaxRows", func() { argmaxRows(x[:len(idx)*10], 10, idx) }},
		{"margin32", func() { l, gs := margin32(g1, x, 0.5, 0.25, false); sink += l + gs }},
		{"margin32sq", func() { l, gs := margin32(g1, x, 0.5, 0.25, true); sink += l + gs }},
		{"tripDist", func() { a, c, d := tripDist(x, y, z, 1e-6); sink += a + c + d }},
		{"rowStats", func() { m, a, c, d := rowStats(x, y); sink += float64(m) + a + c + d }},
		{"dot4x4", func() { dot4x4(out, 4, 1, x64, n/4, y64, n/4, n/4) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
	_ = sink
}
