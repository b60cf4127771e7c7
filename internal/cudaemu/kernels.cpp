// kernels.cpp: one element type of gloss's real CUDA kernels, compiled for the host under the
// emulator. The Makefile compiles it twice, with -DREAL=float and -DREAL=double, each time with
// cuda_emu.h force-included and the sources prepared by prep.sh (build/cuda-emu/src). The kernels
// and everything they define go into an anonymous namespace, so the two element types never
// share a symbol; each object exports only its table, GLOSS_EMU_TABLE (gloss_emu_kernels_f32 or
// _f64), listing every __global__ function found by prep.sh (GLOSS_EMU_LIST) with its launch
// bound.
#if !defined(REAL) || !defined(GLOSS_EMU_TABLE) || !defined(GLOSS_EMU_LIST)
#error "compile with -DREAL=float|double -DGLOSS_EMU_TABLE=name -DGLOSS_EMU_LIST=\"file\""
#endif

namespace {
#include "gloss.cu"
}  // namespace

namespace {
#define GLOSS_EMU_KERNEL(name, max_threads) ::gloss_emu::make_kernel<&name>(#name, max_threads),
const ::gloss_emu::Kernel kernels[] = {
#include GLOSS_EMU_LIST
};
#undef GLOSS_EMU_KERNEL
}  // namespace

extern "C" __attribute__((visibility("default"))) const ::gloss_emu::KernelTable GLOSS_EMU_TABLE = {
    kernels, sizeof kernels / sizeof kernels[0]};
