package cl

import (
	"errors"
	"strings"
	"testing"
	"unsafe"
)

// fakeCL serves the few calls the fault layer's test makes; any other call panics (nil api).
type fakeCL struct {
	api
	released int
	finished int
}

func (f *fakeCL) createContext(devs []unsafe.Pointer, code *int32) unsafe.Pointer {
	*code = Success
	return unsafe.Pointer(new(byte))
}

func (f *fakeCL) createBuffer(c unsafe.Pointer, flags uint64, size uintptr, code *int32) unsafe.Pointer {
	*code = Success
	return unsafe.Pointer(new(byte))
}

func (f *fakeCL) releaseMemObject(m unsafe.Pointer) int32 { f.released++; return Success }
func (f *fakeCL) releaseContext(c unsafe.Pointer) int32   { f.released++; return Success }
func (f *fakeCL) finish(q unsafe.Pointer) int32           { f.finished++; return Success }

// TestFaults checks the fault layer over a fake library: it counts calls, fails the chosen one
// with the chosen code (a failed creation leaves nothing live), still performs a failing
// release or wait, keeps the live objects, and reports a release of what is not live.
func TestFaults(t *testing.T) {
	fake := &fakeCL{}
	saved := impl
	impl = fake
	defer func() { impl = saved }()
	f, err := InstallFaults()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InstallFaults(); err == nil {
		t.Error("a second InstallFaults succeeded")
	}
	ctx, err := CreateContext(Device{})
	if err != nil {
		t.Fatal(err)
	}
	f.FailAt(1, OutOfResources)
	m1, err := ctx.CreateBuffer(MemReadWrite, 64) // call 2: fails
	var ce *Error
	if m1 != nil || !errors.As(err, &ce) || ce.Call != "clCreateBuffer" || ce.Code != OutOfResources {
		t.Errorf("the armed call gave %v, %v; want clCreateBuffer's CL_OUT_OF_RESOURCES", m1, err)
	}
	if got := f.Disarm(); got != "clCreateBuffer" {
		t.Errorf("Disarm = %q, want clCreateBuffer", got)
	}
	m2, err := ctx.CreateBuffer(MemReadWrite, 64)
	if err != nil {
		t.Fatal(err)
	}
	if l := f.Live(); l != (Live{Contexts: 1, Mems: 1}) || f.Calls() != 3 {
		t.Errorf("after 3 calls: %v, %d calls; want 1 context and 1 memory object", l, f.Calls())
	}
	if s := strings.Join(f.LiveObjects(), ", "); !strings.Contains(s, "clCreateBuffer(64 bytes)") {
		t.Errorf("LiveObjects = %s", s)
	}
	// A failing release still releases; a failing wait still waits.
	f.FailAt(1, OutOfHostMemory)
	if err := m2.Release(); !errors.As(err, &ce) || ce.Code != OutOfHostMemory || fake.released != 1 {
		t.Errorf("failing release: %v, %d releases; want the code, and the object released", err, fake.released)
	}
	f.FailAt(1, InvalidValue)
	q := &Queue{unsafe.Pointer(new(byte))}
	if err := q.Finish(); err == nil || fake.finished != 1 {
		t.Errorf("failing clFinish: %v after %d waits", err, fake.finished)
	}
	if f.Disarm() != "clFinish" {
		t.Error("the failed call is not clFinish")
	}
	// A release of what is not live is a problem.
	f.releaseMemObject(unsafe.Pointer(new(byte)))
	if p := f.Problems(); len(p) != 1 || !strings.Contains(p[0], "clReleaseMemObject") {
		t.Errorf("Problems = %q, want one about clReleaseMemObject", p)
	}
	if err := ctx.Release(); err != nil {
		t.Fatal(err)
	}
	if l := f.Live(); l != (Live{}) {
		t.Errorf("after releasing everything: %v: %v", l, f.LiveObjects())
	}
	f.Remove()
	if impl != api(fake) {
		t.Error("Remove did not restore the library")
	}
}
