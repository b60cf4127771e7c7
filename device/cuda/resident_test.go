package cuda

import "testing"

// TestResidentBlocks checks the occupancy arithmetic against values of NVIDIA's occupancy
// calculator for an sm_90 multiprocessor (64K registers, 2048 threads, 32 blocks, 228 KiB of
// shared memory with 1 KiB reserved per block).
func TestResidentBlocks(t *testing.T) {
	h100 := occupancy{smemOptin: 227 << 10, smemSM: 228 << 10, smemReserve: 1 << 10, threadsSM: 2048, blocksSM: 32, regsSM: 65536}
	for _, c := range []struct {
		regs, smem, block, want int
	}{
		{32, 0, 256, 8},         // thread limit: 2048/256
		{64, 0, 256, 4},         // registers: 64·32 per warp, 32 warps fit, 8 per block
		{255, 0, 256, 1},        // 255 registers: 8160 per warp → 8 warps fit
		{16, 0, 32, 32},         // block limit
		{32, 48 << 10, 256, 4},  // shared memory: 228/(48+1)
		{32, 100 << 10, 512, 2}, // shared memory: 228/(100+1)
		{32, 300 << 10, 256, 1}, // more than fits: still 1
		{40, 0, 200, 7},         // 200 threads are 7 warps; 40 regs → 1280 per warp: 51 warps fit
	} {
		if got := residentBlocks(h100, c.regs, c.smem, c.block); got != c.want {
			t.Errorf("%d registers, %d bytes shared, %d threads: %d blocks, want %d", c.regs, c.smem, c.block, got, c.want)
		}
	}
	// A driver that reports no limits: the block limit alone.
	if got := residentBlocks(occupancy{}, 32, 1024, 256); got != 32 {
		t.Errorf("no limits known: %d blocks, want 32", got)
	}
}
