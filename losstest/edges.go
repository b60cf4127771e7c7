package losstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// The parameter edges: every parameter of the catalog tried at both ends of its domain, with
// inputs drawn so that the end matters (logits of ±30 where a focusing power or a pos_weight
// acts on saturated probabilities, errors next to the Huber threshold, variances below eps,
// ties at a zero margin). Random draws stay in the middle of every domain; these do not.
//
// Each edge is a row of the table below, run by Run on every device in float32 and float64
// with the inputs a device sees (rounded to its dtype) and the parameters exactly as given:
// a float32 program must honour a float64 parameter, so a quantity derived from it (1 − ρ,
// 2 − ρ, τ − 1, the sign of α) has to be formed in float64 before it is rounded. The edges
// marked derived are the ones a program that forms it from the rounded parameter fails,
// and TestEdgesCatchRoundedParameters checks that each of them does. TestEdgeDomains checks
// that the table reaches both ends of every parameter's domain as package loss enforces it.

// edge is one parameter set at an end of a parameter's domain.
type edge struct {
	// name says which end is reached, e.g. "rho=1+1e-8".
	name   string
	params []loss.Param
	// inputs adjusts the batch drawn by loss.Generate so that it exercises the edge; nil
	// keeps the draw.
	inputs func(r *rand.Rand, b *loss.Batch[float64])
	// shapes replaces the default shapes of edgeShapes.
	shapes []shape
	// rel lists the outputs compared with the spec's relative tolerance over an absolute floor
	// at the dtype's smallest normal number instead of the spec's absolute tolerance: those
	// whose values at the edge are far below that absolute tolerance, which would otherwise
	// accept any answer there, 0 included. Each listed output must be free of cancellation
	// at the edge, so that float32 can meet the relative tolerance. The gradients of a row
	// loss also get a tenth of the relative tolerance of their row's largest entry
	// (Case.RowGradShare): a tiny row stays tiny, but a pixel whose σ(x)σ(−x) is tiny next
	// to its row's is held to float32's precision relative to the row.
	rel outSet
	// absScale, when set, multiplies the spec's absolute tolerance of the unlisted outputs:
	// the outputs' natural size at the edge (1/τ for InfoNCE's gradients at a large τ).
	absScale float64
	// coarse, when set, says why some values of the edge cannot be resolved by any
	// tolerance a float32 device meets; TestEdgeTolerancesMeaningful then logs it instead of
	// requiring most values to be resolved.
	coarse string
	// cancels, when set, says that the edge's Grad is a difference of far larger terms
	// (Case.CancelShare): each entry may also differ by a hundredth of the relative tolerance
	// of the terms, some ulps of them in float32.
	cancels bool
	// derived marks the edges where a float32 program that forms a derived parameter (1 − ρ,
	// 2 − ρ, τ − 1, the sign of α) from the parameter rounded to float32 is wrong
	// beyond the tolerance.
	derived bool
}

// edges lists, per loss, the edge parameter sets. Losses without parameters, or with only
// boolean ones that the defaults and variants already set both ways, have none.
var edges = map[string][]edge{
	"huber": {
		{name: "delta=1e-3,|e|~delta", params: ps(loss.Delta(1e-3)), inputs: aroundThreshold(1e-3), rel: outAll},
		{name: "delta=1e3,|e|~delta", params: ps(loss.Delta(1e3)), inputs: aroundThreshold(1e3)},
	},
	"smooth_l1": {
		{name: "beta=0,e=0", params: ps(loss.Beta(0)), inputs: zeroErrors},
		{name: "beta=1e-3,|e|~beta", params: ps(loss.Beta(1e-3)), inputs: aroundThreshold(1e-3), rel: outAll},
		{name: "beta=1e3,|e|~beta", params: ps(loss.Beta(1e3)), inputs: aroundThreshold(1e3)},
	},
	"pseudo_huber": {
		// L ≈ ½e² for |e| ≪ δ and δ|e| for |e| ≫ δ: the tiny values of √(1 + (e/δ)²) − 1.
		{name: "delta=1e-3,|e|~delta", params: ps(loss.Delta(1e-3)), inputs: aroundThreshold(1e-3), rel: outAll},
		{name: "delta=1e3", params: ps(loss.Delta(1e3)), inputs: aroundThreshold(1e3), rel: outAll},
	},
	"quantile": {
		{name: "tau=1e-6", params: ps(loss.Tau(1e-6)), inputs: zeroErrors, rel: outAll},
		{name: "tau=1-1e-6", params: ps(loss.Tau(1 - 1e-6)), inputs: zeroErrors, rel: outAll, derived: true},
	},
	"poisson": {
		{name: "eps=1e-12,rate=0", params: ps(loss.LogInput(false), loss.Eps(1e-12)), inputs: rateNearZero(1e-12), rel: outAll},
		// The Hessian y/(x + eps)² is tiny and compared relatively; the loss is not: with
		// Stirling's term, x − y·log(x + eps) + y·log y − y + ½·log(2πy) crosses 0 where x
		// is near y·(log(x + eps) − log y + 1), a cancellation of terms in the tens.
		{name: "eps=1e4", params: ps(loss.LogInput(false), loss.Eps(1e4), loss.Full(true)), rel: outGrad | outHess},
	},
	"tweedie": {
		{name: "rho=1+1e-6", params: ps(loss.Rho(1 + 1e-6)), inputs: wideLogMeans, rel: tweedieRel, derived: true},
		{name: "rho=1+1e-8", params: ps(loss.Rho(1 + 1e-8)), inputs: wideLogMeans, rel: tweedieRel, derived: true},
		{name: "rho=2-1e-6", params: ps(loss.Rho(2 - 1e-6)), inputs: wideLogMeans, rel: tweedieRel, derived: true},
		{name: "rho=2-1e-8", params: ps(loss.Rho(2 - 1e-8)), inputs: wideLogMeans, rel: tweedieRel, derived: true},
	},
	"gaussian_nll": {
		{name: "eps=1e-12,var=0", params: ps(loss.Eps(1e-12)), inputs: varianceNearZero(1e-12)},
		{name: "eps=1e6", params: ps(loss.Eps(1e6), loss.Full(true)), rel: outAll},
	},
	"bce_with_logits": {
		{name: "pos_weight=0,|x|=30", params: ps(loss.PosWeight(0)), inputs: logits30, rel: outAll},
		{name: "pos_weight=1e4,|x|=30", params: ps(loss.PosWeight(1e4)), inputs: logits30, rel: outAll},
	},
	"focal": {
		{name: "gamma=0,|x|=30", params: ps(loss.Gamma(0)), inputs: hardLogits30, rel: outAll},
		{name: "gamma=0.5,|x|=30", params: ps(loss.Gamma(0.5)), inputs: hardLogits30, rel: outAll},
		{name: "gamma=0.5,alpha=-1e-50,|x|=30", params: ps(loss.Gamma(0.5), loss.Alpha(-1e-50)), inputs: hardLogits30, rel: outAll, derived: true},
		// Ordinary logits: the loss, a product of positive factors, is compared relatively; the
		// gradient and Hessian of soft targets cancel near their zeros.
		{name: "alpha=-1e-50", params: ps(loss.Alpha(-1e-50)), rel: outValue | outPerSample, derived: true},
		{name: "alpha=0,|x|=30", params: ps(loss.Alpha(0)), inputs: hardLogits30, rel: outAll},
		{name: "alpha=1,|x|=30", params: ps(loss.Alpha(1)), inputs: hardLogits30, rel: outAll},
		{name: "gamma=20,alpha=-1e30", params: ps(loss.Gamma(20), loss.Alpha(-1e30)), inputs: hardLogits30, rel: outAll},
	},
	"hinge": {
		{name: "margin=0,at-kink", params: ps(loss.Margin(0)), inputs: atMargin(0), rel: outAll},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3)), inputs: atMargin(-1e3), rel: outAll},
		{name: "margin=1e3", params: ps(loss.Margin(1e3)), inputs: atMargin(1e3), rel: outAll},
	},
	"squared_hinge": {
		{name: "margin=0,at-kink", params: ps(loss.Margin(0)), inputs: atMargin(0), rel: outAll},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3)), inputs: atMargin(-1e3), rel: outAll},
		{name: "margin=1e3", params: ps(loss.Margin(1e3)), inputs: atMargin(1e3), rel: outAll},
	},
	"cross_entropy": {
		{name: "label_smoothing=1-1e-6", params: ps(loss.LabelSmoothing(1 - 1e-6))},
		{name: "label_smoothing=1-1e-6,|x|=30", params: ps(loss.LabelSmoothing(1 - 1e-6)), inputs: logits30},
		{name: "z_loss=1e2", params: ps(loss.ZLoss(1e2))},
	},
	"cross_entropy_probs": {
		{name: "label_smoothing=1-1e-6", params: ps(loss.LabelSmoothing(1 - 1e-6))},
	},
	"multi_margin": {
		{name: "margin=0,ties", params: ps(loss.Margin(0)), inputs: rowTies},
		{name: "p=2,margin=0,ties", params: ps(loss.Power(2), loss.Margin(0)), inputs: rowTies},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3))},
		{name: "p=2,margin=1e3", params: ps(loss.Power(2), loss.Margin(1e3))},
	},
	"pairwise_hinge": {
		{name: "margin=0,ties", params: ps(loss.Margin(0)), inputs: pairTies, rel: outAll},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3)), rel: outAll},
		{name: "margin=1e3", params: ps(loss.Margin(1e3)), rel: outAll},
	},
	"contrastive": {
		{name: "margin=0,d=0", params: ps(loss.Margin(0)), inputs: zeroDistances, rel: outAll},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3)), inputs: zeroDistances, rel: outAll},
		{name: "margin=1e3", params: ps(loss.Margin(1e3)), rel: outAll},
	},
	"triplet": {
		{name: "margin=0,ties", params: ps(loss.Margin(0)), inputs: tripletTies},
		{name: "margin=-1e3", params: ps(loss.Margin(-1e3))},
		{name: "margin=1e3", params: ps(loss.Margin(1e3))},
		{name: "eps=0,anchor=positive", params: ps(loss.Eps(0)), inputs: tripletTies},
		{name: "eps=0,swap,anchor=positive", params: ps(loss.Eps(0), loss.Swap(true)), inputs: tripletTies},
		{name: "eps=10", params: ps(loss.Eps(10))},
		// ‖w‖_p grows as D^(1/p): a few coordinates keep it finite for p near 0. An anchor's
		// gradient u⁺ − u⁻ is then a difference of terms (|w_j|/d)^(p−1) in the hundreds or
		// thousands, which cancel where the positive and the negative lie alike.
		{name: "p=0.1", params: ps(loss.Power(0.1)), shapes: []shape{{7, 1}, {33, 3}}, cancels: true},
		{name: "p=8", params: ps(loss.Power(8)), coarse: "a coordinate's gradient is a difference of (|w_j|/d)^7 " +
			"terms of two distances, mostly far below 1, which cancel at random: no relative tolerance holds for all " +
			"of them, and the absolute one resolves the larger"},
	},
	"info_nce": {
		{name: "temperature=0.01", params: ps(loss.Temperature(0.01)), inputs: nearKeys, coarse: nceCoarse},
		{name: "temperature=0.01,symmetric", params: ps(loss.Temperature(0.01), loss.Symmetric(true)), inputs: nearKeys, coarse: nceCoarse},
		{name: "temperature=0.01,unnormalized", params: ps(loss.Temperature(0.01), loss.Normalize(false)), inputs: smallEmbeddings, coarse: nceCoarse},
		// The gradients are of the order of 1/τ.
		{name: "temperature=100", params: ps(loss.Temperature(100)), absScale: 1e-2},
	},
	"dice": {
		{name: "eps=0,|x|=30", params: ps(loss.Eps(0)), inputs: segLogits30, rel: outAll},
		{name: "eps=0,probs,empty", params: ps(loss.Eps(0), loss.FromLogits(false)), inputs: segEmpty, rel: outAll},
		{name: "eps=1e3", params: ps(loss.Eps(1e3)), rel: outAll},
	},
	"iou": {
		{name: "eps=0,|x|=30", params: ps(loss.Eps(0)), inputs: segLogits30, rel: outAll},
		{name: "eps=0,probs,empty", params: ps(loss.Eps(0), loss.FromLogits(false)), inputs: segEmpty, rel: outAll},
		{name: "eps=1e3", params: ps(loss.Eps(1e3)), rel: outAll},
	},
	"tversky": {
		{name: "alpha=0,beta=0", params: ps(loss.Alpha(0), loss.Beta(0)), rel: outAll},
		{name: "alpha=1,beta=0,|x|=30", params: ps(loss.Alpha(1), loss.Beta(0)), inputs: segLogits30, rel: outAll},
		{name: "alpha=0,beta=1,|x|=30", params: ps(loss.Alpha(0), loss.Beta(1)), inputs: segLogits30, rel: outAll},
		{name: "alpha=1,beta=1,probs", params: ps(loss.Alpha(1), loss.Beta(1), loss.FromLogits(false)), rel: outAll},
		{name: "alpha=1e3,beta=1e3", params: ps(loss.Alpha(1e3), loss.Beta(1e3)), rel: outAll},
		{name: "eps=0,|x|=30", params: ps(loss.Eps(0)), inputs: segLogits30, rel: outAll},
		{name: "eps=1e3", params: ps(loss.Eps(1e3)), rel: outAll},
	},
	"focal_tversky": {
		{name: "gamma=0.5,|x|=30", params: ps(loss.Gamma(0.5)), inputs: segLogits30, rel: outAll},
		{name: "gamma=0.5,alpha=0,beta=1,|x|=30", params: ps(loss.Gamma(0.5), loss.Alpha(0), loss.Beta(1)), inputs: segLogits30, rel: outAll},
		{name: "gamma=1e-3", params: ps(loss.Gamma(1e-3)), rel: outAll},
		{name: "gamma=10,probs", params: ps(loss.Gamma(10), loss.FromLogits(false)), rel: outAll},
		{name: "alpha=1e3,beta=0,eps=0", params: ps(loss.Alpha(1e3), loss.Beta(0), loss.Eps(0)), rel: outAll},
		{name: "alpha=0,beta=1e3,eps=1e3", params: ps(loss.Alpha(0), loss.Beta(1e3), loss.Eps(1e3)), rel: outAll},
	},
	"bce_dice": {
		{name: "bce_weight=0", params: ps(loss.BCEWeight(0)), rel: outAll},
		{name: "dice_weight=0,|x|=30", params: ps(loss.DiceWeight(0)), inputs: segLogits30, rel: outAll},
		{name: "weights=1e3", params: ps(loss.BCEWeight(1e3), loss.DiceWeight(1e3))},
		{name: "eps=0,|x|=30", params: ps(loss.Eps(0)), inputs: segLogits30, rel: outAll},
		{name: "eps=1e3", params: ps(loss.Eps(1e3))},
	},
	"penalty": {
		{name: "l1=1e3,theta=0", params: ps(loss.L1(1e3)), inputs: zeroParams, rel: outAll},
		{name: "l2=1e3", params: ps(loss.L2(1e3)), rel: outAll},
	},
	"accuracy": {
		{name: "threshold=-1e30", params: ps(loss.Threshold(-1e30)), shapes: oneColumn},
		{name: "threshold=1e30", params: ps(loss.Threshold(1e30)), shapes: oneColumn},
		{name: "threshold=0.25,ties", params: ps(loss.Threshold(0.25)), inputs: scoresAt(0.25), shapes: oneColumn},
	},
	"f1": {
		{name: "threshold=-1e30", params: ps(loss.Threshold(-1e30))},
		{name: "threshold=1e30", params: ps(loss.Threshold(1e30))},
		{name: "threshold=0.25,ties", params: ps(loss.Threshold(0.25)), inputs: scoresAt(0.25)},
	},
	"binary_iou": {
		{name: "threshold=-1e30", params: ps(loss.Threshold(-1e30))},
		{name: "threshold=1e30", params: ps(loss.Threshold(1e30))},
		{name: "threshold=0.25,ties", params: ps(loss.Threshold(0.25)), inputs: scoresAt(0.25)},
	},
	"calibration": {
		{name: "bins=1", params: ps(loss.Bins(1))},
		{name: "bins=1e6", params: ps(loss.Bins(1e6))},
	},
}

func ps(p ...loss.Param) []loss.Param { return p }

// outSet is a set of a case's outputs.
type outSet uint8

// The outputs of a case, as sets.
const (
	outValue     outSet = 1 << iota // Value and Weight
	outPerSample                    // PerSample
	outGrad                         // Grad, GradTarget and GradAux
	outHess                         // Hess
	outAll       = outValue | outPerSample | outGrad | outHess
)

// oneColumn is the shape of the metrics whose threshold acts only on one column.
var oneColumn = []shape{{1, 1}, {300, 1}}

// tweedieRel: Tweedie's loss and Hessian are sums of two positive terms for ρ ∈ (1, 2), so
// they are compared relatively; its gradient −y·e^{(1−ρ)x} + e^{(2−ρ)x} cancels near its zero.
const tweedieRel = outValue | outPerSample | outHess

// nceCoarse says why InfoNCE at a temperature of 0.01 is compared absolutely: where a key is
// its query plus noise, the positive pair dominates the row's softmax, and the row's loss
// lse_j(s_ij) − s_ii and its gradient are far below the rounding of s_ii/τ ≈ 100, in float64
// too; the other rows are resolved.
const nceCoarse = "rows whose positive pair dominates the softmax have a loss and gradient below the rounding of s_ii/τ ≈ 100"

// edgeShapes lists the shapes an edge runs on: a single element or row, and one that spans
// several blocks (elementwise) or has rows longer than a block of threads.
func edgeShapes(s loss.Spec, e edge) []shape {
	sh := e.shapes
	if sh == nil {
		switch {
		case s.Name == "info_nce":
			sh = []shape{{1, 3}, {48, 16}}
		case s.Family == device.Rowwise:
			sh = []shape{{1, 5}, {33, 130}}
		default:
			sh = []shape{{1, 1}, {300, 3}}
		}
	}
	var out []shape
	for _, x := range sh {
		out = append(out, shape{x.n, max(x.c, s.MinCols)})
	}
	return out
}

// edgeOptions lists the option sets an edge runs with: the weighted Mean with every gradient
// (and the Hessian diagonal), and None, whose per-sample values are compared one by one, with
// the gradient in place.
func edgeOptions(s loss.Spec) []option {
	all := optionsFor(s)
	if s.Family == device.Metric {
		return all
	}
	return []option{all[1], all[3]}
}

// edgeTol returns the tolerances of an edge's outputs in the order of Case.OutTol32 (nil when
// they are the spec's).
func edgeTol(s loss.Spec, e edge) (t32, t64 *[6]Tol) {
	if e.rel == 0 && e.absScale == 0 {
		return nil, nil
	}
	t32, t64 = new([6]Tol), new([6]Tol)
	scale := e.absScale
	if scale == 0 {
		scale = 1
	}
	for k, set := range []outSet{outValue, outPerSample, outGrad, outGrad, outGrad, outHess} {
		t32[k] = Tol{Abs: scale * s.Tol32.Abs, Rel: s.Tol32.Rel}
		t64[k] = Tol{Abs: scale * s.Tol64.Abs, Rel: s.Tol64.Rel}
		if e.rel&set != 0 {
			t32[k].Abs, t64[k].Abs = 0x1p-126, 0x1p-1022
		}
	}
	return t32, t64
}

// edgeCases builds the cases of edge number ei of a loss, with inputs drawn from seed.
func edgeCases(s loss.Spec, ei int, e edge, seed uint64) ([]Case, error) {
	l, err := loss.New(s.Name, e.params...)
	if err != nil {
		return nil, fmt.Errorf("edge %s: %w", e.name, err)
	}
	t32, t64 := edgeTol(s, e)
	var share float64
	if s.Family == device.Rowwise && e.rel&outGrad != 0 {
		share = 0.1
	}
	var cancel float64
	if e.cancels {
		cancel = 0.01
	}
	var cs []Case
	for si, sh := range edgeShapes(s, e) {
		for oi, op := range edgeOptions(s) {
			cseed := seed + uint64(ei*10000+si*100+oi)
			r := rand.New(rand.NewPCG(cseed, 29))
			b := loss.Generate(l, r, sh.n, sh.c, op.weights, op.classWeights, op.ignored)
			if e.inputs != nil {
				e.inputs(r, &b)
			}
			cs = append(cs, Case{Name: fmt.Sprintf("%v/edge %s/n=%d,c=%d/%s", l, e.name, sh.n, sh.c, op.name),
				Seed: cseed, Loss: l, Batch: b, Options: op.opts, OutTol32: t32, OutTol64: t64, RowGradShare: share,
				CancelShare: cancel})
		}
	}
	return cs, nil
}

// runEdges checks one loss's edges on dev in one dtype, one subtest per edge.
func runEdges(t *testing.T, dev device.Device, s loss.Spec, dt device.DType) {
	for ei, e := range edges[s.Name] {
		t.Run(e.name, func(t *testing.T) {
			cs, err := edgeCases(s, ei, e, seedBase+7)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if dt == device.F32 {
					Check[float32](t, dev, c)
				} else {
					Check[float64](t, dev, c)
				}
			}
		})
	}
}

// The input adjustments. Each keeps the inputs in the loss's domain and leaves some of the
// draw as it was.

// aroundThreshold moves three targets in four to an error e = y − x of ±d·f, f drawn from
// factors just inside and outside 1 and far on either side: the two branches of Huber's and
// SmoothL1's threshold d, and both regimes of PseudoHuber's.
func aroundThreshold(d float64) func(r *rand.Rand, b *loss.Batch[float64]) {
	factors := []float64{1e-3, 0.5, 0.9, 0.99, 1.01, 1.1, 2, 1e3}
	return func(r *rand.Rand, b *loss.Batch[float64]) {
		for i := range b.Pred {
			if i%4 != 3 {
				b.Target[i] = b.Pred[i] + sign(r)*d*factors[r.IntN(len(factors))]
			}
		}
	}
}

// zeroErrors makes one target in three equal to its prediction (e = 0, where MAE-like
// losses have their kink).
func zeroErrors(_ *rand.Rand, b *loss.Batch[float64]) {
	for i := 0; i < len(b.Pred); i += 3 {
		b.Target[i] = b.Pred[i]
	}
}

// rateNearZero makes Poisson rates (log_input false) 0 in one element in three and
// eps·10^k (k = −1, 0, 1) in another, where x + eps is eps itself. The third element's rate
// is drawn from (0, ½]: with integer counts y, its L = x + y·|log(x + eps)| and gradient
// (x + eps − y)/(x + eps) are free of cancellation, as the relative comparison of every
// output needs (a rate where x = y·log x, near x = 12.7 for y = 5, gives L ≈ 0, whose
// float32 value has no relative accuracy).
func rateNearZero(eps float64) func(r *rand.Rand, b *loss.Batch[float64]) {
	return func(r *rand.Rand, b *loss.Batch[float64]) {
		for i := range b.Pred {
			switch i % 3 {
			case 0:
				b.Pred[i] = 0
			case 1:
				b.Pred[i] = eps * math.Pow(10, float64(r.IntN(3)-1))
			default:
				b.Pred[i] = 0.5 * (1 - r.Float64())
			}
		}
	}
}

// varianceNearZero makes Gaussian variances 0 in one element in three and eps·10^k
// (k = −1, 0, 1) in another, where the clamp max(var, eps) acts.
func varianceNearZero(eps float64) func(r *rand.Rand, b *loss.Batch[float64]) {
	return func(r *rand.Rand, b *loss.Batch[float64]) {
		for i := range b.Aux {
			switch i % 3 {
			case 0:
				b.Aux[i] = 0
			case 1:
				b.Aux[i] = eps * math.Pow(10, float64(r.IntN(3)-1))
			}
		}
	}
}

// wideLogMeans spreads one Tweedie log-mean in four over ±[10, 20], where e^{(1−ρ)x} and
// e^{(2−ρ)x} are far from 1.
func wideLogMeans(r *rand.Rand, b *loss.Batch[float64]) {
	for i := 0; i < len(b.Pred); i += 4 {
		b.Pred[i] = sign(r) * (10 + 10*r.Float64())
	}
}

// logits30 makes every logit ±30 (sign drawn), half of them moved by up to ±0.5: saturated
// probabilities, whose losses are of the order e^{−30} or 30.
func logits30(r *rand.Rand, b *loss.Batch[float64]) {
	for i := range b.Pred {
		b.Pred[i] = sign(r) * 30
		if i%2 == 1 {
			b.Pred[i] += r.Float64() - 0.5
		}
	}
}

// hardLogits30 is logits30 with every target rounded to 0 or 1: focal loss's Hessian at
// |x| = 30 changes sign with a soft target (near y = 0.46 for γ = 0.5), where no relative
// tolerance holds, and hard labels are what focal loss is used with.
func hardLogits30(r *rand.Rand, b *loss.Batch[float64]) {
	for i, y := range b.Target {
		b.Target[i] = math.Round(y)
	}
	logits30(r, b)
}

// atMargin puts one score in three on the kink y·f = m of a margin m (f = m·y for y = ±1)
// and another at ±1e-30 from it (f = 0 in the same way for m = 0: the kink at the origin).
func atMargin(m float64) func(r *rand.Rand, b *loss.Batch[float64]) {
	return func(r *rand.Rand, b *loss.Batch[float64]) {
		for i := range b.Pred {
			switch i % 3 {
			case 0:
				b.Pred[i] = m * b.Target[i]
			case 1:
				if m == 0 {
					b.Pred[i] = sign(r) * 1e-30
				}
			}
		}
	}
}

// pairTies makes one negative score in three equal to its positive one (Δ = 0).
func pairTies(_ *rand.Rand, b *loss.Batch[float64]) {
	for i := 0; i < len(b.Pred); i += 3 {
		b.Target[i] = b.Pred[i]
	}
}

// zeroDistances makes one contrastive distance in three 0.
func zeroDistances(_ *rand.Rand, b *loss.Batch[float64]) {
	for i := 0; i < len(b.Pred); i += 3 {
		b.Pred[i] = 0
	}
}

// rowTies gives every other row a class tied with the label's score (z = margin − x_y + x_c
// is the margin itself).
func rowTies(r *rand.Rand, b *loss.Batch[float64]) {
	c := b.Cols
	if c < 2 {
		return
	}
	for i, y := range b.Labels {
		if i%2 == 0 {
			j := (int(y) + 1 + r.IntN(c-1)) % c
			b.Pred[i*c+j] = b.Pred[i*c+int(y)]
		}
	}
}

// tripletTies makes the negative equal to the positive in one row in three (d⁺ = d⁻: the
// hinge's kink at margin 0) and the anchor equal to the positive in another (d⁺ = 0 with
// eps = 0: the norm's kink at the origin).
func tripletTies(_ *rand.Rand, b *loss.Batch[float64]) {
	c := b.Cols
	for i := 0; i < b.Rows; i++ {
		row := b.Target[i*c : (i+1)*c]
		switch i % 3 {
		case 0:
			copy(b.Aux[i*c:(i+1)*c], row)
		case 1:
			copy(b.Pred[i*c:(i+1)*c], row)
		}
	}
}

// nearKeys makes every other key its query plus noise of 1e-2: at temperature 0.01 those
// rows' positive pairs dominate their softmax and their losses are tiny.
func nearKeys(r *rand.Rand, b *loss.Batch[float64]) {
	c := b.Cols
	for i := 0; i < b.Rows; i += 2 {
		for j := i * c; j < (i+1)*c; j++ {
			b.Target[j] = b.Pred[j] + 1e-2*r.NormFloat64()
		}
	}
}

// smallEmbeddings scales queries and keys by 0.1, so that unnormalised similarities at
// temperature 0.01 are of the order of the dimension, and nearKeys.
func smallEmbeddings(r *rand.Rand, b *loss.Batch[float64]) {
	for i := range b.Pred {
		b.Pred[i] *= 0.1
		b.Target[i] *= 0.1
	}
	nearKeys(r, b)
}

// segLogits30 turns segmentation logits into saturated ones, ±30 (moved by up to ±0.5): in
// one row in three agreeing with the mask (a near-perfect prediction, loss of the order of
// e^{−30}), in the next one disagreeing with it (wholly wrong: loss near 1 but Dice's ratio
// of the order of e^{−30}); the third row is left as drawn. The gradient of both saturated
// rows is of the order of σ(30)σ(−30) throughout.
func segLogits30(r *rand.Rand, b *loss.Batch[float64]) {
	c := b.Cols
	for i := 0; i < b.Rows; i++ {
		if i%3 == 2 {
			continue
		}
		s := 30.0
		if i%3 == 1 {
			s = -30
		}
		for j := i * c; j < (i+1)*c; j++ {
			b.Pred[j] = s*(2*b.Target[j]-1) + r.Float64() - 0.5
		}
	}
}

// segEmpty makes one row in three an empty mask with an empty prediction (probabilities
// all 0): with eps = 0, Dice and IoU are 0/0 there.
func segEmpty(_ *rand.Rand, b *loss.Batch[float64]) {
	c := b.Cols
	for i := 0; i < b.Rows; i += 3 {
		clear(b.Pred[i*c : (i+1)*c])
		clear(b.Target[i*c : (i+1)*c])
	}
}

// zeroParams makes one parameter in three 0, where |θ| has its kink.
func zeroParams(_ *rand.Rand, b *loss.Batch[float64]) {
	for i := 0; i < len(b.Pred); i += 3 {
		b.Pred[i] = 0
	}
}

// scoresAt makes one score in three equal to the threshold v (v must be exact in float32):
// "predicted positive" is score > threshold, strictly.
func scoresAt(v float64) func(r *rand.Rand, b *loss.Batch[float64]) {
	return func(_ *rand.Rand, b *loss.Batch[float64]) {
		for i := 0; i < len(b.Pred); i += 3 {
			b.Pred[i] = v
		}
	}
}

func sign(r *rand.Rand) float64 { return float64(2*r.IntN(2) - 1) }
