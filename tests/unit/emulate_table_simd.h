/*
 * tests/unit/emulate_table_simd.h - the MMX/SSE/SSE2/SSE3 forms and cases
 * of test_emulate_table.c (included by emulate_table_rows.h): arithmetic,
 * logic, shuffle, compare, convert, pack/unpack and shift forms, each with
 * a register and a memory source where it has both; XMM0/XMM1, MM0/MM1,
 * ECX, EFLAGS and MXCSR are compared with the host's.  Cases cover
 * aligned and misaligned (#GP(0)) operands, masked floating-point
 * exceptions, and unmasked ones (#XM with the destination unchanged).
 */

/* Floating-point values as bit patterns. */
#define F1     0x3F800000u              /* 1.0f */
#define FPI    0x40490FDBu
#define FMIN   0x00800000u              /* 2^-126, the smallest normal */
#define FHALF  0x3F000000u
#define FBIG   0x7F000000u              /* 2^127 */
#define FTHIRD 0x3EAAAAABu
#define FSNAN  0x7F800001u
#define FDEN   0x00000001u              /* the smallest denormal */
#define FINF   0x7F800000u

static const uint32_t xmm_fp[8] = { F1, 0x80000000u, FINF, 0x7FC00000u,
                                    FPI, FDEN, 0xC0000000u, FBIG };
static const uint32_t xmm_tiny[8] = { FMIN, FMIN, FMIN, FMIN, F1, FMIN, 0x40400000u, FHALF };
static const uint32_t xmm_snan[8] = { FSNAN, F1, FDEN, F1, F1, FSNAN, F1, FDEN };
static const uint32_t xmm_big[8] = { FBIG, FBIG, FBIG, FBIG, FBIG, F1, FPI, FBIG };
static const uint32_t xmm_int[8] = { 0x00000005u, 0x7FFFFFFFu, 0x80000000u, 0xFFFF0001u,
                                     0x00000003u, 0x00000000u, 0x12345678u, 0x00000011u };

#define SIMD_REGS [R_EAX] = 0x12345678, [R_EDX] = 0xFFFFFFFF, [R_EBP] = 0x800, [R_ESI] = 0x700, \
                  [R_EDI] = 0x900
static const struct kase simd_cases[] = {
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 0x76543210 }, F1, FPI, 0, 0, NULL },
    /* misaligned: #GP(0) for the 128-bit operands but LDDQU's */
    { { SIMD_REGS, [R_EBX] = 0x804, [R_ECX] = 0x89ABCDEF }, 0xF0E0D0C0, 0xB0A09080, FL_ARITH, 0,
      NULL },
    /* infinities, NaN, zero divisors, denormals: masked flags */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 0xFFFFFFFF }, 0, 0x80000000u, 0, 0, xmm_fp },
    /* zero-divide unmasked */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 7 }, 0, 0x80000000u, FL_CF, 0x1D80, xmm_fp },
    /* invalid and denormal unmasked, signalling NaNs */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 1 }, FDEN, FSNAN, 0, 0x1E00, xmm_snan },
    /* underflow unmasked: 2^-126 * 0.5 is tiny and exact */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 2 }, FHALF, FHALF, 0, 0x1780, xmm_tiny },
    /* overflow unmasked */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 3 }, 0x41200000u, FBIG, 0, 0x1B80, xmm_big },
    /* precision unmasked: 1/3 */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 3 }, FTHIRD, 0x40400000u, 0, 0x0F80, xmm_tiny },
    /* round toward zero, flush to zero, denormals are zero */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 0x80000000 }, FDEN, FMIN, 0, 0xFFC0, xmm_tiny },
    /* integer lanes; shift counts 5 and 17 from memory */
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 0xFFFF8000 }, 5, 0, FL_ZF, 0, xmm_int },
    { { SIMD_REGS, [R_EBX] = 0x800, [R_ECX] = 0x00017FFF }, 17, 0, 0, 0, xmm_int },
};

/* Register form: ModRM.reg 0 (XMM0, MM0), ModRM.rm 1 (XMM1, MM1). */
#define RR 0xC1
#define SIMD_PS(name, op) FORM(name "ps xmm0,[ebx]", 0x0F, op, M(0)), FORM(name "ps xmm0,xmm1", 0x0F, op, RR)
#define SIMD_PD(name, op) \
    FORM(name "pd xmm0,[ebx]", 0x66, 0x0F, op, M(0)), FORM(name "pd xmm0,xmm1", 0x66, 0x0F, op, RR)
#define SIMD_SS(name, op) \
    FORM(name "ss xmm0,[ebx]", 0xF3, 0x0F, op, M(0)), FORM(name "ss xmm0,xmm1", 0xF3, 0x0F, op, RR)
#define SIMD_SD(name, op) \
    FORM(name "sd xmm0,[ebx]", 0xF2, 0x0F, op, M(0)), FORM(name "sd xmm0,xmm1", 0xF2, 0x0F, op, RR)
#define SIMD_FP4(name, op) SIMD_PS(name, op), SIMD_PD(name, op), SIMD_SS(name, op), SIMD_SD(name, op)
/* An integer instruction: MMX and SSE2 forms. */
#define SIMD_INT(name, op) \
    FORM(name " mm0,[ebx]", 0x0F, op, M(0)), FORM(name " mm0,mm1", 0x0F, op, RR), \
    FORM(name " xmm0,[ebx]", 0x66, 0x0F, op, M(0)), FORM(name " xmm0,xmm1", 0x66, 0x0F, op, RR)
#define SIMD_CMP(p) \
    FORM("cmp" #p " xmm0,[ebx],0", PFX_##p 0x0F, 0xC2, M(0), 0), \
    FORM("cmp" #p " xmm0,xmm1,1", PFX_##p 0x0F, 0xC2, RR, 1), \
    FORM("cmp" #p " xmm0,[ebx],2", PFX_##p 0x0F, 0xC2, M(0), 2), \
    FORM("cmp" #p " xmm0,xmm1,3", PFX_##p 0x0F, 0xC2, RR, 3), \
    FORM("cmp" #p " xmm0,xmm1,4", PFX_##p 0x0F, 0xC2, RR, 4), \
    FORM("cmp" #p " xmm0,[ebx],5", PFX_##p 0x0F, 0xC2, M(0), 5), \
    FORM("cmp" #p " xmm0,xmm1,6", PFX_##p 0x0F, 0xC2, RR, 6), \
    FORM("cmp" #p " xmm0,xmm1,7", PFX_##p 0x0F, 0xC2, RR, 7), \
    FORM("cmp" #p " xmm0,xmm1,0x0D", PFX_##p 0x0F, 0xC2, RR, 0x0D)
#define PFX_ps
#define PFX_pd 0x66,
#define PFX_ss 0xF3,
#define PFX_sd 0xF2,

static const struct form simd_fp_forms[] = {
    SIMD_FP4("add", 0x58), SIMD_FP4("mul", 0x59), SIMD_FP4("sub", 0x5C), SIMD_FP4("min", 0x5D),
    SIMD_FP4("div", 0x5E), SIMD_FP4("max", 0x5F), SIMD_FP4("sqrt", 0x51),
    SIMD_PS("rsqrt", 0x52), SIMD_SS("rsqrt", 0x52), SIMD_PS("rcp", 0x53), SIMD_SS("rcp", 0x53),
    SIMD_PS("and", 0x54), SIMD_PD("and", 0x54), SIMD_PS("andn", 0x55), SIMD_PD("andn", 0x55),
    SIMD_PS("or", 0x56), SIMD_PD("or", 0x56), SIMD_PS("xor", 0x57), SIMD_PD("xor", 0x57),
    SIMD_PS("unpckl", 0x14), SIMD_PD("unpckl", 0x14), SIMD_PS("unpckh", 0x15), SIMD_PD("unpckh", 0x15),
    SIMD_CMP(ps), SIMD_CMP(pd), SIMD_CMP(ss), SIMD_CMP(sd),
    FORM("ucomiss xmm0,[ebx]", 0x0F, 0x2E, M(0)), FORM("ucomiss xmm0,xmm1", 0x0F, 0x2E, RR),
    FORM("comiss xmm0,[ebx]", 0x0F, 0x2F, M(0)), FORM("comiss xmm1,xmm0", 0x0F, 0x2F, 0xC8),
    FORM("ucomisd xmm0,[ebx]", 0x66, 0x0F, 0x2E, M(0)), FORM("comisd xmm0,xmm1", 0x66, 0x0F, 0x2F, RR),
    FORM("shufps xmm0,xmm1,0x4e", 0x0F, 0xC6, RR, 0x4E), FORM("shufps xmm0,[ebx],0x1b", 0x0F, 0xC6, M(0), 0x1B),
    FORM("shufpd xmm0,[ebx],1", 0x66, 0x0F, 0xC6, M(0), 1), FORM("shufpd xmm0,xmm1,2", 0x66, 0x0F, 0xC6, RR, 2),
    FORM("movmskps ecx,xmm1", 0x0F, 0x50, 0xC9), FORM("movmskpd ecx,xmm0", 0x66, 0x0F, 0x50, 0xC8),
    /* SSE3 */
    FORM("addsubps xmm0,[ebx]", 0xF2, 0x0F, 0xD0, M(0)), FORM("addsubpd xmm0,xmm1", 0x66, 0x0F, 0xD0, RR),
    FORM("haddps xmm0,xmm1", 0xF2, 0x0F, 0x7C, RR), FORM("haddpd xmm0,[ebx]", 0x66, 0x0F, 0x7C, M(0)),
    FORM("hsubps xmm0,[ebx]", 0xF2, 0x0F, 0x7D, M(0)), FORM("hsubpd xmm0,xmm1", 0x66, 0x0F, 0x7D, RR),
    FORM("movshdup xmm0,[ebx]", 0xF3, 0x0F, 0x16, M(0)), FORM("movsldup xmm0,xmm1", 0xF3, 0x0F, 0x12, RR),
    FORM("movddup xmm0,[ebx]", 0xF2, 0x0F, 0x12, M(0)), FORM("movddup xmm0,xmm1", 0xF2, 0x0F, 0x12, RR),
    FORM("lddqu xmm0,[ebx]", 0xF2, 0x0F, 0xF0, M(0)),
};

static const struct form simd_cvt_forms[] = {
    FORM("cvtpi2ps xmm0,mm1", 0x0F, 0x2A, RR), FORM("cvtpi2ps xmm0,[ebx]", 0x0F, 0x2A, M(0)),
    FORM("cvtpi2pd xmm0,mm1", 0x66, 0x0F, 0x2A, RR), FORM("cvtpi2pd xmm0,[ebx]", 0x66, 0x0F, 0x2A, M(0)),
    FORM("cvtsi2ss xmm0,ecx", 0xF3, 0x0F, 0x2A, RR), FORM("cvtsi2ss xmm0,[ebx]", 0xF3, 0x0F, 0x2A, M(0)),
    FORM("cvtsi2sd xmm1,edx", 0xF2, 0x0F, 0x2A, 0xCA), FORM("cvtsi2sd xmm0,[ebx]", 0xF2, 0x0F, 0x2A, M(0)),
    FORM("cvttps2pi mm0,xmm1", 0x0F, 0x2C, RR), FORM("cvttps2pi mm0,[ebx]", 0x0F, 0x2C, M(0)),
    FORM("cvttpd2pi mm0,[ebx]", 0x66, 0x0F, 0x2C, M(0)), FORM("cvtpd2pi mm1,xmm0", 0x66, 0x0F, 0x2D, 0xC8),
    FORM("cvtps2pi mm0,xmm0", 0x0F, 0x2D, 0xC0),
    FORM("cvttss2si ecx,xmm0", 0xF3, 0x0F, 0x2C, 0xC8), FORM("cvttss2si ecx,[ebx]", 0xF3, 0x0F, 0x2C, M(1)),
    FORM("cvtss2si eax,xmm1", 0xF3, 0x0F, 0x2D, 0xC1), FORM("cvtsd2si ecx,[ebx]", 0xF2, 0x0F, 0x2D, M(1)),
    FORM("cvttsd2si edx,xmm1", 0xF2, 0x0F, 0x2C, 0xD1),
    SIMD_FP4("cvt.5a", 0x5A),
    FORM("cvtdq2ps xmm0,[ebx]", 0x0F, 0x5B, M(0)), FORM("cvtps2dq xmm0,xmm1", 0x66, 0x0F, 0x5B, RR),
    FORM("cvttps2dq xmm0,[ebx]", 0xF3, 0x0F, 0x5B, M(0)),
    FORM("cvttpd2dq xmm0,xmm1", 0x66, 0x0F, 0xE6, RR), FORM("cvtdq2pd xmm0,[ebx]", 0xF3, 0x0F, 0xE6, M(0)),
    FORM("cvtpd2dq xmm0,[ebx]", 0xF2, 0x0F, 0xE6, M(0)),
};

static const struct form simd_int_forms[] = {
    SIMD_INT("paddb", 0xFC), SIMD_INT("paddw", 0xFD), SIMD_INT("paddd", 0xFE), SIMD_INT("paddq", 0xD4),
    SIMD_INT("psubb", 0xF8), SIMD_INT("psubw", 0xF9), SIMD_INT("psubd", 0xFA), SIMD_INT("psubq", 0xFB),
    SIMD_INT("paddsb", 0xEC), SIMD_INT("paddsw", 0xED), SIMD_INT("paddusb", 0xDC),
    SIMD_INT("paddusw", 0xDD), SIMD_INT("psubsb", 0xE8), SIMD_INT("psubsw", 0xE9),
    SIMD_INT("psubusb", 0xD8), SIMD_INT("psubusw", 0xD9),
    SIMD_INT("pmullw", 0xD5), SIMD_INT("pmulhw", 0xE5), SIMD_INT("pmulhuw", 0xE4),
    SIMD_INT("pmuludq", 0xF4), SIMD_INT("pmaddwd", 0xF5), SIMD_INT("psadbw", 0xF6),
    SIMD_INT("pavgb", 0xE0), SIMD_INT("pavgw", 0xE3), SIMD_INT("pminub", 0xDA),
    SIMD_INT("pmaxub", 0xDE), SIMD_INT("pminsw", 0xEA), SIMD_INT("pmaxsw", 0xEE),
    SIMD_INT("pcmpeqb", 0x74), SIMD_INT("pcmpeqw", 0x75), SIMD_INT("pcmpeqd", 0x76),
    SIMD_INT("pcmpgtb", 0x64), SIMD_INT("pcmpgtw", 0x65), SIMD_INT("pcmpgtd", 0x66),
    SIMD_INT("packsswb", 0x63), SIMD_INT("packssdw", 0x6B), SIMD_INT("packuswb", 0x67),
    SIMD_INT("punpcklbw", 0x60), SIMD_INT("punpcklwd", 0x61), SIMD_INT("punpckldq", 0x62),
    SIMD_INT("punpckhbw", 0x68), SIMD_INT("punpckhwd", 0x69), SIMD_INT("punpckhdq", 0x6A),
    FORM("punpcklqdq xmm0,[ebx]", 0x66, 0x0F, 0x6C, M(0)), FORM("punpckhqdq xmm0,xmm1", 0x66, 0x0F, 0x6D, RR),
    SIMD_INT("pand", 0xDB), SIMD_INT("pandn", 0xDF), SIMD_INT("por", 0xEB), SIMD_INT("pxor", 0xEF),
    FORM("pxor xmm0,xmm0", 0x66, 0x0F, 0xEF, 0xC0), FORM("pxor mm1,mm1", 0x0F, 0xEF, 0xC9),
    SIMD_INT("psrlw", 0xD1), SIMD_INT("psrld", 0xD2), SIMD_INT("psrlq", 0xD3), SIMD_INT("psraw", 0xE1),
    SIMD_INT("psrad", 0xE2), SIMD_INT("psllw", 0xF1), SIMD_INT("pslld", 0xF2), SIMD_INT("psllq", 0xF3),
};

/* The group 0F 71/72/73 /digit shifts by imm8 of MM1 or XMM1. */
#define SIMD_SHIFT_IMM(name, op, d, imm) \
    FORM(name " mm1," #imm, 0x0F, op, 0xC1 | (d) << 3, imm), \
    FORM(name " xmm1," #imm, 0x66, 0x0F, op, 0xC1 | (d) << 3, imm)

static const struct form simd_shuffle_forms[] = {
    SIMD_SHIFT_IMM("psrlw", 0x71, 2, 3), SIMD_SHIFT_IMM("psraw", 0x71, 4, 17),
    SIMD_SHIFT_IMM("psllw", 0x71, 6, 15), SIMD_SHIFT_IMM("psrld", 0x72, 2, 31),
    SIMD_SHIFT_IMM("psrad", 0x72, 4, 9), SIMD_SHIFT_IMM("pslld", 0x72, 6, 200),
    SIMD_SHIFT_IMM("psrlq", 0x73, 2, 63), SIMD_SHIFT_IMM("psllq", 0x73, 6, 1),
    FORM("psrldq xmm1,5", 0x66, 0x0F, 0x73, 0xD9, 5), FORM("pslldq xmm1,17", 0x66, 0x0F, 0x73, 0xF9, 17),
    FORM("pslldq xmm0,1", 0x66, 0x0F, 0x73, 0xF8, 1),
    FORM("pshufw mm0,mm1,0xe4", 0x0F, 0x70, RR, 0xE4), FORM("pshufw mm0,[ebx],0x1b", 0x0F, 0x70, M(0), 0x1B),
    FORM("pshufd xmm0,[ebx],0x1b", 0x66, 0x0F, 0x70, M(0), 0x1B),
    FORM("pshufd xmm0,xmm1,0x93", 0x66, 0x0F, 0x70, RR, 0x93),
    FORM("pshufhw xmm0,xmm1,0x39", 0xF3, 0x0F, 0x70, RR, 0x39),
    FORM("pshuflw xmm0,[ebx],0xc6", 0xF2, 0x0F, 0x70, M(0), 0xC6),
    FORM("pinsrw xmm0,ecx,5", 0x66, 0x0F, 0xC4, RR, 5), FORM("pinsrw xmm0,[ebx],6", 0x66, 0x0F, 0xC4, M(0), 6),
    FORM("pinsrw mm0,ecx,2", 0x0F, 0xC4, RR, 2), FORM("pinsrw mm1,[ebx],7", 0x0F, 0xC4, M(1), 7),
    FORM("pextrw ecx,xmm1,3", 0x66, 0x0F, 0xC5, 0xC9, 3), FORM("pextrw eax,mm1,1", 0x0F, 0xC5, RR, 1),
    FORM("pextrw edx,xmm0,12", 0x66, 0x0F, 0xC5, 0xD0, 12),
    FORM("pmovmskb ecx,mm1", 0x0F, 0xD7, 0xC9), FORM("pmovmskb ecx,xmm0", 0x66, 0x0F, 0xD7, 0xC8),
    FORM("movlps xmm0,[ebx]", 0x0F, 0x12, M(0)), FORM("movhlps xmm0,xmm1", 0x0F, 0x12, RR),
    FORM("movlps [ebx],xmm1", 0x0F, 0x13, M(1)), FORM("movhps xmm0,[ebx]", 0x0F, 0x16, M(0)),
    FORM("movlhps xmm0,xmm1", 0x0F, 0x16, RR), FORM("movhps [ebx],xmm1", 0x0F, 0x17, M(1)),
    FORM("movlpd xmm1,[ebx]", 0x66, 0x0F, 0x12, M(1)), FORM("movlpd [ebx],xmm0", 0x66, 0x0F, 0x13, M(0)),
    FORM("movhpd xmm0,[ebx]", 0x66, 0x0F, 0x16, M(0)), FORM("movhpd [ebx],xmm1", 0x66, 0x0F, 0x17, M(1)),
    FORM("movq2dq xmm0,mm1", 0xF3, 0x0F, 0xD6, RR), FORM("movdq2q mm0,xmm1", 0xF2, 0x0F, 0xD6, RR),
    FORM("emms", 0x0F, 0x77),
    FORM("lock paddd: #UD", 0xF0, 0x66, 0x0F, 0xFE, M(0)),
};
