package cuda

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
	kc "github.com/gloss-ml/gloss/kernels/cuda"
)

// Layout of d.small (8 doubles): reduce_finish writes its sums at [0, 4), denom_finish Σd and
// the Mean's gradient scale at [4, 6) (the loss kernels read the scale there), Find's index
// lives at [6].
const (
	smallSums  = 0
	smallDenom = 4 * 8
	smallScale = 5 * 8
	smallFind  = 6 * 8
)

// maxRowCols bounds C for the row kernels, which index a row's columns with 32-bit integers.
const maxRowCols = 1<<31 - 1<<16

// args is a kernel's parameter list: every parameter is 8 bytes (internal/cu's Launch passes
// 8 bytes for each), in the order of the kernel's signature in kernels/cuda, with the kind of
// each (kindPtr, kindInt, kindF64), which launch checks against kernelSig.
type args struct {
	v     []uint64
	kinds []byte
}

func (a *args) add(kind byte, v uint64) {
	a.v = append(a.v, v)
	a.kinds = append(a.kinds, kind)
}
func (a *args) buf(b *buffer) {
	if b == nil {
		a.add(kindPtr, 0)
		return
	}
	a.add(kindPtr, uint64(b.ptr))
}
func (a *args) at(b *buffer, byteOff int64) {
	if b == nil {
		a.add(kindPtr, 0)
		return
	}
	a.add(kindPtr, uint64(b.ptr)+uint64(byteOff))
}
func (a *args) ptr(p cu.DevicePtr) { a.add(kindPtr, uint64(p)) }
func (a *args) i(v int64)          { a.add(kindInt, uint64(v)) }
func (a *args) f(v float64)        { a.add(kindF64, f64bits(v)) }
func (a *args) params(p [8]float64) {
	for _, v := range p {
		a.f(v)
	}
}

// launch starts k on the device's stream with grid blocks of block threads and smem bytes of
// dynamic shared memory (raising the kernel's limit first when that is over 48 KiB). It
// refuses an argument list whose kinds differ from the kernel's parameters (kernelSig, which
// the default-build test checks against the compiled kernels).
func (d *cudaDevice) launch(k *kfn, grid, block, smem int, a args) error {
	if want, ok := kernelSig(k.name); !ok || string(a.kinds) != want {
		return fmt.Errorf("%w: %s: launch of %s with parameters %q, the kernel takes %q (device/cuda/abi.go)",
			device.ErrDriver, d.name, k.name, a.kinds, want)
	}
	if grid <= 0 {
		return nil
	}
	if smem > k.dynSmemOK {
		if err := d.setDynSmem(k, smem); err != nil {
			return err
		}
	}
	if err := k.fn.Launch([3]int{grid, 1, 1}, [3]int{block, 1, 1}, smem, d.stream, a.v); err != nil {
		return d.drv(fmt.Sprintf("launching %s (grid %d, block %d, %d bytes of shared memory)", k.name, grid, block, smem), err)
	}
	return nil
}

// resident returns how many blocks of k, with block threads and smem bytes of dynamic shared
// memory, fit on one multiprocessor at once (at least 1), from the device's limits and the
// kernel's registers and static shared memory: the smallest of the block limit, the thread
// limit, the register file (allocated per warp in units of 256 registers) and the shared
// memory (with the driver's reserve per block). Grids are sized from it and the SM count only,
// so the work each block does, and the order of every sum, depend on the problem size and the
// device alone.
func (d *cudaDevice) resident(k *kfn, block, smem int) int {
	return residentBlocks(d.occ, k.regs, k.staticSM+smem, block)
}

// residentBlocks is resident's arithmetic: regs registers per thread, smem bytes of shared
// memory per block (static and dynamic), block threads. A limit the driver reported as 0 is
// taken as unknown (32 blocks, the sm_70–sm_90 block limit, when that one is).
func residentBlocks(o occupancy, regs, smem, block int) int {
	warps := (block + 31) / 32
	n := 32
	if o.blocksSM > 0 {
		n = o.blocksSM
	}
	if o.threadsSM > 0 {
		n = min(n, o.threadsSM/(warps*32))
	}
	if regs > 0 && o.regsSM > 0 {
		perWarp := (regs*32 + 255) / 256 * 256
		n = min(n, o.regsSM/perWarp/warps)
	}
	if smem > 0 && o.smemSM > 0 {
		n = min(n, o.smemSM/(smem+o.smemReserve))
	}
	return max(n, 1)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// call is a validated device.Call.
type call struct {
	c                                       *device.Call
	k                                       kc.Kernel
	dt                                      device.DType
	n, cols                                 int64 // N and C
	x, y, z, lab, w, cw, ps, gx, gy, gz, hs *buffer
}

func (cl *call) grad() bool { return cl.gx != nil || cl.gy != nil || cl.gz != nil }

// prepare checks a call against the kernel table: dtypes, lengths, and that every input the
// kernel reads is there (a kernel never reads a null pointer).
func (d *cudaDevice) prepare(c *device.Call) (*call, error) {
	k, ok := kc.Kernels[c.Kernel]
	if !ok {
		return nil, fmt.Errorf("%w: %s has no kernel %q", device.ErrUnsupported, d.name, c.Kernel)
	}
	if c.DType != device.F32 && c.DType != device.F64 {
		return nil, fmt.Errorf("%w: %s: %s: dtype %v", device.ErrUnsupported, d.name, c.Kernel, c.DType)
	}
	if c.N < 0 || c.C < 0 {
		return nil, fmt.Errorf("%w: %s: %s: shape %d×%d", device.ErrBuffer, d.name, c.Kernel, c.N, c.C)
	}
	cl := &call{c: c, k: k, dt: c.DType, n: int64(c.N), cols: int64(c.C)}
	elems := cl.n * cl.cols
	perElem := k.Launch == kc.Elem || k.Launch == kc.Confusion
	if k.Launch != kc.Elem && k.Launch != kc.Confusion && cl.cols > maxRowCols {
		return nil, fmt.Errorf("%w: %s: %s: %d columns (row kernels take at most %d)", device.ErrUnsupported, d.name, c.Kernel, c.C, maxRowCols)
	}
	var err error
	get := func(b device.Buffer, what string, dt device.DType, lens ...int64) *buffer {
		if err != nil || b == nil {
			return nil
		}
		var cb *buffer
		if cb, err = d.buf(b, c.Kernel+" "+what); err != nil {
			return nil
		}
		if cb.dt != dt {
			err = fmt.Errorf("%w: %s: %s: %s is %v, want %v", device.ErrBuffer, d.name, c.Kernel, what, cb.dt, dt)
			return nil
		}
		for _, l := range lens {
			if int64(cb.n) == l {
				return cb
			}
		}
		err = fmt.Errorf("%w: %s: %s: %s has %d elements, want one of %v", device.ErrBuffer, d.name, c.Kernel, what, cb.n, lens)
		return nil
	}
	need := func(b device.Buffer, used bool, what string) {
		if err != nil {
			return
		}
		switch {
		case used && b == nil:
			err = fmt.Errorf("%w: %s: %s needs %s", device.ErrBuffer, d.name, c.Kernel, what)
		case !used && b != nil:
			err = fmt.Errorf("%w: %s: %s takes no %s", device.ErrBuffer, d.name, c.Kernel, what)
		}
	}
	need(c.X, true, "X")
	need(c.Y, k.Y, "Y")
	need(c.Z, k.Z, "Z")
	need(c.Labels, k.Labels, "Labels")
	need(c.GX, c.GX != nil && k.Grad, "GX")
	need(c.GY, c.GY != nil && k.GY, "GY")
	need(c.GZ, c.GZ != nil && k.GZ, "GZ")
	need(c.Hess, c.Hess != nil && k.Hess, "Hess")
	metric := k.Launch == kc.Confusion || k.Launch == kc.Hist || c.Family == device.Metric
	need(c.PerSample, c.PerSample != nil && !metric, "PerSample")
	cl.x = get(c.X, "X", cl.dt, elems)
	cl.y = get(c.Y, "Y", cl.dt, elems)
	cl.z = get(c.Z, "Z", cl.dt, elems)
	cl.lab = get(c.Labels, "Labels", device.I32, cl.n)
	if perElem {
		cl.w = get(c.Weight, "Weight", cl.dt, elems, cl.n)
	} else {
		cl.w = get(c.Weight, "Weight", cl.dt, cl.n)
	}
	cl.cw = get(c.ClassWeight, "ClassWeight", cl.dt, cl.cols)
	if perElem {
		cl.ps = get(c.PerSample, "PerSample", cl.dt, elems)
	} else {
		cl.ps = get(c.PerSample, "PerSample", cl.dt, cl.n)
	}
	cl.gx = get(c.GX, "GX", cl.dt, elems)
	cl.gy = get(c.GY, "GY", cl.dt, elems)
	cl.gz = get(c.GZ, "GZ", cl.dt, elems)
	cl.hs = get(c.Hess, "Hess", cl.dt, elems)
	if err != nil {
		return nil, err
	}
	return cl, nil
}

// Run executes one call (see device.Call): the Mean's denominator pre-pass when the gradient is
// scaled by it, the loss kernel, and the final reduction of the block partials.
func (d *cudaDevice) Run(c *device.Call) (device.Sums, error) {
	cl, err := d.prepare(c)
	if err != nil {
		return nil, err
	}
	var sums device.Sums
	err = d.do(func() error {
		var err error
		switch cl.k.Launch {
		case kc.Elem, kc.Confusion:
			sums, err = d.runElem(cl)
		case kc.Row:
			sums, err = d.runRow(cl)
		case kc.InfoNCE:
			sums, err = d.runInfoNCE(cl)
		case kc.Hist:
			sums, err = d.runHist(cl)
		default:
			err = fmt.Errorf("%w: %s: %s: launch %d", device.ErrUnsupported, d.name, c.Kernel, cl.k.Launch)
		}
		return err
	})
	return sums, err
}

// aligned reports whether every buffer present starts at a 16-byte boundary.
func aligned(bs ...*buffer) bool {
	for _, b := range bs {
		if b != nil && uint64(b.ptr)%kc.VecBytes != 0 {
			return false
		}
	}
	return true
}

// finish adds the block partials of the last kernel (nsums per block) and returns the sums.
func (d *cudaDevice) finish(nblocks, nsums int, after string) (device.Sums, error) {
	k, err := d.fn(device.F32, "reduce_finish")
	if err != nil {
		return nil, err
	}
	var a args
	a.ptr(d.part.ptr)
	a.i(int64(nblocks))
	a.i(int64(nsums))
	a.ptr(d.small + smallSums)
	if err := d.launch(k, 1, kc.Block, 0, a); err != nil {
		return nil, err
	}
	out, err := d.readSmall(nsums, after)
	if err != nil {
		return nil, err
	}
	return device.Sums(out), nil
}

// gradScale returns the gradient scale of a call: Call.Scale, or for a Mean (ScaleByDenom)
// Scale/Σd, computed on the host when Σd is a count and on the device otherwise (then the
// returned pointer is where the loss kernel reads it).
func (d *cudaDevice) gradScale(cl *call) (float64, cu.DevicePtr, error) {
	c := cl.c
	if !c.ScaleByDenom || !c.WantGrad() {
		return c.Scale, 0, nil
	}
	elems := cl.n * cl.cols
	perElem := cl.k.Launch == kc.Elem
	rule, n, mult := int64(0), cl.n, 1.0
	switch c.Denom {
	case device.DenomWeight:
		if cl.w == nil {
			count := cl.n
			if perElem {
				count = elems
			}
			return cpuref.MeanScale(c.Scale, float64(count)), 0, nil
		}
		n = int64(cl.w.n)
		if perElem && n != elems {
			mult = float64(cl.cols) // one weight per row, C elements each
		}
	case device.DenomLabel, device.DenomCorn:
		if cl.lab == nil {
			return 0, 0, fmt.Errorf("%w: %s: %s: a Mean over labels needs Labels", device.ErrBuffer, d.name, c.Kernel)
		}
		rule = 1
		if c.Denom == device.DenomCorn {
			rule = 2
		}
	default:
		return 0, 0, fmt.Errorf("%w: %s: %s: denominator rule %d", device.ErrUnsupported, d.name, c.Kernel, c.Denom)
	}
	ks, err := d.fn(cl.dt, "denom_sum")
	if err != nil {
		return 0, 0, err
	}
	grid := int(min(ceilDiv(max(n, 1), kc.Block), int64(d.sms*d.resident(ks, kc.Block, 0))))
	var a args
	a.buf(cl.lab)
	a.buf(cl.w)
	a.buf(cl.cw)
	a.i(n)
	a.i(cl.cols)
	a.i(rule)
	a.i(c.Ignore)
	a.ptr(d.part.ptr)
	if err := d.launch(ks, grid, kc.Block, 0, a); err != nil {
		return 0, 0, err
	}
	kf, err := d.fn(cl.dt, "denom_finish")
	if err != nil {
		return 0, 0, err
	}
	a = args{}
	a.ptr(d.part.ptr)
	a.i(int64(grid))
	a.f(c.Scale)
	a.f(mult)
	a.ptr(d.small + smallDenom)
	if err := d.launch(kf, 1, kc.Block, 0, a); err != nil {
		return 0, 0, err
	}
	return 0, d.small + smallScale, nil
}

// runElem runs an elementwise loss (<stem>_fwd, _fwd_bwd or _hess) or a confusion metric.
func (d *cudaDevice) runElem(cl *call) (device.Sums, error) {
	c := cl.c
	nsums := 2
	if cl.k.Launch == kc.Confusion {
		nsums = 3
	}
	n := cl.n * cl.cols
	if n == 0 {
		return make(device.Sums, nsums), nil
	}
	scale, sptr, err := d.gradScale(cl)
	if err != nil {
		return nil, err
	}
	name := c.Kernel + "_fwd"
	switch {
	case cl.k.Launch == kc.Confusion:
	case cl.hs != nil:
		name = c.Kernel + "_hess"
	case cl.grad():
		name = c.Kernel + "_fwd_bwd"
	}
	k, err := d.fn(cl.dt, name)
	if err != nil {
		return nil, err
	}
	wmode := int64(0)
	if cl.w != nil {
		wmode = 1
		if int64(cl.w.n) != n {
			wmode = 2
		}
	}
	w1 := cl.w
	if wmode != 1 {
		w1 = nil
	}
	vec := aligned(cl.x, cl.y, cl.z, w1, cl.ps, cl.gx, cl.gy, cl.gz, cl.hs)
	vn := int64(kc.VecBytes / cl.dt.Size())
	work := ceilDiv(ceilDiv(n, vn), kc.Block) // one 16-byte chunk per thread and pass
	if cl.k.Launch == kc.Confusion {
		work = ceilDiv(n, kc.Block)
	}
	grid := int(min(work, int64(d.sms*d.resident(k, kc.Block, 0))))
	var a args
	for _, b := range []*buffer{cl.x, cl.y, cl.z, cl.w, cl.cw, cl.ps, cl.gx, cl.gy, cl.gz, cl.hs} {
		a.buf(b)
	}
	a.ptr(d.part.ptr)
	a.ptr(sptr)
	a.f(scale)
	a.i(n)
	a.i(cl.cols)
	a.i(wmode)
	if vec {
		a.i(1)
	} else {
		a.i(0)
	}
	a.params(c.P)
	if err := d.launch(k, grid, kc.Block, 0, a); err != nil {
		return nil, err
	}
	return d.finish(grid, nsums, name)
}

// rowLaunch is the shape of one row-kernel launch (see row_body in gloss.cuh).
type rowLaunch struct {
	gs, block, grid, smem int
	staged, vec           bool
}

// rowLayout picks the group size, block, grid and staging of a row kernel over rows rows: a row
// of at most 256 16-byte vectors (C ≤ 1024 floats or 512 doubles) goes to a slice of a warp of
// ⌈C/vector⌉ lanes rounded up to a power of two (at most 32: up to 8 vectors per lane; 256-thread
// blocks hold 256/slice rows); a longer row to a whole block of up to MaxRowBlock threads, about
// 8 vectors per thread. A row is staged in shared memory when the kernel reads it twice and it
// fits. The grid is as many blocks as can be resident (at most the rows' groups), so it depends
// on C, the rows and the device only.
func (d *cudaDevice) rowLayout(k *kfn, cl *call, rows int64, stage int) rowLaunch {
	size := int64(cl.dt.Size())
	vn := kc.VecBytes / size
	chunks := max(ceilDiv(cl.cols, vn), 1)
	maxBlock := min(kc.MaxRowBlock, k.maxBlock) / 32 * 32
	var l rowLaunch
	gpb := int64(1)
	if chunks <= 32*8 {
		gs := int64(1)
		for gs < chunks && gs < 32 {
			gs *= 2
		}
		l.gs, l.block = int(gs), min(kc.Block, maxBlock)
		gpb = int64(l.block) / gs
	} else {
		t := (ceilDiv(chunks, 8) + 31) / 32 * 32
		l.gs, l.block = 0, int(min(max(t, 64), int64(maxBlock)))
	}
	if stage > 0 {
		cpad := ceilDiv(cl.cols, vn) * vn
		bytes := gpb * int64(stage) * cpad * size
		if bytes+int64(k.staticSM) <= int64(d.occ.smemOptin) && bytes <= int64(d.occ.smemSM)-int64(k.staticSM) {
			// launch raises the kernel's limit to smem first, and reports a failure.
			l.staged, l.smem = true, int(bytes)
		}
	}
	l.vec = (cl.cols*size)%kc.VecBytes == 0 &&
		aligned(cl.x, cl.y, cl.z, cl.ps, cl.gx, cl.gy, cl.gz)
	l.grid = int(min(ceilDiv(rows, gpb), int64(d.sms*d.resident(k, l.block, l.smem))))
	return l
}

// rowArgs builds a row kernel's parameters for rows [r0, r0+rows).
func rowArgs(cl *call, l rowLaunch, r0, rows int64, part, sptr, scratch cu.DevicePtr, scale float64, aux int64) args {
	size := int64(cl.dt.Size())
	off := r0 * cl.cols * size
	var a args
	a.at(cl.x, off)
	a.at(cl.y, off)
	a.at(cl.z, off)
	a.at(cl.lab, r0*4)
	a.at(cl.w, r0*size)
	a.buf(cl.cw)
	a.at(cl.ps, r0*size)
	a.at(cl.gx, off)
	a.at(cl.gy, off)
	a.at(cl.gz, off)
	a.ptr(part)
	a.ptr(sptr)
	a.ptr(scratch)
	a.f(scale)
	a.i(rows)
	a.i(cl.cols)
	a.i(cl.c.Ignore)
	a.i(int64(l.gs))
	flags := int64(0)
	if l.staged {
		flags |= 1
	}
	if l.vec {
		flags |= 2
	}
	a.i(flags)
	a.i(aux)
	a.params(cl.c.P)
	return a
}

// runRow runs a row loss (or accuracy).
func (d *cudaDevice) runRow(cl *call) (device.Sums, error) {
	c := cl.c
	if cl.n == 0 || cl.cols == 0 {
		return device.Sums{0, 0}, nil
	}
	scale, sptr, err := d.gradScale(cl)
	if err != nil {
		return nil, err
	}
	name, stage := c.Kernel+"_fwd", 0
	if cl.grad() {
		name, stage = c.Kernel+"_fwd_bwd", cl.k.Stage
	} else if cl.k.StageFwd {
		stage = cl.k.Stage
	}
	k, err := d.fn(cl.dt, name)
	if err != nil {
		return nil, err
	}
	l := d.rowLayout(k, cl, cl.n, stage)
	if err := d.launch(k, l.grid, l.block, l.smem, rowArgs(cl, l, 0, cl.n, d.part.ptr, sptr, 0, scale, int64(c.Bins))); err != nil {
		return nil, err
	}
	return d.finish(l.grid, 2, name)
}

// histChunk is the most rows whose records one pass of a histogram metric keeps.
const histChunk = 1 << 20

// runHist runs macro_f1 or calibration: a row kernel writes each row's records, which
// hist_accumulate adds into per-warp histograms (chunk by chunk), then hist_finish adds the
// warps in order.
func (d *cudaDevice) runHist(cl *call) (device.Sums, error) {
	c := cl.c
	bins := int64(c.Bins)
	if bins <= 0 {
		bins = cl.cols
		if c.Kernel == "calibration" {
			bins = int64(c.P[0])
		}
	}
	bins = max(bins, 1)
	nslots := 3 * bins
	if cl.n == 0 || cl.cols == 0 {
		return make(device.Sums, nslots), nil
	}
	chunk := min(cl.n, histChunk)
	// Per-warp histograms: as many warps as fit in 64 MiB, at most 64 per SM and one per 32 rows.
	nwarps := max(1, min((64<<20)/(nslots*8), int64(d.sms)*64, ceilDiv(cl.n, 32)))
	histBytes := nwarps * nslots * 8
	if err := d.scratch.ensure(d, histBytes+nslots*8); err != nil {
		return nil, err
	}
	if err := d.extra.ensure(d, 6*chunk*8); err != nil {
		return nil, err
	}
	hist, out, rec := d.scratch.ptr, d.scratch.ptr+cu.DevicePtr(histBytes), d.extra.ptr
	if err := cu.MemsetD8Async(hist, 0, histBytes, d.stream); err != nil {
		return nil, d.drv("clearing the histograms", err)
	}
	k, err := d.fn(cl.dt, c.Kernel+"_fwd")
	if err != nil {
		return nil, err
	}
	ka, err := d.fn(device.F32, "hist_accumulate")
	if err != nil {
		return nil, err
	}
	for r0 := int64(0); r0 < cl.n; r0 += chunk {
		rows := min(chunk, cl.n-r0)
		l := d.rowLayout(k, cl, rows, 0)
		if err := d.launch(k, l.grid, l.block, l.smem, rowArgs(cl, l, r0, rows, d.part.ptr, 0, rec, 0, bins)); err != nil {
			return nil, err
		}
		var a args
		a.ptr(rec)
		a.i(rows)
		a.ptr(hist)
		a.i(nslots)
		a.i(nwarps)
		if err := d.launch(ka, int(ceilDiv(nwarps*32, kc.Block)), kc.Block, 0, a); err != nil {
			return nil, err
		}
	}
	kf, err := d.fn(device.F32, "hist_finish")
	if err != nil {
		return nil, err
	}
	var a args
	a.ptr(hist)
	a.i(nwarps)
	a.i(nslots)
	a.ptr(out)
	if err := d.launch(kf, int(ceilDiv(nslots, kc.Block)), kc.Block, 0, a); err != nil {
		return nil, err
	}
	sums := make(device.Sums, nslots)
	var pin runtime.Pinner
	pin.Pin(&sums[0])
	defer pin.Unpin()
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&sums[0]), out, nslots*8, d.stream); err != nil {
		return nil, d.drv("copying the histogram back", err)
	}
	if err := d.sync(c.Kernel + "_fwd, hist_accumulate, hist_finish"); err != nil {
		return nil, err
	}
	return sums, nil
}

// runInfoNCE runs info_nce: prep, the column pass (symmetric), the row pass with the loss,
// then one gradient launch per wanted gradient. Scratch: q̂, k̂ and the gradient accumulator
// (N·D doubles each), the norms and the log-sum-exps (N doubles each).
func (d *cudaDevice) runInfoNCE(cl *call) (device.Sums, error) {
	c := cl.c
	n, dim := cl.n, cl.cols
	if n == 0 {
		return device.Sums{0, 0}, nil
	}
	tau, normalize, sym := c.P[0], c.P[1] != 0, c.P[2] != 0
	nd := n * dim * 8
	if err := d.scratch.ensure(d, 3*nd+5*n*8); err != nil {
		return nil, err
	}
	base := d.scratch.ptr
	qh, kh, gacc := base, base+cu.DevicePtr(nd), base+cu.DevicePtr(2*nd)
	vecs := base + cu.DevicePtr(3*nd)
	qn, kn := vecs, vecs+cu.DevicePtr(n*8)
	lseR, lseC, diag := vecs+cu.DevicePtr(2*n*8), vecs+cu.DevicePtr(3*n*8), vecs+cu.DevicePtr(4*n*8)
	scale, sptr, err := d.gradScale(cl)
	if err != nil {
		return nil, err
	}
	kp, err := d.fn(cl.dt, "info_nce_prep")
	if err != nil {
		return nil, err
	}
	grid := func(k *kfn) int { return int(min(n, int64(d.sms*d.resident(k, kc.Block, 0)))) }
	var a args
	a.buf(cl.x)
	a.buf(cl.y)
	a.ptr(qh)
	a.ptr(kh)
	a.ptr(qn)
	a.ptr(kn)
	a.i(n)
	a.i(dim)
	a.i(b2i(normalize))
	if err := d.launch(kp, grid(kp), kc.Block, 0, a); err != nil {
		return nil, err
	}
	kf, err := d.fn(cl.dt, "info_nce_fwd")
	if err != nil {
		return nil, err
	}
	fwd := func(A, B, lse, dg, other cu.DevicePtr, w, ps *buffer, part cu.DevicePtr, mode int64) error {
		var a args
		a.ptr(A)
		a.ptr(B)
		a.ptr(lse)
		a.ptr(dg)
		a.ptr(other)
		a.buf(w)
		a.buf(ps)
		a.ptr(part)
		a.i(n)
		a.i(dim)
		a.f(tau)
		a.i(mode)
		return d.launch(kf, grid(kf), kc.Block, 0, a)
	}
	if sym {
		if err := fwd(kh, qh, lseC, 0, 0, nil, nil, 0, 0); err != nil {
			return nil, err
		}
	}
	mode := int64(1)
	if sym {
		mode = 2
	}
	if err := fwd(qh, kh, lseR, diag, lseC, cl.w, cl.ps, d.part.ptr, mode); err != nil {
		return nil, err
	}
	sums, err := d.finish(grid(kf), 2, "info_nce_fwd")
	if err != nil {
		return nil, err
	}
	kb, err := d.fn(cl.dt, "info_nce_fwd_bwd")
	if err != nil {
		return nil, err
	}
	bwd := func(A, B, lseA, lseB, nrm cu.DevicePtr, g *buffer, alpha, beta float64) error {
		var a args
		a.ptr(A)
		a.ptr(B)
		a.ptr(lseA)
		a.ptr(lseB)
		a.buf(cl.w)
		a.ptr(nrm)
		a.ptr(gacc)
		a.buf(g)
		a.ptr(sptr)
		a.f(scale)
		a.i(n)
		a.i(dim)
		a.f(tau)
		a.f(alpha)
		a.f(beta)
		a.i(b2i(normalize))
		return d.launch(kb, grid(kb), kc.Block, 0, a)
	}
	if cl.gx != nil {
		alpha, beta, other := 1.0, 0.0, lseR
		if sym {
			alpha, beta, other = 0.5, 0.5, lseC
		}
		if err := bwd(qh, kh, lseR, other, qn, cl.gx, alpha, beta); err != nil {
			return nil, err
		}
	}
	if cl.gy != nil {
		alpha, beta, self := 0.0, 1.0, lseR
		if sym {
			alpha, beta, self = 0.5, 0.5, lseC
		}
		if err := bwd(kh, qh, self, lseR, kn, cl.gy, alpha, beta); err != nil {
			return nil, err
		}
	}
	if cl.gx != nil || cl.gy != nil {
		if err := d.sync("info_nce_fwd_bwd"); err != nil {
			return nil, err
		}
	}
	return sums, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Find runs a check kernel (check_labels or check_values) and returns the first failing
// index, or -1.
func (d *cudaDevice) Find(ch *device.Check) (int, error) {
	b, err := d.buf(ch.Buf, "checked buffer")
	if err != nil {
		return 0, err
	}
	if ch.N < 0 || ch.N > b.n {
		return 0, fmt.Errorf("%w: %s: check of %d elements of a buffer of %d", device.ErrBuffer, d.name, ch.N, b.n)
	}
	if ch.N == 0 {
		return -1, nil
	}
	name, dt := "check_values", b.dt
	switch {
	case ch.Kind == device.CheckLabels && b.dt == device.I32:
		name, dt = "check_labels", device.F32
	case ch.Kind == device.CheckLabels, b.dt == device.I32:
		return 0, fmt.Errorf("%w: %s: check %d on a %v buffer", device.ErrBuffer, d.name, ch.Kind, b.dt)
	case ch.Kind < device.CheckRange || ch.Kind > device.CheckBinary:
		return 0, fmt.Errorf("%w: %s: unknown check %d", device.ErrUnsupported, d.name, ch.Kind)
	}
	first := uint64(ch.N)
	var pin runtime.Pinner
	pin.Pin(&first)
	defer pin.Unpin()
	err = d.do(func() error {
		k, err := d.fn(dt, name)
		if err != nil {
			return err
		}
		at := d.small + smallFind
		if err := cu.MemcpyHtoDAsync(at, unsafe.Pointer(&first), 8, d.stream); err != nil {
			return d.drv("copying the check's index to the device", err)
		}
		var a args
		a.buf(b)
		a.i(int64(ch.N))
		if name == "check_values" {
			a.i(int64(ch.Kind))
		}
		a.f(ch.Lo)
		a.f(ch.Hi)
		if name == "check_labels" {
			a.i(ch.Ignore)
		}
		a.ptr(at)
		grid := int(min(ceilDiv(int64(ch.N), kc.Block), int64(d.sms*d.resident(k, kc.Block, 0))))
		if err := d.launch(k, grid, kc.Block, 0, a); err != nil {
			return err
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&first), at, 8, d.stream); err != nil {
			return d.drv("copying the check's index back", err)
		}
		return d.sync(name)
	})
	if err != nil {
		return 0, err
	}
	if first >= uint64(ch.N) {
		return -1, nil
	}
	return int(first), nil
}
