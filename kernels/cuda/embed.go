// Package cuda holds gloss's CUDA kernels: the CUDA dialect of the one kernel source (package
// kernels: dialect.cuh, drivers.cuh, info_nce.cuh and gloss.cu, which includes the shared
// family files), the two fatbins nvcc builds from it (committed gzip-compressed, embedded
// here) and their kernels' parameter lists (abi.txt, read from the fatbins' PTX).
//
// It has no cgo: every build embeds the compressed fatbins (so `go build` needs no nvcc), and
// they are decompressed only when F32 or F64 is first called, which the CUDA backend does when
// it opens a GPU: a program that never uses CUDA does not pay for it. The test checks, without
// a GPU, that both fatbins hold every kernel the descriptor names.
//
// Regenerate the fatbins with `make kernels` (go generate, which runs gen.sh: nvcc from CUDA
// 11.8, then gzip -9 -n); scripts/check-fatbin.sh checks that the committed ones are what the
// sources give, byte for byte.
package cuda

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

//go:generate bash gen.sh

//go:embed gloss_f32.fatbin.gz
var f32gz []byte

//go:embed gloss_f64.fatbin.gz
var f64gz []byte

// F32 returns the fatbin of the float32 kernels (compiled with -DREAL=float): sm_70, sm_80 and
// sm_90 machine code and compute_90 PTX. The first call decompresses it; later calls return
// the same slice, which callers must not modify.
func F32() ([]byte, error) { return f32() }

// F64 returns the fatbin of the float64 kernels (-DREAL=double), with the same symbol names as
// F32's, as F32 does.
func F64() ([]byte, error) { return f64() }

var (
	f32 = sync.OnceValues(func() ([]byte, error) { return gunzip("gloss_f32.fatbin.gz", f32gz) })
	f64 = sync.OnceValues(func() ([]byte, error) { return gunzip("gloss_f64.fatbin.gz", f64gz) })
)

// Marker returns the name of the kernel that marks a fatbin's element type: gloss_real_float
// in F32, gloss_real_double in F64 (gloss.cu).
func Marker(f64 bool) string {
	if f64 {
		return "gloss_real_double"
	}
	return "gloss_real_float"
}

func gunzip(name string, gz []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("kernels/cuda: %s: %w", name, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("kernels/cuda: %s: %w", name, err)
	}
	return out, nil
}

// Constants shared with dialect.cuh (the test checks that they match its #defines).
const (
	// Block is the block size of the elementwise, flat and InfoNCE kernels (GLOSS_BLOCK).
	Block = 256
	// MaxRowBlock is the largest block of the row kernels (GLOSS_MAX_BLOCK).
	MaxRowBlock = 512
	// VecBytes is the size of one chunk: elements per chunk = VecBytes / element size.
	VecBytes = 16
)

//go:embed abi.txt
var abiText string

// ABI returns the parameters of a kernel entry of the float32 (f64 false) or float64 fatbin as
// compiled, one letter per 8-byte parameter: 'u' for an integer or pointer (PTX .u64, .s64,
// .b64), 'f' for a double (.f64), read from abi.txt; ok is false for an entry abi.txt does not
// list. device/cuda checks every launch's argument list against it.
func ABI(name string, f64 bool) (params string, ok bool) {
	p, ok := abiTable()[abiKey{f64, name}]
	return p, ok
}

type abiKey struct {
	f64  bool
	name string
}

var abiTable = sync.OnceValue(func() map[abiKey]string {
	m := map[abiKey]string{}
	sc := bufio.NewScanner(strings.NewReader(abiText))
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		n, err := strconv.Atoi(fs[2])
		if err != nil || n != len(fs)-3 {
			continue // TestABI reports malformed lines
		}
		var b strings.Builder
		for _, t := range fs[3:] {
			switch t {
			case "u64", "s64", "b64":
				b.WriteByte('u')
			case "f64":
				b.WriteByte('f')
			default:
				b.WriteByte('?')
			}
		}
		m[abiKey{fs[0] == "f64", fs[1]}] = b.String()
	}
	return m
})
