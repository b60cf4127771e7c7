package host

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// cpuTime returns the process's user and system CPU time in nanoseconds: with -cpu 1, a
// measure of a kernel's work that other processes on a loaded machine do not inflate.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// rowCase is one benchmark of a row kernel: its inputs and parameters.
type rowCase struct {
	name string
	n, c int
	p    [8]float64
	y, z bool // takes Y (a target or positives) and Z
	lab  int  // labels in [0, lab) (0: no labels)
	unit bool // X in [0, 1] (scores of f1 and binary_iou)
	bins int
}

var rowCases = []rowCase{
	{name: "cross_entropy", n: 1048, c: 1000, lab: 1000},
	{name: "cross_entropy", n: 32768, c: 1024, lab: 1024},
	{name: "cross_entropy", n: 8, c: 131072, lab: 131072},
	{name: "cross_entropy_probs", n: 8192, c: 128, y: true},
	{name: "nll", n: 1048, c: 1000, lab: 1000},
	{name: "multi_margin", n: 1048, c: 1000, lab: 1000, p: [8]float64{1, 1}},
	{name: "corn", n: 104857, c: 10, lab: 11},
	{name: "triplet", n: 8192, c: 128, y: true, z: true, p: [8]float64{1, 2, 1e-6}},
	{name: "info_nce", n: 1024, c: 128, y: true, p: [8]float64{0.07, 1, 0}},
	{name: "dice", n: 256, c: 4096, y: true, p: [8]float64{1e-7, 1}},
	{name: "dice", n: 16, c: 4096, y: true, p: [8]float64{1e-7, 1}},
	{name: "bce_dice", n: 256, c: 4096, y: true, p: [8]float64{1, 1, 1e-7}},
	{name: "accuracy", n: 1048, c: 1000, lab: 1000},
	{name: "f1", n: 1 << 20, c: 1, y: true, unit: true, p: [8]float64{0.5}},
	{name: "macro_f1", n: 104857, c: 10, lab: 10},
	{name: "calibration", n: 104857, c: 10, lab: 10, p: [8]float64{15, 1}, bins: 15},
	{name: "auc", n: 1 << 20, c: 1, y: true},
}

// BenchmarkRows times the row kernels and metrics of the engine directly (no validation, no
// Call), forward and forward+gradient, on fresh random inputs:
//
//	go test ./device/host -run '^$' -bench Rows/cross_entropy
func BenchmarkRows(b *testing.B) {
	for _, rc := range rowCases {
		k, ok := Lookup(rc.name)
		if !ok {
			b.Fatalf("no kernel %s", rc.name)
		}
		nc := rc.n * rc.c
		modes := []string{"fwd", "fwd_bwd"}
		if rc.name == "accuracy" || rc.name == "f1" || rc.name == "macro_f1" || rc.name == "calibration" || rc.name == "auc" {
			modes = modes[:1]
		}
		for _, m := range modes {
			b.Run(fmt.Sprintf("%s/%dx%d/%s", rc.name, rc.n, rc.c, m), func(b *testing.B) {
				aa := *benchArgs(rc)
				if m == "fwd_bwd" {
					aa.GX = make([]float32, nc)
					if rc.name == "triplet" || rc.name == "info_nce" {
						aa.GY = make([]float32, nc)
					}
					if rc.z {
						aa.GZ = make([]float32, nc)
					}
				}
				b.SetBytes(int64(4 * nc))
				c0 := cpuTime()
				for b.Loop() {
					k.Run32(&aa)
				}
				b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchArgs draws a benchmark case's inputs.
func benchArgs(rc rowCase) *Args[float32] {
	r := rand.New(rand.NewPCG(1, uint64(rc.n*rc.c)))
	nc := rc.n * rc.c
	a := &Args[float32]{N: rc.n, C: rc.c, P: rc.p, Ignore: -100, Scale: 1.0 / float64(rc.n), Bins: rc.bins,
		X: randF32(r, nc, 3)}
	if rc.unit {
		for i := range a.X {
			a.X[i] = r.Float32()
		}
	}
	if rc.y {
		a.Y = make([]float32, nc)
		for i := range a.Y {
			a.Y[i] = float32(r.IntN(2))
		}
		if rc.name == "cross_entropy_probs" || rc.name == "triplet" || rc.name == "info_nce" {
			a.Y = randF32(r, nc, 1)
		}
	}
	if rc.z {
		a.Z = randF32(r, nc, 1)
	}
	if rc.lab > 0 {
		a.Labels = make([]int32, rc.n)
		for i := range a.Labels {
			a.Labels[i] = int32(r.IntN(rc.lab))
		}
	}
	return a
}
