/*
 * tests/guests/dev_common.h - what the device test guests (dev_*.c) share:
 * the TSC as a clock, the 8259 pair set up as Linux's init_8259A does, the
 * PIT's channel 0 as a rate generator, the local APIC and IOAPIC registers,
 * and an interrupt dispatcher on top of rt_hook.
 *
 * Time: under vmm the TSC counts at 1 GHz (docs/cpu-model.md, VCPU_TSC_HZ),
 * so one TSC tick is one nanosecond.  The guests measure interrupt rates
 * against it.
 */
#ifndef GUESTS_DEV_COMMON_H
#define GUESTS_DEV_COMMON_H

#include "rt.h"

#define TSC_HZ 1000000000ull        /* vmm's TSC: docs/cpu-model.md */
#define PIT_HZ 1193182u

#define PIC_VEC_MASTER 0x20         /* IRQ0-7 -> 0x20-0x27 */
#define PIC_VEC_SLAVE  0x28         /* IRQ8-15 -> 0x28-0x2F */

#define LAPIC 0xFEE00000u
#define IOAPIC 0xFEC00000u

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
/* STI; HLT: the interrupt shadow of STI keeps the wake-up from slipping in
 * between the two. */
static inline void sti_hlt(void) { asm volatile("sti; hlt" ::: "memory"); }

/* The 8259 pair as Linux's init_8259A programs it: ICW1 edge + ICW4,
 * ICW2 vector base, ICW3 cascade on IR2 / slave identity 2, ICW4 8086 mode,
 * then the masks (bit set = masked).  IRQ2 (the cascade) stays open when a
 * slave line is wanted. */
static inline void pic_setup(uint16_t mask)
{
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);
    outb(0x21, PIC_VEC_MASTER);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xA0, 0x11);
    outb(0xA1, PIC_VEC_SLAVE);
    outb(0xA1, 0x02);
    outb(0xA1, 0x01);
    if ((mask & 0xFF00) != 0xFF00)
        mask &= ~0x0004;
    outb(0x21, mask & 0xFF);
    outb(0xA1, mask >> 8);
}

/* Non-specific EOI (OCW2 0x20), to the slave first for IRQ8-15. */
static inline void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(0xA0, 0x20);
    outb(0x20, 0x20);
}

/* OCW3: read IRR (0x0A) or ISR (0x0B) of the master. */
static inline uint8_t pic_read_reg(uint8_t ocw3)
{
    outb(0x20, ocw3);
    return inb(0x20);
}

/* PIT channel 0, mode 2 (rate generator), binary, LSB then MSB. */
static inline void pit_rate(uint32_t hz)
{
    uint32_t count = (PIT_HZ + hz / 2) / hz;
    outb(0x43, 0x34);
    outb(0x40, count & 0xFF);
    outb(0x40, count >> 8);
}

/* The programmed PIT rate in millihertz: the count is rounded. */
static inline uint32_t pit_rate_mhz(uint32_t hz)
{
    uint32_t count = (PIT_HZ + hz / 2) / hz;
    return (uint32_t)((uint64_t)PIT_HZ * 1000 / count);
}

static inline uint32_t mmio_read(uint32_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

static inline uint32_t ioapic_read(uint8_t reg)
{
    mmio_write(IOAPIC, reg);
    return mmio_read(IOAPIC + 0x10);
}

static inline void ioapic_write(uint8_t reg, uint32_t v)
{
    mmio_write(IOAPIC, reg);
    mmio_write(IOAPIC + 0x10, v);
}

/* Interrupt handlers by vector, called from the runtime's common handler
 * (rt_hook); any other vector (an exception) fails the test. */
typedef void (*dev_handler)(struct trap_frame *f);
extern dev_handler dev_handlers[256];
void dev_irq_init(void);

/* Interrupts counted by `counter` over at least min_ns of TSC time, from one
 * interrupt to another: the measured rate in millihertz.  Sleeps in HLT
 * with IF=1 between interrupts.  Fails check n when no interrupt comes for
 * a second. */
uint32_t dev_measure_rate(int n, volatile uint32_t *counter, uint64_t min_ns);

/* |got - want| within pct percent of want. */
static inline bool within_pct(uint32_t got, uint32_t want, uint32_t pct)
{
    uint32_t d = got > want ? got - want : want - got;
    return (uint64_t)d * 100 <= (uint64_t)want * pct;
}

/* The Multiboot command line (empty when none was given). */
const char *dev_cmdline(void);

#endif
