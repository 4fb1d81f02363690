/*
 * cpu/machine.h - what the layers below monitor/ (cpu/, bt/, shadow_mmu/,
 * devices/) may ask of the machine they are part of, without seeing its
 * struct: its guest memory, CPU, port and MMIO bus, the device models'
 * state, and the end of the run with an exit status.
 *
 * Contract: monitor/vm.c implements these for struct vm (monitor/vm.h);
 * a lower layer includes this header, never monitor/vm.h (tests/layers.sh
 * lists the files not yet moved over).
 */
#ifndef CPU_MACHINE_H
#define CPU_MACHINE_H

struct vm;
struct vcpu;
struct guest_mem;
struct io_bus;
struct platform;

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
/* Where the device models keep their state (devices/platform.c). */
struct platform **vm_platform(struct vm *vm);

/* End the run with `status`; `fmt` is printed to stderr as "vmm: ..." when
 * non-NULL. */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report an unimplemented guest operation at the current instruction
 * (guest EIP, bytes, disassembly, mode) and stop with VMM_EXIT_UNSUPPORTED. */
void vm_unsupported(struct vm *vm, const char *what);

/* The guest loaded CR3 with paging on (MOV CR3, a task switch): the shadow
 * MMU switches to the view of that address space and the CPL-3
 * translations are checked against it (monitor/run.c). */
void vm_cr3_loaded(struct vm *vm);

#endif
