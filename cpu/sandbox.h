/*
 * cpu/sandbox.h - the monitor confines itself before the guest runs.
 *
 * Threat model (docs/security.md): guest code of any privilege is hostile.
 * Guest ring-3 code runs natively inside the monitor's process and can
 * far-jump to the host's 64-bit code selector (0x33) or its 32-bit one
 * (0x23) and then execute anything, including system calls.  Three layers
 * bound what it then reaches:
 *  - every i386 system call (int 0x80, sysenter) traps (SIGSYS): that is how
 *    guest system calls reach the monitor, and an escaped 32-bit program gets
 *    nothing from the host kernel (sandbox_trap_i386, with direct execution);
 *  - once the VM is ready to run, x86-64 system calls are judged by one
 *    table (cpu/sandbox_table.c): each allowed call is limited to the
 *    descriptors, ioctl requests, protections and targets the run loop needs
 *    (struct sandbox_fds names the descriptors).  Anything else traps
 *    (SECCOMP_RET_TRAP); the SIGSYS handler names the call and ends the run;
 *  - Landlock, where the host kernel has it: no path can be opened at all,
 *    no TCP bind/connect (ABI 4), no signal to or abstract socket of another
 *    process (ABI 6).
 * A SIGSYS or fault whose code is neither the monitor's (above 4 GiB) nor
 * the guest's mirrored ring-3 code segment is an escape: the run ends with
 * VMM_EXIT_CONTAINED and a report.
 */
#ifndef CPU_SANDBOX_H
#define CPU_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SANDBOX_MAX_FDS 8

/* The descriptors the running monitor may use, by role; -1 or n = 0 for
 * none.  Every one was opened before confinement: nothing after it can open
 * another (accept on gdb_listen aside). */
struct sandbox_fds {
    int console[2];                 /* console input (COM1's, the --display terminal's): read, termios ioctls */
    int out[SANDBOX_MAX_FDS];       /* write: stdout, stderr, --perf-map, --pg-report, --bios-log, --reboot's pipe */
    int nout;
    int disk[SANDBOX_MAX_FDS];      /* pread, fsync: every --disk, --cdrom and --fda/--fdb image */
    int ndisk;
    int disk_rw[SANDBOX_MAX_FDS];   /* pwrite: the writable ones */
    int ndisk_rw;
    int memfd;                      /* guest RAM: the only executable mappings */
    int gdb_listen;                 /* --gdb's listening socket: accept */
    int pid;                        /* tgkill(pid, pid) only (single-threaded) */
    int kvm_vcpu;                   /* --accel kvm: the vCPU's run and register ioctls */
};

/* Trap i386 system calls (installed with direct execution). */
int sandbox_trap_i386(void);

/*
 * Landlock: handle every file-system right the host's ABI knows with no
 * rule (nothing can be opened), TCP (ABI 4) and the signal and abstract
 * socket scopes (ABI 6).  Returns the ABI version applied, 0 when the host
 * has no Landlock (note[] then says so, as it says which parts the ABI
 * lacks; note[0] is 0 when nothing is missing), -1 on failure.
 */
int sandbox_landlock(char *note, size_t notelen);
/* The x86-64 filter built from the table for these descriptors. */
int sandbox_seccomp(const struct sandbox_fds *fds);
/* Both, Landlock first; a missing Landlock is reported on `report` in one
 * line.  0, or -1 with err[] set. */
int sandbox_confine(const struct sandbox_fds *fds, FILE *report, char *err, size_t errlen);

/* Give a stdio stream its buffer now: glibc sizes it with fstat on first
 * output, a call the filter refuses once the guest runs. */
void sandbox_prepare_stream(FILE *f);

/* "openat(-100, 0x7ff..., ...)" for a system call and its six arguments,
 * async-signal-safe (the SIGSYS report). */
void sandbox_describe(char *buf, size_t len, int nr, const uint64_t args[6]);
/* The name of x86-64 system call nr, or NULL. */
const char *sandbox_syscall_name(int nr);
/* The table as the Markdown rows docs/security.md prints. */
void sandbox_print_table(FILE *f);

#endif
