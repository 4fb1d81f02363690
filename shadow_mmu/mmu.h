/*
 * shadow_mmu/mmu.h - guest linear-address translation for the monitor's own
 * accesses (emulated instructions, exception delivery, loaders, debugger),
 * and the description of the guest's paging format the rest of the shadow
 * MMU and the translator share.
 *
 * Contract: mmu_translate() walks the guest's own page tables exactly as the
 * hardware would for the access kind given, in the format CR4.PAE selects
 * (SDM vol. 3A 4.3 "32-bit paging": 4 KiB and, with CR4.PSE, 4 MiB pages;
 * 4.4 "PAE paging": the four PDPTEs cached in the vcpu, 64-bit entries,
 * 2 MiB and 4 KiB pages, the XD bit with EFER.NXE), checking U/S, R/W with
 * CR0.WP, execute-disable for fetches, and reserved bits (a #PF with RSVD),
 * and setting accessed and dirty bits as hardware does (a locked OR of the
 * entry's own width).  With CR0.PG clear, linear = physical.
 * A fault fills `f` with the #PF error code and CR2 the guest must see.
 *
 * The model has 32 physical address bits (CPUID 0x80000008), so a PAE
 * entry's bits 62:32 are reserved and every physical address fits 32 bits.
 */
#ifndef SHADOW_MMU_MMU_H
#define SHADOW_MMU_MMU_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

#define ACC_READ   0u
#define ACC_WRITE  1u      /* a write (#PF error-code bit W/R is PFERR_W) */
#define ACC_USER   4u      /* = #PF error-code bit U/S: access made at CPL 3 */
#define ACC_FETCH  16u     /* an instruction fetch (error-code bit I/D with PAE and NXE) */
#define ACC_NOSET  0x100u  /* debugger peek: set no A/D bits */
#define ACC_DIRTY  0x200u  /* fault unless the entry is dirty already (with
                              ACC_WRITE | ACC_NOSET: "would a write change nothing?") */

/* Bits of a page-directory or page-table entry, both formats (SDM vol. 3A
 * 4.3 and 4.4). */
#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u     /* in a directory entry: a 4 MiB (2 MiB with PAE) page */
#define PTE_G   0x100u
#define PTE_AD  (PTE_A | PTE_D)
#define PTE_XD  (1ull << 63)   /* PAE: execute-disable, with EFER.NXE */

#define PFERR_P    1u
#define PFERR_W    2u
#define PFERR_U    4u
#define PFERR_RSVD 8u
#define PFERR_ID   16u

/* One paging format: everything the walker and the shadow need to read a
 * guest's tables without knowing which format they are in. */
struct pg_format {
    bool pae;
    unsigned esize;             /* bytes per entry: 4 or 8 */
    unsigned dir_shift;         /* lin >> dir_shift: the directory entry (a "slot") */
    unsigned ndirs;             /* slots in 4 GiB: 1024 or 2048 */
    unsigned pt_bits;           /* linear-address bits a page table decodes: 10 or 9 */
    uint32_t cr3_mask;          /* the bits of CR3 that name the top table */
    uint64_t frame;             /* address bits of a table entry or a 4 KiB page */
    uint64_t big_frame;         /* address bits of a big page */
    uint64_t rsvd_table, rsvd_big, rsvd_pte;    /* reserved bits (XD added without NXE) */
};

/* The format in force: CR4.PAE chooses (with paging off it only matters
 * for the next CR0.PG). */
extern const struct pg_format mmu_fmt_32, mmu_fmt_pae;
static inline const struct pg_format *mmu_format(const struct vcpu *c)
{
    return (c->cr4 & CR4_PAE) ? &mmu_fmt_pae : &mmu_fmt_32;
}

/* The directory entry of slot d (d = lin >> dir_shift): its value and
 * guest-physical address.  False when there is none (a PAE slot whose
 * PDPTE is not present, or a directory outside RAM): *val is then 0. */
bool mmu_dir_entry(const struct vcpu *c, uint32_t d, uint32_t *pa, uint64_t *val);
/* Read a paging entry of the current format at guest-physical pa (0 when
 * not in RAM). */
uint64_t mmu_read_entry(const struct vcpu *c, uint32_t pa);
/* Set bits (A, D) in the entry e at guest-physical pa, as the processor
 * does: a locked OR of the entry's width; nothing if they are set. */
void mmu_set_bits(const struct vcpu *c, uint32_t pa, uint64_t e, uint64_t bits);
/* The host addresses of the directory pages, for a caller reading many
 * slots: slot d's entry is entry d & ((1 << pt_bits) - 1) of page
 * d >> pt_bits (one page in 32-bit paging, four with PAE; NULL where
 * mmu_dir_entry finds none). */
void mmu_dir_pages(const struct vcpu *c, const uint8_t *pages[4]);

/* Does directory entry e map a big page (rather than point to a table)?
 * PS counts with CR4.PSE in 32-bit paging, always with PAE. */
static inline bool mmu_is_big(const struct vcpu *c, uint64_t e)
{
    return (e & PTE_PS) && (c->cr4 & (CR4_PAE | CR4_PSE));
}

/* Is the page an entry (or the OR of its levels' entries) maps
 * execute-disabled?  Only with PAE and EFER.NXE. */
static inline bool mmu_is_nx(const struct vcpu *c, uint64_t e)
{
    return (c->cr4 & CR4_PAE) && (c->efer & EFER_NXE) && (e & PTE_XD);
}

/* Load the four PDPTEs from the table CR3 names (CR4.PAE set).  False if
 * one that is present has reserved bits set: the instruction that loads
 * them must raise #GP(0) and change nothing (pdpte untouched). */
bool mmu_load_pdptes(struct vcpu *c, uint32_t cr3);

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

/* The monitor stores n bytes of RAM at guest-physical pa (within one page)
 * for the guest (mmu_write, DMA): dropped where the chipset's PAM registers
 * send writes to the ROM side (guest_mem_write_discarded, counted);
 * otherwise stored, with the translations of those bytes dropped
 * (bt_code_written) and the shadow page tables told (shadow_pt_written). */
void mmu_store_ram(struct vm *vm, uint32_t pa, const void *src, uint32_t n);

#endif
