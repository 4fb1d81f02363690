/*
 * shadow_mmu/userview.c - switching the user view when ring 3 next runs
 * after a CR3 load (shadow_user_enter).
 *
 * Only the running address space's user view can be in the host's
 * [4 KiB, 4 GiB) (from page 0 where vmm may map it; hostmap.c says why); the others are remembered, exact,
 * with their entries marked LM_ASIDE.  At a switch:
 *  - the pages the incoming space maps exactly like the outgoing one (the
 *    same frame with the same protection at the same address: the program
 *    text two processes of one binary share) stay in the host;
 *  - the rest of the outgoing view is unmapped, one system call per run;
 *  - the pages the incoming space faulted in during its last two time
 *    slices are mapped back (the hot count LM_HOT), one mmap per run of
 *    pages adjacent in linear and physical memory;
 *  - any other page it touches comes back from the remembered entry
 *    (hm_bring_back_page), without a walk of the guest's tables, with the
 *    remembered neighbours the same mmap can carry.
 * Measured and not kept: mapping every remembered page back at the switch
 * (a process in a pipe touches about a third of them per slice), and
 * keeping the outgoing pages in the host as PROT_NONE to be re-enabled by
 * mprotect (the sha256 pipe gained 4 %, fork+exec lost 9 %, medians of 5
 * interleaved runs of each `vmmbench=` program against the build without
 * it: the pages of a process that exits are never re-enabled, and mapping
 * over them later costs more than mapping into a hole).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include "shadow_mmu/shadow_int.h"
#include "cpu/machine.h"
#include "cpu/counters.h"

/* Does the incoming user tag `to` remember page l exactly as the outgoing
 * one maps it (the same frame, with the same protection)?  Then the host
 * page stays and changes owner: the text of a program both processes run,
 * as busybox is for every applet of a pipe. */
static bool hand_over(struct hmap *to, uint32_t l, uint32_t e)
{
    uint32_t ne = to->map[l];
    if (!(ne & LM_PRESENT) || !(ne & LM_ASIDE) || ((ne ^ e) & (~0xFFFu | LM_WRITE | LM_ONES | LM_NX)))
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
        hm_release(s, tag, drop[i], len);
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
    struct shadow *s = shadow_of(vm);
    struct hmap *h = &s->t[tag];
    if (!h->mapped) {
        h->nlist = 0;
        return;
    }
    bool partial = next >= 0 && h->nlist <= LIST_MAX;
    if (!partial)
        hm_release(s, tag, s->user_first, NPAGES_4G - s->user_first);
    uint32_t kept = 0, ndrop = 0;
    for (uint32_t i = 0, n = hm_list_len(h); i < n; i++) {
        uint32_t l = hm_list_page(h, i), e = h->map[l];
        if (!(e & LM_PRESENT) || (e & LM_LISTED))
            continue;
        if (partial && !(e & LM_ASIDE)) {
            if (hand_over(&s->t[next], l, e))
                vm_stats(vm)->shadow_user_kept++;
            else
                s->drop[ndrop++] = l;
        }
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
            hm_prot(tag, ne) != hm_prot(tag, e))
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
    struct shadow *s = shadow_of(vm);
    struct hmap *h = &s->t[tag];
    for (uint32_t i = 0, n = hm_list_len(h); i < n; i++) {
        uint32_t l = hm_list_page(h, i), e = h->map[l];
        if (!(e & LM_PRESENT) || !(e & LM_ASIDE) || !(e & LM_HOT))
            continue;
        uint32_t len = 1 + aside_run(h, tag, l, +1, NPAGES_4G, true);
        if (hm_map_fd(vm, hm_host(s, tag, l), (uint64_t)len << 12, hm_prot(tag, e),
                   hm_file_page(vm, e)) < 0)
            continue;                           /* they fault back in one by one */
        for (uint32_t k = 0; k < len; k++)
            h->map[l + k] = (h->map[l + k] & ~LM_ASIDE) - LM_HOT_ONE;
        vm_stats(vm)->shadow_user_remaps += len;
    }
}

void hm_switch_user(struct vm *vm, int view)
{
    struct shadow *s = shadow_of(vm);
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
    struct shadow *s = shadow_of(vm);
    struct hmap *h = &s->t[tag];
    uint32_t e = h->map[lpn];
    if (!(e & LM_PRESENT) || !(e & LM_ASIDE) || (write && !(e & LM_WRITE)))
        return false;
    uint32_t up = aside_run(h, tag, lpn, +1, BRING_BACK_MAX - 1, false);
    uint32_t down = aside_run(h, tag, lpn, -1, BRING_BACK_MAX - 1 - up, false);
    uint32_t first = lpn - down, len = down + 1 + up;
    if (hm_map_fd(vm, hm_host(s, tag, first), (uint64_t)len << 12, hm_prot(tag, e),
               hm_file_page(vm, h->map[first])) < 0)
        return false;
    for (uint32_t l = first; l < first + len; l++)
        h->map[l] &= ~LM_ASIDE;
    h->map[lpn] = (e & ~(LM_ASIDE | LM_HOT)) | LM_HOT_NEW;
    vm_stats(vm)->shadow_user_remaps += len;
    return true;
}
