//go:build cgo

package dynlib

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// gloss_dl_open loads path and resolves the n names into syms. It returns 0 with the handle
// in *lib, or 1 when dlopen fails (its message in err), or 2 when names are missing (them,
// space separated, in err); on failure nothing stays loaded and syms are all NULL.
static int gloss_dl_open(const char *path, char **names, int n, void **syms, void **lib,
		char *err, size_t errlen) {
	*lib = NULL;
	err[0] = 0;
	memset(syms, 0, (size_t)n * sizeof *syms);
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(err, errlen, "%s", e ? e : "dlopen failed");
		return 1;
	}
	int missing = 0;
	for (int i = 0; i < n; i++) {
		syms[i] = dlsym(h, names[i]);
		if (syms[i] == NULL) {
			size_t used = strlen(err);
			snprintf(err + used, errlen - used, "%s%s", missing ? " " : "", names[i]);
			missing = 1;
		}
	}
	if (missing) {
		dlclose(h);
		memset(syms, 0, (size_t)n * sizeof *syms);
		return 2;
	}
	*lib = h;
	return 0;
}

static void gloss_dl_close(void *lib) { dlclose(lib); }
*/
import "C"

import "unsafe"

// Open loads the library path (dlopen with RTLD_NOW | RTLD_LOCAL) and resolves every one of
// names. It returns the library's handle and the entry points' addresses in the order of
// names, or a *Failure: the loader's message, or every name the library lacks; then nothing
// stays loaded. The library stays loaded for the life of the process unless Close is called.
func Open(path string, names []string) (lib unsafe.Pointer, syms []unsafe.Pointer, fail *Failure) {
	n := len(names)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	// The names and the addresses live in C memory: C may not keep pointers into Go memory,
	// and an array of C strings cannot be Go memory.
	ptrSize := C.size_t(unsafe.Sizeof(unsafe.Pointer(nil)))
	cnames := (**C.char)(C.malloc(C.size_t(n+1) * ptrSize))
	defer C.free(unsafe.Pointer(cnames))
	csyms := (*unsafe.Pointer)(C.malloc(C.size_t(n+1) * ptrSize))
	defer C.free(unsafe.Pointer(csyms))
	ns := unsafe.Slice(cnames, n)
	for i, name := range names {
		ns[i] = C.CString(name)
	}
	defer func() {
		for _, p := range ns {
			C.free(unsafe.Pointer(p))
		}
	}()
	var buf [2048]C.char
	var h unsafe.Pointer
	r := C.gloss_dl_open(cpath, cnames, C.int(n), csyms, &h, &buf[0], C.size_t(len(buf)))
	if f := failure(int(r), C.GoString(&buf[0])); f != nil {
		return nil, nil, f
	}
	return h, append([]unsafe.Pointer(nil), unsafe.Slice(csyms, n)...), nil
}

// Close unloads a library Open loaded.
func Close(lib unsafe.Pointer) { C.gloss_dl_close(lib) }

// Probe loads path as Open does and unloads it again: nil when it could serve.
func Probe(path string, names []string) *Failure {
	lib, _, f := Open(path, names)
	if f == nil {
		Close(lib)
	}
	return f
}
