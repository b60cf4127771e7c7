// gloss.cu: the translation unit gen.sh compiles (twice: -DREAL=float, -DREAL=double) into
// one fatbin per element type: the CUDA dialect, the parameter slots, the shared source of
// every family (kernels/*.h, the same files and order as the OpenCL program: package
// kernels' Families) and CUDA's own InfoNCE loops.

#include "dialect.cuh"
#include "../params.h"
#include "../gloss.h"
#include "drivers.cuh"

#include "../checks.h"
#include "../regression.h"
#include "../binary.h"
#include "../kldiv.h"
#include "../ranking.h"
#include "../penalty.h"
#include "../crossentropy.h"
#include "../multiclass.h"
#include "../embedding.h"
#include "../segmentation.h"
#include "../metrics.h"

#include "info_nce.cuh"

// The module's element type as a symbol: gloss_real_float in the float build, gloss_real_double
// in the double build. The host checks that each loaded module has the one it expects, and a
// driver or tool can tell the two images apart by it.
#define GLOSS_MARKER_CAT(a, b) a##b
#define GLOSS_MARKER(t) GLOSS_MARKER_CAT(gloss_real_, t)
KERNEL void GLOSS_MARKER(REAL)() {}
