// gloss.cu: the translation unit gen.sh compiles (twice: -DREAL=float, -DREAL=double). Each
// family's kernels live in the file of its stem (the stems of cpuref and loss); this file only
// gathers them, so that one fatbin per element type holds every kernel.

#include "common.cu"
#include "regression.cu"
#include "binary.cu"
#include "kldiv.cu"
#include "ranking.cu"
#include "penalty.cu"
#include "crossentropy.cu"
#include "multiclass.cu"
#include "embedding.cu"
#include "segmentation.cu"
#include "metrics.cu"

// The module's element type as a symbol: gloss_real_float in the float build, gloss_real_double
// in the double build. The host checks that each loaded module has the one it expects, and a
// driver or tool can tell the two images apart by it.
#define GLOSS_MARKER_CAT(a, b) a##b
#define GLOSS_MARKER(t) GLOSS_MARKER_CAT(gloss_real_, t)
extern "C" __global__ void GLOSS_MARKER(REAL)() {}
