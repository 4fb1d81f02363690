/*
 * paging_recursive - a self-mapping page directory (PDE 1023 points at the
 * directory itself), the way many kernels reach their own page tables:
 * linear 0xFFC00000 + (L >> 12) * 4 is the PTE of L, 0xFFFFF000 + (L >> 22)
 * * 4 its PDE.  The directory is then also a page table, and every page
 * table is also a data page; the monitor must trace writes through these
 * windows like any other page-table write (SDM vol. 3A 4.3, 4.10.4).
 */
#include "paging_guest.h"

#define TEST_VA 0x40000000u             /* PDE 256, table pt_test */
#define NEW_VA  0x40400000u             /* PDE 257, a table made through the window */
#define NFRAMES 8

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_test[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_new[1024] __attribute__((aligned(4096)));
static volatile uint32_t frames[NFRAMES][1024] __attribute__((aligned(4096)));

/* The recursive windows. */
static volatile uint32_t *pte_of(uint32_t va)
{
    return (volatile uint32_t *)(0xFFC00000u + (va >> 12) * 4);
}

static volatile uint32_t *pde_of(uint32_t va)
{
    return (volatile uint32_t *)(0xFFFFF000u + (va >> 22) * 4);
}

void test_main(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W;
    pd[0] = (uint32_t)pt_low | PTE_P | PTE_W;
    pd[TEST_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W;
    pd[1023] = (uint32_t)pd | PTE_P | PTE_W;
    for (uint32_t f = 0; f < NFRAMES; f++)
        for (uint32_t k = 0; k < 1024; k++)
            frames[f][k] = 0xF0000000u | (f << 16) | k;
    pt_test[0] = (uint32_t)frames[0] | PTE_P | PTE_W;

    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);

    /* Reading the tables through the windows. */
    CHECK_EQ(1, *pde_of(TEST_VA) & ~(PTE_A | PTE_D), (uint32_t)pt_test | PTE_P | PTE_W,
             "PDE 256 through 0xFFFFF400");
    CHECK_EQ(2, *pde_of(0xFFC00000u) & ~(PTE_A | PTE_D), (uint32_t)pd | PTE_P | PTE_W,
             "PDE 1023 through 0xFFFFFFFC");
    CHECK_EQ(3, peek(TEST_VA + 8), 0xF0000002u, "frame 0 through TEST_VA");
    CHECK_EQ(4, *pte_of(TEST_VA) & ~(PTE_A | PTE_D), (uint32_t)frames[0] | PTE_P | PTE_W,
             "PTE of TEST_VA through 0xFFD00000");
    CHECK(5, *pte_of(TEST_VA) & PTE_A, "A of the PTE just used: 0x%x", *pte_of(TEST_VA));
    /* The directory is the last-level table for the window: reading
     * pt_test through it set A in PDE 256, and the walk through PDE 1023
     * set A there too. */
    CHECK(6, pd[TEST_VA >> 22] & PTE_A, "A in PDE 256 = 0x%x", pd[TEST_VA >> 22]);
    CHECK(7, pd[1023] & PTE_A, "A in PDE 1023 = 0x%x", pd[1023]);

    /* PTE writes through the window, each followed by INVLPG: the new frame
     * is seen at once.  Many rounds, so the same store instruction keeps
     * hitting a traced page (and may be retranslated). */
    for (uint32_t round = 0; round < 64; round++) {
        uint32_t f = (round * 5 + 3) % NFRAMES, k = round % 16;
        *pte_of(TEST_VA + k * 4096) = (uint32_t)frames[f] | PTE_P | PTE_W;
        invlpg(TEST_VA + k * 4096);
        CHECK_EQ(8, peek(TEST_VA + k * 4096 + 4 * k), 0xF0000000u | (f << 16) | k,
                 "frame seen after a PTE write through the window");
        CHECK_EQ(9, pt_test[k] & ~(PTE_A | PTE_D), (uint32_t)frames[f] | PTE_P | PTE_W,
                 "the same PTE through the identity map");
    }
    /* Writing pt_test through the window is a write to the page the
     * directory entry maps: D is set in PDE 256, which acts as a PTE. */
    CHECK(10, pd[TEST_VA >> 22] & PTE_D, "D in PDE 256 after a write through the window: 0x%x",
          pd[TEST_VA >> 22]);

    /* Writes through a mapping the guest then changes: the data went to the
     * old frame, the new mapping shows the new one. */
    *pte_of(TEST_VA) = (uint32_t)frames[1] | PTE_P | PTE_W;
    invlpg(TEST_VA);
    *(volatile uint32_t *)(TEST_VA + 0x40) = 0x11111111;
    *pte_of(TEST_VA) = (uint32_t)frames[2] | PTE_P | PTE_W;
    invlpg(TEST_VA);
    *(volatile uint32_t *)(TEST_VA + 0x40) = 0x22222222;
    CHECK_EQ(11, frames[1][0x10], 0x11111111, "write through the first mapping");
    CHECK_EQ(12, frames[2][0x10], 0x22222222, "write through the second mapping");
    CHECK(13, (pt_test[0] & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "A/D of PTE 0: 0x%x", pt_test[0]);

    /* A new page table installed through the window: write the PDE at
     * 0xFFFFF404, clear the table through its own window page 0xFFD01000
     * (a REP STOSD over a traced page), then fill one entry. */
    for (uint32_t k = 0; k < 1024; k++)
        pt_new[k] = 0xDEAD0000u;                        /* garbage to be cleared */
    *pde_of(NEW_VA) = (uint32_t)pt_new | PTE_P | PTE_W;
    volatile uint32_t *win = pte_of(NEW_VA);
    CHECK_EQ(14, (uint32_t)win, 0xFFD01000u, "window of the new table");
    CHECK_EQ(15, win[7], 0xDEAD0000u, "the new table through its window");
    uint32_t cnt = 1024, dst = (uint32_t)win;
    asm volatile("cld; rep stosl" : "+c"(cnt), "+D"(dst) : "a"(0) : "memory");
    for (uint32_t k = 0; k < 1024; k++)
        CHECK_EQ(16, pt_new[k], 0, "pt_new cleared through the window");
    win[3] = (uint32_t)frames[5] | PTE_P | PTE_W;
    CHECK_EQ(17, peek(NEW_VA + 0x3000 + 4 * 9), 0xF0050009u, "page 3 of the new table");
    uint32_t n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(NEW_VA + 0x4000) : "eax");
    rt_check_exc(18, n0, 14, 0, rt_try_insn, "entry 4 of the new table was cleared");
    CHECK_EQ(19, READ_CR(2), NEW_VA + 0x4000, "CR2");

    /* Unmapping through the window. */
    *pte_of(NEW_VA + 0x3000) = 0;
    invlpg(NEW_VA + 0x3000);
    n0 = rt_trap.count;
    TRY("movl $1, (%0)", :: "r"(NEW_VA + 0x3010) : "memory");
    rt_check_exc(20, n0, 14, 2, rt_try_insn, "write after the PTE was cleared");
    CHECK_EQ(21, READ_CR(2), NEW_VA + 0x3010, "CR2");
    CHECK_EQ(22, frames[5][4], 0xF0050004u, "the unmapped frame was not written");

    /* Removing the whole table through the directory window. */
    *pte_of(NEW_VA + 0x5000) = (uint32_t)frames[6] | PTE_P | PTE_W;
    CHECK_EQ(23, peek(NEW_VA + 0x5000), 0xF0060000u, "page 5 of the new table");
    *pde_of(NEW_VA) = 0;
    invlpg(NEW_VA + 0x5000);
    invlpg((uint32_t)win);
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(NEW_VA + 0x5000) : "eax");
    rt_check_exc(24, n0, 14, 0, rt_try_insn, "read after the PDE was cleared");
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(win) : "eax");
    rt_check_exc(25, n0, 14, 0, rt_try_insn, "the table's window after the PDE was cleared");

    /* The directory's own window is a traced page too: many PDE writes. */
    for (uint32_t round = 0; round < 32; round++) {
        uint32_t f = round % NFRAMES;
        pt_new[round & 15] = (uint32_t)frames[f] | PTE_P | PTE_W;
        *pde_of(NEW_VA) = (uint32_t)pt_new | PTE_P | PTE_W;
        CHECK_EQ(26, peek(NEW_VA + (round & 15) * 4096), 0xF0000000u | (f << 16),
                 "through a PDE rewritten through the window");
        *pde_of(NEW_VA) = 0;
        invlpg(NEW_VA + (round & 15) * 4096);
    }

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("paging_recursive: 64 PTE writes and 32 PDE writes through the window\n");
}
