package cuda

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/device/plan"
	"github.com/gloss-ml/gloss/internal/cu"
	kc "github.com/gloss-ml/gloss/kernels/cuda"
)

func (d *cudaDevice) caps() plan.Caps {
	return plan.Caps{Name: d.name, F64: true, ScaleOnDevice: true}
}

// Supports reports whether the device has kernels for a loss stem, or a check, in dtype dt.
func (d *cudaDevice) Supports(kernel string, dt device.DType) bool {
	return plan.Supports(d.caps(), kernel, dt)
}

// Run executes one call through the launch plan, on the device's goroutine.
func (d *cudaDevice) Run(c *device.Call) (device.Sums, error) {
	var sums device.Sums
	err := d.do(func() error {
		var err error
		sums, err = plan.Run(&call{d: d}, c)
		return err
	})
	return sums, err
}

// Find runs a check kernel and returns the first failing index, or -1.
func (d *cudaDevice) Find(ck *device.Check) (int, error) {
	first := 0
	err := d.do(func() error {
		var err error
		first, err = plan.Find(&call{d: d}, ck)
		return err
	})
	return first, err
}

// call is plan.Backend on this device for one call: it runs on the device's goroutine, and its
// scratch regions are the device's, kept between calls.
type call struct {
	d *cudaDevice
}

func (b *call) Caps() plan.Caps { return b.d.caps() }

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Layout lays a launch out on the GPU: the flat kernels in blocks of kc.Block threads, each
// thread a chunk (Vectors) or an item (Items) per step; the row kernels as rowLayout says;
// InfoNCE's kernels a block per row (Pairs). Grids are as many blocks as can be resident (at
// most the work), so they depend on the problem size and the device only.
func (b *call) Layout(l *plan.Launch) error {
	d := b.d
	k, err := d.fn(l.DType, l.Kernel)
	if err != nil {
		return err
	}
	full := int64(d.sms * d.resident(k, kc.Block, 0))
	l.Local, l.Shared, l.Geo, l.Flags = kc.Block, 0, 0, 0
	var grid int64
	switch l.Shape {
	case plan.Vectors:
		grid = ceilDiv(ceilDiv(l.N, int64(kc.VecBytes/l.DType.Size())), kc.Block)
		if aligned(l.Bufs) {
			l.Flags = 1
		}
	case plan.Items:
		grid = ceilDiv(l.N, kc.Block)
	case plan.Pairs:
		grid = l.N
	case plan.Single:
		grid = 1
	case plan.Rows:
		d.rowLayout(k, l)
		return nil
	default:
		return fmt.Errorf("%w: %s: %s: launch shape %d", device.ErrUnsupported, d.name, l.Kernel, l.Shape)
	}
	l.Groups = int(max(1, min(grid, full)))
	l.Workers = int64(l.Groups)
	return nil
}

// aligned reports whether every buffer present starts at a 16-byte boundary.
func aligned(bs []device.Buffer) bool {
	for _, b := range bs {
		if cb, ok := b.(*buffer); ok && cb != nil && uint64(cb.ptr)%kc.VecBytes != 0 {
			return false
		}
	}
	return true
}

// rowLayout picks the group size, block, grid and staging of a row kernel: a row of at most
// 256 chunks (C ≤ 1024 floats or 512 doubles) goes to a slice of a warp of ⌈C/chunk⌉ lanes
// rounded up to a power of two (at most 32: up to 8 chunks per lane; 256-thread blocks hold
// 256/slice rows); a longer row to a whole block of up to MaxRowBlock threads, about 8 chunks
// per thread. A row is staged in shared memory when the kernel reads it more than once
// (l.Stage) and it fits, the limit raised from the kernel's own (48 KiB less its static shared
// memory) as far as the device allows. The grid is as many blocks as can be resident (at most
// the rows' groups, and at most l.MaxWorkers groups in all), so it depends on C, the rows and
// the device only.
func (d *cudaDevice) rowLayout(k *kfn, l *plan.Launch) {
	size := int64(l.DType.Size())
	vn := kc.VecBytes / size
	chunks := max(ceilDiv(l.C, vn), 1)
	maxBlock := min(kc.MaxRowBlock, k.maxBlock) / 32 * 32
	gs, block, gpb := int64(0), 0, int64(1)
	if chunks <= 32*8 && (l.MaxWorkers == 0 || l.MaxWorkers >= int64(kc.Block)) {
		gs = 1
		for gs < chunks && gs < 32 {
			gs *= 2
		}
		block = min(kc.Block, maxBlock)
		gpb = int64(block) / gs
	} else {
		t := (ceilDiv(chunks, 8) + 31) / 32 * 32
		block = int(min(max(t, 64), int64(maxBlock)))
	}
	smem := 0
	if l.Stage > 0 {
		cpad := ceilDiv(l.C, vn) * vn
		bytes := gpb * int64(l.Stage) * cpad * size
		if bytes+int64(k.staticSM) <= int64(d.occ.smemOptin) && bytes <= int64(d.occ.smemSM)-int64(k.staticSM) {
			smem = int(bytes) // Launch raises the kernel's limit to it first, and reports a failure
		}
	}
	vec := (l.C*size)%kc.VecBytes == 0 && aligned(l.Bufs)
	grid := min(ceilDiv(l.N, gpb), int64(d.sms*d.resident(k, block, smem)))
	if l.MaxWorkers > 0 {
		grid = min(grid, max(1, l.MaxWorkers/gpb))
	}
	l.Groups, l.Local, l.Shared, l.Geo = int(max(grid, 1)), block, smem, gs
	l.Workers = int64(l.Groups) * gpb
	l.Flags = 0
	if smem > 0 {
		l.Flags |= 1
	}
	if vec {
		l.Flags |= 2
	}
}

// Scratch makes region r at least bytes long.
func (b *call) Scratch(r plan.Region, bytes int64) error {
	return b.d.scratch[r].ensure(b.d, bytes)
}

// Launch checks the argument list against the kernel's compiled parameters (abi.txt) and
// launches it on the device's stream.
func (b *call) Launch(l *plan.Launch, args []plan.Arg) error {
	d := b.d
	k, err := d.fn(l.DType, l.Kernel)
	if err != nil {
		return err
	}
	want, ok := kc.ABI(l.Kernel, l.DType == device.F64)
	got := abiKinds(plan.Kinds(args))
	if !ok || got != want {
		return fmt.Errorf("%w: %s: launch of %s with parameters %q, the kernel takes %q (kernels/cuda/abi.txt)",
			device.ErrDriver, d.name, l.Kernel, got, want)
	}
	v := make([]uint64, 0, len(got))
	for i, a := range args {
		switch a.Kind {
		case plan.ArgBuf:
			if a.Buf == nil {
				v = append(v, 0)
				continue
			}
			cb, err := d.buf(a.Buf, fmt.Sprintf("argument %d of %s", i, l.Kernel))
			if err != nil {
				return err
			}
			v = append(v, uint64(cb.ptr))
		case plan.ArgScratch:
			v = append(v, uint64(d.scratch[a.Region].ptr))
		case plan.ArgInt:
			v = append(v, uint64(a.I))
		case plan.ArgReal:
			v = append(v, f64bits(a.F))
		case plan.ArgParams:
			for _, p := range a.P {
				v = append(v, f64bits(p))
			}
		}
	}
	if l.Shared > k.dynSmemOK {
		if err := d.setDynSmem(k, l.Shared); err != nil {
			return err
		}
	}
	if err := k.fn.Launch([3]int{l.Groups, 1, 1}, [3]int{l.Local, 1, 1}, l.Shared, d.stream, v); err != nil {
		return d.drv(fmt.Sprintf("launching %s (grid %d, block %d, %d bytes of shared memory)", l.Kernel, l.Groups, l.Local, l.Shared), err)
	}
	return nil
}

// abiKinds turns the plan's kinds (p pointer, i integer, f double) into abi.txt's (u, f).
func abiKinds(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'p' || c == 'i' {
			b[i] = 'u'
		}
	}
	return string(b)
}

// ReadAcc reads n accumulators (doubles on CUDA) of region r, after the stream's work.
func (b *call) ReadAcc(r plan.Region, n int, _ device.DType) ([]float64, error) {
	out := make([]float64, n)
	return out, b.read(r, unsafe.Pointer(unsafe.SliceData(out)), int64(n)*8)
}

// ReadI64 reads n int64 values of region r, after the stream's work.
func (b *call) ReadI64(r plan.Region, n int) ([]int64, error) {
	out := make([]int64, n)
	return out, b.read(r, unsafe.Pointer(unsafe.SliceData(out)), int64(n)*8)
}

func (b *call) read(r plan.Region, p unsafe.Pointer, bytes int64) error {
	if bytes == 0 {
		return nil
	}
	d := b.d
	var pin runtime.Pinner
	pin.Pin(p)
	defer pin.Unpin()
	if err := cu.MemcpyDtoHAsync(p, d.scratch[r].ptr, bytes, d.stream); err != nil {
		return d.drv("copying the results back", err)
	}
	return d.sync("the kernels")
}

// resident returns how many blocks of k, with block threads and smem bytes of dynamic shared
// memory, fit on one multiprocessor at once (at least 1), from the device's limits and the
// kernel's registers and static shared memory: the smallest of the block limit, the thread
// limit, the register file (allocated per warp in units of 256 registers) and the shared
// memory (with the driver's reserve per block).
func (d *cudaDevice) resident(k *kfn, block, smem int) int {
	return residentBlocks(d.occ, k.regs, k.staticSM+smem, block)
}

// residentBlocks is resident's arithmetic: regs registers per thread, smem bytes of shared
// memory per block (static and dynamic), block threads. A limit the driver reported as 0 is
// taken as unknown (32 blocks, the sm_70–sm_90 block limit, when that one is).
func residentBlocks(o occupancy, regs, smem, block int) int {
	warps := (block + 31) / 32
	n := 32
	if o.blocksSM > 0 {
		n = o.blocksSM
	}
	if o.threadsSM > 0 {
		n = min(n, o.threadsSM/(warps*32))
	}
	if regs > 0 && o.regsSM > 0 {
		perWarp := (regs*32 + 255) / 256 * 256
		n = min(n, o.regsSM/perWarp/warps)
	}
	if smem > 0 && o.smemSM > 0 {
		n = min(n, o.smemSM/(smem+o.smemReserve))
	}
	return max(n, 1)
}
