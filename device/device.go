// Package device is gloss's device layer: typed buffers, the Call that describes one loss
// evaluation on a device, the Device interface every backend implements, the registry behind
// Open("auto" | "cpu" | "opencl" | "opencl:P:D" | "cuda" | "cuda:N"), and the cpu device.
//
// A Device computes exactly what package cpuref computes; package losstest checks that.
// Backends other than cpu live in their own packages (device/opencl, device/cuda), in every
// build: they load their driver libraries at run time, and where a library, driver or device
// is missing their Open returns ErrNoDevice saying what is missing and how to get it (in a
// binary built without cgo, ErrNotBuilt).
package device

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them with the call, the input and the value involved.
var (
	// ErrNotBuilt: the backend cannot work in this binary (built without cgo, or its package
	// not imported).
	ErrNotBuilt = errors.New("device: backend not built")
	// ErrNoDevice: the backend is built but finds no usable device (no driver, no platform, no GPU).
	ErrNoDevice = errors.New("device: no device")
	// ErrUnknown: the device name is not registered.
	ErrUnknown = errors.New("device: unknown device")
	// ErrUnsupported: the device cannot run this kernel or dtype; callers fall back to the cpu.
	ErrUnsupported = errors.New("device: unsupported")
	// ErrOutOfMemory: an allocation failed on the device.
	ErrOutOfMemory = errors.New("device: out of memory")
	// ErrBuffer: a buffer of the wrong dtype, length or device was passed.
	ErrBuffer = errors.New("device: bad buffer")
	// ErrClosed: the device was closed.
	ErrClosed = errors.New("device: closed")
	// ErrDriver: the driver reported a failure (launch, copy, build); the wrapped message says which call.
	ErrDriver = errors.New("device: driver error")
)

// DType is the element type of a buffer.
type DType uint8

// The element types. F32 is the device format; F64 is cpuref's and that of devices with fp64.
const (
	F32 DType = iota + 1
	F64
	I32
)

// Size is the size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F64:
		return 8
	}
	return 0
}

func (d DType) String() string {
	switch d {
	case F32:
		return "float32"
	case F64:
		return "float64"
	case I32:
		return "int32"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Kind says what sort of device it is.
type Kind uint8

// The device kinds.
const (
	CPU Kind = iota + 1
	OpenCL
	CUDA
)

func (k Kind) String() string {
	switch k {
	case CPU:
		return "cpu"
	case OpenCL:
		return "opencl"
	case CUDA:
		return "cuda"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Info describes a device.
type Info struct {
	Name         string // the name Open accepts for it: "cpu", "opencl:0:0", "cuda:0"
	Kind         Kind
	Description  string // model and driver, e.g. "NVIDIA H200 (driver 580.159)"
	MemTotal     int64  // bytes of device memory; 0 when unknown
	MemFree      int64  // bytes free when asked; 0 when unknown
	ComputeUnits int    // multiprocessors, compute units or host threads
	FP64         bool   // whether float64 kernels run on the device
}

// Buffer is memory on one device holding Len elements of DType. Buffers are created by
// Device.Alloc (or Wrap, for the cpu device) and released by Device.Free.
type Buffer interface {
	DType() DType
	Len() int
}

// Device runs Calls on its own buffers. All methods are safe for concurrent use and return
// only after the work is done (results of Run are on the device when it returns).
type Device interface {
	Info() Info
	// Alloc returns a buffer of n elements of dt. Its contents are unspecified.
	Alloc(dt DType, n int) (Buffer, error)
	// Free releases a buffer. Freeing nil is a no-op.
	Free(b Buffer) error
	// Write copies src ([]float32, []float64 or []int32, matching dst's dtype) into dst at element off.
	Write(dst Buffer, off int, src any) error
	// Read copies from src at element off into dst ([]float32, []float64 or []int32), len(dst) elements.
	Read(dst any, src Buffer, off int) error
	// Copy copies all of src into dst on the device (same dtype and length).
	Copy(dst, src Buffer) error
	// Slice returns a view of n elements of b starting at element off, sharing b's memory.
	// Views are how tests put guard values around outputs and how large batches are streamed
	// in chunks. Freeing a view releases only the view. Backends may require off to be a
	// multiple of 64 elements.
	Slice(b Buffer, off, n int) (Buffer, error)
	// Supports reports whether Run can execute the kernel (a Call.Kernel name, or a Check kind
	// name such as "check_labels") for the dtype. A Call the device does not support is run
	// on the cpu by package loss, which records the fallback.
	Supports(kernel string, dt DType) bool
	// Run executes one call and returns its reduction sums (see Call).
	Run(c *Call) (Sums, error)
	// Find runs a validity check over a buffer and returns the first index that fails it, or -1.
	Find(c *Check) (int, error)
	// Close releases the device. Buffers must not be used afterwards.
	Close() error
}
