// Package host is gloss's host engine: every loss and metric of the catalog as specialised
// loops over host memory, float32 inputs computed in float32 with float64 sums, vector math
// from internal/vmath, cache-sized blocks, all cores. It is what the cpu device runs (package
// device); package cpuref stays the float64 judge, and losstest checks this engine against it
// like every other device.
//
// Determinism: work is split into fixed chunks that depend only on the problem's shape, each
// chunk's sums are accumulated in float64 in a fixed order, and the chunk sums are added in
// chunk order. The same call gives the same bits for any GOMAXPROCS on a given machine.
//
// Across machines: the vector kernels (internal/vmath and this package's generated
// primitives) compute the same bits at every level (AVX-512, AVX2+FMA, portable Go, which
// rounds each product and emulates fused multiply-adds exactly), so the vector unit does not
// change what they compute; GLOSS_SIMD=avx2 or portable on an AVX-512 machine gives the same
// results. What may differ in the last bits between machines is what goes through Go's math
// package: float64 inputs (which run cpuref's formulas), float32 blocks handed to float64
// (overflow or cancellation, see elem.go) and the float64 final steps of row losses, because
// Go's math.Exp uses fused multiply-adds on amd64 CPUs with FMA and the Go compiler fuses
// multiply-adds on arm64, ppc64 and s390x. Two amd64 machines with FMA (with or without
// AVX-512) agree bit for bit; an amd64 CPU without FMA or another architecture may not.
//
// The package has no dependency on package device (which imports it): Args mirrors
// device.Call on host slices.
package host

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// Float is the element type of float inputs and outputs.
type Float interface{ ~float32 | ~float64 }

// Denom says what each term contributes to the Mean denominator Σd (s_i is the sample weight).
type Denom uint8

// The denominator rules; they mirror device.Denom.
const (
	DenomWeight Denom = iota // d_i = s_i
	DenomLabel               // d_i = s_i·cw[y_i]·[y_i ≠ Ignore]
	DenomCorn                // d_i = s_i·min(y_i+1, C)
)

// Args is one evaluation on host slices; it mirrors device.Call. Nil slices are absent inputs
// or unwanted outputs. Scale is the final gradient scale (already divided by Σd for a Mean).
// GX may be X itself (the in-place gradient); no other output overlaps an input.
type Args[T Float] struct {
	N, C        int
	X, Y, Z     []T
	Labels      []int32
	Weight      []T // N·C (elementwise only) or N elements
	ClassWeight []T // C elements
	P           [8]float64
	Ignore      int64
	Scale       float64
	Bins        int

	PerSample, GX, GY, GZ, Hess []T
}

// Kernel is one loss or metric of the catalog on the host engine. Run32 and Run64 return the
// call's sums as device.Call documents them (for a loss: Σ s_i·L_i and Σ d_i).
type Kernel struct {
	Name  string
	Run32 func(a *Args[float32]) []float64
	Run64 func(a *Args[float64]) []float64
}

var kernels = map[string]*Kernel{}

func register(k *Kernel) {
	if _, dup := kernels[k.Name]; dup {
		panic("host: kernel registered twice: " + k.Name)
	}
	kernels[k.Name] = k
}

// Lookup returns the engine's kernel for a loss or metric stem.
func Lookup(name string) (*Kernel, bool) {
	k, ok := kernels[name]
	return k, ok
}

// Names lists the stems the engine has, sorted.
func Names() []string {
	names := make([]string, 0, len(kernels))
	for n := range kernels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Par runs body over [0, n) in chunks of the given size on up to GOMAXPROCS goroutines, each
// chunk accumulating into its own zeroed sums of length nsums, and returns the chunk sums
// added in chunk order: the result depends on n and chunk only, never on the thread count.
func Par(n, chunk, nsums int, body func(lo, hi int, sums []float64)) []float64 {
	total := make([]float64, nsums)
	if n <= 0 {
		return total
	}
	nchunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), nchunks)
	parts := make([]float64, nchunks*nsums)
	if workers <= 1 {
		for k := range nchunks {
			lo := k * chunk
			body(lo, min(lo+chunk, n), parts[k*nsums:(k+1)*nsums])
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					k := int(next.Add(1) - 1)
					if k >= nchunks {
						return
					}
					lo := k * chunk
					body(lo, min(lo+chunk, n), parts[k*nsums:(k+1)*nsums])
				}
			})
		}
		wg.Wait()
	}
	for k := range nchunks {
		for j := range total {
			total[j] += parts[k*nsums+j]
		}
	}
	return total
}

// ElemChunk is the number of elements in one chunk of elementwise work (fixed, so that sums
// do not depend on the number of threads).
const ElemChunk = 1 << 16

// RowChunk is the number of rows per chunk for rows of c columns: about ElemChunk values.
func RowChunk(c int) int { return max(1, ElemChunk/max(c, 1)) }

// MeanScale returns scale/Σd, or 0 when Σd is 0 (every term then has weight 0).
func MeanScale(scale, denom float64) float64 {
	if denom == 0 {
		return 0
	}
	return scale / denom
}

// DenomSum returns Σd over the call under the given rule; elementwise says whether the call's
// terms are the N·C elements (else its N rows).
func DenomSum[T Float](a *Args[T], rule Denom, elementwise bool) float64 {
	if rule == DenomLabel || rule == DenomCorn {
		s := Par(a.N, ElemChunk, 1, func(lo, hi int, sums []float64) {
			var acc float64
			for i := lo; i < hi; i++ {
				y := int64(a.Labels[i])
				var d float64
				switch {
				case rule == DenomCorn:
					d = float64(min(y+1, int64(a.C)))
				case y == a.Ignore:
					continue
				case a.ClassWeight != nil:
					d = float64(a.ClassWeight[y])
				default:
					d = 1
				}
				if a.Weight != nil {
					d *= float64(a.Weight[i])
				}
				acc += d
			}
			sums[0] = acc
		})
		return s[0]
	}
	n := a.N
	if elementwise {
		n = a.N * a.C
	}
	if a.Weight == nil {
		return float64(n)
	}
	perRow := elementwise && len(a.Weight) != n
	s := Par(n, ElemChunk, 1, func(lo, hi int, sums []float64) {
		var acc float64
		if perRow {
			for i := lo; i < hi; i++ {
				acc += float64(a.Weight[i/a.C])
			}
		} else if w32, ok := any(a.Weight[lo:hi]).([]float32); ok {
			acc = vmath.Sum(w32) // vector sum: float64 lanes in a fixed order
		} else {
			for _, w := range a.Weight[lo:hi] {
				acc += float64(w)
			}
		}
		sums[0] = acc
	})
	return s[0]
}
