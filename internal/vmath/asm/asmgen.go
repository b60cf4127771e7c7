package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// level is one assembly target.
type level struct {
	name string // function name suffix
	w    int    // float32 lanes per vector
	z    bool   // AVX-512 (ZMM registers, opmasks); else AVX2+FMA (YMM, vector masks)
}

var (
	levelAVX2   = level{name: "AVX2", w: 8}
	levelAVX512 = level{name: "AVX512", w: 16, z: true}
)

// consts is a package's table of vector constants: each value 16 times (64 bytes), so that
// a YMM or ZMM memory operand reads it.
type consts struct {
	index map[uint32]int
	order []uint32
}

func (t *consts) mem(bits uint32) operand.Mem {
	i, ok := t.index[bits]
	if !ok {
		i = len(t.order)
		t.index[bits] = i
		t.order = append(t.order, bits)
	}
	return operand.NewDataAddr(operand.Symbol{Name: "vconst", Static: true}, 64*i)
}

var (
	symTail  = operand.Symbol{Name: "vtail", Static: true}  // 8 × −1 then 8 × 0 (int32)
	symKTail = operand.Symbol{Name: "vktail", Static: true} // (1<<r) − 1 for r = 0..16 (uint16)
)

// emitData writes the constant tables of one file.
func (t *consts) emitData(c *build.Context) {
	c.StaticGlobal("vconst")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, b := range t.order {
		for j := range 16 {
			c.AddDatum(64*i+4*j, operand.U32(b))
		}
	}
	c.StaticGlobal("vtail")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for j := range 16 {
		v := uint32(0)
		if j < 8 {
			v = 0xffffffff
		}
		c.AddDatum(4*j, operand.U32(v))
	}
	c.StaticGlobal("vktail")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for r := 0; r <= 16; r++ {
		c.AddDatum(2*r, operand.U16(uint16(1<<r-1)))
	}
}

type asmgen struct {
	c   *build.Context
	lv  level
	tab *consts

	// per function
	b       *built
	val     map[*node]operand.Op
	a       reg.GPVirtual // *kargs
	i       reg.GPVirtual // element index
	r       reg.GPVirtual // elements left (n − i)
	local   operand.Mem   // broadcast parameters, then the scale
	inPtr   [5]reg.GPVirtual
	inReg   [5]reg.VecVirtual
	flag    reg.VecVirtual
	flagMem bool
	maxAcc  reg.VecVirtual
	nanV    reg.VecVirtual
	nanK    reg.OpmaskVirtual
	acc     []operand.Op // float64 lanes of Σ w·L (or Σ L)
	accW    []operand.Op // float64 lanes of Σ w
	accA    []operand.Op // float64 lanes of Σ |w·L|
	labelN  int
}

func (g *asmgen) vec() reg.VecVirtual {
	if g.lv.z {
		return g.c.ZMM()
	}
	return g.c.YMM()
}

func (g *asmgen) label(s string) string {
	g.labelN++
	return fmt.Sprintf("%s_%d", s, g.labelN)
}

func (g *asmgen) slot(k int) operand.Mem { return g.local.Offset(4 * g.lv.w * k) }

// opnd is n's value as an operand: a register, or memory for constants and parameters.
func (g *asmgen) opnd(n *node) operand.Op {
	switch n.op {
	case opConst:
		return g.tab.mem(n.bits)
	case opParam:
		return g.slot(n.k)
	}
	v, ok := g.val[n]
	if !ok {
		panic(fmt.Sprintf("%s: node %d (op %d) used before emission", g.b.k.name, n.id, n.op))
	}
	return v
}

func isMem(o operand.Op) bool { _, ok := o.(operand.Mem); return ok }

// reg is n's value in a register (loaded from memory when it is a constant or parameter).
func (g *asmgen) reg(n *node) operand.Op {
	o := g.opnd(n)
	if isMem(o) {
		r := g.vec()
		g.c.VMOVUPS(o, r)
		return r
	}
	return o
}

// commute orders a commutative pair so that only the first may be memory.
func (g *asmgen) commute(a, b *node) (mem operand.Op, r operand.Op) {
	oa, ob := g.opnd(a), g.opnd(b)
	if isMem(oa) && !isMem(ob) {
		return oa, ob
	}
	return ob, g.reg(a)
}

var cmpPred = map[op]uint8{opLt: 0x11, opLe: 0x12, opGt: 0x1e, opGe: 0x1d, opEq: 0x00, opNe: 0x04, opUnord: 0x03}

func (g *asmgen) node(n *node) {
	c := g.c
	z := g.lv.z
	var d operand.Op
	newv := func() operand.Op { v := g.vec(); d = v; return v }
	switch n.op {
	case opConst, opParam:
		return
	case opIn:
		g.val[n] = g.inReg[n.k]
		return
	case opAsI, opAsF:
		g.val[n] = g.opnd(n.a[0])
		return
	case opAdd, opMul, opIAdd:
		m, r := g.commute(n.a[0], n.a[1])
		switch n.op {
		case opAdd:
			c.VADDPS(m, r, newv())
		case opMul:
			c.VMULPS(m, r, newv())
		default:
			c.VPADDD(m, r, newv())
		}
	case opSub:
		c.VSUBPS(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
	case opDiv:
		c.VDIVPS(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
	case opISub:
		c.VPSUBD(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
	case opIMin:
		m, r := g.commute(n.a[0], n.a[1])
		c.VPMINSD(m, r, newv())
	case opMin:
		c.VMINPS(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
	case opMax:
		c.VMAXPS(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
	case opFMA, opFMS, opFNMA:
		a, b, cc := n.a[0], n.a[1], n.a[2]
		if isMem(g.opnd(b)) && !isMem(g.opnd(a)) {
			a, b = b, a
		}
		v := newv()
		if oa := g.opnd(a); isMem(oa) {
			c.VMOVUPS(oa, v)
		} else {
			c.VMOVAPS(oa, v)
		}
		rb := g.reg(b)
		switch n.op {
		case opFMA:
			c.VFMADD213PS(g.opnd(cc), rb, v)
		case opFMS:
			c.VFMSUB213PS(g.opnd(cc), rb, v)
		default:
			c.VFNMADD213PS(g.opnd(cc), rb, v)
		}
	case opSqrt:
		c.VSQRTPS(g.opnd(n.a[0]), newv())
	case opRound:
		if z {
			c.VRNDSCALEPS(operand.U8(8), g.opnd(n.a[0]), newv())
		} else {
			c.VROUNDPS(operand.U8(8), g.opnd(n.a[0]), newv())
		}
	case opAnd, opOr, opXor:
		m, r := g.commute(n.a[0], n.a[1])
		switch {
		case n.op == opAnd && z:
			c.VPANDD(m, r, newv())
		case n.op == opAnd:
			c.VANDPS(m, r, newv())
		case n.op == opOr && z:
			c.VPORD(m, r, newv())
		case n.op == opOr:
			c.VORPS(m, r, newv())
		case z:
			c.VPXORD(m, r, newv())
		default:
			c.VXORPS(m, r, newv())
		}
	case opAndNot: // a &^ b = ANDN(b, a)
		if z {
			c.VPANDND(g.opnd(n.a[0]), g.reg(n.a[1]), newv())
		} else {
			c.VANDNPS(g.opnd(n.a[0]), g.reg(n.a[1]), newv())
		}
	case opToI:
		c.VCVTTPS2DQ(g.opnd(n.a[0]), newv())
	case opToF:
		c.VCVTDQ2PS(g.opnd(n.a[0]), newv())
	case opShl:
		c.VPSLLD(operand.U8(n.k), g.reg(n.a[0]), newv())
	case opSra:
		c.VPSRAD(operand.U8(n.k), g.reg(n.a[0]), newv())
	case opLt, opLe, opGt, opGe, opEq, opNe, opUnord:
		if z {
			k := c.K()
			c.VCMPPS(operand.U8(cmpPred[n.op]), g.opnd(n.a[1]), g.reg(n.a[0]), k)
			d = k
		} else {
			c.VCMPPS(operand.U8(cmpPred[n.op]), g.opnd(n.a[1]), g.reg(n.a[0]), newv())
		}
	case opMAnd, opMOr, opMAndNot:
		a, b := g.opnd(n.a[0]), g.opnd(n.a[1])
		if z {
			k := c.K()
			switch n.op {
			case opMAnd:
				c.KANDW(b, a, k)
			case opMOr:
				c.KORW(b, a, k)
			default:
				c.KANDNW(a, b, k) // ¬b ∧ a
			}
			d = k
		} else {
			switch n.op {
			case opMAnd:
				c.VANDPS(b, a, newv())
			case opMOr:
				c.VORPS(b, a, newv())
			default:
				c.VANDNPS(a, b, newv())
			}
		}
	case opSel:
		m, a, b := g.opnd(n.a[0]), g.opnd(n.a[1]), g.reg(n.a[2])
		if z {
			// avo takes a masked destination as read (merging); define it first.
			v := newv()
			c.VMOVAPS(b, v)
			c.VBLENDMPS(a, v, m, v)
		} else {
			c.VBLENDVPS(m, a, b, newv())
		}
	case opZero:
		m, a := g.opnd(n.a[0]), g.opnd(n.a[1])
		if z {
			v := newv()
			c.VPXORD(v, v, v)
			c.VMOVUPS_Z(a, m, v)
		} else {
			c.VANDPS(a, m, newv())
		}
	case opScale:
		if z {
			c.VSCALEFPS(g.opnd(n.a[1]), g.reg(n.a[0]), newv())
			break
		}
		// p·2^n1·2^n2 with n1 = n>>1, n2 = n − n1: both factors normal, the first product
		// exact, so the second rounds once, as VSCALEFPS does.
		ni := g.vec()
		c.VCVTTPS2DQ(g.opnd(n.a[1]), ni)
		n1 := g.vec()
		c.VPSRAD(operand.U8(1), ni, n1)
		c.VPSUBD(n1, ni, ni)
		bias := g.tab.mem(127)
		c.VPADDD(bias, n1, n1)
		c.VPSLLD(operand.U8(23), n1, n1)
		c.VPADDD(bias, ni, ni)
		c.VPSLLD(operand.U8(23), ni, ni)
		v := newv()
		c.VMULPS(n1, g.reg(n.a[0]), v)
		c.VMULPS(ni, v, v)
	default:
		panic(fmt.Sprintf("asm: op %d", n.op))
	}
	g.val[n] = d
}

func (g *asmgen) streamMem(p reg.GPVirtual) operand.Mem {
	return operand.Mem{Base: p, Index: g.i, Scale: 4}
}

// tailMask loads the mask of the first r lanes: a vector on AVX2, an opmask on AVX-512.
func (g *asmgen) tailMask() operand.Op {
	c := g.c
	if g.lv.z {
		base := c.GP64()
		c.LEAQ(operand.NewDataAddr(symKTail, 0), base)
		t := c.GP32()
		c.MOVWLZX(operand.Mem{Base: base, Index: g.r, Scale: 2}, t)
		k := c.K()
		c.KMOVW(t, k)
		return k
	}
	t := c.GP64()
	c.MOVQ(operand.U32(8), t)
	c.SUBQ(g.r, t)
	base := c.GP64()
	c.LEAQ(operand.NewDataAddr(symTail, 0), base)
	m := c.YMM()
	c.VMOVUPS(operand.Mem{Base: base, Index: t, Scale: 4}, m)
	return m
}

func (g *asmgen) load(p reg.GPVirtual, dst reg.VecVirtual, mask operand.Op) {
	switch {
	case mask == nil:
		g.c.VMOVUPS(g.streamMem(p), dst)
	case g.lv.z:
		g.c.VPXORD(dst, dst, dst) // define dst for avo, which takes a masked destination as read
		g.c.VMOVUPS_Z(g.streamMem(p), mask, dst)
	default:
		g.c.VMASKMOVPS(g.streamMem(p), mask, dst)
	}
}

// loadAll loads every input stream (the weights only when present).
func (g *asmgen) loadAll(mask operand.Op) {
	for s := range g.inPtr {
		if g.inPtr[s] == nil {
			continue
		}
		if s != inW { // the weights are loaded by the epilogue, where they are used
			g.load(g.inPtr[s], g.inReg[s], mask)
		}
	}
}

func (g *asmgen) store(v operand.Op, p reg.GPVirtual, mask operand.Op) {
	switch {
	case mask == nil:
		g.c.VMOVUPS(v, g.streamMem(p))
	case g.lv.z:
		g.c.VMOVUPS(v, mask, g.streamMem(p))
	default:
		g.c.VMASKMOVPS(v, mask, g.streamMem(p))
	}
}

// storeOut stores v to output stream k when its pointer is not nil.
func (g *asmgen) storeOut(k int, v operand.Op, mask operand.Op) {
	c := g.c
	p := c.GP64()
	skip := g.label("skip")
	c.MOVQ(operand.Mem{Base: g.a, Disp: outOff[k]}, p)
	c.TESTQ(p, p)
	c.JZ(operand.LabelRef(skip))
	if mask == nil { // a whole vector: non-temporal when kargs.nt says so (the caller checked alignment)
		plain := g.label("plain")
		c.CMPL(operand.Mem{Base: g.a, Disp: offNT}, operand.U8(0))
		c.JE(operand.LabelRef(plain))
		c.VMOVNTPS(v, g.streamMem(p))
		c.JMP(operand.LabelRef(skip))
		c.Label(plain)
	}
	g.store(v, p, mask)
	c.Label(skip)
}

// widen converts the float32 vector v to float64 halves (lanes 0..w/2−1, then the rest).
func (g *asmgen) widen(v operand.Op) (lo, hi reg.VecVirtual) {
	c := g.c
	vr := v.(reg.VecVirtual)
	lo, hi = g.vec(), g.vec()
	if g.lv.z {
		c.VCVTPS2PD(vr.AsY(), lo)
		t := c.YMM()
		c.VEXTRACTF64X4(operand.U8(1), vr, t)
		c.VCVTPS2PD(t, hi)
	} else {
		c.VCVTPS2PD(vr.AsX(), lo)
		t := c.XMM()
		c.VEXTRACTF128(operand.U8(1), vr, t)
		c.VCVTPS2PD(t, hi)
	}
	return lo, hi
}

// accAdd adds the float64 halves to an accumulator (times wlo, whi when not nil): on AVX2
// lanes 0..3 and 4..7 of acc; on AVX-512 lo then hi into the one 8-lane accumulator (hi
// skipped in a tail of at most 8 elements), so that each of the 8 lanes adds the same
// elements in the same order on both levels.
func (g *asmgen) accAdd(acc []operand.Op, lo, hi, wlo, whi reg.VecVirtual, tail bool) {
	c := g.c
	add := func(a operand.Op, x, w reg.VecVirtual) {
		target := a
		var t reg.VecVirtual
		if isMem(a) {
			t = g.vec()
			c.VMOVUPD(a, t)
			target = t
		}
		if w == nil {
			c.VADDPD(x, target, target)
		} else {
			c.VFMADD231PD(w, x, target)
		}
		if t != nil {
			c.VMOVUPD(t, a)
		}
	}
	if !g.lv.z {
		add(acc[0], lo, wlo)
		add(acc[1], hi, whi)
		return
	}
	add(acc[0], lo, wlo)
	skip := ""
	if tail {
		skip = g.label("hi")
		c.CMPQ(g.r, operand.U8(8))
		c.JLE(operand.LabelRef(skip))
	}
	add(acc[0], hi, whi)
	if tail {
		c.Label(skip)
	}
}

func (g *asmgen) function(b *built) {
	c := g.c
	g.b = b
	g.val = map[*node]operand.Op{}
	k := b.k
	c.Function(k.name + g.lv.name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr("func(a *byte)")
	c.Pragma("noescape")
	g.a = c.GP64()
	c.Load(c.Param("a"), g.a)
	nslots := b.f.nparam + 1
	g.local = c.AllocLocal(4 * g.lv.w * nslots)
	// Broadcast the parameters and the scale into the local slots.
	for j := 0; j < nslots; j++ {
		off := offP + 4*j
		if j == b.f.nparam {
			off = offScale
		}
		t := g.vec()
		c.VBROADCASTSS(operand.Mem{Base: g.a, Disp: off}, t)
		c.VMOVUPS(t, g.slot(j))
	}
	scale := g.slot(b.f.nparam)
	n := c.GP64()
	c.MOVQ(operand.Mem{Base: g.a, Disp: offN}, n)
	for s := range b.in {
		if b.in[s] || (s == inW && k.kind == kLoss) {
			g.inPtr[s] = c.GP64()
			c.MOVQ(operand.Mem{Base: g.a, Disp: inOff[s]}, g.inPtr[s])
			if s != inW {
				g.inReg[s] = g.vec()
			}
		}
	}
	// Accumulators.
	nacc := 2
	bytes := 32
	if g.lv.z {
		nacc, bytes = 1, 64
	}
	hasSums := k.kind == kSum || k.kind == kLoss
	g.acc, g.accW, g.accA = nil, nil, nil
	if hasSums {
		for j := range nacc {
			g.acc = append(g.acc, operand.Mem{Base: g.a, Disp: offSums + bytes*j})
			if k.kind == kLoss {
				g.accW = append(g.accW, operand.Mem{Base: g.a, Disp: offSums + 64 + bytes*j})
				g.accA = append(g.accA, operand.Mem{Base: g.a, Disp: offSums + 128 + bytes*j})
			}
		}
		if !k.accMem {
			for j := range g.acc {
				r := g.vec()
				c.VMOVUPD(g.acc[j], r)
				g.acc[j] = r
			}
			for j := range g.accW {
				r := g.vec()
				c.VMOVUPD(g.accW[j], r)
				g.accW[j] = r
			}
			for j := range g.accA {
				r := g.vec()
				c.VMOVUPD(g.accA[j], r)
				g.accA[j] = r
			}
		}
	}
	g.flag, g.flagMem = nil, false
	if k.kind == kLoss && len(gradsOf(b)) > 0 {
		t := g.vec()
		g.zeroReg(t)
		if k.accMem { // in kargs.flags, like the accumulators
			g.flagMem = true
			c.VMOVUPS(t.AsY(), operand.Mem{Base: g.a, Disp: offFlags})
			if g.lv.z {
				c.VMOVUPS(t.AsY(), operand.Mem{Base: g.a, Disp: offFlags + 32})
			}
		} else {
			g.flag = t
		}
	}
	if k.kind == kMax {
		g.maxAcc = g.vec()
		c.VMOVUPS(g.tab.mem(negInfBits), g.maxAcc)
		if g.lv.z {
			g.nanK = c.K()
			c.KXORW(g.nanK, g.nanK, g.nanK)
		} else {
			g.nanV = g.vec()
			c.VXORPS(g.nanV, g.nanV, g.nanV)
		}
	}
	g.i = c.GP64()
	g.r = c.GP64()
	c.XORQ(g.i, g.i)
	loop, tailLoad, body, tailStore, done := g.label("loop"), g.label("tailload"), g.label("body"), g.label("tailstore"), g.label("done")
	c.Label(loop)
	c.MOVQ(n, g.r)
	c.SUBQ(g.i, g.r)
	c.CMPQ(g.r, operand.U8(g.lv.w))
	c.JL(operand.LabelRef(tailLoad))
	g.loadAll(nil)
	c.JMP(operand.LabelRef(body))
	c.Label(tailLoad)
	c.TESTQ(g.r, g.r)
	c.JLE(operand.LabelRef(done))
	g.loadAll(g.tailMask())
	c.Label(body)
	for _, nd := range b.f.nodes {
		if nd.live {
			g.node(nd)
		}
	}
	c.CMPQ(g.r, operand.U8(g.lv.w))
	c.JL(operand.LabelRef(tailStore))
	g.epilogue(scale, false)
	c.ADDQ(operand.U8(g.lv.w), g.i)
	c.JMP(operand.LabelRef(loop))
	c.Label(tailStore)
	g.epilogue(scale, true)
	c.Label(done)
	if k.kind == kMax {
		c.VMOVUPS(g.maxAcc, operand.Mem{Base: g.a, Disp: offFlags})
		if g.lv.z {
			t := c.GP32()
			c.KMOVW(g.nanK, t)
			c.MOVL(t, operand.Mem{Base: g.a, Disp: offSums})
		} else {
			c.VMOVUPS(g.maxAcc, operand.Mem{Base: g.a, Disp: offFlags + 32})
			c.VMOVUPS(g.nanV, operand.Mem{Base: g.a, Disp: offSums})
		}
	}
	if g.flag != nil {
		c.VMOVUPS(g.flag, operand.Mem{Base: g.a, Disp: offFlags})
		if !g.lv.z {
			t := c.YMM()
			c.VXORPS(t, t, t)
			c.VMOVUPS(t, operand.Mem{Base: g.a, Disp: offFlags + 32})
		}
	}
	if hasSums && !k.accMem {
		for j, r := range g.acc {
			c.VMOVUPD(r, operand.Mem{Base: g.a, Disp: offSums + bytes*j})
		}
		for j, r := range g.accW {
			c.VMOVUPD(r, operand.Mem{Base: g.a, Disp: offSums + 64 + bytes*j})
		}
		for j, r := range g.accA {
			c.VMOVUPD(r, operand.Mem{Base: g.a, Disp: offSums + 128 + bytes*j})
		}
	}
	if k.kind == kLoss || k.kind == kMap { // order the non-temporal stores before returning
		plain := g.label("ret")
		c.CMPL(operand.Mem{Base: g.a, Disp: offNT}, operand.U8(0))
		c.JE(operand.LabelRef(plain))
		c.SFENCE()
		c.Label(plain)
	}
	c.VZEROUPPER()
	c.RET()
}

// epilogue writes one vector of results: PS, the sums and the scaled gradients.
func (g *asmgen) epilogue(scale operand.Mem, tail bool) {
	c := g.c
	b := g.b
	var mask operand.Op
	if tail {
		mask = g.tailMask()
	}
	switch b.k.kind {
	case kMax:
		l := g.reg(b.o.L)
		if tail { // lanes beyond the end count as −Inf
			d := g.vec()
			if g.lv.z {
				c.VMOVUPS(g.tab.mem(negInfBits), d)
				c.VBLENDMPS(l, d, mask, d)
			} else {
				c.VMOVUPS(g.tab.mem(negInfBits), d)
				c.VBLENDVPS(mask, l, d, d)
			}
			l = d
		}
		c.VMAXPS(l, g.maxAcc, g.maxAcc)
		if g.lv.z {
			k := c.K()
			c.VCMPPS(operand.U8(cmpPred[opUnord]), l, l, k)
			c.KORW(k, g.nanK, g.nanK)
		} else {
			u := g.vec()
			c.VCMPPS(operand.U8(cmpPred[opUnord]), l, l, u)
			c.VORPS(u, g.nanV, g.nanV)
		}
		return
	case kMap:
		g.storeOut(outPS, g.reg(b.o.Dst), mask)
		return
	case kSum:
		l := g.reg(b.o.L)
		if tail {
			l = g.zero(mask, l)
		}
		lo, hi := g.widen(l)
		var wlo, whi reg.VecVirtual
		if b.o.LW != nil {
			wlo, whi = g.widen(g.reg(b.o.LW))
		}
		g.accAdd(g.acc, lo, hi, wlo, whi, tail)
		return
	}
	l := g.reg(b.o.L)
	if tail {
		l = g.zero(mask, l)
	}
	gs, idx := b.grads()
	sw := g.vec() // scale·w, or the scale
	unweighted, grads := g.label("unweighted"), g.label("grads")
	c.TESTQ(g.inPtr[inW], g.inPtr[inW])
	c.JZ(operand.LabelRef(unweighted))
	{ // weighted
		w := g.vec()
		g.load(g.inPtr[inW], w, mask)
		wl := g.vec()
		c.VMULPS(w, l, wl)
		g.storeOut(outPS, wl, mask)
		lo, hi := g.widen(l)
		wlo, whi := g.widen(w)
		g.accAdd(g.acc, lo, hi, wlo, whi, tail)
		g.accAdd(g.accW, wlo, whi, nil, nil, tail)
		g.accAbs(wl, tail)
		if len(gs) > 0 {
			c.VMULPS(scale, w, sw)
		}
		c.JMP(operand.LabelRef(grads))
	}
	c.Label(unweighted)
	{
		g.storeOut(outPS, l, mask)
		lo, hi := g.widen(l)
		g.accAdd(g.acc, lo, hi, nil, nil, tail)
		g.accAbs(l, tail)
		if len(gs) > 0 {
			c.VMOVUPS(scale, sw)
		}
	}
	c.Label(grads)
	for j, gn := range gs {
		v := g.vec()
		c.VMULPS(g.opnd(gn), sw, v)
		// flag += v − v: NaN where v is not finite (masked to the tail's lanes).
		t := g.vec()
		c.VSUBPS(v, v, t)
		var tt operand.Op = t
		if tail {
			tt = g.zero(mask, t)
		}
		if g.flagMem {
			fm := operand.Mem{Base: g.a, Disp: offFlags}
			f := g.vec()
			c.VADDPS(fm, tt, f)
			c.VMOVUPS(f, fm)
		} else {
			c.VADDPS(tt, g.flag, g.flag)
		}
		g.storeOut(idx[j], v, mask)
	}
}

// accAbs adds |v| (float32, widened) to the Σ |w·L| lanes.
func (g *asmgen) accAbs(v operand.Op, tail bool) {
	a := g.vec()
	if g.lv.z {
		g.c.VPANDD(g.tab.mem(0x7fffffff), v, a)
	} else {
		g.c.VANDPS(g.tab.mem(0x7fffffff), v, a)
	}
	lo, hi := g.widen(a)
	g.accAdd(g.accA, lo, hi, nil, nil, tail)
}

// zeroReg sets a vector register to zero (VPXORD on AVX-512: VXORPS on ZMM needs AVX512DQ,
// and the kernels require AVX512F only).
func (g *asmgen) zeroReg(v reg.VecVirtual) {
	if g.lv.z {
		g.c.VPXORD(v, v, v)
	} else {
		g.c.VXORPS(v, v, v)
	}
}

func gradsOf(b *built) []*node { g, _ := b.grads(); return g }

func (g *asmgen) zero(mask, v operand.Op) operand.Op {
	d := g.vec()
	if g.lv.z {
		g.c.VPXORD(d, d, d)
		g.c.VMOVAPS_Z(v, mask, d)
	} else {
		g.c.VANDPS(v, mask, d)
	}
	return d
}
