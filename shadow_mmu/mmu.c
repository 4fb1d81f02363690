/*
 * shadow_mmu/mmu.c - the guest page-table walker used by the monitor's own
 * accesses.  Reference: Intel SDM vol. 3A, 4.3 "32-bit paging".
 */
#include <string.h>
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/guest_mem.h"
#include "monitor/vm.h"
#include "bt/bt.h"
#include "shadow_mmu/shadow.h"

static uint32_t *pte_ptr(struct vcpu *c, uint32_t pa)
{
    return guest_phys_ptr(&c->vm->mem, pa, 4);
}

/* Is an access of kind acc allowed by the combined U/S and R/W bits? */
static bool access_allowed(const struct vcpu *c, uint32_t flags, unsigned acc)
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

static enum mmu_result fault(struct mmu_fault *f, uint32_t lin, unsigned acc, bool present)
{
    if (f) {
        f->cr2 = lin;
        f->error = (present ? PFERR_P : 0) | ((acc & ACC_WRITE) ? PFERR_W : 0) |
                   ((acc & ACC_USER) ? PFERR_U : 0);
    }
    return MMU_PAGE_FAULT;
}

enum mmu_result mmu_translate(struct vcpu *c, uint32_t lin, unsigned acc,
                              uint32_t *pa, struct mmu_fault *f)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin;
        return guest_mem_is_ram(&c->vm->mem, lin, 1) ? MMU_OK : MMU_NOT_RAM;
    }
    uint32_t *pde = pte_ptr(c, (c->cr3 & 0xFFFFF000u) + ((lin >> 22) << 2));
    if (!pde || !(*pde & PTE_P))
        return fault(f, lin, acc, false);
    uint32_t d = *pde;
    if ((d & PTE_PS) && (c->cr4 & CR4_PSE)) {
        if (!access_allowed(c, d, acc) || ((acc & ACC_DIRTY) && !(d & PTE_D)))
            return fault(f, lin, acc, true);
        if (!(acc & ACC_NOSET))
            *pde = d | PTE_A | ((acc & ACC_WRITE) ? PTE_D : 0);
        *pa = (d & 0xFFC00000u) | (lin & 0x003FFFFFu);
    } else {
        uint32_t *pte = pte_ptr(c, (d & 0xFFFFF000u) + (((lin >> 12) & 0x3FF) << 2));
        if (!pte || !(*pte & PTE_P))
            return fault(f, lin, acc, false);
        uint32_t t = *pte;
        /* The effective rights are the stricter of the two levels. */
        uint32_t eff = t & d & (PTE_U | PTE_W);
        if (!access_allowed(c, eff | (t & ~(PTE_U | PTE_W)), acc) ||
            ((acc & ACC_DIRTY) && !(t & PTE_D)))
            return fault(f, lin, acc, true);
        if (!(acc & ACC_NOSET)) {
            if (!(d & PTE_A))
                *pde = d | PTE_A;
            *pte = t | PTE_A | ((acc & ACC_WRITE) ? PTE_D : 0);
        }
        *pa = (t & 0xFFFFF000u) | (lin & 0xFFFu);
    }
    return guest_mem_is_ram(&c->vm->mem, *pa, 1) ? MMU_OK : MMU_NOT_RAM;
}

/* One device access of 1, 2 or 4 bytes; unclaimed addresses read as all
 * ones and drop writes. */
static void mmio_piece(struct io_bus *bus, uint32_t pa, uint8_t *buf, uint32_t n, bool write)
{
    uint32_t v = 0;
    if (write) {
        memcpy(&v, buf, n);
        io_mmio_write(bus, pa, (int)n, v);
    } else if (io_mmio_read(bus, pa, (int)n, &v)) {
        memcpy(buf, &v, n);
    } else {
        memset(buf, 0xFF, n);
    }
}

/* A non-RAM physical address: a device register, or nothing.  Devices take
 * accesses of 1, 2 or 4 bytes; a wider one (CMPXCHG8B, MOVQ, a 16-byte SSE
 * move) or an odd-sized piece of an access split at a page boundary
 * reaches them as naturally aligned pieces of at most 4 bytes, lowest
 * address first. */
static void mmio(struct vcpu *c, uint32_t pa, uint8_t *buf, uint32_t n, bool write)
{
    if (n == 1 || n == 2 || n == 4) {
        mmio_piece(&c->vm->io, pa, buf, n, write);
        return;
    }
    while (n) {
        uint32_t k = n >= 4 && !(pa & 3) ? 4 : n >= 2 && !(pa & 1) ? 2 : 1;
        mmio_piece(&c->vm->io, pa, buf, k, write);
        pa += k;
        buf += k;
        n -= k;
    }
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
        uint8_t *h = guest_phys_ptr(&c->vm->mem, pa, chunk);
        if (r == MMU_OK && h) {
            if (write) {
                /* The monitor's own writes bypass the write-protected kernel
                 * view: drop translations of a code page by hand. */
                if (c->vm->mem.code_pages[pa / GUEST_PAGE_SIZE] && c->vm->tc)
                    bt_invalidate_page(c->vm, pa);
                memcpy(h, p + done, chunk);
                shadow_pt_written(c->vm, pa, chunk);
            }
            else
                memcpy(p + done, h, chunk);
        } else {
            res = MMU_NOT_RAM;
            mmio(c, r == MMU_NOT_RAM ? pa : a, p + done, chunk, write);
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
