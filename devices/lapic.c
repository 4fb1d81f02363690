/*
 * devices/lapic.c - local APIC registers, priorities and timer (Intel SDM
 * vol. 3A 10.4-10.8).
 */
#include "cpu/machine.h"
#include "devices/device.h"
#include "cpu/vcpu.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/platform.h"
#include "devices/irq.h"

#define LVT_MASKED 0x10000u
#define SVR_ENABLE 0x100u
#define TIMER_PERIODIC 0x20000u
#define TIMER_TSCDL 0x40000u
#define ESR_SEND_ILLEGAL 0x20
#define ESR_RECV_ILLEGAL 0x40
#define ESR_ILLEGAL_REG 0x80

/* Writable bits of each LVT (timer has mode, others delivery mode etc.). */
static const uint32_t lvt_wmask[LVT_N] = {
    [LVT_TIMER] = 0x700FF, [LVT_THERMAL] = 0x107FF, [LVT_PERF] = 0x107FF,
    [LVT_LINT0] = 0x1A7FF, [LVT_LINT1] = 0x1A7FF, [LVT_ERROR] = 0x100FF,
};

static int highest(const uint32_t *bits)
{
    for (int i = 7; i >= 0; i--)
        if (bits[i])
            return i * 32 + 31 - __builtin_clz(bits[i]);
    return -1;
}

static void set_bit(uint32_t *b, int v) { b[v >> 5] |= 1u << (v & 31); }
static void clr_bit(uint32_t *b, int v) { b[v >> 5] &= ~(1u << (v & 31)); }
static bool get_bit(const uint32_t *b, int v) { return b[v >> 5] >> (v & 31) & 1; }

static uint32_t ppr(struct lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (l->tpr & 0xF0) >= isr_class ? l->tpr & 0xFF : isr_class;
}

static void error(struct lapic *l, uint32_t bits)
{
    l->esr_pending |= bits;
    uint32_t lvt = l->lvt[LVT_ERROR];
    if (!(lvt & LVT_MASKED) && (lvt & 0xFF) >= 16)
        lapic_accept(l, lvt & 0xFF, false);
}

void lapic_accept(struct lapic *l, int vector, bool level)
{
    if (vector < 16) {
        error(l, ESR_RECV_ILLEGAL);
        return;
    }
    set_bit(l->irr, vector);
    if (level) set_bit(l->tmr, vector); else clr_bit(l->tmr, vector);
}

bool lapic_pending(struct lapic *l)
{
    int v = highest(l->irr);
    return v >= 0 && ((uint32_t)v & 0xF0) > (ppr(l) & 0xF0);
}

int lapic_ack(struct lapic *l)
{
    if (!lapic_pending(l))
        return l->svr & 0xFF;       /* the spurious-interrupt vector */
    int v = highest(l->irr);
    clr_bit(l->irr, v);
    set_bit(l->isr, v);
    return v;
}

bool lapic_extint_open(struct lapic *l)
{
    uint32_t lint0 = l->lvt[LVT_LINT0];
    return !(l->svr & SVR_ENABLE) ||
           (!(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == 7);
}

static void eoi(struct lapic *l)
{
    int v = highest(l->isr);
    if (v < 0)
        return;
    clr_bit(l->isr, v);
    if (get_bit(l->tmr, v) && l->vm)
        ioapic_eoi(&platform_of(l->vm)->ioapic, v);  /* level: broadcast EOI */
}

static uint64_t divisor(struct lapic *l)
{
    unsigned d = (l->divide_reg & 3) | ((l->divide_reg & 8) >> 1);
    return 1ull << ((d + 1) & 7);
}

static uint64_t period_ns(struct lapic *l)
{
    return (uint64_t)((unsigned __int128)l->initial * divisor(l) * 1000000000ull / LAPIC_TIMER_HZ);
}

uint32_t lapic_current_count(struct lapic *l, uint64_t now)
{
    if (!l->timer_armed || !l->initial)
        return 0;
    uint64_t ticks = (now - l->timer_start_ns) * LAPIC_TIMER_HZ / 1000000000ull / divisor(l);
    if (l->lvt[LVT_TIMER] & TIMER_PERIODIC)
        return l->initial - ticks % l->initial;
    return ticks >= l->initial ? 0 : l->initial - ticks;
}

static void timer_start(struct lapic *l)
{
    l->timer_backlog = 0;
    l->timer_reachable = !(l->lvt[LVT_TIMER] & LVT_MASKED);
    l->timer_start_ns = host_now_ns();
    l->timer_armed = l->initial != 0;
    l->timer_next_ns = l->timer_start_ns + period_ns(l);
}

uint64_t lapic_deadline(struct lapic *l)
{
    if (!l->timer_armed)
        return UINT64_MAX;
    uint32_t lvt = l->lvt[LVT_TIMER];
    bool deliverable = (lvt & TIMER_PERIODIC) && !(lvt & LVT_MASKED);
    return tick_backlog_deadline(deliverable ? l->timer_backlog : 0, l->timer_next_ns);
}

/* A missed periodic tick (devices/irq.h, "tick backlog") is delivered once
 * the previous one left the IRR. */
static void timer_catch_up(struct lapic *l)
{
    uint32_t lvt = l->lvt[LVT_TIMER];
    if (!l->timer_backlog || !(lvt & TIMER_PERIODIC) || (lvt & LVT_MASKED) ||
        get_bit(l->irr, (int)(lvt & 0xFF)))
        return;
    l->timer_backlog--;
    lapic_accept(l, lvt & 0xFF, false);
    l->timer_irqs++;
}

void lapic_tick(struct lapic *l, uint64_t now)
{
    if (!l->timer_armed)
        return;
    if (now < l->timer_next_ns) {
        timer_catch_up(l);
        return;
    }
    uint32_t lvt = l->lvt[LVT_TIMER];
    if (!(lvt & LVT_MASKED)) {
        lapic_accept(l, lvt & 0xFF, false);
        l->timer_irqs++;
    }
    uint64_t per = period_ns(l);
    if ((lvt & TIMER_PERIODIC) && per) {
        /* the grid stays anchored at start; missed periods go to the backlog
         * (none while masked, nor since a tick that found it masked: those
         * ticks are lost on hardware too, and when it was unmasked in
         * between is not known) */
        uint64_t missed = (now - l->timer_next_ns) / per;
        bool reachable = !(lvt & LVT_MASKED);
        l->timer_backlog = !reachable || !l->timer_reachable ? 0
                           : tick_backlog_add(l->timer_backlog, missed, 1000000000ull / per);
        l->timer_reachable = reachable;
        l->timer_next_ns += (missed + 1) * per;
    } else {
        l->timer_armed = false;     /* one-shot: current count stays 0 */
    }
}

static bool self_targeted(struct lapic *l)
{
    uint32_t dest = l->icr_hi >> 24;
    switch ((l->icr_lo >> 18) & 3) {
    case 1: case 2: return true;    /* self, all including self */
    case 3: return false;           /* all excluding self: nobody else here */
    }
    if (l->icr_lo & 0x800)          /* logical, flat model */
        return (dest & (l->ldr >> 24)) != 0;
    return dest == l->id || dest == 0xFF;
}

/* ICR delivery modes (SDM vol. 3A 10.6.1). */
enum { DM_FIXED, DM_LOWEST, DM_SMI, DM_RSVD3, DM_NMI, DM_INIT, DM_STARTUP, DM_EXTINT };
#define ICR_ASSERT  0x4000u
#define ICR_LEVEL   0x8000u

/* An NMI reaches the processor: latched in the CPU until it is taken. */
void lapic_nmi(struct lapic *l)
{
    vm_cpu(l->vm)->nmi_pending = true;
    l->nmis++;
}

/* ICR write: a single-CPU machine.  Messages to other APIC IDs (the
 * INIT/SIPI of an SMP boot included) reach nobody: the APIC sends them
 * and the delivery status is idle again at once. */
static void send_ipi(struct lapic *l)
{
    int mode = (l->icr_lo >> 8) & 7, vector = l->icr_lo & 0xFF;
    bool self = self_targeted(l);
    switch (mode) {
    case DM_FIXED: case DM_LOWEST:
        if (vector < 16)
            error(l, ESR_SEND_ILLEGAL);     /* the sender refuses it, whoever the target */
        else if (self)
            lapic_accept(l, vector, false);
        break;
    case DM_NMI:
        if (self)
            lapic_nmi(l);
        break;
    case DM_INIT:
        /* Level de-assert only resynchronises arbitration IDs (no effect
         * here); an INIT to ourselves is the processor's INIT line: on a
         * PC that is the warm reset the keyboard controller also drives. */
        if (self && !((l->icr_lo & ICR_LEVEL) && !(l->icr_lo & ICR_ASSERT)))
            platform_reset(l->vm);
        break;
    case DM_SMI:
        if (self)
            l->smis_ignored++;          /* no SMM in the model */
        break;
    default:
        /* Start-up is taken only by a processor waiting for SIPI after
         * INIT, never by the running BSP; 3 and 7 are reserved. */
        break;
    }
}

/* An LVT entry's delivery mode for an edge on its input pin. */
static void lvt_fire(struct lapic *l, uint32_t lvt)
{
    if (lvt & LVT_MASKED)
        return;
    switch ((lvt >> 8) & 7) {
    case DM_FIXED: lapic_accept(l, lvt & 0xFF, false); break;
    case DM_NMI:   lapic_nmi(l); break;
    case DM_SMI:   l->smis_ignored++; break;
    default:       break;       /* ExtINT: the 8259 answers INTA (lapic_extint_open) */
    }
}

void lapic_set_lint(struct lapic *l, int pin, bool level)
{
    bool was = l->lint_level[pin];
    l->lint_level[pin] = level;
    if (level && !was)
        lvt_fire(l, l->lvt[pin ? LVT_LINT1 : LVT_LINT0]);
}

static void write_lvt(struct lapic *l, int i, uint32_t v)
{
    if (i == LVT_TIMER && (v & TIMER_TSCDL)) {
        vm_stop(l->vm, VMM_EXIT_UNSUPPORTED, "local APIC: TSC-deadline timer mode is not emulated");
        return;
    }
    v &= lvt_wmask[i];
    if (!(l->svr & SVR_ENABLE))
        v |= LVT_MASKED;            /* software-disabled: masks stay set (SDM 10.4.7.2) */
    l->lvt[i] = (l->lvt[i] & ~lvt_wmask[i]) | v;
}

static uint32_t reg_read(struct lapic *l, unsigned off)
{
    if (off >= 0x100 && off < 0x280) {
        const uint32_t *b = off < 0x180 ? l->isr : off < 0x200 ? l->tmr : l->irr;
        return b[(off & 0x7F) >> 4];
    }
    if (off >= 0x320 && off <= 0x370)
        return l->lvt[(off - 0x320) >> 4];
    switch (off) {
    case 0x20: return l->id << 24;
    case 0x30: return 0x00050014;   /* version 0x14, max LVT index 5 */
    case 0x80: return l->tpr;
    case 0x90: return 0;            /* arbitration priority: not used here */
    case 0xA0: return ppr(l);
    case 0xD0: return l->ldr;
    case 0xE0: return l->dfr;
    case 0xF0: return l->svr;
    case 0x280: return l->esr;
    case 0x300: return l->icr_lo;   /* delivery status (bit 12): idle, every IPI is sent at once */
    case 0x310: return l->icr_hi;
    case 0x380: return l->initial;
    case 0x390: return lapic_current_count(l, host_now_ns());
    case 0x3E0: return l->divide_reg;
    default: return 0;
    }
}

static void reg_write(struct lapic *l, unsigned off, uint32_t v)
{
    if (off >= 0x320 && off <= 0x370) {
        write_lvt(l, (off - 0x320) >> 4, v);
        return;
    }
    switch (off) {
    case 0x20: l->id = v >> 24; break;
    case 0x80: l->tpr = v & 0xFF; break;
    case 0xB0: eoi(l); break;
    case 0xD0: l->ldr = v & 0xFF000000u; break;
    case 0xE0: l->dfr = v | 0x0FFFFFFF; break;
    case 0xF0:
        l->svr = v & 0x3FF;
        if (!(v & SVR_ENABLE))
            for (int i = 0; i < LVT_N; i++)
                l->lvt[i] |= LVT_MASKED;
        break;
    case 0x280:                     /* a write latches the errors seen since */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case 0x300: l->icr_lo = v & ~0x1000u; send_ipi(l); break;
    case 0x310: l->icr_hi = v & 0xFF000000u; break;
    case 0x380: l->initial = v; timer_start(l); break;
    case 0x3E0: l->divide_reg = v & 0xB; break;
    case 0x30: case 0x90: case 0xA0: case 0x390:
        break;                      /* read-only */
    default:
        if (!(off >= 0x100 && off < 0x280))
            error(l, ESR_ILLEGAL_REG);
        break;
    }
}

static uint32_t lapic_mmio_read(void *opaque, uint64_t addr, int size)
{
    unsigned off = addr - LAPIC_BASE;
    uint32_t v = reg_read(opaque, off & 0xFF0);
    return v >> (8 * (off & 3));
}

static void lapic_mmio_write(void *opaque, uint64_t addr, int size, uint32_t value)
{
    unsigned off = addr - LAPIC_BASE;
    if ((off & 0xF) || size != 4)
        return;                     /* SDM: only aligned 32-bit writes are defined */
    reg_write(opaque, off, value);
}

static const struct device_ops lapic_ops = {
    .name = "lapic",
    .mmio_read = lapic_mmio_read,
    .mmio_write = lapic_mmio_write,
};

int lapic_init(struct lapic *l, struct vm *vm, struct io_bus *bus)
{
    *l = (struct lapic){ .vm = vm, .dfr = 0xFFFFFFFF, .svr = 0xFF };
    for (int i = 0; i < LVT_N; i++)
        l->lvt[i] = LVT_MASKED;
    return io_register_mmio(bus, LAPIC_BASE, 0x1000, &lapic_ops, l);
}
