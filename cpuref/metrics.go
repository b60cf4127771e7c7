package cpuref

import (
	"cmp"
	"math"
	"slices"
)

// Metrics: non-differentiable statistics over the same inputs as the losses. Each kernel
// returns the counts documented on its constructor in package loss (loss/metrics.go), which
// turns them into the metric's value; the counts of two shards add up to those of the whole.
//
// Shared rules:
//   - s is the sample weight (1 without weights). For the elementwise metrics (f1, auc,
//     binary_iou) it is per element when Weight has N·C values and per row otherwise
//     (sampleWeight's rule); for the row metrics (accuracy, macro_f1, calibration) per row.
//   - A row whose label equals Ignore is excluded from every count.
//   - The argmax of a row is the first index of its largest score (ties go to the smallest
//     index); a NaN score counts as the largest (NumPy's and PyTorch's argmax), so the first
//     NaN wins.
//   - "Predicted positive" means score > threshold, strictly; a NaN score is never positive.
//   - A target y is positive when y > 0.5 (package loss admits only 0 and 1).
//
// Every kernel but auc sums over fixed chunks with the given Par, so its counts are
// bit-identical for any number of goroutines.

func init() {
	register(&Kernel{Name: "accuracy", Family: Metric, Run32: accuracy[float32], Run64: accuracy[float64]})
	register(&Kernel{Name: "f1", Family: Metric, Run32: confusion[float32], Run64: confusion[float64]})
	register(&Kernel{Name: "binary_iou", Family: Metric, Run32: confusion[float32], Run64: confusion[float64]})
	register(&Kernel{Name: "macro_f1", Family: Metric, Run32: macroF1[float32], Run64: macroF1[float64]})
	register(&Kernel{Name: "auc", Family: Metric, Run32: auc[float32], Run64: auc[float64]})
	register(&Kernel{Name: "calibration", Family: Metric, Run32: calibration[float32], Run64: calibration[float64]})
}

// argmax returns the index of the largest value of row, the first on ties; the first NaN,
// if any, wins. It returns 0 for an empty row.
func argmax[T Float](row []T) int {
	best := 0
	for j, v := range row {
		if v != v { // NaN
			return j
		}
		if v > row[best] {
			best = j
		}
	}
	return best
}

// accuracy: P[0] = threshold (C = 1 only). For C ≥ 2 a row is correct when its argmax is its
// label; for C = 1 when [x > threshold] equals the label (0 or 1).
//
//	Sums: [Σ s·correct, Σ s] over the rows not ignored.
func accuracy[T Float](a *Args[T], par Par) []float64 {
	c, thr := a.C, a.P[0]
	return par(a.N, RowChunk(c), 2, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			if y == a.Ignore {
				continue
			}
			var pred int64
			if c == 1 {
				if float64(a.X[i]) > thr {
					pred = 1
				}
			} else {
				pred = int64(argmax(a.X[i*c : (i+1)*c]))
			}
			s := sampleWeight(a, i, false)
			if pred == y {
				sums[0] += s
			}
			sums[1] += s
		}
	})
}

// confusion is f1 and binary_iou: elementwise over N·C scores x and targets y, P[0] = threshold,
// predicted positive where x > threshold.
//
//	Sums: [TP, FP, FN] = [Σ s·[x>t]·[y=1], Σ s·[x>t]·[y=0], Σ s·[x≤t]·[y=1]]
func confusion[T Float](a *Args[T], par Par) []float64 {
	thr := a.P[0]
	return par(a.N*a.C, ElemChunk, 3, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			pred := float64(a.X[i]) > thr
			pos := a.Y[i] > 0.5
			s := sampleWeight(a, i, true)
			switch {
			case pred && pos:
				sums[0] += s
			case pred:
				sums[1] += s
			case pos:
				sums[2] += s
			}
		}
	})
}

// macroF1: per-class counts of the argmax prediction p against the label y over the rows not
// ignored, with K = Bins classes (C when Bins is 0):
//
//	Sums[k] = TP_k = Σ s·[p=k]·[y=k],  Sums[K+k] = FP_k = Σ s·[p=k]·[y≠k],  Sums[2K+k] = FN_k = Σ s·[p≠k]·[y=k]
func macroF1[T Float](a *Args[T], par Par) []float64 {
	c := a.C
	k := a.Bins
	if k <= 0 {
		k = c
	}
	return par(a.N, RowChunk(c), 3*k, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			if y == a.Ignore {
				continue
			}
			p := int64(argmax(a.X[i*c : (i+1)*c]))
			s := sampleWeight(a, i, false)
			if p == y {
				sums[y] += s
			} else {
				sums[int64(k)+p] += s
				sums[int64(2*k)+y] += s
			}
		}
	})
}

// auc is the exact area under the ROC curve over the N·C elements (scores x, targets y):
//
//	U   = Σ_{i positive} Σ_{j negative} s_i·s_j·([x_i > x_j] + ½[x_i = x_j])   (Mann–Whitney U)
//	AUC = U / (S⁺·S⁻),  S⁺ = Σ_{positive} s,  S⁻ = Σ_{negative} s
//	Sums: [AUC, S⁺, S⁻]
//
// AUC is NaN when S⁺ or S⁻ is 0 (a class is empty), or when any score is NaN.
//
// S⁺ and S⁻ are summed over fixed chunks with par. U needs the elements in score order:
// they are sorted by (score, index) — a total order, so the walk below does not depend on
// the sort algorithm — on one goroutine, then each group of tied scores g contributes
// P_g·(N_below + ½N_g), with P_g and N_g the group's positive and negative weights and
// N_below the negative weight of all lower scores. Cost O(n log n) for n = N·C.
func auc[T Float](a *Args[T], par Par) []float64 {
	n := a.N * a.C
	type item struct {
		x, s float64
		pos  bool
		i    int
	}
	items := make([]item, n)
	// sums: S⁺, S⁻, number of NaN scores.
	tot := par(n, ElemChunk, 3, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			x := float64(a.X[i])
			it := item{x: x, s: sampleWeight(a, i, true), pos: a.Y[i] > 0.5, i: i}
			items[i] = it
			if it.pos {
				sums[0] += it.s
			} else {
				sums[1] += it.s
			}
			if math.IsNaN(x) {
				sums[2]++
			}
		}
	})
	sp, sn := tot[0], tot[1]
	if sp == 0 || sn == 0 || tot[2] > 0 {
		return []float64{math.NaN(), sp, sn}
	}
	slices.SortFunc(items, func(p, q item) int {
		if c := cmp.Compare(p.x, q.x); c != 0 {
			return c
		}
		return cmp.Compare(p.i, q.i)
	})
	var u, below float64
	for lo := 0; lo < n; {
		hi := lo
		var pg, ng float64
		for ; hi < n && items[hi].x == items[lo].x; hi++ {
			if items[hi].pos {
				pg += items[hi].s
			} else {
				ng += items[hi].s
			}
		}
		u += pg * (below + 0.5*ng)
		below += ng
		lo = hi
	}
	return []float64{u / (sp * sn), sp, sn}
}

// calibration: B = Bins equal-width confidence bins over [0, 1] (P[0] when Bins is 0),
// P[1] = from_logits. Per row not ignored:
//   - C ≥ 2: confidence q = the top softmax probability max_j e^{x_j}/Σ_k e^{x_k} (from_logits)
//     or the top score max_j x_j; correct = [argmax = label].
//   - C = 1: q = σ(x) (from_logits) or x; correct = [label = 1].
//
// The row goes to bin b = ⌊q·B⌋ (float64), clamped to [0, B−1]: bin b covers [b/B, (b+1)/B)
// and the last bin also holds q = 1 (and scores above 1 without from_logits); q < 0 and a NaN
// q go to bin 0, where a NaN makes the bin's confidence, and the ECE, NaN.
//
//	Sums[b] = W_b = Σ s,  Sums[B+b] = Σ s·q,  Sums[2B+b] = Σ s·correct   (over the rows in bin b)
func calibration[T Float](a *Args[T], par Par) []float64 {
	c := a.C
	nb := a.Bins
	if nb <= 0 {
		nb = int(a.P[0])
	}
	nb = max(nb, 1)
	logits := a.P[1] != 0
	return par(a.N, RowChunk(c), 3*nb, func(lo, hi int, sums []float64) {
		for i := lo; i < hi; i++ {
			y := int64(a.Labels[i])
			if y == a.Ignore {
				continue
			}
			var q float64
			var correct bool
			if c == 1 {
				q = float64(a.X[i])
				if logits {
					q = sigmoid(q)
				}
				correct = y == 1
			} else {
				row := a.X[i*c : (i+1)*c]
				p := argmax(row)
				q = float64(row[p])
				if logits {
					q = topSoftmax(row, q)
				}
				correct = int64(p) == y
			}
			b := 0
			if f := q * float64(nb); f >= float64(nb) {
				b = nb - 1
			} else if f > 0 {
				b = int(f)
			}
			s := sampleWeight(a, i, false)
			sums[b] += s
			sums[nb+b] += s * q
			if correct {
				sums[2*nb+b] += s
			}
		}
	})
}

// topSoftmax returns the largest softmax probability of row, whose largest value is m:
// 1/Σ_k e^{x_k − m}. As IEEE arithmetic has it, it is NaN for a row holding NaN or +Inf, or
// all −Inf.
func topSoftmax[T Float](row []T, m float64) float64 {
	var z float64
	for _, v := range row {
		z += math.Exp(float64(v) - m)
	}
	return 1 / z
}
