/*
 * shadow_mmu/guest_mem.c - the guest-RAM memfd and its host mappings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "shadow_mmu/guest_mem.h"

/* Guest RAM must leave room below 4 GiB for the PCI hole and the APICs. */
#define MAX_RAM_MIB 3072
#define MIN_RAM_MIB 2

int guest_mem_init(struct guest_mem *m, uint64_t mib, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->memfd = -1;
    if (mib < MIN_RAM_MIB || mib > MAX_RAM_MIB) {
        snprintf(err, errlen, "--mem %llu: guest RAM must be %d to %d MiB",
                 (unsigned long long)mib, MIN_RAM_MIB, MAX_RAM_MIB);
        return -1;
    }
    m->size = mib << 20;
    m->a20_mask = 0xFFFFFFFFu;          /* the gate is open at power-on */
    m->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
    if (m->memfd < 0 || ftruncate(m->memfd, (off_t)(m->size + GUEST_PAGE_SIZE)) < 0) {
        snprintf(err, errlen, "cannot create %llu MiB of guest RAM: %s",
                 (unsigned long long)mib, strerror(errno));
        goto fail;
    }
    m->ram = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd, 0);
    if (m->ram == MAP_FAILED) {
        m->ram = NULL;
        snprintf(err, errlen, "cannot map guest RAM: %s", strerror(errno));
        goto fail;
    }
    uint8_t ones[GUEST_PAGE_SIZE];
    memset(ones, 0xFF, sizeof ones);
    if (pwrite(m->memfd, ones, sizeof ones, (off_t)m->size) != (ssize_t)sizeof ones) {
        snprintf(err, errlen, "cannot write the unassigned-memory page: %s", strerror(errno));
        goto fail;
    }
    m->kview = kview_reserve();
    if (!m->kview) {
        snprintf(err, errlen, "cannot reserve the kernel view and its guards above 4 GiB");
        goto fail;
    }
    m->code_pages = calloc(m->size / GUEST_PAGE_SIZE, 1);
    if (!m->code_pages) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    guest_mem_destroy(m);
    return -1;
}

void guest_mem_destroy(struct guest_mem *m)
{
    kview_release(m->kview);
    if (m->ram)
        munmap(m->ram, m->size);
    if (m->memfd >= 0)
        close(m->memfd);
    free(m->code_pages);
    memset(m, 0, sizeof *m);
    m->memfd = -1;
}

/* The kernel view: the whole window and its guards reserved up front so
 * that nothing else is ever placed inside.  It must lie above 4 GiB (the
 * user view owns the low 4 GiB), which a PIE's mmap area always does. */
uint8_t *kview_reserve(void)
{
    uint8_t *p = mmap(NULL, KVIEW_SPAN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if ((uint64_t)(uintptr_t)p < (4ull << 30)) {
        munmap(p, KVIEW_SPAN);
        return NULL;
    }
    return p + KVIEW_GUARD_BELOW;
}

void kview_release(uint8_t *base)
{
    if (base)
        munmap(base - KVIEW_GUARD_BELOW, KVIEW_SPAN);
}

int guest_mem_map_identity(struct guest_mem *m)
{
    /* Everything above RAM stays PROT_NONE: an access there is MMIO or
     * unassigned and must reach the monitor. */
    if (mmap(m->kview, 4ull << 30, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
        return -1;
    if (mmap(m->kview, m->size, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED, m->memfd, 0) == MAP_FAILED)
        return -1;
    if (guest_mem_map_a20_alias(m) < 0)
        return -1;
    for (uint32_t i = 0; i < GUEST_SHADOW_PAGES; i++)
        if (m->shadow_ro >> i & 1)
            guest_mem_identity_protect(m, (GUEST_SHADOW_BASE >> 12) + i, PROT_READ);
    return 0;
}

void guest_mem_identity_protect(struct guest_mem *m, uint32_t ppn, int prot)
{
    if ((uint64_t)ppn * GUEST_PAGE_SIZE >= m->size)
        return;
    mprotect(m->kview + (uint64_t)ppn * GUEST_PAGE_SIZE, GUEST_PAGE_SIZE, prot);
    uint32_t alias = ppn | (A20_BIT >> 12);
    if (!(m->a20_mask & A20_BIT) && alias != ppn && (uint64_t)alias * GUEST_PAGE_SIZE < m->size)
        mprotect(m->kview + (uint64_t)alias * GUEST_PAGE_SIZE, GUEST_PAGE_SIZE, prot);
}

int guest_mem_map_a20_alias(struct guest_mem *m)
{
    if (m->a20_mask & A20_BIT)
        return 0;
    for (uint64_t mb = A20_BIT; mb < m->size; mb += 2 * A20_BIT) {
        uint64_t len = m->size - mb < A20_BIT ? m->size - mb : A20_BIT;
        if (mmap(m->kview + mb, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->memfd,
                 (off_t)(mb - A20_BIT)) == MAP_FAILED)
            return -1;
    }
    return 0;
}
