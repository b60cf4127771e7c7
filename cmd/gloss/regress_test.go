package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalBadInput: every way in through `gloss eval` that once crashed, read forever or gave
// a wrong number ends in a one-line error and a non-zero exit (1 for bad data, 2 for a bad
// command line).
func TestEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	zeros := writeTestNpy(t, dir, "zeros.npy", make([]float64, 4))
	empty := writeTestNpy(t, dir, "empty.npy", []float32{})
	emptyLabels := writeTestNpy(t, dir, "emptylabels.npy", []int64{})
	logits := writeTestNpy(t, dir, "logits.npy", [][]float32{{1, 2}, {3, 1}})
	labels := writeTestNpy(t, dir, "labels.npy", []int64{1, 0})
	cases := []struct {
		what string
		args []string
		code int
		err  string
	}{
		{"truncated .npy", []string{"-pred", file("trunc.npy", npyCases[7].file), "-target", zeros, "mse"}, 1, "holds 32 bytes of data, the file has 16"},
		{"header only", []string{"-pred", file("hdr.npy", npyCases[8].file), "-target", zeros, "mse"}, 1, "the file has 0"},
		{"no newline", []string{"-pred", file("nonl.npy", npyCases[9].file), "mse"}, 1, "does not end with a newline"},
		{"ends inside the header", []string{"-pred", file("cut.npy", npyCases[10].file), "mse"}, 1, "header"},
		{"'shape': ,", []string{"-pred", file("shape.npy", npyCases[11].file), "mse"}, 1, "shape must be a tuple"},
		{"v2 header length 0xFFFFFFF0", []string{"-pred", file("v2.npy", npyCases[12].file), "mse"}, 1, "4294967280"},
		{"shape 10**12 in 100 bytes", []string{"-pred", file("big.npy", npyCases[13].file), "mse"}, 1, "8000000000000 bytes"},
		{"a CSV value 1e400", []string{"-pred", file("big.csv", []byte("1e400\n2\n")), "-target", file("t.csv", []byte("0\n0\n")), "mse"}, 1, "line 1, column 1"},
		{"a CSV typo in the first row", []string{"-pred", file("typo.csv", []byte("1,x2\n3,4\n")), "mse"}, 1, "line 1, column 2"},
		{"-pred /dev/zero", []string{"-pred", "/dev/zero", "mse"}, 1, "NUL byte"},
		{"-hess-out of cross_entropy", []string{"-pred", logits, "-labels", labels, "-hess-out", filepath.Join(dir, "h.npy"), "cross_entropy"}, 2, "cross_entropy has no Hessian diagonal"},
		{"-hess-out of a metric", []string{"-pred", logits, "-labels", labels, "-hess-out", filepath.Join(dir, "h.npy"), "accuracy"}, 2, "accuracy is a metric"},
		{"-grad-target-out of huber", []string{"-pred", zeros, "-target", zeros, "-grad-target-out", filepath.Join(dir, "g.npy"), "huber"}, 2, "huber has no gradient with respect to its -target"},
		{"-grad of metrics only", []string{"-pred", logits, "-labels", labels, "-grad", "accuracy", "macro_f1"}, 2, "accuracy is a metric"},
		{"-reduction sum of a metric", []string{"-pred", logits, "-labels", labels, "-reduction", "sum", "cross_entropy", "accuracy"}, 2, "accuracy is a metric"},
		{"-reduction none of a metric", []string{"-pred", logits, "-labels", labels, "-reduction", "none", "macro_f1"}, 2, "takes only mean"},
		{"a parameter twice", []string{"-pred", zeros, "-target", zeros, "-p", "delta=1", "-p", "delta=2", "huber"}, 2, "delta given twice"},
		{"-rows × -cols overflow", []string{"-pred", empty, "-rows", "4294967296", "-cols", "4294967296", "mse"}, 2, "overflows"},
		{"-rows × -cols not the data", []string{"-pred", zeros, "-rows", "3", "-cols", "2", "-target", zeros, "mse"}, 1, "not -rows 3 × -cols 2"},
		{"-cols 2^40 of macro_f1 on no data", []string{"-pred", empty, "-labels", emptyLabels, "-cols", "1099511627776", "macro_f1"}, 1, "1099511627776 bins (classes)"},
		{"a directory", []string{"-pred", dir, "mse"}, 1, "a directory"},
		{"-device cpu:", []string{"-pred", zeros, "-target", zeros, "-device", "cpu:", "mse"}, 1, "nothing after the colon"},
	}
	for _, tc := range cases {
		if tc.args[1] == "/dev/zero" {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Logf("no /dev/zero: %v", err)
				continue
			}
		}
		args := append([]string{"eval", "-device", "cpu"}, tc.args...)
		if strings.Contains(strings.Join(tc.args, " "), "-device") {
			args = append([]string{"eval"}, tc.args...)
		}
		code, stdout, stderr := gloss(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%s: gloss %q: exit %d, stderr %q, stdout %q; want exit %d and one line with %q", tc.what, args, code, stderr, stdout, tc.code, tc.err)
		}
	}
}

// TestEvalRightValues: the inputs that were once misread now give the values computed by hand.
func TestEvalRightValues(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	value := func(args ...string) float64 {
		t.Helper()
		code, stdout, stderr := gloss(t, append([]string{"eval", "-device", "cpu", "-json"}, args...)...)
		var res []evalResult
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res) != 1 || res[0].Value == nil {
			t.Fatalf("gloss eval %q: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		return *res[0].Value
	}
	// A CSV saved with a UTF-8 BOM: pred 1, 2, 3 against zeros, MSE (1 + 4 + 9)/3.
	bom := file("bom.csv", []byte("\xef\xbb\xbf1\r\n2\r\n3\r\n"))
	zeros := file("zeros.csv", []byte("0\n0\n0\n"))
	if got := value("-pred", bom, "-target", zeros, "mse"); math.Abs(got-14.0/3) > 1e-15 {
		t.Errorf("MSE of a BOM CSV = %v, want 14/3", got)
	}
	// The same with a header after the BOM.
	bomHeader := file("bomh.csv", []byte("\xef\xbb\xbfyhat\n1\n2\n3\n"))
	if got := value("-pred", bomHeader, "-target", zeros, "mse"); math.Abs(got-14.0/3) > 1e-15 {
		t.Errorf("MSE of a BOM CSV with a header = %v, want 14/3", got)
	}
	// A .npy whose header lists its keys in another order: shape (2, 2) of 1, 2, 3, 4 against
	// zeros, MSE (1 + 4 + 9 + 16)/4.
	reordered := file("reordered.npy", npyCases[0].file)
	z4 := writeTestNpy(t, dir, "z4.npy", make([]float64, 4))
	if got := value("-pred", reordered, "-target", z4, "mse"); got != 7.5 {
		t.Errorf("MSE of the reordered .npy = %v, want 7.5", got)
	}
	// A Fortran-ordered (2, 3) array [[1, 2, 3], [4, 5, 6]] as logits with labels 2, 0:
	// accuracy 1/2 (row 0's argmax is 2, row 1's is 2).
	fortran := file("fortran.npy", npyCases[1].file)
	labels := writeTestNpy(t, dir, "labels.npy", []int64{2, 0})
	if got := value("-pred", fortran, "-labels", labels, "accuracy"); got != 0.5 {
		t.Errorf("accuracy on the Fortran-ordered logits = %v, want 0.5", got)
	}
	// A big-endian float32 .npy from NumPy: mean of |x − 0| over -3.25 ... 8.25 step 0.5.
	be := filepath.Join("testdata", "npy", "f4_be_1d.npy")
	var want float64
	for i := range 24 {
		want += math.Abs(float64(i)*0.5 - 3.25)
	}
	want /= 24
	z24 := writeTestNpy(t, dir, "z24.npy", make([]float32, 24))
	if got := value("-pred", be, "-target", z24, "mae"); math.Abs(got-want) > 1e-12 {
		t.Errorf("MAE of the big-endian file = %v, want %v", got, want)
	}
	// -cols 2^40 on an empty file: a loss of no rows, not an allocation of 2^40 of anything.
	empty := writeTestNpy(t, dir, "empty.npy", []float32{})
	if code, _, stderr := gloss(t, "eval", "-device", "cpu", "-pred", empty, "-target", empty, "-cols", "1099511627776", "mse"); code != 0 {
		t.Errorf("mse of an empty file with -cols 2^40: exit %d: %s", code, stderr)
	}
	// -hess-out of a loss that has one still writes it.
	h := filepath.Join(dir, "h.npy")
	if code, _, stderr := gloss(t, "eval", "-device", "cpu", "-pred", bom, "-target", zeros, "-reduction", "sum", "-hess-out", h, "mse"); code != 0 {
		t.Fatalf("-hess-out of mse: exit %d: %s", code, stderr)
	}
	a, err := readArray(h)
	if err != nil || len(a.f64) != 3 || a.f64[0] != 2 || a.f64[2] != 2 {
		t.Errorf("MSE's Hessian diagonal under Sum = %v (%v), want 2, 2, 2", a, err)
	}
}
