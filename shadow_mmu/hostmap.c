/*
 * shadow_mmu/hostmap.c - the host side of the shadow: which guest page each
 * host page of a view maps, and the system calls that change that.
 *
 * A kernel view is a host reservation of its own: guest linear L is at
 * view->base + L.  A user view is at host address L itself, in [4 KiB,
 * 4 GiB), the only addresses 32-bit code can reach; so only one user view
 * (the running address space's, s->ulive) can be in the host at a time.
 * The maps of the others are kept, exact like the kernel views (tracing,
 * pttrace.c), with their entries marked LM_ASIDE; userview.c switches them.
 *
 * Per tag, struct hmap holds the map (per linear page: physical page |
 * LM_*), how many pages each 4 MiB region maps, and the list of pages mapped
 * since the last clear (a clear touches only them).  rmap[] holds, per
 * guest-physical page, up to RMAP_SLOTS (tag, linear page) aliases, or
 * RMAP_MANY, so that a page that becomes a code page or a page-table page
 * can have every alias write-protected.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "shadow_mmu/shadow_int.h"
#include "cpu/machine.h"
#include "cpu/counters.h"

/* Replace [p, p+len) by an inaccessible reservation: one system call. */
void hm_reserve(void *p, uint64_t len)
{
    mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/*
 * Empty [p, p+len) of one tag's host range.  A kernel view stays one
 * inaccessible reservation, since other mappings of the process must never
 * land in its window.  The user view is left as a hole instead: the host
 * places the monitor's own mappings (no mmap of the monitor passes an
 * address hint) top-down from near the stack, or bottom-up from a third of
 * the 47-bit space with the legacy layout, never below 4 GiB while the
 * terabytes above have room; and a page mapped into a hole costs the host
 * kernel about a third less than one carved out of a reservation, which it
 * must split (1.7 against 2.6 us per mmap, 0.5 against 0.9 us per page to
 * empty again, quiet host of docs/benchmarks.md: host_mmap_* and
 * host_unmap_* of build/bench/syscall/host_syscall).
 */
void hm_release(struct shadow *s, int tag, uint32_t first, uint64_t n)
{
    if (is_user(tag))
        munmap(hm_host(s, tag, first), n << 12);
    else
        hm_reserve(hm_host(s, tag, first), n << 12);
}

int hm_init(struct shadow *s)
{
    for (int t = 0; t < NTAGS; t++) {
        s->t[t].map = calloc(NPAGES_4G, sizeof *s->t[t].map);
        s->t[t].list = calloc(LIST_MAX, sizeof *s->t[t].list);
        if (!s->t[t].map || !s->t[t].list)
            return -1;
    }
    s->rmap = calloc(s->npages, sizeof *s->rmap);
    s->drop = calloc(LIST_MAX, sizeof *s->drop);
    return s->rmap && s->drop ? 0 : -1;
}

void hm_destroy(struct shadow *s)
{
    for (int t = 0; t < NTAGS; t++) {
        free(s->t[t].map);
        free(s->t[t].list);
    }
    free(s->rmap);
    free(s->drop);
}

uint8_t *hm_host(const struct shadow *s, int tag, uint32_t lpn)
{
    if (is_user(tag))
        return (uint8_t *)((uintptr_t)lpn << 12);
    return s->v[tag].base + (uint64_t)lpn * GUEST_PAGE_SIZE;
}

/* Is this mapping in the host now (as opposed to remembered aside)? */
static bool in_host(const struct shadow *s, int tag, uint32_t entry)
{
    return !is_user(tag) || (tag == USER_TAG + s->ulive && !(entry & LM_ASIDE));
}

/* ---- reverse map ---------------------------------------------------- */

static uint32_t rmap_val(int tag, uint32_t lpn)
{
    return (((uint32_t)tag << 20) | lpn) + 1;
}

static void rmap_add(struct shadow *s, uint32_t ppn, int tag, uint32_t lpn)
{
    uint32_t val = rmap_val(tag, lpn);
    uint32_t *r = s->rmap[ppn];
    if (r[0] == RMAP_MANY)
        return;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (r[i] == val)
            return;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (r[i] == 0) {
            r[i] = val;
            return;
        }
    r[0] = RMAP_MANY;
}

static void rmap_del(struct shadow *s, uint32_t ppn, int tag, uint32_t lpn)
{
    uint32_t val = rmap_val(tag, lpn);
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (s->rmap[ppn][i] == val)
            s->rmap[ppn][i] = 0;
}

/* ---- bookkeeping ---------------------------------------------------- */

/* Forget one mapping (the caller deals with the host page). */
static void forget(struct shadow *s, int tag, uint32_t lpn)
{
    struct hmap *h = &s->t[tag];
    uint32_t e = h->map[lpn];
    if (!(e & LM_PRESENT))
        return;
    if (!(e & LM_ONES))
        rmap_del(s, e >> 12, tag, lpn);
    h->map[lpn] = 0;
    h->mapped--;
    if (--h->regcount[lpn >> 10] == 0)
        h->regbits[lpn >> 15] &= ~(1u << ((lpn >> 10) & 31));
}


/* Forget everything a tag maps (its host range was re-reserved, or it was
 * aside). */
static void forget_all(struct shadow *s, int tag)
{
    struct hmap *h = &s->t[tag];
    for (uint32_t i = 0, n = hm_list_len(h); i < n; i++)
        forget(s, tag, hm_list_page(h, i));
    h->nlist = 0;
}

/* Record a mapping just made (new, or replacing one). */
static void remember(struct shadow *s, int tag, uint32_t lpn, uint32_t entry)
{
    struct hmap *h = &s->t[tag];
    if (h->map[lpn] & LM_PRESENT) {
        if (!(h->map[lpn] & LM_ONES))
            rmap_del(s, h->map[lpn] >> 12, tag, lpn);
    } else {
        h->mapped++;
        if (h->regcount[lpn >> 10]++ == 0)
            h->regbits[lpn >> 15] |= 1u << ((lpn >> 10) & 31);
        if (h->nlist < LIST_MAX)
            h->list[h->nlist] = lpn;
        h->nlist++;
    }
    h->map[lpn] = entry;
    if (!(entry & LM_ONES))
        rmap_add(s, entry >> 12, tag, lpn);
}

/* ---- mapping ---------------------------------------------------------- */

int hm_map_fd(struct vm *vm, void *host, uint64_t len, int prot, uint32_t file_page)
{
    void *p = mmap(host, len, prot, MAP_SHARED | MAP_FIXED | MAP_POPULATE, vm_mem(vm)->memfd,
                   (off_t)file_page * GUEST_PAGE_SIZE);
    return p == MAP_FAILED ? -1 : 0;
}

/* A page that must not be written through the host views: a code page, a
 * traced page-table page, or a shadow page whose writes are discarded. */
static bool write_protected(struct vm *vm, uint32_t ppn)
{
    return vm_mem(vm)->code_pages[ppn] || shadow_of(vm)->ptp[ppn] == PT_TRACED ||
           guest_mem_write_discarded(vm_mem(vm), (uint64_t)ppn << 12);
}

/* The memfd page an entry maps: its frame, or the all-ones page. */
uint32_t hm_file_page(struct vm *vm, uint32_t entry)
{
    return entry & LM_ONES ? GUEST_ONES_PAGE(vm_mem(vm)) : entry >> 12;
}

int hm_prot(int tag, uint32_t entry)
{
    if (entry & LM_ONES)
        return PROT_READ;
    return PROT_READ | (entry & LM_WRITE ? PROT_WRITE : 0) |
           (is_user(tag) && !(entry & LM_NX) ? PROT_EXEC : 0);
}

bool hm_may_write(struct vm *vm, uint32_t ppn)
{
    return !write_protected(vm, ppn);
}

/* n pages whose frames follow each other, with one mmap (one host VMA).
 * Only `hot` (the page that faulted) counts as touched for the switches. */
int hm_map_run(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, uint32_t n, bool writable,
               bool nx, uint32_t hot)
{
    uint32_t base = (ppn << 12) | LM_PRESENT | (writable ? LM_WRITE : 0) | (nx ? LM_NX : 0);
    struct shadow *s = shadow_of(vm);
    if (hm_map_fd(vm, hm_host(s, tag, lpn), (uint64_t)n * GUEST_PAGE_SIZE,
               hm_prot(tag, base), ppn) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        remember(s, tag, lpn + i,
                 (base + (i << 12)) | (lpn + i == hot ? LM_HOT_NEW : 0));
    return 0;
}

int hm_map(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, bool writable, bool nx)
{
    return hm_map_run(vm, tag, lpn, ppn, 1, writable && !write_protected(vm, ppn), nx, lpn);
}

/* Unassigned physical memory reads as all ones: map the memfd's ones page
 * read-only there (a write faults and is emulated, then dropped). */
int hm_map_ones(struct vm *vm, int tag, uint32_t lpn)
{
    hm_unmap(vm, tag, lpn);
    uint32_t entry = LM_PRESENT | LM_ONES;
    struct shadow *s = shadow_of(vm);
    if (hm_map_fd(vm, hm_host(s, tag, lpn), GUEST_PAGE_SIZE, hm_prot(tag, entry),
               hm_file_page(vm, entry)) < 0)
        return -1;
    remember(s, tag, lpn, entry);
    vm_stats(vm)->mmio_unassigned_maps++;
    return 0;
}

/* Drop [first, first+n) of one tag: one system call for the whole range
 * when any page of it is in the host (pages in the range that were not
 * mapped are PROT_NONE already, or another view's aside, never the host's). */
static void unmap_range(struct vm *vm, int tag, uint32_t first, uint32_t n)
{
    struct shadow *s = shadow_of(vm);
    bool in = false;
    for (uint32_t l = first; l < first + n; l++) {
        uint32_t e = s->t[tag].map[l];
        if (!(e & LM_PRESENT))
            continue;
        in |= in_host(s, tag, e);
        forget(s, tag, l);
    }
    if (!in)
        return;
    if (is_user(tag) && first < s->user_first) {  /* host page 0 is not mapped */
        first = 1;
        n--;
    }
    if (n)
        hm_release(s, tag, first, n);
}

void hm_unmap(struct vm *vm, int tag, uint32_t lpn)
{
    unmap_range(vm, tag, lpn, 1);
}

/* Drop the 4 MiB region d of one tag: one system call. */
void hm_clear_region(struct vm *vm, int tag, uint32_t d)
{
    if (shadow_of(vm)->t[tag].regcount[d])
        unmap_range(vm, tag, d << 10, 1024);
}

/* Drop everything one tag maps. */
void hm_clear(struct vm *vm, int tag)
{
    struct shadow *s = shadow_of(vm);
    if (is_user(tag)) {
        if (tag == USER_TAG + s->ulive && s->t[tag].mapped)
            hm_release(s, tag, s->user_first, NPAGES_4G - s->user_first);
    } else {
        /* Always re-reserve a kernel view: view 0 may hold the identity
         * map of paging-off times, which the map does not count. */
        hm_reserve(s->v[tag].base, 4ull << 30);
    }
    forget_all(s, tag);
}

/* Make every writable host alias of a physical page read-only. */
void hm_protect_aliases(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = shadow_of(vm);
    bool many = s->rmap[ppn][0] == RMAP_MANY;
    int n = many ? NTAGS : RMAP_SLOTS;
    for (int i = 0; i < n; i++) {
        uint32_t first = 0, last = NPAGES_4G - 1;
        int tag = i;
        if (!many) {
            uint32_t r = s->rmap[ppn][i];
            if (!r)
                continue;
            tag = (int)((r - 1) >> 20);
            first = last = (r - 1) & (NPAGES_4G - 1);
        }
        uint32_t *m = s->t[tag].map;
        for (uint32_t l = first; l <= last; l++)
            if ((m[l] & LM_WRITE) && (m[l] >> 12) == ppn) {
                m[l] &= ~LM_WRITE;          /* an entry aside is mapped so later */
                if (in_host(s, tag, m[l]))
                    mprotect(hm_host(s, tag, l), GUEST_PAGE_SIZE, hm_prot(tag, m[l]));
            }
    }
}

/* Drop every user-view alias of a physical page. */
void hm_unmap_user_aliases(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = shadow_of(vm);
    uint32_t r[RMAP_SLOTS];
    memcpy(r, s->rmap[ppn], sizeof r);          /* hm_unmap edits the slots */
    if (r[0] == RMAP_MANY) {
        for (int tag = USER_TAG; tag < NTAGS; tag++)
            for (uint32_t l = 0; l < NPAGES_4G; l++)
                if ((s->t[tag].map[l] & LM_PRESENT) && !(s->t[tag].map[l] & LM_ONES) &&
                    (s->t[tag].map[l] >> 12) == ppn)
                    hm_unmap(vm, tag, l);
        return;
    }
    for (int i = 0; i < RMAP_SLOTS; i++) {
        if (!r[i])
            continue;
        int tag = (int)((r[i] - 1) >> 20);
        if (is_user(tag))
            hm_unmap(vm, tag, (r[i] - 1) & (NPAGES_4G - 1));
    }
}

void view_unmap(struct vm *vm, int i, uint32_t first, uint32_t n)
{
    unmap_range(vm, i, first, n);
    unmap_range(vm, USER_TAG + i, first, n);
}

bool region_used(struct vm *vm, int i, uint32_t d)
{
    const struct shadow *s = shadow_of(vm);
    uint32_t r = d >> (22 - mmu_format(vm_cpu(vm))->dir_shift);
    return s->t[i].regcount[r] || s->t[USER_TAG + i].regcount[r];
}

void view_unmap_region(struct vm *vm, int i, uint32_t d)
{
    const struct pg_format *fm = mmu_format(vm_cpu(vm));
    if (!fm->pae) {
        hm_clear_region(vm, i, d);
        hm_clear_region(vm, USER_TAG + i, d);
    } else if (region_used(vm, i, d)) {
        view_unmap(vm, i, d << fm->pt_bits, 1u << fm->pt_bits);
    }
}
