/*
 * shadow_mmu/lab_mmu_trace.h - lab 3 (docs/labs/mmu-tracing.md): a log of
 * what the shadow MMU does for one range of guest linear addresses.
 *
 * Contract: with --trace-mmu START-END (shadow_trace_range() set
 * s->trace, struct shadow in shadow_mmu/shadow_int.h), the shadow calls
 *  - mmu_trace_hidden() for each hidden fault it resolves (the guest's
 *    tables allowed the access; the host view lacked the page);
 *  - mmu_trace_unsync() when the guest first writes a traced page-table
 *    page since the last CR3 load (a trace fault);
 *  - mmu_trace_entry() for each entry of a page-table page found changed
 *    (at the resync that follows, or at once when the monitor itself wrote
 *    it: then the old value is unknown).
 * Each prints a line "mmu: ..." on stderr when what it concerns lies in
 * [s->trace.lo, s->trace.hi].
 */
#ifndef SHADOW_MMU_LAB_MMU_TRACE_H
#define SHADOW_MMU_LAB_MMU_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

void mmu_trace_hidden(struct vm *vm, uint32_t lin, uint32_t pa, bool write, bool user);
void mmu_trace_unsync(struct vm *vm, uint32_t ppn);
void mmu_trace_entry(struct vm *vm, uint32_t ppn, uint32_t e, uint64_t old, uint64_t now,
                     bool old_known);

#endif
