package plan

import (
	"math"
	"slices"

	"github.com/gloss-ml/gloss/device"
)

// Recorder is a Backend without a device, for tests: it lays every launch out in a few groups,
// records the launches with their arguments and the scratch sizes, and answers reads with Acc
// and I64 (zeros, and "no failure" for checks, when they are nil). The tests of package plan
// use it, and so do the backends' tests that check the plan's argument lists against their
// compiled kernels.
type Recorder struct {
	C        Caps
	Groups   int // groups per launch (at most N; default 3)
	Launches []Recorded
	Sizes    [NumRegions]int64
	// Acc returns what a read of n accumulators of region r gives (nil: zeros).
	Acc func(r Region, n int) []float64
	// I64 returns what a read of n int64s of region r gives (nil: math.MaxInt64 each).
	I64 func(r Region, n int) []int64
}

// Recorded is one launch as the plan made it.
type Recorded struct {
	Launch Launch
	Args   []Arg
}

func (r *Recorder) Caps() Caps { return r.C }

func (r *Recorder) Layout(l *Launch) error {
	g := int64(r.Groups)
	if g <= 0 {
		g = 3
	}
	if l.Shape == Single {
		g = 1
	}
	g = max(1, min(g, l.N))
	if l.MaxWorkers > 0 {
		g = min(g, l.MaxWorkers)
	}
	l.Groups, l.Workers, l.Local, l.Geo, l.Flags = int(g), g, 1, max(1, (l.N+g-1)/g), 0
	return nil
}

func (r *Recorder) Scratch(reg Region, bytes int64) error {
	r.Sizes[reg] = max(r.Sizes[reg], bytes)
	return nil
}

func (r *Recorder) Launch(l *Launch, args []Arg) error {
	r.Launches = append(r.Launches, Recorded{Launch: *l, Args: slices.Clone(args)})
	return nil
}

func (r *Recorder) ReadAcc(reg Region, n int, _ device.DType) ([]float64, error) {
	if r.Acc != nil {
		return r.Acc(reg, n), nil
	}
	return make([]float64, n), nil
}

func (r *Recorder) ReadI64(reg Region, n int) ([]int64, error) {
	if r.I64 != nil {
		return r.I64(reg, n), nil
	}
	v := make([]int64, n)
	for i := range v {
		v[i] = math.MaxInt64
	}
	return v, nil
}

// Kernels lists the recorded launches' kernels, in order.
func (r *Recorder) Kernels() []string {
	var s []string
	for _, l := range r.Launches {
		s = append(s, l.Launch.Kernel)
	}
	return s
}
