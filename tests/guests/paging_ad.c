/*
 * paging_ad - accessed and dirty bits as the processor sets them (SDM vol.
 * 3A 4.8): A in the PDE and the PTE on any access, D only in the PTE (or in
 * the PDE of a 4 MiB page) and only on a write; bits the guest clears (with
 * INVLPG) are set again by the next access; writes the monitor carries out
 * itself (an emulated SGDT, a string copy) set them too.  And CR0.WP for
 * supervisor writes to read-only pages (4.6): allowed with WP = 0, #PF with
 * error 3 with WP = 1, switched back and forth.
 */
#include "paging_guest.h"

#define AD (PTE_A | PTE_D)

#define TEST_VA 0x40000000u             /* PDE 256 -> pt_test, 4 KiB pages */
#define BIG_VA  0x80000000u             /* PDE 512: a 4 MiB page */
#define BIG_PA  0x00400000u             /* ... of physical 4..8 MiB */
#define NPAGES  8

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));  /* 0..8 MiB */
static volatile uint32_t pt_test[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame[NPAGES][1024] __attribute__((aligned(4096)));

static uint32_t va(uint32_t k) { return TEST_VA + k * 4096; }

#define CHECK_AD(n, entry, want, what) \
    CHECK_EQ(n, (entry) & AD, (want), what)

void test_main(void)
{
    for (uint32_t t = 0; t < 2; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            pt_low[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_W;
        pd[t] = (uint32_t)pt_low[t] | PTE_P | PTE_W;
    }
    pd[TEST_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W;
    pd[BIG_VA >> 22] = BIG_PA | PTE_P | PTE_W | PTE_PS;
    for (uint32_t k = 0; k < NPAGES; k++) {
        pt_test[k] = (uint32_t)frame[k] | PTE_P | PTE_W;
        frame[k][0] = 0xAD000000u | k;
    }
    pt_test[6] = (uint32_t)frame[6] | PTE_P | PTE_U;        /* read-only user page */
    pt_test[7] = (uint32_t)frame[7] | PTE_P;                /* read-only supervisor page */

    WRITE_CR(4, READ_CR(4) | CR4_PSE);
    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);

    /* Nothing touched yet. */
    CHECK_AD(1, pd[TEST_VA >> 22], 0, "PDE 256 before any access");
    CHECK_AD(2, pt_test[0], 0, "PTE 0 before any access");

    /* A read: A in the PDE and the PTE, no D. */
    CHECK_EQ(3, peek(va(0)), 0xAD000000u, "read page 0");
    CHECK_AD(4, pd[TEST_VA >> 22], PTE_A, "PDE 256 after a read");
    CHECK_AD(5, pt_test[0], PTE_A, "PTE 0 after a read");
    CHECK_AD(6, pt_test[1], 0, "PTE 1 untouched");
    /* A write: D in the PTE only; a PDE that names a table never gets D. */
    poke(va(0) + 8, 1);
    CHECK_AD(7, pt_test[0], AD, "PTE 0 after a write");
    CHECK_AD(8, pd[TEST_VA >> 22], PTE_A, "PDE 256 after a write");
    /* A first access that is a write sets both at once. */
    poke(va(1) + 8, 2);
    CHECK_AD(9, pt_test[1], AD, "PTE 1 after a write as first access");

    /* The guest clears A and D (and INVLPG): a read sets A only ... */
    pt_test[0] &= ~AD;
    invlpg(va(0));
    CHECK_EQ(10, peek(va(0) + 8), 1, "read page 0 again");
    CHECK_AD(11, pt_test[0], PTE_A, "PTE 0: A again after a read, no D");
    /* ... and a write D again. */
    poke(va(0) + 12, 3);
    CHECK_AD(12, pt_test[0], AD, "PTE 0: D again after a write");
    /* Only D cleared (A kept): the next write sets it again. */
    for (int round = 0; round < 10; round++) {
        pt_test[0] &= ~PTE_D;
        invlpg(va(0));
        CHECK_EQ(13, peek(va(0) + 8), 1, "read before the write");
        CHECK_AD(14, pt_test[0], PTE_A, "D stays clear on reads");
        poke(va(0) + 16, (uint32_t)round);
        CHECK_AD(15, pt_test[0], AD, "D set again by the write");
    }
    /* A cleared in the PDE: the next access through it sets it again. */
    pd[TEST_VA >> 22] &= ~PTE_A;
    invlpg(va(2));
    CHECK_EQ(16, peek(va(2)), 0xAD000002u, "read page 2");
    CHECK_AD(17, pd[TEST_VA >> 22], PTE_A, "PDE 256 after A was cleared");
    CHECK_AD(18, pt_test[2], PTE_A, "PTE 2 after its read");

    /* A 4 MiB page: A and D live in the PDE. */
    volatile uint32_t *big = (volatile uint32_t *)(BIG_PA + 0x12340);
    *big = 0xB1600000u;                     /* through the identity map (pt_low[1]) */
    CHECK_AD(19, pd[BIG_VA >> 22], 0, "4 MiB PDE before any access");
    CHECK_EQ(20, peek(BIG_VA + 0x12340), 0xB1600000u, "read through the 4 MiB page");
    CHECK_AD(21, pd[BIG_VA >> 22], PTE_A, "4 MiB PDE after a read");
    poke(BIG_VA + 0x3FF000, 5);
    CHECK_AD(22, pd[BIG_VA >> 22], AD, "4 MiB PDE after a write");
    CHECK_EQ(23, *(volatile uint32_t *)(BIG_PA + 0x3FF000), 5, "write landed at 4 MiB + 0x3FF000");
    pd[BIG_VA >> 22] &= ~AD;
    invlpg(BIG_VA + 0x200000);             /* any address inside the page */
    CHECK_EQ(24, peek(BIG_VA + 0x12340), 0xB1600000u, "read again");
    CHECK_AD(25, pd[BIG_VA >> 22], PTE_A, "4 MiB PDE: A again, no D");
    poke(BIG_VA + 0x100, 6);
    CHECK_AD(26, pd[BIG_VA >> 22], AD, "4 MiB PDE: D again");

    /* Writes the monitor makes itself: SGDT is emulated and stores 6 bytes. */
    pt_test[3] &= ~AD;
    invlpg(va(3));
    asm volatile("sgdt (%0)" :: "r"(va(3) + 0x40) : "memory");
    CHECK_AD(27, pt_test[3], AD, "PTE 3 after an SGDT store");
    CHECK_EQ(28, frame[3][0x40 / 4 + 1] & 0xFFFF, rt_gdtr.base >> 16, "SGDT stored the base");
    /* A string copy from page 4 to page 5: A on the source, A and D on the
     * destination. */
    pt_test[4] &= ~AD;
    pt_test[5] &= ~AD;
    invlpg(va(4));
    invlpg(va(5));
    uint32_t src = va(4), dst = va(5), cnt = 256;
    asm volatile("cld; rep movsl" : "+S"(src), "+D"(dst), "+c"(cnt) :: "memory");
    CHECK_AD(29, pt_test[4], PTE_A, "source of REP MOVS");
    CHECK_AD(30, pt_test[5], AD, "destination of REP MOVS");
    CHECK_EQ(31, frame[5][0], 0xAD000004u, "REP MOVS copied");

    /* A fault sets no D: a write to a read-only page with WP = 1. */
    CHECK_EQ(32, peek(va(6)), 0xAD000006u, "read the read-only user page");
    uint32_t n0 = rt_trap.count;
    TRY("movl $7, (%0)", :: "r"(va(6) + 4) : "memory");
    rt_check_exc(33, n0, 14, 3, rt_try_insn, "WP = 1: supervisor write to a read-only user page");
    CHECK_EQ(34, READ_CR(2), va(6) + 4, "CR2");
    CHECK_AD(35, pt_test[6], PTE_A, "no D after the faulting write");

    /* CR0.WP off and on, several times. */
    for (int round = 0; round < 4; round++) {
        WRITE_CR(0, READ_CR(0) & ~CR0_WP);
        n0 = rt_trap.count;
        poke(va(6) + 4, 0x100u + round);
        poke(va(7) + 4, 0x200u + round);
        rt_check_no_exc(36, n0, "WP = 0: supervisor writes to read-only pages");
        CHECK_EQ(37, frame[6][1], 0x100u + round, "WP = 0 write to the read-only user page");
        CHECK_EQ(38, frame[7][1], 0x200u + round, "WP = 0 write to the read-only supervisor page");
        CHECK_AD(39, pt_test[6], AD, "D set by the WP = 0 write (user page)");
        CHECK_AD(40, pt_test[7], AD, "D set by the WP = 0 write (supervisor page)");
        pt_test[6] &= ~PTE_D;
        pt_test[7] &= ~PTE_D;
        invlpg(va(6));
        invlpg(va(7));

        WRITE_CR(0, READ_CR(0) | CR0_WP);
        n0 = rt_trap.count;
        TRY("movl $9, (%0)", :: "r"(va(6) + 8) : "memory");
        rt_check_exc(41, n0, 14, 3, rt_try_insn, "WP = 1 again: user read-only page");
        CHECK_EQ(42, READ_CR(2), va(6) + 8, "CR2");
        n0 = rt_trap.count;
        TRY("movl $9, (%0)", :: "r"(va(7) + 8) : "memory");
        rt_check_exc(43, n0, 14, 3, rt_try_insn, "WP = 1 again: supervisor read-only page");
        CHECK_EQ(44, frame[6][2] | frame[7][2], 0, "the faulting writes changed nothing");
        CHECK_AD(45, pt_test[6] | pt_test[7], PTE_A, "no D after faulting writes");
    }
    /* A read-only PDE over a writable PTE is read-only too (WP = 1). */
    pd[TEST_VA >> 22] &= ~PTE_W;
    invlpg(va(0));
    n0 = rt_trap.count;
    TRY("movl $9, (%0)", :: "r"(va(0) + 8) : "memory");
    rt_check_exc(46, n0, 14, 3, rt_try_insn, "write under a read-only PDE");
    WRITE_CR(0, READ_CR(0) & ~CR0_WP);
    poke(va(0) + 8, 10);
    CHECK_EQ(47, frame[0][2], 10, "WP = 0: write under a read-only PDE");
    pd[TEST_VA >> 22] |= PTE_W;
    WRITE_CR(0, READ_CR(0) | CR0_WP);

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("paging_ad: accessed/dirty bits and CR0.WP\n");
}
