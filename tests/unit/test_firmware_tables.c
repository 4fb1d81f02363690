/*
 * tests/unit/test_firmware_tables.c - find and check the MP and ACPI tables
 * the way a guest OS does: scan for the signatures, verify checksums, walk
 * the entries to the local APIC and the IOAPIC.
 */
#define _GNU_SOURCE
#include <string.h>
#include "devtest.h"
#include "devices/firmware_tables.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/acpi_pm.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

static uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t u16(const uint8_t *p) { return p[0] | p[1] << 8; }

static const uint8_t *scan(struct vm *vm, const char *sig, size_t len, uint32_t from, uint32_t to)
{
    for (uint32_t a = from; a < to; a += 16)
        if (!memcmp(vm->mem.ram + a, sig, len))
            return vm->mem.ram + a;
    return NULL;
}

Test(firmware_tables, mp_table)
{
    struct vm *vm = devtest_vm();
    const uint8_t *fp = scan(vm, "_MP_", 4, 0xF0000, 0x100000);
    cr_assert(fp);
    cr_assert_eq(sum(fp, 16 * fp[8]), 0);
    cr_assert_eq(fp[9], 4);
    const uint8_t *ct = vm->mem.ram + u32(fp + 4);
    cr_assert(!memcmp(ct, "PCMP", 4));
    cr_assert_eq(sum(ct, u16(ct + 4)), 0);
    cr_assert_eq(u32(ct + 36), LAPIC_BASE);
    const uint8_t *e = ct + 44;
    int cpus = 0, ioapics = 0, irqs = 0, pin_of_irq0 = -1;
    for (int i = 0; i < u16(ct + 34); i++) {
        switch (e[0]) {
        case 0: cpus++; cr_assert_eq(e[1], 0); cr_assert_eq(e[3] & 3, 3); e += 20; break;
        case 2: ioapics++; cr_assert_eq(u32(e + 4), IOAPIC_BASE); cr_assert_eq(e[1], IOAPIC_ID); e += 8; break;
        case 3: irqs++; if (e[5] == 0) pin_of_irq0 = e[7]; e += 8; break;
        case 1: case 4: e += 8; break;
        default: cr_assert_fail("bad entry type %d", e[0]);
        }
    }
    cr_assert_eq(e - ct, u16(ct + 4));
    cr_assert_eq(cpus, 1);
    cr_assert_eq(ioapics, 1);
    cr_assert_eq(irqs, 15);
    cr_assert_eq(pin_of_irq0, 2);
    devtest_free(vm);
}

static const uint8_t *acpi_table(struct vm *vm, const uint8_t *rsdt, const char *sig)
{
    for (uint32_t i = 36; i < u32(rsdt + 4); i += 4) {
        const uint8_t *t = vm->mem.ram + u32(rsdt + i);
        if (!memcmp(t, sig, 4)) {
            cr_assert_eq(sum(t, u32(t + 4)), 0, "%s checksum", sig);
            return t;
        }
    }
    return NULL;
}

Test(firmware_tables, acpi_tables)
{
    struct vm *vm = devtest_vm();
    const uint8_t *rsdp = scan(vm, "RSD PTR ", 8, 0xE0000, 0x100000);
    cr_assert(rsdp);
    cr_assert_eq(sum(rsdp, 20), 0);
    const uint8_t *rsdt = vm->mem.ram + u32(rsdp + 16);
    cr_assert(!memcmp(rsdt, "RSDT", 4));
    cr_assert_eq(sum(rsdt, u32(rsdt + 4)), 0);

    const uint8_t *madt = acpi_table(vm, rsdt, "APIC");
    cr_assert(madt);
    cr_assert_eq(u32(madt + 36), LAPIC_BASE);
    bool lapic = false, ioapic = false, override0 = false;
    for (const uint8_t *e = madt + 44; e < madt + u32(madt + 4); e += e[1]) {
        if (e[0] == 0) lapic = e[3] == 0 && (u32(e + 4) & 1);
        if (e[0] == 1) ioapic = u32(e + 4) == IOAPIC_BASE && u32(e + 8) == 0;
        if (e[0] == 2 && e[3] == 0) override0 = u32(e + 4) == 2;
    }
    cr_assert(lapic && ioapic && override0);

    const uint8_t *fadt = acpi_table(vm, rsdt, "FACP");
    cr_assert(fadt);
    cr_assert_eq(u32(fadt + 64), ACPI_PM1A_CNT);
    cr_assert_eq(u32(fadt + 76), ACPI_PM_TMR);
    cr_assert_eq(u16(fadt + 46), ACPI_SCI_IRQ);
    const uint8_t *dsdt = vm->mem.ram + u32(fadt + 40);
    const uint8_t *facs = vm->mem.ram + u32(fadt + 36);
    cr_assert(!memcmp(facs, "FACS", 4));
    cr_assert_eq(u32(fadt + 36) % 64, 0);
    cr_assert(!memcmp(dsdt, "DSDT", 4));
    cr_assert_eq(sum(dsdt, u32(dsdt + 4)), 0);
    cr_assert(memmem(dsdt + 36, u32(dsdt + 4) - 36, "_S5_", 4));
    devtest_free(vm);
}

Test(firmware_tables, rewrite_is_identical)
{
    struct vm *vm = devtest_vm();
    static uint8_t copy[FW_END - FW_MP_FLOAT];
    memcpy(copy, vm->mem.ram + FW_MP_FLOAT, sizeof copy);
    cr_assert_eq(firmware_tables_write(vm), 0);
    cr_assert_arr_eq(copy, vm->mem.ram + FW_MP_FLOAT, sizeof copy);
    devtest_free(vm);
}
