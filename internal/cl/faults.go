package cl

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Faults is a test hook: a layer between the binding and the OpenCL library that counts the
// calls into the library, keeps the handles of the objects the library holds for the binding
// (so that a test can require that nothing leaked), and makes one chosen call fail with a
// chosen status code.
//
// It exists only while a test has installed it (InstallFaults): the binding then calls the
// library through it instead of directly. Otherwise nothing of it runs, so it costs nothing,
// and nothing outside this module can reach it (the package is internal).
//
// A chosen call fails without reaching the library, except the calls that end an object's
// life or wait for work (clRelease*, clFinish, clWaitForEvents): those reach the library and
// then return the code, because a caller can neither retry a release nor assume that a failed
// wait did not wait. Every call is counted except loading the library.
type Faults struct {
	inner api

	mu       sync.Mutex
	calls    int      // calls since InstallFaults
	failAt   int      // the call that fails (a value of calls), 0 when none is armed
	code     int32    // its status
	fired    string   // the call that failed, "" when none has
	trace    []string // call names, when tracing
	tracing  bool     // whether calls are recorded in trace
	live     [nKinds]map[unsafe.Pointer]string
	problems []string
}

// The kinds of objects Faults keeps.
const (
	kContext = iota
	kQueue
	kProgram
	kKernel
	kMem
	kEvent
	nKinds
)

var kindNames = [nKinds]string{"contexts", "queues", "programs", "kernels", "memory objects", "events"}

// Live counts the objects the library holds for the binding: created and not yet released.
type Live struct {
	Contexts, Queues, Programs, Kernels, Mems, Events int
}

func (l Live) String() string {
	return fmt.Sprintf("%d contexts, %d queues, %d programs, %d kernels, %d memory objects, %d events",
		l.Contexts, l.Queues, l.Programs, l.Kernels, l.Mems, l.Events)
}

var faultsMu sync.Mutex

// InstallFaults puts a Faults layer between the binding and the library and returns it. It
// fails when the binding cannot load a library (no cgo) or a layer is installed already. It
// must be called, and the layer removed, while no other goroutine calls the binding.
func InstallFaults() (*Faults, error) {
	faultsMu.Lock()
	defer faultsMu.Unlock()
	if impl == nil {
		return nil, ErrNoCgo
	}
	if _, ok := impl.(*Faults); ok {
		return nil, errors.New("cl: a fault layer is installed already")
	}
	f := &Faults{inner: impl}
	for i := range f.live {
		f.live[i] = map[unsafe.Pointer]string{}
	}
	impl = f
	return f, nil
}

// Remove takes the layer out: the binding calls the library directly again.
func (f *Faults) Remove() {
	faultsMu.Lock()
	defer faultsMu.Unlock()
	if impl == f {
		impl = f.inner
	}
}

// FailAt arms the layer: the nth call from now (1: the next) returns code. A call that fired
// disarms it.
func (f *Faults) FailAt(n int, code int32) {
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

// Live counts the objects created through the layer and not released.
func (f *Faults) Live() Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Live{len(f.live[kContext]), len(f.live[kQueue]), len(f.live[kProgram]), len(f.live[kKernel]),
		len(f.live[kMem]), len(f.live[kEvent])}
}

// LiveObjects describes every live object: its kind and the call that created it, sorted.
func (f *Faults) LiveObjects() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k, m := range f.live {
		for _, what := range m {
			out = append(out, kindNames[k]+": "+what)
		}
	}
	sort.Strings(out)
	return out
}

// Problems returns, and forgets, the misuses the layer saw: releases of handles it did not
// see created or saw released already.
func (f *Faults) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.problems
	f.problems = nil
	return out
}

// enter counts a call and reports whether it must fail, and with which code.
func (f *Faults) enter(call string) (int32, bool) {
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
	return 0, false
}

// made records an object the library created (when it did).
func (f *Faults) made(kind int, h unsafe.Pointer, code int32, what string) {
	if code != Success || h == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[kind][h] = fmt.Sprintf("%s (call %d)", what, f.calls)
}

// gone records the release of an object.
func (f *Faults) gone(kind int, h unsafe.Pointer, call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.live[kind][h]; !ok {
		f.problems = append(f.problems, fmt.Sprintf("%s(%p) at call %d: not a live object (released twice, or never created)", call, h, f.calls))
		return
	}
	delete(f.live[kind], h)
}

// release is a release call: it reaches the library even when it is the call that fails.
func (f *Faults) release(kind int, h unsafe.Pointer, call string, do func() int32) int32 {
	code, fail := f.enter(call)
	r := do()
	f.gone(kind, h, call)
	if fail {
		return code
	}
	return r
}

// wait is a call that waits for work: it reaches the library even when it is the call that fails.
func (f *Faults) wait(call string, do func() int32) int32 {
	code, fail := f.enter(call)
	r := do()
	if fail {
		return code
	}
	return r
}

func (f *Faults) open(path string) error  { return f.inner.open(path) }
func (f *Faults) probe(path string) error { return f.inner.probe(path) }

func (f *Faults) getPlatformIDs(n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	if code, fail := f.enter("clGetPlatformIDs"); fail {
		return code
	}
	return f.inner.getPlatformIDs(n, ids, num)
}

func (f *Faults) getPlatformInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetPlatformInfo"); fail {
		return code
	}
	return f.inner.getPlatformInfo(p, param, size, val, ret)
}

func (f *Faults) getDeviceIDs(p unsafe.Pointer, t uint64, n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	if code, fail := f.enter("clGetDeviceIDs"); fail {
		return code
	}
	return f.inner.getDeviceIDs(p, t, n, ids, num)
}

func (f *Faults) getDeviceInfo(d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetDeviceInfo"); fail {
		return code
	}
	return f.inner.getDeviceInfo(d, param, size, val, ret)
}

func (f *Faults) createContext(devs []unsafe.Pointer, code *int32) unsafe.Pointer {
	if c, fail := f.enter("clCreateContext"); fail {
		*code = c
		return nil
	}
	h := f.inner.createContext(devs, code)
	f.made(kContext, h, *code, "clCreateContext")
	return h
}

func (f *Faults) releaseContext(c unsafe.Pointer) int32 {
	return f.release(kContext, c, "clReleaseContext", func() int32 { return f.inner.releaseContext(c) })
}

func (f *Faults) createCommandQueue(c, d unsafe.Pointer, props uint64, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateCommandQueue"); fail {
		*code = e
		return nil
	}
	h := f.inner.createCommandQueue(c, d, props, code)
	f.made(kQueue, h, *code, "clCreateCommandQueue")
	return h
}

func (f *Faults) finish(q unsafe.Pointer) int32 {
	return f.wait("clFinish", func() int32 { return f.inner.finish(q) })
}

func (f *Faults) flush(q unsafe.Pointer) int32 {
	if code, fail := f.enter("clFlush"); fail {
		return code
	}
	return f.inner.flush(q)
}

func (f *Faults) releaseCommandQueue(q unsafe.Pointer) int32 {
	return f.release(kQueue, q, "clReleaseCommandQueue", func() int32 { return f.inner.releaseCommandQueue(q) })
}

func (f *Faults) createProgramWithSource(c unsafe.Pointer, srcs []string, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateProgramWithSource"); fail {
		*code = e
		return nil
	}
	h := f.inner.createProgramWithSource(c, srcs, code)
	f.made(kProgram, h, *code, "clCreateProgramWithSource")
	return h
}

func (f *Faults) createProgramWithBinary(c, d unsafe.Pointer, bin []byte, status, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateProgramWithBinary"); fail {
		*code = e
		return nil
	}
	h := f.inner.createProgramWithBinary(c, d, bin, status, code)
	f.made(kProgram, h, *code, "clCreateProgramWithBinary")
	return h
}

func (f *Faults) buildProgram(p, d unsafe.Pointer, options string) int32 {
	if code, fail := f.enter("clBuildProgram"); fail {
		return code
	}
	return f.inner.buildProgram(p, d, options)
}

func (f *Faults) getProgramBuildInfo(p, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetProgramBuildInfo"); fail {
		return code
	}
	return f.inner.getProgramBuildInfo(p, d, param, size, val, ret)
}

func (f *Faults) getProgramInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetProgramInfo"); fail {
		return code
	}
	return f.inner.getProgramInfo(p, param, size, val, ret)
}

func (f *Faults) programBinary(p unsafe.Pointer, dst []byte) int32 {
	if code, fail := f.enter("clGetProgramInfo"); fail {
		return code
	}
	return f.inner.programBinary(p, dst)
}

func (f *Faults) releaseProgram(p unsafe.Pointer) int32 {
	return f.release(kProgram, p, "clReleaseProgram", func() int32 { return f.inner.releaseProgram(p) })
}

func (f *Faults) createKernel(p unsafe.Pointer, name string, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateKernel"); fail {
		*code = e
		return nil
	}
	h := f.inner.createKernel(p, name, code)
	f.made(kKernel, h, *code, "clCreateKernel("+name+")")
	return h
}

func (f *Faults) releaseKernel(k unsafe.Pointer) int32 {
	return f.release(kKernel, k, "clReleaseKernel", func() int32 { return f.inner.releaseKernel(k) })
}

func (f *Faults) setKernelArg(k unsafe.Pointer, i uint32, size uintptr, val unsafe.Pointer) int32 {
	if code, fail := f.enter("clSetKernelArg"); fail {
		return code
	}
	return f.inner.setKernelArg(k, i, size, val)
}

func (f *Faults) getKernelWorkGroupInfo(k, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetKernelWorkGroupInfo"); fail {
		return code
	}
	return f.inner.getKernelWorkGroupInfo(k, d, param, size, val, ret)
}

func (f *Faults) createBuffer(c unsafe.Pointer, flags uint64, size uintptr, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateBuffer"); fail {
		*code = e
		return nil
	}
	h := f.inner.createBuffer(c, flags, size, code)
	f.made(kMem, h, *code, fmt.Sprintf("clCreateBuffer(%d bytes)", size))
	return h
}

func (f *Faults) createSubBuffer(m unsafe.Pointer, flags uint64, origin, size uintptr, code *int32) unsafe.Pointer {
	if e, fail := f.enter("clCreateSubBuffer"); fail {
		*code = e
		return nil
	}
	h := f.inner.createSubBuffer(m, flags, origin, size, code)
	f.made(kMem, h, *code, fmt.Sprintf("clCreateSubBuffer(%d bytes at %d)", size, origin))
	return h
}

func (f *Faults) releaseMemObject(m unsafe.Pointer) int32 {
	return f.release(kMem, m, "clReleaseMemObject", func() int32 { return f.inner.releaseMemObject(m) })
}

func (f *Faults) enqueueWriteBuffer(q, m unsafe.Pointer, off, size uintptr, src unsafe.Pointer) int32 {
	if code, fail := f.enter("clEnqueueWriteBuffer"); fail {
		return code
	}
	return f.inner.enqueueWriteBuffer(q, m, off, size, src)
}

func (f *Faults) enqueueReadBuffer(q, m unsafe.Pointer, off, size uintptr, dst unsafe.Pointer) int32 {
	if code, fail := f.enter("clEnqueueReadBuffer"); fail {
		return code
	}
	return f.inner.enqueueReadBuffer(q, m, off, size, dst)
}

func (f *Faults) enqueueCopyBuffer(q, src, dst unsafe.Pointer, srcOff, dstOff, size uintptr) int32 {
	if code, fail := f.enter("clEnqueueCopyBuffer"); fail {
		return code
	}
	return f.inner.enqueueCopyBuffer(q, src, dst, srcOff, dstOff, size)
}

func (f *Faults) enqueueFillBuffer(q, m unsafe.Pointer, pattern []byte, off, size uintptr) int32 {
	if code, fail := f.enter("clEnqueueFillBuffer"); fail {
		return code
	}
	return f.inner.enqueueFillBuffer(q, m, pattern, off, size)
}

func (f *Faults) enqueueNDRangeKernel(q, k unsafe.Pointer, global, local uintptr, ev *unsafe.Pointer) int32 {
	if code, fail := f.enter("clEnqueueNDRangeKernel"); fail {
		return code
	}
	r := f.inner.enqueueNDRangeKernel(q, k, global, local, ev)
	if ev != nil {
		f.made(kEvent, *ev, r, "clEnqueueNDRangeKernel")
	}
	return r
}

func (f *Faults) waitForEvents(e unsafe.Pointer) int32 {
	return f.wait("clWaitForEvents", func() int32 { return f.inner.waitForEvents(e) })
}

func (f *Faults) getEventProfilingInfo(e unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.enter("clGetEventProfilingInfo"); fail {
		return code
	}
	return f.inner.getEventProfilingInfo(e, param, size, val, ret)
}

func (f *Faults) releaseEvent(e unsafe.Pointer) int32 {
	return f.release(kEvent, e, "clReleaseEvent", func() int32 { return f.inner.releaseEvent(e) })
}

// CallOf returns the OpenCL function an *Error names (its Call up to the first parenthesis or
// space), for comparing an error with the call a Faults layer failed.
func CallOf(e *Error) string {
	if i := strings.IndexAny(e.Call, "( "); i >= 0 {
		return e.Call[:i]
	}
	return e.Call
}
