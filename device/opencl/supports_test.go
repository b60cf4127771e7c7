package opencl_test

import (
	"slices"
	"testing"

	"github.com/gloss-ml/gloss/device"
	kernels "github.com/gloss-ml/gloss/kernels/opencl"
	"github.com/gloss-ml/gloss/loss"
)

// TestSupports checks that the device claims every loss and metric of the catalog but auc,
// for float32 and (with fp64) float64, and the checks.
func TestSupports(t *testing.T) {
	d := openDev(t)
	dts := []device.DType{device.F32}
	if d.Info().FP64 {
		dts = append(dts, device.F64)
	}
	for _, s := range loss.Catalog() {
		for _, dt := range dts {
			got := d.Supports(s.Name, dt)
			if want := s.Name != "auc"; got != want {
				t.Errorf("Supports(%q, %v) = %v, want %v", s.Name, dt, got, want)
			}
		}
	}
	for _, c := range []struct {
		k    string
		dt   device.DType
		want bool
	}{{"check_labels", device.I32, true}, {"check_values", device.F32, true}, {"check_values", device.F64, d.Info().FP64},
		{"check_values", device.I32, false}, {"huber", device.I32, false}, {"no_such_loss", device.F32, false}} {
		if got := d.Supports(c.k, c.dt); got != c.want {
			t.Errorf("Supports(%q, %v) = %v, want %v", c.k, c.dt, got, c.want)
		}
	}
	// The names kernels/opencl reads off its source are those the device compiled.
	for _, f64 := range []bool{false, true} {
		if f64 && !d.Info().FP64 {
			continue
		}
		if got, want := d.ProgramKernels(f64), kernels.Kernels(); !slices.Equal(got, want) {
			t.Errorf("program (f64 %v) has kernels %v,\nkernels/opencl lists %v", f64, got, want)
		}
	}
}
