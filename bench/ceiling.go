package bench

import (
	"context"
	"fmt"

	"github.com/gloss-ml/gloss/device"
)

// CopyBandwidth measures a device's own copy bandwidth, the ceiling every loss's GB/s is
// compared with: dev.Copy between two float32 buffers of size bytes each (filled first, so
// that no page is untouched), timed like a case. The row's Bytes count what a copy reads plus
// what it writes (2·size), so a loss that reads and writes at the copy's speed scores 100%.
// The size shrinks to a quarter of the device's free memory where that is known and smaller.
func CopyBandwidth(ctx context.Context, dev device.Device, size int64, t Timing) (Result, error) {
	info := dev.Info()
	if info.MemFree > 0 && 4*size > info.MemFree {
		size = info.MemFree / 4
	}
	n := int(max(size/4, 1024))
	row := Result{Loss: CopyLoss, Device: info.Name, Mode: "copy", Path: Resident, N: n, C: 1,
		Bytes: 2 * int64(n) * 4, DeviceName: info.Description, Runtime: GoVersion(), Commit: Commit(), Time: now()}
	src, err := dev.Alloc(device.F32, n)
	if err != nil {
		return row, fmt.Errorf("bench: %s: copy ceiling: %w", info.Name, err)
	}
	defer dev.Free(src)
	dst, err := dev.Alloc(device.F32, n)
	if err != nil {
		return row, fmt.Errorf("bench: %s: copy ceiling: %w", info.Name, err)
	}
	defer dev.Free(dst)
	host := make([]float32, n)
	for i := range host {
		host[i] = float32(i%1000) + 0.5
	}
	if err := dev.Write(src, 0, host); err != nil {
		return row, fmt.Errorf("bench: %s: copy ceiling: %w", info.Name, err)
	}
	if err := dev.Write(dst, 0, host); err != nil {
		return row, fmt.Errorf("bench: %s: copy ceiling: %w", info.Name, err)
	}
	samples, err := Measure(ctx, func() error { return dev.Copy(dst, src) }, t)
	if err != nil {
		return row, fmt.Errorf("bench: %s: copy ceiling: %w", info.Name, err)
	}
	st := Summarize(samples)
	row.Median, row.P20, row.P80 = st.Median, st.P20, st.P80
	row.GBs = float64(row.Bytes) / st.Median / 1e9
	row.PctCeiling, row.Speedup, row.MaxErr = 100, nan, nan
	row.Status = OK
	return row, nil
}
