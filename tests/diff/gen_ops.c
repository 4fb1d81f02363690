/*
 * tests/diff/gen_ops.c - generator templates: ALU, unary, shifts and
 * rotates, SHLD/SHRD, multiply/divide, bit tests and scans.
 *
 * Each template emits one instruction (plus the setup it needs) and records
 * which flags the SDM leaves defined afterwards (vol. 2, each instruction's
 * "Flags Affected").
 */
#include <string.h>
#include "gen.h"

static int pick_size(struct gen *g)
{
    static const int s[] = { 8, 16, 32, 32 };
    return s[gen_below(g, 4)];
}

static uint32_t mask_of(int size)
{
    return size == 32 ? 0xffffffffu : (1u << size) - 1;
}

/* An immediate for `size`: full width, or a small signed value (imm8 form),
 * sometimes forced to the long encoding. */
static void imm(struct gen *g, int size, char *s)
{
    uint32_t v = gen_value(g) & mask_of(size);
    switch (gen_below(g, 3)) {
    case 0:
        sprintf(s, "%d", gen_range(g, -128, 127));
        break;
    case 1:
        if (size > 8) {
            sprintf(s, "strict %s %d", size == 16 ? "word" : "dword", gen_range(g, -128, 127));
            break;
        }
        /* fall through */
    default:
        sprintf(s, "0x%x", v);
    }
}

struct aluop { const char *name; unsigned reads; int logic; };
static const struct aluop aluops[] = {
    { "add", 0, 0 }, { "adc", FL_CF, 0 }, { "sub", 0, 0 }, { "sbb", FL_CF, 0 },
    { "and", 0, 1 }, { "or", 0, 1 },      { "xor", 0, 1 }, { "cmp", 0, 0 },
    { "test", 0, 1 },
};

void gen_alu(struct gen *g)
{
    const struct aluop *op = &aluops[gen_below(g, sizeof aluops / sizeof aluops[0])];
    int size = pick_size(g);
    char m[64], i[48];

    switch (gen_below(g, 5)) {
    case 0: {
        const char *a = vreg(g, size);
        flags_need(g, op->reads);
        emit(g, "%s %s, %s", op->name, a, vreg(g, size));
        break;
    }
    case 1:
        mem(g, size, m);
        flags_need(g, op->reads);
        emit(g, "%s %s, %s", op->name, vreg(g, size), m);
        break;
    case 2:
        mem(g, size, m);
        flags_need(g, op->reads);
        emit(g, "%s %s, %s", op->name, m, vreg(g, size));
        break;
    case 3:
        imm(g, size, i);
        flags_need(g, op->reads);
        emit(g, "%s %s, %s", op->name, vreg(g, size), i);
        break;
    default:
        mem(g, size, m);
        imm(g, size, i);
        flags_need(g, op->reads);
        emit(g, "%s %s, %s", op->name, m, i);
        break;
    }
    if (op->logic)   /* OF, CF cleared; AF undefined */
        flags_set(g, FL_ARITH & ~FL_AF, FL_AF);
    else
        flags_set(g, FL_ARITH, 0);
}

void gen_unary(struct gen *g)
{
    static const char *const ops[] = { "inc", "dec", "neg", "not" };
    int k = (int)gen_below(g, 4), size = pick_size(g);
    char m[64];
    const char *dst = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);

    emit(g, "%s %s", ops[k], dst);
    if (k < 2)
        flags_set(g, FL_ARITH & ~FL_CF, 0);     /* CF unaffected */
    else if (k == 2)
        flags_set(g, FL_ARITH, 0);
}

/* Flags after a shift or rotate by `count` (SDM SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR):
 * a masked count of 0 changes nothing; OF is defined only for a count of 1;
 * shifts leave AF undefined and CF undefined when count >= width (8/16 bit). */
static void shift_flags(struct gen *g, int rotate, int size, unsigned count)
{
    unsigned m = count & 31, def, undef;

    if (m == 0)
        return;
    if (rotate) {
        def = FL_CF;
        undef = 0;
    } else {
        def = FL_SF | FL_ZF | FL_PF;
        undef = FL_AF;
        if (m < (unsigned)size)
            def |= FL_CF;
        else
            undef |= FL_CF;
    }
    if (m == 1)
        def |= FL_OF;
    else
        undef |= FL_OF;
    flags_set(g, def, undef);
}

void gen_shift(struct gen *g)
{
    static const char *const ops[] = { "shl", "shr", "sar", "sal", "rol", "ror", "rcl", "rcr" };
    int k = (int)gen_below(g, 8), size = pick_size(g), how = (int)gen_below(g, 3);
    unsigned count;
    char m[64], dst[64];

    if (how == 2 && (g->busy & 2))
        how = 1;
    /* CL as the count must not also be the destination's register family. */
    if (gen_below(g, 2)) {
        strcpy(dst, mem(g, size, m));
    } else {
        const char *r;
        do
            r = vreg(g, size);
        while (how == 2 && r[0] == 'c');
        strcpy(dst, r);
    }
    if (k >= 6)
        flags_need(g, FL_CF);
    switch (how) {
    case 0:
        count = 1;
        emit(g, "%s %s, 1", ops[k], dst);
        break;
    case 1:
        count = gen_below(g, 4) ? gen_below(g, 34) : gen_below(g, 256);
        emit(g, "%s %s, %u", ops[k], dst, count);
        break;
    default:
        count = gen_below(g, 4) ? gen_below(g, 34) : gen_below(g, 256);
        emit(g, "mov cl, %u", count);
        emit(g, "%s %s, cl", ops[k], dst);
        break;
    }
    shift_flags(g, k >= 4, size, count);
}

/* SHLD/SHRD: a 16-bit count above 16 gives an undefined result, so 16-bit
 * counts stay below 16 (modulo the 5-bit mask). */
void gen_shxd(struct gen *g)
{
    int size = gen_below(g, 3) ? 32 : 16, use_cl = !(g->busy & 2) && gen_below(g, 2);
    const char *op = gen_below(g, 2) ? "shld" : "shrd";
    unsigned count = size == 32 ? gen_below(g, 64) : gen_below(g, 16) + 32 * gen_below(g, 2);
    unsigned m5 = count & 31;
    char m[64], dst[64];
    const char *src;

    if (gen_below(g, 2)) {
        strcpy(dst, mem(g, size, m));
    } else {
        const char *r;
        do
            r = vreg(g, size);
        while (use_cl && r[0] == 'c');
        strcpy(dst, r);
    }
    do
        src = vreg(g, size);
    while (use_cl && src[0] == 'c');
    if (use_cl) {
        emit(g, "mov cl, %u", count);
        emit(g, "%s %s, %s, cl", op, dst, src);
    } else {
        emit(g, "%s %s, %s, %u", op, dst, src, count);
    }
    if (m5)
        flags_set(g, FL_CF | FL_SF | FL_ZF | FL_PF | (m5 == 1 ? FL_OF : 0),
                  FL_AF | (m5 == 1 ? 0 : FL_OF));
}

/* ---- multiply and divide ---- */

static void gen_mul(struct gen *g)
{
    int size = pick_size(g), kind = (int)gen_below(g, 4);
    char m[64], i[48];
    const char *src = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);

    if (size == 8 && kind >= 2)
        size = 16, src = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);
    switch (kind) {
    case 0: emit(g, "mul %s", src); break;
    case 1: emit(g, "imul %s", src); break;
    case 2: emit(g, "imul %s, %s", vreg(g, size), src); break;
    default:
        imm(g, size, i);
        emit(g, "imul %s, %s, %s", vreg(g, size), src, i);
        break;
    }
    /* SDM MUL/IMUL: CF and OF defined; SF, ZF, AF, PF undefined. */
    flags_set(g, FL_CF | FL_OF, FL_SF | FL_ZF | FL_AF | FL_PF);
}

/* A divisor of `size` bits, never 0; small ones are common. */
static uint32_t divisor(struct gen *g, int size, int sign)
{
    uint32_t d;
    do {
        d = gen_below(g, 2) ? gen_below(g, 300) : gen_rand(g);
        if (sign && gen_below(g, 2))
            d = -d;
        d &= mask_of(size);
    } while (d == 0);
    return d;
}

static int64_t sext(uint32_t v, int size)
{
    return size == 32 ? (int64_t)(int32_t)v : size == 16 ? (int16_t)v : (int8_t)v;
}

/* Dividend = q*D + r with |r| < |D| and r of the dividend's sign: the
 * quotient is q by construction, so it always fits (no #DE). */
static void gen_div(struct gen *g)
{
    int size = pick_size(g), sign = (int)gen_below(g, 2);
    uint32_t d = divisor(g, size, sign);
    char m[64], src[64];
    uint64_t dividend;

    if (gen_below(g, 2)) {
        strcpy(src, mem(g, size, m));
        emit(g, "mov %s, 0x%x", src, d);
    } else {
        static const char *const r8[] = { "cl", "ch", "dl", "dh" };
        strcpy(src, size == 8 ? r8[gen_below(g, 4)] : size == 16 ? "cx" : "ecx");
        emit(g, "mov %s, 0x%x", src, d);
    }
    if (size == 32 && gen_below(g, 3) == 0) {
        /* Random EAX: EDX=0 (unsigned) or sign extension (signed, D != -1). */
        if (sign && d == 0xffffffffu) {
            emit(g, "mov %s, 2", src);
        }
        emit(g, sign ? "cdq" : "xor edx, edx");
    } else {
        if (sign) {
            int64_t q = sext(gen_rand(g), size), dv = sext(d, size), ad = dv < 0 ? -dv : dv;
            int64_t r = (int64_t)(gen_rand(g) % (uint64_t)ad), p = q * dv;
            if (p < 0 || (p == 0 && gen_below(g, 2)))
                r = -r;
            dividend = (uint64_t)(p + r);
        } else {
            uint64_t q = gen_rand(g) & mask_of(size);
            dividend = q * d + gen_rand(g) % d;
        }
        if (size == 8) {
            emit(g, "mov ax, 0x%x", (unsigned)(dividend & 0xffff));
        } else {
            emit(g, "mov %s, 0x%x", size == 16 ? "dx" : "edx",
                 (unsigned)((dividend >> size) & mask_of(size)));
            emit(g, "mov %s, 0x%x", size == 16 ? "ax" : "eax", (unsigned)(dividend & mask_of(size)));
        }
    }
    emit(g, "%s %s", sign ? "idiv" : "div", src);
    flags_set(g, 0, FL_ARITH);   /* SDM DIV/IDIV: all six undefined */
}

void gen_muldiv(struct gen *g)
{
    /* DIV needs EAX, ECX and EDX free. */
    if (!g->busy && gen_below(g, 2))
        gen_div(g);
    else
        gen_mul(g);
}

/* ---- bit test and scan ---- */

void gen_bits(struct gen *g)
{
    static const char *const bt[] = { "bt", "bts", "btr", "btc" };
    int size = gen_below(g, 2) ? 32 : 16;
    char m[64];

    if (gen_below(g, 3)) {
        const char *op = bt[gen_below(g, 4)];
        switch (gen_below(g, 3)) {
        case 0:     /* register destination: offset taken modulo the size */
            emit(g, "%s %s, %s", op, vreg(g, size), vreg(g, size));
            break;
        case 1:     /* immediate offset: also modulo the size */
            emit(g, "%s %s, %u", op, gen_below(g, 2) ? vreg(g, size) : mem(g, size, m),
                 gen_below(g, 256));
            break;
        default:    /* memory bit string: EDX holds an offset of up to 511 bits */
            if (g->busy & 4) {
                emit(g, "%s %s, %u", op, vreg(g, size), gen_below(g, 256));
                break;
            }
            mem_span(g, size, 64 + size / 8, m);
            emit(g, "mov edx, %u", gen_below(g, 512));
            emit(g, "%s %s, %s", op, m, size == 32 ? "edx" : "dx");
            break;
        }
        /* CF = the bit; ZF unaffected; OF, SF, AF, PF undefined */
        flags_set(g, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF);
    } else {
        const char *op = gen_below(g, 2) ? "bsf" : "bsr";
        char bit[16];
        const char *src = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);
        /* The source must be nonzero: with 0 the destination is undefined. */
        sprintf(bit, "0x%x", 1u << gen_below(g, (unsigned)size));
        emit(g, "or %s, %s", src, bit);
        emit(g, "%s %s, %s", op, vreg(g, size), src);
        flags_set(g, FL_ZF, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
    }
}
