package loss

import (
	"fmt"
	"math"

	"github.com/gloss-ml/gloss/device"
)

// Buffers holds a batch's inputs as device buffers (the device-resident path). Fields mean
// what Batch's do; nil means absent.
type Buffers struct {
	Rows, Cols   int
	Pred         device.Buffer
	Target       device.Buffer
	Aux          device.Buffer
	Labels       device.Buffer
	Weights      device.Buffer
	ClassWeights device.Buffer
}

// Outputs are caller-allocated device buffers that Run fills; nil means not wanted.
// Grad may be the Pred buffer itself (the in-place gradient). Sizes: PerSample has one
// element per element (elementwise losses) or per row; the gradients and Hess have the
// shape of their input.
//
// No output may share memory with an input or with another output, except Grad with Pred
// when it is exactly Pred (the same buffer, or for cpu buffers the same slice): Run refuses
// that with ErrOverlap before anything runs. Cpu buffers are compared by the memory ranges of
// their slices, so overlapping Wraps or Slices are caught; buffers of other devices are
// compared by what device.Overlap can tell: the buffer itself, and the memory ranges of views
// where the device's buffers implement device.Overlapper. Two different views of one device
// allocation that overlap are otherwise the caller's to avoid.
type Outputs struct {
	PerSample, Grad, GradTarget, GradAux, Hess device.Buffer
}

// Value is the outcome of Run: the reduced value, the Mean's denominator, the raw sums and
// the device that computed them.
type Value struct {
	Value    float64
	Weight   float64
	Sums     []float64
	Device   string
	Fallback bool
}

// Run evaluates the loss on device buffers, which stay on dev: the fast path. Inputs are
// validated on the device (or, where it has no check kernel, on a copy on the host) before
// any loss kernel runs. Outputs decide what is computed; o.Grad, o.Hessian and o.InPlace
// are implied by them and o.Device is ignored; a nil dev is the cpu device. With an error it
// returns the zero Value, and the outputs' contents are unspecified.
func Run(dev device.Device, l Loss, in Buffers, out Outputs, o Options) (Value, error) {
	if l.s == nil {
		return Value{}, fmt.Errorf("%w: the zero Loss; build one with a constructor", ErrParam)
	}
	if dev == nil {
		dev = device.CPU0()
	}
	o.Grad = out.Grad != nil || out.GradTarget != nil || out.GradAux != nil
	o.Hessian = out.Hess != nil
	o.InPlace = out.Grad != nil && device.Same(out.Grad, in.Pred)
	n, c, err := l.shape(in.Rows, in.Cols, bufLen(in.Pred))
	if err != nil {
		return Value{}, err
	}
	if err := checkOverlap(l.s.name, in, out); err != nil {
		return Value{}, err
	}
	dt := dtypeOfBuf(in.Pred)
	if err := l.checkOptions(o); err != nil {
		return Value{}, err
	}
	if err := l.checkLengths(n, c, dt, lens{
		bufLen(in.Target), bufLen(in.Aux), bufLen(in.Labels), bufLen(in.Weights), bufLen(in.ClassWeights),
	}, presence(in.Target, in.Aux, in.Labels, in.Weights, in.ClassWeights), bufDTypes(in)); err != nil {
		return Value{}, err
	}
	if err := l.checkOutputs(n, c, dt, out, o); err != nil {
		return Value{}, err
	}
	if err := l.checkValues(dev, n, c, in, o); err != nil {
		return Value{}, err
	}
	return l.exec(dev, n, c, dt, in, out, o)
}

// Compute evaluates the loss on host slices: on the cpu device they are used in place; on
// another device (o.Device) they are copied in, and the results copied back. With an error it
// returns the zero Result: no value and no outputs.
func Compute[T Float](l Loss, b Batch[T], o Options) (Result[T], error) {
	var res Result[T]
	if l.s == nil {
		return res, fmt.Errorf("%w: the zero Loss; build one with a constructor", ErrParam)
	}
	if o.InPlace {
		o.Grad = true
	}
	n, c, err := l.shape(b.Rows, b.Cols, len(b.Pred))
	if err != nil {
		return res, err
	}
	if err := l.checkOptions(o); err != nil {
		return res, err
	}
	dt := dtypeOf[T]()
	if n == 0 { // an empty batch may leave its slices nil
		if b.Pred == nil {
			b.Pred = []T{}
		}
		if b.Target == nil && l.s.in[1].name != "" {
			b.Target = []T{}
		}
		if b.Aux == nil && l.s.in[2].name != "" {
			b.Aux = []T{}
		}
		if b.Labels == nil && l.s.labels {
			b.Labels = []int32{}
		}
	}
	pres := presence(sliceBuf(b.Target), sliceBuf(b.Aux), sliceBuf(b.Labels), sliceBuf(b.Weights), sliceBuf(b.ClassWeights))
	if err := l.checkLengths(n, c, dt, lens{len(b.Target), len(b.Aux), len(b.Labels), len(b.Weights), len(b.ClassWeights)}, pres, nil); err != nil {
		return res, err
	}
	host := Buffers{Rows: n, Cols: c, Pred: sliceBuf(b.Pred), Target: sliceBuf(b.Target), Aux: sliceBuf(b.Aux),
		Labels: sliceBuf(b.Labels), Weights: sliceBuf(b.Weights), ClassWeights: sliceBuf(b.ClassWeights)}
	if o.InPlace { // the gradient is written over Pred: no other input may share its memory
		if err := checkOverlap(l.s.name, host, Outputs{Grad: host.Pred}); err != nil {
			return res, err
		}
	}
	// Validate on the host, before anything is copied to a device.
	if err := l.checkValues(device.CPU0(), n, c, host, o); err != nil {
		return res, err
	}
	s := l.s
	perLen := n
	if s.family == device.Elementwise {
		perLen = n * c
	}
	if o.Reduction == None && s.family != device.Metric {
		res.PerSample = make([]T, perLen)
	}
	if o.Grad {
		if o.InPlace {
			res.Grad = b.Pred
		} else {
			res.Grad = make([]T, len(b.Pred))
		}
		if s.in[1].grad {
			res.GradTarget = make([]T, len(b.Target))
		}
		if s.in[2].grad {
			res.GradAux = make([]T, len(b.Aux))
		}
	}
	if o.Hessian {
		res.Hess = make([]T, len(b.Pred))
	}
	hostOut := Outputs{PerSample: sliceBuf(res.PerSample), Grad: sliceBuf(res.Grad),
		GradTarget: sliceBuf(res.GradTarget), GradAux: sliceBuf(res.GradAux), Hess: sliceBuf(res.Hess)}
	if o.InPlace {
		hostOut.Grad = host.Pred
	}

	dev := o.Device
	if dev == nil {
		dev = device.CPU0()
	}
	var v Value
	if dev.Info().Kind == device.CPU { // host slices are its buffers
		v, err = l.exec(dev, n, c, dt, host, hostOut, o)
	} else {
		v, err = l.execCopy(dev, n, c, dt, host, hostOut, o)
	}
	if err != nil { // no value, and none of the outputs, with an error
		return Result[T]{}, err
	}
	res.Value, res.Weight, res.Sums, res.Device, res.Fallback = v.Value, v.Weight, v.Sums, v.Device, v.Fallback
	return res, nil
}

// execCopy copies host buffers to dev, runs there and copies the outputs back. It frees what
// it allocated on dev; a failed Free fails the evaluation (no value with an error).
func (l Loss) execCopy(dev device.Device, n, c int, dt device.DType, host Buffers, hostOut Outputs, o Options) (val Value, err error) {
	var allocated []device.Buffer
	defer func() {
		for _, b := range allocated {
			if ferr := dev.Free(b); ferr != nil && err == nil {
				val, err = Value{}, ferr
			}
		}
	}()
	up := func(b device.Buffer) (device.Buffer, error) {
		if b == nil {
			return nil, nil
		}
		d, err := dev.Alloc(b.DType(), b.Len())
		if err != nil {
			return nil, err
		}
		allocated = append(allocated, d)
		return d, dev.Write(d, 0, device.HostSlice(b))
	}
	alloc := func(b device.Buffer) (device.Buffer, error) {
		if b == nil {
			return nil, nil
		}
		d, err := dev.Alloc(b.DType(), b.Len())
		if err != nil {
			return nil, err
		}
		allocated = append(allocated, d)
		return d, nil
	}
	var din Buffers
	var dout Outputs
	din.Rows, din.Cols = n, c
	for _, p := range []struct {
		dst *device.Buffer
		src device.Buffer
		up  bool
	}{
		{&din.Pred, host.Pred, true}, {&din.Target, host.Target, true}, {&din.Aux, host.Aux, true},
		{&din.Labels, host.Labels, true}, {&din.Weights, host.Weights, true}, {&din.ClassWeights, host.ClassWeights, true},
		{&dout.PerSample, hostOut.PerSample, false}, {&dout.GradTarget, hostOut.GradTarget, false},
		{&dout.GradAux, hostOut.GradAux, false}, {&dout.Hess, hostOut.Hess, false},
	} {
		if p.up {
			*p.dst, err = up(p.src)
		} else {
			*p.dst, err = alloc(p.src)
		}
		if err != nil {
			return Value{}, err
		}
	}
	if o.InPlace {
		dout.Grad = din.Pred
	} else if dout.Grad, err = alloc(hostOut.Grad); err != nil {
		return Value{}, err
	}
	v, err := l.exec(dev, n, c, dt, din, dout, o)
	if err != nil {
		return Value{}, err
	}
	for _, p := range []struct{ d, h device.Buffer }{
		{dout.PerSample, hostOut.PerSample}, {dout.Grad, hostOut.Grad}, {dout.GradTarget, hostOut.GradTarget},
		{dout.GradAux, hostOut.GradAux}, {dout.Hess, hostOut.Hess},
	} {
		if p.d != nil {
			if err := dev.Read(device.HostSlice(p.h), p.d, 0); err != nil {
				return Value{}, err
			}
		}
	}
	return v, nil
}

// exec builds the Call and runs it on dev, or on the cpu when dev cannot.
func (l Loss) exec(dev device.Device, n, c int, dt device.DType, in Buffers, out Outputs, o Options) (Value, error) {
	s := l.s
	call := l.call(n, c, dt, in, out, o)
	name := dev.Info().Name
	v := Value{Device: name}
	var sums device.Sums
	var err error
	if dev.Supports(s.name, dt) {
		sums, err = dev.Run(call)
	} else {
		v.Fallback = true
		v.Device = fmt.Sprintf("cpu (fallback from %s: no %s kernel for %v)", name, s.name, dt)
		sums, err = runOnHost(dev, call)
	}
	if err != nil {
		return Value{}, fmt.Errorf("loss: %s on %s: %w", s.name, name, err)
	}
	v.Sums = sums
	v.Value, v.Weight = l.value(sums, o, n)
	return v, nil
}

// call builds the device Call of one validated evaluation.
func (l Loss) call(n, c int, dt device.DType, in Buffers, out Outputs, o Options) *device.Call {
	s := l.s
	call := &device.Call{
		Kernel: s.name, Family: s.family, DType: dt, N: n, C: c,
		X: in.Pred, Y: in.Target, Z: in.Aux, Labels: in.Labels, Weight: in.Weights, ClassWeight: in.ClassWeights,
		P: l.p, Ignore: l.ignoreIndex(), Denom: s.denom, Scale: 1,
		PerSample: out.PerSample, GX: out.Grad, GY: out.GradTarget, GZ: out.GradAux, Hess: out.Hess,
	}
	if s.bins != nil {
		call.Bins = s.bins(&l, c)
	}
	switch {
	case o.Reduction == BatchMean:
		call.Scale = 1 / float64(max(n, 1))
	case o.Reduction == Mean && !s.sumOnly:
		call.ScaleByDenom = true
	}
	return call
}

// runOnHost runs a call on the cpu, copying its device buffers to the host and its outputs back.
func runOnHost(dev device.Device, call *device.Call) (device.Sums, error) {
	if dev.Info().Kind == device.CPU {
		return dev.Run(call)
	}
	h := *call
	inPlace := call.GX != nil && call.GX == call.X
	copyIn := func(b device.Buffer) (device.Buffer, error) {
		if b == nil {
			return nil, nil
		}
		hb, err := device.CPU0().Alloc(b.DType(), b.Len())
		if err != nil {
			return nil, err
		}
		return hb, dev.Read(device.HostSlice(hb), b, 0)
	}
	var err error
	for _, p := range []*device.Buffer{&h.X, &h.Y, &h.Z, &h.Labels, &h.Weight, &h.ClassWeight} {
		if *p, err = copyIn(*p); err != nil {
			return nil, err
		}
	}
	outs := []struct{ h, d *device.Buffer }{{&h.PerSample, &call.PerSample}, {&h.GX, &call.GX}, {&h.GY, &call.GY}, {&h.GZ, &call.GZ}, {&h.Hess, &call.Hess}}
	for _, p := range outs {
		if *p.d != nil {
			if *p.h, err = device.CPU0().Alloc((*p.d).DType(), (*p.d).Len()); err != nil {
				return nil, err
			}
		}
	}
	if inPlace {
		h.GX = h.X
	}
	sums, err := device.CPU0().Run(&h)
	if err != nil {
		return nil, err
	}
	for _, p := range outs {
		if *p.d != nil {
			if err := dev.Write(*p.d, 0, device.HostSlice(*p.h)); err != nil {
				return nil, err
			}
		}
	}
	return sums, nil
}

// value reduces the sums to the loss's value under the options' reduction, and the weight.
func (l Loss) value(sums []float64, o Options, n int) (float64, float64) {
	s := l.s
	if s.family == device.Metric {
		return s.metric(&l, sums), 0
	}
	sum, w := sums[0], sums[1]
	switch {
	case o.Reduction == Sum || o.Reduction == None || s.sumOnly:
		return sum, w
	case o.Reduction == BatchMean:
		if n == 0 {
			return emptyMean(o), w
		}
		return sum / float64(n), w
	}
	if w == 0 {
		return emptyMean(o), w
	}
	return sum / w, w
}

func emptyMean(o Options) float64 {
	if o.EmptyMeanZero {
		return 0
	}
	return math.NaN()
}

func (l Loss) ignoreIndex() int64 {
	if l.s.labels && l.s.ignore {
		return l.ignore
	}
	return math.MinInt64
}

// shape resolves N and C from the given rows and columns and Pred's length. Rows×Cols is
// computed with an overflow check, and a metric's bins are bounded (see checkBins).
func (l Loss) shape(rows, cols, predLen int) (n, c int, err error) {
	n, c, err = l.shapeOf(rows, cols, predLen)
	if err != nil {
		return 0, 0, err
	}
	return n, c, l.checkBins(n, c)
}

func (l Loss) shapeOf(rows, cols, predLen int) (n, c int, err error) {
	s := l.s
	if rows < 0 || cols < 0 {
		return 0, 0, fmt.Errorf("%w: %s: negative shape %d×%d", ErrShape, s.name, rows, cols)
	}
	if predLen < 0 { // a Buffer implementation that reports a negative length
		return 0, 0, fmt.Errorf("%w: %s: %s reports %d values", ErrShape, s.name, s.in[0].name, predLen)
	}
	switch {
	case cols > 0:
		if rc, ok := device.MulInt(rows, cols); predLen%cols != 0 || rows != 0 && (!ok || rc != predLen) {
			if !ok {
				return 0, 0, fmt.Errorf("%w: %s: Rows×Cols = %d×%d overflows int; %s has %d values", ErrShape, s.name, rows, cols, s.in[0].name, predLen)
			}
			return 0, 0, fmt.Errorf("%w: %s: %s has %d values, not Rows×Cols = %d×%d", ErrShape, s.name, s.in[0].name, predLen, rows, cols)
		}
		n, c = predLen/cols, cols
	case rows > 0:
		if predLen%rows != 0 {
			return 0, 0, fmt.Errorf("%w: %s: %s has %d values, not a multiple of Rows = %d", ErrShape, s.name, s.in[0].name, predLen, rows)
		}
		n, c = rows, predLen/rows
	default:
		if s.needCols() && predLen > 0 {
			return 0, 0, fmt.Errorf("%w: %s: Cols (the number of %s per row) must be set", ErrShape, s.name, s.colWord())
		}
		n, c = predLen, 1
	}
	if c < s.minCols && n > 0 {
		return 0, 0, fmt.Errorf("%w: %s needs at least %d %s per row, got %d", ErrShape, s.name, s.minCols, s.colWord(), c)
	}
	return n, c, nil
}

// checkBins bounds a metric's sums: macro_f1 has 3·C of them, calibration 3·bins (at most
// 10⁶ by its parameter's domain). More than the batch's N·C elements and more than
// device.MaxBins is ErrShape: that allocation would be bounded by nothing the caller passed
// (Cols 2⁴⁰ of an empty batch would otherwise ask for 3·2⁴⁰ sums).
func (l Loss) checkBins(n, c int) error {
	s := l.s
	if s.bins == nil {
		return nil
	}
	b := s.bins(&l, c)
	if nc, _ := device.MulInt(n, c); b > max(nc, device.MaxBins) {
		return fmt.Errorf("%w: %s: %d bins (classes) would need 3×%d sums; a batch of %d values takes at most %d", ErrShape, s.name, b, b, nc, device.MaxBins)
	}
	return nil
}

// checkOverlap refuses outputs that share memory with an input or another output; Grad may
// be Pred itself (the in-place gradient). Cpu buffers are compared by their memory ranges;
// other devices' buffers as device.Overlap says (by identity where the device cannot tell).
func checkOverlap(name string, in Buffers, out Outputs) error {
	ins := []struct {
		field string
		b     device.Buffer
	}{{"Pred", in.Pred}, {"Target", in.Target}, {"Aux", in.Aux}, {"Labels", in.Labels}, {"Weights", in.Weights}, {"ClassWeights", in.ClassWeights}}
	outs := []struct {
		field string
		b     device.Buffer
	}{{"PerSample", out.PerSample}, {"Grad", out.Grad}, {"GradTarget", out.GradTarget}, {"GradAux", out.GradAux}, {"Hess", out.Hess}}
	for i, o := range outs {
		if o.b == nil {
			continue
		}
		for _, x := range ins {
			if o.field == "Grad" && x.field == "Pred" && device.Same(o.b, x.b) {
				continue
			}
			if device.Overlap(o.b, x.b) {
				return fmt.Errorf("%w: %s: output %s shares memory with input %s", ErrOverlap, name, o.field, x.field)
			}
		}
		for _, o2 := range outs[i+1:] {
			if device.Overlap(o.b, o2.b) {
				return fmt.Errorf("%w: %s: outputs %s and %s share memory", ErrOverlap, name, o.field, o2.field)
			}
		}
	}
	return nil
}

// elementwise reports whether the loss is evaluated per element of N·C (and so takes one
// weight per element): elementwise losses and the unlabelled metrics (f1, auc, binary_iou).
func (s *spec) elementwise() bool {
	return s.family == device.Elementwise || s.family == device.Metric && !s.labels
}

// needCols reports whether the loss needs Cols to know its rows (row losses, labelled metrics).
func (s *spec) needCols() bool { return s.family == device.Rowwise || s.labels || s.minCols > 1 }

func (s *spec) colWord() string {
	if s.labels {
		return "classes"
	}
	return "columns"
}

func (l Loss) checkOptions(o Options) error {
	s := l.s
	switch {
	case o.Reduction > BatchMean:
		return fmt.Errorf("%w: %s: unknown reduction %v", ErrOption, s.name, o.Reduction)
	case o.Reduction == BatchMean && !s.batchMean:
		return fmt.Errorf("%w: %s: BatchMean is for KLDiv only; use Mean or Sum", ErrOption, s.name)
	case s.family == device.Metric && (o.Grad || o.Hessian || o.InPlace):
		return fmt.Errorf("%w: %s is a metric: it has no gradient or Hessian", ErrOption, s.name)
	case s.family == device.Metric && o.Reduction != Mean:
		return fmt.Errorf("%w: %s is a metric: its value is defined by its counts, so it takes no reduction but Mean (the zero value), not %v", ErrOption, s.name, o.Reduction)
	case o.Hessian && !s.hess:
		return fmt.Errorf("%w: %s has no Hessian diagonal (elementwise losses have one)", ErrOption, s.name)
	}
	return nil
}

type lens struct{ target, aux, labels, weights, classWeights int }

func presence(bs ...device.Buffer) [5]bool {
	var p [5]bool
	for i, b := range bs {
		p[i] = b != nil
	}
	return p
}

// checkLengths checks which inputs are present and their lengths against N and C.
func (l Loss) checkLengths(n, c int, dt device.DType, ln lens, pres [5]bool, dts []device.DType) error {
	s := l.s
	if dt != device.F32 && dt != device.F64 {
		return fmt.Errorf("%w: %s: %s must be float32 or float64, not %v", ErrShape, s.name, s.in[0].name, dt)
	}
	names := [5]string{s.in[1].name, s.in[2].name, "", "", s.classWeight}
	takes := [5]bool{s.in[1].name != "", s.in[2].name != "", s.labels, true, s.classWeight != ""}
	fields := [5]string{"Target", "Aux", "Labels", "Weights", "ClassWeights"}
	for i := range pres {
		if pres[i] && !takes[i] {
			hint := ""
			if s.name == "cross_entropy" && i == 0 {
				hint = " (use CrossEntropyProbs for probability targets)"
			}
			return fmt.Errorf("%w: %s does not take %s%s", ErrShape, s.name, fields[i], hint)
		}
		if !pres[i] && takes[i] && i < 3 {
			what := names[i]
			if i == 2 {
				what = "labels"
			}
			return fmt.Errorf("%w: %s needs %s (%s)", ErrShape, s.name, fields[i], what)
		}
	}
	want := func(field, name string, got, w int, alt int) error {
		if got == w || alt > 0 && got == alt {
			return nil
		}
		if alt > 0 {
			return fmt.Errorf("%w: %s: %s (%s) has %d values, want %d (one per row) or %d (one per element)", ErrShape, s.name, field, name, got, alt, w)
		}
		return fmt.Errorf("%w: %s: %s (%s) has %d values, want %d", ErrShape, s.name, field, name, got, w)
	}
	if pres[0] {
		if err := want("Target", names[0], ln.target, n*c, 0); err != nil {
			return err
		}
	}
	if pres[1] {
		if err := want("Aux", names[1], ln.aux, n*c, 0); err != nil {
			return err
		}
	}
	if pres[2] {
		if err := want("Labels", "labels", ln.labels, n, 0); err != nil {
			return err
		}
	}
	if pres[3] {
		if s.elementwise() && c > 1 {
			if err := want("Weights", "sample weights", ln.weights, n*c, n); err != nil {
				return err
			}
		} else if err := want("Weights", "sample weights", ln.weights, perRowOrElem(s, n, c), 0); err != nil {
			return err
		}
	}
	if pres[4] {
		if err := want("ClassWeights", s.classWeight, ln.classWeights, c, 0); err != nil {
			return err
		}
	}
	for i, d := range dts {
		if d != 0 && d != dt && !(i == 2 && d == device.I32) {
			return fmt.Errorf("%w: %s: %s is %v but %s is %v", ErrShape, s.name, fields[i], d, s.in[0].name, dt)
		}
	}
	if len(dts) > 2 && dts[2] != 0 && dts[2] != device.I32 {
		return fmt.Errorf("%w: %s: Labels must be int32, not %v", ErrShape, s.name, dts[2])
	}
	return nil
}

func perRowOrElem(s *spec, n, c int) int {
	if s.elementwise() {
		return n * c
	}
	return n
}

func (l Loss) checkOutputs(n, c int, dt device.DType, out Outputs, o Options) error {
	s := l.s
	perLen := n
	if s.family == device.Elementwise {
		perLen = n * c
	}
	chk := func(b device.Buffer, name string, want int, allowed bool) error {
		if b == nil {
			return nil
		}
		if !allowed {
			return fmt.Errorf("%w: %s has no %s", ErrOption, s.name, name)
		}
		if b.Len() != want || b.DType() != dt {
			return fmt.Errorf("%w: %s: output %s is %d %v, want %d %v", ErrShape, s.name, name, b.Len(), b.DType(), want, dt)
		}
		return nil
	}
	notMetric := s.family != device.Metric
	if err := chk(out.PerSample, "PerSample", perLen, notMetric); err != nil {
		return err
	}
	if err := chk(out.Grad, "Grad", n*c, notMetric); err != nil {
		return err
	}
	if err := chk(out.GradTarget, "GradTarget", n*c, s.in[1].grad); err != nil {
		return err
	}
	if err := chk(out.GradAux, "GradAux", n*c, s.in[2].grad); err != nil {
		return err
	}
	return chk(out.Hess, "Hess", n*c, s.hess)
}

// checkValues runs the value checks (labels in range, weights non-negative and finite,
// targets in their domain, finiteness when asked) on dev, before any loss kernel.
func (l Loss) checkValues(dev device.Device, n, c int, in Buffers, o Options) error {
	s := l.s
	type job struct {
		buf   device.Buffer
		field string
		name  string
		chk   device.Check
		what  string
		err   error
	}
	var jobs []job
	inputs := [3]device.Buffer{in.Pred, in.Target, in.Aux}
	fields := [3]string{"Pred", "Target", "Aux"}
	for i, x := range s.in {
		if x.name == "" || inputs[i] == nil {
			continue
		}
		if o.CheckFinite {
			jobs = append(jobs, job{inputs[i], fields[i], x.name, device.Check{Kind: device.CheckFinite}, "a finite value", ErrNonFinite})
		}
		if x.check != 0 {
			jobs = append(jobs, job{inputs[i], fields[i], x.name, device.Check{Kind: x.check, Lo: x.lo, Hi: x.hi}, x.what, ErrTarget})
		}
	}
	if s.checks != nil {
		for _, ck := range s.checks(&l) {
			jobs = append(jobs, job{inputs[ck.which], fields[ck.which], s.in[ck.which].name, device.Check{Kind: ck.kind, Lo: ck.lo, Hi: ck.hi}, ck.what, ErrTarget})
		}
	}
	if in.Labels != nil {
		hi := c
		if s.labelHi != nil {
			hi = s.labelHi(c)
		}
		// The job's what is formed only for an error (below): formatting it costs more than
		// checking a small batch's labels.
		jobs = append(jobs, job{in.Labels, "Labels", "", device.Check{Kind: device.CheckLabels, Lo: 0, Hi: float64(hi), Ignore: l.ignoreIndex()}, "", ErrLabel})
	}
	nonNeg := device.Check{Kind: device.CheckRange, Lo: 0, Hi: math.MaxFloat64}
	if in.Weights != nil {
		jobs = append(jobs, job{in.Weights, "Weights", "", nonNeg, "a finite non-negative weight", ErrWeight})
	}
	if in.ClassWeights != nil {
		name := s.classWeight
		if name == "class_weights" {
			name = ""
		}
		jobs = append(jobs, job{in.ClassWeights, "ClassWeights", name, nonNeg, "a finite non-negative weight", ErrWeight})
	}
	for _, j := range jobs {
		j.chk.Buf, j.chk.N = j.buf, j.buf.Len()
		if j.chk.N == 0 {
			continue
		}
		bad, err := find(dev, &j.chk)
		if err != nil {
			return fmt.Errorf("loss: %s: checking %s on %s: %w", s.name, j.field, dev.Info().Name, err)
		}
		if bad >= 0 {
			field := j.field
			if j.name != "" {
				field += " (" + j.name + ")"
			}
			what := j.what
			if j.chk.Kind == device.CheckLabels {
				what = fmt.Sprintf("a class in [0, %d)", int(j.chk.Hi))
				if s.ignore {
					what += fmt.Sprintf(" or the ignore index %d", l.ignore)
				}
			}
			return fmt.Errorf("%w: %s: %s[%d] = %s, want %s", j.err, s.name, field, bad, readAt(dev, j.buf, bad), what)
		}
	}
	return nil
}

// find runs a check on dev, or on a host copy when dev has no check kernel.
func find(dev device.Device, c *device.Check) (int, error) {
	if dev.Supports(c.Kind.Name(), c.Buf.DType()) || dev.Info().Kind == device.CPU {
		return dev.Find(c)
	}
	h, err := device.CPU0().Alloc(c.Buf.DType(), c.Buf.Len())
	if err != nil {
		return 0, err
	}
	if err := dev.Read(device.HostSlice(h), c.Buf, 0); err != nil {
		return 0, err
	}
	hc := *c
	hc.Buf = h
	return device.CPU0().Find(&hc)
}

// readAt formats one element of a buffer for an error message.
func readAt(dev device.Device, b device.Buffer, i int) string {
	switch b.DType() {
	case device.F32:
		v := make([]float32, 1)
		if dev.Read(v, b, i) == nil {
			return fmt.Sprint(v[0])
		}
	case device.F64:
		v := make([]float64, 1)
		if dev.Read(v, b, i) == nil {
			return fmt.Sprint(v[0])
		}
	case device.I32:
		v := make([]int32, 1)
		if dev.Read(v, b, i) == nil {
			return fmt.Sprint(v[0])
		}
	}
	return "?"
}

func bufLen(b device.Buffer) int {
	if b == nil {
		return 0
	}
	return b.Len()
}

func dtypeOfBuf(b device.Buffer) device.DType {
	if b == nil {
		return 0
	}
	return b.DType()
}

func bufDTypes(in Buffers) []device.DType {
	return []device.DType{dtypeOfBuf(in.Target), dtypeOfBuf(in.Aux), dtypeOfBuf(in.Labels), dtypeOfBuf(in.Weights), dtypeOfBuf(in.ClassWeights)}
}

func dtypeOf[T Float]() device.DType {
	var z T
	if _, ok := any(z).(float32); ok {
		return device.F32
	}
	return device.F64
}

// sliceBuf wraps a host slice as a cpu buffer; nil stays nil.
func sliceBuf[T float32 | float64 | int32](s []T) device.Buffer {
	if s == nil {
		return nil
	}
	return device.Wrap(s)
}
