// Package dynlib is the library loading that gloss's runtime-loaded bindings (internal/cl,
// internal/cu) share: which library to load (an environment variable, else a default name),
// the files the library's answers depend on (read from Go so that `go test` sees them), and,
// in builds with cgo, dlopen of the library and dlsym of a table of entry points, with the
// loader's message or the list of missing entry points when that fails.
//
// A binding keeps its own C table of function pointers and its own error type: Open hands it
// the library handle and the resolved addresses in the table's order, and a *Failure says
// why nothing was loaded.
package dynlib

import (
	"os"
	"strings"
)

// Choose returns the library to load: the value of the environment variable env when it is
// set and not empty, else def (a path, or a name the dynamic loader searches for).
func Choose(env, def string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	return def
}

// NoteEnvironment reads, from Go, what a C library reads on its own: the environment
// variables vars and the files or folders paths (a folder's entries are listed). The results
// are not used: reading them lets `go test` see them, so that it does not replay a cached run
// after a library was installed or the environment changed.
func NoteEnvironment(vars []string, paths ...string) {
	for _, v := range vars {
		os.Getenv(v)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			os.ReadDir(p)
		}
	}
}

// Failure says why a library could not be loaded: the dynamic loader's message (Reason), or
// the entry points the library lacks (Missing, in the table's order; Reason is then empty).
type Failure struct {
	Reason  string
	Missing []string
}

// failure reads the C side's result: 0 (loaded), 1 (dlopen failed, msg is dlerror's message)
// or 2 (entry points missing, msg lists them separated by spaces).
func failure(r int, msg string) *Failure {
	switch r {
	case 0:
		return nil
	case 2:
		return &Failure{Missing: strings.Fields(msg)}
	}
	return &Failure{Reason: msg}
}
