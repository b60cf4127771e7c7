package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestEvalMatchesPyTorch checks that `gloss eval` reproduces losses PyTorch computed on the same
// .npy files: testdata/torch/values.json was written by testdata/torch/make.py with Debian's
// python3-torch 1.13 (F.cross_entropy with class weights, ignore_index −100 and label smoothing
// 0.1; F.binary_cross_entropy_with_logits; F.huber_loss with δ = 0.5), in float64.
func TestEvalMatchesPyTorch(t *testing.T) {
	dir := filepath.Join("testdata", "torch")
	raw, err := os.ReadFile(filepath.Join(dir, "values.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		loss string
		args []string
	}{
		{"cross_entropy", []string{"-pred", f("logits.npy"), "-labels", f("labels.npy"), "-class-weights", f("class_weights.npy"), "-p", "label_smoothing=0.1"}},
		{"bce_with_logits", []string{"-pred", f("x.npy"), "-target", f("y.npy")}},
		{"huber", []string{"-pred", f("x.npy"), "-target", f("y.npy"), "-p", "delta=0.5"}},
	} {
		// cpuref: the same float32 inputs, float64 arithmetic on both sides, so agreement to
		// float64 rounding. cpu (the host engine, float32 arithmetic): the float32 tolerance.
		for _, dev := range []struct {
			name string
			rel  float64
		}{{"cpuref", 1e-12}, {"cpu", 1e-6}} {
			args := append([]string{"eval", "-device", dev.name, "-json"}, tc.args...)
			code, stdout, stderr := gloss(t, append(args, tc.loss)...)
			if code != 0 {
				t.Errorf("gloss %v: exit %d: %s", args, code, stderr)
				continue
			}
			var res []evalResult
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res) != 1 || res[0].Value == nil {
				t.Errorf("gloss eval %s: output %q: %v", tc.loss, stdout, err)
				continue
			}
			ref := want[tc.loss].(float64)
			if got := *res[0].Value; math.Abs(got-ref) > dev.rel*math.Abs(ref) {
				t.Errorf("gloss eval -device %s %s = %.10g, PyTorch %.10g (tolerance %g relative)", dev.name, tc.loss, got, ref, dev.rel)
			}
		}
	}
}
