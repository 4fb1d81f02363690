/*
 * cpu/direct.h - running guest ring-3 code directly on the host CPU.
 *
 * Contract:
 *  - direct_init() reserves the user view (host [4 KiB, 4 GiB)) and installs
 *    the seccomp filter that turns every i386 system call (int 0x80,
 *    sysenter from 32-bit code) into SIGSYS, before any guest code runs.
 *  - direct_run() runs the guest at CPL 3 from struct vcpu until something
 *    traps, and returns with the guest state in struct vcpu and the reason:
 *      EXIT_EXCEPTION  exc_vector/exc_error as the host CPU raised them;
 *                      exit_arg = CR2 for #PF (a user-view miss)
 *      EXIT_SYSCALL    int 0x80 (eip after it) or sysenter (exc_vector =
 *                      0x80 or -1 for sysenter)
 *      EXIT_POLL       a timer or termination signal
 *  - Guest segments are mirrored into host LDT entries (slots 0..5 for
 *    CS, SS, DS, ES, FS, GS); user code that reads a segment register sees
 *    the host selector ((slot << 3) | 7), not the guest's (docs/direct.md).
 */
#ifndef CPU_DIRECT_H
#define CPU_DIRECT_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct vcpu;

int direct_init(struct vm *vm, char *err, unsigned long errlen);
void direct_destroy(struct vm *vm);
/* step: set TF for the debugger (the #DB that follows is not the guest's). */
void direct_run(struct vm *vm, bool step);
/* After a run: take the selectors guest code loaded into DS..GS itself as
 * guest selectors, loaded the guest's way.  Returns true when there was
 * one: it ran with the host's meaning of that selector until this exit, so
 * a fault that ended the run may be an artefact and the instruction is
 * retried.  Or direct_keep_segments(): the next run goes on with DS..GS as
 * the host had them (those whose guest state the monitor has not changed
 * in between), as if there had been no exit: after an observer's single
 * step, and always for the naive monitor of --ring0=direct, which never
 * looks at what the guest loaded. */
bool direct_take_segments(struct vm *vm);
void direct_keep_segments(struct vm *vm);

/* For the signal handler (cpu/host.c): was the interrupted code guest
 * ring-3 code, and if so, record the exit. */
bool direct_is_guest_cs(uint16_t cs);

/* The selectors the interrupted code had (filled by host_signal_entry). */
extern uint16_t host_seen_sel[4];     /* ds, es, fs, gs */
/* True while guest ring-3 code runs (a SIGSYS with the host's CS 0x23 is
 * then the guest's SYSENTER, not an escape). */
extern volatile bool direct_active;
extern uint64_t host_fsbase;
/* How host_signal_entry restores FS (cpu/direct_entry.S). */
extern uint8_t host_fs_restore;

#endif
