package device

import (
	"math"

	"github.com/gloss-ml/gloss/cpuref"
)

// Family is the launch shape of a kernel.
//   - Elementwise: one independent term per element i of N·C elements (row r = i / C, column
//     i % C). PerSample, Grad* and Hess have N·C elements; Weight has N·C elements or N (one per row).
//   - Rowwise: one term per row of C columns (cross-entropy, triplet, Dice, ...). PerSample has N
//     elements, Grad* have the shape of their input, Weight has N elements.
//   - Metric: a non-differentiable statistic; Run returns metric-specific sums.
type Family = cpuref.Family

// The kernel families.
const (
	Elementwise = cpuref.Elementwise
	Rowwise     = cpuref.Rowwise
	Metric      = cpuref.Metric
)

// Denom says what each term contributes to the Mean denominator Σd (Sums[1]); s_i is the
// sample weight (1 when Call.Weight is nil).
//   - DenomWeight: d_i = s_i for every element (elementwise) or row (row losses without labels).
//   - DenomLabel: d_i = s_i · cw[y_i] · [y_i ≠ Ignore] (cw = 1 when Call.ClassWeight is nil).
//   - DenomCorn: d_i = s_i · min(y_i + 1, C), the number of CORN tasks row i takes part in.
type Denom = cpuref.Denom

// The denominator rules.
const (
	DenomWeight = cpuref.DenomWeight
	DenomLabel  = cpuref.DenomLabel
	DenomCorn   = cpuref.DenomCorn
)

// Sums are the reduction sums of one Run, accumulated in float64 in a fixed order.
// For a loss: Sums[0] = Σ s_i·L_i (the Sum reduction) and Sums[1] = Σ d_i (the Mean
// denominator). A metric documents its own sums.
type Sums []float64

// Call is one loss (or metric) evaluation, already validated by package loss. Buffers are
// on the device that runs it; nil means absent. Inputs and outputs never overlap, except that
// GX may be X itself (the in-place gradient).
type Call struct {
	Kernel string // kernel stem, e.g. "huber", "cross_entropy"
	Family Family
	DType  DType // dtype of every float buffer (F32 or F64)
	N, C   int   // rows and columns

	X, Y, Z     Buffer     // float inputs in the loss's order (see package loss)
	Labels      Buffer     // int32 class labels, N elements
	Weight      Buffer     // sample weights s: N elements, or N·C for elementwise losses
	ClassWeight Buffer     // C elements: class weights, or BCEWithLogits's pos_weight
	P           [8]float64 // the loss's parameters in its documented order; booleans are 0 or 1
	Ignore      int64      // labels equal to Ignore are skipped (DenomLabel losses)
	Denom       Denom

	// Scale multiplies every gradient and Hessian term: Grad_i = Scale·s_i·∂L_i/∂x_i.
	// When ScaleByDenom is set, the device first computes Σd and uses Scale/Σd instead
	// (0 when Σd is 0), so a Mean's gradient needs no trip to the host.
	Scale        float64
	ScaleByDenom bool

	PerSample  Buffer // s_i·L_i per element or row, or nil
	GX, GY, GZ Buffer // gradients with respect to X, Y, Z, or nil
	Hess       Buffer // Scale·s_i·∂²L_i/∂x_i² (elementwise losses), or nil
	Bins       int    // metrics: number of bins or classes in the returned sums
}

// WantGrad reports whether any gradient or Hessian output is requested.
func (c *Call) WantGrad() bool {
	return c.GX != nil || c.GY != nil || c.GZ != nil || c.Hess != nil
}

// Elems is the number of elements of X: N·C.
func (c *Call) Elems() int { return c.N * c.C }

// CheckKind selects what Find checks.
type CheckKind uint8

// The checks. Each fails on the first element outside its set; NaN fails every float check.
const (
	// CheckLabels: int32 value in [Lo, Hi) or equal to Ignore.
	CheckLabels CheckKind = iota + 1
	// CheckRange: float value in [Lo, Hi] (infinite bounds allowed; ±Inf values fail unless a bound is infinite).
	CheckRange
	// CheckFinite: float value finite.
	CheckFinite
	// CheckSign: float value −1 or +1.
	CheckSign
	// CheckBinary: float value 0 or 1.
	CheckBinary
)

// Name is the kernel name a device reports in Supports for this check.
func (k CheckKind) Name() string {
	switch k {
	case CheckLabels:
		return "check_labels"
	default:
		return "check_values"
	}
}

// Check is a validity check over the first N elements of a buffer.
type Check struct {
	Kind   CheckKind
	Buf    Buffer
	N      int
	Lo, Hi float64
	Ignore int64
}

// Valid reports whether one float value passes a float check. It is the definition that
// every device's check kernel follows.
func (c *Check) Valid(v float64) bool {
	switch c.Kind {
	case CheckRange:
		return v >= c.Lo && v <= c.Hi && (!math.IsInf(v, 0) || math.IsInf(c.Lo, -1) && v < 0 || math.IsInf(c.Hi, 1) && v > 0)
	case CheckFinite:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case CheckSign:
		return v == 1 || v == -1
	case CheckBinary:
		return v == 0 || v == 1
	}
	return false
}

// ValidLabel reports whether one label passes a CheckLabels check.
func (c *Check) ValidLabel(v int32) bool {
	return int64(v) == c.Ignore || float64(v) >= c.Lo && float64(v) < c.Hi
}
