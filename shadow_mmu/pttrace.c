/*
 * shadow_mmu/pttrace.c - tracing the guest's page tables, so that a view
 * stays exact while its address space is not running and a CR3 load only
 * switches views.
 *
 * Every guest page the walker reads as a page directory or page table is a
 * "page-table page" (ptp[] = PT_TRACED): every host alias of it is
 * read-only.  The guest's first write to it faults; instead of trapping
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
 * INVLPG drops its page at once (shadow.c).  Writes the monitor itself
 * makes to a traced page (the emulator) drop the affected mappings at once
 * (shadow_pt_written).
 *
 * To find the mappings an entry produced, each view records per physical
 * page how its walks read it (view->uses[]: as its directory, or as the
 * table of one directory entry).
 */
#include <string.h>
#include "shadow_mmu/shadow_int.h"
#include "shadow_mmu/mmu.h"
#include "monitor/vm.h"

static bool pde_points_to(uint32_t pde, uint32_t ppn, uint32_t cr4)
{
    return (pde & PTE_P) && !((pde & PTE_PS) && (cr4 & CR4_PSE)) && (pde >> 12) == ppn;
}

/* The current view's walk read physical page ppn as `use` (USE_PD, or
 * directory entry + 1).  Start tracing the page if nobody did. */
void pt_mark(struct vm *vm, uint32_t ppn, uint16_t use)
{
    struct shadow *s = vm->shadow;
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

/* Record which page-table pages the translation of lin went through. */
/* A set of changed entries of one page-table page. */
struct changed {
    uint32_t first, last;               /* range that may hold changes */
    uint32_t bits[PT_ENTRIES / 32];     /* which entries of it did */
};

static bool is_changed(const struct changed *ch, uint32_t e)
{
    return ch->bits[e / 32] >> (e % 32) & 1;
}

/* Drop in view i every mapping that the changed entries of page-table page
 * ppn produced: as its directory, a changed entry covered 4 MiB; as a page
 * table, one page below each directory entry that points here. */
static void drop_changed(struct vm *vm, int i, uint32_t ppn, const struct changed *ch)
{
    struct shadow *s = vm->shadow;
    struct view *v = &s->v[i];
    uint16_t use = v->uses[ppn];
    if (v->cr3 == VIEW_FREE || use == 0)
        return;
    if (ppn == v->cr3 >> 12)
        for (uint32_t e = ch->first; e <= ch->last; e++)
            if (is_changed(ch, e))
                view_unmap_region(vm, i, e);
    if (use == USE_PD)
        return;
    uint32_t *pd = guest_phys_ptr(&vm->mem, v->cr3, 4096);
    uint32_t d0 = use == USE_MULTI ? 0 : use - 1u, d1 = use == USE_MULTI ? 1023 : use - 1u;
    for (uint32_t d = d0; pd && d <= d1; d++)
        if (pde_points_to(pd[d], ppn, vm->cpu.cr4))
            for (uint32_t e = ch->first; e <= ch->last; e++)
                if (is_changed(ch, e))
                    view_unmap(vm, i, (d << 10) | e, 1);
}

static void drop_changed_all(struct vm *vm, uint32_t ppn, const struct changed *ch)
{
    for (int i = 0; i < SHADOW_VIEWS; i++)
        drop_changed(vm, i, ppn, ch);
}

/* The monitor (the emulator) wrote a traced page-table page. */
void shadow_pt_written(struct vm *vm, uint32_t pa, uint32_t len)
{
    struct shadow *s = vm->shadow;
    uint32_t ppn = pa >> 12;
    if (!s || ppn >= s->npages || s->ptp[ppn] != PT_TRACED || !(vm->cpu.cr0 & CR0_PG))
        return;
    struct changed ch = { .first = (pa & 0xFFF) >> 2 };
    ch.last = ((pa & 0xFFF) + (len ? len : 1) - 1) >> 2;
    if (ch.last > PT_ENTRIES - 1)
        ch.last = PT_ENTRIES - 1;
    for (uint32_t e = ch.first; e <= ch.last; e++)
        ch.bits[e / 32] |= 1u << (e % 32);
    drop_changed_all(vm, ppn, &ch);
}

/* Is ppn still read as a page table by some view (its directory, or a table
 * a directory entry points to)? */
static bool still_used(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = vm->shadow;
    bool used = false;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        struct view *v = &s->v[i];
        uint16_t use = v->uses[ppn];
        if (v->cr3 == VIEW_FREE || use == 0)
            continue;
        bool here = ppn == v->cr3 >> 12;
        if (use != USE_PD) {
            uint32_t *pd = guest_phys_ptr(&vm->mem, v->cr3, 4096);
            uint32_t d0 = use == USE_MULTI ? 0 : use - 1u, d1 = use == USE_MULTI ? 1023 : use - 1u;
            for (uint32_t d = d0; pd && d <= d1 && !here; d++)
                here = pde_points_to(pd[d], ppn, vm->cpu.cr4);
        }
        if (here)
            used = true;
        else
            v->uses[ppn] = 0;
    }
    return used;
}

/* Did an entry change in a way that changes the mapping it produces?  A/D
 * bits the walker (or the guest) set do not; a cleared one must be seen
 * again at the next access. */
static bool entry_changed(uint32_t old, uint32_t now)
{
    return ((old ^ now) & ~PTE_AD) || (old & ~now & PTE_AD);
}

/* Compare one unsynced page with its snapshot, drop what changed, and
 * trace it again (or forget it when no view uses it as a table any more:
 * guests free page tables and reuse the pages for data). */
static void resync_page(struct vm *vm, uint32_t ppn, const uint32_t *snap)
{
    struct shadow *s = vm->shadow;
    const uint32_t *now = guest_phys_ptr(&vm->mem, (uint32_t)ppn << 12, 4096);
    struct changed ch = { .first = PT_ENTRIES, .last = 0 };
    for (uint32_t e = 0; e < PT_ENTRIES; e++) {
        if (entry_changed(snap[e], now[e])) {
            ch.bits[e / 32] |= 1u << (e % 32);
            if (e < ch.first)
                ch.first = e;
            ch.last = e;
        }
    }
    if (ch.first < PT_ENTRIES)
        drop_changed_all(vm, ppn, &ch);
    if (still_used(vm, ppn)) {
        s->ptp[ppn] = PT_TRACED;
        hm_protect_aliases(vm, ppn);
    } else {
        s->ptp[ppn] = PT_NONE;
        vm->stats.shadow_untraced++;
    }
}

void shadow_resync(struct vm *vm)
{
    struct shadow *s = vm->shadow;
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
    struct shadow *s = vm->shadow;
    if (ppn >= s->npages || s->ptp[ppn] != PT_UNSYNC)
        return;
    uint32_t *snap = &s->snap[s->snap_slot[ppn]][e];
    uint32_t now = *(uint32_t *)guest_phys_ptr(&vm->mem, (ppn << 12) + e * 4, 4);
    if (!entry_changed(*snap, now))
        return;
    struct changed ch = { .first = e, .last = e };
    ch.bits[e / 32] = 1u << (e % 32);
    drop_changed_all(vm, ppn, &ch);
    *snap = now;
}

/* Record which page-table pages the translation of lin went through. */
void pt_note_walk(struct vm *vm, uint32_t lin)
{
    uint32_t pd = vm->cpu.cr3 & ~0xFFFu, d = lin >> 22;
    uint32_t *pde = guest_phys_ptr(&vm->mem, pd + (d << 2), 4);
    pt_mark(vm, pd >> 12, USE_PD);
    walk_entry(vm, pd >> 12, d);
    if (pde && pde_points_to(*pde, *pde >> 12, vm->cpu.cr4)) {
        pt_mark(vm, *pde >> 12, (uint16_t)(d + 1));
        walk_entry(vm, *pde >> 12, (lin >> 12) & 1023);
    } else if (pde && (*pde & PTE_P)) {
        vm->shadow->v[vm->shadow->cur].big[d] = 1;     /* a 4 MiB page */
    }
}

/* The guest writes a traced page-table page: let it (see the top). */
void pt_unsync(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = vm->shadow;
    if (s->nunsync == UNSYNC_MAX)
        shadow_resync(vm);      /* early, which is always allowed */
    memcpy(s->snap[s->nunsync], guest_phys_ptr(&vm->mem, ppn << 12, 4096), 4096);
    s->snap_slot[ppn] = (uint16_t)s->nunsync;
    s->unsync[s->nunsync++] = ppn;
    s->ptp[ppn] = PT_UNSYNC;
    vm->stats.shadow_trace_faults++;
}
