package cu

import (
	"strings"
	"testing"
	"unsafe"
)

// fakeDriver serves the few calls the fault layer's test makes; any other call panics (nil
// driver).
type fakeDriver struct {
	driver
	next   uint64
	freed  int
	synced int
}

func (f *fakeDriver) memAlloc(p *uint64, bytes uint64) Result {
	f.next += 256
	*p = f.next
	return Success
}
func (f *fakeDriver) memFree(p uint64) Result { f.freed++; return Success }
func (f *fakeDriver) streamCreate(s *unsafe.Pointer, flags uint32) Result {
	*s = unsafe.Pointer(new(byte))
	return Success
}
func (f *fakeDriver) memcpyDtoHAsync(dst unsafe.Pointer, src uint64, bytes uint64, s unsafe.Pointer) Result {
	return Success
}
func (f *fakeDriver) streamSynchronize(s unsafe.Pointer) Result { f.synced++; return Success }
func (f *fakeDriver) primaryCtxRetain(ctx *unsafe.Pointer, d int32) Result {
	*ctx = unsafe.Pointer(new(byte))
	return Success
}
func (f *fakeDriver) primaryCtxRelease(d int32) Result { return Success }

// TestFaults checks the fault layer over a fake driver: it counts calls, fails the chosen one
// with the chosen result (a failed allocation leaves nothing live), still performs a failing
// free or synchronisation, keeps what the driver holds (host copies until a synchronisation of
// their stream), and reports a free of what is not live.
func TestFaults(t *testing.T) {
	fake := &fakeDriver{}
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
	var ctx, s unsafe.Pointer
	if f.primaryCtxRetain(&ctx, 0) != Success || f.streamCreate(&s, 0) != Success {
		t.Fatal("the fake failed")
	}
	f.FailAt(1, ErrorOutOfMemory)
	var p uint64
	if r := f.memAlloc(&p, 64); r != ErrorOutOfMemory || p != 0 {
		t.Errorf("the armed cuMemAlloc_v2 gave %d and %#x, want CUDA_ERROR_OUT_OF_MEMORY and nothing", r, p)
	}
	if got := f.Disarm(); got != "cuMemAlloc_v2" {
		t.Errorf("Disarm = %q, want cuMemAlloc_v2", got)
	}
	if f.memAlloc(&p, 64) != Success || f.memcpyDtoHAsync(nil, p, 8, s) != Success {
		t.Fatal("the fake failed")
	}
	if l := f.Live(); l != (Live{Contexts: 1, Allocations: 1, Streams: 1, HostCopies: 1}) || f.Calls() != 5 {
		t.Errorf("after 5 calls: %v, %d calls", l, f.Calls())
	}
	// A failing synchronisation still waits; a failing free still frees.
	f.FailAt(1, ErrorInvalidValue)
	if r := f.streamSynchronize(s); r != ErrorInvalidValue || fake.synced != 1 {
		t.Errorf("failing cuStreamSynchronize: %d after %d waits", r, fake.synced)
	}
	f.FailAt(1, ErrorInvalidValue)
	if r := f.memFree(p); r != ErrorInvalidValue || fake.freed != 1 {
		t.Errorf("failing cuMemFree_v2: %d after %d frees", r, fake.freed)
	}
	if l := f.Live(); l != (Live{Contexts: 1, Streams: 1}) {
		t.Errorf("after the wait and the free: %v: %v", l, f.LiveObjects())
	}
	// Freeing again is a problem.
	f.memFree(p)
	f.primaryCtxRelease(0)
	f.primaryCtxRelease(0)
	if pr := f.Problems(); len(pr) != 2 || !strings.Contains(pr[0], "cuMemFree_v2") || !strings.Contains(pr[1], "without a retain") {
		t.Errorf("Problems = %q, want a double free and a release without a retain", pr)
	}
	f.Remove()
	if impl != driver(fake) {
		t.Error("Remove did not restore the driver")
	}
}
