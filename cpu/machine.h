/*
 * cpu/machine.h - what the layers below monitor/ (cpu/, bt/, shadow_mmu/,
 * devices/) may ask of the machine they are part of, without seeing its
 * struct: its guest memory, CPU, port and MMIO bus, event counters, the
 * state each engine and the device models keep, the end of the run with an
 * exit status, and the monitor's services the translator reports to.
 *
 * Contract: monitor/vm.c implements these for struct vm (monitor/vm.h);
 * a lower layer includes this header, never a monitor/ header (the build
 * fails otherwise: tests/layers.sh).
 */
#ifndef CPU_MACHINE_H
#define CPU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;
struct guest_mem;
struct io_bus;
struct platform;
struct stats;
struct tc;
struct shadow;
struct direct;

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

struct guest_mem *vm_mem(struct vm *vm);
struct vcpu *vm_cpu(struct vm *vm);
struct io_bus *vm_io(struct vm *vm);
/* The event counters (cpu/counters.h). */
struct stats *vm_stats(struct vm *vm);
/* Where the device models keep their state (devices/platform.c), and the
 * engines theirs: the translation cache (bt/tc.c), the shadow page tables
 * (shadow_mmu/shadow.c) and ring-3 direct execution (cpu/direct.c).  Each
 * module's init fills its slot; the engines' stay NULL under --accel kvm,
 * where the hardware does their work. */
struct platform **vm_platform(struct vm *vm);
struct tc **vm_tc(struct vm *vm);
struct shadow **vm_shadow(struct vm *vm);
struct direct **vm_direct(struct vm *vm);

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
