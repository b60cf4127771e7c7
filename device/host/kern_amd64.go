//go:build amd64 && !purego

package host

// haveAsm reports whether this build has the primitives' assembly (zkernels_amd64.s).
const haveAsm = true

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
