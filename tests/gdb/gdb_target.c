/*
 * gdb_target - the guest the gdb integration tests debug (tests/gdb).
 *
 * It computes a sum through a function that is not inlined (a place to
 * break and read arguments), bumps a global counter (a variable to watch),
 * reads a constant through a pointer (a read watchpoint), runs a straight
 * line of one-byte instructions (ten single steps land at a known address)
 * and then passes.  Everything the tests look at has external linkage and
 * a fixed address, so that the ELF's symbols name it for gdb.
 */
#include "rt.h"

volatile uint32_t gdb_counter;
volatile uint32_t gdb_magic = 0x1234abcd;
uint32_t gdb_sum;

/* gdb_straight: xor eax, eax, then twelve 1-byte INC EAX: after the XOR
 * and nine INCs, EIP = gdb_straight + 11 and EAX = 9. */
uint32_t gdb_straight(void);
asm(".text\n"
    ".globl gdb_straight\n"
    ".type gdb_straight, @function\n"
    "gdb_straight:\n"
    "    xorl %eax, %eax\n"
    "    .rept 12\n"
    "    incl %eax\n"
    "    .endr\n"
    "    ret\n"
    ".size gdb_straight, . - gdb_straight\n");

__attribute__((noinline)) uint32_t gdb_add(uint32_t a, uint32_t b)
{
    return a + b + (gdb_magic & 1);
}

__attribute__((noinline)) void gdb_bump(void)
{
    gdb_counter = gdb_counter + 1;
}

void test_main(void)
{
    uint32_t sum = 0;
    for (uint32_t i = 1; i <= 4; i++)
        sum = gdb_add(sum, i);
    gdb_sum = sum;
    gdb_bump();
    gdb_bump();
    uint32_t steps = gdb_straight();
    CHECK_EQ(1, sum, 14, "sum");
    CHECK_EQ(2, gdb_counter, 2, "counter");
    CHECK_EQ(3, steps, 12, "straight line");
    rt_printf("gdb_target: sum %u, counter %u\n", sum, gdb_counter);
}
