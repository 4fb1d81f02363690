/*
 * devices/pic8259.c - 8259A pair (Intel 8259A datasheet; PIIX3 ELCR).
 *
 * Priorities are kept as a rotation (priority_add): the IRQ with the highest
 * priority is priority_add.  The slave's INTR output drives master input 2,
 * recomputed after every change (update()).
 */
#include "devices/pic8259.h"
#include "devices/device.h"

/* Highest-priority bit of mask as a priority 0..7 (0 best), 8 if none. */
static int priority_of(struct pic_chip *c, uint8_t mask)
{
    if (!mask)
        return 8;
    int p = 0;
    while (!(mask & (1 << ((p + c->priority_add) & 7))))
        p++;
    return p;
}

/* The IRQ this chip would present on INTA, or -1. */
static int chip_irq(struct pic_chip *c)
{
    int p = priority_of(c, c->irr & ~c->imr);
    if (p == 8)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= ~c->imr;      /* special mask mode: masked ISR bits do not block */
    if (c->sfnm && c->is_master)
        in_service &= ~(1 << 2);    /* special fully nested: the slave may nest */
    if (p < priority_of(c, in_service))
        return (p + c->priority_add) & 7;
    return -1;
}

static void chip_set_line(struct pic_chip *c, int irq, int level)
{
    uint8_t m = 1 << irq;
    if (c->elcr & m) {
        if (level) c->irr |= m; else c->irr &= ~m;
    } else if (level && !(c->lines & m)) {
        c->irr |= m;                /* rising edge latches a request */
    }
    if (level) c->lines |= m; else c->lines &= ~m;
}

static void update(struct pic *p)
{
    chip_set_line(&p->c[0], 2, chip_irq(&p->c[1]) >= 0);
}

void pic_set_irq(struct pic *p, int irq, int level)
{
    chip_set_line(&p->c[irq >> 3], irq & 7, level);
    update(p);
}

bool pic_intr(struct pic *p)
{
    return chip_irq(&p->c[0]) >= 0;
}

static void chip_intack(struct pic_chip *c, int irq)
{
    if (c->auto_eoi) {
        if (c->rotate_auto_eoi)
            c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= 1 << irq;
    }
    if (!(c->elcr & (1 << irq)))
        c->irr &= ~(1 << irq);      /* edge requests are consumed by INTA */
}

int pic_ack(struct pic *p)
{
    struct pic_chip *m = &p->c[0], *s = &p->c[1];
    int vector, irq = chip_irq(m);
    if (irq < 0) {
        vector = m->vector_base + 7;        /* spurious: ISR bit 7 stays clear */
    } else {
        chip_intack(m, irq);
        if (irq == 2) {
            int irq2 = chip_irq(s);
            if (irq2 >= 0)
                chip_intack(s, irq2);
            else
                irq2 = 7;                   /* spurious IRQ15 */
            vector = s->vector_base + irq2;
        } else {
            vector = m->vector_base + irq;
        }
    }
    update(p);
    return vector;
}

/* OCW3 poll mode: the read is an acknowledge that returns 0x80 | irq. */
static uint8_t chip_poll(struct pic *p, struct pic_chip *c)
{
    int irq = chip_irq(c);
    if (irq < 0)
        return 0;
    chip_intack(c, irq);
    update(p);
    return 0x80 | irq;
}

static void icw1(struct pic_chip *c, uint8_t v)
{
    /* ICW1 resets the chip (datasheet "Initialization Command Words"):
     * IMR cleared, IRQ7 lowest priority, edge sense latch reset. */
    c->lines = 0;
    c->irr &= c->elcr;
    c->isr = c->imr = 0;
    c->priority_add = 0;
    c->read_isr = c->poll = c->special_mask = false;
    c->auto_eoi = c->rotate_auto_eoi = c->sfnm = false;
    c->need_icw4 = v & 1;
    c->single = v & 2;
    c->init_step = 1;
}

static void ocw2(struct pic_chip *c, uint8_t v)
{
    int irq, cmd = v >> 5;
    switch (cmd) {
    case 0: case 4:                 /* clear / set rotate in automatic EOI mode */
        c->rotate_auto_eoi = cmd >> 2;
        break;
    case 1: case 5:                 /* non-specific EOI (5: and rotate) */
        if (priority_of(c, c->isr) == 8)
            break;
        irq = (priority_of(c, c->isr) + c->priority_add) & 7;
        c->isr &= ~(1 << irq);
        if (cmd == 5)
            c->priority_add = (irq + 1) & 7;
        break;
    case 3:                         /* specific EOI */
        c->isr &= ~(1 << (v & 7));
        break;
    case 6:                         /* set priority: v&7 becomes lowest */
        c->priority_add = (v + 1) & 7;
        break;
    case 7:                         /* rotate on specific EOI */
        c->isr &= ~(1 << (v & 7));
        c->priority_add = (v + 1) & 7;
        break;
    }
}

static void chip_write(struct pic_chip *c, int a0, uint8_t v)
{
    if (!a0) {
        if (v & 0x10)
            icw1(c, v);
        else if (v & 0x08) {        /* OCW3 */
            if (v & 0x04)
                c->poll = true;
            if (v & 0x02)
                c->read_isr = v & 1;
            if (v & 0x40)
                c->special_mask = (v >> 5) & 1;
        } else
            ocw2(c, v);
        return;
    }
    switch (c->init_step) {
    case 0:                         /* OCW1 */
        c->imr = v;
        break;
    case 1:                         /* ICW2: vector base (x86 mode uses bits 7:3) */
        c->vector_base = v & 0xF8;
        c->init_step = c->single ? (c->need_icw4 ? 3 : 0) : 2;
        break;
    case 2:                         /* ICW3: cascade wiring, fixed on a PC */
        c->init_step = c->need_icw4 ? 3 : 0;
        break;
    case 3:                         /* ICW4 */
        c->sfnm = (v >> 4) & 1;
        c->auto_eoi = (v >> 1) & 1;
        c->init_step = 0;
        break;
    }
}

static uint32_t pic_pio_read(void *opaque, uint16_t port, int size)
{
    struct pic *p = opaque;
    if (port >= 0x4D0)
        return p->c[port & 1].elcr;
    struct pic_chip *c = &p->c[port >= 0xA0];
    if (c->poll) {
        c->poll = false;
        return chip_poll(p, c);
    }
    if (port & 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void pic_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct pic *p = opaque;
    if (port >= 0x4D0) {
        struct pic_chip *c = &p->c[port & 1];
        c->elcr = value & c->elcr_mask;
    } else {
        chip_write(&p->c[port >= 0xA0], port & 1, value);
    }
    update(p);
}

static const struct device_ops pic_ops = {
    .name = "pic8259",
    .pio_read = pic_pio_read,
    .pio_write = pic_pio_write,
};

int pic_init(struct pic *p, struct io_bus *bus)
{
    *p = (struct pic){ 0 };
    p->c[0].is_master = true;
    /* PIIX ELCR: IRQ 0, 1, 2, 8 and 13 are always edge triggered. */
    p->c[0].elcr_mask = 0xF8;
    p->c[1].elcr_mask = 0xDE;
    if (io_register_pio(bus, 0x20, 2, &pic_ops, p) < 0 ||
        io_register_pio(bus, 0xA0, 2, &pic_ops, p) < 0 ||
        io_register_pio(bus, 0x4D0, 2, &pic_ops, p) < 0)
        return -1;
    return 0;
}
