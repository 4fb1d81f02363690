/*
 * cpu/machine.h - what the layers below monitor/ (cpu/, bt/, shadow_mmu/,
 * devices/) may see of the machine they are part of: its CPU, guest
 * memory, port and MMIO bus, event counters and the state each engine and
 * the device models keep (struct machine); and what they may ask of the
 * monitor: the end of the run with an exit status, the report of an
 * unimplemented operation, and the services the translator reports to.
 *
 * Contract: struct vm (monitor/vm.h) begins with a struct machine, so
 * the accessors below are plain address arithmetic, inlined on the paths
 * that run per guest page-table write or fault; the rest is implemented
 * in monitor/vm.c.  The monitor's own bookkeeping (options, debugger,
 * symbols) stays out of sight.  A lower layer includes this header, never
 * a monitor/ header (the build fails otherwise: tests/layers.sh).
 */
#ifndef CPU_MACHINE_H
#define CPU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cpu/vcpu.h"
#include "cpu/counters.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/device.h"

struct vm;
struct platform;
struct tc;
struct shadow;
struct direct;
struct decode_cache;

struct machine {
    struct vcpu cpu;
    struct guest_mem mem;
    struct io_bus io;
    struct stats stats;         /* the event counters (cpu/counters.h) */
    /* Where the device models keep their state (devices/platform.c), and
     * the engines theirs: the translation cache (bt/tc.c), the shadow page
     * tables (shadow_mmu/shadow.c) and ring-3 direct execution
     * (cpu/direct.c).  Each module's init fills its slot; the engines'
     * stay NULL under --accel kvm, where the hardware does their work. */
    struct platform *platform;
    struct tc *tc;
    struct shadow *shadow;
    struct direct *direct;
    /* The emulator's decoded instructions (cpu/decode_cache.c), made on
     * first use. */
    struct decode_cache *decode_cache;
};

static inline struct machine *vm_machine(struct vm *vm) { return (struct machine *)(void *)vm; }
static inline struct guest_mem *vm_mem(struct vm *vm) { return &vm_machine(vm)->mem; }
static inline struct vcpu *vm_cpu(struct vm *vm) { return &vm_machine(vm)->cpu; }
static inline struct io_bus *vm_io(struct vm *vm) { return &vm_machine(vm)->io; }
static inline struct stats *vm_stats(struct vm *vm) { return &vm_machine(vm)->stats; }
static inline struct platform **vm_platform(struct vm *vm) { return &vm_machine(vm)->platform; }
static inline struct tc **vm_tc(struct vm *vm) { return &vm_machine(vm)->tc; }
static inline struct shadow **vm_shadow(struct vm *vm) { return &vm_machine(vm)->shadow; }
static inline struct direct **vm_direct(struct vm *vm) { return &vm_machine(vm)->direct; }

/* Exit statuses of the vmm program (documented in vmm --help and docs/usage.md). */
enum vmm_status {
    /* The monitor's own statuses are even: the debug-exit port gives
     * (v << 1) | 1, so every odd status is the guest's. */
    VMM_EXIT_OK = 0,            /* guest powered off / reset cleanly */
    VMM_EXIT_USAGE = 2,         /* bad option or bad input file */
    VMM_EXIT_HALT = 4,          /* guest halted with interrupts off */
    VMM_EXIT_UNSUPPORTED = 6,   /* guest did something the monitor does not implement */
    VMM_EXIT_TRIPLE = 8,        /* triple fault */
    VMM_EXIT_ERROR = 10,        /* monitor-internal failure */
    VMM_EXIT_CONTAINED = 12,    /* guest code escaped direct execution and was stopped */
    VMM_EXIT_KILLED = 14,       /* the debugger killed the guest (gdb `kill`) */
    VMM_EXIT_LIMIT = 16,        /* the run reached --time-limit */
};


/* --trace: the layers say what they do on stderr. */
bool vm_tracing(struct vm *vm);

/* End the run with `status`; `fmt` is printed to stderr as "vmm: ..." when
 * non-NULL. */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A SIGINT, SIGTERM or SIGHUP arrived: the run loop stops with status
 * 128 + sig at its next turn.  Only stores sig, so that cpu/host.c's signal
 * handlers may call it. */
void vm_stop_on_signal(struct vm *vm, int sig);

/* The A20 gate opened (on) or closed: with paging off, physical address
 * bit 20 then reads as 0 (guest_mem.a20_mask); the translations and the
 * identity map are rebuilt for the new aliasing.  With paging on, and under
 * --accel kvm, the mask is not applied: a one-time warning says so. */
void vm_set_a20(struct vm *vm, bool on);

/* Dump the guest CPU state (fatal errors, a triple fault, --trace). */
void vm_dump_state(struct vm *vm, FILE *out);

/* Report an unimplemented guest operation at the current instruction
 * (guest EIP, bytes, disassembly, mode) and stop with VMM_EXIT_UNSUPPORTED. */
void vm_unsupported(struct vm *vm, const char *what);

/* The guest loaded CR3 with paging on (MOV CR3, a task switch): the shadow
 * MMU switches to the view of that address space and the CPL-3
 * translations are checked against it (monitor/run.c). */
void vm_cr3_loaded(struct vm *vm);

/*
 * The translator's reports to the monitor's services, so that bt/ knows
 * nothing of debuggers, symbols or trace formats:
 *  - vm_breakpoint_at(): does a debugger breakpoint sit at this linear
 *    address?  Asked for every guest instruction translated; the TU then
 *    exits before it (monitor/gdbstub.h).
 *  - vm_block_translated(): a TU was made for the guest code at linear
 *    address lin (guest_len bytes) as host code [host, host + host_len).
 *    --perf-map names it after the guest symbol there; --trace lists its
 *    guest instructions with their symbols (monitor/trace.h).
 */
bool vm_breakpoint_at(struct vm *vm, uint32_t lin);
void vm_block_translated(struct vm *vm, uint32_t lin, uint32_t guest_len, const void *host,
                         uint32_t host_len);

#endif
