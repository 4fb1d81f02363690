/*
 * devices/acpi_pm.c - PM1a event/control blocks and the PM timer (ACPI 1.0b
 * section 4.7.3).  No event ever sets a status bit, so no SCI is raised.
 */
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/acpi_pm.h"
#include "devices/irq.h"

#define CNT_SCI_EN 0x0001
#define CNT_SLP_EN 0x2000

static uint32_t pm_timer(void)
{
    return (uint32_t)((unsigned __int128)host_now_ns() * ACPI_PM_TMR_HZ / 1000000000ull) & 0xFFFFFF;
}

/* One byte of the register file at offset off. */
static uint8_t reg_byte(struct acpi_pm *a, int off)
{
    switch (off) {
    case 0: case 1: return a->sts >> (8 * off);
    case 2: case 3: return a->en >> (8 * (off - 2));
    case 4: case 5: return a->cnt >> (8 * (off - 4));
    case 8: case 9: case 10: case 11: return pm_timer() >> (8 * (off - 8));
    default: return 0xFF;
    }
}

static uint32_t pm_read(void *opaque, uint16_t port, int size)
{
    struct acpi_pm *a = opaque;
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)reg_byte(a, port - a->base + i) << (8 * i);
    return v;
}

/* SLP_EN (write-only, reads 0) starts the transition SLP_TYP names.  The
 * DSDT promises only \_S5 = 0; the other encodings name no state of this
 * machine, and the chipset does nothing for them, as QEMU's PIIX4 PM does
 * for a type it has no state for: the guest goes on at the next
 * instruction, with no wake event (WAK_STS stays clear). */
static void sleep_request(struct acpi_pm *a)
{
    int typ = (a->cnt >> 10) & 7;
    a->cnt &= ~CNT_SLP_EN;
    if (typ == 0)
        vm_stop(a->vm, VMM_EXIT_OK, "guest powered off");
    else
        a->sleeps_ignored++;
}

static void pm_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct acpi_pm *a = opaque;
    for (int i = 0; i < size; i++, value >>= 8) {
        int off = port - a->base + i, sh = 8 * (off & 1);
        uint8_t b = value;
        switch (off) {
        case 0: case 1: a->sts &= ~(b << sh); break;      /* write 1 to clear */
        case 2: case 3: a->en = (a->en & ~(0xFF << sh)) | b << sh; break;
        case 4: case 5: a->cnt = (a->cnt & ~(0xFF << sh)) | b << sh; break;
        }
    }
    a->cnt |= CNT_SCI_EN;           /* no SMI_CMD: always in ACPI mode */
    if (a->cnt & CNT_SLP_EN)
        sleep_request(a);
}

static const struct device_ops pm_ops = {
    .name = "acpi-pm",
    .pio_read = pm_read,
    .pio_write = pm_write,
};

int acpi_pm_init(struct acpi_pm *a, struct vm *vm, struct io_bus *bus)
{
    *a = (struct acpi_pm){ .vm = vm, .base = ACPI_PM_BASE, .cnt = CNT_SCI_EN };
    return io_register_pio(bus, ACPI_PM_BASE, 12, &pm_ops, a);
}

void acpi_pm_move(struct acpi_pm *a, uint16_t base)
{
    if (base != a->base && io_move_pio(vm_io(a->vm), a, base) == 0)
        a->base = base;
}
