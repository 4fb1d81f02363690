/*
 * smc - self-modifying code: a store to bytes that were translated must be
 * seen by the next execution of those bytes, whoever writes them (the code
 * itself, other code, string instructions); a store to data that shares a
 * page with translated code must not break that code (SDM vol. 3 section
 * 8.1.3).  The code that changes lives in smc_code.asm.
 */
#include "rt.h"

extern uint32_t smc_loop_patch(void), smc_next(uint32_t), smc_get(void), page_fn(void);
extern void smc_set(uint32_t);
extern char snip_a[], snip_a_end[], snip_b[], snip_b_end[];
extern volatile uint32_t page_data;
extern volatile uint8_t page_spare[64];

static uint8_t jit[64] __attribute__((aligned(16)));

static void check_loop_patch(void)
{
    for (int i = 0; i < 3; i++)
        CHECK_EQ(1, smc_loop_patch(), 505, "sum of a loop that patches its own ADD immediate");
}

static void check_next_insn(void)
{
    for (uint32_t v = 1; v <= 50; v++)
        CHECK_EQ(2, smc_next(v * 3), v * 3, "MOV EAX, imm32 right after the store to its immediate");
}

static void check_cross_patch(void)
{
    for (int i = 0; i < 20; i++)
        CHECK_EQ(3, smc_get(), 0x600D, "the immediate before any patch");
    for (uint32_t v = 1; v <= 20; v++) {
        smc_set(v * 0x01010101u);
        for (int i = 0; i < 5; i++)
            CHECK_EQ(4, smc_get(), v * 0x01010101u, "the immediate after smc_set()");
    }
}

typedef uint32_t (*fn_t)(void);

static void copy_with_movsb(void *dst, const void *src, uint32_t n)
{
    asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
}

static void check_generated_code(void)
{
    fn_t f = (fn_t)(void *)jit;
    for (int round = 0; round < 10; round++) {
        /* Bytewise stores... */
        memcpy(jit, snip_a, snip_a_end - snip_a);
        for (int i = 0; i < 5; i++)
            CHECK_EQ(5, f(), 0xAAAA, "code copied into a buffer (snippet A)");
        /* ...and a string instruction overwrite the same buffer. */
        copy_with_movsb(jit, snip_b, snip_b_end - snip_b);
        for (int i = 0; i < 5; i++)
            CHECK_EQ(6, f(), 0x1616, "code copied over it with REP MOVSB (snippet B)");
        /* Patch one byte of B's immediate with REP STOSB. */
        uint8_t *imm = jit + 1;
        uint32_t n = 1;
        asm volatile("rep stosb" : "+D"(imm), "+c"(n) : "a"(0x0C) : "memory");
        CHECK_EQ(7, f(), 0x1618, "snippet B after REP STOSB on its immediate");
    }
}

static void check_shared_page(void)
{
    for (uint32_t v = 0; v < 1000; v++) {
        page_data = v;
        CHECK_EQ(8, page_fn(), v + 1, "code reading data written in its own page");
        page_spare[v % 64] = (uint8_t)v;
    }
    for (uint32_t i = 0; i < 64; i++) {
        uint32_t last = i + 64 * ((999 - i) / 64);      /* last v with v % 64 == i */
        CHECK_EQ(9, page_spare[i], (uint8_t)last, "bytes written next to translated code");
    }
}

void test_main(void)
{
    check_loop_patch();
    check_next_insn();
    check_cross_patch();
    check_generated_code();
    check_shared_page();
}
