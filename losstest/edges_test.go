package losstest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// domain is one parameter's domain as package loss enforces it (TestEdgeDomains checks that
// it does), and how far toward each end the parameter sets of the suite must go.
type domain struct {
	kind           byte // 'r' real, 'b' boolean, 'i' integer
	lo, hi         float64
	loOpen, hiOpen bool
	// reach: some parameter set (default, variant or edge) uses a value ≤ reach[0] and one
	// ≥ reach[1]; also lists values inside the domain that must be used too (a margin of 0).
	reach [2]float64
	also  []float64
}

var inf = math.Inf(1)

func realDom(lo, hi float64, loOpen, hiOpen bool, r0, r1 float64, also ...float64) domain {
	return domain{kind: 'r', lo: lo, hi: hi, loOpen: loOpen, hiOpen: hiOpen, reach: [2]float64{r0, r1}, also: also}
}

// pos is (0, ∞) and nonNeg [0, ∞), reached at r0 and r1; any is the whole line.
func pos(r0, r1 float64, also ...float64) domain { return realDom(0, inf, true, true, r0, r1, also...) }
func nonNeg(r1 float64, also ...float64) domain  { return realDom(0, inf, false, true, 0, r1, also...) }
func anyReal(r float64, also ...float64) domain {
	return realDom(-inf, inf, true, true, -r, r, also...)
}
func boolean() domain { return domain{kind: 'b', lo: 0, hi: 1, reach: [2]float64{0, 1}} }
func integer(lo, hi float64) domain {
	return domain{kind: 'i', lo: lo, hi: hi, reach: [2]float64{lo, hi}}
}

// domains lists every parameter of the catalog by "loss/param". Where the reach stops short of
// a finite end the comment says why.
var domains = map[string]domain{
	"huber/delta":        pos(1e-3, 1e3),
	"smooth_l1/beta":     nonNeg(1e3, 1e-3),
	"pseudo_huber/delta": pos(1e-3, 1e3),
	"quantile/tau":       realDom(0, 1, true, true, 1e-6, 1-1e-6),
	"poisson/log_input":  boolean(),
	"poisson/full":       boolean(),
	"poisson/eps":        pos(1e-12, 1e4),
	"tweedie/rho":        realDom(1, 2, true, true, 1+1e-8, 2-1e-8, 1+1e-6, 2-1e-6),
	"gaussian_nll/full":  boolean(),
	// eps = 1e-12 against variances of 0: 1/eps² stays finite in float32.
	"gaussian_nll/eps":           pos(1e-12, 1e6),
	"bce_with_logits/pos_weight": nonNeg(1e4),
	"focal/gamma":                nonNeg(20, 0.5),
	// Any α < 0 disables the weight: the tiny negative one is the sign's edge.
	"focal/alpha":                         realDom(-inf, 1, true, false, -1e30, 1, -1e-50, 0),
	"hinge/margin":                        anyReal(1e3, 0),
	"squared_hinge/margin":                anyReal(1e3, 0),
	"cross_entropy/label_smoothing":       realDom(0, 1, false, true, 0, 1-1e-6),
	"cross_entropy/z_loss":                nonNeg(1e2),
	"cross_entropy_probs/label_smoothing": realDom(0, 1, false, true, 0, 1-1e-6),
	"multi_margin/p":                      integer(1, 2),
	"multi_margin/margin":                 anyReal(1e3, 0),
	"pairwise_hinge/margin":               anyReal(1e3, 0),
	"contrastive/margin":                  anyReal(1e3, 0),
	"triplet/margin":                      anyReal(1e3, 0),
	// ‖w‖_p = (Σ|w_j|^p)^(1/p) grows as D^(1/p): p = 0.1 is as close to 0 as a finite norm
	// of a few coordinates goes. Above p = 8 every coordinate but the largest has a
	// gradient (|w_j|/d)^(p−1) that vanishes.
	"triplet/p": pos(0.1, 8),
	// eps shifts every coordinate; at 10 a float32 device still resolves d⁺ − d⁻ of
	// coordinates of order 1.
	"triplet/eps":               nonNeg(10),
	"triplet/swap":              boolean(),
	"info_nce/temperature":      pos(0.01, 100),
	"info_nce/normalize":        boolean(),
	"info_nce/symmetric":        boolean(),
	"dice/eps":                  nonNeg(1e3),
	"dice/from_logits":          boolean(),
	"iou/eps":                   nonNeg(1e3),
	"iou/from_logits":           boolean(),
	"tversky/alpha":             nonNeg(1e3, 1),
	"tversky/beta":              nonNeg(1e3, 1),
	"tversky/eps":               nonNeg(1e3),
	"tversky/from_logits":       boolean(),
	"focal_tversky/alpha":       nonNeg(1e3),
	"focal_tversky/beta":        nonNeg(1e3),
	"focal_tversky/eps":         nonNeg(1e3),
	"focal_tversky/from_logits": boolean(),
	"focal_tversky/gamma":       pos(1e-3, 10, 0.5),
	"bce_dice/bce_weight":       nonNeg(1e3),
	"bce_dice/dice_weight":      nonNeg(1e3),
	"bce_dice/eps":              nonNeg(1e3),
	"penalty/l1":                nonNeg(1e3),
	"penalty/l2":                nonNeg(1e3),
	"kl_div/log_target":         boolean(),
	"accuracy/threshold":        anyReal(1e30),
	"f1/threshold":              anyReal(1e30),
	"binary_iou/threshold":      anyReal(1e30),
	"calibration/bins":          integer(1, 1e6),
	"calibration/from_logits":   boolean(),
}

// TestEdgeDomains checks that domains describes every parameter of the catalog as loss.New
// enforces it, and that the defaults, variants and edges together reach both ends of every
// domain.
func TestEdgeDomains(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range loss.Catalog() {
		sets := append([][]loss.Param{nil}, variants[s.Name]...)
		for _, e := range edges[s.Name] {
			sets = append(sets, e.params)
		}
		used := map[string][]float64{}
		for _, set := range sets {
			l, err := loss.New(s.Name, set...)
			if err != nil {
				t.Errorf("%s %v: %v", s.Name, set, err)
				continue
			}
			for k, v := range l.Params() {
				used[k] = append(used[k], v)
			}
		}
		for _, p := range s.Params {
			key := s.Name + "/" + p
			seen[key] = true
			d, ok := domains[key]
			if !ok {
				t.Errorf("%s: no domain listed for parameter %s", s.Name, p)
				continue
			}
			checkDomain(t, s.Name, p, d)
			v := used[p]
			if !slices.ContainsFunc(v, func(x float64) bool { return x <= d.reach[0] }) {
				t.Errorf("%s: no parameter set takes %s to %g or below (values used: %v)", s.Name, p, d.reach[0], v)
			}
			if !slices.ContainsFunc(v, func(x float64) bool { return x >= d.reach[1] }) {
				t.Errorf("%s: no parameter set takes %s to %g or above (values used: %v)", s.Name, p, d.reach[1], v)
			}
			for _, a := range d.also {
				if !slices.Contains(v, a) {
					t.Errorf("%s: no parameter set takes %s = %g (values used: %v)", s.Name, p, a, v)
				}
			}
		}
	}
	for k := range domains {
		if !seen[k] {
			t.Errorf("domains lists %s, which is no parameter of the catalog", k)
		}
	}
	for name := range edges {
		if _, ok := loss.Lookup(name); !ok {
			t.Errorf("edges lists %s, which is no loss of the catalog", name)
		}
	}
}

// checkDomain checks d against loss.New: each finite end accepted exactly when closed, the
// values just beyond it refused and those just inside accepted; an infinite end open wide.
func checkDomain(t *testing.T, name, p string, d domain) {
	t.Helper()
	ok := func(v float64) bool {
		_, err := loss.New(name, loss.With(p, v))
		return err == nil
	}
	for _, end := range []struct {
		at, out float64
		open    bool
	}{{d.lo, -inf, d.loOpen}, {d.hi, inf, d.hiOpen}} {
		if math.IsInf(end.at, 0) {
			if big := math.Copysign(math.MaxFloat64, end.at); !ok(big) {
				t.Errorf("%s: %s = %g refused, but its domain is listed as unbounded", name, p, big)
			}
			continue
		}
		beyond, inside := math.Nextafter(end.at, end.out), math.Nextafter(end.at, -end.out)
		if d.kind == 'i' {
			beyond, inside = end.at+math.Copysign(1, end.out), end.at-math.Copysign(1, end.out)
		}
		if d.kind == 'b' {
			inside = end.at
		}
		if ok(beyond) {
			t.Errorf("%s: %s = %g accepted, beyond its listed domain end %g", name, p, beyond, end.at)
		}
		if ok(end.at) == end.open {
			t.Errorf("%s: %s = %g: accepted %v, but the end is listed as open %v", name, p, end.at, ok(end.at), end.open)
		}
		if !ok(inside) {
			t.Errorf("%s: %s = %g refused, inside its listed domain", name, p, inside)
		}
	}
	for _, r := range append(d.reach[:], d.also...) {
		if !ok(r) {
			t.Errorf("%s: %s = %g, a value the edges must reach, is refused", name, p, r)
		}
	}
}

// recorder collects the failures a check reports instead of failing the test.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.msgs = append(r.msgs, fmt.Sprint(args...)) }

// TestEdgesCatchRoundedParameters runs every edge in float32 on roundedParams. The edges
// marked derived must fail there: they are what catches a float32 program that forms 1 − ρ
// from a rounded ρ (NaN or +Inf at ρ = 1 + 1e-8) or loses the sign of α = −1e-50. Every other
// edge must pass: rounding a parameter to float32 is a loss of digits any float32 program may
// have, so an edge that failed on it would be tighter than float32 allows.
func TestEdgesCatchRoundedParameters(t *testing.T) {
	dev := roundedParams{Device: device.CPURef()}
	for _, s := range loss.Catalog() {
		for ei, e := range edges[s.Name] {
			cs, err := edgeCases(s, ei, e, seedBase+11)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{TB: t}
			for _, c := range cs {
				Check[float32](rec, dev, c)
			}
			switch {
			case e.derived && len(rec.msgs) == 0:
				t.Errorf("%s edge %s passes with its parameters rounded to float32; it is marked derived", s.Name, e.name)
			case !e.derived && len(rec.msgs) > 0:
				t.Errorf("%s edge %s fails with its parameters rounded to float32 (%d failures; first: %s)",
					s.Name, e.name, len(rec.msgs), rec.msgs[0])
			case e.derived:
				t.Logf("%s edge %s, parameters rounded to float32: %s", s.Name, e.name, first(rec.msgs[0], 300))
			}
		}
	}
}

func first(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// TestEdgeTolerancesMeaningful checks that no edge passes only because its tolerance is
// large: over all the cases of an edge, most of the reference's nonzero values of each
// output (all but a tenth, or all but one of fewer than twenty: a metric's single-row case
// may draw a value near 0) must lie above ten times their absolute tolerance, so that a
// device returning 0 (or anything that small) for them fails; for gradients held to a share
// of their row's largest entry (Case.RowGradShare), most rows' largest entries; for those
// that may differ by a share of the terms they cancel (Case.CancelShare), ten times the
// absolute tolerance and that share. Values near or below the
// dtype's smallest normal number, which the dtype cannot resolve, are left out. An edge whose tiny
// values no formulation resolves in float32 says why (coarse), and is logged instead.
func TestEdgeTolerancesMeaningful(t *testing.T) {
	for _, s := range loss.Catalog() {
		for ei, e := range edges[s.Name] {
			cs, err := edgeCases(s, ei, e, seedBase+13)
			if err != nil {
				t.Fatal(err)
			}
			for _, f64 := range []bool{false, true} {
				// Values within 16× of the smallest normal number lose digits to underflow.
				tiny, dt := 0x1p-122, "float32"
				if f64 {
					tiny, dt = 0x1p-1018, "float64"
				}
				var nonzero, small [6]int
				for _, c := range cs {
					var ref loss.Result[float64]
					if f64 {
						ref, err = Reference[float64](c)
					} else {
						ref, err = Reference[float32](c)
					}
					if err != nil {
						t.Fatalf("%s: %v", c.Name, err)
					}
					tol, vtol := tolerances(c, ref, f64)
					spec, _ := loss.Lookup(c.Loss.Name())
					vals := [6][]float64{{ref.Value}}
					tols := [6]Tol{tol}
					var extra [6][]float64
					sl := slacks(c, spec, ref, vtol, f64)
					for k, v := range vectors(ref) {
						vals[k+1], tols[k+1] = v, vtol[k]
						if rowShared(c, spec, k) {
							// Gradients held to a share of their row's largest entry count
							// by rows: each row's largest entry must be resolved.
							vals[k+1] = rowMax(v, c.Batch.Cols)
						} else {
							extra[k+1] = sl[k]
						}
					}
					for k, v := range vals {
						for i, x := range v {
							lim := tols[k].Abs
							if extra[k] != nil {
								lim += extra[k][i]
							}
							if math.Abs(x) >= tiny {
								nonzero[k]++
								if math.Abs(x) <= 10*lim {
									small[k]++
								}
							}
						}
					}
				}
				for k := range nonzero {
					if small[k] <= max(nonzero[k]/10, 1) {
						continue
					}
					what := "Value"
					if k > 0 {
						what = outNames[k-1]
					}
					msg := fmt.Sprintf("%s edge %s (%s): %d of %d nonzero %s values are within 10× their absolute tolerance",
						s.Name, e.name, dt, small[k], nonzero[k], what)
					if e.coarse == "" {
						t.Error(msg)
					} else {
						t.Logf("%s; coarse: %s", msg, e.coarse)
					}
				}
			}
		}
	}
}

// rowMax returns the largest |entry| of each row of cols entries of v.
func rowMax(v []float64, cols int) []float64 {
	var m []float64
	for lo := 0; lo+cols <= len(v) && cols > 0; lo += cols {
		var x float64
		for _, e := range v[lo : lo+cols] {
			x = max(x, math.Abs(e))
		}
		m = append(m, x)
	}
	return m
}

// TestEdgeNames checks that edge names are unique per loss and name a parameter.
func TestEdgeNames(t *testing.T) {
	for name, es := range edges {
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.name] {
				t.Errorf("%s: edge %q listed twice", name, e.name)
			}
			seen[e.name] = true
			if !strings.Contains(e.name, "=") {
				t.Errorf("%s: edge %q does not say which parameter value it reaches", name, e.name)
			}
		}
	}
}
