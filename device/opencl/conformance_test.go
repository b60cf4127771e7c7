package opencl_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/opencl"
	"github.com/gloss-ml/gloss/loss"
	"github.com/gloss-ml/gloss/losstest"
)

// EnvRequire set to 1 (CI sets it) makes a missing OpenCL platform a test failure instead of
// a skip.
const EnvRequire = "GLOSS_REQUIRE_OPENCL"

var (
	devOnce sync.Once
	dev     *opencl.Device
	devErr  error
)

// openDev returns the shared test device (the default selector), or skips (fails when
// GLOSS_REQUIRE_OPENCL=1) when there is none.
func openDev(t testing.TB) *opencl.Device {
	t.Helper()
	devOnce.Do(func() { dev, devErr = opencl.Open("") })
	if devErr != nil {
		unavailable(t, devErr)
	}
	return dev
}

// unavailable skips (or, under GLOSS_REQUIRE_OPENCL=1, fails) a test that has no device.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s=1 but no OpenCL device: %v", EnvRequire, err)
	}
	t.Skipf("no OpenCL device (set %s=1 to make this fail): %v", EnvRequire, err)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dev != nil {
		dev.Close()
	}
	os.Exit(code)
}

// TestConformance is the conformance suite on the default device.
func TestConformance(t *testing.T) {
	losstest.Run(t, openDev(t))
}

// layoutLosses are the losses TestConformanceLayouts runs: every kernel driver and every
// kernel with its own reduction (elementwise with per-row and per-column weights, rows with
// labels and three inputs, info_nce, each metric), not the whole catalog, whose kernels PoCL
// would compile once more per layout (about 0.3 s each on a cold cache).
var layoutLosses = []string{"mse", "bce_with_logits", "focal", "cross_entropy", "cross_entropy_probs", "corn",
	"triplet", "dice", "info_nce", "accuracy", "f1", "macro_f1", "calibration"}

// TestConformanceLayouts checks the other layouts on the same device against the reference:
// sums in compensated float32 (what a device without fp64 does) and the GPU's grid-stride
// layout with work-groups of 64, over layoutLosses and the checks.
func TestConformanceLayouts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the default layout is enough")
	}
	openDev(t)
	for _, l := range []struct {
		name         string
		acc32, strid bool
		wg           int
	}{{"acc32", true, false, 0}, {"strided", false, true, 64}} {
		t.Run(l.name, func(t *testing.T) {
			d, err := opencl.OpenWith("", l.acc32, l.strid, l.wg)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if wg, _, strided, acc64 := d.Layout(); strided != l.strid || acc64 == l.acc32 || l.wg != 0 && wg != l.wg {
				t.Fatalf("layout: wg %d, strided %v, acc64 %v", wg, strided, acc64)
			}
			dts := []device.DType{device.F32}
			if d.Info().FP64 && !l.acc32 { // acc32 changes only the float32 program
				dts = append(dts, device.F64)
			}
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
			for _, name := range layoutLosses {
				lo, err := loss.New(name)
				if err != nil {
					t.Fatal(err)
				}
				spec, _ := loss.Lookup(name)
				opts := []loss.Options{{}}
				if spec.Family != device.Metric {
					opts = []loss.Options{{Grad: true, Hessian: spec.Hessian}, {Reduction: loss.None, Grad: true}}
				}
				for _, sh := range [][2]int{{1, 3}, {300, 7}, {70, 130}, {4099, 1}, {3, 5000}} {
					if spec.Family != device.Elementwise && sh[1] < spec.MinCols || name == "info_nce" && sh[0] > 300 {
						continue // info_nce costs N²·D
					}
					for oi, o := range opts {
						seed := r.Uint64()
						b := loss.Generate(lo, rand.New(rand.NewPCG(seed, 1)), sh[0], sh[1], oi == 0, oi == 0, true)
						c := losstest.Case{Name: fmt.Sprintf("%s/%s/%dx%d/%d", l.name, name, sh[0], sh[1], oi), Seed: seed, Loss: lo, Batch: b, Options: o}
						for _, dt := range dts {
							if dt == device.F32 {
								losstest.Check[float32](t, d, c)
							} else {
								losstest.Check[float64](t, d, c)
							}
						}
					}
				}
			}
		})
	}
}

var _ device.Device = (*opencl.Device)(nil)

// TestLarge is losstest's N·C > 2^31 case (64-bit indexing), run when GLOSS_LARGE=1 on a
// device whose allocations can hold 2^31 float32s (PoCL's cannot: it allows a quarter of
// the host's memory per buffer).
func TestLarge(t *testing.T) {
	d := openDev(t)
	if os.Getenv("GLOSS_LARGE") == "1" && d.MaxAlloc() < 4<<31 {
		t.Skipf("%s allocates at most %d bytes; the N·C > 2^31 case needs a buffer of more than 8 GiB", d.Info().Name, d.MaxAlloc())
	}
	losstest.RunLarge(t, d)
}
