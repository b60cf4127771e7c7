//go:build amd64 && !purego

#include "textflag.h"

// The row kernels' SIMD primitives that are not generated (the others are in zkernels_amd64.s,
// from internal/vmath/asm); kern.go documents each and holds the portable Go that computes
// the same bits. Every loop count is a multiple of the vector step.

// func argmaxRowsAVX512(x *float32, n, c int, idx *int32)
// For each of n contiguous rows of c ≤ 16 floats: idx[r] = the first index of the row's largest
// value, or of its first NaN. Masked loads never touch memory beyond the rows.
TEXT ·argmaxRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), DX
	MOVQ c+16(FP), CX
	MOVQ idx+24(FP), DI
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	SHLQ $2, CX
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z7
	TESTQ DX, DX
	JZ argmax_512_done
argmax_512_loop:
	VMOVAPS Z7, Z0
	VMOVUPS (SI), K1, Z0
	VCMPPS $3, Z0, Z0, K2
	KORTESTW K2, K2
	JNZ argmax_512_nan
	VSHUFF32X4 $0x4e, Z0, Z0, Z1
	VMAXPS Z1, Z0, Z1
	VSHUFF32X4 $0xb1, Z1, Z1, Z2
	VMAXPS Z2, Z1, Z2
	VPERMILPS $0x4e, Z2, Z3
	VMAXPS Z3, Z2, Z3
	VPERMILPS $0xb1, Z3, Z4
	VMAXPS Z4, Z3, Z4
	VCMPPS $0, Z4, Z0, K1, K3
	KMOVW K3, AX
	BSFL AX, AX
	MOVL AX, (DI)
argmax_512_next:
	ADDQ CX, SI
	ADDQ $4, DI
	DECQ DX
	JNZ argmax_512_loop
argmax_512_done:
	VZEROUPPER
	RET
argmax_512_nan:
	KMOVW K2, AX
	BSFL AX, AX
	MOVL AX, (DI)
	JMP argmax_512_next

// func argmaxRowsAVX2(x *float32, n, c int, idx *int32)
TEXT ·argmaxRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), DX
	MOVQ c+16(FP), CX
	MOVQ idx+24(FP), DI
	// lane masks: lane l of the row is valid when l < c
	MOVL CX, X8
	VPBROADCASTD X8, Y8
	MOVQ $0x0000000100000000, AX
	MOVQ AX, X9
	MOVQ $0x0000000300000002, AX
	PINSRQ $1, AX, X9
	MOVQ $0x0000000500000004, AX
	MOVQ AX, X10
	MOVQ $0x0000000700000006, AX
	PINSRQ $1, AX, X10
	VINSERTI128 $1, X10, Y9, Y9
	VPCMPGTD Y9, Y8, Y10
	MOVL $8, AX
	MOVL AX, X11
	VPBROADCASTD X11, Y11
	VPADDD Y11, Y9, Y11
	VPCMPGTD Y11, Y8, Y11
	MOVL $0xff800000, AX
	MOVL AX, X7
	VBROADCASTSS X7, Y7
	SHLQ $2, CX
	TESTQ DX, DX
	JZ argmax_avx2_done
argmax_avx2_loop:
	VMASKMOVPS (SI), Y10, Y0
	VMASKMOVPS 32(SI), Y11, Y1
	VBLENDVPS Y10, Y0, Y7, Y0
	VBLENDVPS Y11, Y1, Y7, Y1
	VCMPPS $3, Y0, Y0, Y2
	VCMPPS $3, Y1, Y1, Y3
	VMOVMSKPS Y2, AX
	VMOVMSKPS Y3, BX
	SHLL $8, BX
	ORL BX, AX
	JNZ argmax_avx2_found
	VMAXPS Y1, Y0, Y2
	VPERM2F128 $1, Y2, Y2, Y3
	VMAXPS Y3, Y2, Y3
	VPERMILPS $0x4e, Y3, Y4
	VMAXPS Y4, Y3, Y4
	VPERMILPS $0xb1, Y4, Y5
	VMAXPS Y5, Y4, Y5
	VCMPPS $0, Y5, Y0, Y2
	VCMPPS $0, Y5, Y1, Y3
	VANDPS Y10, Y2, Y2
	VANDPS Y11, Y3, Y3
	VMOVMSKPS Y2, AX
	VMOVMSKPS Y3, BX
	SHLL $8, BX
	ORL BX, AX
argmax_avx2_found:
	BSFL AX, AX
	MOVL AX, (DI)
	ADDQ CX, SI
	ADDQ $4, DI
	DECQ DX
	JNZ argmax_avx2_loop
argmax_avx2_done:
	VZEROUPPER
	RET

