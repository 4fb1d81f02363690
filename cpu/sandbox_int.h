/*
 * cpu/sandbox_int.h - the system-call table of the sandbox (cpu/sandbox.h),
 * shared by the filter compiler (cpu/sandbox.c), the table
 * (cpu/sandbox_table.c) and the printer of docs/security.md's table.
 *
 * A rule allows one x86-64 system call when all its conditions hold; several
 * rules for one call are alternatives.  A condition looks at one argument:
 * for int-typed arguments (descriptors, ioctl requests, flags) only the low
 * 32 bits, which is all the kernel reads of them; for pointers and lengths
 * all 64.
 */
#ifndef CPU_SANDBOX_INT_H
#define CPU_SANDBOX_INT_H

#include <stdint.h>
#include "cpu/sandbox.h"

enum sb_ref {               /* where the values of an SB_IN come from */
    SB_K,                   /* the constants k[] */
    SB_CONSOLE, SB_OUT, SB_DISK, SB_DISK_RW, SB_MEMFD, SB_GDB_LISTEN, SB_PID, SB_KVM_VCPU,
};

enum sb_op {
    SB_END,                 /* no more conditions */
    SB_IN,                  /* low 32 bits are one of the values of ref */
    SB_NULL,                /* the whole 64-bit argument is 0 */
    SB_NOBITS,              /* none of the bits k[0] is set */
    SB_ALLBITS,             /* all the bits k[0] are set */
    SB_LOW4G,               /* [arg, arg + argument k[0]) lies in [0, 4 GiB) */
};

#define SB_MAX_K 4
#define SB_MAX_COND 3

struct sb_cond {
    uint8_t op, arg, ref, nk;
    uint32_t k[SB_MAX_K];
    const char *arg_name;   /* for the printed table */
    const char *k_names;    /* the constants as written in the table */
};

struct sb_rule {
    int nr;
    const char *name;
    struct sb_cond c[SB_MAX_COND];
    const char *why;
};

extern const struct sb_rule sandbox_table[];
extern const unsigned sandbox_table_len;

#endif
