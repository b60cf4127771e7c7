package cpuref

// Pairwise ranking losses: elementwise over pairs, X = s⁺ (the positive item's score),
// Y = s⁻ (the negative's), Δ = s⁺ − s⁻; ∂L/∂s⁻ = −∂L/∂s⁺ and the Hessian is taken with
// respect to s⁺. Contrastive takes a distance X = d and a similarity flag Y instead.
// Each block function mirrors kernels/ranking.h.

func init() {
	registerElem("bpr", bpr)
	registerElem("pairwise_hinge", pairwiseHinge)
	registerElem("pairwise_logistic", bpr)
	registerElem("contrastive", contrastive)
}

// bpr (Bayesian personalised ranking), which is also pairwise_logistic (TF-Ranking's
// pairwise logistic loss for one pair):
//
//	L = −log σ(Δ) = softplus(−Δ),  ∂L/∂s⁺ = −σ(−Δ),  ∂L/∂s⁻ = σ(−Δ),  ∂²L/∂s⁺² = σ(Δ)σ(−Δ)
func bpr(_ *[8]float64, in ElemIn, out ElemOut) {
	for i, sp := range in.X {
		d := sp - in.Y[i]
		out.L[i] = log1pexp(-d)
		if out.GX != nil || out.GY != nil {
			g := -sigmoid(-d)
			if out.GX != nil {
				out.GX[i] = g
			}
			if out.GY != nil {
				out.GY[i] = -g
			}
		}
		if out.H != nil {
			out.H[i] = sigmoid(d) * sigmoid(-d)
		}
	}
}

// pairwiseHinge (PyTorch margin_ranking_loss with y = 1), P[0] = margin m:
//
//	L = max(0, m − Δ),  ∂L/∂s⁺ = −[Δ < m] (0 at the kink),  ∂L/∂s⁻ = [Δ < m],  Hessian 0
func pairwiseHinge(p *[8]float64, in ElemIn, out ElemOut) {
	m := p[0]
	for i, sp := range in.X {
		z := m - (sp - in.Y[i])
		out.L[i] = max(0, z)
		g := 0.0
		if z > 0 {
			g = -1
		}
		if out.GX != nil {
			out.GX[i] = g
		}
		if out.GY != nil {
			out.GY[i] = -g
		}
		if out.H != nil {
			out.H[i] = 0
		}
	}
}

// contrastive (TF-Addons contrastive_loss), distance d = X, similarity y = Y ∈ {0, 1},
// P[0] = margin m, h = max(0, m − d):
//
//	L = y·d² + (1−y)·h²,  ∂L/∂d = 2y·d − 2(1−y)·h,  ∂²L/∂d² = 2y + 2(1−y)·[d < m]
//
// Y is not differentiated (GY, if asked for, is ∂L/∂y = d² − h²).
func contrastive(p *[8]float64, in ElemIn, out ElemOut) {
	m := p[0]
	for i, d := range in.X {
		y := in.Y[i]
		h := max(0, m-d)
		out.L[i] = y*d*d + (1-y)*h*h
		if out.GX != nil {
			out.GX[i] = 2*y*d - 2*(1-y)*h
		}
		if out.GY != nil {
			out.GY[i] = d*d - h*h
		}
		if out.H != nil {
			inside := 0.0 // [d < m]
			if d < m {
				inside = 1
			}
			out.H[i] = 2*y + 2*(1-y)*inside
		}
	}
}
