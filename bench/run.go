package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

var nan = math.NaN()

// ErrUnknownLoss: a loss name that is not in the catalog.
var ErrUnknownLoss = errors.New("bench: unknown loss")

// Config chooses what a run measures. DefaultConfig and QuickConfig give the two standard
// runs; every field may be changed after.
type Config struct {
	// Losses are kernel stems ("cross_entropy", "huber"); empty means the whole catalog.
	Losses []string
	// Devices are names for device.Open ("cpu", "opencl:0:0", "cuda"); empty means every
	// device that every registered backend lists (absent backends become notes).
	Devices []string
	// Sizes is the ladder (see Resolve for how a rung becomes a loss's N×C).
	Sizes []SizeSpec
	// Modes to run; a mode a loss does not have is left out for it.
	Modes []Mode
	// Paths to run; empty means Resident everywhere plus Copy on devices other than the cpu
	// (on the cpu both paths use the same memory).
	Paths []Path
	// DType is the float type of the inputs: device.F32 (the default) or device.F64.
	DType device.DType
	// Timing of each case, and of the copy ceiling.
	Timing Timing
	// CeilingBytes is the size of each of the two buffers of the copy-bandwidth measurement.
	CeilingBytes int64
	// Quick caps InfoNCE's rows lower (see MaxRows) and is recorded in the report.
	Quick bool
	// Seed seeds the input generator (PCG, with the loss and size mixed in).
	Seed uint64
	// Progress receives one line per case; nil is silent.
	Progress io.Writer
}

// DefaultConfig is the full run: DefaultLadder, every mode, 15 repeats of at least 10 ms
// within a 2 s budget per case, a 256 MiB copy ceiling.
func DefaultConfig() Config {
	return Config{Sizes: DefaultLadder, Modes: AllModes, DType: device.F32, Seed: 1,
		Timing:       Timing{Repeats: 15, MinSample: 10 * time.Millisecond, Budget: 2 * time.Second},
		CeilingBytes: 256 << 20}
}

// QuickConfig is -quick: QuickLadder, every mode, 5 repeats of at least 2 ms within 150 ms
// per case, a 32 MiB copy ceiling. On a 2-core machine it runs the whole catalog on the cpu
// device in well under a minute.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Quick = true
	c.Sizes = QuickLadder
	c.Timing = Timing{Repeats: 5, MinSample: 2 * time.Millisecond, Budget: 150 * time.Millisecond}
	c.CeilingBytes = 32 << 20
	return c
}

type opened struct {
	name  string
	dev   device.Device
	info  device.Info
	paths []Path
}

// OpenDevices opens the devices a run uses: the named ones (an error if one cannot be
// opened), or every device every registered backend lists, with a note for each backend
// or device that is absent and why. The cpu comes first. Close them with CloseDevices.
func OpenDevices(names []string) (devs []device.Device, notes []string, err error) {
	if len(names) == 0 {
		for _, b := range device.Backends() {
			infos, lerr := device.List(b)
			if lerr != nil {
				notes = append(notes, fmt.Sprintf("%s: absent: %v", b, lerr))
				continue
			}
			if len(infos) == 0 {
				notes = append(notes, fmt.Sprintf("%s: absent: it lists no device", b))
			}
			for _, in := range infos {
				d, oerr := device.Open(in.Name)
				if oerr != nil {
					notes = append(notes, fmt.Sprintf("%s: absent: %v", in.Name, oerr))
					continue
				}
				devs = append(devs, d)
			}
		}
	} else {
		for _, n := range names {
			d, oerr := device.Open(n)
			if oerr != nil {
				CloseDevices(devs)
				return nil, nil, fmt.Errorf("bench: device %q: %w", n, oerr)
			}
			devs = append(devs, d)
		}
	}
	slices.SortStableFunc(devs, func(a, b device.Device) int { return int(a.Info().Kind) - int(b.Info().Kind) })
	return devs, notes, nil
}

// CloseDevices closes devices opened by OpenDevices.
func CloseDevices(devs []device.Device) {
	for _, d := range devs {
		d.Close()
	}
}

type plannedLoss struct {
	l     loss.Loss
	sp    loss.Spec
	sizes []Size
	modes []Mode
}

type runner struct {
	ctx   context.Context
	cfg   Config
	devs  []opened
	ceil  map[string]float64
	rep   *Report
	done  int
	total int
	noted map[string]bool
}

// Run benchmarks the configured losses on the configured devices and returns the report.
// Each case is first checked against cpuref (loss.Compute in float64 on the cpu, on the same
// float32-rounded inputs, within the loss's Tol32 or Tol64); a case that fails is reported
// Invalid and not timed. A loss without a cpuref kernel, or without a kernel on a device,
// is skipped with a note. Run returns an error only for a bad configuration (an unknown
// loss, a named device that does not open) or a cancelled context.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	if cfg.DType == 0 {
		cfg.DType = device.F32
	}
	if cfg.DType != device.F32 && cfg.DType != device.F64 {
		return nil, fmt.Errorf("bench: dtype %v (want float32 or float64)", cfg.DType)
	}
	if len(cfg.Sizes) == 0 || len(cfg.Modes) == 0 {
		return nil, fmt.Errorf("bench: no sizes or no modes to run")
	}
	names := cfg.Losses
	if len(names) == 0 {
		names = loss.Names()
	}
	for _, n := range names {
		if _, ok := loss.Lookup(n); !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownLoss, n, strings.Join(loss.Names(), ", "))
		}
	}
	var sizes []string
	for _, s := range cfg.Sizes {
		sizes = append(sizes, s.String())
	}
	rep := &Report{Meta: Meta{Commit: Commit(), Runtime: GoVersion(), CPU: CPUModel(), Threads: runtime.GOMAXPROCS(0),
		Start: start.UTC().Format(time.RFC3339), Quick: cfg.Quick, DType: cfg.DType.String(), Sizes: sizes,
		Seed: cfg.Seed, Repeats: cfg.Timing.Repeats}}

	devs, notes, err := OpenDevices(cfg.Devices)
	if err != nil {
		return nil, err
	}
	defer CloseDevices(devs)
	rep.Notes = append(rep.Notes, notes...)
	r := &runner{ctx: ctx, cfg: cfg, rep: rep, ceil: map[string]float64{}, noted: map[string]bool{}}
	for _, d := range devs {
		o := opened{name: d.Info().Name, dev: d, info: d.Info(), paths: cfg.Paths}
		if len(o.paths) == 0 {
			o.paths = []Path{Resident}
			if o.info.Kind != device.CPU {
				o.paths = append(o.paths, Copy)
			}
		}
		r.devs = append(r.devs, o)
	}

	// The copy ceiling of each device.
	for _, d := range r.devs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		row, err := CopyBandwidth(ctx, d.dev, cfg.CeilingBytes, cfg.Timing)
		if err != nil {
			rep.Notes = append(rep.Notes, err.Error())
			continue
		}
		r.ceil[d.name] = row.GBs
		rep.Results = append(rep.Results, row)
		r.progress("%s: copy bandwidth %.2f GB/s (%s of %d MiB)", d.name, row.GBs, fmtDuration(row.Median), row.N*4>>20)
	}

	// The plan, for the progress count.
	var plan []plannedLoss
	for _, name := range names {
		sp, _ := loss.Lookup(name)
		if !device.CPU0().Supports(name, device.F64) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: skipped: no cpuref kernel yet (the reference every device is checked against)", name))
			continue
		}
		l, err := loss.New(name)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: skipped: %v", name, err))
			continue
		}
		p := plannedLoss{l: l, sp: sp}
		for _, m := range cfg.Modes {
			if Applies(sp, m) {
				p.modes = append(p.modes, m)
			}
		}
		for _, s := range cfg.Sizes {
			z := Resolve(sp, s, cfg.Quick)
			if !slices.Contains(p.sizes, z) {
				p.sizes = append(p.sizes, z)
			}
		}
		if len(p.modes) == 0 {
			continue
		}
		for _, d := range r.devs {
			if d.dev.Supports(name, cfg.DType) {
				r.total += len(p.sizes) * len(p.modes) * len(d.paths)
			}
		}
		plan = append(plan, p)
	}

	for _, p := range plan {
		for _, z := range p.sizes {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if cfg.DType == device.F64 {
				runSize[float64](r, p, z)
			} else {
				runSize[float32](r, p, z)
			}
		}
	}
	fillSpeedups(rep.Results)
	rep.Meta.Elapsed = time.Since(start).Seconds()
	return rep, ctx.Err()
}

func (r *runner) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

func (r *runner) note(key, msg string) {
	if !r.noted[key] {
		r.noted[key] = true
		r.rep.Notes = append(r.rep.Notes, msg)
	}
}

func seedFor(seed uint64, name string, z Size) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%d", name, z.N, z.C)
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func options(m Mode) loss.Options {
	return loss.Options{Grad: m != Fwd, Hessian: m == Hess, InPlace: m == InPlace}
}

// refOptions are options(m) on the cpuref device, out of place (the inputs stay as they are):
// the judge every timed result is checked against.
func refOptions(m Mode) loss.Options {
	o := options(m)
	o.Device, o.InPlace = device.CPURef(), false
	return o
}

// runSize runs every mode of one loss at one size on every device.
func runSize[T loss.Float](r *runner, p plannedLoss, z Size) {
	name := p.sp.Name
	b64 := loss.Generate(p.l, seedFor(r.cfg.Seed, name, z), z.N, z.C, false, false, false)
	n, c := b64.Rows, b64.Cols
	if n == 0 || c == 0 {
		n, c = z.N, max(1, len(b64.Pred)/max(z.N, 1))
	}
	var zero T
	_, is32 := any(zero).(float32)
	if is32 {
		// The reference sees exactly the float32 values the devices see.
		for _, s := range [][]float64{b64.Pred, b64.Target, b64.Aux, b64.Weights, b64.ClassWeights} {
			for i, v := range s {
				s[i] = float64(float32(v))
			}
		}
	}
	bT := convertBatch[T](b64)
	refs := map[Mode]loss.Result[float64]{}
	for _, m := range p.modes {
		ref, err := loss.Compute(p.l, b64, refOptions(m))
		if err != nil {
			r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("%s %s n=%d c=%d: skipped: cpuref failed: %v", name, m, n, c, err))
			continue
		}
		refs[m] = ref
	}
	tol, es := p.sp.Tol64, 8
	if is32 {
		tol, es = p.sp.Tol32, 4
	}
	for _, d := range r.devs {
		if !d.dev.Supports(name, r.cfg.DType) {
			r.note(name+"@"+d.name, fmt.Sprintf("%s on %s: skipped: the device has no %s kernel for %v (loss would run it on the cpu)", name, d.name, name, r.cfg.DType))
			continue
		}
		bufs, free, err := upload(d.dev, bT, n, c)
		if err != nil {
			r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("%s on %s n=%d c=%d: skipped: uploading inputs: %v", name, d.name, n, c, err))
			free()
			r.done += len(p.modes) * len(d.paths)
			continue
		}
		for _, m := range p.modes {
			ref, ok := refs[m]
			for _, path := range d.paths {
				if r.ctx.Err() != nil {
					free()
					return
				}
				row := Result{Loss: name, Device: d.name, Mode: m, Path: path, N: n, C: c,
					Bytes: Bytes(p.sp, m, n, c, es, false, false), Median: nan, P20: nan, P80: nan, GBs: nan,
					PctCeiling: nan, Speedup: nan, MaxErr: nan, DeviceName: d.info.Description,
					Runtime: GoVersion(), Commit: Commit(), Time: now()}
				r.done++
				if !ok {
					continue
				}
				var samples []float64
				switch path {
				case Resident:
					samples = runResident(r.ctx, &row, d.dev, p, bufs, bT, ref, tol, r.cfg.Timing)
				case Copy:
					samples = runCopy(r.ctx, &row, d.dev, p, bT, ref, tol, r.cfg.Timing)
				}
				if row.Status == OK {
					st := Summarize(samples)
					row.Median, row.P20, row.P80 = st.Median, st.P20, st.P80
					row.GBs = float64(row.Bytes) / st.Median / 1e9
					if cb, ok := r.ceil[d.name]; ok && cb > 0 {
						row.PctCeiling = 100 * row.GBs / cb
					}
				}
				r.rep.Results = append(r.rep.Results, row)
				status := string(row.Status)
				if row.Note != "" {
					status += ": " + row.Note
				}
				r.progress("[%d/%d] %s %s %s %s n=%d c=%d: %s %.3g GB/s %s", r.done, r.total, d.name, name, m, path, n, c,
					fmtDuration(row.Median), row.GBs, status)
			}
		}
		free()
	}
}

// runResident validates and times loss.Run on device buffers.
func runResident[T loss.Float](ctx context.Context, row *Result, dev device.Device, p plannedLoss, in loss.Buffers, b loss.Batch[T], ref loss.Result[float64], tol loss.Tol, t Timing) []float64 {
	call, free := residentCase(row, dev, p, in, b, ref, tol)
	defer free()
	if call == nil {
		return nil
	}
	samples, err := Measure(ctx, call, t)
	if err != nil {
		row.Status, row.Note = Failed, err.Error()
		return nil
	}
	row.Status = OK
	return samples
}

// residentCase allocates the outputs of row.Mode on dev, runs loss.Run once and checks the
// value and outputs against ref. It returns the call to time, or nil with row.Status and
// row.Note saying what went wrong; free releases the outputs.
func residentCase[T loss.Float](row *Result, dev device.Device, p plannedLoss, in loss.Buffers, b loss.Batch[T], ref loss.Result[float64], tol loss.Tol) (call func() error, free func()) {
	dt := dtypeOf[T]()
	out, host, free, err := allocOutputs[T](dev, p.sp, row.Mode, len(b.Pred), dt)
	if err != nil {
		row.Status, row.Note = Failed, "allocating outputs: "+err.Error()
		return nil, free
	}
	if row.Mode == InPlace {
		// The gradient overwrites a copy of the prediction, so that the other modes keep theirs.
		pred, err := dev.Alloc(dt, len(b.Pred))
		if err == nil {
			freeOut := free
			free = func() { freeOut(); dev.Free(pred) }
			err = dev.Copy(pred, in.Pred)
		}
		if err != nil {
			row.Status, row.Note = Failed, "copying the prediction: "+err.Error()
			return nil, free
		}
		in.Pred, out.Grad, host[0] = pred, pred, make([]T, len(b.Pred))
	}
	v, err := loss.Run(dev, p.l, in, out, loss.Options{})
	if err != nil {
		row.Status, row.Note = Failed, err.Error()
		return nil, free
	}
	chk := Check{Tol: tol}
	chk.Value("value", v.Value, ref.Value)
	for _, o := range []struct {
		name string
		buf  device.Buffer
		h    []T
		ref  []float64
	}{{"grad", out.Grad, host[0], ref.Grad}, {"grad_target", out.GradTarget, host[1], ref.GradTarget},
		{"grad_aux", out.GradAux, host[2], ref.GradAux}, {"hess", out.Hess, host[3], ref.Hess}} {
		if o.buf == nil {
			continue
		}
		if err := dev.Read(o.h, o.buf, 0); err != nil {
			row.Status, row.Note = Failed, "reading "+o.name+": "+err.Error()
			return nil, free
		}
		Slice(&chk, o.name, o.h, o.ref)
	}
	row.MaxErr = chk.MaxErr
	if v.Fallback {
		row.Note = "ran on the cpu: " + v.Device
	}
	if err := chk.Err(); err != nil {
		row.Status, row.Note = Invalid, err.Error()
		return nil, free
	}
	row.Status = OK
	return func() error {
		_, err := loss.Run(dev, p.l, in, out, loss.Options{})
		return err
	}, free
}

// ErrInvalid: a device's result differs from cpuref beyond the loss's tolerance.
var ErrInvalid = errors.New("bench: result differs from cpuref")

// Prepared is one resident case ready to time: its inputs and outputs on the device,
// validated against cpuref.
type Prepared struct {
	// Call runs the case once (loss.Run on the device buffers).
	Call func() error
	// Bytes is the case's byte model (Bytes).
	Bytes int64
	// Size is the case's N×C (a loss may adjust the requested size).
	Size Size
	// MaxErr is the largest difference from cpuref found by the validation.
	MaxErr float64
	free   []func()
}

// Free releases the case's device buffers.
func (c *Prepared) Free() {
	for _, f := range c.free {
		f()
	}
	c.free = nil
}

// Prepare generates a case's inputs (seeded), uploads them to dev, and validates one run
// of the mode against cpuref, for `go test -bench` and other harnesses. An error wraps
// ErrInvalid when the result is wrong, device.ErrUnsupported when dev has no kernel for it.
func Prepare(dev device.Device, l loss.Loss, m Mode, z Size, dt device.DType, seed uint64) (*Prepared, error) {
	if dt == device.F64 {
		return prepare[float64](dev, l, m, z, seed)
	}
	return prepare[float32](dev, l, m, z, seed)
}

func prepare[T loss.Float](dev device.Device, l loss.Loss, m Mode, z Size, seed uint64) (*Prepared, error) {
	sp, _ := loss.Lookup(l.Name())
	dt := dtypeOf[T]()
	if !Applies(sp, m) {
		return nil, fmt.Errorf("bench: %s has no mode %s", sp.Name, m)
	}
	if !dev.Supports(sp.Name, dt) {
		return nil, fmt.Errorf("%w: %s has no %s kernel for %v", device.ErrUnsupported, dev.Info().Name, sp.Name, dt)
	}
	p := plannedLoss{l: l, sp: sp, modes: []Mode{m}}
	b64 := loss.Generate(l, seedFor(seed, sp.Name, z), z.N, z.C, false, false, false)
	if dt == device.F32 {
		for _, s := range [][]float64{b64.Pred, b64.Target, b64.Aux, b64.Weights, b64.ClassWeights} {
			for i, v := range s {
				s[i] = float64(float32(v))
			}
		}
	}
	ref, err := loss.Compute(l, b64, refOptions(m))
	if err != nil {
		return nil, fmt.Errorf("bench: %s: cpuref: %w", sp.Name, err)
	}
	bT := convertBatch[T](b64)
	n, c := b64.Rows, b64.Cols
	in, freeIn, err := upload(dev, bT, n, c)
	pc := &Prepared{Size: Size{n, c}, free: []func(){freeIn}}
	if err != nil {
		pc.Free()
		return nil, err
	}
	tol, es := sp.Tol64, 8
	if dt == device.F32 {
		tol, es = sp.Tol32, 4
	}
	row := Result{Loss: sp.Name, Mode: m}
	call, freeOut := residentCase(&row, dev, p, in, bT, ref, tol)
	pc.free = append([]func(){freeOut}, pc.free...)
	if call == nil {
		pc.Free()
		if row.Status == Invalid {
			return nil, fmt.Errorf("%w: %s %s on %s: %s", ErrInvalid, sp.Name, m, dev.Info().Name, row.Note)
		}
		return nil, fmt.Errorf("bench: %s %s on %s: %s", sp.Name, m, dev.Info().Name, row.Note)
	}
	pc.Call, pc.Bytes, pc.MaxErr = call, Bytes(sp, m, n, c, es, false, false), row.MaxErr
	return pc, nil
}

// runCopy validates and times loss.Compute with the device: host slices in and out.
func runCopy[T loss.Float](ctx context.Context, row *Result, dev device.Device, p plannedLoss, b loss.Batch[T], ref loss.Result[float64], tol loss.Tol, t Timing) []float64 {
	o := options(row.Mode)
	o.Device = dev
	if o.InPlace { // the gradient lands in a copy of the prediction, not in the shared batch
		b.Pred = slices.Clone(b.Pred)
	}
	res, err := loss.Compute(p.l, b, o)
	if err != nil {
		row.Status, row.Note = Failed, err.Error()
		return nil
	}
	chk := Check{Tol: tol}
	chk.Value("value", res.Value, ref.Value)
	Slice(&chk, "grad", res.Grad, ref.Grad)
	Slice(&chk, "grad_target", res.GradTarget, ref.GradTarget)
	Slice(&chk, "grad_aux", res.GradAux, ref.GradAux)
	Slice(&chk, "hess", res.Hess, ref.Hess)
	row.MaxErr = chk.MaxErr
	if res.Fallback {
		row.Note = "ran on the cpu: " + res.Device
	}
	if err := chk.Err(); err != nil {
		row.Status, row.Note = Invalid, err.Error()
		return nil
	}
	samples, err := Measure(ctx, func() error {
		_, err := loss.Compute(p.l, b, o)
		return err
	}, t)
	if err != nil {
		row.Status, row.Note = Failed, err.Error()
		return nil
	}
	row.Status = OK
	return samples
}

func dtypeOf[T loss.Float]() device.DType {
	var z T
	if _, ok := any(z).(float32); ok {
		return device.F32
	}
	return device.F64
}

func convertBatch[T loss.Float](b loss.Batch[float64]) loss.Batch[T] {
	conv := func(s []float64) []T {
		if s == nil {
			return nil
		}
		out := make([]T, len(s))
		for i, v := range s {
			out[i] = T(v)
		}
		return out
	}
	return loss.Batch[T]{Rows: b.Rows, Cols: b.Cols, Pred: conv(b.Pred), Target: conv(b.Target), Aux: conv(b.Aux),
		Labels: b.Labels, Weights: conv(b.Weights), ClassWeights: conv(b.ClassWeights)}
}

// upload copies a batch into new buffers on dev. free releases them (also after an error).
func upload[T loss.Float](dev device.Device, b loss.Batch[T], n, c int) (loss.Buffers, func(), error) {
	var bufs []device.Buffer
	free := func() {
		for _, x := range bufs {
			dev.Free(x)
		}
		bufs = nil
	}
	out := loss.Buffers{Rows: n, Cols: c}
	dt := dtypeOf[T]()
	put := func(dst *device.Buffer, src any, dt device.DType, ln int) error {
		if ln == 0 && src == nil {
			return nil
		}
		x, err := dev.Alloc(dt, ln)
		if err != nil {
			return err
		}
		bufs = append(bufs, x)
		*dst = x
		return dev.Write(x, 0, src)
	}
	for _, f := range []struct {
		dst *device.Buffer
		src []T
	}{{&out.Pred, b.Pred}, {&out.Target, b.Target}, {&out.Aux, b.Aux}, {&out.Weights, b.Weights}, {&out.ClassWeights, b.ClassWeights}} {
		if f.src == nil {
			continue
		}
		if err := put(f.dst, f.src, dt, len(f.src)); err != nil {
			return out, free, err
		}
	}
	if b.Labels != nil {
		if err := put(&out.Labels, b.Labels, device.I32, len(b.Labels)); err != nil {
			return out, free, err
		}
	}
	return out, free, nil
}

// allocOutputs allocates the outputs a mode writes (gradients of the differentiable inputs,
// the Hessian diagonal) and host slices to read them back into: host[0..3] are Grad,
// GradTarget, GradAux and Hess.
func allocOutputs[T loss.Float](dev device.Device, sp loss.Spec, m Mode, nc int, dt device.DType) (loss.Outputs, [4][]T, func(), error) {
	var out loss.Outputs
	var host [4][]T
	var bufs []device.Buffer
	free := func() {
		for _, x := range bufs {
			dev.Free(x)
		}
	}
	if m == Fwd {
		return out, host, free, nil
	}
	want := [4]bool{sp.Grads[0], sp.Grads[1] && sp.Inputs[1] != "", sp.Grads[2] && sp.Inputs[2] != "", m == Hess}
	dst := [4]*device.Buffer{&out.Grad, &out.GradTarget, &out.GradAux, &out.Hess}
	for i, w := range want {
		if !w {
			continue
		}
		x, err := dev.Alloc(dt, nc)
		if err != nil {
			return out, host, free, err
		}
		bufs = append(bufs, x)
		*dst[i] = x
		host[i] = make([]T, nc)
	}
	return out, host, free, nil
}

// fillSpeedups sets each timed row's Speedup to the cpu device's resident median of the same
// loss, mode and size divided by the row's median.
func fillSpeedups(results []Result) {
	cpu := map[key]float64{}
	for i := range results {
		r := &results[i]
		if r.Device == "cpu" && r.Path == Resident && r.Status == OK && r.Loss != CopyLoss {
			cpu[r.key()] = r.Median
		}
	}
	for i := range results {
		r := &results[i]
		if r.Loss == CopyLoss || r.Status != OK {
			continue
		}
		if m, ok := cpu[r.key()]; ok && r.Median > 0 {
			r.Speedup = m / r.Median
		}
	}
}
