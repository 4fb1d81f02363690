/*
 * tests/diff/runner.c - fill the area, run each case, format its line.
 * Freestanding: no libc, because the guest build links it too.
 */
#include "diff_layout.h"
#include "runner.h"

volatile uint32_t diff_current;

/* Deterministic contents for case i: xorshift32 seeded from the index. */
static void fill_area(uint32_t i)
{
    uint32_t *p = (uint32_t *)DIFF_AREA, x = (i + 1) * 0x9E3779B9u;
    for (uint32_t n = 0; n < (DIFF_BUF_SIZE + DIFF_STACK_SIZE) / 4; n++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[n] = x;
    }
    for (uint32_t n = 0; n < 16; n++)
        ((uint32_t *)DIFF_RES)[n] = 0;
}

/* FNV-1a over 32-bit words. */
static uint32_t hash(uint32_t addr, uint32_t size)
{
    const uint32_t *p = (const uint32_t *)addr;
    uint32_t h = 2166136261u;
    for (uint32_t n = 0; n < size / 4; n++)
        h = (h ^ p[n]) * 16777619u;
    return h;
}

static char *put_hex(char *s, uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        *s++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
    return s;
}

static char *put_str(char *s, const char *t)
{
    while (*t)
        *s++ = *t++;
    return s;
}

static char *put_dec(char *s, uint32_t v, int width)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (width-- > n)
        *s++ = '0';
    while (n)
        *s++ = tmp[--n];
    return s;
}

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static void format_line(char *s, uint32_t i)
{
    const uint32_t *res = (const uint32_t *)DIFF_RES;
    uint32_t mask = diff_masks[i];

    s = put_dec(s, i, 5);
    *s++ = ' ';
    s = put_str(s, diff_names[i]);
    for (int r = 0; r < 8; r++) {
        *s++ = ' ';
        s = put_str(s, reg_names[r]);
        *s++ = '=';
        s = put_hex(s, res[r], 8);
    }
    s = put_str(s, " fl=");
    s = put_hex(s, res[8] & mask, 3);
    *s++ = '/';
    s = put_hex(s, mask, 3);
    s = put_str(s, " buf=");
    s = put_hex(s, hash(DIFF_BUF, DIFF_BUF_SIZE), 8);
    s = put_str(s, " stk=");
    s = put_hex(s, hash(DIFF_STACK, DIFF_STACK_SIZE), 8);
    *s++ = '\n';
    *s = 0;
}

int diff_run_all(diff_out_fn out)
{
    char line[256];

    if (diff_layout_check[0] != DIFF_AREA || diff_layout_check[1] != DIFF_RES) {
        out("diff: case.inc and diff_layout.h disagree on the area layout\n");
        return -1;
    }
    for (uint32_t i = 0; i < diff_ncases; i++) {
        diff_current = i;
        fill_area(i);
        diff_run(diff_cases[i]);
        format_line(line, i);
        out(line);
    }
    char *s = put_str(line, "end ");
    s = put_dec(s, diff_ncases, 1);
    *s++ = '\n';
    *s = 0;
    out(line);
    return 0;
}
