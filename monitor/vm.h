/*
 * monitor/vm.h - one virtual machine: its CPU, memory, devices and the
 * monitor's bookkeeping.  Everything the run loop touches hangs off here; no
 * module keeps guest state in globals.
 */
#ifndef MONITOR_VM_H
#define MONITOR_VM_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "cpu/vcpu.h"
#include "cpu/machine.h"      /* the exit statuses, vm_stop and what lower layers may ask */
#include "shadow_mmu/guest_mem.h"
#include "devices/device.h"
#include "monitor/stats.h"

struct tc;
struct symtab;
struct platform;
struct shadow;
struct gdb;
struct direct;
struct pg_watch;
struct kvm_vm;

struct vm_options {
    const char *kernel;
    const char *bios;           /* --bios: a firmware image booted from the reset vector */
    const char *initrd;
    const char *append;
    uint64_t mem_mib;
    bool stats;
    const char *stats_format;   /* --stats=json|text (NULL: text) */
    bool trace;
    bool no_sandbox;            /* skip Landlock and the x86-64 filter (cpu/sandbox.h) */
    bool syscall_guard;         /* --syscall-guard (monitor/pg_watch.h) */
    bool translate_ring3;       /* ring 3 translated even with CR0.TS/EM clear (monitor/run_direct.c) */
    bool emulate_page0;         /* never map guest page 0 in the user view (shadow_mmu/shadow.c) */
    const char *accel;          /* --accel bt|kvm|auto */
    bool accel_kvm;             /* the guest runs under /dev/kvm (monitor/run_kvm.c) */
    const char *ring0;          /* --ring0 translate|direct */
    bool ring0_direct;          /* --ring0=direct: guest ring 0 trapped and emulated (monitor/run_direct.c) */
    const char *pg_report;      /* --pg-report FILE: the silent-instruction report (monitor/pg_watch.h) */
    bool no_pg_watch;           /* --no-pg-watch: --ring0=direct without the watch */
    uint64_t time_limit;        /* --time-limit SECONDS (0: none) */
    const char *trace_mmu;      /* --trace-mmu START-END (hex linear addresses) */
    bool share_report;          /* --share-report (shadow_mmu/lab_page_share.h) */
    const char *bios_log;       /* --bios-log FILE: port 0x402 (devices/debugcon.h) */
    const char *serial;         /* --serial SPEC (devices/lab_serial.h), NULL: stdio */
    uint64_t gdb_port;          /* --gdb PORT (0: no debugger stub); uint64_t as OPT_UINT fills */
    bool gdb_wait;              /* --gdb-wait: stop before the first guest instruction */
    const char *symbols;        /* --symbols FILE: guest symbols (ELF or System.map) */
    bool perf_map;              /* --perf-map: name translated code for perf (monitor/trace.h) */
    int reset_pipe;             /* --reboot: write end of the pipe a boot reports its reset on,
                                 * stored + 1 (0: none); the sandbox lets it be written */
};

struct vm {
    /* What the layers below see (cpu/machine.h): cpu, mem, io, stats,
     * platform, tc, shadow, direct.  First, and unnamed, so that vm->cpu
     * reads as before and vm_cpu(vm) is the same address. */
    struct machine;
    struct kvm_vm *kvm;         /* --accel kvm: the KVM VM (cpu/kvm.h); then tc, shadow and
                                 * direct are NULL */
    struct pg_watch *pg;        /* the silent-instruction watch, may be NULL (monitor/pg_watch.h) */
    FILE *pg_report;            /* --pg-report: opened before the sandbox, may be NULL */
    uint8_t view_priv;          /* --ring0=direct: the user view holds ring-0 (1) or
                                 * ring-3 (2) mappings, 0 before the first run */
    struct gdb *gdb;            /* remote debugger (monitor/gdbstub.c), may be NULL */
    struct symtab *syms;        /* guest kernel symbols (--symbols, or the ELF kernel), may be NULL */
    FILE *perf_map;             /* --perf-map: /tmp/perf-PID.map, may be NULL */
    bool a20_warned;            /* vm_set_a20() said where the gate is not modelled */
    struct vm_options opt;

    /* A guest #PF delivered for a ring-3 access: when ring 3 runs again in
     * the same address space, the page is mapped before the retry
     * (shadow_user_prefault). */
    struct {
        bool pending;
        uint32_t lin, cr3;
    } user_pf;

    uint64_t limit_ns;          /* host_now_ns() at which --time-limit ends the run, 0: never */
    uint64_t start_ns;          /* host_now_ns() when the run began */
    struct {                    /* the guest halted (monitor/lab_idle.c) */
        uint64_t halts, halted_ns, since;
    } idle;
    bool stop;                  /* set by vm_stop(): the run loop ends */
    volatile int stop_signal;   /* SIGINT/SIGTERM received (vm_stop_on_signal, cpu/host.c) */
    int exit_status;
};

/* A zeroed struct vm, aligned as its type requires (the FXSAVE areas in
 * struct vcpu need 64 bytes, SDM vol. 1, 10.5.1; calloc gives only 16), or
 * NULL when memory is short.  Released with free(). */
struct vm *vm_alloc(void);

#endif
