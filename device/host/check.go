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
// float64. Chunks of checkChunk elements run on all cores, each through a vector primitive
// that stops at its first failure (the rest of a chunk, under 16 elements, and the portable
// level by scanFirst); the least failing index wins.
func Find32(s []float32, kind CheckKind, lo, hi float64) int {
	if len(s) == 0 {
		return -1
	}
	var p [8]float32
	switch kind {
	case CheckRange:
		// v ≥ lo ⇔ v ≥ the least float32 ≥ lo, and likewise for hi.
		p[0], p[1] = up32(lo), down32(hi)
		if math.IsInf(lo, -1) {
			p[2] = 1
		}
		if math.IsInf(hi, 1) {
			p[3] = 1
		}
	case CheckFinite, CheckSign, CheckBinary:
	default:
		return scanFirst(s, kind, p, 0)
	}
	nchunks := (len(s) + checkChunk - 1) / checkChunk
	first := make([]int, nchunks)
	work := func(k int) {
		lo := k * checkChunk
		first[k] = find32Chunk(s[lo:min(lo+checkChunk, len(s))], kind, p, lo)
	}
	workers := min(runtime.GOMAXPROCS(0), nchunks)
	if workers <= 1 {
		for k := range nchunks {
			work(k)
			if first[k] >= 0 {
				return first[k]
			}
		}
		return -1
	}
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
	for _, f := range first {
		if f >= 0 {
			return f
		}
	}
	return -1
}

// find32Chunk returns off plus the index of the first element of s that fails, or −1: the
// vector primitives over the first len(s) − len(s) mod 16 elements, scanFirst over the rest.
func find32Chunk(s []float32, kind CheckKind, p [8]float32, off int) int {
	m := len(s) &^ 15
	lvl := simdLevel()
	if m == 0 || lvl == 0 {
		return scanFirst(s, kind, p, off)
	}
	var j int
	switch kind {
	case CheckRange:
		loInf, hiInf := p[2] != 0, p[3] != 0
		if lvl == 2 {
			j = checkRangeAVX512(&s[0], m, p[0], p[1], loInf, hiInf)
		} else {
			j = checkRangeAVX2(&s[0], m, p[0], p[1], loInf, hiInf)
		}
	case CheckFinite:
		if lvl == 2 {
			j = checkFiniteAVX512(&s[0], m)
		} else {
			j = checkFiniteAVX2(&s[0], m)
		}
	case CheckSign:
		if lvl == 2 {
			j = checkSignAVX512(&s[0], m)
		} else {
			j = checkSignAVX2(&s[0], m)
		}
	case CheckBinary:
		if lvl == 2 {
			j = checkBinaryAVX512(&s[0], m)
		} else {
			j = checkBinaryAVX2(&s[0], m)
		}
	}
	if j >= 0 {
		return off + j
	}
	return scanFirst(s[m:], kind, p, off+m)
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
