package opencl_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/opencl"
	"github.com/gloss-ml/gloss/internal/cl"
	"github.com/gloss-ml/gloss/internal/faulttest"
)

// clCodes are the status codes the injected failures return, in turn.
var clCodes = []int32{cl.OutOfResources, cl.OutOfHostMemory, cl.MemObjectAllocationFailure, cl.InvalidValue, -59 /* CL_INVALID_OPERATION */}

// clInjector drives the OpenCL binding's fault layer for package faulttest.
type clInjector struct {
	f    *cl.Faults
	code int32
}

func (j *clInjector) Arm(n int) {
	j.code = clCodes[n%len(clCodes)]
	j.f.FailAt(n, j.code)
}

func (j *clInjector) Disarm() string { return j.f.Disarm() }
func (j *clInjector) Calls() int     { return j.f.Calls() }

func (j *clInjector) Explain(err error, call string) error {
	var ce *cl.Error
	if !errors.As(err, &ce) {
		return errors.New("no *cl.Error in the error's chain")
	}
	if cl.CallOf(ce) != call || ce.Code != j.code {
		return fmt.Errorf("the chain's driver error is %v, want %s with %s", ce, call, cl.ErrorName(j.code))
	}
	for _, w := range []string{call, fmt.Sprintf("%s (%d)", cl.ErrorName(j.code), j.code)} {
		if !strings.Contains(err.Error(), w) {
			return fmt.Errorf("the text does not name %q", w)
		}
	}
	return nil
}

func (j *clInjector) Fresh(dev device.Device) error { return dev.(*opencl.Device).DropKernels() }

func (j *clInjector) Leaks(dev device.Device) []string {
	var want cl.Live
	if dev != nil {
		d := dev.(*opencl.Device)
		want = cl.Live{Contexts: 1, Queues: 1, Programs: d.Programs(), Kernels: d.PooledKernels(), Mems: d.LiveBuffers()}
	}
	var out []string
	if live := j.f.Live(); live != want {
		out = append(out, fmt.Sprintf("the driver holds %v where the device accounts for %v: %s", live, want,
			strings.Join(j.f.LiveObjects(), ", ")))
	}
	return append(out, j.f.Problems()...)
}

func (j *clInjector) Absorbed(string) bool { return false }

// TestDriverFaults makes every OpenCL call of Open, Close, the buffer operations and a set of
// evaluations covering every loss family and mode, and every loss of the catalog, fail in turn
// (package faulttest): each must be reported with the call and its code, leak nothing, and
// leave the device computing the numbers it computed before, which were checked against the
// cpuref device. The device does not use the program binary cache (PoCL's default), whose
// failures are deliberately not errors.
func TestDriverFaults(t *testing.T) {
	f, err := cl.InstallFaults()
	if err != nil {
		unavailable(t, err)
	}
	defer f.Remove()
	open := func() (device.Device, error) {
		d, err := opencl.OpenUncached("")
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	d, err := open()
	if err != nil {
		f.Remove()
		unavailable(t, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	inj := &clInjector{f: f}
	t.Run("open-close", func(t *testing.T) { faulttest.Open(t, inj, open) })
	if d, err = open(); err != nil {
		t.Fatal(err)
	}
	t.Run("buffers", func(t *testing.T) { faulttest.Buffers(t, d, inj) })
	t.Run("evaluations", func(t *testing.T) { faulttest.Evaluations(t, d, inj, faulttest.Scenarios()) })
	t.Run("catalog", func(t *testing.T) { faulttest.Evaluations(t, d, inj, faulttest.CatalogScenarios()) })
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if l := inj.Leaks(nil); len(l) > 0 {
		t.Errorf("after Close: %s", strings.Join(l, "; "))
	}
}
