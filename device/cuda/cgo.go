//go:build cuda

package cuda

// Two driver calls gorgonia.org/cu v0.9.6 does not wrap: the opt-in shared-memory limit of a
// device and raising a function's dynamic shared-memory limit above the default 48 KiB (the
// row kernels keep a long row on chip).

/*
#cgo LDFLAGS: -lcuda
#cgo linux CFLAGS: -I/usr/local/cuda/include -I/usr/include
#cgo linux LDFLAGS: -L/usr/local/cuda/lib64 -L/usr/lib/x86_64-linux-gnu
#include <cuda.h>

static int gloss_smem_optin(int ordinal, int* bytes) {
	CUdevice dev;
	CUresult r = cuDeviceGet(&dev, ordinal);
	if (r != CUDA_SUCCESS) return (int)r;
	return (int)cuDeviceGetAttribute(bytes, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev);
}

static int gloss_set_dyn_smem(void* fn, int bytes) {
	return (int)cuFuncSetAttribute((CUfunction)fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// cuError is a driver result code from the calls of this file.
type cuError int

func (e cuError) Error() string { return fmt.Sprintf("CUresult %d", int(e)) }

// smemOptin returns the most shared memory one block may use on the device, once it opts in.
func smemOptin(ordinal int) (int, error) {
	var v C.int
	if r := C.gloss_smem_optin(C.int(ordinal), &v); r != 0 {
		return 0, cuError(r)
	}
	return int(v), nil
}

// setDynSmem lets fn be launched with up to bytes of dynamic shared memory. cu.Function is a
// struct holding only the driver's CUfunction handle; its bits are passed through unchanged.
func setDynSmem(fn cu.Function, bytes int) error {
	h := *(*unsafe.Pointer)(unsafe.Pointer(&fn))
	if r := C.gloss_set_dyn_smem(h, C.int(bytes)); r != 0 {
		return cuError(r)
	}
	return nil
}
