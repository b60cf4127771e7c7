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
