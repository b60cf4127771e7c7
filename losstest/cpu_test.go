package losstest

import (
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestCPU runs the conformance suite on the cpu device.
func TestCPU(t *testing.T) { Run(t, device.CPU0()) }

// TestCPURef runs the conformance suite on the cpuref device, the judge itself: it checks the
// suite's plumbing (guards, views, in-place, determinism) on the reference's own numbers.
func TestCPURef(t *testing.T) { Run(t, device.CPURef()) }
