package host

// Multi-class row losses on the host engine: multi_margin and corn. Mirrors
// cpuref/multiclass.go, whose doc comments give the formulas.

func init() {
	register(&Kernel{Name: "multi_margin", Run32: multiMargin[float32], Run64: multiMargin[float64]})
	register(&Kernel{Name: "corn", Run32: corn[float32], Run64: corn[float64]})
}

// multiMargin is cpuref's multiMargin: P[0] = p ∈ {1, 2}, P[1] = margin μ,
// L = (w_y/C)·Σ_{c≠y} max(0, μ − x_y + x_c)^p. Each z_c = (μ − x_y) + x_c is formed in float64
// from the float32 logits, so the hinge's kink is decided as cpuref decides it; the row is one
// pass on each side of the label (margin32, SIMD for float32) that sums the terms and, when
// wanted, writes their gradients. x_y is read before the row is written (GX may be X).
// Sums: [Σ s_i·L_i, Σ s_i·w_{y_i}].
func multiMargin[T Float](a *Args[T]) []float64 {
	c := a.C
	sq := a.P[0] == 2
	mu := a.P[1]
	cw := a.ClassWeight
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var sl, sd float64
		for i := lo; i < hi; i++ {
			y := int(a.Labels[i])
			var g []T
			if a.GX != nil {
				g = a.GX[i*c : (i+1)*c]
			}
			if int64(y) == a.Ignore {
				clear(g)
				if a.PerSample != nil {
					a.PerSample[i] = 0
				}
				continue
			}
			x := a.X[i*c : (i+1)*c]
			wy := 1.0
			if cw != nil {
				wy = float64(cw[y])
			}
			f := wy / float64(c)
			thr := mu - float64(x[y])
			sw := weightAt(a.Weight, i)
			var l float64
			switch {
			case isF32[T]():
				// ∂/∂x_c = gs·f·p·z^{p−1} where z > 0; ∂/∂x_y = −Σ of those.
				var g0, g1 []float32
				if g != nil {
					g0, g1 = asF32(g[:y]), asF32(g[y+1:])
				}
				k := a.Scale * sw * f
				l0, s0 := margin32(g0, asF32(x[:y]), thr, k, sq)
				l1, s1 := margin32(g1, asF32(x[y+1:]), thr, k, sq)
				l = l0 + l1
				if g != nil {
					g[y] = T(-(s0 + s1))
				}
			case g == nil:
				l = marginSum(x[:y], thr, sq) + marginSum(x[y+1:], thr, sq)
			default:
				gs := a.Scale * sw
				var l0, l1, s0, s1 float64
				l0, s0 = marginGrad(g[:y], x[:y], thr, sq, gs*f)
				l1, s1 = marginGrad(g[y+1:], x[y+1:], thr, sq, gs*f)
				l = l0 + l1
				g[y] = T(-(s0 + s1))
			}
			l *= f
			sl += sw * l
			sd += sw * wy
			if a.PerSample != nil {
				a.PerSample[i] = T(sw * l)
			}
		}
		sums[0], sums[1] = sl, sd
	})
}

// marginSum returns Σ_c max(0, thr + x_c)^p (p = 2 when sq, else 1).
func marginSum[T Float](x []T, thr float64, sq bool) float64 {
	var s0, s1 float64
	j := 0
	if sq {
		for ; j+2 <= len(x); j += 2 {
			z0 := max(thr+float64(x[j]), 0)
			z1 := max(thr+float64(x[j+1]), 0)
			s0 += z0 * z0
			s1 += z1 * z1
		}
		if j < len(x) {
			z := max(thr+float64(x[j]), 0)
			s0 += z * z
		}
		return s0 + s1
	}
	for ; j+2 <= len(x); j += 2 {
		s0 += max(thr+float64(x[j]), 0)
		s1 += max(thr+float64(x[j+1]), 0)
	}
	if j < len(x) {
		s0 += max(thr+float64(x[j]), 0)
	}
	return s0 + s1
}

// marginGrad returns Σ_c max(0, z_c)^p with z_c = thr + x_c, writes g_c = k·p·z_c^{p−1} (0 where
// z_c ≤ 0), and returns the sum of the g_c as float64 (before rounding to T). g may be x.
func marginGrad[T Float](g, x []T, thr float64, sq bool, k float64) (l, gsum float64) {
	x = x[:len(g)]
	for j, v := range x {
		z := max(thr+float64(v), 0)
		var gj float64
		if sq {
			l += z * z
			gj = 2 * k * z
		} else {
			l += z
			if z > 0 {
				gj = k
			}
		}
		g[j] = T(gj)
		gsum += gj
	}
	return l, gsum
}

// cornBlock is the number of task logits corn transforms at once (two stack arrays of T).
const cornBlock = 512

// corn is cpuref's corn (CORAL's corn_loss): row i has tasks k ≤ min(y, C−1); task k < y has
// label 1 (term softplus(−x_k), gradient −σ(−x_k)), task k = y < C label 0 (softplus(x_y),
// σ(x_y)). With z_k = −x_k for label 1 and x_k for label 0 both are softplus(z_k) and
// ±σ(z_k): a block of rows is gathered as z, one vmath.Softplus and one vmath.Sigmoid pass
// transform it, and the rows are summed and scattered from there.
// Sums: [Σ s_i·L_i, Σ s_i·min(y_i+1, C)].
func corn[T Float](a *Args[T]) []float64 {
	c := a.C
	if c == 0 {
		return []float64{0, 0}
	}
	return Par(a.N, rowsPer(c), 2, func(lo, hi int, sums []float64) {
		var zb, fb [cornBlock]T
		var sl, sd float64
		per := max(1, cornBlock/c) // rows per block
		for r0 := lo; r0 < hi; r0 += per {
			r1 := min(r0+per, hi)
			if c > cornBlock {
				r1 = r0 + 1
			}
			if c > cornBlock { // one row at a time, in pieces
				l := cornLongRow(a, r0, zb[:], fb[:])
				sw := weightAt(a.Weight, r0)
				y := int(a.Labels[r0])
				sl += sw * l
				sd += sw * float64(min(y+1, c))
				if a.PerSample != nil {
					a.PerSample[r0] = T(sw * l)
				}
				continue
			}
			// Gather z for the block's active tasks (a row's inactive tasks are 0 here and
			// ignored below).
			z := zb[:(r1-r0)*c]
			for i := r0; i < r1; i++ {
				cornGather(z[(i-r0)*c:(i-r0+1)*c], a.X[i*c:(i+1)*c], int(a.Labels[i]))
			}
			f := fb[:len(z)]
			vecSoftplus(f, z)
			for i := r0; i < r1; i++ {
				y := int(a.Labels[i])
				nt := min(y+1, c) // active tasks
				var l float64
				for _, v := range f[(i-r0)*c : (i-r0)*c+nt] {
					l += float64(v)
				}
				sw := weightAt(a.Weight, i)
				sl += sw * l
				sd += sw * float64(nt)
				if a.PerSample != nil {
					a.PerSample[i] = T(sw * l)
				}
			}
			if a.GX == nil {
				continue
			}
			vecSigmoid(f, z)
			for i := r0; i < r1; i++ {
				cornScatter(a.GX[i*c:(i+1)*c], f[(i-r0)*c:(i-r0+1)*c], int(a.Labels[i]), a.Scale*weightAt(a.Weight, i))
			}
		}
		sums[0], sums[1] = sl, sd
	})
}

// cornGather sets z_k = −x_k for k < y, z_y = x_y (y < C) and z_k = 0 beyond.
func cornGather[T Float](z, x []T, y int) {
	c := len(x)
	pos := min(y, c)
	for k := range pos {
		z[k] = -x[k]
	}
	if y < c {
		z[y] = x[y]
		clear(z[y+1:])
	}
}

// cornScatter writes a row's gradient from s_k = σ(z_k): g_k = −gs·s_k for k < y, gs·s_y at
// k = y, 0 beyond.
func cornScatter[T Float](g, s []T, y int, gs float64) {
	c := len(g)
	pos := min(y, c)
	k := T(gs)
	for j := range pos {
		g[j] = -k * s[j]
	}
	if y < c {
		g[y] = k * s[y]
		clear(g[y+1:])
	}
}

// cornLongRow handles row i of more than cornBlock tasks in pieces of cornBlock, returning its
// loss L_i and writing its gradient when wanted.
func cornLongRow[T Float](a *Args[T], i int, zb, fb []T) float64 {
	c := a.C
	y := int(a.Labels[i])
	x := a.X[i*c : (i+1)*c]
	nt := min(y+1, c)
	var g []T
	if a.GX != nil {
		g = a.GX[i*c : (i+1)*c]
		clear(g[nt:])
	}
	gs := a.Scale * weightAt(a.Weight, i)
	var l float64
	for lo := 0; lo < nt; lo += len(zb) {
		hi := min(lo+len(zb), nt)
		z, f := zb[:hi-lo], fb[:hi-lo]
		for k := lo; k < hi; k++ {
			if k < y {
				z[k-lo] = -x[k]
			} else {
				z[k-lo] = x[k]
			}
		}
		vecSoftplus(f, z)
		for _, v := range f {
			l += float64(v)
		}
		if g == nil {
			continue
		}
		vecSigmoid(f, z)
		for k := lo; k < hi; k++ {
			s := f[k-lo]
			if k < y {
				g[k] = T(-gs) * s
			} else {
				g[k] = T(gs) * s
			}
		}
	}
	return l
}
