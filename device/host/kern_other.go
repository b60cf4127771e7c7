//go:build !amd64 || purego

package host

// haveAsm reports whether this build has the assembly kernels of kern_amd64.s.
const haveAsm = false

func dot4x4AVX512(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64) {
	panic("unreachable")
}
func dot4x4AVX2(a *float64, lda int, b *float64, ldb int, k int, out *float64, ldo int, scale float64) {
	panic("unreachable")
}
func sqDistAVX512(a, b *float32, n int, eps float64) float64       { panic("unreachable") }
func sqDistAVX2(a, b *float32, n int, eps float64) float64         { panic("unreachable") }
func sums3AVX512(p, y *float32, n int) (float64, float64, float64) { panic("unreachable") }
func sums3AVX2(p, y *float32, n int) (float64, float64, float64)   { panic("unreachable") }
func maxAVX512(x *float32, n int) (float32, bool)                  { panic("unreachable") }
func maxAVX2(x *float32, n int) (float32, bool)                    { panic("unreachable") }
func indexAVX512(x *float32, n int, v float32) int                 { panic("unreachable") }
func indexAVX2(x *float32, n int, v float32) int                   { panic("unreachable") }
func confusionAVX512(x, y *float32, n int, t float32, ge bool) (int, int, int) {
	panic("unreachable")
}
func confusionAVX2(x, y *float32, n int, t float32, ge bool) (int, int, int) {
	panic("unreachable")
}

func axpbAVX512(x *float32, n int, a, b float32)         { panic("unreachable") }
func axpbAVX2(x *float32, n int, a, b float32)           { panic("unreachable") }
func axpbycAVX512(x, y *float32, n int, a, b, c float32) { panic("unreachable") }
func axpbycAVX2(x, y *float32, n int, a, b, c float32)   { panic("unreachable") }

func maxF64AVX512(x *float64, n int) (float64, bool)             { panic("unreachable") }
func maxF64AVX2(x *float64, n int) (float64, bool)               { panic("unreachable") }
func subF32AVX512(dst *float32, a, b *float64, n int, c float64) { panic("unreachable") }
func subF32AVX2(dst *float32, a, b *float64, n int, c float64)   { panic("unreachable") }
func widenAVX512(dst *float64, src *float32, n int)              { panic("unreachable") }
func widenAVX2(dst *float64, src *float32, n int)                { panic("unreachable") }

func tripGradAVX512(a, p, n, ga, gp, gn *float32, cnt int, kp, kn, eps float64) {
	panic("unreachable")
}
func tripGradAVX2(a, p, n, ga, gp, gn *float32, cnt int, kp, kn, eps float64) {
	panic("unreachable")
}
func segGradAVX512(dst, p, y *float32, n int, ka, kb, kg, kd float32) { panic("unreachable") }
func segGradAVX2(dst, p, y *float32, n int, ka, kb, kg, kd float32)   { panic("unreachable") }

func argmaxRowsAVX512(x *float32, n, c int, idx *int32) { panic("unreachable") }
func argmaxRowsAVX2(x *float32, n, c int, idx *int32)   { panic("unreachable") }

func marginAVX512(dst, x *float32, n int, thr, k float64, sq bool) (float64, float64) {
	panic("unreachable")
}
func marginAVX2(dst, x *float32, n int, thr, k float64, sq bool) (float64, float64) {
	panic("unreachable")
}

func tripDistAVX512(a, p, n *float32, cnt int, eps float64) (float64, float64, float64) {
	panic("unreachable")
}
func tripDistAVX2(a, p, n *float32, cnt int, eps float64) (float64, float64, float64) {
	panic("unreachable")
}

func statsAVX512(x, t *float32, n int) (float32, bool, float64, float64, float64) {
	panic("unreachable")
}
