/*
 * devices/ioapic.h - the I/O APIC (82093AA) at 0xFEC00000.
 *
 * Contract: IOREGSEL at +0x00, IOWIN at +0x10; ID, version 0x11 with 24
 * redirection entries, arbitration ID.  ioapic_set_irq() drives input pin
 * `gsi` (ISA IRQ n is GSI n except IRQ0 on pin 2, as the MP and ACPI tables
 * say).  Edge entries deliver on a rising input, level entries while the
 * input is high and remote IRR is clear; the local APIC's EOI of a level
 * vector calls ioapic_eoi().  Input polarity bits are stored but the inputs
 * are taken as "asserted" from the device's point of view.  NMI delivery
 * mode sends an NMI (lapic_nmi) on an edge; SMI is counted and ignored (no
 * SMM, as the local APIC's); INIT resets the only processor (a warm reset,
 * as the local APIC's INIT).  Pin 0 is the 8259's INTR: programmed ExtINT
 * and unmasked, it lets the 8259's interrupts reach the processor, which
 * asks the 8259 for the vector (ioapic_extint_open(), the "virtual wire"
 * of the MP specification, 3.6.2.2).  ExtINT on another pin, which has no
 * 8259 behind it, stops the run.
 */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_PINS 24
#define IOAPIC_ID 1

struct ioapic {
    struct vm *vm;
    uint8_t sel;
    uint32_t id;
    uint64_t redir[IOAPIC_PINS];
    uint32_t level;             /* input pin levels */
    uint64_t delivered;
};

int ioapic_init(struct ioapic *io, struct vm *vm, struct io_bus *bus);
void ioapic_set_irq(struct ioapic *io, int gsi, int level);
void ioapic_eoi(struct ioapic *io, int vector);
bool ioapic_extint_open(struct ioapic *io);

#endif
