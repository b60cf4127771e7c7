package device

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestKernelParams: derived slots are formed in float64 from the call's parameters, so that a
// float32 kernel gets the float32 nearest to 1 − ρ, not 1 − float32(ρ) = 0.
func TestKernelParams(t *testing.T) {
	tw, ok := LookupKernel("tweedie")
	if !ok {
		t.Fatal("no tweedie")
	}
	for _, rho := range []float64{1 + 1e-8, 2 - 1e-8, 1.5} {
		p := tw.KernelParams([8]float64{rho, 7, 7, 7}, F32)
		if p[0] != rho || p[1] != 1-rho || p[2] != 2-rho || p[3] != 0 {
			t.Errorf("tweedie ρ = %v: slots %v, want ρ, 1−ρ, 2−ρ, then 0", rho, p)
		}
		if float32(p[1]) == 0 || float32(p[2]) == 0 {
			t.Errorf("tweedie ρ = %v: 1−ρ or 2−ρ rounds to 0 in float32: %v", rho, p)
		}
	}
	fo, _ := LookupKernel("focal")
	for _, c := range []struct{ alpha, balance float64 }{{-1e-50, 0}, {0, 1}, {1, 1}, {-1, 0}} {
		if p := fo.KernelParams([8]float64{2, c.alpha}, F32); p[2] != c.balance || p[3] != 1-c.alpha || p[4] != 0.5 {
			t.Errorf("focal α = %v: slots %v, want balance %v, 1−α, (γ−1)/γ = 0.5", c.alpha, p, c.balance)
		}
	}
	if p := fo.KernelParams([8]float64{0, 0.25}, F64); p[4] != 0 {
		t.Errorf("focal γ = 0: (γ−1)/γ slot %v, want 0", p[4])
	}
	acc, _ := LookupKernel("accuracy")
	for _, thr := range []float64{0.3, 0.5, -1e300, 1e300, math.Nextafter(1, 2)} {
		p32 := acc.KernelParams([8]float64{thr}, F32)
		b := float32(p32[1])
		if float64(b) > thr || float64(math.Nextafter32(b, float32(math.Inf(1)))) <= thr && !math.IsInf(float64(b), 1) {
			t.Errorf("threshold %v: float32 slot %v is not the largest float32 not above it", thr, b)
		}
		if p64 := acc.KernelParams([8]float64{thr}, F64); p64[1] != thr {
			t.Errorf("threshold %v: float64 slot %v", thr, p64[1])
		}
	}
}

// TestKernelTable: the generated table is sorted and self-consistent, and the symbols follow
// the one suffix rule.
func TestKernelTable(t *testing.T) {
	ks := Kernels()
	if len(ks) == 0 || !slices.IsSortedFunc(ks, func(a, b *Kernel) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatalf("kernel table empty or unsorted")
	}
	for _, k := range ks {
		if len(k.Params)+len(k.Derived) > MaxParams {
			t.Errorf("%s: %d slots", k.Name, len(k.Params)+len(k.Derived))
		}
		if (len(k.Derived) > 0) != (k.derive != nil) {
			t.Errorf("%s: derived slots %v without a function (or the reverse)", k.Name, k.Derived)
		}
		if k.Hess && k.Shape != ShapeElem || k.Stage > 0 && k.Shape != ShapeRow {
			t.Errorf("%s: Hessian or staging on a %v kernel", k.Name, k.Shape)
		}
		if (k.Labels != NoLabels) != k.Reads.Has(InLabels) {
			t.Errorf("%s: label rule %d but Reads %b", k.Name, k.Labels, k.Reads)
		}
	}
	h, _ := LookupKernel("huber")
	if got := h.Symbols(); !slices.Equal(got, []string{"huber_fwd", "huber_fwd_bwd", "huber_hess"}) {
		t.Errorf("huber's symbols: %v", got)
	}
	a, _ := LookupKernel("accuracy")
	if got := a.Symbols(); !slices.Equal(got, []string{"accuracy_fwd"}) {
		t.Errorf("accuracy's symbols: %v", got)
	}
}
