// Package loss is gloss's public API: the loss functions of the catalog (regression, binary and
// multi-label, multi-class, ranking and embeddings, segmentation, regularisation) and the
// metrics, with their gradients and Hessian diagonals, on any device.
//
// A Loss is built by a validated constructor (MSE, Huber, CrossEntropy, ...) whose parameters
// are given as Param options with PyTorch's defaults; Compute evaluates it on host slices
// (float32 or float64) and Run on device buffers. Options' zero value asks for the default:
// the Mean reduction, no gradient, the cpu device.
//
// Every loss reads the inputs of a Batch the same way: Pred is what the gradient is taken
// against (predictions, logits, scores, anchors, queries, parameters), Target the targets or
// second input, Aux the third input, Labels the int32 class labels, Weights the sample weights
// and ClassWeights the per-class weights. Each constructor's doc says which it reads.
//
// Reductions follow SPEC.md: Sum is Σ s_i·L_i, Mean divides it by Σ d_i (the sample weight,
// times the target class's weight for labelled row losses, 0 for ignored rows), None returns
// the per-sample terms s_i·L_i. The gradient is that of the reduced value (of the sum for None).
package loss

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gloss-ml/gloss/device"
)

// Sentinel errors; every error the package returns wraps one of them (or a device error).
var (
	// ErrShape: lengths or shapes that do not match.
	ErrShape = errors.New("loss: shape mismatch")
	// ErrLabel: a class label outside its range that is not the ignore index.
	ErrLabel = errors.New("loss: label out of range")
	// ErrWeight: a negative or non-finite weight.
	ErrWeight = errors.New("loss: bad weight")
	// ErrParam: a parameter outside its domain, or one the loss does not take.
	ErrParam = errors.New("loss: bad parameter")
	// ErrTarget: a target (or probability input) outside the loss's domain.
	ErrTarget = errors.New("loss: bad target")
	// ErrNonFinite: NaN or Inf in an input when Options.CheckFinite is set.
	ErrNonFinite = errors.New("loss: non-finite input")
	// ErrOption: options that do not fit the loss (a Hessian of a row loss, BatchMean of MSE,
	// a reduction other than Mean of a metric, ...).
	ErrOption = errors.New("loss: bad option")
	// ErrOverlap: an output that shares memory with an input (other than the gradient written
	// over Pred in place) or with another output.
	ErrOverlap = errors.New("loss: output overlaps an input")
)

// Float is the element type of host inputs.
type Float interface{ float32 | float64 }

// Reduction says how per-sample terms are combined.
type Reduction uint8

// The reductions. The zero value is Mean.
const (
	// Mean is Σ s_i·L_i / Σ d_i (see the package doc). Empty (Σ d_i = 0) is NaN, or 0 with
	// Options.EmptyMeanZero.
	Mean Reduction = iota
	// Sum is Σ s_i·L_i.
	Sum
	// None keeps the per-sample terms in Result.PerSample; Result.Value is their sum.
	None
	// BatchMean is Sum / N rows (KLDiv only: the mathematically correct KL divergence).
	BatchMean
)

func (r Reduction) String() string {
	switch r {
	case Mean:
		return "mean"
	case Sum:
		return "sum"
	case None:
		return "none"
	case BatchMean:
		return "batchmean"
	}
	return fmt.Sprintf("Reduction(%d)", uint8(r))
}

// ParseReduction parses "mean", "sum", "none" or "batchmean".
func ParseReduction(s string) (Reduction, error) {
	for r := Mean; r <= BatchMean; r++ {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w: reduction %q (want mean, sum, none or batchmean)", ErrOption, s)
}

// Options control one evaluation. The zero value is the Mean, no gradient, on the cpu device.
type Options struct {
	// Device runs the evaluation; nil means the cpu device.
	Device device.Device
	// Reduction combines the per-sample terms. A metric takes only Mean (its value is defined
	// by its counts): Sum, None or BatchMean of a metric is ErrOption.
	Reduction Reduction
	// Grad asks for the gradient of the reduced value with respect to each differentiable
	// input (Result.Grad, GradTarget, GradAux).
	Grad bool
	// InPlace writes the gradient over Pred (the fused forward+backward: one pass over memory).
	// Result.Grad is then Pred itself. When the evaluation fails, Pred may hold part of the
	// gradient.
	InPlace bool
	// Hessian asks for the Hessian diagonal Result.Hess (elementwise losses only): the second
	// derivative of the reduced value with respect to each Pred element, Scale·s_i·∂²L_i/∂x_i²;
	// with None (or Sum) and no weights it is ∂²L_i/∂x_i² itself, the pair gradient-boosting
	// libraries consume together with Grad.
	Hessian bool
	// EmptyMeanZero makes a Mean over nothing (all rows ignored, all weights 0, no rows) 0
	// instead of NaN.
	EmptyMeanZero bool
	// CheckFinite rejects NaN and ±Inf in the float inputs with an error naming the first bad
	// index. Without it they propagate like IEEE arithmetic, as in PyTorch.
	CheckFinite bool
}

// Batch holds a batch's inputs as host slices. Which fields a loss reads, and their shapes,
// are in its constructor's doc; unused fields must be nil.
type Batch[T Float] struct {
	// Rows and Cols give the shape N×C of Pred. Elementwise losses may leave both 0 (one
	// column); row losses need Cols.
	Rows, Cols   int
	Pred         []T
	Target       []T
	Aux          []T
	Labels       []int32
	Weights      []T // sample weights: one per row, or (elementwise losses) one per element
	ClassWeights []T // one per class (C), or BCEWithLogits's pos_weight
}

// Result is one evaluation's outcome on host slices.
type Result[T Float] struct {
	// Value is the reduced loss (the metric, for a metric).
	Value float64
	// Weight is Σ d_i, the Mean's denominator, so that shards combine exactly:
	// mean over shards = Σ Value·Weight / Σ Weight (for Sum, Σ Value).
	// Metrics leave it 0: their shards combine by adding Sums.
	Weight float64
	// PerSample holds s_i·L_i per element or row when the reduction is None.
	PerSample []T
	// Grad, GradTarget and GradAux are the gradients with respect to Pred, Target and Aux
	// (when asked for and when the loss is differentiable in that input).
	Grad, GradTarget, GradAux []T
	// Hess is the Hessian diagonal with respect to Pred, when asked for.
	Hess []T
	// Sums are the raw reduction sums the device returned (for a metric, its counts).
	Sums []float64
	// Device names the device that computed the result; a fallback to the cpu says so,
	// for example "cpu (fallback from opencl:0:0: no auc kernel for float32)".
	Device string
	// Fallback is true when the requested device could not run the kernel and the cpu did.
	Fallback bool
}

// Loss is one loss (or metric) of the catalog with its parameters. Build it with a
// constructor (MSE, Huber, CrossEntropy, ...) or New; the zero Loss is invalid.
type Loss struct {
	s *spec
	p [8]float64
	// ignore is the ignore index (labelled losses).
	ignore int64
}

// Name is the loss's snake_case kernel stem, e.g. "cross_entropy".
func (l Loss) Name() string {
	if l.s == nil {
		return ""
	}
	return l.s.name
}

// Family is the loss's launch shape (elementwise, rowwise or metric); 0 for the zero Loss.
func (l Loss) Family() device.Family {
	if l.s == nil {
		return 0
	}
	return l.s.family
}

// Params returns the loss's parameters by name (the ignore index included, for labelled
// losses); an empty map for the zero Loss.
func (l Loss) Params() map[string]float64 {
	m := map[string]float64{}
	if l.s == nil {
		return m
	}
	for i, p := range l.s.params {
		m[p.name] = l.p[i]
	}
	if l.s.labels && l.s.ignore {
		m["ignore_index"] = float64(l.ignore)
	}
	return m
}

// String gives the loss and its parameters, e.g. "huber(delta=1)".
func (l Loss) String() string {
	if l.s == nil {
		return "loss(invalid)"
	}
	m := l.Params()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%g", k, m[k])
	}
	return l.s.name + "(" + strings.Join(parts, ",") + ")"
}

// Param sets one named parameter of a loss; see the constructors for which they take.
type Param struct {
	name string
	v    float64
}

// With sets a parameter by name (for command lines): With("delta", 2) is Delta(2).
func With(name string, v float64) Param { return Param{name, v} }

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The parameter options. Each constructor's doc lists the ones it takes and their defaults.
func Delta(v float64) Param          { return Param{"delta", v} }
func Beta(v float64) Param           { return Param{"beta", v} }
func Alpha(v float64) Param          { return Param{"alpha", v} }
func Gamma(v float64) Param          { return Param{"gamma", v} }
func Tau(v float64) Param            { return Param{"tau", v} }
func Rho(v float64) Param            { return Param{"rho", v} }
func Margin(v float64) Param         { return Param{"margin", v} }
func Power(v float64) Param          { return Param{"p", v} }
func Eps(v float64) Param            { return Param{"eps", v} }
func Full(b bool) Param              { return Param{"full", flag(b)} }
func LogInput(b bool) Param          { return Param{"log_input", flag(b)} }
func LogTarget(b bool) Param         { return Param{"log_target", flag(b)} }
func PosWeight(v float64) Param      { return Param{"pos_weight", v} }
func IgnoreIndex(i int) Param        { return Param{"ignore_index", float64(i)} }
func LabelSmoothing(v float64) Param { return Param{"label_smoothing", v} }
func ZLoss(v float64) Param          { return Param{"z_loss", v} }
func Swap(b bool) Param              { return Param{"swap", flag(b)} }
func Temperature(v float64) Param    { return Param{"temperature", v} }
func Normalize(b bool) Param         { return Param{"normalize", flag(b)} }
func Symmetric(b bool) Param         { return Param{"symmetric", flag(b)} }
func FromLogits(b bool) Param        { return Param{"from_logits", flag(b)} }
func BCEWeight(v float64) Param      { return Param{"bce_weight", v} }
func DiceWeight(v float64) Param     { return Param{"dice_weight", v} }
func Threshold(v float64) Param      { return Param{"threshold", v} }
func Bins(n int) Param               { return Param{"bins", float64(n)} }

// DefaultIgnoreIndex is the label CrossEntropy and NLL skip unless told otherwise (PyTorch's −100).
const DefaultIgnoreIndex = -100

// New builds the loss with the given kernel name ("huber", "cross_entropy", ...), as the
// command line does. A parameter the loss does not take, one outside its domain, and one given
// twice (even with the same value) are ErrParam.
func New(name string, params ...Param) (Loss, error) {
	s, ok := specs[name]
	if !ok {
		return Loss{}, fmt.Errorf("%w: no loss %q (known: %s)", ErrParam, name, strings.Join(Names(), ", "))
	}
	l := Loss{s: s, ignore: DefaultIgnoreIndex}
	for i, p := range s.params {
		l.p[i] = p.def
	}
	for i, p := range params {
		for _, q := range params[:i] {
			if q.name == p.name {
				return Loss{}, fmt.Errorf("%w: %s: parameter %s given twice (%v and %v)", ErrParam, name, p.name, q.v, p.v)
			}
		}
	}
	for _, p := range params {
		if p.name == "ignore_index" && s.labels && s.ignore {
			if p.v != math.Trunc(p.v) || p.v < math.MinInt32 || p.v > math.MaxInt32 {
				return Loss{}, fmt.Errorf("%w: %s: ignore_index %v is not an int32", ErrParam, name, p.v)
			}
			l.ignore = int64(p.v)
			continue
		}
		i := s.param(p.name)
		if i < 0 {
			return Loss{}, fmt.Errorf("%w: %s has no parameter %q (it takes: %s)", ErrParam, name, p.name, s.paramNames())
		}
		l.p[i] = p.v
	}
	for i, p := range s.params {
		if err := p.check(l.p[i]); err != nil {
			return Loss{}, fmt.Errorf("%w: %s: %s = %v: %v", ErrParam, name, p.name, l.p[i], err)
		}
	}
	if s.validate != nil {
		if err := s.validate(&l); err != nil {
			return Loss{}, fmt.Errorf("%w: %s: %v", ErrParam, name, err)
		}
	}
	return l, nil
}

// Names lists every loss and metric name, sorted.
func Names() []string {
	n := make([]string, 0, len(specs))
	for k := range specs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// L1 and L2 set Penalty's coefficients.
func L1(v float64) Param { return Param{"l1", v} }

// L2 sets Penalty's L2 coefficient.
func L2(v float64) Param { return Param{"l2", v} }
