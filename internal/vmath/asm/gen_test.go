package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesFresh regenerates both packages' kernels into a temporary directory and
// requires the committed files to be identical (run `go generate` in internal/vmath and
// device/host after changing the generator).
func TestGeneratedFilesFresh(t *testing.T) {
	for _, c := range []struct {
		target, dir string
		ks          func() []*kernel
	}{
		{"vmath", "..", vmathKernels},
		{"host", filepath.Join("..", "..", "..", "device", "host"), hostKernels},
	} {
		tmp := t.TempDir()
		if err := generate(c.target, tmp, c.ks()); err != nil {
			t.Fatalf("%s: %v", c.target, err)
		}
		for _, f := range []string{"zkernels.go", "zkernels_amd64.go", "zkernels_amd64.s", "zkernels_other.go"} {
			want, err := os.ReadFile(filepath.Join(tmp, f))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(c.dir, f))
			if err != nil {
				t.Errorf("%s: %v", c.target, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from what the generator writes: run go generate", c.dir, f)
			}
		}
	}
}
