// Package dltest holds the checks that the runtime-loaded bindings' tests (internal/cl,
// internal/cu) share: the C table against the documented entry points, a loading failure read
// back as the binding's error, and a test rerun in a child process with its own environment
// (a library is loaded once per process). Only tests import it.
package dltest

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// NeedCgo skips a test that loads libraries in a build without cgo (loads is false).
func NeedCgo(t *testing.T, loads bool) {
	t.Helper()
	if !loads {
		t.Skip("built without cgo: no library can be loaded")
	}
}

// EntryPoints checks that the C table (cNames, nil without cgo) resolves exactly want, in order.
func EntryPoints(t *testing.T, cNames func() []string, want []string) {
	t.Helper()
	if cNames != nil && !slices.Equal(cNames(), want) {
		t.Errorf("the C table resolves %v,\nEntryPoints lists %v", cNames(), want)
	}
}

// Child runs the test name in a child process with extra environment variables and reports
// whether it passed.
func Child(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Errorf("child %s: %v\n%s", name, err, out)
	}
}
