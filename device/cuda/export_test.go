package cuda

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
)

// Test hooks for the external tests (package cuda_test).

func asCUDA(dev device.Device) (*cudaDevice, error) {
	d, ok := dev.(*cudaDevice)
	if !ok {
		return nil, fmt.Errorf("%T is not a CUDA device", dev)
	}
	return d, nil
}

// DropFunctions forgets the kernels the device has looked up, so that the next launches look
// them up (and read their attributes) again.
func DropFunctions(dev device.Device) error {
	d, err := asCUDA(dev)
	if err != nil {
		return err
	}
	return d.do(func() error {
		clear(d.fns)
		return nil
	})
}

// HeldAllocations counts the allocations the device keeps for itself (results, partials and
// scratch), not the caller's buffers.
func HeldAllocations(dev device.Device) (int, error) {
	d, err := asCUDA(dev)
	if err != nil {
		return 0, err
	}
	n := 0
	err = d.do(func() error {
		if d.small != 0 {
			n++
		}
		for _, m := range []*mem{&d.part, &d.scratch, &d.extra} {
			if m.ptr != 0 {
				n++
			}
		}
		return nil
	})
	return n, err
}
