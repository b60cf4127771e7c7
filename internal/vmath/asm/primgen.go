package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// primgen emits one primitive at one level (see prim.go).
//
// A block of step elements is held in parts: a float32 value in step/L32 vector registers
// (L32 = 16 lanes on AVX-512, 8 on AVX2), a float64 value in step/L64 (L64 = 8 or 4). The
// block is emitted group by group, a group being one float32 part and the float64 parts that
// cover the same elements: first the float32 nodes of the group, then for each float64 part
// in turn all the float64 nodes, each part's dataflow completed before the next begins (what
// keeps AVX2's 16 registers enough); within a part, values and sinks in the order the body
// made them. Values that depend on parameters and constants alone
// are computed once before the loop; an input stream read once is a memory operand.
type primgen struct {
	c     *build.Context
	lv    level
	p     *prim
	remat bool // convert a widened stream at each use (fewer live registers)

	f      *fn
	ptr    map[string]reg.GPVirtual
	i, n   reg.GPVirtual
	inv    map[*node]operand.Op
	val    map[*node]map[int]operand.Op
	uses   map[*node]int
	acc    map[*node][]operand.Op // a sink's accumulators (per part), or its GP counter
	nan    map[*node]operand.Op   // opMaxR's NaN lanes
	tails  []func()
	labelN int

	// For bodies embedded in a frame of their own (cerows.go): results and parameters at
	// given memory, constants materialized once, and the mask of a tail block (nil in a
	// whole block).
	results map[string]operand.Mem
	params  map[string]operand.Mem
	consts  map[[2]uint64]reg.VecVirtual
	mask    operand.Op
	masks64 map[int]operand.Op
	scale   operand.Op   // when set, each float64 sum is multiplied by it before it is stored
	vmasks  []operand.Op // AVX2: a masked block's lane mask of each float32 part
	// In a frame of rows, a Find stores its index (int32) and jumps to rowNext.
	rowNext string
}

func (g *primgen) vec() reg.VecVirtual {
	if g.lv.z {
		return g.c.ZMM()
	}
	return g.c.YMM()
}

func (g *primgen) label(s string) string {
	g.labelN++
	return fmt.Sprintf("%s_%s_%d", g.p.name, s, g.labelN)
}

// l32 and l64 are the float32 and float64 lanes of a register.
func (g *primgen) l32() int { return g.lv.w }
func (g *primgen) l64() int { return g.lv.w / 2 }

func (g *primgen) param(name string) operand.Mem {
	if m, ok := g.params[name]; ok {
		return m
	}
	b, err := g.c.Param(name).Resolve()
	if err != nil {
		panic(fmt.Sprintf("%s: parameter %s: %v", g.p.name, name, err))
	}
	return b.Addr
}

func (g *primgen) result(name string) operand.Mem {
	if m, ok := g.results[name]; ok {
		return m
	}
	r := g.c.Return(name)
	if name == "ret" { // the one unnamed result
		r = g.c.ReturnIndex(0)
	}
	b, err := r.Resolve()
	if err != nil {
		panic(fmt.Sprintf("%s: result %s: %v", g.p.name, name, err))
	}
	return b.Addr
}

// function emits the primitive: load the pointers and the count, choose the variant, run it.
func (g *primgen) function() {
	c, p := g.c, g.p
	c.Function(p.name + g.lv.name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(p.sig)
	c.Doc(p.doc...)
	// The pointers any variant reads or writes, and those the conditions test.
	names := map[string]bool{}
	var fs [][]bool
	for v := 0; v < 1<<len(p.conds); v++ {
		bits := make([]bool, len(p.conds))
		for j := range bits {
			bits[j] = v>>j&1 == 1
		}
		fs = append(fs, bits)
		for _, nd := range buildPrim(p, bits).nodes {
			if nd.live && (nd.op == opIn || nd.op == opStore || nd.op == opStoreN) {
				names[nd.name] = true
			}
		}
	}
	for _, cd := range p.conds {
		if cd.kind == condNonNil {
			names[cd.name] = true
		}
	}
	g.ptr = map[string]reg.GPVirtual{}
	for _, nm := range paramOrder(p.sig) {
		if names[nm] {
			r := c.GP64()
			c.MOVQ(g.param(nm), r)
			g.ptr[nm] = r
		}
	}
	g.n = c.GP64()
	c.MOVQ(g.param(p.n), g.n)
	g.variants(fs, 0, 0)
}

// paramOrder lists the parameter names of a signature in order.
func paramOrder(sig string) []string {
	s := strings.TrimPrefix(sig, "func(")
	s = s[:strings.Index(s, ")")]
	var out []string
	for _, grp := range strings.Split(s, ",") {
		f := strings.Fields(grp)
		if len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

// variants emits the tests of conds[k:] and the variants under them (v: the bits so far).
func (g *primgen) variants(fs [][]bool, k, v int) {
	c, p := g.c, g.p
	if k == len(p.conds) {
		g.variant(fs[v])
		return
	}
	yes := g.label("cond")
	cd := p.conds[k]
	switch cd.kind {
	case condTrue:
		t := c.GP32()
		c.MOVBLZX(g.param(cd.name), t)
		c.TESTL(t, t)
		c.JNZ(operand.LabelRef(yes))
	case condNonNil:
		r := g.ptr[cd.name]
		c.TESTQ(r, r)
		c.JNZ(operand.LabelRef(yes))
	case condNaN:
		x := c.XMM()
		c.MOVSS(g.param(cd.name), x)
		c.UCOMISS(x, x)
		c.JPS(operand.LabelRef(yes))
	}
	g.variants(fs, k+1, v)
	c.Label(yes)
	g.variants(fs, k+1, v|1<<k)
}

// kind32 reports whether a node's lanes are float32 (values or masks).
func kind32(n *node) bool {
	if isSink(n.op) {
		return n.a[0].t == tF || n.a[0].t == tM
	}
	return n.t == tF || n.t == tM
}

// variant emits one variant of the primitive and returns.
func (g *primgen) variant(v []bool) {
	c := g.c
	g.tails = nil
	g.block(buildPrim(g.p, v), g.n, false)
	c.VZEROUPPER()
	c.RET()
	for _, t := range g.tails {
		t()
	}
}

// block emits f over count elements: its invariants, the accumulators, the loop over whole
// blocks of step elements, and the results. Without tail count is a multiple of step and
// not 0; with tail (AVX-512 only) it is any length, the loop is skipped when it has no
// whole block, and the rest is one block under a mask: its loads fill the lanes beyond the
// end with zeros, and its sums add zeros there.
func (g *primgen) block(f *fn, count reg.GPVirtual, tail bool) {
	c, p := g.c, g.p
	g.f = f
	g.inv = map[*node]operand.Op{}
	g.acc = map[*node][]operand.Op{}
	g.nan = map[*node]operand.Op{}
	g.uses = map[*node]int{}
	g.mask = nil
	invariant := map[*node]bool{}
	has32 := false
	for _, n := range f.nodes {
		if !n.live {
			continue
		}
		switch {
		case n.op == opConst || n.op == opParam:
			invariant[n] = true
		case !isSink(n.op) && n.op != opIn:
			all := true
			for _, a := range n.a {
				all = all && invariant[a]
			}
			invariant[n] = all
		}
		if n.op != opWiden || n.a[0].op != opIn { // a stream's conversion reads its memory
			for _, a := range n.a {
				g.uses[a]++
			}
		}
		if !invariant[n] && kind32(n) {
			has32 = true
			for _, a := range n.a {
				if !invariant[a] && !kind32(a) {
					panic(fmt.Sprintf("%s: float32 lanes computed from float64 lanes", p.name))
				}
			}
		}
	}
	// Loop invariants, once.
	for _, n := range f.nodes {
		if n.live && invariant[n] {
			g.inv[n] = g.invariant(n)
		}
	}
	p32, p64 := p.step/g.l32(), p.step/g.l64()
	groups, per := p32, 0
	if p32 > 0 {
		per = p64 / p32
	}
	if !has32 {
		groups, per = p64, 1
	} else if p32 == 0 || p32*g.l32() != p.step {
		panic(fmt.Sprintf("%s: float32 lanes need a step of a whole register", p.name))
	}
	// Accumulators.
	for _, n := range f.nodes {
		if !n.live {
			continue
		}
		switch n.op {
		case opSum:
			lanes := 16
			if n.k == 8 {
				lanes = 8
			}
			if p64*g.l64()%lanes != 0 {
				panic(fmt.Sprintf("%s: a block of %d elements does not fill %d lanes", p.name, p.step, lanes))
			}
			for range lanes / g.l64() {
				r := g.vec()
				g.zero(r)
				g.acc[n] = append(g.acc[n], r)
			}
		case opMaxR:
			parts := p32
			if !kind32(n) {
				parts = p64
			}
			for range parts {
				r := g.vec()
				g.broadcastConst(n.a[0].t, r, negInf(n.a[0].t))
				g.acc[n] = append(g.acc[n], r)
			}
			if g.lv.z {
				k := c.K()
				c.KXORW(k, k, k)
				g.nan[n] = k
			} else {
				r := g.vec()
				g.zero(r)
				g.nan[n] = r
			}
		case opCount:
			r := c.GP64()
			c.XORQ(r, r)
			g.acc[n] = []operand.Op{r}
		}
	}
	// One block: the nodes in the order the body made them (a store comes after the reads
	// it may clobber), group by group.
	blockBody := func() {
		emit := func(n *node, j int) {
			if isSink(n.op) {
				g.sink(n, j)
			} else {
				g.emit(n, j)
			}
		}
		for grp := range groups {
			g.val = map[*node]map[int]operand.Op{}
			if has32 {
				for _, n := range f.nodes {
					if n.live && !invariant[n] && kind32(n) {
						emit(n, grp)
					}
				}
			}
			for q := grp * per; q < (grp+1)*per; q++ {
				for _, n := range f.nodes {
					if n.live && !invariant[n] && !kind32(n) {
						emit(n, q)
					}
				}
			}
		}
	}
	g.i = c.GP64()
	c.XORQ(g.i, g.i)
	loop := g.label("loop")
	if !tail {
		c.Label(loop)
		blockBody()
		c.ADDQ(operand.U8(p.step), g.i)
		c.CMPQ(g.i, count)
		c.JLT(operand.LabelRef(loop))
	} else {
		if !g.lv.z || groups != 1 {
			panic(fmt.Sprintf("%s: a tail block needs AVX-512 and one register of float32 a block", p.name))
		}
		whole := c.GP64()
		c.MOVQ(count, whole)
		c.ANDQ(operand.I32(-p.step), whole)
		rest := g.label("rest")
		c.JZ(operand.LabelRef(rest))
		c.Label(loop)
		blockBody()
		c.ADDQ(operand.U8(p.step), g.i)
		c.CMPQ(g.i, whole)
		c.JLT(operand.LabelRef(loop))
		c.Label(rest)
		r := c.GP64()
		c.MOVQ(count, r)
		c.SUBQ(g.i, r)
		done := g.label("done")
		c.JZ(operand.LabelRef(done))
		// The mask of the first r lanes, (1 << r) − 1, from the table.
		base := c.GP64()
		c.LEAQ(operand.NewDataAddr(symKTail, 0), base)
		t := c.GP32()
		c.MOVWLZX(operand.Mem{Base: base, Index: r, Scale: 2}, t)
		k := c.K()
		c.KMOVW(t, k)
		k8 := c.K()
		c.KSHIFTRW(operand.U8(8), k, k8)
		g.mask, g.masks64 = k, map[int]operand.Op{0: k, 1: k8}
		blockBody()
		g.mask = nil
		c.Label(done)
	}
	for _, n := range f.nodes {
		if n.live && isSink(n.op) {
			g.finish(n)
		}
	}
}

// maskedBlock emits f over one block whose first lanes are valid, as masks gives them (an
// opmask on AVX-512, a vector mask for each float32 part on AVX2): the value nodes of every
// part first, then the Find sinks one after the other, each over all parts (so that a Find
// before another wins wherever its lane is); in a frame of rows (rowNext set), the only use.
func (g *primgen) maskedBlock(f *fn, masks []operand.Op) {
	c := g.c
	g.f = f
	g.inv = map[*node]operand.Op{}
	g.uses = map[*node]int{}
	g.val = map[*node]map[int]operand.Op{}
	if g.lv.z {
		g.mask, g.vmasks = masks[0], nil
	} else {
		g.mask, g.vmasks = nil, masks
	}
	for _, n := range f.nodes {
		if n.live {
			for _, a := range n.a {
				g.uses[a]++
			}
		}
	}
	for _, n := range f.nodes {
		if n.live && (n.op == opConst || n.op == opParam) {
			g.inv[n] = g.invariant(n)
		}
	}
	g.i = nil // one block: the streams' pointers address it
	parts := g.p.step / g.l32()
	for j := range parts {
		for _, n := range f.nodes {
			if n.live && !isSink(n.op) && g.inv[n] == nil {
				if !kind32(n) {
					panic(fmt.Sprintf("%s: float64 lanes in a masked block", g.p.name))
				}
				g.emit(n, j)
			}
		}
	}
	var finds []*node
	for _, n := range f.nodes {
		if n.live && isSink(n.op) {
			if n.op != opFind || n.k == 1 {
				panic(fmt.Sprintf("%s: sink %d in a masked block", g.p.name, n.op))
			}
			finds = append(finds, n)
		}
	}
	// Each Find over all parts at once: the parts' lanes (those before the end) as one word of
	// bits. A Find that hits stores its first lane and ends the block; the last one does so in
	// line.
	for fi, n := range finds {
		ret, next := g.result(n.name), g.rowNext
		if g.lv.z && parts == 1 { // the compares were masked by the block's lanes
			m := g.get(n.a[0], 0)
			if fi < len(finds)-1 {
				found := g.label("found")
				c.KORTESTW(m, m)
				c.JNZ(operand.LabelRef(found))
				g.tails = append(g.tails, func() {
					c.Label(found)
					t := g.maskBits(m)
					c.BSFL(t, t)
					c.MOVL(t, ret)
					c.JMP(operand.LabelRef(next))
				})
				continue
			}
			t := g.maskBits(m)
			none := g.label("none")
			c.TESTL(t, t)
			c.JZ(operand.LabelRef(none))
			c.BSFL(t, t)
			c.MOVL(t, ret)
			c.Label(none)
			continue
		}
		t := c.GP32()
		for j := range parts {
			m := g.get(n.a[0], j)
			switch {
			case fillFalse(n.a[0]): // false beyond the end already
			case g.lv.z:
				k := c.K()
				c.KANDW(g.mask, m, k)
				m = k
			default:
				v := g.vec()
				c.VANDPS(g.vmasks[j], m, v)
				m = v
			}
			b := g.maskBits(m)
			if j == 0 {
				c.MOVL(b, t)
				continue
			}
			c.SHLL(operand.U8(j*g.l32()), b)
			c.ORL(b, t) // sets the flags of t
		}
		if parts == 1 {
			c.TESTL(t, t)
		}
		if fi < len(finds)-1 {
			found := g.label("found")
			c.JNZ(operand.LabelRef(found))
			g.tails = append(g.tails, func() {
				c.Label(found)
				c.BSFL(t, t)
				c.MOVL(t, ret)
				c.JMP(operand.LabelRef(next))
			})
			continue
		}
		none := g.label("none")
		c.JZ(operand.LabelRef(none))
		c.BSFL(t, t)
		c.MOVL(t, ret)
		c.Label(none)
	}
	g.mask, g.vmasks = nil, nil
}

// fillFalse reports whether a mask is false in the lanes beyond the end of a masked block:
// the NaN test of a stream whose fill is not NaN.
func fillFalse(m *node) bool {
	if m.op != opUnord || m.a[0] != m.a[1] {
		return false
	}
	x := m.a[0]
	return x.op == opIn && x.k == 1 && x.t == tF && !math.IsNaN(float64(math.Float32frombits(x.bits)))
}

func negInf(t typ) uint64 {
	if t == tD {
		return math.Float64bits(math.Inf(-1))
	}
	return uint64(math.Float32bits(float32(math.Inf(-1))))
}

func (g *primgen) zero(r reg.VecVirtual) {
	if g.lv.z {
		g.c.VPXORQ(r, r, r)
	} else {
		g.c.VXORPD(r, r, r)
	}
}

// constReg returns a register holding bits in every lane: one of the constants materialized
// before a frame's loop, or a new one.
func (g *primgen) constReg(t typ, bits uint64) reg.VecVirtual {
	if r, ok := g.consts[[2]uint64{uint64(t), bits}]; ok {
		return r
	}
	r := g.vec()
	g.broadcastConst(t, r, bits)
	return r
}

// broadcastConst sets every lane of r (of type t) to bits.
func (g *primgen) broadcastConst(t typ, r reg.VecVirtual, bits uint64) {
	c := g.c
	if bits == 0 {
		g.zero(r)
		return
	}
	if t == tD {
		gp := c.GP64()
		c.MOVQ(operand.U64(bits), gp)
		if g.lv.z {
			c.VPBROADCASTQ(gp, r)
		} else {
			x := c.XMM()
			c.VMOVQ(gp, x)
			c.VBROADCASTSD(x, r)
		}
		return
	}
	gp := c.GP32()
	c.MOVL(operand.U32(uint32(bits)), gp)
	if g.lv.z {
		c.VPBROADCASTD(gp, r)
	} else {
		x := c.XMM()
		c.VMOVD(gp, x)
		c.VBROADCASTSS(x, r)
	}
}

// invariant computes a value that depends on parameters and constants alone.
func (g *primgen) invariant(n *node) operand.Op {
	c := g.c
	switch n.op {
	case opConst:
		key := [2]uint64{uint64(n.t), n.bits64 | uint64(n.bits)}
		if r, ok := g.consts[key]; ok {
			return r
		}
		r := g.vec()
		if n.t == tD {
			g.broadcastConst(tD, r, n.bits64)
		} else {
			g.broadcastConst(tF, r, uint64(n.bits))
		}
		return r
	case opParam:
		r := g.vec()
		if n.t == tD {
			c.VBROADCASTSD(g.param(n.name), r)
		} else {
			c.VBROADCASTSS(g.param(n.name), r)
		}
		return r
	}
	g.val = map[*node]map[int]operand.Op{}
	g.emit(n, 0)
	return g.val[n][0]
}

// mem is the memory of part j of a stream of type t.
func (g *primgen) mem(name string, t typ, j int) operand.Mem {
	p, ok := g.ptr[name]
	if !ok {
		panic(fmt.Sprintf("%s: no pointer %s", g.p.name, name))
	}
	if g.i == nil {
		if t == tD {
			return operand.Mem{Base: p, Disp: 8 * g.l64() * j}
		}
		return operand.Mem{Base: p, Disp: 4 * g.l32() * j}
	}
	if t == tD {
		return operand.Mem{Base: p, Index: g.i, Scale: 8, Disp: 8 * g.l64() * j}
	}
	return operand.Mem{Base: p, Index: g.i, Scale: 4, Disp: 4 * g.l32() * j}
}

// get is part j of n's value: a register, or memory for a stream read once.
func (g *primgen) get(n *node, j int) operand.Op {
	if r, ok := g.inv[n]; ok {
		return r
	}
	if v, ok := g.val[n][j]; ok {
		return v
	}
	switch n.op {
	case opIn:
		m := g.mem(n.name, n.t, j)
		if g.vmasks != nil { // AVX2: zeros beyond the end, or the fill
			if n.t != tF {
				panic(fmt.Sprintf("%s: a float64 stream in an AVX2 masked block", g.p.name))
			}
			r := g.vec()
			g.c.VMASKMOVPS(m, g.vmasks[j], r)
			if n.k == 1 {
				fill := g.constReg(tF, uint64(n.bits))
				f := g.vec()
				g.c.VBLENDVPS(g.vmasks[j], r, fill, f)
				r = f
			}
			g.set(n, j, r)
			return r
		}
		if g.mask != nil { // zeros beyond the end, or the fill
			r := g.vec()
			switch {
			case n.t == tD:
				g.zero(r)
				g.c.VMOVUPD_Z(m, g.masks64[j], r)
			case n.k == 1:
				g.c.VMOVAPS(g.constReg(tF, uint64(n.bits)), r)
				g.c.VMOVUPS(m, g.mask, r)
			default:
				g.zero(r)
				g.c.VMOVUPS_Z(m, g.mask, r)
			}
			g.set(n, j, r)
			return r
		}
		if g.uses[n] < 2 {
			return m
		}
		r := g.vec()
		g.move(n.t, m, r)
		g.set(n, j, r)
		return r
	case opWiden:
		if g.remat {
			return g.widen(n, j)
		}
	}
	panic(fmt.Sprintf("%s: node %d (op %d) part %d used before emission", g.p.name, n.id, n.op, j))
}

func (g *primgen) set(n *node, j int, v operand.Op) {
	if g.val[n] == nil {
		g.val[n] = map[int]operand.Op{}
	}
	g.val[n][j] = v
}

func (g *primgen) move(t typ, src, dst operand.Op) {
	if t == tD {
		g.c.VMOVUPD(src, dst)
	} else {
		g.c.VMOVUPS(src, dst)
	}
}

// reg is part j of n's value in a register.
func (g *primgen) reg(n *node, j int) operand.Op {
	o := g.get(n, j)
	if isMem(o) {
		r := g.vec()
		g.move(n.t, o, r)
		return r
	}
	return o
}

// commute orders a commutative pair so that only the first may be memory.
func (g *primgen) commute(a, b *node, j int) (operand.Op, operand.Op) {
	oa, ob := g.get(a, j), g.get(b, j)
	if isMem(oa) && !isMem(ob) {
		return oa, ob
	}
	return ob, g.reg(a, j)
}

// widen converts float64 part j of a float32 value: of a stream from memory, else from the
// half of the float32 register that holds those lanes.
func (g *primgen) widen(n *node, j int) operand.Op {
	c := g.c
	s := n.a[0]
	r := g.vec()
	if s.op == opIn && g.mask == nil {
		p := g.ptr[s.name]
		m := operand.Mem{Base: p, Index: g.i, Scale: 4, Disp: 4 * g.l64() * j}
		c.VCVTPS2PD(m, r)
		return r
	}
	v := g.reg(s, j/2).(reg.VecVirtual)
	var h operand.Op
	switch {
	case j%2 == 0 && g.lv.z:
		h = v.AsY()
	case j%2 == 0:
		h = v.AsX()
	case g.lv.z:
		y := c.YMM()
		c.VEXTRACTF64X4(operand.U8(1), v, y)
		h = y
	default:
		x := c.XMM()
		c.VEXTRACTF128(operand.U8(1), v, x)
		h = x
	}
	c.VCVTPS2PD(h, r)
	return r
}

// emit computes part j of n.
func (g *primgen) emit(n *node, j int) {
	c := g.c
	z := g.lv.z
	d64 := n.t == tD || n.t == tMD
	if len(n.a) > 0 && (n.a[0].t == tD || n.a[0].t == tMD) {
		d64 = true
	}
	var d operand.Op
	newv := func() operand.Op { v := g.vec(); d = v; return v }
	switch n.op {
	case opIn:
		if g.uses[n] >= 2 {
			g.get(n, j)
		}
		return
	case opWiden:
		if g.remat {
			return
		}
		d = g.widen(n, j)
	case opAdd, opMul:
		m, r := g.commute(n.a[0], n.a[1], j)
		switch {
		case n.op == opAdd && d64:
			c.VADDPD(m, r, newv())
		case n.op == opAdd:
			c.VADDPS(m, r, newv())
		case d64:
			c.VMULPD(m, r, newv())
		default:
			c.VMULPS(m, r, newv())
		}
	case opSub:
		if d64 {
			c.VSUBPD(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		} else {
			c.VSUBPS(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		}
	case opDiv:
		if d64 {
			c.VDIVPD(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		} else {
			c.VDIVPS(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		}
	case opSel: // m ? a : b
		m, a, b := g.reg(n.a[0], j), g.reg(n.a[1], j), g.reg(n.a[2], j)
		switch {
		case z && d64:
			v := newv()
			c.VMOVAPD(b, v) // avo takes a masked destination as read (merging): define it first
			c.VBLENDMPD(a, v, m, v)
		case z:
			v := newv()
			c.VMOVAPS(b, v)
			c.VBLENDMPS(a, v, m, v)
		case d64:
			c.VBLENDVPD(m, a, b, newv())
		default:
			c.VBLENDVPS(m, a, b, newv())
		}
	case opMax:
		if d64 {
			c.VMAXPD(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		} else {
			c.VMAXPS(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		}
	case opMin:
		if d64 {
			c.VMINPD(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		} else {
			c.VMINPS(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
		}
	case opRound: // to nearest, ties to even
		switch {
		case z && d64:
			c.VRNDSCALEPD(operand.U8(8), g.get(n.a[0], j), newv())
		case z:
			c.VRNDSCALEPS(operand.U8(8), g.get(n.a[0], j), newv())
		case d64:
			c.VROUNDPD(operand.U8(8), g.get(n.a[0], j), newv())
		default:
			c.VROUNDPS(operand.U8(8), g.get(n.a[0], j), newv())
		}
	case opFMA, opFMS, opFNMA: // v = a; v = v·b ± c, one rounding
		a, b, cc := n.a[0], n.a[1], n.a[2]
		if isMem(g.get(b, j)) && !isMem(g.get(a, j)) {
			a, b = b, a
		}
		v := newv()
		g.move(n.t, g.get(a, j), v)
		rb := g.reg(b, j)
		switch {
		case n.op == opFMA && d64:
			c.VFMADD213PD(g.get(cc, j), rb, v)
		case n.op == opFMA:
			c.VFMADD213PS(g.get(cc, j), rb, v)
		case n.op == opFMS && d64:
			c.VFMSUB213PD(g.get(cc, j), rb, v)
		case n.op == opFMS:
			c.VFMSUB213PS(g.get(cc, j), rb, v)
		case d64:
			c.VFNMADD213PD(g.get(cc, j), rb, v)
		default:
			c.VFNMADD213PS(g.get(cc, j), rb, v)
		}
	case opScale: // a·2^n, n integral
		if d64 {
			panic(fmt.Sprintf("%s: Scale of float64 lanes", g.p.name))
		}
		if z {
			c.VSCALEFPS(g.get(n.a[1], j), g.reg(n.a[0], j), newv())
			break
		}
		// p·2^n1·2^n2 with n1 = n>>1, n2 = n − n1: both factors normal, the first product
		// exact, so the second rounds once, as VSCALEFPS does (asmgen.go's opScale).
		ni := g.vec()
		c.VCVTTPS2DQ(g.get(n.a[1], j), ni)
		n1 := g.vec()
		c.VPSRAD(operand.U8(1), ni, n1)
		c.VPSUBD(n1, ni, ni)
		bias := g.vec()
		g.broadcastConst(tF, bias, 127)
		c.VPADDD(bias, n1, n1)
		c.VPSLLD(operand.U8(23), n1, n1)
		c.VPADDD(bias, ni, ni)
		c.VPSLLD(operand.U8(23), ni, ni)
		v := newv()
		c.VMULPS(n1, g.reg(n.a[0], j), v)
		c.VMULPS(ni, v, v)
	case opXor, opAnd, opOr:
		m, r := g.commute(n.a[0], n.a[1], j)
		ins := map[op][4]func(...operand.Op){ // AVX-512 float64, AVX-512, AVX2 float64, AVX2
			opXor: {func(o ...operand.Op) { c.VPXORQ(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VPXORD(o[0], o[1], o[2]) },
				func(o ...operand.Op) { c.VXORPD(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VXORPS(o[0], o[1], o[2]) }},
			opAnd: {func(o ...operand.Op) { c.VPANDQ(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VPANDD(o[0], o[1], o[2]) },
				func(o ...operand.Op) { c.VANDPD(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VANDPS(o[0], o[1], o[2]) }},
			opOr: {func(o ...operand.Op) { c.VPORQ(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VPORD(o[0], o[1], o[2]) },
				func(o ...operand.Op) { c.VORPD(o[0], o[1], o[2]) }, func(o ...operand.Op) { c.VORPS(o[0], o[1], o[2]) }},
		}[n.op]
		k := 3
		switch {
		case z && d64:
			k = 0
		case z:
			k = 1
		case d64:
			k = 2
		}
		ins[k](m, r, newv())
	case opLt, opLe, opGt, opGe, opEq, opNe, opUnord:
		a, b := n.a[0], n.a[1]
		switch n.op {
		case opEq, opNe, opUnord: // symmetric: the memory operand second
			if isMem(g.get(a, j)) && !isMem(g.get(b, j)) {
				a, b = b, a
			}
		}
		var dst operand.Op
		if z {
			dst = c.K()
		} else {
			dst = g.vec()
		}
		switch {
		case d64:
			c.VCMPPD(operand.U8(cmpPred[n.op]), g.get(b, j), g.reg(a, j), dst)
		case z && g.mask != nil && g.i == nil: // a masked block: its lanes alone
			c.VCMPPS(operand.U8(cmpPred[n.op]), g.get(b, j), g.reg(a, j), g.mask, dst)
		default:
			c.VCMPPS(operand.U8(cmpPred[n.op]), g.get(b, j), g.reg(a, j), dst)
		}
		d = dst
	case opMAnd, opMAndNot, opMOr:
		a, b := g.get(n.a[0], j), g.get(n.a[1], j)
		switch {
		case z && n.op == opMOr:
			k := c.K()
			c.KORW(b, a, k)
			d = k
		case n.op == opMOr && d64:
			c.VORPD(b, a, newv())
		case n.op == opMOr:
			c.VORPS(b, a, newv())
		case z && n.op == opMAnd:
			k := c.K()
			c.KANDW(b, a, k)
			d = k
		case z:
			k := c.K()
			c.KANDNW(a, b, k) // ¬b ∧ a
			d = k
		case n.op == opMAnd && d64:
			c.VANDPD(b, a, newv())
		case n.op == opMAnd:
			c.VANDPS(b, a, newv())
		case d64:
			c.VANDNPD(a, b, newv())
		default:
			c.VANDNPS(a, b, newv())
		}
	case opZero:
		m, a := g.get(n.a[0], j), g.reg(n.a[1], j)
		switch {
		case z && d64:
			v := newv().(reg.VecVirtual)
			c.VPXORQ(v, v, v) // define v for avo, which takes a masked destination as read
			c.VMOVAPD_Z(a, m, v)
		case z:
			v := newv().(reg.VecVirtual)
			c.VPXORD(v, v, v)
			c.VMOVAPS_Z(a, m, v)
		case d64:
			c.VANDPD(a, m, newv())
		default:
			c.VANDPS(a, m, newv())
		}
	case opHMax: // every part gets the same vector: computed once, from all parts
		if v, ok := g.val[n][0]; ok {
			g.set(n, j, v)
			return
		}
		mx := func(a, b operand.Op) operand.Op { // a > b ? a : b
			r := g.vec()
			c.VMAXPS(b, a, r)
			return r
		}
		v := g.reg(n.a[0], 0)
		if z {
			t := g.vec()
			c.VSHUFF32X4(operand.U8(0x4e), v, v, t)
			v = mx(v, t)
			t = g.vec()
			c.VSHUFF32X4(operand.U8(0xb1), v, v, t)
			v = mx(v, t)
		} else {
			if g.p.step/g.l32() != 2 {
				panic(fmt.Sprintf("%s: HMax over %d registers", g.p.name, g.p.step/g.l32()))
			}
			v = mx(v, g.reg(n.a[0], 1))
			t := g.vec()
			c.VPERM2F128(operand.U8(1), v, v, t)
			v = mx(v, t)
		}
		for _, imm := range []uint8{0x4e, 0xb1} {
			t := g.vec()
			c.VPERMILPS(operand.U8(imm), v, t)
			v = mx(v, t)
		}
		g.set(n, 0, v)
		d = v
	default:
		panic(fmt.Sprintf("%s: op %d in a primitive", g.p.name, n.op))
	}
	g.set(n, j, d)
}

// sink emits part j of a sink.
func (g *primgen) sink(n *node, j int) {
	c := g.c
	z := g.lv.z
	x := n.a[0]
	switch n.op {
	case opStore:
		g.move(x.t, g.reg(x, j), g.mem(n.name, x.t, j))
	case opStoreN:
		m := operand.Mem{Base: g.ptr[n.name], Index: g.i, Scale: 4, Disp: 4 * g.l64() * j}
		if z {
			y := c.YMM()
			c.VCVTPD2PS(g.reg(x, j), y)
			c.VMOVUPS(y, m)
		} else {
			h := c.XMM()
			c.VCVTPD2PSY(g.reg(x, j), h)
			c.VMOVUPS(h, m)
		}
	case opSum:
		a := g.acc[n][j%len(g.acc[n])]
		if g.mask != nil { // zeros beyond the end
			if len(n.a) == 2 {
				panic(fmt.Sprintf("%s: a product sum in a tail block", g.p.name))
			}
			v := g.vec()
			g.zero(v)
			c.VMOVAPD_Z(g.reg(x, j), g.masks64[j], v)
			c.VADDPD(v, a, a)
			break
		}
		if len(n.a) == 2 {
			c.VFMADD231PD(g.get(n.a[1], j), g.reg(x, j), a)
		} else {
			c.VADDPD(g.get(x, j), a, a)
		}
	case opMaxR:
		v := g.reg(x, j)
		d64 := x.t == tD
		if z {
			k := c.K()
			if d64 {
				c.VCMPPD(operand.U8(cmpPred[opUnord]), v, v, k)
			} else {
				c.VCMPPS(operand.U8(cmpPred[opUnord]), v, v, k)
			}
			c.KORW(k, g.nan[n], g.nan[n])
		} else {
			u := g.vec()
			if d64 {
				c.VCMPPD(operand.U8(cmpPred[opUnord]), v, v, u)
				c.VORPD(u, g.nan[n], g.nan[n])
			} else {
				c.VCMPPS(operand.U8(cmpPred[opUnord]), v, v, u)
				c.VORPS(u, g.nan[n], g.nan[n])
			}
		}
		a := g.acc[n][j]
		if d64 {
			c.VMAXPD(v, a, a)
		} else {
			c.VMAXPS(v, a, a)
		}
	case opCount:
		t := g.maskBits(g.get(x, j))
		c.POPCNTL(t, t)
		c.ADDQ(t.As64(), g.acc[n][0])
	case opFind:
		m := g.get(x, j)
		switch { // only the lanes before the end of a masked block
		case g.mask != nil:
			k := c.K()
			c.KANDW(g.mask, m, k)
			m = k
		case g.vmasks != nil:
			v := g.vec()
			c.VANDPS(g.vmasks[j], m, v)
			m = v
		}
		t := g.maskBits(m)
		if n.k == 1 { // the clear lanes
			if g.mask != nil || g.vmasks != nil {
				panic(fmt.Sprintf("%s: FindNot in a masked block", g.p.name))
			}
			c.XORL(operand.U32(1<<g.l32()-1), t)
		} else {
			c.TESTL(t, t)
		}
		found := g.label("found")
		c.JNZ(operand.LabelRef(found))
		i, off, ret, next := g.i, j*g.l32(), g.result(n.name), g.rowNext
		g.tails = append(g.tails, func() {
			c.Label(found)
			c.BSFL(t, t)
			r := t.As64()
			c.ADDQ(i, r)
			if off > 0 {
				c.ADDQ(operand.U8(off), r)
			}
			if next != "" {
				c.MOVL(t, ret)
				c.JMP(operand.LabelRef(next))
				return
			}
			c.MOVQ(r, ret)
			c.VZEROUPPER()
			c.RET()
		})
	}
}

// maskBits moves a float32 lane mask to a general register, one bit a lane.
func (g *primgen) maskBits(m operand.Op) reg.GPVirtual {
	t := g.c.GP32()
	if g.lv.z {
		g.c.KMOVW(m, t)
	} else {
		g.c.VMOVMSKPS(m, t)
	}
	return t
}

// finish writes a sink's results after the loop.
func (g *primgen) finish(n *node) {
	c := g.c
	z := g.lv.z
	switch n.op {
	case opSum: // 16 lanes: fold l_u + l_{u+8}; then ((f0+f1)+(f2+f3))+((f4+f5)+(f6+f7))
		a := g.acc[n]
		var lo, hi reg.VecVirtual // the (folded) lanes 0..3 and 4..7
		switch {
		case z:
			f := a[0].(reg.VecVirtual)
			if len(a) == 2 {
				c.VADDPD(a[1], f, f)
			}
			lo = f.AsY().(reg.VecVirtual)
			hi = c.YMM()
			c.VEXTRACTF64X4(operand.U8(1), f, hi)
		default:
			lo, hi = a[0].(reg.VecVirtual), a[1].(reg.VecVirtual)
			if len(a) == 4 {
				c.VADDPD(a[2], lo, lo)
				c.VADDPD(a[3], hi, hi)
			}
		}
		// (f0+f1, f4+f5, f2+f3, f6+f7), then ((f0+f1)+(f2+f3), (f4+f5)+(f6+f7)), then their sum.
		// AVX-512 uses EVEX forms (unpacks for the horizontal adds): its registers may be
		// X16–X31, which VEX cannot encode.
		h := c.YMM()
		s := c.XMM()
		if z {
			u1, u2 := c.YMM(), c.YMM()
			c.VUNPCKLPD(hi, lo, u1)
			c.VUNPCKHPD(hi, lo, u2)
			c.VADDPD(u2, u1, h)
			x := c.XMM()
			c.VEXTRACTF32X4(operand.U8(1), h, x)
			c.VADDPD(x, h.AsX(), s)
			t, r := c.XMM(), c.XMM()
			c.VUNPCKHPD(s, s, t)
			c.VADDSD(t, s, r)
			if g.scale != nil {
				c.VMULSD(g.scale, r, r)
			}
			c.VMOVSD(r, g.result(n.name))
			break
		}
		c.VHADDPD(hi, lo, h)
		x := c.XMM()
		c.VEXTRACTF128(operand.U8(1), h, x)
		c.VADDPD(x, h.AsX(), s)
		c.VHADDPD(s, s, s)
		if g.scale != nil {
			c.VMULSD(g.scale, s, s)
		}
		c.MOVSD(s, g.result(n.name))
	case opMaxR: // pairwise, the upper half into the lower: lo > hi ? lo : hi
		a := g.acc[n]
		d64 := n.a[0].t == tD
		max := func(hi, lo operand.Op) operand.Op {
			d := c.XMM()
			var r operand.Op = d
			if lo.(reg.Register).Size() == 32 {
				r = c.YMM()
			}
			if d64 {
				c.VMAXPD(hi, lo, r)
			} else {
				c.VMAXPS(hi, lo, r)
			}
			return r
		}
		var y operand.Op // 256 bits of lanes
		switch {
		case z:
			f := a[0].(reg.VecVirtual)
			hi := c.YMM()
			c.VEXTRACTF64X4(operand.U8(1), f, hi)
			y = max(hi, f.AsY())
		case len(a) == 2:
			y = max(a[1], a[0])
		default:
			panic(fmt.Sprintf("%s: maxima of %d registers", g.p.name, len(a)))
		}
		hx := c.XMM()
		if z {
			c.VEXTRACTF32X4(operand.U8(1), y, hx)
		} else {
			c.VEXTRACTF128(operand.U8(1), y, hx)
		}
		x := max(hx, y.(reg.VecVirtual).AsX())
		perms := []uint8{0x4e, 0xb1}
		if d64 {
			perms = []uint8{1}
		}
		for _, imm := range perms {
			t := c.XMM()
			if d64 {
				c.VPERMILPD(operand.U8(imm), x, t)
			} else {
				c.VPERMILPS(operand.U8(imm), x, t)
			}
			x = max(t, x)
		}
		switch {
		case z && d64:
			c.VMOVSD(x, g.result(n.name))
		case z:
			c.VMOVSS(x, g.result(n.name))
		case d64:
			c.MOVSD(x, g.result(n.name))
		default:
			c.MOVSS(x, g.result(n.name))
		}
		t := c.GP32()
		switch {
		case z:
			c.KMOVW(g.nan[n], t)
		case d64:
			c.VMOVMSKPD(g.nan[n], t)
		default:
			c.VMOVMSKPS(g.nan[n], t)
		}
		c.TESTL(t, t)
		c.SETNE(g.result(n.name2))
	case opCount:
		c.MOVQ(g.acc[n][0], g.result(n.name))
	case opFind:
		c.MOVQ(operand.I32(-1), g.result(n.name))
	}
}

// primFunction emits p at lv into c, with rematerialized conversions where AVX2's 16
// registers do not hold the body otherwise.
func primFunction(c *build.Context, lv level, p *prim) error {
	remat := false
	if !lv.z {
		if err := tryPrim(lv, p, false); err != nil {
			if err2 := tryPrim(lv, p, true); err2 != nil {
				return fmt.Errorf("%s%s: %v", p.name, lv.name, err2)
			}
			remat = true
		}
	}
	g := &primgen{c: c, lv: lv, p: p, remat: remat}
	g.function()
	return nil
}

func tryPrim(lv level, p *prim, remat bool) error {
	ctx := build.NewContext()
	g := &primgen{c: ctx, lv: lv, p: p, remat: remat}
	g.function()
	return compiles(ctx, lv)
}
