package cuda

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
)

// Test hooks for the external tests (package cuda_test).

func asCUDA(dev device.Device) (*cudaDevice, error) {
	d, ok := dev.(*cudaDevice)
	if !ok {
		return nil, fmt.Errorf("%T is not a CUDA device", dev)
	}
	return d, nil
}

// MakeCold forgets the kernels the device has looked up and shrinks its per-call scratch to a
// small allocation, so that the next evaluation looks the kernels up (and reads their
// attributes) again and frees and grows the scratch it needs.
func MakeCold(dev device.Device) error {
	d, err := asCUDA(dev)
	if err != nil {
		return err
	}
	return d.do(func() error {
		clear(d.fns)
		for _, m := range []*mem{&d.scratch, &d.extra} {
			if m.ptr != 0 {
				if err := cu.MemFree(m.ptr); err != nil {
					return err
				}
				m.ptr, m.bytes = 0, 0
			}
			if err := m.ensure(d, 256); err != nil {
				return err
			}
		}
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
