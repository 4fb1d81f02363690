/*
 * monitor/lab_idle.h - lab 1 (docs/labs/hlt-accounting.md): how long the
 * guest has spent halted.
 *
 * Contract: the run loop calls idle_begin() just before it sleeps for a
 * guest that executed HLT with interrupts enabled, and idle_end() when it
 * wakes; idle_print() writes what was accounted: for --stats (as `key:
 * value` lines of the "idle" group) and for gdb's `monitor info idle`.
 * run_ns is the run time so far.
 */
#ifndef MONITOR_LAB_IDLE_H
#define MONITOR_LAB_IDLE_H

#include <stdint.h>
#include <stdio.h>

struct vm;

void idle_begin(struct vm *vm);
void idle_end(struct vm *vm);
/* --stats lines: cpu.halts, cpu.halted_ns, cpu.halted_ms_per_s */
void idle_stats(const struct vm *vm, uint64_t run_ns, FILE *out);
/* `monitor info idle`: one sentence */
void idle_print(const struct vm *vm, uint64_t run_ns, FILE *out);

#endif
