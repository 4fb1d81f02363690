/*
 * bench/ring0/kernels.c - the kernels.  Freestanding C (no libc), so the
 * guest and the native program run exactly the same code.  Built with
 * -fno-tree-loop-distribute-patterns so that the byte loop stays a loop
 * instead of becoming a memcpy call.
 */
#include "kernels.h"

#define NOINLINE __attribute__((noinline, noipa))

#define COPY_BYTES (64 * 1024)
#define SORT_N     (128 * 1024)

static uint32_t src_buf[COPY_BYTES / 4], dst_buf[COPY_BYTES / 4];
static uint32_t sort_buf[SORT_N];

static uint32_t sum_words(const uint32_t *p, uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i += 61)
        s = s * 31 + p[i];
    return s;
}

/* Integer ALU work: multiply, shifts, a data-dependent branch. */
static NOINLINE uint32_t k_int_loop(void)
{
    uint32_t x = 1, s = 0;
    for (uint32_t i = 0; i < 40u * 1000 * 1000; i++) {
        x = x * 1103515245u + 12345u;
        s += (x >> 16) ^ i;
        if (x & 0x100)
            s += 3;
    }
    return s;
}

static void fill(uint32_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        p[i] = seed;
    }
}

/* REP MOVSD: the string instruction the translator must expand. */
static NOINLINE uint32_t k_copy_rep(void)
{
    fill(src_buf, COPY_BYTES / 4, 7);
    for (int r = 0; r < 20000; r++) {
        uint32_t n = COPY_BYTES / 4;
        void *d = dst_buf, *s = src_buf;
        src_buf[r & 1023] += (uint32_t)r;
        __asm__ volatile("cld; rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    }
    return sum_words(dst_buf, COPY_BYTES / 4);
}

/* The same copy as a byte loop: loads, stores, a counted loop. */
static NOINLINE uint32_t k_copy_byte(void)
{
    fill(src_buf, COPY_BYTES / 4, 9);
    for (int r = 0; r < 3000; r++) {
        const volatile uint8_t *s = (const uint8_t *)src_buf;
        uint8_t *d = (uint8_t *)dst_buf;
        src_buf[r & 1023] += (uint32_t)r;
        for (uint32_t i = 0; i < COPY_BYTES; i++)
            d[i] = s[i];
    }
    return sum_words(dst_buf, COPY_BYTES / 4);
}

/* Direct calls and returns: naive recursion. */
static NOINLINE uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static NOINLINE uint32_t k_calls(void)
{
    return fib(34);
}

/* Indirect calls through a table (and the returns from them). */
static NOINLINE uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static NOINLINE uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ (b << 3); }
static NOINLINE uint32_t op_mul(uint32_t a, uint32_t b) { return a * 3 + b; }
static NOINLINE uint32_t op_rot(uint32_t a, uint32_t b) { return (a << 7 | a >> 25) - b; }

static uint32_t (*const volatile ops[4])(uint32_t, uint32_t) = { op_add, op_xor, op_mul, op_rot };

static NOINLINE uint32_t k_indirect(void)
{
    uint32_t s = 1;
    for (uint32_t i = 0; i < 10u * 1000 * 1000; i++)
        s = ops[(s ^ i) & 3](s, i);
    return s;
}

/* Quicksort: compares, unpredictable branches, recursion, swaps. */
static void qsort_u32(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t p = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            qsort_u32(a, lo, j);
            lo = i;
        } else {
            qsort_u32(a, i, hi);
            hi = j;
        }
    }
}

static NOINLINE uint32_t k_sort(void)
{
    uint32_t s = 0;
    for (int r = 0; r < 4; r++) {
        fill(sort_buf, SORT_N, 11 + (uint32_t)r);
        qsort_u32(sort_buf, 0, SORT_N - 1);
        s = s * 7 + sum_words(sort_buf, SORT_N);
        for (int i = 1; i < SORT_N; i++)
            if (sort_buf[i - 1] > sort_buf[i])
                return 0;   /* not sorted: the checksum shows it */
    }
    return s;
}

struct kernel {
    const char *name;
    uint32_t (*fn)(void);
};

static const struct kernel kernels[] = {
    { "int_loop", k_int_loop },   { "copy_rep_movsd", k_copy_rep },
    { "copy_byte_loop", k_copy_byte }, { "calls_fib34", k_calls },
    { "indirect_calls", k_indirect }, { "quicksort", k_sort },
};

static char *put_dec(char *s, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *s++ = tmp[--n];
    return s;
}

static char *put_str(char *s, const char *t)
{
    while (*t)
        *s++ = *t++;
    return s;
}

void bench_run_all(int reps)
{
    char line[128];

    for (unsigned k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        uint64_t best = ~0ull;
        uint32_t sum = 0;
        for (int r = 0; r < reps; r++) {
            uint64_t t0 = bench_now();
            sum = kernels[k].fn();
            uint64_t t = bench_now() - t0;
            if (t < best)
                best = t;
        }
        char *s = put_str(line, "bench ");
        s = put_str(s, kernels[k].name);
        *s++ = ' ';
        s = put_dec(s, best);
        *s++ = ' ';
        s = put_dec(s, sum);
        *s++ = '\n';
        *s = 0;
        bench_puts(line);
    }
}
