/*
 * shadow_mmu/shadow.h - the kernel view as a shadow of the guest's paging.
 *
 * Contract:
 *  - With paging off the kernel view maps RAM 1:1 (guest_mem_map_identity).
 *  - With paging on it starts empty; shadow_fault() fills it one 4 KiB page
 *    at a time from the guest's page tables when translated code touches a
 *    page (a "hidden" fault the guest never sees), or tells the caller that
 *    the guest must get a #PF, that the address is MMIO, or that the write
 *    hit a page holding translated code.
 *  - Pages are mapped read-only until the guest's first write to them, so
 *    that the dirty bit is set in the guest PTE exactly when hardware would.
 *  - shadow_reset() (CR3 load, CR0.PG/WP, CR4.PSE/PGE changes) and
 *    shadow_invlpg() drop mappings: the guest sees TLB semantics.
 *  - shadow_code_page() write-protects every kernel-view alias of a
 *    guest-physical page that holds translated code, or lifts that.
 */
#ifndef SHADOW_MMU_SHADOW_H
#define SHADOW_MMU_SHADOW_H

#include <stdint.h>
#include <stdbool.h>

struct vm;

enum shadow_result {
    SHADOW_FIXED,       /* mapped: retry the instruction */
    SHADOW_GUEST_PF,    /* the guest's own tables say #PF: cr2/error filled */
    SHADOW_MMIO,        /* translates to a non-RAM physical address */
    SHADOW_SMC,         /* a write to a page holding translations: *pa set */
};

int shadow_init(struct vm *vm, char *err, unsigned long errlen);
void shadow_destroy(struct vm *vm);
void shadow_reset(struct vm *vm);
void shadow_invlpg(struct vm *vm, uint32_t lin);
enum shadow_result shadow_fault(struct vm *vm, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error);
void shadow_code_page(struct vm *vm, uint32_t pa, bool protect);

/* The user view (host [4 KiB, 4 GiB) = guest linear, for ring-3 code run
 * directly): a miss there, with the rights of a CPL-3 access. */
enum shadow_result shadow_user_fault(struct vm *vm, uint32_t lin, bool write,
                                     uint32_t *pa, uint32_t *pf_error);

#endif
