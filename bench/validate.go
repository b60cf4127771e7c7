package bench

import (
	"fmt"
	"math"

	"github.com/gloss-ml/gloss/loss"
)

// Check compares a device's outputs with cpuref's under a loss's tolerance:
// |got − ref| ≤ Abs + Rel·|ref|, NaN matching NaN and an infinity the same infinity.
// It keeps the largest absolute difference seen and the first mismatch.
type Check struct {
	Tol loss.Tol
	// MaxErr is the largest |got − ref| over the compared finite pairs.
	MaxErr float64
	// Bad counts the mismatches; First describes the first one.
	Bad   int
	First string
}

// Within reports whether got matches ref under tol.
func Within(got, ref float64, tol loss.Tol) bool {
	switch {
	case math.IsNaN(ref) || math.IsNaN(got):
		return math.IsNaN(ref) && math.IsNaN(got)
	case math.IsInf(ref, 0) || math.IsInf(got, 0):
		return got == ref
	}
	return math.Abs(got-ref) <= tol.Abs+tol.Rel*math.Abs(ref)
}

// Value compares one number.
func (c *Check) Value(what string, got, ref float64) { c.value(what, -1, got, ref) }

func (c *Check) value(what string, i int, got, ref float64) {
	if d := math.Abs(got - ref); !math.IsNaN(d) && !math.IsInf(d, 0) {
		c.MaxErr = max(c.MaxErr, d)
	}
	if !Within(got, ref, c.Tol) {
		if c.Bad == 0 {
			if i >= 0 {
				what = fmt.Sprintf("%s[%d]", what, i)
			}
			c.First = fmt.Sprintf("%s = %.9g, cpuref %.9g (tolerance %g + %g·|ref|)", what, got, ref, c.Tol.Abs, c.Tol.Rel)
		}
		c.Bad++
	}
}

// Slice compares two outputs element by element; a length mismatch is one mismatch.
func Slice[T, U loss.Float](c *Check, what string, got []T, ref []U) {
	if len(got) != len(ref) {
		if c.Bad == 0 {
			c.First = fmt.Sprintf("%s has %d elements, cpuref %d", what, len(got), len(ref))
		}
		c.Bad++
		return
	}
	for i := range got {
		c.value(what, i, float64(got[i]), float64(ref[i]))
	}
}

// Err is nil when everything matched, else an error naming the mismatches.
func (c *Check) Err() error {
	if c.Bad == 0 {
		return nil
	}
	return fmt.Errorf("%d value(s) differ from cpuref; first: %s", c.Bad, c.First)
}
