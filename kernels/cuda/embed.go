// Package cuda holds gloss's CUDA kernels: the CUDA C sources (one file per loss family, with
// the stems of cpuref and loss, and the shared header gloss.cuh), the two fatbins nvcc builds
// from them (committed gzip-compressed, embedded here), and the table that tells the host code
// in device/cuda how to launch each kernel.
//
// It has no cgo: every build embeds the compressed fatbins (so `go build` needs no nvcc), and
// they are decompressed only when F32 or F64 is first called, which the CUDA backend does when
// it opens a GPU: a program that never uses CUDA does not pay for it. The test checks, without
// a GPU, that both fatbins hold every kernel the loss catalog needs.
//
// Regenerate the fatbins with `make kernels` (go generate, which runs gen.sh: nvcc from CUDA
// 11.8, then gzip -9 -n); scripts/check-fatbin.sh checks that the committed ones are what the
// sources give, byte for byte.
package cuda

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sync"
)

//go:generate bash gen.sh

//go:embed gloss_f32.fatbin.gz
var f32gz []byte

//go:embed gloss_f64.fatbin.gz
var f64gz []byte

// F32 returns the fatbin of the float32 kernels (compiled with -DREAL=float): sm_70, sm_80 and
// sm_90 machine code and compute_90 PTX. The first call decompresses it; later calls return
// the same slice, which callers must not modify.
func F32() ([]byte, error) { return f32() }

// F64 returns the fatbin of the float64 kernels (-DREAL=double), with the same symbol names as
// F32's, as F32 does.
func F64() ([]byte, error) { return f64() }

var (
	f32 = sync.OnceValues(func() ([]byte, error) { return gunzip("gloss_f32.fatbin.gz", f32gz) })
	f64 = sync.OnceValues(func() ([]byte, error) { return gunzip("gloss_f64.fatbin.gz", f64gz) })
)

// Marker returns the name of the kernel that marks a fatbin's element type: gloss_real_float
// in F32, gloss_real_double in F64 (gloss.cu).
func Marker(f64 bool) string {
	if f64 {
		return "gloss_real_double"
	}
	return "gloss_real_float"
}

func gunzip(name string, gz []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("kernels/cuda: %s: %w", name, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("kernels/cuda: %s: %w", name, err)
	}
	return out, nil
}

// Constants shared with gloss.cuh (the test checks that they match its #defines).
const (
	// Block is the block size of the elementwise, check and reduction kernels (GLOSS_BLOCK).
	Block = 256
	// MaxRowBlock is the largest block of the row kernels (GLOSS_MAX_BLOCK).
	MaxRowBlock = 512
	// VecBytes is the size of one vector access: elements per chunk = VecBytes / element size.
	VecBytes = 16
)

// Launch says how the host runs a stem's kernels.
type Launch uint8

// The launch shapes.
const (
	// Elem: <stem>_fwd, <stem>_fwd_bwd, <stem>_hess with the elementwise parameters
	// (ELEM_PARAMS in gloss.cuh); two sums per block.
	Elem Launch = iota + 1
	// Row: <stem>_fwd, <stem>_fwd_bwd with the row parameters (ROW_PARAMS); two sums per block.
	Row
	// InfoNCE: info_nce_prep, info_nce_fwd (column and row passes), info_nce_fwd_bwd (one
	// launch per gradient); see embedding.cu.
	InfoNCE
	// Confusion: <stem>_fwd with the elementwise parameters; three sums per block.
	Confusion
	// Hist: <stem>_fwd with the row parameters writes three records per row into scratch, then
	// hist_accumulate and hist_finish; 3·bins sums.
	Hist
)

// Kernel describes the kernels of one stem.
type Kernel struct {
	Launch Launch
	// Y, Z and Labels: the inputs the kernels read besides X (a call must provide them).
	Y, Z, Labels bool
	// GY and GZ: the kernels write gradients with respect to Y and Z when asked.
	GY, GZ bool
	// Grad: there is a <stem>_fwd_bwd; Hess: there is a <stem>_hess.
	Grad, Hess bool
	// Stage is the number of row inputs the row kernel can keep in shared memory (its loss's
	// NSTAGE); StageFwd says whether the forward alone reads a row more than once (otherwise
	// only the gradient kernel is given staging memory).
	Stage    int
	StageFwd bool
}

// Symbols lists the entry points of a stem that the host looks up.
func (k Kernel) Symbols(stem string) []string {
	switch k.Launch {
	case InfoNCE:
		return []string{"info_nce_prep", "info_nce_fwd", "info_nce_fwd_bwd"}
	}
	s := []string{stem + "_fwd"}
	if k.Grad {
		s = append(s, stem+"_fwd_bwd")
	}
	if k.Hess {
		s = append(s, stem+"_hess")
	}
	return s
}

// Helpers are the kernels every call may use besides a stem's own.
var Helpers = []string{"check_labels", "check_values", "denom_sum", "denom_finish", "reduce_finish",
	"hist_accumulate", "hist_finish"}

// elem describes an elementwise loss reading X and Y, with gradient and Hessian.
func elem(gy bool) Kernel {
	return Kernel{Launch: Elem, Y: true, GY: gy, Grad: true, Hess: true}
}

// Kernels maps each kernel stem of the loss catalog that has CUDA kernels to its description.
// AUC has none: it runs on the cpu.
var Kernels = map[string]Kernel{
	// regression.cu
	"mse": elem(false), "mae": elem(false), "huber": elem(false), "smooth_l1": elem(false),
	"pseudo_huber": elem(false), "log_cosh": elem(false), "quantile": elem(false),
	"poisson": elem(false), "tweedie": elem(false),
	"gaussian_nll": {Launch: Elem, Y: true, Z: true, GZ: true, Grad: true, Hess: true},
	// binary.cu
	"bce": elem(false), "bce_with_logits": elem(false), "focal": elem(false), "hinge": elem(false),
	"squared_hinge": elem(false), "soft_margin": elem(false),
	// kldiv.cu
	"kl_div": elem(false),
	// ranking.cu
	"bpr": elem(true), "pairwise_hinge": elem(true), "pairwise_logistic": elem(true),
	"contrastive": elem(false),
	// penalty.cu
	"penalty": {Launch: Elem, Grad: true, Hess: true},
	// crossentropy.cu
	"cross_entropy":       {Launch: Row, Labels: true, Grad: true, Stage: 1},
	"cross_entropy_probs": {Launch: Row, Y: true, Grad: true, Stage: 2, StageFwd: true},
	"nll":                 {Launch: Row, Labels: true, Grad: true},
	// multiclass.cu
	"multi_margin": {Launch: Row, Labels: true, Grad: true},
	"corn":         {Launch: Row, Labels: true, Grad: true},
	// embedding.cu
	"triplet":  {Launch: Row, Y: true, Z: true, GY: true, GZ: true, Grad: true, Stage: 3, StageFwd: true},
	"info_nce": {Launch: InfoNCE, Y: true, GY: true, Grad: true},
	// segmentation.cu
	"dice":          {Launch: Row, Y: true, Grad: true, Stage: 2},
	"iou":           {Launch: Row, Y: true, Grad: true, Stage: 2},
	"tversky":       {Launch: Row, Y: true, Grad: true, Stage: 2},
	"focal_tversky": {Launch: Row, Y: true, Grad: true, Stage: 2},
	"bce_dice":      {Launch: Row, Y: true, Grad: true, Stage: 2},
	// metrics.cu
	"accuracy":    {Launch: Row, Labels: true},
	"f1":          {Launch: Confusion, Y: true},
	"binary_iou":  {Launch: Confusion, Y: true},
	"macro_f1":    {Launch: Hist, Labels: true},
	"calibration": {Launch: Hist, Labels: true},
}
