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
#include "devices/bios_data.h"

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

/* ---- BIOS data area, EBDA, the searches of MP 1.4 section 4 and ACPI 5.2.5.1 ---- */

static uint8_t cmos(struct vm *vm, uint8_t reg)
{
    outb(vm, 0x70, reg);
    return inb(vm, 0x71);
}

Test(firmware_tables, bda_fields)
{
    struct vm *vm = devtest_vm();
    const uint8_t *m = vm->mem.ram;
    cr_assert_eq(u16(m + 0x400), 0x3F8, "COM1");
    cr_assert_eq(u16(m + 0x402), 0x2F8, "COM2");
    cr_assert_eq(u16(m + 0x404), 0, "COM3 absent");
    cr_assert_eq(u16(m + 0x408), 0, "LPT1 absent");
    uint16_t eq = u16(m + 0x410);
    cr_assert_eq(eq & 1, 0, "no floppy");
    cr_assert_eq(eq & 2, 2, "x87 present");
    cr_assert_eq((eq >> 4) & 3, 2, "initial video mode 80x25 colour");
    cr_assert_eq((eq >> 9) & 7, 2, "two serial ports");
    cr_assert_eq(eq >> 14, 0, "no parallel port");
    cr_assert_eq(u16(m + 0x413), 639);
    cr_assert_eq(u16(m + 0x40E), 0x9FC0, "EBDA segment");
    cr_assert_eq(m[0x449], 3, "video mode");
    cr_assert_eq(u16(m + 0x44A), 80, "columns");
    cr_assert_eq(u16(m + 0x44C), 0x1000, "page size");
    cr_assert_eq(u16(m + 0x463), 0x3D4, "CRTC port");
    cr_assert_eq(m[0x484], 24, "rows - 1");
    cr_assert_eq(u16(m + 0x41A), u16(m + 0x41C), "keyboard buffer empty");
    devtest_free(vm);
}

Test(firmware_tables, ebda_and_memory_sizes_agree)
{
    struct vm *vm = devtest_vm();
    const uint8_t *m = vm->mem.ram;
    uint32_t ebda = u16(m + 0x40E) << 4;
    uint32_t ebda_kib = u16(m + ebda);
    cr_assert_eq(ebda_kib, 1, "EBDA size word");
    cr_assert_eq(ebda + ebda_kib * 1024, 0xA0000, "the EBDA ends at 640 KiB");
    cr_assert_eq(u16(m + 0x413) * 1024, ebda, "base memory ends where the EBDA starts");
    /* CMOS counts all conventional memory, the BDA the part below the EBDA. */
    cr_assert_eq(cmos(vm, 0x15) | cmos(vm, 0x16) << 8, u16(m + 0x413) + ebda_kib);
    uint32_t ext = cmos(vm, 0x17) | cmos(vm, 0x18) << 8;
    cr_assert_eq(ext, (16 - 1) * 1024, "CMOS extended memory of a 16 MiB guest");
    cr_assert_eq(cmos(vm, 0x30) | cmos(vm, 0x31) << 8, ext);
    cr_assert_eq(cmos(vm, 0x34) | cmos(vm, 0x35) << 8, 0, "nothing above 16 MiB");

    struct fw_mem_range r[FW_MEM_RANGES];
    int n = bios_memory_map(vm->mem.size, r);
    cr_assert_eq(n, 4);
    cr_assert(r[0].base == 0 && r[0].len == ebda && r[0].type == FW_MEM_USABLE);
    cr_assert(r[1].base == ebda && r[1].len == 1024 && r[1].type == FW_MEM_RESERVED);
    cr_assert(r[2].base == 0xA0000 && r[2].base + r[2].len == 0x100000 &&
              r[2].type == FW_MEM_RESERVED);
    cr_assert(r[3].base == 0x100000 && r[3].len == ext * 1024ull && r[3].type == FW_MEM_USABLE);
    devtest_free(vm);
}

/* MP 1.4 section 4: the first KiB of the EBDA, else the last KiB of base
 * memory, else the BIOS ROM 0xF0000-0xFFFFF. */
static uint32_t mp_search(struct vm *vm, int which)
{
    const uint8_t *m = vm->mem.ram;
    uint32_t from[3] = { (uint32_t)u16(m + 0x40E) << 4, 0xA0000 - 1024, 0xF0000 };
    uint32_t len[3] = { 1024, 1024, 0x10000 };
    for (uint32_t a = from[which]; a < from[which] + len[which]; a += 16)
        if (!memcmp(m + a, "_MP_", 4) && sum(m + a, 16) == 0)
            return a;
    return 0;
}

Test(firmware_tables, mp_found_by_every_search)
{
    struct vm *vm = devtest_vm();
    for (int i = 0; i < 3; i++) {
        uint32_t fp = mp_search(vm, i);
        cr_assert(fp, "search %d finds no floating pointer", i);
        cr_assert_eq(u32(vm->mem.ram + fp + 4), FW_MP_CONFIG, "search %d: table address", i);
        cr_assert_eq(vm->mem.ram[fp + 9], 4);
    }
    cr_assert_eq(mp_search(vm, 0), FW_EBDA_MP_FLOAT);
    devtest_free(vm);
}

Test(firmware_tables, rsdp_in_ebda_and_bios_area)
{
    struct vm *vm = devtest_vm();
    const uint8_t *m = vm->mem.ram;
    uint32_t ebda = u16(m + 0x40E) << 4;
    const uint8_t *a = scan(vm, "RSD PTR ", 8, ebda, ebda + 1024);
    const uint8_t *b = scan(vm, "RSD PTR ", 8, 0xE0000, 0x100000);
    cr_assert(a && b);
    cr_assert_eq(sum(a, 20), 0);
    cr_assert_eq(sum(b, 20), 0);
    cr_assert_eq(u32(a + 16), FW_RSDT);
    cr_assert_eq(u32(b + 16), FW_RSDT);
    devtest_free(vm);
}

static uint32_t bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xF); }

Test(firmware_tables, tick_count_follows_the_rtc)
{
    cr_assert_eq(bios_ticks_since_midnight(0), 0);
    cr_assert_eq(bios_ticks_since_midnight(86400), 0, "wraps at midnight");
    cr_assert_eq(bios_ticks_since_midnight(43200), 0x1800B0 / 2);
    cr_assert_eq(bios_ticks_since_midnight(3600), 65543, "an hour: 3600 * 18.2065 ticks");

    struct vm *vm = devtest_vm();
    for (int tries = 0; tries < 3; tries++) {
        cr_assert_eq(firmware_tables_write(vm), 0);
        uint32_t ticks = u32(vm->mem.ram + 0x46C);
        uint32_t s = bcd(cmos(vm, 0)) + 60 * bcd(cmos(vm, 2)) + 3600 * bcd(cmos(vm, 4));
        if (s == 0)
            continue;               /* the clock passed midnight in between */
        uint32_t want = bios_ticks_since_midnight(s);
        cr_assert(ticks <= want && want - ticks <= 19, "ticks %u, RTC %u s (%u ticks)",
                  ticks, s, want);
        break;
    }
    devtest_free(vm);
}
