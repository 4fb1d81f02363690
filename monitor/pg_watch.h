/*
 * monitor/pg_watch.h - the silent-instruction watch: where directly run
 * guest code executes a sensitive instruction that does not trap, and what
 * it got there against what a CPU at the guest's CPL gives
 * (docs/popek-goldberg.md, "Trap-and-emulate, live").
 *
 * Contract:
 *  - pg_watch_init() turns the watch on for every directly run page: the
 *    user view maps a guest frame executable only once its code has been
 *    decoded (shadow_exec_filter), so every page is scanned before its
 *    first instruction runs.  A frame with no sensitive instruction runs
 *    at full speed; one with any is single-stepped while the guest runs on
 *    it, and each sensitive instruction executed there is recorded once
 *    per site with its count.  Scanned frames are write-protected as code
 *    pages: a write makes them unscanned again (pg_watch_frame_written).
 *  - pg_watch_fetch_fault(): a fetch from a page not mapped executable
 *    (true: handled, run again).
 *  - pg_watch_begin()/pg_watch_end() bracket one direct run: begin says
 *    whether that run must be a single step and evaluates, on a copy of
 *    the virtual CPU, what the instruction at EIP gives on the modelled
 *    CPU; end records what the host gave.
 *  - pg_watch_report() writes the report: one line per site.
 *  - pg_watch_guard() turns on the SYSCALL guard, with or without the
 *    watch: where the host's compat SYSCALL entry loses the instruction's
 *    address (cpu/host_facts.h, syscall_guard), a frame holding the bytes
 *    0F 05 is stepped too, and pg_watch_begin() sets raise_ud instead of
 *    letting a SYSCALL run: the caller raises #UD at EIP.  Without
 *    pg_watch_init() nothing is recorded (pg_watch_records() is false).
 *  - pg_watch_translate_here(): the guard alone (no recording) would step
 *    the page at EIP only to stop a SYSCALL; the translator, which decodes
 *    every instruction and gives SYSCALL the model's #UD, runs it instead
 *    at a fraction of the cost (a step is an exit per instruction, and
 *    ordinary programs hold the bytes 0F 05 on many pages).
 */
#ifndef MONITOR_PG_WATCH_H
#define MONITOR_PG_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

struct pg_step {
    int kind;                   /* enum pg_insn of the instruction stepped, PG_NONE if none */
    uint32_t eip, lin, esp;
    int cpl;
    unsigned len;               /* its length in bytes */
    uint32_t dest_lin;          /* PGE_DEST with a memory operand: its linear address */
    int dest_reg;               /* PGE_DEST/PGE_ZF_DEST into a register: its Zydis id, else 0 */
    unsigned dest_len;
    int sreg;                   /* PGE_SREG: the segment register loaded (S_*) */
    bool guest_tf;
    bool raise_ud;              /* a SYSCALL: raise #UD, do not run it (guard) */
    char want[96];              /* what the modelled CPU gives */
    uint32_t want_flags;        /* PGE_FLAGS: EFLAGS the modelled CPU leaves */
};

int pg_watch_init(struct vm *vm, char *err, size_t errlen);
int pg_watch_guard(struct vm *vm, char *err, size_t errlen);
bool pg_watch_records(const struct vm *vm);
void pg_watch_destroy(struct vm *vm);
bool pg_watch_fetch_fault(struct vm *vm, uint32_t lin);
bool pg_watch_translate_here(struct vm *vm);
bool pg_watch_begin(struct vm *vm, struct pg_step *st);
void pg_watch_end(struct vm *vm, const struct pg_step *st);
void pg_watch_frame_written(struct vm *vm, uint32_t pa);
void pg_watch_report(struct vm *vm, FILE *out);

#endif
