//go:build amd64 && !purego

package host

// haveAsm reports whether this build has the assembly kernels of kern_amd64.s.
const haveAsm = true

//go:noescape
func dot4x4AVX512(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64)

//go:noescape
func dot2x2AVX2(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64)

// dot4x4AVX2 runs the 4×4 tile as four 2×2 tiles (AVX2 has 16 vector registers).
func dot4x4AVX2(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64) {
	as := unsafeSlice(a, 3*lda+k)
	bs := unsafeSlice(b, 3*ldb+k)
	os := unsafeSlice(out, 3*ldo+4)
	for i0 := 0; i0 < 4; i0 += 2 {
		for j0 := 0; j0 < 4; j0 += 2 {
			dot2x2AVX2(&as[i0*lda], lda, &bs[j0*ldb], ldb, k, &os[i0*ldo+j0], ldo, scale)
		}
	}
}

//go:noescape
func sqDistAVX512(a, b *float32, n int, eps float64) float64

//go:noescape
func sqDistAVX2(a, b *float32, n int, eps float64) float64

//go:noescape
func sums3AVX512(p, y *float32, n int) (spy, sp, sy float64)

//go:noescape
func sums3AVX2(p, y *float32, n int) (spy, sp, sy float64)

//go:noescape
func maxAVX512(x *float32, n int) (m float32, nan bool)

//go:noescape
func maxAVX2(x *float32, n int) (m float32, nan bool)

//go:noescape
func indexAVX512(x *float32, n int, v float32) int

//go:noescape
func indexAVX2(x *float32, n int, v float32) int

//go:noescape
func confusionAVX512(x, y *float32, n int, t float32, ge bool) (tp, fp, fn int)

//go:noescape
func confusionAVX2(x, y *float32, n int, t float32, ge bool) (tp, fp, fn int)

//go:noescape
func axpbAVX512(x *float32, n int, a, b float32)

//go:noescape
func axpbAVX2(x *float32, n int, a, b float32)

//go:noescape
func axpbycAVX512(x, y *float32, n int, a, b, c float32)

//go:noescape
func axpbycAVX2(x, y *float32, n int, a, b, c float32)

//go:noescape
func maxF64AVX512(x *float64, n int) (m float64, nan bool)

//go:noescape
func maxF64AVX2(x *float64, n int) (m float64, nan bool)

//go:noescape
func subF32AVX512(dst *float32, a, b *float64, n int, c float64)

//go:noescape
func subF32AVX2(dst *float32, a, b *float64, n int, c float64)

//go:noescape
func widenAVX512(dst *float64, src *float32, n int)

//go:noescape
func widenAVX2(dst *float64, src *float32, n int)

//go:noescape
func tripGradAVX512(a, p, n, ga, gp, gn *float32, cnt int, kp, kn, eps float64)

//go:noescape
func tripGradAVX2(a, p, n, ga, gp, gn *float32, cnt int, kp, kn, eps float64)

//go:noescape
func segGradAVX512(dst, p, y *float32, n int, ka, kb, kg, kd float32)

//go:noescape
func segGradAVX2(dst, p, y *float32, n int, ka, kb, kg, kd float32)

//go:noescape
func argmaxRowsAVX512(x *float32, n, c int, idx *int32)

//go:noescape
func argmaxRowsAVX2(x *float32, n, c int, idx *int32)

//go:noescape
func marginAVX512(dst, x *float32, n int, thr, k float64, sq bool) (l, gsum float64)

//go:noescape
func marginAVX2(dst, x *float32, n int, thr, k float64, sq bool) (l, gsum float64)

//go:noescape
func tripDistAVX512(a, p, n *float32, cnt int, eps float64) (dp, dn, ds float64)

//go:noescape
func tripDistAVX2(a, p, n *float32, cnt int, eps float64) (dp, dn, ds float64)

//go:noescape
func statsAVX512(x, t *float32, n int) (m float32, nan bool, stx, st, sx float64)
