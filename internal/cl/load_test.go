package cl

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/internal/dynlib/dltest"
)

// needCgo skips a test that loads libraries, in a build without cgo (where Platforms must
// return ErrNoCgo, which TestNoCgo checks).
func needCgo(t *testing.T) {
	t.Helper()
	dltest.NeedCgo(t, impl != nil)
}

// TestEntryPoints checks that the C table resolves exactly the documented entry points.
func TestEntryPoints(t *testing.T) {
	dltest.EntryPoints(t, cNames, EntryPoints)
}

// TestNoCgo: without cgo, Platforms says the binary was built without it.
func TestNoCgo(t *testing.T) {
	if impl != nil {
		t.Skip("built with cgo")
	}
	if _, err := Platforms(); !errors.Is(err, ErrNoCgo) {
		t.Errorf("Platforms() = %v, want ErrNoCgo", err)
	}
}

// TestProbe loads libraries that cannot serve: one that does not exist, and one that exists
// but is not OpenCL (the C library).
func TestProbe(t *testing.T) {
	needCgo(t)
	const missing = "libgloss-no-such-opencl.so.1"
	err := Probe(missing)
	var le *LoadError
	if !errors.As(err, &le) || le.Library != missing || len(le.Missing) != 0 ||
		!strings.Contains(err.Error(), missing) || !strings.Contains(le.Reason, "No such file") {
		t.Errorf("Probe(%q) = %#v (%v), want a LoadError saying the file is not found", missing, err, err)
	}
	err = Probe("libc.so.6")
	if !errors.As(err, &le) || len(le.Missing) != len(EntryPoints) {
		t.Errorf("Probe(libc.so.6) = %v, want a LoadError listing all %d entry points as missing", err, len(EntryPoints))
	}
}

// TestMissingLibrary runs Platforms in a child process whose GLOSS_LIBOPENCL names a library
// that does not exist: it must return a *LoadError, and every later call the same.
func TestMissingLibrary(t *testing.T) {
	needCgo(t)
	if os.Getenv("GLOSS_TEST_CHILD") == "cl-missing" {
		for range 2 {
			_, err := Platforms()
			var le *LoadError
			if !errors.As(err, &le) || le.Library != "libgloss-no-such-opencl.so.1" {
				t.Fatalf("Platforms() = %v, want a LoadError for libgloss-no-such-opencl.so.1", err)
			}
		}
		if Library() != "libgloss-no-such-opencl.so.1" {
			t.Errorf("Library() = %q", Library())
		}
		return
	}
	dltest.Child(t, "TestMissingLibrary", "GLOSS_TEST_CHILD=cl-missing", EnvLibrary+"=libgloss-no-such-opencl.so.1")
}

// TestZeroObjects calls methods of zero-valued objects: errors from the driver (or from the
// binding when nothing is loaded), never a crash.
func TestZeroObjects(t *testing.T) {
	needCgo(t)
	var q Queue
	if err := q.Finish(); err == nil {
		t.Error("Finish on a zero queue succeeded")
	}
	var d Device
	if _, err := d.Name(); err == nil {
		t.Error("Name of a zero device succeeded")
	}
}
