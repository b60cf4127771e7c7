package host

import (
	"cmp"
	"math"
	"slices"
	"unsafe"
)

// Metrics on the host engine: accuracy, f1, binary_iou, macro_f1, auc and calibration, each
// returning the sums cpuref/metrics.go documents (the shared rules on argmax, ties, NaN, the
// threshold and ignored rows are cpuref's). Counts without weights are kept as integers and
// converted once per chunk, so they are exact.

func init() {
	register(&Kernel{Name: "accuracy", Run32: accuracy[float32], Run64: accuracy[float64]})
	register(&Kernel{Name: "f1", Run32: confusion[float32], Run64: confusion[float64]})
	register(&Kernel{Name: "binary_iou", Run32: confusion[float32], Run64: confusion[float64]})
	register(&Kernel{Name: "macro_f1", Run32: macroF1[float32], Run64: macroF1[float64]})
	register(&Kernel{Name: "auc", Run32: auc[float32], Run64: auc[float64]})
	register(&Kernel{Name: "calibration", Run32: calibration[float32], Run64: calibration[float64]})
}

// argmax returns the first index of the largest value of the non-empty row; the first NaN,
// if any, wins. Short rows take one scalar pass; longer ones find the maximum with vmath
// and then its first position.
func argmax[T Float](row []T) int {
	if len(row) <= 32 {
		best := 0
		for j, v := range row {
			if v != v {
				return j
			}
			if v > row[best] {
				best = j
			}
		}
		return best
	}
	m := vecMax(row)
	if isF32[T]() {
		return max(0, indexF32(asF32(row), float32(m)))
	}
	for j, v := range row {
		if v == m || m != m && v != v {
			return j
		}
	}
	return 0
}

// argmaxBlock sets idx[r] = argmax of row r of x (rows of c): short float32 rows by one SIMD
// call over the block, others row by row.
func argmaxBlock[T Float](x []T, c int, idx []int32) {
	if isF32[T]() && c <= 16 {
		argmaxRows(asF32(x[:len(idx)*c]), c, idx)
		return
	}
	for r := range idx {
		idx[r] = int32(argmax(x[r*c : (r+1)*c]))
	}
}

// metricBlock is the number of rows whose argmax a metric takes at once.
const metricBlock = 512

// accuracy: P[0] = threshold (C = 1). Sums: [Σ s·correct, Σ s] over rows not ignored.
func accuracy[T Float](a *Args[T]) []float64 {
	c, thr := a.C, a.P[0]
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var sc, sw float64
		var nc, nw int
		var idx [metricBlock]int32
		for r0 := lo; r0 < hi; r0 += metricBlock {
			r1 := min(r0+metricBlock, hi)
			if c > 1 {
				argmaxBlock(a.X[r0*c:r1*c], c, idx[:r1-r0])
			}
			for i := r0; i < r1; i++ {
				y := int64(a.Labels[i])
				if y == a.Ignore {
					continue
				}
				pred := int64(idx[i-r0])
				if c == 1 {
					pred = int64(b2i(float64(a.X[i]) > thr))
				}
				if a.Weight == nil {
					nw++
					nc += b2i(pred == y)
					continue
				}
				s := float64(a.Weight[i])
				if pred == y {
					sc += s
				}
				sw += s
			}
		}
		sums[0], sums[1] = sc+float64(nc), sw+float64(nw)
	})
}

// confusion is f1 and binary_iou over the N·C elements: predicted positive where x > P[0],
// positive where y > 0.5. Sums: [TP, FP, FN] (weighted).
func confusion[T Float](a *Args[T]) []float64 {
	n, c := a.N*a.C, a.C
	thr := a.P[0]
	perElem := a.Weight != nil && len(a.Weight) == n
	return Par(n, ElemChunk, 3, func(lo, hi int, sums []float64) {
		x, y := a.X[lo:hi], a.Y[lo:hi]
		y = y[:len(x)]
		if a.Weight == nil && isF32[T]() {
			t, ge := threshold32(thr)
			tp, fp, fn := countConfusion(asF32(x), asF32(y), t, ge)
			sums[0], sums[1], sums[2] = float64(tp), float64(fp), float64(fn)
			return
		}
		if a.Weight == nil {
			var tp, fp, fn int
			for j, v := range x {
				p := b2i(float64(v) > thr)
				q := b2i(y[j] > 0.5)
				tp += p & q
				fp += p &^ q
				fn += q &^ p
			}
			sums[0], sums[1], sums[2] = float64(tp), float64(fp), float64(fn)
			return
		}
		var tp, fp, fn float64
		for j, v := range x {
			var s float64
			if perElem {
				s = float64(a.Weight[lo+j])
			} else {
				s = float64(a.Weight[(lo+j)/c])
			}
			pred, pos := float64(v) > thr, y[j] > 0.5
			switch {
			case pred && pos:
				tp += s
			case pred:
				fp += s
			case pos:
				fn += s
			}
		}
		sums[0], sums[1], sums[2] = tp, fp, fn
	})
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// macroF1: per-class counts of the argmax prediction against the label with K = Bins classes
// (C when Bins is 0): Sums[k] = TP_k, Sums[K+k] = FP_k, Sums[2K+k] = FN_k. A chunk holds at
// least K/4 rows, so that the per-chunk sums stay a fraction of the input.
func macroF1[T Float](a *Args[T]) []float64 {
	c := a.C
	k := a.Bins
	if k <= 0 {
		k = c
	}
	return Par(a.N, max(rowsPer(c), k/4), 3*k, func(lo, hi int, sums []float64) {
		var idx [metricBlock]int32
		for r0 := lo; r0 < hi; r0 += metricBlock {
			r1 := min(r0+metricBlock, hi)
			argmaxBlock(a.X[r0*c:r1*c], c, idx[:r1-r0])
			for i := r0; i < r1; i++ {
				y := int64(a.Labels[i])
				if y == a.Ignore {
					continue
				}
				p := int64(idx[i-r0])
				s := weightAt(a.Weight, i)
				if p == y {
					sums[y] += s
				} else {
					sums[int64(k)+p] += s
					sums[int64(2*k)+y] += s
				}
			}
		}
	})
}

// calibration: B = Bins bins (P[0] when Bins is 0), P[1] = from_logits. Per row not ignored,
// confidence q and correctness as cpuref's calibration; the row goes to bin ⌊q·B⌋ clamped to
// [0, B−1]. The top softmax probability 1/Σ_k e^{x_k − m} is formed with vmath; where q·B lies
// within rounding of a bin edge, q is formed again in float64 as cpuref forms it, so that rows
// fall in the bins cpuref puts them in. A chunk holds at least B/4 rows.
//
//	Sums[b] = Σ s,  Sums[B+b] = Σ s·q,  Sums[2B+b] = Σ s·correct   (rows in bin b)
func calibration[T Float](a *Args[T]) []float64 {
	c := a.C
	nb := a.Bins
	if nb <= 0 {
		nb = int(a.P[0])
	}
	nb = max(nb, 1)
	logits := a.P[1] != 0
	fb := float64(nb)
	return Par(a.N, max(rowsPer(c), nb/4), 3*nb, func(lo, hi int, sums []float64) {
		var idx [metricBlock]int32
		var tmp []T
		if c > 1 && logits && isF32[T]() && c <= 16 {
			tmp = make([]T, metricBlock*c)
		}
		for r0 := lo; r0 < hi; r0 += metricBlock {
			r1 := min(r0+metricBlock, hi)
			if c > 1 {
				argmaxBlock(a.X[r0*c:r1*c], c, idx[:r1-r0])
			}
			if tmp != nil {
				// The block's e^{x − m} in one vmath call (x − m rounded to float32, as SumExp).
				t := tmp[:(r1-r0)*c]
				for i := r0; i < r1; i++ {
					row := a.X[i*c : (i+1)*c]
					m := row[idx[i-r0]]
					tr := t[(i-r0)*c : (i-r0+1)*c]
					for j, v := range row {
						tr[j] = v - m
					}
				}
				vecExp(t, t)
			}
			for i := r0; i < r1; i++ {
				y := int64(a.Labels[i])
				if y == a.Ignore {
					continue
				}
				var q float64
				var correct bool
				if c == 1 {
					q = float64(a.X[i])
					if logits {
						q = sigmoid64(q)
					}
					correct = y == 1
				} else {
					row := a.X[i*c : (i+1)*c]
					p := int(idx[i-r0])
					q = float64(row[p])
					if logits {
						var z float64
						if tmp != nil {
							for _, e := range tmp[(i-r0)*c : (i-r0+1)*c] {
								z += float64(e)
							}
						} else {
							z = vecSumExp(row, row[p])
						}
						q = 1 / z
						if f := q * fb; nearEdge(f, fb) {
							q = topSoftmax64(row, float64(row[p]))
						}
					}
					correct = int64(p) == y
				}
				b := 0
				if f := q * fb; f >= fb {
					b = nb - 1
				} else if f > 0 {
					b = int(f)
				}
				s := weightAt(a.Weight, i)
				sums[b] += s
				sums[nb+b] += s * q
				if correct {
					sums[2*nb+b] += s
				}
			}
		}
	})
}

// nearEdge reports whether f = q·B lies within 1e-5·f of an inner bin edge 1..B−1, where the
// rounding of a float32 q could put the row in a bin cpuref does not (f ≥ B is the last bin
// whatever its rounding).
func nearEdge(f, fb float64) bool {
	if !(f >= 0.5 && f < fb) { // also NaN
		return false
	}
	i := float64(int(f))
	frac := f - i
	tol := 1e-5 * f
	return frac <= tol && i >= 1 || 1-frac <= tol && i+1 <= fb-1
}

// topSoftmax64 is cpuref's topSoftmax: 1/Σ_k e^{x_k − m} in float64, summed in order.
func topSoftmax64[T Float](row []T, m float64) float64 {
	var z float64
	for _, v := range row {
		z += math.Exp(float64(v) - m)
	}
	return 1 / z
}

// auc is the exact area under the ROC curve over the N·C elements, cpuref's auc: the elements
// are put in (score, index) order by a stable radix sort of order-preserving integer keys of
// the scores (−0 taken as +0) — 3 passes of 11 bits for float32, 6 for float64 — and each
// group of tied scores g adds P_g·(N_below + ½N_g) in that order, as cpuref does.
// Sums: [AUC, S⁺, S⁻]; AUC is NaN when a class is empty or a score is NaN.
func auc[T Float](a *Args[T]) []float64 {
	n := a.N * a.C
	// Sums: S⁺, S⁻, the number of NaN scores.
	tot := Par(n, ElemChunk, 3, func(lo, hi int, sums []float64) {
		var sp, sn float64
		var nan int
		for i := lo; i < hi; i++ {
			if a.X[i] != a.X[i] {
				nan++
			}
			if a.Y[i] > 0.5 {
				sp += elemWeight(a, i)
			} else {
				sn += elemWeight(a, i)
			}
		}
		sums[0], sums[1], sums[2] = sp, sn, float64(nan)
	})
	sp, sn := tot[0], tot[1]
	if sp == 0 || sn == 0 || tot[2] > 0 {
		return []float64{math.NaN(), sp, sn}
	}
	if n >= 1<<31 { // beyond the radix sort's payload: a comparison sort
		return []float64{aucSorted(a) / (sp * sn), sp, sn}
	}
	var u float64
	if isF32[T]() {
		u = aucRadix(a, n, radixKeys32(asF32(a.X[:n])))
	} else {
		u = aucRadix(a, n, radixKeys64(asF64(a.X[:n])))
	}
	return []float64{u / (sp * sn), sp, sn}
}

// elemWeight is the sample weight of element i of an elementwise metric: per element when
// Weight has N·C values, per row when it has N, 1 without weights.
func elemWeight[T Float](a *Args[T], i int) float64 {
	switch {
	case a.Weight == nil:
		return 1
	case len(a.Weight) == a.N*a.C:
		return float64(a.Weight[i])
	}
	return float64(a.Weight[i/a.C])
}

// radixKeys32 maps float32 scores (no NaN) to uint32 keys in the same order, −0 as +0.
func radixKeys32(x []float32) []uint32 {
	k := make([]uint32, len(x))
	for i, v := range x {
		b := math.Float32bits(v + 0) // −0 + 0 = +0
		if b>>31 != 0 {
			b = ^b
		} else {
			b |= 1 << 31
		}
		k[i] = b
	}
	return k
}

// radixKeys64 maps float64 scores (no NaN) to uint64 keys in the same order, −0 as +0.
func radixKeys64(x []float64) []uint64 {
	k := make([]uint64, len(x))
	for i, v := range x {
		b := math.Float64bits(v + 0)
		if b>>63 != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		k[i] = b
	}
	return k
}

// aucRadix sorts the elements by key (stably, so ties stay in index order) and returns the
// Mann–Whitney U. Each element's payload is its index and positive bit (index·2 + pos).
func aucRadix[T Float, K uint32 | uint64](a *Args[T], n int, keys []K) float64 {
	pay := make([]uint32, n)
	for i := range pay {
		pay[i] = uint32(i)<<1 | uint32(b2i(a.Y[i] > 0.5))
	}
	keys, pay = radixSort(keys, pay)
	var u, below float64
	for lo := 0; lo < n; {
		hi := lo
		var pg, ng float64
		for ; hi < n && keys[hi] == keys[lo]; hi++ {
			p := pay[hi]
			s := elemWeight(a, int(p>>1))
			if p&1 != 0 {
				pg += s
			} else {
				ng += s
			}
		}
		u += pg * (below + 0.5*ng)
		below += ng
		lo = hi
	}
	return u
}

// radixSort sorts keys (with their payloads) by an LSD radix sort of 11-bit digits, stable;
// a digit that every key shares is skipped. It returns the sorted slices (either the inputs or
// the scratch copies).
func radixSort[K uint32 | uint64](keys []K, pay []uint32) ([]K, []uint32) {
	const bits = 11
	const buckets = 1 << bits
	var z K
	width := int(unsafe.Sizeof(z)) * 8
	n := len(keys)
	k2, p2 := make([]K, n), make([]uint32, n)
	var count [buckets]int
	for shift := 0; shift < width; shift += bits {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&(buckets-1)]++
		}
		if count[(keys[0]>>shift)&(buckets-1)] == n {
			continue
		}
		sum := 0
		for b, v := range count {
			count[b] = sum
			sum += v
		}
		for i, k := range keys {
			d := (k >> shift) & (buckets - 1)
			j := count[d]
			count[d]++
			k2[j], p2[j] = k, pay[i]
		}
		keys, k2 = k2, keys
		pay, p2 = p2, pay
	}
	return keys, pay
}

// aucSorted is the Mann–Whitney U by a comparison sort of (score, index), for inputs too large
// for the radix sort's 31-bit indices.
func aucSorted[T Float](a *Args[T]) float64 {
	n := a.N * a.C
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(p, q int) int {
		if c := cmp.Compare(float64(a.X[p]), float64(a.X[q])); c != 0 {
			return c
		}
		return cmp.Compare(p, q)
	})
	var u, below float64
	for lo := 0; lo < n; {
		hi := lo
		var pg, ng float64
		for ; hi < n && a.X[idx[hi]] == a.X[idx[lo]]; hi++ {
			if a.Y[idx[hi]] > 0.5 {
				pg += elemWeight(a, idx[hi])
			} else {
				ng += elemWeight(a, idx[hi])
			}
		}
		u += pg * (below + 0.5*ng)
		below += ng
		lo = hi
	}
	return u
}
