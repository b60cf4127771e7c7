package cuda_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
)

// TestNoGPU: where the driver has no usable GPU, Open and List return an error wrapping
// ErrNoDevice (ErrNotBuilt without cgo) that names the backend and the driver's reason, and
// Auto moves on to the next backend, saying why it skipped cuda.
func TestNoGPU(t *testing.T) {
	if err := cu.Init(); err == nil {
		t.Skip("this machine has a working CUDA driver and GPU")
	}
	_, oerr := device.Open("cuda")
	_, lerr := device.List("cuda")
	for what, err := range map[string]error{"Open": oerr, "List": lerr} {
		if !errors.Is(err, device.ErrNoDevice) && !errors.Is(err, device.ErrNotBuilt) {
			t.Errorf("%s(cuda) = %v, want ErrNoDevice or ErrNotBuilt", what, err)
		}
		if err != nil && !strings.Contains(err.Error(), "cuda: ") {
			t.Errorf("%s(cuda) = %v: the message does not name the backend", what, err)
		}
	}
	if oerr != nil && lerr != nil && oerr.Error() != lerr.Error() {
		t.Errorf("Open and List give different reasons:\n%v\n%v", oerr, lerr)
	}
	t.Logf("cuda: %v", oerr)
	if _, err := device.Open("cuda:1"); err == nil {
		t.Error(`Open("cuda:1") succeeded without a GPU`)
	}
	t.Setenv(device.EnvDevice, "")
	d, skips, err := device.Auto()
	if err != nil {
		t.Fatalf("Auto: %v", err)
	}
	defer d.Close()
	if d.Info().Kind == device.CUDA || len(skips) == 0 || skips[0].Backend != "cuda" || skips[0].Err.Error() != oerr.Error() {
		t.Errorf("Auto opened %s, skipping %v; want another device, after skipping cuda with %v", d.Info().Name, skips, oerr)
	}
}

// TestMissingLibrary runs a child process whose GLOSS_LIBCUDA names a library that does not
// exist: Open says the driver library is not installed and how to get it, List says the same,
// and Auto falls back to another device.
func TestMissingLibrary(t *testing.T) {
	const lib = "libgloss-no-such-cuda.so.1"
	if os.Getenv("GLOSS_TEST_CHILD") != "cuda-missing" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingLibrary$", "-test.v")
		cmd.Env = append(os.Environ(), "GLOSS_TEST_CHILD=cuda-missing", cu.EnvLibrary+"="+lib, device.EnvDevice+"=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestMissingLibrary") {
			t.Errorf("child: %v\n%s", err, out)
		}
		return
	}
	_, err := device.Open("cuda")
	if !errors.Is(err, device.ErrNoDevice) && !errors.Is(err, device.ErrNotBuilt) {
		t.Fatalf("Open(cuda) = %v, want ErrNoDevice", err)
	}
	if errors.Is(err, device.ErrNoDevice) {
		for _, want := range []string{lib, "is not installed", "install", "NVIDIA driver", cu.EnvLibrary} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open(cuda) = %v: the message lacks %q", err, want)
			}
		}
	}
	if _, lerr := device.List("cuda"); lerr == nil || lerr.Error() != err.Error() {
		t.Errorf("List(cuda) = %v, want %v", lerr, err)
	}
	d, skips, aerr := device.Auto()
	if aerr != nil {
		t.Fatalf("Auto: %v", aerr)
	}
	defer d.Close()
	if len(skips) == 0 || skips[0].Backend != "cuda" || skips[0].Err.Error() != err.Error() || d.Info().Kind == device.CUDA {
		t.Errorf("Auto opened %s after skipping %v", d.Info().Name, skips)
	}
	t.Logf("cuda: %v", err)
}
