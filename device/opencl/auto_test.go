package opencl_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	_ "github.com/gloss-ml/gloss/device/cuda"
	"github.com/gloss-ml/gloss/internal/cl"
)

// TestAutoPicksOpenCL: on a machine with an OpenCL device and no CUDA GPU (CI), Open("auto")
// gets the OpenCL device, and Auto says why it skipped cuda; GLOSS_DEVICE overrides it.
func TestAutoPicksOpenCL(t *testing.T) {
	openDev(t) // skips (or fails under GLOSS_REQUIRE_OPENCL=1) without a platform
	t.Setenv(device.EnvDevice, "")
	d, skips, err := device.Auto()
	if err != nil {
		t.Fatalf("Auto: %v", err)
	}
	defer d.Close()
	if d.Info().Kind == device.CUDA {
		t.Skipf("auto opened %s: this machine has a CUDA GPU, which comes first", d.Info().Name)
	}
	if d.Info().Kind != device.OpenCL {
		t.Errorf("auto opened %s, want the OpenCL device", d.Info().Name)
	}
	if len(skips) != 1 || skips[0].Backend != "cuda" || !errors.Is(skips[0].Err, device.ErrNoDevice) {
		t.Errorf("auto skipped %v, want only cuda (no device)", skips)
	}
	t.Logf("auto: %s, after skipping %v", d.Info().Name, skips)
	t.Setenv(device.EnvDevice, "cpu")
	c, err := device.Open("auto")
	if err != nil || c.Info().Kind != device.CPU {
		t.Fatalf("GLOSS_DEVICE=cpu: %v, %v", c, err)
	}
	c.Close()
}

// child runs the named test in a child process with extra environment variables.
func child(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), append([]string{EnvRequire + "=", device.EnvDevice + "="}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Errorf("child %s: %v\n%s", name, err, out)
	}
}

// checkAbsent checks that Open and List of opencl fail with ErrNoDevice and a message holding
// each of want, and that Auto opens another device after skipping opencl for that reason.
func checkAbsent(t *testing.T, want ...string) {
	t.Helper()
	_, err := device.Open("opencl")
	if !errors.Is(err, device.ErrNoDevice) {
		t.Fatalf("Open(opencl) = %v, want ErrNoDevice", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Open(opencl) = %v: the message lacks %q", err, w)
		}
	}
	if _, lerr := device.List("opencl"); lerr == nil || lerr.Error() != err.Error() {
		t.Errorf("List(opencl) = %v, want %v", lerr, err)
	}
	d, skips, aerr := device.Auto()
	if aerr != nil {
		t.Fatalf("Auto: %v", aerr)
	}
	defer d.Close()
	found := false
	for _, s := range skips {
		found = found || s.Backend == "opencl" && s.Err.Error() == err.Error()
	}
	if !found || d.Info().Kind == device.OpenCL {
		t.Errorf("Auto opened %s after skipping %v; want it to skip opencl with %v", d.Info().Name, skips, err)
	}
	t.Logf("opencl: %v", err)
}

// TestMissingLibrary: with GLOSS_LIBOPENCL naming a loader that does not exist, the backend
// says the loader is not installed and how to install it.
func TestMissingLibrary(t *testing.T) {
	const lib = "libgloss-no-such-opencl.so.1"
	if os.Getenv("GLOSS_TEST_CHILD") != "opencl-missing" {
		if errors.Is(cl.Probe(cl.DefaultLibrary), cl.ErrNoCgo) {
			t.Skip("built without cgo: no library is ever loaded")
		}
		child(t, "TestMissingLibrary", "GLOSS_TEST_CHILD=opencl-missing", cl.EnvLibrary+"="+lib)
		return
	}
	checkAbsent(t, lib, "is not installed", "apt-get install ocl-icd-libopencl1 pocl-opencl-icd", cl.EnvLibrary)
}

// TestNoPlatform: with the loader but no driver (OCL_ICD_VENDORS and OPENCL_VENDOR_PATH, where
// the loader looks for drivers, pointed at an empty folder), the backend says no platform is
// installed.
func TestNoPlatform(t *testing.T) {
	if os.Getenv("GLOSS_TEST_CHILD") != "opencl-noplatform" {
		if err := cl.Probe(cl.DefaultLibrary); err != nil {
			t.Skipf("no OpenCL loader to test with: %v", err)
		}
		child(t, "TestNoPlatform", "GLOSS_TEST_CHILD=opencl-noplatform", "OCL_ICD_VENDORS="+t.TempDir(), "OPENCL_VENDOR_PATH="+t.TempDir())
		return
	}
	checkAbsent(t, "no OpenCL platform is installed", "pocl-opencl-icd")
}
