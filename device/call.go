package device

import (
	"fmt"
	"math"
	"strings"

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

// Call is one loss (or metric) evaluation. Package loss builds it after validating the
// inputs' shapes and values; Validate checks the structure of any Call (the cpu device runs it
// on every Call, and checks labels too, so that a Call built by hand is an error, never a
// panic). Buffers are on the device that runs it; nil means absent. Outputs overlap no input
// and no other output, except that GX may be X itself (the in-place gradient).
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
	return c != nil && (c.GX != nil || c.GY != nil || c.GZ != nil || c.Hess != nil)
}

// Elems is the number of elements of X: N·C, or -1 when N or C is negative or N·C
// overflows (a Call that Validate refuses).
func (c *Call) Elems() int {
	if c == nil {
		return 0
	}
	if nc, ok := MulInt(c.N, c.C); ok {
		return nc
	}
	return -1
}

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
	if c == nil {
		return false
	}
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
	return c != nil && (int64(v) == c.Ignore || float64(v) >= c.Lo && float64(v) < c.Hi)
}

// labelRule is the set of labels a kernel accepts.
type labelRule uint8

const (
	noLabels      labelRule = iota
	labelsC                 // [0, C) or Ignore
	labelsTwo               // [0, max(C, 2)) or Ignore: C = 1 means binary labels 0 and 1
	labelsStrictC           // [0, C); Ignore is not honoured
	labelsCorn              // [0, C]: the number of thresholds passed; Ignore is not honoured
)

// kernelRule is what Validate knows of one kernel of the catalog: its family, the inputs it
// reads besides X ("Y", "Z", "L" for labels), the inputs besides X it has gradients for, and
// its labels. It mirrors package loss's specs; a test there keeps the two in step.
type kernelRule struct {
	family Family
	reads  string
	grads  string
	labels labelRule
}

var kernelRules = map[string]kernelRule{
	// Elementwise losses: all read Y (except penalty) and all have a Hessian diagonal.
	"mse": {Elementwise, "Y", "", 0}, "mae": {Elementwise, "Y", "", 0}, "huber": {Elementwise, "Y", "", 0},
	"smooth_l1": {Elementwise, "Y", "", 0}, "pseudo_huber": {Elementwise, "Y", "", 0},
	"log_cosh": {Elementwise, "Y", "", 0}, "quantile": {Elementwise, "Y", "", 0},
	"poisson": {Elementwise, "Y", "", 0}, "tweedie": {Elementwise, "Y", "", 0},
	"gaussian_nll": {Elementwise, "YZ", "Z", 0}, "bce": {Elementwise, "Y", "", 0},
	"bce_with_logits": {Elementwise, "Y", "", 0}, "focal": {Elementwise, "Y", "", 0},
	"hinge": {Elementwise, "Y", "", 0}, "squared_hinge": {Elementwise, "Y", "", 0},
	"soft_margin": {Elementwise, "Y", "", 0}, "kl_div": {Elementwise, "Y", "", 0},
	"bpr": {Elementwise, "Y", "Y", 0}, "pairwise_hinge": {Elementwise, "Y", "Y", 0},
	"pairwise_logistic": {Elementwise, "Y", "Y", 0}, "contrastive": {Elementwise, "Y", "", 0},
	"penalty": {Elementwise, "", "", 0},
	// Row losses.
	"cross_entropy": {Rowwise, "L", "", labelsC}, "nll": {Rowwise, "L", "", labelsC},
	"cross_entropy_probs": {Rowwise, "Y", "", 0}, "multi_margin": {Rowwise, "L", "", labelsStrictC},
	"corn": {Rowwise, "L", "", labelsCorn}, "triplet": {Rowwise, "YZ", "YZ", 0},
	"info_nce": {Rowwise, "Y", "Y", 0}, "dice": {Rowwise, "Y", "", 0}, "iou": {Rowwise, "Y", "", 0},
	"tversky": {Rowwise, "Y", "", 0}, "focal_tversky": {Rowwise, "Y", "", 0},
	"bce_dice": {Rowwise, "Y", "", 0},
	// Metrics.
	"accuracy": {Metric, "L", "", labelsTwo}, "calibration": {Metric, "L", "", labelsTwo},
	"macro_f1": {Metric, "L", "", labelsC}, "f1": {Metric, "Y", "", 0}, "auc": {Metric, "Y", "", 0},
	"binary_iou": {Metric, "Y", "", 0},
}

// MaxBins bounds a metric's bins or classes when the batch has fewer elements than that: the
// metric's 3·Bins sums are then allocated from a size the data does not bound, so a larger
// count is refused rather than allocated. With N·C ≥ Bins the data bounds it.
const MaxBins = 1 << 20

// MaxCalibrationBins is the most bins calibration takes (its parameter's domain).
const MaxCalibrationBins = 1_000_000

// LabelRange returns the labels a kernel accepts with C classes: [0, hi), and Ignore too when
// ignore is set. ok is false for a kernel that reads no labels.
func LabelRange(kernel string, c int) (hi int64, ignore, ok bool) {
	switch kernelRules[kernel].labels {
	case labelsC:
		return int64(c), true, true
	case labelsTwo:
		return int64(max(c, 2)), true, true
	case labelsStrictC:
		return int64(c), false, true
	case labelsCorn:
		return int64(c) + 1, false, true
	}
	return 0, false, false
}

// Validate checks a Call's structure, as every device does before it runs one: the kernel is
// one of the catalog and the Family its own, DType is F32 or F64, N and C are not negative,
// N·C does not overflow, C ≥ 1 when N > 0, every buffer has the call's dtype (Labels int32)
// and its length (X, Y, Z, GX, GY, GZ and Hess N·C; Labels N; Weight N, or N·C for
// elementwise kernels and the unlabelled metrics; ClassWeight C; PerSample N·C for
// elementwise kernels and N for row kernels), the inputs the kernel reads are present, the
// outputs are ones it produces (no Hessian but for elementwise losses, nothing but sums from a
// metric), Denom is the kernel's rule, Bins is the metric's (macro_f1: 0 or C; calibration: 0
// or P[0], an integer in [1, MaxCalibrationBins]; at most max(N·C, MaxBins)), and no output
// overlaps an input or another output, except that GX may be X itself (see Overlap).
//
// Validate does not read the buffers: labels in range, weights, targets and parameters in
// their domains are checked by package loss (with Find) before it builds a Call. A Call
// should come from package loss; one built by hand that passes Validate runs without a panic
// on the cpu device, which checks labels itself, but its numbers are only as meaningful as
// its parameters. Errors wrap ErrUnsupported (a kernel, family or output the kernel does not
// have) or ErrBuffer (anything else).
func (c *Call) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: nil call", ErrBuffer)
	}
	r, ok := kernelRules[c.Kernel]
	if !ok {
		return fmt.Errorf("%w: no kernel %q", ErrUnsupported, c.Kernel)
	}
	if c.Family != r.family {
		return fmt.Errorf("%w: %s is a %s kernel, not %s", ErrUnsupported, c.Kernel, familyName(r.family), familyName(c.Family))
	}
	if c.DType != F32 && c.DType != F64 {
		return fmt.Errorf("%w: %s: dtype %v (want float32 or float64)", ErrBuffer, c.Kernel, c.DType)
	}
	if c.N < 0 || c.C < 0 {
		return fmt.Errorf("%w: %s: negative shape %d×%d", ErrBuffer, c.Kernel, c.N, c.C)
	}
	nc, ok := MulInt(c.N, c.C)
	if !ok {
		return fmt.Errorf("%w: %s: N×C = %d×%d overflows int", ErrBuffer, c.Kernel, c.N, c.C)
	}
	if c.N > 0 && c.C == 0 {
		return fmt.Errorf("%w: %s: %d rows of 0 columns", ErrBuffer, c.Kernel, c.N)
	}
	elem := r.family == Elementwise || r.family == Metric && r.labels == noLabels
	bad := func(name string, b Buffer, want string) error {
		return fmt.Errorf("%w: %s: %s is %d %v, want %s", ErrBuffer, c.Kernel, name, b.Len(), b.DType(), want)
	}
	float := func(name string, b Buffer, lens ...int) error {
		if b == nil {
			return nil
		}
		if b.DType() != c.DType {
			return bad(name, b, c.DType.String())
		}
		for _, l := range lens {
			if b.Len() == l {
				return nil
			}
		}
		if len(lens) == 2 && lens[0] != lens[1] {
			return bad(name, b, fmt.Sprintf("%d or %d elements", lens[0], lens[1]))
		}
		return bad(name, b, fmt.Sprintf("%d elements", lens[0]))
	}
	if c.X == nil {
		return fmt.Errorf("%w: %s: no X", ErrBuffer, c.Kernel)
	}
	wlens := []int{c.N}
	if elem {
		wlens = []int{nc, c.N}
	}
	per := c.N
	if r.family == Elementwise {
		per = nc
	}
	for _, e := range []error{
		float("X", c.X, nc), float("Y", c.Y, nc), float("Z", c.Z, nc),
		float("Weight", c.Weight, wlens...), float("ClassWeight", c.ClassWeight, c.C),
		float("PerSample", c.PerSample, per), float("GX", c.GX, nc), float("GY", c.GY, nc),
		float("GZ", c.GZ, nc), float("Hess", c.Hess, nc),
	} {
		if e != nil {
			return e
		}
	}
	if c.Labels != nil && (c.Labels.DType() != I32 || c.Labels.Len() != c.N) {
		return bad("Labels", c.Labels, fmt.Sprintf("%d int32", c.N))
	}
	for _, in := range r.reads {
		if in == 'Y' && c.Y == nil || in == 'Z' && c.Z == nil || in == 'L' && c.Labels == nil {
			what := string(in)
			if in == 'L' {
				what = "Labels"
			}
			return fmt.Errorf("%w: %s reads %s, which is nil", ErrBuffer, c.Kernel, what)
		}
	}
	if r.family == Metric {
		if c.PerSample != nil || c.WantGrad() {
			return fmt.Errorf("%w: %s is a metric: no per-sample values, gradients or Hessian", ErrUnsupported, c.Kernel)
		}
	} else {
		if c.Hess != nil && r.family != Elementwise {
			return fmt.Errorf("%w: %s has no Hessian diagonal", ErrUnsupported, c.Kernel)
		}
		if c.GY != nil && !strings.Contains(r.grads, "Y") || c.GZ != nil && !strings.Contains(r.grads, "Z") {
			return fmt.Errorf("%w: %s has no gradient with respect to Y or Z (it has: X%s)", ErrUnsupported, c.Kernel, r.grads)
		}
	}
	want := DenomWeight
	switch r.labels {
	case labelsCorn:
		want = DenomCorn
	case labelsC, labelsTwo, labelsStrictC:
		want = DenomLabel
	}
	if c.Denom != want {
		return fmt.Errorf("%w: %s: Denom %d, want %d", ErrBuffer, c.Kernel, c.Denom, want)
	}
	if err := c.checkBins(nc); err != nil {
		return err
	}
	return c.checkOverlap()
}

// checkBins checks a metric's Bins.
func (c *Call) checkBins(nc int) error {
	switch c.Kernel {
	case "macro_f1":
		if c.Bins != 0 && c.Bins != c.C {
			return fmt.Errorf("%w: macro_f1: Bins %d, want 0 or C = %d", ErrBuffer, c.Bins, c.C)
		}
		if c.C > max(nc, MaxBins) {
			return fmt.Errorf("%w: macro_f1: %d classes need 3×%d sums; with %d elements at most %d classes are taken", ErrOutOfMemory, c.C, c.C, nc, MaxBins)
		}
	case "calibration":
		p := c.P[0]
		if p != math.Trunc(p) || p < 1 || p > MaxCalibrationBins {
			return fmt.Errorf("%w: calibration: P[0] = %v bins, want an integer in [1, %d]", ErrBuffer, p, MaxCalibrationBins)
		}
		if c.Bins != 0 && c.Bins != int(p) {
			return fmt.Errorf("%w: calibration: Bins %d, but P[0] = %v", ErrBuffer, c.Bins, p)
		}
	default:
		if c.Bins != 0 {
			return fmt.Errorf("%w: %s: Bins %d, want 0 (only macro_f1 and calibration have bins)", ErrBuffer, c.Kernel, c.Bins)
		}
	}
	return nil
}

// checkOverlap refuses outputs that share memory with an input or with each other; GX may be
// X itself.
func (c *Call) checkOverlap() error {
	ins := []struct {
		name string
		b    Buffer
	}{{"X", c.X}, {"Y", c.Y}, {"Z", c.Z}, {"Labels", c.Labels}, {"Weight", c.Weight}, {"ClassWeight", c.ClassWeight}}
	outs := []struct {
		name string
		b    Buffer
	}{{"PerSample", c.PerSample}, {"GX", c.GX}, {"GY", c.GY}, {"GZ", c.GZ}, {"Hess", c.Hess}}
	for i, o := range outs {
		if o.b == nil {
			continue
		}
		for _, in := range ins {
			if in.b == nil || o.name == "GX" && in.name == "X" && Same(o.b, in.b) {
				continue
			}
			if Overlap(o.b, in.b) {
				return fmt.Errorf("%w: %s: output %s overlaps input %s", ErrBuffer, c.Kernel, o.name, in.name)
			}
		}
		for _, o2 := range outs[i+1:] {
			if o2.b != nil && Overlap(o.b, o2.b) {
				return fmt.Errorf("%w: %s: outputs %s and %s overlap", ErrBuffer, c.Kernel, o.name, o2.name)
			}
		}
	}
	return nil
}

// Overlapper is implemented by buffers that know whether they share memory with another
// buffer of their device, such as views made by Slice. Overlap and Same use it.
type Overlapper interface {
	// Overlaps reports whether the buffer and b share at least one byte.
	Overlaps(b Buffer) bool
	// SameMemory reports whether the buffer and b are exactly the same memory: the same
	// start, dtype and length.
	SameMemory(b Buffer) bool
}

// Overlap reports whether two buffers share memory. Cpu buffers (Alloc, Wrap, Slice) are
// compared by their memory ranges, so two Wraps of overlapping Go slices overlap; buffers that
// implement Overlapper answer for themselves; other buffers are compared by identity only, so
// two overlapping views of such a device cannot be told apart and are the caller's
// responsibility. Empty buffers overlap nothing.
func Overlap(a, b Buffer) bool {
	if a == nil || b == nil || a.Len() == 0 || b.Len() == 0 {
		return false
	}
	if o, ok := a.(Overlapper); ok {
		return o.Overlaps(b)
	}
	return a == b
}

// Same reports whether two buffers are the same memory (the same buffer, or views of the
// same start, dtype and length), as an in-place gradient needs GX and X to be.
func Same(a, b Buffer) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a == b {
		return true
	}
	if o, ok := a.(Overlapper); ok {
		return o.SameMemory(b)
	}
	return false
}

// MulInt returns a·b and whether it is exact: both non-negative and the product within int.
func MulInt(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt/b {
		return 0, false
	}
	return a * b, true
}

func familyName(f Family) string {
	switch f {
	case Elementwise:
		return "elementwise"
	case Rowwise:
		return "row"
	case Metric:
		return "metric"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}
