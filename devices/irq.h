/*
 * devices/irq.h - interrupt lines from devices to the CPU, and time.
 *
 * Contract: devices call irq_set_level() on their ISA line (0..15) or, with
 * the IOAPIC, GSI; the interrupt controllers (PIC, LAPIC/IOAPIC) decide what
 * reaches the CPU.  The run loop asks irq_intr_pending() at every instruction
 * boundary where the guest has IF=1 and then irq_intr_ack() for the vector
 * (the INTA cycle).  Time-driven devices are advanced by devices_tick(),
 * which the run loop calls after each return to the monitor;
 * devices_next_deadline_ns() tells when the next timer event is due so that
 * a halted guest can sleep until then.
 */
#ifndef DEVICES_IRQ_H
#define DEVICES_IRQ_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct vm;

void irq_set_level(struct vm *vm, int line, int level);
static inline void irq_pulse(struct vm *vm, int line)
{
    irq_set_level(vm, line, 1);
    irq_set_level(vm, line, 0);
}

bool irq_intr_pending(struct vm *vm);
int irq_intr_ack(struct vm *vm);

/* Create and register every platform device.  0, or -1 with err[] set. */
int devices_init(struct vm *vm, char *err, size_t errlen);
void devices_tick(struct vm *vm, uint64_t now_ns);
/* Absolute host-monotonic time of the next timer event, UINT64_MAX if none. */
uint64_t devices_next_deadline_ns(struct vm *vm);
/* Wait for host input or until deadline (HLT with IF=1). */
void devices_wait(struct vm *vm, uint64_t deadline_ns);
void devices_destroy(struct vm *vm);

uint64_t host_now_ns(void);

/*
 * Periodic timer ticks the monitor missed because the host did not run it
 * (devices/pit8254.c, devices/lapic.c) are kept and delivered late, one at
 * a time, as KVM does: a guest that counts ticks (Linux's jiffies early in
 * boot) would otherwise fall behind the TSC and declare the TSC unstable.
 * tick_backlog_add() keeps at most a second's worth; while some are kept,
 * tick_backlog_deadline() makes the next chance to deliver one due soon.
 */
#define TICK_BACKLOG_RETRY_NS 250000ull

static inline uint64_t tick_backlog_add(uint64_t backlog, uint64_t missed, uint64_t per_second)
{
    return backlog + missed < per_second ? backlog + missed : per_second;
}

static inline uint64_t tick_backlog_deadline(uint64_t backlog, uint64_t next_ns)
{
    if (!backlog || next_ns == UINT64_MAX)
        return next_ns;
    /* On a fixed grid, so that asking again before it passes gives the
     * same deadline and the host timer is not set anew at every exit
     * (timer_settime costs about as much as a guest system call). */
    uint64_t soon = (host_now_ns() / TICK_BACKLOG_RETRY_NS + 1) * TICK_BACKLOG_RETRY_NS;
    return soon < next_ns ? soon : next_ns;
}

#endif
