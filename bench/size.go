package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// Size is one point of a loss's ladder: N rows of C columns (C = 1 for elementwise losses).
type Size struct{ N, C int }

// Elems is N·C, the number of elements of the loss's first input.
func (s Size) Elems() int { return s.N * s.C }

// String is the form benchmark names use, "n=65536,c=1000".
func (s Size) String() string { return fmt.Sprintf("n=%d,c=%d", s.N, s.C) }

// SizeSpec is one rung of the ladder as the user gives it: either a total number of
// elements (Elems > 0; each loss picks its own number of columns, Columns) or an explicit
// N×C (N > 0), used as is, except by elementwise losses of one column, which take N·C rows.
type SizeSpec struct {
	Elems int
	N, C  int
}

func (s SizeSpec) String() string {
	if s.N > 0 {
		return fmt.Sprintf("%dx%d", s.N, s.C)
	}
	return strconv.Itoa(s.Elems)
}

// DefaultLadder is the full run's ladder: 2^12 to 2^24 elements, every factor of 4.
var DefaultLadder = []SizeSpec{{Elems: 1 << 12}, {Elems: 1 << 14}, {Elems: 1 << 16}, {Elems: 1 << 18}, {Elems: 1 << 20}, {Elems: 1 << 22}, {Elems: 1 << 24}}

// QuickLadder is -quick's ladder: 2^16 and 2^20 elements.
var QuickLadder = []SizeSpec{{Elems: 1 << 16}, {Elems: 1 << 20}}

// ParseSizes parses a comma-separated ladder: each entry is a total element count ("1048576",
// "2^20", "1e6") or an explicit rows×columns pair ("65536x1000").
func ParseSizes(s string) ([]SizeSpec, error) {
	var out []SizeSpec
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, b, ok := strings.Cut(strings.ToLower(f), "x"); ok {
			n, err := parseCount(a)
			if err != nil {
				return nil, fmt.Errorf("bench: size %q: rows: %w", f, err)
			}
			c, err := parseCount(b)
			if err != nil {
				return nil, fmt.Errorf("bench: size %q: columns: %w", f, err)
			}
			out = append(out, SizeSpec{N: n, C: c})
			continue
		}
		e, err := parseCount(f)
		if err != nil {
			return nil, fmt.Errorf("bench: size %q: %w", f, err)
		}
		out = append(out, SizeSpec{Elems: e})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: no sizes in %q", s)
	}
	return out, nil
}

// parseCount parses a positive integer written as "4096", "2^12" or "1e6".
func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if b, e, ok := strings.Cut(s, "^"); ok {
		base, err1 := strconv.Atoi(b)
		exp, err2 := strconv.Atoi(e)
		if err1 != nil || err2 != nil || base < 2 || exp < 0 {
			return 0, fmt.Errorf("want an integer, 2^k or 1eK, not %q", s)
		}
		v := math.Pow(float64(base), float64(exp))
		if v > 1<<40 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return int(v), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || v < 1 || v > 1<<40 {
		return 0, fmt.Errorf("want a positive integer, 2^k or 1eK, not %q", s)
	}
	return int(v), nil
}

// Columns is the number of columns a loss is benchmarked with when the ladder gives a total
// element count: 1 for elementwise losses and label-free metrics, 1000 classes for the
// multi-class losses, accuracy and KL divergence (rows of class probabilities), 10 for the other labelled metrics and CORN's ordinal
// tasks, 4096 pixels per mask for the segmentation losses, 128 embedding dimensions for
// triplet and InfoNCE.
func Columns(sp loss.Spec) int {
	switch sp.Name {
	case "dice", "iou", "tversky", "focal_tversky", "bce_dice":
		return 4096
	case "triplet", "info_nce":
		return 128
	case "corn", "macro_f1", "calibration":
		return 10
	case "accuracy", "kl_div":
		return 1000
	}
	switch {
	case sp.Family == device.Elementwise:
		return 1
	case sp.Family == device.Rowwise && sp.Labels:
		return 1000
	case sp.Family == device.Rowwise:
		return 128
	case sp.Labels:
		return 10
	}
	return max(1, sp.MinCols)
}

// MaxRows caps the rows of a loss whose work grows faster than its input: InfoNCE compares
// every query with every key (N²·D), so its rows stop at 4096 (1024 in a quick run).
// 0 means no cap.
func MaxRows(sp loss.Spec, quick bool) int {
	if sp.Name == "info_nce" {
		if quick {
			return 1024
		}
		return 4096
	}
	return 0
}

// Resolve turns a rung of the ladder into the loss's N×C.
func Resolve(sp loss.Spec, s SizeSpec, quick bool) Size {
	var z Size
	switch {
	case s.N > 0 && sp.Family == device.Elementwise && Columns(sp) == 1:
		z = Size{N: s.N * s.C, C: 1}
	case s.N > 0:
		z = Size{N: s.N, C: max(s.C, sp.MinCols)}
	default:
		c := Columns(sp)
		z = Size{N: max(1, s.Elems/c), C: c}
	}
	if m := MaxRows(sp, quick); m > 0 && z.N > m {
		z.N = m
	}
	return z
}
