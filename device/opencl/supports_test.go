package opencl_test

import (
	"slices"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/kernels"
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
	// The program defines exactly the kernels the descriptor names.
	want := kernels.Symbols()
	slices.Sort(want)
	for _, f64 := range []bool{false, true} {
		if f64 && !d.Info().FP64 {
			continue
		}
		if got := d.ProgramKernels(f64); !slices.Equal(got, want) {
			t.Errorf("program (f64 %v) has kernels %v,\nthe descriptor names %v", f64, got, want)
		}
	}
}
