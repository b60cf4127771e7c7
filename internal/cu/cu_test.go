package cu

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/internal/dynlib/dltest"
)

// needCgo skips a test that loads libraries, in a build without cgo (where Init must return
// ErrNoCgo, which TestInit checks).
func needCgo(t *testing.T) {
	t.Helper()
	dltest.NeedCgo(t, impl != nil)
}

// TestEntryPoints checks that the C table resolves exactly EntryPoints, and that the package
// comment lists each of them.
func TestEntryPoints(t *testing.T) {
	dltest.EntryPoints(t, cNames, EntryPoints)
	src, err := os.ReadFile("cu.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, ok := strings.Cut(string(src), "\npackage cu")
	if !ok {
		t.Fatal("cu.go: no package clause")
	}
	inDoc := regexp.MustCompile(`\bcu[A-Z]\w+`).FindAllString(doc, -1)
	slices.Sort(inDoc)
	inDoc = slices.Compact(inDoc)
	want := slices.Sorted(slices.Values(EntryPoints))
	if !slices.Equal(inDoc, want) {
		t.Errorf("the package comment names %v,\nEntryPoints are %v", inDoc, want)
	}
}

// TestProbe loads libraries that cannot serve: one that does not exist, and one that exists
// but is not a CUDA driver (the C library).
func TestProbe(t *testing.T) {
	needCgo(t)
	const missing = "libgloss-no-such-cuda.so.1"
	err := Probe(missing)
	var le *LoadError
	if !errors.As(err, &le) || le.Library != missing || len(le.Missing) != 0 ||
		!strings.Contains(err.Error(), missing) || !strings.Contains(le.Reason, "No such file") {
		t.Errorf("Probe(%q) = %v, want a LoadError saying the file is not found", missing, err)
	}
	err = Probe("libc.so.6")
	if !errors.As(err, &le) || len(le.Missing) != len(EntryPoints) || !strings.Contains(err.Error(), "cuLaunchKernel") {
		t.Errorf("Probe(libc.so.6) = %v, want a LoadError listing all %d entry points as missing", err, len(EntryPoints))
	}
}

// TestInit initialises the driver of this machine: it either works (a GPU) or says why not,
// with an error of one of the documented kinds; calls after a failed Init return it too.
func TestInit(t *testing.T) {
	err := Init()
	if impl == nil && err != ErrNoCgo {
		t.Errorf("Init without cgo = %v, want ErrNoCgo", err)
	}
	if err == nil {
		n, err := DeviceCount()
		if err != nil || n <= 0 {
			t.Errorf("Init succeeded but DeviceCount = %d, %v", n, err)
		}
		v, err := DriverVersion()
		if err != nil || v < MinDriverVersion {
			t.Errorf("DriverVersion = %d, %v", v, err)
		}
		t.Logf("driver %s from %s, %d device(s)", VersionString(v), Library(), n)
		return
	}
	t.Logf("Init: %v", err)
	var (
		le *LoadError
		ve *VersionError
		ce *Error
	)
	switch {
	case errors.Is(err, ErrNoCgo), errors.As(err, &le), errors.As(err, &ve):
	case errors.As(err, &ce):
		if ce.Call != "cuInit" || !strings.HasPrefix(ce.Name, "CUDA_ERROR_") {
			t.Errorf("Init: %#v, want cuInit's error with its CUDA error name", ce)
		}
	default:
		t.Errorf("Init: %v (%T), want a LoadError, VersionError or Error", err, err)
	}
	if _, err2 := DeviceCount(); err2 == nil || !errors.Is(err2, err) {
		t.Errorf("DeviceCount after a failed Init = %v, want it to wrap %v", err2, err)
	}
	if err2 := Init(); err2 != err {
		t.Errorf("second Init = %v, want the first's error", err2)
	}
}

// TestErrors checks how a driver error reads and what errors.Is sees.
func TestErrors(t *testing.T) {
	e := check("cuMemAlloc_v2", ErrorOutOfMemory)
	if !errors.Is(e, ErrorOutOfMemory) || errors.Is(e, ErrorNoDevice) {
		t.Errorf("errors.Is on %v: wrong code", e)
	}
	if !strings.HasPrefix(e.Error(), "cuMemAlloc_v2: ") {
		t.Errorf("error %q does not start with the call", e)
	}
	Init()
	if loaded.Load() {
		// With a driver library loaded, the name and text are the driver's.
		if want := "cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"; e.Error() != want {
			t.Errorf("error = %q, want %q", e, want)
		}
		if n := ErrorNoDevice.Name(); n != "CUDA_ERROR_NO_DEVICE" {
			t.Errorf("ErrorNoDevice.Name() = %q", n)
		}
	}
	var f Function
	if err := f.Launch([3]int{1, 1, 1}, [3]int{1, 1, 1}, 0, Stream{}, make([]uint64, MaxParams+1)); !errors.Is(err, ErrorInvalidValue) {
		t.Errorf("Launch with %d parameters = %v, want CUDA_ERROR_INVALID_VALUE", MaxParams+1, err)
	}
	if err := f.Launch([3]int{0, 1, 1}, [3]int{1, 1, 1}, 0, Stream{}, nil); !errors.Is(err, ErrorInvalidValue) {
		t.Errorf("Launch with an empty grid = %v, want CUDA_ERROR_INVALID_VALUE", err)
	}
	if _, err := MemAlloc(0); !errors.Is(err, ErrorInvalidValue) {
		t.Errorf("MemAlloc(0) = %v, want CUDA_ERROR_INVALID_VALUE", err)
	}
}

// TestMissingLibrary: with GLOSS_LIBCUDA naming a library that does not exist, Init returns a
// *LoadError and every call says so; nothing crashes.
func TestMissingLibrary(t *testing.T) {
	needCgo(t)
	const lib = "libgloss-no-such-cuda.so.1"
	if os.Getenv("GLOSS_TEST_CHILD") != "cu-missing" {
		dltest.Child(t, "TestMissingLibrary", "GLOSS_TEST_CHILD=cu-missing", EnvLibrary+"="+lib)
		return
	}
	var le *LoadError
	if err := Init(); !errors.As(err, &le) || le.Library != lib {
		t.Fatalf("Init() = %v, want a LoadError for %s", err, lib)
	}
	if _, err := DeviceCount(); !errors.As(err, &le) {
		t.Errorf("DeviceCount() = %v, want the LoadError", err)
	}
	if _, err := DeviceGet(0); !errors.As(err, &le) {
		t.Errorf("DeviceGet(0) = %v, want the LoadError", err)
	}
	if _, err := MemAlloc(8); !errors.Is(err, ErrorNotInitialized) {
		t.Errorf("MemAlloc(8) = %v, want CUDA_ERROR_NOT_INITIALIZED", err)
	}
	if Library() != lib {
		t.Errorf("Library() = %q", Library())
	}
}

// TestNotADriver: GLOSS_LIBCUDA naming a library without the entry points (the C library).
func TestNotADriver(t *testing.T) {
	needCgo(t)
	if os.Getenv("GLOSS_TEST_CHILD") != "cu-libc" {
		dltest.Child(t, "TestNotADriver", "GLOSS_TEST_CHILD=cu-libc", EnvLibrary+"=libc.so.6")
		return
	}
	var le *LoadError
	if err := Init(); !errors.As(err, &le) || len(le.Missing) != len(EntryPoints) {
		t.Fatalf("Init() = %v, want a LoadError listing the missing entry points", err)
	}
}

// TestOldDriver: a library reporting CUDA 10.2 is refused with a VersionError before cuInit.
// The library is built from testdata/oldcuda.c with the C compiler cgo uses.
func TestOldDriver(t *testing.T) {
	needCgo(t)
	if os.Getenv("GLOSS_TEST_CHILD") == "cu-old" {
		var ve *VersionError
		err := Init()
		if !errors.As(err, &ve) || ve.Version != 10020 ||
			!strings.Contains(err.Error(), "supports CUDA 10.2; gloss needs CUDA 11.0 or newer") {
			t.Fatalf("Init() = %v, want a VersionError for CUDA 10.2", err)
		}
		if v, err := DriverVersion(); v != 10020 || err != nil {
			t.Errorf("DriverVersion() = %d, %v", v, err)
		}
		return
	}
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"cc"}
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		t.Skipf("no C compiler (%s) to build the stand-in driver: %v", cc[0], err)
	}
	lib := filepath.Join(t.TempDir(), "liboldcuda.so")
	args := append(cc[1:], "-shared", "-fPIC", "-o", lib, "testdata/oldcuda.c")
	if out, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cc[0], err, out)
	}
	dltest.Child(t, "TestOldDriver", "GLOSS_TEST_CHILD=cu-old", EnvLibrary+"="+lib)
}
