package cpuref

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// runAll runs kernel name on a copy of a with every output allocated (PerSample, and GX, GY,
// GZ for the inputs present) and returns the copy and the sums.
func runAll(t *testing.T, name string, a *Args[float64], par Par) (*Args[float64], []float64) {
	t.Helper()
	b := *a
	if b.Scale == 0 {
		b.Scale = 1
	}
	b.PerSample = make([]float64, a.N)
	b.GX = make([]float64, len(a.X))
	if a.Y != nil {
		b.GY = make([]float64, len(a.Y))
	}
	if a.Z != nil {
		b.GZ = make([]float64, len(a.Z))
	}
	s, err := Run(name, &b, par)
	if err != nil {
		t.Fatal(err)
	}
	return &b, s
}

func eqVec(t *testing.T, what string, got, want []float64, tol float64, source string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		eq(t, what, got[i], want[i], tol, source)
	}
}

func TestTripletByHand(t *testing.T) {
	// a = (0, 0), p = (3, 4), n = (1, 0), eps = 0: d⁺ = 5, d⁻ = 1, L = 5 − 1 + 1 = 5.
	// Gradients: ∂d⁺/∂a = (a−p)/d⁺ = (−0.6, −0.8), ∂d⁻/∂a = (a−n)/d⁻ = (−1, 0), so
	// ∂L/∂a = (0.4, −0.8), ∂L/∂p = (0.6, 0.8), ∂L/∂n = (−1, 0).
	a := &Args[float64]{N: 1, C: 2, X: []float64{0, 0}, Y: []float64{3, 4}, Z: []float64{1, 0}, P: [8]float64{1, 2, 0, 0}}
	b, _ := runAll(t, "triplet", a, Serial)
	eq(t, "triplet p=2", b.PerSample[0], 5, 1e-15, "hand: 5 − 1 + 1")
	eqVec(t, "triplet p=2 ∂a", b.GX, []float64{0.4, -0.8}, 1e-15, "hand")
	eqVec(t, "triplet p=2 ∂p", b.GY, []float64{0.6, 0.8}, 1e-15, "hand")
	eqVec(t, "triplet p=2 ∂n", b.GZ, []float64{-1, 0}, 1e-15, "hand")

	// PyTorch's eps = 1e-6 is added to each difference: d⁺ = ‖(−3+ε, −4+ε)‖, d⁻ = ‖(−1+ε, ε)‖.
	const e = 1e-6
	a.P = [8]float64{1, 2, e, 0}
	b, _ = runAll(t, "triplet", a, Serial)
	want := math.Sqrt((-3+e)*(-3+e)+(-4+e)*(-4+e)) - math.Sqrt((-1+e)*(-1+e)+e*e) + 1
	eq(t, "triplet eps", b.PerSample[0], want, 1e-15, "PyTorch pairwise_distance = ‖x1 − x2 + eps‖, by hand")

	// p = 1, eps = 0: d⁺ = 3 + 4 = 7, d⁻ = 1, L = 7; ∂d⁺/∂a = sign(a−p) = (−1, −1),
	// ∂d⁻/∂a = sign(a−n) = (−1, 0) (sign(0) = 0), so ∂L/∂a = (0, −1) and
	// ∂L/∂n = −∂d⁻/∂n = sign(a−n) = (−1, 0).
	a.P = [8]float64{1, 1, 0, 0}
	b, _ = runAll(t, "triplet", a, Serial)
	eq(t, "triplet p=1", b.PerSample[0], 7, 0, "hand: 7 − 1 + 1")
	eqVec(t, "triplet p=1 ∂a", b.GX, []float64{0, -1}, 0, "hand")
	eqVec(t, "triplet p=1 ∂n", b.GZ, []float64{-1, 0}, 0, "hand")

	// p = 3: d⁺ = (27 + 64)^(1/3), d⁻ = 1.
	a.P = [8]float64{0.5, 3, 0, 0}
	b, _ = runAll(t, "triplet", a, Serial)
	eq(t, "triplet p=3", b.PerSample[0], math.Cbrt(91)-1+0.5, 1e-15, "hand: 91^(1/3) − 1 + 0.5")

	// Inactive hinge: margin −10 gives L = max(5 − 1 − 10, 0) = 0 and zero gradients.
	a.P = [8]float64{-10, 2, 0, 0}
	b, _ = runAll(t, "triplet", a, Serial)
	eq(t, "triplet inactive", b.PerSample[0], 0, 0, "hand")
	eqVec(t, "triplet inactive ∂a", b.GX, []float64{0, 0}, 0, "hand")
}

func TestTripletSwapByHand(t *testing.T) {
	// a = (0, 0), p = (1, 0), n = (2, 0), margin ½, eps = 0: d⁺ = 1, d⁻ = 2, d(p, n) = 1.
	// Without swap L = max(1 − 2 + ½, 0) = 0; with swap d⁻ ← min(2, 1) = 1 and L = ½.
	a := &Args[float64]{N: 1, C: 2, X: []float64{0, 0}, Y: []float64{1, 0}, Z: []float64{2, 0}, P: [8]float64{0.5, 2, 0, 0}}
	b, _ := runAll(t, "triplet", a, Serial)
	eq(t, "triplet no swap", b.PerSample[0], 0, 0, "hand")
	a.P[3] = 1
	b, _ = runAll(t, "triplet", a, Serial)
	eq(t, "triplet swap", b.PerSample[0], 0.5, 1e-15, "hand")
	// With swap the negative distance is d(p, n): ∂L/∂p = −(a−p)/d⁺ − (p−n)/d(p,n) = (1, 0) − (−1, 0).
	eqVec(t, "triplet swap ∂a", b.GX, []float64{-1, 0}, 1e-15, "hand: (a−p)/d⁺ only")
	eqVec(t, "triplet swap ∂p", b.GY, []float64{2, 0}, 1e-15, "hand")
	eqVec(t, "triplet swap ∂n", b.GZ, []float64{-1, 0}, 1e-15, "hand: (p−n)/d(p,n)")

	// A tie: a = (0, 0), p = (2, 0), n = (1, 0): d⁻ = d(p, n) = 1. PyTorch's minimum sends half
	// the gradient to each: ∂L/∂a = (a−p)/2 − ½(a−n)/1 = (−1, 0) + (½, 0) = (−½, 0);
	// ∂L/∂p = (1, 0) − ½(1, 0) = (½, 0); ∂L/∂n = ½(−1, 0) + ½(1, 0) = (0, 0).
	a = &Args[float64]{N: 1, C: 2, X: []float64{0, 0}, Y: []float64{2, 0}, Z: []float64{1, 0}, P: [8]float64{1, 2, 0, 1}}
	b, _ = runAll(t, "triplet", a, Serial)
	eq(t, "triplet tie", b.PerSample[0], 2, 0, "hand: 2 − 1 + 1")
	eqVec(t, "triplet tie ∂a", b.GX, []float64{-0.5, 0}, 0, "PyTorch minimum backward: ½ at ties")
	eqVec(t, "triplet tie ∂p", b.GY, []float64{0.5, 0}, 0, "PyTorch minimum backward: ½ at ties")
	eqVec(t, "triplet tie ∂n", b.GZ, []float64{0, 0}, 0, "PyTorch minimum backward: ½ at ties")
}

func TestTripletKinks(t *testing.T) {
	// At the hinge kink, d⁺ − d⁻ + m = 0: a = (0, 0), p = (1, 0), n = (0, 2), m = 1 gives
	// 1 − 2 + 1 = 0. PyTorch's clamp_min passes the gradient where its input is ≥ 0:
	// ∂L/∂a = (−1, 0) − (0, −1) = (−1, 1), ∂L/∂p = (1, 0), ∂L/∂n = (0, −1).
	a := &Args[float64]{N: 1, C: 2, X: []float64{0, 0}, Y: []float64{1, 0}, Z: []float64{0, 2}, P: [8]float64{1, 2, 0, 0}}
	b, _ := runAll(t, "triplet", a, Serial)
	eq(t, "triplet kink", b.PerSample[0], 0, 0, "hand")
	eqVec(t, "triplet kink ∂a", b.GX, []float64{-1, 1}, 0, "clamp_min backward: grad where input ≥ min")
	eqVec(t, "triplet kink ∂p", b.GY, []float64{1, 0}, 0, "clamp_min backward")
	eqVec(t, "triplet kink ∂n", b.GZ, []float64{0, -1}, 0, "clamp_min backward")

	// Zero distance: the anchor equals the positive (eps = 0), so d⁺ = 0 and its gradient is
	// PyTorch's subgradient 0, for every p; only d⁻ moves the anchor.
	for _, p := range []float64{0.5, 1, 1.5, 2, 3} {
		a := &Args[float64]{N: 1, C: 2, X: []float64{1, 1}, Y: []float64{1, 1}, Z: []float64{1, 3}, P: [8]float64{5, p, 0, 0}}
		b, _ := runAll(t, "triplet", a, Serial)
		eq(t, "triplet d⁺=0", b.PerSample[0], 0-2+5, 1e-15, "hand: 0 − 2 + 5")
		// a − n = (0, −2): ∂d⁻/∂a = (0, −1) for any p (one non-zero coordinate).
		eqVec(t, "triplet d⁺=0 ∂a", b.GX, []float64{0, 1}, 1e-15, "norm backward: 0 at the origin")
		eqVec(t, "triplet d⁺=0 ∂p", b.GY, []float64{0, 0}, 0, "norm backward: 0 at the origin")
	}
}

// tripletArgs draws N(0, 1) embeddings and sample weights.
func tripletArgs(r *rand.Rand, n, d int, p [8]float64) *Args[float64] {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.1 + 1.9*r.Float64()
	}
	return &Args[float64]{N: n, C: d, X: randn(r, n*d, 1), Y: randn(r, n*d, 1), Z: randn(r, n*d, 1), Weight: w, P: p, Scale: 1}
}

func TestTripletGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, p := range []float64{2, 1, 3, 1.5, 0.7} {
		for _, swap := range []float64{0, 1} {
			a := tripletArgs(r, 8, 4, [8]float64{0.5, p, 1e-6, swap})
			// The check is only meaningful with active and inactive rows, away from the kink.
			b, _ := runAll(t, "triplet", a, Serial)
			var active int
			for _, l := range b.PerSample {
				if l > 0 {
					active++
				}
				if l > 0 && l < 1e-4 {
					t.Fatalf("p=%v swap=%v: a row sits at the hinge kink (L = %v); change the seed", p, swap, l)
				}
			}
			if active == 0 || active == a.N {
				t.Fatalf("p=%v swap=%v: %d of %d rows active; the draw does not cover both sides", p, swap, active, a.N)
			}
			checkFD(t, "triplet", a, []int{0, 1, 2}, false, 1e-6)
		}
	}
}

func TestInfoNCEByHand(t *testing.T) {
	// q = [[1, 1], [0, 1]], k = I, τ = 1, no normalisation: S = q·kᵀ = [[1, 1], [0, 1]].
	// Rows: L_0 = lse(1, 1) − 1 = log 2, L_1 = lse(0, 1) − 1 = log(1 + e^{−1}).
	// Columns: lse(s_00, s_10) − s_00 = lse(1, 0) − 1 = log(1 + e^{−1}), lse(1, 1) − 1 = log 2.
	q := []float64{1, 1, 0, 1}
	k := []float64{1, 0, 0, 1}
	a := &Args[float64]{N: 2, C: 2, X: q, Y: k, P: [8]float64{1, 0, 0}}
	b, s := runAll(t, "info_nce", a, Serial)
	l1 := math.Log1p(math.Exp(-1))
	eqVec(t, "info_nce rows", b.PerSample, []float64{math.Ln2, l1}, 1e-15, "hand")
	eq(t, "info_nce Σ", s[0], math.Ln2+l1, 1e-15, "hand")
	eq(t, "info_nce Σw", s[1], 2, 0, "two rows")
	// ∂L_0/∂q_0 = Σ_j (P_0j − δ_0j) k_j = (½ − 1, ½); ∂L_1/∂q_1 = (P_10, P_11 − 1) with
	// P_1· = softmax(0, 1) = (1/(1+e), e/(1+e)).
	p10 := 1 / (1 + math.E)
	eqVec(t, "info_nce ∂q", b.GX, []float64{-0.5, 0.5, p10, -p10}, 1e-15, "hand")
	// ∂F/∂k_j = Σ_i (P_ij − δ_ij) q_i: k_0 = −½·(1, 1) + p10·(0, 1), k_1 = ½·(1, 1) − p10·(0, 1).
	eqVec(t, "info_nce ∂k", b.GY, []float64{-0.5, -0.5 + p10, 0.5, 0.5 - p10}, 1e-15, "hand")

	// Symmetric: the mean of the two directions, ½(log 2 + log(1 + e^{−1})) for both rows.
	a.P[2] = 1
	b, _ = runAll(t, "info_nce", a, Serial)
	eqVec(t, "info_nce symmetric", b.PerSample, []float64{(math.Ln2 + l1) / 2, (math.Ln2 + l1) / 2}, 1e-15, "hand")

	// τ = ½ doubles S: rows log 2 and log(1 + e^{−2}).
	a.P = [8]float64{0.5, 0, 0}
	b, _ = runAll(t, "info_nce", a, Serial)
	eqVec(t, "info_nce τ=½", b.PerSample, []float64{math.Ln2, math.Log1p(math.Exp(-2))}, 1e-15, "hand")

	// Normalised: q = [[3, 4], [0, 2]] → [[0.6, 0.8], [0, 1]], k = [[1, 0], [0, 5]] → I, τ = 1:
	// L_0 = lse(0.6, 0.8) − 0.6 = log(1 + e^{0.2}), L_1 = lse(0, 1) − 1 = log(1 + e^{−1}).
	a = &Args[float64]{N: 2, C: 2, X: []float64{3, 4, 0, 2}, Y: []float64{1, 0, 0, 5}, P: [8]float64{1, 1, 0}}
	b, _ = runAll(t, "info_nce", a, Serial)
	eqVec(t, "info_nce normalize", b.PerSample, []float64{math.Log1p(math.Exp(0.2)), l1}, 1e-15, "hand")
}

// nceArgs draws N(0, 1) queries and keys (keys correlated with their queries, as trained
// pairs are) and sample weights.
func nceArgs(r *rand.Rand, n, d int, p [8]float64) *Args[float64] {
	q := randn(r, n*d, 1)
	k := randn(r, n*d, 1)
	for i := range k {
		k[i] = 0.6*q[i] + 0.8*k[i]
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.1 + 1.9*r.Float64()
	}
	return &Args[float64]{N: n, C: d, X: q, Y: k, Weight: w, P: p, Scale: 1}
}

func TestInfoNCESymmetricIsMeanOfDirections(t *testing.T) {
	// The key→query direction of (q, k) is the query→key direction of (k, q), so
	// symmetric(q, k)_i = ½(rows(q, k)_i + rows(k, q)_i) (the definition, per row).
	r := rand.New(rand.NewPCG(11, 12))
	for _, norm := range []float64{0, 1} {
		a := nceArgs(r, 6, 5, [8]float64{0.3, norm, 1})
		a.Weight = nil
		sym, _ := runAll(t, "info_nce", a, Serial)
		a.P[2] = 0
		qk, _ := runAll(t, "info_nce", a, Serial)
		swapped := *a
		swapped.X, swapped.Y = a.Y, a.X
		kq, _ := runAll(t, "info_nce", &swapped, Serial)
		for i := range a.N {
			eq(t, "info_nce symmetric", sym.PerSample[i], (qk.PerSample[i]+kq.PerSample[i])/2, 1e-14, "mean of the two directions")
		}
	}
}

func TestInfoNCEGradFD(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, tau := range []float64{0.07, 0.5} {
		for _, norm := range []float64{0, 1} {
			for _, sym := range []float64{0, 1} {
				a := nceArgs(r, 5, 3, [8]float64{tau, norm, sym})
				if norm == 0 {
					// Unnormalised similarities grow with ‖q‖‖k‖/τ; keep them moderate.
					for i := range a.X {
						a.X[i] *= 0.3
						a.Y[i] *= 0.3
					}
				}
				checkFD(t, "info_nce", a, []int{0, 1}, false, 1e-6)
			}
		}
	}
}

func TestInfoNCEStable(t *testing.T) {
	// Large unnormalised similarities (|s| up to 1e6/τ): log-sum-exp with the maximum keeps
	// the loss and gradient finite; a zero query with normalisation gives similarity 0.
	a := &Args[float64]{N: 3, C: 2, X: []float64{1000, 0, 0, 1000, -1000, 1000}, Y: []float64{1000, 0, 0, -1000, 5, 5},
		P: [8]float64{0.07, 0, 1}}
	b, _ := runAll(t, "info_nce", a, Serial)
	for i, v := range append(append(append([]float64{}, b.PerSample...), b.GX...), b.GY...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("info_nce at large similarities: output %d = %v, want finite", i, v)
		}
	}
	a = &Args[float64]{N: 2, C: 2, X: []float64{0, 0, 1, 0}, Y: []float64{1, 0, 0, 1}, P: [8]float64{1, 1, 0}}
	b, _ = runAll(t, "info_nce", a, Serial)
	// Row 0: s_0· = (0, 0), L_0 = log 2. Row 1: q̂_1 = (1, 0), s_1· = (1, 0), L_1 = lse(1, 0) − 0.
	eqVec(t, "info_nce zero query", b.PerSample, []float64{math.Ln2, 1 + math.Log1p(math.Exp(-1))}, 1e-15, "hand: F.normalize(0) = 0")
}

// shuffledPar runs every chunk on its own goroutine, started last chunk first, and adds the
// chunk sums in chunk order: any correct kernel gives Serial's bits under it.
func shuffledPar(n, chunk, nsums int, body func(lo, hi int, sums []float64)) []float64 {
	nchunks := (n + chunk - 1) / chunk
	parts := make([]float64, nchunks*nsums)
	var wg sync.WaitGroup
	for k := nchunks - 1; k >= 0; k-- {
		wg.Go(func() {
			lo := k * chunk
			body(lo, min(lo+chunk, n), parts[k*nsums:(k+1)*nsums])
		})
	}
	wg.Wait()
	total := make([]float64, nsums)
	for k := range nchunks {
		for j := range total {
			total[j] += parts[k*nsums+j]
		}
	}
	return total
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("%s[%d] = %v, want %v bit for bit", what, i, got[i], want[i])
			return
		}
	}
}

func TestInfoNCEDeterministic(t *testing.T) {
	// N·N·D = 201²·9 ≈ 360k multiply-adds per pass: several chunks of infoNCEChunk rows
	// (36), the last one short.
	const n, d = 201, 9
	if c := infoNCEChunk(n, d); c >= n {
		t.Fatalf("infoNCEChunk(%d, %d) = %d: one chunk, nothing to test", n, d, c)
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, sym := range []float64{0, 1} {
		a := nceArgs(r, n, d, [8]float64{0.07, 1, sym})
		a.Scale = 0.37
		s1, sums1 := runAll(t, "info_nce", a, Serial)
		s2, sums2 := runAll(t, "info_nce", a, shuffledPar)
		sameBits(t, "sums", sums2, sums1)
		sameBits(t, "PerSample", s2.PerSample, s1.PerSample)
		sameBits(t, "GX", s2.GX, s1.GX)
		sameBits(t, "GY", s2.GY, s1.GY)

		// The in-place gradient (GX over X) equals the out-of-place one.
		b := *a
		b.X = append([]float64(nil), a.X...)
		b.GX = b.X
		b.PerSample, b.GY = nil, nil
		if _, err := Run("info_nce", &b, shuffledPar); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "in-place GX", b.GX, s1.GX)
	}
}

func TestInfoNCEFloat32(t *testing.T) {
	// Run32 reads float32 inputs and writes float32 outputs; its arithmetic is float64, so
	// it equals Run64 on the same (float32-representable) values rounded once.
	r := rand.New(rand.NewPCG(17, 18))
	a := nceArgs(r, 7, 5, [8]float64{0.1, 1, 1})
	a32 := &Args[float32]{N: a.N, C: a.C, P: a.P, Scale: 1}
	conv := func(v []float64) []float32 {
		o := make([]float32, len(v))
		for i, x := range v {
			o[i] = float32(x)
			v[i] = float64(o[i])
		}
		return o
	}
	a32.X, a32.Y, a32.Weight = conv(a.X), conv(a.Y), conv(a.Weight)
	a32.PerSample, a32.GX, a32.GY = make([]float32, a.N), make([]float32, len(a.X)), make([]float32, len(a.Y))
	s32, err := Run("info_nce", a32, Serial)
	if err != nil {
		t.Fatal(err)
	}
	b, s64 := runAll(t, "info_nce", a, Serial)
	sameBits(t, "sums", s32, s64)
	for i := range b.GX {
		if a32.GX[i] != float32(b.GX[i]) || a32.GY[i] != float32(b.GY[i]) {
			t.Errorf("float32 gradient %d = (%v, %v), want float64's rounded (%v, %v)", i, a32.GX[i], a32.GY[i], b.GX[i], b.GY[i])
		}
	}
}
