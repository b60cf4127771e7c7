// engine.cpp: the CUDA execution-model emulator (see engine.h for the model).
//
// Each lane of a block is a fibre: a stack of its own, switched to and from by a few
// instructions that save the callee-saved registers (x86-64), or elsewhere by ucontext for the
// first entry and _setjmp/_longjmp afterwards. A fault leaves the lanes through a _longjmp to the
// launch, abandoning their stacks. The scheduler runs the ready lanes of the block from a queue;
// a lane runs until it waits at a construct or exits. A construct completes when its last
// participant arrives (or the last lane it waits for exits): the participants get their results
// and join the queue, in the order of GLOSS_CUDAEMU_SCHED (forward, the default: by thread index;
// reverse; shuffle[:seed], a new pseudo-random order each time). When the queue is empty and some
// lanes have not exited, the block is deadlocked (on hardware it would hang).
//
// Shared memory is one mapping per process: the block's static variables from its start (in
// declaration order, as lanes reach them), its dynamic shared memory ending at a guard page, so
// that reading past the launch's dynamic size faults. Both are filled with 0xff bytes (NaN,
// or −1) before every block: a lane that reads what no lane of its block has written sees that,
// not the previous block's data.
//
// Memory faults (guard pages of allocations, shared memory and stacks; unmapped addresses)
// arrive as SIGSEGV/SIGBUS; while a launch runs, a handler that chains to the previous one for
// faults outside the lanes turns them into FAULT_ADDRESS.
#include "engine.h"

#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace gloss_emu {

LaneHead* cur;
uint3 block_idx;
dim3 block_dim, grid_dim;
int warp_size = 32;

namespace {

constexpr size_t kStack = 64 << 10;  // stack of one lane (a guard page below it)
constexpr uint64_t kPoison = ~0ull;  // the undefined value: NaN as float or double, −1 as integer

enum State { READY, AT_BARRIER, AT_WARP, EXITED };

#if defined(__x86_64__) && defined(__linux__) && !defined(GLOSS_EMU_PORTABLE_SWITCH)
#define GLOSS_EMU_SWAP 1
// gloss_emu_swap(save, to) saves the callee-saved registers on the current stack, stores the
// stack pointer in *save and continues on the stack to, where an earlier call saved its own. (The
// MXCSR and x87 control words, callee-saved too, are the same for every lane: kernels never
// change them.)
extern "C" void gloss_emu_swap(void** save, void* to);
asm(R"(
	.text
	.p2align 4
	.hidden gloss_emu_swap
	.type gloss_emu_swap, @function
gloss_emu_swap:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size gloss_emu_swap, .-gloss_emu_swap
)");
#else
#define GLOSS_EMU_SWAP 0
#endif

struct Lane : LaneHead {
	int idx = 0;   // linear thread index in the block
	int lane = 0;  // index within its warp
	int warp = 0;
	State st = READY;
	int op = 0;  // the WarpOp or BarOp it waits at
	unsigned mask = 0;
	uint64_t val = 0;
	int arg = 0, width = 32;
	const char* file = nullptr;  // barrier call site
	int line = 0;
	uint64_t res = 0;  // the construct's result for this lane
};

struct Fibre {
	char* mem = nullptr;  // guard page, then the stack
	bool live = false;    // it holds a point to resume (else it starts afresh at fibre_main)
#if GLOSS_EMU_SWAP
	void* sp = nullptr;  // its saved stack pointer
#else
	jmp_buf jb;
	ucontext_t uc;
#endif
};

size_t page;
std::mutex mu;  // serialises launches

// The running launch.
const Kernel* kern;
const void* kargs;
std::vector<Lane> lanes;
std::vector<std::unique_ptr<Fibre>> fibres;  // fibres[i] runs lanes[i]
std::vector<uint32_t> waiting, gone;  // per warp: lanes at a warp intrinsic; exited or absent
int nlanes, nexit, nbar;
#if GLOSS_EMU_SWAP
void* sched_sp;               // the scheduler, while a lane runs
#else
jmp_buf sched;
#endif
jmp_buf escape;               // the launch, for faults
volatile bool in_lane;        // a lane is running (read by the signal handler)
pthread_t exec_thread;
Fault fkind;
std::string fmsg;
char sigmsg[256];

// Shared memory.
char* smem;          // mapping of smem_cap bytes, then a guard page
size_t smem_cap;
char* dyn_ptr;       // dynamic shared memory: dyn_size bytes ending 0..15 bytes before the guard
size_t dyn_size;
size_t static_used, static_limit;
std::vector<std::pair<const void*, size_t>> statics;  // declaration tag -> offset

// Schedule.
enum Order { FORWARD, REVERSE, SHUFFLE } order_mode;
uint64_t rng;
std::vector<int> ready;  // the queue of lanes to run, from ready[head]
size_t head;
std::vector<int> bar_idx;  // scratch: the lanes a barrier releases
std::string sched_error;

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

const char* op_name(int op) {
	static const char* const n[] = {"__syncwarp", "__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
	                                "__shfl_xor_sync", "__ballot_sync", "__any_sync", "__all_sync",
	                                "__match_any_sync", "__match_all_sync", "__reduce_add_sync",
	                                "__reduce_min_sync", "__reduce_min_sync", "__reduce_max_sync",
	                                "__reduce_max_sync", "__reduce_and_sync", "__reduce_or_sync",
	                                "__reduce_xor_sync"};
	return op >= 0 && op < (int)(sizeof n / sizeof n[0]) ? n[op] : "?";
}
const char* bar_name(int op) {
	static const char* const n[] = {"__syncthreads", "__syncthreads_count", "__syncthreads_and", "__syncthreads_or"};
	return n[op];
}
bool is_shfl(int op) { return op >= OP_SHFL_IDX && op <= OP_SHFL_XOR; }

void init_once() {
	static bool done;
	if (done) return;
	done = true;
	page = (size_t)sysconf(_SC_PAGESIZE);
	const char* s = getenv("GLOSS_CUDAEMU_SCHED");
	order_mode = FORWARD;
	rng = 0x9e3779b97f4a7c15ull;
	if (!s || !*s || !strcmp(s, "forward")) return;
	if (!strcmp(s, "reverse")) {
		order_mode = REVERSE;
	} else if (!strncmp(s, "shuffle", 7) && (s[7] == 0 || s[7] == ':')) {
		order_mode = SHUFFLE;
		if (s[7] == ':') rng ^= strtoull(s + 8, nullptr, 10) * 0xbf58476d1ce4e5b9ull;
	} else {
		sched_error = std::string("GLOSS_CUDAEMU_SCHED=") + s + ": want forward, reverse, shuffle or shuffle:SEED";
	}
}

// ---------------------------------------------------------------------------------------------
// Fibres.

void fibre_main();

// make_fibres makes sure there are n fibres (stacks are kept from launch to launch).
bool make_fibres(int n) {
	while ((int)fibres.size() < n) {
		auto f = std::make_unique<Fibre>();
		void* m = mmap(nullptr, kStack + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) != 0) return false;
		f->mem = static_cast<char*>(m);
		fibres.push_back(std::move(f));
	}
	return true;
}

// resume runs lane l until it waits or exits. (A fault does not come back here: it jumps to
// escape in launch.)
void resume(Lane* l) {
	Fibre* f = fibres[l->idx].get();
	cur = l;
	in_lane = true;
#if GLOSS_EMU_SWAP
	if (!f->live) {  // a frame from which gloss_emu_swap "returns" into fibre_main
		void** sp = reinterpret_cast<void**>(f->mem + page + kStack);
		*--sp = nullptr;                                    // fibre_main's return address (it never returns)
		*--sp = reinterpret_cast<void*>(&fibre_main);
		for (int i = 0; i < 6; ++i) *--sp = nullptr;        // rbp, rbx, r12-r15
		f->sp = sp;
		f->live = true;
	}
	gloss_emu_swap(&sched_sp, f->sp);
#else
	if (_setjmp(sched) == 0) {
		if (f->live) _longjmp(f->jb, 1);
		getcontext(&f->uc);
		f->uc.uc_stack.ss_sp = f->mem + page;
		f->uc.uc_stack.ss_size = kStack;
		f->uc.uc_link = nullptr;
		makecontext(&f->uc, fibre_main, 0);
		f->live = true;
		setcontext(&f->uc);
	}
#endif
	in_lane = false;
}

// yield returns from the running lane to the scheduler; it comes back when resumed.
void yield(Lane* l) {
	Fibre* f = fibres[l->idx].get();
#if GLOSS_EMU_SWAP
	gloss_emu_swap(&f->sp, sched_sp);
#else
	if (_setjmp(f->jb) == 0) _longjmp(sched, 1);
#endif
}

Lane* me(const char* what) {
	if (!in_lane || !cur) {
		fprintf(stderr, "cuda-emu: %s called outside a kernel\n", what);
		abort();
	}
	return static_cast<Lane*>(cur);
}

void lane_exit(Lane* l);

// fibre_main is where every fibre starts: it runs the kernel for the lane it is given, parks,
// and runs the next lane it is given.
void fibre_main() {
	for (;;) {
		Lane* l = static_cast<Lane*>(cur);
		kern->run(kargs);
		lane_exit(l);
		yield(l);
	}
}

std::string vformat(const char* fmt, va_list ap) {
	char b[1024];
	vsnprintf(b, sizeof b, fmt, ap);
	return b;
}

std::string where() {
	char b[160];
	snprintf(b, sizeof b, "kernel %s, block (%u, %u, %u)", kern ? kern->name : "?", block_idx.x, block_idx.y, block_idx.z);
	std::string s = b;
	if (in_lane && cur) {
		snprintf(b, sizeof b, ", thread (%u, %u, %u)", cur->tid.x, cur->tid.y, cur->tid.z);
		s += b;
	}
	return s;
}

// ---------------------------------------------------------------------------------------------
// Warp constructs.

// enqueue makes lanes idx[0..n) ready, in the schedule's order.
void enqueue(int* idx, int n) {
	if (order_mode == REVERSE) std::reverse(idx, idx + n);
	if (order_mode == SHUFFLE)
		for (int i = n - 1; i > 0; --i) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			std::swap(idx[i], idx[rng % (uint64_t)(i + 1)]);
		}
	for (int i = 0; i < n; ++i) {
		lanes[idx[i]].st = READY;
		ready.push_back(idx[i]);
	}
}

// shfl_src returns the lane a shuffle of lane j reads (PTX shfl.sync: segments of width lanes;
// a source outside the segment reads the lane's own value).
int shfl_src(int op, int j, int b, int width) {
	const int seg = (32 - width) & 31, segmask = seg;  // c[12:8]
	const int cval = op == OP_SHFL_UP ? 0 : 31;
	const int maxl = (j & segmask) | (cval & ~segmask), minl = j & segmask;
	b &= 31;
	int s = j;
	bool ok = false;
	switch (op) {
	case OP_SHFL_UP: s = j - b, ok = s >= maxl; break;
	case OP_SHFL_DOWN: s = j + b, ok = s <= maxl; break;
	case OP_SHFL_XOR: s = j ^ b, ok = s <= maxl; break;
	case OP_SHFL_IDX: s = minl | (b & ~segmask), ok = s <= maxl; break;
	}
	return ok ? s : j;
}

// complete_warp gives every participant (bits of part, lanes base..base+31) its result.
void complete_warp(int op, unsigned mask, int base, unsigned part) {
	uint32_t ballot = 0, sum = 0, all_and = ~0u, any_or = 0, all_xor = 0, umin = ~0u, umax = 0;
	int32_t imin = INT32_MAX, imax = INT32_MIN;
	bool same = true;
	const uint64_t v0 = part ? lanes[base + __builtin_ctz(part)].val : 0;
	for (int j = 0; j < 32; ++j) {
		if (!((part >> j) & 1)) continue;
		const uint64_t v = lanes[base + j].val;
		const uint32_t u = (uint32_t)v;
		ballot |= (uint32_t)(v != 0) << j;
		sum += u, all_and &= u, any_or |= u, all_xor ^= u;
		umin = u < umin ? u : umin, umax = u > umax ? u : umax;
		imin = (int32_t)u < imin ? (int32_t)u : imin, imax = (int32_t)u > imax ? (int32_t)u : imax;
		same = same && v == v0;
	}
	for (int j = 0; j < 32; ++j) {
		if (!((part >> j) & 1)) continue;
		Lane& l = lanes[base + j];
		uint64_t r = 0;
		switch (op) {
		case OP_SHFL_IDX:
		case OP_SHFL_UP:
		case OP_SHFL_DOWN:
		case OP_SHFL_XOR: {
			const int s = shfl_src(op, j, l.arg, l.width);
			r = ((part >> s) & 1) ? lanes[base + s].val : kPoison;
			break;
		}
		case OP_BALLOT: r = ballot; break;
		case OP_ANY: r = ballot != 0; break;
		case OP_ALL: r = ballot == part; break;
		case OP_MATCH_ANY:
			for (int k = 0; k < 32; ++k)
				if (((part >> k) & 1) && lanes[base + k].val == l.val) r |= 1ull << k;
			break;
		case OP_MATCH_ALL: r = same ? mask : 0; break;
		case OP_REDUCE_ADD: r = sum; break;
		case OP_REDUCE_AND: r = all_and; break;
		case OP_REDUCE_OR: r = any_or; break;
		case OP_REDUCE_XOR: r = all_xor; break;
		case OP_REDUCE_MIN_U: r = umin; break;
		case OP_REDUCE_MAX_U: r = umax; break;
		case OP_REDUCE_MIN_I: r = (uint32_t)imin; break;
		case OP_REDUCE_MAX_I: r = (uint32_t)imax; break;
		}
		l.res = r;
	}
	waiting[base / 32] &= ~part;
	int idx[32], n = 0;
	for (int j = 0; j < 32; ++j)
		if ((part >> j) & 1) idx[n++] = base + j;
	enqueue(idx, n);
}

// try_warp completes the construct lane l waits at if every lane of its mask that has not
// exited waits at the same intrinsic with the same mask (lanes beyond the block, in its last
// partial warp, count as exited). A lane of the mask may meanwhile be at another intrinsic with
// another mask (a sub-warp group still busy while the rest of the warp waits at a full-warp
// reduction, as on Volta and later); it joins when it gets there. Lanes that never match leave
// the block deadlocked, which is reported.
bool try_warp(const Lane* l) {
	if (((waiting[l->warp] | gone[l->warp]) & l->mask) != l->mask) return false;  // someone is still on the way
	const int base = l->warp * 32;
	unsigned part = 0;
	for (int j = 0; j < 32; ++j) {
		if (!((l->mask >> j) & 1) || base + j >= nlanes) continue;
		const Lane& o = lanes[base + j];
		if (o.st == EXITED) continue;
		if (o.st != AT_WARP || o.op != l->op || o.mask != l->mask) return false;
		part |= 1u << j;
	}
	complete_warp(l->op, l->mask, base, part);
	return true;
}

}  // namespace

void fault(Fault kind, const char* fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	const std::string m = vformat(fmt, ap);
	va_end(ap);
	if (!in_lane) {
		fprintf(stderr, "cuda-emu: fault outside a kernel: %s\n", m.c_str());
		abort();
	}
	fkind = kind;
	fmsg = where() + ": " + m;
	_longjmp(escape, 1);
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
	Lane* l = me(op_name(op));
	if (!((mask >> l->lane) & 1))
		fault(FAULT_UNDEFINED, "%s(mask 0x%08x): the mask omits the calling lane %d", op_name(op), mask, l->lane);
	if (is_shfl(op) && (width < 1 || width > 32 || (width & (width - 1))))
		fault(FAULT_UNDEFINED, "%s: width %d is not a power of two in [1, 32]", op_name(op), width);
	l->st = AT_WARP, l->op = op, l->mask = mask, l->val = value, l->arg = arg, l->width = width;
	l->file = nullptr, l->line = 0;
	waiting[l->warp] |= 1u << l->lane;
	try_warp(l);
	yield(l);
	return l->res;
}

namespace {

void complete_barrier() {
	const Lane* first = nullptr;
	int count = 0;
	for (int i = 0; i < nlanes; ++i) {
		const Lane& o = lanes[i];
		if (o.st != AT_BARRIER) continue;
		if (!first) {
			first = &o;
		} else if (o.op != first->op || o.line != first->line || strcmp(o.file, first->file) != 0) {
			fault(FAULT_UNDEFINED,
			      "thread %d is at %s (%s:%d) while thread %d is at %s (%s:%d): all threads of a block must reach "
			      "the same barrier",
			      o.idx, bar_name(o.op), o.file, o.line, first->idx, bar_name(first->op), first->file, first->line);
		}
		count += o.val != 0;
	}
	if (nexit > 0)
		fault(FAULT_UNDEFINED,
		      "%d of the block's %d threads exited while the others wait at %s (%s:%d): every thread of a block "
		      "must reach the barrier",
		      nexit, nlanes, bar_name(first->op), first->file, first->line);
	uint64_t r = 0;
	switch (first->op) {
	case BAR_COUNT: r = (uint64_t)count; break;
	case BAR_AND: r = count == nbar; break;
	case BAR_OR: r = count > 0; break;
	}
	std::vector<int>& idx = bar_idx;
	idx.clear();
	for (int i = 0; i < nlanes; ++i)
		if (lanes[i].st == AT_BARRIER) lanes[i].res = r, idx.push_back(i);
	enqueue(idx.data(), (int)idx.size());
	nbar = 0;
}

void lane_exit(Lane* l) {
	l->st = EXITED;
	++nexit;
	gone[l->warp] |= 1u << l->lane;
	const int base = l->warp * 32;
	for (int j = 0; j < 32 && base + j < nlanes; ++j) {
		const Lane& o = lanes[base + j];
		if (o.st == AT_WARP && ((o.mask >> l->lane) & 1)) try_warp(&o);
	}
	if (nbar > 0 && nbar + nexit == nlanes) complete_barrier();
}

}  // namespace

int barrier(BarOp op, int pred, const char* file, int line) {
	Lane* l = me(bar_name(op));
	l->st = AT_BARRIER, l->op = op, l->val = (uint64_t)pred, l->file = file, l->line = line;
	++nbar;
	if (nbar + nexit == nlanes) complete_barrier();
	yield(l);
	return (int)l->res;
}

void* shared_static(const void* tag, size_t size, size_t align) {
	me("__shared__");
	for (const auto& s : statics)
		if (s.first == tag) return smem + s.second;
	const size_t off = round_up(static_used, align < 16 ? 16 : align);
	if (off + size > static_limit)
		fault(FAULT_RESOURCES, "%zu bytes of static shared memory (and %zu dynamic) exceed the %zu bytes a block may use",
		      off + size, dyn_size, static_limit + dyn_size);
	memset(smem + static_used, 0xff, off + size - static_used);
	static_used = off + size;
	statics.emplace_back(tag, off);
	return smem + off;
}

void* dyn_smem() {
	me("extern __shared__");
	return dyn_ptr;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Memory faults.

struct sigaction old_segv, old_bus;

void on_fault(int sig, siginfo_t* si, void* uc) {
	if (in_lane && pthread_equal(pthread_self(), exec_thread)) {
		const char* a = static_cast<const char*>(si->si_addr);
		const Fibre* f = fibres[static_cast<Lane*>(cur)->idx].get();
		const char* what = "an address outside every allocation (or a misaligned access)";
		if (a >= f->mem && a < f->mem + page)
			what = "the lane's stack guard: stack overflow";
		else if (a >= smem + smem_cap && a < smem + smem_cap + page)
			what = "the end of the block's dynamic shared memory";
		snprintf(sigmsg, sizeof sigmsg, "%s at %p: %s", sig == SIGBUS ? "bus error" : "illegal address",
		         (const void*)a, what);
		fkind = FAULT_ADDRESS;
		fmsg = where() + ": " + sigmsg;
		_longjmp(escape, 1);
	}
	const struct sigaction* o = sig == SIGBUS ? &old_bus : &old_segv;
	if (o->sa_flags & SA_SIGINFO) {
		if (o->sa_sigaction) return o->sa_sigaction(sig, si, uc);
	} else if (o->sa_handler == SIG_IGN) {
		return;
	} else if (o->sa_handler != SIG_DFL) {
		return o->sa_handler(sig);
	}
	signal(sig, SIG_DFL);  // the access repeats and ends the process as it would have
}

struct Signals {
	stack_t old_stack{};
	bool own_stack = false;
	Signals() {
		stack_t cur_stack;
		sigaltstack(nullptr, &cur_stack);
		if (cur_stack.ss_flags & SS_DISABLE) {  // a handler for stack overflows needs a stack
			static thread_local std::unique_ptr<char[]> mem(new char[64 << 10]);
			stack_t s{};
			s.ss_sp = mem.get(), s.ss_size = 64 << 10;
			sigaltstack(&s, &old_stack);
			own_stack = true;
		}
		struct sigaction sa {};
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, &old_segv);
		sigaction(SIGBUS, &sa, &old_bus);
	}
	~Signals() {
		sigaction(SIGSEGV, &old_segv, nullptr);
		sigaction(SIGBUS, &old_bus, nullptr);
		if (own_stack) sigaltstack(&old_stack, nullptr);
	}
};

// ---------------------------------------------------------------------------------------------
// Blocks.

// deadlock describes what the live lanes wait at, in runs of consecutive threads.
void deadlock() {
	std::string d;
	int shown = 0;
	for (int i = 0; i < nlanes;) {
		const Lane& a = lanes[i];
		int j = i + 1;
		auto same = [&](const Lane& b) {
			return b.st == a.st && b.op == a.op && b.mask == a.mask && b.line == a.line;
		};
		while (j < nlanes && same(lanes[j])) ++j;
		if (a.st != EXITED && shown++ < 6) {
			char b[200];
			if (a.st == AT_BARRIER)
				snprintf(b, sizeof b, "; threads %d-%d wait at %s (%s:%d)", i, j - 1, bar_name(a.op), a.file, a.line);
			else
				snprintf(b, sizeof b, "; threads %d-%d wait at %s(mask 0x%08x)", i, j - 1, op_name(a.op), a.mask);
			d += b;
		}
		i = j;
	}
	fkind = FAULT_DEADLOCK;
	fmsg = where() + ": deadlock: no thread can continue (" + std::to_string(nexit) + " of " +
	       std::to_string(nlanes) + " exited)" + d +
	       " (the threads of a block must reach the same __syncthreads; the lanes named in a mask, the same "
	       "intrinsic with the same mask)";
}

bool run_block(uint3 b) {
	block_idx = b;
	if (static_used) memset(smem, 0xff, static_used);
	if (dyn_size) memset(dyn_ptr, 0xff, dyn_size);
	nexit = nbar = 0;
	const unsigned bx = block_dim.x, bxy = block_dim.x * block_dim.y;
	for (int i = 0; i < nlanes; ++i) {
		Lane& l = lanes[i];
		l.tid = uint3{i % bx, (i / bx) % block_dim.y, i / bxy};
		l.st = READY;
	}
	const int nw = (nlanes + 31) / 32;
	waiting.assign(nw, 0);
	gone.assign(nw, 0);
	if (nlanes % 32) gone[nw - 1] = ~0u << (nlanes % 32);  // the lanes a partial last warp lacks
	ready.clear();
	head = 0;
	std::vector<int>& all = bar_idx;
	all.resize(nlanes);
	for (int i = 0; i < nlanes; ++i) all[i] = i;
	enqueue(all.data(), nlanes);
	while (head < ready.size()) {
		resume(&lanes[ready[head++]]);
		if (head >= 4096 && 2 * head >= ready.size()) {  // drop what has run
			ready.erase(ready.begin(), ready.begin() + (long)head);
			head = 0;
		}
	}
	if (nexit == nlanes) return true;
	deadlock();
	return false;
}

// run_grid runs the blocks in order; it returns FAULT_DEADLOCK or FAULT_NONE (other faults
// jump to escape).
Fault run_grid() {
	for (unsigned z = 0; z < grid_dim.z; ++z)
		for (unsigned y = 0; y < grid_dim.y; ++y)
			for (unsigned x = 0; x < grid_dim.x; ++x)
				if (!run_block(uint3{x, y, z})) return fkind;
	return FAULT_NONE;
}

}  // namespace

Fault launch(const Kernel& k, dim3 grid, dim3 block, size_t dyn, size_t smem_limit, void* const* params,
             std::string* msg, LaunchStats* stats) {
	std::lock_guard<std::mutex> guard(mu);
	init_once();
	if (!sched_error.empty()) {
		*msg = sched_error;
		return FAULT_UNDEFINED;
	}
	nlanes = (int)(block.x * block.y * block.z);
	if (!make_fibres(nlanes)) {
		*msg = "cannot map the stacks of " + std::to_string(nlanes) + " threads";
		return FAULT_RESOURCES;
	}
	if ((int)lanes.size() < nlanes) lanes.resize(nlanes);
	for (int i = 0; i < nlanes; ++i) lanes[i].idx = i, lanes[i].lane = i & 31, lanes[i].warp = i >> 5;
	// Shared memory: remap when the limit grows.
	const size_t cap = round_up(smem_limit + 16, page);
	if (cap > smem_cap) {
		if (smem) munmap(smem, smem_cap + page);
		void* m = mmap(nullptr, cap + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			*msg = "cannot map shared memory";
			smem = nullptr, smem_cap = 0;
			return FAULT_RESOURCES;
		}
		smem = static_cast<char*>(m), smem_cap = cap;
		mprotect(smem + cap, page, PROT_NONE);
	}
	dyn_size = dyn;
	dyn_ptr = smem + smem_cap - round_up(dyn, 16);
	static_used = 0, static_limit = smem_limit - dyn;
	statics.clear();
	// The arguments, once for all lanes.
	const size_t al = k.args_align < 16 ? 16 : k.args_align;
	void* args = aligned_alloc(al, round_up(k.args_size ? k.args_size : 1, al));
	k.unpack(params, args);
	kern = &k, kargs = args;
	grid_dim = grid, block_dim = block;
	exec_thread = pthread_self();
	Fault f;
	{
		Signals sig;
		if (_setjmp(escape) == 0) {
			f = run_grid();
		} else {  // a fault in a lane (fault() or the signal handler)
			in_lane = false;
			f = fkind;
		}
	}
	if (f != FAULT_NONE) {
		*msg = fmsg;
		for (int i = 0; i < nlanes; ++i) fibres[i]->live = false;  // their stacks are abandoned
	}
	if (stats) stats->static_smem = static_used;
	free(args);
	kern = nullptr, kargs = nullptr, cur = nullptr;
	return f;
}

}  // namespace gloss_emu
