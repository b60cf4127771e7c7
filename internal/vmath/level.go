package vmath

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// Level is one implementation of the kernels.
type Level int

// The levels. Every level computes the same bits: the assembly and the portable Go are
// generated from one description of each kernel (internal/vmath/asm), operation for
// operation, with the same rounding (see the package comment).
const (
	Portable Level = iota // Go, on every CPU and in purego builds
	AVX2                  // amd64 with AVX2 and FMA: 8 lanes
	AVX512                // amd64 with AVX-512F: 16 lanes
)

func (l Level) String() string {
	switch l {
	case Portable:
		return "portable"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// available is the list of levels this machine and build can run, best last.
var available = detect()

var active atomic.Int32

func init() {
	best := available[len(available)-1]
	if s := os.Getenv("GLOSS_SIMD"); s != "" {
		for _, l := range available {
			if strings.EqualFold(s, l.String()) {
				best = l
			}
		}
	}
	active.Store(int32(best))
}

// Available lists the levels this machine (and build) can run: Portable, then AVX2 and
// AVX512 where the CPU has them.
func Available() []Level { return append([]Level(nil), available...) }

// Active returns the level in use: the best available one, or the one the environment
// variable GLOSS_SIMD names (portable, avx2 or avx512), or the one Use set.
func Active() Level { return Level(active.Load()) }

// Use makes l the level every kernel runs at, for tests and benchmarks that compare levels;
// it returns an error if this machine cannot run l. Calls running at the time may finish at
// the previous level.
func Use(l Level) error {
	for _, a := range available {
		if a == l {
			active.Store(int32(l))
			return nil
		}
	}
	return fmt.Errorf("vmath: level %v is not available on this machine (available: %v)", l, available)
}

// simd is the generated dispatchers' view of the active level.
func simd() int { return int(active.Load()) }
