package host

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Input checks for float64 inputs and labels on the host engine (float32 inputs: Find32). Each
// returns the first index that fails, over chunks of ElemChunk on every core: the least
// failing index, whatever the thread count.

// Find64 returns the first index of x that fails the check (lo, hi for CheckRange), or −1:
// the device.Check.Valid rules. For an ordered comparison CheckRange's rule on ±Inf (allowed
// only where that bound is infinite) is lo ≤ v ≤ hi itself.
func Find64(x []float64, kind CheckKind, lo, hi float64) int {
	return parFirst(len(x), func(a, b int) int {
		for j, v := range x[a:b] {
			var ok bool
			switch kind {
			case CheckRange:
				ok = v >= lo && v <= hi
			case CheckFinite:
				ok = v-v == 0
			case CheckSign:
				ok = v == 1 || v == -1
			case CheckBinary:
				ok = v == 0 || v == 1
			}
			if !ok {
				return j
			}
		}
		return -1
	})
}

// FindLabels returns the first index of l that is neither in [lo, hi) nor ignore, or −1.
func FindLabels(l []int32, lo, hi float64, ignore int64) int {
	return parFirst(len(l), func(a, b int) int {
		for j, v := range l[a:b] {
			if int64(v) != ignore && !(float64(v) >= lo && float64(v) < hi) {
				return j
			}
		}
		return -1
	})
}

// parFirst runs first over chunks of [0, n) and returns the least index any chunk reports
// (first's result is relative to its chunk), or −1.
func parFirst(n int, first func(lo, hi int) int) int {
	if n <= 0 {
		return -1
	}
	const chunk = ElemChunk
	nchunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), nchunks)
	if workers <= 1 {
		for k := range nchunks {
			lo := k * chunk
			if j := first(lo, min(lo+chunk, n)); j >= 0 {
				return lo + j
			}
		}
		return -1
	}
	found := make([]int, nchunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= nchunks {
					return
				}
				lo := k * chunk
				found[k] = first(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
	for k, j := range found {
		if j >= 0 {
			return k*chunk + j
		}
	}
	return -1
}
