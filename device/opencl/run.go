package opencl

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/plan"
	"github.com/gloss-ml/gloss/internal/cl"
)

// Supports reports whether Run (or Find) can execute the kernel for the dtype: a loss or
// metric of the catalog with device kernels (float64 needs fp64), "check_values" for float
// buffers and "check_labels" for int32 labels.
func (d *Device) Supports(kernel string, dt device.DType) bool {
	if err := d.enter(); err != nil {
		return false
	}
	defer d.leave()
	return plan.Supports(d.caps(), kernel, dt)
}

func (d *Device) caps() plan.Caps {
	return plan.Caps{Name: d.info.Name, F64: d.progs[1] != nil, Acc32: !d.acc64, ScaleOnDevice: d.strided}
}

// Run executes one call (device/plan runs it through call) and returns its sums.
func (d *Device) Run(c *device.Call) (_ device.Sums, err error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	b := &call{d: d}
	defer b.release(&err)
	s, err := plan.Run(b, c)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Find runs a validity check and returns the first failing index, or -1.
func (d *Device) Find(ck *device.Check) (_ int, err error) {
	if err := d.enter(); err != nil {
		return 0, err
	}
	defer d.leave()
	b := &call{d: d}
	defer b.release(&err)
	return plan.Find(b, ck)
}

// prog returns the program of a float dtype, or nil.
func (d *Device) prog(dt device.DType) *program {
	switch dt {
	case device.F32:
		return d.progs[0]
	case device.F64:
		return d.progs[1]
	}
	return nil
}

// call is one Run or Find: plan.Backend on this device, with the call's scratch buffers.
type call struct {
	d       *Device
	scratch [plan.NumRegions]*cl.Mem
	size    [plan.NumRegions]int64
}

func (b *call) Caps() plan.Caps { return b.d.caps() }

// release releases the call's scratch, reporting a failure in *err unless that holds one.
func (b *call) release(err *error) {
	for i, m := range b.scratch {
		if m != nil {
			b.d.releaseScratch(err, m)
			b.scratch[i] = nil
		}
	}
}

// minWork is the least number of elements of work one work-item takes, so that small calls
// run in one work-group and large ones in at most maxGroups.
const minWork = 4096

// geometry returns the launch of n items taken step at a time, each item costing cost
// elements of work: the number of work-groups and the items per work-item (contiguous
// layout; a multiple of step). It depends only on n, step, cost and the device.
func (d *Device) geometry(n, step, cost int64) (groups, per int64) {
	if n <= 0 {
		return 1, 0
	}
	wg, maxGroups := int64(d.wg), int64(d.maxGroups)
	up := func(v int64) int64 { return (v + step - 1) / step * step }
	if d.strided {
		vecs := (n + step - 1) / step
		return max(1, min(maxGroups, (vecs+wg-1)/wg)), up(n)
	}
	minPer := up(max(1, minWork/max(cost, 1)))
	per = max(up((n+maxGroups*wg-1)/(maxGroups*wg)), minPer)
	wis := (n + per - 1) / per
	return (wis + wg - 1) / wg, per
}

// Layout lays a launch out: work-groups of d.wg work-items, each work-item a contiguous run of
// geo items (or, strided, every global-size-th item). A histogram kernel's worker is a
// work-group (its first work-item adds the group's geo rows into the group's histogram).
func (b *call) Layout(l *plan.Launch) error {
	d := b.d
	l.Local = d.wg
	var groups, per int64
	switch l.Shape {
	case plan.Vectors:
		groups, per = d.geometry(l.N, 8, 1)
	case plan.Items, plan.Pairs:
		groups, per = d.geometry(l.N, 1, l.Cost)
	case plan.Rows:
		groups, per = d.geometry(l.N, 1, l.C)
		if l.MaxWorkers > 0 {
			groups = max(1, min(groups, l.MaxWorkers))
			per = (l.N + groups - 1) / groups
		}
	case plan.Single:
		groups, per = 1, 0
	default:
		return fmt.Errorf("%w: %s: %s: launch shape %d", device.ErrUnsupported, d.info.Name, l.Kernel, l.Shape)
	}
	if groups > 1<<31/int64(d.wg) {
		return fmt.Errorf("%w: %s: %s: %d work-groups", device.ErrUnsupported, d.info.Name, l.Kernel, groups)
	}
	l.Groups, l.Workers, l.Geo, l.Flags = int(groups), groups, per, 0
	return nil
}

// Scratch makes region r at least bytes long.
func (b *call) Scratch(r plan.Region, bytes int64) error {
	if b.scratch[r] != nil && b.size[r] >= bytes {
		return nil
	}
	if b.scratch[r] != nil {
		var err error
		b.d.releaseScratch(&err, b.scratch[r])
		b.scratch[r] = nil
		if err != nil {
			return err
		}
	}
	if bytes > b.d.maxAlloc {
		return fmt.Errorf("%w: %s: scratch of %d bytes (the device allocates at most %d)", device.ErrOutOfMemory, b.d.info.Name, bytes, b.d.maxAlloc)
	}
	m, err := b.d.ctx.CreateBuffer(cl.MemReadWrite, int(max(bytes, 8)))
	if err != nil {
		if isOOM(err) {
			return fmt.Errorf("%w: %s: scratch of %d bytes: %w", device.ErrOutOfMemory, b.d.info.Name, bytes, err)
		}
		return b.d.driverErr("allocating scratch", err)
	}
	b.scratch[r], b.size[r] = m, max(bytes, 8)
	return nil
}

// Launch sets a kernel's arguments in order and runs it.
func (b *call) Launch(l *plan.Launch, args []plan.Arg) error {
	d := b.d
	p := d.prog(l.DType)
	if !p.has(l.Kernel) {
		return fmt.Errorf("%w: %s has no %v kernel %s", device.ErrUnsupported, d.info.Name, l.DType, l.Kernel)
	}
	k, err := p.get(l.Kernel)
	if err != nil {
		return d.driverErr("creating kernel "+l.Kernel, err)
	}
	defer p.put(k)
	f64 := l.DType == device.F64
	for i, a := range args {
		switch a.Kind {
		case plan.ArgBuf:
			var m *cl.Mem
			if a.Buf != nil {
				bb, ok := a.Buf.(*buffer)
				if !ok || bb.dev != d || bb.freed.Load() { // the message formed only on failure
					_, oerr := d.own(a.Buf, fmt.Sprintf("argument %d of %s", i, l.Kernel))
					return oerr
				}
				m = bb.mem
			}
			err = k.SetArgBuffer(i, m)
		case plan.ArgScratch:
			err = k.SetArgBuffer(i, b.scratch[a.Region])
		case plan.ArgInt:
			err = k.SetArgInt64(i, a.I)
		case plan.ArgReal:
			if f64 {
				err = k.SetArgFloat64(i, a.F)
			} else {
				err = k.SetArgFloat32(i, float32(a.F))
			}
		case plan.ArgParams:
			if f64 || d.acc64 {
				err = k.SetArgFloat64x8(i, *a.P)
			} else {
				var q [8]float32
				for j, v := range a.P {
					q[j] = float32(v)
				}
				err = k.SetArgFloat32x8(i, q)
			}
		}
		if err != nil {
			return d.driverErr(fmt.Sprintf("setting argument %d of %s", i, l.Kernel), err)
		}
	}
	if err := d.q.Run(k, l.Groups*l.Local, l.Local); err != nil {
		return d.driverErr("launching "+l.Kernel, err)
	}
	return nil
}

// ReadAcc reads n accumulators of region r: doubles, or compensated-float floats.
func (b *call) ReadAcc(r plan.Region, n int, dt device.DType) ([]float64, error) {
	out := make([]float64, n)
	if n == 0 {
		return out, nil
	}
	if dt == device.F64 || b.d.acc64 {
		if err := cl.Read(b.d.q, b.scratch[r], 0, out); err != nil {
			return nil, b.d.driverErr("reading sums", err)
		}
		return out, nil
	}
	f := make([]float32, n)
	if err := cl.Read(b.d.q, b.scratch[r], 0, f); err != nil {
		return nil, b.d.driverErr("reading sums", err)
	}
	for i, v := range f {
		out[i] = float64(v)
	}
	return out, nil
}

// ReadI64 reads n int64 values of region r.
func (b *call) ReadI64(r plan.Region, n int) ([]int64, error) {
	out := make([]int64, n)
	if n > 0 {
		if err := cl.Read(b.d.q, b.scratch[r], 0, out); err != nil {
			return nil, b.d.driverErr("reading the check", err)
		}
	}
	return out, nil
}
