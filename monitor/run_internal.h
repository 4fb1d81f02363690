/*
 * monitor/run_internal.h - what monitor/run.c and monitor/run_ring3.c
 * share.  Not a public contract: only the run loop's files include it.
 */
#ifndef MONITOR_RUN_INTERNAL_H
#define MONITOR_RUN_INTERNAL_H

#include <stdbool.h>

struct vm;
struct vcpu;

/* Carry out the sensitive instruction at CS:EIP (cpu/emulate.c), with the
 * shadow MMU's and translator's follow-ups (CR3, INVLPG, paging changes).
 * Returns true when it opened an interrupt shadow (STI, MOV SS, POP SS). */
bool run_emulate(struct vm *vm);

/* Ring 3 runs directly unless CR0.TS or CR0.EM is set (then translated). */
bool ring3_direct(const struct vcpu *c);
/* One direct run of ring 3 and the guest event its exit becomes. */
void run_ring3(struct vm *vm, bool step);
/* Before ring 3 runs after a #PF it took: map the page if now present. */
void user_prefault(struct vm *vm);
/* A user-view miss from translated CPL-3 code (exit_arg = the address). */
void user_view_miss(struct vm *vm, bool *single_step);

#endif
