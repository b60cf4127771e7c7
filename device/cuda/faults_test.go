package cuda_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/cuda"
	"github.com/gloss-ml/gloss/internal/cu"
	"github.com/gloss-ml/gloss/internal/faulttest"
)

// EnvRequireEmu set to 1 (CI sets it, after make cuda-emu) makes a missing CUDA emulator a
// test failure instead of a skip.
const EnvRequireEmu = "GLOSS_REQUIRE_CUDA_EMU"

// emuLibrary is the emulated driver make cuda-emu builds (internal/cudaemu), from this
// package's directory.
const emuLibrary = "../../build/cuda-emu/libcuda.so.1"

// cuCodes are the results the injected failures return, in turn.
var cuCodes = []cu.Result{cu.ErrorOutOfMemory, cu.ErrorInvalidValue, 400 /* CUDA_ERROR_INVALID_HANDLE */, cu.ErrorLaunchResources, 999 /* CUDA_ERROR_UNKNOWN */}

// cuInjector drives the CUDA binding's fault layer for package faulttest.
type cuInjector struct {
	f    *cu.Faults
	code cu.Result
}

func (j *cuInjector) Arm(n int) {
	j.code = cuCodes[n%len(cuCodes)]
	j.f.FailAt(n, j.code)
}

func (j *cuInjector) Disarm() string { return j.f.Disarm() }
func (j *cuInjector) Calls() int     { return j.f.Calls() }

var cudaName = regexp.MustCompile(`^CUDA_ERROR_[A-Z_]+$`)

func (j *cuInjector) Explain(err error, call string) error {
	var ce *cu.Error
	if !errors.As(err, &ce) {
		return errors.New("no *cu.Error in the error's chain")
	}
	if ce.Call != call || ce.Code != j.code {
		return fmt.Errorf("the chain's driver error is %v (%d), want %s with %s", ce, ce.Code, call, j.code.Name())
	}
	if !cudaName.MatchString(ce.Name) {
		return fmt.Errorf("the code's name is %q, not a CUDA error name", ce.Name)
	}
	for _, w := range []string{call + ": " + ce.Name} {
		if !strings.Contains(err.Error(), w) {
			return fmt.Errorf("the text does not name %q", w)
		}
	}
	return nil
}

func (j *cuInjector) Fresh(dev device.Device) error { return cuda.MakeCold(dev) }

func (j *cuInjector) Leaks(dev device.Device) []string {
	var want cu.Live
	var out []string
	if dev != nil {
		held, err := cuda.HeldAllocations(dev)
		if err != nil {
			out = append(out, err.Error())
		}
		want = cu.Live{Contexts: 1, Modules: 2, Streams: 1, Allocations: held}
	}
	if live := j.f.Live(); live != want {
		out = append(out, fmt.Sprintf("the driver holds %v where the device accounts for %v: %s", live, want,
			strings.Join(j.f.LiveObjects(), ", ")))
	}
	return append(out, j.f.Problems()...)
}

// Absorbed: cuMemGetInfo_v2 serves Info only, whose MemFree is 0 (unknown) when it fails.
func (j *cuInjector) Absorbed(call string) bool { return call == "cuMemGetInfo_v2" }

// TestDriverFaults makes every CUDA driver call of Open, Close, the buffer operations, a set of
// evaluations covering every loss family and mode, and every loss of the catalog, fail in turn
// (package faulttest):
// each must be reported with the call and its code, leak nothing (allocations, modules,
// streams, context retains, host memory handed to copies not waited for), and leave the device
// computing the numbers it computed before, which were checked against the cpuref device.
//
// It runs on the driver this process loads when that one has a GPU, else in a child process on
// the CUDA emulator (make cuda-emu; GLOSS_LIBCUDA names it), and skips saying so when that is
// not built (fails under GLOSS_REQUIRE_CUDA_EMU=1).
func TestDriverFaults(t *testing.T) {
	if errors.Is(cu.Init(), cu.ErrNoCgo) {
		t.Skip("built without cgo: no driver can be loaded")
	}
	if cu.Init() == nil {
		if n, err := cu.DeviceCount(); err == nil && n > 0 {
			runFaults(t)
			return
		}
	}
	if os.Getenv("GLOSS_TEST_CHILD") == "cuda-faults" {
		t.Fatalf("the child cannot open the emulated driver %s: %v", os.Getenv(cu.EnvLibrary), cu.Init())
	}
	lib, err := filepath.Abs(emuLibrary)
	if err == nil {
		_, err = os.Stat(lib)
	}
	if err != nil {
		if os.Getenv(EnvRequireEmu) == "1" {
			t.Fatalf("%s=1 but the CUDA emulator is not built: %v (make cuda-emu builds it)", EnvRequireEmu, err)
		}
		t.Skipf("no GPU, and the CUDA emulator is not built (%v): make cuda-emu builds it (set %s=1 to make this fail)", err, EnvRequireEmu)
	}
	args := []string{"-test.run=^TestDriverFaults$", "-test.v"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GLOSS_TEST_CHILD=cuda-faults", cu.EnvLibrary+"="+lib, "GLOSS_CUDAEMU_QUIET=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDriverFaults") {
		t.Fatalf("on the CUDA emulator (%s): %v\n%s", lib, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "faulttest.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

func runFaults(t *testing.T) {
	f, err := cu.InstallFaults()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	open := func() (device.Device, error) { return device.Open("cuda") }
	d, err := open()
	if err != nil {
		t.Fatalf("Open(cuda) on %s: %v", cu.Library(), err)
	}
	t.Logf("%s: %s", cu.Library(), d.Info().Description)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	inj := &cuInjector{f: f}
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
