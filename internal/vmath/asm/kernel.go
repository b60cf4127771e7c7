package main

// A kernel is one generated function: a body (the IR) inside a frame that loads the input
// streams, stores the outputs, applies the sample weights and gradient scale, and adds the
// float64 sums. The frame is the same for every level; see the generated files' comments.

// Offsets in the kargs struct that every generated function receives (Go side: type kargs in
// the generated stubs file). Slices are 24 bytes; the asm reads their data pointers.
const (
	offX     = 0
	offY     = 24
	offZ     = 48
	offW     = 72
	offCW    = 96
	offPS    = 120
	offGX    = 144
	offGY    = 168
	offGZ    = 192
	offH     = 216
	offN     = 240
	offScale = 248
	offP     = 252
	offNT    = 284 // uint32: nonzero: whole-vector output stores are non-temporal (VMOVNTPS)
	offSums  = 288 // [24]float64: lanes of Σ w·L, Σ w and Σ |w·L|
	offFlags = 480 // [16]float32: NaN in a lane where a gradient or Hessian output was not finite
	kargsLen = 544
)

// Input streams of the IR (fn.In(k)).
const (
	inX = iota
	inY
	inZ
	inW // the frame's: the sample weight
	inCW
)

var inOff = [...]int{offX, offY, offZ, offW, offCW}

// Output streams.
const (
	outPS = iota // per-sample value (w·L), or a map kernel's result
	outGX
	outGY
	outGZ
	outH
)

var outOff = [...]int{offPS, offGX, offGY, offGZ, offH}

// outs is what a body returns. A loss returns L and its derivatives (unweighted, unscaled);
// the frame writes w·L to PS, scale·w·G to the gradients, and adds w·L and w to the sums.
// A map kernel returns Dst (written to PS as is). A sum kernel returns L and, optionally,
// LW: the sums then add LW·L (in float64) and nothing else.
type outs struct {
	L, LW, Dst    *node
	GX, GY, GZ, H *node
}

type kind uint8

const (
	kMap  kind = iota // Dst → PS
	kSum              // sums[0:8] += LW·L (or L)
	kLoss             // the loss frame: weights, PS, gradients, sums[0:8] and sums[8:16]
	kMax              // flags[0:16] = lane maxima of L, sums[0:4] = nonzero where L was NaN
)

type kernel struct {
	name string // Go name stem: the functions are name+"AVX2", name+"AVX512", name+"Go"
	doc  string
	kind kind
	body func(f *fn) outs
	// accMem keeps the float64 accumulators in memory (kargs.sums) instead of registers:
	// for bodies that need every vector register.
	accMem bool
}

// built is a kernel's IR, ready for emission.
type built struct {
	k  *kernel
	f  *fn
	o  outs
	in [5]bool // input streams used
}

func buildKernel(k *kernel) *built {
	f := newFn()
	o := k.body(f)
	b := &built{k: k, f: f, o: o}
	var roots []*node
	for _, n := range []*node{o.L, o.LW, o.Dst, o.GX, o.GY, o.GZ, o.H} {
		if n != nil {
			roots = append(roots, n)
		}
	}
	f.markLive(roots...)
	for _, n := range f.nodes {
		if n.live && n.op == opIn {
			b.in[n.k] = true
		}
	}
	return b
}

// grads lists the gradient outputs present, with their output stream.
func (b *built) grads() (g []*node, idx []int) {
	for i, n := range []*node{b.o.GX, b.o.GY, b.o.GZ, b.o.H} {
		if n != nil {
			g = append(g, n)
			idx = append(idx, outGX+i)
		}
	}
	return g, idx
}
