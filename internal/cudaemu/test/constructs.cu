// constructs.cu: part (a) of the emulator's self-test. Each kernel below exercises one CUDA
// construct; the host code after it launches the kernel on the engine directly and checks the
// results against what the CUDA C++ Programming Guide specifies (the expected values are
// computed here from the documented rules, not from the engine's code). Misuse that CUDA leaves
// undefined must end the launch with the matching fault.
//
// Written in CUDA C++, prepared by prep.sh and compiled with cuda_emu.h like the real kernels.

#include <math_constants.h>

#include <algorithm>
#include <string>
#include <vector>

#define FULL 0xffffffffu

// --- indices --------------------------------------------------------------------------------
__global__ void k_index(unsigned* out) {
	const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
	const unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
	unsigned* o = out + 8 * (b * blockDim.x * blockDim.y * blockDim.z + t);
	o[0] = threadIdx.x, o[1] = threadIdx.y, o[2] = threadIdx.z;
	o[3] = blockIdx.x, o[4] = blockIdx.y, o[5] = blockIdx.z;
	o[6] = blockDim.x * 1000 + blockDim.y * 100 + blockDim.z;
	o[7] = gridDim.x * 1000 + gridDim.y * 100 + gridDim.z + warpSize * 100000;
}

// --- barriers and shared memory ---------------------------------------------------------------
// Every thread writes its slot, then (with the barrier) reads its neighbour's.
__global__ void k_barrier(int* out, int use_barrier) {
	__shared__ int s[256];
	const int t = threadIdx.x, n = blockDim.x;
	s[t] = t * 7 + (int)blockIdx.x * 1000;
	if (use_barrier) __syncthreads();
	out[blockIdx.x * n + t] = s[(t + 1) % n];
}

__global__ void k_bar_vote(int* out) {
	const int t = threadIdx.x;
	out[3 * t] = __syncthreads_count(t % 3 == 0);
	out[3 * t + 1] = __syncthreads_and(t < 1000);
	out[3 * t + 2] = __syncthreads_or(t == 77);
}

// Shared memory belongs to the block: poisoned (all bits set) when the block starts, whatever
// the previous block left.
__global__ void k_shared_fresh(int* out) {
	__shared__ int s[4];
	if (threadIdx.x == 0) {
		out[blockIdx.x] = s[2];
		s[2] = 12345;
	}
}

// Dynamic shared memory of the launch's size: n doubles; read one past the end when over.
__global__ void k_dyn(double* out, int n, int over) {
	extern __shared__ double dyn[];
	const int t = threadIdx.x;
	for (int i = t; i < n; i += blockDim.x) dyn[i] = i + 0.5 + blockIdx.x;
	__syncthreads();
	double s = 0;
	for (int i = 0; i < n; ++i) s += dyn[i];
	if (over && t == 0) s += dyn[n];
	out[blockIdx.x * blockDim.x + t] = s;
}

__global__ void k_static_smem() {
	__shared__ double big[8];
	big[threadIdx.x & 7] = 1;
}

// --- warp intrinsics -------------------------------------------------------------------------
// mode 0..3: idx, up, down, xor with parameter p and width w; every lane of the block calls it.
template <class T>
__global__ void k_shfl(T* out, int mode, int p, int w) {
	const T v = (T)(threadIdx.x * 3 + 1);
	T r = 0;
	switch (mode) {
	case 0: r = __shfl_sync(FULL, v, p, w); break;
	case 1: r = __shfl_up_sync(FULL, v, (unsigned)p, w); break;
	case 2: r = __shfl_down_sync(FULL, v, (unsigned)p, w); break;
	case 3: r = __shfl_xor_sync(FULL, v, p, w); break;
	}
	out[threadIdx.x] = r;
}

// Sub-warp groups: lanes [16·h, 16·h+16) of each warp reduce by xor shuffles under their own
// mask, and the two halves run a different number of rounds (they diverge).
__global__ void k_shfl_groups(double* out) {
	const int lane = threadIdx.x & 31, h = lane >> 4;
	const unsigned mask = 0xffffu << (16 * h);
	double v = threadIdx.x + 0.25;
	for (int o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(mask, v, o);
	if (h == 1) v = __shfl_xor_sync(mask, v, 1) * 2;
	__syncwarp(mask);
	out[threadIdx.x] = v;
}

// A shuffle that reads a lane outside its mask (lane 0 reads lane 20 under mask 0xffff).
__global__ void k_shfl_outside(int* out) {
	const int lane = threadIdx.x & 31;
	if (lane < 16) out[lane] = __shfl_sync(0xffffu, lane * 10, lane == 0 ? 20 : lane);
}

__global__ void k_votes(unsigned* out) {
	const int lane = threadIdx.x & 31;
	out[4 * threadIdx.x] = __ballot_sync(FULL, lane % 3 == 0);
	out[4 * threadIdx.x + 1] = __any_sync(FULL, lane == 31);
	out[4 * threadIdx.x + 2] = __all_sync(FULL, lane < 31);
	unsigned r = 0;
	if (lane % 2 == 0) r = __ballot_sync(0x55555555u, lane % 4 == 0);  // even lanes only
	out[4 * threadIdx.x + 3] = r;
}

template <class T>
__global__ void k_match(unsigned* out) {
	const int lane = threadIdx.x & 31;
	const T v = (T)(lane % 3) + (T)(lane >= 16 ? 10 : 0);
	out[3 * threadIdx.x] = __match_any_sync(FULL, v);
	int pred = 0;
	out[3 * threadIdx.x + 1] = __match_all_sync(FULL, (T)(lane / 32), &pred) ^ (unsigned)(pred ? 0 : 1);
	unsigned r = 0;
	if (lane % 2 == 1) r = __match_any_sync(0xaaaaaaaau, (T)(lane % 4));  // odd lanes only
	out[3 * threadIdx.x + 2] = r;
}

__global__ void k_reduce(unsigned* out) {
	const unsigned lane = threadIdx.x & 31;
	out[6 * threadIdx.x] = __reduce_add_sync(FULL, lane * lane);
	out[6 * threadIdx.x + 1] = (unsigned)__reduce_min_sync(FULL, (int)lane - 7);
	out[6 * threadIdx.x + 2] = __reduce_max_sync(FULL, lane ^ 5u);
	out[6 * threadIdx.x + 3] = __reduce_and_sync(FULL, lane | 0x100u);
	out[6 * threadIdx.x + 4] = __reduce_or_sync(FULL, 1u << (lane & 7));
	out[6 * threadIdx.x + 5] = __reduce_xor_sync(FULL, lane);
}

// __syncwarp orders shared memory within each half warp.
__global__ void k_syncwarp(int* out) {
	__shared__ int s[64];
	const int lane = threadIdx.x & 31, h = lane >> 4;
	const unsigned mask = 0xffffu << (16 * h);
	s[threadIdx.x] = threadIdx.x * 5;
	__syncwarp(mask);
	out[threadIdx.x] = s[(threadIdx.x & ~15) + ((lane + 1) & 15)];
}

// A partial last warp (48 threads): its lanes 16..31 do not exist.
__global__ void k_partial_warp(float* out) {
	const float v = (float)threadIdx.x;
	out[2 * threadIdx.x] = __shfl_xor_sync(FULL, v, 1);
	out[2 * threadIdx.x + 1] = __shfl_xor_sync(FULL, v, 16);
}

// --- atomics ---------------------------------------------------------------------------------
__global__ void k_atomics(int* i, unsigned* u, unsigned long long* ull, long long* ll, float* f, double* d) {
	const int t = threadIdx.x + blockIdx.x * blockDim.x;
	atomicAdd(&i[0], t);
	atomicSub(&i[1], 2);
	atomicMin(&i[2], 1000 - t);
	atomicMax(&i[3], t * 3);
	atomicAnd(&i[4], ~(1 << (t % 31)));
	atomicOr(&i[5], 1 << (t % 31));
	atomicXor(&i[6], t);
	atomicAdd(&u[0], 1u);
	atomicInc(&u[1], 9u);
	atomicDec(&u[2], 9u);
	atomicExch(&u[3], 77u);
	atomicAdd(&ull[0], (unsigned long long)t << 33);
	atomicMin(&ull[1], (unsigned long long)(t + 5));
	atomicMax(&ll[0], (long long)-t);
	atomicMin(&ll[1], (long long)-t);
	atomicAdd(&f[0], 0.5f);
	atomicAdd(&d[0], 0.25);
	int old = i[7], assumed;  // an increment by compare-and-swap
	do {
		assumed = old;
		old = atomicCAS(&i[7], assumed, assumed + 1);
	} while (old != assumed);
}

// --- bits, constants, math ---------------------------------------------------------------------
__global__ void k_bits(int* out) {
	out[0] = __ffs(0), out[1] = __ffs(0x50), out[2] = __ffsll(1ll << 40);
	out[3] = __popc(0xf0f0u), out[4] = __popcll(~0ull);
	out[5] = __clz(0), out[6] = __clz(1), out[7] = __clzll(1ll << 40);
	out[8] = (int)__brev(1u), out[9] = __float_as_int(CUDART_INF_F);
	out[10] = __double2hiint(CUDART_NAN), out[11] = __float_as_int(CUDART_NAN_F);
	out[12] = sizeof(exp(1.0f)) * 10 + sizeof(exp(1.0));  // CUDA's float overloads
	out[13] = __float_as_int(expf(0.5f)) == __float_as_int(exp(0.5f));
	out[14] = max(3, -4) * 10 + min(3, -4);
	out[15] = isinf(CUDART_INF) + isfinite(1.0f) * 2 + (CUDART_NAN != CUDART_NAN) * 4;
}

// --- misuse --------------------------------------------------------------------------------------
__global__ void k_mask_omits_caller() {
	if ((threadIdx.x & 31) == 3) __shfl_sync(0x1u, 1, 0);
}
__global__ void k_mask_mismatch() {
	const int lane = threadIdx.x & 31;
	if (lane < 16)
		__shfl_xor_sync(FULL, lane, 1);
	else
		__syncwarp(FULL);
}
__global__ void k_barrier_divergent(int* out) {
	if (threadIdx.x < 32) {
		__syncthreads();
		out[0] = 1;
	} else {
		__syncthreads();
	}
}
__global__ void k_barrier_after_exit() {
	if (threadIdx.x >= 40) return;
	__syncthreads();
}
__global__ void k_deadlock() {
	if (threadIdx.x == 5)
		__syncthreads();
	else
		__syncwarp(FULL);
	__syncthreads();
}
__global__ void k_misaligned_vec(const float* p, float* out) {
	const float4 v = *reinterpret_cast<const float4*>(p + 1);
	out[threadIdx.x] = v.x;
}
__global__ void k_misaligned_atomic(char* p) { atomicAdd(reinterpret_cast<int*>(p + 2), 1); }
__global__ void k_null(int* p) { p[threadIdx.x] = 1; }
__global__ void k_trap() {
	if (threadIdx.x == 7) __trap();
}
__device__ int deep(int n) {
	volatile char pad[512];
	pad[0] = (char)n;
	return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
__global__ void k_stack(int* out) { out[0] = deep(1000000); }

// =============================================================================================
// Host side.

namespace {

int failures;

#define CHECK(cond, ...)                               \
	do {                                               \
		if (!(cond)) {                                 \
			++failures;                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);              \
			fputc('\n', stderr);                       \
		}                                              \
	} while (0)

// run launches K on the engine with args converted to its parameter types.
template <auto K, class... A>
gloss_emu::Fault run(const char* name, dim3 grid, dim3 block, size_t dyn, std::string* msg, A... args) {
	using T = gloss_emu::Thunk<decltype(K), K>;
	typename T::Args a(args...);
	void* params[sizeof...(A) + 1];
	std::apply([&](auto&... x) {
		int i = 0;
		((params[i++] = (void*)&x), ...);
	}, a);
	std::string m;
	const gloss_emu::Fault f = gloss_emu::launch(gloss_emu::make_kernel<K>(name, 1024), grid, block, dyn, 232448, params,
	                                             msg ? msg : &m, nullptr);
	if (!msg && f != gloss_emu::FAULT_NONE) CHECK(false, "%s: unexpected fault %d: %s", name, (int)f, m.c_str());
	return f;
}
#define RUN(k, ...) run<&k>(#k, __VA_ARGS__)

// expect_fault checks that a launch ends in fault f with a message containing what.
void expect_fault(gloss_emu::Fault got, const std::string& msg, gloss_emu::Fault want, const char* what, const char* name) {
	CHECK(got == want, "%s: fault %d, want %d (%s)", name, (int)got, (int)want, msg.c_str());
	CHECK(msg.find(what) != std::string::npos, "%s: message %s lacks \"%s\"", name, msg.c_str(), what);
}

// The documented source lane of each shuffle (CUDA C++ Programming Guide, "Warp Shuffle
// Functions"): within segments of width lanes; up/down out of the segment and xor into a later
// segment return the caller's own value.
int shfl_doc(int mode, int lane, int p, int w) {
	const int base = lane / w * w;
	switch (mode) {
	case 0: return base + ((p % w) + w) % w;
	case 1: return lane - base >= p ? lane - p : lane;
	case 2: return lane - base + p < w ? lane + p : lane;
	default: {
		const int j = lane ^ p;
		return j < base + w ? j : lane;
	}
	}
}

template <class T>
void test_shfl(const char* tname) {
	std::vector<T> out(64);
	for (int mode = 0; mode < 4; ++mode)
		for (int w : {1, 2, 8, 16, 32})
			for (int p : {0, 1, 3, 5, 16, 31, 37}) {
				if (mode != 0 && mode != 3 && p > 31) continue;
				RUN(k_shfl<T>, dim3(1), dim3(64), 0, nullptr, out.data(), mode, p, w);
				for (int t = 0; t < 64; ++t) {
					const int lane = t & 31, src = (t & ~31) + shfl_doc(mode, lane, p & 31, w);
					CHECK(out[t] == (T)(src * 3 + 1), "shfl<%s> mode %d p %d width %d: thread %d got %g, want %d", tname,
					      mode, p, w, t, (double)out[t], src * 3 + 1);
				}
			}
}

void test_constructs() {
	using namespace gloss_emu;
	std::string msg;
	// Indices over a 3-D grid of 3-D blocks.
	{
		const dim3 g(3, 2, 2), b(4, 3, 2);
		std::vector<unsigned> out(8 * 12 * 24);
		RUN(k_index, g, b, 0, nullptr, out.data());
		for (unsigned bz = 0, i = 0; bz < 2; ++bz)
			for (unsigned by = 0; by < 2; ++by)
				for (unsigned bx = 0; bx < 3; ++bx)
					for (unsigned tz = 0; tz < 2; ++tz)
						for (unsigned ty = 0; ty < 3; ++ty)
							for (unsigned tx = 0; tx < 4; ++tx, ++i) {
								const unsigned* o = &out[8 * i];
								CHECK(o[0] == tx && o[1] == ty && o[2] == tz && o[3] == bx && o[4] == by && o[5] == bz &&
								          o[6] == 4302 && o[7] == 3203202,
								      "index %u: got (%u %u %u) (%u %u %u) %u %u", i, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
							}
	}
	// __syncthreads orders shared memory; without it a thread reads a slot no thread has
	// written yet (all bits set), whichever order the threads run in.
	{
		std::vector<int> out(3 * 256);
		RUN(k_barrier, dim3(3), dim3(256), 0, nullptr, out.data(), 1);
		for (int b = 0; b < 3; ++b)
			for (int t = 0; t < 256; ++t)
				CHECK(out[b * 256 + t] == ((t + 1) % 256) * 7 + b * 1000, "barrier: block %d thread %d got %d", b, t, out[b * 256 + t]);
		RUN(k_barrier, dim3(1), dim3(256), 0, nullptr, out.data(), 0);
		int poisoned = 0;
		for (int t = 0; t < 256; ++t) poisoned += out[t] == -1;
		CHECK(poisoned > 0, "no barrier: every thread read a written slot");
	}
	{
		std::vector<int> out(3 * 300);
		RUN(k_bar_vote, dim3(1), dim3(300), 0, nullptr, out.data());
		for (int t = 0; t < 300; ++t)
			CHECK(out[3 * t] == 100 && out[3 * t + 1] == 1 && out[3 * t + 2] == 1, "__syncthreads_count/and/or: thread %d got %d %d %d", t,
			      out[3 * t], out[3 * t + 1], out[3 * t + 2]);
	}
	{
		std::vector<int> out(4, 0);
		RUN(k_shared_fresh, dim3(4), dim3(32), 0, nullptr, out.data());
		for (int b = 0; b < 4; ++b) CHECK(out[b] == -1, "shared memory at the start of block %d holds %d", b, out[b]);
	}
	// Dynamic shared memory: of the launch's size, per block; one past the end faults.
	{
		const int n = 300, threads = 64;
		std::vector<double> out(2 * threads);
		RUN(k_dyn, dim3(2), dim3(threads), n * sizeof(double), nullptr, out.data(), n, 0);
		for (int b = 0; b < 2; ++b) {
			double want = 0;
			for (int i = 0; i < n; ++i) want += i + 0.5 + b;
			for (int t = 0; t < threads; ++t) CHECK(out[b * threads + t] == want, "dynamic shared memory: block %d got %g", b, out[b * threads + t]);
		}
		Fault f = RUN(k_dyn, dim3(1), dim3(32), 64 * sizeof(double), &msg, out.data(), 64, 1);
		expect_fault(f, msg, FAULT_ADDRESS, "dynamic shared memory", "k_dyn past the end");
		f = RUN(k_static_smem, dim3(1), dim3(32), 232448 - 16, &msg);
		expect_fault(f, msg, FAULT_RESOURCES, "static shared memory", "k_static_smem");
	}
	test_shfl<int>("int");
	test_shfl<float>("float");
	test_shfl<double>("double");
	test_shfl<long long>("long long");
	test_shfl<unsigned long long>("unsigned long long");
	{
		std::vector<double> out(64);
		RUN(k_shfl_groups, dim3(1), dim3(64), 0, nullptr, out.data());
		for (int t = 0; t < 64; ++t) {
			const int g0 = t & ~15;
			double s = 0;
			for (int k = 0; k < 16; ++k) s += g0 + k + 0.25;
			if (((t & 31) >> 4) == 1) s *= 2;
			CHECK(out[t] == s, "sub-warp groups: thread %d got %g, want %g", t, out[t], s);
		}
		std::vector<int> o2(16);
		RUN(k_shfl_outside, dim3(1), dim3(32), 0, nullptr, o2.data());
		CHECK(o2[0] == -1, "shuffle from a lane outside the mask gave %d, want the undefined value (-1)", o2[0]);
		for (int l = 1; l < 16; ++l) CHECK(o2[l] == l * 10, "shuffle under mask 0xffff: lane %d got %d", l, o2[l]);
	}
	{
		std::vector<unsigned> out(4 * 64);
		RUN(k_votes, dim3(1), dim3(64), 0, nullptr, out.data());
		for (int t = 0; t < 64; ++t) {
			const int lane = t & 31;
			CHECK(out[4 * t] == 0x49249249u && out[4 * t + 1] == 1 && out[4 * t + 2] == 0, "votes: thread %d got %x %u %u", t,
			      out[4 * t], out[4 * t + 1], out[4 * t + 2]);
			CHECK(out[4 * t + 3] == (lane % 2 ? 0u : 0x11111111u), "partial ballot: thread %d got %x", t, out[4 * t + 3]);
		}
	}
	auto check_match = [&](const std::vector<unsigned>& out, const char* tn) {
		for (int t = 0; t < 64; ++t) {
			const int lane = t & 31;
			unsigned want = 0, want_odd = 0;
			for (int k = 0; k < 32; ++k) {
				if (k % 3 == lane % 3 && (k >= 16) == (lane >= 16)) want |= 1u << k;
				if (k % 2 == 1 && k % 4 == lane % 4) want_odd |= 1u << k;
			}
			CHECK(out[3 * t] == want, "match_any<%s>: thread %d got %08x, want %08x", tn, t, out[3 * t], want);
			CHECK(out[3 * t + 1] == FULL, "match_all<%s>: thread %d got %08x", tn, t, out[3 * t + 1]);
			CHECK(out[3 * t + 2] == (lane % 2 ? want_odd : 0u), "partial match_any<%s>: thread %d got %08x", tn, t, out[3 * t + 2]);
		}
	};
	{
		std::vector<unsigned> out(3 * 64);
		RUN(k_match<long long>, dim3(1), dim3(64), 0, nullptr, out.data());
		check_match(out, "long long");
		RUN(k_match<int>, dim3(1), dim3(64), 0, nullptr, out.data());
		check_match(out, "int");
		RUN(k_match<double>, dim3(1), dim3(64), 0, nullptr, out.data());
		check_match(out, "double");
	}
	{
		std::vector<unsigned> out(6 * 32);
		RUN(k_reduce, dim3(1), dim3(32), 0, nullptr, out.data());
		unsigned sum = 0, mx = 0, orv = 0, x = 0;
		for (unsigned l = 0; l < 32; ++l) sum += l * l, mx = std::max(mx, l ^ 5u), orv |= 1u << (l & 7), x ^= l;
		for (int t = 0; t < 32; ++t)
			CHECK(out[6 * t] == sum && (int)out[6 * t + 1] == -7 && out[6 * t + 2] == mx && out[6 * t + 3] == 0x100u &&
			          out[6 * t + 4] == orv && out[6 * t + 5] == x,
			      "__reduce_*_sync: thread %d", t);
	}
	{
		std::vector<int> out(64);
		RUN(k_syncwarp, dim3(1), dim3(64), 0, nullptr, out.data());
		for (int t = 0; t < 64; ++t) {
			const int want = ((t & ~15) + (((t & 31) + 1) & 15)) * 5;
			CHECK(out[t] == want, "__syncwarp: thread %d got %d, want %d", t, out[t], want);
		}
		std::vector<float> o2(2 * 48);
		RUN(k_partial_warp, dim3(1), dim3(48), 0, nullptr, o2.data());
		for (int t = 0; t < 48; ++t) {
			CHECK(o2[2 * t] == (float)(t ^ 1), "partial warp: thread %d xor 1 got %g", t, o2[2 * t]);
			const bool exists = (t ^ 16) < 48;
			CHECK(exists ? o2[2 * t + 1] == (float)(t ^ 16) : o2[2 * t + 1] != o2[2 * t + 1],
			      "partial warp: thread %d xor 16 got %g", t, o2[2 * t + 1]);
		}
	}
	// Atomics from 4 blocks of 96 threads.
	{
		const int n = 4 * 96;
		int i[8] = {0, 0, 1 << 30, -5, -1, 0, 0, 0};
		unsigned u[4] = {0, 0, 0, 0};
		unsigned long long ull[2] = {0, ~0ull};
		long long ll[2] = {-(1ll << 40), 0};
		float f = 0;
		double d = 0;
		RUN(k_atomics, dim3(4), dim3(96), 0, nullptr, i, u, ull, ll, &f, &d);
		int x = 0, orv = 0;
		long long tsum = 0;
		for (int t = 0; t < n; ++t) tsum += t, x ^= t, orv |= 1 << (t % 31);
		CHECK(i[0] == (int)tsum && i[1] == -2 * n && i[2] == 1000 - (n - 1) && i[3] == 3 * (n - 1), "atomics add/sub/min/max: %d %d %d %d",
		      i[0], i[1], i[2], i[3]);
		CHECK(i[4] == (int)(0xffffffffu & ~(unsigned)orv) && i[5] == orv && i[6] == x, "atomics and/or/xor: %x %x %x", i[4], i[5], i[6]);
		CHECK(i[7] == n, "atomicCAS chain reached %d, want %d", i[7], n);
		CHECK(u[0] == (unsigned)n && u[1] == (unsigned)(n % 10) && u[3] == 77, "atomicAdd/Inc/Exch unsigned: %u %u %u", u[0], u[1], u[3]);
		unsigned dec = 0;
		for (int t = 0; t < n; ++t) dec = (dec == 0 || dec > 9) ? 9 : dec - 1;
		CHECK(u[2] == dec, "atomicDec: %u, want %u", u[2], dec);
		CHECK(ull[0] == (unsigned long long)tsum << 33 && ull[1] == 5, "atomics unsigned long long: %llu %llu", ull[0], ull[1]);
		CHECK(ll[0] == 0 && ll[1] == -(n - 1), "atomics long long: %lld %lld", ll[0], ll[1]);
		CHECK(f == 0.5f * n && d == 0.25 * n, "atomicAdd float/double: %g %g", (double)f, d);
	}
	{
		int out[16];
		RUN(k_bits, dim3(1), dim3(1), 0, nullptr, out);
		const int want[16] = {0, 5, 41, 8, 64, 32, 31, 23, (int)0x80000000u, 0x7f800000, (int)0xfff80000u, 0x7fffffff, 48, 1, 3 * 10 - 4, 7};
		for (int k = 0; k < 16; ++k) CHECK(out[k] == want[k], "bits/constants/math [%d]: got %d (0x%x), want %d", k, out[k], out[k], want[k]);
	}
	// Misuse.
	Fault f = RUN(k_mask_omits_caller, dim3(1), dim3(32), 0, &msg);
	expect_fault(f, msg, FAULT_UNDEFINED, "omits the calling lane 3", "mask omits caller");
	f = RUN(k_mask_mismatch, dim3(1), dim3(32), 0, &msg);
	expect_fault(f, msg, FAULT_DEADLOCK, "threads 16-31 wait at __syncwarp(mask 0xffffffff)", "mask mismatch");
	int dummy[1];
	f = RUN(k_barrier_divergent, dim3(1), dim3(64), 0, &msg, dummy);
	expect_fault(f, msg, FAULT_UNDEFINED, "must reach the same barrier", "divergent barrier");
	f = RUN(k_barrier_after_exit, dim3(2), dim3(64), 0, &msg);
	expect_fault(f, msg, FAULT_UNDEFINED, "24 of the block's 64 threads exited", "barrier after exit");
	f = RUN(k_deadlock, dim3(1), dim3(64), 0, &msg);
	expect_fault(f, msg, FAULT_DEADLOCK, "deadlock", "deadlock");
	alignas(16) float vec[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	float vout[32];
	f = RUN(k_misaligned_vec, dim3(1), dim3(32), 0, &msg, vec, vout);
	expect_fault(f, msg, FAULT_MISALIGNED, "float4 access", "misaligned float4");
	alignas(8) char bytes[16] = {};
	f = RUN(k_misaligned_atomic, dim3(1), dim3(1), 0, &msg, bytes);
	expect_fault(f, msg, FAULT_MISALIGNED, "atomic on 4 bytes", "misaligned atomic");
	f = RUN(k_null, dim3(1), dim3(32), 0, &msg, (int*)nullptr);
	expect_fault(f, msg, FAULT_ADDRESS, "illegal address", "null store");
	f = RUN(k_trap, dim3(2), dim3(32), 0, &msg);
	expect_fault(f, msg, FAULT_TRAP, "thread (7, 0, 0)", "__trap");
	f = RUN(k_stack, dim3(1), dim3(1), 0, &msg, dummy);
	expect_fault(f, msg, FAULT_ADDRESS, "stack overflow", "deep recursion");
	// After faults, launches work again.
	std::vector<int> out(256);
	RUN(k_barrier, dim3(1), dim3(256), 0, nullptr, out.data(), 1);
	CHECK(out[255] == 0, "launch after faults: got %d", out[255]);
}

}  // namespace

int run_construct_tests() {
	test_constructs();
	return failures;
}
