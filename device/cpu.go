package device

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gloss-ml/gloss/cpuref"
	"github.com/gloss-ml/gloss/device/host"
)

func init() {
	for _, d := range []*cpuDevice{cpu0, cpuRef} {
		Register(d.name, func(sel string) (Device, error) {
			if sel != "" && sel != "0" {
				return nil, fmt.Errorf("%w: %s has one device, not %q", ErrNoDevice, d.name, sel)
			}
			return d, nil
		}, func() ([]Info, error) { return []Info{d.Info()}, nil })
	}
}

var (
	cpu0   = &cpuDevice{name: "cpu"}
	cpuRef = &cpuDevice{name: "cpuref", ref: true}
)

// CPU0 returns the cpu device: the host engine (package device/host) on every core, float32
// computed in float32 with float64 sums, over fixed chunks so that its results are
// bit-identical for any GOMAXPROCS. A kernel the engine lacks runs on cpuref. It needs no Close.
func CPU0() Device { return cpu0 }

// CPURef returns the cpuref device: package cpuref (float64 arithmetic, the judge of every
// device) run over the same fixed chunks on every core. It shares the cpu device's buffers
// (Wrap, HostSlice) and needs no Close. Open("cpuref") returns it too.
func CPURef() Device { return cpuRef }

// cpuDevice is the cpu device or, with ref set, the cpuref device.
type cpuDevice struct {
	name string
	ref  bool
	desc atomic.Pointer[cpuDesc]
}

// hostBuffer is a cpu buffer: a Go slice.
type hostBuffer struct {
	dt  DType
	f32 []float32
	f64 []float64
	i32 []int32
}

func (b *hostBuffer) DType() DType {
	if b == nil {
		return 0
	}
	return b.dt
}

func (b *hostBuffer) Len() int {
	if b == nil {
		return 0
	}
	switch b.dt {
	case F32:
		return len(b.f32)
	case F64:
		return len(b.f64)
	}
	return len(b.i32)
}

// Wrap makes a cpu device buffer that shares memory with s (no copy): results the cpu device
// writes into it land in s.
func Wrap[T float32 | float64 | int32](s []T) Buffer {
	switch s := any(s).(type) {
	case []float32:
		return &hostBuffer{dt: F32, f32: s}
	case []float64:
		return &hostBuffer{dt: F64, f64: s}
	case []int32:
		return &hostBuffer{dt: I32, i32: s}
	}
	panic("unreachable")
}

// span returns the buffer's memory as [start, end) addresses; empty for an empty buffer.
func (b *hostBuffer) span() (start, end uintptr) {
	if b == nil {
		return 0, 0
	}
	var p unsafe.Pointer
	switch b.dt {
	case F32:
		p = unsafe.Pointer(unsafe.SliceData(b.f32))
	case F64:
		p = unsafe.Pointer(unsafe.SliceData(b.f64))
	case I32:
		p = unsafe.Pointer(unsafe.SliceData(b.i32))
	}
	n := uintptr(b.Len()) * uintptr(b.dt.Size())
	return uintptr(p), uintptr(p) + n
}

// Overlaps reports whether the two cpu buffers share memory (their Go slices' ranges meet).
func (b *hostBuffer) Overlaps(o Buffer) bool {
	ob, ok := o.(*hostBuffer)
	if !ok || ob == nil || b == nil {
		return false
	}
	s0, e0 := b.span()
	s1, e1 := ob.span()
	return s0 < e0 && s1 < e1 && s0 < e1 && s1 < e0
}

// SameMemory reports whether the two cpu buffers are the same memory: start, dtype and length.
func (b *hostBuffer) SameMemory(o Buffer) bool {
	ob, ok := o.(*hostBuffer)
	if !ok || ob == nil || b == nil {
		return false
	}
	s0, e0 := b.span()
	s1, e1 := ob.span()
	return b.dt == ob.dt && s0 == s1 && e0 == e1
}

// HostSlice returns the Go slice behind a cpu buffer ([]float32, []float64 or []int32), or
// nil if b is not a cpu buffer.
func HostSlice(b Buffer) any {
	hb, ok := b.(*hostBuffer)
	if !ok || hb == nil {
		return nil
	}
	switch hb.dt {
	case F32:
		return hb.f32
	case F64:
		return hb.f64
	}
	return hb.i32
}

func (d *cpuDevice) Info() Info {
	total, free := hostMemory()
	return Info{
		Name:         d.name,
		Kind:         CPU,
		Description:  d.description(),
		MemTotal:     total,
		MemFree:      free,
		ComputeUnits: runtime.GOMAXPROCS(0),
		FP64:         true,
	}
}

// description is Info's Description, formed again only when GOMAXPROCS changes (package loss
// asks for Info on every call).
func (d *cpuDevice) description() string {
	procs := runtime.GOMAXPROCS(0)
	if p := d.desc.Load(); p != nil && p.procs == procs {
		return p.text
	}
	what := "host engine"
	if d.ref {
		what = "cpuref, float64 reference"
	}
	p := &cpuDesc{procs: procs, text: fmt.Sprintf("%s, %s/%s, %d threads (GOMAXPROCS)", what, runtime.GOOS, runtime.GOARCH, procs)}
	d.desc.Store(p)
	return p.text
}

type cpuDesc struct {
	procs int
	text  string
}

// memCache keeps the last /proc/meminfo reading for a short while: Info is called on every
// loss evaluation (for the device's name and kind), and reading the file costs more than a
// loss over 64K elements.
var memCache struct {
	sync.Mutex
	at          time.Time
	total, free int64
}

// hostMemory returns MemTotal and MemAvailable from /proc/meminfo, read at most every 100 ms
// (0, 0 where there is none).
func hostMemory() (total, free int64) {
	memCache.Lock()
	defer memCache.Unlock()
	if now := time.Now(); memCache.at.IsZero() || now.Sub(memCache.at) > 100*time.Millisecond {
		memCache.total, memCache.free = readMeminfo()
		memCache.at = now
	}
	return memCache.total, memCache.free
}

// readMeminfo reads MemTotal and MemAvailable from /proc/meminfo (0, 0 where there is none).
func readMeminfo() (total, free int64) {
	m := meminfo()
	return m["MemTotal:"], m["MemAvailable:"]
}

// meminfo returns /proc/meminfo's fields in bytes, keyed by their names with the colon
// ("MemAvailable:"); empty where there is no such file.
func meminfo() map[string]int64 {
	m := map[string]int64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		if v, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
			m[fields[0]] = v * 1024
		}
	}
	return m
}

// maxHostAlloc is the largest cpu allocation tried, in bytes: more than any host has, and
// below the Go runtime's own limit (beyond which make panics).
const maxHostAlloc = 1 << 46

// checkAllocSize reports ErrOutOfMemory for n elements of size bytes each that cannot be
// allocated: a size that overflows, exceeds maxHostAlloc or, from 1 GiB on, the host's
// available memory (MemAvailable plus free swap, where /proc/meminfo says). Go cannot recover
// from a failed allocation, so the request is refused before make is called.
func checkAllocSize(n, size int) error {
	bytes, ok := MulInt(n, size)
	if !ok || bytes > maxHostAlloc {
		return fmt.Errorf("%w: cpu: alloc of %d elements of %d bytes: more than the %d bytes a host can hold", ErrOutOfMemory, n, size, maxHostAlloc)
	}
	if bytes >= 1<<30 {
		if avail := hostAvailable(); avail > 0 && int64(bytes) > avail {
			return fmt.Errorf("%w: cpu: alloc of %d elements (%.3g GB) exceeds the host's available memory (%.3g GB)", ErrOutOfMemory, n, float64(bytes)/1e9, float64(avail)/1e9)
		}
	}
	return nil
}

// hostAvailable is MemAvailable plus SwapFree from /proc/meminfo, in bytes (0 where unknown).
func hostAvailable() int64 {
	m := meminfo()
	if m["MemAvailable:"] == 0 {
		return 0
	}
	return m["MemAvailable:"] + m["SwapFree:"]
}

// Alloc returns a zeroed buffer of n elements. A negative n or an unknown dtype is ErrBuffer;
// a size the host cannot hold is ErrOutOfMemory (see checkAllocSize), never a panic.
func (d *cpuDevice) Alloc(dt DType, n int) (Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: cpu: alloc of %d elements", ErrBuffer, n)
	}
	if dt.Size() == 0 {
		return nil, fmt.Errorf("%w: cpu: alloc of dtype %v", ErrBuffer, dt)
	}
	if err := checkAllocSize(n, dt.Size()); err != nil {
		return nil, err
	}
	switch dt {
	case F32:
		return &hostBuffer{dt: F32, f32: make([]float32, n)}, nil
	case F64:
		return &hostBuffer{dt: F64, f64: make([]float64, n)}, nil
	case I32:
		return &hostBuffer{dt: I32, i32: make([]int32, n)}, nil
	}
	return nil, fmt.Errorf("%w: cpu: alloc of dtype %v", ErrBuffer, dt)
}

func (d *cpuDevice) Free(Buffer) error { return nil }

func (d *cpuDevice) host(b Buffer) (*hostBuffer, error) {
	hb, ok := b.(*hostBuffer)
	if !ok || hb == nil {
		return nil, fmt.Errorf("%w: %T is not a cpu buffer", ErrBuffer, b)
	}
	return hb, nil
}

func (d *cpuDevice) Write(dst Buffer, off int, src any) error {
	hb, err := d.host(dst)
	if err != nil {
		return err
	}
	return copyChecked(HostSlice(hb), off, src, true)
}

func (d *cpuDevice) Read(dst any, src Buffer, off int) error {
	hb, err := d.host(src)
	if err != nil {
		return err
	}
	return copyChecked(HostSlice(hb), off, dst, false)
}

// copyChecked copies between a buffer's slice buf (at element off) and a host slice h, in
// the direction toBuf says, after checking dtypes and bounds.
func copyChecked(buf any, off int, h any, toBuf bool) error {
	n, err := HostLen(h)
	if err != nil {
		return err
	}
	var blen int
	switch b := buf.(type) {
	case []float32:
		blen = len(b)
	case []float64:
		blen = len(b)
	case []int32:
		blen = len(b)
	}
	if off < 0 || off > blen || n > blen-off { // no off+n: it may overflow
		return fmt.Errorf("%w: %d elements at offset %d of a buffer of %d", ErrBuffer, n, off, blen)
	}
	switch b := buf.(type) {
	case []float32:
		if s, ok := h.([]float32); ok {
			return copyDir(b[off:off+n], s, toBuf)
		}
	case []float64:
		if s, ok := h.([]float64); ok {
			return copyDir(b[off:off+n], s, toBuf)
		}
	case []int32:
		if s, ok := h.([]int32); ok {
			return copyDir(b[off:off+n], s, toBuf)
		}
	}
	return fmt.Errorf("%w: host slice %T does not match buffer of %T", ErrBuffer, h, buf)
}

func copyDir[T any](b, h []T, toBuf bool) error {
	if toBuf {
		copy(b, h)
	} else {
		copy(h, b)
	}
	return nil
}

// HostLen returns the length of a []float32, []float64 or []int32.
func HostLen(s any) (int, error) {
	switch s := s.(type) {
	case []float32:
		return len(s), nil
	case []float64:
		return len(s), nil
	case []int32:
		return len(s), nil
	}
	return 0, fmt.Errorf("%w: %T is not a []float32, []float64 or []int32", ErrBuffer, s)
}

func (d *cpuDevice) Copy(dst, src Buffer) error {
	db, err := d.host(dst)
	if err != nil {
		return err
	}
	sb, err := d.host(src)
	if err != nil {
		return err
	}
	if db.dt != sb.dt || db.Len() != sb.Len() {
		return fmt.Errorf("%w: copy of %d %v into %d %v", ErrBuffer, sb.Len(), sb.dt, db.Len(), db.dt)
	}
	if db.SameMemory(sb) {
		return nil
	}
	if db.Overlaps(sb) {
		return fmt.Errorf("%w: copy between overlapping views of one buffer", ErrBuffer)
	}
	parCopy(db.f32, sb.f32)
	parCopy(db.f64, sb.f64)
	parCopy(db.i32, sb.i32)
	return nil
}

// parCopy copies src into dst on GOMAXPROCS goroutines: a device-to-device copy that uses the
// whole host, so that it measures the memory bandwidth the cpu device's kernels can reach.
func parCopy[T any](dst, src []T) {
	const minPart = 1 << 16
	parts := min(runtime.GOMAXPROCS(0), max(1, len(src)/minPart))
	if parts <= 1 {
		copy(dst, src)
		return
	}
	var wg sync.WaitGroup
	step := (len(src) + parts - 1) / parts
	for lo := 0; lo < len(src); lo += step {
		hi := min(lo+step, len(src))
		wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
	}
	wg.Wait()
}

func (d *cpuDevice) Slice(b Buffer, off, n int) (Buffer, error) {
	hb, err := d.host(b)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off > hb.Len() || n > hb.Len()-off { // no off+n: it may overflow
		return nil, fmt.Errorf("%w: slice of %d elements at offset %d of a buffer of %d", ErrBuffer, n, off, hb.Len())
	}
	v := &hostBuffer{dt: hb.dt}
	switch hb.dt {
	case F32:
		v.f32 = hb.f32[off : off+n : off+n]
	case F64:
		v.f64 = hb.f64[off : off+n : off+n]
	default:
		v.i32 = hb.i32[off : off+n : off+n]
	}
	return v, nil
}

func (d *cpuDevice) Supports(kernel string, dt DType) bool {
	if dt != F32 && dt != F64 {
		return false
	}
	if kernel == "check_labels" || kernel == "check_values" {
		return true
	}
	_, ok := cpuref.Lookup(kernel)
	return ok
}

func (d *cpuDevice) Close() error { return nil }

// Par is the cpu device's cpuref.Par: chunks are handed to GOMAXPROCS goroutines and their
// sums added in chunk order, so the result equals cpuref.Serial's bit for bit.
func Par(n, chunk, nsums int, body func(lo, hi int, sums []float64)) []float64 {
	return host.Par(n, chunk, nsums, body)
}

func (d *cpuDevice) Run(c *Call) (Sums, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: cpu: nil call", ErrBuffer)
	}
	if hk, ok := host.Lookup(c.Kernel); ok && !d.ref {
		return runHost(hk, c)
	}
	k, ok := cpuref.Lookup(c.Kernel)
	if !ok {
		return nil, fmt.Errorf("%w: cpu has no kernel %q", ErrUnsupported, c.Kernel)
	}
	switch c.DType {
	case F32:
		a, err := HostArgs[float32](c)
		if err != nil {
			return nil, err
		}
		return k.Run32(a, Par), nil
	case F64:
		a, err := HostArgs[float64](c)
		if err != nil {
			return nil, err
		}
		return k.Run64(a, Par), nil
	}
	return nil, fmt.Errorf("%w: cpu: call %q with dtype %v", ErrBuffer, c.Kernel, c.DType)
}

// runHost runs a call on the host engine.
func runHost(k *host.Kernel, c *Call) (Sums, error) {
	switch c.DType {
	case F32:
		a, err := engineArgs[float32](c)
		if err != nil {
			return nil, err
		}
		return k.Run32(a), nil
	case F64:
		a, err := engineArgs[float64](c)
		if err != nil {
			return nil, err
		}
		return k.Run64(a), nil
	}
	return nil, fmt.Errorf("%w: cpu: call %q with dtype %v", ErrBuffer, c.Kernel, c.DType)
}

// engineArgs converts a Call on cpu buffers into host.Args, computing the Mean's gradient
// scale (ScaleByDenom) first.
func engineArgs[T float32 | float64](c *Call) (*host.Args[T], error) {
	r, err := callArgs[T](c)
	if err != nil {
		return nil, err
	}
	a := &host.Args[T]{
		N: r.N, C: r.C, X: r.X, Y: r.Y, Z: r.Z, Labels: r.Labels, Weight: r.Weight, ClassWeight: r.ClassWeight,
		P: r.P, Ignore: r.Ignore, Scale: c.Scale, Bins: r.Bins,
		PerSample: r.PerSample, GX: r.GX, GY: r.GY, GZ: r.GZ, Hess: r.Hess,
	}
	if c.ScaleByDenom && c.WantGrad() {
		a.Scale = host.MeanScale(c.Scale, host.DenomSum(a, host.Denom(c.Denom), c.Family == Elementwise))
	}
	return a, nil
}

// HostArgs converts a Call on cpu buffers into cpuref.Args, computing the Mean's gradient
// scale (ScaleByDenom) with the parallel Par.
func HostArgs[T float32 | float64](c *Call) (*cpuref.Args[T], error) {
	a, err := callArgs[T](c)
	if err != nil {
		return nil, err
	}
	if c.ScaleByDenom && c.WantGrad() {
		a.Scale = cpuref.MeanScale(c.Scale, cpuref.DenomSum(a, cpuref.Denom(c.Denom), cpuref.Family(c.Family), Par))
	}
	return a, nil
}

// callArgs converts a Call on cpu buffers into cpuref.Args with the call's own Scale.
func callArgs[T float32 | float64](c *Call) (*cpuref.Args[T], error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if err := checkHostLabels(c); err != nil {
		return nil, err
	}
	if err := checkHostSums(c); err != nil {
		return nil, err
	}
	var err error
	f := func(b Buffer, name string) []T {
		if b == nil || err != nil {
			return nil
		}
		s, ok := HostSlice(b).([]T)
		if !ok {
			err = fmt.Errorf("%w: %s of call %q is %T, want a cpu buffer of %T", ErrBuffer, name, c.Kernel, b, s)
		}
		return s
	}
	a := &cpuref.Args[T]{
		N: c.N, C: c.C, P: c.P, Ignore: c.Ignore, Scale: c.Scale, Bins: c.Bins,
		X: f(c.X, "X"), Y: f(c.Y, "Y"), Z: f(c.Z, "Z"),
		Weight: f(c.Weight, "Weight"), ClassWeight: f(c.ClassWeight, "ClassWeight"),
		PerSample: f(c.PerSample, "PerSample"),
		GX:        f(c.GX, "GradX"), GY: f(c.GY, "GradY"), GZ: f(c.GZ, "GradZ"), Hess: f(c.Hess, "Hess"),
	}
	if c.Labels != nil {
		l, ok := HostSlice(c.Labels).([]int32)
		if !ok {
			return nil, fmt.Errorf("%w: Labels of call %q is not a cpu int32 buffer", ErrBuffer, c.Kernel)
		}
		a.Labels = l
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Find returns the first of the first c.N elements of c.Buf that fails the check, or -1.
// A nil check, a buffer that is not a cpu buffer, c.N outside [0, Len], a label check of a
// float buffer, a value check of an int32 buffer and an unknown kind are ErrBuffer.
func (d *cpuDevice) Find(c *Check) (int, error) {
	if c == nil {
		return 0, fmt.Errorf("%w: cpu: nil check", ErrBuffer)
	}
	s := HostSlice(c.Buf)
	if s == nil {
		return 0, fmt.Errorf("%w: check of %T, not a cpu buffer", ErrBuffer, c.Buf)
	}
	if n := c.Buf.Len(); c.N < 0 || c.N > n {
		return 0, fmt.Errorf("%w: cpu: check of %d elements of a buffer of %d", ErrBuffer, c.N, n)
	}
	_, isLabels := s.([]int32)
	switch {
	case c.Kind < CheckLabels || c.Kind > CheckBinary:
		return 0, fmt.Errorf("%w: cpu: unknown check kind %d", ErrBuffer, c.Kind)
	case (c.Kind == CheckLabels) != isLabels:
		return 0, fmt.Errorf("%w: cpu: %s check of a %v buffer", ErrBuffer, c.Kind.Name(), c.Buf.DType())
	}
	switch s := s.(type) {
	case []int32:
		return host.FindLabels(s[:c.N], c.Lo, c.Hi, c.Ignore), nil
	case []float32:
		return host.Find32(s[:c.N], host.CheckKind(c.Kind), c.Lo, c.Hi), nil
	case []float64:
		return host.Find64(s[:c.N], host.CheckKind(c.Kind), c.Lo, c.Hi), nil
	}
	return -1, nil
}

// checkHostLabels refuses a call whose labels the kernel would index out of range: a label
// outside the kernel's range that is not an honoured ignore index (see LabelRange). Package
// loss has checked them already; this keeps a Call built by hand from panicking.
func checkHostLabels(c *Call) error {
	hi, ignore, ok := LabelRange(c.Kernel, c.C)
	if !ok || c.Labels == nil {
		return nil
	}
	l, isHost := HostSlice(c.Labels).([]int32)
	if !isHost {
		return fmt.Errorf("%w: Labels of call %q is not a cpu int32 buffer", ErrBuffer, c.Kernel)
	}
	for i, y := range l {
		if (int64(y) < 0 || int64(y) >= hi) && !(ignore && int64(y) == c.Ignore) {
			return fmt.Errorf("%w: cpu: %s: Labels[%d] = %d is outside [0, %d)", ErrBuffer, c.Kernel, i, y, hi)
		}
	}
	return nil
}

// checkHostSums refuses a metric whose per-chunk sums the host cannot hold: Par keeps 3·Bins
// sums for each chunk of rows until it adds them in order, which for many bins over many
// chunks (calibration with 10⁶ bins) is more than the data itself.
func checkHostSums(c *Call) error {
	bins := 0
	switch c.Kernel {
	case "macro_f1":
		bins = c.C
	case "calibration":
		bins = int(c.P[0])
	default:
		return nil
	}
	chunk := host.RowChunk(c.C)
	nchunks := (c.N+chunk-1)/chunk + 1
	sums, ok := MulInt(nchunks, 3*bins)
	if !ok {
		return fmt.Errorf("%w: cpu: %s: %d chunks of 3×%d sums", ErrOutOfMemory, c.Kernel, nchunks, bins)
	}
	if err := checkAllocSize(sums, 8); err != nil {
		return fmt.Errorf("%s: %d chunks of 3×%d sums: %w", c.Kernel, nchunks, bins, err)
	}
	return nil
}
