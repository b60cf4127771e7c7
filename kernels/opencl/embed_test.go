package opencl_test

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	kernels "github.com/gloss-ml/gloss/kernels/opencl"
	"github.com/gloss-ml/gloss/loss"
)

// TestCatalogKernels checks, in the default build, that every loss of the catalog has its
// OpenCL kernels in the embedded source: <stem>_fwd and <stem>_fwd_bwd, plus <stem>_hess for
// losses with a Hessian, and <stem>_fwd for every metric but auc (which runs on the cpu).
func TestCatalogKernels(t *testing.T) {
	have := kernels.Kernels()
	has := func(k string) bool { _, ok := slices.BinarySearch(have, k); return ok }
	for _, s := range loss.Catalog() {
		if s.Name == "auc" {
			if has("auc_fwd") {
				t.Errorf("auc has an OpenCL kernel; it is meant to run on the cpu")
			}
			continue
		}
		want := []string{s.Name + "_fwd"}
		if s.Grads[0] || s.Grads[1] || s.Grads[2] {
			want = append(want, s.Name+"_fwd_bwd")
		}
		if s.Hessian {
			want = append(want, s.Name+"_hess")
		}
		for _, k := range want {
			if !has(k) {
				t.Errorf("%s: no kernel %s in kernels/opencl", s.Name, k)
			}
		}
	}
	for _, k := range []string{"check_labels", "check_values", "denom_sum", "info_nce_prep", "info_nce_lse", "info_nce_cols"} {
		if !has(k) {
			t.Errorf("no kernel %s", k)
		}
	}
}

// TestSource checks that the program holds every embedded .cl file once, in Files' order,
// each behind its #line marker, and that Files lists exactly the embedded files.
func TestSource(t *testing.T) {
	src := kernels.Source()
	if !strings.HasPrefix(src, "#line 1 \"common.cl\"\n") {
		t.Errorf("source does not start with common.cl's #line marker: %.40q", src)
	}
	last := -1
	for _, f := range kernels.Files {
		i := strings.Index(src, "#line 1 \""+f+"\"\n")
		if i < 0 || strings.Count(src, "#line 1 \""+f+"\"") != 1 {
			t.Errorf("%s: marker missing or repeated", f)
		}
		if i <= last {
			t.Errorf("%s is out of order", f)
		}
		last = i
		text, err := kernels.File(f)
		if err != nil || !strings.Contains(src, text) {
			t.Errorf("%s: not in the source (%v)", f, err)
		}
	}
	onDisk, err := fs.Glob(os.DirFS("."), "*.cl")
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(kernels.Files)
	slices.Sort(got)
	slices.Sort(onDisk)
	if !slices.Equal(got, onDisk) {
		t.Errorf("Files = %v, but the directory holds %v", got, onDisk)
	}
	if _, err := kernels.File("nope.cl"); err == nil {
		t.Error("File of a missing file succeeded")
	}
}
