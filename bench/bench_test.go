package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

func spec(t *testing.T, name string) loss.Spec {
	t.Helper()
	sp, ok := loss.Lookup(name)
	if !ok {
		t.Fatalf("loss %q is not in the catalog", name)
	}
	return sp
}

// The byte model, derived by hand from its definition (inputs read once, outputs written once).
func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		loss                  string
		mode                  Mode
		n, c, es              int
		weights, classWeights bool
		want                  int64
	}{
		// CE over 4 rows of 10 classes with its gradient: 2·N·C·4 + 4·N = 320 + 16.
		{"cross_entropy", FwdBwd, 4, 10, 4, false, false, 336},
		// CE forward: logits read + labels read = 160 + 16.
		{"cross_entropy", Fwd, 4, 10, 4, false, false, 176},
		// MSE forward over 100 elements: pred and target read = 2·100·4.
		{"mse", Fwd, 100, 1, 4, false, false, 800},
		// MSE with gradient and Hessian: 800 read + 400 gradient + 400 Hessian.
		{"mse", Hess, 100, 1, 4, false, false, 1600},
		// MSE in float64 with sample weights: 2·100·8 read + 100·8 weights.
		{"mse", Fwd, 100, 1, 8, true, false, 2400},
		// Triplet over 8×16: three inputs read (3·512) and three gradients written (3·512).
		{"triplet", FwdBwd, 8, 16, 4, false, false, 3072},
		// BPR differentiates both inputs: 2·40 read + 2·40 written.
		{"bpr", FwdBwd, 10, 1, 4, false, false, 160},
		// BCE with logits and pos_weight over 10×3: 2·120 read + 3·4 pos_weight.
		{"bce_with_logits", Fwd, 10, 3, 4, false, true, 252},
		// Class weights on a loss that takes none add nothing: 2·40.
		{"mse", Fwd, 10, 1, 4, false, true, 80},
		// Accuracy (a metric): 5×10 scores + 5 labels.
		{"accuracy", Fwd, 5, 10, 4, false, false, 220},
		// NLL reads the label's log-probability of each row: 4·4 + 4·4 labels; its gradient
		// is written whole (4·10·4).
		{"nll", Fwd, 4, 10, 4, false, false, 32},
		{"nll", FwdBwd, 4, 10, 4, false, false, 192},
		// Gaussian NLL differentiates pred and var: 3·40 read + 2·40 written.
		{"gaussian_nll", FwdBwd, 10, 1, 4, false, false, 200},
	} {
		got := Bytes(spec(t, tc.loss), tc.mode, tc.n, tc.c, tc.es, tc.weights, tc.classWeights)
		if got != tc.want {
			t.Errorf("Bytes(%s, %s, n=%d, c=%d, es=%d, w=%v, cw=%v) = %d, want %d", tc.loss, tc.mode, tc.n, tc.c, tc.es, tc.weights, tc.classWeights, got, tc.want)
		}
	}
}

func TestApplies(t *testing.T) {
	for _, tc := range []struct {
		loss string
		mode Mode
		want bool
	}{
		{"mse", Hess, true}, {"cross_entropy", Hess, false}, {"cross_entropy", FwdBwd, true},
		{"accuracy", Fwd, true}, {"accuracy", FwdBwd, false}, {"auc", Hess, false},
		// In place only where the prediction may take any value: logits, not probabilities.
		{"cross_entropy", InPlace, true}, {"huber", InPlace, true}, {"bce", InPlace, false},
		{"accuracy", InPlace, false},
	} {
		if got := Applies(spec(t, tc.loss), tc.mode); got != tc.want {
			t.Errorf("Applies(%s, %s) = %v, want %v", tc.loss, tc.mode, got, tc.want)
		}
	}
}

// Percentiles by NumPy's linear method: position p·(n−1) between the closest ranks.
func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, tc := range []struct{ p, want float64 }{
		{0, 1}, {0.5, 3}, {1, 5},
		{0.2, 1.8}, // position 0.8: 1 + 0.8·(2 − 1); np.percentile([1,2,3,4,5], 20) = 1.8
		{0.8, 4.2}, // position 3.2: 4 + 0.2·(5 − 4); np.percentile([1,2,3,4,5], 80) = 4.2
	} {
		if got := Percentile(s, tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Percentile(%v, %g) = %g, want %g", s, tc.p, got, tc.want)
		}
	}
	if got := Percentile([]float64{7}, 0.2); got != 7 {
		t.Errorf("Percentile of one sample = %g, want 7", got)
	}
	if got := Percentile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Percentile of no samples = %g, want NaN", got)
	}
	st := Summarize([]float64{5, 1, 4, 2, 3}) // unsorted input, same quantiles
	if st.Median != 3 || math.Abs(st.P20-1.8) > 1e-12 || math.Abs(st.P80-4.2) > 1e-12 || st.Samples != 5 {
		t.Errorf("Summarize = %+v, want median 3, p20 1.8, p80 4.2, 5 samples", st)
	}
}

func TestMeasure(t *testing.T) {
	calls := 0
	s, err := Measure(context.Background(), func() error { calls++; return nil }, Timing{Repeats: 4, MinSample: 0, Budget: time.Hour})
	if err != nil || len(s) != 4 || calls != 5 {
		t.Errorf("Measure: %d samples, %d calls, err %v; want 4 samples of 1 call after 1 warm-up", len(s), calls, err)
	}
	boom := errors.New("boom")
	if _, err := Measure(context.Background(), func() error { return boom }, Timing{Repeats: 3}); !errors.Is(err, boom) {
		t.Errorf("Measure returned %v, want the call's error", err)
	}
	// A budget already spent stops after MinRepeats samples.
	s, err = Measure(context.Background(), func() error { return nil }, Timing{Repeats: 100, Budget: 0})
	if err != nil || len(s) != MinRepeats {
		t.Errorf("Measure with no budget took %d samples (err %v), want %d", len(s), err, MinRepeats)
	}
}

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("4096, 2^20,1e6,65536x1000")
	if err != nil {
		t.Fatal(err)
	}
	want := []SizeSpec{{Elems: 4096}, {Elems: 1 << 20}, {Elems: 1000000}, {N: 65536, C: 1000}}
	if len(got) != len(want) {
		t.Fatalf("ParseSizes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ParseSizes[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "x", "0", "-5", "1.5", "12ab", "3x", "2^x"} {
		if _, err := ParseSizes(bad); err == nil {
			t.Errorf("ParseSizes(%q) gave no error", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		loss  string
		s     SizeSpec
		quick bool
		want  Size
	}{
		{"cross_entropy", SizeSpec{Elems: 1 << 16}, false, Size{65, 1000}}, // 65536/1000 rows of 1000 classes
		{"mse", SizeSpec{Elems: 1 << 16}, false, Size{1 << 16, 1}},
		{"mse", SizeSpec{N: 64, C: 10}, false, Size{640, 1}}, // elementwise of one column: N·C rows
		{"cross_entropy", SizeSpec{N: 65536, C: 1000}, false, Size{65536, 1000}},
		{"info_nce", SizeSpec{Elems: 1 << 24}, false, Size{4096, 128}}, // N² work: rows capped
		{"info_nce", SizeSpec{Elems: 1 << 24}, true, Size{1024, 128}},
		{"dice", SizeSpec{Elems: 1 << 20}, false, Size{256, 4096}},
		{"kl_div", SizeSpec{N: 8, C: 100}, false, Size{8, 100}}, // rows of class probabilities stay rows
	} {
		if got := Resolve(spec(t, tc.loss), tc.s, tc.quick); got != tc.want {
			t.Errorf("Resolve(%s, %v, quick=%v) = %v, want %v", tc.loss, tc.s, tc.quick, got, tc.want)
		}
	}
}

func sampleResults() []Result {
	return []Result{
		{Loss: "cross_entropy", Device: "cpu", Mode: FwdBwd, Path: Resident, N: 65, C: 1000, Bytes: 520260,
			Median: 0.00113, P20: 0.0011, P80: 0.0012, GBs: 0.46, PctCeiling: 6.25, Speedup: 1, MaxErr: 4.6e-10,
			Status: OK, DeviceName: "linux/amd64, 2 threads", Runtime: "go1.26.8", Commit: "abc123", Time: "2026-11-29T15:00:00Z"},
		{Loss: "huber", Device: "opencl:0:0", Mode: Hess, Path: Copy, N: 1 << 20, C: 1, Bytes: 16777216,
			Median: math.NaN(), P20: math.NaN(), P80: math.NaN(), GBs: math.NaN(), PctCeiling: math.NaN(), Speedup: math.NaN(), MaxErr: 0.5,
			Status: Invalid, Note: `1 value(s) differ from cpuref; first: grad[3] = 1, cpuref "2", tolerance`, DeviceName: "pthread-Intel, PoCL 3.1",
			Runtime: "go1.26.8", Commit: "abc123-dirty", Time: "2026-11-29T15:00:01Z"},
	}
}

func sameResult(a, b Result) bool {
	eqf := func(x, y float64) bool {
		return x == y || math.IsNaN(x) && math.IsNaN(y) || math.Abs(x-y) <= 1e-5*math.Abs(y)
	}
	return a.Loss == b.Loss && a.Device == b.Device && a.Mode == b.Mode && a.Path == b.Path && a.N == b.N && a.C == b.C &&
		a.Bytes == b.Bytes && eqf(a.Median, b.Median) && eqf(a.P20, b.P20) && eqf(a.P80, b.P80) && eqf(a.GBs, b.GBs) &&
		eqf(a.PctCeiling, b.PctCeiling) && eqf(a.Speedup, b.Speedup) && eqf(a.MaxErr, b.MaxErr) && a.Status == b.Status &&
		a.Note == b.Note && a.DeviceName == b.DeviceName && a.Runtime == b.Runtime && a.Commit == b.Commit && a.Time == b.Time
}

func TestCSVRoundTrip(t *testing.T) {
	in := sampleResults()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(buf.String(), "\n")
	if head != strings.Join(CSVColumns, ",") {
		t.Errorf("CSV header = %q, want %q", head, strings.Join(CSVColumns, ","))
	}
	out, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d rows, wrote %d", len(out), len(in))
	}
	for i := range in {
		if !sameResult(in[i], out[i]) {
			t.Errorf("row %d: wrote %+v, read %+v", i, in[i], out[i])
		}
	}
	// A peers file may order columns freely and leave some out.
	peers := "device,loss,mode,n,c,median_s,note\ntorch-cpu,mse,fwd,1024,1,0.5,\"F.mse_loss, builtin\"\n"
	got, err := ReadCSV(strings.NewReader(peers))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Device != "torch-cpu" || got[0].Median != 0.5 || got[0].Path != Resident || got[0].Status != OK ||
		got[0].Note != "F.mse_loss, builtin" || !math.IsNaN(got[0].GBs) {
		t.Errorf("ReadCSV(peers) = %+v", got)
	}
	if _, err := ReadCSV(strings.NewReader("loss,device\nmse,cpu\n")); err == nil {
		t.Errorf("ReadCSV without median_s gave no error")
	}
	if _, err := ReadCSV(strings.NewReader("loss,device,mode,n,c,median_s\nmse,cpu,fwd,ten,1,0.1\n")); err == nil {
		t.Errorf("ReadCSV with n = ten gave no error")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rep := &Report{Meta: Meta{Commit: "abc", Runtime: "go1.26.8", Threads: 2, Sizes: []string{"4096"}}, Results: sampleResults(), Notes: []string{"cuda: absent"}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"median_s": null`) {
		t.Errorf("NaN median not written as null:\n%s", buf.String())
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Meta.Commit != "abc" || len(back.Notes) != 1 || len(back.Results) != 2 {
		t.Fatalf("ReadJSON = %+v", back)
	}
	for i := range rep.Results {
		if !sameResult(rep.Results[i], back.Results[i]) {
			t.Errorf("row %d: wrote %+v, read %+v", i, rep.Results[i], back.Results[i])
		}
	}
}

func TestFillSpeedups(t *testing.T) {
	rs := []Result{
		{Loss: "mse", Device: "cpu", Mode: Fwd, Path: Resident, N: 10, C: 1, Median: 4, Status: OK},
		{Loss: "mse", Device: "cuda:0", Mode: Fwd, Path: Resident, N: 10, C: 1, Median: 0.5, Status: OK},
		{Loss: "mse", Device: "cuda:0", Mode: Fwd, Path: Copy, N: 10, C: 1, Median: 2, Status: OK},
		{Loss: "mse", Device: "cuda:0", Mode: FwdBwd, Path: Resident, N: 10, C: 1, Median: 1, Status: OK}, // no cpu row
	}
	for i := range rs {
		rs[i].Speedup = math.NaN()
	}
	fillSpeedups(rs)
	for i, want := range []float64{1, 8, 2, math.NaN()} {
		if got := rs[i].Speedup; got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("row %d speedup = %g, want %g", i, got, want)
		}
	}
}

func TestWriteCompare(t *testing.T) {
	ours := []Result{{Loss: "mse", Device: "cpu", Mode: Fwd, Path: Resident, N: 1024, C: 1, Median: 0.001, Status: OK},
		{Loss: "huber", Device: "cpu", Mode: Fwd, Path: Resident, N: 1024, C: 1, Median: 0.001, Status: OK}}
	peers := []Result{{Loss: "mse", Device: "torch-cpu", Mode: Fwd, Path: Resident, N: 1024, C: 1, Median: 0.002, Status: OK},
		{Loss: "mse", Device: "torch-cpu", Mode: Fwd, Path: Resident, N: 2048, C: 1, Median: 0.002, Status: OK}} // no such case here
	var buf bytes.Buffer
	if err := WriteCompare(&buf, ours, peers); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// torch 2 ms over gloss 1 ms: a ratio of 2.
	if !strings.Contains(out, "2.00×") || strings.Contains(out, "huber") || strings.Contains(out, "2048") {
		t.Errorf("WriteCompare output:\n%s", out)
	}
}

func TestCheck(t *testing.T) {
	tol := loss.Tol{Abs: 1e-5, Rel: 1e-4}
	c := Check{Tol: tol}
	c.Value("value", 1.00005, 1) // |d| = 5e-5 ≤ 1e-5 + 1e-4
	Slice(&c, "grad", []float32{1, float32(math.NaN()), float32(math.Inf(1))}, []float64{1, math.NaN(), math.Inf(1)})
	if err := c.Err(); err != nil {
		t.Errorf("matching values reported: %v", err)
	}
	Slice(&c, "grad", []float32{0, 2}, []float64{0, 2.001})
	Slice(&c, "hess", []float32{1}, []float64{1, 2})
	if c.Bad != 2 || !strings.Contains(c.First, "grad[1]") {
		t.Errorf("Check found %d mismatches, first %q; want 2, the first at grad[1]", c.Bad, c.First)
	}
	if math.Abs(c.MaxErr-0.001) > 1e-6 {
		t.Errorf("MaxErr = %g, want 0.001", c.MaxErr)
	}
}

// testDevice wraps the cpu device under another name and kind; it can lack a kernel or
// return a wrong value, to exercise the harness's skip and validation paths.
type testDevice struct {
	device.Device
	name    string
	missing string  // a kernel it does not have
	offset  float64 // added to every Sums[0]
}

func (d *testDevice) Info() device.Info {
	in := d.Device.Info()
	in.Name, in.Kind, in.Description = d.name, device.OpenCL, "test wrapper of the cpu device"
	return in
}

func (d *testDevice) Supports(kernel string, dt device.DType) bool {
	return kernel != d.missing && d.Device.Supports(kernel, dt)
}

func (d *testDevice) Run(c *device.Call) (device.Sums, error) {
	s, err := d.Device.Run(c)
	if err == nil && len(s) > 0 {
		s[0] += d.offset
	}
	return s, err
}

var registerOnce sync.Once

func registerTestDevices() {
	registerOnce.Do(func() {
		for _, d := range []*testDevice{{name: "benchtest-nomse", missing: "mse"}, {name: "benchtest-wrong", offset: 1e4}} {
			device.Register(d.name, func(string) (device.Device, error) {
				return &testDevice{Device: device.CPU0(), name: d.name, missing: d.missing, offset: d.offset}, nil
			}, func() ([]device.Info, error) { return nil, nil })
		}
	})
}

func tinyConfig() Config {
	cfg := QuickConfig()
	cfg.Sizes = []SizeSpec{{Elems: 4096}}
	cfg.Timing = Timing{Repeats: 2, MinSample: 0, Budget: 0}
	cfg.CeilingBytes = 1 << 20
	return cfg
}

// A tiny quick run on the cpu device: every case validated, timed and summarised.
func TestRunCPU(t *testing.T) {
	cfg := tinyConfig()
	cfg.Losses = []string{"cross_entropy", "mse", "auc"}
	cfg.Devices = []string{"cpu"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// One copy row, then cross_entropy (fwd, fwd_bwd, inplace), mse (fwd, fwd_bwd, hess,
	// inplace), auc (fwd).
	if len(rep.Results) != 9 {
		t.Fatalf("%d result rows, want 9: %+v", len(rep.Results), rep.Results)
	}
	if r := rep.Results[0]; r.Loss != CopyLoss || !(r.GBs > 0) || r.Bytes != 2<<20 {
		t.Errorf("copy row = %+v, want %s with 2 MiB moved and a bandwidth", r, CopyLoss)
	}
	for _, r := range rep.Results[1:] {
		sp := spec(t, r.Loss)
		if r.Status != OK || r.Device != "cpu" || r.Path != Resident {
			t.Errorf("%s %s: status %s (%s), device %s, path %s", r.Loss, r.Mode, r.Status, r.Note, r.Device, r.Path)
			continue
		}
		if want := Bytes(sp, r.Mode, r.N, r.C, 4, false, false); r.Bytes != want {
			t.Errorf("%s %s: bytes %d, want %d", r.Loss, r.Mode, r.Bytes, want)
		}
		if !(r.Median > 0) || r.P20 > r.Median || r.P80 < r.Median || !(r.GBs > 0) || !(r.PctCeiling > 0) || r.Speedup != 1 {
			t.Errorf("%s %s: median %g p20 %g p80 %g GB/s %g %%copy %g speedup %g", r.Loss, r.Mode, r.Median, r.P20, r.P80, r.GBs, r.PctCeiling, r.Speedup)
		}
		if r.MaxErr > sp.Tol32.Abs+sp.Tol32.Rel {
			t.Errorf("%s %s: max error %g beyond its tolerance", r.Loss, r.Mode, r.MaxErr)
		}
		if r.Commit == "" || r.Runtime == "" || r.Time == "" || r.DeviceName == "" {
			t.Errorf("%s %s: missing metadata %+v", r.Loss, r.Mode, r)
		}
	}
	var tbl, png bytes.Buffer
	if err := WriteTable(&tbl, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cross_entropy", "fwd_bwd", "copy bandwidth"} {
		if !strings.Contains(tbl.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tbl.String())
		}
	}
	if err := WritePlot(&png, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png.Bytes(), []byte("\x89PNG")) {
		t.Errorf("WritePlot did not write a PNG (%d bytes)", png.Len())
	}
}

// A device without a kernel is skipped with a note; a device whose value is wrong is reported
// Invalid and not timed; the copy path runs on non-cpu devices.
func TestRunSkipsAndValidates(t *testing.T) {
	registerTestDevices()
	cfg := tinyConfig()
	cfg.Losses = []string{"mse"}
	cfg.Modes = []Mode{Fwd}
	cfg.Devices = []string{"benchtest-nomse", "benchtest-wrong", "cpu"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var noted bool
	for _, n := range rep.Notes {
		noted = noted || strings.Contains(n, "benchtest-nomse") && strings.Contains(n, "no mse kernel")
	}
	if !noted {
		t.Errorf("no note for the device without an mse kernel: %q", rep.Notes)
	}
	var wrong, cpu int
	for _, r := range rep.Results {
		switch {
		case r.Loss == CopyLoss:
		case r.Device == "benchtest-nomse":
			t.Errorf("a row for a device without the kernel: %+v", r)
		case r.Device == "benchtest-wrong":
			wrong++
			if r.Status != Invalid || !math.IsNaN(r.Median) || !strings.Contains(r.Note, "value") {
				t.Errorf("wrong device's %s row: status %s, median %g, note %q; want invalid, untimed", r.Path, r.Status, r.Median, r.Note)
			}
		case r.Device == "cpu":
			cpu++
			if r.Status != OK {
				t.Errorf("cpu row: %+v", r)
			}
		}
	}
	if wrong != 2 || cpu != 1 {
		t.Errorf("%d rows for the wrong device (want resident and copy), %d for the cpu (want 1)", wrong, cpu)
	}
	if Failures(rep.Results) != 2 {
		t.Errorf("Failures = %d, want 2", Failures(rep.Results))
	}
}

func TestRunErrors(t *testing.T) {
	cfg := tinyConfig()
	cfg.Losses = []string{"no_such_loss"}
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrUnknownLoss) {
		t.Errorf("unknown loss: err = %v, want ErrUnknownLoss", err)
	}
	cfg.Losses = []string{"mse"}
	cfg.Devices = []string{"no-such-device"}
	if _, err := Run(context.Background(), cfg); !errors.Is(err, device.ErrUnknown) {
		t.Errorf("unknown device: err = %v, want device.ErrUnknown", err)
	}
	cfg.Devices = []string{"cpu"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: err = %v, want context.Canceled", err)
	}
}

func TestPrepare(t *testing.T) {
	registerTestDevices()
	l, err := loss.New("huber")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := Prepare(device.CPU0(), l, Hess, Size{1000, 1}, device.F32, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Free()
	if pc.Bytes != 16000 || pc.Size != (Size{1000, 1}) { // 2·1000·4 read + 2·1000·4 written
		t.Errorf("Prepare: bytes %d, size %v; want 16000, 1000×1", pc.Bytes, pc.Size)
	}
	if err := pc.Call(); err != nil {
		t.Errorf("Call: %v", err)
	}
	wrong, err := device.Open("benchtest-wrong")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(wrong, l, Fwd, Size{100, 1}, device.F32, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Prepare on a wrong device: err = %v, want ErrInvalid", err)
	}
	nomse, err := device.Open("benchtest-nomse")
	if err != nil {
		t.Fatal(err)
	}
	mse, _ := loss.New("mse")
	if _, err := Prepare(nomse, mse, Fwd, Size{100, 1}, device.F32, 1); !errors.Is(err, device.ErrUnsupported) {
		t.Errorf("Prepare without a kernel: err = %v, want device.ErrUnsupported", err)
	}
}
