/*
 * lab_mmu_trace - the guest of lab 3 (docs/labs/mmu-tracing.md): paging
 * on, four pages mapped at 0x40000000 and read (hidden faults), the second
 * one remapped to another frame in the page table (a trace fault, then the
 * changed entry at the CR3 load) and read again.  The test runs it with
 * --trace-mmu 40000000-40003fff and checks the log.
 */
#include "paging_guest.h"

#define WINDOW 0x40000000u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));
static uint32_t pt1[1024] __attribute__((aligned(4096)));
static uint32_t frames[5][1024] __attribute__((aligned(4096)));

void test_main(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt0[i] = (i << 12) | PTE_P | PTE_W;             /* the first 4 MiB as they are */
    pd[0] = (uint32_t)pt0 | PTE_P | PTE_W;
    pd[WINDOW >> 22] = (uint32_t)pt1 | PTE_P | PTE_W;
    for (uint32_t i = 0; i < 4; i++) {
        pt1[i] = (uint32_t)frames[i] | PTE_P | PTE_W;
        frames[i][0] = 0x1000 + i;
    }
    frames[4][0] = 0x2000;
    uint32_t cr0;
    asm volatile("mov %0, %%cr3" :: "r"(pd) : "memory");
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" :: "r"(cr0 | CR0_PG) : "memory");

    uint32_t sum = 0;
    for (uint32_t i = 0; i < 4; i++)
        sum += peek(WINDOW + i * 4096);
    CHECK_EQ(1, sum, 0x1000 + 0x1001 + 0x1002 + 0x1003, "the four pages through the window");

    /* Remap the second page, as a kernel remaps a page of a process. */
    pt1[1] = (uint32_t)frames[4] | PTE_P | PTE_W;
    asm volatile("mov %0, %%cr3" :: "r"(pd) : "memory");
    CHECK_EQ(2, peek(WINDOW + 4096), 0x2000, "the remapped page");
    rt_printf("lab_mmu_trace: 4 pages read, one remapped and read again\n");
}
