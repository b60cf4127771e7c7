package cuda_test

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	kc "github.com/gloss-ml/gloss/kernels/cuda"
	"github.com/gloss-ml/gloss/loss"
)

// abiEntry is one line of abi.txt: an entry point of one fatbin and its PTX parameter types.
type abiEntry struct {
	fatbin, name string
	types        []string
}

// readABI parses abi.txt (written by gen.sh from the fatbins' PTX; scripts/check-fatbin.sh
// keeps it fresh).
func readABI(t *testing.T) []abiEntry {
	t.Helper()
	f, err := os.Open("abi.txt")
	if err != nil {
		t.Fatalf("%v (gen.sh writes it: make kernels, or `bash kernels/cuda/gen.sh abi`)", err)
	}
	defer f.Close()
	var out []abiEntry
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 3 {
			t.Fatalf("abi.txt:%d: %q: want <fatbin> <entry> <count> <types...>", ln, line)
		}
		n, err := strconv.Atoi(fs[2])
		if err != nil || n != len(fs)-3 {
			t.Fatalf("abi.txt:%d: %s: count %q but %d types", ln, fs[1], fs[2], len(fs)-3)
		}
		out = append(out, abiEntry{fatbin: fs[0], name: fs[1], types: fs[3:]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("abi.txt lists no entries")
	}
	return out
}

// TestABI checks the kernels' parameter lists as nvcc compiled them (abi.txt, from the PTX of
// the committed fatbins): every parameter of every entry is 8 bytes (u64, s64, b64 or f64:
// internal/cu's Launch passes 8 bytes for each parameter), both fatbins have the same
// entries with the same types, and every kernel the host looks up (the catalog's stems and
// the helpers) is there. device/cuda's test ties the host's argument counts to this file.
func TestABI(t *testing.T) {
	eight := map[string]bool{"u64": true, "s64": true, "b64": true, "f64": true}
	by := map[string]map[string][]string{"f32": {}, "f64": {}}
	for _, e := range readABI(t) {
		m, ok := by[e.fatbin]
		if !ok {
			t.Errorf("abi.txt: %s: unknown fatbin %q", e.name, e.fatbin)
			continue
		}
		if _, dup := m[e.name]; dup {
			t.Errorf("abi.txt: %s %s listed twice", e.fatbin, e.name)
		}
		m[e.name] = e.types
		for i, ty := range e.types {
			if !eight[ty] {
				t.Errorf("%s %s: parameter %d is .%s, not 8 bytes (u64/s64/b64/f64): Launch would pass it garbage",
					e.fatbin, e.name, i, ty)
			}
		}
	}
	// The marker kernels (gloss.cu) differ by design: one per fatbin, without parameters.
	for fb, marker := range map[string]string{"f32": kc.Marker(false), "f64": kc.Marker(true)} {
		if types, ok := by[fb][marker]; !ok || len(types) != 0 {
			t.Errorf("abi.txt: %s has no parameterless marker kernel %s", fb, marker)
		}
		delete(by[fb], marker)
	}
	for name, t32 := range by["f32"] {
		t64, ok := by["f64"][name]
		if !ok {
			t.Errorf("%s is in gloss_f32.fatbin but not in gloss_f64.fatbin", name)
			continue
		}
		if strings.Join(t32, " ") != strings.Join(t64, " ") {
			t.Errorf("%s: parameters differ between the fatbins: f32 %v, f64 %v", name, t32, t64)
		}
	}
	for name := range by["f64"] {
		if _, ok := by["f32"][name]; !ok {
			t.Errorf("%s is in gloss_f64.fatbin but not in gloss_f32.fatbin", name)
		}
	}
	want := append([]string(nil), kc.Helpers...)
	for _, sp := range loss.Catalog() {
		if k, ok := kc.Kernels[sp.Name]; ok {
			want = append(want, k.Symbols(sp.Name)...)
		}
	}
	sort.Strings(want)
	for _, name := range want {
		for _, fb := range []string{"f32", "f64"} {
			if _, ok := by[fb][name]; !ok {
				t.Errorf("abi.txt has no %s entry %s, which the host launches", fb, name)
			}
		}
	}
	t.Logf("abi.txt: %d entries per fatbin, all parameters 8 bytes", len(by["f32"]))
}
