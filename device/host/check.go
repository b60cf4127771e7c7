package host

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// CheckKind is a float input check; the values mirror device.CheckKind.
type CheckKind uint8

// The float checks (device.Check.Valid defines them).
const (
	CheckRange  CheckKind = 2 // lo ≤ v ≤ hi, and ±Inf only where that bound is infinite
	CheckFinite CheckKind = 3
	CheckSign   CheckKind = 4 // v = ±1
	CheckBinary CheckKind = 5 // v = 0 or 1
)

// checkChunk is the number of elements one check kernel call covers.
const checkChunk = 1 << 16

// Find32 returns the index of the first element of s that fails the check, or −1: the
// device.Check.Valid rules on float32 values, with the bounds lo and hi (CheckRange) given in
// float64. A vector kernel counts the failures of each chunk on all cores; only a chunk with
// failures is scanned for the first one.
func Find32(s []float32, kind CheckKind, lo, hi float64) int {
	if len(s) == 0 {
		return -1
	}
	var run func(*kargs)
	var p [8]float32
	switch kind {
	case CheckRange:
		run = checkRangeRun
		// v ≥ lo ⇔ v ≥ the least float32 ≥ lo, and likewise for hi.
		p[0], p[1] = up32(lo), down32(hi)
		if math.IsInf(lo, -1) {
			p[2] = 1
		}
		if math.IsInf(hi, 1) {
			p[3] = 1
		}
	case CheckFinite:
		run = checkFiniteRun
	case CheckSign:
		run = checkSignRun
	case CheckBinary:
		run = checkBinaryRun
	default:
		return scanFirst(s, kind, p, 0)
	}
	nchunks := (len(s) + checkChunk - 1) / checkChunk
	first := make([]int, nchunks)
	work := func(k int) {
		lo := k * checkChunk
		hi := min(lo+checkChunk, len(s))
		a := &kargs{x: s[lo:hi], n: hi - lo, p: p}
		run(a)
		first[k] = -1
		if lanes(a.sums[:8]) != 0 {
			first[k] = scanFirst(s[lo:hi], kind, p, lo)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), nchunks)
	if workers <= 1 {
		for k := range nchunks {
			work(k)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for k := int(next.Add(1) - 1); k < nchunks; k = int(next.Add(1) - 1) {
					work(k)
				}
			})
		}
		wg.Wait()
	}
	for _, f := range first {
		if f >= 0 {
			return f
		}
	}
	return -1
}

// scanFirst returns off plus the index of the first element of s that fails, or −1.
func scanFirst(s []float32, kind CheckKind, p [8]float32, off int) int {
	for i, v := range s {
		fin := v-v == 0
		var ok bool
		switch kind {
		case CheckRange:
			ok = v >= p[0] && v <= p[1] && (fin || p[2] != 0 && v < 0 || p[3] != 0 && v > 0)
		case CheckFinite:
			ok = fin
		case CheckSign:
			ok = v == 1 || v == -1
		case CheckBinary:
			ok = v == 0 || v == 1
		}
		if !ok {
			return off + i
		}
	}
	return -1
}

// up32 is the least float32 ≥ v; down32 the greatest float32 ≤ v (±Inf beyond the range).
func up32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

func down32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}
