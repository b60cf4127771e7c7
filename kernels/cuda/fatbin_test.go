package cuda_test

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	kc "github.com/gloss-ml/gloss/kernels/cuda"
	"github.com/gloss-ml/gloss/loss"
)

// The fatbin container, as nvcc 11.8 writes it (read from its output: `cuobjdump --list-elf
// --list-ptx` lists the same entries). A 16-byte header — magic 0xBA55ED50 (uint32), version
// (uint16), header size (uint16), size of the entries (uint64) — then entries, each a header
// and a payload:
//
//	offset  0  uint16 kind (1 PTX, 2 ELF cubin)
//	offset  4  uint32 entry header size
//	offset  8  uint64 payload size
//	offset 28  uint32 architecture (70, 80, 90)
//	offset 40  uint64 flags (0x2000: payload compressed)
//
// nvcc 11.8 compresses the PTX entry by default and leaves the cubins as plain ELF.
const (
	fatbinMagic    = 0xBA55ED50
	kindPTX        = 1
	kindELF        = 2
	flagCompressed = 0x2000
)

type fatEntry struct {
	kind       uint16
	arch       uint32
	compressed bool
	payload    []byte
}

func (e fatEntry) String() string {
	k := "ELF sm_"
	if e.kind == kindPTX {
		k = "PTX compute_"
	}
	return k + strconv.Itoa(int(e.arch))
}

func parseFatbin(b []byte) ([]fatEntry, error) {
	le := binary.LittleEndian
	if len(b) < 16 || le.Uint32(b) != fatbinMagic {
		return nil, fmt.Errorf("not a fatbin (no magic 0x%x)", fatbinMagic)
	}
	hsz := int(le.Uint16(b[6:]))
	end := uint64(hsz) + le.Uint64(b[8:])
	if end > uint64(len(b)) {
		return nil, fmt.Errorf("fatbin header claims %d bytes, file has %d", end, len(b))
	}
	var out []fatEntry
	for off := uint64(hsz); off < end; {
		if off+64 > end {
			return nil, fmt.Errorf("truncated entry header at %d", off)
		}
		h := b[off:]
		ehs, size := uint64(le.Uint32(h[4:])), le.Uint64(h[8:])
		if ehs < 64 || off+ehs+size > end {
			return nil, fmt.Errorf("entry at %d: header %d + payload %d runs past the end %d", off, ehs, size, end)
		}
		e := fatEntry{kind: le.Uint16(h), arch: le.Uint32(h[28:]), compressed: le.Uint64(h[40:])&flagCompressed != 0,
			payload: b[off+ehs : off+ehs+size]}
		out = append(out, e)
		off += ehs + size
	}
	return out, nil
}

var ptxEntry = regexp.MustCompile(`(?m)^\s*\.(?:visible\s+)?\.entry\s+(\w+)\s*\(`)

// symbols returns the kernel names of an uncompressed entry: the FUNC symbols of a cubin,
// the .entry lines of PTX.
func symbols(e fatEntry) (map[string]bool, error) {
	syms := map[string]bool{}
	switch e.kind {
	case kindELF:
		// A cubin's e_version field holds its CUDA ELF ABI version (118 for sm_90), which
		// debug/elf rejects; everything else is standard ELF64. Parse a copy with e_version 1.
		img := bytes.Clone(e.payload)
		if len(img) < 24 {
			return nil, fmt.Errorf("cubin of %d bytes", len(img))
		}
		binary.LittleEndian.PutUint32(img[20:], uint32(elf.EV_CURRENT))
		f, err := elf.NewFile(bytes.NewReader(img))
		if err != nil {
			return nil, err
		}
		ss, err := f.Symbols()
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
				syms[s.Name] = true
			}
		}
	case kindPTX:
		for _, m := range ptxEntry.FindAllSubmatch(e.payload, -1) {
			syms[string(m[1])] = true
		}
	}
	return syms, nil
}

// TestFatbins checks both embedded fatbins: they hold sm_70, sm_80 and sm_90 cubins and
// compute_90 PTX, and every cubin (and the PTX when it is not compressed) has the entry points
// of every loss and metric of the catalog that has CUDA kernels — <stem>_fwd, <stem>_fwd_bwd
// when it is differentiable, <stem>_hess when it has a Hessian — and the helper kernels.
func TestFatbins(t *testing.T) {
	var want []string
	for _, sp := range loss.Catalog() {
		k, ok := kc.Kernels[sp.Name]
		if !ok {
			continue // checked by TestTable
		}
		want = append(want, k.Symbols(sp.Name)...)
	}
	want = append(want, kc.Helpers...)
	sort.Strings(want)
	for _, fb := range []struct {
		name string
		f64  bool
		get  func() ([]byte, error)
	}{{"gloss_f32.fatbin", false, kc.F32}, {"gloss_f64.fatbin", true, kc.F64}} {
		data, err := fb.get()
		if err != nil {
			t.Fatalf("%s: %v", fb.name, err)
		}
		entries, err := parseFatbin(data)
		if err != nil {
			t.Fatalf("%s: %v", fb.name, err)
		}
		seen := map[string]bool{}
		total := 0
		for _, e := range entries {
			seen[e.String()] = true
			if e.kind == kindELF && e.compressed {
				t.Errorf("%s: %v is compressed: gen.sh must leave cubins uncompressed for this test", fb.name, e)
				continue
			}
			if e.compressed {
				continue // nvcc 11.8 compresses the PTX: its symbols are checked through the cubins
			}
			syms, err := symbols(e)
			if err != nil {
				t.Errorf("%s: %v: %v", fb.name, e, err)
				continue
			}
			total += len(syms)
			for _, s := range want {
				if !syms[s] {
					t.Errorf("%s: %v has no kernel %s", fb.name, e, s)
				}
			}
			if !syms[kc.Marker(fb.f64)] || syms[kc.Marker(!fb.f64)] {
				t.Errorf("%s: %v: marker kernels: %s %v, %s %v; want only %s", fb.name, e,
					kc.Marker(false), syms[kc.Marker(false)], kc.Marker(true), syms[kc.Marker(true)], kc.Marker(fb.f64))
			}
		}
		if total == 0 {
			t.Fatalf("%s: found no kernel symbols at all in %d entries", fb.name, len(entries))
		}
		for _, w := range []string{"ELF sm_70", "ELF sm_80", "ELF sm_90", "PTX compute_90"} {
			if !seen[w] {
				t.Errorf("%s: no %s entry (has %v)", fb.name, w, entries)
			}
		}
		t.Logf("%s: %d bytes, %d entries, %d kernel symbols checked in each cubin", fb.name, len(data), len(entries), len(want))
	}
}

// TestCompressed checks the committed compressed fatbins: gzip members without a file name or
// a time stamp (gzip -n), so that their bytes depend on the fatbin alone, and F32 and F64
// return the same slice on every call.
func TestCompressed(t *testing.T) {
	for _, name := range []string{"gloss_f32.fatbin.gz", "gloss_f64.fatbin.gz"} {
		gz, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" || len(zr.Extra) != 0 {
			t.Errorf("%s: gzip header has name %q, time %v, comment %q, extra %d bytes: compress with gzip -n",
				name, zr.Name, zr.ModTime, zr.Comment, len(zr.Extra))
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		get := kc.F32
		if strings.Contains(name, "f64") {
			get = kc.F64
		}
		a, err := get()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := get()
		if !bytes.Equal(a, raw) || &a[0] != &b[0] {
			t.Errorf("%s: the embedded fatbin differs from the file, or is decompressed twice", name)
		}
		t.Logf("%s: %d bytes, %d uncompressed", name, len(gz), len(raw))
	}
}

// TestTable checks the launch table against the catalog: every loss and metric but AUC has
// kernels, and the inputs, gradients and Hessian the table gives are the spec's.
func TestTable(t *testing.T) {
	inCatalog := map[string]bool{}
	for _, sp := range loss.Catalog() {
		inCatalog[sp.Name] = true
		k, ok := kc.Kernels[sp.Name]
		if sp.Name == "auc" {
			if ok {
				t.Errorf("auc has a CUDA kernel in the table; it is meant to run on the cpu")
			}
			continue
		}
		if !ok {
			t.Errorf("%s (%v) has no CUDA kernel in kernels/cuda.Kernels", sp.Name, sp.Family)
			continue
		}
		grad := sp.Grads[0] || sp.Grads[1] || sp.Grads[2]
		for _, c := range []struct {
			what      string
			got, want bool
		}{
			{"reads Target (Y)", k.Y, sp.Inputs[1] != ""},
			{"reads Aux (Z)", k.Z, sp.Inputs[2] != ""},
			{"reads Labels", k.Labels, sp.Labels},
			{"writes GradTarget (GY)", k.GY, sp.Grads[1]},
			{"writes GradAux (GZ)", k.GZ, sp.Grads[2]},
			{"has _fwd_bwd", k.Grad, grad},
			{"has _hess", k.Hess, sp.Hessian},
		} {
			if c.got != c.want {
				t.Errorf("%s: table says %s = %v, the spec says %v", sp.Name, c.what, c.got, c.want)
			}
		}
	}
	for name := range kc.Kernels {
		if !inCatalog[name] {
			t.Errorf("kernels/cuda.Kernels has %q, which is not in the loss catalog", name)
		}
	}
}

// TestHeaderConstants checks that the Go constants match gloss.cuh's #defines.
func TestHeaderConstants(t *testing.T) {
	src, err := os.ReadFile("gloss.cuh")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"GLOSS_BLOCK": kc.Block, "GLOSS_MAX_BLOCK": kc.MaxRowBlock} {
		m := regexp.MustCompile(`(?m)^#define ` + name + ` (\d+)`).FindSubmatch(src)
		if m == nil {
			t.Errorf("gloss.cuh defines no %s", name)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != want {
			t.Errorf("gloss.cuh: %s = %d, kernels/cuda says %d", name, got, want)
		}
	}
}
