/*
 * paging - 2-level paging as the guest kernel sees it through the shadow
 * MMU: identity and high mappings, 4 MiB pages, #PF error codes and CR2,
 * CR0.WP, accessed/dirty bits, INVLPG, CR3 switches and aliases
 * (SDM vol. 3A chapter 4).
 */
#include "paging_guest.h"

static uint32_t pd_a[1024] __attribute__((aligned(4096)));
static uint32_t pd_b[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));   /* 0 .. 4 MiB */
static uint32_t pt_test[1024] __attribute__((aligned(4096)));  /* 0x40000000 .. */
static uint8_t frame1[4096] __attribute__((aligned(4096)));
static uint8_t frame2[4096] __attribute__((aligned(4096)));

#define TEST_VA 0x40000000u
#define HIGH_VA 0xC0000000u

void test_main(void)
{
    /* Identity-map the first 4 MiB with 4 KiB pages (the guest lives at 1 MiB),
     * map 4 MiB at 0xC0000000 onto physical 0 with one PSE page, and give the
     * test page table at 0x40000000 two frames. */
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W;
    pd_a[0] = (uint32_t)pt_low | PTE_P | PTE_W;
    pd_a[HIGH_VA >> 22] = 0 | PTE_P | PTE_W | PTE_PS;
    pd_a[TEST_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W;
    pt_test[0] = (uint32_t)frame1 | PTE_P | PTE_W;
    pt_test[1] = (uint32_t)frame1 | PTE_P;           /* read-only alias of frame1 */
    memcpy(pd_b, pd_a, sizeof pd_b);

    WRITE_CR(4, READ_CR(4) | CR4_PSE);
    WRITE_CR(3, (uint32_t)pd_a);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    CHECK(1, READ_CR(0) & CR0_PG, "paging did not turn on");
    rt_puts("paging on\n");

    /* A 4 MiB page at 0xC0000000 shows physical memory. */
    ((volatile uint32_t *)frame1)[5] = 0x12345678;
    CHECK_EQ(2, peek(HIGH_VA + (uint32_t)frame1 + 20), 0x12345678, "high alias of frame1");

    /* 4 KiB page: read sets A, write sets D, in the guest's own PTE. */
    pt_test[0] &= ~(PTE_A | PTE_D);
    invlpg(TEST_VA);
    CHECK_EQ(3, peek(TEST_VA + 20), 0x12345678, "read through pt_test[0]");
    CHECK(4, (pt_test[0] & (PTE_A | PTE_D)) == PTE_A, "A only after a read: pte=0x%x", pt_test[0]);
    poke(TEST_VA + 24, 0xCAFE);
    CHECK(5, (pt_test[0] & PTE_D), "D after a write: pte=0x%x", pt_test[0]);
    CHECK_EQ(6, ((volatile uint32_t *)frame1)[6], 0xCAFE, "write reached frame1");

    /* Aliases: the read-only alias sees the same frame. */
    CHECK_EQ(7, peek(TEST_VA + 0x1000 + 24), 0xCAFE, "alias read");

    /* Write to a read-only page with CR0.WP=1: #PF, error P|W, CR2. */
    uint32_t n0 = rt_trap.count;
    TRY("movl $1, (%0)", :: "r"(TEST_VA + 0x1000 + 8) : "memory");
    rt_check_exc(8, n0, 14, 3, rt_try_insn, "write to read-only page");
    CHECK_EQ(9, READ_CR(2), TEST_VA + 0x1000 + 8, "CR2 of the write fault");

    /* CR0.WP=0: the supervisor may write read-only pages. */
    WRITE_CR(0, READ_CR(0) & ~CR0_WP);
    n0 = rt_trap.count;
    poke(TEST_VA + 0x1000 + 8, 77);
    rt_check_no_exc(10, n0, "supervisor write with WP=0");
    CHECK_EQ(11, ((volatile uint32_t *)frame1)[2], 77, "WP=0 write landed");
    WRITE_CR(0, READ_CR(0) | CR0_WP);

    /* Not present: read error 0, write error 2. */
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(TEST_VA + 0x5000) : "eax");
    rt_check_exc(12, n0, 14, 0, rt_try_insn, "read of a not-present page");
    CHECK_EQ(13, READ_CR(2), TEST_VA + 0x5000, "CR2 of the read fault");
    n0 = rt_trap.count;
    TRY("movl $3, (%0)", :: "r"(TEST_VA + 0x6004) : "memory");
    rt_check_exc(14, n0, 14, 2, rt_try_insn, "write to a not-present page");

    /* Change a PTE and INVLPG: the new frame is seen. */
    ((volatile uint32_t *)frame2)[0] = 0xB0B0;
    pt_test[0] = (uint32_t)frame2 | PTE_P | PTE_W;
    invlpg(TEST_VA);
    CHECK_EQ(15, peek(TEST_VA), 0xB0B0, "after INVLPG the PTE's new frame");

    /* A second address space maps TEST_VA elsewhere; switch back and forth. */
    static uint32_t pt_b[1024] __attribute__((aligned(4096)));
    pt_b[0] = (uint32_t)frame1 | PTE_P | PTE_W;
    pd_b[TEST_VA >> 22] = (uint32_t)pt_b | PTE_P | PTE_W;
    for (int round = 0; round < 20; round++) {
        WRITE_CR(3, (uint32_t)pd_b);
        CHECK_EQ(16, peek(TEST_VA + 20), 0x12345678, "space B sees frame1");
        WRITE_CR(3, (uint32_t)pd_a);
        CHECK_EQ(17, peek(TEST_VA), 0xB0B0, "space A sees frame2");
    }

    /* Page-table writes are traced: a PTE changed without INVLPG is seen
     * after a CR3 reload (which flushes the TLB on hardware), even though
     * the monitor kept this address space's view cached. */
    WRITE_CR(3, (uint32_t)pd_a);
    CHECK_EQ(21, peek(TEST_VA), 0xB0B0, "frame2 through TEST_VA");
    pt_test[0] = (uint32_t)frame1 | PTE_P | PTE_W;          /* no INVLPG */
    WRITE_CR(3, (uint32_t)pd_b);
    WRITE_CR(3, (uint32_t)pd_a);
    CHECK_EQ(22, peek(TEST_VA + 20), 0x12345678, "PTE change seen after CR3 reload");
    /* Unmapped without INVLPG, then a CR3 reload: the old frame is gone. */
    pt_test[0] = 0;
    WRITE_CR(3, (uint32_t)pd_a);
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(TEST_VA) : "eax");
    rt_check_exc(23, n0, 14, 0, rt_try_insn, "read after the PTE was cleared");
    /* The same instruction writing a page table again and again: the first
     * write unsyncs the table, the rest run at full speed; the entries take
     * effect (here: a not-present entry made present, which needs no flush). */
    for (uint32_t i = 0; i < 64; i++)
        ((volatile uint32_t *)pt_test)[16 + (i & 7)] = ((uint32_t)frame2 | PTE_P | PTE_W);
    CHECK_EQ(24, peek(TEST_VA + 16 * 4096), 0xB0B0, "a PTE written by the loop");

    /* Code keeps running with paging on: a loop in translated code. */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 100000; i++)
        sum += i ^ (sum >> 3);
    CHECK(18, sum != 0, "loop");

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    CHECK(19, !(READ_CR(0) & CR0_PG), "paging off again");
    CHECK_EQ(20, ((volatile uint32_t *)frame1)[5], 0x12345678, "identity after paging off");
}
