/*
 * paging_guest.h - what the paging test guests (paging*.c) share: the bits
 * of a 2-level (non-PAE) page-directory/page-table entry and of CR0/CR4 that
 * turn paging on (SDM vol. 3A 4.3, 2.5), INVLPG, and 32-bit accesses to a
 * linear address made volatile so that the compiler neither drops nor merges
 * the very loads and stores whose translation the guests check.
 */
#ifndef GUESTS_PAGING_GUEST_H
#define GUESTS_PAGING_GUEST_H

#include "rt.h"

#define PTE_P 0x001u            /* present */
#define PTE_W 0x002u            /* writable */
#define PTE_U 0x004u            /* user */
#define PTE_A 0x020u            /* accessed */
#define PTE_D 0x040u            /* dirty (PTE, or PDE of a 4 MiB page) */
#define PTE_PS 0x080u           /* PDE: 4 MiB page (needs CR4.PSE) */
#define CR0_PG 0x80000000u
#define CR0_WP 0x00010000u      /* supervisor writes obey read-only pages */
#define CR4_PSE 0x10u

static inline void invlpg(uint32_t va)
{
    asm volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline uint32_t peek(uint32_t va) { return *(volatile uint32_t *)va; }
static inline void poke(uint32_t va, uint32_t v) { *(volatile uint32_t *)va = v; }

#endif
