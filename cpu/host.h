/*
 * cpu/host.h - the host tricks the monitor relies on, behind one interface:
 * signal handlers on an alternate stack that turn host faults in guest code
 * into guest events, the poll pages that stop translated code at a block
 * boundary, and the host timer that arms them.
 *
 * Contract: host_init() installs the handlers for one VM (one per process).
 * A fault inside translated code is turned into an exit of bt_enter() with
 * the guest state of the faulting guest instruction in struct vcpu and
 *   EXIT_EXCEPTION (exc_vector, exc_error, exit_arg = guest linear address
 *                   for page faults: a miss in the kernel view, which may be
 *                   hidden, MMIO, a write to translated code, or a guest #PF;
 *                   shadow_fault() tells which),
 *   EXIT_POLL      (a poll page was armed).
 * A fault anywhere else is a monitor bug: it is reported with the guest
 * state and the process aborts.
 */
#ifndef CPU_HOST_H
#define CPU_HOST_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct vcpu;

int host_init(struct vm *vm, char *err, unsigned long errlen);
void host_fini(struct vm *vm);

/* Call fn (at most HOST_FATAL_HOOKS of them) before the monitor aborts
 * on a fault of its own, from the signal handler: for giving the host
 * terminal its settings back.  fn must be async-signal-safe. */
#define HOST_FATAL_HOOKS 4
void host_at_fatal(void (*fn)(void));

/* Poll pages: "an interrupt may be deliverable" (checked at every TU entry)
 * and "anything pending" (checked after STI's shadow). */
void host_poll_arm(struct vm *vm, bool irq, bool any);
/* Arm the "interrupt may be deliverable" page now (an event became
 * deliverable inside translated code); no effect before host_init. */
void host_poll_kick(struct vm *vm);

/* Ask for a timer signal at absolute monotonic time `deadline_ns` (or
 * none for UINT64_MAX).  The signal arms the irq poll page. */
void host_timer_at(struct vm *vm, uint64_t deadline_ns);

/* A byte the timer and termination signals set to 1 (or NULL): the KVM
 * engine's immediate_exit, so that a signal that comes just before KVM_RUN
 * still ends that run at once (cpu/kvm.h). */
void host_kick_byte(volatile uint8_t *byte);

/*
 * Make the host GS base what translated code needs (c->gs_base).  Where
 * the host kernel keeps a base written with WRGSBASE (it advertises
 * FSGSBASE), bt_enter writes it at every entry and this does nothing.
 * Elsewhere a base written that way is lost at the next context switch
 * (the kernel restores the one it saved), so the kernel is told with
 * arch_prctl(ARCH_SET_GS), once per change of the kernel view.
 */
void host_gs_sync(struct vcpu *c);
/* Forget what the kernel holds (after code that loaded GS itself). */
void host_gs_forget(struct vcpu *c);

#endif
