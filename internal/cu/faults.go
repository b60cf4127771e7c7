package cu

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"unsafe"
)

// Faults is a test hook: a layer between the binding and the driver library that counts the
// calls into the driver, keeps what the driver holds for the binding (primary-context retains,
// modules, allocations, streams, and host memory handed to asynchronous copies that no
// synchronisation has waited for yet), so that a test can require that nothing leaked, and
// makes one chosen call fail with a chosen CUresult.
//
// It exists only while a test has installed it (InstallFaults): the binding then calls the
// driver through it instead of directly. Otherwise nothing of it runs, so it costs nothing,
// and nothing outside this module can reach it (the package is internal).
//
// A chosen call fails without reaching the driver, except the calls that end an object's life
// or wait for work (cuDevicePrimaryCtxRelease_v2, cuModuleUnload, cuMemFree_v2,
// cuStreamDestroy_v2, cuStreamSynchronize, cuCtxSynchronize): those reach the driver and then
// return the code, because a caller can neither retry a release nor assume that a failed wait
// did not wait. Every call is counted except loading the library and cuGetErrorName and
// cuGetErrorString (which only describe an error).
type Faults struct {
	inner driver

	mu       sync.Mutex
	calls    int      // calls since InstallFaults
	failAt   int      // the call that fails (a value of calls), 0 when none is armed
	code     Result   // its result
	fired    string   // the call that failed, "" when none has
	trace    []string // call names, when tracing
	tracing  bool     // whether calls are recorded in trace
	retains  map[int32]int
	modules  map[unsafe.Pointer]string
	allocs   map[uint64]string
	streams  map[unsafe.Pointer]string
	copies   map[unsafe.Pointer]int // host copies queued on each stream and not waited for
	problems []string
}

// Live counts what the driver holds for the binding.
type Live struct {
	Contexts    int // primary-context retains not released
	Modules     int
	Allocations int
	Streams     int
	HostCopies  int // asynchronous copies from or to host memory not yet waited for
}

func (l Live) String() string {
	return fmt.Sprintf("%d context retains, %d modules, %d allocations, %d streams, %d host copies not waited for",
		l.Contexts, l.Modules, l.Allocations, l.Streams, l.HostCopies)
}

var faultsMu sync.Mutex

// InstallFaults puts a Faults layer between the binding and the driver and returns it. It
// fails when the binding cannot load a driver (no cgo) or a layer is installed already. It
// must be called, and the layer removed, while no other goroutine calls the binding.
func InstallFaults() (*Faults, error) {
	faultsMu.Lock()
	defer faultsMu.Unlock()
	if impl == nil {
		return nil, ErrNoCgo
	}
	if _, ok := impl.(*Faults); ok {
		return nil, errors.New("cu: a fault layer is installed already")
	}
	f := &Faults{inner: impl, retains: map[int32]int{}, modules: map[unsafe.Pointer]string{},
		allocs: map[uint64]string{}, streams: map[unsafe.Pointer]string{}, copies: map[unsafe.Pointer]int{}}
	impl = f
	return f, nil
}

// Remove takes the layer out: the binding calls the driver directly again.
func (f *Faults) Remove() {
	faultsMu.Lock()
	defer faultsMu.Unlock()
	if impl == f {
		impl = f.inner
	}
}

// FailAt arms the layer: the nth call from now (1: the next) returns code. A call that fired
// disarms it.
func (f *Faults) FailAt(n int, code Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.code, f.fired = f.calls+n, code, ""
}

// Disarm cancels a FailAt that has not fired and returns the call that failed since the last
// FailAt ("" when none did).
func (f *Faults) Disarm() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt = 0
	return f.fired
}

// Calls returns the number of calls made through the layer.
func (f *Faults) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Trace starts recording the names of the calls, or stops and returns what was recorded.
func (f *Faults) Trace(on bool) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.trace
	f.tracing, f.trace = on, nil
	return out
}

// Live counts what the driver holds for the binding.
func (f *Faults) Live() Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := Live{Modules: len(f.modules), Allocations: len(f.allocs), Streams: len(f.streams)}
	for _, n := range f.retains {
		l.Contexts += n
	}
	for _, n := range f.copies {
		l.HostCopies += n
	}
	return l
}

// LiveObjects describes every live module, allocation and stream by the call that created it,
// sorted.
func (f *Faults) LiveObjects() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, w := range f.modules {
		out = append(out, "module: "+w)
	}
	for _, w := range f.allocs {
		out = append(out, "allocation: "+w)
	}
	for _, w := range f.streams {
		out = append(out, "stream: "+w)
	}
	sort.Strings(out)
	return out
}

// Problems returns, and forgets, the misuses the layer saw: releases of what it did not see
// created or saw released already.
func (f *Faults) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.problems
	f.problems = nil
	return out
}

// enter counts a call and reports whether it must fail, and with which code.
func (f *Faults) enter(call string) (Result, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.tracing {
		f.trace = append(f.trace, call)
	}
	if f.failAt != 0 && f.calls == f.failAt {
		f.failAt, f.fired = 0, call
		return f.code, true
	}
	return Success, false
}

// problem records a misuse; f.mu is held.
func (f *Faults) problem(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf("at call %d: ", f.calls)+fmt.Sprintf(format, args...))
}

// finally is a call that ends an object's life or waits: it reaches the driver even when it is
// the call that fails, then after runs (under the lock).
func (f *Faults) finally(call string, do func() Result, after func()) Result {
	code, fail := f.enter(call)
	r := do()
	f.mu.Lock()
	after()
	f.mu.Unlock()
	if fail {
		return code
	}
	return r
}

func (f *Faults) open(path string) error              { return f.inner.open(path) }
func (f *Faults) probe(path string) error             { return f.inner.probe(path) }
func (f *Faults) errorName(r Result) (string, bool)   { return f.inner.errorName(r) }
func (f *Faults) errorString(r Result) (string, bool) { return f.inner.errorString(r) }

func (f *Faults) init(flags uint32) Result {
	if code, fail := f.enter("cuInit"); fail {
		return code
	}
	return f.inner.init(flags)
}

func (f *Faults) driverGetVersion(v *int32) Result {
	if code, fail := f.enter("cuDriverGetVersion"); fail {
		return code
	}
	return f.inner.driverGetVersion(v)
}

func (f *Faults) deviceGetCount(n *int32) Result {
	if code, fail := f.enter("cuDeviceGetCount"); fail {
		return code
	}
	return f.inner.deviceGetCount(n)
}

func (f *Faults) deviceGet(d *int32, ordinal int32) Result {
	if code, fail := f.enter("cuDeviceGet"); fail {
		return code
	}
	return f.inner.deviceGet(d, ordinal)
}

func (f *Faults) deviceGetName(buf []byte, d int32) Result {
	if code, fail := f.enter("cuDeviceGetName"); fail {
		return code
	}
	return f.inner.deviceGetName(buf, d)
}

func (f *Faults) deviceTotalMem(bytes *uint64, d int32) Result {
	if code, fail := f.enter("cuDeviceTotalMem_v2"); fail {
		return code
	}
	return f.inner.deviceTotalMem(bytes, d)
}

func (f *Faults) deviceGetAttribute(v *int32, attr int32, d int32) Result {
	if code, fail := f.enter("cuDeviceGetAttribute"); fail {
		return code
	}
	return f.inner.deviceGetAttribute(v, attr, d)
}

func (f *Faults) primaryCtxRetain(ctx *unsafe.Pointer, d int32) Result {
	if code, fail := f.enter("cuDevicePrimaryCtxRetain"); fail {
		return code
	}
	r := f.inner.primaryCtxRetain(ctx, d)
	if r == Success {
		f.mu.Lock()
		f.retains[d]++
		f.mu.Unlock()
	}
	return r
}

func (f *Faults) primaryCtxRelease(d int32) Result {
	return f.finally("cuDevicePrimaryCtxRelease_v2", func() Result { return f.inner.primaryCtxRelease(d) }, func() {
		if f.retains[d] == 0 {
			f.problem("cuDevicePrimaryCtxRelease_v2(%d) without a retain", d)
			return
		}
		f.retains[d]--
	})
}

func (f *Faults) ctxSetCurrent(ctx unsafe.Pointer) Result {
	if code, fail := f.enter("cuCtxSetCurrent"); fail {
		return code
	}
	return f.inner.ctxSetCurrent(ctx)
}

func (f *Faults) ctxSynchronize() Result {
	return f.finally("cuCtxSynchronize", func() Result { return f.inner.ctxSynchronize() }, func() {
		clear(f.copies)
	})
}

func (f *Faults) memGetInfo(free, total *uint64) Result {
	if code, fail := f.enter("cuMemGetInfo_v2"); fail {
		return code
	}
	return f.inner.memGetInfo(free, total)
}

func (f *Faults) moduleLoadData(m *unsafe.Pointer, image []byte) Result {
	if code, fail := f.enter("cuModuleLoadData"); fail {
		return code
	}
	r := f.inner.moduleLoadData(m, image)
	if r == Success && *m != nil {
		f.mu.Lock()
		f.modules[*m] = fmt.Sprintf("cuModuleLoadData (call %d)", f.calls)
		f.mu.Unlock()
	}
	return r
}

func (f *Faults) moduleUnload(m unsafe.Pointer) Result {
	return f.finally("cuModuleUnload", func() Result { return f.inner.moduleUnload(m) }, func() {
		if _, ok := f.modules[m]; !ok {
			f.problem("cuModuleUnload(%p): not a loaded module (unloaded twice, or never loaded)", m)
			return
		}
		delete(f.modules, m)
	})
}

func (f *Faults) moduleGetFunction(fn *unsafe.Pointer, m unsafe.Pointer, name string) Result {
	if code, fail := f.enter("cuModuleGetFunction"); fail {
		return code
	}
	return f.inner.moduleGetFunction(fn, m, name)
}

func (f *Faults) funcGetAttribute(v *int32, attr int32, fn unsafe.Pointer) Result {
	if code, fail := f.enter("cuFuncGetAttribute"); fail {
		return code
	}
	return f.inner.funcGetAttribute(v, attr, fn)
}

func (f *Faults) funcSetAttribute(fn unsafe.Pointer, attr int32, v int32) Result {
	if code, fail := f.enter("cuFuncSetAttribute"); fail {
		return code
	}
	return f.inner.funcSetAttribute(fn, attr, v)
}

func (f *Faults) memAlloc(p *uint64, bytes uint64) Result {
	if code, fail := f.enter("cuMemAlloc_v2"); fail {
		return code
	}
	r := f.inner.memAlloc(p, bytes)
	if r == Success && *p != 0 {
		f.mu.Lock()
		f.allocs[*p] = fmt.Sprintf("cuMemAlloc_v2(%d bytes) (call %d)", bytes, f.calls)
		f.mu.Unlock()
	}
	return r
}

func (f *Faults) memFree(p uint64) Result {
	return f.finally("cuMemFree_v2", func() Result { return f.inner.memFree(p) }, func() {
		if _, ok := f.allocs[p]; !ok {
			f.problem("cuMemFree_v2(%#x): not a live allocation (freed twice, or never allocated)", p)
			return
		}
		delete(f.allocs, p)
	})
}

// hostCopy records a copy from or to host memory queued on s.
func (f *Faults) hostCopy(s unsafe.Pointer, r Result) {
	if r != Success {
		return
	}
	f.mu.Lock()
	f.copies[s]++
	f.mu.Unlock()
}

func (f *Faults) memcpyHtoDAsync(dst uint64, src unsafe.Pointer, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.enter("cuMemcpyHtoDAsync_v2"); fail {
		return code
	}
	r := f.inner.memcpyHtoDAsync(dst, src, bytes, s)
	f.hostCopy(s, r)
	return r
}

func (f *Faults) memcpyDtoHAsync(dst unsafe.Pointer, src uint64, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.enter("cuMemcpyDtoHAsync_v2"); fail {
		return code
	}
	r := f.inner.memcpyDtoHAsync(dst, src, bytes, s)
	f.hostCopy(s, r)
	return r
}

func (f *Faults) memcpyDtoDAsync(dst, src uint64, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.enter("cuMemcpyDtoDAsync_v2"); fail {
		return code
	}
	return f.inner.memcpyDtoDAsync(dst, src, bytes, s)
}

func (f *Faults) memsetD8Async(dst uint64, v uint8, n uint64, s unsafe.Pointer) Result {
	if code, fail := f.enter("cuMemsetD8Async"); fail {
		return code
	}
	return f.inner.memsetD8Async(dst, v, n, s)
}

func (f *Faults) streamCreate(s *unsafe.Pointer, flags uint32) Result {
	if code, fail := f.enter("cuStreamCreate"); fail {
		return code
	}
	r := f.inner.streamCreate(s, flags)
	if r == Success && *s != nil {
		f.mu.Lock()
		f.streams[*s] = fmt.Sprintf("cuStreamCreate (call %d)", f.calls)
		f.mu.Unlock()
	}
	return r
}

func (f *Faults) streamDestroy(s unsafe.Pointer) Result {
	// The stream's queued work still runs: its host copies stay counted.
	return f.finally("cuStreamDestroy_v2", func() Result { return f.inner.streamDestroy(s) }, func() {
		if _, ok := f.streams[s]; !ok {
			f.problem("cuStreamDestroy_v2(%p): not a live stream (destroyed twice, or never created)", s)
			return
		}
		delete(f.streams, s)
	})
}

func (f *Faults) streamSynchronize(s unsafe.Pointer) Result {
	return f.finally("cuStreamSynchronize", func() Result { return f.inner.streamSynchronize(s) }, func() {
		delete(f.copies, s)
	})
}

func (f *Faults) launchKernel(fn unsafe.Pointer, grid, block [3]uint32, smem uint32, s unsafe.Pointer, params []uint64) Result {
	if code, fail := f.enter("cuLaunchKernel"); fail {
		return code
	}
	return f.inner.launchKernel(fn, grid, block, smem, s, params)
}
