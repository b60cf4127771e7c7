// Package cpuref is gloss's reference: every loss and metric of the catalog, computed in
// float64 on the host, written to be read and trusted. It is the judge of every device's
// numbers and, run in parallel over fixed chunks, the cpu device itself.
//
// Each loss is defined once, as a per-element function (ElemFunc) or a per-row function
// (RowFunc) over float64 values; the drivers in this file apply the sample weights, the
// gradient scale and the reductions the same way for every loss, so a loss file holds only
// its formula. Inputs may be float32 or float64; all arithmetic is float64.
//
// Kernel names are the snake_case stems shared with the CUDA and OpenCL kernels
// ("huber", "cross_entropy"); Lookup finds a kernel by name.
package cpuref

import (
	"fmt"
	"math"
	"sort"
)

// Float is the element type of float inputs and outputs.
type Float interface{ ~float32 | ~float64 }

// Family is the launch shape of a kernel (see package device).
type Family uint8

// The kernel families.
const (
	Elementwise Family = iota + 1
	Rowwise
	Metric
)

// Denom says what each term contributes to the Mean denominator Σd.
type Denom uint8

// The denominator rules (s_i is the sample weight, 1 without weights).
const (
	DenomWeight Denom = iota // d_i = s_i
	DenomLabel               // d_i = s_i·cw[y_i]·[y_i ≠ Ignore]
	DenomCorn                // d_i = s_i·min(y_i+1, C)
)

// Args is one evaluation on host slices; it mirrors device.Call. Nil slices are absent inputs
// or unwanted outputs. Scale is the final gradient scale (already divided by Σd for a Mean).
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

// Par runs body over [0, n) in chunks of the given size, each chunk accumulating into its own
// zeroed sums of length nsums, and returns the chunk sums added in chunk order. Because the
// chunking depends only on n and chunk, a serial and a parallel Par give bit-identical sums.
type Par func(n, chunk, nsums int, body func(lo, hi int, sums []float64)) []float64

// Serial is the one-goroutine Par.
func Serial(n, chunk, nsums int, body func(lo, hi int, sums []float64)) []float64 {
	total := make([]float64, nsums)
	part := make([]float64, nsums)
	for lo := 0; lo < n; lo += chunk {
		clear(part)
		body(lo, min(lo+chunk, n), part)
		for k := range total {
			total[k] += part[k]
		}
	}
	return total
}

// Kernel is one loss or metric of the catalog.
type Kernel struct {
	Name   string
	Family Family
	Run32  func(a *Args[float32], par Par) []float64
	Run64  func(a *Args[float64], par Par) []float64
}

var kernels = map[string]*Kernel{}

func register(k *Kernel) {
	if _, dup := kernels[k.Name]; dup {
		panic("cpuref: kernel registered twice: " + k.Name)
	}
	kernels[k.Name] = k
}

// Lookup returns the kernel with the given name.
func Lookup(name string) (*Kernel, bool) {
	k, ok := kernels[name]
	return k, ok
}

// Names lists every kernel name, sorted.
func Names() []string {
	names := make([]string, 0, len(kernels))
	for n := range kernels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Run runs the named kernel on a with par and returns its sums.
func Run[T Float](name string, a *Args[T], par Par) ([]float64, error) {
	k, ok := kernels[name]
	if !ok {
		return nil, fmt.Errorf("cpuref: no kernel %q", name)
	}
	switch a := any(a).(type) {
	case *Args[float32]:
		return k.Run32(a, par), nil
	case *Args[float64]:
		return k.Run64(a, par), nil
	}
	return nil, fmt.Errorf("cpuref: kernel %q: unsupported element type %T", name, a)
}

// ElemChunk is the number of elements (or, for row kernels, about that many values) in one
// chunk of work. Fixed, so that sums do not depend on the number of threads.
const ElemChunk = 1 << 16

// RowChunk is the number of rows per chunk for rows of c columns.
func RowChunk(c int) int { return max(1, ElemChunk/max(c, 1)) }

// sampleWeight returns s for element or row i: Weight[i] when Weight has one value per
// element (or per row, for row kernels), Weight[i/C] when it has one per row of an
// elementwise kernel, 1 without weights.
func sampleWeight[T Float](a *Args[T], i int, elementwise bool) float64 {
	if a.Weight == nil {
		return 1
	}
	if elementwise && len(a.Weight) != a.N*a.C {
		return float64(a.Weight[i/a.C])
	}
	return float64(a.Weight[i])
}

// DenomSum returns Σd over the call under the given rule, with the chunked summation order
// every device follows.
func DenomSum[T Float](a *Args[T], rule Denom, fam Family, par Par) float64 {
	switch rule {
	case DenomLabel, DenomCorn:
		s := par(a.N, RowChunk(1), 1, func(lo, hi int, sums []float64) {
			for i := lo; i < hi; i++ {
				y := int64(a.Labels[i])
				var d float64
				switch {
				case rule == DenomCorn:
					d = float64(min(y+1, int64(a.C)))
				case y == a.Ignore:
					d = 0
				case a.ClassWeight != nil:
					d = float64(a.ClassWeight[y])
				default:
					d = 1
				}
				sums[0] += sampleWeight(a, i, false) * d
			}
		})
		return s[0]
	}
	n := a.N
	if fam == Elementwise {
		n = a.N * a.C
	}
	if a.Weight == nil {
		return float64(n)
	}
	s := par(n, ElemChunk, 1, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			sums[0] += sampleWeight(a, i, fam == Elementwise)
		}
	})
	return s[0]
}

// MeanScale returns scale/Σd, or 0 when Σd is 0 (every term then has weight 0, so its
// gradient is 0).
func MeanScale(scale, denom float64) float64 {
	if denom == 0 {
		return 0
	}
	return scale / denom
}

// ElemIn holds one block of an elementwise kernel's inputs, converted to float64.
// Y, Z and CW are nil when the call has no such input; CW holds the class weight (or
// pos_weight) of each element's column.
type ElemIn struct {
	X, Y, Z, CW []float64
}

// ElemOut receives one block of per-element results. L is always present; GX, GY, GZ and H
// are nil when not wanted. Derivatives are of the unweighted term L_i.
type ElemOut struct {
	L, GX, GY, GZ, H []float64
}

// ElemFunc computes the terms of one block of elements.
type ElemFunc func(p *[8]float64, in ElemIn, out ElemOut)

const block = 256

func elementwise[T Float](f ElemFunc) func(a *Args[T], par Par) []float64 {
	return func(a *Args[T], par Par) []float64 {
		n := a.N * a.C
		return par(n, ElemChunk, 2, func(lo, hi int, sums []float64) {
			var x, y, z, cw, wv, l, gx, gy, gz, h [block]float64
			for b := lo; b < hi; b += block {
				e := min(b+block, hi)
				m := e - b
				in := ElemIn{X: x[:m]}
				load(in.X, a.X[b:e])
				if a.Y != nil {
					in.Y = y[:m]
					load(in.Y, a.Y[b:e])
				}
				if a.Z != nil {
					in.Z = z[:m]
					load(in.Z, a.Z[b:e])
				}
				if a.ClassWeight != nil {
					in.CW = cw[:m]
					for j := range m {
						in.CW[j] = float64(a.ClassWeight[(b+j)%a.C])
					}
				}
				out := ElemOut{L: l[:m]}
				if a.GX != nil {
					out.GX = gx[:m]
				}
				if a.GY != nil {
					out.GY = gy[:m]
				}
				if a.GZ != nil {
					out.GZ = gz[:m]
				}
				if a.Hess != nil {
					out.H = h[:m]
				}
				f(&a.P, in, out)
				// The sample weights of the block (nil: all 1), then the sums and outputs,
				// each a plain loop over the block.
				var w []float64
				if a.Weight != nil {
					w = wv[:m]
					if len(a.Weight) == n {
						load(w, a.Weight[b:e])
					} else {
						for j := range w {
							w[j] = float64(a.Weight[(b+j)/a.C])
						}
					}
					var sl, sw float64
					for j, s := range w {
						sl += s * l[j]
						sw += s
					}
					sums[0] += sl
					sums[1] += sw
				} else {
					sums[0] += sum4(l[:m])
					sums[1] += float64(m)
				}
				emit(a.PerSample, b, l[:m], w, 1)
				emit(a.GX, b, gx[:m], w, a.Scale)
				emit(a.GY, b, gy[:m], w, a.Scale)
				emit(a.GZ, b, gz[:m], w, a.Scale)
				emit(a.Hess, b, h[:m], w, a.Scale)
			}
		})
	}
}

// sum4 adds v with four interleaved partial sums (a fixed order, faster than one chain).
func sum4(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// emit writes dst[off+j] = g·w_j·v_j (w nil: all 1); a nil dst is not wanted.
func emit[T Float](dst []T, off int, v, w []float64, g float64) {
	if dst == nil {
		return
	}
	dst = dst[off : off+len(v)]
	if w == nil {
		for j, x := range v {
			dst[j] = T(g * x)
		}
		return
	}
	for j, x := range v {
		dst[j] = T(g * w[j] * x)
	}
}

func load[T Float](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// RowIn is one row of a row kernel's inputs, converted to float64. X, Y and Z hold the row's
// C values of each input present (nil when absent); Label is the row's label (0 when the
// call has no labels); CW is the class-weight vector (nil when absent).
type RowIn struct {
	X, Y, Z []float64
	Label   int64
	Ignore  int64
	CW      []float64
}

// RowOut receives the gradients of the row's term L_i with respect to its X, Y and Z rows
// (nil when not wanted). They include class weights but not the sample weight or the scale.
type RowOut struct {
	GX, GY, GZ []float64
}

// RowFunc computes one row's term L_i (class weights included) and its denominator
// contribution d_i before the sample weight (for example cw[y_i], or 0 for an ignored row).
type RowFunc func(p *[8]float64, in RowIn, out RowOut) (l, d float64)

// rowwise drives a RowFunc over the rows. With labelOnly the function reads only X[y] of a
// row (NLL), and only that value is loaded.
func rowwise[T Float](f RowFunc, labelOnly bool) func(a *Args[T], par Par) []float64 {
	return func(a *Args[T], par Par) []float64 {
		c := a.C
		var cw []float64
		if a.ClassWeight != nil {
			cw = make([]float64, len(a.ClassWeight))
			load(cw, a.ClassWeight)
		}
		return par(a.N, RowChunk(c), 2, func(lo, hi int, sums []float64) {
			buf := make([]float64, 6*c)
			x, y, z := buf[0:c], buf[c:2*c], buf[2*c:3*c]
			gx, gy, gz := buf[3*c:4*c], buf[4*c:5*c], buf[5*c:6*c]
			for i := lo; i < hi; i++ {
				in := RowIn{X: x, Ignore: a.Ignore, CW: cw}
				row := i * c
				if !labelOnly {
					load(x, a.X[row:row+c])
				} else if y := int64(a.Labels[i]); y != a.Ignore && y >= 0 && y < int64(c) {
					x[y] = float64(a.X[row+int(y)])
				}
				if a.Y != nil {
					in.Y = y
					load(y, a.Y[row:row+c])
				}
				if a.Z != nil {
					in.Z = z
					load(z, a.Z[row:row+c])
				}
				if a.Labels != nil {
					in.Label = int64(a.Labels[i])
				}
				var out RowOut
				if a.GX != nil {
					out.GX = gx
				}
				if a.GY != nil {
					out.GY = gy
				}
				if a.GZ != nil {
					out.GZ = gz
				}
				l, d := f(&a.P, in, out)
				s := sampleWeight(a, i, false)
				sums[0] += s * l
				sums[1] += s * d
				if a.PerSample != nil {
					a.PerSample[i] = T(s * l)
				}
				g := a.Scale * s
				store(a.GX, out.GX, row, g)
				store(a.GY, out.GY, row, g)
				store(a.GZ, out.GZ, row, g)
			}
		})
	}
}

func store[T Float](dst []T, src []float64, off int, g float64) {
	if dst == nil {
		return
	}
	for j, v := range src {
		dst[off+j] = T(g * v)
	}
}

func registerElem(name string, f ElemFunc) {
	register(&Kernel{Name: name, Family: Elementwise, Run32: elementwise[float32](f), Run64: elementwise[float64](f)})
}

func registerRow(name string, f RowFunc) {
	register(&Kernel{Name: name, Family: Rowwise, Run32: rowwise[float32](f, false), Run64: rowwise[float64](f, false)})
}

// registerRowLabelOnly registers a RowFunc that reads only the label's entry of X.
func registerRowLabelOnly(name string, f RowFunc) {
	register(&Kernel{Name: name, Family: Rowwise, Run32: rowwise[float32](f, true), Run64: rowwise[float64](f, true)})
}

// log1pexp returns log(1 + e^x) without overflow: softplus.
func log1pexp(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// sigmoid returns σ(x) = 1/(1+e^{−x}) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
