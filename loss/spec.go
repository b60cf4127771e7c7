package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gloss-ml/gloss/device"
)

// spec defines one loss once: losstest, the fuzz targets, bench and the command line iterate
// the specs, so a new loss needs no new test or bench code.
type spec struct {
	name   string // kernel stem, shared with cpuref and the kernels
	family device.Family
	denom  device.Denom
	in     [3]input // Pred, Target, Aux; an input with an empty name is not taken
	labels bool     // takes Labels
	ignore bool     // has an ignore_index
	// labelHi gives the label range [0, labelHi(C)); nil means [0, C).
	labelHi     func(c int) int
	classWeight string // "" when not taken; else its name in errors ("class_weights", "pos_weight")
	hess        bool   // has a Hessian diagonal
	batchMean   bool   // accepts BatchMean
	sumOnly     bool   // the value is a sum by definition: Mean means Sum
	params      []param
	// validate checks parameters against each other, after each is in its domain.
	validate func(l *Loss) error
	// checks adds parameter-dependent input checks (Poisson's rate ≥ 0 without log input).
	checks func(l *Loss) []inputCheck
	// minCols is the least number of columns (1 unless said).
	minCols int
	// bins gives the number of bins (or classes) of a metric's sums from its parameters and C.
	bins func(l *Loss, c int) int
	// metric turns a metric's sums into its value.
	metric func(l *Loss, s []float64) float64
	// tol32 and tol64 are losstest's tolerances for float32 and float64 results:
	// |got − ref| ≤ abs + rel·|ref|.
	tol32, tol64 Tol
	// gen draws fresh valid inputs for tests and benchmarks.
	gen gen
	// fix adjusts drawn inputs to parameters that change the domain (rates instead of
	// log-rates, probabilities instead of logits).
	fix func(l *Loss, b *Batch[float64])

	// What the device kernels need besides the above (see device.Kernel, which internal/kgen
	// generates from these fields): the launch shape (0: from the family), the parameters the
	// host derives for the kernels, and the row inputs a row kernel may stage on chip.
	shape    device.Shape
	derived  []Derived
	stage    int
	stageFwd bool
}

// Derived is a kernel parameter slot that the host computes, in float64, from a loss's
// parameters: Expr is a Go expression over the parameter names (and dt, the call's
// device.DType), with the helpers flag(bool) (1 or 0), below(v, dt) (the largest value of dt
// not above v) and ratio(a, b) (a/b, 0 when b is 0), and package math. Kernels read it by Name
// (kernels/params.h), so that a float32 kernel never forms 1 − ρ from a rounded ρ.
type Derived struct{ Name, Expr string }

// Tol is an absolute plus relative tolerance.
type Tol struct{ Abs, Rel float64 }

// input describes one float input: its name in errors, whether the loss is differentiable in
// it, and the domain every value must lie in (checked before any launch).
type input struct {
	name  string
	grad  bool
	check device.CheckKind // 0: any value
	lo    float64
	hi    float64
	what  string // the domain in words, for errors
	dist  dist   // how tests draw it
}

type inputCheck struct {
	which int // 0 Pred, 1 Target, 2 Aux
	kind  device.CheckKind
	lo    float64
	hi    float64
	what  string
}

type param struct {
	name           string
	def            float64
	lo, hi         float64 // domain; ±Inf for open-ended
	loOpen, hiOpen bool    // whether the bound itself is excluded
	kind           paramKind
}

type paramKind uint8

const (
	real paramKind = iota
	boolean
	integer
)

func (p param) check(v float64) error {
	if math.IsNaN(v) {
		return fmt.Errorf("not a number")
	}
	switch p.kind {
	case boolean:
		if v != 0 && v != 1 {
			return fmt.Errorf("want a boolean (0 or 1)")
		}
		return nil
	case integer:
		if v != math.Trunc(v) {
			return fmt.Errorf("want an integer")
		}
	}
	if v < p.lo || v > p.hi || p.loOpen && v == p.lo || p.hiOpen && v == p.hi || math.IsInf(v, 0) {
		return fmt.Errorf("want a value in %s", p.domain())
	}
	return nil
}

func (p param) domain() string {
	l, r := "[", "]"
	if p.loOpen {
		l = "("
	}
	if p.hiOpen {
		r = ")"
	}
	return fmt.Sprintf("%s%g, %g%s", l, p.lo, p.hi, r)
}

var specs = map[string]*spec{}

func define(s *spec) {
	if _, dup := specs[s.name]; dup {
		panic("loss: spec defined twice: " + s.name)
	}
	if s.minCols == 0 {
		s.minCols = 1
	}
	if s.tol32 == (Tol{}) {
		s.tol32 = Tol{Abs: 1e-5, Rel: 1e-4}
	}
	if s.tol64 == (Tol{}) {
		s.tol64 = Tol{Abs: 1e-12, Rel: 1e-10}
	}
	if s.shape == device.ShapeNone && s.family == device.Elementwise {
		s.shape = device.ShapeElem
	} else if s.shape == device.ShapeNone && s.family == device.Rowwise {
		s.shape = device.ShapeRow
	}
	specs[s.name] = s
}

func (s *spec) param(name string) int {
	for i, p := range s.params {
		if p.name == name {
			return i
		}
	}
	return -1
}

func (s *spec) paramNames() string {
	var n []string
	for _, p := range s.params {
		n = append(n, p.name)
	}
	if s.labels && s.ignore {
		n = append(n, "ignore_index")
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// Parameter constructors for spec tables.
func pReal(name string, def, lo, hi float64, loOpen, hiOpen bool) param {
	return param{name: name, def: def, lo: lo, hi: hi, loOpen: loOpen, hiOpen: hiOpen}
}
func pPos(name string, def float64) param { return pReal(name, def, 0, math.Inf(1), true, true) }
func pNonNeg(name string, def float64) param {
	return pReal(name, def, 0, math.Inf(1), false, true)
}
func pAny(name string, def float64) param {
	return pReal(name, def, math.Inf(-1), math.Inf(1), true, true)
}
func pBool(name string, def bool) param { return param{name: name, def: flag(def), kind: boolean} }
func pInt(name string, def, lo, hi float64) param {
	return param{name: name, def: def, lo: lo, hi: hi, kind: integer}
}

// Input constructors for spec tables.
func in(name string, d dist) input     { return input{name: name, dist: d} }
func inGrad(name string, d dist) input { return input{name: name, grad: true, dist: d} }
func inUnit(name string, grad bool, d dist) input { // values in [0, 1]
	return input{name: name, grad: grad, check: device.CheckRange, lo: 0, hi: 1, what: "a value in [0, 1]", dist: d}
}
func inSign(name string) input {
	return input{name: name, check: device.CheckSign, what: "−1 or +1", dist: distSign}
}
func inBinary(name string) input {
	return input{name: name, check: device.CheckBinary, what: "0 or 1", dist: distBinary}
}
func inNonNeg(name string, grad bool, d dist) input {
	return input{name: name, grad: grad, check: device.CheckRange, lo: 0, hi: math.Inf(1), what: "a non-negative value", dist: d}
}

// Spec is the public, read-only description of a loss or metric, for tools that iterate the
// catalog (losstest, bench, the command line).
type Spec struct {
	Name         string
	Family       device.Family
	Inputs       [3]string // names of Pred, Target and Aux as this loss reads them; "" if not taken
	Domains      [3]string // the domain of each input in words ("a value in [0, 1]"); "" for any value
	Grads        [3]bool   // differentiable in Pred, Target, Aux
	Labels       bool
	ClassWeights string // "" when not taken
	Hessian      bool
	BatchMean    bool
	Params       []string
	Tol32, Tol64 Tol
	MinCols      int
	// What the device layer's kernel table is generated from (internal/kgen): the Mean's
	// denominator rule, whether labels have an ignore index, the launch shape, the derived
	// parameters and the staged row inputs (see device.Kernel).
	Denom    device.Denom
	Ignore   bool
	Shape    device.Shape
	Derived  []Derived
	Stage    int
	StageFwd bool
	s        *spec
}

// LabelHi is the end of the label range [0, LabelHi(c)) with c classes (0 without labels).
func (s Spec) LabelHi(c int) int {
	switch {
	case s.s == nil || !s.s.labels:
		return 0
	case s.s.labelHi != nil:
		return s.s.labelHi(c)
	}
	return c
}

// Catalog describes every loss and metric, sorted by name.
func Catalog() []Spec {
	var out []Spec
	for _, n := range Names() {
		s := specs[n]
		sp := Spec{Name: s.name, Family: s.family, Labels: s.labels, ClassWeights: s.classWeight,
			Hessian: s.hess, BatchMean: s.batchMean, Tol32: s.tol32, Tol64: s.tol64, MinCols: s.minCols,
			Denom: s.denom, Ignore: s.labels && s.ignore, Shape: s.shape, Derived: s.derived,
			Stage: s.stage, StageFwd: s.stageFwd, s: s}
		for i, x := range s.in {
			sp.Inputs[i], sp.Grads[i], sp.Domains[i] = x.name, x.grad, x.what
		}
		for _, p := range s.params {
			sp.Params = append(sp.Params, p.name)
		}
		sp.s = s
		out = append(out, sp)
	}
	return out
}

// Lookup returns the Spec of a loss or metric by name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Catalog() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Generate draws a fresh valid batch of n rows and c columns for the loss (c is ignored by
// losses with one column), with sample weights when weights is set and class weights where
// the loss takes them and classWeights is set. Labelled losses get some rows with the ignore
// index when ignored is set. Values are never all zero.
//
// It is a tool for tests and benchmarks: the zero Loss, a nil r, a negative n or c, or a
// batch of more than MaxGenerate elements gives the empty Batch.
func Generate(l Loss, r *rand.Rand, n, c int, weights, classWeights, ignored bool) Batch[float64] {
	if l.s == nil || r == nil || n < 0 || c < 0 {
		return Batch[float64]{}
	}
	if e, ok := device.MulInt(n, max(c, l.s.minCols, 1)); !ok || e > MaxGenerate {
		return Batch[float64]{}
	}
	return l.s.gen.batch(l, r, n, c, weights, classWeights, ignored)
}

// MaxGenerate is the most elements Generate draws (2²⁸: 2 GiB per float64 input).
const MaxGenerate = 1 << 28
