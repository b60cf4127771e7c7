package cuda_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cu"
	"github.com/gloss-ml/gloss/loss"
	"github.com/gloss-ml/gloss/losstest"
)

// TestEmulated runs the CUDA backend end to end on the host, against the emulated driver of
// internal/cudaemu (make cuda-emu): the binding, the launch plan, parameter packing and launch
// geometry are the real ones, and the kernels are the real kernel source compiled for the host
// under an emulation of the CUDA execution model. It checks numbers, not speed. When the CUDA
// device this process opens is the emulator (GLOSS_LIBCUDA names it), it runs there; else it
// runs itself in a child process with GLOSS_LIBCUDA naming build/cuda-emu/libcuda.so.1, and
// skips saying so when that is not built (fails under GLOSS_REQUIRE_CUDA_EMU=1, which CI sets).
//
// The emulator runs every thread of a block as a fibre: the whole conformance suite
// (TestConformance, which GLOSS_CUDAEMU_FULL=1 lets run on the emulator) takes minutes, nearly all
// of them InfoNCE's N²·D on its larger shapes. The conformance subtest runs the suite's cases
// but those: every loss and metric with a CUDA kernel, float32 and float64, each parameter
// variant, the suite's option sets (weights and class weights, ignored rows, in place, the Sum
// and Mean reductions, every mode: value; gradients; the Hessian of elementwise losses) and its
// shapes, which have several blocks (4099 elements; 300 rows), rows longer than a block (C =
// 3000 and 50257, whole-block groups; C = 12000 in float32 stages 47 KiB of shared memory, over
// the 48 KiB limit less the kernel's static shared memory), rows shorter than a warp (C = 3, 5,
// 7), C = 1, and InfoNCE with at most 33 rows. The parameter edges run whole (their shapes are
// small).
func TestEmulated(t *testing.T) {
	dev, why := openEmulated()
	if dev == nil {
		if os.Getenv("GLOSS_TEST_CHILD") == "cuda-emulated" {
			t.Fatalf("the child cannot open the emulated driver %s: %s", os.Getenv(cu.EnvLibrary), why)
		}
		emulatedChild(t, why)
		return
	}
	t.Cleanup(func() {
		if err := dev.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Logf("%s: %s", dev.Info().Name, dev.Info().Description)
	launched := filepath.Join(t.TempDir(), "launched")
	t.Setenv("GLOSS_CUDAEMU_TRACE", launched) // the emulated driver lists each kernel it ran there
	t.Run("conformance", func(t *testing.T) { emulatedConformance(t, dev) })
	t.Run("special", func(t *testing.T) { losstest.Special(t, dev) })
	for _, dt := range []device.DType{device.F32, device.F64} { // every parameter at both ends of its domain
		t.Run("edges/"+dt.String(), func(t *testing.T) { losstest.Edges(t, dev, dt) })
	}
	t.Run("find", func(t *testing.T) { emulatedFind(t, dev) })
	t.Run("bad-labels", func(t *testing.T) { emulatedBadLabels(t, dev) })
	t.Run("unaligned", func(t *testing.T) { unaligned(t, dev) }) // the emulator faults on misaligned vector accesses
	t.Run("every-kernel", func(t *testing.T) { everyKernelLaunched(t, launched) })
}

// everyKernelLaunched checks that the tests above launched every kernel of both fatbins, as
// kernels/cuda/abi.txt lists them ("f32 NAME ..."), but the dtype markers gloss_real_*, which
// are never launched, and the float64 module's check_labels (labels are int32 in either dtype:
// the plan runs the float32 module's): the emulated driver wrote "f32 NAME" or "f64 NAME" to
// the file launched for each kernel that ran without a fault.
func everyKernelLaunched(t *testing.T, launched string) {
	abi, err := os.ReadFile(filepath.Join("..", "..", "kernels", "cuda", "abi.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(launched)
	if err != nil {
		t.Fatalf("the emulated driver wrote no launch record (GLOSS_CUDAEMU_TRACE): %v", err)
	}
	ran := map[string]bool{}
	for _, l := range strings.Split(string(got), "\n") {
		ran[strings.TrimSpace(l)] = true
	}
	var missed []string
	total := 0
	for _, l := range strings.Split(string(abi), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[1], "gloss_real_") || f[0]+" "+f[1] == "f64 check_labels" {
			continue
		}
		total++
		if k := f[0] + " " + f[1]; !ran[k] {
			missed = append(missed, k)
		}
	}
	if total == 0 {
		t.Fatal("abi.txt lists no kernels")
	}
	if len(missed) > 0 {
		t.Errorf("%d of the %d kernels of the fatbins never ran on the emulator: %s", len(missed), total, strings.Join(missed, ", "))
	}
	t.Logf("%d kernels ran (%d in the fatbins)", len(ran)-1, total)
}

// EnvEmuFull set to 1 lets the tests written for a GPU (the whole conformance suite, ...) run on
// the emulator too; by default they skip there.
const EnvEmuFull = "GLOSS_CUDAEMU_FULL"

// emulatorName is the device name the emulated driver reports.
const emulatorName = "gloss CUDA emulator"

// openEmulated opens the CUDA device if it is the emulator, or says why not.
func openEmulated() (device.Device, string) {
	dev, err := device.Open("cuda")
	if err != nil {
		return nil, err.Error()
	}
	if !strings.Contains(dev.Info().Description, emulatorName) {
		desc := dev.Info().Description
		dev.Close()
		return nil, "the CUDA device is " + desc + ", not the emulator"
	}
	return dev, ""
}

// emulatedChild runs TestEmulated in a child process on the emulated driver.
func emulatedChild(t *testing.T, why string) {
	lib, err := filepath.Abs(emuLibrary)
	if err == nil {
		_, err = os.Stat(lib)
	}
	if err != nil {
		msg := fmt.Sprintf("the CUDA device is not the emulator (%s), and the emulator is not built (%v): make cuda-emu builds it", why, err)
		if os.Getenv(EnvRequireEmu) == "1" {
			t.Fatalf("%s=1: %s", EnvRequireEmu, msg)
		}
		t.Skipf("%s (set %s=1 to make this fail)", msg, EnvRequireEmu)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmulated$", "-test.v", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), "GLOSS_TEST_CHILD=cuda-emulated", cu.EnvLibrary+"="+lib, "GLOSS_CUDAEMU_QUIET=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestEmulated ") {
		t.Fatalf("on the CUDA emulator (%s): %v\n%s", lib, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "--- ") && strings.Count(line, "/") <= 2 || strings.Contains(l, emulatorName) {
			t.Log(l)
		}
	}
}

type emuShape struct{ n, c int }

// emulatedShapes are the shapes of a loss in TestEmulatedConformance.
func emulatedShapes(s loss.Spec) []emuShape {
	var sh []emuShape
	switch {
	case s.Family == device.Elementwise:
		sh = []emuShape{{0, 1}, {1, 1}, {7, 3}, {1000, 1}, {257, 5}, {4099, 1}}
	case s.Name == "info_nce":
		sh = []emuShape{{0, 3}, {1, 1}, {1, 5}, {7, 3}, {33, 16}}
	default:
		sh = []emuShape{{0, 3}, {1, 1}, {1, 5}, {7, 3}, {33, 130}, {5, 1000}, {300, 7}, {3, 3000}}
	}
	if s.Name == "cross_entropy" {
		sh = append(sh, emuShape{2, 12000}, emuShape{3, 50257})
	}
	var out []emuShape
	for _, x := range sh {
		if x.c >= s.MinCols || x.n == 0 {
			out = append(out, emuShape{x.n, max(x.c, s.MinCols)})
		}
	}
	return out
}

type emuOption struct {
	name                           string
	opts                           loss.Options
	weights, classWeights, ignored bool
}

func emulatedOptions(s loss.Spec) []emuOption {
	if s.Family == device.Metric {
		return []emuOption{{name: "plain"}, {name: "weighted", weights: true, ignored: true}}
	}
	grad := loss.Options{Grad: true, Hessian: s.Hessian}
	sum := loss.Options{Grad: true, Reduction: loss.Sum} // the _fwd_bwd kernels of losses with a Hessian
	return []emuOption{
		{name: "mean", opts: loss.Options{}},
		{name: "mean-grad-weighted", opts: grad, weights: true, classWeights: true, ignored: true},
		{name: "sum-grad", opts: sum, weights: true},
		{name: "none-grad-inplace", opts: loss.Options{Reduction: loss.None, Grad: true, InPlace: true, Hessian: s.Hessian}, ignored: true},
	}
}

// emulatedConformance checks every kernel of the catalog on the emulated GPU against the cpu
// reference, on the documented subset of the conformance cases, and that two identical calls
// give the same bits.
func emulatedConformance(t *testing.T, dev device.Device) {
	seed := uint64(time.Now().UnixNano())
	for _, s := range loss.Catalog() {
		if !dev.Supports(s.Name, device.F32) {
			if s.Name != "auc" {
				t.Errorf("%s: the CUDA device does not support it", s.Name)
			}
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			for _, dt := range []device.DType{device.F32, device.F64} {
				t.Run(dt.String(), func(t *testing.T) {
					for pi, ps := range append([][]loss.Param{nil}, losstest.Variants(s.Name)...) {
						l, err := loss.New(s.Name, ps...)
						if err != nil {
							t.Fatal(err)
						}
						for _, sh := range emulatedShapes(s) {
							for oi, op := range emulatedOptions(s) {
								if pi > 0 && oi > 1 {
									continue
								}
								cs := seed + uint64(pi*1000+oi*100+sh.n*7+sh.c)
								b := loss.Generate(l, rand.New(rand.NewPCG(cs, 17)), sh.n, sh.c, op.weights, op.classWeights, op.ignored)
								c := losstest.Case{Name: fmt.Sprintf("%v/n=%d,c=%d/%s", l, sh.n, sh.c, op.name), Seed: cs, Loss: l,
									Batch: b, Options: op.opts}
								if dt == device.F32 {
									losstest.Check[float32](t, dev, c)
								} else {
									losstest.Check[float64](t, dev, c)
								}
							}
						}
					}
					l, _ := loss.New(s.Name)
					sh := emulatedShapes(s)[len(emulatedShapes(s))-1]
					op := emulatedOptions(s)[1]
					b := loss.Generate(l, rand.New(rand.NewPCG(seed, 5)), sh.n, sh.c, op.weights, op.classWeights, op.ignored)
					c := losstest.Case{Name: fmt.Sprintf("%v/twice", l), Seed: seed, Loss: l, Batch: b, Options: op.opts}
					if dt == device.F32 {
						losstest.Twice[float32](t, dev, c)
					} else {
						losstest.Twice[float64](t, dev, c)
					}
				})
			}
		})
	}
}

// emulatedFind runs every check kernel over several blocks: the first failing index is the cpu
// device's (device.Check's definition), wherever the bad value is.
func emulatedFind(t *testing.T, dev device.Device) {
	r := rand.New(rand.NewPCG(3, 4))
	inf := math.Inf(1)
	for _, n := range []int{1, 9, 70001} {
		for _, dt := range []device.DType{device.F32, device.F64} {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = float64(r.IntN(2))
			}
			vals[r.IntN(n)] = []float64{math.NaN(), inf, -inf, 0.5, -1}[r.IntN(5)]
			buf := upload(t, dev, dt, vals)
			for _, ck := range []device.Check{{Kind: device.CheckRange, Lo: 0, Hi: 1}, {Kind: device.CheckRange, Lo: -inf, Hi: 0.3},
				{Kind: device.CheckFinite}, {Kind: device.CheckSign}, {Kind: device.CheckBinary}} {
				ck.N = n
				ck.Buf = device.Wrap(vals)
				want, _ := device.CPU0().Find(&ck)
				ck.Buf = buf
				if got, err := dev.Find(&ck); err != nil || got != want {
					t.Errorf("%v check %d of %d: %d (%v), want %d", dt, ck.Kind, n, got, err, want)
				}
			}
		}
		labels := make([]int32, n)
		for i := range labels {
			labels[i] = int32(r.IntN(5))
		}
		labels[r.IntN(n)] = 7
		lb, err := dev.Alloc(device.I32, n)
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Free(lb)
		if err := dev.Write(lb, 0, labels); err != nil {
			t.Fatal(err)
		}
		ck := device.Check{Kind: device.CheckLabels, N: n, Lo: 0, Hi: 5, Ignore: -100, Buf: device.Wrap(labels)}
		want, _ := device.CPU0().Find(&ck)
		ck.Buf = lb
		if got, err := dev.Find(&ck); err != nil || got != want {
			t.Errorf("label check of %d: %d (%v), want %d", n, got, err, want)
		}
	}
}

func upload(t *testing.T, dev device.Device, dt device.DType, v []float64) device.Buffer {
	t.Helper()
	b, err := dev.Alloc(dt, len(v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Free(b) })
	var src any = v
	if dt == device.F32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		src = f
	}
	if err := dev.Write(b, 0, src); err != nil {
		t.Fatal(err)
	}
	return b
}

// emulatedBadLabels: labels outside a kernel's range are an error from the kernels themselves
// (a call built by hand, which package loss would have refused), never numbers.
func emulatedBadLabels(t *testing.T, dev device.Device) {
	x := upload(t, dev, device.F32, []float64{1, 2, 3, 4, 5, 6})
	g, err := dev.Alloc(device.F32, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Free(g)
	for _, labels := range [][]int32{{0, 3}, {-1, 0}} {
		lb, err := dev.Alloc(device.I32, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Free(lb)
		if err := dev.Write(lb, 0, labels); err != nil {
			t.Fatal(err)
		}
		for _, byDenom := range []bool{false, true} {
			c := &device.Call{Kernel: "cross_entropy", Family: device.Rowwise, DType: device.F32, N: 2, C: 3, X: x, Labels: lb,
				Ignore: -100, Denom: device.DenomLabel, Scale: 1, ScaleByDenom: byDenom, GX: g}
			if _, err := dev.Run(c); !errors.Is(err, device.ErrBuffer) {
				t.Errorf("labels %v (Mean's scale on the device %v): %v, want ErrBuffer", labels, byDenom, err)
			}
		}
	}
}
