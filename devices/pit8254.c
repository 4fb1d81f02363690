/*
 * devices/pit8254.c - 8254 PIT (Intel 8254 datasheet, order no. 231164).
 *
 * The counter is not stepped: its value and OUT are computed from the
 * number of 1.193182 MHz ticks since the count was loaded (as QEMU does).
 * Gate handling follows the datasheet for modes 1, 2, 3 and 5 (a rising
 * gate restarts the count); modes 0 and 4 are not paused by a low gate
 * (guests gate only channel 2, and only with modes 0/2/3 and gate high).
 */
#include "devices/pit8254.h"
#include "devices/device.h"
#include "devices/irq.h"

static uint64_t ticks_since(struct pit_channel *c, uint64_t now_ns)
{
    if (now_ns <= c->load_ns)
        return 0;
    return (uint64_t)((unsigned __int128)(now_ns - c->load_ns) * PIT_HZ / 1000000000ull);
}

static uint64_t tick_to_ns(struct pit_channel *c, uint64_t tick)
{
    /* round up: the edge has happened once this time is reached */
    return c->load_ns + (uint64_t)(((unsigned __int128)tick * 1000000000ull + PIT_HZ - 1) / PIT_HZ);
}

static int out_at(struct pit_channel *c, uint64_t d)
{
    if (!c->armed)
        return c->mode != 0;        /* mode 0 drives OUT low from the control word on */
    switch (c->mode) {
    case 0: case 1: return d >= c->count;
    case 2: return d % c->count != c->count - 1;    /* low for the clock at count 1 */
    case 3: return d % c->count < (c->count + 1) / 2;
    default: return d != c->count;                  /* modes 4, 5: one low clock */
    }
}

static uint16_t to_bcd(uint32_t v)
{
    return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static uint32_t from_bcd(uint32_t v)
{
    return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
}

static uint16_t count_at(struct pit_channel *c, uint64_t d)
{
    uint32_t mod = c->bcd ? 10000 : 65536, v;
    if (!c->armed)
        return c->bcd ? to_bcd(c->count % 10000) : c->count;
    switch (c->mode) {
    case 2: v = c->count - d % c->count; break;
    case 3: v = c->count - (2 * d) % c->count; break;
    default: v = (uint32_t)((c->count + mod - d % mod) % mod); break;
    }
    v %= mod;
    return c->bcd ? to_bcd(v) : v;
}

int pit_out(struct pit *p, int ch, uint64_t now_ns)
{
    struct pit_channel *c = &p->ch[ch];
    return out_at(c, ticks_since(c, now_ns));
}

uint16_t pit_counter(struct pit *p, int ch, uint64_t now_ns)
{
    struct pit_channel *c = &p->ch[ch];
    return count_at(c, ticks_since(c, now_ns));
}

/* First rising edge of OUT after tick d (exclusive), UINT64_MAX if none. */
static uint64_t edge_after(struct pit_channel *c, uint64_t d)
{
    switch (c->mode) {
    case 2: case 3:
        return (d / c->count + 1) * c->count;
    case 0: case 1:
        return d < c->count ? c->count : UINT64_MAX;
    default:
        return d <= c->count ? c->count + 1 : UINT64_MAX;
    }
}

static void load(struct pit *p, struct pit_channel *c, uint32_t v)
{
    if (c->bcd)
        v = from_bcd(v);
    if (v == 0)
        v = c->bcd ? 10000 : 65536;
    c->count = v;
    if (c == &p->ch[0])
        p->backlog = 0;             /* a new period: old misses no longer apply */
    c->load_ns = host_now_ns();
    c->armed = true;
    c->null_count = false;
    c->next_edge = edge_after(c, 0);
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
    if (c->count_latched)
        return;                     /* a second latch before reading is ignored */
    c->latched = count_at(c, ticks_since(c, now));
    c->count_latched = true;
    c->latch_state = c->rw;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched)
        return;
    c->status = out_at(c, ticks_since(c, now)) << 7 | c->null_count << 6 |
                c->rw << 4 | c->mode << 1 | c->bcd;
    c->status_latched = true;
}

static void control(struct pit *p, uint8_t v)
{
    uint64_t now = host_now_ns();
    int sel = v >> 6;
    if (sel == 3) {                 /* read-back command (datasheet p. 8) */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2 << i)))
                continue;
            if (!(v & 0x20))
                latch_count(&p->ch[i], now);
            if (!(v & 0x10))
                latch_status(&p->ch[i], now);
        }
        return;
    }
    struct pit_channel *c = &p->ch[sel];
    int access = (v >> 4) & 3;
    if (access == 0) {              /* counter latch command */
        latch_count(c, now);
        return;
    }
    c->rw = access;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;               /* 6 and 7 are aliases of 2 and 3 */
    c->bcd = v & 1;
    c->read_state = c->write_state = access;
    c->armed = false;
    c->null_count = true;
    c->count_latched = false;
}

enum { RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };

static uint8_t read_counter(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latched) {
        switch (c->latch_state) {
        case RW_LSB: c->count_latched = false; return c->latched & 0xFF;
        case RW_MSB: c->count_latched = false; return c->latched >> 8;
        case RW_WORD0: c->latch_state = RW_WORD1; return c->latched & 0xFF;
        default: c->count_latched = false; return c->latched >> 8;
        }
    }
    uint16_t v = count_at(c, ticks_since(c, now));
    switch (c->read_state) {
    case RW_LSB: return v & 0xFF;
    case RW_MSB: return v >> 8;
    case RW_WORD0: c->read_state = RW_WORD1; return v & 0xFF;
    default: c->read_state = RW_WORD0; return v >> 8;
    }
}

static void write_counter(struct pit *p, struct pit_channel *c, uint8_t v)
{
    switch (c->write_state) {
    case RW_LSB: load(p, c, v); break;
    case RW_MSB: load(p, c, v << 8); break;
    case RW_WORD0: c->write_lsb = v; c->write_state = RW_WORD1; break;
    case RW_WORD1: load(p, c, c->write_lsb | v << 8); c->write_state = RW_WORD0; break;
    }
}

static void set_gate(struct pit_channel *c, bool gate)
{
    if (gate && !c->gate && c->armed && c->mode != 0 && c->mode != 4) {
        c->load_ns = host_now_ns(); /* rising gate (re)triggers modes 1, 2, 3, 5 */
        c->next_edge = edge_after(c, 0);
    }
    c->gate = gate;
}

/* Port 0x61 (PC/AT system control port B): bit 0 gate of channel 2,
 * bit 1 speaker data, bit 4 refresh toggle (every 15.085 us), bit 5 OUT2. */
static uint8_t port61_read(struct pit *p, uint64_t now)
{
    int refresh = (now / 15085) & 1;
    return (p->port61 & 0x0F) | refresh << 4 | pit_out(p, 2, now) << 5;
}

static uint32_t pit_pio_read(void *opaque, uint16_t port, int size)
{
    struct pit *p = opaque;
    uint64_t now = host_now_ns();
    if (port == 0x61)
        return port61_read(p, now);
    if (port == 0x43)
        return 0xFF;                /* the control word register is write-only */
    return read_counter(&p->ch[port - 0x40], now);
}

static void pit_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct pit *p = opaque;
    if (port == 0x61) {
        p->port61 = value & 0x0F;
        set_gate(&p->ch[2], value & 1);
    } else if (port == 0x43) {
        control(p, value);
    } else {
        write_counter(p, &p->ch[port - 0x40], value);
    }
}

static const struct device_ops pit_ops = {
    .name = "pit8254",
    .pio_read = pit_pio_read,
    .pio_write = pit_pio_write,
};

static uint64_t edge_deadline(struct pit *p)
{
    struct pit_channel *c = &p->ch[0];
    if (!c->armed || c->next_edge == UINT64_MAX)
        return UINT64_MAX;
    return tick_to_ns(c, c->next_edge);
}

uint64_t pit_deadline(struct pit *p)
{
    return tick_backlog_deadline(p->backlog, edge_deadline(p));
}

/*
 * Missed periodic edges (devices/irq.h, "tick backlog") are raised one at a
 * time while the processor has no interrupt waiting, which is when the
 * previous one was taken; none are kept while IRQ0 cannot reach the
 * processor (masked: those edges are lost on hardware too).
 */
void pit_tick(struct pit *p, uint64_t now_ns)
{
    struct pit_channel *c = &p->ch[0];
    if (now_ns < edge_deadline(p)) {
        if (p->backlog && p->vm && !irq_intr_pending(p->vm)) {
            p->backlog--;
            p->irqs++;
            irq_pulse(p->vm, 0);
        }
        return;
    }
    uint64_t next = edge_after(c, ticks_since(c, now_ns));
    /* Edges missed since the last one count only if IRQ0 could reach the
     * processor then: while it was masked (or held behind an interrupt in
     * service) they are lost on hardware too, and the monitor cannot tell
     * how many of them fell after an unmask it has not seen. */
    if ((c->mode == 2 || c->mode == 3) && p->reachable) {
        uint64_t missed = (next - c->next_edge) / c->count - 1;
        p->backlog = tick_backlog_add(p->backlog, missed, PIT_HZ / c->count);
    }
    c->next_edge = next;
    p->irqs++;
    if (p->vm) {
        irq_pulse(p->vm, 0);
        p->reachable = irq_intr_pending(p->vm);
        if (!p->reachable)
            p->backlog = 0;
    }
}

int pit_init(struct pit *p, struct vm *vm, struct io_bus *bus)
{
    *p = (struct pit){ .vm = vm };
    for (int i = 0; i < 3; i++) {
        p->ch[i].gate = i != 2;     /* gates 0 and 1 are tied high on a PC */
        p->ch[i].count = 65536;
        p->ch[i].rw = p->ch[i].read_state = p->ch[i].write_state = RW_WORD0;
    }
    if (io_register_pio(bus, 0x40, 4, &pit_ops, p) < 0 ||
        io_register_pio(bus, 0x61, 1, &pit_ops, p) < 0)
        return -1;
    return 0;
}
