// Package cl is gloss's thin binding to the OpenCL 1.2 host API: platforms and devices,
// contexts, in-order command queues, programs (from source or binaries, with build logs),
// kernels, buffers and sub-buffers, blocking transfers and kernel launches.
//
// It loads the OpenCL ICD loader at run time (dlopen of libOpenCL.so.1, or of the path in
// GLOSS_LIBOPENCL) and declares in-tree the few types and prototypes it calls: building needs
// neither OpenCL headers nor libOpenCL, and a binary that imports it starts on any machine.
// Platforms is the entry point: without the library it returns a *LoadError, without cgo
// (CGO_ENABLED=0) ErrNoCgo, and with the loader but no driver installed the loader's
// CL_PLATFORM_NOT_FOUND_KHR (-1001) as an *Error.
//
// Every call returns an error carrying the OpenCL status name and the API function that
// failed (*Error); a failed program build returns a *BuildError holding the build log.
// Objects are released explicitly with Release: there are no finalizers. Launches pass no
// event unless one is asked for, and an Event must be released by its owner.
//
// Thread safety follows OpenCL 1.2: every call is thread-safe except that a Kernel's
// arguments must not be set from two goroutines at once (set and enqueue under one owner).
// The race detector cannot see that misuse: it happens inside C.
package cl

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/dynlib"
)

// EnvLibrary names the environment variable that, when set, gives the OpenCL library to load
// instead of DefaultLibrary (a path, or a name the dynamic loader searches for).
const EnvLibrary = "GLOSS_LIBOPENCL"

// DefaultLibrary is the OpenCL ICD loader's soname (Debian: ocl-icd-libopencl1).
const DefaultLibrary = "libOpenCL.so.1"

// EntryPoints are the OpenCL functions the binding resolves when it loads the library.
var EntryPoints = []string{
	"clGetPlatformIDs", "clGetPlatformInfo", "clGetDeviceIDs", "clGetDeviceInfo",
	"clCreateContext", "clReleaseContext", "clCreateCommandQueue", "clFinish", "clFlush",
	"clReleaseCommandQueue", "clCreateProgramWithSource", "clCreateProgramWithBinary",
	"clBuildProgram", "clGetProgramBuildInfo", "clGetProgramInfo", "clReleaseProgram",
	"clCreateKernel", "clReleaseKernel", "clSetKernelArg", "clGetKernelWorkGroupInfo",
	"clCreateBuffer", "clCreateSubBuffer", "clReleaseMemObject", "clEnqueueWriteBuffer",
	"clEnqueueReadBuffer", "clEnqueueCopyBuffer", "clEnqueueFillBuffer",
	"clEnqueueNDRangeKernel", "clWaitForEvents", "clGetEventProfilingInfo", "clReleaseEvent",
}

// Error is a failed OpenCL call: the API function and its status code.
type Error struct {
	Call string // the OpenCL function, e.g. "clEnqueueNDRangeKernel"
	Code int32  // the status, e.g. -5
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (%d)", e.Call, ErrorName(e.Code), e.Code)
}

// BuildError is a failed clBuildProgram: the status, the options and the device's build log.
type BuildError struct {
	Err     *Error
	Options string
	Log     string
}

func (e *BuildError) Error() string {
	log := strings.TrimSpace(e.Log)
	if log == "" {
		log = "(empty build log)"
	}
	return fmt.Sprintf("%v with options %q:\n%s", e.Err, e.Options, log)
}

// Unwrap returns the underlying *Error.
func (e *BuildError) Unwrap() error { return e.Err }

// ErrNoCgo is Platforms' error in a binary built without cgo: OpenCL cannot be loaded.
var ErrNoCgo = errors.New("cl: this binary was built without cgo (CGO_ENABLED=0), so it cannot load OpenCL; rebuild with cgo and a C compiler")

// LoadError says that the OpenCL library could not be loaded: not found, not loadable, or
// lacking entry points.
type LoadError struct {
	Library string   // what was passed to dlopen
	Reason  string   // dlerror's message
	Missing []string // entry points the library lacks
}

func (e *LoadError) Error() string {
	if len(e.Missing) > 0 {
		return fmt.Sprintf("cl: %s lacks the OpenCL 1.2 entry points %s", e.Library, strings.Join(e.Missing, ", "))
	}
	return fmt.Sprintf("cl: cannot load %s: %s", e.Library, e.Reason)
}

func check(call string, code int32) error {
	if code == Success {
		return nil
	}
	return &Error{Call: call, Code: code}
}

// Status codes callers branch on.
const (
	Success                    = 0
	DeviceNotFound             = -1
	MemObjectAllocationFailure = -4
	OutOfResources             = -5
	OutOfHostMemory            = -6
	BuildProgramFailure        = -11
	MisalignedSubBufferOffset  = -13
	InvalidValue               = -30
	InvalidMemObject           = -38
	InvalidBinary              = -42
	InvalidBuildOptions        = -43
	InvalidKernelName          = -46
	InvalidWorkGroupSize       = -54
	InvalidBufferSize          = -61
	PlatformNotFoundKHR        = -1001
)

var errorNames = map[int32]string{
	0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
	-3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
	-5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY", -7: "CL_PROFILING_INFO_NOT_AVAILABLE",
	-8: "CL_MEM_COPY_OVERLAP", -9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
	-11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE", -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
	-14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", -15: "CL_COMPILE_PROGRAM_FAILURE",
	-16: "CL_LINKER_NOT_AVAILABLE", -17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
	-19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE",
	-32: "CL_INVALID_PLATFORM", -33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT",
	-35: "CL_INVALID_QUEUE_PROPERTIES", -36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR",
	-38: "CL_INVALID_MEM_OBJECT", -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE",
	-41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
	-44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME",
	-47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX",
	-50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS",
	-53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
	-56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
	-59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
	-62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
	-65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS", -67: "CL_INVALID_LINKER_OPTIONS",
	-68: "CL_INVALID_DEVICE_PARTITION_COUNT", -69: "CL_INVALID_PIPE_SIZE", -70: "CL_INVALID_DEVICE_QUEUE",
	-71: "CL_INVALID_SPEC_ID", -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
	-1000: "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
}

// ErrorName returns the symbolic name of an OpenCL status code, e.g. "CL_OUT_OF_RESOURCES".
func ErrorName(code int32) string {
	if n, ok := errorNames[code]; ok {
		return n
	}
	return "CL_UNKNOWN_ERROR"
}

// The OpenCL 1.2 enumerants the binding passes (values from the Khronos headers).
const (
	clPlatformVersion = 0x0901
	clPlatformName    = 0x0902
	clPlatformVendor  = 0x0903

	clDeviceType             = 0x1000
	clDeviceMaxComputeUnits  = 0x1002
	clDeviceMaxWorkGroupSize = 0x1004
	clDeviceMaxMemAllocSize  = 0x1010
	clDeviceMemBaseAddrAlign = 0x1019
	clDeviceGlobalMemSize    = 0x101F
	clDeviceLocalMemSize     = 0x1023
	clDeviceName             = 0x102B
	clDeviceVendor           = 0x102C
	clDriverVersion          = 0x102D
	clDeviceVersion          = 0x102F
	clDeviceExtensions       = 0x1030
	clDeviceDoubleFPConfig   = 0x1032
	clDeviceOpenCLCVersion   = 0x103D

	clQueueProfilingEnable = 1 << 1

	clProgramBinarySizes = 0x1165
	clProgramBinaries    = 0x1166
	clProgramKernelNames = 0x1168
	clProgramBuildLog    = 0x1183

	clKernelWorkGroupSize = 0x11B0

	clProfilingCommandStart = 0x1282
	clProfilingCommandEnd   = 0x1283
)

// api is what the cgo part of the package provides: the library loader and the entry points,
// with Go types. Object handles are C pointers held as unsafe.Pointer, sizes are uintptr
// (size_t). Without cgo it is nil and Platforms returns ErrNoCgo.
type api interface {
	open(path string) error
	probe(path string) error
	getPlatformIDs(n uint32, ids *unsafe.Pointer, num *uint32) int32
	getPlatformInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	getDeviceIDs(p unsafe.Pointer, t uint64, n uint32, ids *unsafe.Pointer, num *uint32) int32
	getDeviceInfo(d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	createContext(devs []unsafe.Pointer, code *int32) unsafe.Pointer
	releaseContext(c unsafe.Pointer) int32
	createCommandQueue(c, d unsafe.Pointer, props uint64, code *int32) unsafe.Pointer
	finish(q unsafe.Pointer) int32
	flush(q unsafe.Pointer) int32
	releaseCommandQueue(q unsafe.Pointer) int32
	createProgramWithSource(c unsafe.Pointer, srcs []string, code *int32) unsafe.Pointer
	createProgramWithBinary(c, d unsafe.Pointer, bin []byte, status, code *int32) unsafe.Pointer
	buildProgram(p, d unsafe.Pointer, options string) int32
	getProgramBuildInfo(p, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	getProgramInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	programBinary(p unsafe.Pointer, dst []byte) int32
	releaseProgram(p unsafe.Pointer) int32
	createKernel(p unsafe.Pointer, name string, code *int32) unsafe.Pointer
	releaseKernel(k unsafe.Pointer) int32
	setKernelArg(k unsafe.Pointer, i uint32, size uintptr, val unsafe.Pointer) int32
	getKernelWorkGroupInfo(k, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	createBuffer(c unsafe.Pointer, flags uint64, size uintptr, code *int32) unsafe.Pointer
	createSubBuffer(m unsafe.Pointer, flags uint64, origin, size uintptr, code *int32) unsafe.Pointer
	releaseMemObject(m unsafe.Pointer) int32
	enqueueWriteBuffer(q, m unsafe.Pointer, off, size uintptr, src unsafe.Pointer) int32
	enqueueReadBuffer(q, m unsafe.Pointer, off, size uintptr, dst unsafe.Pointer) int32
	enqueueCopyBuffer(q, src, dst unsafe.Pointer, srcOff, dstOff, size uintptr) int32
	enqueueFillBuffer(q, m unsafe.Pointer, pattern []byte, off, size uintptr) int32
	enqueueNDRangeKernel(q, k unsafe.Pointer, global, local uintptr, ev *unsafe.Pointer) int32
	waitForEvents(e unsafe.Pointer) int32
	getEventProfilingInfo(e unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32
	releaseEvent(e unsafe.Pointer) int32
}

// impl is set by the cgo part of the package; nil in a build without cgo.
var impl api

// cNames, also set by the cgo part, lists the entry points its C table resolves (the test
// compares them with EntryPoints).
var cNames func() []string

var (
	loadOnce sync.Once
	loadErr  error
	library  string
)

// load loads the library once per process (GLOSS_LIBOPENCL, else libOpenCL.so.1) and returns
// the same result every time.
func load() error {
	loadOnce.Do(func() {
		if impl == nil {
			loadErr = ErrNoCgo
			return
		}
		library = dynlib.Choose(EnvLibrary, DefaultLibrary)
		noteEnvironment()
		loadErr = impl.open(library)
	})
	return loadErr
}

// noteEnvironment reads, from Go, what the ICD loader reads from C: its environment variables,
// its folder of driver files and the dynamic loader's cache (which changes when a library is
// installed). The results are not used: reading them lets `go test` see them, so that it does
// not replay a cached run after OpenCL was installed or the environment changed.
func noteEnvironment() {
	dynlib.NoteEnvironment([]string{"OCL_ICD_VENDORS", "OPENCL_VENDOR_PATH", "OCL_ICD_FILENAMES", "POCL_DEVICES", "LD_LIBRARY_PATH"},
		dynlib.Choose("OCL_ICD_VENDORS", "/etc/OpenCL/vendors"), "/etc/ld.so.cache")
}

// Library returns the OpenCL library the binding loaded or tried to load.
func Library() string {
	load()
	return library
}

// Probe tries to load an OpenCL library as Platforms would (dlopen and every entry point)
// and releases it again; it calls nothing in it. It returns nil, ErrNoCgo or a *LoadError.
func Probe(path string) error {
	if impl == nil {
		return ErrNoCgo
	}
	return impl.probe(path)
}

// ---- platforms and devices ----

// Platform is an OpenCL platform (an installed driver, through the ICD loader).
type Platform struct{ id unsafe.Pointer }

// Platforms loads the OpenCL library on first use and lists the installed platforms. Without
// the library it returns a *LoadError (ErrNoCgo without cgo); with none installed the ICD
// loader answers CL_PLATFORM_NOT_FOUND_KHR (-1001), returned as an *Error.
func Platforms() ([]Platform, error) {
	if err := load(); err != nil {
		return nil, err
	}
	var n uint32
	if err := check("clGetPlatformIDs", impl.getPlatformIDs(0, nil, &n)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	ids := make([]unsafe.Pointer, n)
	if err := check("clGetPlatformIDs", impl.getPlatformIDs(n, &ids[0], nil)); err != nil {
		return nil, err
	}
	out := make([]Platform, n)
	for i, id := range ids {
		out[i] = Platform{id}
	}
	return out, nil
}

// infoString reads a string parameter with a size query first.
func infoString(call string, get func(size uintptr, val unsafe.Pointer, ret *uintptr) int32) (string, error) {
	var size uintptr
	if err := check(call, get(0, nil, &size)); err != nil {
		return "", err
	}
	if size == 0 {
		return "", nil
	}
	buf := make([]byte, size)
	if err := check(call, get(size, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return "", err
	}
	return cstr(buf), nil
}

func (p Platform) str(param uint32) (string, error) {
	return infoString("clGetPlatformInfo", func(size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return impl.getPlatformInfo(p.id, param, size, val, ret)
	})
}

// Name is CL_PLATFORM_NAME.
func (p Platform) Name() (string, error) { return p.str(clPlatformName) }

// Vendor is CL_PLATFORM_VENDOR.
func (p Platform) Vendor() (string, error) { return p.str(clPlatformVendor) }

// Version is CL_PLATFORM_VERSION.
func (p Platform) Version() (string, error) { return p.str(clPlatformVersion) }

// DeviceType selects devices by kind.
type DeviceType uint64

// Device types.
const (
	DeviceTypeCPU         DeviceType = 1 << 1
	DeviceTypeGPU         DeviceType = 1 << 2
	DeviceTypeAccelerator DeviceType = 1 << 3
	DeviceTypeAll         DeviceType = 0xFFFFFFFF
)

// Devices lists the platform's devices of the given type; none is an empty list, not an error.
func (p Platform) Devices(t DeviceType) ([]Device, error) {
	var n uint32
	code := impl.getDeviceIDs(p.id, uint64(t), 0, nil, &n)
	if code == DeviceNotFound {
		return nil, nil
	}
	if err := check("clGetDeviceIDs", code); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	ids := make([]unsafe.Pointer, n)
	if err := check("clGetDeviceIDs", impl.getDeviceIDs(p.id, uint64(t), n, &ids[0], nil)); err != nil {
		return nil, err
	}
	out := make([]Device, n)
	for i, id := range ids {
		out[i] = Device{id}
	}
	return out, nil
}

// Device is one OpenCL device.
type Device struct{ id unsafe.Pointer }

func (d Device) info(param uint32, size uintptr, dst unsafe.Pointer) error {
	return check("clGetDeviceInfo", impl.getDeviceInfo(d.id, param, size, dst, nil))
}

func (d Device) str(param uint32) (string, error) {
	return infoString("clGetDeviceInfo", func(size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return impl.getDeviceInfo(d.id, param, size, val, ret)
	})
}

func (d Device) u64(param uint32) (uint64, error) {
	var v uint64
	err := d.info(param, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return v, err
}

func (d Device) u32(param uint32) (uint32, error) {
	var v uint32
	err := d.info(param, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return v, err
}

// Name is CL_DEVICE_NAME.
func (d Device) Name() (string, error) { return d.str(clDeviceName) }

// Vendor is CL_DEVICE_VENDOR.
func (d Device) Vendor() (string, error) { return d.str(clDeviceVendor) }

// Version is CL_DEVICE_VERSION.
func (d Device) Version() (string, error) { return d.str(clDeviceVersion) }

// DriverVersion is CL_DRIVER_VERSION.
func (d Device) DriverVersion() (string, error) { return d.str(clDriverVersion) }

// OpenCLCVersion is CL_DEVICE_OPENCL_C_VERSION.
func (d Device) OpenCLCVersion() (string, error) { return d.str(clDeviceOpenCLCVersion) }

// Extensions is CL_DEVICE_EXTENSIONS, space separated.
func (d Device) Extensions() (string, error) { return d.str(clDeviceExtensions) }

// Type is CL_DEVICE_TYPE.
func (d Device) Type() (DeviceType, error) {
	v, err := d.u64(clDeviceType)
	return DeviceType(v), err
}

// MaxComputeUnits is CL_DEVICE_MAX_COMPUTE_UNITS.
func (d Device) MaxComputeUnits() (int, error) {
	v, err := d.u32(clDeviceMaxComputeUnits)
	return int(v), err
}

// MaxWorkGroupSize is CL_DEVICE_MAX_WORK_GROUP_SIZE.
func (d Device) MaxWorkGroupSize() (int, error) {
	var v uintptr
	err := d.info(clDeviceMaxWorkGroupSize, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return int(v), err
}

// GlobalMemSize is CL_DEVICE_GLOBAL_MEM_SIZE in bytes.
func (d Device) GlobalMemSize() (int64, error) {
	v, err := d.u64(clDeviceGlobalMemSize)
	return int64(v), err
}

// MaxMemAllocSize is CL_DEVICE_MAX_MEM_ALLOC_SIZE in bytes.
func (d Device) MaxMemAllocSize() (int64, error) {
	v, err := d.u64(clDeviceMaxMemAllocSize)
	return int64(v), err
}

// LocalMemSize is CL_DEVICE_LOCAL_MEM_SIZE in bytes.
func (d Device) LocalMemSize() (int64, error) {
	v, err := d.u64(clDeviceLocalMemSize)
	return int64(v), err
}

// MemBaseAddrAlign is CL_DEVICE_MEM_BASE_ADDR_ALIGN in bits: sub-buffer origins must be a
// multiple of it.
func (d Device) MemBaseAddrAlign() (int, error) {
	v, err := d.u32(clDeviceMemBaseAddrAlign)
	return int(v), err
}

// DoubleFPConfig is CL_DEVICE_DOUBLE_FP_CONFIG: 0 when the device has no float64.
func (d Device) DoubleFPConfig() (uint64, error) { return d.u64(clDeviceDoubleFPConfig) }

// ---- context and queue ----

// Context owns buffers and programs for a set of devices.
type Context struct{ c unsafe.Pointer }

// CreateContext creates a context for the devices.
func CreateContext(devs ...Device) (*Context, error) {
	if len(devs) == 0 {
		return nil, &Error{Call: "clCreateContext", Code: InvalidValue}
	}
	ids := make([]unsafe.Pointer, len(devs))
	for i, d := range devs {
		ids[i] = d.id
	}
	var code int32
	c := impl.createContext(ids, &code)
	if err := check("clCreateContext", code); err != nil {
		return nil, err
	}
	return &Context{c}, nil
}

// Release releases the context.
func (c *Context) Release() error {
	if c == nil || c.c == nil {
		return nil
	}
	err := check("clReleaseContext", impl.releaseContext(c.c))
	c.c = nil
	return err
}

// Queue is an in-order command queue.
type Queue struct{ q unsafe.Pointer }

// CreateQueue creates an in-order queue on dev, with profiling when asked.
func (c *Context) CreateQueue(d Device, profiling bool) (*Queue, error) {
	var props uint64
	if profiling {
		props = clQueueProfilingEnable
	}
	var code int32
	q := impl.createCommandQueue(c.c, d.id, props, &code)
	if err := check("clCreateCommandQueue", code); err != nil {
		return nil, err
	}
	return &Queue{q}, nil
}

// Finish blocks until every command queued so far is done.
func (q *Queue) Finish() error { return check("clFinish", impl.finish(q.q)) }

// Flush submits the queued commands without waiting.
func (q *Queue) Flush() error { return check("clFlush", impl.flush(q.q)) }

// Release releases the queue (after finishing its work, as OpenCL does).
func (q *Queue) Release() error {
	if q == nil || q.q == nil {
		return nil
	}
	err := check("clReleaseCommandQueue", impl.releaseCommandQueue(q.q))
	q.q = nil
	return err
}

// ---- programs and kernels ----

// Program is an OpenCL program.
type Program struct{ p unsafe.Pointer }

// CreateProgramWithSource creates a program from source strings, concatenated in order.
func (c *Context) CreateProgramWithSource(srcs ...string) (*Program, error) {
	if len(srcs) == 0 {
		return nil, &Error{Call: "clCreateProgramWithSource", Code: InvalidValue}
	}
	var code int32
	p := impl.createProgramWithSource(c.c, srcs, &code)
	if err := check("clCreateProgramWithSource", code); err != nil {
		return nil, err
	}
	return &Program{p}, nil
}

// CreateProgramWithBinary creates a program from a binary that Program.Binary returned for
// the same device and driver. It must still be built.
func (c *Context) CreateProgramWithBinary(d Device, bin []byte) (*Program, error) {
	if len(bin) == 0 {
		return nil, &Error{Call: "clCreateProgramWithBinary", Code: InvalidBinary}
	}
	var status, code int32
	p := impl.createProgramWithBinary(c.c, d.id, bin, &status, &code)
	if err := check("clCreateProgramWithBinary", code); err != nil {
		return nil, err
	}
	if err := check("clCreateProgramWithBinary (binary status)", status); err != nil {
		impl.releaseProgram(p)
		return nil, err
	}
	return &Program{p}, nil
}

// Build builds the program for d with the options. A failure is a *BuildError with the log.
func (p *Program) Build(d Device, options string) error {
	code := impl.buildProgram(p.p, d.id, options)
	if code == Success {
		return nil
	}
	log, _ := p.BuildLog(d)
	return &BuildError{Err: &Error{Call: "clBuildProgram", Code: code}, Options: options, Log: log}
}

// BuildLog returns the build log of the program on d.
func (p *Program) BuildLog(d Device) (string, error) {
	return infoString("clGetProgramBuildInfo", func(size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return impl.getProgramBuildInfo(p.p, d.id, clProgramBuildLog, size, val, ret)
	})
}

// Binary returns the built program's binary for its (single) device.
func (p *Program) Binary() ([]byte, error) {
	var size uintptr
	if err := check("clGetProgramInfo", impl.getProgramInfo(p.p, clProgramBinarySizes, unsafe.Sizeof(size), unsafe.Pointer(&size), nil)); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, &Error{Call: "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)", Code: InvalidBinary}
	}
	buf := make([]byte, size)
	if err := check("clGetProgramInfo", impl.programBinary(p.p, buf)); err != nil {
		return nil, err
	}
	return buf, nil
}

// KernelNames lists the kernels of a built program.
func (p *Program) KernelNames() ([]string, error) {
	s, err := infoString("clGetProgramInfo", func(size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return impl.getProgramInfo(p.p, clProgramKernelNames, size, val, ret)
	})
	if err != nil || s == "" {
		return nil, err
	}
	return strings.Split(s, ";"), nil
}

// Release releases the program.
func (p *Program) Release() error {
	if p == nil || p.p == nil {
		return nil
	}
	err := check("clReleaseProgram", impl.releaseProgram(p.p))
	p.p = nil
	return err
}

// Kernel is one kernel of a built program. Its arguments are state: one goroutine at a time.
type Kernel struct {
	k    unsafe.Pointer
	Name string
}

// CreateKernel creates the named kernel; a missing name is CL_INVALID_KERNEL_NAME.
func (p *Program) CreateKernel(name string) (*Kernel, error) {
	var code int32
	k := impl.createKernel(p.p, name, &code)
	if err := check("clCreateKernel("+name+")", code); err != nil {
		return nil, err
	}
	return &Kernel{k: k, Name: name}, nil
}

// Release releases the kernel.
func (k *Kernel) Release() error {
	if k == nil || k.k == nil {
		return nil
	}
	err := check("clReleaseKernel("+k.Name+")", impl.releaseKernel(k.k))
	k.k = nil
	return err
}

func (k *Kernel) setArg(i int, size uintptr, v unsafe.Pointer) error {
	code := impl.setKernelArg(k.k, uint32(i), size, v)
	if code == Success {
		return nil
	}
	return &Error{Call: fmt.Sprintf("clSetKernelArg(%s, %d)", k.Name, i), Code: code}
}

// SetArgBuffer sets a __global pointer argument; a nil buffer passes NULL.
func (k *Kernel) SetArgBuffer(i int, m *Mem) error {
	var h unsafe.Pointer
	if m != nil {
		h = m.m
	}
	return k.setArg(i, unsafe.Sizeof(h), unsafe.Pointer(&h))
}

// SetArgInt32 sets an int argument.
func (k *Kernel) SetArgInt32(i int, v int32) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgInt64 sets a long argument.
func (k *Kernel) SetArgInt64(i int, v int64) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgUint64 sets a ulong argument.
func (k *Kernel) SetArgUint64(i int, v uint64) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgFloat32 sets a float argument.
func (k *Kernel) SetArgFloat32(i int, v float32) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgFloat64 sets a double argument.
func (k *Kernel) SetArgFloat64(i int, v float64) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgFloat32x8 sets a float8 argument.
func (k *Kernel) SetArgFloat32x8(i int, v [8]float32) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgFloat64x8 sets a double8 argument.
func (k *Kernel) SetArgFloat64x8(i int, v [8]float64) error {
	return k.setArg(i, unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgLocal sets a __local argument of size bytes.
func (k *Kernel) SetArgLocal(i int, size int) error { return k.setArg(i, uintptr(size), nil) }

// WorkGroupSize is CL_KERNEL_WORK_GROUP_SIZE on d: the largest local size it can run with.
func (k *Kernel) WorkGroupSize(d Device) (int, error) {
	var v uintptr
	err := check("clGetKernelWorkGroupInfo", impl.getKernelWorkGroupInfo(k.k, d.id, clKernelWorkGroupSize, unsafe.Sizeof(v), unsafe.Pointer(&v), nil))
	return int(v), err
}

// ---- buffers ----

// MemFlags are buffer flags.
type MemFlags uint64

// Buffer flags.
const (
	MemReadWrite MemFlags = 1 << 0
	MemWriteOnly MemFlags = 1 << 1
	MemReadOnly  MemFlags = 1 << 2
)

// Mem is a buffer or a sub-buffer.
type Mem struct {
	m    unsafe.Pointer
	size int
}

// Size is the buffer's size in bytes.
func (m *Mem) Size() int { return m.size }

// CreateBuffer allocates size bytes (size > 0).
func (c *Context) CreateBuffer(flags MemFlags, size int) (*Mem, error) {
	var code int32
	m := impl.createBuffer(c.c, uint64(flags), uintptr(size), &code)
	if err := check("clCreateBuffer", code); err != nil {
		return nil, err
	}
	return &Mem{m: m, size: size}, nil
}

// SubBuffer creates a view of size bytes at byte origin; origin must be a multiple of the
// device's MemBaseAddrAlign/8 (else CL_MISALIGNED_SUB_BUFFER_OFFSET) and m must not itself be
// a sub-buffer.
func (m *Mem) SubBuffer(flags MemFlags, origin, size int) (*Mem, error) {
	var code int32
	s := impl.createSubBuffer(m.m, uint64(flags), uintptr(origin), uintptr(size), &code)
	if err := check("clCreateSubBuffer", code); err != nil {
		return nil, err
	}
	return &Mem{m: s, size: size}, nil
}

// Release releases the buffer.
func (m *Mem) Release() error {
	if m == nil || m.m == nil {
		return nil
	}
	err := check("clReleaseMemObject", impl.releaseMemObject(m.m))
	m.m = nil
	return err
}

// ---- commands ----

// WriteBuffer copies size bytes from host memory at src into m at byte offset off, blocking.
// src must stay valid for the call only (the copy is done when it returns).
func (q *Queue) WriteBuffer(m *Mem, off int, src unsafe.Pointer, size int) error {
	if size == 0 {
		return nil
	}
	return check("clEnqueueWriteBuffer", impl.enqueueWriteBuffer(q.q, m.m, uintptr(off), uintptr(size), src))
}

// ReadBuffer copies size bytes of m at byte offset off into host memory at dst, blocking.
func (q *Queue) ReadBuffer(m *Mem, off int, dst unsafe.Pointer, size int) error {
	if size == 0 {
		return nil
	}
	return check("clEnqueueReadBuffer", impl.enqueueReadBuffer(q.q, m.m, uintptr(off), uintptr(size), dst))
}

// Write copies a host slice into m at byte offset off, blocking.
func Write[T any](q *Queue, m *Mem, off int, src []T) error {
	if len(src) == 0 {
		return nil
	}
	return q.WriteBuffer(m, off, unsafe.Pointer(&src[0]), len(src)*int(unsafe.Sizeof(src[0])))
}

// Read copies from m at byte offset off into a host slice, blocking.
func Read[T any](q *Queue, m *Mem, off int, dst []T) error {
	if len(dst) == 0 {
		return nil
	}
	return q.ReadBuffer(m, off, unsafe.Pointer(&dst[0]), len(dst)*int(unsafe.Sizeof(dst[0])))
}

// CopyBuffer enqueues a device copy of size bytes (not blocking; Finish or a blocking read
// on the same in-order queue waits for it).
func (q *Queue) CopyBuffer(src, dst *Mem, srcOff, dstOff, size int) error {
	if size == 0 {
		return nil
	}
	return check("clEnqueueCopyBuffer", impl.enqueueCopyBuffer(q.q, src.m, dst.m, uintptr(srcOff), uintptr(dstOff), uintptr(size)))
}

// FillBuffer enqueues a fill of size bytes at off with the repeated pattern (1, 2, 4, ...
// 128 bytes; off and size multiples of its length).
func (q *Queue) FillBuffer(m *Mem, pattern []byte, off, size int) error {
	if size == 0 {
		return nil
	}
	if len(pattern) == 0 {
		return &Error{Call: "clEnqueueFillBuffer", Code: InvalidValue}
	}
	return check("clEnqueueFillBuffer", impl.enqueueFillBuffer(q.q, m.m, pattern, uintptr(off), uintptr(size)))
}

// Run enqueues a one-dimensional launch of global work-items in groups of local (global a
// multiple of local). No event is created.
func (q *Queue) Run(k *Kernel, global, local int) error {
	code := impl.enqueueNDRangeKernel(q.q, k.k, uintptr(global), uintptr(local), nil)
	if code == Success {
		return nil
	}
	return &Error{Call: fmt.Sprintf("clEnqueueNDRangeKernel(%s, global %d, local %d)", k.Name, global, local), Code: code}
}

// Event is a command's event; its owner must Release it.
type Event struct{ e unsafe.Pointer }

// RunEvent is Run returning the launch's event (for profiling); release it after use.
func (q *Queue) RunEvent(k *Kernel, global, local int) (*Event, error) {
	var e unsafe.Pointer
	code := impl.enqueueNDRangeKernel(q.q, k.k, uintptr(global), uintptr(local), &e)
	if code != Success {
		return nil, &Error{Call: fmt.Sprintf("clEnqueueNDRangeKernel(%s, global %d, local %d)", k.Name, global, local), Code: code}
	}
	return &Event{e}, nil
}

// Wait blocks until the event's command is complete.
func (e *Event) Wait() error { return check("clWaitForEvents", impl.waitForEvents(e.e)) }

// Duration returns the command's run time in nanoseconds (the queue needs profiling).
func (e *Event) Duration() (int64, error) {
	var start, end uint64
	if err := check("clGetEventProfilingInfo", impl.getEventProfilingInfo(e.e, clProfilingCommandStart, unsafe.Sizeof(start), unsafe.Pointer(&start), nil)); err != nil {
		return 0, err
	}
	if err := check("clGetEventProfilingInfo", impl.getEventProfilingInfo(e.e, clProfilingCommandEnd, unsafe.Sizeof(end), unsafe.Pointer(&end), nil)); err != nil {
		return 0, err
	}
	return int64(end - start), nil
}

// Release releases the event.
func (e *Event) Release() error {
	if e == nil || e.e == nil {
		return nil
	}
	err := check("clReleaseEvent", impl.releaseEvent(e.e))
	e.e = nil
	return err
}

// cstr turns a NUL-terminated C string in buf into a Go string.
func cstr(buf []byte) string {
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		buf = buf[:i]
	}
	return string(buf)
}
