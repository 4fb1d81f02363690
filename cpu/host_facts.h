/*
 * cpu/host_facts.h - what this host's CPU and kernel let the monitor do,
 * measured at start-up rather than assumed.
 *
 * Hosts differ in ways that decide how guest code can run:
 *  - whether 32-bit user code runs at all (a kernel without IA32 emulation,
 *    or a paravirtualized kernel whose GDT has no 32-bit user code segment,
 *    refuses the far jump to selector 0x23): without it guest ring 3 is
 *    translated instead of run directly;
 *  - how the host answers SYSENTER and SYSCALL executed in compatibility
 *    mode: Intel enters the kernel's compat SYSENTER entry (seen by the
 *    monitor as SIGSYS from the seccomp filter) and raises #UD for SYSCALL;
 *    AMD raises #UD for SYSENTER (SIGILL) and enters the compat SYSCALL
 *    entry (SIGSYS);
 *  - UMIP (whether SGDT/SIDT/SMSW/STR/SLDT in user code fault, and the
 *    kernel then answers them with dummy values), CPUID faulting,
 *    RDGSBASE/WRGSBASE and whether the kernel keeps a GS base written with
 *    them across a context switch, the sandbox's layers (seccomp filters,
 *    the Landlock ABI), and what /dev/kvm is.
 *
 * Contract: host_facts() probes once (each risky probe in a forked child, so
 * nothing it tries can hurt the monitor) and returns the cached answers.
 * host_plan_from() turns answers into decisions; host_ring3_event() says what
 * a signal from directly executed guest code was.  Both are pure functions,
 * so both vendors' answers can be tested on either.
 */
#ifndef CPU_HOST_FACTS_H
#define CPU_HOST_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How the host answered an instruction executed in 32-bit user code. */
enum host_answer {
    HA_NOT_TRIED,       /* 32-bit code cannot run here, so it was not tried */
    HA_SIGSYS,          /* entered the host kernel as an i386 system call */
    HA_SIGILL,          /* #UD */
    HA_SIGSEGV,         /* #GP or a fault */
    HA_OTHER,           /* anything else (exit status in the probe) */
};

struct host_facts {
    char vendor[13];            /* CPUID leaf 0 */
    char hypervisor[13];        /* CPUID leaf 0x40000000 signature, "" on bare metal */
    char kernel[65];            /* uname release */
    bool compat32;              /* 32-bit user code runs (far jump to 0x23) */
    enum host_answer sysenter32, syscall32;
    bool umip;                  /* the kernel uses UMIP (and emulates the five) */
    bool cpuid_faulting;        /* ARCH_SET_CPUID works */
    bool fsgsbase_insn;         /* RDGSBASE runs in user code (CR4.FSGSBASE) */
    bool fsgsbase_kernel;       /* the kernel advertises it (AT_HWCAP2): it then
                                   saves and restores such a GS base itself */
    int landlock_abi;           /* Landlock ABI version, 0 without Landlock */
    bool seccomp_trap;          /* seccomp filters with SECCOMP_RET_TRAP */
    bool kvm_present;           /* /dev/kvm opens */
    int kvm_api;                /* KVM_GET_API_VERSION, -1 if none */
    int kvm_runs32;             /* 1: /dev/kvm runs 32-bit guest code (cpu/kvm.h,
                                   kvm_probe), 0: it does not (kvm_why says why),
                                   -1: not probed (only vmm --host-info probes) */
    char kvm_why[160];
    unsigned long mmap_min_addr;
    bool page0_maps;            /* this process may map host page 0 anyway
                                   (CAP_SYS_RAWIO, or mmap_min_addr 0) */
};

/* What the monitor does on a host with those facts. */
struct host_plan {
    bool ring3_direct;          /* guest ring 3 may run directly */
    bool sysenter_is_ud;        /* a guest SYSENTER arrives as SIGILL at 0F 34 */
    bool compat_sigsys_is_syscall; /* SIGSYS from the compat entry is a SYSCALL */
    bool syscall_guard;         /* SYSCALL in 32-bit code may enter the host
                                   kernel (AMD), whose compat entry keeps
                                   neither the instruction's address nor ECX:
                                   directly run code must never execute it,
                                   so every page is checked for the bytes
                                   0F 05 before it runs (monitor/pg_watch.h) */
    bool gsbase_insn;           /* WRGSBASE may set translated code's GS base;
                                   otherwise arch_prctl (kept by the kernel) */
    bool user_page0;            /* guest linear page 0 is mapped in the user
                                   view like any page (else emulated) */
};

const struct host_facts *host_facts(void);
struct host_plan host_plan_from(const struct host_facts *f);
/* The plan for this host (host_plan_from(host_facts()), cached). */
const struct host_plan *host_plan(void);

/* A signal raised by directly executed guest ring-3 code, classified. */
enum ring3_event {
    R3_EXCEPTION,       /* an ordinary exception: the vector the host raised */
    R3_INT80,           /* int 0x80 (SIGSYS from the guest's own segment) */
    R3_SYSENTER,        /* the guest executed SYSENTER */
    R3_SYSCALL,         /* the guest executed SYSCALL: #UD in the model */
};
/* sig: the host signal; from_compat_entry: SIGSYS reported with the host's
 * CS 0x23 (a compat SYSENTER/SYSCALL entry) rather than the guest's CS;
 * insn: the two bytes at the faulting EIP, for SIGILL. */
enum ring3_event host_ring3_event(const struct host_plan *p, int sig, bool from_compat_entry,
                                  const uint8_t insn[2]);

/* The table `vmm --host-info` prints: each fact, and what vmm does about it. */
void host_facts_print(const struct host_facts *f, FILE *out);
/* Fill kvm_runs32/kvm_why by running kvm_probe (a throwaway VM). */
void host_facts_probe_kvm(struct host_facts *f);

#endif
