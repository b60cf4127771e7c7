//go:build !opencl

// Package opencl is gloss's OPENCL backend. This build does not include it: rebuild with
// -tags opencl (see the README) to get it.
package opencl

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
)

func init() {
	err := fmt.Errorf("%w: opencl (rebuild with -tags opencl; see the README)", device.ErrNotBuilt)
	device.Register("opencl", func(string) (device.Device, error) { return nil, err },
		func() ([]device.Info, error) { return nil, err })
}
