package loss_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// TestMatchesScikitLearn checks the metrics and losses whose documentation claims
// scikit-learn's semantics (or whose formula maps onto a scikit-learn function) against values
// scikit-learn computed on the same inputs. The fixtures in testdata/sklearn were made with
// Debian's python3-sklearn 1.2.1 (NumPy 1.24, SciPy 1.10) by
//
//	cd loss/testdata/sklearn && /usr/bin/python3 make.py
//
// which draws fixed-seed inputs, saves them as .npy files (float32 scores, predictions, targets
// and weights; int64 labels) and writes scikit-learn's values, each with the call that made it,
// to values.json. No Python is needed here. Where gloss deliberately differs from a
// scikit-learn default (IoU of two empty masks, a class seen only in rows of weight 0 in macro
// F1, the y-only terms of the Poisson and Tweedie losses), make.py adjusts the reference and
// says why; the test names the call it compares with.
//
// Each check runs with float32 and float64 inputs (the same float32 values) on the cpu device
// and on cpuref. Tolerances, |got − want| ≤ 1e-14 + rel·|want| (the 1e-14 for values of 0):
//   - metrics (counts, then one division): rel 1e-12 on both devices;
//   - losses with float64 arithmetic on both sides (cpuref; cpu with float64 inputs): rel 1e-12;
//   - losses on cpu with float32 inputs (float32 arithmetic per element): rel 1e-6;
//   - inputs gloss reads that make.py did not save (nll's log-probabilities, computed here),
//     rounded to float32: rel 1e-6 for float32 inputs on either device.
//
// (Measured when this was written: 5e-16 at most in float64, 3e-8 on cpu with float32 inputs.)
func TestMatchesScikitLearn(t *testing.T) {
	dir := filepath.Join("testdata", "sklearn")
	want := readSklearnValues(t, filepath.Join(dir, "values.json"))
	fx := readSklearnFixtures(t, dir)
	used := map[string]bool{}

	for _, c := range sklearnChecks(fx) {
		ref, ok := want.Values[c.key]
		if !ok {
			t.Errorf("%s: no value %q in values.json (rerun make.py)", c.loss, c.key)
			continue
		}
		used[c.key] = true
		var ps []loss.Param
		for _, p := range c.params {
			ps = append(ps, loss.With(p.name, p.v))
		}
		l, err := loss.New(c.loss, ps...)
		if err != nil {
			t.Errorf("%s: %v", c.loss, err)
			continue
		}
		b64 := c.batch
		b32 := apiBatch32(b64)
		for _, dev := range []struct {
			name string
			dev  device.Device
		}{{"cpu", nil}, {"cpuref", device.CPURef()}} {
			for _, prec := range []string{"float32", "float64"} {
				var got float64
				var err error
				if prec == "float32" {
					var r loss.Result[float32]
					r, err = loss.Compute(l, b32, loss.Options{Device: dev.dev})
					got = r.Value
				} else {
					var r loss.Result[float64]
					r, err = loss.Compute(l, b64, loss.Options{Device: dev.dev})
					got = r.Value
				}
				what := fmt.Sprintf("%s%s on %s, %s inputs [%s]", c.loss, paramString(c.params), dev.name, prec, c.key)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				rel := 1e-12
				if !c.metric && dev.name == "cpu" && prec == "float32" || c.rounded && prec == "float32" {
					rel = 1e-6
				}
				if math.IsNaN(got) || math.Abs(got-ref.Value) > 1e-14+rel*math.Abs(ref.Value) {
					t.Errorf("%s = %.12g, scikit-learn %s = %.12g (tolerance 1e-14 + %g relative)",
						what, got, ref.Call, ref.Value, rel)
				}
			}
		}
	}
	for key := range want.Values {
		if !used[key] && key != "macro_f1_w_zero_default" {
			t.Errorf("values.json has %q, which no check compares with", key)
		}
	}

	// The documented difference itself: with sample weights, scikit-learn's macro average
	// counts a class that occurs only in rows of weight 0 (with an F1 of 0); gloss's counts
	// never see such a class, so it is left out.
	l, err := loss.MacroF1()
	if err != nil {
		t.Fatal(err)
	}
	b := fx.mcBatch(fx.mcWZero5)
	r, err := loss.Compute(l, b, loss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := want.Values["macro_f1_w_zero_default"]; math.Abs(r.Value-d.Value) < 1e-3 {
		t.Errorf("macro_f1 with a class seen only in rows of weight 0 = %.12g, which is scikit-learn's %s = %.12g: "+
			"the documented rule (classes with nonzero weight) and this test disagree", r.Value, d.Call, d.Value)
	}
}

// sklearnCheck is one comparison: gloss's loss with params on batch (float64; its float32
// twin holds the same values rounded) against values.json's key.
type sklearnCheck struct {
	key     string
	loss    string
	params  []sklearnParam
	batch   loss.Batch[float64]
	metric  bool // counts and a division: exact on every device
	rounded bool // the batch holds values make.py did not save, so float32 inputs round them
}

func sklearnChecks(f *sklearnFixtures) []sklearnCheck {
	const n = 64
	zeros := make([]float64, n)
	reg := func(w []float64) loss.Batch[float64] {
		return loss.Batch[float64]{Rows: 40, Cols: 3, Pred: f.regPred, Target: f.regTarget, Weights: w}
	}
	bin := func(pred, target, w []float64) loss.Batch[float64] {
		return loss.Batch[float64]{Rows: n, Cols: 1, Pred: pred, Target: target, Weights: w}
	}
	binLabels := make([]int32, n)
	for i, y := range f.binTarget {
		binLabels[i] = int32(y)
	}
	acc := func(w []float64) loss.Batch[float64] {
		return loss.Batch[float64]{Rows: n, Cols: 1, Pred: f.binScore, Labels: binLabels, Weights: w}
	}

	// Multi-class log loss three ways: cross_entropy on the logits (ignored rows in place),
	// nll on log-softmax rows, cross_entropy_probs on one-hot targets of the rows kept.
	const c = 7
	rows := len(f.mcLabels)
	logp := make([]float64, len(f.mcLogits))
	for i := range rows {
		row := f.mcLogits[i*c : (i+1)*c]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(v - m)
		}
		for j, v := range row {
			logp[i*c+j] = v - m - math.Log(z)
		}
	}
	probs := func(w []float64) loss.Batch[float64] {
		var b loss.Batch[float64]
		for i, y := range f.mcLabels {
			if y == loss.DefaultIgnoreIndex {
				continue
			}
			b.Rows++
			b.Pred = append(b.Pred, f.mcLogits[i*c:(i+1)*c]...)
			onehot := make([]float64, c)
			onehot[y] = 1
			b.Target = append(b.Target, onehot...)
			if w != nil {
				b.Weights = append(b.Weights, w[i])
			}
		}
		b.Cols = c
		return b
	}
	mc := func(pred, w []float64) loss.Batch[float64] {
		return loss.Batch[float64]{Rows: rows, Cols: c, Pred: pred, Labels: f.mcLabels, Weights: w}
	}

	thr := func(v float64) []sklearnParam { return []sklearnParam{{"threshold", v}} }
	return []sklearnCheck{
		// Regression: Mean = Σ s·L / Σ s, scikit-learn's weighted average; one weight per row
		// covers the row's 3 elements.
		{key: "mse", loss: "mse", batch: reg(nil)},
		{key: "mse_w_elem", loss: "mse", batch: reg(f.regWElem)},
		{key: "mse_w_row", loss: "mse", batch: reg(f.regWRow)},
		{key: "mae", loss: "mae", batch: reg(nil)},
		{key: "mae_w_elem", loss: "mae", batch: reg(f.regWElem)},
		{key: "mae_w_row", loss: "mae", batch: reg(f.regWRow)},
		// Quantile's τ is scikit-learn's alpha.
		{key: "pinball_05", loss: "quantile", batch: reg(nil)},
		{key: "pinball_03", loss: "quantile", params: []sklearnParam{{"tau", 0.3}}, batch: reg(nil)},
		{key: "pinball_09_w", loss: "quantile", params: []sklearnParam{{"tau", 0.9}}, batch: reg(f.regWElem)},

		// Binary metrics, predicting positive where score > threshold.
		{key: "f1", loss: "f1", batch: bin(f.binScore, f.binTarget, nil), metric: true},
		{key: "f1_w", loss: "f1", batch: bin(f.binScore, f.binTarget, f.binW), metric: true},
		{key: "f1_thr03", loss: "f1", params: thr(0.3), batch: bin(f.binScore, f.binTarget, nil), metric: true},
		{key: "f1_allneg", loss: "f1", batch: bin(f.binScore, zeros, nil), metric: true},
		{key: "f1_allneg_nopred", loss: "f1", params: thr(1), batch: bin(f.binScore, zeros, nil), metric: true},
		{key: "jaccard", loss: "binary_iou", batch: bin(f.binScore, f.binTarget, nil), metric: true},
		{key: "jaccard_w", loss: "binary_iou", batch: bin(f.binScore, f.binTarget, f.binW), metric: true},
		{key: "jaccard_thr03", loss: "binary_iou", params: thr(0.3), batch: bin(f.binScore, f.binTarget, nil), metric: true},
		{key: "jaccard_empty", loss: "binary_iou", params: thr(1), batch: bin(f.binScore, zeros, nil), metric: true},
		{key: "auc", loss: "auc", batch: bin(f.binScore, f.binTarget, nil), metric: true},
		{key: "auc_w", loss: "auc", batch: bin(f.binScore, f.binTarget, f.binW), metric: true},
		{key: "auc_logits", loss: "auc", batch: bin(f.logit, f.binTarget, nil), metric: true},
		{key: "accuracy_binary", loss: "accuracy", batch: acc(nil), metric: true},
		{key: "accuracy_binary_w", loss: "accuracy", batch: acc(f.binW), metric: true},

		// Binary log loss, hinge.
		{key: "log_loss_bin", loss: "bce", batch: bin(f.binScore, f.binTarget, nil)},
		{key: "log_loss_bin_w", loss: "bce", batch: bin(f.binScore, f.binTarget, f.binW)},
		{key: "log_loss_logits", loss: "bce_with_logits", batch: bin(f.logit, f.binTarget, nil)},
		{key: "log_loss_logits_w", loss: "bce_with_logits", batch: bin(f.logit, f.binTarget, f.binW)},
		{key: "hinge", loss: "hinge", batch: bin(f.logit, f.pmTarget, nil)},
		{key: "hinge_w", loss: "hinge", batch: bin(f.logit, f.pmTarget, f.binW)},

		// Multi-class: argmax metrics (rows labelled −100 ignored) and the log loss.
		{key: "accuracy", loss: "accuracy", batch: mc(f.mcLogits, nil), metric: true},
		{key: "accuracy_w", loss: "accuracy", batch: mc(f.mcLogits, f.mcW), metric: true},
		{key: "macro_f1", loss: "macro_f1", batch: mc(f.mcLogits, nil), metric: true},
		{key: "macro_f1_labels", loss: "macro_f1", batch: mc(f.mcLogits, nil), metric: true},
		{key: "macro_f1_w", loss: "macro_f1", batch: mc(f.mcLogits, f.mcW), metric: true},
		{key: "macro_f1_w_zero", loss: "macro_f1", batch: f.mcBatch(f.mcWZero5), metric: true},
		{key: "log_loss_mc", loss: "cross_entropy", batch: mc(f.mcLogits, nil)},
		{key: "log_loss_mc_w", loss: "cross_entropy", batch: mc(f.mcLogits, f.mcW)},
		{key: "log_loss_mc", loss: "nll", batch: mc(logp, nil), rounded: true},
		{key: "log_loss_mc_w", loss: "nll", batch: mc(logp, f.mcW), rounded: true},
		{key: "log_loss_mc", loss: "cross_entropy_probs", batch: probs(nil)},
		{key: "log_loss_mc_w", loss: "cross_entropy_probs", batch: probs(f.mcW)},

		// Poisson (log input, no Stirling term) and Tweedie: the halved deviances less a term
		// in y alone (make.py).
		{key: "poisson", loss: "poisson", batch: bin(f.logMean, f.count, nil)},
		{key: "poisson_w", loss: "poisson", batch: bin(f.logMean, f.count, f.binW)},
		{key: "tweedie_1.5", loss: "tweedie", batch: bin(f.logMean, f.tweedieTarget, nil)},
		{key: "tweedie_1.5_w", loss: "tweedie", batch: bin(f.logMean, f.tweedieTarget, f.binW)},
		{key: "tweedie_1.2", loss: "tweedie", params: []sklearnParam{{"rho", 1.2}}, batch: bin(f.logMean, f.tweedieTarget, nil)},
		{key: "tweedie_1.2_w", loss: "tweedie", params: []sklearnParam{{"rho", 1.2}}, batch: bin(f.logMean, f.tweedieTarget, f.binW)},
	}
}

// sklearnParam is a loss parameter by name (loss.With), so that messages can name it.
type sklearnParam struct {
	name string
	v    float64
}

func paramString(ps []sklearnParam) string {
	if len(ps) == 0 {
		return ""
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%s=%g", p.name, p.v)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

type sklearnValues struct {
	Sklearn string `json:"sklearn"`
	Values  map[string]struct {
		Call  string  `json:"call"`
		Value float64 `json:"value"`
	} `json:"values"`
}

func readSklearnValues(t *testing.T, path string) sklearnValues {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v sklearnValues
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if v.Sklearn == "" || len(v.Values) == 0 {
		t.Fatalf("%s: no scikit-learn version or no values", path)
	}
	return v
}

// sklearnFixtures holds make.py's arrays, float32 values widened to float64.
type sklearnFixtures struct {
	regPred, regTarget, regWRow, regWElem      []float64
	binScore, binTarget, binW, logit, pmTarget []float64
	mcLogits, mcW, mcWZero5                    []float64
	mcLabels                                   []int32
	logMean, count, tweedieTarget              []float64
}

// mcBatch is the multi-class batch with sample weights w.
func (f *sklearnFixtures) mcBatch(w []float64) loss.Batch[float64] {
	return loss.Batch[float64]{Rows: len(f.mcLabels), Cols: 7, Pred: f.mcLogits, Labels: f.mcLabels, Weights: w}
}

func readSklearnFixtures(t *testing.T, dir string) *sklearnFixtures {
	t.Helper()
	f := &sklearnFixtures{}
	for name, dst := range map[string]*[]float64{
		"reg_pred": &f.regPred, "reg_target": &f.regTarget, "reg_w_row": &f.regWRow, "reg_w_elem": &f.regWElem,
		"bin_score": &f.binScore, "bin_target": &f.binTarget, "bin_w": &f.binW, "logit": &f.logit,
		"pm_target": &f.pmTarget, "mc_logits": &f.mcLogits, "mc_w": &f.mcW, "mc_w_zero5": &f.mcWZero5,
		"log_mean": &f.logMean, "count": &f.count, "tweedie_target": &f.tweedieTarget,
	} {
		v, _, err := readNpy(filepath.Join(dir, name+".npy"), "<f4")
		if err != nil {
			t.Fatal(err)
		}
		*dst = v
	}
	labels, shape, err := readNpy(filepath.Join(dir, "mc_labels.npy"), "<i8")
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range labels {
		f.mcLabels = append(f.mcLabels, int32(y))
	}
	// The shapes the checks assume.
	for _, s := range []struct {
		name string
		got  int
		want int
	}{
		{"reg_pred", len(f.regPred), 120}, {"reg_target", len(f.regTarget), 120}, {"reg_w_row", len(f.regWRow), 40},
		{"reg_w_elem", len(f.regWElem), 120}, {"bin_score", len(f.binScore), 64}, {"bin_target", len(f.binTarget), 64},
		{"bin_w", len(f.binW), 64}, {"logit", len(f.logit), 64}, {"pm_target", len(f.pmTarget), 64},
		{"mc_logits", len(f.mcLogits), 7 * shape[0]}, {"mc_w", len(f.mcW), shape[0]}, {"mc_w_zero5", len(f.mcWZero5), shape[0]},
		{"log_mean", len(f.logMean), 64}, {"count", len(f.count), 64}, {"tweedie_target", len(f.tweedieTarget), 64},
	} {
		if s.got != s.want {
			t.Fatalf("%s.npy has %d values, want %d (rerun make.py)", s.name, s.got, s.want)
		}
	}
	return f
}

var npyShape = regexp.MustCompile(`'shape': \(([0-9, ]*)\)`)

// readNpy reads the .npy files make.py writes: format 1.0, C order, little-endian, dtype
// descr ("<f4" or "<i8"), values widened to float64. It returns the values and the shape.
func readNpy(path, descr string) ([]float64, []int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) < 10 || string(raw[:6]) != "\x93NUMPY" || raw[6] != 1 || raw[7] != 0 {
		return nil, nil, fmt.Errorf("%s: not a version 1.0 .npy file", path)
	}
	hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
	if 10+hlen > len(raw) {
		return nil, nil, fmt.Errorf("%s: header of %d bytes in a file of %d", path, hlen, len(raw))
	}
	header, data := string(raw[10:10+hlen]), raw[10+hlen:]
	if !strings.Contains(header, "'descr': '"+descr+"'") || !strings.Contains(header, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("%s: header %q: want descr %s in C order", path, header, descr)
	}
	m := npyShape.FindStringSubmatch(header)
	if m == nil {
		return nil, nil, fmt.Errorf("%s: no shape in header %q", path, header)
	}
	var shape []int
	count := 1
	for _, d := range strings.Split(m[1], ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		k, err := strconv.Atoi(d)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: shape %q: %v", path, m[1], err)
		}
		shape = append(shape, k)
		count *= k
	}
	size := 4
	if descr == "<i8" {
		size = 8
	}
	if len(data) != count*size {
		return nil, nil, fmt.Errorf("%s: %d data bytes for shape %v of %s", path, len(data), shape, descr)
	}
	out := make([]float64, count)
	for i := range out {
		if size == 4 {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
		} else {
			out[i] = float64(int64(binary.LittleEndian.Uint64(data[8*i:])))
		}
	}
	return out, shape, nil
}
