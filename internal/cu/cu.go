// Package cu is gloss's binding to the CUDA driver API. It loads the driver library at run
// time (dlopen of libcuda.so.1, or of the path in GLOSS_LIBCUDA) and declares in-tree the few
// types and prototypes it calls: building needs neither CUDA headers nor libcuda, and a binary
// that imports it starts on any machine. Without the library, with a driver older than CUDA
// 11.0, or without a GPU, Init returns an error that says which (a *LoadError, a
// *VersionError, or the *Error of cuInit); nothing panics or exits. Built without cgo
// (CGO_ENABLED=0), Init returns ErrNoCgo.
//
// The binding uses exactly these driver entry points, resolved with dlsym when the library is
// loaded (a library that lacks one is refused as a whole):
//
//	cuInit, cuDriverGetVersion, cuGetErrorName, cuGetErrorString,
//	cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem_v2, cuDeviceGetAttribute,
//	cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease_v2, cuCtxSetCurrent, cuCtxSynchronize,
//	cuMemGetInfo_v2, cuModuleLoadData, cuModuleUnload, cuModuleGetFunction,
//	cuFuncGetAttribute, cuFuncSetAttribute, cuMemAlloc_v2, cuMemFree_v2,
//	cuMemcpyHtoDAsync_v2, cuMemcpyDtoHAsync_v2, cuMemcpyDtoDAsync_v2, cuMemsetD8Async,
//	cuStreamCreate, cuStreamDestroy_v2, cuStreamSynchronize, cuLaunchKernel
//
// (EntryPoints lists them.) Every failed call returns an *Error holding the entry point's
// name, the CUresult and its CUDA error name (cuGetErrorName); errors.Is(err,
// ErrorOutOfMemory) and the like test the code.
//
// Contexts: a CUDA context is current per OS thread. The binding does not manage threads: the
// caller locks a goroutine to its thread (runtime.LockOSThread), makes the context current on
// it with SetCurrent, and makes every call of that context from there. Kernel parameters are
// 64-bit values (Launch takes []uint64): every parameter of gloss's kernels is 8 bytes.
package cu

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/dynlib"
)

// EnvLibrary names the environment variable that, when set, gives the driver library to load
// instead of DefaultLibrary (a path, or a name the dynamic loader searches for).
const EnvLibrary = "GLOSS_LIBCUDA"

// DefaultLibrary is the driver library loaded when EnvLibrary is not set.
const DefaultLibrary = "libcuda.so.1"

// MinDriverVersion is the oldest driver API version Init accepts (cuDriverGetVersion's
// 1000·major + 10·minor): CUDA 11.0, the first with cuDevicePrimaryCtxRelease_v2 and the
// oldest that runs the embedded kernels (built by CUDA 11.8, minor-version compatible).
const MinDriverVersion = 11000

// EntryPoints are the driver functions the binding resolves, in the order of the package
// comment.
var EntryPoints = []string{
	"cuInit", "cuDriverGetVersion", "cuGetErrorName", "cuGetErrorString",
	"cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceTotalMem_v2", "cuDeviceGetAttribute",
	"cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuCtxSynchronize",
	"cuMemGetInfo_v2", "cuModuleLoadData", "cuModuleUnload", "cuModuleGetFunction",
	"cuFuncGetAttribute", "cuFuncSetAttribute", "cuMemAlloc_v2", "cuMemFree_v2",
	"cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyDtoDAsync_v2", "cuMemsetD8Async",
	"cuStreamCreate", "cuStreamDestroy_v2", "cuStreamSynchronize", "cuLaunchKernel",
}

// Result is a CUresult, the status every driver call returns.
type Result int32

// The results callers branch on (values from the CUDA driver API).
const (
	Success               Result = 0
	ErrorInvalidValue     Result = 1
	ErrorOutOfMemory      Result = 2
	ErrorNotInitialized   Result = 3
	ErrorDeinitialized    Result = 4
	ErrorStubLibrary      Result = 34
	ErrorNoDevice         Result = 100
	ErrorInvalidDevice    Result = 101
	ErrorInvalidImage     Result = 200
	ErrorNoBinaryForGPU   Result = 209
	ErrorInvalidPTX       Result = 218
	ErrorUnsupportedPTX   Result = 222
	ErrorNotFound         Result = 500
	ErrorLaunchResources  Result = 701
	ErrorSystemDriverMism Result = 803
)

// Name returns the CUDA error name of r ("CUDA_ERROR_OUT_OF_MEMORY"), from the driver when it
// is loaded, else "CUresult N".
func (r Result) Name() string {
	if loaded.Load() {
		if s, ok := impl.errorName(r); ok {
			return s
		}
	}
	return fmt.Sprintf("CUresult %d", int32(r))
}

func (r Result) Error() string { return r.Name() }

// Error is a failed driver call.
type Error struct {
	Call string // the entry point, e.g. "cuMemAlloc_v2"
	Code Result
	Name string // the CUDA error name, e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Text string // the driver's description (cuGetErrorString), e.g. "out of memory"
}

func (e *Error) Error() string {
	s := e.Call + ": " + e.Name
	if e.Text != "" {
		s += " (" + e.Text + ")"
	}
	return s
}

// Unwrap returns the Result, so that errors.Is(err, cu.ErrorNoDevice) works.
func (e *Error) Unwrap() error { return e.Code }

// check turns a result into nil or an *Error naming the call.
func check(call string, r Result) error {
	if r == Success {
		return nil
	}
	e := &Error{Call: call, Code: r, Name: fmt.Sprintf("CUresult %d", int32(r))}
	if loaded.Load() {
		if s, ok := impl.errorName(r); ok {
			e.Name = s
		}
		if s, ok := impl.errorString(r); ok {
			e.Text = s
		}
	}
	return e
}

// ErrNoCgo is Init's error in a binary built without cgo: the driver cannot be loaded.
var ErrNoCgo = errors.New("cu: this binary was built without cgo (CGO_ENABLED=0), so it cannot load the CUDA driver; rebuild with cgo and a C compiler")

// LoadError says that the driver library could not be loaded: not found, not loadable, or
// lacking entry points.
type LoadError struct {
	Library string   // what was passed to dlopen
	Reason  string   // dlerror's message, or what is wrong with the library
	Missing []string // entry points the library lacks
}

func (e *LoadError) Error() string {
	if len(e.Missing) > 0 {
		return fmt.Sprintf("cu: %s lacks the driver entry points %s (not a CUDA driver library, or one older than CUDA 11.0)",
			e.Library, strings.Join(e.Missing, ", "))
	}
	return fmt.Sprintf("cu: cannot load %s: %s", e.Library, e.Reason)
}

// VersionError says that the driver is older than MinDriverVersion.
type VersionError struct {
	Library string
	Version int // cuDriverGetVersion
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("cu: the driver (%s) supports CUDA %s; gloss needs CUDA %s or newer: update the NVIDIA driver",
		e.Library, VersionString(e.Version), VersionString(MinDriverVersion))
}

// VersionString formats a driver API version: 12020 → "12.2".
func VersionString(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

// driver is what the cgo part of the package provides: the library loader and the entry
// points, with Go types. Handles are C pointers held as unsafe.Pointer. Without cgo impl is
// nil and Init returns ErrNoCgo.
type driver interface {
	// open loads the library and resolves every entry point, or says why it cannot.
	open(path string) error
	// probe loads a library as open does, without keeping it (for tests).
	probe(path string) error
	errorName(r Result) (string, bool)
	errorString(r Result) (string, bool)
	init(flags uint32) Result
	driverGetVersion(v *int32) Result
	deviceGetCount(n *int32) Result
	deviceGet(d *int32, ordinal int32) Result
	deviceGetName(buf []byte, d int32) Result
	deviceTotalMem(bytes *uint64, d int32) Result
	deviceGetAttribute(v *int32, attr int32, d int32) Result
	primaryCtxRetain(ctx *unsafe.Pointer, d int32) Result
	primaryCtxRelease(d int32) Result
	ctxSetCurrent(ctx unsafe.Pointer) Result
	ctxSynchronize() Result
	memGetInfo(free, total *uint64) Result
	moduleLoadData(m *unsafe.Pointer, image []byte) Result
	moduleUnload(m unsafe.Pointer) Result
	moduleGetFunction(f *unsafe.Pointer, m unsafe.Pointer, name string) Result
	funcGetAttribute(v *int32, attr int32, f unsafe.Pointer) Result
	funcSetAttribute(f unsafe.Pointer, attr int32, v int32) Result
	memAlloc(p *uint64, bytes uint64) Result
	memFree(p uint64) Result
	memcpyHtoDAsync(dst uint64, src unsafe.Pointer, bytes uint64, s unsafe.Pointer) Result
	memcpyDtoHAsync(dst unsafe.Pointer, src uint64, bytes uint64, s unsafe.Pointer) Result
	memcpyDtoDAsync(dst, src uint64, bytes uint64, s unsafe.Pointer) Result
	memsetD8Async(dst uint64, v uint8, n uint64, s unsafe.Pointer) Result
	streamCreate(s *unsafe.Pointer, flags uint32) Result
	streamDestroy(s unsafe.Pointer) Result
	streamSynchronize(s unsafe.Pointer) Result
	launchKernel(f unsafe.Pointer, grid, block [3]uint32, smem uint32, s unsafe.Pointer, params []uint64) Result
}

// impl is set by the cgo part of the package; nil in a build without cgo.
var impl driver

// cNames, also set by the cgo part, lists the entry points its C table resolves (the test
// compares them with EntryPoints).
var cNames func() []string

var (
	initOnce sync.Once
	initErr  error
	library  string
	version  int
	loaded   atomic.Bool // the library is loaded and its entry points resolved
)

// Init loads the driver library (GLOSS_LIBCUDA, else libcuda.so.1), checks that the driver
// supports CUDA 11.0 or newer and calls cuInit(0). It does that once per process and returns
// the same result every time after: nil, ErrNoCgo, a *LoadError, a *VersionError, or the
// *Error of cuInit (CUDA_ERROR_NO_DEVICE on a machine without a GPU, where the driver library
// is installed).
func Init() error {
	initOnce.Do(func() {
		if impl == nil {
			initErr = ErrNoCgo
			return
		}
		library = dynlib.Choose(EnvLibrary, DefaultLibrary)
		noteEnvironment()
		if err := impl.open(library); err != nil {
			initErr = err
			return
		}
		loaded.Store(true)
		var v int32
		if err := do("cuDriverGetVersion", func() Result { return impl.driverGetVersion(&v) }); err != nil {
			initErr = err
			return
		}
		version = int(v)
		if version < MinDriverVersion {
			initErr = &VersionError{Library: library, Version: version}
			return
		}
		initErr = do("cuInit", func() Result { return impl.init(0) })
	})
	return initErr
}

// noteEnvironment reads, from Go, what the driver's answer depends on: its environment
// variables, the kernel driver's version file and the dynamic loader's cache (which changes
// when a library is installed). The results are not used: reading them lets `go test` see
// them, so that it does not replay a cached run after the driver or the environment changed.
func noteEnvironment() {
	dynlib.NoteEnvironment([]string{"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "LD_LIBRARY_PATH"},
		"/proc/driver/nvidia/version", "/etc/ld.so.cache")
}

// Library returns the driver library Init loaded or tried to load ("" before Init).
func Library() string {
	Init()
	return library
}

// Probe tries to load a driver library as Init would (dlopen and every entry point) and
// releases it again; it calls nothing in it. It returns nil, ErrNoCgo or a *LoadError.
func Probe(path string) error {
	if impl == nil {
		return ErrNoCgo
	}
	return impl.probe(path)
}

// do makes a driver call through impl, once the library is loaded, and returns its error.
func do(call string, f func() Result) error {
	if !loaded.Load() {
		return check(call, ErrorNotInitialized)
	}
	return check(call, f())
}

// ready returns nil when the driver is initialised, else Init's error with the call's name.
func ready(call string) error {
	if err := Init(); err != nil {
		return fmt.Errorf("%s: the driver is not initialised: %w", call, err)
	}
	return nil
}

// DriverVersion returns cuDriverGetVersion (1000·major + 10·minor) of the loaded driver.
func DriverVersion() (int, error) {
	if err := Init(); err != nil && !loaded.Load() {
		return 0, err
	}
	return version, nil
}

// DeviceCount returns the number of CUDA devices.
func DeviceCount() (int, error) {
	if err := ready("cuDeviceGetCount"); err != nil {
		return 0, err
	}
	var n int32
	if err := do("cuDeviceGetCount", func() Result { return impl.deviceGetCount(&n) }); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Device is a CUdevice.
type Device int32

// DeviceGet returns the device of an ordinal in [0, DeviceCount()).
func DeviceGet(ordinal int) (Device, error) {
	if err := ready("cuDeviceGet"); err != nil {
		return 0, err
	}
	var d int32
	if err := do("cuDeviceGet", func() Result { return impl.deviceGet(&d, int32(ordinal)) }); err != nil {
		return 0, err
	}
	return Device(d), nil
}

// Name returns the device's model name.
func (d Device) Name() (string, error) {
	buf := make([]byte, 256)
	if err := do("cuDeviceGetName", func() Result { return impl.deviceGetName(buf, int32(d)) }); err != nil {
		return "", err
	}
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		buf = buf[:i]
	}
	return string(buf), nil
}

// TotalMem returns the device's memory in bytes.
func (d Device) TotalMem() (int64, error) {
	var b uint64
	if err := do("cuDeviceTotalMem_v2", func() Result { return impl.deviceTotalMem(&b, int32(d)) }); err != nil {
		return 0, err
	}
	return int64(b), nil
}

// DeviceAttribute is a CUdevice_attribute.
type DeviceAttribute int32

// The device attributes gloss reads (values from the CUDA driver API).
const (
	AttrMaxThreadsPerBlock           DeviceAttribute = 1
	AttrWarpSize                     DeviceAttribute = 10
	AttrMaxRegistersPerBlock         DeviceAttribute = 12
	AttrMultiprocessorCount          DeviceAttribute = 16
	AttrMaxThreadsPerMultiprocessor  DeviceAttribute = 39
	AttrComputeCapabilityMajor       DeviceAttribute = 75
	AttrComputeCapabilityMinor       DeviceAttribute = 76
	AttrMaxSharedMemoryPerSM         DeviceAttribute = 81
	AttrMaxRegistersPerSM            DeviceAttribute = 82
	AttrMaxSharedMemoryPerBlockOptin DeviceAttribute = 97
	AttrMaxBlocksPerSM               DeviceAttribute = 106
	AttrReservedSharedMemoryPerBlock DeviceAttribute = 111
)

// Attribute returns a device attribute.
func (d Device) Attribute(a DeviceAttribute) (int, error) {
	var v int32
	if err := do("cuDeviceGetAttribute", func() Result { return impl.deviceGetAttribute(&v, int32(a), int32(d)) }); err != nil {
		return 0, err
	}
	return int(v), nil
}

// Context is a CUcontext.
type Context struct{ h unsafe.Pointer }

// IsZero reports whether c is no context.
func (c Context) IsZero() bool { return c.h == nil }

// PrimaryCtxRetain retains the device's primary context (creating it on first use).
func (d Device) PrimaryCtxRetain() (Context, error) {
	var h unsafe.Pointer
	if err := do("cuDevicePrimaryCtxRetain", func() Result { return impl.primaryCtxRetain(&h, int32(d)) }); err != nil {
		return Context{}, err
	}
	return Context{h}, nil
}

// PrimaryCtxRelease releases one retain of the device's primary context.
func (d Device) PrimaryCtxRelease() error {
	return do("cuDevicePrimaryCtxRelease_v2", func() Result { return impl.primaryCtxRelease(int32(d)) })
}

// SetCurrent makes c the calling OS thread's current context.
func (c Context) SetCurrent() error {
	return do("cuCtxSetCurrent", func() Result { return impl.ctxSetCurrent(c.h) })
}

// CtxSynchronize waits for all the work of the current context.
func CtxSynchronize() error {
	return do("cuCtxSynchronize", func() Result { return impl.ctxSynchronize() })
}

// MemGetInfo returns the free and total memory of the current context's device, in bytes.
func MemGetInfo() (free, total int64, err error) {
	var f, t uint64
	if err := do("cuMemGetInfo_v2", func() Result { return impl.memGetInfo(&f, &t) }); err != nil {
		return 0, 0, err
	}
	return int64(f), int64(t), nil
}

// Module is a CUmodule.
type Module struct{ h unsafe.Pointer }

// IsZero reports whether m is no module.
func (m Module) IsZero() bool { return m.h == nil }

// ModuleLoadData loads a module image (a fatbin, cubin or NUL-terminated PTX) into the
// current context.
func ModuleLoadData(image []byte) (Module, error) {
	if len(image) == 0 {
		return Module{}, check("cuModuleLoadData", ErrorInvalidImage)
	}
	var h unsafe.Pointer
	if err := do("cuModuleLoadData", func() Result { return impl.moduleLoadData(&h, image) }); err != nil {
		return Module{}, err
	}
	return Module{h}, nil
}

// Unload unloads the module.
func (m Module) Unload() error {
	return do("cuModuleUnload", func() Result { return impl.moduleUnload(m.h) })
}

// Function returns the module's kernel of that name (CUDA_ERROR_NOT_FOUND when it has none).
func (m Module) Function(name string) (Function, error) {
	var h unsafe.Pointer
	if err := do("cuModuleGetFunction", func() Result { return impl.moduleGetFunction(&h, m.h, name) }); err != nil {
		return Function{}, err
	}
	return Function{h}, nil
}

// Function is a CUfunction, a kernel of a loaded module.
type Function struct{ h unsafe.Pointer }

// FuncAttribute is a CUfunction_attribute.
type FuncAttribute int32

// The function attributes gloss uses (values from the CUDA driver API).
const (
	FuncMaxThreadsPerBlock        FuncAttribute = 0
	FuncSharedSizeBytes           FuncAttribute = 1
	FuncNumRegs                   FuncAttribute = 4
	FuncMaxDynamicSharedSizeBytes FuncAttribute = 8
)

// Attribute returns a kernel attribute.
func (f Function) Attribute(a FuncAttribute) (int, error) {
	var v int32
	if err := do("cuFuncGetAttribute", func() Result { return impl.funcGetAttribute(&v, int32(a), f.h) }); err != nil {
		return 0, err
	}
	return int(v), nil
}

// SetAttribute sets a kernel attribute (FuncMaxDynamicSharedSizeBytes: let launches use more
// than 48 KiB of dynamic shared memory).
func (f Function) SetAttribute(a FuncAttribute, v int) error {
	return do("cuFuncSetAttribute", func() Result { return impl.funcSetAttribute(f.h, int32(a), int32(v)) })
}

// DevicePtr is a CUdeviceptr, an address in device memory.
type DevicePtr uint64

// MemAlloc allocates bytes of device memory in the current context.
func MemAlloc(bytes int64) (DevicePtr, error) {
	if bytes <= 0 {
		return 0, check("cuMemAlloc_v2", ErrorInvalidValue)
	}
	var p uint64
	if err := do("cuMemAlloc_v2", func() Result { return impl.memAlloc(&p, uint64(bytes)) }); err != nil {
		return 0, err
	}
	return DevicePtr(p), nil
}

// MemFree frees device memory from MemAlloc.
func MemFree(p DevicePtr) error {
	return do("cuMemFree_v2", func() Result { return impl.memFree(uint64(p)) })
}

// Stream is a CUstream; the zero Stream is the default (NULL) stream.
type Stream struct{ h unsafe.Pointer }

// IsZero reports whether s is the default stream.
func (s Stream) IsZero() bool { return s.h == nil }

// StreamNonBlocking is cuStreamCreate's flag for a stream that does not synchronise with the
// default stream.
const StreamNonBlocking = 1

// StreamCreate creates a stream in the current context.
func StreamCreate(flags uint32) (Stream, error) {
	var h unsafe.Pointer
	if err := do("cuStreamCreate", func() Result { return impl.streamCreate(&h, flags) }); err != nil {
		return Stream{}, err
	}
	return Stream{h}, nil
}

// Destroy destroys the stream (its queued work still completes).
func (s Stream) Destroy() error {
	return do("cuStreamDestroy_v2", func() Result { return impl.streamDestroy(s.h) })
}

// Synchronize waits for the stream's work; an earlier asynchronous failure (a faulting
// kernel) surfaces here.
func (s Stream) Synchronize() error {
	return do("cuStreamSynchronize", func() Result { return impl.streamSynchronize(s.h) })
}

// MemcpyHtoDAsync queues a copy of bytes from host memory at src to dst on s. The host memory
// must stay valid, and must not move, until the stream has done the copy: the caller pins Go
// memory (runtime.Pinner) until it synchronises.
func MemcpyHtoDAsync(dst DevicePtr, src unsafe.Pointer, bytes int64, s Stream) error {
	return do("cuMemcpyHtoDAsync_v2", func() Result { return impl.memcpyHtoDAsync(uint64(dst), src, uint64(bytes), s.h) })
}

// MemcpyDtoHAsync queues a copy of bytes from src to host memory at dst on s (see
// MemcpyHtoDAsync for the host memory's lifetime).
func MemcpyDtoHAsync(dst unsafe.Pointer, src DevicePtr, bytes int64, s Stream) error {
	return do("cuMemcpyDtoHAsync_v2", func() Result { return impl.memcpyDtoHAsync(dst, uint64(src), uint64(bytes), s.h) })
}

// MemcpyDtoDAsync queues a device-to-device copy of bytes on s.
func MemcpyDtoDAsync(dst, src DevicePtr, bytes int64, s Stream) error {
	return do("cuMemcpyDtoDAsync_v2", func() Result { return impl.memcpyDtoDAsync(uint64(dst), uint64(src), uint64(bytes), s.h) })
}

// MemsetD8Async queues setting n bytes at dst to v on s.
func MemsetD8Async(dst DevicePtr, v uint8, n int64, s Stream) error {
	return do("cuMemsetD8Async", func() Result { return impl.memsetD8Async(uint64(dst), v, uint64(n), s.h) })
}

// MaxParams is the most kernel parameters Launch passes.
const MaxParams = 64

// Launch queues the kernel on s with a grid of grid[0]×grid[1]×grid[2] blocks of
// block[0]×block[1]×block[2] threads and smem bytes of dynamic shared memory. params are the
// kernel's parameters in order, each passed as 8 bytes: a device pointer, a 64-bit integer or
// the bits of a double. The driver copies them at the call.
func (f Function) Launch(grid, block [3]int, smem int, s Stream, params []uint64) error {
	if len(params) > MaxParams {
		return check("cuLaunchKernel", ErrorInvalidValue)
	}
	var g, b [3]uint32
	for i := range 3 {
		if grid[i] <= 0 || block[i] <= 0 || grid[i] > 1<<31-1 || block[i] > 1<<16 {
			return check("cuLaunchKernel", ErrorInvalidValue)
		}
		g[i], b[i] = uint32(grid[i]), uint32(block[i])
	}
	if smem < 0 {
		return check("cuLaunchKernel", ErrorInvalidValue)
	}
	return do("cuLaunchKernel", func() Result { return impl.launchKernel(f.h, g, b, uint32(smem), s.h, params) })
}
