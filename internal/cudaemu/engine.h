// engine.h: the interface of the CUDA execution-model emulator (engine.cpp), shared by the
// dialect header that host-compiled kernels see (cuda_emu.h), the emulated driver (driver.cpp)
// and the self-test.
//
// Model: a launch runs its blocks one after another on the calling OS thread; every thread of a
// block ("lane") is a fibre with its own stack. A lane runs until it reaches a synchronising
// construct (__syncthreads, __syncwarp, a shuffle, a vote, __match_*_sync) or returns; the
// construct completes when every lane it names has arrived, and the lanes then continue. So
// all lanes of a block really meet at a barrier, shuffles exchange the values the lanes hold at
// the same point, and whatever a lane does between two such points happens at once, in an
// order (forward, reverse or shuffled lanes: GLOSS_CUDAEMU_SCHED) that the emulator chooses.
// Misuse that CUDA calls undefined (a mask that omits the caller, lanes of one mask at
// different intrinsics, a barrier that not every thread reaches) stops the launch with a fault
// instead of "working".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

// CUDA's index types (vector_types.h): threadIdx and blockIdx are uint3, blockDim and gridDim
// dim3, whose components default to 1.
struct uint3 {
	unsigned int x, y, z;
};
struct dim3 {
	unsigned int x, y, z;
	constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
	constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
	constexpr operator uint3() const { return uint3{x, y, z}; }
};

#pragma GCC visibility push(default)
namespace gloss_emu {

// What a launch can end in, besides success. The driver maps each to a CUresult.
enum Fault {
	FAULT_NONE,
	FAULT_ADDRESS,     // a load or store outside any mapping (guard pages around allocations)
	FAULT_MISALIGNED,  // a vector access or atomic at an address not aligned to its size
	FAULT_UNDEFINED,   // a construct CUDA leaves undefined (wrong masks, divergent barriers, ...)
	FAULT_DEADLOCK,    // every live lane waits at a construct that can never complete
	FAULT_TRAP,        // __trap()
	FAULT_RESOURCES,   // static plus dynamic shared memory beyond the per-block limit
};

// The warp-level constructs. Each shuffle mode is its own intrinsic: lanes of one mask must all
// be at the same one.
enum WarpOp {
	OP_SYNCWARP,
	OP_SHFL_IDX,
	OP_SHFL_UP,
	OP_SHFL_DOWN,
	OP_SHFL_XOR,
	OP_BALLOT,
	OP_ANY,
	OP_ALL,
	OP_MATCH_ANY,
	OP_MATCH_ALL,
	OP_REDUCE_ADD,  // __reduce_add_sync (int and unsigned: the same bits)
	OP_REDUCE_MIN_U,
	OP_REDUCE_MIN_I,
	OP_REDUCE_MAX_U,
	OP_REDUCE_MAX_I,
	OP_REDUCE_AND,
	OP_REDUCE_OR,
	OP_REDUCE_XOR,
};

// The block-level barriers: __syncthreads and its counting/voting forms.
enum BarOp { BAR_SYNC, BAR_COUNT, BAR_AND, BAR_OR };

// LaneHead is the part of a lane that kernel code reads (threadIdx). The running lane is cur;
// the running block's blockIdx, blockDim and gridDim are globals.
struct LaneHead {
	uint3 tid;
};
extern LaneHead* cur;
extern uint3 block_idx;
extern dim3 block_dim, grid_dim;
extern int warp_size;  // 32; a variable, as CUDA's warpSize is not a constant expression

// Called by lanes (through the intrinsics of cuda_emu.h).
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width);
int barrier(BarOp op, int pred, const char* file, int line);
void* shared_static(const void* tag, size_t size, size_t align);
void* dyn_smem();
[[noreturn]] void fault(Fault kind, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Kernel is one host-compiled kernel: its name, its launch bound (the first argument of
// __launch_bounds__, or 1024), and how to turn CUDA's kernelParams (an array of pointers to
// each argument, in order) into a call.
struct Kernel {
	const char* name;
	int max_threads;
	int nparams;
	size_t args_size, args_align;
	void (*unpack)(void* const* params, void* args);  // placement-constructs the arguments
	void (*run)(const void* args);                    // calls the kernel with them
};

// KernelTable lists the kernels of one host-compiled translation unit (one element type of the
// real kernels, or the self-test's kernels).
struct KernelTable {
	const Kernel* kernels;
	size_t count;
};

// LaunchStats reports what a launch used: the static shared memory its blocks declared.
struct LaunchStats {
	size_t static_smem;
};

// launch runs k over grid × block with dyn bytes of dynamic shared memory, static plus dynamic
// shared memory at most smem_limit per block. The caller has checked the geometry against the
// device's limits. It returns FAULT_NONE, or the fault that stopped the launch with a message
// naming the kernel, block and thread. Launches are serialised process-wide.
Fault launch(const Kernel& k, dim3 grid, dim3 block, size_t dyn, size_t smem_limit, void* const* params,
             std::string* msg, LaunchStats* stats);

}  // namespace gloss_emu
#pragma GCC visibility pop
