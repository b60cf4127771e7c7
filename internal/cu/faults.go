package cu

import (
	"errors"
	"fmt"
	"sort"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/faultlayer"
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
	faultlayer.Counter[Result]
	retains map[int32]int
	modules faultlayer.Objects[unsafe.Pointer]
	allocs  faultlayer.Objects[uint64]
	streams faultlayer.Objects[unsafe.Pointer]
	copies  map[unsafe.Pointer]int // host copies queued on each stream and not waited for
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

// faults is the slot of impl, where InstallFaults puts a layer.
var faults = faultlayer.NewSlot(&impl)

// InstallFaults puts a Faults layer between the binding and the driver and returns it. It
// fails when the binding cannot load a driver (no cgo) or a layer is installed already. It
// must be called, and the layer removed, while no other goroutine calls the binding.
func InstallFaults() (*Faults, error) {
	l, err := faults.Install(ErrNoCgo, errors.New("cu: a fault layer is installed already"),
		func(i driver) bool { _, ok := i.(*Faults); return ok },
		func(inner driver) driver {
			return &Faults{inner: inner, retains: map[int32]int{}, modules: faultlayer.Objects[unsafe.Pointer]{},
				allocs: faultlayer.Objects[uint64]{}, streams: faultlayer.Objects[unsafe.Pointer]{}, copies: map[unsafe.Pointer]int{}}
		})
	if err != nil {
		return nil, err
	}
	return l.(*Faults), nil
}

// Remove takes the layer out: the binding calls the driver directly again.
func (f *Faults) Remove() { faults.Remove(f, f.inner) }

// Live counts what the driver holds for the binding.
func (f *Faults) Live() (l Live) {
	f.Locked(func() {
		l = Live{Modules: len(f.modules), Allocations: len(f.allocs), Streams: len(f.streams)}
		for _, n := range f.retains {
			l.Contexts += n
		}
		for _, n := range f.copies {
			l.HostCopies += n
		}
	})
	return l
}

// LiveObjects describes every live module, allocation and stream by the call that created it,
// sorted.
func (f *Faults) LiveObjects() (out []string) {
	f.Locked(func() {
		out = f.modules.Describe("module", out)
		out = f.allocs.Describe("allocation", out)
		out = f.streams.Describe("stream", out)
	})
	sort.Strings(out)
	return out
}

// problem is a misuse seen at the given call, for Counter.Record and Counter.Finally.
func problem(calls int, format string, args ...any) string {
	return fmt.Sprintf("at call %d: ", calls) + fmt.Sprintf(format, args...)
}

// record runs f under the layer's lock, with the number of calls so far.
func (f *Faults) record(do func(calls int)) {
	f.Record(func(calls int) string {
		do(calls)
		return ""
	})
}

func (f *Faults) open(path string) error              { return f.inner.open(path) }
func (f *Faults) probe(path string) error             { return f.inner.probe(path) }
func (f *Faults) errorName(r Result) (string, bool)   { return f.inner.errorName(r) }
func (f *Faults) errorString(r Result) (string, bool) { return f.inner.errorString(r) }

func (f *Faults) init(flags uint32) Result {
	if code, fail := f.Enter("cuInit"); fail {
		return code
	}
	return f.inner.init(flags)
}

func (f *Faults) driverGetVersion(v *int32) Result {
	if code, fail := f.Enter("cuDriverGetVersion"); fail {
		return code
	}
	return f.inner.driverGetVersion(v)
}

func (f *Faults) deviceGetCount(n *int32) Result {
	if code, fail := f.Enter("cuDeviceGetCount"); fail {
		return code
	}
	return f.inner.deviceGetCount(n)
}

func (f *Faults) deviceGet(d *int32, ordinal int32) Result {
	if code, fail := f.Enter("cuDeviceGet"); fail {
		return code
	}
	return f.inner.deviceGet(d, ordinal)
}

func (f *Faults) deviceGetName(buf []byte, d int32) Result {
	if code, fail := f.Enter("cuDeviceGetName"); fail {
		return code
	}
	return f.inner.deviceGetName(buf, d)
}

func (f *Faults) deviceTotalMem(bytes *uint64, d int32) Result {
	if code, fail := f.Enter("cuDeviceTotalMem_v2"); fail {
		return code
	}
	return f.inner.deviceTotalMem(bytes, d)
}

func (f *Faults) deviceGetAttribute(v *int32, attr int32, d int32) Result {
	if code, fail := f.Enter("cuDeviceGetAttribute"); fail {
		return code
	}
	return f.inner.deviceGetAttribute(v, attr, d)
}

func (f *Faults) primaryCtxRetain(ctx *unsafe.Pointer, d int32) Result {
	if code, fail := f.Enter("cuDevicePrimaryCtxRetain"); fail {
		return code
	}
	r := f.inner.primaryCtxRetain(ctx, d)
	if r == Success {
		f.record(func(int) { f.retains[d]++ })
	}
	return r
}

func (f *Faults) primaryCtxRelease(d int32) Result {
	return f.Finally("cuDevicePrimaryCtxRelease_v2", func() Result { return f.inner.primaryCtxRelease(d) }, func(calls int) string {
		if f.retains[d] == 0 {
			return problem(calls, "cuDevicePrimaryCtxRelease_v2(%d) without a retain", d)
		}
		f.retains[d]--
		return ""
	})
}

func (f *Faults) ctxSetCurrent(ctx unsafe.Pointer) Result {
	if code, fail := f.Enter("cuCtxSetCurrent"); fail {
		return code
	}
	return f.inner.ctxSetCurrent(ctx)
}

func (f *Faults) ctxSynchronize() Result {
	return f.Finally("cuCtxSynchronize", func() Result { return f.inner.ctxSynchronize() }, func(int) string {
		clear(f.copies)
		return ""
	})
}

func (f *Faults) memGetInfo(free, total *uint64) Result {
	if code, fail := f.Enter("cuMemGetInfo_v2"); fail {
		return code
	}
	return f.inner.memGetInfo(free, total)
}

func (f *Faults) moduleLoadData(m *unsafe.Pointer, image []byte) Result {
	if code, fail := f.Enter("cuModuleLoadData"); fail {
		return code
	}
	r := f.inner.moduleLoadData(m, image)
	if r == Success && *m != nil {
		f.record(func(calls int) { f.modules.Add(*m, "cuModuleLoadData", calls) })
	}
	return r
}

func (f *Faults) moduleUnload(m unsafe.Pointer) Result {
	return f.Finally("cuModuleUnload", func() Result { return f.inner.moduleUnload(m) }, func(calls int) string {
		if !f.modules.Remove(m) {
			return problem(calls, "cuModuleUnload(%p): not a loaded module (unloaded twice, or never loaded)", m)
		}
		return ""
	})
}

func (f *Faults) moduleGetFunction(fn *unsafe.Pointer, m unsafe.Pointer, name string) Result {
	if code, fail := f.Enter("cuModuleGetFunction"); fail {
		return code
	}
	return f.inner.moduleGetFunction(fn, m, name)
}

func (f *Faults) funcGetAttribute(v *int32, attr int32, fn unsafe.Pointer) Result {
	if code, fail := f.Enter("cuFuncGetAttribute"); fail {
		return code
	}
	return f.inner.funcGetAttribute(v, attr, fn)
}

func (f *Faults) funcSetAttribute(fn unsafe.Pointer, attr int32, v int32) Result {
	if code, fail := f.Enter("cuFuncSetAttribute"); fail {
		return code
	}
	return f.inner.funcSetAttribute(fn, attr, v)
}

func (f *Faults) memAlloc(p *uint64, bytes uint64) Result {
	if code, fail := f.Enter("cuMemAlloc_v2"); fail {
		return code
	}
	r := f.inner.memAlloc(p, bytes)
	if r == Success && *p != 0 {
		f.record(func(calls int) { f.allocs.Add(*p, fmt.Sprintf("cuMemAlloc_v2(%d bytes)", bytes), calls) })
	}
	return r
}

func (f *Faults) memFree(p uint64) Result {
	return f.Finally("cuMemFree_v2", func() Result { return f.inner.memFree(p) }, func(calls int) string {
		if !f.allocs.Remove(p) {
			return problem(calls, "cuMemFree_v2(%#x): not a live allocation (freed twice, or never allocated)", p)
		}
		return ""
	})
}

// hostCopy records a copy from or to host memory queued on s.
func (f *Faults) hostCopy(s unsafe.Pointer, r Result) {
	if r != Success {
		return
	}
	f.record(func(int) { f.copies[s]++ })
}

func (f *Faults) memcpyHtoDAsync(dst uint64, src unsafe.Pointer, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.Enter("cuMemcpyHtoDAsync_v2"); fail {
		return code
	}
	r := f.inner.memcpyHtoDAsync(dst, src, bytes, s)
	f.hostCopy(s, r)
	return r
}

func (f *Faults) memcpyDtoHAsync(dst unsafe.Pointer, src uint64, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.Enter("cuMemcpyDtoHAsync_v2"); fail {
		return code
	}
	r := f.inner.memcpyDtoHAsync(dst, src, bytes, s)
	f.hostCopy(s, r)
	return r
}

func (f *Faults) memcpyDtoDAsync(dst, src uint64, bytes uint64, s unsafe.Pointer) Result {
	if code, fail := f.Enter("cuMemcpyDtoDAsync_v2"); fail {
		return code
	}
	return f.inner.memcpyDtoDAsync(dst, src, bytes, s)
}

func (f *Faults) memsetD8Async(dst uint64, v uint8, n uint64, s unsafe.Pointer) Result {
	if code, fail := f.Enter("cuMemsetD8Async"); fail {
		return code
	}
	return f.inner.memsetD8Async(dst, v, n, s)
}

func (f *Faults) streamCreate(s *unsafe.Pointer, flags uint32) Result {
	if code, fail := f.Enter("cuStreamCreate"); fail {
		return code
	}
	r := f.inner.streamCreate(s, flags)
	if r == Success && *s != nil {
		f.record(func(calls int) { f.streams.Add(*s, "cuStreamCreate", calls) })
	}
	return r
}

func (f *Faults) streamDestroy(s unsafe.Pointer) Result {
	// The stream's queued work still runs: its host copies stay counted.
	return f.Finally("cuStreamDestroy_v2", func() Result { return f.inner.streamDestroy(s) }, func(calls int) string {
		if !f.streams.Remove(s) {
			return problem(calls, "cuStreamDestroy_v2(%p): not a live stream (destroyed twice, or never created)", s)
		}
		return ""
	})
}

func (f *Faults) streamSynchronize(s unsafe.Pointer) Result {
	return f.Finally("cuStreamSynchronize", func() Result { return f.inner.streamSynchronize(s) }, func(int) string {
		delete(f.copies, s)
		return ""
	})
}

func (f *Faults) launchKernel(fn unsafe.Pointer, grid, block [3]uint32, smem uint32, s unsafe.Pointer, params []uint64) Result {
	if code, fail := f.Enter("cuLaunchKernel"); fail {
		return code
	}
	return f.inner.launchKernel(fn, grid, block, smem, s, params)
}
