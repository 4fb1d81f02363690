/*
 * tests/diff/gen_ops2.c - generator templates: conditions (SETcc, CMOVcc,
 * Jcc), exchanges, moves and extensions, LEA, string instructions, the
 * stack, flag instructions and loops.
 */
#include <string.h>
#include "gen.h"

struct cc { const char *name; unsigned reads; };
static const struct cc ccs[] = {
    { "o", FL_OF },  { "no", FL_OF }, { "b", FL_CF },  { "ae", FL_CF },
    { "e", FL_ZF },  { "ne", FL_ZF }, { "be", FL_CF | FL_ZF }, { "a", FL_CF | FL_ZF },
    { "s", FL_SF },  { "ns", FL_SF }, { "p", FL_PF },  { "np", FL_PF },
    { "l", FL_SF | FL_OF }, { "ge", FL_SF | FL_OF },
    { "le", FL_ZF | FL_SF | FL_OF }, { "g", FL_ZF | FL_SF | FL_OF },
};

static const struct cc *pick_cc(struct gen *g)
{
    return &ccs[gen_below(g, sizeof ccs / sizeof ccs[0])];
}

/* A forward Jcc over one simple instruction: afterwards only the flags
 * defined on both paths count as defined. */
static void gen_jcc_skip(struct gen *g)
{
    const struct cc *c = pick_cc(g);
    int l = g->label++;
    unsigned before;

    flags_need(g, c->reads);
    before = g->defined;
    emit(g, "j%s .L%d", c->name, l);
    gen_body_op(g);
    fprintf(g->out, ".L%d:\n", l);
    g->defined &= before;
}

void gen_cond(struct gen *g)
{
    const struct cc *c = pick_cc(g);
    char m[64];

    switch (gen_below(g, 3)) {
    case 0: {
        const char *dst = gen_below(g, 2) ? vreg(g, 8) : mem(g, 8, m);
        flags_need(g, c->reads);
        emit(g, "set%s %s", c->name, dst);
        break;
    }
    case 1: {
        int size = gen_below(g, 2) ? 32 : 16;
        const char *src = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);
        flags_need(g, c->reads);
        emit(g, "cmov%s %s, %s", c->name, vreg(g, size), src);
        break;
    }
    default:
        gen_jcc_skip(g);
        break;
    }
}

void gen_xchg(struct gen *g)
{
    int size = (int[]){ 8, 16, 32, 32 }[gen_below(g, 4)];
    char m[64];

    switch (gen_below(g, 5)) {
    case 0: {
        const char *a = vreg(g, size);
        emit(g, "xchg %s, %s", a, vreg(g, size));
        break;
    }
    case 1:
        mem(g, size, m);
        emit(g, gen_below(g, 2) ? "xchg %s, %s" : "xchg %2$s, %1$s", m, vreg(g, size));
        break;
    case 2: {
        const char *dst = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);
        emit(g, "xadd %s, %s", dst, vreg(g, size));
        flags_set(g, FL_ARITH, 0);
        break;
    }
    case 3: {
        const char *dst = gen_below(g, 2) ? vreg(g, size) : mem(g, size, m);
        /* Half the time make the compare succeed. */
        if (gen_below(g, 2) && strchr(dst, '['))
            emit(g, "mov %s, %s", size == 8 ? "al" : size == 16 ? "ax" : "eax", dst);
        emit(g, "cmpxchg %s, %s", dst, vreg(g, size));
        flags_set(g, FL_ARITH, 0);
        break;
    }
    default:
        emit(g, "bswap %s", vreg(g, 32));
        break;
    }
}

void gen_movx(struct gen *g)
{
    char m[64], d[64];

    switch (gen_below(g, 6)) {
    case 0: {
        int size = (int[]){ 8, 16, 32 }[gen_below(g, 3)];
        strcpy(d, gen_below(g, 2) ? vreg(g, size) : mem(g, size, m));
        emit(g, "mov %s, 0x%x", d, gen_value(g) & (size == 32 ? ~0u : (1u << size) - 1));
        break;
    }
    case 1: {
        int size = (int[]){ 8, 16, 32 }[gen_below(g, 3)];
        mem(g, size, m);
        if (gen_below(g, 2))
            emit(g, "mov %s, %s", vreg(g, size), m);
        else
            emit(g, "mov %s, %s", m, vreg(g, size));
        break;
    }
    case 2:
    case 3: {
        const char *op = gen_below(g, 2) ? "movzx" : "movsx";
        int from = gen_below(g, 2) ? 8 : 16, to = from == 16 || gen_below(g, 2) ? 32 : 16;
        const char *src = gen_below(g, 2) ? vreg(g, from) : mem(g, from, m);
        emit(g, "%s %s, %s", op, vreg(g, to), src);
        break;
    }
    case 4: {
        const char *ops[] = { "cbw", "cwde", "cwd", "cdq" };
        int k = (int)gen_below(g, 4);
        if (k >= 2 && (g->busy & 4))
            k -= 2;
        if (!(g->busy & 1))
            emit(g, "%s", ops[k]);
        break;
    }
    default: {
        const char *a = vreg(g, 32);
        emit(g, "mov %s, %s", a, vreg(g, 32));
        break;
    }
    }
}

static const char *const all32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

/* LEA with every addressing form: base+index*scale+disp, no base, no index,
 * [disp32], EBP base with disp8 0, ESP base.  (16-bit addressing, which
 * 64-bit mode lacks, is in edge.asm: here it would stop every run early.) */
void gen_lea(struct gen *g)
{
    int size = gen_below(g, 4) ? 32 : 16;
    const char *dst = vreg(g, size);
    int disp = gen_below(g, 2) ? gen_range(g, -128, 127) : (int)gen_rand(g);
    const char *base = all32[gen_below(g, 8)], *index = all32[gen_below(g, 8)];
    int scale = 1 << gen_below(g, 4);

    if (!strcmp(index, "esp"))
        index = "ebx";
    switch (gen_below(g, 5)) {
    case 0: emit(g, "lea %s, [%s+%s*%d%+d]", dst, base, index, scale, disp); break;
    case 1: emit(g, "lea %s, [nosplit %s*%d%+d]", dst, index, scale, disp); break;
    case 2: emit(g, "lea %s, [%s%+d]", dst, base, disp); break;
    case 3: emit(g, "lea %s, [dword 0x%x]", dst, (unsigned)disp); break;
    default: emit(g, "lea %s, [%s+%s*%d]", dst, base, index, scale); break;
    }
}

/* String instructions with a known count and direction: ESI/EDI are set so
 * that every element touched lies in the buffer; after REPE/REPNE the final
 * pointers depend on the data, so they become unknown to the generator. */
void gen_string(struct gen *g)
{
    static const char *const ops[] = { "movs", "stos", "lods", "cmps", "scas" };
    static const char sfx[] = { 'b', 'w', 'd' };
    int k = (int)gen_below(g, 5), sz = 1 << gen_below(g, 3), rep = (int)gen_below(g, 4);
    int count = (int)gen_below(g, 41), n, down = (int)gen_below(g, 2);
    int uses_si = k == 0 || k == 2 || k == 3, uses_di = k != 2;
    const char *prefix = "";

    if (g->busy)
        return;
    if (rep) {
        prefix = k >= 3 ? (gen_below(g, 2) ? "repe " : "repne ") : "rep ";
        emit(g, "mov ecx, %d", count);
    }
    n = rep ? count : 1;
    emit(g, down ? "std" : "cld");
    for (int p = P_ESI; p <= P_EDI; p++) {
        int span = (n ? n : 1) * sz, start;
        if ((p == P_ESI && !uses_si) || (p == P_EDI && !uses_di))
            continue;
        if (p == P_EDI && uses_si && gen_below(g, 3) == 0) {
            /* Overlap with the source, at a small distance either way. */
            start = g->poff[P_ESI] + gen_range(g, -8, 8) * sz;
            int lo = down ? span - sz : 0, hi = down ? DIFF_BUF_SIZE - sz : DIFF_BUF_SIZE - span;
            start = start < lo ? lo : start > hi ? hi : start;
        } else {
            start = down ? gen_range(g, span - sz, DIFF_BUF_SIZE - sz)
                         : gen_range(g, 0, DIFF_BUF_SIZE - span);
        }
        g->poff[p] = start;
        emit(g, "mov %s, 0x%x", preg_name[p], DIFF_AREA + start);
    }
    emit(g, "%s%s%c", prefix, ops[k], sfx[sz == 4 ? 2 : sz - 1]);
    if (k >= 3 && rep && n) {
        g->poff[P_ESI] = g->poff[P_EDI] = -1;   /* stopped by the data */
    } else {
        int step = (down ? -1 : 1) * sz * n;
        if (uses_si)
            g->poff[P_ESI] += step;
        if (uses_di)
            g->poff[P_EDI] += step;
    }
    for (int p = P_ESI; p <= P_EDI; p++)     /* one past the end may leave the buffer */
        if (g->poff[p] < 0 || g->poff[p] >= (int)DIFF_BUF_SIZE)
            g->poff[p] = -1;
    if (k >= 3 && n)
        flags_set(g, FL_ARITH, 0);
}

/* The private stack: ESP stays within [STACK_LO, STACK_HI) of the area. */
#define STACK_LO 0x1100
#define STACK_HI 0x1f00

static void gen_push(struct gen *g)
{
    char m[64];

    if (g->esp - 4 < STACK_LO)
        return;
    switch (gen_below(g, 7)) {
    case 0: emit(g, "push %s", all32[gen_below(g, 8)]); g->esp -= 4; break;
    case 1: emit(g, "push %s", gen_below(g, 4) ? vreg(g, 16) : "sp"); g->esp -= 2; break;
    case 2: emit(g, "push byte %d", gen_range(g, -128, 127)); g->esp -= 4; break;
    case 3: emit(g, "push dword 0x%x", gen_value(g)); g->esp -= 4; break;
    case 4: emit(g, "push word 0x%x", gen_value(g) & 0xffff); g->esp -= 2; break;
    case 5:
        if (gen_below(g, 2)) {
            emit(g, "push %s", mem(g, 32, m));
            g->esp -= 4;
        } else {
            emit(g, "push %s", mem(g, 16, m));
            g->esp -= 2;
        }
        break;
    default:    /* the address uses ESP before the push */
        if (g->esp + 16 + 4 <= STACK_HI) {
            emit(g, "push dword [esp+%d]", 4 * (int)gen_below(g, 5));
            g->esp -= 4;
        }
        break;
    }
}

static void gen_pop(struct gen *g)
{
    char m[64];

    if (g->esp + 4 > STACK_HI)
        return;
    switch (gen_below(g, 4)) {
    case 0: emit(g, "pop %s", vreg(g, 32)); g->esp += 4; break;
    case 1: emit(g, "pop %s", vreg(g, 16)); g->esp += 2; break;
    case 2:
        if (gen_below(g, 2)) {
            emit(g, "pop %s", mem(g, 32, m));
            g->esp += 4;
        } else {
            emit(g, "pop %s", mem(g, 16, m));
            g->esp += 2;
        }
        break;
    default:    /* SDM POP: an ESP-based destination uses ESP after the pop */
        if (g->esp + 4 + 16 + 4 <= STACK_HI) {
            emit(g, "pop dword [esp+%d]", 4 * (int)gen_below(g, 5));
            g->esp += 4;
        }
        break;
    }
}

/* PUSHAD, a few changes to the saved image (value slots and the ignored ESP
 * slot only, so the pointers come back), POPAD. */
static void gen_pushad(struct gen *g)
{
    static const int slots[] = { 12, 20, 24, 28 };   /* esp edx ecx eax */

    if (g->esp - 32 < STACK_LO)
        return;
    emit(g, "pushad");
    for (int i = (int)gen_below(g, 3); i > 0; i--) {
        if (gen_below(g, 2)) {
            emit(g, "add dword [esp+%d], 0x%x", slots[gen_below(g, 4)], gen_value(g));
            flags_set(g, FL_ARITH, 0);
        } else {
            gen_body_op(g);
        }
    }
    emit(g, "popad");
}

void gen_stack(struct gen *g)
{
    if (g->busy)
        return;
    for (int i = 1 + (int)gen_below(g, 4); i > 0; i--) {
        switch (gen_below(g, 5)) {
        case 0: gen_pushad(g); break;
        case 1: case 2: gen_push(g); break;
        default: gen_pop(g); break;
        }
    }
}

void gen_flagops(struct gen *g)
{
    switch (gen_below(g, 7)) {
    case 0:
        if (g->busy & 1)
            return;
        flags_need(g, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF);
        emit(g, "lahf");
        break;
    case 1:
        emit(g, "sahf");
        flags_set(g, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, 0);
        break;
    case 2: emit(g, "clc"); flags_set(g, FL_CF, 0); break;
    case 3: emit(g, "stc"); flags_set(g, FL_CF, 0); break;
    case 4: flags_need(g, FL_CF); emit(g, "cmc"); break;
    case 5:
        if (g->esp - 4 < STACK_LO)
            return;
        emit(g, "push dword 0x%x", (gen_rand(g) & (FL_ARITH | FL_DF)) | 2);
        emit(g, "popfd");
        g->defined = FL_ARITH;
        break;
    default:
        emit(g, gen_below(g, 2) ? "std" : "cld");
        break;
    }
}

/* Loops: LOOP (with JECXZ guarding a zero count), LOOPE/LOOPNE, and a
 * DEC/JNZ loop on EDX.  The counter's register is busy inside the body. */
void gen_loop(struct gen *g)
{
    int top = g->label++, end = g->label++, kind = (int)gen_below(g, 3);
    int n = 1 + (int)gen_below(g, 6), body = 1 + (int)gen_below(g, 3);
    unsigned before = g->defined;

    if (g->busy)
        return;
    if (kind < 2) {
        int guard = gen_below(g, 2);
        if (guard)
            n--;
        g->busy = 2;
        emit(g, "mov ecx, %d", n);
        if (guard)
            emit(g, "jecxz .L%d", end);
        fprintf(g->out, ".L%d:\n", top);
        while (body--)
            gen_body_op(g);
        if (kind == 0) {
            emit(g, "loop .L%d", top);
        } else {
            flags_need(g, FL_ZF);
            emit(g, "%s .L%d", gen_below(g, 2) ? "loope" : "loopne", top);
        }
        fprintf(g->out, ".L%d:\n", end);
        if (guard)
            g->defined &= before;
    } else {
        g->busy = 4;
        emit(g, "mov edx, %d", n);
        fprintf(g->out, ".L%d:\n", top);
        while (body--)
            gen_body_op(g);
        emit(g, "dec edx");
        emit(g, "jnz .L%d", top);
        flags_set(g, FL_ARITH & ~FL_CF, 0);
    }
    g->busy = 0;
}
