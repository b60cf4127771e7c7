package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// gogen emits a kernel as a portable Go function that computes, lane by lane, the same IEEE
// operations as the assembly: products are rounded explicitly (float32(a*b)) so that no
// compiler fuses them into an FMA, FMAs call fma32 (an exactly rounded float32 FMA), MIN and
// MAX follow the x86 rules, and the float64 sums use the assembly's 8 lanes in its order.

var goStreams = [...]string{"x", "y", "z", "w", "cw"}
var goOuts = [...]string{"ps", "gx", "gy", "gz", "h"}

type gogen struct {
	sb strings.Builder
	b  *built
}

func (g *gogen) p(format string, a ...any) { fmt.Fprintf(&g.sb, format, a...); g.sb.WriteByte('\n') }

func goFloat(b uint32) string {
	v := math.Float32frombits(b)
	switch {
	case v != v:
		return fmt.Sprintf("math.Float32frombits(%#x)", b)
	case math.IsInf(float64(v), 1):
		return "float32(math.Inf(1))"
	case math.IsInf(float64(v), -1):
		return "float32(math.Inf(-1))"
	case v == 0 && math.Signbit(float64(v)):
		return "math.Float32frombits(0x80000000)"
	}
	return "float32(" + strconv.FormatFloat(float64(v), 'g', -1, 32) + ")"
}

func (g *gogen) ref(n *node) string {
	switch n.op {
	case opConst:
		if n.t == tI {
			return fmt.Sprintf("int32(%d)", int32(n.bits))
		}
		return goFloat(n.bits)
	case opParam:
		return fmt.Sprintf("p%d", n.k)
	}
	return fmt.Sprintf("v%d", n.id)
}

func (g *gogen) bitsOp(n *node, sym string) string {
	a, b := g.ref(n.a[0]), g.ref(n.a[1])
	if n.t == tI {
		return a + " " + sym + " " + b
	}
	return fmt.Sprintf("math.Float32frombits(math.Float32bits(%s) %s math.Float32bits(%s))", a, sym, b)
}

func (g *gogen) expr(n *node) string {
	a := func(i int) string { return g.ref(n.a[i]) }
	switch n.op {
	case opIn:
		return fmt.Sprintf("%s[i]", goStreams[n.k])
	case opAdd, opIAdd:
		return a(0) + " + " + a(1)
	case opSub, opISub:
		return a(0) + " - " + a(1)
	case opMul:
		return "float32(" + a(0) + " * " + a(1) + ")"
	case opDiv:
		return a(0) + " / " + a(1)
	case opFMA:
		return fmt.Sprintf("fma32(%s, %s, %s)", a(0), a(1), a(2))
	case opFMS:
		return fmt.Sprintf("fma32(%s, %s, -%s)", a(0), a(1), a(2))
	case opFNMA:
		return fmt.Sprintf("fma32(-%s, %s, %s)", a(0), a(1), a(2))
	case opMin:
		return fmt.Sprintf("minx(%s, %s)", a(0), a(1))
	case opMax:
		return fmt.Sprintf("maxx(%s, %s)", a(0), a(1))
	case opIMin:
		return fmt.Sprintf("min(%s, %s)", a(0), a(1))
	case opSqrt:
		return fmt.Sprintf("float32(math.Sqrt(float64(%s)))", a(0))
	case opRound:
		return fmt.Sprintf("float32(math.RoundToEven(float64(%s)))", a(0))
	case opAnd:
		return g.bitsOp(n, "&")
	case opOr:
		return g.bitsOp(n, "|")
	case opXor:
		return g.bitsOp(n, "^")
	case opAndNot:
		return g.bitsOp(n, "&^")
	case opToI:
		return fmt.Sprintf("int32(%s)", a(0))
	case opToF:
		return fmt.Sprintf("float32(%s)", a(0))
	case opAsI:
		return fmt.Sprintf("int32(math.Float32bits(%s))", a(0))
	case opAsF:
		return fmt.Sprintf("math.Float32frombits(uint32(%s))", a(0))
	case opShl:
		return fmt.Sprintf("%s << %d", a(0), n.k)
	case opSra:
		return fmt.Sprintf("%s >> %d", a(0), n.k)
	case opLt:
		return a(0) + " < " + a(1)
	case opLe:
		return a(0) + " <= " + a(1)
	case opGt:
		return a(0) + " > " + a(1)
	case opGe:
		return a(0) + " >= " + a(1)
	case opEq:
		return a(0) + " == " + a(1)
	case opNe:
		return a(0) + " != " + a(1)
	case opUnord:
		if n.a[0] == n.a[1] {
			return fmt.Sprintf("%s != %s", a(0), a(0))
		}
		return fmt.Sprintf("%s != %s || %s != %s", a(0), a(0), a(1), a(1))
	case opMAnd:
		return a(0) + " && " + a(1)
	case opMOr:
		return a(0) + " || " + a(1)
	case opMAndNot:
		return a(0) + " && !(" + a(1) + ")"
	case opSel:
		return fmt.Sprintf("sel(%s, %s, %s)", a(0), a(1), a(2))
	case opZero:
		return fmt.Sprintf("sel(%s, %s, 0)", a(0), a(1))
	case opScale:
		return fmt.Sprintf("float32(float64(%s) * math.Float64frombits(uint64(int64(%s)+1023)<<52))", a(0), a(1))
	}
	panic(fmt.Sprintf("go: op %d", n.op))
}

func (g *gogen) function(b *built) string {
	g.sb.Reset()
	g.b = b
	k := b.k
	name := k.name + "Go"
	g.p("func %s(a *kargs) {", name)
	g.p("n := a.n")
	for s, used := range b.in {
		if used && s != inW {
			g.p("%s := a.%s[:n]", goStreams[s], goStreams[s])
		}
	}
	if k.kind == kLoss {
		g.p("w := a.w")
		g.p("if w != nil { w = w[:n] }")
	}
	var outsUsed []int
	switch k.kind {
	case kMap:
		outsUsed = []int{outPS}
	case kLoss:
		_, idx := b.grads()
		outsUsed = append([]int{outPS}, idx...)
	}
	for _, o := range outsUsed {
		g.p("%s := a.%s", goOuts[o], goOuts[o])
		if k.kind != kMap {
			g.p("if %s != nil { %s = %s[:n] }", goOuts[o], goOuts[o], goOuts[o])
		} else {
			g.p("%s = %s[:n]", goOuts[o], goOuts[o])
		}
	}
	for j := 0; j < b.f.nparam; j++ {
		used := false
		for _, nd := range b.f.nodes {
			if nd.live && nd.op == opParam && nd.k == j {
				used = true
			}
		}
		if used {
			g.p("p%d := a.p[%d]", j, j)
		}
	}
	gs, idx := b.grads()
	if len(gs) > 0 {
		g.p("scale := a.scale")
	}
	if k.kind == kSum || k.kind == kLoss {
		g.p("acc := &a.sums")
	}
	if len(gs) > 0 && k.kind == kLoss {
		g.p("bad := false")
	}
	if k.kind == kMax {
		g.p("m := float32(math.Inf(-1))")
	}
	g.p("for i := 0; i < n; i++ {")
	for _, nd := range b.f.nodes {
		if !nd.live || nd.op == opConst || nd.op == opParam {
			continue
		}
		g.p("v%d := %s", nd.id, g.expr(nd))
	}
	switch k.kind {
	case kMax:
		g.p("if v := %s; v != v { a.sums[0] = 1 } else if v > m { m = v }", g.ref(b.o.L))
	case kMap:
		g.p("ps[i] = %s", g.ref(b.o.Dst))
	case kSum:
		if b.o.LW != nil {
			g.p("acc[i&7] = math.FMA(float64(%s), float64(%s), acc[i&7])", g.ref(b.o.LW), g.ref(b.o.L))
		} else {
			g.p("acc[i&7] += float64(%s)", g.ref(b.o.L))
		}
	case kLoss:
		l := g.ref(b.o.L)
		if len(gs) > 0 {
			g.p("var gv float32")
		}
		g.p("if w != nil {")
		g.p("wi := w[i]")
		g.p("if ps != nil { ps[i] = float32(%s * wi) }", l)
		g.p("acc[i&7] = math.FMA(float64(wi), float64(%s), acc[i&7])", l)
		g.p("acc[8+(i&7)] += float64(wi)")
		g.p("acc[16+(i&7)] += math.Abs(float64(float32(%s * wi)))", l)
		if len(gs) > 0 {
			g.p("sw := float32(scale * wi)")
			for j, gn := range gs {
				g.p("gv = float32(%s * sw)", g.ref(gn))
				g.p("bad = bad || gv-gv != 0")
				g.p("if %s != nil { %s[i] = gv }", goOuts[idx[j]], goOuts[idx[j]])
			}
		}
		g.p("} else {")
		g.p("if ps != nil { ps[i] = %s }", l)
		g.p("acc[i&7] += float64(%s)", l)
		g.p("acc[16+(i&7)] += math.Abs(float64(%s))", l)
		for j, gn := range gs {
			g.p("gv = float32(%s * scale)", g.ref(gn))
			g.p("bad = bad || gv-gv != 0")
			g.p("if %s != nil { %s[i] = gv }", goOuts[idx[j]], goOuts[idx[j]])
		}
		g.p("}")
	}
	g.p("}")
	if len(gs) > 0 && k.kind == kLoss {
		g.p("a.flags = [16]float32{}")
		g.p("if bad { a.flags[0] = 1 }")
	}
	if k.kind == kMax {
		g.p("for j := range a.flags { a.flags[j] = m }")
	}
	if k.kind == kSum || k.kind == kLoss {
		// The assembly adds +0 to the lanes of a last partial vector of 8.
		g.p("for j := n %% 8; j > 0 && j < 8; j++ {")
		g.p("acc[j] += 0")
		if k.kind == kLoss {
			g.p("if w != nil { acc[8+j] += 0 }")
			g.p("acc[16+j] += 0")
		}
		g.p("}")
	}
	g.p("}")
	return g.sb.String()
}
