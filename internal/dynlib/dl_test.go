//go:build cgo

package dynlib

import (
	"slices"
	"strings"
	"testing"
)

// TestOpen loads the C library: resolving entry points it has gives their addresses, in
// order; one it lacks makes the whole load fail and name it; a library that does not exist
// gives the loader's message.
func TestOpen(t *testing.T) {
	lib, syms, f := Open("libc.so.6", []string{"malloc", "free"})
	if f != nil || lib == nil || len(syms) != 2 || syms[0] == nil || syms[1] == nil || syms[0] == syms[1] {
		t.Fatalf("Open(libc.so.6, malloc free) = %v, %v, %+v", lib, syms, f)
	}
	Close(lib)
	names := []string{"malloc", "gloss_no_such_a", "free", "gloss_no_such_b"}
	lib, syms, f = Open("libc.so.6", names)
	if lib != nil || syms != nil || f == nil || f.Reason != "" ||
		!slices.Equal(f.Missing, []string{"gloss_no_such_a", "gloss_no_such_b"}) {
		t.Errorf("Open with missing names = %v, %v, %+v; want the two missing names", lib, syms, f)
	}
	if f := Probe("libgloss-no-such-library.so.1", names); f == nil || len(f.Missing) != 0 ||
		!strings.Contains(f.Reason, "libgloss-no-such-library.so.1") || !strings.Contains(f.Reason, "No such file") {
		t.Errorf("Probe of a missing file = %+v, want the loader's message", f)
	}
	if f := Probe("libc.so.6", []string{"malloc"}); f != nil {
		t.Errorf("Probe(libc.so.6, malloc) = %+v", f)
	}
}
