// cuda_emu.h: the CUDA C++ dialect for the host. It is force-included (g++ -include) into every
// translation unit of CUDA kernels that the emulator builds, so that the real kernel sources
// compile with g++ as C++17 and run under engine.cpp: qualifiers, the built-in index variables,
// the vector types, the warp and block intrinsics, atomics and the device math functions.
//
// The declaration forms that a macro cannot rewrite, `__shared__` and `extern __shared__`
// variables, are rewritten by prep.sh into GLOSS_EMU_SHARED and gloss_emu::dyn_smem() before
// compiling; `__shared__` itself is left undefined here so that a form prep.sh missed fails to
// compile instead of silently becoming an ordinary variable.
//
// Semantics follow the CUDA C++ Programming Guide for compute capability 9.0. Where this file
// cannot be faithful it says so (see also README.md): the fast-math intrinsics (__expf, ...)
// are the accurate functions here, and floating-point results may differ from a GPU's in the
// last bits where nvcc contracts a*b+c into an FMA (this build never does).
#pragma once

#include <math.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "engine.h"

#define GLOSS_CUDA_EMU 1
#define __CUDA_ARCH__ 900

// ---------------------------------------------------------------------------------------------
// Qualifiers. Kernels and device functions are ordinary host functions; __launch_bounds__ is
// read from the sources by prep.sh (the scan below) and enforced at launch.

#ifdef GLOSS_EMU_SCAN
// prep.sh preprocesses the sources once with these markers to list the kernels and their bounds.
#define __global__ __gloss_global__
#define __launch_bounds__(...) __gloss_bounds__(__VA_ARGS__)
#else
#define __global__
#define __launch_bounds__(...)
#endif
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ GLOSS_EMU_shared_needs_the_prep_sh_rewrite
#define __constant__ GLOSS_EMU_constant_is_not_emulated
#define __managed__ GLOSS_EMU_managed_is_not_emulated

// GLOSS_EMU_SHARED(T, name, dims) is prep.sh's rewrite of `__shared__ T name dims;`: a reference
// to storage in the running block's shared memory, one object per declaration (and per template
// instantiation, through the tag), the same for every lane of the block. Its address comes from
// the engine, so the compiler must assume that other lanes change it across every intrinsic.
#define GLOSS_EMU_SHARED(T, name, dims)        \
	static char name##_gloss_emu_tag;          \
	T(&name) dims = *static_cast<T(*) dims>(   \
	    ::gloss_emu::shared_static(&name##_gloss_emu_tag, sizeof(T dims), alignof(T dims)))

// ---------------------------------------------------------------------------------------------
// Built-in variables, read-only as in CUDA.

#define threadIdx (static_cast<const uint3&>(::gloss_emu::cur->tid))
#define blockIdx (static_cast<const uint3&>(::gloss_emu::block_idx))
#define blockDim (static_cast<const dim3&>(::gloss_emu::block_dim))
#define gridDim (static_cast<const dim3&>(::gloss_emu::grid_dim))
#define warpSize (static_cast<const int&>(::gloss_emu::warp_size))

// ---------------------------------------------------------------------------------------------
// Vector types with CUDA's sizes and alignments (vector_types.h): an n-vector of T is aligned to
// min(n·sizeof(T), 16) for n = 2 and 4, to sizeof(T) for n = 1 and 3. On a GPU a vector load or
// store must be aligned to that; here a copy from or to a misaligned address faults
// (FAULT_MISALIGNED), so `*reinterpret_cast<const float4*>(p)` with p not 16-byte aligned
// fails as it does on hardware. Component access (v.x) is a scalar access, as on hardware.

namespace gloss_emu {
inline void check_vec(const void* p, size_t align, const char* type) {
	if (reinterpret_cast<uintptr_t>(p) & (align - 1))
		fault(FAULT_MISALIGNED, "%s access at %p, which is not %zu-byte aligned", type, p, align);
}
}  // namespace gloss_emu

#define GLOSS_EMU_VEC_OPS(V, A)                                                                        \
	V(const V& o) {                                                                                    \
		if (A > 1) ::gloss_emu::check_vec(&o, A, #V);                                                  \
		std::memcpy(static_cast<void*>(this), &o, sizeof(V));                                          \
	}                                                                                                  \
	V& operator=(const V& o) {                                                                         \
		if (A > 1) ::gloss_emu::check_vec(this, A, #V), ::gloss_emu::check_vec(&o, A, #V);              \
		std::memcpy(static_cast<void*>(this), &o, sizeof(V));                                          \
		return *this;                                                                                  \
	}

#define GLOSS_EMU_VEC124(T, B)                                                                         \
	struct B##1 {                                                                                      \
		T x;                                                                                           \
	};                                                                                                 \
	struct alignas(2 * sizeof(T) < 16 ? 2 * sizeof(T) : 16) B##2 {                                     \
		T x, y;                                                                                        \
		B##2() = default;                                                                              \
		constexpr B##2(T a, T b) : x(a), y(b) {}                                                       \
		GLOSS_EMU_VEC_OPS(B##2, (2 * sizeof(T) < 16 ? 2 * sizeof(T) : 16))                             \
	};                                                                                                 \
	struct alignas(4 * sizeof(T) < 16 ? 4 * sizeof(T) : 16) B##4 {                                     \
		T x, y, z, w;                                                                                  \
		B##4() = default;                                                                              \
		constexpr B##4(T a, T b, T c, T d) : x(a), y(b), z(c), w(d) {}                                 \
		GLOSS_EMU_VEC_OPS(B##4, (4 * sizeof(T) < 16 ? 4 * sizeof(T) : 16))                             \
	};                                                                                                 \
	inline B##1 make_##B##1(T a) { return B##1{a}; }                                                   \
	inline B##2 make_##B##2(T a, T b) { return B##2(a, b); }                                           \
	inline B##4 make_##B##4(T a, T b, T c, T d) { return B##4(a, b, c, d); }
#define GLOSS_EMU_VEC3(T, B) \
	struct B##3 {            \
		T x, y, z;           \
	};                       \
	inline B##3 make_##B##3(T a, T b, T c) { return B##3{a, b, c}; }
#define GLOSS_EMU_VEC(T, B) GLOSS_EMU_VEC124(T, B) GLOSS_EMU_VEC3(T, B)

GLOSS_EMU_VEC(signed char, char)
GLOSS_EMU_VEC(unsigned char, uchar)
GLOSS_EMU_VEC(short, short)
GLOSS_EMU_VEC(unsigned short, ushort)
GLOSS_EMU_VEC(int, int)
GLOSS_EMU_VEC124(unsigned int, uint)  // uint3 is engine.h's
GLOSS_EMU_VEC(long, long)
GLOSS_EMU_VEC(unsigned long, ulong)
GLOSS_EMU_VEC(long long, longlong)
GLOSS_EMU_VEC(unsigned long long, ulonglong)
GLOSS_EMU_VEC(float, float)
GLOSS_EMU_VEC(double, double)
#undef GLOSS_EMU_VEC
#undef GLOSS_EMU_VEC3
#undef GLOSS_EMU_VEC124

inline uint3 make_uint3(unsigned int a, unsigned int b, unsigned int c) { return uint3{a, b, c}; }

// ---------------------------------------------------------------------------------------------
// Bit patterns of the values that warp intrinsics exchange (at most 8 bytes).

namespace gloss_emu {
template <class T>
inline uint64_t to_bits(T v) {
	static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "warp intrinsics move at most 8 bytes");
	uint64_t b = 0;
	std::memcpy(&b, &v, sizeof(T));
	return b;
}
template <class T>
inline T from_bits(uint64_t b) {
	T v;
	std::memcpy(&v, &b, sizeof(T));
	return v;
}
}  // namespace gloss_emu

// ---------------------------------------------------------------------------------------------
// Block barriers and fences. The call site identifies "the same __syncthreads" (all threads of
// a block must reach the same one: CUDA's barriers are aligned).

#define __syncthreads() ((void)::gloss_emu::barrier(::gloss_emu::BAR_SYNC, 1, __FILE__, __LINE__))
#define __syncthreads_count(p) ::gloss_emu::barrier(::gloss_emu::BAR_COUNT, (p) != 0, __FILE__, __LINE__)
#define __syncthreads_and(p) ::gloss_emu::barrier(::gloss_emu::BAR_AND, (p) != 0, __FILE__, __LINE__)
#define __syncthreads_or(p) ::gloss_emu::barrier(::gloss_emu::BAR_OR, (p) != 0, __FILE__, __LINE__)

// Lanes run one at a time, so every access is ordered: the fences have nothing left to order.
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

[[noreturn]] inline void __trap() { ::gloss_emu::fault(::gloss_emu::FAULT_TRAP, "__trap()"); }

// ---------------------------------------------------------------------------------------------
// Warp intrinsics (CUDA C++ Programming Guide, "Warp Shuffle Functions", "Warp Vote Functions",
// "Warp Match Functions", "Warp Reduce Functions"). Every lane named in mask that has not exited
// must call the same intrinsic with the same mask; a lane reading a lane that does not take part
// gets an undefined value, here all bits set (NaN, or −1).

inline void __syncwarp(unsigned mask = 0xffffffffu) { ::gloss_emu::warp_op(::gloss_emu::OP_SYNCWARP, mask, 0, 0, 32); }

#define GLOSS_EMU_SHFL(T)                                                                            \
	inline T __shfl_sync(unsigned mask, T var, int src, int width = 32) {                             \
		return ::gloss_emu::from_bits<T>(                                                             \
		    ::gloss_emu::warp_op(::gloss_emu::OP_SHFL_IDX, mask, ::gloss_emu::to_bits(var), src, width)); \
	}                                                                                                 \
	inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {                   \
		return ::gloss_emu::from_bits<T>(::gloss_emu::warp_op(::gloss_emu::OP_SHFL_UP, mask,           \
		                                                      ::gloss_emu::to_bits(var), (int)delta, width)); \
	}                                                                                                 \
	inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {                 \
		return ::gloss_emu::from_bits<T>(::gloss_emu::warp_op(::gloss_emu::OP_SHFL_DOWN, mask,         \
		                                                      ::gloss_emu::to_bits(var), (int)delta, width)); \
	}                                                                                                 \
	inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {                   \
		return ::gloss_emu::from_bits<T>(                                                             \
		    ::gloss_emu::warp_op(::gloss_emu::OP_SHFL_XOR, mask, ::gloss_emu::to_bits(var), lane_mask, width)); \
	}                                                                                                 \
	inline unsigned __match_any_sync(unsigned mask, T value) {                                        \
		return (unsigned)::gloss_emu::warp_op(::gloss_emu::OP_MATCH_ANY, mask, ::gloss_emu::to_bits(value), 0, 32); \
	}                                                                                                 \
	inline unsigned __match_all_sync(unsigned mask, T value, int* pred) {                             \
		const unsigned r =                                                                            \
		    (unsigned)::gloss_emu::warp_op(::gloss_emu::OP_MATCH_ALL, mask, ::gloss_emu::to_bits(value), 0, 32); \
		*pred = r != 0;                                                                               \
		return r;                                                                                     \
	}
GLOSS_EMU_SHFL(int)
GLOSS_EMU_SHFL(unsigned int)
GLOSS_EMU_SHFL(long)
GLOSS_EMU_SHFL(unsigned long)
GLOSS_EMU_SHFL(long long)
GLOSS_EMU_SHFL(unsigned long long)
GLOSS_EMU_SHFL(float)
GLOSS_EMU_SHFL(double)
#undef GLOSS_EMU_SHFL

inline unsigned __ballot_sync(unsigned mask, int pred) {
	return (unsigned)::gloss_emu::warp_op(::gloss_emu::OP_BALLOT, mask, pred != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int pred) { return (int)::gloss_emu::warp_op(::gloss_emu::OP_ANY, mask, pred != 0, 0, 32); }
inline int __all_sync(unsigned mask, int pred) { return (int)::gloss_emu::warp_op(::gloss_emu::OP_ALL, mask, pred != 0, 0, 32); }

#define GLOSS_EMU_REDUCE(name, T, op)                                                                     \
	inline T name(unsigned mask, T value) {                                                               \
		return (T)(uint32_t)::gloss_emu::warp_op(::gloss_emu::op, mask, (uint32_t)value, 0, 32);            \
	}
GLOSS_EMU_REDUCE(__reduce_add_sync, unsigned, OP_REDUCE_ADD)
GLOSS_EMU_REDUCE(__reduce_add_sync, int, OP_REDUCE_ADD)
GLOSS_EMU_REDUCE(__reduce_min_sync, unsigned, OP_REDUCE_MIN_U)
GLOSS_EMU_REDUCE(__reduce_min_sync, int, OP_REDUCE_MIN_I)
GLOSS_EMU_REDUCE(__reduce_max_sync, unsigned, OP_REDUCE_MAX_U)
GLOSS_EMU_REDUCE(__reduce_max_sync, int, OP_REDUCE_MAX_I)
GLOSS_EMU_REDUCE(__reduce_and_sync, unsigned, OP_REDUCE_AND)
GLOSS_EMU_REDUCE(__reduce_or_sync, unsigned, OP_REDUCE_OR)
GLOSS_EMU_REDUCE(__reduce_xor_sync, unsigned, OP_REDUCE_XOR)
#undef GLOSS_EMU_REDUCE

// ---------------------------------------------------------------------------------------------
// Atomics, with the overloads CUDA offers (compute capability 9.0; no half types). An address
// not aligned to the operand's size faults, as on hardware.

namespace gloss_emu {
template <class T>
inline void check_atomic(const T* p) {
	if (reinterpret_cast<uintptr_t>(p) % sizeof(T))
		fault(FAULT_MISALIGNED, "atomic on %zu bytes at %p, which is not aligned to them", sizeof(T), (const void*)p);
}
// rmw applies f to *p atomically and returns the old value (a compare-and-swap loop on the bits).
template <class T, class F>
inline T rmw(T* p, F f) {
	check_atomic(p);
	using U = std::conditional_t<sizeof(T) == 8, uint64_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint16_t>>;
	U* u = reinterpret_cast<U*>(p);
	U old = __atomic_load_n(u, __ATOMIC_RELAXED), nw;
	do {
		T o;
		std::memcpy(&o, &old, sizeof(T));
		const T n = f(o);
		std::memcpy(&nw, &n, sizeof(T));
	} while (!__atomic_compare_exchange_n(u, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	T o;
	std::memcpy(&o, &old, sizeof(T));
	return o;
}
}  // namespace gloss_emu

#define GLOSS_EMU_ATOMIC(name, T, expr) \
	inline T name(T* a, T v) { return ::gloss_emu::rmw(a, [v](T o) -> T { return (expr); }); }
GLOSS_EMU_ATOMIC(atomicAdd, int, o + v)
GLOSS_EMU_ATOMIC(atomicAdd, unsigned int, o + v)
GLOSS_EMU_ATOMIC(atomicAdd, unsigned long long, o + v)
GLOSS_EMU_ATOMIC(atomicAdd, float, o + v)
GLOSS_EMU_ATOMIC(atomicAdd, double, o + v)
GLOSS_EMU_ATOMIC(atomicSub, int, o - v)
GLOSS_EMU_ATOMIC(atomicSub, unsigned int, o - v)
GLOSS_EMU_ATOMIC(atomicExch, int, v)
GLOSS_EMU_ATOMIC(atomicExch, unsigned int, v)
GLOSS_EMU_ATOMIC(atomicExch, unsigned long long, v)
GLOSS_EMU_ATOMIC(atomicExch, float, v)
GLOSS_EMU_ATOMIC(atomicMin, int, v < o ? v : o)
GLOSS_EMU_ATOMIC(atomicMin, unsigned int, v < o ? v : o)
GLOSS_EMU_ATOMIC(atomicMin, long long, v < o ? v : o)
GLOSS_EMU_ATOMIC(atomicMin, unsigned long long, v < o ? v : o)
GLOSS_EMU_ATOMIC(atomicMax, int, v > o ? v : o)
GLOSS_EMU_ATOMIC(atomicMax, unsigned int, v > o ? v : o)
GLOSS_EMU_ATOMIC(atomicMax, long long, v > o ? v : o)
GLOSS_EMU_ATOMIC(atomicMax, unsigned long long, v > o ? v : o)
GLOSS_EMU_ATOMIC(atomicAnd, int, o & v)
GLOSS_EMU_ATOMIC(atomicAnd, unsigned int, o & v)
GLOSS_EMU_ATOMIC(atomicAnd, unsigned long long, o & v)
GLOSS_EMU_ATOMIC(atomicOr, int, o | v)
GLOSS_EMU_ATOMIC(atomicOr, unsigned int, o | v)
GLOSS_EMU_ATOMIC(atomicOr, unsigned long long, o | v)
GLOSS_EMU_ATOMIC(atomicXor, int, o ^ v)
GLOSS_EMU_ATOMIC(atomicXor, unsigned int, o ^ v)
GLOSS_EMU_ATOMIC(atomicXor, unsigned long long, o ^ v)
GLOSS_EMU_ATOMIC(atomicInc, unsigned int, o >= v ? 0u : o + 1)
GLOSS_EMU_ATOMIC(atomicDec, unsigned int, (o == 0 || o > v) ? v : o - 1)
#undef GLOSS_EMU_ATOMIC

#define GLOSS_EMU_CAS(T) \
	inline T atomicCAS(T* a, T cmp, T v) { return ::gloss_emu::rmw(a, [cmp, v](T o) -> T { return o == cmp ? v : o; }); }
GLOSS_EMU_CAS(int)
GLOSS_EMU_CAS(unsigned int)
GLOSS_EMU_CAS(unsigned long long)
GLOSS_EMU_CAS(unsigned short)
#undef GLOSS_EMU_CAS

// ---------------------------------------------------------------------------------------------
// Integer and bit intrinsics.

inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline unsigned __brev(unsigned x) {
	unsigned r = 0;
	for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
	return r;
}
inline unsigned long long __brevll(unsigned long long x) {
	return ((unsigned long long)__brev((unsigned)x) << 32) | __brev((unsigned)(x >> 32));
}
inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
	return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}

// Reinterpretations.
inline float __int_as_float(int x) { return __builtin_bit_cast(float, x); }
inline int __float_as_int(float x) { return __builtin_bit_cast(int, x); }
inline float __uint_as_float(unsigned x) { return __builtin_bit_cast(float, x); }
inline unsigned __float_as_uint(float x) { return __builtin_bit_cast(unsigned, x); }
inline double __longlong_as_double(long long x) { return __builtin_bit_cast(double, x); }
inline long long __double_as_longlong(double x) { return __builtin_bit_cast(long long, x); }
inline int __double2hiint(double x) { return (int)(__double_as_longlong(x) >> 32); }
inline int __double2loint(double x) { return (int)__double_as_longlong(x); }
inline double __hiloint2double(int hi, int lo) {
	return __longlong_as_double((long long)(((unsigned long long)(unsigned)hi << 32) | (unsigned)lo));
}

template <class T>
inline T __ldg(const T* p) {
	return *p;
}

// ---------------------------------------------------------------------------------------------
// Math. <math.h> gives the float and double overloads CUDA has (exp(float) is expf, ...), from
// the C library, which is IEEE-accurate within its documented bounds (CUDA's are within 1–2 ulp
// and may differ in the last bit). Below: what CUDA adds.

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float rsqrt(float x) { return rsqrtf(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
inline double rcbrt(double x) { return 1.0 / cbrt(x); }
inline float normcdff(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }
inline double normcdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752); }
inline float __saturatef(float x) { return x >= 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f); }
// Explicit roundings: round-to-nearest is the host's only mode; these also keep a*b+c apart
// (nvcc never contracts them), which this build never does anyway.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
// NOT FAITHFUL: on a GPU these are approximations (a few ulp, or worse for large arguments);
// here they are the accurate functions.
inline float __fdividef(float a, float b) { return a / b; }
inline float fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float a, float b) { return powf(a, b); }

// CUDA's min and max: the integer overloads, and fminf/fmaxf (NaN-ignoring) for float/double.
#define GLOSS_EMU_MINMAX(T)                            \
	inline T min(T a, T b) { return a < b ? a : b; } \
	inline T max(T a, T b) { return a > b ? a : b; }
GLOSS_EMU_MINMAX(int)
GLOSS_EMU_MINMAX(unsigned int)
GLOSS_EMU_MINMAX(long)
GLOSS_EMU_MINMAX(unsigned long)
GLOSS_EMU_MINMAX(long long)
GLOSS_EMU_MINMAX(unsigned long long)
#undef GLOSS_EMU_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline double max(double a, float b) { return fmax(a, b); }

// ---------------------------------------------------------------------------------------------
// Kernel entries: make_kernel<&k>(name, bound) describes kernel k for the engine. Its thunk
// reads each argument from CUDA's kernelParams as the parameter's own type (sizeof(T) bytes
// from params[i]), once per launch, and calls k in every lane.

namespace gloss_emu {
template <class T>
inline T load_arg(void* p) {
	static_assert(std::is_trivially_destructible<T>::value, "kernel parameters are plain values");
	alignas(T) unsigned char b[sizeof(T)];
	std::memcpy(b, p, sizeof(T));
	return *std::launder(reinterpret_cast<T*>(b));
}

template <class Sig, Sig F>
struct Thunk;
template <class... A, void (*F)(A...)>
struct Thunk<void (*)(A...), F> {
	using Args = std::tuple<A...>;
	template <size_t... I>
	static void unpack_(void* const* p, void* out, std::index_sequence<I...>) {
		(void)p;
		::new (out) Args(load_arg<A>(p[I])...);
	}
	static void unpack(void* const* p, void* out) { unpack_(p, out, std::index_sequence_for<A...>{}); }
	static void run(const void* a) { std::apply(F, *static_cast<const Args*>(a)); }
};

// bound returns __launch_bounds__'s maxThreadsPerBlock (the other arguments are occupancy hints).
constexpr int bound(int max_threads, int = 0, int = 0) { return max_threads; }

template <auto F>
inline Kernel make_kernel(const char* name, int max_threads) {
	using T = Thunk<decltype(F), F>;
	using Args = typename T::Args;
	return Kernel{name, max_threads, (int)std::tuple_size<Args>::value, sizeof(Args), alignof(Args), &T::unpack, &T::run};
}
}  // namespace gloss_emu
