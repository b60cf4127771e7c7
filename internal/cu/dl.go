package cu

// The cgo half of the binding: the CUDA types and prototypes it needs, declared here (no
// cuda.h), a table of function pointers filled with what internal/dynlib resolved, and one C
// wrapper per entry point. This file is left out of builds without cgo; impl then stays nil.

/*
#include <stdint.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct gloss_CUctx_st *CUcontext;
typedef struct gloss_CUmod_st *CUmodule;
typedef struct gloss_CUfunc_st *CUfunction;
typedef struct gloss_CUstream_st *CUstream;

// X(name, parameters): every entry point (all return CUresult) the binding resolves, in the order of
// EntryPoints.
#define GLOSS_CU_ENTRIES(X) \
	X(cuInit, (unsigned int flags)) \
	X(cuDriverGetVersion, (int *version)) \
	X(cuGetErrorName, (CUresult r, const char **s)) \
	X(cuGetErrorString, (CUresult r, const char **s)) \
	X(cuDeviceGetCount, (int *n)) \
	X(cuDeviceGet, (CUdevice *d, int ordinal)) \
	X(cuDeviceGetName, (char *name, int len, CUdevice d)) \
	X(cuDeviceTotalMem_v2, (size_t *bytes, CUdevice d)) \
	X(cuDeviceGetAttribute, (int *v, int attr, CUdevice d)) \
	X(cuDevicePrimaryCtxRetain, (CUcontext *ctx, CUdevice d)) \
	X(cuDevicePrimaryCtxRelease_v2, (CUdevice d)) \
	X(cuCtxSetCurrent, (CUcontext ctx)) \
	X(cuCtxSynchronize, (void)) \
	X(cuMemGetInfo_v2, (size_t *free, size_t *total)) \
	X(cuModuleLoadData, (CUmodule *m, const void *image)) \
	X(cuModuleUnload, (CUmodule m)) \
	X(cuModuleGetFunction, (CUfunction *f, CUmodule m, const char *name)) \
	X(cuFuncGetAttribute, (int *v, int attr, CUfunction f)) \
	X(cuFuncSetAttribute, (CUfunction f, int attr, int v)) \
	X(cuMemAlloc_v2, (CUdeviceptr *p, size_t bytes)) \
	X(cuMemFree_v2, (CUdeviceptr p)) \
	X(cuMemcpyHtoDAsync_v2, (CUdeviceptr dst, const void *src, size_t bytes, CUstream s)) \
	X(cuMemcpyDtoHAsync_v2, (void *dst, CUdeviceptr src, size_t bytes, CUstream s)) \
	X(cuMemcpyDtoDAsync_v2, (CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s)) \
	X(cuMemsetD8Async, (CUdeviceptr dst, unsigned char v, size_t n, CUstream s)) \
	X(cuStreamCreate, (CUstream *s, unsigned int flags)) \
	X(cuStreamDestroy_v2, (CUstream s)) \
	X(cuStreamSynchronize, (CUstream s)) \
	X(cuLaunchKernel, (CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, \
		unsigned int bx, unsigned int by, unsigned int bz, unsigned int smem, CUstream s, \
		void **params, void **extra))

typedef struct {
	void *lib;
#define GLOSS_CU_FIELD(name, params) CUresult (*name) params;
	GLOSS_CU_ENTRIES(GLOSS_CU_FIELD)
#undef GLOSS_CU_FIELD
} gloss_cu_api;

static gloss_cu_api gloss_cu;

// The entry points' names, separated by spaces (for the test that compares them with
// EntryPoints).
static const char *gloss_cu_names(void) {
	return ""
#define GLOSS_CU_NAME(name, params) #name " "
	GLOSS_CU_ENTRIES(GLOSS_CU_NAME)
#undef GLOSS_CU_NAME
	;
}

// gloss_cu_install fills the table with the entry points internal/dynlib resolved, in the
// order of GLOSS_CU_ENTRIES, and the library's handle.
static void gloss_cu_install(void *lib, void **syms) {
	int i = 0;
#define GLOSS_CU_SET(name, params) *(void **)(&gloss_cu.name) = syms[i++];
	GLOSS_CU_ENTRIES(GLOSS_CU_SET)
#undef GLOSS_CU_SET
	gloss_cu.lib = lib;
}

static CUresult gloss_cuGetErrorName(CUresult r, const char **s) { return gloss_cu.cuGetErrorName(r, s); }
static CUresult gloss_cuGetErrorString(CUresult r, const char **s) { return gloss_cu.cuGetErrorString(r, s); }
static CUresult gloss_cuInit(unsigned int flags) { return gloss_cu.cuInit(flags); }
static CUresult gloss_cuDriverGetVersion(int *v) { return gloss_cu.cuDriverGetVersion(v); }
static CUresult gloss_cuDeviceGetCount(int *n) { return gloss_cu.cuDeviceGetCount(n); }
static CUresult gloss_cuDeviceGet(CUdevice *d, int ordinal) { return gloss_cu.cuDeviceGet(d, ordinal); }
static CUresult gloss_cuDeviceGetName(char *name, int len, CUdevice d) { return gloss_cu.cuDeviceGetName(name, len, d); }
static CUresult gloss_cuDeviceTotalMem(unsigned long long *bytes, CUdevice d) {
	size_t b = 0;
	CUresult r = gloss_cu.cuDeviceTotalMem_v2(&b, d);
	*bytes = b;
	return r;
}
static CUresult gloss_cuDeviceGetAttribute(int *v, int attr, CUdevice d) { return gloss_cu.cuDeviceGetAttribute(v, attr, d); }
static CUresult gloss_cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice d) { return gloss_cu.cuDevicePrimaryCtxRetain(ctx, d); }
static CUresult gloss_cuDevicePrimaryCtxRelease(CUdevice d) { return gloss_cu.cuDevicePrimaryCtxRelease_v2(d); }
static CUresult gloss_cuCtxSetCurrent(CUcontext ctx) { return gloss_cu.cuCtxSetCurrent(ctx); }
static CUresult gloss_cuCtxSynchronize(void) { return gloss_cu.cuCtxSynchronize(); }
static CUresult gloss_cuMemGetInfo(unsigned long long *free, unsigned long long *total) {
	size_t f = 0, t = 0;
	CUresult r = gloss_cu.cuMemGetInfo_v2(&f, &t);
	*free = f;
	*total = t;
	return r;
}
static CUresult gloss_cuModuleLoadData(CUmodule *m, const void *image) { return gloss_cu.cuModuleLoadData(m, image); }
static CUresult gloss_cuModuleUnload(CUmodule m) { return gloss_cu.cuModuleUnload(m); }
static CUresult gloss_cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) { return gloss_cu.cuModuleGetFunction(f, m, name); }
static CUresult gloss_cuFuncGetAttribute(int *v, int attr, CUfunction f) { return gloss_cu.cuFuncGetAttribute(v, attr, f); }
static CUresult gloss_cuFuncSetAttribute(CUfunction f, int attr, int v) { return gloss_cu.cuFuncSetAttribute(f, attr, v); }
static CUresult gloss_cuMemAlloc(CUdeviceptr *p, unsigned long long bytes) { return gloss_cu.cuMemAlloc_v2(p, (size_t)bytes); }
static CUresult gloss_cuMemFree(CUdeviceptr p) { return gloss_cu.cuMemFree_v2(p); }
static CUresult gloss_cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, unsigned long long bytes, CUstream s) {
	return gloss_cu.cuMemcpyHtoDAsync_v2(dst, src, (size_t)bytes, s);
}
static CUresult gloss_cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, unsigned long long bytes, CUstream s) {
	return gloss_cu.cuMemcpyDtoHAsync_v2(dst, src, (size_t)bytes, s);
}
static CUresult gloss_cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, unsigned long long bytes, CUstream s) {
	return gloss_cu.cuMemcpyDtoDAsync_v2(dst, src, (size_t)bytes, s);
}
static CUresult gloss_cuMemsetD8Async(CUdeviceptr dst, unsigned char v, unsigned long long n, CUstream s) {
	return gloss_cu.cuMemsetD8Async(dst, v, (size_t)n, s);
}
static CUresult gloss_cuStreamCreate(CUstream *s, unsigned int flags) { return gloss_cu.cuStreamCreate(s, flags); }
static CUresult gloss_cuStreamDestroy(CUstream s) { return gloss_cu.cuStreamDestroy_v2(s); }
static CUresult gloss_cuStreamSynchronize(CUstream s) { return gloss_cu.cuStreamSynchronize(s); }

// gloss_cuLaunchKernel passes n 8-byte parameters: params[i] is the value of parameter i, and
// the driver gets an array of pointers to them (it copies the values before returning).
static CUresult gloss_cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
		unsigned int bx, unsigned int by, unsigned int bz, unsigned int smem, CUstream s,
		unsigned long long *params, int n) {
	void *ptrs[64];
	if (n < 0 || n > 64) return 1; // CUDA_ERROR_INVALID_VALUE
	for (int i = 0; i < n; i++) ptrs[i] = &params[i];
	return gloss_cu.cuLaunchKernel(f, gx, gy, gz, bx, by, bz, smem, s, n > 0 ? ptrs : NULL, NULL);
}
*/
import "C"

import (
	"strings"
	"unsafe"

	"github.com/gloss-ml/gloss/internal/dynlib"
)

func init() {
	impl = cgoDriver{}
	cNames = cTableNames
}

// cgoDriver calls the driver through the table gloss_cu_install filled.
type cgoDriver struct{}

// cTableNames returns the entry points the C table resolves.
func cTableNames() []string { return strings.Fields(C.GoString(C.gloss_cu_names())) }

// loadError is the binding's error for a library dynlib could not load.
func loadError(path string, f *dynlib.Failure) error {
	return &LoadError{Library: path, Reason: f.Reason, Missing: f.Missing}
}

func (cgoDriver) open(path string) error {
	lib, syms, f := dynlib.Open(path, cTableNames())
	if f != nil {
		return loadError(path, f)
	}
	C.gloss_cu_install(lib, &syms[0])
	return nil
}

func (cgoDriver) probe(path string) error {
	if f := dynlib.Probe(path, cTableNames()); f != nil {
		return loadError(path, f)
	}
	return nil
}

func (cgoDriver) errorName(r Result) (string, bool) {
	var s *C.char
	if C.gloss_cuGetErrorName(C.CUresult(r), &s) != 0 || s == nil {
		return "", false
	}
	return C.GoString(s), true
}

func (cgoDriver) errorString(r Result) (string, bool) {
	var s *C.char
	if C.gloss_cuGetErrorString(C.CUresult(r), &s) != 0 || s == nil {
		return "", false
	}
	return C.GoString(s), true
}

func (cgoDriver) init(flags uint32) Result { return Result(C.gloss_cuInit(C.uint(flags))) }

func (cgoDriver) driverGetVersion(v *int32) Result {
	return Result(C.gloss_cuDriverGetVersion((*C.int)(unsafe.Pointer(v))))
}

func (cgoDriver) deviceGetCount(n *int32) Result {
	return Result(C.gloss_cuDeviceGetCount((*C.int)(unsafe.Pointer(n))))
}

func (cgoDriver) deviceGet(d *int32, ordinal int32) Result {
	return Result(C.gloss_cuDeviceGet((*C.CUdevice)(unsafe.Pointer(d)), C.int(ordinal)))
}

func (cgoDriver) deviceGetName(buf []byte, d int32) Result {
	return Result(C.gloss_cuDeviceGetName((*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf)), C.CUdevice(d)))
}

func (cgoDriver) deviceTotalMem(bytes *uint64, d int32) Result {
	return Result(C.gloss_cuDeviceTotalMem((*C.ulonglong)(unsafe.Pointer(bytes)), C.CUdevice(d)))
}

func (cgoDriver) deviceGetAttribute(v *int32, attr int32, d int32) Result {
	return Result(C.gloss_cuDeviceGetAttribute((*C.int)(unsafe.Pointer(v)), C.int(attr), C.CUdevice(d)))
}

func (cgoDriver) primaryCtxRetain(ctx *unsafe.Pointer, d int32) Result {
	var c C.CUcontext
	r := Result(C.gloss_cuDevicePrimaryCtxRetain(&c, C.CUdevice(d)))
	*ctx = unsafe.Pointer(c)
	return r
}

func (cgoDriver) primaryCtxRelease(d int32) Result {
	return Result(C.gloss_cuDevicePrimaryCtxRelease(C.CUdevice(d)))
}

func (cgoDriver) ctxSetCurrent(ctx unsafe.Pointer) Result {
	return Result(C.gloss_cuCtxSetCurrent(C.CUcontext(ctx)))
}

func (cgoDriver) ctxSynchronize() Result { return Result(C.gloss_cuCtxSynchronize()) }

func (cgoDriver) memGetInfo(free, total *uint64) Result {
	return Result(C.gloss_cuMemGetInfo((*C.ulonglong)(unsafe.Pointer(free)), (*C.ulonglong)(unsafe.Pointer(total))))
}

func (cgoDriver) moduleLoadData(m *unsafe.Pointer, image []byte) Result {
	// The driver reads the image during the call only; Go memory is fine for that.
	var c C.CUmodule
	r := Result(C.gloss_cuModuleLoadData(&c, unsafe.Pointer(&image[0])))
	*m = unsafe.Pointer(c)
	return r
}

func (cgoDriver) moduleUnload(m unsafe.Pointer) Result {
	return Result(C.gloss_cuModuleUnload(C.CUmodule(m)))
}

func (cgoDriver) moduleGetFunction(f *unsafe.Pointer, m unsafe.Pointer, name string) Result {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var c C.CUfunction
	r := Result(C.gloss_cuModuleGetFunction(&c, C.CUmodule(m), cname))
	*f = unsafe.Pointer(c)
	return r
}

func (cgoDriver) funcGetAttribute(v *int32, attr int32, f unsafe.Pointer) Result {
	return Result(C.gloss_cuFuncGetAttribute((*C.int)(unsafe.Pointer(v)), C.int(attr), C.CUfunction(f)))
}

func (cgoDriver) funcSetAttribute(f unsafe.Pointer, attr int32, v int32) Result {
	return Result(C.gloss_cuFuncSetAttribute(C.CUfunction(f), C.int(attr), C.int(v)))
}

func (cgoDriver) memAlloc(p *uint64, bytes uint64) Result {
	return Result(C.gloss_cuMemAlloc((*C.CUdeviceptr)(unsafe.Pointer(p)), C.ulonglong(bytes)))
}

func (cgoDriver) memFree(p uint64) Result { return Result(C.gloss_cuMemFree(C.CUdeviceptr(p))) }

func (cgoDriver) memcpyHtoDAsync(dst uint64, src unsafe.Pointer, bytes uint64, s unsafe.Pointer) Result {
	return Result(C.gloss_cuMemcpyHtoDAsync(C.CUdeviceptr(dst), src, C.ulonglong(bytes), C.CUstream(s)))
}

func (cgoDriver) memcpyDtoHAsync(dst unsafe.Pointer, src uint64, bytes uint64, s unsafe.Pointer) Result {
	return Result(C.gloss_cuMemcpyDtoHAsync(dst, C.CUdeviceptr(src), C.ulonglong(bytes), C.CUstream(s)))
}

func (cgoDriver) memcpyDtoDAsync(dst, src uint64, bytes uint64, s unsafe.Pointer) Result {
	return Result(C.gloss_cuMemcpyDtoDAsync(C.CUdeviceptr(dst), C.CUdeviceptr(src), C.ulonglong(bytes), C.CUstream(s)))
}

func (cgoDriver) memsetD8Async(dst uint64, v uint8, n uint64, s unsafe.Pointer) Result {
	return Result(C.gloss_cuMemsetD8Async(C.CUdeviceptr(dst), C.uchar(v), C.ulonglong(n), C.CUstream(s)))
}

func (cgoDriver) streamCreate(s *unsafe.Pointer, flags uint32) Result {
	var c C.CUstream
	r := Result(C.gloss_cuStreamCreate(&c, C.uint(flags)))
	*s = unsafe.Pointer(c)
	return r
}

func (cgoDriver) streamDestroy(s unsafe.Pointer) Result {
	return Result(C.gloss_cuStreamDestroy(C.CUstream(s)))
}

func (cgoDriver) streamSynchronize(s unsafe.Pointer) Result {
	return Result(C.gloss_cuStreamSynchronize(C.CUstream(s)))
}

func (cgoDriver) launchKernel(f unsafe.Pointer, grid, block [3]uint32, smem uint32, s unsafe.Pointer, params []uint64) Result {
	var p *C.ulonglong
	if len(params) > 0 {
		p = (*C.ulonglong)(unsafe.Pointer(&params[0]))
	}
	return Result(C.gloss_cuLaunchKernel(C.CUfunction(f),
		C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]),
		C.uint(block[0]), C.uint(block[1]), C.uint(block[2]),
		C.uint(smem), C.CUstream(s), p, C.int(len(params))))
}
