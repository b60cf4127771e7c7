package device

import (
	"fmt"
	"math"
)

//go:generate go run ../internal/kgen

// Kernel describes one loss or metric of the catalog as the device layer sees it: what a Call
// of it reads and may write, how its kernels are launched, and its parameter slots. The table
// (kernels_gen.go) is generated from package loss's specs by internal/kgen, which also writes
// kernels/params.h, the C header that gives the kernels the same slots by name; CI checks that
// both are what the specs give (scripts/check-generated.sh).
type Kernel struct {
	Name   string // the stem: Call.Kernel, the kernels' symbols, cpuref's name
	Family Family
	Denom  Denom
	Shape  Shape
	Reads  Inputs // inputs read besides X
	Grads  Inputs // inputs besides X that have a gradient (GY, GZ)
	Hess   bool   // has a Hessian diagonal
	Labels LabelRule
	// Params names the call's parameters, Call.P[0:len(Params)], in order. Derived names the
	// slots after them, which the host fills from the parameters in float64 (Params below):
	// quantities such as 1 − ρ that a float32 kernel must not form from rounded parameters.
	Params, Derived []string
	// Stage is the number of a row's inputs a row kernel may keep on chip (CUDA shared memory)
	// for its later passes over the row; StageFwd says whether the forward alone makes such
	// passes (otherwise only the gradient kernel is given the memory).
	Stage    int
	StageFwd bool

	derive func(p *[8]float64, dt DType)
}

// Family is the shape of a kernel's terms.
//   - Elementwise: one independent term per element i of N·C elements (row r = i / C, column
//     i % C). PerSample, Grad* and Hess have N·C elements; Weight has N·C elements or N (one per row).
//   - Rowwise: one term per row of C columns (cross-entropy, triplet, Dice, ...). PerSample has N
//     elements, Grad* have the shape of their input, Weight has N elements.
//   - Metric: a non-differentiable statistic; Run returns metric-specific sums.
type Family uint8

// The kernel families.
const (
	Elementwise Family = iota + 1
	Rowwise
	Metric
)

func (f Family) String() string {
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

// Denom says what each term contributes to the Mean denominator Σd (Sums[1]); s_i is the
// sample weight (1 when Call.Weight is nil).
//   - DenomWeight: d_i = s_i for every element (elementwise) or row (row losses without labels).
//   - DenomLabel: d_i = s_i · cw[y_i] · [y_i ≠ Ignore] (cw = 1 when Call.ClassWeight is nil).
//   - DenomCorn: d_i = s_i · min(y_i + 1, C), the number of CORN tasks row i takes part in.
type Denom uint8

// The denominator rules.
const (
	DenomWeight Denom = iota
	DenomLabel
	DenomCorn
)

// Shape says how a kernel is launched and what its partial sums are (see device/plan).
type Shape uint8

// The launch shapes.
const (
	// ShapeNone: no device kernel (the loss runs on the cpu only: auc).
	ShapeNone Shape = iota
	// ShapeElem: <stem>_fwd, _fwd_bwd and _hess, one term per element; sums Σ s·L, Σ s.
	ShapeElem
	// ShapeRow: <stem>_fwd (and _fwd_bwd for losses), one term per row; sums Σ s·L, Σ s·d and
	// the number of labels outside the kernel's range.
	ShapeRow
	// ShapeConfusion: <stem>_fwd over the elements; sums TP, FP, FN.
	ShapeConfusion
	// ShapeHist: <stem>_fwd over the rows into histograms of 3·bins slots (and a count of bad
	// labels), added by hist_finish.
	ShapeHist
	// ShapeInfoNCE: info_nce_prep, info_nce_fwd and info_nce_grad.
	ShapeInfoNCE
)

func (s Shape) String() string {
	switch s {
	case ShapeNone:
		return "none"
	case ShapeElem:
		return "elem"
	case ShapeRow:
		return "row"
	case ShapeConfusion:
		return "confusion"
	case ShapeHist:
		return "hist"
	case ShapeInfoNCE:
		return "info_nce"
	}
	return fmt.Sprintf("Shape(%d)", uint8(s))
}

// Inputs is a set of the inputs besides X.
type Inputs uint8

// The inputs.
const (
	InY Inputs = 1 << iota
	InZ
	InLabels
)

// Has reports whether s holds every input of t.
func (s Inputs) Has(t Inputs) bool { return s&t == t }

// LabelRule is the set of labels a kernel accepts.
type LabelRule uint8

// The label rules.
const (
	NoLabels     LabelRule = iota
	LabelsC                // [0, C) or Ignore
	LabelsTwo              // [0, max(C, 2)) or Ignore: C = 1 means binary labels 0 and 1
	LabelsStrict           // [0, C); Ignore is not honoured
	LabelsCorn             // [0, C]: the number of thresholds passed; Ignore is not honoured
)

// Mode is what one launch computes: the value, also the gradients, also the Hessian diagonal.
type Mode uint8

// The modes, each a kernel symbol suffix.
const (
	Fwd Mode = iota
	FwdBwd
	Hess
)

// Symbol is the name of the kernel that computes mode m: <stem>_fwd, <stem>_fwd_bwd or
// <stem>_hess, in CUDA, OpenCL and abi.txt alike. InfoNCE's kernels have their own names.
func (k *Kernel) Symbol(m Mode) string {
	switch m {
	case FwdBwd:
		return k.Name + "_fwd_bwd"
	case Hess:
		return k.Name + "_hess"
	}
	return k.Name + "_fwd"
}

// Symbols lists the kernel symbols of the kernel's modes (none for ShapeNone).
func (k *Kernel) Symbols() []string {
	switch k.Shape {
	case ShapeNone:
		return nil
	case ShapeInfoNCE:
		return []string{"info_nce_prep", "info_nce_fwd", "info_nce_grad"}
	}
	s := []string{k.Symbol(Fwd)}
	if k.Family != Metric {
		s = append(s, k.Symbol(FwdBwd))
	}
	if k.Hess {
		s = append(s, k.Symbol(Hess))
	}
	return s
}

// Helpers are the kernels every device program has besides the catalog's own: the checks,
// the Mean's denominator, the histograms' reduction.
var Helpers = []string{"check_values", "check_labels", "denom_sum", "denom_finish", "hist_finish"}

// MaxParams is the number of parameter slots a kernel takes.
const MaxParams = 8

// KernelParams returns the kernel's parameter slots for a call's parameters p and dtype dt:
// p's first len(Params) values, then the derived values, formed from them in float64.
func (k *Kernel) KernelParams(p [8]float64, dt DType) [8]float64 {
	for i := len(k.Params); i < MaxParams; i++ {
		p[i] = 0
	}
	if k.derive != nil {
		k.derive(&p, dt)
	}
	return p
}

// LookupKernel returns the description of a kernel of the catalog.
func LookupKernel(name string) (*Kernel, bool) {
	k, ok := kernelIndex[name]
	return k, ok
}

// Kernels lists the catalog's kernels, sorted by name.
func Kernels() []*Kernel {
	out := make([]*Kernel, len(kernelTable))
	for i := range kernelTable {
		out[i] = &kernelTable[i]
	}
	return out
}

var kernelIndex = func() map[string]*Kernel {
	m := make(map[string]*Kernel, len(kernelTable))
	for i := range kernelTable {
		m[kernelTable[i].Name] = &kernelTable[i]
	}
	return m
}()

// Helpers of the derived parameters (internal/kgen writes calls to them).

// flag is 1 for true, 0 for false.
func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// below is the largest value of dt not above v: for an x of dt, x > v ⇔ x > below(v, dt).
func below(v float64, dt DType) float64 {
	if dt != F32 {
		return v
	}
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return float64(f)
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
