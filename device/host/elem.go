package host

//go:generate sh -c "cd ../../internal/vmath/asm && go run . -target host -dir ../../../device/host"

import (
	"math"
	"unsafe"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/internal/vmath"
)

// simd is the generated dispatchers' level: vmath's (0 portable, 1 AVX2, 2 AVX-512).
func simd() int { return int(vmath.Active()) }

// The elementwise losses: one generated kernel per loss and mode (zkernels*.go, from
// internal/vmath/asm, where each loss's float32 formulas are written next to the cpuref
// function they mirror), each a single pass over memory that computes the term L_i in
// float32, its gradients and Hessian, the weighted per-sample value and the float64 sums.
// The kernels run as AVX-512, AVX2+FMA or portable Go, whichever package vmath has active,
// and all three give the same bits (see package vmath): results do not depend on the
// machine's vector unit, nor on GOMAXPROCS (fixed chunks, sums in chunk order).
//
// This file holds the drivers: parameters derived in float64 and rounded to float32, fixed
// chunks spread over the cores, per-row weights and per-column factors (pos_weight) expanded
// into L1-sized blocks, and the float64 recomputation of any block whose float32 values
// overflow (runElem32), or of the sums where their terms cancel too far for float32 (cancels).
// Float64 inputs run cpuref's float64 functions on the engine's chunks.

// elemChunk is the number of elements of one chunk of elementwise work: fixed, so that the
// sums do not depend on the number of threads.
const elemChunk = 1 << 14

// elemBlock is the size of the blocks into which per-row weights and per-column factors are
// expanded (8 KB each, in L1 next to the streams).
const elemBlock = 2048

// elemKernels are a loss's kernels by mode: value; value and gradients; and the Hessian.
type elemKernels [3]func(*kargs)

// elemLoss is one elementwise loss on the engine.
type elemLoss struct {
	// pick returns the kernels and the float32 parameters for the call's parameters.
	pick func(p *[8]float64) (*elemKernels, [8]float32)
	// cw are the kernels that multiply a parameter by the column's factor (ClassWeight).
	cw *elemKernels
}

func f32s(v ...float64) (p [8]float32) {
	for i, x := range v {
		p[i] = float32(x)
	}
	return p
}

func fixed(k *elemKernels, prm func(p *[8]float64) [8]float32) func(p *[8]float64) (*elemKernels, [8]float32) {
	return func(p *[8]float64) (*elemKernels, [8]float32) {
		if prm == nil {
			return k, [8]float32{}
		}
		return k, prm(p)
	}
}

var (
	kMSE          = elemKernels{mseFRun, mseGRun, mseHRun}
	kMAE          = elemKernels{maeFRun, maeGRun, maeHRun}
	kHuber        = elemKernels{huberFRun, huberGRun, huberHRun}
	kSmoothL1     = elemKernels{smooth_l1FRun, smooth_l1GRun, smooth_l1HRun}
	kPseudoHuber  = elemKernels{pseudo_huberFRun, pseudo_huberGRun, pseudo_huberHRun}
	kLogCosh      = elemKernels{log_coshFRun, log_coshGRun, log_coshHRun}
	kQuantile     = elemKernels{quantileFRun, quantileGRun, quantileHRun}
	kPoissonLog   = elemKernels{poisson_logFRun, poisson_logGRun, poisson_logHRun}
	kPoissonLogF  = elemKernels{poisson_log_fullFRun, poisson_log_fullGRun, poisson_log_fullHRun}
	kPoissonRate  = elemKernels{poisson_rateFRun, poisson_rateGRun, poisson_rateHRun}
	kPoissonRateF = elemKernels{poisson_rate_fullFRun, poisson_rate_fullGRun, poisson_rate_fullHRun}
	kTweedie      = elemKernels{tweedieFRun, tweedieGRun, tweedieHRun}
	kGaussianNLL  = elemKernels{gaussian_nllFRun, gaussian_nllGRun, gaussian_nllHRun}
	kBCE          = elemKernels{bceFRun, bceGRun, bceHRun}
	kBCELogits    = elemKernels{bce_logitsFRun, bce_logitsGRun, bce_logitsHRun}
	kBCELogitsCW  = elemKernels{bce_logits_cwFRun, bce_logits_cwGRun, bce_logits_cwHRun}
	kFocal        = elemKernels{focalFRun, focalGRun, focalHRun}
	kHinge        = elemKernels{hingeFRun, hingeGRun, hingeHRun}
	kSquaredHinge = elemKernels{squared_hingeFRun, squared_hingeGRun, squared_hingeHRun}
	kSoftMargin   = elemKernels{soft_marginFRun, soft_marginGRun, soft_marginHRun}
	kKLDiv        = elemKernels{kl_divFRun, kl_divGRun, kl_divHRun}
	kKLDivLog     = elemKernels{kl_div_logFRun, kl_div_logGRun, kl_div_logHRun}
	kBPR          = elemKernels{bprFRun, bprGRun, bprHRun}
	kPairHinge    = elemKernels{pairwise_hingeFRun, pairwise_hingeGRun, pairwise_hingeHRun}
	kContrastive  = elemKernels{contrastiveFRun, contrastiveGRun, contrastiveHRun}
	kPenalty      = elemKernels{penaltyFRun, penaltyGRun, penaltyHRun}
)

// elemLosses maps each elementwise loss of the catalog to its kernels and parameters (the
// layouts are documented with the kernels in internal/vmath/asm/klosses.go; cpuref's
// parameter order is in cpuref's block functions).
var elemLosses = map[string]elemLoss{
	"mse": {pick: fixed(&kMSE, nil)},
	"mae": {pick: fixed(&kMAE, nil)},
	"huber": {pick: fixed(&kHuber, func(p *[8]float64) [8]float32 {
		return f32s(p[0], -p[0], 0.5*p[0])
	})},
	"smooth_l1": {pick: fixed(&kSmoothL1, func(p *[8]float64) [8]float32 {
		b := p[0]
		return f32s(b, 0.5/b, 1/b, 0.5*b) // β = 0: the quadratic branch is never taken
	})},
	"pseudo_huber": {pick: fixed(&kPseudoHuber, func(p *[8]float64) [8]float32 { return f32s(p[0], 1/p[0]) })},
	"log_cosh":     {pick: fixed(&kLogCosh, nil)},
	"quantile": {pick: fixed(&kQuantile, func(p *[8]float64) [8]float32 {
		t := p[0]
		return f32s(t, t-1, 1-t, -t)
	})},
	"poisson": {pick: func(p *[8]float64) (*elemKernels, [8]float32) {
		switch {
		case p[0] != 0 && p[1] != 0:
			return &kPoissonLogF, [8]float32{}
		case p[0] != 0:
			return &kPoissonLog, [8]float32{}
		case p[1] != 0:
			return &kPoissonRateF, f32s(1, p[2])
		}
		return &kPoissonRate, f32s(0, p[2])
	}},
	"tweedie": {pick: fixed(&kTweedie, func(p *[8]float64) [8]float32 {
		r := p[0]
		a, b := 1-r, 2-r
		return f32s(a, b, -1/a, 1/b, -a, a-float64(float32(a)), b-float64(float32(b)))
	})},
	"gaussian_nll": {pick: fixed(&kGaussianNLL, func(p *[8]float64) [8]float32 {
		c := 0.0
		if p[0] != 0 {
			c = 0.5 * math.Log(2*math.Pi)
		}
		return f32s(p[1], c)
	})},
	"bce":             {pick: fixed(&kBCE, nil)},
	"bce_with_logits": {pick: fixed(&kBCELogits, func(p *[8]float64) [8]float32 { return f32s(p[0]) }), cw: &kBCELogitsCW},
	"focal": {pick: fixed(&kFocal, func(p *[8]float64) [8]float32 {
		g, a := p[0], p[1]
		use, gm1 := 0.0, 0.0
		if a >= 0 { // decided in float64: α = −1e-50 rounds to −0 in float32
			use = 1
		}
		if g != 0 {
			gm1 = (g - 1) / g
		}
		return f32s(g, a, 1-a, use, gm1)
	})},
	"hinge":         {pick: fixed(&kHinge, func(p *[8]float64) [8]float32 { return f32s(p[0]) })},
	"squared_hinge": {pick: fixed(&kSquaredHinge, func(p *[8]float64) [8]float32 { return f32s(p[0]) })},
	"soft_margin":   {pick: fixed(&kSoftMargin, nil)},
	"kl_div": {pick: func(p *[8]float64) (*elemKernels, [8]float32) {
		if p[0] != 0 {
			return &kKLDivLog, [8]float32{}
		}
		return &kKLDiv, [8]float32{}
	}},
	"bpr":               {pick: fixed(&kBPR, nil)},
	"pairwise_logistic": {pick: fixed(&kBPR, nil)},
	"pairwise_hinge":    {pick: fixed(&kPairHinge, func(p *[8]float64) [8]float32 { return f32s(p[0]) })},
	"contrastive":       {pick: fixed(&kContrastive, func(p *[8]float64) [8]float32 { return f32s(p[0]) })},
	"penalty": {pick: fixed(&kPenalty, func(p *[8]float64) [8]float32 {
		return f32s(p[0], p[1], 2*p[1])
	})},
}

func init() {
	for name, l := range elemLosses {
		ref, ok := cpuref.Lookup(name)
		if !ok {
			panic("host: no cpuref kernel " + name)
		}
		register(&Kernel{Name: name, Run32: func(a *Args[float32]) []float64 { return runElem32(&l, ref, a) },
			Run64: func(a *Args[float64]) []float64 { return ref.Run64((*cpuref.Args[float64])(a), Par) }})
	}
}

// lanes adds a kernel's 8 float64 lanes in the fixed order of package vmath.
func lanes(s []float64) float64 {
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

func part(s []float32, lo, hi int) []float32 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// runElem32 runs an elementwise loss on float32 and returns Σ s_i·L_i and Σ s_i (or N·C).
//
// Each chunk runs in blocks of elemBlock elements. A block whose float32 terms, gradients or
// Hessian are not all finite (a float32 overflow such as e² for |e| > 1.8e19, or Inf and NaN
// inputs) is
// recomputed by the float64 reference (package cpuref) and its sums are added after the
// chunk's lanes, so that the engine returns what float64 arithmetic gives wherever float32
// would overflow. With the in-place gradient, a block's gradient goes to a scratch block
// first, so that the inputs are still there for that recomputation.
func runElem32(l *elemLoss, ref *cpuref.Kernel, a *Args[float32]) []float64 {
	ks, prm := l.pick(&a.P)
	useCW := l.cw != nil && a.ClassWeight != nil
	if useCW {
		ks = l.cw
	}
	mode := 0
	switch {
	case a.Hess != nil:
		mode = 2
	case a.GX != nil || a.GY != nil || a.GZ != nil:
		mode = 1
	}
	n := a.N * a.C
	d := &elemDriver{a: a, ref: ref, run: ks[mode], useCW: useCW,
		perRow:  a.Weight != nil && len(a.Weight) != n,
		inPlace: a.GX != nil && len(a.X) > 0 && &a.GX[0] == &a.X[0]}
	var nt uint32
	if streamOutputs(n, a.PerSample, a.GX, a.GY, a.GZ, a.Hess) {
		nt = 1
	}
	scale := float32(a.Scale)
	s := Par(n, elemChunk, 3, func(lo, hi int, sums []float64) {
		ka := &kargs{p: prm, scale: scale, nt: nt}
		var fb [2]float64 // sums of the blocks recomputed in float64, in block order
		if d.perRow || d.useCW || d.inPlace || !d.whole(ka, lo, hi) {
			fb = d.blocks(ka, lo, hi)
		}
		sums[0] = lanes(ka.sums[:8]) + fb[0]
		if a.Weight != nil {
			sums[1] = lanes(ka.sums[8:16]) + fb[1]
		} else {
			sums[1] = float64(hi - lo)
		}
		sums[2] = lanes(ka.sums[16:24]) + math.Abs(fb[0])
	})
	if cancels(s[0], s[1], s[2]) && !d.inPlace {
		// The terms cancel so far that their float32 rounding would show in the sum:
		// the sums again in float64 (the outputs stay the engine's).
		r := *(*cpuref.Args[float32])(a)
		r.PerSample, r.GX, r.GY, r.GZ, r.Hess = nil, nil, nil, nil, nil
		return ref.Run32(&r, Par)
	}
	return s[:2]
}

// cancels reports whether a sum Σ w·L = s of terms whose magnitudes add up to abs (Σ |w·L|)
// may carry float32 rounding beyond a tenth of float32 accuracy: each term carries a few ulps
// (2.4e-7 relative, say), so the sum carries up to 2.4e-7·abs, against 1e-6·min(1, Σw) +
// 1e-5·|s|. Terms of one sign never trigger it (abs = |s|); a Poisson or KL sum whose terms of
// 1e4 cancel to 2 does.
func cancels(s, w, abs float64) bool {
	return 2.4e-7*abs > 1e-6*min(1, w)+1e-5*math.Abs(s)
}

// elemDriver is one elementwise call on float32.
type elemDriver struct {
	a                      *Args[float32]
	ref                    *cpuref.Kernel
	run                    func(*kargs)
	perRow, useCW, inPlace bool
}

// ntMinBytes is the size of a call's outputs from which its whole-vector stores are
// non-temporal: outputs that large are past the caches before anyone reads them again, and
// a streaming store writes them without first reading each line into the cache (a third of
// the memory traffic of a loss with two inputs and two outputs).
var ntMinBytes = 16 << 20

// streamOutputs reports whether the outputs of an n-element call are written with
// non-temporal stores: together at least ntMinBytes, and each aligned to 64 bytes (what
// VMOVNTPS needs of a whole vector; the chunks start at multiples of elemChunk elements).
func streamOutputs(n int, outs ...[]float32) bool {
	total := 0
	for _, o := range outs {
		if o == nil {
			continue
		}
		if uintptr(unsafe.Pointer(unsafe.SliceData(o)))%64 != 0 {
			return false
		}
		total += 4 * n
	}
	return total >= ntMinBytes
}

// whole runs the chunk [lo, hi) in one kernel call and reports whether all its values were
// finite; if not, it resets the sums, for blocks to redo the chunk (the same lanes in the
// same order either way).
func (d *elemDriver) whole(ka *kargs, lo, hi int) bool {
	a := d.a
	ka.x, ka.y, ka.z, ka.w = part(a.X, lo, hi), part(a.Y, lo, hi), part(a.Z, lo, hi), part(a.Weight, lo, hi)
	ka.ps, ka.gx, ka.gy, ka.gz, ka.h = part(a.PerSample, lo, hi), part(a.GX, lo, hi), part(a.GY, lo, hi),
		part(a.GZ, lo, hi), part(a.Hess, lo, hi)
	ka.n = hi - lo
	d.run(ka)
	if finite(ka.sums[:]) && ka.flags == ([16]float32{}) {
		return true
	}
	ka.sums = [24]float64{}
	return false
}

// blocks runs the chunk [lo, hi) in blocks of elemBlock elements: per-row weights and
// column factors expanded, the in-place gradient through a scratch block, and a block whose
// values are not all finite recomputed by the reference. It returns the sums of the
// recomputed blocks. (A function of its own: its buffers are on its stack, not on that of
// every chunk.)
func (d *elemDriver) blocks(ka *kargs, lo, hi int) (fb [2]float64) {
	a, c := d.a, d.a.C
	ka.nt = 0 // the scratch block gb need not be aligned, and the blocks are few
	var wb, cb, gb [elemBlock]float32
	for b := lo; b < hi; b += elemBlock {
		e := min(b+elemBlock, hi)
		m := e - b
		ka.x, ka.y, ka.z = part(a.X, b, e), part(a.Y, b, e), part(a.Z, b, e)
		ka.ps, ka.gx, ka.gy, ka.gz, ka.h = part(a.PerSample, b, e), part(a.GX, b, e), part(a.GY, b, e),
			part(a.GZ, b, e), part(a.Hess, b, e)
		ka.n = m
		if d.inPlace {
			ka.gx = gb[:m]
		}
		switch {
		case d.perRow:
			for j := 0; j < m; {
				row := (b + j) / c
				end := min(m, (row+1)*c-b)
				w := a.Weight[row]
				for ; j < end; j++ {
					wb[j] = w
				}
			}
			ka.w = wb[:m]
		default:
			ka.w = part(a.Weight, b, e)
		}
		if d.useCW {
			for j := 0; j < m; {
				col := (b + j) % c
				end := min(m, j+c-col)
				copy(cb[j:end], a.ClassWeight[col:col+end-j])
				j = end
			}
			ka.cw = cb[:m]
		}
		saved := ka.sums
		d.run(ka)
		if finite(ka.sums[:]) && ka.flags == ([16]float32{}) {
			if d.inPlace {
				copy(a.GX[b:e], gb[:m])
			}
			continue
		}
		ka.sums = saved
		s := fallback(d.ref, a, b, e, ka.w, ka.cw)
		fb[0] += s[0]
		fb[1] += s[1]
	}
	return fb
}

// finite reports whether every value is finite.
func finite(s []float64) bool {
	for _, v := range s {
		if v-v != 0 {
			return false
		}
	}
	return true
}

// fallback computes elements [b, e) with the float64 reference, writing every output, and
// returns their sums. The range is one row of e − b columns for cpuref, with the block's
// per-element weights w and column factors cw (nil when absent).
func fallback(ref *cpuref.Kernel, a *Args[float32], b, e int, w, cw []float32) []float64 {
	r := &cpuref.Args[float32]{N: 1, C: e - b, P: a.P, Ignore: a.Ignore, Scale: a.Scale,
		X: part(a.X, b, e), Y: part(a.Y, b, e), Z: part(a.Z, b, e),
		PerSample: part(a.PerSample, b, e), GX: part(a.GX, b, e), GY: part(a.GY, b, e), GZ: part(a.GZ, b, e),
		Hess: part(a.Hess, b, e)}
	if w != nil {
		r.Weight = append([]float32(nil), w...)
	}
	if cw != nil {
		r.ClassWeight = append([]float32(nil), cw...)
	}
	return ref.Run32(r, cpuref.Serial)
}
