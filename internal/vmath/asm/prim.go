package main

import (
	"fmt"
	"math"
)

// A primitive is a generated function with a Go signature of its own (pointers, a count,
// scalars; results returned as Go results) rather than the kernels' argument block: the row
// kernels' SIMD building blocks, whose portable twins live in the package that calls them
// (device/host/kern.go) and define their semantics. Its body is the same IR, extended with
// float64 lanes (Widen, the float64 forms of the arithmetic and compares), named streams and
// parameters, and sinks: stores, float64 sums, maxima with a NaN flag, mask counts and the
// first lane of a mask (an early return). The frame runs the body over blocks of step
// elements (n a multiple of step, n > 0: the caller does the rest) and finishes the sinks
// into the results.
//
// The lanes of a sum are fixed by the element index alone: element t goes to lane t mod 16,
// each lane adds in index order, and the 16 lanes are folded as l_u + l_{u+8} and added
// ((f0+f1)+(f2+f3))+((f4+f5)+(f6+f7)) (kern.go's lanes16). Maxima keep 16 float32 lanes (8
// float64 lanes) and reduce them pairwise, upper half into lower, with the x86 MAX rule.
// Both levels compute the same bits: AVX-512 holds 16 float32 or 8 float64 lanes a
// register, AVX2 8 or 4, and the frame walks the same lanes in the same order.
type prim struct {
	name string   // the functions are name+"AVX512" and name+"AVX2"
	doc  []string // comment lines above the functions
	sig  string   // the Go signature, "func(x *float32, n int) (m float32, nan bool)"
	n    string   // the count parameter
	step int      // elements per block: 16, or 8 for a body of float64 streams alone
	// conds are run-time variants: the body is built and run once per combination (v[i]
	// says whether conds[i] holds), chosen once at entry.
	conds []cond
	body  func(f *fn, v []bool)
	// only512: AVX-512 alone (the body needs more than AVX2's 16 registers; the caller
	// composes other primitives there).
	only512 bool
}

// levels are the levels p is generated at.
func (p *prim) levels() []level {
	if p.only512 {
		return []level{levelAVX512}
	}
	return []level{levelAVX2, levelAVX512}
}

// cond is a test made once at entry that selects a variant of a primitive's body.
type cond struct {
	kind condKind
	name string // the parameter tested
}

type condKind uint8

const (
	condTrue   condKind = iota // a bool parameter is true
	condNonNil                 // a pointer parameter is not nil
	condNaN                    // a float32 parameter is NaN
)

// named returns the stream or parameter name (one node for each).
func (f *fn) named(o op, t typ, name string) *node {
	for _, n := range f.nodes {
		if n.op == o && n.name == name {
			if n.t != t {
				panic(fmt.Sprintf("%s used with two types", name))
			}
			return n
		}
	}
	n := f.add(o, t, -1)
	n.name = name
	return n
}

// S32 is the float32 stream the pointer parameter name points to.
func (f *fn) S32(name string) *node { return f.named(opIn, tF, name) }

// S32Fill is the float32 stream name, whose lanes beyond the end of a masked block read fill
// (instead of 0).
func (f *fn) S32Fill(name string, fill float32) *node {
	n := f.named(opIn, tF, name)
	n.bits, n.k = math.Float32bits(fill), 1
	return n
}

// HMax is the largest lane of a (of a whole block, or of a masked block's lanes and fills),
// in every lane: pairwise maxima under the x86 rule; of NaN-free lanes the value does not
// depend on the order (±0 aside).
func (f *fn) HMax(a *node) *node {
	if a.t != tF {
		panic("HMax: float32 lanes only")
	}
	return f.add(opHMax, tF, 0, a)
}

// S64 is the float64 stream the pointer parameter name points to.
func (f *fn) S64(name string) *node { return f.named(opIn, tD, name) }

// PF is the float32 parameter name in every lane.
func (f *fn) PF(name string) *node { return f.named(opParam, tF, name) }

// PD is the float64 parameter name in every lane.
func (f *fn) PD(name string) *node { return f.named(opParam, tD, name) }

// CD is a float64 constant.
func (f *fn) CD(v float64) *node {
	key := math.Float64bits(v)
	for _, n := range f.nodes {
		if n.op == opConst && n.t == tD && n.bits64 == key {
			return n
		}
	}
	n := f.add(opConst, tD, 0)
	n.bits64 = key
	return n
}

// Widen converts float32 lanes to float64 (exactly); one node for each value.
func (f *fn) Widen(s *node) *node {
	if s.t != tF {
		panic("Widen: only of float32 lanes")
	}
	for _, n := range f.nodes {
		if n.op == opWiden && n.a[0] == s {
			return n
		}
	}
	return f.add(opWiden, tD, 0, s)
}

// NegD flips the sign of float64 lanes (NaN included).
func (f *fn) NegD(a *node) *node {
	c := f.add(opConst, tD, 0)
	c.bits64 = 1 << 63
	return f.add(opXor, tD, 0, a, c)
}

func (f *fn) sink(o op, name string, args ...*node) *node {
	if o == opSum {
		for _, a := range args {
			if a.t != tD {
				panic(name + ": sums take float64 lanes")
			}
		}
	}
	n := f.add(o, args[0].t, 0, args...)
	n.name = name
	return n
}

// Store writes v to the output stream name (of v's element type).
func (f *fn) Store(name string, v *node) { f.sink(opStore, name, v) }

// StoreN writes float64 lanes rounded to float32 to the float32 stream name.
func (f *fn) StoreN(name string, v *node) {
	if v.t != tD {
		panic("StoreN: float64 lanes only")
	}
	f.sink(opStoreN, name, v)
}

// Sum adds float64 lanes to the result name.
func (f *fn) Sum(name string, v *node) { f.sink(opSum, name, v) }

// SumProd8 adds a·b to the result name in 8 lanes (as Sum8), by fused multiply-adds.
func (f *fn) SumProd8(name string, a, b *node) { f.sink(opSum, name, a, b).k = 8 }

// Sum8 adds float64 lanes to the result name in 8 lanes (element t in lane t mod 8), added
// at the end as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)): vmath's sums.
func (f *fn) Sum8(name string, v *node) { f.sink(opSum, name, v).k = 8 }

// SumProd adds a·b to the result name, by fused multiply-adds.
func (f *fn) SumProd(name string, a, b *node) { f.sink(opSum, name, a, b) }

// MaxTo keeps the maxima of v in the result m and whether any lane was NaN in the result nan.
func (f *fn) MaxTo(m, nan string, v *node) {
	n := f.sink(opMaxR, m, v)
	n.name2 = nan
}

// Count adds the number of set lanes of the mask to the integer result name.
func (f *fn) Count(name string, m *node) { f.sink(opCount, name, m) }

// Find returns, as the result name, the index of the first element whose lane of the mask
// is set, as soon as a block has one; −1 when none has.
func (f *fn) Find(name string, m *node) { f.sink(opFind, name, m) }

// FindNot is Find of the lanes where the mask is clear.
func (f *fn) FindNot(name string, m *node) { f.sink(opFind, name, m).k = 1 }

func isSink(o op) bool {
	switch o {
	case opStore, opStoreN, opSum, opMaxR, opCount, opFind:
		return true
	}
	return false
}

// buildPrim builds the body of one variant and marks what the sinks need.
func buildPrim(p *prim, v []bool) *fn {
	f := newFn()
	p.body(f, v)
	var roots []*node
	for _, n := range f.nodes {
		if isSink(n.op) {
			roots = append(roots, n)
		}
	}
	if len(roots) == 0 {
		panic(fmt.Sprintf("%s: no sink", p.name))
	}
	f.markLive(roots...)
	return f
}

// finite is |x| < +Inf (false on NaN).
func finite(f *fn, x *node) *node { return f.Lt(f.Abs(x), f.CB(posInfBits)) }

// hostPrims are device/host's row primitives (kern.go holds their portable twins and the
// callers, which pass a count that is a multiple of the step and do the rest).
func hostPrims() []*prim {
	sq := func(f *fn, a, b *node) *node { // (a − b) + eps in float64
		return f.Add(f.Sub(f.Widen(a), f.Widen(b)), f.PD("eps"))
	}
	return []*prim{
		{name: "sqDist", sig: "func(a, b *float32, n int, eps float64) float64", n: "n", step: 16,
			doc: []string{"Σ_{t<n} w_t², w_t = (a_t − b_t) + eps in float64, in 16 lanes (t mod 16) folded and added as",
				"kern.go's lanes16 (n a multiple of 16)."},
			body: func(f *fn, _ []bool) {
				w := sq(f, f.S32("a"), f.S32("b"))
				f.SumProd("ret", w, w)
			}},
		{name: "sums3", sig: "func(p, y *float32, n int) (spy, sp, sy float64)", n: "n", step: 16,
			doc: []string{"Σ p_t·y_t, Σ p_t, Σ y_t over t < n in float64, each in 16 lanes folded as lanes16."},
			body: func(f *fn, _ []bool) {
				p, y := f.Widen(f.S32("p")), f.Widen(f.S32("y"))
				f.SumProd("spy", p, y)
				f.Sum("sp", p)
				f.Sum("sy", y)
			}},
		{name: "max", sig: "func(x *float32, n int) (m float32, nan bool)", n: "n", step: 16,
			doc:  []string{"The largest x_t over t < n (16 lanes, the x86 MAX rule), and whether any x_t is NaN."},
			body: func(f *fn, _ []bool) { f.MaxTo("m", "nan", f.S32("x")) }},
		{name: "index", sig: "func(x *float32, n int, v float32) int", n: "n", step: 16,
			doc:   []string{"The first t < n with x_t == v (x_t NaN when v is NaN), or −1."},
			conds: []cond{{condNaN, "v"}},
			body: func(f *fn, v []bool) {
				x := f.S32("x")
				if v[0] {
					f.Find("ret", f.IsNaN(x))
					return
				}
				f.Find("ret", f.Eq(f.PF("v"), x))
			}},
		{name: "confusion", sig: "func(x, y *float32, n int, t float32, ge bool) (tp, fp, fn int)", n: "n", step: 16,
			doc: []string{"Counts over t < n of [pred ∧ pos], [pred ∧ ¬pos], [pos ∧ ¬pred], with pred = x > t (x ≥ t",
				"when ge; ordered compares, so NaN is never predicted) and pos = y > 0.5."},
			conds: []cond{{condTrue, "ge"}},
			body: func(f *fn, v []bool) {
				x, t := f.S32("x"), f.PF("t")
				pred := f.Gt(x, t)
				if v[0] {
					pred = f.Ge(x, t)
				}
				pos := f.Gt(f.S32("y"), f.C(0.5))
				f.Count("tp", f.MAnd(pred, pos))
				f.Count("fp", f.MAndNot(pred, pos))
				f.Count("fn", f.MAndNot(pos, pred))
			}},
		{name: "axpb", sig: "func(x *float32, n int, a, b float32)", n: "n", step: 16,
			doc: []string{"x_t = (a·x_t) + b, two roundings, for t < n."},
			body: func(f *fn, _ []bool) {
				f.Store("x", f.Add(f.Mul(f.S32("x"), f.PF("a")), f.PF("b")))
			}},
		{name: "axpbyc", sig: "func(x, y *float32, n int, a, b, c float32)", n: "n", step: 16,
			doc: []string{"x_t = (a·x_t) + ((b·y_t) + c), each operation rounded, for t < n."},
			body: func(f *fn, _ []bool) {
				byc := f.Add(f.Mul(f.S32("y"), f.PF("b")), f.PF("c"))
				f.Store("x", f.Add(f.Mul(f.S32("x"), f.PF("a")), byc))
			}},
		{name: "maxF64", sig: "func(x *float64, n int) (m float64, nan bool)", n: "n", step: 8,
			doc:  []string{"The largest x_t over t < n (8 lanes, the x86 MAX rule), and whether any x_t is NaN."},
			body: func(f *fn, _ []bool) { f.MaxTo("m", "nan", f.S64("x")) }},
		{name: "subF32", sig: "func(dst *float32, a, b *float64, n int, c float64)", n: "n", step: 16,
			doc:   []string{"dst_t = float32(a_t − (b_t or c)): b_t when b is not nil, else the constant c (n a multiple of 16)."},
			conds: []cond{{condNonNil, "b"}},
			body: func(f *fn, v []bool) {
				b := f.PD("c")
				if v[0] {
					b = f.S64("b")
				}
				f.StoreN("dst", f.Sub(f.S64("a"), b))
			}},
		{name: "widen", sig: "func(dst *float64, src *float32, n int)", n: "n", step: 16,
			doc:  []string{"dst_t = float64(src_t) for t < n."},
			body: func(f *fn, _ []bool) { f.Store("dst", f.Widen(f.S32("src"))) }},
		{name: "tripGrad", sig: "func(a, p, n, ga, gp, gn *float32, cnt int, kp, kn, eps float64)", n: "cnt", step: 16,
			doc: []string{"With u = (a_t − p_t) + eps and v = (a_t − n_t) + eps in float64: ga_t = float32(kp·u − kn·v),",
				"gp_t = float32((−kp)·u), gn_t = float32(kn·v), for t < cnt (a multiple of 16). ga may be a."},
			body: func(f *fn, _ []bool) {
				a := f.S32("a")
				u, w := sq(f, a, f.S32("p")), sq(f, a, f.S32("n"))
				kp, kn := f.PD("kp"), f.PD("kn")
				ku, kv := f.Mul(kp, u), f.Mul(kn, w)
				f.StoreN("ga", f.Sub(ku, kv))
				f.StoreN("gp", f.Mul(f.NegD(kp), u))
				f.StoreN("gn", kv)
			}},
		{name: "segGrad", sig: "func(dst, p, q, y *float32, n int, ka, kb, kg float32)", n: "n", step: 16,
			doc: []string{"g_t = ((1 − y_t)·ka + y_t·kb)·(p_t·q_t) + kg·((1 − y_t)·p_t − y_t·q_t), each float32",
				"operation rounded, for t < n (a multiple of 16): a segmentation loss's gradient from σ(x) and σ(−x)."},
			body: func(f *fn, _ []bool) {
				p, q, y := f.S32("p"), f.S32("q"), f.S32("y")
				ny := f.Sub(f.C(1), y)
				u := f.Add(f.Mul(ny, f.PF("ka")), f.Mul(y, f.PF("kb")))
				t := f.Sub(f.Mul(ny, p), f.Mul(y, q))
				f.Store("dst", f.Add(f.Mul(u, f.Mul(p, q)), f.Mul(t, f.PF("kg"))))
			}},
		{name: "sigmoids", sig: "func(p, q, x *float32, n int)", n: "n", step: 16,
			doc: []string{"p_t = σ(x_t) and q_t = σ(−x_t) from one exponential u = e^{−|x_t|} and one division",
				"(σ(|x|) = 1/(1 + u), σ(−|x|) = u·σ(|x|)), NaN kept, for t < n (a multiple of 16): the same",
				"bits as vmath.Sigmoid of x and of −x. AVX-512 only (AVX2 composes vmath.Sigmoid)."},
			only512: true,
			body: func(f *fn, _ []bool) {
				x := f.S32("x")
				_, sp, sn := f.logistic(x)
				nan := f.IsNaN(x)
				f.Store("p", f.Sel(nan, x, sp))
				f.Store("q", f.Sel(nan, x, sn))
			}},
		{name: "fpfn", sig: "func(p, q, y *float32, n int) (fp, fn float64)", n: "n", step: 16,
			doc: []string{"Σ p_t·(1 − y_t) and Σ q_t·y_t over t < n in float64 (1 − y_t rounded to float32 first),",
				"each in 16 lanes folded as lanes16: a segmentation row's false positives and negatives."},
			body: func(f *fn, _ []bool) {
				y := f.S32("y")
				ny := f.Widen(f.Sub(f.C(1), y))
				f.SumProd("fp", f.Widen(f.S32("p")), ny)
				f.SumProd("fn", f.Widen(f.S32("q")), f.Widen(y))
			}},
		{name: "margin", sig: "func(dst, x *float32, n int, thr, k float64, sq bool) (l, gsum float64)", n: "n", step: 16,
			doc: []string{"With z_t = max(thr + x_t, 0) in float64 (VMAXPD's rule: NaN and ±0 kept): l = Σ z_t (Σ z_t² by fused",
				"multiply-adds when sq), g_t = float32(k·[z_t > 0]) (float32((2k)·z_t) when sq) unless g is nil,",
				"gsum = Σ g_t before rounding; sums in 16 lanes folded as lanes16; n a multiple of 16."},
			conds: []cond{{condTrue, "sq"}, {condNonNil, "dst"}},
			body: func(f *fn, v []bool) {
				zero := f.CD(0)
				z := f.Max(zero, f.Add(f.Widen(f.S32("x")), f.PD("thr")))
				k := f.PD("k")
				var g *node
				if v[0] {
					f.SumProd("l", z, z)
					g = f.Mul(z, f.Add(k, k))
				} else {
					f.Sum("l", z)
					g = f.Zero(f.Gt(z, zero), k)
				}
				f.Sum("gsum", g)
				if v[1] {
					f.StoreN("dst", g)
				}
			}},
		{name: "tripDist", sig: "func(a, p, n *float32, cnt int, eps float64) (dp, dn, ds float64)", n: "cnt", step: 16,
			doc: []string{"sqDist of (a, p), (a, n) and (p, n) in one pass: three sums in 16 lanes folded as lanes16."},
			body: func(f *fn, _ []bool) {
				a, p, n := f.S32("a"), f.S32("p"), f.S32("n")
				w := sq(f, a, p)
				f.SumProd("dp", w, w)
				w = sq(f, a, n)
				f.SumProd("dn", w, w)
				w = sq(f, p, n)
				f.SumProd("ds", w, w)
			}},
		{name: "checkRange", sig: "func(x *float32, n int, lo, hi float32, loInf, hiInf bool) int", n: "n", step: 16,
			doc: []string{"The first t < n whose x_t fails lo ≤ x_t ≤ hi with ±Inf only where that bound is infinite",
				"(loInf, hiInf), or −1: device.Check.Valid's CheckRange, lo and hi rounded inwards to float32."},
			conds: []cond{{condTrue, "loInf"}, {condTrue, "hiInf"}},
			body: func(f *fn, v []bool) {
				x := f.S32("x")
				ok := f.MAnd(f.Ge(x, f.PF("lo")), f.Le(x, f.PF("hi")))
				fin := finite(f, x)
				if v[0] {
					fin = f.MOr(fin, f.Lt(x, f.C(0)))
				}
				if v[1] {
					fin = f.MOr(fin, f.Gt(x, f.C(0)))
				}
				f.FindNot("ret", f.MAnd(ok, fin))
			}},
		{name: "checkFinite", sig: "func(x *float32, n int) int", n: "n", step: 16,
			doc:  []string{"The first t < n with x_t not finite, or −1."},
			body: func(f *fn, _ []bool) { f.FindNot("ret", finite(f, f.S32("x"))) }},
		{name: "checkSign", sig: "func(x *float32, n int) int", n: "n", step: 16,
			doc: []string{"The first t < n with x_t ≠ ±1, or −1."},
			body: func(f *fn, _ []bool) {
				x := f.S32("x")
				f.FindNot("ret", f.MOr(f.Eq(x, f.C(1)), f.Eq(x, f.C(-1))))
			}},
		{name: "checkBinary", sig: "func(x *float32, n int) int", n: "n", step: 16,
			doc: []string{"The first t < n with x_t ∉ {0, 1}, or −1."},
			body: func(f *fn, _ []bool) {
				x := f.S32("x")
				f.FindNot("ret", f.MOr(f.Eq(x, f.C(0)), f.Eq(x, f.C(1))))
			}},
		{name: "stats", sig: "func(x, t *float32, n int) (m float32, nan bool, stx, st, sx float64)", n: "n", step: 16,
			only512: true,
			doc:     []string{"max's m and nan with sums3's Σ t·x, Σ t, Σ x, in one pass over x and t."},
			body: func(f *fn, _ []bool) {
				x := f.S32("x")
				f.MaxTo("m", "nan", x)
				tw, xw := f.Widen(f.S32("t")), f.Widen(x)
				f.SumProd("stx", tw, xw)
				f.Sum("st", tw)
				f.Sum("sx", xw)
			}},
	}
}
