package bench

import (
	"fmt"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// Mode is what one benchmark case computes.
type Mode string

// The modes. Every loss and metric has Fwd; every loss FwdBwd; the elementwise losses Hess.
const (
	// Fwd is the reduced value alone (the Mean): inputs are read, nothing is written.
	Fwd Mode = "fwd"
	// FwdBwd is the value and the gradient with respect to every differentiable input,
	// written out of place in one call.
	FwdBwd Mode = "fwd_bwd"
	// Hess is the value, the gradient and the Hessian diagonal: what gradient-boosting
	// libraries consume.
	Hess Mode = "hess"
	// InPlace is FwdBwd with the gradient with respect to the prediction written over the
	// prediction itself (Options.InPlace): one pass over the logits, no second buffer. It
	// applies to losses whose prediction may take any value, so that the timed repeats, which
	// run on the previous call's gradient, stay valid inputs.
	InPlace Mode = "inplace"
)

// AllModes lists the modes in the order runs and tables use.
var AllModes = []Mode{Fwd, FwdBwd, Hess, InPlace}

// ParseModes parses a comma-separated list of modes.
func ParseModes(s string) ([]Mode, error) {
	var out []Mode
	for _, f := range splitList(s) {
		m := Mode(f)
		if m != Fwd && m != FwdBwd && m != Hess && m != InPlace {
			return nil, fmt.Errorf("bench: unknown mode %q (want fwd, fwd_bwd, hess or inplace)", f)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: no modes in %q", s)
	}
	return out, nil
}

// Applies reports whether a loss has the mode: metrics only Fwd, Hess only where the loss
// has a Hessian diagonal, InPlace where the loss is differentiable in a prediction that may
// take any value.
func Applies(sp loss.Spec, m Mode) bool {
	switch m {
	case Fwd:
		return true
	case FwdBwd:
		return sp.Family != device.Metric
	case Hess:
		return sp.Family != device.Metric && sp.Hessian
	case InPlace:
		return sp.Family != device.Metric && sp.Grads[0] && sp.Domains[0] == ""
	}
	return false
}

// Bytes is the byte model: the memory traffic a loss cannot avoid in a mode, each input read
// once and each output written once, for N×C elements of es bytes (4 for float32).
//
//	reads  = (number of float inputs)·N·C·es + 4·N (int32 labels) + N·es (sample weights, when
//	         weights) + C·es (class weights, when classWeights and the loss takes them)
//	writes = Fwd: 0 (the reduced value is a few sums)
//	         FwdBwd and InPlace: (number of differentiable inputs)·N·C·es
//	         Hess: FwdBwd's + N·C·es for the Hessian diagonal
//
// For example cross-entropy over N rows of C classes with its gradient moves 2·N·C·4 + 4·N
// bytes in float32, and MSE's forward pass 2·N·4. NLL is the one loss that need not read all
// its input: its reads are one log-probability per row (N·es) plus the labels.
func Bytes(sp loss.Spec, m Mode, n, c, es int, weights, classWeights bool) int64 {
	nc := int64(n) * int64(c) * int64(es)
	var b int64
	for _, in := range sp.Inputs {
		if in != "" {
			b += nc
		}
	}
	if sp.Name == "nll" {
		// NLL needs one log-probability per row, the label's: −x[i, y_i].
		b = int64(n) * int64(es)
	}
	if sp.Labels {
		b += 4 * int64(n)
	}
	if weights {
		b += int64(n) * int64(es)
	}
	if classWeights && sp.ClassWeights != "" {
		b += int64(c) * int64(es)
	}
	if m == FwdBwd || m == Hess || m == InPlace {
		for i, g := range sp.Grads {
			if g && sp.Inputs[i] != "" {
				b += nc
			}
		}
	}
	if m == Hess {
		b += nc
	}
	return b
}
