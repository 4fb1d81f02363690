/*
 * dev_tables - find and parse the firmware tables as an OS does.
 *
 * MP (Intel MultiProcessor Specification 1.4): the floating pointer "_MP_"
 * on a 16-byte boundary in 0xF0000-0xFFFFF, its checksum, spec revision 4,
 * the "PCMP" configuration table and its checksum; entries: a processor
 * (APIC 0, enabled, BSP), the ISA bus, an IOAPIC (ID 1 at 0xFEC00000) and
 * ISA IRQ0 routed to that IOAPIC's pin 2; the local APIC address
 * 0xFEE00000 in the header.
 * ACPI 1.0: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF, checksum,
 * the RSDT and its checksum, the MADT ("APIC") among its entries: local
 * APIC address 0xFEE00000, PCAT_COMPAT, a processor local APIC (ID 0,
 * enabled), the IOAPIC (ID 1, 0xFEC00000, GSI base 0) and the override of
 * ISA IRQ0 to GSI 2.
 * Both tables must agree with the hardware: the local APIC ID register and
 * the IOAPIC ID register read the IDs the tables name.
 */
#include "dev_common.h"

static uint8_t sum(const void *p, uint32_t len)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (len--)
        s += *b++;
    return s;
}

static const uint8_t *scan(uint32_t from, uint32_t to, const char *sig, uint32_t siglen)
{
    for (uint32_t a = from; a < to; a += 16)
        if (memcmp((const void *)a, sig, siglen) == 0)
            return (const uint8_t *)a;
    return NULL;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void mp_tables(void)
{
    const uint8_t *fp = scan(0xF0000, 0x100000, "_MP_", 4);
    CHECK(1, fp, "no MP floating pointer in 0xF0000-0xFFFFF");
    CHECK_EQ(2, fp[8], 1, "floating pointer length (16-byte units)");
    CHECK_EQ(3, sum(fp, 16), 0, "floating pointer checksum");
    CHECK_EQ(4, fp[9], 4, "MP spec revision (1.4)");
    CHECK_EQ(5, fp[11], 0, "default configuration (0: a table is present)");
    const uint8_t *ct = (const uint8_t *)rd32(fp + 4);
    CHECK(6, ct && memcmp(ct, "PCMP", 4) == 0, "no PCMP table at 0x%x", (uint32_t)ct);
    uint16_t len = rd16(ct + 4);
    CHECK_EQ(7, sum(ct, len), 0, "configuration table checksum");
    CHECK_EQ(8, rd32(ct + 0x24), LAPIC, "local APIC address in the MP header");

    uint16_t entries = rd16(ct + 0x22);
    const uint8_t *e = ct + 0x2C;
    int isa_bus = -1, cpus = 0, ioapic_id = -1;
    bool irq0 = false;
    for (uint16_t i = 0; i < entries; i++) {
        switch (e[0]) {
        case 0:                                 /* processor */
            CHECK_EQ(9, e[1], 0, "processor local APIC ID");
            CHECK_EQ(10, e[3] & 3, 3, "processor flags (enabled, BSP)");
            cpus++;
            e += 20;
            break;
        case 1:                                 /* bus */
            if (memcmp(e + 2, "ISA   ", 6) == 0)
                isa_bus = e[1];
            e += 8;
            break;
        case 2:                                 /* IOAPIC */
            CHECK_EQ(11, rd32(e + 4), IOAPIC, "IOAPIC address in the MP table");
            CHECK(12, e[3] & 1, "IOAPIC entry not usable");
            ioapic_id = e[1];
            e += 8;
            break;
        case 3:                                 /* I/O interrupt assignment */
            if (e[1] == 0 && e[4] == isa_bus && e[5] == 0) {
                CHECK_EQ(13, e[6], ioapic_id, "ISA IRQ0's destination IOAPIC");
                CHECK_EQ(14, e[7], 2, "ISA IRQ0's IOAPIC pin");
                irq0 = true;
            }
            e += 8;
            break;
        case 4:                                 /* local interrupt assignment */
            e += 8;
            break;
        default:
            rt_fail(15, "unknown MP entry type %u", e[0]);
        }
    }
    CHECK_EQ(16, cpus, 1, "processor entries");
    CHECK_EQ(17, ioapic_id, 1, "IOAPIC ID in the MP table");
    CHECK(18, irq0, "no assignment of ISA IRQ0 (bus %d)", isa_bus);
    rt_printf("dev_tables: MP 1.4 at 0x%x: %u entries, LAPIC 0x%x, IOAPIC %d\n",
              (uint32_t)fp, entries, rd32(ct + 0x24), ioapic_id);
}

static const uint8_t *acpi_table(const uint8_t *rsdt, const char *sig)
{
    uint32_t n = (rd32(rsdt + 4) - 36) / 4;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *t = (const uint8_t *)rd32(rsdt + 36 + 4 * i);
        if (memcmp(t, sig, 4) == 0)
            return t;
    }
    return NULL;
}

static void acpi_tables(void)
{
    const uint8_t *rsdp = scan(0xE0000, 0x100000, "RSD PTR ", 8);
    CHECK(30, rsdp, "no RSDP in 0xE0000-0xFFFFF");
    CHECK_EQ(31, sum(rsdp, 20), 0, "RSDP checksum");
    CHECK_EQ(32, rsdp[15], 0, "RSDP revision (ACPI 1.0)");
    const uint8_t *rsdt = (const uint8_t *)rd32(rsdp + 16);
    CHECK(33, memcmp(rsdt, "RSDT", 4) == 0, "no RSDT at 0x%x", (uint32_t)rsdt);
    CHECK_EQ(34, sum(rsdt, rd32(rsdt + 4)), 0, "RSDT checksum");
    const uint8_t *madt = acpi_table(rsdt, "APIC");
    CHECK(35, madt, "no MADT in the RSDT");
    uint32_t len = rd32(madt + 4);
    CHECK_EQ(36, sum(madt, len), 0, "MADT checksum");
    CHECK_EQ(37, rd32(madt + 36), LAPIC, "local APIC address in the MADT");
    CHECK_EQ(38, rd32(madt + 40) & 1, 1, "MADT flags: PCAT_COMPAT (8259s present)");

    int cpus = 0, ioapic_id = -1;
    bool override0 = false;
    for (const uint8_t *e = madt + 44; e < madt + len; e += e[1]) {
        CHECK(39, e[1] >= 2, "MADT entry of length %u", e[1]);
        switch (e[0]) {
        case 0:                                 /* processor local APIC */
            CHECK_EQ(40, e[3], 0, "MADT processor's APIC ID");
            CHECK_EQ(41, rd32(e + 4) & 1, 1, "MADT processor enabled");
            cpus++;
            break;
        case 1:                                 /* IOAPIC */
            ioapic_id = e[2];
            CHECK_EQ(42, rd32(e + 4), IOAPIC, "IOAPIC address in the MADT");
            CHECK_EQ(43, rd32(e + 8), 0, "IOAPIC GSI base");
            break;
        case 2:                                 /* interrupt source override */
            if (e[2] == 0 && e[3] == 0) {
                CHECK_EQ(44, rd32(e + 4), 2, "ISA IRQ0 override: GSI");
                override0 = true;
            }
            break;
        }
    }
    CHECK_EQ(45, cpus, 1, "MADT processors");
    CHECK_EQ(46, ioapic_id, 1, "IOAPIC ID in the MADT");
    CHECK(47, override0, "no override of ISA IRQ0 in the MADT");
    CHECK(48, acpi_table(rsdt, "FACP"), "no FADT in the RSDT");
    rt_printf("dev_tables: ACPI RSDP at 0x%x, RSDT 0x%x, MADT 0x%x: LAPIC 0x%x, IOAPIC %d\n",
              (uint32_t)rsdp, (uint32_t)rsdt, (uint32_t)madt, rd32(madt + 36), ioapic_id);
}

void test_main(void)
{
    mp_tables();
    acpi_tables();
    /* The hardware answers with the IDs the tables name. */
    CHECK_EQ(60, mmio_read(LAPIC + 0x20) >> 24, 0, "local APIC ID register");
    CHECK_EQ(61, (ioapic_read(0) >> 24) & 0xF, 1, "IOAPIC ID register");
}
