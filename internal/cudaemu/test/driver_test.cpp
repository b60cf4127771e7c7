// driver_test.cpp: part (b) of the emulator's self-test, and its main. It loads libcuda.so.1 of
// the emulator with dlopen, as gloss's binding does, and checks the driver API (errors included)
// and a few real gloss kernels launched with the parameter layout of device/cuda/run.go against
// values computed here. It also measures launches per second.
//
// Usage: selftest LIBCUDA [F32_FATBIN F64_FATBIN]
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

int run_construct_tests();

namespace {

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUstream;

// The driver API, resolved with dlsym.
#define API(X)                                                                                     \
	X(cuInit, (unsigned))                                                                          \
	X(cuDriverGetVersion, (int*))                                                                  \
	X(cuGetErrorName, (CUresult, const char**))                                                    \
	X(cuGetErrorString, (CUresult, const char**))                                                  \
	X(cuDeviceGetCount, (int*))                                                                    \
	X(cuDeviceGet, (CUdevice*, int))                                                               \
	X(cuDeviceGetName, (char*, int, CUdevice))                                                     \
	X(cuDeviceTotalMem_v2, (size_t*, CUdevice))                                                    \
	X(cuDeviceGetAttribute, (int*, int, CUdevice))                                                 \
	X(cuDevicePrimaryCtxRetain, (CUcontext*, CUdevice))                                            \
	X(cuDevicePrimaryCtxRelease_v2, (CUdevice))                                                    \
	X(cuCtxSetCurrent, (CUcontext))                                                                \
	X(cuCtxSynchronize, ())                                                                        \
	X(cuMemGetInfo_v2, (size_t*, size_t*))                                                         \
	X(cuModuleLoadData, (CUmodule*, const void*))                                                  \
	X(cuModuleUnload, (CUmodule))                                                                  \
	X(cuModuleGetFunction, (CUfunction*, CUmodule, const char*))                                   \
	X(cuFuncGetAttribute, (int*, int, CUfunction))                                                 \
	X(cuFuncSetAttribute, (CUfunction, int, int))                                                  \
	X(cuMemAlloc_v2, (CUdeviceptr*, size_t))                                                       \
	X(cuMemFree_v2, (CUdeviceptr))                                                                 \
	X(cuMemcpyHtoDAsync_v2, (CUdeviceptr, const void*, size_t, CUstream))                          \
	X(cuMemcpyDtoHAsync_v2, (void*, CUdeviceptr, size_t, CUstream))                                \
	X(cuMemcpyDtoDAsync_v2, (CUdeviceptr, CUdeviceptr, size_t, CUstream))                          \
	X(cuMemsetD8Async, (CUdeviceptr, unsigned char, size_t, CUstream))                             \
	X(cuStreamCreate, (CUstream*, unsigned))                                                       \
	X(cuStreamDestroy_v2, (CUstream))                                                              \
	X(cuStreamSynchronize, (CUstream))                                                             \
	X(cuLaunchKernel, (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, \
	                   void**, void**))
#define DECL(name, args) CUresult(*name) args;
API(DECL)
#undef DECL

int failures, checks;

#define CHECK(cond, ...)                                         \
	do {                                                         \
		++checks;                                                \
		if (!(cond)) {                                           \
			++failures;                                          \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
		}                                                        \
	} while (0)
#define EXPECT(call, want)                                                                         \
	do {                                                                                           \
		const CUresult r_ = (call);                                                                \
		CHECK(r_ == (want), "%s returned %d, want %d", #call, r_, (int)(want));                    \
	} while (0)
#define MUST(call) EXPECT(call, 0)

enum { OK = 0, INVALID_VALUE = 1, NOT_INITIALIZED = 3, INVALID_DEVICE = 101, INVALID_CONTEXT = 201,
       NO_BINARY = 209, INVALID_HANDLE = 400, NOT_FOUND = 500, ILLEGAL_ADDRESS = 700, OUT_OF_RESOURCES = 701 };

constexpr int kBlock = 256;  // GLOSS_BLOCK
int sms = 4;
CUstream stream;

// Args is a kernel's parameter list, 8 bytes each (as device/cuda/run.go builds it).
struct Args {
	std::vector<uint64_t> v;
	std::vector<void*> p;
	Args& ptr(CUdeviceptr x) { return v.push_back(x), *this; }
	Args& i(int64_t x) { return v.push_back((uint64_t)x), *this; }
	Args& f(double x) {
		uint64_t b;
		memcpy(&b, &x, 8);
		return v.push_back(b), *this;
	}
	void** params() {
		p.clear();
		for (auto& x : v) p.push_back(&x);
		return p.data();
	}
};

CUresult launch(CUfunction k, int grid, int block, int smem, Args& a) {
	return cuLaunchKernel(k, grid, 1, 1, block, 1, 1, smem, stream, a.params(), nullptr);
}

CUdeviceptr dalloc(size_t bytes) {
	CUdeviceptr p = 0;
	MUST(cuMemAlloc_v2(&p, bytes));
	return p;
}
template <class T>
CUdeviceptr upload(const std::vector<T>& h, size_t pad_elems = 0) {
	const CUdeviceptr p = dalloc((h.size() + pad_elems) * sizeof(T) + 16);
	MUST(cuMemcpyHtoDAsync_v2(p + pad_elems * sizeof(T), h.data(), h.size() * sizeof(T), stream));
	return p;
}
template <class T>
std::vector<T> download(CUdeviceptr p, size_t n) {
	std::vector<T> h(n);
	MUST(cuMemcpyDtoHAsync_v2(h.data(), p, n * sizeof(T), stream));
	MUST(cuStreamSynchronize(stream));
	return h;
}

bool near(double got, double want, double rtol) {
	if (std::isnan(want)) return std::isnan(got);
	return std::fabs(got - want) <= rtol * (std::fabs(want) + 1e-30) + 1e-300 || std::fabs(got - want) <= 1e-30;
}

CUfunction fn(CUmodule m, const char* name) {
	CUfunction f = nullptr;
	MUST(cuModuleGetFunction(&f, m, name));
	return f;
}

int resident(int block) { return 2048 / block < 32 ? 2048 / block : 32; }

// reduce_finish adds nblocks partials of nsums each (run.go: finish).
std::vector<double> finish(CUmodule m32, CUdeviceptr part, int nblocks, int nsums, CUdeviceptr out) {
	Args a;
	a.ptr(part).i(nblocks).i(nsums).ptr(out);
	MUST(launch(fn(m32, "reduce_finish"), 1, kBlock, 0, a));
	return download<double>(out, nsums);
}

// --- huber, elementwise: _fwd, _fwd_bwd, _hess with each weight mode, aligned or not --------------
template <class R>
void test_huber(CUmodule m, CUmodule m32, const char* tn, std::mt19937_64& rng) {
	const int64_t N = 1000, C = 7, n = N * C;
	const double delta = 0.8, scale = 0.5, rtol = sizeof(R) == 4 ? 3e-6 : 1e-13;
	std::normal_distribution<double> nd;
	std::vector<R> x(n), y(n), wel(n), wrow(N);
	for (auto& v : x) v = (R)nd(rng);
	for (auto& v : y) v = (R)nd(rng);
	for (auto& v : wel) v = (R)(0.5 + std::fabs(nd(rng)));
	for (auto& v : wrow) v = (R)(0.5 + std::fabs(nd(rng)));
	const CUdeviceptr part = dalloc(sms * 64 * 4 * 8), small = dalloc(64), sp = dalloc(8);
	const double dscale = 0.25;
	MUST(cuMemcpyHtoDAsync_v2(sp, &dscale, 8, stream));
	for (int pad : {0, 1}) {                  // pad 1: every buffer one element off 16 bytes
		const CUdeviceptr X = upload(x, pad), Y = upload(y, pad), WE = upload(wel, pad), WR = upload(wrow, pad);
		const CUdeviceptr PS = dalloc((n + pad) * sizeof(R)), GX = dalloc((n + pad) * sizeof(R)), H = dalloc((n + pad) * sizeof(R));
		const size_t off = pad * sizeof(R);
		for (int mode = 0; mode < 3; ++mode)
			for (int wmode = 0; wmode < 3; ++wmode) {
				const bool dev_scale = wmode == 1 && mode == 2;
				const double sc = dev_scale ? dscale : scale;
				const char* name = mode == 0 ? "huber_fwd" : mode == 1 ? "huber_fwd_bwd" : "huber_hess";
				const int64_t vn = 16 / sizeof(R), work = ((n + vn - 1) / vn + kBlock - 1) / kBlock;
				const int grid = (int)std::min<int64_t>(work, sms * resident(kBlock));
				Args a;
				a.ptr(X + off).ptr(Y + off).ptr(0);
				a.ptr(wmode == 0 ? 0 : wmode == 1 ? WE + off : WR + off).ptr(0);
				a.ptr(PS + off).ptr(mode > 0 ? GX + off : 0).ptr(0).ptr(0).ptr(mode > 1 ? H + off : 0);
				a.ptr(part).ptr(dev_scale ? sp : 0).f(scale).i(n).i(C).i(wmode).i(pad == 0);
				a.f(delta);
				for (int k = 1; k < 8; ++k) a.f(0);
				MUST(launch(fn(m, name), grid, kBlock, 0, a));
				const std::vector<double> sums = finish(m32, part, grid, 2, small);
				const std::vector<R> ps = download<R>(PS + off, n), gx = download<R>(GX + off, n), h = download<R>(H + off, n);
				double s0 = 0, s1 = 0;
				int bad = 0;
				for (int64_t i = 0; i < n; ++i) {
					const double s = wmode == 0 ? 1.0 : wmode == 1 ? (double)wel[i] : (double)wrow[i / C];
					const double e = (double)y[i] - (double)x[i], ae = std::fabs(e);
					const double L = ae <= delta ? 0.5 * e * e : delta * (ae - 0.5 * delta);
					const double g = -(e < -delta ? -delta : e > delta ? delta : e), hh = ae <= delta ? 1.0 : 0.0;
					s0 += s * L, s1 += s;
					bool ok = near(ps[i], s * L, rtol);
					if (mode > 0) ok = ok && near(gx[i], sc * s * g, rtol);
					if (mode > 1) ok = ok && near(h[i], sc * s * hh, rtol);
					if (!ok && bad++ < 3)
						CHECK(false, "%s<%s> wmode %d pad %d: element %ld: ps %g gx %g h %g, want %g %g %g", name, tn, wmode, pad,
						      (long)i, (double)ps[i], (double)gx[i], (double)h[i], s * L, sc * s * g, sc * s * hh);
				}
				CHECK(bad == 0, "%s<%s> wmode %d pad %d: %d elements differ", name, tn, wmode, pad, bad);
				CHECK(near(sums[0], s0, rtol * 10) && near(sums[1], s1, 1e-12), "%s<%s> wmode %d pad %d: sums %.17g %.17g, want %.17g %.17g",
				      name, tn, wmode, pad, sums[0], sums[1], s0, s1);
			}
		for (CUdeviceptr p : {X, Y, WE, WR, PS, GX, H}) MUST(cuMemFree_v2(p));
	}
	for (CUdeviceptr p : {part, small, sp}) MUST(cuMemFree_v2(p));
}

// --- cross_entropy, a row loss: sub-warp groups and whole blocks, staged or not ------------------
struct RowCase {
	int64_t N, C;
	double eps;
	bool weights, inplace;
};

template <class R>
void test_cross_entropy(CUmodule m, CUmodule m32, const char* tn, std::mt19937_64& rng, const RowCase& rc) {
	const int64_t N = rc.N, C = rc.C, n = N * C, ignore = -100;
	const double scale = 0.75, rtol = sizeof(R) == 4 ? 2e-5 : 1e-12;
	std::normal_distribution<double> nd;
	std::vector<R> x(n), w(N);
	std::vector<int> lab(N);
	for (auto& v : x) v = (R)(3 * nd(rng));
	for (auto& v : w) v = (R)(0.5 + std::fabs(nd(rng)));
	for (auto& v : lab) v = rng() % 11 == 0 ? (int)ignore : (int)(rng() % C);
	// Host reference: losses, d and gradients (before the factor gs = scale·s).
	std::vector<double> L(N), d(N), g(n);
	for (int64_t r = 0; r < N; ++r) {
		if (lab[r] == ignore) continue;
		const R* xr = &x[r * C];
		double mx = -INFINITY;
		for (int64_t j = 0; j < C; ++j) mx = std::max(mx, (double)xr[j]);
		double S = 0;
		for (int64_t j = 0; j < C; ++j) S += std::exp((double)xr[j] - mx);
		const double lse = mx + std::log(S);
		double sm = 0;
		for (int64_t j = 0; j < C; ++j) sm += lse - (double)xr[j];
		L[r] = (1 - rc.eps) * (lse - (double)xr[lab[r]]) + rc.eps / (double)C * sm;
		d[r] = 1;
		for (int64_t j = 0; j < C; ++j)
			g[r * C + j] = std::exp((double)xr[j] - lse) - (1 - rc.eps) * (j == lab[r]) - rc.eps / (double)C;
	}
	const CUdeviceptr part = dalloc(sms * 64 * 4 * 8), small = dalloc(64);
	const CUdeviceptr LB = upload(lab), W = upload(w), PS = dalloc(N * sizeof(R));
	for (int mode = 0; mode < 2; ++mode) {
		const CUdeviceptr X = upload(x), GX = mode && !rc.inplace ? dalloc(n * sizeof(R)) : 0;
		const CUdeviceptr G = rc.inplace ? X : GX;
		const char* name = mode ? "cross_entropy_fwd_bwd" : "cross_entropy_fwd";
		CUfunction k = fn(m, name);
		// run.go's rowLayout.
		const int64_t vn = 16 / sizeof(R), chunks = std::max<int64_t>((C + vn - 1) / vn, 1);
		int gs, block;
		int64_t gpb = 1;
		if (chunks <= 256) {
			gs = 1;
			while (gs < chunks && gs < 32) gs *= 2;
			block = kBlock, gpb = block / gs;
		} else {
			const int64_t t = ((chunks + 7) / 8 + 31) / 32 * 32;
			gs = 0, block = (int)std::min<int64_t>(std::max<int64_t>(t, 64), 512);
		}
		const int64_t cpad = (C + vn - 1) / vn * vn, smem = mode ? gpb * cpad * (int64_t)sizeof(R) : 0;
		if (smem > 48 * 1024 - 2048) MUST(cuFuncSetAttribute(k, 8, (int)smem));
		const bool vec = (C * sizeof(R)) % 16 == 0;
		const int grid = (int)std::min<int64_t>((N + gpb - 1) / gpb, sms * resident(block));
		Args a;
		a.ptr(X).ptr(0).ptr(0).ptr(LB).ptr(rc.weights ? W : 0).ptr(0).ptr(PS).ptr(G).ptr(0).ptr(0);
		a.ptr(part).ptr(0).ptr(0).f(scale).i(N).i(C).i(ignore).i(gs).i((smem > 0 ? 1 : 0) | (vec ? 2 : 0)).i(0);
		a.f(rc.eps).f(0);
		for (int j = 2; j < 8; ++j) a.f(0);
		MUST(launch(k, grid, block, (int)smem, a));
		const std::vector<double> sums = finish(m32, part, grid, 2, small);
		const std::vector<R> ps = download<R>(PS, N);
		std::vector<R> gx;
		if (mode) gx = download<R>(G, n);
		double s0 = 0, s1 = 0;
		int bad = 0;
		for (int64_t r = 0; r < N; ++r) {
			const double s = rc.weights ? (double)w[r] : 1.0;
			s0 += s * L[r], s1 += s * d[r];
			bool ok = near(ps[r], s * L[r], rtol);
			// The gradient p_j − (1−ε)[j = y] − ε/C cancels: measure its error against its terms.
			for (int64_t j = 0; mode && j < C && lab[r] != ignore; ++j) {
				const double want = scale * s * g[r * C + j], terms = scale * s * (g[r * C + j] + 2 * (rc.eps / (double)C + (j == lab[r])));
				if (std::fabs(gx[r * C + j] - want) > rtol * std::fabs(terms)) ok = false;
			}
			for (int64_t j = 0; mode && j < C && lab[r] == ignore; ++j) ok = ok && gx[r * C + j] == 0;
			if (!ok && bad++ < 3) CHECK(false, "%s<%s> N %ld C %ld gs %d: row %ld (label %d) differs: loss %g, want %g", name, tn,
			                            (long)N, (long)C, gs, (long)r, lab[r], (double)ps[r], s * L[r]);
		}
		CHECK(bad == 0, "%s<%s> N %ld C %ld eps %g: %d rows differ", name, tn, (long)N, (long)C, rc.eps, bad);
		CHECK(near(sums[0], s0, rtol * 10) && near(sums[1], s1, 1e-12), "%s<%s> N %ld C %ld: sums %.17g %.17g, want %.17g %.17g", name,
		      tn, (long)N, (long)C, sums[0], sums[1], s0, s1);
		MUST(cuMemFree_v2(X));
		if (GX) MUST(cuMemFree_v2(GX));
	}
	for (CUdeviceptr p : {part, small, LB, W, PS}) MUST(cuMemFree_v2(p));
}

// --- macro_f1: row records, then hist_accumulate (__match_any_sync) and hist_finish --------------
void test_macro_f1(CUmodule m, CUmodule m32, std::mt19937_64& rng) {
	const int64_t N = 3000, C = 6, K = C, nslots = 3 * K, ignore = -1;
	std::normal_distribution<double> nd;
	std::vector<float> x(N * C), w(N);
	std::vector<int> lab(N);
	for (auto& v : x) v = (float)std::round(nd(rng) * 2);  // ties: the first maximum wins
	for (auto& v : w) v = (float)(0.5 + std::fabs(nd(rng)));
	for (auto& v : lab) v = rng() % 13 == 0 ? (int)ignore : (int)(rng() % C);
	std::vector<double> want(nslots, 0.0);
	for (int64_t r = 0; r < N; ++r) {
		if (lab[r] == ignore) continue;
		int64_t p = 0;
		for (int64_t j = 1; j < C; ++j)
			if (x[r * C + j] > x[r * C + p]) p = j;
		if (p == lab[r])
			want[lab[r]] += w[r];
		else
			want[K + p] += w[r], want[2 * K + lab[r]] += w[r];
	}
	const int64_t nwarps = std::max<int64_t>(1, std::min<int64_t>(std::min<int64_t>((64 << 20) / (nslots * 8), sms * 64), (N + 31) / 32));
	const CUdeviceptr X = upload(x), LB = upload(lab), W = upload(w), part = dalloc(sms * 64 * 4 * 8);
	const CUdeviceptr hist = dalloc((nwarps + 1) * nslots * 8), rec = dalloc(6 * N * 8), out = hist + nwarps * nslots * 8;
	MUST(cuMemsetD8Async(hist, 0, nwarps * nslots * 8, stream));
	const int gs = 2, block = kBlock, grid = (int)std::min<int64_t>((N + 127) / 128, sms * resident(block));
	Args a;
	a.ptr(X).ptr(0).ptr(0).ptr(LB).ptr(W).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0);
	a.ptr(part).ptr(0).ptr(rec).f(0).i(N).i(C).i(ignore).i(gs).i(0).i(K);
	for (int j = 0; j < 8; ++j) a.f(0);
	MUST(launch(fn(m, "macro_f1_fwd"), grid, block, 0, a));
	Args b;
	b.ptr(rec).i(N).ptr(hist).i(nslots).i(nwarps);
	MUST(launch(fn(m32, "hist_accumulate"), (int)((nwarps * 32 + kBlock - 1) / kBlock), kBlock, 0, b));
	Args c;
	c.ptr(hist).i(nwarps).i(nslots).ptr(out);
	MUST(launch(fn(m32, "hist_finish"), (int)((nslots + kBlock - 1) / kBlock), kBlock, 0, c));
	const std::vector<double> got = download<double>(out, nslots);
	for (int64_t k = 0; k < nslots; ++k) CHECK(near(got[k], want[k], 1e-12), "macro_f1 slot %ld: %.17g, want %.17g", (long)k, got[k], want[k]);
	for (CUdeviceptr p : {X, LB, W, part, hist, rec}) MUST(cuMemFree_v2(p));
}

// --- check_values: the first non-finite value, by atomicMin ---------------------------------------
void test_check_values(CUmodule m32) {
	const int64_t n = 100000;
	std::vector<float> x(n, 1.0f);
	x[77777] = NAN, x[90001] = INFINITY, x[1234] = -INFINITY;
	const CUdeviceptr X = upload(x), first = dalloc(8);
	const unsigned long long init = n;
	MUST(cuMemcpyHtoDAsync_v2(first, &init, 8, stream));
	Args a;
	a.ptr(X).i(n).i(3).f(0).f(0).ptr(first);
	const int grid = (int)std::min<int64_t>((n + kBlock - 1) / kBlock, sms * resident(kBlock));
	MUST(launch(fn(m32, "check_values"), grid, kBlock, 0, a));
	CHECK(download<unsigned long long>(first, 1)[0] == 1234, "check_values: first bad index %llu, want 1234",
	      download<unsigned long long>(first, 1)[0]);
	MUST(cuMemFree_v2(X));
	MUST(cuMemFree_v2(first));
}

// --- two host threads launching at once (each with the context current, on the NULL stream) -----
void test_threads(CUcontext ctx, CUmodule m32) {
	const int64_t n = 5000;
	std::vector<float> x(n), y(n);
	for (int64_t i = 0; i < n; ++i) x[i] = (float)(i % 17) * 0.25f, y[i] = (float)(i % 5);
	double want = 0;
	for (int64_t i = 0; i < n; ++i) want += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
	CUfunction k = fn(m32, "mse_fwd"), fin = fn(m32, "reduce_finish");
	auto worker = [&](int id, int* bad) {
		if (cuCtxSetCurrent(ctx) != 0) {
			++*bad;
			return;
		}
		CUdeviceptr X, Y, part, out;
		if (cuMemAlloc_v2(&X, n * 4) || cuMemAlloc_v2(&Y, n * 4) || cuMemAlloc_v2(&part, 4096) || cuMemAlloc_v2(&out, 64) ||
		    cuMemcpyHtoDAsync_v2(X, x.data(), n * 4, nullptr) || cuMemcpyHtoDAsync_v2(Y, y.data(), n * 4, nullptr)) {
			++*bad;
			return;
		}
		for (int it = 0; it < 20; ++it) {
			Args a, f;
			a.ptr(X).ptr(Y).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(part).ptr(0).f(1).i(n).i(1).i(0).i(1);
			for (int j = 0; j < 8; ++j) a.f(0);
			f.ptr(part).i(5).i(2).ptr(out);
			double s[2] = {0, 0};
			if (cuLaunchKernel(k, 5, 1, 1, kBlock, 1, 1, 0, nullptr, a.params(), nullptr) ||
			    cuLaunchKernel(fin, 1, 1, 1, kBlock, 1, 1, 0, nullptr, f.params(), nullptr) ||
			    cuMemcpyDtoHAsync_v2(s, out, 16, nullptr) || cuCtxSynchronize() || !near(s[0], want, 1e-6) || s[1] != n)
				++*bad;
		}
		for (CUdeviceptr p : {X, Y, part, out}) cuMemFree_v2(p);
		(void)id;
	};
	int bad[2] = {0, 0};
	std::thread t0(worker, 0, &bad[0]), t1(worker, 1, &bad[1]);
	t0.join();
	t1.join();
	CHECK(bad[0] == 0 && bad[1] == 0, "concurrent launches from two threads: %d and %d failures", bad[0], bad[1]);
}

// --- launches per second -----------------------------------------------------------------------
double rate(CUfunction k, int grid, int block, int smem, Args& a) {
	int count = 0;
	const auto t0 = std::chrono::steady_clock::now();
	double el = 0;
	while (el < 1.0) {
		MUST(launch(k, grid, block, smem, a));
		++count;
		el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	}
	return count / el;
}

void measure(CUmodule m32) {
	const int64_t n = 1 << 17;  // elementwise: 2^16 elements; rows: 1024 × 100
	std::vector<float> x(n, 0.5f), y(n, 0.25f);
	const CUdeviceptr X = upload(x), Y = upload(y), PS = dalloc(n * 4), GX = dalloc(n * 4), part = dalloc(sms * 64 * 4 * 8);
	const int egrid = (int)std::min<int64_t>((n / 2 / 4 + kBlock - 1) / kBlock, sms * resident(kBlock));
	Args a;
	a.ptr(X).ptr(Y).ptr(0).ptr(0).ptr(0).ptr(PS).ptr(GX).ptr(0).ptr(0).ptr(0).ptr(part).ptr(0).f(1).i(n / 2).i(1).i(0).i(1);
	for (int k = 0; k < 8; ++k) a.f(k == 0 ? 1.0 : 0.0);
	const double er = rate(fn(m32, "huber_fwd_bwd"), egrid, kBlock, 0, a);
	const int64_t N = 1024, C = 100;  // gs 32 (25 vectors), 8 rows per block
	std::vector<int> lab(N, 3);
	const CUdeviceptr LB = upload(lab);
	const int rgrid = (int)std::min<int64_t>(N / 8, sms * resident(kBlock));
	Args b;
	b.ptr(X).ptr(0).ptr(0).ptr(LB).ptr(0).ptr(0).ptr(PS).ptr(GX).ptr(0).ptr(0).ptr(part).ptr(0).ptr(0).f(1).i(N).i(C).i(-100).i(32).i(1 | 2).i(0);
	for (int k = 0; k < 8; ++k) b.f(0);
	const double rr = rate(fn(m32, "cross_entropy_fwd_bwd"), rgrid, kBlock, 8 * 100 * 4, b);
	// Conformance-sized launches: 1000 elements (one block); 64 rows of 10 (8-lane groups).
	Args a2 = a;
	a2.v[13] = 1000;
	const double er2 = rate(fn(m32, "huber_fwd_bwd"), 1, kBlock, 0, a2);
	Args b2 = b;
	b2.v[14] = 64, b2.v[15] = 10, b2.v[17] = 4, b2.v[18] = 0;
	const double rr2 = rate(fn(m32, "cross_entropy_fwd_bwd"), 2, kBlock, 0, b2);
	printf("cuda-emu: %.0f launches/s of huber_fwd_bwd (float, %ld elements: %d blocks of %d threads)\n", er, (long)n / 2, egrid, kBlock);
	printf("cuda-emu: %.0f launches/s of huber_fwd_bwd (float, 1000 elements: 1 block of %d threads)\n", er2, kBlock);
	printf("cuda-emu: %.0f launches/s of cross_entropy_fwd_bwd (float, %ld rows of %ld: %d blocks of %d threads, 32-lane groups)\n",
	       rr, (long)N, (long)C, rgrid, kBlock);
	printf("cuda-emu: %.0f launches/s of cross_entropy_fwd_bwd (float, 64 rows of 10: 2 blocks of %d threads, 4-lane groups)\n", rr2, kBlock);
	for (CUdeviceptr p : {X, Y, PS, GX, part, LB}) MUST(cuMemFree_v2(p));
}

std::vector<unsigned char> read_file(const char* path) {
	std::ifstream f(path, std::ios::binary);
	return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), {});
}

// has_ident reports whether an image holds the identifier w.
bool has_ident(const std::vector<unsigned char>& img, const char* w) {
	const size_t k = strlen(w);
	for (size_t i = 0; i + k <= img.size(); ++i)
		if (!memcmp(&img[i], w, k) && (i + k == img.size() || !(isalnum(img[i + k]) || img[i + k] == '_'))) return true;
	return false;
}

// rename_ident replaces every occurrence of the identifier from by to (same length) in an image.
bool rename_ident(std::vector<unsigned char>& img, const char* from, const char* to) {
	const size_t k = strlen(from);
	bool any = false;
	for (size_t i = 0; i + k <= img.size(); ++i)
		if (!memcmp(&img[i], from, k) && (i + k == img.size() || !(isalnum(img[i + k]) || img[i + k] == '_'))) {
			memcpy(&img[i], to, k);
			any = true;
		}
	return any;
}

void test_driver(const char* lib, const char* fb32, const char* fb64) {
	void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "FAIL: dlopen(%s): %s\n", lib, dlerror());
		++failures;
		return;
	}
#define LOAD(name, args)                                                        \
	name = reinterpret_cast<decltype(name)>(dlsym(h, #name));                   \
	CHECK(name != nullptr, "%s does not export %s", lib, #name);                \
	if (!name) return;
	API(LOAD)
#undef LOAD
	CHECK(dlsym(h, "gloss_emu_kernels_f32") == nullptr && dlsym(h, "_ZN9gloss_emu3curE") == nullptr,
	      "the library exports more than the driver API");
	// Initialisation, device, context.
	int v = 0;
	EXPECT(cuDeviceGetCount(&v), NOT_INITIALIZED);
	MUST(cuDriverGetVersion(&v));
	CHECK(v == 11080, "driver version %d", v);
	MUST(cuInit(0));
	MUST(cuDeviceGetCount(&v));
	CHECK(v == 1, "%d devices", v);
	CUdevice dev;
	EXPECT(cuDeviceGet(&dev, 1), INVALID_DEVICE);
	MUST(cuDeviceGet(&dev, 0));
	char name[64];
	MUST(cuDeviceGetName(name, sizeof name, dev));
	CHECK(strstr(name, "emulator") != nullptr, "device name %s", name);
	int major = 0, minor = 0, optin = 0;
	MUST(cuDeviceGetAttribute(&major, 75, dev));
	MUST(cuDeviceGetAttribute(&minor, 76, dev));
	MUST(cuDeviceGetAttribute(&sms, 16, dev));
	MUST(cuDeviceGetAttribute(&optin, 97, dev));
	CHECK(major == 9 && minor == 0 && optin == 232448 && sms >= 1, "compute capability %d.%d, opt-in %d, %d SMs", major, minor, optin, sms);
	EXPECT(cuDeviceGetAttribute(&v, 0, dev), INVALID_VALUE);
	const char* s = nullptr;
	MUST(cuGetErrorName(700, &s));
	CHECK(s && !strcmp(s, "CUDA_ERROR_ILLEGAL_ADDRESS"), "error name %s", s);
	EXPECT(cuGetErrorString(12345, &s), INVALID_VALUE);
	CUdeviceptr p = 0;
	EXPECT(cuMemAlloc_v2(&p, 64), INVALID_CONTEXT);  // no current context yet
	CUcontext ctx;
	MUST(cuDevicePrimaryCtxRetain(&ctx, dev));
	MUST(cuCtxSetCurrent(ctx));
	MUST(cuStreamCreate(&stream, 1));
	// Memory.
	size_t fr = 0, tot = 0;
	MUST(cuMemGetInfo_v2(&fr, &tot));
	EXPECT(cuMemAlloc_v2(&p, 0), INVALID_VALUE);
	const CUdeviceptr a = dalloc(1000), b = dalloc(1000);
	CHECK(a % 256 == 0 && b % 256 == 0, "allocations not 256-byte aligned: %llx %llx", a, b);
	std::vector<unsigned char> hb(1000, 7), hc(1000);
	MUST(cuMemcpyHtoDAsync_v2(a, hb.data(), 1000, stream));
	EXPECT(cuMemcpyHtoDAsync_v2(a + 1, hb.data(), 1000, stream), INVALID_VALUE);
	EXPECT(cuMemcpyHtoDAsync_v2(a, hb.data(), 10, (CUstream)0x1234), INVALID_HANDLE);
	MUST(cuMemsetD8Async(b, 3, 500, stream));
	MUST(cuMemcpyDtoDAsync_v2(b + 500, a, 500, stream));
	MUST(cuMemcpyDtoHAsync_v2(hc.data(), b, 1000, stream));
	MUST(cuStreamSynchronize(stream));
	CHECK(hc[0] == 3 && hc[499] == 3 && hc[500] == 7 && hc[999] == 7, "memset/copies: %d %d %d %d", hc[0], hc[499], hc[500], hc[999]);
	EXPECT(cuMemcpyDtoHAsync_v2(hc.data(), b + 900, 200, stream), INVALID_VALUE);
	EXPECT(cuMemFree_v2(a + 8), INVALID_VALUE);
	MUST(cuMemFree_v2(a));
	EXPECT(cuMemFree_v2(a), INVALID_VALUE);
	MUST(cuMemFree_v2(b));
	// Modules: by their marker kernel.
	CUmodule m32 = nullptr, m64 = nullptr, mx = nullptr;
	EXPECT(cuModuleLoadData(&mx, "no marker here"), NO_BINARY);
	EXPECT(cuModuleLoadData(&mx, "gloss_real_float gloss_real_double"), NO_BINARY);
	EXPECT(cuModuleLoadData(&mx, "gloss_real_floats"), NO_BINARY);
	MUST(cuModuleLoadData(&m32, "// marker: gloss_real_float\n"));
	MUST(cuModuleLoadData(&m64, "// marker: gloss_real_double\n"));
	CUfunction f = nullptr;
	EXPECT(cuModuleGetFunction(&f, m32, "no_such_kernel"), NOT_FOUND);
	// The real fatbins: as they are (loadable once they hold the marker kernels; until then with a
	// kernel renamed to the marker), so that the image path (cubin symbols, static shared memory,
	// registers) is checked, and the real kernels below run from the real images.
	std::vector<unsigned char> img[2];
	const char* fbs[2] = {fb32, fb64};
	const char* renamed[2][2] = {{"contrastive_hess", "gloss_real_float"}, {"smooth_l1_fwd_bwd", "gloss_real_double"}};
	for (int t = 0; fb32 && fb64 && t < 2; ++t) {
		img[t] = read_file(fbs[t]);
		CHECK(img[t].size() > 1000, "cannot read %s", fbs[t]);
		img[t].push_back(0);
		const bool marked = has_ident(img[t], renamed[t][1]);
		CUmodule& m = t ? m64 : m32;
		const char* gone = nullptr;
		if (!marked) {
			EXPECT(cuModuleLoadData(&mx, img[t].data()), NO_BINARY);
			CHECK(rename_ident(img[t], renamed[t][0], renamed[t][1]), "%s has no kernel %s", fbs[t], renamed[t][0]);
			gone = renamed[t][0];
		}
		MUST(cuModuleUnload(m));
		MUST(cuModuleLoadData(&m, img[t].data()));
		if (gone) EXPECT(cuModuleGetFunction(&f, m, gone), NOT_FOUND);  // not in this image, though the host has it
		f = fn(m, "cross_entropy_fwd");
		int smem = -1, regs = -1;
		MUST(cuFuncGetAttribute(&smem, 1, f));
		MUST(cuFuncGetAttribute(&regs, 4, f));
		CHECK(smem == 32 * 8 * 8 && regs > 0 && regs <= 255, "%s: cross_entropy_fwd from the cubin: %d bytes of shared memory, %d registers",
		      fbs[t], smem, regs);
		printf("cuda-emu: %s loads%s; cross_entropy_fwd: %d B of static shared memory, %d registers\n", fbs[t],
		       marked ? "" : " (with a kernel renamed to the marker)", smem, regs);
	}
	// Function attributes and launch limits.
	f = fn(m32, "huber_fwd");
	MUST(cuFuncGetAttribute(&v, 0, f));
	CHECK(v == 256, "huber_fwd: MAX_THREADS_PER_BLOCK %d", v);
	Args none;
	for (int k = 0; k < 25; ++k) none.i(0);
	EXPECT(launch(f, 1, 1025, 0, none), INVALID_VALUE);
	EXPECT(launch(f, 1, 512, 0, none), OUT_OF_RESOURCES);
	EXPECT(launch(f, 0, 256, 0, none), INVALID_VALUE);
	CUfunction ce = fn(m32, "cross_entropy_fwd_bwd");
	int maxdyn = 0, st = 0;
	MUST(cuFuncGetAttribute(&maxdyn, 8, ce));
	MUST(cuFuncGetAttribute(&st, 1, ce));
	CHECK(maxdyn == 49152 - st, "MAX_DYNAMIC_SHARED_SIZE_BYTES %d with %d static", maxdyn, st);
	EXPECT(launch(ce, 1, 64, maxdyn + 16, none), INVALID_VALUE);
	EXPECT(cuFuncSetAttribute(ce, 8, optin - st + 1), INVALID_VALUE);
	MUST(cuFuncSetAttribute(ce, 8, optin - st));
	EXPECT(cuLaunchKernel(ce, 1, 1, 1, 64, 1, 1, 0, stream, nullptr, nullptr), INVALID_VALUE);
	// Real kernels.
	std::mt19937_64 rng(20261202);
	test_huber<float>(m32, m32, "float", rng);
	test_huber<double>(m64, m32, "double", rng);
	for (const RowCase& rc : {RowCase{600, 5, 0, true, false}, RowCase{600, 64, 0.1, false, true}, RowCase{40, 3000, 0, true, false},
	                          RowCase{40, 3000, 0.1, false, true}, RowCase{300, 1, 0, false, false}}) {
		test_cross_entropy<float>(m32, m32, "float", rng, rc);
		test_cross_entropy<double>(m64, m32, "double", rng, rc);
	}
	test_cross_entropy<double>(m64, m32, "double", rng, RowCase{300, 33, 0.05, true, false});
	test_macro_f1(m32, m32, rng);
	test_check_values(m32);
	// A kernel that reads past its buffer: CUDA_ERROR_ILLEGAL_ADDRESS, sticky until the primary
	// context is released and retained again.
	{
		const CUdeviceptr X = dalloc(1024), part = dalloc(4096);
		Args a;
		a.ptr(X).ptr(X).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(0).ptr(part).ptr(0).f(1).i(1 << 20).i(1).i(0).i(1);
		for (int k = 0; k < 8; ++k) a.f(1);
		EXPECT(launch(fn(m32, "huber_fwd"), 4, kBlock, 0, a), ILLEGAL_ADDRESS);
		EXPECT(cuCtxSynchronize(), ILLEGAL_ADDRESS);
		EXPECT(cuMemAlloc_v2(&p, 64), ILLEGAL_ADDRESS);
		MUST(cuDevicePrimaryCtxRelease_v2(dev));
		EXPECT(cuMemAlloc_v2(&p, 64), INVALID_CONTEXT);
		MUST(cuDevicePrimaryCtxRetain(&ctx, dev));
		MUST(cuCtxSetCurrent(ctx));
		MUST(cuCtxSynchronize());
		EXPECT(cuModuleGetFunction(&f, m32, "huber_fwd"), INVALID_HANDLE);  // the context's modules are gone
		MUST(cuStreamCreate(&stream, 0));
		MUST(cuModuleLoadData(&m32, "gloss_real_float"));
	}
	test_threads(ctx, m32);
	measure(m32);
	MUST(cuStreamDestroy_v2(stream));
	EXPECT(cuStreamDestroy_v2(stream), INVALID_HANDLE);
	MUST(cuModuleUnload(m32));
	MUST(cuDevicePrimaryCtxRelease_v2(dev));
}

}  // namespace

int main(int argc, char** argv) {
	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: %s LIBCUDA [F32_FATBIN F64_FATBIN]\n", argv[0]);
		return 2;
	}
	const char* sched = getenv("GLOSS_CUDAEMU_SCHED");
	const int cf = run_construct_tests();
	test_driver(argv[1], argc == 4 ? argv[2] : nullptr, argc == 4 ? argv[3] : nullptr);
	failures += cf;
	printf("cuda-emu selftest (schedule %s): %s, %d driver checks, %d failures\n", sched ? sched : "forward",
	       failures ? "FAIL" : "ok", checks, failures);
	return failures ? 1 : 0;
}
