// Package kernels holds gloss's one kernel source: the loss formulas, written once per loss
// family (regression.h, binary.h, ..., with the stems of package cpuref and package loss) in
// the subset of C that OpenCL C and CUDA C++ both compile, after gloss.h (the conventions) and
// params.h (each kernel's parameter slots, generated from package loss's specs by
// internal/kgen); a thin dialect header per target (opencl/dialect.cl, cuda/dialect.cuh)
// gives the words that differ and the drivers that make the formulas kernels. Its
// subdirectory cuda holds the fatbins nvcc builds from that source (package kernels/cuda).
//
// This package embeds the source for OpenCL: device/opencl builds OpenCLSource at Open. It has
// no cgo and no build tag.
package kernels

import (
	"embed"
	"fmt"
	"strings"

	"github.com/gloss-ml/gloss/device"
)

//go:embed *.h opencl/*.cl
var files embed.FS

// Families are the shared source files of the loss families, in the order both targets
// compile them (kernels/cuda/gloss.cu includes the same list).
var Families = []string{
	"checks.h", "regression.h", "binary.h", "kldiv.h", "ranking.h", "penalty.h",
	"crossentropy.h", "multiclass.h", "embedding.h", "segmentation.h", "metrics.h",
}

// OpenCLFiles are the files of the OpenCL program, in order.
func OpenCLFiles() []string {
	f := []string{"opencl/dialect.cl", "params.h", "gloss.h"}
	f = append(f, Families...)
	return append(f, "opencl/short_rows.cl", "opencl/info_nce.cl")
}

// File returns the text of one source file (a path relative to this directory).
func File(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("kernels: %w", err)
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

// OpenCLSource returns the whole OpenCL program: every file of OpenCLFiles, in order, each a
// Chunk.
func OpenCLSource() string {
	var b strings.Builder
	for _, f := range OpenCLFiles() {
		text, err := File(f)
		if err != nil {
			panic(err) // the files are embedded: a missing one is a build defect
		}
		b.WriteString(Chunk(f, text))
	}
	return b.String()
}

// Symbols lists the kernel symbols every target's program defines: each kernel of the catalog
// in each of its modes (device.Kernel.Symbols), and the helpers.
func Symbols() []string {
	var s []string
	seen := map[string]bool{}
	for _, k := range device.Kernels() {
		for _, sym := range k.Symbols() {
			if !seen[sym] {
				seen[sym] = true
				s = append(s, sym)
			}
		}
	}
	return append(s, device.Helpers...)
}
