//go:build !cuda

// Package cuda is gloss's CUDA backend. This build does not include it: rebuild with
// -tags cuda (see the README) to get it.
package cuda

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
)

func init() {
	err := fmt.Errorf("%w: cuda (rebuild with -tags cuda; see the README)", device.ErrNotBuilt)
	device.Register("cuda", func(string) (device.Device, error) { return nil, err },
		func() ([]device.Info, error) { return nil, err })
}
