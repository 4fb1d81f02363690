/*
 * shadow_mmu/shadow.c - building the kernel view from the guest page tables.
 *
 * Bookkeeping: lmap[] holds, for every guest linear page, what the kernel
 * view maps there now (physical page | LM_PRESENT | LM_WRITE).  rmap[] holds,
 * for every guest-physical page, up to RMAP_SLOTS linear pages that map it
 * (or RMAP_MANY), so that write-protecting a code page finds its aliases.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/mmu.h"
#include "monitor/vm.h"

#define LM_PRESENT 1u
#define LM_WRITE   2u
#define RMAP_SLOTS 3
#define RMAP_MANY  0xFFFFFFFFu
#define NPAGES_4G  (1u << 20)

struct shadow {
    uint32_t *lmap;                     /* per linear page */
    uint32_t (*rmap)[RMAP_SLOTS];       /* per physical page: linear page numbers + 1 */
    uint64_t mapped;                    /* linear pages mapped now */
    uint32_t *umap;                     /* user view: per linear page, like lmap */
    uint64_t umapped;
};

int shadow_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct shadow *s = calloc(1, sizeof *s);
    uint64_t npp = vm->mem.size / GUEST_PAGE_SIZE;
    if (s) {
        s->lmap = calloc(NPAGES_4G, sizeof *s->lmap);
        s->rmap = calloc(npp, sizeof *s->rmap);
        s->umap = calloc(NPAGES_4G, sizeof *s->umap);
    }
    if (!s || !s->lmap || !s->rmap || !s->umap) {
        snprintf(err, errlen, "out of memory for the shadow page tables");
        return -1;
    }
    vm->shadow = s;
    return 0;
}

void shadow_destroy(struct vm *vm)
{
    if (!vm->shadow)
        return;
    free(vm->shadow->lmap);
    free(vm->shadow->rmap);
    free(vm->shadow->umap);
    free(vm->shadow);
    vm->shadow = NULL;
}

static uint8_t *kview_page(struct vm *vm, uint32_t lpn)
{
    return vm->mem.kview + (uint64_t)lpn * GUEST_PAGE_SIZE;
}

void shadow_reset(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    vm->stats.shadow_flushes++;
    if (!(vm->cpu.cr0 & CR0_PG)) {
        guest_mem_map_identity(&vm->mem);
        /* Code pages stay write-protected in the identity map. */
        for (uint64_t p = 0; p < vm->mem.size / GUEST_PAGE_SIZE; p++)
            if (vm->mem.code_pages[p])
                mprotect(kview_page(vm, (uint32_t)p), GUEST_PAGE_SIZE, PROT_READ);
    } else {
        mmap(vm->mem.kview, 4ull << 30, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    }
    if (s->umapped) {
        mmap((void *)(uintptr_t)GUEST_PAGE_SIZE, (4ull << 30) - GUEST_PAGE_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        memset(s->umap, 0, NPAGES_4G * sizeof *s->umap);
        s->umapped = 0;
    }
    if (s->mapped) {
        memset(s->lmap, 0, NPAGES_4G * sizeof *s->lmap);
        memset(s->rmap, 0, vm->mem.size / GUEST_PAGE_SIZE * sizeof *s->rmap);
        s->mapped = 0;
    }
}

static void unmap_user_page(struct vm *vm, uint32_t lpn)
{
    struct shadow *s = vm->shadow;
    if (!(s->umap[lpn] & LM_PRESENT))
        return;
    s->umap[lpn] = 0;
    s->umapped--;
    mmap((void *)((uintptr_t)lpn * GUEST_PAGE_SIZE), GUEST_PAGE_SIZE, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

static void unmap_page(struct vm *vm, uint32_t lpn)
{
    struct shadow *s = vm->shadow;
    unmap_user_page(vm, lpn);
    if (!(s->lmap[lpn] & LM_PRESENT))
        return;
    uint32_t ppn = s->lmap[lpn] >> 12;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (s->rmap[ppn][i] == lpn + 1)
            s->rmap[ppn][i] = 0;
    s->lmap[lpn] = 0;
    s->mapped--;
    mmap(kview_page(vm, lpn), GUEST_PAGE_SIZE, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

void shadow_invlpg(struct vm *vm, uint32_t lin)
{
    if (!(vm->cpu.cr0 & CR0_PG))
        return;
    vm->stats.shadow_invlpg++;
    uint32_t lpn = lin >> 12;
    if (vm->cpu.cr4 & CR4_PSE) {
        /* The page may have been part of a 4 MiB mapping: drop all of it. */
        uint32_t first = lpn & ~0x3FFu;
        for (uint32_t i = first; i < first + 1024; i++)
            unmap_page(vm, i);
    } else {
        unmap_page(vm, lpn);
    }
}

static void rmap_add(struct shadow *s, uint32_t ppn, uint32_t lpn)
{
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (s->rmap[ppn][i] == lpn + 1 || s->rmap[ppn][i] == RMAP_MANY)
            return;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (s->rmap[ppn][i] == 0) {
            s->rmap[ppn][i] = lpn + 1;
            return;
        }
    s->rmap[ppn][0] = RMAP_MANY;
}

static int map_page(struct vm *vm, uint32_t lpn, uint32_t pa, bool writable)
{
    struct shadow *s = vm->shadow;
    uint32_t ppn = pa >> 12;
    if (vm->mem.code_pages[ppn])
        writable = false;
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    if (mmap(kview_page(vm, lpn), GUEST_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED,
             vm->mem.memfd, (off_t)ppn * GUEST_PAGE_SIZE) == MAP_FAILED)
        return -1;
    if (!(s->lmap[lpn] & LM_PRESENT))
        s->mapped++;
    s->lmap[lpn] = (ppn << 12) | LM_PRESENT | (writable ? LM_WRITE : 0);
    rmap_add(s, ppn, lpn);
    return 0;
}

enum shadow_result shadow_fault(struct vm *vm, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error)
{
    struct vcpu *c = &vm->cpu;
    struct mmu_fault f;
    enum mmu_result r = mmu_translate(c, lin, write ? ACC_WRITE : ACC_READ, pa, &f);
    if (r == MMU_PAGE_FAULT) {
        *pf_error = f.error;
        vm->stats.shadow_true_faults++;
        return SHADOW_GUEST_PF;
    }
    if (r == MMU_NOT_RAM)
        return SHADOW_MMIO;
    if (write && vm->mem.code_pages[*pa >> 12])
        return SHADOW_SMC;
    if (!(c->cr0 & CR0_PG))
        return SHADOW_MMIO;     /* identity map already has every RAM page */
    vm->stats.shadow_hidden_faults++;
    if (map_page(vm, lin >> 12, *pa & ~0xFFFu, write) < 0)
        return SHADOW_MMIO;
    return SHADOW_FIXED;
}

void shadow_code_page(struct vm *vm, uint32_t pa, bool protect)
{
    struct shadow *s = vm->shadow;
    uint32_t ppn = pa >> 12;
    if ((uint64_t)pa >= vm->mem.size || vm->mem.code_pages[ppn] == protect)
        return;
    vm->mem.code_pages[ppn] = protect;
    if (!(vm->cpu.cr0 & CR0_PG)) {
        mprotect(kview_page(vm, ppn), GUEST_PAGE_SIZE, protect ? PROT_READ : PROT_READ | PROT_WRITE);
        return;
    }
    if (!protect)
        return;     /* aliases stay read-only; the next write remaps them writable */
    if (s->rmap[ppn][0] == RMAP_MANY) {
        for (uint32_t lpn = 0; lpn < NPAGES_4G; lpn++)
            if ((s->lmap[lpn] & LM_WRITE) && (s->lmap[lpn] >> 12) == ppn) {
                mprotect(kview_page(vm, lpn), GUEST_PAGE_SIZE, PROT_READ);
                s->lmap[lpn] &= ~LM_WRITE;
            }
        return;
    }
    for (int i = 0; i < RMAP_SLOTS; i++) {
        uint32_t l = s->rmap[ppn][i];
        if (l && (s->lmap[l - 1] & LM_WRITE)) {
            mprotect(kview_page(vm, l - 1), GUEST_PAGE_SIZE, PROT_READ);
            s->lmap[l - 1] &= ~LM_WRITE;
        }
    }
}

enum shadow_result shadow_user_fault(struct vm *vm, uint32_t lin, bool write,
                                     uint32_t *pa, uint32_t *pf_error)
{
    struct shadow *s = vm->shadow;
    struct mmu_fault f;
    enum mmu_result r = mmu_translate(&vm->cpu, lin, ACC_USER | (write ? ACC_WRITE : ACC_READ), pa, &f);
    if (r == MMU_PAGE_FAULT) {
        *pf_error = f.error;
        vm->stats.shadow_true_faults++;
        return SHADOW_GUEST_PF;
    }
    if (r == MMU_NOT_RAM || lin < GUEST_PAGE_SIZE)
        return SHADOW_MMIO;     /* device memory, or page 0 which the host cannot map */
    uint32_t lpn = lin >> 12, ppn = *pa >> 12;
    if ((s->umap[lpn] & LM_PRESENT) && (s->umap[lpn] >> 12) == ppn && (s->umap[lpn] & LM_WRITE))
        return SHADOW_MMIO;     /* mapped as asked and still faulting: not a paging matter */
    /* Read-only until the first write, so the guest's dirty bit is exact. */
    int prot = PROT_READ | PROT_EXEC | (write ? PROT_WRITE : 0);
    if (mmap((void *)((uintptr_t)lpn * GUEST_PAGE_SIZE), GUEST_PAGE_SIZE, prot,
             MAP_SHARED | MAP_FIXED, vm->mem.memfd, (off_t)ppn * GUEST_PAGE_SIZE) == MAP_FAILED)
        return SHADOW_MMIO;
    if (!(s->umap[lpn] & LM_PRESENT))
        s->umapped++;
    s->umap[lpn] = (ppn << 12) | LM_PRESENT | (write ? LM_WRITE : 0);
    vm->stats.shadow_hidden_faults++;
    return SHADOW_FIXED;
}
