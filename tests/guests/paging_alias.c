/*
 * paging_alias - one physical page at several linear addresses: two
 * writable aliases in different page tables, a read-only one, and the
 * identity mapping.  All of them are the same memory (the monitor's views
 * map one memfd), each has its own accessed/dirty bits, a write through the
 * read-only alias faults with error 3 and CR2 (CR0.WP = 1), and unmapping
 * one alias leaves the others working (SDM vol. 3A 4.6, 4.7, 4.8).
 */
#include "paging_guest.h"

#define A1 0x40000000u          /* writable, pt_a[0] */
#define RO 0x40001000u          /* read-only, pt_a[1] */
#define A2 0x40802000u          /* writable, pt_b[2] (another table) */
#define LOW 0x00800000u         /* PDE 2: inside guest RAM, not identity-mapped */

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_b[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_2[1024] __attribute__((aligned(4096)));
static volatile uint32_t page[1024] __attribute__((aligned(4096)));
static volatile uint32_t other[1024] __attribute__((aligned(4096)));

void test_main(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W;
    pd[0] = (uint32_t)pt_low | PTE_P | PTE_W;
    pd[A1 >> 22] = (uint32_t)pt_a | PTE_P | PTE_W;
    pd[A2 >> 22] = (uint32_t)pt_b | PTE_P | PTE_W;
    pt_a[0] = (uint32_t)page | PTE_P | PTE_W;
    pt_a[1] = (uint32_t)page | PTE_P;
    pt_b[2] = (uint32_t)page | PTE_P | PTE_W;
    for (uint32_t i = 0; i < 1024; i++) {
        page[i] = 0xA0000000u | i;
        other[i] = 0xB0000000u | i;
    }

    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);

    /* Every alias reads the same bytes. */
    CHECK_EQ(1, peek(A1 + 0x10), 0xA0000004u, "A1");
    CHECK_EQ(2, peek(A2 + 0x10), 0xA0000004u, "A2");
    CHECK_EQ(3, peek(RO + 0x10), 0xA0000004u, "RO");
    /* Reads set A in each alias's own PTE, never D. */
    CHECK_EQ(4, pt_a[0] & (PTE_A | PTE_D), PTE_A, "A/D of A1's PTE after a read");
    CHECK_EQ(5, pt_b[2] & (PTE_A | PTE_D), PTE_A, "A/D of A2's PTE after a read");

    /* A write through one alias is seen through every other, at once. */
    poke(A1 + 0x20, 0x11111111);
    CHECK_EQ(6, peek(A2 + 0x20), 0x11111111, "A2 sees A1's write");
    CHECK_EQ(7, peek(RO + 0x20), 0x11111111, "RO sees A1's write");
    CHECK_EQ(8, page[8], 0x11111111, "identity sees A1's write");
    CHECK_EQ(9, pt_a[0] & PTE_D, PTE_D, "D of A1's PTE after its write");
    CHECK_EQ(10, pt_b[2] & PTE_D, 0, "D of A2's PTE: A2 was not written");
    poke(A2 + 0x24, 0x22222222);
    CHECK_EQ(11, peek(A1 + 0x24), 0x22222222, "A1 sees A2's write");
    CHECK_EQ(12, pt_b[2] & PTE_D, PTE_D, "D of A2's PTE after its write");
    page[10] = 0x33333333;
    CHECK_EQ(13, peek(A1 + 0x28) ^ peek(A2 + 0x28) ^ peek(RO + 0x28), 0x33333333,
             "all aliases see an identity write");

    /* Interleaved in a loop (translated code, no monitor exits). */
    for (uint32_t i = 0; i < 4096; i++) {
        uint32_t off = (i * 4) & 0xFFC;
        poke((i & 1 ? A1 : A2) + off, i);
        CHECK_EQ(14, peek((i & 1 ? A2 : A1) + off), i, "ping-pong between aliases");
        CHECK_EQ(15, peek(RO + off), i, "read-only alias in the loop");
    }

    for (uint32_t i = 0; i < 1024; i++)
        page[i] = 0xA0000000u | i;

    /* The read-only alias: a supervisor write with CR0.WP = 1 faults with
     * error P|W = 3 and CR2, and changes nothing. */
    page[0x30 / 4] = 0x44444444;
    uint32_t n0 = rt_trap.count;
    TRY("movl $0x55555555, (%0)", :: "r"(RO + 0x30) : "memory");
    rt_check_exc(16, n0, 14, 3, rt_try_insn, "write through the read-only alias");
    CHECK_EQ(17, READ_CR(2), RO + 0x30, "CR2 of that fault");
    CHECK_EQ(18, page[0x30 / 4], 0x44444444, "the faulting write changed nothing");
    CHECK_EQ(19, pt_a[1] & PTE_D, 0, "no D on the read-only alias");
    /* ... and a byte write that would cross into A1's neighbour, and a
     * string store. */
    n0 = rt_trap.count;
    TRY("movb $1, (%0)", :: "r"(RO + 0xFFF) : "memory");
    rt_check_exc(20, n0, 14, 3, rt_try_insn, "byte write to the read-only alias");
    CHECK_EQ(21, READ_CR(2), RO + 0xFFF, "CR2 of the byte write");
    n0 = rt_trap.count;
    uint32_t dst = RO + 0x100, cnt = 4;
    TRY("cld; rep stosl", : "+D"(dst), "+c"(cnt) : "a"(0) : "memory");
    CHECK_EQ(22, rt_trap.count, n0 + 1, "REP STOS to the read-only alias faults once");
    CHECK_EQ(23, rt_trap.f.error, 3, "REP STOS error code");
    CHECK_EQ(24, READ_CR(2), RO + 0x100, "REP STOS CR2");
    CHECK_EQ(25, page[0x100 / 4], 0xA0000040u, "nothing stored");
    /* The writable aliases still write. */
    poke(A1 + 0x30, 0x66666666);
    CHECK_EQ(26, peek(RO + 0x30), 0x66666666, "RO sees A1 after the faults");

    /* Unmap A1 (PTE cleared, INVLPG): A1 faults, A2 and RO still work. */
    pt_a[0] = 0;
    invlpg(A1);
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(A1 + 0x40) : "eax");
    rt_check_exc(27, n0, 14, 0, rt_try_insn, "read through the unmapped alias");
    CHECK_EQ(28, READ_CR(2), A1 + 0x40, "CR2");
    n0 = rt_trap.count;
    TRY("movl $7, (%0)", :: "r"(A1 + 0x44) : "memory");
    rt_check_exc(29, n0, 14, 2, rt_try_insn, "write through the unmapped alias");
    CHECK_EQ(30, page[0x44 / 4], 0xA0000011u, "the write did not land");
    poke(A2 + 0x48, 0x77777777);
    CHECK_EQ(31, peek(RO + 0x48), 0x77777777, "A2 -> RO after A1 was unmapped");
    CHECK_EQ(32, page[0x48 / 4], 0x77777777, "A2 -> identity");

    /* Remap A1 to another page: A1 shows it, the others still show page. */
    pt_a[0] = (uint32_t)other | PTE_P | PTE_W;
    invlpg(A1);
    CHECK_EQ(33, peek(A1 + 0x48), 0xB0000012u, "A1 now shows the other page");
    poke(A1 + 0x4C, 0x88888888);
    CHECK_EQ(34, other[0x4C / 4], 0x88888888, "A1 writes the other page");
    CHECK_EQ(35, peek(A2 + 0x4C), 0xA0000013u, "A2 still shows the first page");
    /* Unmap A2 too: RO is the last alias. */
    pt_b[2] = 0;
    invlpg(A2);
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(A2) : "eax");
    rt_check_exc(36, n0, 14, 0, rt_try_insn, "A2 unmapped");
    page[0x50 / 4] = 0x99999999;
    CHECK_EQ(37, peek(RO + 0x50), 0x99999999, "RO after both writable aliases went");

    /* A page table aliased as data: pt_a is also mapped writable at A2
     * (pt_b[2]).  Writing A1's PTE through it remaps A1 (after INVLPG). */
    pt_b[2] = (uint32_t)pt_a | PTE_P | PTE_W;
    invlpg(A2);
    poke(A2 + 0, (uint32_t)page | PTE_P | PTE_W);
    invlpg(A1);
    CHECK_EQ(38, peek(A1 + 0x50), 0x99999999, "A1 remapped through the page-table alias");
    CHECK_EQ(39, pt_a[0] & ~(PTE_A | PTE_D), (uint32_t)page | PTE_P | PTE_W, "pt_a[0]");

    /* An alias at a linear address inside guest RAM that the guest maps to
     * a different frame: the monitor must show the frame, never the
     * physical page of the same number (as with paging off). */
    pd[LOW >> 22] = (uint32_t)pt_2 | PTE_P | PTE_W;
    pt_2[0] = (uint32_t)page | PTE_P | PTE_W;
    CHECK_EQ(40, peek(LOW + 0x50), 0x99999999,
             "linear 0x800000 -> page (a stale identity mapping shows physical 0x800000)");
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(LOW + 0x1000) : "eax");
    rt_check_exc(41, n0, 14, 0, rt_try_insn,
                 "linear 0x801000 is not mapped (a stale identity mapping would read RAM)");

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("paging_alias: three aliases of one page\n");
}
