package cl

// The cgo half of the binding: the OpenCL 1.2 types and prototypes it needs, declared here
// (no CL/cl.h), a table of function pointers filled with what internal/dynlib resolved, and one
// C wrapper per entry point. This file is left out of builds without cgo; impl then stays nil.

/*
#include <stdint.h>
#include <stdlib.h>

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef cl_ulong cl_bitfield;
typedef struct gloss_cl_platform *cl_platform_id;
typedef struct gloss_cl_device *cl_device_id;
typedef struct gloss_cl_context *cl_context;
typedef struct gloss_cl_queue *cl_command_queue;
typedef struct gloss_cl_mem *cl_mem;
typedef struct gloss_cl_program *cl_program;
typedef struct gloss_cl_kernel *cl_kernel;
typedef struct gloss_cl_event *cl_event;
typedef intptr_t cl_context_properties;

typedef struct { size_t origin, size; } gloss_cl_region; // cl_buffer_region

#define GLOSS_CL_INVALID_OPERATION (-59)
#define GLOSS_CL_TRUE 1
#define GLOSS_CL_PROGRAM_BINARIES 0x1166
#define GLOSS_CL_BUFFER_CREATE_TYPE_REGION 0x1220

// X(return type, name, parameters): every entry point the binding resolves, in the order of
// EntryPoints.
#define GLOSS_CL_ENTRIES(X) \
	X(cl_int, clGetPlatformIDs, (cl_uint n, cl_platform_id *ids, cl_uint *num)) \
	X(cl_int, clGetPlatformInfo, (cl_platform_id p, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_int, clGetDeviceIDs, (cl_platform_id p, cl_bitfield type, cl_uint n, cl_device_id *ids, cl_uint *num)) \
	X(cl_int, clGetDeviceInfo, (cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_context, clCreateContext, (const cl_context_properties *props, cl_uint n, const cl_device_id *devs, \
		void (*notify)(const char *, const void *, size_t, void *), void *user, cl_int *err)) \
	X(cl_int, clReleaseContext, (cl_context c)) \
	X(cl_command_queue, clCreateCommandQueue, (cl_context c, cl_device_id d, cl_bitfield props, cl_int *err)) \
	X(cl_int, clFinish, (cl_command_queue q)) \
	X(cl_int, clFlush, (cl_command_queue q)) \
	X(cl_int, clReleaseCommandQueue, (cl_command_queue q)) \
	X(cl_program, clCreateProgramWithSource, (cl_context c, cl_uint n, const char **srcs, const size_t *lens, cl_int *err)) \
	X(cl_program, clCreateProgramWithBinary, (cl_context c, cl_uint n, const cl_device_id *devs, const size_t *lens, \
		const unsigned char **bins, cl_int *status, cl_int *err)) \
	X(cl_int, clBuildProgram, (cl_program p, cl_uint n, const cl_device_id *devs, const char *opts, \
		void (*notify)(cl_program, void *), void *user)) \
	X(cl_int, clGetProgramBuildInfo, (cl_program p, cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_int, clGetProgramInfo, (cl_program p, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_int, clReleaseProgram, (cl_program p)) \
	X(cl_kernel, clCreateKernel, (cl_program p, const char *name, cl_int *err)) \
	X(cl_int, clReleaseKernel, (cl_kernel k)) \
	X(cl_int, clSetKernelArg, (cl_kernel k, cl_uint i, size_t size, const void *val)) \
	X(cl_int, clGetKernelWorkGroupInfo, (cl_kernel k, cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_mem, clCreateBuffer, (cl_context c, cl_bitfield flags, size_t size, void *host, cl_int *err)) \
	X(cl_mem, clCreateSubBuffer, (cl_mem m, cl_bitfield flags, cl_uint type, const void *info, cl_int *err)) \
	X(cl_int, clReleaseMemObject, (cl_mem m)) \
	X(cl_int, clEnqueueWriteBuffer, (cl_command_queue q, cl_mem m, cl_uint blocking, size_t off, size_t size, \
		const void *src, cl_uint nwait, const cl_event *wait, cl_event *ev)) \
	X(cl_int, clEnqueueReadBuffer, (cl_command_queue q, cl_mem m, cl_uint blocking, size_t off, size_t size, \
		void *dst, cl_uint nwait, const cl_event *wait, cl_event *ev)) \
	X(cl_int, clEnqueueCopyBuffer, (cl_command_queue q, cl_mem src, cl_mem dst, size_t srcOff, size_t dstOff, \
		size_t size, cl_uint nwait, const cl_event *wait, cl_event *ev)) \
	X(cl_int, clEnqueueFillBuffer, (cl_command_queue q, cl_mem m, const void *pattern, size_t plen, size_t off, \
		size_t size, cl_uint nwait, const cl_event *wait, cl_event *ev)) \
	X(cl_int, clEnqueueNDRangeKernel, (cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *offset, \
		const size_t *global, const size_t *local, cl_uint nwait, const cl_event *wait, cl_event *ev)) \
	X(cl_int, clWaitForEvents, (cl_uint n, const cl_event *evs)) \
	X(cl_int, clGetEventProfilingInfo, (cl_event e, cl_uint param, size_t size, void *val, size_t *ret)) \
	X(cl_int, clReleaseEvent, (cl_event e))

typedef struct {
	void *lib;
#define GLOSS_CL_FIELD(ret, name, params) ret (*name) params;
	GLOSS_CL_ENTRIES(GLOSS_CL_FIELD)
#undef GLOSS_CL_FIELD
} gloss_cl_api;

static gloss_cl_api gloss_cl;

static const char *gloss_cl_names(void) {
	return ""
#define GLOSS_CL_NAME(ret, name, params) #name " "
	GLOSS_CL_ENTRIES(GLOSS_CL_NAME)
#undef GLOSS_CL_NAME
	;
}

// gloss_cl_install fills the table with the entry points internal/dynlib resolved, in the
// order of GLOSS_CL_ENTRIES, and the library's handle.
static void gloss_cl_install(void *lib, void **syms) {
	int i = 0;
#define GLOSS_CL_SET(ret, name, params) *(void **)(&gloss_cl.name) = syms[i++];
	GLOSS_CL_ENTRIES(GLOSS_CL_SET)
#undef GLOSS_CL_SET
	gloss_cl.lib = lib;
}

// The wrappers refuse to run before the library is loaded (CL_INVALID_OPERATION), so a
// zero-valued object used too early is an error, not a jump to NULL.
#define GLOSS_CL_READY(code) if (gloss_cl.lib == NULL) return (code)
#define GLOSS_CL_READY_ERR(err) if (gloss_cl.lib == NULL) { *(err) = GLOSS_CL_INVALID_OPERATION; return NULL; }

static cl_int gloss_clGetPlatformIDs(cl_uint n, cl_platform_id *ids, cl_uint *num) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetPlatformIDs(n, ids, num);
}
static cl_int gloss_clGetPlatformInfo(cl_platform_id p, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetPlatformInfo(p, param, size, val, ret);
}
static cl_int gloss_clGetDeviceIDs(cl_platform_id p, cl_bitfield type, cl_uint n, cl_device_id *ids, cl_uint *num) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetDeviceIDs(p, type, n, ids, num);
}
static cl_int gloss_clGetDeviceInfo(cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetDeviceInfo(d, param, size, val, ret);
}
static cl_context gloss_clCreateContext(cl_uint n, const cl_device_id *devs, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateContext(NULL, n, devs, NULL, NULL, err);
}
static cl_int gloss_clReleaseContext(cl_context c) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseContext(c);
}
static cl_command_queue gloss_clCreateCommandQueue(cl_context c, cl_device_id d, cl_bitfield props, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateCommandQueue(c, d, props, err);
}
static cl_int gloss_clFinish(cl_command_queue q) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clFinish(q);
}
static cl_int gloss_clFlush(cl_command_queue q) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clFlush(q);
}
static cl_int gloss_clReleaseCommandQueue(cl_command_queue q) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseCommandQueue(q);
}
static cl_program gloss_clCreateProgramWithSource(cl_context c, cl_uint n, const char **srcs, const size_t *lens, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateProgramWithSource(c, n, srcs, lens, err);
}
static cl_program gloss_clCreateProgramWithBinary(cl_context c, cl_device_id d, size_t len, const unsigned char *bin, cl_int *status, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateProgramWithBinary(c, 1, &d, &len, &bin, status, err);
}
static cl_int gloss_clBuildProgram(cl_program p, cl_device_id d, const char *opts) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clBuildProgram(p, 1, &d, opts, NULL, NULL);
}
static cl_int gloss_clGetProgramBuildInfo(cl_program p, cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetProgramBuildInfo(p, d, param, size, val, ret);
}
static cl_int gloss_clGetProgramInfo(cl_program p, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetProgramInfo(p, param, size, val, ret);
}
// gloss_program_binary reads the binary of a single-device program into dst.
static cl_int gloss_program_binary(cl_program p, unsigned char *dst) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	unsigned char *bins[1] = {dst};
	return gloss_cl.clGetProgramInfo(p, GLOSS_CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL);
}
static cl_int gloss_clReleaseProgram(cl_program p) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseProgram(p);
}
static cl_kernel gloss_clCreateKernel(cl_program p, const char *name, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateKernel(p, name, err);
}
static cl_int gloss_clReleaseKernel(cl_kernel k) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseKernel(k);
}
static cl_int gloss_clSetKernelArg(cl_kernel k, cl_uint i, size_t size, const void *val) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clSetKernelArg(k, i, size, val);
}
static cl_int gloss_clGetKernelWorkGroupInfo(cl_kernel k, cl_device_id d, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetKernelWorkGroupInfo(k, d, param, size, val, ret);
}
static cl_mem gloss_clCreateBuffer(cl_context c, cl_bitfield flags, size_t size, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	return gloss_cl.clCreateBuffer(c, flags, size, NULL, err);
}
static cl_mem gloss_clCreateSubBuffer(cl_mem m, cl_bitfield flags, size_t origin, size_t size, cl_int *err) {
	GLOSS_CL_READY_ERR(err);
	gloss_cl_region r = {origin, size};
	return gloss_cl.clCreateSubBuffer(m, flags, GLOSS_CL_BUFFER_CREATE_TYPE_REGION, &r, err);
}
static cl_int gloss_clReleaseMemObject(cl_mem m) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseMemObject(m);
}
static cl_int gloss_clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, size_t off, size_t size, const void *src) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clEnqueueWriteBuffer(q, m, GLOSS_CL_TRUE, off, size, src, 0, NULL, NULL);
}
static cl_int gloss_clEnqueueReadBuffer(cl_command_queue q, cl_mem m, size_t off, size_t size, void *dst) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clEnqueueReadBuffer(q, m, GLOSS_CL_TRUE, off, size, dst, 0, NULL, NULL);
}
static cl_int gloss_clEnqueueCopyBuffer(cl_command_queue q, cl_mem src, cl_mem dst, size_t srcOff, size_t dstOff, size_t size) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clEnqueueCopyBuffer(q, src, dst, srcOff, dstOff, size, 0, NULL, NULL);
}
static cl_int gloss_clEnqueueFillBuffer(cl_command_queue q, cl_mem m, const void *pattern, size_t plen, size_t off, size_t size) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clEnqueueFillBuffer(q, m, pattern, plen, off, size, 0, NULL, NULL);
}
static cl_int gloss_clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, size_t global, size_t local, cl_event *ev) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, ev);
}
static cl_int gloss_clWaitForEvents(cl_event e) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clWaitForEvents(1, &e);
}
static cl_int gloss_clGetEventProfilingInfo(cl_event e, cl_uint param, size_t size, void *val, size_t *ret) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clGetEventProfilingInfo(e, param, size, val, ret);
}
static cl_int gloss_clReleaseEvent(cl_event e) {
	GLOSS_CL_READY(GLOSS_CL_INVALID_OPERATION);
	return gloss_cl.clReleaseEvent(e);
}
*/
import "C"

import (
	"strings"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/dynlib"
)

func init() {
	impl = cgoAPI{}
	cNames = cTableNames
}

// cgoAPI calls OpenCL through the table gloss_cl_install filled.
type cgoAPI struct{}

// cTableNames returns the entry points the C table resolves.
func cTableNames() []string { return strings.Fields(C.GoString(C.gloss_cl_names())) }

// loadError is the binding's error for a library dynlib could not load.
func loadError(path string, f *dynlib.Failure) error {
	return &LoadError{Library: path, Reason: f.Reason, Missing: f.Missing}
}

func (cgoAPI) open(path string) error {
	lib, syms, f := dynlib.Open(path, cTableNames())
	if f != nil {
		return loadError(path, f)
	}
	C.gloss_cl_install(lib, &syms[0])
	return nil
}

func (cgoAPI) probe(path string) error {
	if f := dynlib.Probe(path, cTableNames()); f != nil {
		return loadError(path, f)
	}
	return nil
}

func (cgoAPI) getPlatformIDs(n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	return int32(C.gloss_clGetPlatformIDs(C.cl_uint(n), (*C.cl_platform_id)(unsafe.Pointer(ids)), (*C.cl_uint)(num)))
}

func (cgoAPI) getPlatformInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetPlatformInfo(C.cl_platform_id(p), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) getDeviceIDs(p unsafe.Pointer, t uint64, n uint32, ids *unsafe.Pointer, num *uint32) int32 {
	return int32(C.gloss_clGetDeviceIDs(C.cl_platform_id(p), C.cl_bitfield(t), C.cl_uint(n), (*C.cl_device_id)(unsafe.Pointer(ids)), (*C.cl_uint)(num)))
}

func (cgoAPI) getDeviceInfo(d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetDeviceInfo(C.cl_device_id(d), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) createContext(devs []unsafe.Pointer, code *int32) unsafe.Pointer {
	return unsafe.Pointer(C.gloss_clCreateContext(C.cl_uint(len(devs)), (*C.cl_device_id)(unsafe.Pointer(&devs[0])), (*C.cl_int)(code)))
}

func (cgoAPI) releaseContext(c unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseContext(C.cl_context(c)))
}

func (cgoAPI) createCommandQueue(c, d unsafe.Pointer, props uint64, code *int32) unsafe.Pointer {
	return unsafe.Pointer(C.gloss_clCreateCommandQueue(C.cl_context(c), C.cl_device_id(d), C.cl_bitfield(props), (*C.cl_int)(code)))
}

func (cgoAPI) finish(q unsafe.Pointer) int32 { return int32(C.gloss_clFinish(C.cl_command_queue(q))) }

func (cgoAPI) flush(q unsafe.Pointer) int32 { return int32(C.gloss_clFlush(C.cl_command_queue(q))) }

func (cgoAPI) releaseCommandQueue(q unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseCommandQueue(C.cl_command_queue(q)))
}

func (cgoAPI) createProgramWithSource(c unsafe.Pointer, srcs []string, code *int32) unsafe.Pointer {
	// The strings go to C memory: an array of C pointers cannot point at Go memory.
	n := len(srcs)
	strs := (**C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(strs))
	lens := (*C.size_t)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.size_t(0)))))
	defer C.free(unsafe.Pointer(lens))
	ps, ls := unsafe.Slice(strs, n), unsafe.Slice(lens, n)
	for i, s := range srcs {
		ps[i] = C.CString(s)
		ls[i] = C.size_t(len(s))
	}
	defer func() {
		for _, p := range ps {
			C.free(unsafe.Pointer(p))
		}
	}()
	return unsafe.Pointer(C.gloss_clCreateProgramWithSource(C.cl_context(c), C.cl_uint(n), strs, lens, (*C.cl_int)(code)))
}

func (cgoAPI) createProgramWithBinary(c, d unsafe.Pointer, bin []byte, status, code *int32) unsafe.Pointer {
	return unsafe.Pointer(C.gloss_clCreateProgramWithBinary(C.cl_context(c), C.cl_device_id(d), C.size_t(len(bin)),
		(*C.uchar)(unsafe.Pointer(&bin[0])), (*C.cl_int)(status), (*C.cl_int)(code)))
}

func (cgoAPI) buildProgram(p, d unsafe.Pointer, options string) int32 {
	copts := C.CString(options)
	defer C.free(unsafe.Pointer(copts))
	return int32(C.gloss_clBuildProgram(C.cl_program(p), C.cl_device_id(d), copts))
}

func (cgoAPI) getProgramBuildInfo(p, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetProgramBuildInfo(C.cl_program(p), C.cl_device_id(d), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) getProgramInfo(p unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetProgramInfo(C.cl_program(p), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) programBinary(p unsafe.Pointer, dst []byte) int32 {
	// The driver gets an array holding one pointer to the destination: C memory for both.
	buf := C.malloc(C.size_t(len(dst)))
	defer C.free(buf)
	r := int32(C.gloss_program_binary(C.cl_program(p), (*C.uchar)(buf)))
	if r == Success {
		copy(dst, unsafe.Slice((*byte)(buf), len(dst)))
	}
	return r
}

func (cgoAPI) releaseProgram(p unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseProgram(C.cl_program(p)))
}

func (cgoAPI) createKernel(p unsafe.Pointer, name string, code *int32) unsafe.Pointer {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return unsafe.Pointer(C.gloss_clCreateKernel(C.cl_program(p), cname, (*C.cl_int)(code)))
}

func (cgoAPI) releaseKernel(k unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseKernel(C.cl_kernel(k)))
}

func (cgoAPI) setKernelArg(k unsafe.Pointer, i uint32, size uintptr, val unsafe.Pointer) int32 {
	return int32(C.gloss_clSetKernelArg(C.cl_kernel(k), C.cl_uint(i), C.size_t(size), val))
}

func (cgoAPI) getKernelWorkGroupInfo(k, d unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetKernelWorkGroupInfo(C.cl_kernel(k), C.cl_device_id(d), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) createBuffer(c unsafe.Pointer, flags uint64, size uintptr, code *int32) unsafe.Pointer {
	return unsafe.Pointer(C.gloss_clCreateBuffer(C.cl_context(c), C.cl_bitfield(flags), C.size_t(size), (*C.cl_int)(code)))
}

func (cgoAPI) createSubBuffer(m unsafe.Pointer, flags uint64, origin, size uintptr, code *int32) unsafe.Pointer {
	return unsafe.Pointer(C.gloss_clCreateSubBuffer(C.cl_mem(m), C.cl_bitfield(flags), C.size_t(origin), C.size_t(size), (*C.cl_int)(code)))
}

func (cgoAPI) releaseMemObject(m unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseMemObject(C.cl_mem(m)))
}

func (cgoAPI) enqueueWriteBuffer(q, m unsafe.Pointer, off, size uintptr, src unsafe.Pointer) int32 {
	return int32(C.gloss_clEnqueueWriteBuffer(C.cl_command_queue(q), C.cl_mem(m), C.size_t(off), C.size_t(size), src))
}

func (cgoAPI) enqueueReadBuffer(q, m unsafe.Pointer, off, size uintptr, dst unsafe.Pointer) int32 {
	return int32(C.gloss_clEnqueueReadBuffer(C.cl_command_queue(q), C.cl_mem(m), C.size_t(off), C.size_t(size), dst))
}

func (cgoAPI) enqueueCopyBuffer(q, src, dst unsafe.Pointer, srcOff, dstOff, size uintptr) int32 {
	return int32(C.gloss_clEnqueueCopyBuffer(C.cl_command_queue(q), C.cl_mem(src), C.cl_mem(dst), C.size_t(srcOff), C.size_t(dstOff), C.size_t(size)))
}

func (cgoAPI) enqueueFillBuffer(q, m unsafe.Pointer, pattern []byte, off, size uintptr) int32 {
	// The pattern is copied by the driver at the call (OpenCL 1.2, clEnqueueFillBuffer).
	return int32(C.gloss_clEnqueueFillBuffer(C.cl_command_queue(q), C.cl_mem(m), unsafe.Pointer(&pattern[0]), C.size_t(len(pattern)), C.size_t(off), C.size_t(size)))
}

func (cgoAPI) enqueueNDRangeKernel(q, k unsafe.Pointer, global, local uintptr, ev *unsafe.Pointer) int32 {
	return int32(C.gloss_clEnqueueNDRangeKernel(C.cl_command_queue(q), C.cl_kernel(k), C.size_t(global), C.size_t(local), (*C.cl_event)(unsafe.Pointer(ev))))
}

func (cgoAPI) waitForEvents(e unsafe.Pointer) int32 {
	return int32(C.gloss_clWaitForEvents(C.cl_event(e)))
}

func (cgoAPI) getEventProfilingInfo(e unsafe.Pointer, param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
	return int32(C.gloss_clGetEventProfilingInfo(C.cl_event(e), C.cl_uint(param), C.size_t(size), val, (*C.size_t)(unsafe.Pointer(ret))))
}

func (cgoAPI) releaseEvent(e unsafe.Pointer) int32 {
	return int32(C.gloss_clReleaseEvent(C.cl_event(e)))
}
