/*
 * shadow_mmu/mmu.c - the guest page-table walker used by the monitor's own
 * accesses and the shadow.  Reference: Intel SDM vol. 3A, 4.3 "32-bit
 * paging" and 4.4 "PAE paging": one walk for both, driven by struct
 * pg_format (entry size, index widths, address and reserved bits).
 */
#include <string.h>
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/guest_mem.h"
#include "cpu/machine.h"
#include "devices/device.h"
#include "bt/bt.h"
#include "shadow_mmu/shadow.h"

/* The two formats (SDM vol. 3A tables 4-4..4-6 and 4-8..4-11).  32-bit
 * paging: a 4 MiB page's bits 21:13 would hold physical-address bits 39:32
 * with PSE-36, which the model (32 physical bits) lacks, so they are
 * reserved.  PAE: bits 62:32 of every entry are above MAXPHYADDR (32), and
 * a 2 MiB page's bits 20:13 are reserved; bit 63 (XD) too without
 * EFER.NXE. */
const struct pg_format mmu_fmt_32 = {
    .pae = false, .esize = 4, .dir_shift = 22, .ndirs = 1024, .pt_bits = 10,
    .cr3_mask = 0xFFFFF000u, .frame = 0xFFFFF000u, .big_frame = 0xFFC00000u,
    .rsvd_table = 0, .rsvd_big = 0x003FE000u, .rsvd_pte = 0,
};
#define PAE_ABOVE_MAXPHY 0x7FFFFFFF00000000ull
const struct pg_format mmu_fmt_pae = {
    .pae = true, .esize = 8, .dir_shift = 21, .ndirs = 2048, .pt_bits = 9,
    .cr3_mask = 0xFFFFFFE0u, .frame = 0xFFFFF000u, .big_frame = 0xFFE00000u,
    .rsvd_table = PAE_ABOVE_MAXPHY, .rsvd_big = PAE_ABOVE_MAXPHY | 0x001FE000u,
    .rsvd_pte = PAE_ABOVE_MAXPHY,
};
/* A PDPTE: bits 2:1 and 8:5 reserved, and everything above MAXPHYADDR
 * (XD included: a PDPTE has no XD bit). */
#define PDPTE_RSVD 0xFFFFFFFF000001E6ull

static bool nxe(const struct vcpu *c)
{
    return (c->cr4 & CR4_PAE) && (c->efer & EFER_NXE);
}

/* An entry of esize bytes at host address p (in guest RAM). */
static inline uint64_t load_entry(const void *p, unsigned esize)
{
    if (esize == 8)
        return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
}

/* Set bits (A, D) in the entry e at host address p as the processor does:
 * a locked OR of the entry's width, so that a guest updating the entry on
 * another path sees one atomic change. */
static inline void or_entry(void *p, unsigned esize, uint64_t e, uint64_t bits)
{
    if ((e & bits) == bits)
        return;
    if (esize == 8)
        __atomic_fetch_or((uint64_t *)p, bits, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_or((uint32_t *)p, (uint32_t)bits, __ATOMIC_SEQ_CST);
}

uint64_t mmu_read_entry(const struct vcpu *c, uint32_t pa)
{
    unsigned esize = mmu_format(c)->esize;
    const void *p = guest_phys_ptr(vm_mem(c->vm), pa, esize);
    return p ? load_entry(p, esize) : 0;
}

void mmu_set_bits(const struct vcpu *c, uint32_t pa, uint64_t e, uint64_t bits)
{
    unsigned esize = mmu_format(c)->esize;
    void *p = guest_phys_ptr(vm_mem(c->vm), pa, esize);
    if (p)
        or_entry(p, esize, e, bits);
}

/* The host address of slot d's directory entry (its guest-physical address
 * in *pa), or NULL. */
static void *dir_entry_ptr(const struct vcpu *c, const struct pg_format *fm, uint32_t d,
                           uint32_t *pa)
{
    if (fm->pae) {
        uint64_t pdpte = c->pdpte[d >> 9];
        if (!(pdpte & PTE_P))
            return NULL;
        *pa = (uint32_t)(pdpte & fm->frame) + (d & 511) * 8;
    } else {
        *pa = (c->cr3 & fm->cr3_mask) + d * 4;
    }
    return guest_phys_ptr(vm_mem(c->vm), *pa, fm->esize);
}

bool mmu_dir_entry(const struct vcpu *c, uint32_t d, uint32_t *pa, uint64_t *val)
{
    const struct pg_format *fm = mmu_format(c);
    const void *p = dir_entry_ptr(c, fm, d, pa);
    *val = p ? load_entry(p, fm->esize) : 0;
    return p != NULL;
}

void mmu_dir_pages(const struct vcpu *c, const uint8_t *pages[4])
{
    const struct pg_format *fm = mmu_format(c);
    memset(pages, 0, 4 * sizeof pages[0]);
    if (!fm->pae) {
        pages[0] = guest_phys_ptr(vm_mem(c->vm), c->cr3 & fm->cr3_mask, 4096);
        return;
    }
    for (int i = 0; i < 4; i++)
        if (c->pdpte[i] & PTE_P)
            pages[i] = guest_phys_ptr(vm_mem(c->vm), (uint32_t)(c->pdpte[i] & fm->frame), 4096);
}

bool mmu_load_pdptes(struct vcpu *c, uint32_t cr3)
{
    uint64_t e[4];
    const void *p = guest_phys_ptr(vm_mem(c->vm), cr3 & mmu_fmt_pae.cr3_mask, sizeof e);
    if (!p)
        return false;               /* unassigned space reads as all ones: reserved */
    memcpy(e, p, sizeof e);
    for (int i = 0; i < 4; i++)
        if ((e[i] & PTE_P) && (e[i] & PDPTE_RSVD))
            return false;
    memcpy(c->pdpte, e, sizeof e);
    return true;
}

/* Is an access of kind acc allowed by the combined U/S and R/W bits? */
static bool access_allowed(const struct vcpu *c, uint64_t flags, unsigned acc)
{
    if (acc & ACC_USER) {
        if (!(flags & PTE_U))
            return false;
        return !(acc & ACC_WRITE) || (flags & PTE_W);
    }
    /* Supervisor: writes to read-only pages fault only with CR0.WP. */
    if ((acc & ACC_WRITE) && !(flags & PTE_W) && (c->cr0 & CR0_WP))
        return false;
    return true;
}

/* error: PFERR_P and/or PFERR_RSVD; the access adds W, U and (a fetch,
 * with PAE and NXE: SDM vol. 3A 4.7) I/D. */
static enum mmu_result fault(const struct vcpu *c, struct mmu_fault *f, uint32_t lin,
                             unsigned acc, uint32_t error)
{
    if (f) {
        f->cr2 = lin;
        f->error = error | ((acc & ACC_WRITE) ? PFERR_W : 0) | ((acc & ACC_USER) ? PFERR_U : 0) |
                   ((acc & ACC_FETCH) && nxe(c) ? PFERR_ID : 0);
    }
    return MMU_PAGE_FAULT;
}


/* (mmu.h) */
void mmu_store_ram(struct vm *vm, uint32_t pa, const void *src, uint32_t n)
{
    struct guest_mem *m = vm_mem(vm);
    if (guest_mem_write_discarded(m, pa)) {
        vm_stats(vm)->shadow_writes_discarded++;    /* to the ROM side: PAM WE clear */
        return;
    }
    /* The monitor's own writes bypass the write-protected views: drop
     * the translations made from these bytes, and after the store, what
     * the shadow page tables made from a page-table page. */
    if (m->code_pages[pa / GUEST_PAGE_SIZE] && *vm_tc(vm))
        bt_code_written(vm, pa, n);
    memcpy(m->ram + pa, src, n);
    shadow_pt_written(vm, pa, n);
}

/* What a walk found: the leaf's rights (the stricter U/S and R/W of the
 * levels), whether any level disables execution, the leaf's dirty bit. */
struct leaf {
    uint64_t rights;
    bool nx, dirty;
};

static bool leaf_allows(const struct vcpu *c, const struct leaf *l, unsigned acc)
{
    if (!access_allowed(c, l->rights, acc))
        return false;
    if ((acc & ACC_FETCH) && l->nx)
        return false;
    return !(acc & ACC_DIRTY) || l->dirty;
}

enum mmu_result mmu_translate(struct vcpu *c, uint32_t lin, unsigned acc,
                              uint32_t *pa, struct mmu_fault *f)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin & vm_mem(c->vm)->a20_mask;
        return guest_mem_is_ram(vm_mem(c->vm), *pa, 1) ? MMU_OK : MMU_NOT_RAM;
    }
    const struct pg_format *fm = mmu_format(c);
    uint64_t xd_rsvd = fm->pae && !nxe(c) ? PTE_XD : 0;
    uint32_t dpa;
    void *dp = dir_entry_ptr(c, fm, lin >> fm->dir_shift, &dpa);
    uint64_t d = dp ? load_entry(dp, fm->esize) : 0;
    if (!(d & PTE_P))
        return fault(c, f, lin, acc, 0);
    bool write = acc & ACC_WRITE, set = !(acc & ACC_NOSET);
    if (mmu_is_big(c, d)) {
        if (d & (fm->rsvd_big | xd_rsvd))
            return fault(c, f, lin, acc, PFERR_P | PFERR_RSVD);
        struct leaf l = { d, mmu_is_nx(c, d), d & PTE_D };
        if (!leaf_allows(c, &l, acc))
            return fault(c, f, lin, acc, PFERR_P);
        if (set)
            or_entry(dp, fm->esize, d, PTE_A | (write ? PTE_D : 0));
        uint32_t big = 1u << fm->dir_shift;
        *pa = (uint32_t)(d & fm->big_frame) | (lin & (big - 1));
    } else {
        if (d & (fm->rsvd_table | xd_rsvd))
            return fault(c, f, lin, acc, PFERR_P | PFERR_RSVD);
        uint32_t idx = (lin >> 12) & ((1u << fm->pt_bits) - 1);
        uint32_t tpa = (uint32_t)(d & fm->frame) + idx * fm->esize;
        void *tp = guest_phys_ptr(vm_mem(c->vm), tpa, fm->esize);
        uint64_t t = tp ? load_entry(tp, fm->esize) : 0;
        if (!(t & PTE_P))
            return fault(c, f, lin, acc, 0);
        if (t & (fm->rsvd_pte | xd_rsvd))
            return fault(c, f, lin, acc, PFERR_P | PFERR_RSVD);
        struct leaf l = { (t & d & (PTE_U | PTE_W)) | (t & ~(uint64_t)(PTE_U | PTE_W)),
                          mmu_is_nx(c, d | t), t & PTE_D };
        if (!leaf_allows(c, &l, acc))
            return fault(c, f, lin, acc, PFERR_P);
        if (set) {
            or_entry(dp, fm->esize, d, PTE_A);
            or_entry(tp, fm->esize, t, PTE_A | (write ? PTE_D : 0));
        }
        *pa = (uint32_t)(t & fm->frame) | (lin & 0xFFFu);
    }
    return guest_mem_is_ram(vm_mem(c->vm), *pa, 1) ? MMU_OK : MMU_NOT_RAM;
}

static enum mmu_result copy(struct vcpu *c, uint32_t lin, void *buf, uint32_t n,
                            unsigned acc, struct mmu_fault *f, bool write)
{
    uint8_t *p = buf;
    /* Check every page first so that a faulting access changes nothing. */
    for (uint32_t done = 0; done < n;) {
        uint32_t a = lin + done, pa;
        uint32_t chunk = GUEST_PAGE_SIZE - (a & (GUEST_PAGE_SIZE - 1));
        if (chunk > n - done)
            chunk = n - done;
        if (mmu_translate(c, a, acc | ACC_NOSET, &pa, f) == MMU_PAGE_FAULT)
            return MMU_PAGE_FAULT;
        done += chunk;
    }
    enum mmu_result res = MMU_OK;
    for (uint32_t done = 0; done < n;) {
        uint32_t a = lin + done, pa;
        uint32_t chunk = GUEST_PAGE_SIZE - (a & (GUEST_PAGE_SIZE - 1));
        if (chunk > n - done)
            chunk = n - done;
        enum mmu_result r = mmu_translate(c, a, acc, &pa, f);
        uint8_t *h = guest_phys_ptr(vm_mem(c->vm), pa, chunk);
        if (r == MMU_OK && h) {
            if (write)
                mmu_store_ram(c->vm, pa, p + done, chunk);
            else
                memcpy(p + done, h, chunk);
        } else {
            res = MMU_NOT_RAM;
            io_mmio_access(vm_io(c->vm), r == MMU_NOT_RAM ? pa : a, p + done, chunk, write);
        }
        done += chunk;
    }
    return res;
}

enum mmu_result mmu_read(struct vcpu *c, uint32_t lin, void *buf, uint32_t n,
                         unsigned acc, struct mmu_fault *f)
{
    return copy(c, lin, buf, n, acc & ~ACC_WRITE, f, false);
}

enum mmu_result mmu_write(struct vcpu *c, uint32_t lin, const void *buf, uint32_t n,
                          unsigned acc, struct mmu_fault *f)
{
    return copy(c, lin, (void *)buf, n, acc | ACC_WRITE, f, true);
}
