/*
 * monitor/run_kvm.c - the hardware-virtualization engine (vmm --accel
 * kvm).  Its part of the run loop (monitor/run.c):
 *
 *     inject an NMI, or an interrupt once the guest can take one (else ask
 *       KVM for an exit when it can)
 *     KVM_RUN until an exit, and act on it:
 *        IO     port access: the device bus, as the emulator's IN/OUT do
 *        MMIO   a physical address outside RAM: the local APIC, the I/O
 *               APIC, or unassigned space (all ones)
 *        HLT    the guest waits for an interrupt
 *        INTR   a host signal: the timer, or a request to stop
 *        DEBUG  the debugger's single step
 *        SHUTDOWN  a triple fault
 *
 * The guest sees the same machine as under the translator: the same
 * loaders set up the same registers and memory, the same device models
 * answer, the same CPUID.  What differs is below the guest: the host CPU
 * runs every guest instruction itself, at every privilege level, and walks
 * the guest's page tables itself; only device accesses and HLT leave it.
 */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>
#include "monitor/engine.h"
#include "monitor/run_internal.h"
#include "monitor/vm.h"
#include "monitor/gdbstub.h"
#include "cpu/host.h"
#include "cpu/kvm.h"
#include "cpu/cpuid.h"
#include "devices/irq.h"

/* A KVM exit the monitor cannot continue from: what KVM said, then the
 * guest state, and the run ends. */
static void kvm_fatal(struct vm *vm, int status, const char *what)
{
    struct kvm_vm *k = vm->kvm;
    kvm_get_state(k, &vm->cpu);
    vm_stop(vm, status, "--accel kvm: %s at %04x:%08x", what, vm->cpu.seg[S_CS].sel, vm->cpu.eip);
    vm_dump_state(vm, stderr);
}

static void port_io(struct vm *vm)
{
    struct kvm_run *r = vm->kvm->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    int size = r->io.size;
    /* REP INS/OUTS arrive as `count` accesses in a row. */
    for (uint32_t i = 0; i < r->io.count && !vm->stop; i++, data += size) {
        uint32_t v = 0;
        if (r->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&v, data, (size_t)size);
            io_pio_write(&vm->io, r->io.port, size, v);
        } else {
            v = io_pio_read(&vm->io, r->io.port, size);
            memcpy(data, &v, (size_t)size);
        }
    }
}

/* Device memory, as the emulator reaches it under the translator. */
static void mmio(struct vm *vm)
{
    struct kvm_run *r = vm->kvm->run;
    vm->stats.mmio_accesses++;
    io_mmio_access(&vm->io, r->mmio.phys_addr, r->mmio.data, r->mmio.len, r->mmio.is_write);
}

/* Interrupts as the translator's loop delivers them (monitor/run.c): an NMI
 * first and whatever IF says; an external interrupt when the guest can take
 * it now.  KVM tells when it can (IF set, no interrupt shadow, no event
 * being delivered); until then it is asked to exit as soon as it can. */
static void interrupts(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    struct kvm_run *r = vm->kvm->run;
    bool intr = irq_intr_pending(vm);   /* first: it samples LINT0, which may raise an NMI */
    r->request_interrupt_window = 0;
    if (c->nmi_pending) {
        /* KVM keeps NMI blocking until the guest's IRET itself. */
        c->nmi_pending = false;
        c->halted = false;
        if (kvm_nmi(vm->kvm) == 0) {
            vm->stats.kvm_injected++;
            vm->stats.interrupts[EXC_NMI]++;
        }
    }
    if (!intr)
        return;
    if (r->ready_for_interrupt_injection && r->if_flag) {
        int vec = irq_intr_ack(vm);
        if (vec >= 0 && kvm_interrupt(vm->kvm, vec) == 0) {
            c->halted = false;
            vm->stats.kvm_injected++;
            vm->stats.interrupts[vec]++;
        }
    } else {
        r->request_interrupt_window = 1;
    }
}

/* The debugger: its view of the registers is struct vcpu, so the state
 * crosses over around every look it takes; while it steps, watches or has
 * breakpoints, KVM single-steps the guest and each instruction is checked,
 * as directly run code is under the translator's engine. */
static bool debugging(struct vm *vm)
{
    return gdb_single_stepping(vm) || gdb_watch_active(vm) || gdb_has_breakpoints(vm);
}

static void debugger_poll(struct vm *vm)
{
    if (!vm->gdb)
        return;
    struct kvm_vm *k = vm->kvm;
    kvm_get_state(k, &vm->cpu);
    gdb_poll(vm);
    if (!vm->stop && gdb_has_breakpoints(vm) && !k->past_bp &&
        gdb_breakpoint_at(vm, vcpu_linear_ip(&vm->cpu))) {
        gdb_stop(vm, SIGTRAP);
        k->past_bp = true;          /* run the instruction at the breakpoint once */
    }
    kvm_put_state(k, &vm->cpu);
    if (kvm_set_debug(k, debugging(vm)) < 0)
        vm_stop(vm, VMM_EXIT_ERROR, "--accel kvm: KVM refused to single-step the guest for the "
                "debugger: %s", strerror(errno));
}

static void after_step(struct vm *vm)
{
    if (!vm->gdb)
        return;
    kvm_get_state(vm->kvm, &vm->cpu);
    if (!gdb_check_watch(vm) && gdb_single_stepping(vm))
        gdb_stop(vm, SIGTRAP);
    kvm_put_state(vm->kvm, &vm->cpu);
}

/* One exit: what the guest asked for. */
static void handle_exit(struct vm *vm)
{
    struct kvm_run *r = vm->kvm->run;
    struct vcpu *c = &vm->cpu;
    char what[160];
    vm->stats.kvm_exits[r->exit_reason < KVM_EXIT_NAMES ? r->exit_reason : 0]++;
    c->vif = r->if_flag;
    switch (r->exit_reason) {
    case KVM_EXIT_IO:
        port_io(vm);
        break;
    case KVM_EXIT_MMIO:
        mmio(vm);
        break;
    case KVM_EXIT_HLT:
        c->halted = true;
        break;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        break;
    case KVM_EXIT_DEBUG:
        after_step(vm);
        break;
    case KVM_EXIT_SHUTDOWN:
        /* The processor shuts down on a triple fault (SDM vol. 3A 6.15,
         * interrupt 8): KVM gives no chain of vectors. */
        kvm_fatal(vm, VMM_EXIT_TRIPLE, "triple fault (shutdown)");
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(what, sizeof what, "the host refused to enter the guest (hardware reason %#llx)",
                 (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        kvm_fatal(vm, VMM_EXIT_ERROR, what);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        /* What KVM cannot do for the guest is a gap of the platform: the
         * report names the instruction, as under the translator. */
        snprintf(what, sizeof what, "--accel kvm: KVM internal error %u (1: KVM could not "
                 "emulate an instruction, e.g. code fetched from device memory)",
                 r->internal.suberror);
        kvm_get_state(vm->kvm, c);
        vm_unsupported(vm, what);
        break;
    default:
        snprintf(what, sizeof what, "unexpected KVM exit %u (%s)", r->exit_reason,
                 kvm_exit_name(r->exit_reason));
        kvm_fatal(vm, VMM_EXIT_ERROR, what);
    }
}

/* ---- the engine (monitor/engine.h) ---- */

/* The KVM VM, made once the loaders have set the CPU up; from here on the
 * state is KVM's and crosses back only when the monitor looks. */
static int kvm_start(struct vm *vm, char *err, size_t errlen)
{
    vm->kvm = calloc(1, sizeof *vm->kvm);
    if (!vm->kvm) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (kvm_create(vm->kvm, &vm->cpu, vm->mem.ram, vm->mem.size, err, errlen) < 0) {
        free(vm->kvm);
        vm->kvm = NULL;
        return -1;
    }
    host_kick_byte(kvm_kick_byte(vm->kvm));
    if (vm->kvm->tsc_khz > 0 && (uint64_t)vm->kvm->tsc_khz != VCPU_TSC_HZ / 1000)
        fprintf(stderr, "vmm: --accel kvm: the guest's TSC counts at the host's %d.%03d MHz, not "
                "the model's %llu MHz: this host cannot scale it (docs/bt-vs-vt.md)\n",
                vm->kvm->tsc_khz / 1000, vm->kvm->tsc_khz % 1000,
                (unsigned long long)(VCPU_TSC_HZ / 1000000));
    return 0;
}

static void kvm_poll(struct vm *vm)
{
    debugger_poll(vm);
    /* The report of --time-limit names CS:EIP: fetch it first. */
    if (vm->limit_ns && host_now_ns() >= vm->limit_ns)
        kvm_get_state(vm->kvm, &vm->cpu);
}

static void kvm_interrupts(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    interrupts(vm);
    /* Halted with an interrupt waiting that KVM cannot take yet
     * (ready_for_interrupt_injection is what it said at the last exit):
     * run, and KVM exits as soon as it can; sleeping would wait on a flag
     * that only a run can change. */
    if (c->halted && vm->kvm->run->request_interrupt_window && vm->kvm->run->if_flag)
        c->halted = false;
}

static void kvm_run(struct vm *vm)
{
    char err[160];
    host_timer_at(vm, run_next_deadline(vm));
    if (kvm_enter(vm->kvm) < 0) {
        snprintf(err, sizeof err, "KVM_RUN failed: %s", strerror(errno));
        kvm_fatal(vm, VMM_EXIT_ERROR, err);
        return;
    }
    vm->kvm->past_bp = false;
    handle_exit(vm);
}

/* For the debugger's last look and the reports. */
static void kvm_finish(struct vm *vm)
{
    kvm_get_state(vm->kvm, &vm->cpu);
}

static void kvm_engine_destroy(struct vm *vm)
{
    if (!vm->kvm)
        return;
    host_kick_byte(NULL);
    kvm_destroy(vm->kvm);
    free(vm->kvm);
    vm->kvm = NULL;
}

/* No create hook: the hardware walks the guest's page tables, so there are
 * no views, no translator and no direct execution to make. */
const struct engine engine_kvm = {
    .name = "kvm",
    .start = kvm_start,
    .poll = kvm_poll,
    .interrupts = kvm_interrupts,
    .run = kvm_run,
    .finish = kvm_finish,
    .destroy = kvm_engine_destroy,
};
