package main

// The kernels of package vmath: dst[i] = f(x[i]) and the float64 sums.
func vmathKernels() []*kernel {
	unary := func(name, doc string, f func(*fn, *node) *node) *kernel {
		return &kernel{name: name, doc: doc, kind: kMap, body: func(b *fn) outs { return outs{Dst: f(b, b.In(inX))} }}
	}
	return []*kernel{
		unary("exp", "ps = e^x", (*fn).Exp),
		unary("log", "ps = ln x", (*fn).Log),
		unary("log1p", "ps = ln(1 + x)", (*fn).Log1p),
		unary("tanh", "ps = tanh x", (*fn).Tanh),
		unary("sigmoid", "ps = σ(x)", (*fn).Sigmoid),
		unary("softplus", "ps = ln(1 + e^x)", (*fn).Softplus),
		{name: "expShiftScale", doc: "ps = p1·e^(x − p0)", kind: kMap, body: func(f *fn) outs {
			return outs{Dst: f.Mul(f.P(1), f.Exp(f.Sub(f.In(inX), f.P(0))))}
		}},
		{name: "axpy", doc: "ps = p0·x + y (one rounding)", kind: kMap, body: func(f *fn) outs {
			return outs{Dst: f.FMA(f.P(0), f.In(inX), f.In(inY))}
		}},
		{name: "sum", doc: "Σ x", kind: kSum, body: func(f *fn) outs { return outs{L: f.In(inX)} }},
		{name: "dot", doc: "Σ x·y", kind: kSum, body: func(f *fn) outs { return outs{L: f.In(inX), LW: f.In(inY)} }},
		{name: "max", doc: "flags = lane maxima, sums[0] ≠ 0 if any NaN", kind: kMax, body: func(f *fn) outs { return outs{L: f.In(inX)} }},
		{name: "sumExp", doc: "Σ e^(x − p0)", kind: kSum, body: func(f *fn) outs {
			return outs{L: f.Exp(f.Sub(f.In(inX), f.P(0)))}
		}},
	}
}
