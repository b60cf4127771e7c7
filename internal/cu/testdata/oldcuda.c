// oldcuda.c: a stand-in driver library for the test of a driver older than CUDA 11.0. It
// exports every entry point the binding resolves; cuDriverGetVersion reports CUDA 10.2 and
// every other call fails with CUDA_ERROR_NOT_SUPPORTED (801). Built by the test with cc.
typedef int CUresult;
#define NS 801
static const char *name801 = "CUDA_ERROR_NOT_SUPPORTED";
CUresult cuDriverGetVersion(int *v) { *v = 10020; return 0; }
CUresult cuGetErrorName(CUresult r, const char **s) { *s = r == NS ? name801 : 0; return r == NS ? 0 : 1; }
CUresult cuGetErrorString(CUresult r, const char **s) { *s = r == NS ? "operation not supported" : 0; return r == NS ? 0 : 1; }
#define F(name) CUresult name() { return NS; }
F(cuInit) F(cuDeviceGetCount) F(cuDeviceGet) F(cuDeviceGetName) F(cuDeviceTotalMem_v2)
F(cuDeviceGetAttribute) F(cuDevicePrimaryCtxRetain) F(cuDevicePrimaryCtxRelease_v2)
F(cuCtxSetCurrent) F(cuCtxSynchronize) F(cuMemGetInfo_v2) F(cuModuleLoadData) F(cuModuleUnload)
F(cuModuleGetFunction) F(cuFuncGetAttribute) F(cuFuncSetAttribute) F(cuMemAlloc_v2) F(cuMemFree_v2)
F(cuMemcpyHtoDAsync_v2) F(cuMemcpyDtoHAsync_v2) F(cuMemcpyDtoDAsync_v2) F(cuMemsetD8Async)
F(cuStreamCreate) F(cuStreamDestroy_v2) F(cuStreamSynchronize) F(cuLaunchKernel)
