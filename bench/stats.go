package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Percentile returns the p-quantile (p in [0, 1]) of sorted samples by linear interpolation
// between the closest ranks: position p·(n−1), NumPy's default ("linear") method. NaN for
// no samples.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	p = min(max(p, 0), 1)
	pos := p * float64(n-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, n-1)
	f := pos - float64(lo)
	return sorted[lo] + f*(sorted[hi]-sorted[lo])
}

// Stats summarises repeated timings, in seconds.
type Stats struct {
	Median, P20, P80 float64
	Samples          int
}

// Summarize returns the median, 20th and 80th percentiles of samples (seconds).
func Summarize(samples []float64) Stats {
	s := slices.Clone(samples)
	slices.Sort(s)
	return Stats{Median: Percentile(s, 0.5), P20: Percentile(s, 0.2), P80: Percentile(s, 0.8), Samples: len(s)}
}

// Timing says how a case is timed.
type Timing struct {
	// Repeats is the number of samples taken (at most).
	Repeats int
	// MinSample is the least time one sample lasts: calls shorter than that are repeated
	// within a sample, and the sample is the mean call time.
	MinSample time.Duration
	// Budget stops sampling once it is spent and at least MinRepeats samples are taken.
	Budget time.Duration
}

// MinRepeats is the fewest samples a case takes, whatever its budget.
const MinRepeats = 3

// Measure times fn: one warm-up call, then up to t.Repeats samples of k calls each, k chosen
// from the warm-up so that a sample lasts at least t.MinSample. It returns the seconds per
// call of each sample, and the first error fn returns.
func Measure(ctx context.Context, fn func() error, t Timing) ([]float64, error) {
	start := time.Now()
	if err := fn(); err != nil {
		return nil, err
	}
	first := time.Since(start)
	k := 1
	if first < t.MinSample {
		k = int(min(int64(t.MinSample/max(first, time.Microsecond))+1, 1<<20))
	}
	reps := max(t.Repeats, 1)
	samples := make([]float64, 0, reps)
	begin := time.Now()
	for len(samples) < reps {
		if err := ctx.Err(); err != nil {
			return samples, err
		}
		s := time.Now()
		for range k {
			if err := fn(); err != nil {
				return samples, err
			}
		}
		samples = append(samples, time.Since(s).Seconds()/float64(k))
		if len(samples) >= min(MinRepeats, reps) && time.Since(begin) > t.Budget {
			break
		}
	}
	return samples, nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// fmtDuration writes seconds with a unit that keeps three significant digits.
func fmtDuration(s float64) string {
	switch {
	case math.IsNaN(s) || s <= 0:
		return "-"
	case s < 1e-6:
		return fmt.Sprintf("%.0fns", s*1e9)
	case s < 1e-3:
		return fmt.Sprintf("%.3gµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.3gms", s*1e3)
	}
	return fmt.Sprintf("%.3gs", s)
}
