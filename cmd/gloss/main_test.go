package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/loss"
)

func gloss(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// writeTestNpy writes v ([]float32, [][]float32, []float64, []int64 or []int32) as a .npy file.
func writeTestNpy(t *testing.T, dir, name string, v any) string {
	t.Helper()
	p := filepath.Join(dir, name)
	var buf bytes.Buffer
	var err error
	switch v := v.(type) {
	case []float32:
		err = writeNpyTo(&buf, v, []int{len(v)})
	case [][]float32:
		var flat []float32
		for _, row := range v {
			flat = append(flat, row...)
		}
		err = writeNpyTo(&buf, flat, []int{len(v), len(flat) / max(len(v), 1)})
	case []float64:
		err = writeNpyTo(&buf, v, []int{len(v)})
	case []int64:
		err = writeNpyTo(&buf, v, []int{len(v)})
	case []int32:
		err = writeNpyTo(&buf, v, []int{len(v)})
	default:
		t.Fatalf("writeTestNpy: %T", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readNpyFloat32(t *testing.T, p string) ([]float32, []int) {
	t.Helper()
	a, err := readArray(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.dtype != "float32" {
		t.Fatalf("%s: dtype %s, want float32", p, a.dtype)
	}
	return a.f32, a.shape
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"bench", "-nosuchflag"}, 2, "not defined"},
		{[]string{"bench", "-losses", "no_such_loss", "-q"}, 2, "unknown loss"},
		{[]string{"bench", "-modes", "sideways"}, 2, "unknown mode"},
		{[]string{"bench", "-sizes", "lots"}, 2, "size"},
		{[]string{"bench", "extra"}, 2, "unexpected arguments"},
		{[]string{"eval"}, 2, "at least one loss"},
		{[]string{"eval", "huber"}, 2, "-pred is required"},
		{[]string{"eval", "-pred", "x.npy", "no_such_loss"}, 2, "unknown loss"},
		{[]string{"eval", "-pred", "x.npy", "-p", "delta", "huber"}, 2, "name=value"},
		{[]string{"eval", "-pred", "x.npy", "-p", "gamma=2", "huber"}, 2, "no chosen loss takes parameter \"gamma\""},
		{[]string{"eval", "-pred", "x.npy", "-p", "delta=-1", "huber"}, 2, "delta"},
		{[]string{"eval", "-pred", "x.npy", "-reduction", "median", "huber"}, 2, "reduction"},
		{[]string{"eval", "-pred", "x.npy", "-reliability-out", "r.png", "huber"}, 2, "calibration"},
		{[]string{"devices", "extra"}, 2, "unexpected"},
	} {
		code, _, stderr := gloss(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) {
			t.Errorf("gloss %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.err)
		}
	}
	if code, out, _ := gloss(t, "help"); code != 0 || !strings.Contains(out, "gloss bench") {
		t.Errorf("gloss help: exit %d, %q", code, out)
	}
}

func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, stdout, stderr := gloss(t, "bench", "-losses", "mse,cross_entropy", "-devices", "cpu", "-sizes", "4096",
		"-repeats", "2", "-budget", "1ns", "-ceiling-mib", "1", "-o", out, "-q")
	if code != 0 {
		t.Fatalf("gloss bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"mse", "cross_entropy", "fwd_bwd", "copy bandwidth", "GB/s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench table lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"bench.csv", "bench.json", "bench.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("-o did not write %s: %v", f, err)
		}
	}
	// A peers file with one common case: torch at 1 s against gloss's few µs.
	peers := filepath.Join(dir, "peers.csv")
	if err := os.WriteFile(peers, []byte("loss,device,mode,path,n,c,median_s,status\nmse,torch-cpu,fwd,resident,4096,1,1,ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	redraw := filepath.Join(dir, "redraw")
	code, stdout, stderr = gloss(t, "bench", "-from", filepath.Join(out, "bench.csv"), "-compare", peers, "-o", redraw)
	if code != 0 || !strings.Contains(stdout, "torch-cpu/cpu") || !strings.Contains(stdout, "geometric means") {
		t.Errorf("gloss bench -from -compare: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"bench.csv", "bench.png", "compare.png"} {
		p := filepath.Join(redraw, f)
		if st, err := os.Stat(p); err != nil || st.Size() == 0 || !strings.Contains(stderr, "wrote "+p) {
			t.Errorf("-from -compare -o did not write %s: %v\nstderr:\n%s", f, err, stderr)
		}
	}
	// No case in common: the table says so, compare.png is not written, the command succeeds.
	if err := os.WriteFile(peers, []byte("loss,device,mode,path,n,c,median_s,status\nmse,torch-cpu,fwd,resident,8192,1,1,ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none")
	code, stdout, stderr = gloss(t, "bench", "-from", filepath.Join(out, "bench.csv"), "-compare", peers, "-o", none)
	if _, err := os.Stat(filepath.Join(none, "compare.png")); code != 0 || err == nil || !strings.Contains(stdout, "no case in common") || !strings.Contains(stderr, "compare.png not written") {
		t.Errorf("gloss bench -compare with nothing in common: exit %d, stat compare.png: %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	code, stdout, _ = gloss(t, "bench", "-from", filepath.Join(out, "bench.json"))
	if code != 0 || !strings.Contains(stdout, "cross_entropy") {
		t.Errorf("gloss bench -from bench.json: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := gloss(t, "bench", "-from", filepath.Join(dir, "missing.csv")); code != 1 || !strings.Contains(stderr, "missing.csv") {
		t.Errorf("gloss bench -from a missing file: exit %d, %q", code, stderr)
	}
}

func TestDevicesCommand(t *testing.T) {
	code, stdout, stderr := gloss(t, "devices", "-measure=false")
	if code != 0 || !strings.Contains(stdout, "cpu") {
		t.Fatalf("gloss devices: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = gloss(t, "devices", "-json")
	var rows []deviceRow
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil {
		t.Fatalf("gloss devices -json: exit %d\n%s", code, stdout)
	}
	var cpu bool
	for _, r := range rows {
		if r.Name == "cpu" {
			cpu = r.CopyGBs != nil && *r.CopyGBs > 0 && r.ComputeUnits > 0
		}
		if r.Name == "" && r.Absent == "" {
			t.Errorf("backend %s has no device and no reason", r.Backend)
		}
	}
	if !cpu {
		t.Errorf("gloss devices -json: no measured cpu device in %s", stdout)
	}
}

func TestEvalList(t *testing.T) {
	code, stdout, _ := gloss(t, "eval", "-list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"cross_entropy", "-labels", "label_smoothing=0", "huber", "delta=1", "bce_with_logits"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("eval -list lacks %q", want)
		}
	}
}

// evalData writes 40 rows of 5-class logits (float32, 2-D) and int64 labels.
func evalData(t *testing.T, dir string) (logits [][]float32, labels []int64, flat []float32, lab32 []int32) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		row := make([]float32, 5)
		for j := range row {
			row[j] = float32(2 * r.NormFloat64())
		}
		logits = append(logits, row)
		flat = append(flat, row...)
		labels = append(labels, int64(r.IntN(5)))
		lab32 = append(lab32, int32(labels[i]))
	}
	writeTestNpy(t, dir, "logits.npy", logits)
	writeTestNpy(t, dir, "labels.npy", labels)
	return
}

func TestEvalNpy(t *testing.T) {
	dir := t.TempDir()
	_, _, flat, lab32 := evalData(t, dir)
	grad := filepath.Join(dir, "g.npy")
	rel := filepath.Join(dir, "rel.png")
	code, stdout, stderr := gloss(t, "eval", "-device", "cpu", "-pred", filepath.Join(dir, "logits.npy"), "-labels", filepath.Join(dir, "labels.npy"),
		"-p", "label_smoothing=0.1", "-grad-out", grad, "-reliability-out", rel, "-json", "cross_entropy", "accuracy", "calibration")
	if code != 0 {
		t.Fatalf("gloss eval: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res []evalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval -json output: %v\n%s", err, stdout)
	}
	if len(res) != 3 {
		t.Fatalf("%d results, want 3", len(res))
	}
	// The same evaluation through the library.
	ce, _ := loss.New("cross_entropy", loss.LabelSmoothing(0.1))
	want, err := loss.Compute(ce, loss.Batch[float32]{Rows: 40, Cols: 5, Pred: flat, Labels: lab32}, loss.Options{Grad: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Loss != "cross_entropy" || r.Value == nil || *r.Value != want.Value || r.Rows != 40 || r.Cols != 5 ||
		r.DType != "float32" || r.Params["label_smoothing"] != 0.1 {
		t.Errorf("cross_entropy result %+v, want value %g over 40×5 float32", r, want.Value)
	}
	acc, _ := loss.New("accuracy")
	wantAcc, _ := loss.Compute(acc, loss.Batch[float32]{Rows: 40, Cols: 5, Pred: flat, Labels: lab32}, loss.Options{})
	if r := res[1]; r.Value == nil || *r.Value != wantAcc.Value || r.GradNorm != nil {
		t.Errorf("accuracy result %+v, want %g and no gradient", r, wantAcc.Value)
	}
	if r := res[2]; len(r.Bins) != 15 || r.Files["reliability"] != rel {
		t.Errorf("calibration result %+v, want 15 bins and the diagram", r)
	}
	g, shape := readNpyFloat32(t, withSuffix(grad, "cross_entropy"))
	if len(shape) != 2 || shape[0] != 40 || shape[1] != 5 || len(g) != len(want.Grad) {
		t.Fatalf("gradient file shape %v (%d values), want (40, 5)", shape, len(g))
	}
	for i := range g {
		if g[i] != want.Grad[i] {
			t.Fatalf("gradient[%d] = %g, want %g", i, g[i], want.Grad[i])
		}
	}
	if png, err := os.ReadFile(rel); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("reliability diagram not a PNG: %v", err)
	}
	// The table form.
	code, stdout, _ = gloss(t, "eval", "-device", "cpu", "-pred", filepath.Join(dir, "logits.npy"), "-labels", filepath.Join(dir, "labels.npy"), "calibration")
	if code != 0 || !strings.Contains(stdout, "expected calibration error") || !strings.Contains(stdout, "confidence") {
		t.Errorf("eval calibration table: exit %d\n%s", code, stdout)
	}
}

func TestEvalCSV(t *testing.T) {
	dir := t.TempDir()
	pred, target := filepath.Join(dir, "pred.csv"), filepath.Join(dir, "target.csv")
	// Hand-made: errors e = y − ŷ of 0.5, −3 and 1; Huber(δ=2): ½·0.25, 2·(3 − 1), ½·1 → mean (0.125 + 4 + 0.5)/3.
	if err := os.WriteFile(pred, []byte("yhat\n1\n4\n0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("1.5\n1\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := gloss(t, "eval", "-device", "cpu", "-pred", pred, "-target", target, "-p", "delta=2", "-json", "huber")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res []evalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if want := (0.125 + 4 + 0.5) / 3; len(res) != 1 || res[0].Value == nil || math.Abs(*res[0].Value-want) > 1e-15 || res[0].DType != "float64" {
		t.Errorf("huber on CSV: %+v, want %g in float64", res, want)
	}
	// -reduction none writes the per-sample terms.
	ps := filepath.Join(dir, "ps.npy")
	code, _, stderr = gloss(t, "eval", "-device", "cpu", "-pred", pred, "-target", target, "-p", "delta=2", "-reduction", "none", "-dtype", "float32", "-per-sample-out", ps, "huber")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	v, _ := readNpyFloat32(t, ps)
	if len(v) != 3 || v[0] != 0.125 || v[1] != 4 || v[2] != 0.5 {
		t.Errorf("per-sample terms %v, want [0.125 4 0.5]", v)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	evalData(t, dir)
	logits := filepath.Join(dir, "logits.npy")
	labels := filepath.Join(dir, "labels.npy")
	floatLabels := writeTestNpy(t, dir, "flabels.npy", make([]float32, 40))
	intPred := writeTestNpy(t, dir, "ipred.npy", make([]int64, 40))
	shortTarget := writeTestNpy(t, dir, "short.npy", make([]float32, 7))
	bigLabels := writeTestNpy(t, dir, "big.npy", append(make([]int64, 39), 1<<40))
	fewLabels := writeTestNpy(t, dir, "few.npy", make([]int64, 39))
	badLabels := writeTestNpy(t, dir, "bad.npy", append(make([]int64, 39), 7)) // class 7 of 5
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-pred", filepath.Join(dir, "nope.npy"), "huber"}, 1, "nope.npy: no such file"},
		{[]string{"-pred", logits, "-labels", floatLabels, "cross_entropy"}, 1, "want int32 or int64"},
		{[]string{"-pred", intPred, "-target", intPred, "huber"}, 1, "dtype int64; want float32 or float64"},
		{[]string{"-pred", logits, "-target", shortTarget, "huber"}, 1, "short.npy (target): shape (7,) has 7 values"},
		{[]string{"-pred", logits, "-labels", bigLabels, "cross_entropy"}, 1, "does not fit in int32"},
		{[]string{"-pred", logits, "-labels", fewLabels, "cross_entropy"}, 1, "has 39 labels"},
		{[]string{"-pred", logits, "-labels", badLabels, "cross_entropy"}, 1, "label"},
		{[]string{"-pred", logits, "huber"}, 2, "huber needs -target"},
		{[]string{"-pred", logits, "-cols", "3", "huber"}, 1, "not rows of -cols 3"},
		{[]string{"-pred", logits, "-device", "cuda", "-labels", labels, "cross_entropy"}, 1, "cuda"},
	} {
		args := append([]string{"eval", "-device", "cpu"}, tc.args...)
		code, stdout, stderr := gloss(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) {
			t.Errorf("gloss %q: exit %d, stderr %q (stdout %q); want exit %d and %q", args, code, stderr, stdout, tc.code, tc.err)
		}
	}
}
