package cuda

import (
	"strings"

	kc "github.com/gloss-ml/gloss/kernels/cuda"
)

// This file's table is what the host passes to each kernel, and the package's test checks it
// against kernels/cuda/abi.txt (the parameter lists nvcc compiled, read from the fatbins'
// PTX), so CI checks the launch ABI without a GPU. Every launch checks its argument list
// against the table before cuLaunchKernel.

// Parameter kinds, one byte per kernel parameter, all 8 bytes: a device pointer, a 64-bit
// integer (i64 or unsigned long long), a double.
const (
	kindPtr = 'p'
	kindInt = 'i'
	kindF64 = 'f'
)

// Signatures of the parameter lists shared by many kernels (ELEM_PARAMS and ROW_PARAMS in
// kernels/cuda/gloss.cuh).
const (
	// X Y Z W CW PS GX GY GZ H partials scale_ptr; scale; n c wmode vec_ok; p0..p7.
	elemSig = "pppppppppppp" + "f" + "iiii" + "ffffffff"
	// X Y Z LB W CW PS GX GY GZ partials scale_ptr scratch; scale; n c ignore gs flags aux; p0..p7.
	rowSig = "ppppppppppppp" + "f" + "iiiiii" + "ffffffff"
)

// helperSigs are the parameter lists of the helper kernels (kernels/cuda/common.cu,
// metrics.cu, embedding.cu).
var helperSigs = map[string]string{
	"check_labels":    "pi" + "ff" + "ip",            // lab n; lo hi; ignore first
	"check_values":    "pii" + "ff" + "p",            // x n kind; lo hi; first
	"denom_sum":       "ppp" + "iiii" + "p",          // lab W CW; n c rule ignore; partials
	"denom_finish":    "pi" + "ff" + "p",             // partials nblocks; scale mult; out
	"reduce_finish":   "piip",                        // partials nblocks nsums out
	"hist_accumulate": "pipii",                       // rec R hist nslots nwarps
	"hist_finish":     "piip",                        // hist nwarps nslots out
	"info_nce_prep":   "pppppp" + "iii",              // X Y qh kh qn kn; n d normalize
	"info_nce_fwd":    "pppppppp" + "ii" + "f" + "i", // A B lse diag lse_other W PS partials; n d; tau; loss_mode
	// A B lseA lseB W nrmA gacc G scale_ptr; scale; n d; tau alpha beta; normalize
	"info_nce_fwd_bwd": "ppppppppp" + "f" + "ii" + "fff" + "i",
}

// kernelSig returns the parameter kinds the host passes to the named kernel, and whether the
// host knows the kernel.
func kernelSig(name string) (string, bool) {
	if s, ok := helperSigs[name]; ok {
		return s, true
	}
	stem := name
	for _, suf := range []string{"_fwd_bwd", "_fwd", "_hess"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			stem = s
			break
		}
	}
	if stem == name {
		return "", false
	}
	k, ok := kc.Kernels[stem]
	if !ok {
		return "", false
	}
	switch k.Launch {
	case kc.Elem, kc.Confusion:
		return elemSig, true
	case kc.Row, kc.Hist:
		return rowSig, true
	}
	return "", false
}
