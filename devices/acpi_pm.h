/*
 * devices/acpi_pm.h - the ACPI fixed-hardware registers the FADT points at.
 *
 * Contract: PM1a event block at 0x600 (status, enable), PM1a control block
 * at 0x604, PM timer at 0x608 (24-bit, 3.579545 MHz, from host time); a
 * firmware may move the block by programming the PIIX4 PM function's base
 * register (devices/pci.c calls acpi_pm_move).
 * Writing SLP_EN with SLP_TYP 0 (the \_S5 value of our DSDT) powers the
 * machine off: the run ends with status 0.  The DSDT promises no other
 * sleep state (no \_S1-\_S4); SLP_EN with another SLP_TYP does nothing
 * (counted in sleeps_ignored) and the guest runs on.
 */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdint.h>

struct vm;
struct io_bus;

#define ACPI_PM_BASE 0x600
#define ACPI_PM1A_EVT (ACPI_PM_BASE + 0)
#define ACPI_PM1A_CNT (ACPI_PM_BASE + 4)
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)
#define ACPI_PM_TMR_HZ 3579545ull
#define ACPI_SCI_IRQ 9

struct acpi_pm {
    struct vm *vm;
    uint16_t base;              /* where the block is: ACPI_PM_BASE until moved */
    uint16_t sts, en, cnt;
    uint64_t sleeps_ignored;    /* SLP_EN with a type the DSDT does not define */
};

int acpi_pm_init(struct acpi_pm *a, struct vm *vm, struct io_bus *bus);
/* The block to `base` (ignored if it would overlap another device). */
void acpi_pm_move(struct acpi_pm *a, uint16_t base);

#endif
