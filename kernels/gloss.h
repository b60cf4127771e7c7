// gloss.h: the conventions of gloss's one kernel source, and the helpers every family shares.
//
// Every formula of gloss's kernels is written once, in the files of this directory (one per
// loss family, with the stems of package cpuref and package loss), in the subset of C that
// OpenCL C 1.2 and CUDA C++ both compile: no templates, references or overloads. A thin
// dialect header per target comes first and gives the words this source is written in:
//
//   real, acc, i64     the element type, the accumulator type (double where the device has it)
//                      and the 64-bit index type
//   VR, VM, VW         a chunk of VW consecutive elements (OpenCL float8/double8; CUDA a
//                      16-byte float4/double2-like struct), its lane mask, and VW
//   VSEL(c, a, b)      lane-wise c ? a : b (a and b chunks or scalars)
//   FN, KERNEL, GP(T)  function and kernel qualifiers, a pointer to global memory
//   PRM                the type of a parameter slot (P[...]; indices from params.h): double
//                      on CUDA and wherever an OpenCL device has fp64, else float
//   ROW_FOR, row_ld... what a row loss uses to walk its row, reduce over it and write its
//                      gradient (the row primitives, see a dialect header)
//   FLAT_FOR, ...      the same for kernels over flat arrays (checks, denominators)
// and the drivers that turn the functions below into kernels: DEFINE_ELEM(stem) makes
// stem_fwd, stem_fwd_bwd and stem_hess from stem_elem; DEFINE_ROW(stem) makes stem_fwd and
// stem_fwd_bwd from stem_row; DEFINE_ROW_FWD and DEFINE_HIST make a metric's stem_fwd.
// What only one target can do (CUDA's warp shuffles; PoCL's contiguous chunks per
// work-item) lives in its dialect header, and so do InfoNCE's pair loops (info_nce.*).
//
// Rules every kernel follows:
//   - Per-element math in the element type, IEEE-accurate (no fast math); sums and a row's
//     scalars in acc, in a fixed order: the same inputs on the same device give the same bits.
//   - Parameters are read by name, P[HUBER_DELTA]; quantities a float32 kernel must not form
//     from rounded parameters (1 − ρ, α's sign, ...) come formed in float64 from the host.
//   - max and min follow Go (cpuref): a NaN operand gives NaN (VMAX, VMIN).
//   - GX may be X itself (the in-place gradient): a kernel reads every value of X it needs
//     before it, or another thread of its row, writes the gradient over it.
//   - Every kernel takes 64-bit scalars and pointers only, in one argument list per kind
//     (LOSS_ARGS below, the helpers' own), which device/plan builds for every target.

// ---- the argument list of every loss and metric kernel (device/plan's LossArgs) ----
// X Y Z: float inputs; LB: int32 labels; W: sample weights (one per row, or with wrow one
// per element of an elementwise call... see the drivers); CW: class weights or per-column
// weights; PS GX GY GZ H: outputs (s·L, gradients, Hessian diagonal), NULL when not wanted;
// part: the group partial sums (or a histogram kernel's copies); scale_ptr: where the Mean's
// gradient scale was computed on the device (else NULL and scale is it); n: items (elements
// or rows); c: columns; wrow: W has one weight per row of an elementwise call; ignore: the
// ignore index; aux: a metric's bins; geo, flags: the launch's layout (the dialect's own).
#define LOSS_ARGS                                                                                     \
	GP(const real) X, GP(const real) Y, GP(const real) Z, GP(const int) LB, GP(const real) W,         \
	    GP(const real) CW, GP(real) PS, GP(real) GX, GP(real) GY, GP(real) GZ, GP(real) H,             \
	    GP(acc) part, GP(const acc) scale_ptr, const ARG_REAL scale, const i64 n, const i64 c,         \
	    const i64 wrow, const i64 ignore, const i64 aux, const i64 geo, const i64 flags, PARAM_ARGS

// ---- chunk helpers (VR) ----

#define VMAX(a, b) VSEL((a) != (a) || (a) > (b), a, b) // Go's max: NaN wins
#define VMIN(a, b) VSEL((a) != (a) || (a) < (b), a, b)
#define VSGN(v) VSEL((v) > 0, 1, VSEL((v) < 0, -1, v)) // cpuref's sign: ±1, or ±0 and NaN themselves
#define VRELU(v) VSEL((v) < 0, 0, v)                    // Go's max(0, v): NaN stays

// sigmoids sets σ(x) and σ(−x) without overflow from one exponential u = e^{−|x|}
// (cpuref.sigmoid): σ(|x|) = 1/(1 + u), σ(−|x|) = u/(1 + u). NaN propagates.
FN void sigmoids(const VR x, VR *s_pos, VR *s_neg) {
	const VR u = exp(-fabs(x)), r = 1 / (1 + u), ur = u * r;
	*s_pos = VSEL(x < 0, ur, r);
	*s_neg = VSEL(x < 0, r, ur);
}

// logistic sets softplus(x), softplus(−x), σ(x) and σ(−x) from one exponential and one log1p
// (cpuref.logistic): softplus(±x) = max(±x, 0) + log1p(u) with the same u.
FN void logistic(const VR x, VR *sp_pos, VR *sp_neg, VR *s_pos, VR *s_neg) {
	const VR u = exp(-fabs(x)), t = log1p(u), r = 1 / (1 + u), ur = u * r;
	*s_pos = VSEL(x < 0, ur, r);
	*s_neg = VSEL(x < 0, r, ur);
	*sp_pos = VMAX(x, VZERO) + t;
	*sp_neg = VMAX(-x, VZERO) + t;
}

// ---- row helpers ----

// row_label_ok handles a row's label before a row loss reads it: a row whose label is the
// ignore index (when the loss honours one) gets L = d = 0 and a zero gradient; a label outside
// [0, hi) is counted in r->bad (package loss refuses such labels before any launch: the count
// makes a missed check an error, never an out-of-bounds read) and the row too gives 0. It
// returns whether the row goes on.
FN int row_label_ok(ROW *r, const i64 hi, const int honour_ignore, acc *L, acc *d) {
	const i64 y = r->label;
	if (honour_ignore && y == r->ignore) {
	} else if (y < 0 || y >= hi) {
		r->bad++;
	} else {
		return 1;
	}
	if (r->mode && r->gx)
		row_fill(r, r->gx, 0);
	*L = 0;
	*d = 0;
	return 0;
}
