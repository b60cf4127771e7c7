package opencl

import (
	"fmt"
	"math"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cl"
)

// Supports reports whether Run (or Find) can execute the kernel for the dtype: a loss or
// metric stem with a <stem>_fwd kernel in the program of that element type (float64 needs
// fp64), "check_values" for float buffers and "check_labels" for int32 labels.
func (d *Device) Supports(kernel string, dt device.DType) bool {
	if err := d.enter(); err != nil {
		return false
	}
	defer d.leave()
	switch kernel {
	case "check_labels":
		return dt == device.I32 && d.progs[0].has("check_labels")
	case "check_values":
		p := d.prog(dt)
		return p.has("check_values")
	}
	if _, ok := cpuref.Lookup(kernel); !ok {
		return false
	}
	return d.prog(dt).has(kernel + "_fwd")
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

// argList sets a kernel's arguments in order and keeps the first error.
type argList struct {
	k   *cl.Kernel
	f64 bool
	i   int
	err error
}

func (a *argList) next(err error) {
	if a.err == nil && err != nil {
		a.err = err
	}
	a.i++
}

func (a *argList) u64(v int)   { a.next(a.k.SetArgUint64(a.i, uint64(v))) }
func (a *argList) i32(v int)   { a.next(a.k.SetArgInt32(a.i, int32(v))) }
func (a *argList) i64(v int64) { a.next(a.k.SetArgInt64(a.i, v)) }
func (a *argList) flag(v bool) {
	if v {
		a.i32(1)
	} else {
		a.i32(0)
	}
}

// buf passes a buffer's memory object, NULL for nil or an empty buffer.
func (a *argList) buf(b *buffer) {
	var m *cl.Mem
	if b != nil {
		m = b.mem
	}
	a.next(a.k.SetArgBuffer(a.i, m))
}

func (a *argList) mem(m *cl.Mem) { a.next(a.k.SetArgBuffer(a.i, m)) }

// real passes v in the program's element type.
func (a *argList) real(v float64) {
	if a.f64 {
		a.next(a.k.SetArgFloat64(a.i, v))
	} else {
		a.next(a.k.SetArgFloat32(a.i, float32(v)))
	}
}

// real8 passes the parameters as a float8 or double8.
func (a *argList) real8(p [8]float64) {
	if a.f64 {
		a.next(a.k.SetArgFloat64x8(a.i, p))
		return
	}
	var q [8]float32
	for i, v := range p {
		q[i] = float32(v)
	}
	a.next(a.k.SetArgFloat32x8(a.i, q))
}

// launch runs one kernel of p over groups work-groups of local items, with the arguments set.
func (d *Device) launch(p *program, name string, groups, local int, set func(a *argList)) error {
	k, err := p.get(name)
	if err != nil {
		return d.driverErr("creating kernel "+name, err)
	}
	defer p.put(k)
	a := &argList{k: k, f64: p == d.progs[1]}
	set(a)
	if a.err != nil {
		return d.driverErr("setting the arguments of "+name, a.err)
	}
	if err := d.q.Run(k, groups*local, local); err != nil {
		return d.driverErr("launching "+name, err)
	}
	return nil
}

// minWork is the least number of elements of work one work-item takes, so that small calls
// run in one work-group and large ones in at most maxGroups.
const minWork = 4096

// geometry returns the launch of n items taken step at a time, each item costing cost
// elements of work: the number of work-groups and the items per work-item (contiguous
// layout; a multiple of step). It depends only on n, step, cost and the device.
func (d *Device) geometry(n, step, cost int) (groups, per int) {
	if n <= 0 {
		return 0, 0
	}
	up := func(v int) int { return (v + step - 1) / step * step }
	if d.strided {
		vecs := (n + step - 1) / step
		return min(d.maxGroups, (vecs+d.wg-1)/d.wg), up(n)
	}
	minPer := up(max(1, minWork/max(cost, 1)))
	per = max(up((n+d.maxGroups*d.wg-1)/(d.maxGroups*d.wg)), minPer)
	wis := (n + per - 1) / per
	return (wis + d.wg - 1) / d.wg, per
}

// scratch allocates a device buffer of n bytes for partials or intermediate rows.
func (d *Device) scratch(nbytes int) (*cl.Mem, error) {
	m, err := d.ctx.CreateBuffer(cl.MemReadWrite, max(nbytes, 8))
	if err != nil {
		if isOOM(err) {
			return nil, fmt.Errorf("%w: %s: scratch of %d bytes: %w", device.ErrOutOfMemory, d.info.Name, nbytes, err)
		}
		return nil, d.driverErr("allocating scratch", err)
	}
	return m, nil
}

// accBytes is the size of one accumulator of program p.
func (d *Device) accBytes(p *program) int {
	if p == d.progs[1] || d.acc64 {
		return 8
	}
	return 4
}

// readSums reads the partials [groups][nsums][2] and adds them in group order.
func (d *Device) readSums(p *program, part *cl.Mem, groups, nsums int) ([]float64, error) {
	tot := make([]float64, nsums)
	n := groups * nsums * 2
	add := func(k int, s, c float64) {
		if math.IsInf(s, 0) || math.IsNaN(s) {
			tot[k] += s
		} else {
			tot[k] += s + c
		}
	}
	if d.accBytes(p) == 8 {
		buf := make([]float64, n)
		if err := cl.Read(d.q, part, 0, buf); err != nil {
			return nil, d.driverErr("reading sums", err)
		}
		for g := range groups {
			for k := range nsums {
				add(k, buf[(g*nsums+k)*2], buf[(g*nsums+k)*2+1])
			}
		}
		return tot, nil
	}
	buf := make([]float32, n)
	if err := cl.Read(d.q, part, 0, buf); err != nil {
		return nil, d.driverErr("reading sums", err)
	}
	for g := range groups {
		for k := range nsums {
			add(k, float64(buf[(g*nsums+k)*2]), float64(buf[(g*nsums+k)*2+1]))
		}
	}
	return tot, nil
}

// callBufs are a call's buffers, checked to be live buffers of this device.
type callBufs struct {
	x, y, z, lb, w, cw, ps, gx, gy, gz, h *buffer
}

// needs lists the inputs row and metric kernels read besides X: a missing one would be a
// NULL dereference, so Run refuses the call instead.
var needs = map[string]string{
	"cross_entropy": "L", "cross_entropy_probs": "Y", "nll": "L", "multi_margin": "L", "corn": "L",
	"triplet": "YZ", "info_nce": "Y",
	"dice": "Y", "iou": "Y", "tversky": "Y", "focal_tversky": "Y", "bce_dice": "Y",
	"accuracy": "L", "f1": "Y", "binary_iou": "Y", "macro_f1": "L", "calibration": "L",
}

// check validates a call's buffers: device, dtype and length (the kernels trust them).
func (d *Device) check(c *device.Call) (*callBufs, error) {
	var b callBufs
	var err error
	get := func(dst **buffer, bb device.Buffer, what string) {
		if err == nil {
			*dst, err = d.own(bb, what)
		}
	}
	get(&b.x, c.X, "X")
	get(&b.y, c.Y, "Y")
	get(&b.z, c.Z, "Z")
	get(&b.lb, c.Labels, "Labels")
	get(&b.w, c.Weight, "Weight")
	get(&b.cw, c.ClassWeight, "ClassWeight")
	get(&b.ps, c.PerSample, "PerSample")
	get(&b.gx, c.GX, "GX")
	get(&b.gy, c.GY, "GY")
	get(&b.gz, c.GZ, "GZ")
	get(&b.h, c.Hess, "Hess")
	if err != nil {
		return nil, err
	}
	if c.N < 0 || c.C < 0 {
		return nil, fmt.Errorf("%w: %s: %s with shape %d×%d", device.ErrBuffer, d.info.Name, c.Kernel, c.N, c.C)
	}
	nc := c.N * c.C
	bad := func(what string, b *buffer, want string) error {
		return fmt.Errorf("%w: %s: %s: %s is %d %v, want %s", device.ErrBuffer, d.info.Name, c.Kernel, what, b.n, b.dt, want)
	}
	float := func(what string, b *buffer, lens ...int) error {
		if b == nil {
			return nil
		}
		if b.dt != c.DType {
			return bad(what, b, fmt.Sprintf("%v", c.DType))
		}
		for _, l := range lens {
			if b.n == l {
				return nil
			}
		}
		return bad(what, b, fmt.Sprintf("%v elements", lens))
	}
	if b.x == nil {
		return nil, fmt.Errorf("%w: %s: %s without X", device.ErrBuffer, d.info.Name, c.Kernel)
	}
	per := c.N
	if c.Family == device.Elementwise {
		per = nc
	}
	wlens := []int{c.N} // row losses and row metrics: one weight per row
	if c.Family == device.Elementwise || c.Kernel == "f1" || c.Kernel == "binary_iou" {
		wlens = []int{nc, c.N}
	}
	for _, e := range []error{
		float("X", b.x, nc), float("Y", b.y, nc), float("Z", b.z, nc),
		float("Weight", b.w, wlens...), float("ClassWeight", b.cw, c.C),
		float("PerSample", b.ps, per), float("GX", b.gx, nc), float("GY", b.gy, nc), float("GZ", b.gz, nc),
		float("Hess", b.h, nc),
	} {
		if e != nil {
			return nil, e
		}
	}
	if b.lb != nil && (b.lb.dt != device.I32 || b.lb.n != c.N) {
		return nil, bad("Labels", b.lb, fmt.Sprintf("%d int32", c.N))
	}
	for _, r := range needs[c.Kernel] {
		if r == 'L' && b.lb == nil || r == 'Y' && b.y == nil || r == 'Z' && b.z == nil {
			return nil, fmt.Errorf("%w: %s: %s needs input %c", device.ErrBuffer, d.info.Name, c.Kernel, r)
		}
	}
	if b.h != nil && c.Family != device.Elementwise {
		return nil, fmt.Errorf("%w: %s: %s has no Hessian", device.ErrUnsupported, d.info.Name, c.Kernel)
	}
	if c.Family == device.Metric && (c.WantGrad() || b.ps != nil) {
		return nil, fmt.Errorf("%w: %s: %s is a metric: no per-sample values or gradients", device.ErrUnsupported, d.info.Name, c.Kernel)
	}
	return &b, nil
}

// Run executes one call: the loss's _fwd, _fwd_bwd or _hess kernel (after the Σd pre-pass
// when the call scales by it), or the metric's kernel, and returns the sums.
func (d *Device) Run(c *device.Call) (device.Sums, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	if c == nil {
		return nil, fmt.Errorf("%w: %s: nil call", device.ErrBuffer, d.info.Name)
	}
	k, ok := cpuref.Lookup(c.Kernel)
	if !ok {
		return nil, fmt.Errorf("%w: %s has no kernel %q", device.ErrUnsupported, d.info.Name, c.Kernel)
	}
	if k.Family != c.Family {
		return nil, fmt.Errorf("%w: %s: %s is not of family %v", device.ErrUnsupported, d.info.Name, c.Kernel, c.Family)
	}
	p := d.prog(c.DType)
	if !p.has(c.Kernel + "_fwd") {
		return nil, fmt.Errorf("%w: %s has no %v kernel %q", device.ErrUnsupported, d.info.Name, c.DType, c.Kernel)
	}
	b, err := d.check(c)
	if err != nil {
		return nil, err
	}
	var s device.Sums
	switch {
	case c.Kernel == "info_nce":
		s, err = d.runInfoNCE(p, c, b)
	case c.Family == device.Metric:
		s, err = d.runMetric(p, c, b)
	default:
		s, err = d.runLoss(p, c, b)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// gradScale is the call's gradient scale: Scale, or Scale/Σd when it scales by the Mean's
// denominator (computed on the device first: cpuref.DenomSum).
func (d *Device) gradScale(p *program, c *device.Call, b *callBufs) (float64, error) {
	if !c.ScaleByDenom || !c.WantGrad() {
		return c.Scale, nil
	}
	den, err := d.denom(p, c, b)
	if err != nil {
		return 0, err
	}
	return cpuref.MeanScale(c.Scale, den), nil
}

// denom computes Σd under the call's rule.
func (d *Device) denom(p *program, c *device.Call, b *callBufs) (_ float64, err error) {
	rule, n, wrow := 0, c.N, false
	switch c.Denom {
	case device.DenomWeight:
		if c.Family == device.Elementwise {
			n = c.N * c.C
		}
		if b.w == nil {
			return float64(n), nil
		}
		if c.Family == device.Elementwise && b.w.n != c.N*c.C {
			n, wrow = c.N, true
		}
	case device.DenomLabel, device.DenomCorn:
		if b.lb == nil {
			return 0, fmt.Errorf("%w: %s: %s: the Mean's denominator needs labels", device.ErrBuffer, d.info.Name, c.Kernel)
		}
		rule = 1
		if c.Denom == device.DenomCorn {
			rule = 2
		}
	default:
		return 0, fmt.Errorf("%w: %s: %s: unknown denominator rule %d", device.ErrUnsupported, d.info.Name, c.Kernel, c.Denom)
	}
	if n == 0 {
		return 0, nil
	}
	groups, per := d.geometry(n, 1, 1)
	part, err := d.scratch(groups * 2 * 2 * d.accBytes(p))
	if err != nil {
		return 0, err
	}
	defer d.releaseScratch(&err, part)
	if err := d.launch(p, "denom_sum", groups, d.wg, func(a *argList) {
		a.u64(n)
		a.u64(c.C)
		a.u64(per)
		a.buf(b.lb)
		a.buf(b.w)
		a.flag(wrow)
		a.buf(b.cw)
		a.i64(c.Ignore)
		a.i32(rule)
		a.mem(part)
	}); err != nil {
		return 0, err
	}
	s, err := d.readSums(p, part, groups, 2)
	if err != nil {
		return 0, err
	}
	if s[1] != 0 {
		return 0, d.badLabels(c, s[1])
	}
	return s[0], nil
}

func (d *Device) badLabels(c *device.Call, n float64) error {
	return fmt.Errorf("%w: %s: %s: %g labels outside the kernel's range (check them with package loss)", device.ErrBuffer, d.info.Name, c.Kernel, n)
}

// runLoss runs an elementwise or row loss.
func (d *Device) runLoss(p *program, c *device.Call, b *callBufs) (_ device.Sums, err error) {
	scale, err := d.gradScale(p, c, b)
	if err != nil {
		return nil, err
	}
	name := c.Kernel + "_fwd"
	switch {
	case b.h != nil:
		name = c.Kernel + "_hess"
	case c.WantGrad():
		name = c.Kernel + "_fwd_bwd"
	}
	if !p.has(name) {
		return nil, fmt.Errorf("%w: %s has no kernel %s", device.ErrUnsupported, d.info.Name, name)
	}
	elem := c.Family == device.Elementwise
	n, step, cost := c.N, 1, c.C
	if elem {
		n, step, cost = c.N*c.C, 8, 1
	}
	if n == 0 {
		return device.Sums{0, 0}, nil
	}
	wrow := elem && b.w != nil && b.w.n != c.N*c.C
	groups, per := d.geometry(n, step, cost)
	part, err := d.scratch(groups * 3 * 2 * d.accBytes(p))
	if err != nil {
		return nil, err
	}
	defer d.releaseScratch(&err, part)
	if err := d.launch(p, name, groups, d.wg, func(a *argList) {
		a.u64(n)
		a.u64(c.C)
		a.u64(per)
		a.buf(b.x)
		a.buf(b.y)
		a.buf(b.z)
		a.buf(b.lb)
		a.buf(b.w)
		a.flag(wrow)
		a.buf(b.cw)
		a.real8(c.P)
		a.i64(c.Ignore)
		a.real(scale)
		a.buf(b.ps)
		a.buf(b.gx)
		a.buf(b.gy)
		a.buf(b.gz)
		a.buf(b.h)
		a.mem(part)
	}); err != nil {
		return nil, err
	}
	s, err := d.readSums(p, part, groups, 3)
	if err != nil {
		return nil, err
	}
	if s[2] != 0 {
		return nil, d.badLabels(c, s[2])
	}
	return device.Sums{s[0], s[1]}, nil
}

// metricGroups bounds the work-groups of a metric kernel (one work-item each) so that the
// partials stay small.
func (d *Device) metricGroups(n, cost, nsums int) (groups, per int) {
	if n <= 0 {
		return 0, 0
	}
	g := max(1, min(64, (1<<22)/max(nsums, 1)))
	per = max((n+g-1)/g, max(1, minWork/max(cost, 1)))
	if cost == 1 { // elementwise: whole vectors
		per = (per + 7) / 8 * 8
	}
	return (n + per - 1) / per, per
}

// roundDown32 is the largest float32 not above v: for a float32 x, x > v ⇔ x > roundDown32(v).
func roundDown32(v float64) float64 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return float64(f)
}

// roundUp32 is the smallest float32 not below v: for a float32 x, x ≥ v ⇔ x ≥ roundUp32(v).
func roundUp32(v float64) float64 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return float64(f)
}

// runMetric runs a metric kernel and returns its counts.
func (d *Device) runMetric(p *program, c *device.Call, b *callBufs) (_ device.Sums, err error) {
	params := c.P
	n, cost, nsums, out, bins := c.N, c.C, 0, 0, 0
	switch c.Kernel {
	case "accuracy":
		nsums, out = 2, 2
	case "f1", "binary_iou":
		n, cost, nsums, out = c.N*c.C, 1, 3, 3
	case "macro_f1":
		bins = c.Bins
		if bins <= 0 {
			bins = c.C
		}
		nsums, out = 3*bins+1, 3*bins
	case "calibration":
		bins = c.Bins
		if bins <= 0 {
			bins = int(c.P[0])
		}
		bins = max(bins, 1)
		nsums, out = 3*bins, 3*bins
	default:
		return nil, fmt.Errorf("%w: %s has no metric %q", device.ErrUnsupported, d.info.Name, c.Kernel)
	}
	if c.DType == device.F32 && c.Kernel != "macro_f1" && c.Kernel != "calibration" {
		params[0] = roundDown32(params[0])
	}
	sums := make(device.Sums, out)
	if n == 0 {
		return sums, nil
	}
	wrow := b.w != nil && cost == 1 && b.w.n != c.N*c.C
	groups, per := d.metricGroups(n, cost, nsums)
	part, err := d.scratch(groups * nsums * 2 * d.accBytes(p))
	if err != nil {
		return nil, err
	}
	defer d.releaseScratch(&err, part)
	if err := d.launch(p, c.Kernel+"_fwd", groups, 1, func(a *argList) {
		a.u64(n)
		a.u64(c.C)
		a.u64(per)
		a.buf(b.x)
		a.buf(b.y)
		a.buf(b.lb)
		a.buf(b.w)
		a.flag(wrow)
		a.real8(params)
		a.i64(c.Ignore)
		a.next(a.k.SetArgInt32(a.i, int32(bins)))
		a.mem(part)
	}); err != nil {
		return nil, err
	}
	s, err := d.readSums(p, part, groups, nsums)
	if err != nil {
		return nil, err
	}
	if c.Kernel == "macro_f1" && s[3*bins] != 0 {
		return nil, d.badLabels(c, s[3*bins])
	}
	copy(sums, s)
	return sums, nil
}

// runInfoNCE runs info_nce's kernels: normalise, the column log-sum-exps (symmetric), the
// rows (loss, sums, query gradient) and the columns (key gradient).
func (d *Device) runInfoNCE(p *program, c *device.Call, b *callBufs) (_ device.Sums, err error) {
	n, dim := c.N, c.C
	if n == 0 {
		return device.Sums{0, 0}, nil
	}
	scale, err := d.gradScale(p, c, b)
	if err != nil {
		return nil, err
	}
	normalize, sym := c.P[1] != 0, c.P[2] != 0
	rb, ab := c.DType.Size(), d.accBytes(p)
	var mems []*cl.Mem
	defer func() { d.releaseScratch(&err, mems...) }()
	alloc := func(nbytes int) *cl.Mem {
		if err != nil {
			return nil
		}
		var m *cl.Mem
		if m, err = d.scratch(nbytes); err == nil {
			mems = append(mems, m)
		}
		return m
	}
	qh, kh := alloc(n*dim*rb), alloc(n*dim*rb)
	qn, kn := alloc(n*ab), alloc(n*ab)
	lser, lsec := alloc(n*ab), alloc(n*ab)
	var g *cl.Mem
	if b.gx != nil || b.gy != nil {
		g = alloc(n * dim * ab)
	}
	gr, pr := d.geometry(n, 1, dim)
	gq, pq := d.geometry(n, 1, n*dim)
	part := alloc(gq * 3 * 2 * ab)
	if err != nil {
		return nil, err
	}
	if err := d.launch(p, "info_nce_prep", gr, d.wg, func(a *argList) {
		a.u64(n)
		a.u64(dim)
		a.u64(pr)
		a.buf(b.x)
		a.buf(b.y)
		a.flag(normalize)
		a.mem(qh)
		a.mem(kh)
		a.mem(qn)
		a.mem(kn)
	}); err != nil {
		return nil, err
	}
	if sym {
		if err := d.launch(p, "info_nce_lse", gq, d.wg, func(a *argList) {
			a.u64(n)
			a.u64(dim)
			a.u64(pq)
			a.mem(qh)
			a.mem(kh)
			a.real8(c.P)
			a.flag(false)
			a.mem(lsec)
		}); err != nil {
			return nil, err
		}
	}
	name := "info_nce_fwd"
	if b.gx != nil {
		name = "info_nce_fwd_bwd"
	}
	if err := d.launch(p, name, gq, d.wg, func(a *argList) {
		a.u64(n)
		a.u64(dim)
		a.u64(pq)
		a.mem(qh)
		a.mem(kh)
		a.mem(qn)
		a.buf(b.w)
		a.real8(c.P)
		a.mem(lsec)
		a.mem(lser)
		a.real(scale)
		a.buf(b.ps)
		a.buf(b.gx)
		a.mem(g)
		a.mem(part)
	}); err != nil {
		return nil, err
	}
	if b.gy != nil {
		if err := d.launch(p, "info_nce_cols", gq, d.wg, func(a *argList) {
			a.u64(n)
			a.u64(dim)
			a.u64(pq)
			a.mem(qh)
			a.mem(kh)
			a.mem(kn)
			a.buf(b.w)
			a.real8(c.P)
			a.mem(lsec)
			a.mem(lser)
			a.real(scale)
			a.buf(b.gy)
			a.mem(g)
		}); err != nil {
			return nil, err
		}
	}
	s, err := d.readSums(p, part, gq, 3)
	if err != nil {
		return nil, err
	}
	return device.Sums{s[0], s[1]}, nil
}

// Find runs a validity check and returns the first failing index, or -1.
func (d *Device) Find(ck *device.Check) (_ int, err error) {
	if err := d.enter(); err != nil {
		return 0, err
	}
	defer d.leave()
	if ck == nil {
		return 0, fmt.Errorf("%w: %s: nil check", device.ErrBuffer, d.info.Name)
	}
	b, err := d.own(ck.Buf, "check buffer")
	if err != nil {
		return 0, err
	}
	if b == nil || ck.N < 0 || ck.N > b.n {
		return 0, fmt.Errorf("%w: %s: check of %d elements of a buffer of %d", device.ErrBuffer, d.info.Name, ck.N, bufLen(b))
	}
	n := ck.N
	if n == 0 {
		return -1, nil
	}
	var p *program
	var name string
	var set func(a *argList)
	step := 8
	if ck.Kind == device.CheckLabels {
		if b.dt != device.I32 {
			return 0, fmt.Errorf("%w: %s: label check of a %v buffer", device.ErrBuffer, d.info.Name, b.dt)
		}
		p, name, step = d.progs[0], "check_labels", 1
		lo, hi := ceilInt(ck.Lo), ceilInt(ck.Hi)
		set = func(a *argList) {
			a.buf(b)
			a.i64(lo)
			a.i64(hi)
			a.i64(ck.Ignore)
		}
	} else {
		p, name = d.prog(b.dt), "check_values"
		if p == nil {
			return 0, fmt.Errorf("%w: %s: value check of a %v buffer", device.ErrUnsupported, d.info.Name, b.dt)
		}
		lo, hi := ck.Lo, ck.Hi
		if b.dt == device.F32 {
			lo, hi = roundUp32(lo), roundDown32(hi)
		}
		set = func(a *argList) {
			a.buf(b)
			a.i32(int(ck.Kind))
			a.real(lo)
			a.real(hi)
			a.flag(math.IsInf(ck.Lo, -1))
			a.flag(math.IsInf(ck.Hi, 1))
		}
	}
	groups, per := d.geometry(n, step, 1)
	out, err := d.scratch(groups * 8)
	if err != nil {
		return 0, err
	}
	defer d.releaseScratch(&err, out)
	if err := d.launch(p, name, groups, d.wg, func(a *argList) {
		a.u64(n)
		a.u64(per)
		set(a)
		a.mem(out)
	}); err != nil {
		return 0, err
	}
	firsts := make([]int64, groups)
	if err := cl.Read(d.q, out, 0, firsts); err != nil {
		return 0, d.driverErr("reading the check", err)
	}
	first := int64(n)
	for _, f := range firsts {
		first = min(first, f)
	}
	if first >= int64(n) {
		return -1, nil
	}
	return int(first), nil
}

func bufLen(b *buffer) int {
	if b == nil {
		return 0
	}
	return b.n
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
