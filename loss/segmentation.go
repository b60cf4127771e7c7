package loss

import "github.com/gloss-ml/gloss/device"

// Segmentation losses: row losses, one term per sample over its C pixels (all non-batch
// dimensions flattened), from sums over the row: I = Σ p·y, P = Σ p, T = Σ y.

func init() {
	seg := func(name string, params ...param) *spec {
		s := &spec{name: name, family: device.Rowwise, params: params, stage: 2,
			in: [3]input{inGrad("pred", distLogit), inUnit("target", false, distBinary)}}
		if fl := s.param("from_logits"); fl >= 0 {
			s.fix = func(l *Loss, b *Batch[float64]) {
				if l.p[fl] == 0 {
					sigmoidAll(b.Pred)
				}
			}
		}
		define(s)
		return s
	}
	seg("dice", pNonNeg("eps", 1e-7), pBool("from_logits", true))
	seg("iou", pNonNeg("eps", 1e-7), pBool("from_logits", true))
	tv := []param{pNonNeg("alpha", 0.5), pNonNeg("beta", 0.5), pNonNeg("eps", 1e-7), pBool("from_logits", true)}
	seg("tversky", tv...)
	seg("focal_tversky", append(tv, pPos("gamma", 0.75))...)
	seg("bce_dice", pNonNeg("bce_weight", 1), pNonNeg("dice_weight", 1), pNonNeg("eps", 1e-7))
}

// Dice is the soft Dice loss with smoothing Eps ε ≥ 0 (default 1e-7) in numerator and
// denominator, on logits (FromLogits, default true: p = σ(x)) or probabilities:
//
//	L_i = 1 − (2I + ε)/(P + T + ε)
//
// so an empty target with an empty prediction gives 0. Pred holds logits or probabilities
// (N×C), Target the masks y ∈ [0, 1] (N×C).
func Dice(params ...Param) (Loss, error) { return New("dice", params...) }

// IoU is the soft Jaccard loss with Eps ε (default 1e-7) and FromLogits (default true):
//
//	L_i = 1 − (I + ε)/(P + T − I + ε)
//
// Pred holds logits or probabilities (N×C), Target masks y ∈ [0, 1].
func IoU(params ...Param) (Loss, error) { return New("iou", params...) }

// Tversky is the Tversky loss with Alpha α ≥ 0 and Beta β ≥ 0 (default 0.5 each: Dice up to
// ε), Eps ε (default 1e-7) and FromLogits (default true):
//
//	L_i = 1 − (I + ε)/(I + α·Σp(1−y) + β·Σ(1−p)y + ε)
//
// α weighs false positives, β false negatives. Pred holds logits or probabilities (N×C),
// Target masks y ∈ [0, 1].
func Tversky(params ...Param) (Loss, error) { return New("tversky", params...) }

// FocalTversky is the Tversky loss raised to Gamma γ > 0 (default 0.75): L_i = T_i^γ, with
// Tversky's parameters. Pred holds logits or probabilities, Target masks y ∈ [0, 1].
func FocalTversky(params ...Param) (Loss, error) { return New("focal_tversky", params...) }

// BCEDice is the usual segmentation recipe, BCEWeight (default 1) times BCEWithLogits averaged
// over the row's pixels plus DiceWeight (default 1) times Dice on σ(x) with Eps (default 1e-7):
//
//	L_i = bce_weight·(1/C)·Σ_c BCEWithLogits(x_ic, y_ic) + dice_weight·Dice_i
//
// so its Mean over rows is bce_weight·(BCE mean over all elements) + dice_weight·(mean Dice).
// Pred holds logits (N×C), Target masks y ∈ [0, 1].
func BCEDice(params ...Param) (Loss, error) { return New("bce_dice", params...) }
