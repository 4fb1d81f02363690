/*
 * shadow_mmu/pttrace.c - keeping the views exact while the guest changes its
 * page tables, so that a CR3 load only switches views.
 *
 * Both paging formats (shadow_mmu/mmu.h, struct pg_format): 32-bit entries
 * in tables of 1024 under 4 MiB directory slots, or PAE's 64-bit entries
 * in tables of 512 under 2 MiB slots (the four directories the PDPTEs name
 * taken as one of 2048 entries).  A paging-mode change resets the shadow,
 * so everything traced is always in the format in force.
 *
 * Page tables.  Every guest page a walk reads as a page table (the last
 * level) is a "page-table page" (ptp[] = PT_TRACED): every host alias of it
 * is read-only.  The guest's first write to it faults; instead of trapping
 * every write, the page is then "unsynced": a snapshot of its 1024 entries
 * is kept, the page becomes writable and the guest's writes run at full
 * speed.  This is what a TLB allows: hardware need not notice a changed
 * entry until the guest flushes (MOV CR3, INVLPG), and an entry that was
 * not present was never cached, so a new mapping is found by the next
 * hidden fault, which walks the live tables.  At the next CR3 load
 * (shadow_resync) each unsynced page is compared with its snapshot, the
 * mappings that changed entries produced are dropped in every view, and the
 * page is write-protected again (or forgotten, if no view uses it as a page
 * table any more: guests free page tables and reuse the pages for data).
 * Writes the monitor itself makes to a traced page (the emulator) drop the
 * affected mappings at once (shadow_pt_written).
 *
 * Page directories (and PAE's PDPT) are not traced.  Each view records, per
 * directory slot it maps, the directory entry its mappings were built from (view->pde[]), and
 * compares it with the live directory at each flush point: when the view is
 * switched to (a CR3 load) and at INVLPG (which also flushes the
 * processor's directory-entry caches).  A region whose entry changed is
 * dropped; one whose entry is the same keeps its mappings.  So a freed page
 * directory reused as data and later as a directory again (Linux does this
 * with every exit and fork) costs nothing for the kernel half, which every
 * directory copies.
 *
 * To find the mappings a table entry produced, each view records per
 * physical page how its walks read it (view->uses[]: as the table of one
 * directory entry, or of several).
 */
#include <string.h>
#include "shadow_mmu/shadow_int.h"
#include "shadow_mmu/lab_mmu_trace.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"
#include "cpu/counters.h"

static bool pde_points_to(const struct vcpu *c, uint64_t pde, uint32_t ppn)
{
    return (pde & PTE_P) && !mmu_is_big(c, pde) &&
           (uint32_t)(pde & mmu_format(c)->frame) >> 12 == ppn;
}

/* Entry e of a page-table page's contents (or snapshot) p, in the format
 * in force. */
static uint64_t entry_at(const struct vcpu *c, const void *p, uint32_t e)
{
    if (mmu_format(c)->esize == 8)
        return ((const uint64_t *)p)[e];
    return ((const uint32_t *)p)[e];
}

static uint32_t table_entries(const struct vcpu *c)
{
    return 1u << mmu_format(c)->pt_bits;
}

/* The current view's walk read physical page ppn as the table of directory
 * entry use - 1.  Start tracing the page if nobody did. */
void pt_mark(struct vm *vm, uint32_t ppn, uint16_t use)
{
    struct shadow *s = shadow_of(vm);
    if (ppn >= s->npages)
        return;
    uint16_t *u = &s->v[s->cur].uses[ppn];
    if (*u == 0)
        *u = use;
    else if (*u != use)
        *u = USE_MULTI;
    if (s->ptp[ppn] == PT_NONE) {
        s->ptp[ppn] = PT_TRACED;
        hm_protect_aliases(vm, ppn);
    }
}

/* A set of changed entries of one page-table page; start it empty with
 * NO_CHANGES. */
struct changed {
    uint32_t first, last;               /* range that may hold changes */
    uint32_t bits[PT_ENTRIES / 32];     /* which entries of it did */
};
#define NO_CHANGES { .first = PT_ENTRIES, .last = 0 }

static void mark_changed(struct changed *ch, uint32_t e)
{
    ch->bits[e / 32] |= 1u << (e % 32);
    if (e < ch->first)
        ch->first = e;
    if (e > ch->last)
        ch->last = e;
}

static bool is_changed(const struct changed *ch, uint32_t e)
{
    return ch->bits[e / 32] >> (e % 32) & 1;
}

/* The directory slots of view i whose regions were built through page
 * table ppn: [*d0, *d1], to be checked with pde_points_to(v->pde[d]). */
static bool table_regions(struct vm *vm, const struct view *v, uint32_t ppn,
                          uint32_t *d0, uint32_t *d1)
{
    uint16_t use = v->uses[ppn];
    if (v->cr3 == VIEW_FREE || use == 0)
        return false;
    *d0 = use == USE_MULTI ? 0 : use - 1u;
    *d1 = use == USE_MULTI ? mmu_format(vm_cpu(vm))->ndirs - 1 : use - 1u;
    return true;
}

/* Drop in view i every mapping that the changed entries of page table ppn
 * produced: one page below each region built through it, a run of adjacent
 * changed entries at a time (a process's exit clears whole tables). */
static void drop_changed(struct vm *vm, int i, uint32_t ppn, const struct changed *ch)
{
    struct shadow *s = shadow_of(vm);
    struct view *v = &s->v[i];
    uint32_t d0, d1, bits = mmu_format(vm_cpu(vm))->pt_bits;
    if (!table_regions(vm, v, ppn, &d0, &d1))
        return;
    for (uint32_t d = d0; d <= d1; d++) {
        if (!region_used(vm, i, d) || !pde_points_to(vm_cpu(vm), v->pde[d], ppn))
            continue;
        for (uint32_t e = ch->first; e <= ch->last; e++) {
            if (!is_changed(ch, e))
                continue;
            uint32_t len = 1;
            while (e + len <= ch->last && is_changed(ch, e + len))
                len++;
            view_unmap(vm, i, (d << bits) | e, len);
            e += len - 1;
        }
    }
}

static void drop_changed_all(struct vm *vm, uint32_t ppn, const struct changed *ch)
{
    for (int i = 0; i < SHADOW_VIEWS; i++)
        drop_changed(vm, i, ppn, ch);
}

/* The monitor (the emulator) wrote a traced page-table page. */
void shadow_pt_written(struct vm *vm, uint32_t pa, uint32_t len)
{
    struct shadow *s = shadow_of(vm);
    uint32_t ppn = pa >> 12;
    struct vcpu *c = vm_cpu(vm);
    if (!s || ppn >= s->npages || s->ptp[ppn] != PT_TRACED || !(c->cr0 & CR0_PG))
        return;
    struct changed ch = NO_CHANGES;
    uint32_t esize = mmu_format(c)->esize;
    uint32_t last = ((pa & 0xFFF) + (len ? len : 1) - 1) / esize;
    const void *page = guest_phys_ptr(vm_mem(vm), (uint64_t)ppn << 12, 4096);
    for (uint32_t e = (pa & 0xFFF) / esize; e <= last && e < table_entries(c); e++) {
        mark_changed(&ch, e);
        if (s->trace.on && page)
            mmu_trace_entry(vm, ppn, e, 0, entry_at(c, page, e), false);
    }
    drop_changed_all(vm, ppn, &ch);
}

/* Is ppn still the page table of a region some view maps? */
static bool still_used(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = shadow_of(vm);
    bool used = false;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        struct view *v = &s->v[i];
        uint32_t d0, d1;
        if (!table_regions(vm, v, ppn, &d0, &d1))
            continue;
        bool here = false;
        for (uint32_t d = d0; d <= d1 && !here; d++)
            here = region_used(vm, i, d) && pde_points_to(vm_cpu(vm), v->pde[d], ppn);
        if (here)
            used = true;
        else
            v->uses[ppn] = 0;
    }
    return used;
}

/* Did an entry change in a way that changes the mapping it produces?  A/D
 * bits the walker (or the guest) set do not; a cleared one must be seen
 * again at the next access.  The mask is 64 bits wide: a PAE entry's XD
 * bit (63) is part of the mapping. */
static bool entry_changed(uint64_t old, uint64_t now)
{
    return ((old ^ now) & ~(uint64_t)PTE_AD) || (old & ~now & PTE_AD);
}

/* Compare one unsynced page with its snapshot, drop what changed, and
 * trace it again (or forget it when no view uses it as a table any more:
 * guests free page tables and reuse the pages for data). */
static void resync_page(struct vm *vm, uint32_t ppn, const uint32_t *snap)
{
    struct shadow *s = shadow_of(vm);
    const struct vcpu *c = vm_cpu(vm);
    const uint32_t *now = guest_phys_ptr(vm_mem(vm), (uint32_t)ppn << 12, 4096);
    struct changed ch = NO_CHANGES;
    for (uint32_t e = 0, n = table_entries(c); e < n; e++)
        if (entry_changed(entry_at(c, snap, e), entry_at(c, now, e))) {
            mark_changed(&ch, e);
            if (s->trace.on)
                mmu_trace_entry(vm, ppn, e, entry_at(c, snap, e), entry_at(c, now, e), true);
        }
    if (ch.first < PT_ENTRIES)
        drop_changed_all(vm, ppn, &ch);
    if (still_used(vm, ppn)) {
        s->ptp[ppn] = PT_TRACED;
        hm_protect_aliases(vm, ppn);
    } else {
        s->ptp[ppn] = PT_NONE;
        vm_stats(vm)->shadow_untraced++;
    }
}

void shadow_resync(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    for (uint32_t k = 0; k < s->nunsync; k++)
        if (s->ptp[s->unsync[k]] == PT_UNSYNC)
            resync_page(vm, s->unsync[k], s->snap[k]);
    s->nunsync = 0;
}

/*
 * A walk is about to produce a mapping from entry e of page-table page ppn.
 * If the page is unsynced and the entry differs from its snapshot, the
 * mappings made from the snapshot's value go now, and the snapshot takes
 * the new value: every mapping made from an unsynced page must agree with
 * its snapshot, or a change and its undoing before the next resync (map,
 * unmap, flush) would leave a mapping that nothing drops.
 */
static void walk_entry(struct vm *vm, uint32_t ppn, uint32_t e)
{
    struct shadow *s = shadow_of(vm);
    if (ppn >= s->npages || s->ptp[ppn] != PT_UNSYNC)
        return;
    uint32_t *snap = s->snap[s->snap_slot[ppn]];
    struct vcpu *c = vm_cpu(vm);
    uint32_t esize = mmu_format(c)->esize;
    uint64_t now = mmu_read_entry(c, (ppn << 12) + e * esize);
    if (!entry_changed(entry_at(c, snap, e), now))
        return;
    struct changed ch = NO_CHANGES;
    mark_changed(&ch, e);
    drop_changed_all(vm, ppn, &ch);
    memcpy((uint8_t *)snap + e * esize, &now, esize);      /* little-endian: the low bytes */
}

/* May a region built from directory entry o keep its mappings under entry
 * n?  The same table or big page with the same rights: yes.  A and D do
 * not matter, except a D bit the new entry of a big page lacks (the next
 * write must set it). */
static bool pde_keeps(const struct vcpu *c, uint64_t o, uint64_t n)
{
    if (!(n & PTE_P) || ((o ^ n) & ~(uint64_t)PTE_AD))
        return false;
    return !(mmu_is_big(c, n) && (o & ~n & PTE_D));
}

/*
 * A flush point for view i (it is being switched to, or INVLPG): compare
 * every region it maps with the live directory entry, drop the regions
 * whose entry changed.  An entry that lost only its accessed bit gets it
 * back at once, as the first walk through it would set it.
 */
/* Slot d of view i, whose live directory entry is `now` at guest-physical
 * pa (has = false: there is none). */
static void revalidate_slot(struct vm *vm, int i, uint32_t d, bool has, uint32_t pa, uint64_t now)
{
    struct vcpu *c = vm_cpu(vm);
    struct view *v = &shadow_of(vm)->v[i];
    if (!has || !pde_keeps(c, v->pde[d], now)) {
        /* Emptied: what it holds from now on comes from the live entry (a
         * PAE slot whose 4 MiB region stays in use is not dropped again). */
        view_unmap_region(vm, i, d);
        v->pde[d] = now;
        return;
    }
    mmu_set_bits(c, pa, now, PTE_A);
    v->pde[d] = now | PTE_A;
}

/* View i is the running address space's (the live directory is the one
 * CR3 and, with PAE, the loaded PDPTEs name).  The host bookkeeping counts
 * 4 MiB regions: with PAE each holds two slots.  A flush point of every
 * INVLPG and CR3 load: the directory pages are looked up once, their
 * entries read in place. */
void pt_revalidate_view(struct vm *vm, int i)
{
    struct shadow *s = shadow_of(vm);
    const struct vcpu *c = vm_cpu(vm);
    const struct pg_format *fm = mmu_format(c);
    const uint8_t *dirs[4];
    uint32_t per = 1u << (22 - fm->dir_shift), mask = (1u << fm->pt_bits) - 1;
    mmu_dir_pages(c, dirs);
    for (uint32_t w = 0; w < 32; w++) {
        uint32_t bits = s->t[i].regbits[w] | s->t[USER_TAG + i].regbits[w];
        while (bits) {
            uint32_t r = w * 32 + (uint32_t)__builtin_ctz(bits);
            bits &= bits - 1;
            for (uint32_t d = r * per; d < (r + 1) * per; d++) {
                const uint8_t *dir = dirs[d >> fm->pt_bits];
                uint64_t now = dir ? entry_at(c, dir, d & mask) : 0;
                if (dir && now == s->v[i].pde[d] && (now & PTE_P))
                    continue;           /* the common case: unchanged, A set */
                uint32_t pa = dir ? (uint32_t)(dir - vm_mem(vm)->ram) + (d & mask) * fm->esize : 0;
                revalidate_slot(vm, i, d, dir != NULL, pa, now);
            }
        }
    }
}

/* Record what the translation of lin went through: the directory entry of
 * its region (a changed one first drops what the old one produced) and the
 * page table, which becomes traced. */
void pt_note_walk(struct vm *vm, uint32_t lin)
{
    struct shadow *s = shadow_of(vm);
    const struct vcpu *c = vm_cpu(vm);
    const struct pg_format *fm = mmu_format(c);
    int i = s->cur;
    struct view *v = &s->v[i];
    uint32_t d = lin >> fm->dir_shift, pa;
    uint64_t pde;
    if (!mmu_dir_entry(c, d, &pa, &pde))
        return;
    if (region_used(vm, i, d) && !pde_keeps(c, v->pde[d], pde))
        view_unmap_region(vm, i, d);
    v->pde[d] = pde;
    v->big[d] = mmu_is_big(c, pde);
    if (!v->big[d]) {
        uint32_t table = (uint32_t)(pde & fm->frame) >> 12;
        pt_mark(vm, table, (uint16_t)(d + 1));
        walk_entry(vm, table, (lin >> 12) & (table_entries(c) - 1));
    }
}

/* The guest writes a traced page-table page: let it (see the top). */
void pt_unsync(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = shadow_of(vm);
    if (s->nunsync == UNSYNC_MAX)
        shadow_resync(vm);      /* early, which is always allowed */
    memcpy(s->snap[s->nunsync], guest_phys_ptr(vm_mem(vm), ppn << 12, 4096), 4096);
    s->snap_slot[ppn] = (uint16_t)s->nunsync;
    s->unsync[s->nunsync++] = ppn;
    s->ptp[ppn] = PT_UNSYNC;
    vm_stats(vm)->shadow_trace_faults++;
    if (s->trace.on)
        mmu_trace_unsync(vm, ppn);
}
