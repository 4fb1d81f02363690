/*
 * shadow_mmu/mmu.h - guest linear-address translation for the monitor's own
 * accesses (emulated instructions, exception delivery, loaders, debugger).
 *
 * Contract: mmu_translate() walks the guest's own page tables exactly as the
 * hardware would for the access kind given (2-level non-PAE, 4 KiB and, with
 * CR4.PSE, 4 MiB pages; U/S and R/W with CR0.WP), setting accessed and dirty
 * bits as hardware does.  With CR0.PG clear, linear = physical.
 * A fault fills `f` with the #PF error code and CR2 the guest must see.
 */
#ifndef SHADOW_MMU_MMU_H
#define SHADOW_MMU_MMU_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

#define ACC_READ   0u
#define ACC_WRITE  1u      /* a write (#PF error-code bit W/R is PFERR_W) */
#define ACC_USER   4u      /* = #PF error-code bit U/S: access made at CPL 3 */
#define ACC_FETCH  16u     /* = #PF error-code bit I/D (only with NX, kept for completeness) */
#define ACC_NOSET  0x100u  /* debugger peek: set no A/D bits */
#define ACC_DIRTY  0x200u  /* fault unless the entry is dirty already (with
                              ACC_WRITE | ACC_NOSET: "would a write change nothing?") */

/* Bits of a 32-bit page-directory or page-table entry (SDM vol. 3A 4.3). */
#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u     /* in a directory entry: a 4 MiB page (with CR4.PSE) */
#define PTE_AD  (PTE_A | PTE_D)

#define PFERR_P 1u
#define PFERR_W 2u
#define PFERR_U 4u

struct mmu_fault {
    uint32_t cr2;
    uint32_t error;
};

enum mmu_result {
    MMU_OK = 0,
    MMU_PAGE_FAULT = -1,     /* f is filled in */
    MMU_NOT_RAM = -2,        /* translates, but to a non-RAM physical address */
};

enum mmu_result mmu_translate(struct vcpu *c, uint32_t lin, unsigned acc,
                              uint32_t *pa, struct mmu_fault *f);

/* Copy to/from guest linear memory, page by page.  Non-RAM goes to the
 * device bus (devices/device.h) in pieces of at most 4 bytes; addresses no
 * device claims read as all ones and drop writes. */
enum mmu_result mmu_read(struct vcpu *c, uint32_t lin, void *buf, uint32_t n,
                         unsigned acc, struct mmu_fault *f);
enum mmu_result mmu_write(struct vcpu *c, uint32_t lin, const void *buf, uint32_t n,
                          unsigned acc, struct mmu_fault *f);

#endif
