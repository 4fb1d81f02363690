/*
 * devices/pic8259.h - the cascaded pair of Intel 8259A interrupt controllers.
 *
 * Contract: pic_set_irq() drives ISA line 0..15 (master 0-7, slave 8-15 on
 * master input 2).  pic_intr() is the INTR pin towards the CPU; pic_ack() is
 * the INTA cycle and returns the vector (IRQ7/IRQ15 when the request went
 * away before the acknowledge: the spurious interrupt of the datasheet).
 * Ports: 0x20-0x21, 0xA0-0xA1 and the ELCR at 0x4D0-0x4D1 (PIIX edge/level
 * control).
 */
#ifndef DEVICES_PIC8259_H
#define DEVICES_PIC8259_H

#include <stdint.h>
#include <stdbool.h>

struct io_bus;

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t lines;              /* input pin levels, for edge detection */
    uint8_t elcr, elcr_mask;    /* 1 = level triggered */
    uint8_t priority_add;       /* rotation: lowest-priority IRQ is priority_add-1 */
    uint8_t vector_base;        /* ICW2 */
    uint8_t init_step;          /* 0 ready, 1 wants ICW2, 2 ICW3, 3 ICW4 */
    bool need_icw4, single, auto_eoi, rotate_auto_eoi, sfnm;
    bool read_isr, poll, special_mask;
    bool is_master;
};

struct pic {
    struct pic_chip c[2];       /* 0 master, 1 slave */
};

int pic_init(struct pic *p, struct io_bus *bus);
void pic_set_irq(struct pic *p, int irq, int level);
bool pic_intr(struct pic *p);
int pic_ack(struct pic *p);

#endif
