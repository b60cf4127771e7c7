//go:build opencl

// Package cl is gloss's thin cgo binding to the OpenCL 1.2 host API: platforms and devices,
// contexts, in-order command queues, programs (from source or binaries, with build logs),
// kernels, buffers and sub-buffers, blocking transfers and kernel launches.
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

/*
#cgo LDFLAGS: -lOpenCL
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdlib.h>

// Go cannot call variadic or callback-taking functions conveniently: small wrappers.
static cl_context gloss_create_context(cl_uint n, const cl_device_id *devs, cl_int *err) {
	return clCreateContext(NULL, n, devs, NULL, NULL, err);
}
static cl_int gloss_build(cl_program p, cl_uint n, const cl_device_id *devs, const char *opts) {
	return clBuildProgram(p, n, devs, opts, NULL, NULL);
}
static cl_program gloss_program_binary(cl_context ctx, cl_device_id dev, size_t len, const unsigned char *bin, cl_int *status, cl_int *err) {
	return clCreateProgramWithBinary(ctx, 1, &dev, &len, &bin, status, err);
}
static cl_int gloss_program_binary_get(cl_program p, size_t len, unsigned char *dst) {
	unsigned char *bins[1] = {dst};
	return clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL);
}
static cl_mem gloss_sub_buffer(cl_mem m, cl_mem_flags flags, size_t origin, size_t size, cl_int *err) {
	cl_buffer_region r = {origin, size};
	return clCreateSubBuffer(m, flags, CL_BUFFER_CREATE_TYPE_REGION, &r, err);
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

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

func check(call string, code C.cl_int) error {
	if code == C.CL_SUCCESS {
		return nil
	}
	return &Error{Call: call, Code: int32(code)}
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

// ---- platforms and devices ----

// Platform is an OpenCL platform (an installed driver, through the ICD loader).
type Platform struct{ id C.cl_platform_id }

// Platforms lists the installed platforms. With none installed the ICD loader answers
// CL_PLATFORM_NOT_FOUND_KHR (-1001), returned as an *Error.
func Platforms() ([]Platform, error) {
	var n C.cl_uint
	if err := check("clGetPlatformIDs", C.clGetPlatformIDs(0, nil, &n)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	ids := make([]C.cl_platform_id, n)
	if err := check("clGetPlatformIDs", C.clGetPlatformIDs(n, &ids[0], nil)); err != nil {
		return nil, err
	}
	out := make([]Platform, n)
	for i, id := range ids {
		out[i] = Platform{id}
	}
	return out, nil
}

func (p Platform) str(param C.cl_platform_info) (string, error) {
	var size C.size_t
	if err := check("clGetPlatformInfo", C.clGetPlatformInfo(p.id, param, 0, nil, &size)); err != nil {
		return "", err
	}
	if size == 0 {
		return "", nil
	}
	buf := make([]byte, size)
	if err := check("clGetPlatformInfo", C.clGetPlatformInfo(p.id, param, size, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return "", err
	}
	return cstr(buf), nil
}

// Name is CL_PLATFORM_NAME.
func (p Platform) Name() (string, error) { return p.str(C.CL_PLATFORM_NAME) }

// Vendor is CL_PLATFORM_VENDOR.
func (p Platform) Vendor() (string, error) { return p.str(C.CL_PLATFORM_VENDOR) }

// Version is CL_PLATFORM_VERSION.
func (p Platform) Version() (string, error) { return p.str(C.CL_PLATFORM_VERSION) }

// DeviceType selects devices by kind.
type DeviceType uint64

// Device types.
const (
	DeviceTypeCPU         DeviceType = C.CL_DEVICE_TYPE_CPU
	DeviceTypeGPU         DeviceType = C.CL_DEVICE_TYPE_GPU
	DeviceTypeAccelerator DeviceType = C.CL_DEVICE_TYPE_ACCELERATOR
	DeviceTypeAll         DeviceType = C.CL_DEVICE_TYPE_ALL
)

// Devices lists the platform's devices of the given type; none is an empty list, not an error.
func (p Platform) Devices(t DeviceType) ([]Device, error) {
	var n C.cl_uint
	code := C.clGetDeviceIDs(p.id, C.cl_device_type(t), 0, nil, &n)
	if code == C.CL_DEVICE_NOT_FOUND {
		return nil, nil
	}
	if err := check("clGetDeviceIDs", code); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	ids := make([]C.cl_device_id, n)
	if err := check("clGetDeviceIDs", C.clGetDeviceIDs(p.id, C.cl_device_type(t), n, &ids[0], nil)); err != nil {
		return nil, err
	}
	out := make([]Device, n)
	for i, id := range ids {
		out[i] = Device{id}
	}
	return out, nil
}

// Device is one OpenCL device.
type Device struct{ id C.cl_device_id }

func (d Device) info(param C.cl_device_info, size uintptr, dst unsafe.Pointer) error {
	return check("clGetDeviceInfo", C.clGetDeviceInfo(d.id, param, C.size_t(size), dst, nil))
}

func (d Device) str(param C.cl_device_info) (string, error) {
	var size C.size_t
	if err := check("clGetDeviceInfo", C.clGetDeviceInfo(d.id, param, 0, nil, &size)); err != nil {
		return "", err
	}
	if size == 0 {
		return "", nil
	}
	buf := make([]byte, size)
	if err := d.info(param, uintptr(size), unsafe.Pointer(&buf[0])); err != nil {
		return "", err
	}
	return cstr(buf), nil
}

func (d Device) u64(param C.cl_device_info) (uint64, error) {
	var v C.cl_ulong
	err := d.info(param, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return uint64(v), err
}

func (d Device) u32(param C.cl_device_info) (uint32, error) {
	var v C.cl_uint
	err := d.info(param, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return uint32(v), err
}

// Name is CL_DEVICE_NAME.
func (d Device) Name() (string, error) { return d.str(C.CL_DEVICE_NAME) }

// Vendor is CL_DEVICE_VENDOR.
func (d Device) Vendor() (string, error) { return d.str(C.CL_DEVICE_VENDOR) }

// Version is CL_DEVICE_VERSION.
func (d Device) Version() (string, error) { return d.str(C.CL_DEVICE_VERSION) }

// DriverVersion is CL_DRIVER_VERSION.
func (d Device) DriverVersion() (string, error) { return d.str(C.CL_DRIVER_VERSION) }

// OpenCLCVersion is CL_DEVICE_OPENCL_C_VERSION.
func (d Device) OpenCLCVersion() (string, error) { return d.str(C.CL_DEVICE_OPENCL_C_VERSION) }

// Extensions is CL_DEVICE_EXTENSIONS, space separated.
func (d Device) Extensions() (string, error) { return d.str(C.CL_DEVICE_EXTENSIONS) }

// Type is CL_DEVICE_TYPE.
func (d Device) Type() (DeviceType, error) {
	var v C.cl_device_type
	err := d.info(C.CL_DEVICE_TYPE, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return DeviceType(v), err
}

// MaxComputeUnits is CL_DEVICE_MAX_COMPUTE_UNITS.
func (d Device) MaxComputeUnits() (int, error) {
	v, err := d.u32(C.CL_DEVICE_MAX_COMPUTE_UNITS)
	return int(v), err
}

// MaxWorkGroupSize is CL_DEVICE_MAX_WORK_GROUP_SIZE.
func (d Device) MaxWorkGroupSize() (int, error) {
	var v C.size_t
	err := d.info(C.CL_DEVICE_MAX_WORK_GROUP_SIZE, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return int(v), err
}

// GlobalMemSize is CL_DEVICE_GLOBAL_MEM_SIZE in bytes.
func (d Device) GlobalMemSize() (int64, error) {
	v, err := d.u64(C.CL_DEVICE_GLOBAL_MEM_SIZE)
	return int64(v), err
}

// MaxMemAllocSize is CL_DEVICE_MAX_MEM_ALLOC_SIZE in bytes.
func (d Device) MaxMemAllocSize() (int64, error) {
	v, err := d.u64(C.CL_DEVICE_MAX_MEM_ALLOC_SIZE)
	return int64(v), err
}

// LocalMemSize is CL_DEVICE_LOCAL_MEM_SIZE in bytes.
func (d Device) LocalMemSize() (int64, error) {
	v, err := d.u64(C.CL_DEVICE_LOCAL_MEM_SIZE)
	return int64(v), err
}

// MemBaseAddrAlign is CL_DEVICE_MEM_BASE_ADDR_ALIGN in bits: sub-buffer origins must be a
// multiple of it.
func (d Device) MemBaseAddrAlign() (int, error) {
	v, err := d.u32(C.CL_DEVICE_MEM_BASE_ADDR_ALIGN)
	return int(v), err
}

// DoubleFPConfig is CL_DEVICE_DOUBLE_FP_CONFIG: 0 when the device has no float64.
func (d Device) DoubleFPConfig() (uint64, error) {
	var v C.cl_device_fp_config
	err := d.info(C.CL_DEVICE_DOUBLE_FP_CONFIG, unsafe.Sizeof(v), unsafe.Pointer(&v))
	return uint64(v), err
}

// ---- context and queue ----

// Context owns buffers and programs for a set of devices.
type Context struct{ c C.cl_context }

// CreateContext creates a context for the devices.
func CreateContext(devs ...Device) (*Context, error) {
	if len(devs) == 0 {
		return nil, &Error{Call: "clCreateContext", Code: InvalidValue}
	}
	ids := make([]C.cl_device_id, len(devs))
	for i, d := range devs {
		ids[i] = d.id
	}
	var code C.cl_int
	c := C.gloss_create_context(C.cl_uint(len(ids)), &ids[0], &code)
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
	err := check("clReleaseContext", C.clReleaseContext(c.c))
	c.c = nil
	return err
}

// Queue is an in-order command queue.
type Queue struct{ q C.cl_command_queue }

// CreateQueue creates an in-order queue on dev, with profiling when asked.
func (c *Context) CreateQueue(d Device, profiling bool) (*Queue, error) {
	var props C.cl_command_queue_properties
	if profiling {
		props = C.CL_QUEUE_PROFILING_ENABLE
	}
	var code C.cl_int
	q := C.clCreateCommandQueue(c.c, d.id, props, &code)
	if err := check("clCreateCommandQueue", code); err != nil {
		return nil, err
	}
	return &Queue{q}, nil
}

// Finish blocks until every command queued so far is done.
func (q *Queue) Finish() error { return check("clFinish", C.clFinish(q.q)) }

// Flush submits the queued commands without waiting.
func (q *Queue) Flush() error { return check("clFlush", C.clFlush(q.q)) }

// Release releases the queue (after finishing its work, as OpenCL does).
func (q *Queue) Release() error {
	if q == nil || q.q == nil {
		return nil
	}
	err := check("clReleaseCommandQueue", C.clReleaseCommandQueue(q.q))
	q.q = nil
	return err
}

// ---- programs and kernels ----

// Program is an OpenCL program.
type Program struct{ p C.cl_program }

// CreateProgramWithSource creates a program from source strings, concatenated in order.
func (c *Context) CreateProgramWithSource(srcs ...string) (*Program, error) {
	if len(srcs) == 0 {
		return nil, &Error{Call: "clCreateProgramWithSource", Code: InvalidValue}
	}
	strs := C.malloc(C.size_t(len(srcs)) * C.size_t(unsafe.Sizeof((*C.char)(nil))))
	defer C.free(strs)
	lens := make([]C.size_t, len(srcs))
	ptrs := unsafe.Slice((**C.char)(strs), len(srcs))
	for i, s := range srcs {
		ptrs[i] = C.CString(s)
		lens[i] = C.size_t(len(s))
	}
	defer func() {
		for _, p := range ptrs {
			C.free(unsafe.Pointer(p))
		}
	}()
	var code C.cl_int
	p := C.clCreateProgramWithSource(c.c, C.cl_uint(len(srcs)), (**C.char)(strs), &lens[0], &code)
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
	cbin := C.CBytes(bin)
	defer C.free(cbin)
	var status, code C.cl_int
	p := C.gloss_program_binary(c.c, d.id, C.size_t(len(bin)), (*C.uchar)(cbin), &status, &code)
	if err := check("clCreateProgramWithBinary", code); err != nil {
		return nil, err
	}
	if err := check("clCreateProgramWithBinary (binary status)", status); err != nil {
		C.clReleaseProgram(p)
		return nil, err
	}
	return &Program{p}, nil
}

// Build builds the program for d with the options. A failure is a *BuildError with the log.
func (p *Program) Build(d Device, options string) error {
	copts := C.CString(options)
	defer C.free(unsafe.Pointer(copts))
	id := d.id
	code := C.gloss_build(p.p, 1, &id, copts)
	if code == C.CL_SUCCESS {
		return nil
	}
	log, _ := p.BuildLog(d)
	return &BuildError{Err: &Error{Call: "clBuildProgram", Code: int32(code)}, Options: options, Log: log}
}

// BuildLog returns the build log of the program on d.
func (p *Program) BuildLog(d Device) (string, error) {
	var size C.size_t
	if err := check("clGetProgramBuildInfo", C.clGetProgramBuildInfo(p.p, d.id, C.CL_PROGRAM_BUILD_LOG, 0, nil, &size)); err != nil {
		return "", err
	}
	if size == 0 {
		return "", nil
	}
	buf := make([]byte, size)
	if err := check("clGetProgramBuildInfo", C.clGetProgramBuildInfo(p.p, d.id, C.CL_PROGRAM_BUILD_LOG, size, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return "", err
	}
	return cstr(buf), nil
}

// Binary returns the built program's binary for its (single) device.
func (p *Program) Binary() ([]byte, error) {
	var size C.size_t
	if err := check("clGetProgramInfo", C.clGetProgramInfo(p.p, C.CL_PROGRAM_BINARY_SIZES, C.size_t(unsafe.Sizeof(size)), unsafe.Pointer(&size), nil)); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, &Error{Call: "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)", Code: InvalidBinary}
	}
	buf := C.malloc(size)
	defer C.free(buf)
	if err := check("clGetProgramInfo", C.gloss_program_binary_get(p.p, size, (*C.uchar)(buf))); err != nil {
		return nil, err
	}
	return C.GoBytes(buf, C.int(size)), nil
}

// KernelNames lists the kernels of a built program.
func (p *Program) KernelNames() ([]string, error) {
	var size C.size_t
	if err := check("clGetProgramInfo", C.clGetProgramInfo(p.p, C.CL_PROGRAM_KERNEL_NAMES, 0, nil, &size)); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	if err := check("clGetProgramInfo", C.clGetProgramInfo(p.p, C.CL_PROGRAM_KERNEL_NAMES, size, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return nil, err
	}
	s := cstr(buf)
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, ";"), nil
}

// Release releases the program.
func (p *Program) Release() error {
	if p == nil || p.p == nil {
		return nil
	}
	err := check("clReleaseProgram", C.clReleaseProgram(p.p))
	p.p = nil
	return err
}

// Kernel is one kernel of a built program. Its arguments are state: one goroutine at a time.
type Kernel struct {
	k    C.cl_kernel
	Name string
}

// CreateKernel creates the named kernel; a missing name is CL_INVALID_KERNEL_NAME.
func (p *Program) CreateKernel(name string) (*Kernel, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var code C.cl_int
	k := C.clCreateKernel(p.p, cname, &code)
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
	err := check("clReleaseKernel("+k.Name+")", C.clReleaseKernel(k.k))
	k.k = nil
	return err
}

func (k *Kernel) setArg(i int, size uintptr, v unsafe.Pointer) error {
	code := C.clSetKernelArg(k.k, C.cl_uint(i), C.size_t(size), v)
	if code == C.CL_SUCCESS {
		return nil
	}
	return &Error{Call: fmt.Sprintf("clSetKernelArg(%s, %d)", k.Name, i), Code: int32(code)}
}

// SetArgBuffer sets a __global pointer argument; a nil buffer passes NULL.
func (k *Kernel) SetArgBuffer(i int, m *Mem) error {
	var h C.cl_mem
	if m != nil {
		h = m.m
	}
	return k.setArg(i, unsafe.Sizeof(h), unsafe.Pointer(&h))
}

// SetArgInt32 sets an int argument.
func (k *Kernel) SetArgInt32(i int, v int32) error {
	c := C.cl_int(v)
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgInt64 sets a long argument.
func (k *Kernel) SetArgInt64(i int, v int64) error {
	c := C.cl_long(v)
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgUint64 sets a ulong argument.
func (k *Kernel) SetArgUint64(i int, v uint64) error {
	c := C.cl_ulong(v)
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgFloat32 sets a float argument.
func (k *Kernel) SetArgFloat32(i int, v float32) error {
	c := C.cl_float(v)
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgFloat64 sets a double argument.
func (k *Kernel) SetArgFloat64(i int, v float64) error {
	c := C.cl_double(v)
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgFloat32x8 sets a float8 argument.
func (k *Kernel) SetArgFloat32x8(i int, v [8]float32) error {
	var c C.cl_float8
	for j := range v {
		*(*C.cl_float)(unsafe.Add(unsafe.Pointer(&c), 4*j)) = C.cl_float(v[j])
	}
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgFloat64x8 sets a double8 argument.
func (k *Kernel) SetArgFloat64x8(i int, v [8]float64) error {
	var c C.cl_double8
	for j := range v {
		*(*C.cl_double)(unsafe.Add(unsafe.Pointer(&c), 8*j)) = C.cl_double(v[j])
	}
	return k.setArg(i, unsafe.Sizeof(c), unsafe.Pointer(&c))
}

// SetArgLocal sets a __local argument of size bytes.
func (k *Kernel) SetArgLocal(i int, size int) error { return k.setArg(i, uintptr(size), nil) }

// WorkGroupSize is CL_KERNEL_WORK_GROUP_SIZE on d: the largest local size it can run with.
func (k *Kernel) WorkGroupSize(d Device) (int, error) {
	var v C.size_t
	err := check("clGetKernelWorkGroupInfo", C.clGetKernelWorkGroupInfo(k.k, d.id, C.CL_KERNEL_WORK_GROUP_SIZE, C.size_t(unsafe.Sizeof(v)), unsafe.Pointer(&v), nil))
	return int(v), err
}

// ---- buffers ----

// MemFlags are buffer flags.
type MemFlags uint64

// Buffer flags.
const (
	MemReadWrite MemFlags = C.CL_MEM_READ_WRITE
	MemReadOnly  MemFlags = C.CL_MEM_READ_ONLY
	MemWriteOnly MemFlags = C.CL_MEM_WRITE_ONLY
)

// Mem is a buffer or a sub-buffer.
type Mem struct {
	m    C.cl_mem
	size int
}

// Size is the buffer's size in bytes.
func (m *Mem) Size() int { return m.size }

// CreateBuffer allocates size bytes (size > 0).
func (c *Context) CreateBuffer(flags MemFlags, size int) (*Mem, error) {
	var code C.cl_int
	m := C.clCreateBuffer(c.c, C.cl_mem_flags(flags), C.size_t(size), nil, &code)
	if err := check("clCreateBuffer", code); err != nil {
		return nil, err
	}
	return &Mem{m: m, size: size}, nil
}

// SubBuffer creates a view of size bytes at byte origin; origin must be a multiple of the
// device's MemBaseAddrAlign/8 (else CL_MISALIGNED_SUB_BUFFER_OFFSET) and m must not itself be
// a sub-buffer.
func (m *Mem) SubBuffer(flags MemFlags, origin, size int) (*Mem, error) {
	var code C.cl_int
	s := C.gloss_sub_buffer(m.m, C.cl_mem_flags(flags), C.size_t(origin), C.size_t(size), &code)
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
	err := check("clReleaseMemObject", C.clReleaseMemObject(m.m))
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
	return check("clEnqueueWriteBuffer", C.clEnqueueWriteBuffer(q.q, m.m, C.CL_TRUE, C.size_t(off), C.size_t(size), src, 0, nil, nil))
}

// ReadBuffer copies size bytes of m at byte offset off into host memory at dst, blocking.
func (q *Queue) ReadBuffer(m *Mem, off int, dst unsafe.Pointer, size int) error {
	if size == 0 {
		return nil
	}
	return check("clEnqueueReadBuffer", C.clEnqueueReadBuffer(q.q, m.m, C.CL_TRUE, C.size_t(off), C.size_t(size), dst, 0, nil, nil))
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
	return check("clEnqueueCopyBuffer", C.clEnqueueCopyBuffer(q.q, src.m, dst.m, C.size_t(srcOff), C.size_t(dstOff), C.size_t(size), 0, nil, nil))
}

// FillBuffer enqueues a fill of size bytes at off with the repeated pattern (1, 2, 4, ...
// 128 bytes; off and size multiples of its length).
func (q *Queue) FillBuffer(m *Mem, pattern []byte, off, size int) error {
	if size == 0 {
		return nil
	}
	cp := C.CBytes(pattern)
	defer C.free(cp)
	return check("clEnqueueFillBuffer", C.clEnqueueFillBuffer(q.q, m.m, cp, C.size_t(len(pattern)), C.size_t(off), C.size_t(size), 0, nil, nil))
}

// Run enqueues a one-dimensional launch of global work-items in groups of local (global a
// multiple of local). No event is created.
func (q *Queue) Run(k *Kernel, global, local int) error {
	g, l := C.size_t(global), C.size_t(local)
	code := C.clEnqueueNDRangeKernel(q.q, k.k, 1, nil, &g, &l, 0, nil, nil)
	if code == C.CL_SUCCESS {
		return nil
	}
	return &Error{Call: fmt.Sprintf("clEnqueueNDRangeKernel(%s, global %d, local %d)", k.Name, global, local), Code: int32(code)}
}

// Event is a command's event; its owner must Release it.
type Event struct{ e C.cl_event }

// RunEvent is Run returning the launch's event (for profiling); release it after use.
func (q *Queue) RunEvent(k *Kernel, global, local int) (*Event, error) {
	g, l := C.size_t(global), C.size_t(local)
	var e C.cl_event
	code := C.clEnqueueNDRangeKernel(q.q, k.k, 1, nil, &g, &l, 0, nil, &e)
	if code != C.CL_SUCCESS {
		return nil, &Error{Call: fmt.Sprintf("clEnqueueNDRangeKernel(%s, global %d, local %d)", k.Name, global, local), Code: int32(code)}
	}
	return &Event{e}, nil
}

// Wait blocks until the event's command is complete.
func (e *Event) Wait() error {
	return check("clWaitForEvents", C.clWaitForEvents(1, &e.e))
}

// Duration returns the command's run time in nanoseconds (the queue needs profiling).
func (e *Event) Duration() (int64, error) {
	var start, end C.cl_ulong
	if err := check("clGetEventProfilingInfo", C.clGetEventProfilingInfo(e.e, C.CL_PROFILING_COMMAND_START, C.size_t(unsafe.Sizeof(start)), unsafe.Pointer(&start), nil)); err != nil {
		return 0, err
	}
	if err := check("clGetEventProfilingInfo", C.clGetEventProfilingInfo(e.e, C.CL_PROFILING_COMMAND_END, C.size_t(unsafe.Sizeof(end)), unsafe.Pointer(&end), nil)); err != nil {
		return 0, err
	}
	return int64(end - start), nil
}

// Release releases the event.
func (e *Event) Release() error {
	if e == nil || e.e == nil {
		return nil
	}
	err := check("clReleaseEvent", C.clReleaseEvent(e.e))
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
