// Package cuda is gloss's CUDA backend, on the driver API through internal/cu, which loads
// the NVIDIA driver library (libcuda.so.1) at run time. Importing it registers the devices
// "cuda" (the first GPU) and "cuda:N" with package device.
//
// Every build has it: building needs no CUDA toolkit, headers or libcuda (only cgo), and a
// program that imports it starts on any machine. Where there is no driver library, a driver
// older than CUDA 11.0, no GPU, or a binary built without cgo, Open and List return an error
// wrapping device.ErrNoDevice (device.ErrNotBuilt without cgo) that says which and what to
// install, and device.Open("auto") moves on to the next backend.
//
// The kernels are in kernels/cuda, compiled ahead of time into two fatbins (float32 and
// float64) that are embedded compressed in the binary and decompressed at the first Open.
//
// Each device runs all its work on one goroutine locked to one OS thread, with the device's
// primary context current on it: a CUDA context belongs to the thread it is current on. Device
// methods hand closures to that goroutine and wait, so they are safe for concurrent use and
// return after the work is done. Kernels run on one non-blocking stream per device.
package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
	kc "github.com/gloss-ml/gloss/kernels/cuda"
)

func init() {
	device.Register("cuda", open, list)
}

// minCC is the oldest compute capability the fatbins have machine code for (sm_70).
const minCC = 70

// cudaDevice is one GPU.
type cudaDevice struct {
	ordinal int
	name    string // "cuda:N"

	mu     sync.RWMutex // guards closed and sends on work
	closed bool
	work   chan func()
	done   chan struct{}

	// Set by init, read-only afterwards.
	info device.Info
	sms  int // multiprocessors
	occ  occupancy

	// Owned by the worker goroutine.
	dev     cu.Device
	ctx     cu.Context
	stream  cu.Stream
	mods    [2]cu.Module // float32, float64
	fns     map[fnKey]*kfn
	small   cu.DevicePtr // 8 doubles: reduce_finish's and denom_finish's outputs, Find's index
	part    mem          // block partials
	scratch mem          // per-call scratch (info_nce, histograms)
	extra   mem          // second per-call scratch (histogram records)
}

// occupancy holds the per-multiprocessor limits that decide how many blocks of a kernel can be
// resident at once (see resident).
type occupancy struct {
	smemOptin   int // shared memory per block after opt-in
	smemSM      int // shared memory per multiprocessor
	smemReserve int // shared memory the driver reserves per block
	threadsSM   int
	blocksSM    int
	regsSM      int
}

type fnKey struct {
	f64  bool
	name string
}

// kfn is a loaded kernel with what the launches need to know about it.
type kfn struct {
	fn        cu.Function
	name      string
	maxBlock  int // threads per block it can be launched with
	staticSM  int // its static shared memory
	regs      int // registers per thread
	dynSmemOK int // dynamic shared memory it may use (raised on demand)
}

// mem is a growable device allocation.
type mem struct {
	ptr   cu.DevicePtr
	bytes int64
}

// unavailable turns cu.Init's error into the reason the backend has no device, with what to
// do about it.
func unavailable(err error) error {
	var (
		le *cu.LoadError
		ve *cu.VersionError
	)
	lib := cu.Library()
	switch {
	case errors.Is(err, cu.ErrNoCgo):
		return fmt.Errorf("%w: cuda: this binary was built without cgo (CGO_ENABLED=0); rebuild it with cgo and a C compiler to use NVIDIA GPUs", device.ErrNotBuilt)
	case errors.As(err, &le) && len(le.Missing) == 0:
		return fmt.Errorf("%w: cuda: the NVIDIA driver library %s is not installed (%s); on a machine with an NVIDIA GPU, install its driver (Debian: nvidia-driver, which brings libcuda1)%s",
			device.ErrNoDevice, le.Library, le.Reason, envHint())
	case errors.As(err, &le):
		return fmt.Errorf("%w: cuda: %v; install a current NVIDIA driver", device.ErrNoDevice, err)
	case errors.As(err, &ve):
		return fmt.Errorf("%w: cuda: driver too old: %v", device.ErrNoDevice, err)
	case errors.Is(err, cu.ErrorNoDevice):
		v, _ := cu.DriverVersion()
		return fmt.Errorf("%w: cuda: no NVIDIA GPU: the driver library %s (CUDA %s) is installed but finds no GPU: %v",
			device.ErrNoDevice, lib, cu.VersionString(v), err)
	}
	return fmt.Errorf("%w: cuda: the NVIDIA driver (%s) failed to initialise: %v", device.ErrNoDevice, lib, err)
}

func envHint() string {
	return "; or set " + cu.EnvLibrary + " to the driver library's path"
}

// list returns the GPUs the driver sees, or why there are none.
func list() ([]device.Info, error) {
	if err := cu.Init(); err != nil {
		return nil, unavailable(err)
	}
	n, err := cu.DeviceCount()
	if err != nil {
		return nil, fmt.Errorf("%w: cuda: %w", device.ErrNoDevice, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: cuda: the driver sees no GPU", device.ErrNoDevice)
	}
	out := make([]device.Info, 0, n)
	for i := 0; i < n; i++ {
		d, err := cu.DeviceGet(i)
		if err != nil {
			return nil, fmt.Errorf("%w: cuda:%d: %w", device.ErrDriver, i, err)
		}
		info, _, err := describe(i, d)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// describe reads a device's name, memory, multiprocessors and compute capability.
func describe(i int, d cu.Device) (device.Info, int, error) {
	name := "cuda:" + strconv.Itoa(i)
	model, err := d.Name()
	if err != nil {
		return device.Info{}, 0, fmt.Errorf("%w: %s: %w", device.ErrDriver, name, err)
	}
	total, err := d.TotalMem()
	if err != nil {
		return device.Info{}, 0, fmt.Errorf("%w: %s: %w", device.ErrDriver, name, err)
	}
	attr := func(a cu.DeviceAttribute, what string) (int, error) {
		v, err := d.Attribute(a)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %s: %w", device.ErrDriver, name, what, err)
		}
		return v, nil
	}
	sms, err := attr(cu.AttrMultiprocessorCount, "MULTIPROCESSOR_COUNT")
	if err != nil {
		return device.Info{}, 0, err
	}
	major, err := attr(cu.AttrComputeCapabilityMajor, "COMPUTE_CAPABILITY_MAJOR")
	if err != nil {
		return device.Info{}, 0, err
	}
	minor, err := attr(cu.AttrComputeCapabilityMinor, "COMPUTE_CAPABILITY_MINOR")
	if err != nil {
		return device.Info{}, 0, err
	}
	drv, _ := cu.DriverVersion()
	desc := fmt.Sprintf("%s (sm_%d%d, %d SMs, CUDA driver %s)", model, major, minor, sms, cu.VersionString(drv))
	return device.Info{Name: name, Kind: device.CUDA, Description: desc, MemTotal: total,
		ComputeUnits: sms, FP64: true}, major*10 + minor, nil
}

// open opens "cuda" (selector "") or "cuda:N".
func open(sel string) (device.Device, error) {
	if err := cu.Init(); err != nil {
		return nil, unavailable(err)
	}
	ord := 0
	if sel != "" {
		v, err := strconv.Atoi(sel)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: cuda:%s: want cuda:N with N a GPU index", device.ErrNoDevice, sel)
		}
		ord = v
	}
	n, err := cu.DeviceCount()
	if err != nil {
		return nil, fmt.Errorf("%w: cuda: %w", device.ErrNoDevice, err)
	}
	if ord >= n {
		return nil, fmt.Errorf("%w: cuda:%d: the driver sees %d GPU(s) (gloss devices lists them)", device.ErrNoDevice, ord, n)
	}
	d := &cudaDevice{ordinal: ord, name: "cuda:" + strconv.Itoa(ord), work: make(chan func()),
		done: make(chan struct{}), fns: map[fnKey]*kfn{}}
	go d.loop()
	if err := d.do(d.init); err != nil {
		d.shutdown()
		return nil, err
	}
	return d, nil
}

// loop is the device's goroutine: locked to its OS thread for its whole life, it runs the
// device's work one closure at a time.
func (d *cudaDevice) loop() {
	runtime.LockOSThread()
	defer close(d.done)
	for f := range d.work {
		f()
	}
}

// do runs f on the device's goroutine and returns its error. When f fails it first waits for
// the stream: work f queued before the failure (kernels writing the caller's buffers, copies
// from or to host memory that is unpinned when f returns) is done when do returns, as it is
// after a success. That wait's own error is not reported: a failure that outlives it (a
// sticky context error) is the next call's error.
func (d *cudaDevice) do(f func() error) error {
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		return fmt.Errorf("%w: %s", device.ErrClosed, d.name)
	}
	res := make(chan error, 1)
	d.work <- func() {
		err := f()
		if err != nil && !d.stream.IsZero() {
			_ = d.stream.Synchronize()
		}
		res <- err
	}
	d.mu.RUnlock()
	return <-res
}

// drv wraps a driver error (which names the driver call and the CUDA error) with what the
// device was doing; out-of-memory becomes ErrOutOfMemory, anything else ErrDriver.
func (d *cudaDevice) drv(what string, err error) error {
	if errors.Is(err, cu.ErrorOutOfMemory) {
		return fmt.Errorf("%w: %s: %s: %w", device.ErrOutOfMemory, d.name, what, err)
	}
	return fmt.Errorf("%w: %s: %s: %w", device.ErrDriver, d.name, what, err)
}

// init runs on the device's goroutine: context, stream, modules, scratch.
func (d *cudaDevice) init() error {
	dev, err := cu.DeviceGet(d.ordinal)
	if err != nil {
		return d.drv("getting the device", err)
	}
	d.dev = dev
	info, cc, err := describe(d.ordinal, dev)
	if err != nil {
		return err
	}
	if cc < minCC {
		return fmt.Errorf("%w: %s: %s: compute capability %d.%d; gloss's kernels need sm_70 or newer",
			device.ErrNoDevice, d.name, info.Description, cc/10, cc%10)
	}
	d.info, d.sms = info, info.ComputeUnits
	if d.ctx, err = dev.PrimaryCtxRetain(); err != nil {
		return d.drv("retaining the primary context", err)
	}
	if err := d.ctx.SetCurrent(); err != nil {
		return d.drv("making the context current", err)
	}
	for _, a := range []struct {
		attr cu.DeviceAttribute
		dst  *int
		what string
	}{
		{cu.AttrMaxSharedMemoryPerBlockOptin, &d.occ.smemOptin, "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN"},
		{cu.AttrMaxSharedMemoryPerSM, &d.occ.smemSM, "MAX_SHARED_MEMORY_PER_MULTIPROCESSOR"},
		{cu.AttrReservedSharedMemoryPerBlock, &d.occ.smemReserve, "RESERVED_SHARED_MEMORY_PER_BLOCK"},
		{cu.AttrMaxThreadsPerMultiprocessor, &d.occ.threadsSM, "MAX_THREADS_PER_MULTIPROCESSOR"},
		{cu.AttrMaxBlocksPerSM, &d.occ.blocksSM, "MAX_BLOCKS_PER_MULTIPROCESSOR"},
		{cu.AttrMaxRegistersPerSM, &d.occ.regsSM, "MAX_REGISTERS_PER_MULTIPROCESSOR"},
	} {
		if *a.dst, err = dev.Attribute(a.attr); err != nil {
			return d.drv("reading "+a.what, err)
		}
	}
	if d.stream, err = cu.StreamCreate(cu.StreamNonBlocking); err != nil {
		return d.drv("creating a stream", err)
	}
	for i, get := range [2]func() ([]byte, error){kc.F32, kc.F64} {
		what := [2]string{"float32", "float64"}[i]
		fb, err := get()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", device.ErrDriver, d.name, err)
		}
		m, err := cu.ModuleLoadData(fb)
		if err != nil {
			return d.drv(fmt.Sprintf("loading the %s kernels (%d-byte fatbin)", what, len(fb)), err)
		}
		d.mods[i] = m
		marker := kc.Marker(i == 1)
		if _, err := m.Function(marker); err != nil {
			return d.drv(fmt.Sprintf("the %s module has no marker kernel %s", what, marker), err)
		}
	}
	if d.small, err = cu.MemAlloc(64); err != nil {
		return d.drv("allocating 64 bytes for results", err)
	}
	return d.part.ensure(d, int64(d.sms)*64*4*8)
}

// ensure grows m to at least bytes (its contents are not kept).
func (m *mem) ensure(d *cudaDevice, bytes int64) error {
	if m.bytes >= bytes {
		return nil
	}
	if m.ptr != 0 {
		// The old allocation is gone even when the driver reports a failure: it is not freed again.
		err := cu.MemFree(m.ptr)
		m.ptr, m.bytes = 0, 0
		if err != nil {
			return d.drv("freeing scratch", err)
		}
	}
	p, err := cu.MemAlloc(bytes)
	if err != nil {
		return d.drv(fmt.Sprintf("allocating %d bytes of scratch", bytes), err)
	}
	m.ptr, m.bytes = p, bytes
	return nil
}

// fn returns a kernel of the float32 or float64 module.
func (d *cudaDevice) fn(dt device.DType, name string) (*kfn, error) {
	key := fnKey{dt == device.F64, name}
	if f, ok := d.fns[key]; ok {
		return f, nil
	}
	m := d.mods[0]
	if key.f64 {
		m = d.mods[1]
	}
	f, err := m.Function(name)
	if err != nil {
		return nil, d.drv("looking up kernel "+name, err)
	}
	k := &kfn{fn: f, name: name}
	for _, a := range []struct {
		attr cu.FuncAttribute
		dst  *int
		what string
	}{
		{cu.FuncMaxThreadsPerBlock, &k.maxBlock, "MAX_THREADS_PER_BLOCK"},
		{cu.FuncSharedSizeBytes, &k.staticSM, "SHARED_SIZE_BYTES"},
		{cu.FuncNumRegs, &k.regs, "NUM_REGS"},
	} {
		if *a.dst, err = f.Attribute(a.attr); err != nil {
			return nil, d.drv("reading "+a.what+" of kernel "+name, err)
		}
	}
	k.dynSmemOK = 48 << 10
	d.fns[key] = k
	return k, nil
}

// setDynSmem lets k be launched with up to bytes of dynamic shared memory.
func (d *cudaDevice) setDynSmem(k *kfn, bytes int) error {
	if err := k.fn.SetAttribute(cu.FuncMaxDynamicSharedSizeBytes, bytes); err != nil {
		return d.drv(fmt.Sprintf("raising the dynamic shared memory of %s to %d bytes", k.name, bytes), err)
	}
	k.dynSmemOK = bytes
	return nil
}

func (d *cudaDevice) Info() device.Info {
	info := d.info
	_ = d.do(func() error {
		free, _, err := cu.MemGetInfo()
		if err == nil {
			info.MemFree = free
		}
		return nil
	})
	return info
}

// shutdown releases everything the worker holds (what init got so far) and stops it.
func (d *cudaDevice) shutdown() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	var errs []error
	res := make(chan struct{})
	d.work <- func() {
		defer close(res)
		for _, m := range []*mem{&d.part, &d.scratch, &d.extra} {
			if m.ptr != 0 {
				if err := cu.MemFree(m.ptr); err != nil {
					errs = append(errs, d.drv("freeing scratch", err))
				}
				m.ptr, m.bytes = 0, 0
			}
		}
		if d.small != 0 {
			if err := cu.MemFree(d.small); err != nil {
				errs = append(errs, d.drv("freeing the results", err))
			}
			d.small = 0
		}
		for i := range d.mods {
			if !d.mods[i].IsZero() {
				if err := d.mods[i].Unload(); err != nil {
					errs = append(errs, d.drv("unloading a module", err))
				}
				d.mods[i] = cu.Module{}
			}
		}
		if !d.stream.IsZero() {
			if err := d.stream.Destroy(); err != nil {
				errs = append(errs, d.drv("destroying the stream", err))
			}
			d.stream = cu.Stream{}
		}
		if !d.ctx.IsZero() {
			if err := d.dev.PrimaryCtxRelease(); err != nil {
				errs = append(errs, d.drv("releasing the primary context", err))
			}
			d.ctx = cu.Context{}
		}
	}
	<-res
	d.closed = true
	close(d.work)
	d.mu.Unlock()
	<-d.done
	return errors.Join(errs...)
}

// Close releases the device's memory, modules, stream and its hold on the primary context.
// Buffers must not be used afterwards.
func (d *cudaDevice) Close() error { return d.shutdown() }

// buffer is device memory: an allocation, or a view of one (Slice).
type buffer struct {
	d    *cudaDevice
	ptr  cu.DevicePtr
	dt   device.DType
	n    int
	view bool
}

func (b *buffer) DType() device.DType { return b.dt }
func (b *buffer) Len() int            { return b.n }

// Overlaps reports whether b and o, buffers of one device, share at least one byte: their
// address ranges meet (device.Overlapper).
func (b *buffer) Overlaps(o device.Buffer) bool {
	ob, ok := o.(*buffer)
	if !ok || ob == nil || ob.d != b.d || b.n == 0 || ob.n == 0 {
		return false
	}
	lo1, hi1 := uint64(b.ptr), uint64(b.ptr)+uint64(b.n)*uint64(b.dt.Size())
	lo2, hi2 := uint64(ob.ptr), uint64(ob.ptr)+uint64(ob.n)*uint64(ob.dt.Size())
	return lo1 < hi2 && lo2 < hi1
}

// SameMemory reports whether b and o are the same memory: the same start, dtype and length
// (device.Overlapper).
func (b *buffer) SameMemory(o device.Buffer) bool {
	ob, ok := o.(*buffer)
	return ok && ob != nil && ob.d == b.d && ob.ptr == b.ptr && ob.dt == b.dt && ob.n == b.n
}

// inBounds reports whether n elements at off fit in a buffer of size elements, without
// computing off+n (which can overflow).
func inBounds(off, n, size int) bool {
	return off >= 0 && n >= 0 && off <= size && n <= size-off
}

// buf returns b as a buffer of this device.
func (d *cudaDevice) buf(b device.Buffer, what string) (*buffer, error) {
	cb, ok := b.(*buffer)
	if !ok || cb == nil {
		return nil, fmt.Errorf("%w: %s: %s is %T, not a buffer of this device", device.ErrBuffer, d.name, what, b)
	}
	if cb.d != d {
		return nil, fmt.Errorf("%w: %s: %s belongs to %s", device.ErrBuffer, d.name, what, cb.d.name)
	}
	return cb, nil
}

func (d *cudaDevice) Alloc(dt device.DType, n int) (device.Buffer, error) {
	if n < 0 || dt.Size() == 0 {
		return nil, fmt.Errorf("%w: %s: alloc of %d elements of %v", device.ErrBuffer, d.name, n, dt)
	}
	b := &buffer{d: d, dt: dt, n: n}
	if n == 0 {
		return b, nil
	}
	bytes := int64(n) * int64(dt.Size())
	err := d.do(func() error {
		p, err := cu.MemAlloc(bytes)
		if err != nil {
			return d.drv(fmt.Sprintf("allocating %d elements of %v (%d bytes)", n, dt, bytes), err)
		}
		b.ptr = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (d *cudaDevice) Free(b device.Buffer) error {
	if b == nil {
		return nil
	}
	cb, err := d.buf(b, "buffer to free")
	if err != nil {
		return err
	}
	if cb.view {
		return nil
	}
	return d.do(func() error {
		if cb.ptr == 0 {
			return nil
		}
		// The allocation is gone even when the driver reports a failure: it is not freed again.
		err := cu.MemFree(cb.ptr)
		cb.ptr = 0
		if err != nil {
			return d.drv("freeing a buffer", err)
		}
		return nil
	})
}

// hostPtr returns the address and byte length of a []float32, []float64 or []int32 and its
// dtype.
func hostPtr(s any) (unsafe.Pointer, int, device.DType, error) {
	switch s := s.(type) {
	case []float32:
		if len(s) == 0 {
			return nil, 0, device.F32, nil
		}
		return unsafe.Pointer(&s[0]), len(s), device.F32, nil
	case []float64:
		if len(s) == 0 {
			return nil, 0, device.F64, nil
		}
		return unsafe.Pointer(&s[0]), len(s), device.F64, nil
	case []int32:
		if len(s) == 0 {
			return nil, 0, device.I32, nil
		}
		return unsafe.Pointer(&s[0]), len(s), device.I32, nil
	}
	return nil, 0, 0, fmt.Errorf("%w: %T is not a []float32, []float64 or []int32", device.ErrBuffer, s)
}

// span checks a host slice against a buffer region and returns the device address.
func (d *cudaDevice) span(b device.Buffer, off int, h any, what string) (*buffer, unsafe.Pointer, int64, cu.DevicePtr, error) {
	cb, err := d.buf(b, what)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	p, n, dt, err := hostPtr(h)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if dt != cb.dt {
		return nil, nil, 0, 0, fmt.Errorf("%w: %s: %s: host %v and buffer %v", device.ErrBuffer, d.name, what, dt, cb.dt)
	}
	if !inBounds(off, n, cb.n) {
		return nil, nil, 0, 0, fmt.Errorf("%w: %s: %s: %d elements at offset %d of a buffer of %d", device.ErrBuffer, d.name, what, n, off, cb.n)
	}
	size := int64(dt.Size())
	return cb, p, int64(n) * size, cb.ptr + cu.DevicePtr(int64(off)*size), nil
}

func (d *cudaDevice) Write(dst device.Buffer, off int, src any) error {
	_, p, bytes, at, err := d.span(dst, off, src, "write")
	if err != nil || bytes == 0 {
		return err
	}
	return d.do(func() error {
		var pin runtime.Pinner // the driver may read the host memory until the stream is done
		pin.Pin(p)
		defer pin.Unpin()
		if err := cu.MemcpyHtoDAsync(at, p, bytes, d.stream); err != nil {
			return d.drv(fmt.Sprintf("copying %d bytes to the device", bytes), err)
		}
		return d.sync("the copy to the device")
	})
}

func (d *cudaDevice) Read(dst any, src device.Buffer, off int) error {
	_, p, bytes, at, err := d.span(src, off, dst, "read")
	if err != nil || bytes == 0 {
		return err
	}
	return d.do(func() error {
		var pin runtime.Pinner // the driver writes the host memory until the stream is done
		pin.Pin(p)
		defer pin.Unpin()
		if err := cu.MemcpyDtoHAsync(p, at, bytes, d.stream); err != nil {
			return d.drv(fmt.Sprintf("copying %d bytes from the device", bytes), err)
		}
		return d.sync("the copy from the device")
	})
}

func (d *cudaDevice) Copy(dst, src device.Buffer) error {
	db, err := d.buf(dst, "copy destination")
	if err != nil {
		return err
	}
	sb, err := d.buf(src, "copy source")
	if err != nil {
		return err
	}
	if db.dt != sb.dt || db.n != sb.n {
		return fmt.Errorf("%w: %s: copy of %d %v into %d %v", device.ErrBuffer, d.name, sb.n, sb.dt, db.n, db.dt)
	}
	if db.n == 0 {
		return nil
	}
	bytes := int64(db.n) * int64(db.dt.Size())
	return d.do(func() error {
		if err := cu.MemcpyDtoDAsync(db.ptr, sb.ptr, bytes, d.stream); err != nil {
			return d.drv(fmt.Sprintf("copying %d bytes on the device", bytes), err)
		}
		return d.sync("the copy on the device")
	})
}

// Slice returns a view of n elements at element off; any offset is allowed (kernels use
// 16-byte vector access only where every pointer of a call is aligned).
func (d *cudaDevice) Slice(b device.Buffer, off, n int) (device.Buffer, error) {
	cb, err := d.buf(b, "buffer to slice")
	if err != nil {
		return nil, err
	}
	if !inBounds(off, n, cb.n) {
		return nil, fmt.Errorf("%w: %s: slice of %d elements at %d of a buffer of %d", device.ErrBuffer, d.name, n, off, cb.n)
	}
	return &buffer{d: d, ptr: cb.ptr + cu.DevicePtr(int64(off)*int64(cb.dt.Size())), dt: cb.dt, n: n, view: true}, nil
}

// Supports reports whether the device has kernels for a loss stem, or a check, in dtype dt.
func (d *cudaDevice) Supports(kernel string, dt device.DType) bool {
	switch kernel {
	case "check_labels":
		return dt == device.I32
	case "check_values":
		return dt == device.F32 || dt == device.F64
	}
	_, ok := kc.Kernels[kernel]
	return ok && (dt == device.F32 || dt == device.F64)
}

// sync waits for the stream; after launches, a kernel's failure surfaces here.
func (d *cudaDevice) sync(after string) error {
	if err := d.stream.Synchronize(); err != nil {
		return d.drv("waiting for "+after, err)
	}
	return nil
}

// readSmall copies n doubles of d.small back to the host (and waits for the stream).
func (d *cudaDevice) readSmall(n int, after string) ([]float64, error) {
	out := make([]float64, n)
	var pin runtime.Pinner
	pin.Pin(&out[0])
	defer pin.Unpin()
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&out[0]), d.small, int64(8*n), d.stream); err != nil {
		return nil, d.drv("copying the results back", err)
	}
	if err := d.sync(after); err != nil {
		return nil, err
	}
	return out, nil
}

// f64bits is how a double kernel parameter travels.
func f64bits(v float64) uint64 { return math.Float64bits(v) }
