/*
 * tests/diff/gen.c - differential-test generator: random state, operands,
 * flag bookkeeping, the frame of each case, and main().
 *
 *   diffgen SEED COUNT OUT.asm
 *
 * writes COUNT cases (nasm, %include "case.inc") derived only from SEED.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"

const char *const preg_name[P_COUNT] = { "ebx", "esi", "edi", "ebp" };

/* xorshift64* : small, good enough, and the same on every host. */
uint32_t gen_rand(struct gen *g)
{
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return (uint32_t)((g->rng * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t gen_below(struct gen *g, uint32_t n)
{
    return n ? gen_rand(g) % n : 0;
}

int gen_range(struct gen *g, int lo, int hi)
{
    return lo + (int)gen_below(g, (uint32_t)(hi - lo + 1));
}

/* Uniform values rarely hit the corners where flags get interesting, so mix
 * in 0, all-ones, sign boundaries and small numbers. */
uint32_t gen_value(struct gen *g)
{
    static const uint32_t edge[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0xfffffffe, 0x80000001, 0x0f0f0f0f,
    };
    switch (gen_below(g, 8)) {
    case 0: return edge[gen_below(g, sizeof edge / sizeof edge[0])];
    case 1: return gen_below(g, 64);
    case 2: return (uint32_t)-(int)gen_below(g, 64);
    default: return gen_rand(g);
    }
}

void emit(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    fputs("  ", g->out);
    va_start(ap, fmt);
    vfprintf(g->out, fmt, ap);
    va_end(ap);
    fputc('\n', g->out);
}

void flags_set(struct gen *g, unsigned def, unsigned undef)
{
    g->defined = (g->defined | def) & ~undef;
}

void flags_need(struct gen *g, unsigned need)
{
    if ((need & ~g->defined) == 0)
        return;
    /* CMP defines all six arithmetic flags and writes no register. */
    emit(g, "cmp %s, %s", vreg(g, 32), vreg(g, 32));
    g->defined = FL_ARITH;
}

static const char *const regs8[] = { "al", "cl", "dl", "ah", "ch", "dh" };
static const char *const regs16[] = { "ax", "cx", "dx" };
static const char *const regs32[] = { "eax", "ecx", "edx" };

const char *reg_part(int idx, int size)
{
    switch (size) {
    case 8: return regs8[idx];
    case 16: return regs16[idx];
    default: return regs32[idx];
    }
}

/* A value register of `size` that is not busy (8-bit: al..dh, family = idx % 3). */
const char *vreg(struct gen *g, int size)
{
    int n = size == 8 ? 6 : 3, idx;
    if ((g->busy & 7) == 7)
        abort();
    do
        idx = (int)gen_below(g, (uint32_t)n);
    while (g->busy & (1u << (idx % 3)));
    return reg_part(idx, size);
}

/* A value register whose name differs from `avoid` (same family allowed). */
const char *vreg_not(struct gen *g, int size, const char *avoid)
{
    const char *r;
    do
        r = vreg(g, size);
    while (strcmp(r, avoid) == 0);
    return r;
}

const char *size_kw(int size)
{
    return size == 8 ? "byte" : size == 16 ? "word" : "dword";
}

/* Pick a displacement so that base offset `off` + disp covers [lo, hi]. */
static int pick_disp(struct gen *g, int off, int lo, int hi)
{
    int t;
    if (gen_below(g, 2)) {          /* prefer a disp8 when it can reach */
        int a = off - 128 > lo ? off - 128 : lo;
        int b = off + 127 < hi ? off + 127 : hi;
        if (a <= b)
            return gen_range(g, a, b) - off;
    }
    t = gen_range(g, lo, hi);
    return t - off;
}

static void fmt_disp(char *s, int disp)
{
    if (disp < 0)
        sprintf(s, "-%d", -disp);
    else
        sprintf(s, "+%d", disp);
}

const char *mem(struct gen *g, int size, char *buf)
{
    return mem_span(g, size, size / 8, buf);
}

/* Now and then an explicit DS/ES/SS override: flat on both sides, but the
 * translator has to honour the prefix (FS/GS differ: Linux uses them). */
static const char *seg_prefix(struct gen *g)
{
    static const char *const seg[] = { "ds:", "es:", "ss:" };
    return gen_below(g, 8) ? "" : seg[gen_below(g, 3)];
}

const char *mem_span(struct gen *g, int size, int bytes, char *buf)
{
    char d[16];

    /* [esi+ecx*4+disp]: bound ECX to 0..255 first (MOVZX leaves flags). */
    if (!(g->busy & 2) && g->poff[P_ESI] >= 0 && g->poff[P_ESI] <= 2048 &&
        gen_below(g, 3) == 0) {
        int base = g->poff[P_ESI];
        fmt_disp(d, pick_disp(g, base, 0, DIFF_BUF_SIZE - bytes - 1020));
        emit(g, "movzx ecx, cl");
        sprintf(buf, "%s [%sesi+ecx*4%s]", size_kw(size), seg_prefix(g), d);
        return buf;
    }
    for (;;) {
        int p = gen_below(g, 3) ? P_EBX : (int)gen_below(g, P_COUNT);
        int off = g->poff[p];
        if (off < 0)
            continue;
        fmt_disp(d, pick_disp(g, off, 0, DIFF_BUF_SIZE - bytes));
        sprintf(buf, "%s [%s%s%s]", size_kw(size), seg_prefix(g), preg_name[p], d);
        return buf;
    }
}

/* ---- one case ---- */

struct tmpl {
    const char *name;
    void (*fn)(struct gen *g);
    int weight;
};

static const struct tmpl templates[] = {
    { "alu", gen_alu, 14 },      { "unary", gen_unary, 4 },
    { "shift", gen_shift, 10 },  { "shxd", gen_shxd, 4 },
    { "muldiv", gen_muldiv, 7 }, { "bits", gen_bits, 5 },
    { "cond", gen_cond, 5 },     { "xchg", gen_xchg, 4 },
    { "movx", gen_movx, 4 },     { "lea", gen_lea, 3 },
    { "string", gen_string, 6 }, { "stack", gen_stack, 5 },
    { "flags", gen_flagops, 3 }, { "loop", gen_loop, 3 },
};
#define NTEMPLATES (int)(sizeof templates / sizeof templates[0])

static const struct tmpl *pick_template(struct gen *g)
{
    int total = 0, r;
    for (int i = 0; i < NTEMPLATES; i++)
        total += templates[i].weight;
    r = (int)gen_below(g, (uint32_t)total);
    for (int i = 0; i < NTEMPLATES; i++) {
        if (r < templates[i].weight)
            return &templates[i];
        r -= templates[i].weight;
    }
    return &templates[0];
}

/* Loop bodies reuse the simple templates. */
void gen_body_op(struct gen *g)
{
    switch (gen_below(g, 3)) {
    case 0: gen_alu(g); break;
    case 1: gen_unary(g); break;
    default: gen_movx(g); break;
    }
}

static void gen_case(struct gen *g, int id)
{
    const struct tmpl *ops[12];
    int nops = 1 + (int)gen_below(g, 12);
    uint32_t fl;
    char name[48] = "";

    for (int i = 0; i < nops; i++)
        ops[i] = pick_template(g);
    snprintf(name, sizeof name, "%s", ops[0]->name);
    fprintf(g->out, "\n; case %d\nCASE \"%s/%d\"\n", id, name, nops);

    g->esp = (int)(DIFF_ESP0 - DIFF_AREA) - 4 * (int)gen_below(g, 64);
    emit(g, "mov esp, 0x%x", DIFF_AREA + g->esp);
    /* Random arithmetic flags and DF; bit 1 reads as 1 anyway. */
    fl = (gen_rand(g) & (FL_ARITH | FL_DF)) | 2;
    emit(g, "push dword 0x%x", fl);
    emit(g, "popfd");
    g->defined = FL_ARITH;
    for (int i = 0; i < 3; i++)
        emit(g, "mov %s, 0x%x", regs32[i], gen_value(g));
    for (int p = 0; p < P_COUNT; p++) {
        g->poff[p] = (int)gen_below(g, DIFF_BUF_SIZE);
        if (p == P_ESI)
            g->poff[p] = (int)gen_below(g, 1024);
        emit(g, "mov %s, 0x%x", preg_name[p], DIFF_AREA + g->poff[p]);
    }
    for (int i = 0; i < nops; i++)
        ops[i]->fn(g);
    fprintf(g->out, "CASE_END 0x%x\n", g->defined | FL_DF);
}

int main(int argc, char **argv)
{
    struct gen g;
    unsigned long seed;
    int count;

    if (argc != 4) {
        fprintf(stderr, "usage: diffgen SEED COUNT OUT.asm\n");
        return 2;
    }
    memset(&g, 0, sizeof g);
    seed = strtoul(argv[1], NULL, 0);
    count = atoi(argv[2]);
    g.rng = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull;
    if (g.rng == 0)
        g.rng = 1;
    g.out = fopen(argv[3], "w");
    if (!g.out) {
        perror(argv[3]);
        return 1;
    }
    fprintf(g.out, "; generated by diffgen %lu %d: do not edit\n%%include \"case.inc\"\n",
            seed, count);
    for (int i = 0; i < count; i++) {
        g.label = 0;
        gen_case(&g, i);
    }
    fprintf(g.out, "\nCASE_TABLE\n");
    if (fclose(g.out) != 0) {
        perror(argv[3]);
        return 1;
    }
    return 0;
}
