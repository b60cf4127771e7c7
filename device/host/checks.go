package host

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Input checks on the host engine: the cpu device's Find. Each check returns the first index
// that fails it, over chunks of ElemChunk on every core (the answer does not depend on the
// thread count: it is the least failing index), float32 inputs by SIMD compares.

// CheckKind selects a check; it mirrors device.CheckKind.
type CheckKind uint8

// The checks (device.CheckKind's values). Every float check fails NaN.
const (
	CheckLabels CheckKind = iota + 1 // int32 in [Lo, Hi) or equal to Ignore
	CheckRange                       // Lo ≤ v ≤ Hi
	CheckFinite                      // v finite
	CheckSign                        // v = −1 or +1
	CheckBinary                      // v = 0 or 1
)

// FindFloat returns the first index of x that fails the check (Lo, Hi for CheckRange), or −1.
// CheckRange's ±Inf values pass exactly when the corresponding bound is infinite, as
// device.Check.Valid has it, which for an ordered comparison is Lo ≤ v ≤ Hi itself.
func FindFloat[T Float](x []T, kind CheckKind, lo, hi float64) int {
	switch kind {
	case CheckFinite:
		lo, hi = -math.MaxFloat64, math.MaxFloat64
		kind = CheckRange
	case CheckSign:
		return parFirst(len(x), func(a, b int) int { return firstNotEq2(x[a:b], -1, 1) })
	case CheckBinary:
		return parFirst(len(x), func(a, b int) int { return firstNotEq2(x[a:b], 0, 1) })
	}
	if kind != CheckRange {
		if len(x) > 0 {
			return 0
		}
		return -1
	}
	return parFirst(len(x), func(a, b int) int { return firstOutside(x[a:b], lo, hi) })
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
// (its result is relative to the chunk), or −1.
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

// firstOutside returns the first index with !(lo ≤ x ≤ hi), or −1.
func firstOutside[T Float](x []T, lo, hi float64) int {
	if !isF32[T]() {
		for j, v := range f64s(x) {
			if !(v >= lo && v <= hi) {
				return j
			}
		}
		return -1
	}
	x32 := f32s(x)
	// float32 bounds that select the same values: v ≥ lo ⟺ v ≥ l32, v ≤ hi ⟺ v ≤ h32.
	l32, h32 := float32(lo), float32(hi)
	if float64(l32) < lo {
		l32 = math.Nextafter32(l32, float32(math.Inf(1)))
	}
	if float64(h32) > hi {
		h32 = math.Nextafter32(h32, float32(math.Inf(-1)))
	}
	if float64(l32) < lo || float64(h32) > hi { // lo > MaxFloat32 or hi < −MaxFloat32: nothing passes
		if len(x32) > 0 {
			return 0
		}
		return -1
	}
	m := len(x32) &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			if j := rangeFirstAVX512(&x32[0], m, l32, h32); j >= 0 {
				return j
			}
		case 1:
			if j := rangeFirstAVX2(&x32[0], m, l32, h32); j >= 0 {
				return j
			}
		default:
			m = 0
		}
	}
	for j, v := range x32[m:] {
		if !(v >= l32 && v <= h32) {
			return m + j
		}
	}
	return -1
}

// firstNotEq2 returns the first index whose value is neither a nor b, or −1.
func firstNotEq2[T Float](x []T, a, b T) int {
	if !isF32[T]() {
		for j, v := range x {
			if v != a && v != b {
				return j
			}
		}
		return -1
	}
	x32 := f32s(x)
	a32, b32 := float32(a), float32(b)
	m := len(x32) &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			if j := eq2FirstAVX512(&x32[0], m, a32, b32); j >= 0 {
				return j
			}
		case 1:
			if j := eq2FirstAVX2(&x32[0], m, a32, b32); j >= 0 {
				return j
			}
		default:
			m = 0
		}
	}
	for j, v := range x32[m:] {
		if v != a32 && v != b32 {
			return m + j
		}
	}
	return -1
}
