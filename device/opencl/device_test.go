package opencl_test

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/opencl"
	"github.com/gloss-ml/gloss/internal/cl"
)

// TestOpen checks the registry entry, the selectors and Info.
func TestOpen(t *testing.T) {
	d := openDev(t)
	info := d.Info()
	if info.Kind != device.OpenCL || !strings.HasPrefix(info.Name, "opencl:") || info.ComputeUnits < 1 || info.MemTotal <= 0 {
		t.Errorf("Info = %+v, want an opencl device with compute units and memory", info)
	}
	r, err := device.Open("opencl")
	if err != nil {
		t.Fatalf(`device.Open("opencl"): %v`, err)
	}
	if r.Info().Name != info.Name {
		t.Errorf(`device.Open("opencl") opened %s, Open("") opened %s`, r.Info().Name, info.Name)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Alloc(device.F32, 4); !errors.Is(err, device.ErrClosed) {
		t.Errorf("Alloc after Close: %v, want ErrClosed", err)
	}
	// info.Name is "opencl:P:D": both selector forms open it.
	p, _, _ := strings.Cut(strings.TrimPrefix(info.Name, "opencl:"), ":")
	for _, sel := range []string{strings.TrimPrefix(info.Name, "opencl:"), p} {
		x, err := opencl.Open(sel)
		if err != nil {
			t.Errorf("Open(%q): %v", sel, err)
			continue
		}
		x.Close()
	}
	for _, sel := range []string{"99", "0:99", "x", "0:y", "-1"} {
		if _, err := opencl.Open(sel); !errors.Is(err, device.ErrNoDevice) {
			t.Errorf("Open(%q) = %v, want ErrNoDevice", sel, err)
		}
	}
	list, err := device.List("opencl")
	if err != nil || len(list) == 0 {
		t.Errorf("List: %v, %v", list, err)
	}
}

// TestBuffers checks Alloc, Write, Read, Copy, Slice and Free, and their errors.
func TestBuffers(t *testing.T) {
	d := openDev(t)
	const n = 1000
	a, err := d.Alloc(device.F32, n)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(a)
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i) + 0.5
	}
	if err := d.Write(a, 0, src); err != nil {
		t.Fatal(err)
	}
	// A view at element 32 (128 bytes: PoCL's base address alignment) reads what was written.
	v, err := d.Slice(a, 32, 100)
	if err != nil {
		t.Fatalf("Slice(32, 100): %v", err)
	}
	got := make([]float32, 100)
	if err := d.Read(got, v, 0); err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		if g != src[32+i] {
			t.Fatalf("view[%d] = %v, want %v", i, g, src[32+i])
		}
	}
	// A view of a view is a view of the allocation.
	vv, err := d.Slice(v, 32, 10)
	if err != nil {
		t.Fatalf("Slice of a view: %v", err)
	}
	one := make([]float32, 1)
	if err := d.Read(one, vv, 3); err != nil || one[0] != src[67] {
		t.Errorf("view of view [3] = %v (%v), want %v", one[0], err, src[67])
	}
	// Writes through a view land in the allocation.
	if err := d.Write(vv, 0, []float32{-1}); err != nil {
		t.Fatal(err)
	}
	if err := d.Read(one, a, 64); err != nil || one[0] != -1 {
		t.Errorf("allocation[64] after a write through a view = %v (%v), want -1", one[0], err)
	}
	if err := d.Free(vv); err != nil {
		t.Errorf("Free(view): %v", err)
	}
	if err := d.Free(vv); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("second Free = %v, want ErrBuffer", err)
	}
	if err := d.Read(one, vv, 0); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("Read of a freed view = %v, want ErrBuffer", err)
	}
	if err := d.Free(v); err != nil {
		t.Errorf("Free(view): %v", err)
	}
	// Copy, and its checks.
	b, err := d.Alloc(device.F32, n)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(b)
	if err := d.Copy(b, a); err != nil {
		t.Fatal(err)
	}
	if err := d.Read(one, b, 999); err != nil || one[0] != src[999] {
		t.Errorf("copy[999] = %v (%v), want %v", one[0], err, src[999])
	}
	c64, err := d.Alloc(device.I32, n)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(c64)
	for _, e := range []struct {
		what string
		err  error
	}{
		{"Copy of another dtype", d.Copy(c64, a)},
		{"Write past the end", d.Write(a, n-1, []float32{1, 2})},
		{"Write of the wrong type", d.Write(a, 0, []float64{1})},
		{"Read past the end", d.Read(make([]float32, 2), a, n-1)},
		{"Read at a negative offset", d.Read(one, a, -1)},
		{"Write of a cpu buffer", d.Write(device.Wrap([]float32{1}), 0, []float32{1})},
		{"Free of a cpu buffer", d.Free(device.Wrap([]float32{1}))},
	} {
		if !errors.Is(e.err, device.ErrBuffer) {
			t.Errorf("%s: %v, want ErrBuffer", e.what, e.err)
		}
	}
	for _, s := range []struct{ off, n int }{{-1, 1}, {0, n + 1}, {n, 1}} {
		if _, err := d.Slice(a, s.off, s.n); !errors.Is(err, device.ErrBuffer) {
			t.Errorf("Slice(%d, %d) = %v, want ErrBuffer", s.off, s.n, err)
		}
	}
	// An offset that breaks the base address alignment (1 float: 4 bytes) is refused, not
	// silently rounded.
	if _, err := d.Slice(a, 1, 10); !errors.Is(err, device.ErrBuffer) || !strings.Contains(err.Error(), "alignment") {
		t.Errorf("Slice(1, 10) = %v, want ErrBuffer about the alignment", err)
	}
	// Empty buffers and views work.
	e, err := d.Alloc(device.F64, 0)
	if err != nil {
		t.Fatalf("Alloc(0): %v", err)
	}
	if err := d.Write(e, 0, []float64{}); err != nil {
		t.Errorf("Write of nothing: %v", err)
	}
	if err := d.Free(e); err != nil {
		t.Errorf("Free(empty): %v", err)
	}
	if ev, err := d.Slice(a, 3, 0); err != nil || ev.Len() != 0 {
		t.Errorf("Slice(3, 0) = %v, %v", ev, err)
	}
	if _, err := d.Alloc(device.F32, -1); !errors.Is(err, device.ErrBuffer) {
		t.Errorf("Alloc(-1) = %v, want ErrBuffer", err)
	}
	// More than the device's largest allocation is ErrOutOfMemory.
	if _, err := d.Alloc(device.F64, math.MaxInt64/16); !errors.Is(err, device.ErrOutOfMemory) {
		t.Errorf("Alloc of 2^59 float64 = %v, want ErrOutOfMemory", err)
	}
}

// TestBuildError checks that a kernel build failure reaches the caller as ErrDriver-free
// *cl.BuildError text with the build log naming the file and line.
func TestBuildError(t *testing.T) {
	d := openDev(t)
	broken := "__kernel void broken(__global float *x) {\n\tx[0] = 1\n}\n"
	_, err := d.BuildForTest(false, "broken.cl", broken)
	if err == nil {
		t.Fatal("building a kernel with a syntax error succeeded")
	}
	var be *cl.BuildError
	if !errors.As(err, &be) || be.Err.Code != cl.BuildProgramFailure {
		t.Fatalf("error %v is not a CL_BUILD_PROGRAM_FAILURE *cl.BuildError", err)
	}
	// The log names the file and the line of the error (line 2: the missing ';').
	if !strings.Contains(be.Log, "broken.cl:2") || !strings.Contains(err.Error(), "CL_BUILD_PROGRAM_FAILURE (-11)") {
		t.Errorf("build error does not name broken.cl:2 and the status:\n%v", err)
	}
}

// TestBinaryCache checks the program binary cache: a second build of the same source loads
// the binary, and a corrupt cached binary is rebuilt from source.
func TestBinaryCache(t *testing.T) {
	d := openDev(t)
	dir := t.TempDir()
	t.Setenv(opencl.EnvCacheDir, dir)
	src := "__kernel void twice(__global float *x) { x[get_global_id(0)] *= 2; }\n"
	cached, err := d.BuildForTest(true, "twice.cl", src)
	if err != nil || cached {
		t.Fatalf("first build: cached %v, %v; want a fresh build", cached, err)
	}
	ents, err := os.ReadDir(dir + "/opencl")
	if err != nil || len(ents) != 1 {
		t.Fatalf("cache directory holds %v (%v), want one binary", ents, err)
	}
	cached, err = d.BuildForTest(true, "twice.cl", src)
	if err != nil || !cached {
		t.Errorf("second build: cached %v, %v; want the cached binary", cached, err)
	}
	if err := os.WriteFile(dir+"/opencl/"+ents[0].Name(), []byte("not a program binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	cached, err = d.BuildForTest(true, "twice.cl", src)
	if err != nil || cached {
		t.Errorf("build over a corrupt binary: cached %v, %v; want a fresh build", cached, err)
	}
}
