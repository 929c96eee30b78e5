//go:build !purego

#include "textflag.h"

// LOOKUP replaces each byte v of V by pearson[v], leaving the result in A
// (V is clobbered). The 256-byte table lives in Z16..Z19: VPERMI2B looks up
// the low 7 bits in a 128-byte half, and the top bit of v picks the half.
#define LOOKUP(V, A) \
	VMOVDQU64 V, A; \
	VPERMI2B  Z17, Z16, A; \
	VPMOVB2M  V, K1; \
	VPERMI2B  Z19, Z18, V; \
	VMOVDQU8  V, K1, A

// TRIPLET computes pearson[pearson[pearson[S^X]^WA]^WB] for the 64 positions
// and stores it at off(DI).
#define TRIPLET(S, WA, WB, off) \
	VPXORQ    S, Z0, Z5; \
	LOOKUP(Z5, Z6); \
	VPXORQ    WA, Z6, Z6; \
	LOOKUP(Z6, Z7); \
	VPXORQ    WB, Z7, Z7; \
	LOOKUP(Z7, Z8); \
	VMOVDQU64 Z8, off(DI)

// func blockVBMI(out *[448]byte, src *byte, salts *[448]byte)
//
// For the 64 bytes at src (with the 4 bytes before src as the window of the
// first), out[0:64] gets pearson[pearson[1^x]^w1], the checksum step before
// it meets the running checksum, and out[64k:64k+64] for k = 1..6 the bucket
// of triplet k, in the order of the scalar update.
TEXT ·blockVBMI(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ src+8(FP), SI
	VMOVDQU64 ·pearson+0(SB), Z16
	VMOVDQU64 ·pearson+64(SB), Z17
	VMOVDQU64 ·pearson+128(SB), Z18
	VMOVDQU64 ·pearson+192(SB), Z19
	VMOVDQU64 0(SI), Z0
	VMOVDQU64 -1(SI), Z1
	VMOVDQU64 -2(SI), Z2
	VMOVDQU64 -3(SI), Z3
	VMOVDQU64 -4(SI), Z4
	MOVQ salts+16(FP), AX

	// checksum step: pearson[pearson[1^x]^w1]
	VPXORQ    0(AX), Z0, Z5
	LOOKUP(Z5, Z6)
	VPXORQ    Z1, Z6, Z6
	LOOKUP(Z6, Z7)
	VMOVDQU64 Z7, 0(DI)

	TRIPLET(64(AX), Z1, Z2, 64)
	TRIPLET(128(AX), Z1, Z3, 128)
	TRIPLET(192(AX), Z2, Z3, 192)
	TRIPLET(256(AX), Z2, Z4, 256)
	TRIPLET(320(AX), Z1, Z4, 320)
	TRIPLET(384(AX), Z3, Z4, 384)
	VZEROUPPER
	RET
