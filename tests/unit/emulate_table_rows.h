/*
 * tests/unit/emulate_table_rows.h - the forms and cases of
 * test_emulate_table.c (included there once).  ModRM 0x03 | r << 3 is
 * [EBX] with register r (0 EAX, 1 ECX, 2 EDX) or group digit r.
 */
#define M(r) (0x03 | (r) << 3)

/* ---------------- cases ---------------- */

#define ADDRS [R_EBX] = 0x800, [R_EBP] = 0x800, [R_ESI] = 0x700, [R_EDI] = 0x900
#define PATB(i) ((uint32_t)(uint8_t)((i) * 0x9D + 0x3B))      /* = pattern(i) */
#define PAT4(i) (PATB(i) | PATB((i) + 1) << 8 | PATB((i) + 2) << 16 | PATB((i) + 3) << 24)

static const struct kase cases[] = {
    { { ADDRS, [R_EAX] = 0, [R_ECX] = 0, [R_EDX] = 0 }, 0, 0, 0, 0, NULL },
    { { ADDRS, [R_EAX] = 0x12345678, [R_ECX] = 0xFF, [R_EDX] = 1 }, 0x12345678, 0x9ABCDEF0, FL_CF, 0, NULL },
    { { ADDRS, [R_EAX] = 0x7FFFFFFF, [R_ECX] = 1, [R_EDX] = 7 }, 0x7FFFFFFF, 0, FL_ARITH, 0, NULL },
    { { ADDRS, [R_EAX] = 0xFFFFFFFF, [R_ECX] = 0x8000, [R_EDX] = 0xFFFFFFFF }, 0xFFFF8000, 0xFFFFFFFF,
      FL_CF | FL_ZF, 0, NULL },
    { { ADDRS, [R_EAX] = 0x80000000, [R_ECX] = 0x1F, [R_EDX] = 2 }, 0x80, 0x80000000, FL_OF | FL_SF, 0, NULL },
    { { ADDRS, [R_EAX] = 0xFFFF, [R_ECX] = 0x21, [R_EDX] = 0 }, 0x7F, 0x11, FL_AF | FL_PF, 0, NULL },
    { { ADDRS, [R_EAX] = 0xDEADBEEF, [R_ECX] = 0xFFFFFF9C, [R_EDX] = 0x1234 }, 0xCAFEBABE, 0x1234, FL_CF, 0, NULL },
    { { ADDRS, [R_EAX] = 0x11111111, [R_ECX] = 0x33333333, [R_EDX] = 0x22222222 }, 0x11111111,
      0x22222222, FL_ZF, 0, NULL },
    /* IDIV: -256 / 2 = -128, the most negative quotient of 8 bits */
    { { ADDRS, [R_EAX] = 0xFF00, [R_ECX] = 0x0202, [R_EDX] = 0xFFFFFFFF }, 0x2, 0x80000000, 0, 0, NULL },
    { { ADDRS, [R_EAX] = 0x00010000, [R_ECX] = 0x10, [R_EDX] = 0x1 }, 0xFFFFFFFF, 0x7FFF, FL_OF, 0, NULL },
};

/* Bit offsets in ECX for BT*: inside the operand, past it, negative. */
#define BTC_CASE(off) { { ADDRS, [R_ECX] = (off), [R_EAX] = 0x5A5A }, 0x80000001, 0x00FF00FF, 0, 0, NULL }
static const struct kase bt_cases[] = {
    BTC_CASE(0), BTC_CASE(5), BTC_CASE(31), BTC_CASE(32), BTC_CASE(100), BTC_CASE(0xFFFFFFFF),
    BTC_CASE(0xFFFFFFDF), BTC_CASE(0xFFFFFF9C), BTC_CASE(1000), BTC_CASE(15),
};

/* String registers, counts, both directions; EBX's dwords keep the pattern. */
#define STR_CASE(si, di, cx, ax, fl) \
    { { [R_EBX] = 0x800, [R_EBP] = 0x800, [R_ESI] = (si), [R_EDI] = (di), [R_ECX] = (cx), \
        [R_EAX] = (ax) }, PAT4(0x800), PAT4(0x804), (fl), 0, NULL }
static const struct kase str_cases[] = {
    STR_CASE(0x700, 0x900, 0, 0x12345678, 0),
    STR_CASE(0x700, 0x900, 1, 0x12345678, FL_CF),
    STR_CASE(0x700, 0x900, 5, 0xA5A5A5A5, 0),
    STR_CASE(0x700, 0x900, 5, 0xA5A5A5A5, FL_DF),
    STR_CASE(0x800, 0x800, 16, 0, 0),                      /* equal: REPE runs out */
    STR_CASE(0x800, 0x800, 16, 0, FL_DF | FL_ZF),
    STR_CASE(0x700, 0x900, 12, PAT4(0x908), 0),            /* SCAS finds it at +8 */
    STR_CASE(0x700, 0x910, 12, PAT4(0x908), FL_DF),
};

/* SSE: EBX aligned, then 4 bytes off (#GP for the aligned forms). */
static const struct kase sse_cases[] = {
    { { ADDRS, [R_ECX] = 0x76543210 }, 0x01020304, 0x05060708, 0, 0, NULL },
    { { [R_EBX] = 0x804, [R_EBP] = 0x800, [R_ESI] = 0x700, [R_EDI] = 0x900, [R_ECX] = 0x89ABCDEF },
      0xF0E0D0C0, 0xB0A09080, 0, 0, NULL },
};

/* ---------------- forms ---------------- */

/* ADD OR ADC SBB AND SUB XOR CMP = 8k + 0..3, and the 80/81/83 group /k. */
#define ALU(k, name) \
    FORM(name " [ebx],cl", 8 * (k), M(1)), FORM(name " [ebx],ecx", 8 * (k) + 1, M(1)), \
    FORM(name " [ebx],cx", 0x66, 8 * (k) + 1, M(1)), FORM(name " cl,[ebx]", 8 * (k) + 2, M(1)), \
    FORM(name " ecx,[ebx]", 8 * (k) + 3, M(1)), FORM(name " cx,[ebx]", 0x66, 8 * (k) + 3, M(1)), \
    FORM(name " ecx,eax", 8 * (k) + 1, 0xC1), \
    FORM(name " b[ebx],imm8", 0x80, M(k), 0x85), FORM(name " d[ebx],simm8", 0x83, M(k), 0xF0), \
    FORM(name " d[ebx],imm32", 0x81, M(k), 0x78, 0x56, 0x34, 0x92), \
    FORM(name " w[ebx],imm16", 0x66, 0x81, M(k), 0x34, 0x92), \
    FORM(name " al,imm8", 8 * (k) + 4, 0x7F)
#define LOCKED_ALU(k, name) \
    FORM("lock " name " [ebx],ecx", 0xF0, 8 * (k) + 1, M(1)), \
    FORM("lock " name " b[ebx],imm8", 0xF0, 0x80, M(k), 0x85), \
    FORM("lock " name " ecx,eax: #UD", 0xF0, 8 * (k) + 1, 0xC1)

static const struct form alu_forms[] = {
    ALU(0, "add"), ALU(1, "or"), ALU(2, "adc"), ALU(3, "sbb"), ALU(4, "and"), ALU(5, "sub"),
    ALU(6, "xor"), ALU(7, "cmp"),
    LOCKED_ALU(0, "add"), LOCKED_ALU(1, "or"), LOCKED_ALU(2, "adc"), LOCKED_ALU(3, "sbb"),
    LOCKED_ALU(4, "and"), LOCKED_ALU(5, "sub"), LOCKED_ALU(6, "xor"),
    FORM("lock cmp [ebx],ecx: #UD", 0xF0, 0x39, M(1)),
    FORM("test [ebx],cl", 0x84, M(1)), FORM("test [ebx],ecx", 0x85, M(1)),
    FORM("test [ebx],cx", 0x66, 0x85, M(1)), FORM("test b[ebx],imm8", 0xF6, M(0), 0x5A),
    FORM("test d[ebx],imm32", 0xF7, M(0), 0x01, 0x80, 0x00, 0x80),
    FORM("test w[ebx],imm16", 0x66, 0xF7, M(0), 0x00, 0x80),
    FORM("lock test: #UD", 0xF0, 0x85, M(1)),
};

#define UNARY(d, name) \
    FORM(name " b[ebx]", 0xF6, M(d)), FORM(name " d[ebx]", 0xF7, M(d)), \
    FORM(name " w[ebx]", 0x66, 0xF7, M(d)), FORM("lock " name " d[ebx]", 0xF0, 0xF7, M(d))
#define INCDEC(d, name) \
    FORM(name " b[ebx]", 0xFE, M(d)), FORM(name " d[ebx]", 0xFF, M(d)), \
    FORM(name " w[ebx]", 0x66, 0xFF, M(d)), FORM("lock " name " b[ebx]", 0xF0, 0xFE, M(d))

static const struct form unary_forms[] = {
    UNARY(2, "not"), UNARY(3, "neg"), INCDEC(0, "inc"), INCDEC(1, "dec"),
    FORM("lock not ecx: #UD", 0xF0, 0xF7, 0xD1),
};

/* Shift group /k: by 1, by CL, by imm8; 8, 16, 32 bits. */
#define SHIFT(k, name) \
    FORM(name " b[ebx],1", 0xD0, M(k)), FORM(name " d[ebx],1", 0xD1, M(k)), \
    FORM(name " w[ebx],1", 0x66, 0xD1, M(k)), FORM(name " b[ebx],cl", 0xD2, M(k)), \
    FORM(name " d[ebx],cl", 0xD3, M(k)), FORM(name " w[ebx],cl", 0x66, 0xD3, M(k)), \
    FORM(name " b[ebx],5", 0xC0, M(k), 5), FORM(name " d[ebx],13", 0xC1, M(k), 13), \
    FORM(name " w[ebx],17", 0x66, 0xC1, M(k), 17), FORM(name " d[ebx],33", 0xC1, M(k), 33)

static const struct form shift_forms[] = {
    SHIFT(0, "rol"), SHIFT(1, "ror"), SHIFT(2, "rcl"), SHIFT(3, "rcr"), SHIFT(4, "shl"),
    SHIFT(5, "shr"), SHIFT(7, "sar"),
    FORM("shld [ebx],ecx,7", 0x0F, 0xA4, M(1), 7), FORM("shld [ebx],ecx,cl", 0x0F, 0xA5, M(1)),
    FORM("shld [ebx],cx,cl", 0x66, 0x0F, 0xA5, M(1)),
    FORM("shld [ebx],cx,20", 0x66, 0x0F, 0xA4, M(1), 20),
    FORM("shrd [ebx],ecx,7", 0x0F, 0xAC, M(1), 7), FORM("shrd [ebx],ecx,cl", 0x0F, 0xAD, M(1)),
    FORM("shrd [ebx],cx,cl", 0x66, 0x0F, 0xAD, M(1)),
    FORM("lock shl: #UD", 0xF0, 0xD3, M(4)),
};

#define MULDIV(d, name) \
    FORM(name " b[ebx]", 0xF6, M(d)), FORM(name " d[ebx]", 0xF7, M(d)), \
    FORM(name " w[ebx]", 0x66, 0xF7, M(d))

static const struct form muldiv_forms[] = {
    MULDIV(4, "mul"), MULDIV(5, "imul"), MULDIV(6, "div"), MULDIV(7, "idiv"),
    FORM("imul ecx,[ebx]", 0x0F, 0xAF, M(1)), FORM("imul cx,[ebx]", 0x66, 0x0F, 0xAF, M(1)),
    FORM("imul ecx,[ebx],-7", 0x6B, M(1), 0xF9),
    FORM("imul ecx,[ebx],imm32", 0x69, M(1), 0x01, 0x00, 0x01, 0x00),
    FORM("imul cx,[ebx],imm16", 0x66, 0x69, M(1), 0x39, 0x30),
    FORM("lock mul: #UD", 0xF0, 0xF7, M(4)),
};

#define BITOP(op, grp, name) \
    FORM(name " [ebx],ecx", 0x0F, op, M(1)), FORM(name " [ebx],cx", 0x66, 0x0F, op, M(1)), \
    FORM(name " [ebx],37", 0x0F, 0xBA, M(grp), 37), FORM(name " w[ebx],19", 0x66, 0x0F, 0xBA, M(grp), 19), \
    FORM(name " eax,ecx", 0x0F, op, 0xC8)

static const struct form bt_forms[] = {
    BITOP(0xA3, 4, "bt"), BITOP(0xAB, 5, "bts"), BITOP(0xB3, 6, "btr"), BITOP(0xBB, 7, "btc"),
    FORM("lock bts [ebx],ecx", 0xF0, 0x0F, 0xAB, M(1)),
    FORM("lock btc [ebx],5", 0xF0, 0x0F, 0xBA, M(7), 5),
    FORM("lock bt: #UD", 0xF0, 0x0F, 0xA3, M(1)),
};

#define CC(cc) \
    FORM("setcc [ebx]", 0x0F, 0x90 + (cc), M(0)), FORM("cmovcc ecx,[ebx]", 0x0F, 0x40 + (cc), M(1)), \
    FORM("cmovcc cx,[ebx]", 0x66, 0x0F, 0x40 + (cc), M(1))

static const struct form misc_forms[] = {
    CC(0), CC(1), CC(2), CC(3), CC(4), CC(5), CC(6), CC(7), CC(8), CC(9), CC(10), CC(11),
    CC(12), CC(13), CC(14), CC(15),
    FORM("bsf ecx,[ebx]", 0x0F, 0xBC, M(1)), FORM("bsf cx,[ebx]", 0x66, 0x0F, 0xBC, M(1)),
    FORM("bsr ecx,[ebx]", 0x0F, 0xBD, M(1)), FORM("bsr cx,[ebx]", 0x66, 0x0F, 0xBD, M(1)),
    FORM("movzx ecx,b[ebx]", 0x0F, 0xB6, M(1)), FORM("movzx ecx,w[ebx]", 0x0F, 0xB7, M(1)),
    FORM("movsx ecx,b[ebx]", 0x0F, 0xBE, M(1)), FORM("movsx ecx,w[ebx]", 0x0F, 0xBF, M(1)),
    FORM("movzx cx,b[ebx]", 0x66, 0x0F, 0xB6, M(1)),
    FORM("mov [ebx],ecx", 0x89, M(1)), FORM("mov cl,[ebx]", 0x8A, M(1)),
    FORM("mov w[ebx],imm16", 0x66, 0xC7, M(0), 0x22, 0x11),
    FORM("xchg [ebx],cl", 0x86, M(1)), FORM("xchg [ebx],ecx", 0x87, M(1)),
    FORM("xchg [ebx],cx", 0x66, 0x87, M(1)), FORM("lock xchg [ebx],ecx", 0xF0, 0x87, M(1)),
    FORM("xadd [ebx],cl", 0x0F, 0xC0, M(1)), FORM("xadd [ebx],ecx", 0x0F, 0xC1, M(1)),
    FORM("xadd [ebx],cx", 0x66, 0x0F, 0xC1, M(1)), FORM("lock xadd [ebx],ecx", 0xF0, 0x0F, 0xC1, M(1)),
    FORM("xadd ecx,ecx", 0x0F, 0xC1, 0xC9),
    FORM("cmpxchg [ebx],cl", 0x0F, 0xB0, M(1)), FORM("cmpxchg [ebx],ecx", 0x0F, 0xB1, M(1)),
    FORM("cmpxchg [ebx],cx", 0x66, 0x0F, 0xB1, M(1)),
    FORM("lock cmpxchg [ebx],ecx", 0xF0, 0x0F, 0xB1, M(1)),
    FORM_A("cmpxchg8b [ebp+0]", A_EBP | A_ESI | A_EDI, 0x0F, 0xC7, 0x4D, 0x00),
    FORM_A("lock cmpxchg8b [ebp+0]", A_EBP | A_ESI | A_EDI, 0xF0, 0x0F, 0xC7, 0x4D, 0x00),
    FORM("clflush [ebx]", 0x0F, 0xAE, M(7)),
};

static const struct form str_forms[] = {
    FORM("movsb", 0xA4), FORM("movsd", 0xA5), FORM("movsw", 0x66, 0xA5),
    FORM("rep movsb", 0xF3, 0xA4), FORM("rep movsd", 0xF3, 0xA5), FORM("rep movsw", 0xF3, 0x66, 0xA5),
    FORM("repne movsb", 0xF2, 0xA4),
    FORM("stosb", 0xAA), FORM("stosd", 0xAB), FORM("rep stosb", 0xF3, 0xAA),
    FORM("rep stosd", 0xF3, 0xAB), FORM("rep stosw", 0xF3, 0x66, 0xAB),
    FORM("lodsb", 0xAC), FORM("lodsd", 0xAD), FORM("lodsw", 0x66, 0xAD), FORM("rep lodsb", 0xF3, 0xAC),
    FORM("cmpsb", 0xA6), FORM("cmpsd", 0xA7), FORM("repe cmpsb", 0xF3, 0xA6),
    FORM("repne cmpsb", 0xF2, 0xA6), FORM("repe cmpsd", 0xF3, 0xA7), FORM("repne cmpsw", 0xF2, 0x66, 0xA7),
    FORM("scasb", 0xAE), FORM("scasd", 0xAF), FORM("repe scasb", 0xF3, 0xAE),
    FORM("repne scasb", 0xF2, 0xAE), FORM("repne scasd", 0xF2, 0xAF), FORM("repe scasw", 0xF3, 0x66, 0xAF),
    FORM("lock movsb: #UD", 0xF0, 0xA4),
};

static const struct form sse_forms[] = {
    FORM("movd xmm0,[ebx]", 0x66, 0x0F, 0x6E, M(0)), FORM("movd [ebx],xmm1", 0x66, 0x0F, 0x7E, M(1)),
    FORM("movq xmm0,[ebx]", 0xF3, 0x0F, 0x7E, M(0)), FORM("movq [ebx],xmm1", 0x66, 0x0F, 0xD6, M(1)),
    FORM("movd mm0,[ebx]", 0x0F, 0x6E, M(0)), FORM("movd [ebx],mm0", 0x0F, 0x7E, M(0)),
    FORM("movq mm0,[ebx]", 0x0F, 0x6F, M(0)), FORM("movq [ebx],mm0", 0x0F, 0x7F, M(0)),
    FORM("movd xmm1,ecx", 0x66, 0x0F, 0x6E, 0xC9), FORM("movd ecx,xmm0", 0x66, 0x0F, 0x7E, 0xC1),
    FORM("movaps xmm0,[ebx]", 0x0F, 0x28, M(0)), FORM("movaps [ebx],xmm1", 0x0F, 0x29, M(1)),
    FORM("movups xmm0,[ebx]", 0x0F, 0x10, M(0)), FORM("movups [ebx],xmm1", 0x0F, 0x11, M(1)),
    FORM("movapd xmm0,[ebx]", 0x66, 0x0F, 0x28, M(0)), FORM("movupd [ebx],xmm1", 0x66, 0x0F, 0x11, M(1)),
    FORM("movdqa xmm0,[ebx]", 0x66, 0x0F, 0x6F, M(0)), FORM("movdqa [ebx],xmm1", 0x66, 0x0F, 0x7F, M(1)),
    FORM("movdqu xmm0,[ebx]", 0xF3, 0x0F, 0x6F, M(0)), FORM("movdqu [ebx],xmm1", 0xF3, 0x0F, 0x7F, M(1)),
    FORM("movss xmm0,[ebx]", 0xF3, 0x0F, 0x10, M(0)), FORM("movss [ebx],xmm1", 0xF3, 0x0F, 0x11, M(1)),
    FORM("movss xmm0,xmm1", 0xF3, 0x0F, 0x10, 0xC1),
    FORM("movsd xmm0,[ebx]", 0xF2, 0x0F, 0x10, M(0)), FORM("movsd [ebx],xmm1", 0xF2, 0x0F, 0x11, M(1)),
    FORM("movsd xmm0,xmm1", 0xF2, 0x0F, 0x10, 0xC1),
    FORM("movntdq [ebx],xmm1", 0x66, 0x0F, 0xE7, M(1)), FORM("movntps [ebx],xmm1", 0x0F, 0x2B, M(1)),
    FORM("movnti [ebx],ecx", 0x0F, 0xC3, M(1)), FORM("movntq [ebx],mm0", 0x0F, 0xE7, M(0)),
};

#include "emulate_table_simd.h"

#define ROWS(forms, cs) run_forms((forms), sizeof(forms) / sizeof((forms)[0]), (cs), \
                                  sizeof(cs) / sizeof((cs)[0]))
#define RUN_ALL_ROWS() do { \
        ROWS(alu_forms, cases); ROWS(unary_forms, cases); ROWS(shift_forms, cases); \
        ROWS(muldiv_forms, cases); ROWS(bt_forms, bt_cases); ROWS(misc_forms, cases); \
        ROWS(str_forms, str_cases); ROWS(sse_forms, sse_cases); \
        ROWS(simd_fp_forms, simd_cases); ROWS(simd_cvt_forms, simd_cases); \
        ROWS(simd_int_forms, simd_cases); ROWS(simd_shuffle_forms, simd_cases); \
    } while (0)
