/*
 * monitor/engine.h - the one part of running a guest that differs between
 * binary translation (--accel bt) and hardware virtualization (--accel
 * kvm).  Everything else is shared by the one run loop (monitor/run.c):
 * device time and --time-limit, halting, the sandbox, the debugger's
 * polling, the statistics.
 *
 * Contract: an engine's state lives in its own structs (the bt engine's in
 * struct bt_context and the translator's, shadow MMU's and direct
 * execution's objects; the KVM engine's in struct kvm_vm) and reaches the
 * architectural state only as struct vcpu.  Hooks that an engine has no
 * use for are NULL.
 */
#ifndef MONITOR_ENGINE_H
#define MONITOR_ENGINE_H

#include <stddef.h>

struct vm;

struct engine {
    const char *name;               /* "bt", "kvm": --accel's words */
    /* With guest memory made, before the loaders: the engine's own
     * structures (views, translator, direct execution).  -1 with err. */
    int (*create)(struct vm *vm, char *err, size_t errlen);
    /* After the loaders, before the sandbox closes: what needs the CPU
     * as the loaders left it (the KVM VM).  -1 with err. */
    int (*start)(struct vm *vm, char *err, size_t errlen);
    /* At each return to the monitor, before the clock: the debugger looks
     * at and changes struct vcpu. */
    void (*poll)(struct vm *vm);
    /* Deliver an NMI or external interrupt the guest can take now, or see
     * that the engine comes back when it can. */
    void (*interrupts)(struct vm *vm);
    /* Run guest code until it returns to the monitor, and act on why. */
    void (*run)(struct vm *vm);
    /* The run ended: struct vcpu as the guest left it, for the reports. */
    void (*finish)(struct vm *vm);
    /* Free what create and start made (safe if they did not run). */
    void (*destroy)(struct vm *vm);
};

extern const struct engine engine_bt;      /* monitor/run_bt.c */
extern const struct engine engine_kvm;     /* monitor/run_kvm.c */

#endif
