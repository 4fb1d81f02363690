/*
 * monitor/run_internal.h - what the run loop's files share: monitor/run.c
 * (the one loop), monitor/run_bt.c and monitor/run_direct.c (the
 * binary-translation engine and its directly run code) and
 * monitor/run_kvm.c (the KVM engine).
 * Not a public contract: only those files include it.
 */
#ifndef MONITOR_RUN_INTERNAL_H
#define MONITOR_RUN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "shadow_mmu/shadow.h"

struct vm;
struct vcpu;

/* ---- both engines: time, devices, halting ---- */

/* Before the first guest instruction: signal handlers and the host timer
 * (cpu/host.h), the sandbox, the clock --time-limit counts from.  false
 * when the run is stopped already. */
bool run_begin(struct vm *vm);
/* At each return to the monitor: a termination signal ends the run, device
 * time advances, --time-limit ends the run.  false when the run stops. */
bool run_clock(struct vm *vm);
/* When the loop must next look at the clock: the next device deadline or
 * the end of --time-limit. */
uint64_t run_next_deadline(struct vm *vm);
/* HLT with IF=1: sleep until host input or the next device deadline; with
 * IF=0 the run ends (VMM_EXIT_HALT). */
void run_wait_halted(struct vm *vm);

/* ---- the binary-translation engine ---- */

/* Carry out the sensitive instruction at CS:EIP (cpu/emulate.c), with the
 * shadow MMU's and translator's follow-ups (CR3, INVLPG, paging changes).
 * Returns true when it opened an interrupt shadow (STI, MOV SS, POP SS). */
bool run_emulate(struct vm *vm);
bool run_emulate_as(struct vm *vm, bool host_gp0);

/* Guest code wrote a page that holds translations or decoded code
 * (SHADOW_SMC): count it, drop the translations, tell the watch.  The
 * caller runs the write again. */
void run_code_written(struct vm *vm, uint32_t pa);
/* Does the code at the current CPL run directly?  Ring 3 unless CR0.TS or
 * CR0.EM is set (then translated); ring 0 under --ring0=direct. */
bool runs_directly(const struct vcpu *c);
/* Before any run: under --ring0=direct, empty the user view when the
 * guest's privilege changed since the last run. */
void direct_privilege(struct vm *vm);
/* One direct run and the guest event its exit becomes. */
void run_direct(struct vm *vm, bool step);
/* Before ring 3 runs after a #PF it took: map the page if now present. */
void user_prefault(struct vm *vm);
/* A miss in the user view at guest linear `lin` (ring 3, direct or
 * translated): mapped, or the guest's #PF raised (and the page remembered
 * for user_prefault), or returned for the caller to handle (device memory,
 * page 0, a write to translated code: *pa set). */
enum shadow_result user_view_fault(struct vm *vm, uint32_t lin, bool write, uint32_t *pa);

#endif
