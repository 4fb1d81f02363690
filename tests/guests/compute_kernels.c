/*
 * compute_kernels.c - ring-0 compute kernels in C (see compute.h); the
 * assembly ones are in compute_asm.asm.  Nothing here may depend on where
 * the program is loaded: checksums fold values and offsets, never addresses.
 */
#include <stddef.h>
#include "compute.h"

uint32_t k_string(uint32_t), k_stack(uint32_t), k_calls(uint32_t),
    k_xlat16(uint32_t), k_bits(uint32_t), k_atomic(uint32_t), k_cond(uint32_t),
    k_muldiv(uint32_t), k_loops(uint32_t), k_arith(uint32_t);

static uint32_t mix(uint32_t h, uint32_t v)
{
    return ((h << 5) | (h >> 27)) ^ v ^ 0x9E3779B9u;
}

static uint32_t next(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x1234567u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Insertion sort and a binary search over the result. */
static uint32_t c_sort(uint32_t seed)
{
    int32_t a[96];
    for (int i = 0; i < 96; i++)
        a[i] = (int32_t)next(&seed) >> (i & 7);
    for (int i = 1; i < 96; i++) {
        int32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
    uint32_t h = 0;
    for (int i = 0; i < 96; i++)
        h = mix(h, (uint32_t)a[i]);
    for (int k = 0; k < 16; k++) {
        int32_t key = a[(k * 7) % 96];
        int lo = 0, hi = 95;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (a[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        h = mix(h, (uint32_t)lo);
    }
    return h;
}

/* CRC-32 (IEEE), bit by bit. */
static uint32_t c_crc32(uint32_t seed)
{
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)next(&seed);
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < sizeof buf; i++) {
        crc ^= buf[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

/* Sieve of Eratosthenes up to a seed-dependent bound. */
static uint32_t c_sieve(uint32_t seed)
{
    static uint8_t composite[4096];
    uint32_t n = 2000 + (seed & 2047);
    for (uint32_t i = 0; i < n; i++)
        composite[i] = 0;
    uint32_t count = 0, h = 0;
    for (uint32_t i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        h = mix(h, i);
        for (uint32_t j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    return mix(h, count);
}

/* 64-bit arithmetic: libgcc's division helpers, shifts, multiplies. */
static uint32_t c_int64(uint32_t seed)
{
    uint64_t x = ((uint64_t)next(&seed) << 32) | next(&seed);
    int64_t y = (int64_t)x;
    uint32_t h = 0;
    for (int i = 1; i < 40; i++) {
        uint64_t d = ((uint64_t)next(&seed) << (i % 24)) | 1;
        h = mix(h, (uint32_t)(x / d));
        h = mix(h, (uint32_t)(x % d));
        h = mix(h, (uint32_t)((uint64_t)(y / (int64_t)(d | 0x100)) >> 7));
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        y = (y >> (i % 63)) ^ (int64_t)(x << (i % 17));
        h = mix(h, (uint32_t)(x >> 32));
    }
    return h;
}

/* A switch dense enough to become a jump table, and function pointers. */
static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_rot(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - (b & 31)) & 31)); }
static uint32_t (*const ops[])(uint32_t, uint32_t) = { op_add, op_xor, op_rot };

static uint32_t __attribute__((noinline)) c_switch_step(uint32_t h, uint32_t v)
{
    switch (v % 11) {
    case 0: return h + 1;
    case 1: return h * 3;
    case 2: return h ^ v;
    case 3: return h - v;
    case 4: return h >> 3;
    case 5: return h << 2;
    case 6: return ~h;
    case 7: return h + (v >> 4);
    case 8: return h * 0x01000193u;
    case 9: return h | (v & 0xF0F0);
    default: return h & ~(v << 1);
    }
}

static uint32_t c_dispatch(uint32_t seed)
{
    uint32_t h = seed;
    for (int i = 0; i < 400; i++) {
        uint32_t v = next(&seed);
        h = c_switch_step(h, v);
        h = ops[v % 3](h, v >> 8);
    }
    return h;
}

/* Struct copies and byte-wise string handling. */
struct rec {
    uint32_t key;
    uint16_t small;
    uint8_t tag;
    char name[21];
};

static uint32_t c_structs(uint32_t seed)
{
    struct rec recs[24], tmp;
    for (int i = 0; i < 24; i++) {
        recs[i].key = next(&seed);
        recs[i].small = (uint16_t)(recs[i].key >> 7);
        recs[i].tag = (uint8_t)i;
        for (int j = 0; j < 20; j++)
            recs[i].name[j] = (char)('a' + (recs[i].key >> j) % 26);
        recs[i].name[20] = 0;
    }
    /* Reverse with whole-struct copies. */
    for (int i = 0; i < 12; i++) {
        tmp = recs[i];
        recs[i] = recs[23 - i];
        recs[23 - i] = tmp;
    }
    uint32_t h = 0;
    for (int i = 0; i < 24; i++) {
        const char *p = recs[i].name;
        uint32_t len = 0;
        while (p[len])
            len++;
        int vowels = 0;
        for (uint32_t j = 0; j < len; j++)
            vowels += p[j] == 'a' || p[j] == 'e' || p[j] == 'i' || p[j] == 'o' || p[j] == 'u';
        h = mix(h, recs[i].key ^ recs[i].small ^ recs[i].tag);
        h = mix(h, len * 256 + (uint32_t)vowels);
    }
    return h;
}

/* Deep recursion: Ackermann(2, n) and a recursive tree walk. */
static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static uint32_t tree(uint32_t depth, uint32_t v)
{
    if (depth == 0)
        return v * 2654435761u;
    return tree(depth - 1, v * 2 + 1) ^ (tree(depth - 1, v * 2) >> 1);
}

static uint32_t c_recursion(uint32_t seed)
{
    return mix(ack(2, 20 + (seed & 15)), tree(9, seed));
}

const struct compute_kernel compute_kernels[] = {
    { "string (REP MOVS/STOS/CMPS/SCAS/LODS, DF=0 and DF=1)", k_string },
    { "stack (PUSHA/POPA, ENTER/LEAVE, RET imm16, PUSH/POP m32)", k_stack },
    { "calls (call and jump tables, indirect calls, recursion)", k_calls },
    { "xlat16 (XLAT, 16-bit MOVS/STOS/arithmetic, MOVZX/MOVSX)", k_xlat16 },
    { "bits (BT/BTS/BTR/BTC, BSF/BSR, SHLD/SHRD)", k_bits },
    { "atomic (CMPXCHG, XADD, BSWAP, XCHG, CMPXCHG8B, LOCK)", k_atomic },
    { "cond (SETcc, CMOVcc)", k_cond },
    { "muldiv (MUL/IMUL/DIV/IDIV 8/16/32)", k_muldiv },
    { "loops (LOOP/LOOPE/LOOPNE/JECXZ)", k_loops },
    { "arith (ADC/SBB, INC/DEC, shifts, rotates, BCD)", k_arith },
    { "c_sort", c_sort },
    { "c_crc32", c_crc32 },
    { "c_sieve", c_sieve },
    { "c_int64", c_int64 },
    { "c_dispatch", c_dispatch },
    { "c_structs", c_structs },
    { "c_recursion", c_recursion },
};

const unsigned compute_nkernels = sizeof compute_kernels / sizeof compute_kernels[0];
const uint32_t compute_seeds[COMPUTE_NSEEDS] = { 1, 0x12345678, 0xDEADBEEF, 0x80000000 };
