// Package plan is how every device backend runs a device.Call or a device.Check with gloss's
// kernels (package kernels), written once: it validates the call, picks the kernels from the
// descriptor (device.Kernel), forms the kernels' parameters (derived ones in float64), computes
// the Mean's denominator and gradient scale, sizes the partial sums, histograms and InfoNCE's
// scratch, builds every kernel's argument list, and adds the groups' partial sums on the host
// in a fixed order. A backend only lays launches out, allocates, launches and reads back:
// it implements Backend, and plan.Run and plan.Find drive it.
//
// The plan needs no device: its tests drive it with a Backend that records launches.
package plan

import (
	"fmt"
	"math"

	"github.com/gloss-ml/gloss/device"
)

// Backend is one call's view of a device backend.
type Backend interface {
	// Caps describes the device.
	Caps() Caps
	// Layout decides how a launch runs: it sets l.Groups (the groups whose partial sums the
	// kernel writes), l.Workers (ShapeRows: the independent row workers; a histogram kernel
	// writes one histogram per worker, at most l.MaxWorkers), l.Geo and l.Flags (the
	// kernel's layout arguments, the dialect's own), and whatever else the backend needs
	// (l.Local, l.Shared).
	Layout(l *Launch) error
	// Scratch makes region r at least bytes long for the rest of the call; its contents are
	// unspecified.
	Scratch(r Region, bytes int64) error
	// Launch runs the kernel l.Kernel of the l.DType program as laid out, with args.
	Launch(l *Launch, args []Arg) error
	// ReadAcc reads n accumulators of dt's program from region r into float64s (waiting for
	// the launches).
	ReadAcc(r Region, n int, dt device.DType) ([]float64, error)
	// ReadI64 reads n int64 values of region r (waiting for the launches).
	ReadI64(r Region, n int) ([]int64, error)
}

// Caps are what the plan needs to know about a device.
type Caps struct {
	Name string // the device's name, for errors
	F64  bool   // it runs float64 kernels
	// Acc32 says that the float32 program accumulates in compensated float32 (4-byte
	// accumulators); otherwise every accumulator is a double.
	Acc32 bool
	// ScaleOnDevice says that the Mean's gradient scale should stay on the device (computed by
	// denom_finish and read by the loss kernel) rather than take a round trip to the host,
	// which costs more than a launch on a GPU and less on a CPU device.
	ScaleOnDevice bool
}

// Shape is how a launch spreads its items over groups (Layout's input).
type Shape uint8

// The launch shapes.
const (
	// Vectors: N elements, a chunk of the dialect's vector width at a time.
	Vectors Shape = iota + 1
	// Items: N items one at a time, each costing Cost elements of work.
	Items
	// Rows: N rows of C columns, a group of threads per row (the row kernels); Stage row
	// inputs may be staged on chip.
	Rows
	// Pairs: N rows each costing Cost, a whole group per row where groups are wide (CUDA:
	// InfoNCE's kernels), a work-item per row elsewhere.
	Pairs
	// Single: one group.
	Single
)

// Launch is one kernel launch.
type Launch struct {
	Kernel string       // the symbol
	DType  device.DType // the program (element type) it comes from
	Shape  Shape
	N, C   int64
	Cost   int64 // Items and Pairs: elements of work per item
	Stage  int   // Rows: row inputs the kernel may stage
	// MaxWorkers bounds Workers (ShapeRows of a histogram kernel; 0: no bound).
	MaxWorkers int64
	// Bufs are the call's buffers the kernel walks a chunk at a time, for backends whose
	// vector access needs every one of them aligned.
	Bufs []device.Buffer

	// Set by Backend.Layout.
	Groups     int
	Workers    int64
	Geo, Flags int64
	Local      int // threads per group
	Shared     int // bytes of dynamic local memory per group
}

// Region names a scratch area of one call.
type Region uint8

// The scratch regions.
const (
	RegPart  Region = iota // partial sums: groups × sums × 2 accumulators (a histogram kernel's copies)
	RegScale               // the Mean's gradient scale on the device: 1 accumulator
	RegOut                 // a check's per-group results (int64), or hist_finish's sums
	RegQH                  // InfoNCE: q̂, k̂ (N·D elements), the norms and log-sum-exps (N
	RegKH                  // accumulators each) and the gradient accumulator (N·D accumulators)
	RegQN
	RegKN
	RegLseR
	RegLseC
	RegG
	NumRegions
)

// ArgKind is the kind of one kernel argument, each 8 bytes on CUDA.
type ArgKind uint8

// The argument kinds.
const (
	ArgBuf     ArgKind = iota + 1 // a call buffer (nil: NULL)
	ArgScratch                    // a scratch region
	ArgInt                        // a 64-bit integer
	ArgReal                       // a real: a double on CUDA, the element type on OpenCL
	ArgParams                     // the parameter slots: 8 doubles (a float8 on an OpenCL device without fp64)
)

// Arg is one kernel argument.
type Arg struct {
	Kind   ArgKind
	Buf    device.Buffer
	Region Region
	I      int64
	F      float64
	P      *[8]float64 // ArgParams (a pointer, so that an argument list stays small)
}

func buf(b device.Buffer) Arg { return Arg{Kind: ArgBuf, Buf: b} }
func scratch(r Region) Arg    { return Arg{Kind: ArgScratch, Region: r} }
func integer(v int64) Arg     { return Arg{Kind: ArgInt, I: v} }
func realArg(v float64) Arg   { return Arg{Kind: ArgReal, F: v} }
func params(p [8]float64) Arg { return Arg{Kind: ArgParams, P: &p} }
func flag(b bool) Arg         { return integer(b2i(b)) }
func nullArg() Arg            { return Arg{Kind: ArgBuf} }
func scaleArg(s *scale) Arg   { return realArg(s.value) }

// scalePtr is the kernels' scale_ptr: the scale on the device, or NULL.
func scalePtr(s *scale) Arg {
	if s.onDevice {
		return scratch(RegScale)
	}
	return nullArg()
}

// withLayout returns args followed by l's layout arguments (Geo, Flags), in one allocation.
func withLayout(args []Arg, l *Launch) []Arg {
	out := make([]Arg, len(args), len(args)+2)
	copy(out, args)
	return append(out, integer(l.Geo), integer(l.Flags))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Kinds is the argument list's kinds as CUDA sees them: one letter per 8-byte parameter,
// p (pointer), i (integer) or f (double); ArgParams is eight f.
func Kinds(args []Arg) string {
	var s []byte
	for _, a := range args {
		switch a.Kind {
		case ArgBuf, ArgScratch:
			s = append(s, 'p')
		case ArgInt:
			s = append(s, 'i')
		case ArgReal:
			s = append(s, 'f')
		case ArgParams:
			s = append(s, "ffffffff"...)
		}
	}
	return string(s)
}

// histBytes bounds the histogram copies of a histogram metric.
const histBytes = 64 << 20

// run is one call in progress.
type run struct {
	b    Backend
	caps Caps
	c    *device.Call
	k    *device.Kernel
	acc  int64 // bytes of an accumulator of the call's program
}

func (r *run) errorf(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s: %s", sentinel, r.caps.Name, r.c.Kernel, fmt.Sprintf(format, a...))
}

// accBytes is the size of an accumulator of dt's program.
func accBytes(caps Caps, dt device.DType) int64 {
	if dt == device.F32 && caps.Acc32 {
		return 4
	}
	return 8
}

// Supports reports whether a device with caps runs the kernel (a catalog stem, or a check
// name) for dt through the plan.
func Supports(caps Caps, kernel string, dt device.DType) bool {
	switch kernel {
	case "check_labels":
		return dt == device.I32
	case "check_values":
		return dt == device.F32 || dt == device.F64 && caps.F64
	}
	k, ok := device.LookupKernel(kernel)
	return ok && k.Shape != device.ShapeNone && (dt == device.F32 || dt == device.F64 && caps.F64)
}

// Run executes one call on b and returns its sums.
func Run(b Backend, c *device.Call) (device.Sums, error) {
	caps := b.Caps()
	if c == nil {
		return nil, fmt.Errorf("%w: %s: nil call", device.ErrBuffer, caps.Name)
	}
	k, ok := device.LookupKernel(c.Kernel)
	if ok && (c.DType == device.F32 || c.DType == device.F64) && !Supports(caps, c.Kernel, c.DType) {
		return nil, fmt.Errorf("%w: %s has no %v kernel %s", device.ErrUnsupported, caps.Name, c.DType, c.Kernel)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", caps.Name, err)
	}
	r := &run{b: b, caps: caps, c: c, k: k, acc: accBytes(caps, c.DType)}
	switch k.Shape {
	case device.ShapeHist:
		return r.hist()
	case device.ShapeInfoNCE:
		return r.infoNCE()
	}
	return r.loss()
}

// scale is a call's gradient scale: a value passed to the kernel, or on the device.
type scale struct {
	value    float64
	onDevice bool
}

// meanScale is scale/Σd, 0 when Σd is 0 (every term then has weight 0; cpuref.MeanScale).
func meanScale(s, den float64) float64 {
	if den == 0 {
		return 0
	}
	return s / den
}

// gradScale computes the call's gradient scale: Call.Scale, or for a Mean (ScaleByDenom) with
// gradients Scale/Σd, Σd counted on the host when it is a count, else by denom_sum on the
// device, and then (Caps.ScaleOnDevice) divided there by denom_finish or read back.
func (r *run) gradScale() (*scale, error) {
	c := r.c
	if !c.ScaleByDenom || !c.WantGrad() {
		return &scale{value: c.Scale}, nil
	}
	elems := int64(c.N) * int64(c.C)
	n, rule, wrow := int64(c.N), int64(0), false
	switch c.Denom {
	case device.DenomWeight:
		if r.k.Family == device.Elementwise {
			n = elems
		}
		if c.Weight == nil {
			return &scale{value: meanScale(c.Scale, float64(n))}, nil
		}
		if r.k.Family == device.Elementwise && int64(c.Weight.Len()) != elems {
			n, wrow = int64(c.N), true
		}
	case device.DenomLabel:
		rule = 1
	case device.DenomCorn:
		rule = 2
	}
	if n == 0 {
		return &scale{}, nil
	}
	l := &Launch{Kernel: "denom_sum", DType: c.DType, Shape: Items, N: n, Cost: 1}
	part, err := r.layout(l, 2)
	if err != nil {
		return nil, err
	}
	args := []Arg{buf(c.Labels), buf(c.Weight), buf(c.ClassWeight), integer(n), integer(int64(c.C)), flag(wrow),
		integer(rule), integer(c.Ignore), scratch(part)}
	if err := r.b.Launch(l, withLayout(args, l)); err != nil {
		return nil, err
	}
	if r.caps.ScaleOnDevice {
		f := &Launch{Kernel: "denom_finish", DType: c.DType, Shape: Single, N: 1}
		if err := r.b.Layout(f); err != nil {
			return nil, err
		}
		if err := r.b.Scratch(RegScale, r.acc); err != nil {
			return nil, err
		}
		args := []Arg{scratch(part), integer(int64(l.Groups)), realArg(c.Scale), scratch(RegScale)}
		if err := r.b.Launch(f, withLayout(args, f)); err != nil {
			return nil, err
		}
		return &scale{onDevice: true}, nil
	}
	s, err := r.sums(l.Groups, 2)
	if err != nil {
		return nil, err
	}
	if s[1] != 0 {
		return nil, r.badLabels(s[1])
	}
	return &scale{value: meanScale(c.Scale, s[0])}, nil
}

func (r *run) badLabels(n float64) error {
	return r.errorf(device.ErrBuffer, "%g labels outside the kernel's range (check them with package loss)", n)
}

// layout lays l out and sizes the partial sums of its groups (nsums each).
func (r *run) layout(l *Launch, nsums int) (Region, error) {
	if err := r.b.Layout(l); err != nil {
		return 0, err
	}
	if l.Groups <= 0 {
		return 0, r.errorf(device.ErrDriver, "%s laid out with %d groups", l.Kernel, l.Groups)
	}
	return RegPart, r.b.Scratch(RegPart, int64(l.Groups)*int64(nsums)*2*r.acc)
}

// sums reads the partial sums of groups groups (nsums each, as value and compensation pairs)
// and adds them in group order; an infinite or NaN value is added without its compensation.
func (r *run) sums(groups, nsums int) ([]float64, error) {
	v, err := r.b.ReadAcc(RegPart, groups*nsums*2, r.c.DType)
	if err != nil {
		return nil, err
	}
	return addPairs(v, groups, nsums), nil
}

func addPairs(v []float64, groups, nsums int) []float64 {
	tot := make([]float64, nsums)
	for g := range groups {
		for k := range nsums {
			s, c := v[(g*nsums+k)*2], v[(g*nsums+k)*2+1]
			if math.IsInf(s, 0) || math.IsNaN(s) {
				tot[k] += s
			} else {
				tot[k] += s + c
			}
		}
	}
	return tot
}

// lossArgs is the argument list of every loss and metric kernel (LOSS_ARGS in
// kernels/gloss.h).
func (r *run) lossArgs(l *Launch, s *scale, part Region, n int64, wrow bool, aux int64) []Arg {
	c := r.c
	return []Arg{buf(c.X), buf(c.Y), buf(c.Z), buf(c.Labels), buf(c.Weight), buf(c.ClassWeight),
		buf(c.PerSample), buf(c.GX), buf(c.GY), buf(c.GZ), buf(c.Hess), scratch(part), scalePtr(s), scaleArg(s),
		integer(n), integer(int64(c.C)), flag(wrow), integer(c.Ignore), integer(aux), integer(l.Geo), integer(l.Flags),
		params(r.k.KernelParams(c.P, c.DType))}
}

// loss runs an elementwise or row loss, a row metric (accuracy) or a confusion metric.
func (r *run) loss() (device.Sums, error) {
	c, k := r.c, r.k
	out := 2
	if k.Shape == device.ShapeConfusion {
		out = 3
	}
	elems := int64(c.N) * int64(c.C)
	if c.N == 0 || c.C == 0 {
		return make(device.Sums, out), nil
	}
	s, err := r.gradScale()
	if err != nil {
		return nil, err
	}
	mode := device.Fwd
	switch {
	case c.Hess != nil:
		mode = device.Hess
	case c.WantGrad():
		mode = device.FwdBwd
	}
	l := &Launch{Kernel: k.Symbol(mode), DType: c.DType, Shape: Vectors, N: elems,
		Bufs: []device.Buffer{c.X, c.Y, c.Z, c.PerSample, c.GX, c.GY, c.GZ, c.Hess}}
	wrow := false
	if k.Shape == device.ShapeRow {
		l.Shape, l.N, l.C, l.Bufs = Rows, int64(c.N), int64(c.C), []device.Buffer{c.X, c.Y, c.Z, c.GX, c.GY, c.GZ}
		if mode != device.Fwd || k.StageFwd {
			l.Stage = k.Stage
		}
	} else if c.Weight != nil {
		wrow = int64(c.Weight.Len()) != elems
		if !wrow {
			l.Bufs = append(l.Bufs, c.Weight)
		}
	}
	part, err := r.layout(l, 3)
	if err != nil {
		return nil, err
	}
	if err := r.b.Launch(l, r.lossArgs(l, s, part, l.N, wrow, 0)); err != nil {
		return nil, err
	}
	sums, err := r.sums(l.Groups, 3)
	if err != nil {
		return nil, err
	}
	if k.Shape == device.ShapeRow && sums[2] != 0 {
		return nil, r.badLabels(sums[2])
	}
	return device.Sums(sums[:out]), nil
}

// Bins is the number of bins (or classes) of a histogram metric's call.
func Bins(c *device.Call) int64 {
	b := int64(c.Bins)
	if b <= 0 {
		b = int64(c.C)
		if c.Kernel == "calibration" {
			b = int64(c.P[0])
		}
	}
	return max(b, 1)
}

// hist runs macro_f1 or calibration: the row kernel adds each row's records into histograms
// of 3·bins + 1 slots (the last counts bad labels), one per row worker, which hist_finish adds
// in worker order.
func (r *run) hist() (device.Sums, error) {
	c := r.c
	bins := Bins(c)
	nslots := 3*bins + 1
	if c.N == 0 || c.C == 0 {
		return make(device.Sums, 3*bins), nil
	}
	l := &Launch{Kernel: r.k.Symbol(device.Fwd), DType: c.DType, Shape: Rows, N: int64(c.N), C: int64(c.C),
		MaxWorkers: max(1, histBytes/(nslots*2*r.acc)), Bufs: []device.Buffer{c.X}}
	if err := r.b.Layout(l); err != nil {
		return nil, err
	}
	if l.Workers <= 0 || l.Workers > l.MaxWorkers {
		return nil, r.errorf(device.ErrDriver, "%s laid out with %d histograms (at most %d)", l.Kernel, l.Workers, l.MaxWorkers)
	}
	if err := r.b.Scratch(RegPart, l.Workers*nslots*2*r.acc); err != nil {
		return nil, err
	}
	if err := r.b.Launch(l, r.lossArgs(l, &scale{}, RegPart, l.N, false, bins)); err != nil {
		return nil, err
	}
	f := &Launch{Kernel: "hist_finish", DType: c.DType, Shape: Items, N: nslots, Cost: l.Workers}
	if err := r.b.Layout(f); err != nil {
		return nil, err
	}
	if err := r.b.Scratch(RegOut, nslots*2*r.acc); err != nil {
		return nil, err
	}
	args := []Arg{scratch(RegPart), integer(l.Workers), integer(nslots), scratch(RegOut)}
	if err := r.b.Launch(f, withLayout(args, f)); err != nil {
		return nil, err
	}
	v, err := r.b.ReadAcc(RegOut, int(nslots)*2, c.DType)
	if err != nil {
		return nil, err
	}
	s := addPairs(v, 1, int(nslots))
	if s[3*bins] != 0 {
		return nil, r.badLabels(s[3*bins])
	}
	return device.Sums(s[:3*bins]), nil
}

// infoNCE runs info_nce: prep, the column pass (symmetric), the row pass with the loss, then
// one gradient launch per wanted gradient (see kernels/embedding.h).
func (r *run) infoNCE() (device.Sums, error) {
	c := r.c
	n, d := int64(c.N), int64(c.C)
	if n == 0 {
		return device.Sums{0, 0}, nil
	}
	s, err := r.gradScale()
	if err != nil {
		return nil, err
	}
	tau, normalize, sym := c.P[0], c.P[1] != 0, c.P[2] != 0
	rb := int64(c.DType.Size())
	for _, z := range []struct {
		reg   Region
		bytes int64
	}{{RegQH, n * d * rb}, {RegKH, n * d * rb}, {RegQN, n * r.acc}, {RegKN, n * r.acc}, {RegLseR, n * r.acc}, {RegLseC, n * r.acc}} {
		if err := r.b.Scratch(z.reg, z.bytes); err != nil {
			return nil, err
		}
	}
	if c.GX != nil || c.GY != nil {
		if err := r.b.Scratch(RegG, n*d*r.acc); err != nil {
			return nil, err
		}
	}
	p := &Launch{Kernel: "info_nce_prep", DType: c.DType, Shape: Pairs, N: n, Cost: d}
	if err := r.b.Layout(p); err != nil {
		return nil, err
	}
	args := []Arg{buf(c.X), buf(c.Y), scratch(RegQH), scratch(RegKH), scratch(RegQN), scratch(RegKN),
		integer(n), integer(d), flag(normalize)}
	if err := r.b.Launch(p, withLayout(args, p)); err != nil {
		return nil, err
	}
	fwd := &Launch{Kernel: "info_nce_fwd", DType: c.DType, Shape: Pairs, N: n, Cost: n * d}
	part, err := r.layout(fwd, 3)
	if err != nil {
		return nil, err
	}
	pass := func(a, b, lse, other Region, w, ps device.Buffer, mode int64) error {
		oa := nullArg()
		if mode == 2 {
			oa = scratch(other)
		}
		args := []Arg{scratch(a), scratch(b), scratch(lse), oa, buf(w), buf(ps), scratch(part), integer(n), integer(d),
			realArg(tau), integer(mode)}
		return r.b.Launch(fwd, withLayout(args, fwd))
	}
	mode := int64(1)
	if sym {
		mode = 2
		if err := pass(RegKH, RegQH, RegLseC, 0, nil, nil, 0); err != nil {
			return nil, err
		}
	}
	if err := pass(RegQH, RegKH, RegLseR, RegLseC, c.Weight, c.PerSample, mode); err != nil {
		return nil, err
	}
	groups := fwd.Groups
	grad := &Launch{Kernel: "info_nce_grad", DType: c.DType, Shape: Pairs, N: n, Cost: n * d}
	if c.GX != nil || c.GY != nil {
		if err := r.b.Layout(grad); err != nil {
			return nil, err
		}
	}
	bwd := func(a, b Region, lseA, lseB Arg, nrm Region, out device.Buffer, alpha, beta float64) error {
		args := []Arg{scratch(a), scratch(b), lseA, lseB, buf(c.Weight), scratch(nrm), scratch(RegG), buf(out),
			scalePtr(s), scaleArg(s), integer(n), integer(d), realArg(tau), realArg(alpha), realArg(beta), flag(normalize)}
		return r.b.Launch(grad, withLayout(args, grad))
	}
	if c.GX != nil { // queries: lseA = r; symmetric: ½, ½ with lseB = c
		lseB, alpha, beta := nullArg(), 1.0, 0.0
		if sym {
			lseB, alpha, beta = scratch(RegLseC), 0.5, 0.5
		}
		if err := bwd(RegQH, RegKH, scratch(RegLseR), lseB, RegQN, c.GX, alpha, beta); err != nil {
			return nil, err
		}
	}
	if c.GY != nil { // keys: lseB = r; symmetric: ½, ½ with lseA = c
		lseA, alpha, beta := nullArg(), 0.0, 1.0
		if sym {
			lseA, alpha, beta = scratch(RegLseC), 0.5, 0.5
		}
		if err := bwd(RegKH, RegQH, lseA, scratch(RegLseR), RegKN, c.GY, alpha, beta); err != nil {
			return nil, err
		}
	}
	sums, err := r.sums(groups, 3)
	if err != nil {
		return nil, err
	}
	return device.Sums(sums[:2]), nil
}

// Find runs a validity check on b and returns the first failing index, or -1.
func Find(b Backend, ck *device.Check) (int, error) {
	caps := b.Caps()
	if ck == nil {
		return 0, fmt.Errorf("%w: %s: nil check", device.ErrBuffer, caps.Name)
	}
	if ck.Buf == nil || ck.N < 0 || ck.N > ck.Buf.Len() {
		n := 0
		if ck.Buf != nil {
			n = ck.Buf.Len()
		}
		return 0, fmt.Errorf("%w: %s: check of %d elements of a buffer of %d", device.ErrBuffer, caps.Name, ck.N, n)
	}
	n := int64(ck.N)
	dt := ck.Buf.DType()
	l := &Launch{Kernel: "check_values", DType: dt, Shape: Vectors, N: n}
	var args []Arg
	switch {
	case ck.Kind == device.CheckLabels && dt == device.I32:
		l.Kernel, l.DType, l.Shape, l.Cost = "check_labels", device.F32, Items, 1
		args = []Arg{buf(ck.Buf), integer(n), integer(ceilInt(ck.Lo)), integer(ceilInt(ck.Hi)), integer(ck.Ignore)}
	case ck.Kind == device.CheckLabels || dt == device.I32:
		return 0, fmt.Errorf("%w: %s: check %d of a %v buffer", device.ErrBuffer, caps.Name, ck.Kind, dt)
	case ck.Kind < device.CheckRange || ck.Kind > device.CheckBinary:
		return 0, fmt.Errorf("%w: %s: unknown check %d", device.ErrUnsupported, caps.Name, ck.Kind)
	case dt == device.F64 && !caps.F64:
		return 0, fmt.Errorf("%w: %s: a float64 check on a device without fp64", device.ErrUnsupported, caps.Name)
	default:
		lo, hi := ck.Lo, ck.Hi
		if dt == device.F32 { // for a float32 x: x ≥ lo ⇔ x ≥ up(lo), x ≤ hi ⇔ x ≤ down(hi)
			lo, hi = roundUp32(lo), roundDown32(hi)
		}
		args = []Arg{buf(ck.Buf), integer(n), integer(int64(ck.Kind)), realArg(lo), realArg(hi)}
	}
	if n == 0 {
		return -1, nil
	}
	if err := b.Layout(l); err != nil {
		return 0, err
	}
	if err := b.Scratch(RegOut, int64(max(l.Groups, 1))*8); err != nil {
		return 0, err
	}
	if err := b.Launch(l, withLayout(append(args, scratch(RegOut)), l)); err != nil {
		return 0, err
	}
	firsts, err := b.ReadI64(RegOut, l.Groups)
	if err != nil {
		return 0, err
	}
	first := n
	for _, f := range firsts {
		first = min(first, f)
	}
	if first >= n {
		return -1, nil
	}
	return int(first), nil
}

// roundDown32 is the largest float32 not above v; roundUp32 the smallest not below.
func roundDown32(v float64) float64 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return float64(f)
}

func roundUp32(v float64) float64 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return float64(f)
}

// ceilInt is ⌈v⌉ clamped to the int64 range: for an integer y, y ≥ v ⇔ y ≥ ⌈v⌉ and
// y < v ⇔ y < ⌈v⌉.
func ceilInt(v float64) int64 {
	c := math.Ceil(v)
	switch {
	case math.IsNaN(c):
		return 0
	case c >= math.MaxInt64:
		return math.MaxInt64
	case c <= math.MinInt64:
		return math.MinInt64
	}
	return int64(c)
}
