/*
 * cpu/sandbox.h - the monitor confines itself before the guest runs.
 *
 * Threat model (docs/direct.md): guest ring-3 code runs natively inside the
 * monitor's process.  A hostile guest program can far-jump to the host's
 * 64-bit code selector (0x33) or its 32-bit one (0x23) and then execute
 * anything, including system calls.  Two seccomp filters bound what it can
 * reach:
 *  - every i386 system call (int 0x80, sysenter) traps (SIGSYS): that is how
 *    guest system calls reach the monitor, and an escaped 32-bit program gets
 *    nothing from the host kernel;
 *  - x86-64 system calls are limited to the list the run loop and devices
 *    need on descriptors opened before the start: no open, no exec, no
 *    socket, no fork.  Anything else traps.
 * A SIGSYS or fault whose code is neither the monitor's (above 4 GiB) nor
 * the guest's mirrored ring-3 code segment is an escape: the run ends with
 * VMM_EXIT_CONTAINED and a report.
 */
#ifndef CPU_SANDBOX_H
#define CPU_SANDBOX_H

/* Trap i386 system calls (installed with direct execution). */
int sandbox_trap_i386(void);
/* The x86-64 allow-list (installed once the VM is ready to run). */
int sandbox_confine(void);

#endif
