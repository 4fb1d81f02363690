/*
 * paging_cr3 - context switches: six address spaces (more than the
 * monitor's SHADOW_VIEWS = 4 cached kernel views) map the same linear range
 * onto different frames.  The guest switches between them in an irregular
 * order many times and touches every page after each switch; page-table
 * entries and directory entries of *inactive* spaces are changed without
 * INVLPG (a CR3 load flushes the TLB, SDM vol. 3A 4.10.4.1), and the change
 * must be seen when the space is switched to.
 *
 * As Linux does through its direct map, the kernel writes page tables
 * through a second mapping of low memory at KERNBASE (hv()), so each write
 * is one the monitor must trace.
 */
#include "paging_guest.h"

#define NSPACES 6
#define NPAGES  8                       /* pages per space at TEST_VA */
#define TEST_VA 0x40000000u             /* PDE 256 */
#define ODD_VA  (TEST_VA + NPAGES * 4096u)  /* mapped in even spaces only */
#define KERNBASE 0xC0000000u            /* PDE 768: low 4 MiB again */

static volatile uint32_t pd[NSPACES][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt[NSPACES][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[1024] __attribute__((aligned(4096)));

/* The KERNBASE alias of a low-memory object. */
#define hv(p) (*(volatile __typeof__(p) *)((uint32_t)&(p) + KERNBASE))
static volatile uint32_t frame[NSPACES][NPAGES][1024] __attribute__((aligned(4096)));

/* What frame (space s, page k) holds at word w. */
static uint32_t magic(uint32_t s, uint32_t k, uint32_t w)
{
    return 0xC0000000u | (s << 20) | (k << 12) | w;
}

/* Which frame page k of space s shows (changed as the test goes). */
static uint32_t shows[NSPACES][NPAGES];

static void switch_to(uint32_t s)
{
    WRITE_CR(3, (uint32_t)pd[s]);
}

/* Touch every page of space s (now current) and check what it shows. */
static void touch_all(int n, uint32_t s, uint32_t round)
{
    for (uint32_t k = 0; k < NPAGES; k++) {
        uint32_t w = (round + k) & 1023, f = shows[s][k];
        uint32_t want = magic(f / NPAGES, f % NPAGES, w);
        uint32_t got = peek(TEST_VA + k * 4096 + w * 4);
        if (got != want)
            rt_fail(n, "round %u space %u page %u word %u: got 0x%x, want 0x%x",
                    round, s, k, w, got, want);
    }
}

void test_main(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W;
    for (uint32_t s = 0; s < NSPACES; s++) {
        pd[s][0] = (uint32_t)pt_low | PTE_P | PTE_W;
        pd[s][TEST_VA >> 22] = (uint32_t)pt[s] | PTE_P | PTE_W;
        pd[s][KERNBASE >> 22] = (uint32_t)pt_low | PTE_P | PTE_W;
        for (uint32_t k = 0; k < NPAGES; k++) {
            pt[s][k] = (uint32_t)frame[s][k] | PTE_P | PTE_W;
            shows[s][k] = s * NPAGES + k;
            for (uint32_t w = 0; w < 1024; w++)
                frame[s][k][w] = magic(s, k, w);
        }
        if (s % 2 == 0)
            pt[s][NPAGES] = (uint32_t)frame[s][0] | PTE_P;
    }

    switch_to(0);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    /* Round robin and an irregular order, touching every page each time. */
    static const uint8_t order[] = { 0, 1, 2, 3, 4, 5, 0, 0, 3, 1, 5, 2, 2, 4, 0, 5, 1, 3 };
    for (uint32_t round = 0; round < 300; round++) {
        uint32_t s = round < 60 ? round % NSPACES : order[round % sizeof order];
        switch_to(s);
        CHECK_EQ(1, READ_CR(3), (uint32_t)pd[s], "CR3 reads back");
        touch_all(2, s, round);
        /* A page only the even spaces map. */
        uint32_t n0 = rt_trap.count;
        uint32_t v = 0;
        TRY("movl (%1), %0", : "=r"(v) : "r"(ODD_VA + 4) : "memory");
        if (s % 2 == 0) {
            rt_check_no_exc(3, n0, "ODD_VA in an even space");
            CHECK_EQ(4, v, magic(s, 0, 1), "ODD_VA in an even space");
        } else {
            rt_check_exc(5, n0, 14, 0, rt_try_insn, "ODD_VA in an odd space");
            CHECK_EQ(6, READ_CR(2), ODD_VA + 4, "CR2 in an odd space");
        }
        /* A write, seen through the identity map, then put back. */
        uint32_t k = round % NPAGES, f = shows[s][k];
        *(volatile uint32_t *)(TEST_VA + k * 4096 + 64) = round;
        CHECK_EQ(7, frame[f / NPAGES][f % NPAGES][16], round, "write after a switch");
        frame[f / NPAGES][f % NPAGES][16] = magic(f / NPAGES, f % NPAGES, 16);
    }

    /* Changes to inactive spaces, without INVLPG. */
    for (uint32_t round = 0; round < 60; round++) {
        uint32_t cur = round % NSPACES, victim = (round * 7 + 3) % NSPACES;
        if (victim == cur)
            victim = (victim + 1) % NSPACES;
        switch_to(cur);
        touch_all(8, cur, round);               /* cur's view is filled */
        switch_to(victim);
        touch_all(9, victim, round);            /* and the victim's */
        switch_to(cur);
        /* From cur, point one of victim's PTEs at another space's frame. */
        uint32_t k = (round * 3) % NPAGES;
        uint32_t f = (victim * NPAGES + k + NPAGES * (1 + round % (NSPACES - 1))) % (NSPACES * NPAGES);
        hv(pt[victim][k]) = (uint32_t)frame[f / NPAGES][f % NPAGES] | PTE_P | PTE_W;
        shows[victim][k] = f;
        touch_all(10, cur, round);              /* cur is unaffected */
        switch_to(victim);
        touch_all(11, victim, round);           /* the victim sees the new frame */
    }

    /* Unmapping a page in an inactive space. */
    switch_to(2);
    touch_all(12, 2, 0);
    switch_to(1);
    hv(pt[2][5]) = 0;
    switch_to(2);
    uint32_t n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(TEST_VA + 5 * 4096) : "eax");
    rt_check_exc(13, n0, 14, 0, rt_try_insn, "page unmapped while its space was inactive");
    CHECK_EQ(14, READ_CR(2), TEST_VA + 5 * 4096, "CR2");
    hv(pt[2][5]) = (uint32_t)frame[2][5] | PTE_P | PTE_W;
    shows[2][5] = 2 * NPAGES + 5;

    /* A directory entry of an inactive space: space 4 takes space 3's table. */
    switch_to(4);
    touch_all(15, 4, 0);
    switch_to(0);
    hv(pd[4][TEST_VA >> 22]) = (uint32_t)pt[3] | PTE_P | PTE_W;
    switch_to(4);
    for (uint32_t k = 0; k < NPAGES; k++)
        shows[4][k] = shows[3][k];
    touch_all(16, 4, 0);
    /* ... and a PTE of that shared table changed from space 3 shows in
     * space 4 too (both views used the table). */
    switch_to(3);
    hv(pt[3][0]) = (uint32_t)frame[5][7] | PTE_P | PTE_W;
    asm volatile("invlpg (%0)" :: "r"(TEST_VA) : "memory");
    shows[3][0] = shows[4][0] = 5 * NPAGES + 7;
    touch_all(17, 3, 0);
    switch_to(4);
    touch_all(18, 4, 0);

    /* Reloading the same CR3 after changing a PTE of the current space
     * without INVLPG: the reload flushes. */
    switch_to(1);
    touch_all(19, 1, 0);
    hv(pt[1][2]) = (uint32_t)frame[0][0] | PTE_P | PTE_W;
    shows[1][2] = 0;
    switch_to(1);
    touch_all(20, 1, 0);

    /* Accessed bits: every space's PTEs were used, and a CR3 switch does
     * not clear them. */
    for (uint32_t s = 0; s < NSPACES; s++)
        CHECK(21, pt[s][1] & PTE_A, "A of space %u page 1: 0x%x", s, pt[s][1]);

    switch_to(0);
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("paging_cr3: 6 address spaces, 420 switches\n");
}
