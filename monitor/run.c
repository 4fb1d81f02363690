/*
 * monitor/run.c - the run loop, one for both engines (monitor/engine.h):
 *
 *   loop:
 *     the debugger looks (gdb_poll)
 *     advance device time; a termination signal or --time-limit ends the run
 *     deliver an NMI or an interrupt the guest can take now   (engine)
 *     if halted: sleep until host input or the next device event
 *     run guest code until it returns, and act on why          (engine)
 *
 * The engine is the binary translator (monitor/run_bt.c, the default) or
 * the host's hardware virtualization through /dev/kvm (monitor/run_kvm.c,
 * --accel kvm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/run.h"
#include "monitor/run_internal.h"
#include "monitor/engine.h"
#include "monitor/vm.h"
#include "monitor/confine.h"
#include "monitor/gdbstub.h"
#include "monitor/lab_idle.h"
#include "cpu/host.h"
#include "cpu/host_clock.h"
#include "cpu/decode_cache.h"
#include "devices/irq.h"

static const struct engine *engine_of(const struct vm *vm)
{
    return vm->opt.accel_kvm ? &engine_kvm : &engine_bt;
}

int vm_create(struct vm *vm, char *err, unsigned long errlen)
{
    struct vcpu *c = &vm->cpu;
    if (guest_mem_init(&vm->mem, vm->opt.mem_mib ? vm->opt.mem_mib : 128, err, errlen) < 0)
        return -1;
    c->vm = vm;
    vcpu_reset_protected_flat(c);
    const struct engine *e = engine_of(vm);
    return e->create ? e->create(vm, err, errlen) : 0;
}

void vm_destroy(struct vm *vm)
{
    host_fini(vm);
    engine_of(vm)->destroy(vm);
    dc_free(vm);
    guest_mem_destroy(&vm->mem);
}

/* (monitor/run_internal.h) */
uint64_t run_next_deadline(struct vm *vm)
{
    uint64_t d = devices_next_deadline_ns(vm);
    return vm->limit_ns && vm->limit_ns < d ? vm->limit_ns : d;
}

/* (monitor/run_internal.h) */
void run_wait_halted(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    if (!c->vif) {
        vm_stop(vm, VMM_EXIT_HALT, "guest halted with interrupts disabled at %04x:%08x",
                c->seg[S_CS].sel, c->eip);
        return;
    }
    idle_begin(vm);
    devices_wait(vm, run_next_deadline(vm));
    idle_end(vm);
}

/* (monitor/run_internal.h) */
bool run_begin(struct vm *vm)
{
    char err[256];
    if (host_init(vm, err, sizeof err) < 0) {
        vm_stop(vm, VMM_EXIT_ERROR, "%s", err);
        return false;
    }
    if (!vm->opt.no_sandbox && vm_confine(vm, err, sizeof err) < 0) {
        vm_stop(vm, VMM_EXIT_ERROR, "%s", err);
        return false;
    }
    vm->start_ns = host_now_ns();
    if (vm->opt.time_limit)
        vm->limit_ns = vm->start_ns + vm->opt.time_limit * 1000000000ull;
    return true;
}

/* (monitor/run_internal.h) */
bool run_clock(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    if (vm->stop_signal) {
        vm_stop(vm, 128 + vm->stop_signal, "stopped by signal %d", vm->stop_signal);
        return false;
    }
    /* Not after a ring-3 exit that brought no timer signal: reading the
     * clock would cost two prctl calls per guest system call (see
     * cpu/host_clock.h). */
    if (host_time_due()) {
        uint64_t now = host_now_ns();
        devices_tick(vm, now);
        if (vm->limit_ns && now >= vm->limit_ns) {
            vm_stop(vm, VMM_EXIT_LIMIT, "the run reached --time-limit (%llu s) at %04x:%08x",
                    (unsigned long long)vm->opt.time_limit, c->seg[S_CS].sel, c->eip);
            return false;
        }
    }
    return true;
}

int vm_run(struct vm *vm)
{
    const struct engine *e = engine_of(vm);
    char err[256];
    if (e->start && e->start(vm, err, sizeof err) < 0) {
        vm_stop(vm, VMM_EXIT_ERROR, "--accel %s: %s", e->name, err);
        return vm->exit_status;
    }
    if (!run_begin(vm))
        return vm->exit_status;
    while (!vm->stop) {
        e->poll(vm);
        if (vm->stop || !run_clock(vm))
            break;
        e->interrupts(vm);
        if (vm->stop)
            break;
        if (vm->cpu.halted) {
            run_wait_halted(vm);
            continue;
        }
        e->run(vm);
    }
    host_timer_at(vm, UINT64_MAX);
    if (e->finish)
        e->finish(vm);
    gdb_exit(vm, vm->exit_status);
    return vm->exit_status;
}
