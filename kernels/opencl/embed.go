// Package opencl holds gloss's OpenCL C kernels as embedded source: one .cl file per loss
// family (the stems of package cpuref and package loss) after common.cl, which holds the
// shared types, the reduction and the two kernel drivers, the checks and the Mean
// denominator. device/opencl builds them into one program per element type at Open.
//
// The package has no cgo and no build tag: it builds everywhere, so a default-build test can
// check that every loss of the catalog has its OpenCL kernels.
package opencl

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.cl
var files embed.FS

// Files are the program's source files in the order they are compiled.
var Files = []string{
	"common.cl",
	"regression.cl",
	"binary.cl",
	"kldiv.cl",
	"ranking.cl",
	"penalty.cl",
	"crossentropy.cl",
	"multiclass.cl",
	"embedding.cl",
	"segmentation.cl",
	"metrics.cl",
}

// File returns the text of one source file.
func File(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("kernels/opencl: %w", err)
	}
	return string(b), nil
}

// Chunk returns text preceded by a `#line 1 "name"` marker, so that a compiler's messages
// about it name the file and its own line numbers.
func Chunk(name, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#line 1 %q\n", name)
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// Source returns the whole program: every file of Files, in order, each a Chunk.
func Source() string {
	var b strings.Builder
	for _, f := range Files {
		text, err := File(f)
		if err != nil {
			panic(err) // the files are embedded: a missing one is a build defect
		}
		b.WriteString(Chunk(f, text))
	}
	return b.String()
}

var (
	kernelRe = regexp.MustCompile(`__kernel\s+(?:__attribute__\(\([^)]*\)\)\)\s+)?void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	defineRe = regexp.MustCompile(`(?m)^(DEFINE_ELEM|DEFINE_ROW|[A-Z_]+_KERNEL|INFO_NCE_ROWS)\(([A-Za-z_][A-Za-z0-9_]*)`)
)

// Kernels lists the kernel names the source defines, sorted: the kernels written out, and
// those that DEFINE_ELEM(stem) (stem_fwd, stem_fwd_bwd, stem_hess), DEFINE_ROW(stem)
// (stem_fwd, stem_fwd_bwd), INFO_NCE_ROWS(name, ...) and any XYZ_KERNEL(name, ...) written at
// the start of a line make.
func Kernels() []string {
	seen := map[string]bool{}
	for _, f := range Files {
		text, err := File(f)
		if err != nil {
			panic(err)
		}
		// Macro bodies define kernels through ## names; only real names count.
		for _, m := range kernelRe.FindAllStringSubmatch(text, -1) {
			if !strings.Contains(m[0], "##") && m[1] != "NAME" {
				seen[m[1]] = true
			}
		}
		for _, m := range defineRe.FindAllStringSubmatch(text, -1) {
			switch m[1] {
			case "DEFINE_ELEM":
				seen[m[2]+"_fwd"], seen[m[2]+"_fwd_bwd"], seen[m[2]+"_hess"] = true, true, true
			case "DEFINE_ROW":
				seen[m[2]+"_fwd"], seen[m[2]+"_fwd_bwd"] = true, true
			default: // a kernel-making macro whose first argument is the kernel's name
				seen[m[2]] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
