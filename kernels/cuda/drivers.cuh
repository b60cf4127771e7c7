// drivers.cuh: the CUDA drivers that make the shared source's functions kernels (the
// dialect's words: dialect.cuh). gloss.cu includes it after gloss.h, whose argument list
// (LOSS_ARGS) its templates take.
#pragma once

// ---- the elementwise driver (mirrors cpuref's elementwise) ----
// One term per element i of N·C: PS[i] = s_i·L_i, GX/GY/GZ[i] = scale·s_i·∂L_i,
// H[i] = scale·s_i·∂²L_i/∂x_i², block partials Σ s_i·L_i and Σ s_i (and 0). s_i = W[i], or
// W[i/C] (wrow), or 1; cw = CW[i mod C] or 1. MODE 3 is the confusion metrics': partials
// Σ s·l, Σ s·gx, Σ s·gy, no outputs. Thread k of block b takes chunks b·GLOSS_BLOCK + k, then
// every gridDim.x·GLOSS_BLOCK; the next chunk's loads are issued before the current chunk is
// computed. Chunks are 16-byte loads when flags bit 0 says every pointer is aligned.

#define ELEM_FN(stem) \
	FN void stem##_elem(const PRM* P, const VR x, const VR y, const VR z, const VR cw, VR* l, VR* gx, VR* gy, VR* gz, VR* h, \
	                    const int mode)
typedef void (*ElemFn)(const PRM*, const VR, const VR, const VR, const VR, VR*, VR*, VR*, VR*, VR*, const int);

#define LOSS_NAMES \
	X, Y, Z, LB, W, CW, PS, GX, GY, GZ, H, part, scale_ptr, scale, n, c, wrow, ignore, aux, geo, flags, p0, p1, p2, p3, p4, p5, p6, p7

template <int MODE, int READS, int GRADS, ElemFn F>
FN void elem_body(LOSS_ARGS) {
	PARAMS;
	const real sc = MODE == 1 || MODE == 2 ? (real)loss_scale(scale, scale_ptr) : R(0);
	const bool vec = (flags & 1) != 0, use_cw = (READS & READ_CW) && CW, wrowm = W && wrow, need_rc = wrowm || use_cw;
	const double inv_c = 1.0 / (double)c;
	const i64 nch = (n + VW - 1) / VW, stride = (i64)gridDim.x * GLOSS_BLOCK;
	double a[3] = {0, 0, 0};
	VR x = VZERO, y = VZERO, z = VZERO, w = VC(1);
	i64 t = (i64)blockIdx.x * GLOSS_BLOCK + threadIdx.x;
	if (t < nch) {
		x = ld_chunk(X, t * VW, n, vec, 0);
		if (READS & READ_Y) y = ld_chunk(Y, t * VW, n, vec, 0);
		if (READS & READ_Z) z = ld_chunk(Z, t * VW, n, vec, 0);
		if (W && !wrow) w = ld_chunk(W, t * VW, n, vec, 0);
	}
	for (; t < nch; t += stride) {
		const i64 i0 = t * VW, tn = t + stride;
		VR xn = x, yn = y, zn = z, wn = w;
		if (tn < nch) {
			xn = ld_chunk(X, tn * VW, n, vec, 0);
			if (READS & READ_Y) yn = ld_chunk(Y, tn * VW, n, vec, 0);
			if (READS & READ_Z) zn = ld_chunk(Z, tn * VW, n, vec, 0);
			if (W && !wrow) wn = ld_chunk(W, tn * VW, n, vec, 0);
		}
		VR cwv = VC(1);
		if (need_rc) {  // the row and column of each lane, through a double reciprocal (exact for i < 2^50)
			i64 r = (i64)((double)i0 * inv_c), col = i0 - r * c;
			if (col < 0) --r, col += c;
			if (col >= c) ++r, col -= c;
			for (int k = 0; k < VW; ++k) {
				if (i0 + k < n) {
					if (wrowm) w.v[k] = W[r];
					if (use_cw) cwv.v[k] = CW[col];
				}
				if (++col == c) col = 0, ++r;
			}
		}
		VR L = VZERO, gx = VZERO, gy = VZERO, gz = VZERO, hh = VZERO;
		F(P, x, y, z, cwv, &L, &gx, &gy, &gz, &hh, MODE == 3 ? 0 : MODE);
		for (int k = 0; k < VW; ++k) {
			if (i0 + k >= n) continue;
			const real s = w.v[k], wl = s * L.v[k];
			a[0] += (double)wl;
			if (MODE == 3) {
				a[1] += (double)(s * gx.v[k]), a[2] += (double)(s * gy.v[k]);
				continue;
			}
			a[1] += (double)s;
			L.v[k] = wl;
			if (MODE > 0) {
				const real g = sc * s;
				gx.v[k] *= g, gy.v[k] *= g, gz.v[k] *= g, hh.v[k] *= g;
			}
		}
		if (MODE != 3) {
			if (PS) st_chunk(PS, L, i0, n, vec);
			if (MODE > 0 && GX) st_chunk(GX, gx, i0, n, vec);
			if (MODE > 0 && (GRADS & GRAD_Y) && GY) st_chunk(GY, gy, i0, n, vec);
			if (MODE > 0 && (GRADS & GRAD_Z) && GZ) st_chunk(GZ, gz, i0, n, vec);
			if (MODE == 2 && H) st_chunk(H, hh, i0, n, vec);
		}
		x = xn, y = yn, z = zn, w = wn;
	}
	group_partials(a, 3, part);
}

#define ELEM_KERNEL(name, stem, MODE, READS, GRADS)                                                   \
	KERNEL void __launch_bounds__(GLOSS_BLOCK, GLOSS_ELEM_MINB) name(LOSS_ARGS) {                   \
		elem_body<MODE, READS, GRADS, stem##_elem>(LOSS_NAMES);                                     \
	}
#define DEFINE_ELEM(stem)                                                   \
	ELEM_KERNEL(stem##_fwd, stem, 0, stem##_READS, stem##_GRADS)            \
	ELEM_KERNEL(stem##_fwd_bwd, stem, 1, stem##_READS, stem##_GRADS)        \
	ELEM_KERNEL(stem##_hess, stem, 2, stem##_READS, stem##_GRADS)
#define DEFINE_CONFUSION(name, fn) ELEM_KERNEL(name##_fwd, fn, 3, READ_Y, 0)

// row_setup is the part of a row's context that does not change from row to row.
FN void row_setup(ROW& r, real* stage, double* red, const Grp& g, const int nstage, LOSS_ARGS) {
	r.g = g, r.red = red, r.cw = CW, r.c = c, r.ignore = ignore, r.aux = aux, r.bad = 0, r.vec = (flags & 2) != 0;
	r.cpad = (c + VW - 1) / VW * VW;
	r.nstage = (flags & 1) ? nstage : 0;
	r.st = stage + (i64)g.gib * (nstage > 0 ? nstage : 1) * r.cpad;
	r.y = r.z = 0, r.gx = r.gy = r.gz = 0;
}
FN void row_at(ROW& r, const i64 row, const int mode, LOSS_ARGS) {
	const i64 off = row * c;
	r.x = X + off, r.y = Y ? Y + off : 0, r.z = Z ? Z + off : 0;
	if (mode) r.gx = GX ? GX + off : 0, r.gy = GY ? GY + off : 0, r.gz = GZ ? GZ + off : 0;
	r.label = LB ? (i64)LB[row] : 0;
	r.s = W ? (double)W[row] : 1.0;
}

// row_body is cpuref's rowwise driver: PS = s·L; partials Σ s·L, Σ s·d, bad labels.
template <RowFn F, int MODE, int NSTAGE>
FN void row_body(LOSS_ARGS) {
	DYN_SHARED(real, stage);
	PARAMS;
	const Grp g = make_grp(geo);
	const double sc = MODE ? loss_scale(scale, scale_ptr) : 0;
	ROW r;
	row_setup(r, stage, block_red(), g, NSTAGE, LOSS_NAMES);
	r.mode = MODE;
	double a[3] = {0, 0, 0};
	const i64 stride = (i64)gridDim.x * g.ngb;
	for (i64 row = (i64)blockIdx.x * g.ngb + g.gib; row < n; row += stride) {
		if (g.block) __syncthreads();  // the previous row's readers of staging and red are done
		row_at(r, row, MODE, LOSS_NAMES);
		r.gs = sc * r.s;
		acc L = 0, d = 0;
		F(&r, P, &L, &d);
		if (g.lane == 0) {
			const double wl = r.s * L;
			a[0] += wl, a[1] += r.s * d;
			if (PS) PS[row] = (real)wl;
		}
	}
	if (g.lane == 0) a[2] = r.bad;
	group_partials(a, 3, part);
}

#define ROW_KERNEL(name, stem, MODE)                                                   \
	KERNEL void __launch_bounds__(GLOSS_MAX_BLOCK) name(LOSS_ARGS) {                   \
		row_body<stem##_row, MODE, stem##_STAGE>(LOSS_NAMES);                          \
	}
#define DEFINE_ROW(stem) ROW_KERNEL(stem##_fwd, stem, 0) ROW_KERNEL(stem##_fwd_bwd, stem, 1)
#define DEFINE_ROW_FWD(stem) ROW_KERNEL(stem##_fwd, stem, 0)
#define DEFINE_ROW_SHORT(stem) DEFINE_ROW(stem)  // short rows are a sub-warp group's (OpenCL: short_rows.cl)

// DEFINE_HIST makes a histogram metric's stem_fwd: each row group is a worker, worker w =
// blockIdx.x·groups_per_block + group; it clears histogram w of part (3·aux + 1 slots,
// accumulator pairs), then its lane 0 adds the records of its rows into it in row order.
template <HistFn F>
FN void hist_body(LOSS_ARGS) {
	PARAMS;
	const Grp g = make_grp(geo);
	const i64 nslots = 3 * aux + 1, w = (i64)blockIdx.x * g.ngb + g.gib;
	double* h = part + 2 * nslots * w;
	for (i64 k = g.lane; k < 2 * nslots; k += g.size) h[k] = 0;
	grp_sync(g);
	ROW r;
	row_setup(r, nullptr, block_red(), g, 0, LOSS_NAMES);
	r.mode = 0;
	for (i64 row = w; row < n; row += (i64)gridDim.x * g.ngb) {
		if (g.block) __syncthreads();
		row_at(r, row, 0, LOSS_NAMES);
		i64 slot[3] = {-1, -1, -1};
		acc val[3] = {0, 0, 0};
		F(&r, P, slot, val);
		if (g.lane == 0)
			for (int k = 0; k < 3; ++k)
				if (slot[k] >= 0) h[2 * slot[k]] += val[k];
	}
}
#define DEFINE_HIST(stem) \
	KERNEL void __launch_bounds__(GLOSS_MAX_BLOCK) stem##_fwd(LOSS_ARGS) { hist_body<stem##_rec>(LOSS_NAMES); }
