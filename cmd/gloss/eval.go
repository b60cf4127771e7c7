package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

const evalUsage = `usage: gloss eval [flags] LOSS [LOSS...]

Evaluates losses and metrics, with gradients and Hessian diagonals, on your own data: NumPy
.npy files (float32 or float64 predictions, integer labels) or CSV tables. LOSS names are
kernel stems (cross_entropy, bce_with_logits, huber, accuracy, calibration, ...):
'gloss eval -list' lists them with the inputs and parameters each takes.

Rows and columns come from the shape of -pred (a 2-D array is rows × columns, a 1-D array
rows of one column, more dimensions rows × the product of the rest; CSV: lines × fields);
-rows or -cols override. Every float input is converted to -pred's dtype. A .npy may be of
any float32, float64, integer or bool dtype, in either byte order and C or Fortran order. A CSV
holds comma-separated numbers; its first line is a header only when none of its fields is a
number. Gradient and Hessian flags apply to the losses among LOSS (metrics have none), and
each of those must have what is asked.

examples:
  gloss eval -pred logits.npy -labels y.npy cross_entropy accuracy calibration
  gloss eval -pred yhat.csv -target y.csv -p delta=2 -grad-out g.npy huber
  gloss eval -pred logits.npy -labels y.npy -p ignore_index=-1 -p label_smoothing=0.1 -json cross_entropy
  gloss eval -pred logits.npy -labels y.npy -reliability-out rel.png calibration

flags:
`

type paramKV struct {
	name string
	v    float64
}

type paramList []paramKV

func (p *paramList) String() string {
	var s []string
	for _, kv := range *p {
		s = append(s, fmt.Sprintf("%s=%g", kv.name, kv.v))
	}
	return strings.Join(s, " ")
}

func (p *paramList) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want name=value, e.g. delta=2, not %q", s)
	}
	var v float64
	switch strings.ToLower(strings.TrimSpace(val)) {
	case "true":
		v = 1
	case "false":
		v = 0
	default:
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number (or true/false)", name, val)
		}
		v = f
	}
	*p = append(*p, paramKV{name, v})
	return nil
}

type evalFlags struct {
	pred, target, aux, labels, weights, classWeights string
	rows, cols                                       int
	dev                                              string
	reduction                                        string
	params                                           paramList
	grad                                             bool
	gradOut, gradTargetOut, gradAuxOut, hessOut      string
	perSampleOut                                     string
	reliabilityOut                                   string
	asJSON, list, checkFinite, emptyMeanZero         bool
	dtype                                            string
}

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", evalUsage, stderr)
	var f evalFlags
	fs.StringVar(&f.pred, "pred", "", "predictions, logits or scores: the input the gradient is taken against (.npy or CSV)")
	fs.StringVar(&f.target, "target", "", "targets (or the loss's second input: neg_scores, key, ...)")
	fs.StringVar(&f.aux, "aux", "", "the loss's third input (gaussian_nll's variance, triplet's negatives)")
	fs.StringVar(&f.labels, "labels", "", "class labels: integer .npy (int32 or int64) or whole numbers in CSV")
	fs.StringVar(&f.weights, "weights", "", "sample weights: one per row (or one per element, elementwise losses)")
	fs.StringVar(&f.classWeights, "class-weights", "", "class weights, one per column (bce_with_logits: pos_weight)")
	fs.IntVar(&f.rows, "rows", 0, "rows (default: from -pred's shape)")
	fs.IntVar(&f.cols, "cols", 0, "columns: classes, embedding width, pixels per sample (default: from -pred's shape)")
	fs.StringVar(&f.dev, "device", "auto", "device: cpu, opencl, opencl:P:D, cuda, cuda:N or auto (GLOSS_DEVICE, then cuda, opencl, cpu)")
	fs.StringVar(&f.reduction, "reduction", "mean", "mean, sum, none (per-sample terms) or batchmean (kl_div)")
	fs.Var(&f.params, "p", "a loss parameter name=value, repeatable: -p delta=2 -p ignore_index=-1 (booleans: true/false)")
	fs.BoolVar(&f.grad, "grad", false, "compute the gradient and show its norm")
	fs.StringVar(&f.gradOut, "grad-out", "", "write the gradient with respect to -pred to this .npy (several losses: FILE_LOSS.npy)")
	fs.StringVar(&f.gradTargetOut, "grad-target-out", "", "write the gradient with respect to -target (bpr, pairwise_*, info_nce, triplet)")
	fs.StringVar(&f.gradAuxOut, "grad-aux-out", "", "write the gradient with respect to -aux (gaussian_nll, triplet)")
	fs.StringVar(&f.hessOut, "hess-out", "", "write the Hessian diagonal with respect to -pred (elementwise losses) to this .npy")
	fs.StringVar(&f.perSampleOut, "per-sample-out", "", "write the per-sample terms (-reduction none) to this .npy")
	fs.StringVar(&f.reliabilityOut, "reliability-out", "", "draw calibration's reliability diagram to this .png")
	fs.BoolVar(&f.asJSON, "json", false, "JSON output")
	fs.BoolVar(&f.list, "list", false, "list the losses and metrics with their inputs and parameters")
	fs.BoolVar(&f.checkFinite, "check-finite", false, "reject NaN and ±Inf inputs, naming the first")
	fs.BoolVar(&f.emptyMeanZero, "empty-mean-zero", false, "a mean over nothing (every row ignored) is 0 instead of NaN")
	fs.StringVar(&f.dtype, "dtype", "", "float32 or float64 (default: -pred's dtype; float64 for CSV)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.list {
		return listLosses(stdout, f.asJSON)
	}
	names := fs.Args()
	if len(names) == 0 {
		return usagef("name at least one loss (gloss eval -list lists them)")
	}
	for _, n := range names {
		if _, ok := loss.Lookup(n); !ok {
			return usagef("unknown loss %q (gloss eval -list lists them)", n)
		}
	}
	if f.pred == "" {
		return usagef("-pred is required")
	}
	red, err := loss.ParseReduction(f.reduction)
	if err != nil {
		return usageError{err}
	}
	if f.perSampleOut != "" && red != loss.None {
		return usagef("-per-sample-out needs -reduction none")
	}
	if f.reliabilityOut != "" && !slices.Contains(names, "calibration") {
		return usagef("-reliability-out draws the calibration metric: add calibration to the losses")
	}
	if f.rows < 0 || f.cols < 0 {
		return usagef("-rows and -cols must not be negative")
	}
	if _, ok := device.MulInt(f.rows, f.cols); !ok {
		return usagef("-rows %d × -cols %d overflows", f.rows, f.cols)
	}
	if err := checkHonoured(&f, names, red); err != nil {
		return err
	}
	// Parameters: each must be taken by at least one chosen loss, and given once.
	perLoss := map[string][]loss.Param{}
	for i, kv := range f.params {
		for _, prev := range f.params[:i] {
			if prev.name == kv.name {
				return usagef("parameter %s given twice (-p %s=%g and -p %s=%g)", kv.name, kv.name, prev.v, kv.name, kv.v)
			}
		}
		var takers []string
		for _, n := range names {
			sp, _ := loss.Lookup(n)
			if slices.Contains(sp.Params, kv.name) || kv.name == "ignore_index" && sp.Labels {
				perLoss[n] = append(perLoss[n], loss.With(kv.name, kv.v))
				takers = append(takers, n)
			}
		}
		if len(takers) == 0 {
			var takes []string
			for _, n := range names {
				sp, _ := loss.Lookup(n)
				takes = append(takes, fmt.Sprintf("%s takes %s", n, paramNames(sp)))
			}
			return usagef("no chosen loss takes parameter %q (%s)", kv.name, strings.Join(takes, "; "))
		}
	}
	losses := make([]loss.Loss, len(names))
	for i, n := range names {
		l, err := loss.New(n, perLoss[n]...)
		if err != nil {
			return usageError{err}
		}
		losses[i] = l
	}

	pred, err := readArray(f.pred)
	if err != nil {
		return err
	}
	if !pred.isFloat() {
		return fmt.Errorf("%s (pred): dtype %s; want float32 or float64", pred.path, pred.dtype)
	}
	dt := f.dtype
	if dt == "" {
		dt = pred.dtype
	}
	dev, err := device.Open(f.dev)
	if err != nil {
		return fmt.Errorf("-device %s: %w", f.dev, err)
	}
	defer dev.Close()
	switch dt {
	case "float32":
		return evalTyped[float32](ctx, stdout, stderr, &f, names, losses, pred, dev, red)
	case "float64":
		return evalTyped[float64](ctx, stdout, stderr, &f, names, losses, pred, dev, red)
	}
	return usagef("-dtype %q: want float32 or float64", dt)
}

// checkHonoured refuses options that a chosen loss cannot honour: a reduction other than mean
// of a metric, and an output (-grad, -grad-out, -grad-target-out, -grad-aux-out, -hess-out)
// that a chosen loss does not have. Metrics have no gradients: next to losses they are
// evaluated without one; alone they make a gradient flag an error too.
func checkHonoured(f *evalFlags, names []string, red loss.Reduction) error {
	var losses, metrics []loss.Spec
	for _, n := range names {
		sp, _ := loss.Lookup(n)
		if sp.Family == device.Metric {
			metrics = append(metrics, sp)
		} else {
			losses = append(losses, sp)
		}
	}
	if red != loss.Mean && len(metrics) > 0 {
		return usagef("-reduction %v: %s is a metric, whose value is defined by its counts: it takes only mean (evaluate it separately)", red, metrics[0].Name)
	}
	for _, o := range []struct {
		flag  string
		given bool
		what  string
		has   func(sp loss.Spec) bool
	}{
		{"-grad", f.grad, "gradient", func(loss.Spec) bool { return true }},
		{"-grad-out", f.gradOut != "", "gradient", func(loss.Spec) bool { return true }},
		{"-grad-target-out", f.gradTargetOut != "", "gradient with respect to its -target", func(sp loss.Spec) bool { return sp.Grads[1] }},
		{"-grad-aux-out", f.gradAuxOut != "", "gradient with respect to its -aux", func(sp loss.Spec) bool { return sp.Grads[2] }},
		{"-hess-out", f.hessOut != "", "Hessian diagonal (elementwise losses have one)", func(sp loss.Spec) bool { return sp.Hessian }},
	} {
		if !o.given {
			continue
		}
		if len(losses) == 0 {
			return usagef("%s: %s is a metric: it has no gradient or Hessian", o.flag, metrics[0].Name)
		}
		for _, sp := range losses {
			if !o.has(sp) {
				return usagef("%s: %s has no %s", o.flag, sp.Name, o.what)
			}
		}
	}
	return nil
}

func paramNames(sp loss.Spec) string {
	p := slices.Clone(sp.Params)
	if sp.Labels {
		p = append(p, "ignore_index")
	}
	if len(p) == 0 {
		return "no parameters"
	}
	return strings.Join(p, ", ")
}

// evalInputs are the files read and converted to T.
type evalInputs[T loss.Float] struct {
	rows, cols                         int
	pred, target, aux, weights, classW []T
	labels                             []int32
	predArr                            *array
	given                              map[string]bool // which optional inputs were given
}

func loadInputs[T loss.Float](f *evalFlags, pred *array) (*evalInputs[T], error) {
	in := &evalInputs[T]{predArr: pred, given: map[string]bool{}}
	var err error
	if in.pred, err = floats[T](pred, "pred", false); err != nil {
		return nil, err
	}
	n := len(in.pred)
	rows, cols := pred.rowsCols()
	switch {
	case f.rows > 0 && f.cols > 0:
		if rc, _ := device.MulInt(f.rows, f.cols); rc != n {
			return nil, fmt.Errorf("%s (pred): %d values are not -rows %d × -cols %d", pred.path, n, f.rows, f.cols)
		}
		rows, cols = f.rows, f.cols
	case f.cols > 0:
		if n%f.cols != 0 {
			return nil, fmt.Errorf("%s (pred): %d values are not rows of -cols %d", pred.path, n, f.cols)
		}
		rows, cols = n/f.cols, f.cols
	case f.rows > 0:
		if n%f.rows != 0 {
			return nil, fmt.Errorf("%s (pred): %d values are not -rows %d rows", pred.path, n, f.rows)
		}
		rows, cols = f.rows, n/f.rows
	}
	if rc, ok := device.MulInt(rows, cols); !ok || rc != n {
		return nil, fmt.Errorf("%s (pred): shape %s has %d values, not %d×%d", pred.path, pred.shapeString(), n, rows, cols)
	}
	in.rows, in.cols = rows, cols
	readF := func(path, role string, want []int) ([]T, error) {
		a, err := readArray(path)
		if err != nil {
			return nil, err
		}
		v, err := floats[T](a, role, true)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(want, len(v)) {
			return nil, fmt.Errorf("%s (%s): shape %s has %d values; with %s of shape %s (%d rows × %d columns) it must have %s",
				path, role, a.shapeString(), len(v), pred.path, pred.shapeString(), rows, cols, wantString(want))
		}
		return v, nil
	}
	if f.target != "" {
		if in.target, err = readF(f.target, "target", []int{n}); err != nil {
			return nil, err
		}
		in.given["target"] = true
	}
	if f.aux != "" {
		if in.aux, err = readF(f.aux, "aux", []int{n}); err != nil {
			return nil, err
		}
		in.given["aux"] = true
	}
	if f.weights != "" {
		if in.weights, err = readF(f.weights, "weights", []int{rows, n}); err != nil {
			return nil, err
		}
		in.given["weights"] = true
	}
	if f.classWeights != "" {
		if in.classW, err = readF(f.classWeights, "class weights", []int{cols}); err != nil {
			return nil, err
		}
		in.given["class-weights"] = true
	}
	if f.labels != "" {
		a, err := readArray(f.labels)
		if err != nil {
			return nil, err
		}
		if in.labels, err = labels(a); err != nil {
			return nil, err
		}
		if len(in.labels) != rows {
			return nil, fmt.Errorf("%s (labels): shape %s has %d labels; %s has %d rows (shape %s)", f.labels, a.shapeString(), len(in.labels), pred.path, rows, pred.shapeString())
		}
		in.given["labels"] = true
	}
	return in, nil
}

func wantString(want []int) string {
	var s []string
	for _, w := range want {
		s = append(s, strconv.Itoa(w))
	}
	return strings.Join(slices.Compact(s), " or ")
}

// evalResult is one loss's outcome, for the table and JSON.
type evalResult struct {
	Loss           string             `json:"loss"`
	Params         map[string]float64 `json:"params"`
	Reduction      string             `json:"reduction"`
	Rows           int                `json:"rows"`
	Cols           int                `json:"cols"`
	DType          string             `json:"dtype"`
	Value          *float64           `json:"value"`
	Weight         *float64           `json:"weight,omitempty"`
	Device         string             `json:"device"`
	Fallback       bool               `json:"fallback"`
	GradNorm       *float64           `json:"grad_norm,omitempty"`
	GradTargetNorm *float64           `json:"grad_target_norm,omitempty"`
	GradAuxNorm    *float64           `json:"grad_aux_norm,omitempty"`
	Files          map[string]string  `json:"files,omitempty"`
	Sums           []float64          `json:"sums,omitempty"`
	Bins           []jsonBin          `json:"bins,omitempty"`
	PerSample      []*float64         `json:"per_sample,omitempty"`
	bins           []loss.Bin
}

type jsonBin struct {
	Lo, Hi     float64
	Weight     float64
	Confidence *float64 `json:"confidence"`
	Accuracy   *float64 `json:"accuracy"`
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func evalTyped[T loss.Float](ctx context.Context, stdout, stderr io.Writer, f *evalFlags, names []string, losses []loss.Loss, pred *array, dev device.Device, red loss.Reduction) error {
	in, err := loadInputs[T](f, pred)
	if err != nil {
		return err
	}
	// Inputs that no chosen loss reads are a likely mistake: say so.
	for _, role := range []string{"target", "aux", "labels", "class-weights"} {
		if !in.given[role] {
			continue
		}
		used := false
		for _, n := range names {
			sp, _ := loss.Lookup(n)
			switch role {
			case "target":
				used = used || sp.Inputs[1] != ""
			case "aux":
				used = used || sp.Inputs[2] != ""
			case "labels":
				used = used || sp.Labels
			case "class-weights":
				used = used || sp.ClassWeights != ""
			}
		}
		if !used {
			fmt.Fprintf(stderr, "gloss eval: warning: -%s is given but none of %s reads it\n", role, strings.Join(names, ", "))
		}
	}
	multi := len(names) > 1
	var results []evalResult
	for i, l := range losses {
		if err := ctx.Err(); err != nil {
			return err
		}
		sp, _ := loss.Lookup(names[i])
		b := loss.Batch[T]{Rows: in.rows, Cols: in.cols, Pred: in.pred}
		need := func(ok bool, flagName, what string) error {
			if !ok {
				return fmt.Errorf("%s needs %s (its %s)", sp.Name, flagName, what)
			}
			return nil
		}
		if sp.Inputs[1] != "" {
			if err := need(in.target != nil, "-target", sp.Inputs[1]); err != nil {
				return usageError{err}
			}
			b.Target = in.target
		}
		if sp.Inputs[2] != "" {
			if err := need(in.aux != nil, "-aux", sp.Inputs[2]); err != nil {
				return usageError{err}
			}
			b.Aux = in.aux
		}
		if sp.Labels {
			if err := need(in.labels != nil, "-labels", "class labels"); err != nil {
				return usageError{err}
			}
			b.Labels = in.labels
		}
		if sp.ClassWeights != "" {
			b.ClassWeights = in.classW
		}
		b.Weights = in.weights
		metric := sp.Family == device.Metric
		o := loss.Options{Device: dev, Reduction: red, CheckFinite: f.checkFinite, EmptyMeanZero: f.emptyMeanZero}
		if !metric { // checkHonoured made sure every loss has what is asked
			o.Grad = f.grad || f.gradOut != "" || f.gradTargetOut != "" || f.gradAuxOut != ""
			o.Hessian = f.hessOut != ""
		}
		res, err := loss.Compute(l, b, o)
		if err != nil {
			if errors.Is(err, loss.ErrParam) || errors.Is(err, loss.ErrOption) {
				return usageError{err}
			}
			return err
		}
		er := evalResult{Loss: sp.Name, Params: l.Params(), Reduction: o.Reduction.String(), Rows: in.rows, Cols: in.cols,
			DType: dtypeName[T](), Value: num(res.Value), Device: res.Device, Fallback: res.Fallback,
			Files: map[string]string{}}
		if !metric {
			er.Weight = num(res.Weight)
		} else {
			er.Sums = res.Sums
		}
		if sp.Name == "calibration" {
			er.bins = loss.CalibrationBins(res.Sums)
			for _, b := range er.bins {
				er.Bins = append(er.Bins, jsonBin{Lo: b.Lo, Hi: b.Hi, Weight: b.Weight, Confidence: num(b.Confidence), Accuracy: num(b.Accuracy)})
			}
		}
		if res.Grad != nil {
			er.GradNorm = num(norm(res.Grad))
		}
		if res.GradTarget != nil {
			er.GradTargetNorm = num(norm(res.GradTarget))
		}
		if res.GradAux != nil {
			er.GradAuxNorm = num(norm(res.GradAux))
		}
		if red == loss.None && res.PerSample != nil && f.asJSON {
			for _, v := range res.PerSample {
				er.PerSample = append(er.PerSample, num(float64(v)))
			}
		}
		for _, out := range []struct {
			flag, key string
			data      []T
			perSample bool
		}{{f.gradOut, "grad", res.Grad, false}, {f.gradTargetOut, "grad_target", res.GradTarget, false},
			{f.gradAuxOut, "grad_aux", res.GradAux, false}, {f.hessOut, "hess", res.Hess, false},
			{f.perSampleOut, "per_sample", res.PerSample, true}} {
			if out.flag == "" || out.data == nil {
				continue
			}
			path := out.flag
			if multi {
				path = withSuffix(path, sp.Name)
			}
			shape := pred.shape
			if out.perSample && len(out.data) != len(in.pred) {
				shape = []int{len(out.data)}
			}
			if err := writeNpy(path, out.data, shape, in.rows, in.cols); err != nil {
				return err
			}
			er.Files[out.key] = path
		}
		if sp.Name == "calibration" && f.reliabilityOut != "" {
			if err := writeReliability(f.reliabilityOut, er.bins, res.Value, in.rows); err != nil {
				return err
			}
			er.Files["reliability"] = f.reliabilityOut
		}
		if len(er.Files) == 0 {
			er.Files = nil
		}
		results = append(results, er)
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return writeEvalTable(stdout, results)
}

func dtypeName[T loss.Float]() string {
	var z T
	if _, ok := any(z).(float32); ok {
		return "float32"
	}
	return "float64"
}

func norm[T loss.Float](v []T) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func withSuffix(path, name string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "_" + name + ext
}

// writeNpy writes data to a .npy with pred's shape (two dimensions at most: rows × columns
// for more).
func writeNpy[T loss.Float](path string, data []T, shape []int, rows, cols int) error {
	out := []int{len(data)}
	if len(shape) >= 2 && rows > 0 {
		if rc, ok := device.MulInt(rows, cols); ok && rc == len(data) {
			out = []int{rows, cols}
		}
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeNpyTo(fh, data, out); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return fh.Close()
}

func fmtVal(p *float64) string {
	if p == nil {
		return "NaN"
	}
	return strconv.FormatFloat(*p, 'g', 8, 64)
}

func writeEvalTable(w io.Writer, results []evalResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "loss\tparams\treduction\tvalue\tweight\tdevice\toutputs\t")
	for _, r := range results {
		var ps []string
		for _, k := range sortedKeys(r.Params) {
			ps = append(ps, fmt.Sprintf("%s=%g", k, r.Params[k]))
		}
		var outs []string
		if r.GradNorm != nil {
			outs = append(outs, "‖grad‖="+fmtVal(r.GradNorm))
		}
		if r.GradTargetNorm != nil {
			outs = append(outs, "‖grad_target‖="+fmtVal(r.GradTargetNorm))
		}
		if r.GradAuxNorm != nil {
			outs = append(outs, "‖grad_aux‖="+fmtVal(r.GradAuxNorm))
		}
		for _, k := range sortedKeys(r.Files) {
			outs = append(outs, k+"→"+r.Files[k])
		}
		weight := "-"
		if r.Weight != nil {
			weight = fmtVal(r.Weight)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Loss, strings.Join(ps, " "), r.Reduction, fmtVal(r.Value), weight, r.Device, strings.Join(outs, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.bins) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: expected calibration error %s over %d bins\n", r.Loss, fmtVal(r.Value), len(r.bins))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "bin\tweight\tconfidence\taccuracy\t")
		for _, b := range r.bins {
			fmt.Fprintf(tw, "[%.3g, %.3g)\t%g\t%s\t%s\t\n", b.Lo, b.Hi, b.Weight, fmtVal(num(b.Confidence)), fmtVal(num(b.Accuracy)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}

var familyNames = map[device.Family]string{device.Elementwise: "elementwise", device.Rowwise: "rowwise", device.Metric: "metric"}

// listLosses prints the catalog: each loss's inputs (as eval's flags), parameters with
// their defaults, and what it can compute.
func listLosses(w io.Writer, asJSON bool) error {
	type entry struct {
		Name    string             `json:"name"`
		Family  string             `json:"family"`
		Inputs  map[string]string  `json:"inputs"`
		Params  map[string]float64 `json:"params"`
		Grad    bool               `json:"grad"`
		Hessian bool               `json:"hessian"`
	}
	var list []entry
	for _, sp := range loss.Catalog() {
		l, err := loss.New(sp.Name)
		if err != nil {
			return err
		}
		e := entry{Name: sp.Name, Family: familyNames[sp.Family], Inputs: map[string]string{}, Params: l.Params(),
			Grad: sp.Family != device.Metric, Hessian: sp.Hessian}
		for i, flagName := range []string{"pred", "target", "aux"} {
			if sp.Inputs[i] != "" {
				e.Inputs[flagName] = sp.Inputs[i]
			}
		}
		if sp.Labels {
			e.Inputs["labels"] = "class labels"
		}
		if sp.ClassWeights != "" {
			e.Inputs["class-weights"] = sp.ClassWeights
		}
		list = append(list, e)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "loss\tfamily\tinputs\tparams (defaults)\toutputs\t")
	for _, e := range list {
		var ins []string
		for _, k := range []string{"pred", "target", "aux", "labels", "class-weights"} {
			if v, ok := e.Inputs[k]; ok {
				if k == "labels" {
					ins = append(ins, "-labels")
				} else {
					ins = append(ins, fmt.Sprintf("-%s %s", k, v))
				}
			}
		}
		var ps []string
		for _, k := range sortedKeys(e.Params) {
			ps = append(ps, fmt.Sprintf("%s=%g", k, e.Params[k]))
		}
		outs := "value"
		if e.Grad {
			outs += ", grad"
		}
		if e.Hessian {
			outs += ", hess"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", e.Name, e.Family, strings.Join(ins, ", "), strings.Join(ps, " "), outs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nEvery loss also takes -weights (sample weights). Metrics have no gradient.")
	return nil
}
