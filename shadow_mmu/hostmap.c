/*
 * shadow_mmu/hostmap.c - the host side of the shadow: which guest page each
 * host page of a view maps, and the system calls that change that.
 *
 * A kernel view is a host reservation of its own: guest linear L is at
 * view->base + L.  A user view is at host address L itself, in [4 KiB,
 * 4 GiB), the only addresses 32-bit code can reach; so only one user view
 * (the running address space's, s->ulive) can be in the host at a time.
 * The maps of the others are kept, exact like the kernel views (tracing,
 * pttrace.c), with their entries marked LM_ASIDE.  When the address space
 * runs again, the pages it faulted in during its last two time slices are
 * mapped back at the switch, one mmap per run of adjacent pages (the hot
 * count LM_HOT), and any other page it touches comes back from the
 * remembered entry (hm_bring_back_page), without a walk of the guest's
 * tables.  (Mapping all of them back at the switch cost more than it
 * saved: a process in a pipe touches about a third of its pages per time
 * slice.)
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
#include "monitor/vm.h"

/* Replace [p, p+len) by an inaccessible reservation: one system call. */
void hm_reserve(void *p, uint64_t len)
{
    mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/*
 * Empty [p, p+len) of one tag's host range.  A kernel view stays one
 * inaccessible reservation, since other mappings of the process must never
 * land in its window.  The user view is left as a hole instead: the host
 * puts the monitor's own mappings top-down from near the stack, far above
 * 4 GiB, and a page mapped into a hole costs the host kernel about a third
 * less than one carved out of a reservation, which it must split (2.7
 * against 3.7 us per mmap, 0.6 against 1.3 us per page to unmap, on the
 * host of docs/benchmarks.md).
 */
static void release(struct shadow *s, int tag, uint32_t first, uint64_t n)
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

/* The pages a tag mapped since its last clear: list_page(h, i) for i below
 * list_len(h); past LIST_MAX the list is incomplete and every linear page is
 * visited instead (callers check the map entry either way). */
static uint32_t list_len(const struct hmap *h)
{
    return h->nlist <= LIST_MAX ? h->nlist : NPAGES_4G;
}

static uint32_t list_page(const struct hmap *h, uint32_t i)
{
    return h->nlist <= LIST_MAX ? h->list[i] : i;
}

/* Forget everything a tag maps (its host range was re-reserved, or it was
 * aside). */
static void forget_all(struct shadow *s, int tag)
{
    struct hmap *h = &s->t[tag];
    for (uint32_t i = 0, n = list_len(h); i < n; i++)
        forget(s, tag, list_page(h, i));
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

static int map_fd(struct vm *vm, void *host, uint64_t len, int prot, uint32_t file_page)
{
    void *p = mmap(host, len, prot, MAP_SHARED | MAP_FIXED | MAP_POPULATE, vm->mem.memfd,
                   (off_t)file_page * GUEST_PAGE_SIZE);
    return p == MAP_FAILED ? -1 : 0;
}

/* A page that must not be written through the host views: a code page or a
 * traced page-table page. */
static bool write_protected(struct vm *vm, uint32_t ppn)
{
    return vm->mem.code_pages[ppn] || vm->shadow->ptp[ppn] == PT_TRACED;
}

/* The memfd page an entry maps: its frame, or the all-ones page. */
static uint32_t file_page(const struct vm *vm, uint32_t entry)
{
    return entry & LM_ONES ? GUEST_ONES_PAGE(&vm->mem) : entry >> 12;
}

static int prot_of(int tag, uint32_t entry)
{
    if (entry & LM_ONES)
        return PROT_READ;
    return PROT_READ | (entry & LM_WRITE ? PROT_WRITE : 0) | (is_user(tag) ? PROT_EXEC : 0);
}

int hm_map(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, bool writable)
{
    if (write_protected(vm, ppn))
        writable = false;
    uint32_t entry = (ppn << 12) | LM_PRESENT | (writable ? LM_WRITE : 0) | LM_HOT_NEW;
    if (map_fd(vm, hm_host(vm->shadow, tag, lpn), GUEST_PAGE_SIZE, prot_of(tag, entry), ppn) < 0)
        return -1;
    remember(vm->shadow, tag, lpn, entry);
    return 0;
}

bool hm_may_write(struct vm *vm, uint32_t ppn)
{
    return !write_protected(vm, ppn);
}

/* n pages whose frames follow each other, with one mmap (one host VMA).
 * Only `hot` (the page that faulted) counts as touched for the switches. */
int hm_map_run(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, uint32_t n, bool writable,
               uint32_t hot)
{
    uint32_t base = (ppn << 12) | LM_PRESENT | (writable ? LM_WRITE : 0);
    if (map_fd(vm, hm_host(vm->shadow, tag, lpn), (uint64_t)n * GUEST_PAGE_SIZE,
               prot_of(tag, base), ppn) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        remember(vm->shadow, tag, lpn + i,
                 (base + (i << 12)) | (lpn + i == hot ? LM_HOT_NEW : 0));
    return 0;
}

/* Unassigned physical memory reads as all ones: map the memfd's ones page
 * read-only there (a write faults and is emulated, then dropped). */
int hm_map_ones(struct vm *vm, int tag, uint32_t lpn)
{
    hm_unmap(vm, tag, lpn);
    uint32_t entry = LM_PRESENT | LM_ONES;
    if (map_fd(vm, hm_host(vm->shadow, tag, lpn), GUEST_PAGE_SIZE, prot_of(tag, entry),
               file_page(vm, entry)) < 0)
        return -1;
    remember(vm->shadow, tag, lpn, entry);
    vm->stats.mmio_unassigned_maps++;
    return 0;
}

/* Drop [first, first+n) of one tag: one system call for the whole range
 * when any page of it is in the host (pages in the range that were not
 * mapped are PROT_NONE already, or another view's aside, never the host's). */
static void unmap_range(struct vm *vm, int tag, uint32_t first, uint32_t n)
{
    struct shadow *s = vm->shadow;
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
    if (is_user(tag) && first == 0) {          /* host page 0 is never mapped */
        first = 1;
        n--;
    }
    if (n)
        release(s, tag, first, n);
}

void hm_unmap(struct vm *vm, int tag, uint32_t lpn)
{
    unmap_range(vm, tag, lpn, 1);
}

/* Drop the 4 MiB region d of one tag: one system call. */
void hm_clear_region(struct vm *vm, int tag, uint32_t d)
{
    if (vm->shadow->t[tag].regcount[d])
        unmap_range(vm, tag, d << 10, 1024);
}

/* Drop everything one tag maps. */
void hm_clear(struct vm *vm, int tag)
{
    struct shadow *s = vm->shadow;
    if (is_user(tag)) {
        if (tag == USER_TAG + s->ulive && s->t[tag].mapped)
            release(s, tag, 1, NPAGES_4G - 1);
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
    struct shadow *s = vm->shadow;
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
                    mprotect(hm_host(s, tag, l), GUEST_PAGE_SIZE, prot_of(tag, m[l]));
            }
    }
}

/* ---- switching user views ------------------------------------------- */

/* Does the incoming user tag `to` remember page l exactly as the outgoing
 * one maps it (the same frame, with the same protection)?  Then the host
 * page stays and changes owner: the text of a program both processes run,
 * as busybox is for every applet of a pipe. */
static bool hand_over(struct hmap *to, uint32_t l, uint32_t e)
{
    uint32_t ne = to->map[l];
    if (!(ne & LM_PRESENT) || !(ne & LM_ASIDE) || ((ne ^ e) & (~0xFFFu | LM_WRITE | LM_ONES)))
        return false;
    to->map[l] = ne & ~LM_ASIDE;
    return true;
}

static int cmp_lpn(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Unmap the user pages drop[0..n) (in any order), one call per run. */
static void release_pages(struct shadow *s, int tag, uint32_t *drop, uint32_t n)
{
    qsort(drop, n, sizeof *drop, cmp_lpn);
    for (uint32_t i = 0; i < n;) {
        uint32_t len = 1;
        while (i + len < n && drop[i + len] == drop[i] + len)
            len++;
        release(s, tag, drop[i], len);
        i += len;
    }
}

/* Put every page of a user tag aside, for the user tag `next` (or -1).
 * The pages `next` maps the same way stay in the host for it; the rest of
 * the host's user range is emptied (one system call when nothing stays).
 * The tag's list, which a remembered view keeps for ever, is compacted on
 * the way (each mapped page once), so that it does not grow past LIST_MAX
 * into whole-map scans at every switch. */
static void put_aside(struct vm *vm, int tag, int next)
{
    struct shadow *s = vm->shadow;
    struct hmap *h = &s->t[tag];
    if (!h->mapped) {
        h->nlist = 0;
        return;
    }
    bool partial = next >= 0 && h->nlist <= LIST_MAX;
    if (!partial)
        release(s, tag, 1, NPAGES_4G - 1);
    uint32_t kept = 0, ndrop = 0;
    for (uint32_t i = 0, n = list_len(h); i < n; i++) {
        uint32_t l = list_page(h, i), e = h->map[l];
        if (!(e & LM_PRESENT) || (e & LM_LISTED))
            continue;
        if (partial && !(e & LM_ASIDE) && !hand_over(&s->t[next], l, e))
            s->drop[ndrop++] = l;
        h->map[l] |= LM_ASIDE | LM_LISTED;
        if (kept < LIST_MAX)
            h->list[kept] = l;
        kept++;
    }
    if (partial)
        release_pages(s, tag, s->drop, ndrop);
    for (uint32_t i = 0; i < kept && i < LIST_MAX; i++)
        h->map[h->list[i]] &= ~LM_LISTED;
    if (kept > LIST_MAX)                        /* not all listed: clear by scanning */
        for (uint32_t l = 0; l < NPAGES_4G; l++)
            h->map[l] &= ~LM_LISTED;
    h->nlist = kept;
}

/* How many remembered pages next to l (dir +1: above, -1: below), at most
 * max, continue l's run: aside, adjacent in linear and physical memory,
 * with l's protection (and hot, if asked), so that one mmap maps them all. */
static uint32_t aside_run(const struct hmap *h, int tag, uint32_t l, int dir, uint32_t max,
                          bool hot)
{
    uint32_t e = h->map[l], n = 0;
    while (n < max) {
        int64_t next = (int64_t)l + dir * (int64_t)(n + 1);
        if (next < 1 || next >= NPAGES_4G)
            break;
        uint32_t ne = h->map[next];
        if (!(ne & LM_PRESENT) || !(ne & LM_ASIDE) || (hot && !(ne & LM_HOT)) ||
            ((ne | e) & LM_ONES) || (int64_t)(ne >> 12) != (int64_t)(e >> 12) + dir * (int64_t)(n + 1) ||
            prot_of(tag, ne) != prot_of(tag, e))
            break;
        n++;
    }
    return n;
}

/* Map back the hot pages of the user view coming in: one mmap per run of
 * pages adjacent both in linear and in physical memory, with equal
 * protection; each loses one unit of heat (a page used again faults back
 * in and gets it all back). */
static void bring_back_hot(struct vm *vm, int tag)
{
    struct shadow *s = vm->shadow;
    struct hmap *h = &s->t[tag];
    for (uint32_t i = 0, n = list_len(h); i < n; i++) {
        uint32_t l = list_page(h, i), e = h->map[l];
        if (!(e & LM_PRESENT) || !(e & LM_ASIDE) || !(e & LM_HOT))
            continue;
        uint32_t len = 1 + aside_run(h, tag, l, +1, NPAGES_4G, true);
        if (map_fd(vm, hm_host(s, tag, l), (uint64_t)len << 12, prot_of(tag, e),
                   file_page(vm, e)) < 0)
            continue;                           /* they fault back in one by one */
        for (uint32_t k = 0; k < len; k++)
            h->map[l + k] = (h->map[l + k] & ~LM_ASIDE) - LM_HOT_ONE;
        vm->stats.shadow_user_remaps += len;
    }
}

void hm_switch_user(struct vm *vm, int view)
{
    struct shadow *s = vm->shadow;
    if (view == s->ulive)
        return;
    put_aside(vm, USER_TAG + s->ulive, USER_TAG + view);
    s->ulive = view;
    bring_back_hot(vm, USER_TAG + view);
}

/* A fault on a remembered page of the live user view: map it again from
 * the remembered entry, without a walk, with the remembered neighbours the
 * same mmap can carry (up to 16 pages in all; they stay cold).  False when
 * the access needs more than the entry allows (a first write: the walk
 * sets the dirty bit). */
#define BRING_BACK_MAX 16
bool hm_bring_back_page(struct vm *vm, int tag, uint32_t lpn, bool write)
{
    struct shadow *s = vm->shadow;
    struct hmap *h = &s->t[tag];
    uint32_t e = h->map[lpn];
    if (!(e & LM_PRESENT) || !(e & LM_ASIDE) || (write && !(e & LM_WRITE)))
        return false;
    uint32_t up = aside_run(h, tag, lpn, +1, BRING_BACK_MAX - 1, false);
    uint32_t down = aside_run(h, tag, lpn, -1, BRING_BACK_MAX - 1 - up, false);
    uint32_t first = lpn - down, len = down + 1 + up;
    if (map_fd(vm, hm_host(s, tag, first), (uint64_t)len << 12, prot_of(tag, e),
               file_page(vm, h->map[first])) < 0)
        return false;
    for (uint32_t l = first; l < first + len; l++)
        h->map[l] &= ~LM_ASIDE;
    h->map[lpn] = (e & ~(LM_ASIDE | LM_HOT)) | LM_HOT_NEW;
    vm->stats.shadow_user_remaps += len;
    return true;
}

void view_unmap(struct vm *vm, int i, uint32_t first, uint32_t n)
{
    unmap_range(vm, i, first, n);
    unmap_range(vm, USER_TAG + i, first, n);
}

void view_unmap_region(struct vm *vm, int i, uint32_t d)
{
    hm_clear_region(vm, i, d);
    hm_clear_region(vm, USER_TAG + i, d);
}
