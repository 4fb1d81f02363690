/*
 * shadow_mmu/lab_mmu_trace.c - lab 3: shadow-MMU tracing
 * (docs/labs/mmu-tracing.md).
 *
 * The shadow keeps its work out of the guest's sight: hidden faults that
 * fill the host view, trace faults on the guest's page tables, and the
 * resync that compares a written table with its snapshot.  This log makes
 * it visible for one linear range.  The hard part is the one a real MMU
 * never has to do: from a written page-table entry back to the linear
 * address it maps (which directory slots point at that table, in the
 * views the shadow keeps).  The reference solution is built with
 * VMM_LAB_SOLUTIONS (the default); the lab is the #else branch.
 */
#include <stdio.h>
#include "shadow_mmu/lab_mmu_trace.h"
#include "shadow_mmu/shadow_int.h"
#include "cpu/machine.h"

#if VMM_LAB_SOLUTIONS

static bool in_range(struct vm *vm, uint32_t lin)
{
    const struct shadow *s = shadow_of(vm);
    return lin >= s->trace.lo && lin <= s->trace.hi;
}

void mmu_trace_hidden(struct vm *vm, uint32_t lin, uint32_t pa, bool write, bool user)
{
    if (in_range(vm, lin))
        fprintf(stderr, "mmu: hidden fault %08x -> %08x %s %s (CR3 %08x)\n", lin & ~0xFFFu,
                pa & ~0xFFFu, write ? "write" : "read", user ? "user" : "supervisor", vm_cpu(vm)->cr3);
}

/*
 * The linear page that entry e of table ppn maps in the running address
 * space: a page table of directory slot d maps (d << dir_shift) | e << 12;
 * the (non-PAE) page directory itself maps 4 MiB per entry.  Returns false
 * when the running space does not use ppn as a table.
 */
static bool entry_linear(struct vm *vm, uint32_t ppn, uint32_t e, uint32_t *lin)
{
    const struct shadow *s = shadow_of(vm);
    const struct vcpu *c = vm_cpu(vm);
    const struct pg_format *fm = mmu_format(c);
    const struct view *v = &s->v[s->cur];
    if (!(c->cr4 & CR4_PAE) && (c->cr3 >> 12) == ppn) {
        *lin = e << fm->dir_shift;
        return true;
    }
    uint16_t use = v->uses[ppn];
    if (use == 0 || use == USE_MULTI)
        return false;
    *lin = ((uint32_t)(use - 1) << fm->dir_shift) | e << 12;
    return true;
}

void mmu_trace_unsync(struct vm *vm, uint32_t ppn)
{
    const struct shadow *s = shadow_of(vm);
    uint32_t first, last;
    uint32_t n = (uint32_t)(GUEST_PAGE_SIZE / mmu_format(vm_cpu(vm))->esize);
    if (!entry_linear(vm, ppn, 0, &first) || !entry_linear(vm, ppn, n - 1, &last))
        return;
    if (first <= s->trace.hi && last + 0xFFFu >= s->trace.lo)
        fprintf(stderr, "mmu: trace fault  table %08x (maps %08x-%08x): writable until the next "
                "CR3 load\n", ppn << 12, first, last | 0xFFFu);
}

void mmu_trace_entry(struct vm *vm, uint32_t ppn, uint32_t e, uint64_t old, uint64_t now,
                     bool old_known)
{
    uint32_t lin;
    if (!entry_linear(vm, ppn, e, &lin) || !in_range(vm, lin))
        return;
    if (old_known)
        fprintf(stderr, "mmu: entry changed %08x: %08llx -> %08llx (table %08x entry %u)\n", lin,
                (unsigned long long)old, (unsigned long long)now, ppn << 12, e);
    else
        fprintf(stderr, "mmu: entry written by the monitor %08x: -> %08llx (table %08x entry %u)\n",
                lin, (unsigned long long)now, ppn << 12, e);
}

#else   /* the lab: print the three kinds of event for the range */

void mmu_trace_hidden(struct vm *vm, uint32_t lin, uint32_t pa, bool write, bool user)
{
    (void)vm, (void)lin, (void)pa, (void)write, (void)user;
}

void mmu_trace_unsync(struct vm *vm, uint32_t ppn)
{
    (void)vm, (void)ppn;
}

void mmu_trace_entry(struct vm *vm, uint32_t ppn, uint32_t e, uint64_t old, uint64_t now,
                     bool old_known)
{
    (void)vm, (void)ppn, (void)e, (void)old, (void)now, (void)old_known;
}

#endif
