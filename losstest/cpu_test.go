package losstest

import (
	"testing"

	"github.com/gloss-ml/gloss/device"
)

// TestCPU runs the conformance suite on the cpu device.
func TestCPU(t *testing.T) { Run(t, device.CPU0()) }
