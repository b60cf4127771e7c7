package main

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ceRowLen is the bytes of one row's results of ceProbsRows (device/host's ceRow): m
// (float32) at 0, nan (bool) at 4, then Σ t·x, Σ t, Σ x and S (float64) at 8, 16, 24, 32.
const ceRowLen = 40

// ceProbsRows emits device/host's ceProbsRowsAVX512, the forward scan of cross_entropy_probs
// over whole rows of c ≤ 4096 logits, many rows a call. For each row it runs the stats
// primitive's body over the first c − c mod 16 logits (the row's maximum with the NaN flag,
// and Σ t·x, Σ t, Σ x in 16 lanes) and takes the remaining logits into the maximum one by one
// (x_j > m replaces m; a NaN sets the flag); then, for each row, vmath's sumExp body over the
// whole row with that maximum (S = Σ e^{x_j − m} in vmath's 8 lanes, the last block under a
// mask): the same bits as rowStats followed by vmath.SumExp, without two calls and their
// argument blocks per row, and with no row waiting for its own maximum. The tail's Σ t·x, Σ t, Σ x are left to the caller, which adds them in
// order as rowStats does.
func ceProbsRows(c *build.Context, lv level) {
	stats := findPrim("stats")
	sumExp := &prim{name: "ceSumExp", step: 16, body: func(f *fn, _ []bool) {
		f.Sum8("s", f.Widen(f.Exp(f.Sub(f.S32("x"), f.PF("m")))))
	}}
	fs := buildPrim(stats, nil)
	fe := buildPrim(sumExp, nil)

	c.Function("ceProbsRows" + lv.name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr("func(x, t *float32, c, rows int, out *float64)")
	c.Doc("For each of rows rows of c logits x and targets t (stride c), the row's results at",
		"out[5·r:]: m, nan, Σ t·x, Σ t, Σ x of the first c − c mod 16 elements, S = Σ e^{x_j − m}.")
	g := &primgen{c: c, lv: lv, p: &prim{name: "ceProbsRows"}, labelN: 0}
	load := func(name string) reg.GPVirtual {
		r := c.GP64()
		c.MOVQ(g.param(name), r)
		return r
	}
	xp, tp, cn, nr, op := load("x"), load("t"), load("c"), load("rows"), load("out")
	whole := c.GP64()
	c.MOVQ(cn, whole)
	c.ANDQ(operand.I32(-16), whole)
	stride := c.GP64()
	c.MOVQ(cn, stride)
	c.SHLQ(operand.U8(2), stride)
	// The constants of both bodies, once.
	g.consts = map[[2]uint64]reg.VecVirtual{}
	for _, f := range []*fn{fs, fe} {
		for _, n := range f.nodes {
			if n.live && n.op == opConst {
				key := [2]uint64{uint64(n.t), n.bits64 | uint64(n.bits)}
				if _, ok := g.consts[key]; !ok {
					r := g.vec()
					g.broadcastConst(n.t, r, n.bits64|uint64(n.bits))
					g.consts[key] = r
				}
			}
		}
	}
	end := g.label("end")
	c.TESTQ(nr, nr)
	c.JZ(operand.LabelRef(end))
	at := func(off int) operand.Mem { return operand.Mem{Base: op, Disp: off} }
	g.results = map[string]operand.Mem{"m": at(0), "nan": at(4), "stx": at(8), "st": at(16), "sx": at(24), "s": at(32)}
	g.ptr = map[string]reg.GPVirtual{"x": xp, "t": tp}
	// Two loops over the rows, each row independent of the one before in either: the
	// maxima of all rows first, then their sums of exponentials (no row waits for its own
	// maximum between its two passes).
	x0, t0, o0, n0 := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.MOVQ(xp, x0)
	c.MOVQ(tp, t0)
	c.MOVQ(op, o0)
	c.MOVQ(nr, n0)
	advance := func(label string, withT bool) {
		c.ADDQ(stride, xp)
		if withT {
			c.ADDQ(stride, tp)
		}
		c.ADDQ(operand.U8(ceRowLen), op)
		c.DECQ(nr)
		c.JNZ(operand.LabelRef(label))
	}

	// Pass 1: the stats over the whole blocks (or their values for none), then the rest of
	// the maximum element by element: m = x_j > m ? x_j : m, a NaN sets the flag.
	row1 := g.label("stats")
	c.Label(row1)
	none, tail := g.label("none"), g.label("tailmax")
	c.TESTQ(whole, whole)
	c.JZ(operand.LabelRef(none))
	g.p = stats
	g.block(fs, whole, false)
	c.JMP(operand.LabelRef(tail))
	c.Label(none)
	c.MOVL(operand.U32(0xff800000), at(0))
	c.MOVB(operand.U8(0), at(4))
	for off := 8; off < 32; off += 8 {
		c.MOVQ(operand.U32(0), at(off))
	}
	g.p = &prim{name: "ceProbsRows"}
	c.Label(tail)
	m := c.XMM() // EVEX forms below: the registers may be X16–X31
	c.VMOVSS(at(0), m)
	j := c.GP64()
	c.MOVQ(whole, j)
	next, done, ordered := g.label("next"), g.label("maxdone"), g.label("ordered")
	c.Label(next)
	c.CMPQ(j, cn)
	c.JGE(operand.LabelRef(done))
	v := c.XMM()
	c.VMOVSS(operand.Mem{Base: xp, Index: j, Scale: 4}, v)
	c.VUCOMISS(v, v)
	c.JPC(operand.LabelRef(ordered))
	c.MOVB(operand.U8(1), at(4))
	c.Label(ordered)
	c.VMAXSS(m, v, m)
	c.INCQ(j)
	c.JMP(operand.LabelRef(next))
	c.Label(done)
	c.VMOVSS(m, at(0))
	advance(row1, true)

	// Pass 2: S over each whole row with its maximum.
	c.MOVQ(x0, xp)
	c.MOVQ(o0, op)
	c.MOVQ(n0, nr)
	row2 := g.label("sumexp")
	c.Label(row2)
	g.p = sumExp
	g.params = map[string]operand.Mem{"m": at(0)}
	g.block(fe, cn, true)
	advance(row2, false)
	c.Label(end)
	c.VZEROUPPER()
	c.RET()
}

func findPrim(name string) *prim {
	for _, p := range hostPrims() {
		if p.name == name {
			return p
		}
	}
	panic("no primitive " + name)
}

// dotTile emits device/host's dot4x4AVX512 (rows = 4) or dot2x2AVX2 (rows = 2): out[i·ldo+j]
// = scale·(a_i·b_j) for the rows a_i = a[i·lda:] and b_j = b[j·ldb:] over k elements (k a
// multiple of 8, not 0), each dot product a primitive's 8-lane sum of fused products, the
// lanes added as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)) and then multiplied by scale.
func dotTile(rows int) func(c *build.Context, lv level) {
	return func(c *build.Context, lv level) {
		name := "dot4x4"
		if rows == 2 {
			name = "dot2x2"
		}
		p := &prim{name: name, step: 8, body: func(f *fn, _ []bool) {
			for i := range rows {
				for j := range rows {
					f.SumProd8(fmt.Sprintf("d%d%d", i, j), f.S64(fmt.Sprintf("a%d", i)), f.S64(fmt.Sprintf("b%d", j)))
				}
			}
		}}
		c.Function(name + lv.name)
		c.Attributes(attr.NOSPLIT)
		c.SignatureExpr("func(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64)")
		c.Doc(fmt.Sprintf("out[i·ldo+j] = scale·(a_i·b_j) for i, j < %d: lane u of each dot accumulates a[i·lda+t]·b[j·ldb+t] for", rows),
			"t ≡ u mod 8 by fused multiply-adds in t order; the lanes are added as",
			"((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), then multiplied by scale.")
		g := &primgen{c: c, lv: lv, p: p}
		// rowPtrs returns base + i·ld·8 for i < rows.
		rowPtrs := func(base, ld string) []reg.GPVirtual {
			b, l := c.GP64(), c.GP64()
			c.MOVQ(g.param(base), b)
			c.MOVQ(g.param(ld), l)
			c.SHLQ(operand.U8(3), l)
			ps := []reg.GPVirtual{b}
			for range rows - 1 {
				r := c.GP64()
				c.LEAQ(operand.Mem{Base: ps[len(ps)-1], Index: l, Scale: 1}, r)
				ps = append(ps, r)
			}
			return ps
		}
		g.ptr = map[string]reg.GPVirtual{}
		for i, r := range rowPtrs("a", "lda") {
			g.ptr[fmt.Sprintf("a%d", i)] = r
		}
		for j, r := range rowPtrs("b", "ldb") {
			g.ptr[fmt.Sprintf("b%d", j)] = r
		}
		k := c.GP64()
		c.MOVQ(g.param("k"), k)
		outs := rowPtrs("out", "ldo")
		g.results = map[string]operand.Mem{}
		for i := range rows {
			for j := range rows {
				g.results[fmt.Sprintf("d%d%d", i, j)] = operand.Mem{Base: outs[i], Disp: 8 * j}
			}
		}
		sc := c.XMM()
		c.VMOVSD(g.param("scale"), sc)
		g.scale = sc
		g.block(buildPrim(p, nil), k, false)
		c.VZEROUPPER()
		c.RET()
	}
}

// argmaxRows emits device/host's argmaxRows: for each of n contiguous rows of c ≤ 16 floats,
// idx[r] = the first index of the row's first NaN, else of its largest value. One masked
// block a row (the lanes beyond c read −Inf): Find(NaN), then Find(x == HMax(x)).
func argmaxRows(c *build.Context, lv level) {
	p := &prim{name: "argmaxRows", step: 16, body: func(f *fn, _ []bool) {
		x := f.S32Fill("x", float32(math.Inf(-1)))
		f.Find("ret", f.IsNaN(x))
		f.Find("ret", f.Eq(x, f.HMax(x)))
	}}
	body := buildPrim(p, nil)
	c.Function("argmaxRows" + lv.name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr("func(x *float32, n, c int, idx *int32)")
	c.Doc("For each of n contiguous rows of c ≤ 16 floats: idx[r] = the first index of the row's largest",
		"value, or of its first NaN. Masked loads never touch memory beyond the rows.")
	g := &primgen{c: c, lv: lv, p: p}
	xp, nr, cn, ip := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.MOVQ(g.param("x"), xp)
	c.MOVQ(g.param("n"), nr)
	c.MOVQ(g.param("c"), cn)
	c.MOVQ(g.param("idx"), ip)
	// The lanes of a row, once: the first c of 16.
	var masks []operand.Op
	if lv.z {
		base, t := c.GP64(), c.GP32()
		c.LEAQ(operand.NewDataAddr(symKTail, 0), base)
		c.MOVWLZX(operand.Mem{Base: base, Index: cn, Scale: 2}, t)
		k := c.K()
		c.KMOVW(t, k)
		masks = []operand.Op{k}
	} else {
		// Part p has min(max(c − 8p, 0), 8) lanes: vtail's 8 × −1 then 8 × 0 read from
		// 8 − that.
		base := c.GP64()
		c.LEAQ(operand.NewDataAddr(symTail, 0), base)
		eight := c.GP64()
		c.MOVQ(operand.U32(8), eight)
		for part := range 2 {
			r := c.GP64()
			c.MOVQ(cn, r)
			if part == 1 {
				c.SUBQ(operand.U8(8), r)
				zero := c.GP64()
				c.XORQ(zero, zero)
				c.CMPQ(r, zero)
				c.CMOVQLT(zero, r)
			}
			c.CMPQ(r, eight)
			c.CMOVQGT(eight, r)
			t := c.GP64()
			c.MOVQ(eight, t)
			c.SUBQ(r, t)
			m := c.YMM()
			c.VMOVUPS(operand.Mem{Base: base, Index: t, Scale: 4}, m)
			masks = append(masks, m)
		}
	}
	stride := c.GP64()
	c.MOVQ(cn, stride)
	c.SHLQ(operand.U8(2), stride)
	fill := uint64(math.Float32bits(float32(math.Inf(-1))))
	g.consts = map[[2]uint64]reg.VecVirtual{{uint64(tF), fill}: g.constReg(tF, fill)}
	end := g.label("end")
	c.TESTQ(nr, nr)
	c.JZ(operand.LabelRef(end))
	row, next := g.label("row"), g.label("next")
	g.rowNext = next
	g.ptr = map[string]reg.GPVirtual{"x": xp}
	g.results = map[string]operand.Mem{"ret": {Base: ip}}
	c.Label(row)
	g.maskedBlock(body, masks)
	c.Label(next)
	c.ADDQ(stride, xp)
	c.ADDQ(operand.U8(4), ip)
	c.DECQ(nr)
	c.JNZ(operand.LabelRef(row))
	c.Label(end)
	c.VZEROUPPER()
	c.RET()
	for _, t := range g.tails {
		t()
	}
}
