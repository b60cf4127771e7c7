package opencl

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cl"
)

// buffer is an OpenCL buffer, or a view of one (a sub-buffer). A buffer of no elements has
// no memory object.
type buffer struct {
	dev   *Device
	dt    device.DType
	n     int
	mem   *cl.Mem // nil when n == 0
	root  *buffer // the allocation a view belongs to; nil for an allocation
	off   int     // element offset of a view in its root
	freed atomic.Bool
}

func (b *buffer) DType() device.DType { return b.dt }
func (b *buffer) Len() int            { return b.n }

// span returns the allocation b belongs to and b's byte range in it.
func (b *buffer) span() (root *buffer, lo, hi int64) {
	root, off := b, 0
	if b.root != nil {
		root, off = b.root, b.off
	}
	size := int64(b.dt.Size())
	return root, int64(off) * size, int64(off+b.n) * size
}

// Overlaps reports whether b and o, buffers of one device, share at least one byte: views of
// one allocation whose byte ranges meet (device.Overlapper).
func (b *buffer) Overlaps(o device.Buffer) bool {
	ob, ok := o.(*buffer)
	if !ok || ob.dev != b.dev || b.n == 0 || ob.n == 0 {
		return false
	}
	r1, lo1, hi1 := b.span()
	r2, lo2, hi2 := ob.span()
	return r1 == r2 && lo1 < hi2 && lo2 < hi1
}

// SameMemory reports whether b and o are the same memory: one allocation, the same start,
// dtype and length (device.Overlapper).
func (b *buffer) SameMemory(o device.Buffer) bool {
	ob, ok := o.(*buffer)
	if !ok || ob.dev != b.dev || ob.dt != b.dt || ob.n != b.n {
		return false
	}
	if b == ob {
		return true
	}
	r1, lo1, _ := b.span()
	r2, lo2, _ := ob.span()
	return r1 == r2 && lo1 == lo2
}

// isOOM reports whether an allocation failure means the memory is not there.
func isOOM(err error) bool {
	var ce *cl.Error
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.Code {
	case cl.MemObjectAllocationFailure, cl.OutOfResources, cl.OutOfHostMemory, cl.InvalidBufferSize:
		return true
	}
	return false
}

// Alloc returns a buffer of n elements of dt (contents unspecified).
func (d *Device) Alloc(dt device.DType, n int) (device.Buffer, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	if dt.Size() == 0 {
		return nil, fmt.Errorf("%w: %s: alloc of dtype %v", device.ErrBuffer, d.info.Name, dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: %s: alloc of %d elements", device.ErrBuffer, d.info.Name, n)
	}
	b := &buffer{dev: d, dt: dt, n: n}
	if n == 0 {
		return b, nil
	}
	size := int64(n) * int64(dt.Size())
	if size > d.maxAlloc {
		return nil, fmt.Errorf("%w: %s: %d %v (%d bytes) exceed the device's largest allocation, %d bytes", device.ErrOutOfMemory, d.info.Name, n, dt, size, d.maxAlloc)
	}
	m, err := d.ctx.CreateBuffer(cl.MemReadWrite, int(size))
	if err != nil {
		if isOOM(err) {
			return nil, fmt.Errorf("%w: %s: alloc of %d %v: %w", device.ErrOutOfMemory, d.info.Name, n, dt, err)
		}
		return nil, d.driverErr(fmt.Sprintf("alloc of %d %v", n, dt), err)
	}
	b.mem = m
	d.liveMu.Lock()
	d.live[b] = struct{}{}
	d.liveMu.Unlock()
	return b, nil
}

// Free releases a buffer (a view releases only itself). Freeing nil is a no-op; freeing twice
// is an error.
func (d *Device) Free(bb device.Buffer) error {
	if bb == nil {
		return nil
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	b, ok := bb.(*buffer)
	if !ok || b.dev != d {
		return fmt.Errorf("%w: %s: free of %T, not a buffer of this device", device.ErrBuffer, d.info.Name, bb)
	}
	if b.freed.Swap(true) {
		return fmt.Errorf("%w: %s: buffer freed twice", device.ErrBuffer, d.info.Name)
	}
	d.liveMu.Lock()
	delete(d.live, b)
	d.liveMu.Unlock()
	if err := b.mem.Release(); err != nil {
		return d.driverErr("free", err)
	}
	return nil
}

// own checks that b is a live buffer of this device (nil passes as nil).
func (d *Device) own(bb device.Buffer, what string) (*buffer, error) {
	if bb == nil {
		return nil, nil
	}
	b, ok := bb.(*buffer)
	if !ok || b.dev != d {
		return nil, fmt.Errorf("%w: %s: %s is %T, not a buffer of this device", device.ErrBuffer, d.info.Name, what, bb)
	}
	if b.freed.Load() {
		return nil, fmt.Errorf("%w: %s: %s was freed", device.ErrBuffer, d.info.Name, what)
	}
	return b, nil
}

// hostSlice checks a host slice against a buffer's dtype and returns its length.
func hostSlice(h any, dt device.DType) (int, error) {
	n, err := device.HostLen(h)
	if err != nil {
		return 0, err
	}
	ok := false
	switch h.(type) {
	case []float32:
		ok = dt == device.F32
	case []float64:
		ok = dt == device.F64
	case []int32:
		ok = dt == device.I32
	}
	if !ok {
		return 0, fmt.Errorf("%w: host slice %T does not match a buffer of %v", device.ErrBuffer, h, dt)
	}
	return n, nil
}

// Write copies src into dst at element off.
func (d *Device) Write(dst device.Buffer, off int, src any) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	b, err := d.own(dst, "Write destination")
	if err != nil || b == nil {
		return errors.Join(err, nilBuf(b, "Write"))
	}
	n, err := hostSlice(src, b.dt)
	if err != nil {
		return err
	}
	if !inBounds(off, n, b.n) {
		return fmt.Errorf("%w: %s: write of %d elements at %d into a buffer of %d", device.ErrBuffer, d.info.Name, n, off, b.n)
	}
	if n == 0 {
		return nil
	}
	bo := off * b.dt.Size()
	switch s := src.(type) {
	case []float32:
		err = cl.Write(d.q, b.mem, bo, s)
	case []float64:
		err = cl.Write(d.q, b.mem, bo, s)
	case []int32:
		err = cl.Write(d.q, b.mem, bo, s)
	}
	if err != nil {
		return d.driverErr("write", err)
	}
	return nil
}

// Read copies len(dst) elements of src at element off into dst.
func (d *Device) Read(dst any, src device.Buffer, off int) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	b, err := d.own(src, "Read source")
	if err != nil || b == nil {
		return errors.Join(err, nilBuf(b, "Read"))
	}
	n, err := hostSlice(dst, b.dt)
	if err != nil {
		return err
	}
	if !inBounds(off, n, b.n) {
		return fmt.Errorf("%w: %s: read of %d elements at %d from a buffer of %d", device.ErrBuffer, d.info.Name, n, off, b.n)
	}
	if n == 0 {
		return nil
	}
	bo := off * b.dt.Size()
	switch s := dst.(type) {
	case []float32:
		err = cl.Read(d.q, b.mem, bo, s)
	case []float64:
		err = cl.Read(d.q, b.mem, bo, s)
	case []int32:
		err = cl.Read(d.q, b.mem, bo, s)
	}
	if err != nil {
		return d.driverErr("read", err)
	}
	return nil
}

// inBounds reports whether n elements at off fit in a buffer of size elements, without
// computing off+n (which can overflow).
func inBounds(off, n, size int) bool {
	return off >= 0 && n >= 0 && off <= size && n <= size-off
}

func nilBuf(b *buffer, what string) error {
	if b == nil {
		return fmt.Errorf("%w: %s of a nil buffer", device.ErrBuffer, what)
	}
	return nil
}

// Copy copies all of src into dst on the device (same dtype and length).
func (d *Device) Copy(dst, src device.Buffer) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	db, err := d.own(dst, "Copy destination")
	if err != nil {
		return err
	}
	sb, err := d.own(src, "Copy source")
	if err != nil {
		return err
	}
	if db == nil || sb == nil {
		return fmt.Errorf("%w: %s: copy with a nil buffer", device.ErrBuffer, d.info.Name)
	}
	if db.dt != sb.dt || db.n != sb.n {
		return fmt.Errorf("%w: %s: copy of %d %v into %d %v", device.ErrBuffer, d.info.Name, sb.n, sb.dt, db.n, db.dt)
	}
	if db.n == 0 || db.mem == sb.mem {
		return nil
	}
	if err := d.q.CopyBuffer(sb.mem, db.mem, 0, 0, db.n*db.dt.Size()); err != nil {
		return d.driverErr("copy", err)
	}
	if err := d.q.Finish(); err != nil {
		return d.driverErr("copy", err)
	}
	return nil
}

// Slice returns a view of n elements of b at element off (a sub-buffer). The view's byte
// offset in its allocation must be a multiple of the device's base address alignment
// (CL_DEVICE_MEM_BASE_ADDR_ALIGN: 128 bytes on PoCL, so off a multiple of 32 float32s or 16
// float64s); otherwise the error wraps device.ErrBuffer.
func (d *Device) Slice(bb device.Buffer, off, n int) (device.Buffer, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	b, err := d.own(bb, "Slice source")
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: %s: slice of a nil buffer", device.ErrBuffer, d.info.Name)
	}
	if !inBounds(off, n, b.n) {
		return nil, fmt.Errorf("%w: %s: slice of %d elements at %d of a buffer of %d", device.ErrBuffer, d.info.Name, n, off, b.n)
	}
	root, base := b, off
	if b.root != nil {
		root, base = b.root, b.off+off
	}
	v := &buffer{dev: d, dt: b.dt, n: n, root: root, off: base}
	if n == 0 {
		return v, nil
	}
	origin := base * b.dt.Size()
	if origin%d.align != 0 {
		return nil, fmt.Errorf("%w: %s: slice at element %d is byte offset %d, not a multiple of the device's base address alignment %d bytes", device.ErrBuffer, d.info.Name, base, origin, d.align)
	}
	if root.mem == nil {
		return nil, fmt.Errorf("%w: %s: slice of an empty buffer", device.ErrBuffer, d.info.Name)
	}
	m, err := root.mem.SubBuffer(cl.MemReadWrite, origin, n*b.dt.Size())
	if err != nil {
		var ce *cl.Error
		if errors.As(err, &ce) && ce.Code == cl.MisalignedSubBufferOffset {
			return nil, fmt.Errorf("%w: %s: slice at byte offset %d: %w", device.ErrBuffer, d.info.Name, origin, err)
		}
		return nil, d.driverErr("slice", err)
	}
	v.mem = m
	d.liveMu.Lock()
	d.live[v] = struct{}{}
	d.liveMu.Unlock()
	return v, nil
}

// releaseScratch releases a call's scratch memory when the call ends. A failed release fails
// the call (*err), unless it failed already: the caller returns no results with an error.
func (d *Device) releaseScratch(err *error, ms ...*cl.Mem) {
	for _, m := range ms {
		if rerr := m.Release(); rerr != nil && *err == nil {
			*err = d.driverErr("releasing scratch", rerr)
		}
	}
}
