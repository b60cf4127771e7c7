package cuda_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	_ "github.com/gloss-ml/gloss/device/cuda"
	"github.com/gloss-ml/gloss/loss"
	"github.com/gloss-ml/gloss/losstest"
)

// The tests that need a GPU skip with the driver's reason where there is none (CI: the
// NVIDIA driver library is installed, cuInit answers CUDA_ERROR_NO_DEVICE); a GPU host runs
// them (scripts/gpu-check.sh). TestNoGPU and the tests of missing_test.go run everywhere.

func openCUDA(t testing.TB) device.Device {
	t.Helper()
	dev, err := device.Open("cuda")
	if err != nil {
		if !errors.Is(err, device.ErrNoDevice) && !errors.Is(err, device.ErrNotBuilt) {
			t.Fatalf("Open(cuda): %v, want a device or ErrNoDevice", err)
		}
		t.Skip("no CUDA device:", err)
	}
	if strings.Contains(dev.Info().Description, emulatorName) && os.Getenv(EnvEmuFull) != "1" {
		dev.Close()
		t.Skipf("the CUDA device is the emulator, which runs the TestEmulated tests (a subset of these cases) instead; %s=1 runs these too", EnvEmuFull)
	}
	t.Cleanup(func() {
		if err := dev.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return dev
}

// TestConformance checks every loss and metric on the GPU against the cpu reference.
func TestConformance(t *testing.T) {
	dev := openCUDA(t)
	t.Logf("%+v", dev.Info())
	losstest.Run(t, dev)
}

// TestLarge is the N·C > 2^31 cross-entropy (64-bit indexing); it runs with GLOSS_LARGE=1.
func TestLarge(t *testing.T) {
	losstest.RunLarge(t, openCUDA(t))
}

// TestOpenErrors checks the errors of a missing device and of an allocation larger than the
// GPU's memory.
func TestOpenErrors(t *testing.T) {
	for _, name := range []string{"cuda:4096", "cuda:x"} {
		if _, err := device.Open(name); !errors.Is(err, device.ErrNoDevice) && !errors.Is(err, device.ErrNotBuilt) {
			t.Errorf("Open(%q) = %v, want ErrNoDevice (ErrNotBuilt without cgo)", name, err)
		}
	}
	dev := openCUDA(t)
	info := dev.Info()
	if info.Kind != device.CUDA || info.Name != "cuda:0" || !info.FP64 || info.ComputeUnits <= 0 || info.MemTotal <= 0 {
		t.Errorf("Info() = %+v", info)
	}
	if _, err := dev.Alloc(device.F32, int(info.MemTotal)); !errors.Is(err, device.ErrOutOfMemory) {
		t.Errorf("Alloc of %d floats (4× the memory) = %v, want ErrOutOfMemory", info.MemTotal, err)
	}
	b, err := dev.Alloc(device.F32, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Write(b, 5, make([]float32, 6)); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("Write past the end = %v, want ErrBuffer", err)
	}
	if err := dev.Free(b); err != nil {
		t.Errorf("Free: %v", err)
	}
	if err := dev.Free(b); err != nil {
		t.Errorf("second Free: %v", err)
	}
}

// TestUnaligned runs losses on views that start one element into their buffers, so that no
// 16-byte vector access is possible, and requires the same bits as on aligned buffers (whose
// rows are multiples of 16 bytes, so the aligned runs take the vector path): the kernels give
// every element to the same thread either way.
func TestUnaligned(t *testing.T) { unaligned(t, openCUDA(t)) }

func unaligned(t *testing.T, dev device.Device) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		n, c int
	}{{"mse", 10007, 1}, {"bce_with_logits", 1001, 7}, {"cross_entropy", 301, 1000}, {"cross_entropy", 7, 50256},
		{"cross_entropy_probs", 33, 1024}, {"dice", 9, 4096}, {"triplet", 65, 128}} {
		l, err := loss.New(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		b := loss.Generate(l, r, tc.n, tc.c, true, false, false)
		var res [2]loss.Value
		var grads [2][]float32
		for k, off := range []int{0, 1} {
			up := func(v []float64) device.Buffer {
				if v == nil {
					return nil
				}
				full, err := dev.Alloc(device.F32, len(v)+off)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { dev.Free(full) })
				view, err := dev.Slice(full, off, len(v))
				if err != nil {
					t.Fatal(err)
				}
				f := make([]float32, len(v))
				for i, x := range v {
					f[i] = float32(x)
				}
				if err := dev.Write(view, 0, f); err != nil {
					t.Fatal(err)
				}
				return view
			}
			in := loss.Buffers{Rows: b.Rows, Cols: b.Cols, Pred: up(b.Pred), Target: up(b.Target), Aux: up(b.Aux), Weights: up(b.Weights)}
			if b.Labels != nil {
				lb, err := dev.Alloc(device.I32, len(b.Labels))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { dev.Free(lb) })
				if err := dev.Write(lb, 0, b.Labels); err != nil {
					t.Fatal(err)
				}
				in.Labels = lb
			}
			g := up(make([]float64, len(b.Pred)))
			v, err := loss.Run(dev, l, in, loss.Outputs{Grad: g}, loss.Options{})
			if err != nil {
				t.Fatalf("%s offset %d: %v", tc.name, off, err)
			}
			res[k] = v
			grads[k] = make([]float32, len(b.Pred))
			if err := dev.Read(grads[k], g, 0); err != nil {
				t.Fatal(err)
			}
		}
		if math.Float64bits(res[0].Value) != math.Float64bits(res[1].Value) || math.Float64bits(res[0].Weight) != math.Float64bits(res[1].Weight) {
			t.Errorf("%s %d×%d: aligned %v/%v, unaligned %v/%v", tc.name, tc.n, tc.c, res[0].Value, res[0].Weight, res[1].Value, res[1].Weight)
		}
		for i := range grads[0] {
			if math.Float32bits(grads[0][i]) != math.Float32bits(grads[1][i]) {
				t.Errorf("%s %d×%d: grad[%d] aligned %v, unaligned %v", tc.name, tc.n, tc.c, i, grads[0][i], grads[1][i])
				break
			}
		}
	}
}

// BenchmarkLoss times resident forward+gradient (in place) passes on the GPU; the bytes are
// the input read and the gradient written, so -bench prints the achieved bandwidth.
func BenchmarkLoss(b *testing.B) {
	dev := openCUDA(b)
	for _, bc := range []struct {
		name string
		n, c int
	}{
		{"mse", 1 << 28, 1},
		{"bce_with_logits", 1 << 28, 1},
		{"cross_entropy", 8192, 50257},
		{"cross_entropy", 4096, 131072},
		{"cross_entropy", 1 << 20, 1000},
	} {
		b.Run(fmt.Sprintf("%s/n=%d,c=%d", bc.name, bc.n, bc.c), func(b *testing.B) {
			l, err := loss.New(bc.name)
			if err != nil {
				b.Fatal(err)
			}
			sp, _ := loss.Lookup(bc.name)
			elems := bc.n * bc.c
			x, err := dev.Alloc(device.F32, elems)
			if err != nil {
				b.Skip("not enough device memory:", err)
			}
			defer dev.Free(x)
			fill(b, dev, x, elems, 3)
			in := loss.Buffers{Rows: bc.n, Cols: bc.c, Pred: x}
			bytes := int64(elems) * 4 * 2
			if sp.Inputs[1] != "" {
				y, err := dev.Alloc(device.F32, elems)
				if err != nil {
					b.Skip("not enough device memory:", err)
				}
				defer dev.Free(y)
				fill(b, dev, y, elems, 0.5)
				in.Target = y
				bytes += int64(elems) * 4
			}
			if sp.Labels {
				lb, err := dev.Alloc(device.I32, bc.n)
				if err != nil {
					b.Fatal(err)
				}
				defer dev.Free(lb)
				labels := make([]int32, bc.n)
				for i := range labels {
					labels[i] = int32(i * 7919 % bc.c)
				}
				if err := dev.Write(lb, 0, labels); err != nil {
					b.Fatal(err)
				}
				in.Labels = lb
				bytes += int64(bc.n) * 4
			}
			b.SetBytes(bytes)
			b.ResetTimer()
			for range b.N {
				// The in-place gradient overwrites the logits: the values change from one
				// iteration to the next, the work does not.
				if _, err := loss.Run(dev, l, in, loss.Outputs{Grad: x}, loss.Options{Reduction: loss.Sum}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fill writes a deterministic pattern of values in [0, scale) into b, in chunks.
func fill(tb testing.TB, dev device.Device, b device.Buffer, n int, scale float32) {
	tb.Helper()
	const chunk = 1 << 24
	buf := make([]float32, min(n, chunk))
	for off := 0; off < n; off += chunk {
		m := min(chunk, n-off)
		for i := range buf[:m] {
			buf[i] = scale * float32((off+i)*2654435761%1000) / 1000
		}
		if err := dev.Write(b, off, buf[:m]); err != nil {
			tb.Fatal(err)
		}
	}
}
