package cl

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/faultlayer"
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
	faultlayer.Counter[int32]
	live [nKinds]faultlayer.Objects[unsafe.Pointer]
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

// faults is the slot of impl, where InstallFaults puts a layer.
var faults = faultlayer.NewSlot(&impl)

// InstallFaults puts a Faults layer between the binding and the library and returns it. It
// fails when the binding cannot load a library (no cgo) or a layer is installed already. It
// must be called, and the layer removed, while no other goroutine calls the binding.
func InstallFaults() (*Faults, error) {
	l, err := faults.Install(ErrNoCgo, errors.New("cl: a fault layer is installed already"),
		func(i api) bool { _, ok := i.(*Faults); return ok },
		func(inner api) api {
			f := &Faults{inner: inner}
			for i := range f.live {
				f.live[i] = faultlayer.Objects[unsafe.Pointer]{}
			}
			return f
		})
	if err != nil {
		return nil, err
	}
	return l.(*Faults), nil
}

// Remove takes the layer out: the binding calls the library directly again.
func (f *Faults) Remove() { faults.Remove(f, f.inner) }

// Live counts the objects created through the layer and not released.
func (f *Faults) Live() (l Live) {
	f.Locked(func() {
		l = Live{len(f.live[kContext]), len(f.live[kQueue]), len(f.live[kProgram]), len(f.live[kKernel]),
			len(f.live[kMem]), len(f.live[kEvent])}
	})
	return l
}

// LiveObjects describes every live object: its kind and the call that created it, sorted.
func (f *Faults) LiveObjects() (out []string) {
	f.Locked(func() {
		for k, m := range f.live {
			out = m.Describe(kindNames[k], out)
		}
	})
	sort.Strings(out)
	return out
}

// made records an object the library created (when it did).
func (f *Faults) made(kind int, h unsafe.Pointer, code int32, what string) {
	if code != Success || h == nil {
		return
	}
	f.Record(func(calls int) string {
		f.live[kind].Add(h, what, calls)
		return ""
	})
}

// release is a release call: it reaches the library even when it is the call that fails.
func (f *Faults) release(kind int, h unsafe.Pointer, call string, do func() int32) int32 {
	return f.Finally(call, do, func(calls int) string {
		if !f.live[kind].Remove(h) {
			return fmt.Sprintf("%s(%p) at call %d: not a live object (released twice, or never created)", call, h, calls)
		}
		return ""
	})
}

// wait is a call that waits for work: it reaches the library even when it is the call that fails.
func (f *Faults) wait(call string, do func() int32) int32 { return f.Finally(call, do, nil) }

func (f *Faults) open(path string) error  { return f.inner.open(path) }
func (f *Faults) probe(path string) error { return f.inner.probe(path) }

func (f *Faults) getPlatformIDs(n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	if code, fail := f.Enter("clGetPlatformIDs"); fail {
		return code
	}
	return f.inner.getPlatformIDs(n, ids, num)
}

func (f *Faults) getPlatformInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.Enter("clGetPlatformInfo"); fail {
		return code
	}
	return f.inner.getPlatformInfo(p, param, size, val, ret)
}

func (f *Faults) getDeviceIDs(p unsafe.Pointer, t uint64, n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	if code, fail := f.Enter("clGetDeviceIDs"); fail {
		return code
	}
	return f.inner.getDeviceIDs(p, t, n, ids, num)
}

func (f *Faults) getDeviceInfo(d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.Enter("clGetDeviceInfo"); fail {
		return code
	}
	return f.inner.getDeviceInfo(d, param, size, val, ret)
}

func (f *Faults) createContext(devs []unsafe.Pointer, code *int32) unsafe.Pointer {
	if c, fail := f.Enter("clCreateContext"); fail {
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
	if e, fail := f.Enter("clCreateCommandQueue"); fail {
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
	if code, fail := f.Enter("clFlush"); fail {
		return code
	}
	return f.inner.flush(q)
}

func (f *Faults) releaseCommandQueue(q unsafe.Pointer) int32 {
	return f.release(kQueue, q, "clReleaseCommandQueue", func() int32 { return f.inner.releaseCommandQueue(q) })
}

func (f *Faults) createProgramWithSource(c unsafe.Pointer, srcs []string, code *int32) unsafe.Pointer {
	if e, fail := f.Enter("clCreateProgramWithSource"); fail {
		*code = e
		return nil
	}
	h := f.inner.createProgramWithSource(c, srcs, code)
	f.made(kProgram, h, *code, "clCreateProgramWithSource")
	return h
}

func (f *Faults) createProgramWithBinary(c, d unsafe.Pointer, bin []byte, status, code *int32) unsafe.Pointer {
	if e, fail := f.Enter("clCreateProgramWithBinary"); fail {
		*code = e
		return nil
	}
	h := f.inner.createProgramWithBinary(c, d, bin, status, code)
	f.made(kProgram, h, *code, "clCreateProgramWithBinary")
	return h
}

func (f *Faults) buildProgram(p, d unsafe.Pointer, options string) int32 {
	if code, fail := f.Enter("clBuildProgram"); fail {
		return code
	}
	return f.inner.buildProgram(p, d, options)
}

func (f *Faults) getProgramBuildInfo(p, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.Enter("clGetProgramBuildInfo"); fail {
		return code
	}
	return f.inner.getProgramBuildInfo(p, d, param, size, val, ret)
}

func (f *Faults) getProgramInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.Enter("clGetProgramInfo"); fail {
		return code
	}
	return f.inner.getProgramInfo(p, param, size, val, ret)
}

func (f *Faults) programBinary(p unsafe.Pointer, dst []byte) int32 {
	if code, fail := f.Enter("clGetProgramInfo"); fail {
		return code
	}
	return f.inner.programBinary(p, dst)
}

func (f *Faults) releaseProgram(p unsafe.Pointer) int32 {
	return f.release(kProgram, p, "clReleaseProgram", func() int32 { return f.inner.releaseProgram(p) })
}

func (f *Faults) createKernel(p unsafe.Pointer, name string, code *int32) unsafe.Pointer {
	if e, fail := f.Enter("clCreateKernel"); fail {
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
	if code, fail := f.Enter("clSetKernelArg"); fail {
		return code
	}
	return f.inner.setKernelArg(k, i, size, val)
}

func (f *Faults) getKernelWorkGroupInfo(k, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	if code, fail := f.Enter("clGetKernelWorkGroupInfo"); fail {
		return code
	}
	return f.inner.getKernelWorkGroupInfo(k, d, param, size, val, ret)
}

func (f *Faults) createBuffer(c unsafe.Pointer, flags uint64, size uintptr, code *int32) unsafe.Pointer {
	if e, fail := f.Enter("clCreateBuffer"); fail {
		*code = e
		return nil
	}
	h := f.inner.createBuffer(c, flags, size, code)
	f.made(kMem, h, *code, fmt.Sprintf("clCreateBuffer(%d bytes)", size))
	return h
}

func (f *Faults) createSubBuffer(m unsafe.Pointer, flags uint64, origin, size uintptr, code *int32) unsafe.Pointer {
	if e, fail := f.Enter("clCreateSubBuffer"); fail {
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
	if code, fail := f.Enter("clEnqueueWriteBuffer"); fail {
		return code
	}
	return f.inner.enqueueWriteBuffer(q, m, off, size, src)
}

func (f *Faults) enqueueReadBuffer(q, m unsafe.Pointer, off, size uintptr, dst unsafe.Pointer) int32 {
	if code, fail := f.Enter("clEnqueueReadBuffer"); fail {
		return code
	}
	return f.inner.enqueueReadBuffer(q, m, off, size, dst)
}

func (f *Faults) enqueueCopyBuffer(q, src, dst unsafe.Pointer, srcOff, dstOff, size uintptr) int32 {
	if code, fail := f.Enter("clEnqueueCopyBuffer"); fail {
		return code
	}
	return f.inner.enqueueCopyBuffer(q, src, dst, srcOff, dstOff, size)
}

func (f *Faults) enqueueFillBuffer(q, m unsafe.Pointer, pattern []byte, off, size uintptr) int32 {
	if code, fail := f.Enter("clEnqueueFillBuffer"); fail {
		return code
	}
	return f.inner.enqueueFillBuffer(q, m, pattern, off, size)
}

func (f *Faults) enqueueNDRangeKernel(q, k unsafe.Pointer, global, local uintptr, ev *unsafe.Pointer) int32 {
	if code, fail := f.Enter("clEnqueueNDRangeKernel"); fail {
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
	if code, fail := f.Enter("clGetEventProfilingInfo"); fail {
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
