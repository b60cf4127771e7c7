// driver.cpp: libcuda.so.1 of the emulator. It exports, with C linkage and CUDA 11.8's ABI
// (cuda.h's _v2 names, CUresult codes and attribute numbers, declared here, not included), the
// driver-API calls gloss's binding makes, and runs kernels on engine.cpp.
//
// The device: one GPU named "gloss CUDA emulator", compute capability 9.0, GLOSS_CUDAEMU_SMS
// multiprocessors (default 4, so that grids sized from the SM count stay small), H100-like
// limits (1024 threads per block, 48 KiB of shared memory per block by default and 227 KiB with
// opt-in), min(8 GiB, half the host's RAM) of memory. Device memory is host memory: a
// CUdeviceptr is a host address, each allocation its own mapping between two guard pages, filled
// with 0xff bytes (NaN) when allocated, as device memory holds garbage. Copies, sets and frees
// must name live allocations. Asynchronous calls run synchronously.
//
// Modules: cuModuleLoadData takes a fatbin (or cubin, or NUL-terminated text) image and decides
// its element type by the marker kernel it holds, gloss_real_float or gloss_real_double; its
// kernels are then the host-compiled kernels of that type (kernels.cpp). When the image has a
// cubin the device could run (sm_90), it must hold each kernel asked for (a stale image is
// caught), and its static shared memory and register counts are the function attributes.
//
// Errors a kernel makes while it runs (memory faults, misaligned vectors, undefined warp or
// barrier use, deadlock, __trap) are sticky, as on hardware: the launch and every later call of
// the context returns the error until the primary context is released by all and retained
// again. Each is also described on stderr (GLOSS_CUDAEMU_QUIET=1 silences that).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "engine.h"

extern "C" const gloss_emu::KernelTable gloss_emu_kernels_f32, gloss_emu_kernels_f64;

// The ABI (cuda.h of CUDA 11.8).
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
typedef CUctx_st* CUcontext;
typedef CUmod_st* CUmodule;
typedef CUfunc_st* CUfunction;
typedef CUstream_st* CUstream;

enum {
	SUCCESS = 0,
	INVALID_VALUE = 1,
	OUT_OF_MEMORY = 2,
	NOT_INITIALIZED = 3,
	INVALID_DEVICE = 101,
	INVALID_IMAGE = 200,
	INVALID_CONTEXT = 201,
	NO_BINARY_FOR_GPU = 209,
	INVALID_HANDLE = 400,
	NOT_FOUND = 500,
	ILLEGAL_ADDRESS = 700,
	LAUNCH_OUT_OF_RESOURCES = 701,
	LAUNCH_TIMEOUT = 702,
	MISALIGNED_ADDRESS = 716,
	LAUNCH_FAILED = 719,
	NOT_SUPPORTED = 801,
};

// The emulated device and the driver's objects (the handles are pointers to these).

constexpr const char* kName = "gloss CUDA emulator";
constexpr int kOptin = 232448;         // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN (227 KiB)
constexpr int kSmemBlock = 49152;      // without opt-in
constexpr int kSmemSM = 233472;        // per multiprocessor
constexpr int kReservedSmem = 1024;    // per block, for the system (sm_90)

struct Alloc {
	char* map;
	size_t map_len, size;
};

struct CubinFn {
	int smem = 0, regs = 0;
};

struct CUfunc_st {
	CUmod_st* mod;
	const gloss_emu::Kernel* k;
	int smem, regs;  // static shared memory, registers (from the cubin, else 0 and 32)
	int max_dyn;     // MAX_DYNAMIC_SHARED_SIZE_BYTES
	int carveout = -1;
};

struct CUmod_st {
	bool f64;
	bool cubin;                                  // the image has an sm_90 cubin: these are its kernels
	std::map<std::string, CubinFn> in_image;
	std::map<std::string, std::unique_ptr<CUfunc_st>> fns;
};

struct CUstream_st {
	unsigned flags;
};

struct CUctx_st {
	int refs = 0;
	CUresult sticky = SUCCESS;
	std::map<uintptr_t, Alloc> allocs;  // by start address
	size_t used = 0;
	std::set<CUmod_st*> mods;
	std::set<CUfunc_st*> fns;
	std::set<CUstream_st*> streams;
};

namespace {

std::mutex mu;  // every call holds it: the driver runs one call at a time
bool initialized;
CUctx_st primary;
thread_local CUcontext current;

size_t page_size() { return (size_t)sysconf(_SC_PAGESIZE); }
size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

int sms() {
	static const int n = [] {
		const char* s = getenv("GLOSS_CUDAEMU_SMS");
		const int v = s ? atoi(s) : 0;
		return v >= 1 && v <= 1024 ? v : 4;
	}();
	return n;
}

// total_mem is the device's memory: 8 GiB, or half the host's RAM if that is less (allocations
// are filled when made, so they really take host memory).
size_t total_mem() {
	const size_t half = (size_t)sysconf(_SC_PHYS_PAGES) * page_size() / 2;
	const size_t cap = (size_t)8 << 30;
	return half && half < cap ? half : cap;
}

void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
	static const bool quiet = getenv("GLOSS_CUDAEMU_QUIET") && *getenv("GLOSS_CUDAEMU_QUIET") == '1';
	if (quiet) return;
	va_list ap;
	va_start(ap, fmt);
	fputs("cuda-emu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

// trace appends "f32 NAME" or "f64 NAME" to the file GLOSS_CUDAEMU_TRACE names (read at each
// launch), once per kernel and file in this process: the tests' record of which kernels ran.
void trace(const CUfunc_st* f) {
	const char* path = getenv("GLOSS_CUDAEMU_TRACE");
	if (!path || !*path) return;
	static std::set<std::string> seen;
	const std::string line = std::string(f->mod->f64 ? "f64 " : "f32 ") + f->k->name;
	if (!seen.insert(std::string(path) + '\n' + line).second) return;
	if (FILE* o = fopen(path, "a")) {
		fprintf(o, "%s\n", line.c_str());
		fclose(o);
	}
}

// ctx returns the calling thread's current context, or the error of a call that needs one:
// with live, its sticky error too.
CUresult ctx(CUctx_st** c, bool live = true) {
	if (!initialized) return NOT_INITIALIZED;
	if (!current || current->refs == 0) return INVALID_CONTEXT;
	if (live && current->sticky) return current->sticky;
	*c = current;
	return SUCCESS;
}

bool stream_ok(CUctx_st* c, CUstream s) {
	const uintptr_t v = reinterpret_cast<uintptr_t>(s);
	return v == 0 || v == 1 || v == 2 || c->streams.count(s);  // NULL, CU_STREAM_LEGACY, _PER_THREAD
}

// span returns the host address of [p, p+n) if it lies within one live allocation.
char* span(CUctx_st* c, CUdeviceptr p, size_t n) {
	auto it = c->allocs.upper_bound((uintptr_t)p);
	if (it == c->allocs.begin()) return nullptr;
	--it;
	const uintptr_t a = it->first, e = a + it->second.size;
	if (p < a || p > e || n > e - p) return nullptr;
	return reinterpret_cast<char*>(p);
}

void destroy(CUctx_st* c) {
	for (auto& a : c->allocs) munmap(a.second.map, a.second.map_len);
	c->allocs.clear();
	c->used = 0;
	for (CUmod_st* m : c->mods) delete m;
	c->mods.clear();
	c->fns.clear();
	for (CUstream_st* s : c->streams) delete s;
	c->streams.clear();
	c->sticky = SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// Images: the fatbin container (magic 0xBA55ED50; entries of kind 1 PTX, 2 ELF, with the
// architecture at byte 28 and flag 0x2000 for compressed payloads) and ELF64 cubins.

uint16_t u16(const unsigned char* p) { return (uint16_t)(p[0] | p[1] << 8); }
uint32_t u32(const unsigned char* p) { return u16(p) | (uint32_t)u16(p + 2) << 16; }
uint64_t u64(const unsigned char* p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }

size_t elf_size(const unsigned char* p) {
	return (size_t)std::max(u64(p + 0x28) + (uint64_t)u16(p + 0x3a) * u16(p + 0x3c),
	                        u64(p + 0x20) + (uint64_t)u16(p + 0x36) * u16(p + 0x38));
}

// read_cubin lists the kernels of a cubin (.text.<name>), their static shared memory
// (.nv.shared.<name>, less sm_90's per-block reservation) and registers (EIATTR_REGCOUNT records
// of .nv.info: {fmt 4, attr 0x2f, size 8, symbol index, count}).
bool read_cubin(const unsigned char* p, size_t n, int arch, std::map<std::string, CubinFn>* out) {
	if (n < 64 || memcmp(p, "\x7f" "ELF", 4) != 0 || p[4] != 2) return false;
	const uint64_t shoff = u64(p + 0x28);
	const unsigned shent = u16(p + 0x3a), shnum = u16(p + 0x3c), shstr = u16(p + 0x3e);
	if (shent < 64 || shoff + (uint64_t)shent * shnum > n || shstr >= shnum) return false;
	auto sh = [&](unsigned i) { return p + shoff + (uint64_t)i * shent; };
	auto in = [&](uint64_t off, uint64_t len) { return off <= n && len <= n - off; };
	const unsigned char* strs = sh(shstr);
	if (!in(u64(strs + 24), u64(strs + 32))) return false;
	auto name = [&](const unsigned char* s) -> std::string {
		const uint64_t o = u64(strs + 24) + u32(s);
		return o < n ? std::string(reinterpret_cast<const char*>(p + o), strnlen(reinterpret_cast<const char*>(p + o), n - o)) : "";
	};
	const unsigned char* symtab = nullptr;
	for (unsigned i = 0; i < shnum; ++i)
		if (u32(sh(i) + 4) == 2 /* SHT_SYMTAB */) symtab = sh(i);
	for (unsigned i = 0; i < shnum; ++i) {
		const std::string s = name(sh(i));
		if (s.rfind(".text.", 0) == 0) (*out)[s.substr(6)];
	}
	for (unsigned i = 0; i < shnum; ++i) {
		const std::string s = name(sh(i));
		const uint64_t off = u64(sh(i) + 24), len = u64(sh(i) + 32);
		if (s.rfind(".nv.shared.", 0) == 0 && out->count(s.substr(11))) {
			const int r = arch >= 90 ? kReservedSmem : 0;
			(*out)[s.substr(11)].smem = (int)len > r ? (int)len - r : 0;
		}
		if (s != ".nv.info" || !symtab || !in(off, len)) continue;
		const unsigned char* symstr = sh(u32(symtab + 40));
		for (uint64_t q = off; q + 4 <= off + len;) {
			const unsigned fmt = p[q], attr = p[q + 1], sz = fmt == 4 ? u16(p + q + 2) : 0;
			if (fmt == 4 && attr == 0x2f && sz == 8 && q + 12 <= off + len) {
				const uint64_t sym = u64(symtab + 24) + (uint64_t)u32(p + q + 4) * 24, so = u64(symstr + 24) + u32(p + sym);
				if (in(sym, 24) && so < n) {
					const std::string fn(reinterpret_cast<const char*>(p + so), strnlen(reinterpret_cast<const char*>(p + so), n - so));
					if (out->count(fn)) (*out)[fn].regs = (int)u32(p + q + 8);
				}
			}
			q += 4 + sz;
		}
	}
	return true;
}

// has_word reports whether the image holds w as a whole identifier.
bool has_word(const unsigned char* p, size_t n, const char* w) {
	const size_t k = strlen(w);
	auto ident = [](unsigned char ch) { return ch == '_' || (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z'); };
	for (const unsigned char* q = p; (q = static_cast<const unsigned char*>(memmem(q, n - (q - p), w, k)));) {
		if ((q == p || !ident(q[-1])) && (q + k == p + n || !ident(q[k]))) return true;
		++q;
	}
	return false;
}

const gloss_emu::Kernel* host_kernel(bool f64, const char* name) {
	static std::unordered_map<std::string, const gloss_emu::Kernel*> maps[2];
	static bool built;
	if (!built) {
		built = true;
		for (int i = 0; i < 2; ++i) {
			const gloss_emu::KernelTable& t = i ? gloss_emu_kernels_f64 : gloss_emu_kernels_f32;
			for (size_t j = 0; j < t.count; ++j) maps[i][t.kernels[j].name] = &t.kernels[j];
		}
	}
	auto it = maps[f64].find(name);
	return it == maps[f64].end() ? nullptr : it->second;
}

}  // namespace

extern "C" {

CUresult cuGetErrorName(CUresult e, const char** s);
CUresult cuGetErrorString(CUresult e, const char** s);

CUresult cuInit(unsigned int flags) {
	std::lock_guard<std::mutex> g(mu);
	if (flags != 0) return INVALID_VALUE;
	initialized = true;
	return SUCCESS;
}

CUresult cuDriverGetVersion(int* v) {
	if (!v) return INVALID_VALUE;
	*v = 11080;
	return SUCCESS;
}

CUresult cuDeviceGetCount(int* n) {
	std::lock_guard<std::mutex> g(mu);
	if (!n) return INVALID_VALUE;
	if (!initialized) return NOT_INITIALIZED;
	*n = 1;
	return SUCCESS;
}

CUresult cuDeviceGet(CUdevice* d, int ordinal) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (!d) return INVALID_VALUE;
	if (ordinal != 0) return INVALID_DEVICE;
	*d = 0;
	return SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (dev != 0) return INVALID_DEVICE;
	if (!name || len <= 0) return INVALID_VALUE;
	snprintf(name, (size_t)len, "%s", kName);
	return SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (dev != 0) return INVALID_DEVICE;
	if (!bytes) return INVALID_VALUE;
	*bytes = total_mem();
	return SUCCESS;
}

CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice dev) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (dev != 0) return INVALID_DEVICE;
	if (!v || attr < 1 || attr > 124) return INVALID_VALUE;
	int r = 0;  // texture and surface limits, and what the emulator lacks (managed memory, ...)
	switch (attr) {
	case 1: case 2: case 3: r = 1024; break;             // threads per block, block x, y
	case 4: r = 64; break;                               // block z
	case 5: r = 2147483647; break;                       // grid x
	case 6: case 7: r = 65535; break;                    // grid y, z
	case 8: r = kSmemBlock; break;                       // shared memory per block
	case 9: r = 65536; break;                            // constant memory
	case 10: r = 32; break;                              // warp size
	case 11: r = 2147483647; break;                      // max pitch
	case 12: case 82: r = 65536; break;                  // registers per block, per multiprocessor
	case 13: r = 1980000; break;                         // clock rate (kHz)
	case 14: case 30: r = 512; break;                    // texture, surface alignment
	case 15: case 19: case 31: case 41: r = 1; break;    // overlap, map host memory, concurrent kernels, UVA
	case 16: r = sms(); break;                           // multiprocessors
	case 36: r = 2619000; break;                         // memory clock (kHz)
	case 37: r = 5120; break;                            // memory bus width (bits)
	case 38: r = 50331648; break;                        // L2 cache
	case 39: r = 2048; break;                            // threads per multiprocessor
	case 40: r = 1; break;                               // copy engines
	case 75: r = 9; break;                               // compute capability
	case 76: r = 0; break;
	case 78: case 79: case 80: case 90: r = 1; break;    // stream priorities, L1 caches, preemption
	case 81: r = kSmemSM; break;                         // shared memory per multiprocessor
	case 87: r = 2; break;                               // single to double performance ratio
	case 97: r = kOptin; break;                          // shared memory per block with opt-in
	case 106: r = 32; break;                             // blocks per multiprocessor
	case 111: r = kReservedSmem; break;                  // reserved shared memory per block
	}
	*v = r;
	return SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (dev != 0) return INVALID_DEVICE;
	if (!pctx) return INVALID_VALUE;
	++primary.refs;
	*pctx = &primary;
	return SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (dev != 0) return INVALID_DEVICE;
	if (primary.refs == 0) return INVALID_CONTEXT;
	if (--primary.refs == 0) destroy(&primary);  // the last release destroys the context
	return SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext c) {
	std::lock_guard<std::mutex> g(mu);
	if (!initialized) return NOT_INITIALIZED;
	if (c && (c != &primary || primary.refs == 0)) return INVALID_CONTEXT;
	current = c;
	return SUCCESS;
}

CUresult cuCtxSynchronize(void) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	return ctx(&c);
}

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total_bytes) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!free_bytes || !total_bytes) return INVALID_VALUE;
	*total_bytes = total_mem();
	*free_bytes = *total_bytes - c->used;
	return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!p || bytes == 0) return INVALID_VALUE;
	const size_t ps = page_size(), body = round_up(round_up(bytes, 256), ps);
	if (bytes > total_mem() - c->used || body + 2 * ps < body) return OUT_OF_MEMORY;
	void* m = mmap(nullptr, body + 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) return OUT_OF_MEMORY;
	char* map = static_cast<char*>(m);
	if (mprotect(map + ps, body, PROT_READ | PROT_WRITE) != 0) {
		munmap(map, body + 2 * ps);
		return OUT_OF_MEMORY;
	}
	// 256-byte aligned (as cuMemAlloc's), ending as close to the guard page as that allows.
	char* start = map + ps + body - round_up(bytes, 256);
	memset(start, 0xff, bytes);
	c->allocs[(uintptr_t)start] = Alloc{map, body + 2 * ps, bytes};
	c->used += bytes;
	*p = (CUdeviceptr)(uintptr_t)start;
	return SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c, false)) return r;
	auto it = c->allocs.find((uintptr_t)p);
	if (it == c->allocs.end()) return INVALID_VALUE;
	munmap(it->second.map, it->second.map_len);
	c->used -= it->second.size;
	c->allocs.erase(it);
	return SUCCESS;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!stream_ok(c, s)) return INVALID_HANDLE;
	if (n == 0) return SUCCESS;
	char* d = span(c, dst, n);
	if (!d || !src) return INVALID_VALUE;
	memmove(d, src, n);
	return SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!stream_ok(c, s)) return INVALID_HANDLE;
	if (n == 0) return SUCCESS;
	const char* q = span(c, src, n);
	if (!q || !dst) return INVALID_VALUE;
	memmove(dst, q, n);
	return SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!stream_ok(c, s)) return INVALID_HANDLE;
	if (n == 0) return SUCCESS;
	char* d = span(c, dst, n);
	const char* q = span(c, src, n);
	if (!d || !q) return INVALID_VALUE;
	memmove(d, q, n);
	return SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!stream_ok(c, s)) return INVALID_HANDLE;
	if (n == 0) return SUCCESS;
	char* d = span(c, dst, n);
	if (!d) return INVALID_VALUE;
	memset(d, v, n);
	return SUCCESS;
}

CUresult cuStreamCreate(CUstream* s, unsigned int flags) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!s || (flags & ~1u)) return INVALID_VALUE;  // CU_STREAM_DEFAULT, CU_STREAM_NON_BLOCKING
	*s = new CUstream_st{flags};
	c->streams.insert(*s);
	return SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c, false)) return r;
	if (!c->streams.erase(s)) return INVALID_HANDLE;
	delete s;
	return SUCCESS;
}

CUresult cuStreamSynchronize(CUstream s) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	return stream_ok(c, s) ? SUCCESS : INVALID_HANDLE;
}

CUresult cuModuleLoadData(CUmodule* mod, const void* image) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!mod || !image) return INVALID_VALUE;
	const unsigned char* p = static_cast<const unsigned char*>(image);
	auto m = std::make_unique<CUmod_st>();
	size_t n;
	bool runnable = true;  // the image has code for sm_90 (or is not a fatbin: nothing to check)
	// (The magic numbers are compared byte by byte: a short text image ends before them.)
	if (p[0] == 0x50 && p[1] == 0xed && p[2] == 0x55 && p[3] == 0xba) {  // fatbin: header size at 6, payload size at 8
		n = u16(p + 6) + (size_t)u64(p + 8);
		runnable = false;
		for (size_t off = u16(p + 6); off + 64 <= n;) {
			const unsigned char* e = p + off;
			const uint64_t ehs = u32(e + 4), size = u64(e + 8);
			const unsigned kind = u16(e), arch = u32(e + 28);
			const bool compressed = u64(e + 40) & 0x2000;
			if (ehs < 64 || off + ehs + size > n) return INVALID_IMAGE;
			if ((kind == 2 && arch == 90) || (kind == 1 && arch <= 90)) runnable = true;
			if (kind == 2 && arch == 90 && !compressed) m->cubin = read_cubin(e + ehs, size, arch, &m->in_image);
			off += ehs + size;
		}
	} else if (p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F') {
		n = elf_size(p);
		m->cubin = read_cubin(p, n, 90, &m->in_image);
	} else {
		n = strlen(reinterpret_cast<const char*>(p));
	}
	const bool f32 = has_word(p, n, "gloss_real_float"), f64 = has_word(p, n, "gloss_real_double");
	if (!runnable) {
		say("cuModuleLoadData: the fatbin has neither sm_90 code nor PTX the device could compile");
		return NO_BINARY_FOR_GPU;
	}
	if (f32 == f64) {
		say("cuModuleLoadData: the image (%zu bytes) holds %s of the marker kernels gloss_real_float and "
		    "gloss_real_double, so the emulator cannot tell which host-compiled kernels it stands for",
		    n, f32 ? "both" : "neither");
		return NO_BINARY_FOR_GPU;
	}
	m->f64 = f64;
	*mod = m.release();
	c->mods.insert(*mod);
	return SUCCESS;
}

CUresult cuModuleUnload(CUmodule m) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c, false)) return r;
	if (!c->mods.erase(m)) return INVALID_HANDLE;
	for (auto& f : m->fns) c->fns.erase(f.second.get());
	delete m;
	return SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* fn, CUmodule m, const char* name) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!c->mods.count(m)) return INVALID_HANDLE;
	if (!fn || !name) return INVALID_VALUE;
	auto it = m->fns.find(name);
	if (it == m->fns.end()) {
		auto img = m->in_image.find(name);
		if (m->cubin && img == m->in_image.end()) return NOT_FOUND;
		const gloss_emu::Kernel* k = host_kernel(m->f64, name);
		if (!k) {
			if (m->cubin) say("cuModuleGetFunction(%s): the image has it, the emulator's host build does not", name);
			return NOT_FOUND;
		}
		CubinFn info;
		if (img != m->in_image.end()) info = img->second;
		auto f = std::make_unique<CUfunc_st>(
		    CUfunc_st{m, k, info.smem, info.regs ? info.regs : 32, kSmemBlock - info.smem});
		c->fns.insert(f.get());
		it = m->fns.emplace(name, std::move(f)).first;
	}
	*fn = it->second.get();
	return SUCCESS;
}

CUresult cuFuncGetAttribute(int* v, int attr, CUfunction f) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c, false)) return r;
	if (!c->fns.count(f)) return INVALID_HANDLE;
	if (!v) return INVALID_VALUE;
	switch (attr) {
	case 0: *v = f->k->max_threads; break;  // MAX_THREADS_PER_BLOCK
	case 1: *v = f->smem; break;            // SHARED_SIZE_BYTES
	case 2: case 3: *v = 0; break;          // CONST_SIZE_BYTES, LOCAL_SIZE_BYTES
	case 4: *v = f->regs; break;            // NUM_REGS
	case 5: case 6: *v = 90; break;         // PTX_VERSION, BINARY_VERSION
	case 7: *v = 0; break;                  // CACHE_MODE_CA
	case 8: *v = f->max_dyn; break;         // MAX_DYNAMIC_SHARED_SIZE_BYTES
	case 9: *v = f->carveout; break;        // PREFERRED_SHARED_MEMORY_CARVEOUT
	case 10: case 11: case 12: case 13: case 14: case 15: *v = 0; break;  // clusters: none
	default: return INVALID_VALUE;
	}
	return SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction f, int attr, int value) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c, false)) return r;
	if (!c->fns.count(f)) return INVALID_HANDLE;
	switch (attr) {
	case 8:
		if (value < 0 || value > kOptin - f->smem) return INVALID_VALUE;
		f->max_dyn = value;
		return SUCCESS;
	case 9:
		if (value < -1 || value > 100) return INVALID_VALUE;
		f->carveout = value;
		return SUCCESS;
	}
	return INVALID_VALUE;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned smem, CUstream s, void** params, void** extra) {
	std::lock_guard<std::mutex> g(mu);
	CUctx_st* c;
	if (CUresult r = ctx(&c)) return r;
	if (!c->fns.count(f)) return INVALID_HANDLE;
	if (!stream_ok(c, s)) return INVALID_HANDLE;
	const char* name = f->k->name;
	if (extra) {
		say("cuLaunchKernel(%s): the extra argument (CU_LAUNCH_PARAM_*) is not emulated; pass kernelParams", name);
		return params ? INVALID_VALUE : NOT_SUPPORTED;
	}
	const unsigned long long threads = (unsigned long long)bx * by * bz;
	if (!gx || !gy || !gz || !bx || !by || !bz || bx > 1024 || by > 1024 || bz > 64 || threads > 1024 ||
	    gx > 2147483647u || gy > 65535 || gz > 65535) {
		say("cuLaunchKernel(%s): grid (%u, %u, %u) of blocks (%u, %u, %u) is outside the device's limits", name, gx,
		    gy, gz, bx, by, bz);
		return INVALID_VALUE;
	}
	if (threads > (unsigned long long)f->k->max_threads) {
		say("cuLaunchKernel(%s): %llu threads per block, over the kernel's __launch_bounds__ of %d", name, threads,
		    f->k->max_threads);
		return LAUNCH_OUT_OF_RESOURCES;
	}
	if ((long long)smem > f->max_dyn) {
		say("cuLaunchKernel(%s): %u bytes of dynamic shared memory, over the function's limit of %d "
		    "(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)",
		    name, smem, f->max_dyn);
		return INVALID_VALUE;
	}
	if (f->k->nparams > 0) {
		bool ok = params != nullptr;
		for (int i = 0; ok && i < f->k->nparams; ++i) ok = params[i] != nullptr;
		if (!ok) {
			say("cuLaunchKernel(%s): kernelParams must point to its %d arguments", name, f->k->nparams);
			return INVALID_VALUE;
		}
	}
	std::string msg;
	gloss_emu::LaunchStats st{};
	const gloss_emu::Fault fl = gloss_emu::launch(*f->k, dim3(gx, gy, gz), dim3(bx, by, bz), smem, kOptin, params, &msg, &st);
	CUresult r = SUCCESS;
	switch (fl) {
	case gloss_emu::FAULT_NONE: trace(f); return SUCCESS;
	case gloss_emu::FAULT_ADDRESS: r = ILLEGAL_ADDRESS; break;
	case gloss_emu::FAULT_MISALIGNED: r = MISALIGNED_ADDRESS; break;
	case gloss_emu::FAULT_UNDEFINED: r = LAUNCH_FAILED; break;
	case gloss_emu::FAULT_TRAP: r = LAUNCH_FAILED; break;
	case gloss_emu::FAULT_DEADLOCK: r = LAUNCH_TIMEOUT; break;
	case gloss_emu::FAULT_RESOURCES: r = LAUNCH_OUT_OF_RESOURCES; break;
	}
	const char* rn = "";
	cuGetErrorName(r, &rn);
	say("cuLaunchKernel(%s, grid %u, block %u, %u bytes of shared memory): %s: %s", name, gx * gy * gz,
	    (unsigned)threads, smem, rn, msg.c_str());
	if (fl != gloss_emu::FAULT_RESOURCES) c->sticky = r;  // a fault in a kernel spoils the context
	return r;
}

// ---------------------------------------------------------------------------------------------
// Error names and descriptions (those of cuda.h for the codes this driver returns, and a few
// more the binding may pass in).

struct ErrorText {
	CUresult code;
	const char *name, *text;
};
static const ErrorText kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {710, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static const ErrorText* error_text(CUresult e) {
	for (const ErrorText& t : kErrors)
		if (t.code == e) return &t;
	return nullptr;
}

CUresult cuGetErrorName(CUresult e, const char** s) {
	const ErrorText* t = error_text(e);
	if (!s) return INVALID_VALUE;
	*s = t ? t->name : nullptr;
	return t ? SUCCESS : INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult e, const char** s) {
	const ErrorText* t = error_text(e);
	if (!s) return INVALID_VALUE;
	*s = t ? t->text : nullptr;
	return t ? SUCCESS : INVALID_VALUE;
}

}  // extern "C"
