package main

import (
	"fmt"
	"math"
)

// The kernels are written once, as a small vector IR (a graph of lane-wise float32 operations
// built by Go code), and emitted three times: AVX2+FMA assembly (8 lanes), AVX-512F assembly
// (16 lanes) and portable Go. Every IR operation is one IEEE operation with one rounding (or
// none), defined lane by lane, so the three emissions compute the same bits: the Go emission
// rounds exactly as the vector instructions do (FMA included, see fma32 in the generated Go).

type typ uint8

const (
	tF  typ = iota // float32 lanes
	tI             // int32 lanes (bits)
	tM             // lane mask (of float32 lanes)
	tD             // float64 lanes (primitives only, prim.go)
	tMD            // mask of float64 lanes (primitives only)
)

type op uint8

const (
	opConst op = iota // float32 or int32 constant (bits)
	opParam           // kernel parameter k (float32, the same in every lane)
	opIn              // input stream k
	opAdd
	opSub
	opMul
	opDiv
	opFMA  // a·b + c, one rounding
	opFMS  // a·b − c
	opFNMA // c − a·b
	opMin  // a < b ? a : b (x86 MINPS: b when either is NaN)
	opMax  // a > b ? a : b (x86 MAXPS: b when either is NaN)
	opSqrt
	opRound // to nearest integer, ties to even
	opAnd   // bitwise, floats or ints
	opOr
	opXor
	opAndNot // a &^ b
	opToI    // float → int32, truncating (only for integral, in-range values)
	opToF    // int32 → float
	opAsI    // reinterpret float bits as int
	opAsF    // reinterpret int bits as float
	opIAdd
	opISub
	opIMin
	opShl // a << k
	opSra // a >> k, arithmetic
	opLt  // masks: ordered comparisons are false on NaN
	opLe
	opGt
	opGe
	opEq
	opNe    // unordered: true on NaN
	opUnord // either NaN
	opMAnd
	opMOr
	opMAndNot // a &^ b
	opSel     // m ? a : b
	opZero    // m ? a : 0
	opScale   // a·2^b for an integral b in [−252, 254], one rounding

	// The primitives' operations (prim.go): float64 lanes, named streams and parameters,
	// and the sinks that end a primitive's dataflow.
	opWiden  // float32 → float64, exact (of an input stream)
	opStore  // sink: store a[0] to the output stream name (float32 to float32, float64 to float64)
	opStoreN // sink: store float64 a[0] rounded to float32 to the output stream name
	opSum    // sink: add a[0] (or a[0]·a[1], one rounding) to the 16 float64 lanes of the result name
	opMaxR   // sink: lane maxima of a[0] (x86 MAX rule) into the result name, any NaN into name2
	opCount  // sink: add the number of lanes of the mask a[0] to the integer result name
	opFind   // sink: return the index of the first lane of the mask a[0] (result name), −1 if none
	opHMax   // the maximum of all lanes of a[0] (pairwise, x86 MAX rule), in every lane
)

type node struct {
	op     op
	t      typ
	a      []*node
	bits   uint32
	bits64 uint64 // a float64 constant's bits (tD)
	k      int
	id     int
	live   bool
	name   string // a primitive's stream, parameter or result
	name2  string // opMaxR's NaN result
}

// fn builds one kernel body.
type fn struct {
	nodes  []*node
	consts map[uint64]*node
	nparam int
}

func newFn() *fn { return &fn{consts: map[uint64]*node{}} }

func (f *fn) add(o op, t typ, k int, args ...*node) *node {
	for _, a := range args {
		if a == nil {
			panic(fmt.Sprintf("op %d: nil argument", o))
		}
	}
	n := &node{op: o, t: t, a: args, k: k, id: len(f.nodes)}
	f.nodes = append(f.nodes, n)
	return n
}

// C is a float32 constant.
func (f *fn) C(v float32) *node { return f.constBits(math.Float32bits(v), tF) }

// CI is an int32 constant.
func (f *fn) CI(v int32) *node { return f.constBits(uint32(v), tI) }

// CB is a float constant given by its bits.
func (f *fn) CB(b uint32) *node { return f.constBits(b, tF) }

func (f *fn) constBits(b uint32, t typ) *node {
	key := uint64(b) | uint64(t)<<32
	if n, ok := f.consts[key]; ok {
		return n
	}
	n := f.add(opConst, t, 0)
	n.bits = b
	f.consts[key] = n
	return n
}

// P is parameter k.
func (f *fn) P(k int) *node {
	f.nparam = max(f.nparam, k+1)
	return f.add(opParam, tF, k)
}

// In is input stream k.
func (f *fn) In(k int) *node { return f.add(opIn, tF, k) }

func (f *fn) bin(o op, a, b *node) *node {
	want := tF
	switch o {
	case opIAdd, opISub, opIMin:
		want = tI
	default:
		if a.t == tD { // a primitive's float64 lanes
			want = tD
		}
	}
	if a.t != want || b.t != want {
		panic(fmt.Sprintf("op %d: operand types %d, %d", o, a.t, b.t))
	}
	return f.add(o, want, 0, a, b)
}

func (f *fn) Add(a, b *node) *node    { return f.bin(opAdd, a, b) }
func (f *fn) Sub(a, b *node) *node    { return f.bin(opSub, a, b) }
func (f *fn) Mul(a, b *node) *node    { return f.bin(opMul, a, b) }
func (f *fn) Div(a, b *node) *node    { return f.bin(opDiv, a, b) }
func (f *fn) Min(a, b *node) *node    { return f.bin(opMin, a, b) }
func (f *fn) Max(a, b *node) *node    { return f.bin(opMax, a, b) }
func (f *fn) FMA(a, b, c *node) *node { return f.add(opFMA, a.t, 0, a, b, c) }
func (f *fn) FMS(a, b, c *node) *node { return f.add(opFMS, tF, 0, a, b, c) }

// FNMA is c − a·b.
func (f *fn) FNMA(a, b, c *node) *node { return f.add(opFNMA, tF, 0, a, b, c) }
func (f *fn) Sqrt(a *node) *node       { return f.add(opSqrt, tF, 0, a) }
func (f *fn) Round(a *node) *node      { return f.add(opRound, tF, 0, a) }

func (f *fn) bits(o op, a, b *node) *node {
	if a.t != b.t || a.t == tM || a.t == tMD {
		panic("bitwise op on mismatched types")
	}
	return f.add(o, a.t, 0, a, b)
}

func (f *fn) And(a, b *node) *node    { return f.bits(opAnd, a, b) }
func (f *fn) Or(a, b *node) *node     { return f.bits(opOr, a, b) }
func (f *fn) Xor(a, b *node) *node    { return f.bits(opXor, a, b) }
func (f *fn) AndNot(a, b *node) *node { return f.bits(opAndNot, a, b) }

// Abs clears the sign bit; Neg flips it (NaN included, as IEEE negate does).
func (f *fn) Abs(a *node) *node { return f.And(a, f.CB(0x7fffffff)) }
func (f *fn) Neg(a *node) *node { return f.Xor(a, f.CB(0x80000000)) }

// SignOf is the sign bit of a (as a float: ±0).
func (f *fn) SignOf(a *node) *node { return f.And(a, f.CB(0x80000000)) }

func (f *fn) ToI(a *node) *node        { return f.add(opToI, tI, 0, a) }
func (f *fn) ToF(a *node) *node        { return f.add(opToF, tF, 0, a) }
func (f *fn) AsI(a *node) *node        { return f.add(opAsI, tI, 0, a) }
func (f *fn) AsF(a *node) *node        { return f.add(opAsF, tF, 0, a) }
func (f *fn) IAdd(a, b *node) *node    { return f.bin(opIAdd, a, b) }
func (f *fn) ISub(a, b *node) *node    { return f.bin(opISub, a, b) }
func (f *fn) IMin(a, b *node) *node    { return f.bin(opIMin, a, b) }
func (f *fn) Shl(a *node, k int) *node { return f.add(opShl, tI, k, a) }
func (f *fn) Sra(a *node, k int) *node { return f.add(opSra, tI, k, a) }
func (f *fn) cmp(o op, a, b *node) *node {
	if a.t != b.t {
		panic("compare of mismatched types")
	}
	if a.t == tD {
		return f.add(o, tMD, 0, a, b)
	}
	return f.add(o, tM, 0, a, b)
}
func (f *fn) Lt(a, b *node) *node      { return f.cmp(opLt, a, b) }
func (f *fn) Le(a, b *node) *node      { return f.cmp(opLe, a, b) }
func (f *fn) Gt(a, b *node) *node      { return f.cmp(opGt, a, b) }
func (f *fn) Ge(a, b *node) *node      { return f.cmp(opGe, a, b) }
func (f *fn) Eq(a, b *node) *node      { return f.cmp(opEq, a, b) }
func (f *fn) Ne(a, b *node) *node      { return f.cmp(opNe, a, b) }
func (f *fn) IsNaN(a *node) *node      { return f.cmp(opUnord, a, a) }
func (f *fn) MAnd(a, b *node) *node    { return f.add(opMAnd, a.t, 0, a, b) }
func (f *fn) MOr(a, b *node) *node     { return f.add(opMOr, a.t, 0, a, b) }
func (f *fn) MAndNot(a, b *node) *node { return f.add(opMAndNot, a.t, 0, a, b) }

// Sel is m ? a : b, lane by lane.
func (f *fn) Sel(m, a, b *node) *node {
	if m.t != tM || a.t != b.t {
		panic("Sel: bad operand types")
	}
	if a.t == tM { // (m ∧ a) ∨ (b ∧ ¬m)
		return f.MOr(f.MAnd(m, a), f.MAndNot(b, m))
	}
	return f.add(opSel, a.t, 0, m, a, b)
}

// Scale is a·2^n for an integral float n in [−252, 254], rounded once (VSCALEFPS on
// AVX-512; two exact powers of two on AVX2; float64 in Go).
func (f *fn) Scale(a, n *node) *node { return f.add(opScale, tF, 0, a, n) }

// Zero is m ? a : +0.
func (f *fn) Zero(m, a *node) *node { return f.add(opZero, a.t, 0, m, a) }

// Horner evaluates c[0] + x·(c[1] + x·(c[2] + …)) with FMAs.
func (f *fn) Horner(x *node, c ...float32) *node {
	p := f.C(c[len(c)-1])
	for i := len(c) - 2; i >= 0; i-- {
		p = f.FMA(p, x, f.C(c[i]))
	}
	return p
}

// markLive marks the nodes the roots depend on.
func (f *fn) markLive(roots ...*node) {
	for _, n := range f.nodes {
		n.live = false
	}
	var visit func(n *node)
	visit = func(n *node) {
		if n == nil || n.live {
			return
		}
		n.live = true
		for _, a := range n.a {
			visit(a)
		}
	}
	for _, r := range roots {
		visit(r)
	}
}
