//go:build !amd64 || purego

package host

// haveAsm reports whether this build has the primitives' assembly (zkernels_amd64.s).
const haveAsm = false

func dot4x4AVX2(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64) {
	panic("unreachable")
}
