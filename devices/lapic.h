/*
 * devices/lapic.h - the local APIC of the (single) vCPU.
 *
 * Contract: 4 KiB of MMIO at 0xFEE00000 (32-bit registers on 16-byte
 * boundaries, Intel SDM vol. 3A chapter 10).  ID 0, version 0x14 with six
 * LVT entries.  lapic_accept() is the bus message of a fixed interrupt
 * (from the IOAPIC or an IPI); lapic_pending()/lapic_ack() are the CPU's
 * view (highest IRR above PPR; INTA moves it to ISR).  The timer counts
 * at LAPIC_TIMER_HZ divided by the divide register.  While the APIC is
 * software-disabled, or LINT0 is unmasked in ExtINT mode, the 8259's INTR
 * reaches the CPU (lapic_extint_open()).  The APIC base MSR's relocation
 * and global-disable bit are not honoured.
 * ICR: fixed and lowest-priority IPIs to ourselves are accepted, vectors
 * below 16 set "send illegal vector" in the ESR; NMI to ourselves (no
 * shorthand with our ID, self, all including self) sets the CPU's NMI
 * latch (vcpu.nmi_pending); INIT to ourselves resets the machine
 * (platform_reset), INIT level de-assert does nothing; SMI to ourselves
 * is counted and ignored; start-up and everything sent to other IDs reach
 * nobody.  The delivery status always reads idle.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define LAPIC_BASE 0xFEE00000u
#define LAPIC_TIMER_HZ 1000000000ull    /* bus clock: one count per ns at divide 1 */

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_N };

struct lapic {
    struct vm *vm;
    uint32_t id, tpr, ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_N];
    uint32_t initial, divide_reg;
    uint32_t irr[8], isr[8], tmr[8];
    bool timer_armed;
    uint64_t timer_start_ns, timer_next_ns;
    uint64_t timer_backlog;     /* periodic ticks missed while the monitor was held up */
    bool timer_reachable;       /* the timer LVT was unmasked at the last tick */
    uint64_t timer_irqs;
    bool lint_level[2];         /* LINT0, LINT1 input levels */
    uint64_t nmis;              /* NMIs sent to the CPU (IPI or LVT) */
    uint64_t smis_ignored;      /* SMIs to ourselves: the model has no SMM */
};

int lapic_init(struct lapic *l, struct vm *vm, struct io_bus *bus);
void lapic_accept(struct lapic *l, int vector, bool level);
/* An NMI message (IPI, LVT, IOAPIC): sets the CPU's NMI latch. */
void lapic_nmi(struct lapic *l);
bool lapic_pending(struct lapic *l);
int lapic_ack(struct lapic *l);
bool lapic_extint_open(struct lapic *l);
void lapic_tick(struct lapic *l, uint64_t now_ns);
uint64_t lapic_deadline(struct lapic *l);
uint32_t lapic_current_count(struct lapic *l, uint64_t now_ns);
/* The level of LINT0 (pin 0) or LINT1 (pin 1); a rising edge delivers what
 * the pin's LVT says (fixed vector, NMI; ExtINT is the 8259's path, SMI is
 * counted and ignored, masked does nothing). */
void lapic_set_lint(struct lapic *l, int pin, bool level);

#endif
