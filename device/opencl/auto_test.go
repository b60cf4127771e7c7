//go:build opencl && !cuda

package opencl_test

import (
	"errors"
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestAutoPicksOpenCL: a program built with -tags opencl (and not cuda) gets the OpenCL
// device from Open("auto"), and Auto says it skipped cuda because it is not built in.
func TestAutoPicksOpenCL(t *testing.T) {
	openDev(t) // skips (or fails under GLOSS_REQUIRE_OPENCL=1) without a platform
	t.Setenv(device.EnvDevice, "")
	d, skips, err := device.Auto()
	if err != nil {
		t.Fatalf("Auto: %v", err)
	}
	defer d.Close()
	if d.Info().Kind != device.OpenCL {
		t.Errorf("auto opened %s, want the OpenCL device", d.Info().Name)
	}
	if len(skips) != 1 || skips[0].Backend != "cuda" || !errors.Is(skips[0].Err, device.ErrNotBuilt) {
		t.Errorf("auto skipped %v, want only cuda (not built)", skips)
	}
	t.Setenv(device.EnvDevice, "cpu")
	c, err := device.Open("auto")
	if err != nil || c.Info().Kind != device.CPU {
		t.Errorf("GLOSS_DEVICE=cpu: %v, %v", c, err)
	}
}
