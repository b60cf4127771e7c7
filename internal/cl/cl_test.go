package cl

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestErrorNames(t *testing.T) {
	// Names and codes from the Khronos cl.h (OpenCL 1.2 and the ICD extension).
	for code, want := range map[int32]string{
		0: "CL_SUCCESS", -5: "CL_OUT_OF_RESOURCES", -11: "CL_BUILD_PROGRAM_FAILURE",
		-46: "CL_INVALID_KERNEL_NAME", -54: "CL_INVALID_WORK_GROUP_SIZE", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
		-9999: "CL_UNKNOWN_ERROR",
	} {
		if got := ErrorName(code); got != want {
			t.Errorf("ErrorName(%d) = %q, want %q", code, got, want)
		}
	}
	e := &Error{Call: "clFinish", Code: -36}
	if got := e.Error(); got != "clFinish: CL_INVALID_COMMAND_QUEUE (-36)" {
		t.Errorf("Error() = %q", got)
	}
}

// firstDevice returns a context and queue on the first device, or skips (fails when
// GLOSS_REQUIRE_OPENCL=1).
func firstDevice(t *testing.T) (Device, *Context, *Queue) {
	t.Helper()
	fail := func(err error) {
		t.Helper()
		if os.Getenv("GLOSS_REQUIRE_OPENCL") == "1" {
			t.Fatalf("GLOSS_REQUIRE_OPENCL=1 but no OpenCL device: %v", err)
		}
		t.Skipf("no OpenCL device: %v", err)
	}
	ps, err := Platforms()
	if err != nil || len(ps) == 0 {
		fail(err)
	}
	var dev Device
	found := false
	for _, p := range ps {
		ds, err := p.Devices(DeviceTypeAll)
		if err == nil && len(ds) > 0 {
			dev, found = ds[0], true
			break
		}
	}
	if !found {
		fail(errors.New("no device on any platform"))
	}
	ctx, err := CreateContext(dev)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ctx.CreateQueue(dev, true)
	if err != nil {
		ctx.Release()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		q.Release()
		ctx.Release()
	})
	return dev, ctx, q
}

// TestRoundTrip builds a kernel, runs it over a buffer and a sub-buffer, and reads back.
func TestRoundTrip(t *testing.T) {
	dev, ctx, q := firstDevice(t)
	for _, f := range []func() (string, error){dev.Name, dev.Version, dev.DriverVersion, dev.Extensions} {
		if s, err := f(); err != nil || s == "" {
			t.Errorf("device string %q, %v", s, err)
		}
	}
	align, err := dev.MemBaseAddrAlign()
	if err != nil || align < 8 {
		t.Fatalf("MemBaseAddrAlign = %d bits, %v", align, err)
	}
	src := "__kernel void axpb(__global float *x, const float a, const double b) {\n" +
		"\tx[get_global_id(0)] = a * x[get_global_id(0)] + (float)b;\n}\n"
	p, err := ctx.CreateProgramWithSource("#line 1 \"axpb.cl\"\n", src)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	if err := p.Build(dev, ""); err != nil {
		t.Skipf("the first device cannot build a kernel with a double argument: %v", err)
	}
	names, err := p.KernelNames()
	if err != nil || len(names) != 1 || names[0] != "axpb" {
		t.Errorf("KernelNames = %v, %v", names, err)
	}
	k, err := p.CreateKernel("axpb")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Release()
	const n = 1024
	m, err := ctx.CreateBuffer(MemReadWrite, 4*n)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i)
	}
	if err := Write(q, m, 0, x); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgBuffer(0, m); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgFloat32(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgFloat64(2, 1); err != nil {
		t.Fatal(err)
	}
	ev, err := q.RunEvent(k, n, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Wait(); err != nil {
		t.Error(err)
	}
	if ns, err := ev.Duration(); err != nil || ns < 0 {
		t.Errorf("Duration = %d, %v", ns, err)
	}
	ev.Release()
	// Again over the second half through a sub-buffer (its origin aligned).
	off := max(align/8, 4*n/2)
	sub, err := m.SubBuffer(MemReadWrite, off, 4*n-off)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Release()
	if err := k.SetArgBuffer(0, sub); err != nil {
		t.Fatal(err)
	}
	if err := q.Run(k, (4*n-off)/4, 1); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, n)
	if err := Read(q, m, 0, got); err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		want := 2*float32(i) + 1
		if 4*i >= off {
			want = 2*want + 1
		}
		if g != want {
			t.Fatalf("x[%d] = %v, want %v", i, g, want)
		}
	}
	// Errors carry the status and the call.
	if _, err := p.CreateKernel("nope"); err == nil || !strings.Contains(err.Error(), "CL_INVALID_KERNEL_NAME") {
		t.Errorf("CreateKernel(nope) = %v, want CL_INVALID_KERNEL_NAME", err)
	}
	if _, err := m.SubBuffer(MemReadWrite, 1, 4); err == nil {
		t.Error("a sub-buffer at byte 1 was accepted")
	}
	if err := q.Run(k, 3, 2); err == nil {
		t.Error("a global size that is not a multiple of the local size was accepted")
	}
	bad, err := ctx.CreateProgramWithSource(src)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Release()
	err = bad.Build(dev, "-not-an-option")
	var be *BuildError
	if !errors.As(err, &be) || be.Err.Code != InvalidBuildOptions {
		t.Errorf("build with a bad option: %v, want CL_INVALID_BUILD_OPTIONS", err)
	}
}
