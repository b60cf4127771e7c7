package host

import (
	"math"

	"github.com/gloss-ml/gloss/internal/vmath"
)

// The row kernels' own SIMD primitives (candidates for internal/vmath): AVX-512 and AVX2
// assembly on amd64, generated with the elementwise kernels by internal/vmath/asm from its
// IR (zkernels_amd64.s; the generator's prim.go and cerows.go describe each body), run at the
// level vmath is active at (vmath.Active, so GLOSS_SIMD and vmath.Use select them too), and
// the portable Go here, which defines each primitive and computes the same bits at every
// level. A float64 sum keeps L lanes, element t in lane t mod L, each lane in index order and
// each step a fused multiply-add or an add; 8 lanes are added at the end as
// ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), as vmath does, and 16 lanes are first folded to 8
// (l_u + l_{u+8}). The dot products of dot4x4 use 8 lanes (its 16 products are independent
// chains already); the row sums use 16 lanes, two or four independent chains per sum. Maxima,
// positions and counts do not depend on the order.

// simdLevel returns the active vector level: 0 portable, 1 AVX2, 2 AVX-512 (never above what
// this build's assembly provides).
func simdLevel() int {
	if !haveAsm {
		return 0
	}
	switch vmath.Active() {
	case vmath.AVX512:
		return 2
	case vmath.AVX2:
		return 1
	}
	return 0
}

// lanes8 adds 8 float64 lanes in the fixed order.
func lanes8(l *[8]float64) float64 {
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

// lanes16 folds 16 float64 lanes to 8 (l_u + l_{u+8}) and adds those in the fixed order; the
// assembly does the same with a horizontal add.
func lanes16(l []float64) float64 {
	var f [8]float64
	for u := range f {
		f[u] = l[u] + l[u+8]
	}
	return lanes8(&f)
}

// dot4x4 computes the 16 dot products of rows a_0..a_3 (a[i·lda:]) with rows b_0..b_3
// (b[j·ldb:]) over k elements, k a multiple of 8, and stores out[i·ldo+j] = scale·(a_i·b_j):
// each product accumulated by a fused multiply-add into lane t mod 8 of its dot product, the
// lanes added as lanes8, the sum multiplied by scale.
func dot4x4(out []float64, ldo int, scale float64, a []float64, lda int, b []float64, ldb int, k int) {
	_ = out[3*ldo+3]
	if k == 0 {
		for i := range 4 {
			clear(out[i*ldo : i*ldo+4])
		}
		return
	}
	_ = a[3*lda+k-1]
	_ = b[3*ldb+k-1]
	switch simdLevel() {
	case 2:
		dot4x4AVX512(&a[0], lda, &b[0], ldb, k, &out[0], ldo, scale)
	case 1:
		dot4x4AVX2(&a[0], lda, &b[0], ldb, k, &out[0], ldo, scale)
	default:
		var l [128]float64
		dot4x4Go(&l, a, lda, b, ldb, k)
		for d := range 16 {
			out[(d/4)*ldo+d%4] = lanes8((*[8]float64)(l[8*d:8*d+8])) * scale
		}
	}
}

func dot4x4Go(l *[128]float64, a []float64, lda int, b []float64, ldb int, k int) {
	for i := range 4 {
		ai := a[i*lda : i*lda+k]
		for j := range 4 {
			bj := b[j*ldb : j*ldb+k]
			acc := (*[8]float64)(l[8*(4*i+j):])
			for t := 0; t < k; t += 8 {
				for u := range 8 {
					acc[u] = math.FMA(ai[t+u], bj[t+u], acc[u])
				}
			}
		}
	}
}

// sqDist returns Σ_j (a_j − b_j + eps)² over float32 rows, each w_j = (a_j − b_j) + eps formed
// in float64: the first n − n mod 16 elements accumulate w_j² by fused multiply-adds in 16
// lanes (lanes16), the rest are added in order after them.
func sqDist(a, b []float32, eps float64) float64 {
	n := len(a)
	b = b[:n]
	m := n &^ 15
	var s float64
	if m > 0 {
		switch simdLevel() {
		case 2:
			s = sqDistAVX512(&a[0], &b[0], m, eps)
		case 1:
			s = sqDistAVX2(&a[0], &b[0], m, eps)
		default:
			var l [16]float64
			for t, v := range a[:m] {
				w := float64(v) - float64(b[t]) + eps
				l[t&15] = math.FMA(w, w, l[t&15])
			}
			s = lanes16(l[:])
		}
	}
	for t, v := range a[m:] {
		w := float64(v) - float64(b[m+t]) + eps
		s = math.FMA(w, w, s)
	}
	return s
}

// sums3 returns Σ p_j·y_j, Σ p_j and Σ y_j over float32 rows in float64: the first n − n mod 16
// elements in 16 lanes each (lanes16; the products are exact, so fused or not they round
// once), the rest added in order after them.
func sums3(p, y []float32) (spy, sp, sy float64) {
	n := len(p)
	y = y[:n]
	m := n &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			spy, sp, sy = sums3AVX512(&p[0], &y[0], m)
		case 1:
			spy, sp, sy = sums3AVX2(&p[0], &y[0], m)
		default:
			var l [48]float64
			for t, v := range p[:m] {
				pv, yv := float64(v), float64(y[t])
				u := t & 15
				l[u] += pv * yv
				l[16+u] += pv
				l[32+u] += yv
			}
			spy, sp, sy = lanes16(l[0:16]), lanes16(l[16:32]), lanes16(l[32:48])
		}
	}
	for t, v := range p[m:] {
		pv, yv := float64(v), float64(y[m+t])
		spy += pv * yv
		sp += pv
		sy += yv
	}
	return spy, sp, sy
}

// maxF32 returns the largest element of x: NaN if any element is NaN, −Inf for an empty x.
func maxF32(x []float32) float32 {
	n := len(x)
	m := n &^ 15
	r := float32(math.Inf(-1))
	if m > 0 {
		var nan bool
		switch simdLevel() {
		case 2:
			r, nan = maxAVX512(&x[0], m)
		case 1:
			r, nan = maxAVX2(&x[0], m)
		default:
			m = 0
		}
		if nan {
			return float32(math.NaN())
		}
	}
	for _, v := range x[m:] {
		if v != v {
			return v
		}
		if v > r {
			r = v
		}
	}
	return r
}

// indexF32 returns the first index j with x_j == v (with x_j NaN when v is NaN), or −1.
func indexF32(x []float32, v float32) int {
	n := len(x)
	m := n &^ 15
	if m > 0 {
		lvl := simdLevel()
		if lvl > 0 {
			var j int
			if lvl == 2 {
				j = indexAVX512(&x[0], m, v)
			} else {
				j = indexAVX2(&x[0], m, v)
			}
			if j >= 0 {
				return j
			}
		} else {
			m = 0
		}
	}
	nan := v != v
	for j, u := range x[m:] {
		if u == v || nan && u != u {
			return m + j
		}
	}
	return -1
}

// countConfusion counts, over x and y, the elements with (x > t, or x ≥ t when ge) and
// y > 0.5 (tp), the predicted without y > 0.5 (fp), and y > 0.5 without the prediction (fn).
// NaN scores are never predicted.
func countConfusion(x, y []float32, t float32, ge bool) (tp, fp, fn int) {
	n := len(x)
	y = y[:n]
	m := n &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			tp, fp, fn = confusionAVX512(&x[0], &y[0], m, t, ge)
		case 1:
			tp, fp, fn = confusionAVX2(&x[0], &y[0], m, t, ge)
		default:
			m = 0
		}
	}
	for j, v := range x[m:] {
		var p int
		if ge {
			p = b2i(v >= t)
		} else {
			p = b2i(v > t)
		}
		q := b2i(y[m+j] > 0.5)
		tp += p & q
		fp += p &^ q
		fn += q &^ p
	}
	return tp, fp, fn
}

// threshold32 returns the float32 t and the comparison (x > t, or x ≥ t when ge) that select
// exactly the float32 x with float64(x) > thr.
func threshold32(thr float64) (t float32, ge bool) {
	t = float32(thr)
	switch {
	case float64(t) > thr: // thr lies between the float32 below t and t
		return t, true
	default: // t == thr, or t < thr with no float32 in (t, thr]
		return t, false
	}
}

// axpbF32 sets x_t = (a·x_t) + b, each operation rounded to float32.
func axpbF32(x []float32, a, b float32) {
	m := len(x) &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			axpbAVX512(&x[0], m, a, b)
		case 1:
			axpbAVX2(&x[0], m, a, b)
		default:
			m = 0
		}
	}
	for j, v := range x[m:] {
		x[m+j] = float32(a*v) + b // the conversion forbids a fused multiply-add
	}
}

// axpbycF32 sets x_t = (a·x_t) + ((b·y_t) + c), each operation rounded to float32.
func axpbycF32(x, y []float32, a, b, c float32) {
	y = y[:len(x)]
	m := len(x) &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			axpbycAVX512(&x[0], &y[0], m, a, b, c)
		case 1:
			axpbycAVX2(&x[0], &y[0], m, a, b, c)
		default:
			m = 0
		}
	}
	for j, v := range x[m:] {
		x[m+j] = float32(a*v) + (float32(b*y[m+j]) + c)
	}
}

// maxF64 returns the largest element of x: NaN if any element is NaN, −Inf for an empty x.
func maxF64(x []float64) float64 {
	n := len(x)
	m := n &^ 15
	r := math.Inf(-1)
	if m > 0 {
		var nan bool
		switch simdLevel() {
		case 2:
			r, nan = maxF64AVX512(&x[0], m)
		case 1:
			r, nan = maxF64AVX2(&x[0], m)
		default:
			m = 0
		}
		if nan {
			return math.NaN()
		}
	}
	for _, v := range x[m:] {
		if v != v {
			return v
		}
		if v > r {
			r = v
		}
	}
	return r
}

// subF32 sets dst_t = float32(a_t − b_t), or float32(a_t − c) when b is nil.
func subF32(dst []float32, a, b []float64, c float64) {
	n := len(dst)
	a = a[:n]
	if b != nil {
		b = b[:n]
	}
	m := n &^ 15
	if m > 0 {
		var bp *float64
		if b != nil {
			bp = &b[0]
		}
		switch simdLevel() {
		case 2:
			subF32AVX512(&dst[0], &a[0], bp, m, c)
		case 1:
			subF32AVX2(&dst[0], &a[0], bp, m, c)
		default:
			m = 0
		}
	}
	if b == nil {
		for t, v := range a[m:] {
			dst[m+t] = float32(v - c)
		}
		return
	}
	for t, v := range a[m:] {
		dst[m+t] = float32(v - b[m+t])
	}
}

// widenF32 sets dst_t = float64(src_t).
func widenF32(dst []float64, src []float32) {
	n := len(src)
	dst = dst[:n]
	m := n &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			widenAVX512(&dst[0], &src[0], m)
		case 1:
			widenAVX2(&dst[0], &src[0], m)
		default:
			m = 0
		}
	}
	for t, v := range src[m:] {
		dst[m+t] = float64(v)
	}
}

// tripGrad writes a triplet row's gradients for p = 2 without a swap share: with
// u_t = (a_t − p_t) + eps and v_t = (a_t − n_t) + eps in float64, ga_t = kp·u_t − kn·v_t,
// gp_t = (−kp)·u_t and gn_t = kn·v_t, each product and difference rounded in float64, then to
// float32. ga may be a.
func tripGrad(ga, gp, gn, a, p, n []float32, kp, kn, eps float64) {
	cnt := len(a)
	p, n, ga, gp, gn = p[:cnt], n[:cnt], ga[:cnt], gp[:cnt], gn[:cnt]
	m := cnt &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			tripGradAVX512(&a[0], &p[0], &n[0], &ga[0], &gp[0], &gn[0], m, kp, kn, eps)
		case 1:
			tripGradAVX2(&a[0], &p[0], &n[0], &ga[0], &gp[0], &gn[0], m, kp, kn, eps)
		default:
			m = 0
		}
	}
	nkp := -kp
	for t := m; t < cnt; t++ {
		av := float64(a[t])
		u := (av - float64(p[t])) + eps
		v := (av - float64(n[t])) + eps
		ku, kv := float64(kp*u), float64(kn*v) // the conversions forbid fused multiply-adds
		ga[t] = float32(ku - kv)
		gp[t] = float32(nkp * u)
		gn[t] = float32(kv)
	}
}

// segGrad32 writes g_t = ((1 − y_t)·ka + y_t·kb)·(p_t·q_t) + kg·((1 − y_t)·p_t − y_t·q_t), each
// float32 operation rounded: a segmentation loss's gradient from p = σ(x) and q = σ(−x).
func segGrad32(g, p, q, y []float32, ka, kb, kg float32) {
	n := len(g)
	p, q, y = p[:n], q[:n], y[:n]
	m := n &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			segGradAVX512(&g[0], &p[0], &q[0], &y[0], m, ka, kb, kg)
		case 1:
			segGradAVX2(&g[0], &p[0], &q[0], &y[0], m, ka, kb, kg)
		default:
			m = 0
		}
	}
	for t := m; t < n; t++ {
		pt, qt, yt := p[t], q[t], y[t]
		ny := 1 - yt
		u := float32(ny*ka) + float32(yt*kb)
		v := float32(ny*pt) - float32(yt*qt)
		g[t] = float32(u*float32(pt*qt)) + float32(v*kg)
	}
}

// sigmoids32 sets p_t = σ(x_t) and q_t = σ(−x_t) (vmath.Sigmoid of x and of −x, the same bits
// at every level): one exponential and one division per element on AVX-512, two sigmoids
// elsewhere. q may not be x.
func sigmoids32(p, q, x []float32) {
	n := len(x)
	p, q = p[:n], q[:n]
	m := 0
	if simdLevel() == 2 && n >= 16 {
		m = n &^ 15
		sigmoidsAVX512(&p[0], &q[0], &x[0], m)
	}
	if m == n {
		return
	}
	vmath.Sigmoid(p[m:], x[m:])
	copy(q[m:], x[m:])
	axpbF32(q[m:], -1, 0)
	vmath.Sigmoid(q[m:], q[m:])
}

// fpfn returns Σ p_t·(1 − y_t) and Σ q_t·y_t in float64 (1 − y_t rounded to float32 first):
// a segmentation row's false positives and negatives from p = σ(x) and q = σ(−x).
func fpfn(p, q, y []float32) (fp, fn float64) {
	n := len(p)
	q, y = q[:n], y[:n]
	m := n &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			fp, fn = fpfnAVX512(&p[0], &q[0], &y[0], m)
		case 1:
			fp, fn = fpfnAVX2(&p[0], &q[0], &y[0], m)
		default:
			var l [32]float64
			for t, v := range p[:m] {
				u := t & 15
				l[u] += float64(v) * float64(1-y[t])
				l[16+u] += float64(q[t]) * float64(y[t])
			}
			fp, fn = lanes16(l[0:16]), lanes16(l[16:32])
		}
	}
	for t := m; t < n; t++ {
		fp += float64(p[t]) * float64(1-y[t])
		fn += float64(q[t]) * float64(y[t])
	}
	return fp, fn
}

// argmaxRows sets idx[r] to the argmax of each of the len(idx) contiguous rows of c floats
// in x (1 ≤ c ≤ 16): the first index of the largest value, or of the first NaN.
func argmaxRows(x []float32, c int, idx []int32) {
	n := len(idx)
	if n == 0 {
		return
	}
	_ = x[n*c-1]
	switch simdLevel() {
	case 2:
		argmaxRowsAVX512(&x[0], n, c, &idx[0])
		return
	case 1:
		argmaxRowsAVX2(&x[0], n, c, &idx[0])
		return
	}
	for r := range idx {
		idx[r] = int32(argmax(x[r*c : (r+1)*c])) // rows of c ≤ 16: argmax's scalar pass
	}
}

// margin32 is multi_margin's pass over the classes on one side of the label: with
// z_t = max(thr + x_t, 0) in float64 (the max keeps a NaN, and z itself where it is ±0), it
// returns l = Σ z_t (Σ z_t² when sq) and gsum = Σ g_t with g_t = k·[z_t > 0] (2k·z_t when sq),
// and writes float32(g_t) to g unless g is nil. The first n − n mod 16 elements sum in 16
// lanes (lanes16, squares by fused multiply-adds), the rest in order after them. g may be x.
func margin32(g, x []float32, thr, k float64, sq bool) (l, gsum float64) {
	n := len(x)
	m := n &^ 15
	var gp *float32
	if g != nil {
		g = g[:n]
		if m > 0 {
			gp = &g[0]
		}
	}
	if m > 0 {
		switch simdLevel() {
		case 2:
			l, gsum = marginAVX512(gp, &x[0], m, thr, k, sq)
		case 1:
			l, gsum = marginAVX2(gp, &x[0], m, thr, k, sq)
		default:
			var ll, gl [16]float64
			for t, v := range x[:m] {
				z, gt := marginTerm(v, thr, k, sq)
				if sq {
					ll[t&15] = math.FMA(z, z, ll[t&15])
				} else {
					ll[t&15] += z
				}
				gl[t&15] += gt
				if g != nil {
					g[t] = float32(gt)
				}
			}
			l, gsum = lanes16(ll[:]), lanes16(gl[:])
		}
	}
	for t := m; t < n; t++ {
		z, gt := marginTerm(x[t], thr, k, sq)
		if sq {
			l = math.FMA(z, z, l)
		} else {
			l += z
		}
		gsum += gt
		if g != nil {
			g[t] = float32(gt)
		}
	}
	return l, gsum
}

// marginTerm returns one class's z = max(thr + x, 0) (VMAXPD's rule: z itself when it is NaN
// or ±0) and its gradient k·[z > 0], or (2k)·z when sq.
func marginTerm(x float32, thr, k float64, sq bool) (z, g float64) {
	z = thr + float64(x)
	if !(z > 0 || z != z || z == 0) {
		z = 0
	}
	if sq {
		return z, (k + k) * z
	}
	if z > 0 {
		g = k
	}
	return z, g
}

// tripDist returns sqDist(a, p, eps), sqDist(a, n, eps) and sqDist(p, n, eps) (the same bits)
// in one pass over the three rows.
func tripDist(a, p, n []float32, eps float64) (dp, dn, ds float64) {
	cnt := len(a)
	p, n = p[:cnt], n[:cnt]
	m := cnt &^ 15
	if m > 0 {
		switch simdLevel() {
		case 2:
			dp, dn, ds = tripDistAVX512(&a[0], &p[0], &n[0], m, eps)
		case 1:
			dp, dn, ds = tripDistAVX2(&a[0], &p[0], &n[0], m, eps)
		default:
			m = 0
		}
	}
	if m == 0 {
		return sqDist(a, p, eps), sqDist(a, n, eps), sqDist(p, n, eps)
	}
	for t := m; t < cnt; t++ {
		av, pv, nv := float64(a[t]), float64(p[t]), float64(n[t])
		w := av - pv + eps
		dp = math.FMA(w, w, dp)
		w = av - nv + eps
		dn = math.FMA(w, w, dn)
		w = pv - nv + eps
		ds = math.FMA(w, w, ds)
	}
	return dp, dn, ds
}

// rowStats returns maxF32(x) and sums3(t, x), the same bits, in one pass over the row at
// AVX-512 (two calls elsewhere).
func rowStats(x, t []float32) (m float32, stx, st, sx float64) {
	n := len(x)
	t = t[:n]
	if simdLevel() != 2 || n < 16 {
		m = maxF32(x)
		stx, st, sx = sums3(t, x)
		return m, stx, st, sx
	}
	k := n &^ 15
	var nan bool
	m, nan, stx, st, sx = statsAVX512(&x[0], &t[0], k)
	for j := k; j < n; j++ {
		v := x[j]
		if v != v {
			nan = true
		}
		if v > m {
			m = v
		}
		tv, xv := float64(t[j]), float64(v)
		stx += tv * xv
		st += tv
		sx += xv
	}
	if nan {
		m = float32(math.NaN())
	}
	return m, stx, st, sx
}
