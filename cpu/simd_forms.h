/*
 * cpu/simd_forms.h - the MMX, SSE, SSE2 and SSE3 instructions of the CPU
 * model (cpu/cpuid.h: a Pentium M with SSE3) that the emulator carries out
 * on the host CPU (cpu/em_simd.c, cpu/simd_stubs.S), one row per encoding
 * of the two-byte opcode map 0F xx (Intel SDM vol. 2D, appendix A.3,
 * Table A-3; every one of them is in that map).  Included by C and by the
 * assembler, so it holds only preprocessor macros.
 *
 * Contract: SIMD_FORMS(X) expands X(pfx, op, digit, imm, forms, flags)
 * once per encoding:
 *  - pfx: the mandatory prefix byte (0x66, 0xF3, 0xF2), or 0 for none;
 *  - op: the opcode byte after 0F;
 *  - digit: ModRM.reg for a group opcode (0F 71/72/73: the shift
 *    selects by it), or SF_R when ModRM.reg names a register operand;
 *  - imm: SF_NOIMM, SF_IMM8 (an imm8 operand: 256 host stubs), or
 *    SF_PRED (CMPPS/PD/SS/SD: the legacy-SSE encodings use only imm8
 *    bits 2:0 as the predicate, SDM vol. 2A CMPPS "imm8[2:0]": 8 stubs);
 *  - forms: SF_REG (ModRM.mod 3), SF_MEM (a memory operand), or both;
 *  - flags: SF_UNALIGNED for a 128-bit memory operand that need not be
 *    16-byte aligned (LDDQU); every other 128-bit legacy-SSE memory
 *    operand of these rows must be (SDM vol. 1, 11.4.1 and 12.x: #GP(0)).
 * Not rows, because the emulator has handlers of their own (cpu/em_sse.c,
 * cpu/insn_table.h): the moves MOVD MOVQ MOVSS MOVSD MOVAPS MOVUPS MOVAPD
 * MOVUPD MOVDQA MOVDQU, the non-temporal and masked stores, FXSAVE and
 * friends, the fences and prefetches; and EMMS (no operand: em_simd.c).
 * tests/unit/test_emulate_simd.c decodes every 0F xx encoding with each
 * prefix and checks that this list has exactly the model's SIMD ones.
 */
#ifndef CPU_SIMD_FORMS_H
#define CPU_SIMD_FORMS_H

#define SF_R        8           /* ModRM.reg is an operand, not an opcode digit */
#define SF_NOIMM    0
#define SF_IMM8     1
#define SF_PRED     2
#define SF_REG      1
#define SF_MEM      2
#define SF_BOTH     3
#define SF_UNALIGNED 1

/* The MMX form (no prefix: mm, mm/m64) and the SSE2 form (66: xmm,
 * xmm/m128) of an integer instruction. */
#define SF_INT(X, op) X(0, op, SF_R, SF_NOIMM, SF_BOTH, 0) X(0x66, op, SF_R, SF_NOIMM, SF_BOTH, 0)
/* Packed single (none) and packed double (66). */
#define SF_PSPD(X, op) SF_INT(X, op)
/* Packed single, packed double, scalar single (F3), scalar double (F2). */
#define SF_ALL4(X, op) SF_PSPD(X, op) \
    X(0xF3, op, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF2, op, SF_R, SF_NOIMM, SF_BOTH, 0)
/* A shift by an immediate count: group 0F 71/72/73, ModRM.mod 3 only. */
#define SF_SHIFT_IMM(X, op, d) \
    X(0, op, d, SF_IMM8, SF_REG, 0) X(0x66, op, d, SF_IMM8, SF_REG, 0)

#define SIMD_FORMS(X) \
    /* MOVLPS xmm, m64 / MOVHLPS xmm, xmm; MOVLPD xmm, m64; MOVSLDUP; MOVDDUP */ \
    X(0, 0x12, SF_R, SF_NOIMM, SF_BOTH, 0) X(0x66, 0x12, SF_R, SF_NOIMM, SF_MEM, 0) \
    X(0xF3, 0x12, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF2, 0x12, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* MOVLPS m64, xmm; MOVLPD m64, xmm */ \
    X(0, 0x13, SF_R, SF_NOIMM, SF_MEM, 0) X(0x66, 0x13, SF_R, SF_NOIMM, SF_MEM, 0) \
    /* UNPCKLPS/PD, UNPCKHPS/PD */ \
    SF_PSPD(X, 0x14) SF_PSPD(X, 0x15) \
    /* MOVHPS xmm, m64 / MOVLHPS xmm, xmm; MOVHPD xmm, m64; MOVSHDUP */ \
    X(0, 0x16, SF_R, SF_NOIMM, SF_BOTH, 0) X(0x66, 0x16, SF_R, SF_NOIMM, SF_MEM, 0) \
    X(0xF3, 0x16, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* MOVHPS m64, xmm; MOVHPD m64, xmm */ \
    X(0, 0x17, SF_R, SF_NOIMM, SF_MEM, 0) X(0x66, 0x17, SF_R, SF_NOIMM, SF_MEM, 0) \
    /* CVTPI2PS CVTPI2PD CVTSI2SS CVTSI2SD; CVTT(PS2PI PD2PI SS2SI SD2SI); \
     * CVT(PS2PI PD2PI SS2SI SD2SI) */ \
    SF_ALL4(X, 0x2A) SF_ALL4(X, 0x2C) SF_ALL4(X, 0x2D) \
    /* UCOMISS/SD, COMISS/SD */ \
    SF_PSPD(X, 0x2E) SF_PSPD(X, 0x2F) \
    /* MOVMSKPS/PD r32, xmm */ \
    X(0, 0x50, SF_R, SF_NOIMM, SF_REG, 0) X(0x66, 0x50, SF_R, SF_NOIMM, SF_REG, 0) \
    /* SQRT; RSQRTPS/SS; RCPPS/SS */ \
    SF_ALL4(X, 0x51) \
    X(0, 0x52, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF3, 0x52, SF_R, SF_NOIMM, SF_BOTH, 0) \
    X(0, 0x53, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF3, 0x53, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* ANDPS/PD ANDNPS/PD ORPS/PD XORPS/PD */ \
    SF_PSPD(X, 0x54) SF_PSPD(X, 0x55) SF_PSPD(X, 0x56) SF_PSPD(X, 0x57) \
    /* ADD MUL; CVTPS2PD CVTPD2PS CVTSS2SD CVTSD2SS */ \
    SF_ALL4(X, 0x58) SF_ALL4(X, 0x59) SF_ALL4(X, 0x5A) \
    /* CVTDQ2PS CVTPS2DQ CVTTPS2DQ */ \
    SF_PSPD(X, 0x5B) X(0xF3, 0x5B, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* SUB MIN DIV MAX */ \
    SF_ALL4(X, 0x5C) SF_ALL4(X, 0x5D) SF_ALL4(X, 0x5E) SF_ALL4(X, 0x5F) \
    /* PUNPCKLBW PUNPCKLWD PUNPCKLDQ PACKSSWB PCMPGTB PCMPGTW PCMPGTD \
     * PACKUSWB PUNPCKHBW PUNPCKHWD PUNPCKHDQ PACKSSDW */ \
    SF_INT(X, 0x60) SF_INT(X, 0x61) SF_INT(X, 0x62) SF_INT(X, 0x63) SF_INT(X, 0x64) \
    SF_INT(X, 0x65) SF_INT(X, 0x66) SF_INT(X, 0x67) SF_INT(X, 0x68) SF_INT(X, 0x69) \
    SF_INT(X, 0x6A) SF_INT(X, 0x6B) \
    /* PUNPCKLQDQ PUNPCKHQDQ */ \
    X(0x66, 0x6C, SF_R, SF_NOIMM, SF_BOTH, 0) X(0x66, 0x6D, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* PSHUFW PSHUFD PSHUFHW PSHUFLW */ \
    X(0, 0x70, SF_R, SF_IMM8, SF_BOTH, 0) X(0x66, 0x70, SF_R, SF_IMM8, SF_BOTH, 0) \
    X(0xF3, 0x70, SF_R, SF_IMM8, SF_BOTH, 0) X(0xF2, 0x70, SF_R, SF_IMM8, SF_BOTH, 0) \
    /* PSRLW PSRAW PSLLW, PSRLD PSRAD PSLLD, PSRLQ PSLLQ by imm8; PSRLDQ PSLLDQ */ \
    SF_SHIFT_IMM(X, 0x71, 2) SF_SHIFT_IMM(X, 0x71, 4) SF_SHIFT_IMM(X, 0x71, 6) \
    SF_SHIFT_IMM(X, 0x72, 2) SF_SHIFT_IMM(X, 0x72, 4) SF_SHIFT_IMM(X, 0x72, 6) \
    SF_SHIFT_IMM(X, 0x73, 2) SF_SHIFT_IMM(X, 0x73, 6) \
    X(0x66, 0x73, 3, SF_IMM8, SF_REG, 0) X(0x66, 0x73, 7, SF_IMM8, SF_REG, 0) \
    /* PCMPEQB PCMPEQW PCMPEQD */ \
    SF_INT(X, 0x74) SF_INT(X, 0x75) SF_INT(X, 0x76) \
    /* HADDPD HADDPS, HSUBPD HSUBPS */ \
    X(0x66, 0x7C, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF2, 0x7C, SF_R, SF_NOIMM, SF_BOTH, 0) \
    X(0x66, 0x7D, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF2, 0x7D, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* CMPPS CMPPD CMPSS CMPSD */ \
    X(0, 0xC2, SF_R, SF_PRED, SF_BOTH, 0) X(0x66, 0xC2, SF_R, SF_PRED, SF_BOTH, 0) \
    X(0xF3, 0xC2, SF_R, SF_PRED, SF_BOTH, 0) X(0xF2, 0xC2, SF_R, SF_PRED, SF_BOTH, 0) \
    /* PINSRW mm/xmm, r32/m16; PEXTRW r32, mm/xmm; SHUFPS SHUFPD */ \
    X(0, 0xC4, SF_R, SF_IMM8, SF_BOTH, 0) X(0x66, 0xC4, SF_R, SF_IMM8, SF_BOTH, 0) \
    X(0, 0xC5, SF_R, SF_IMM8, SF_REG, 0) X(0x66, 0xC5, SF_R, SF_IMM8, SF_REG, 0) \
    X(0, 0xC6, SF_R, SF_IMM8, SF_BOTH, 0) X(0x66, 0xC6, SF_R, SF_IMM8, SF_BOTH, 0) \
    /* ADDSUBPD ADDSUBPS */ \
    X(0x66, 0xD0, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF2, 0xD0, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* PSRLW PSRLD PSRLQ PADDQ PMULLW */ \
    SF_INT(X, 0xD1) SF_INT(X, 0xD2) SF_INT(X, 0xD3) SF_INT(X, 0xD4) SF_INT(X, 0xD5) \
    /* MOVQ2DQ xmm, mm; MOVDQ2Q mm, xmm */ \
    X(0xF3, 0xD6, SF_R, SF_NOIMM, SF_REG, 0) X(0xF2, 0xD6, SF_R, SF_NOIMM, SF_REG, 0) \
    /* PMOVMSKB r32, mm/xmm */ \
    X(0, 0xD7, SF_R, SF_NOIMM, SF_REG, 0) X(0x66, 0xD7, SF_R, SF_NOIMM, SF_REG, 0) \
    /* PSUBUSB PSUBUSW PMINUB PAND PADDUSB PADDUSW PMAXUB PANDN */ \
    SF_INT(X, 0xD8) SF_INT(X, 0xD9) SF_INT(X, 0xDA) SF_INT(X, 0xDB) SF_INT(X, 0xDC) \
    SF_INT(X, 0xDD) SF_INT(X, 0xDE) SF_INT(X, 0xDF) \
    /* PAVGB PSRAW PSRAD PAVGW PMULHUW PMULHW */ \
    SF_INT(X, 0xE0) SF_INT(X, 0xE1) SF_INT(X, 0xE2) SF_INT(X, 0xE3) SF_INT(X, 0xE4) \
    SF_INT(X, 0xE5) \
    /* CVTTPD2DQ CVTDQ2PD CVTPD2DQ */ \
    X(0x66, 0xE6, SF_R, SF_NOIMM, SF_BOTH, 0) X(0xF3, 0xE6, SF_R, SF_NOIMM, SF_BOTH, 0) \
    X(0xF2, 0xE6, SF_R, SF_NOIMM, SF_BOTH, 0) \
    /* PSUBSB PSUBSW PMINSW POR PADDSB PADDSW PMAXSW PXOR */ \
    SF_INT(X, 0xE8) SF_INT(X, 0xE9) SF_INT(X, 0xEA) SF_INT(X, 0xEB) SF_INT(X, 0xEC) \
    SF_INT(X, 0xED) SF_INT(X, 0xEE) SF_INT(X, 0xEF) \
    /* LDDQU xmm, m128 (explicitly unaligned) */ \
    X(0xF2, 0xF0, SF_R, SF_NOIMM, SF_MEM, SF_UNALIGNED) \
    /* PSLLW PSLLD PSLLQ PMULUDQ PMADDWD PSADBW */ \
    SF_INT(X, 0xF1) SF_INT(X, 0xF2) SF_INT(X, 0xF3) SF_INT(X, 0xF4) SF_INT(X, 0xF5) \
    SF_INT(X, 0xF6) \
    /* PSUBB PSUBW PSUBD PSUBQ PADDB PADDW PADDD */ \
    SF_INT(X, 0xF8) SF_INT(X, 0xF9) SF_INT(X, 0xFA) SF_INT(X, 0xFB) SF_INT(X, 0xFC) \
    SF_INT(X, 0xFD) SF_INT(X, 0xFE)

/*
 * The host side (cpu/simd_stubs.S).  Each row has a block of stubs for
 * its register form and one for its memory form, one stub per immediate
 * (1, 8 or 256 of them), SIMD_STUB_BYTES apart:
 *
 *     [pfx] 0F op ModRM [imm8] ret
 *
 * with the operands in fixed places: ModRM.reg names XMM0, MM0 or EAX
 * (or is the group digit), ModRM.rm names XMM1, MM1 or ECX, or [RDI] for
 * the memory form.  simd_host_run(stub, io) saves the monitor's x87/SSE
 * state in io->host, loads io->fx (FXRSTOR), EAX, ECX and the arithmetic
 * flags from io, points RDI at io->mem, calls the stub, and stores the
 * image (FXSAVE), EAX, ECX and RFLAGS back into io before it restores the
 * monitor's state.  The stubs run on the host exactly the encodings of the
 * rows, and only those.
 */
#define SIMD_STUB_BYTES 8
#define SIMD_IO_FX      0
#define SIMD_IO_HOST    512
#define SIMD_IO_MEM     1024
#define SIMD_IO_RAX     1040
#define SIMD_IO_RCX     1048
#define SIMD_IO_FLAGS   1056

#ifndef __ASSEMBLER__
#include <stdint.h>

struct simd_io {
    _Alignas(16) uint8_t fx[512];
    uint8_t host[512];
    uint8_t mem[16];
    uint64_t rax, rcx, flags;
};
_Static_assert(__builtin_offsetof(struct simd_io, host) == SIMD_IO_HOST, "simd_io");
_Static_assert(__builtin_offsetof(struct simd_io, mem) == SIMD_IO_MEM, "simd_io");
_Static_assert(__builtin_offsetof(struct simd_io, rax) == SIMD_IO_RAX, "simd_io");
_Static_assert(__builtin_offsetof(struct simd_io, rcx) == SIMD_IO_RCX, "simd_io");
_Static_assert(__builtin_offsetof(struct simd_io, flags) == SIMD_IO_FLAGS, "simd_io");

/* The stub blocks of row i (in SIMD_FORMS order): [i][0] the register
 * form, [i][1] the memory form; NULL where the row has no such form. */
extern const uint8_t *const simd_stubs[][2];
void simd_host_run(const uint8_t *stub, struct simd_io *io);
#endif

#endif
