/*
 * devices/firmware_tables.c - MP 1.4 (Intel order no. 242016, chapter 4)
 * and ACPI 1.0b tables describing this platform.
 */
#include <string.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/firmware_tables.h"
#include "devices/bios_data.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/acpi_pm.h"

/* A little-endian writer over guest RAM. */
struct tw {
    uint8_t *base, *p;
};

static void b8(struct tw *w, uint8_t v) { *w->p++ = v; }
static void b16(struct tw *w, uint16_t v) { b8(w, v); b8(w, v >> 8); }
static void b32(struct tw *w, uint32_t v) { b16(w, v); b16(w, v >> 16); }
static void str(struct tw *w, const char *s, size_t n)
{
    size_t l = strlen(s);
    for (size_t i = 0; i < n; i++)
        b8(w, i < l ? (uint8_t)s[i] : ' ');
}
static void zero(struct tw *w, size_t n) { memset(w->p, 0, n); w->p += n; }

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return -s;
}

static struct tw at(struct vm *vm, uint32_t pa)
{
    uint8_t *p = vm_mem(vm)->ram + pa;
    return (struct tw){ p, p };
}

/* ---- MP 1.4 ---- */

static int mp_entries(struct tw *w)
{
    int n = 0;
    /* processor: APIC id 0, version 0x14, enabled + bootstrap */
    b8(w, 0); b8(w, 0); b8(w, 0x14); b8(w, 0x03);
    b32(w, 0x00000633); b32(w, 0x00000201); zero(w, 8); n++;
    b8(w, 1); b8(w, 0); str(w, "PCI", 6); n++;
    b8(w, 1); b8(w, 1); str(w, "ISA", 6); n++;
    b8(w, 2); b8(w, IOAPIC_ID); b8(w, 0x11); b8(w, 0x01); b32(w, IOAPIC_BASE); n++;
    for (int irq = 0; irq < 16; irq++) {
        if (irq == 2)
            continue;               /* the cascade has no pin */
        b8(w, 3); b8(w, 0); b16(w, 0);          /* INT, bus-conforming */
        b8(w, 1); b8(w, irq); b8(w, IOAPIC_ID); b8(w, irq == 0 ? 2 : irq);
        n++;
    }
    b8(w, 4); b8(w, 3); b16(w, 0); b8(w, 1); b8(w, 0); b8(w, 0xFF); b8(w, 0); n++;
    b8(w, 4); b8(w, 1); b16(w, 0); b8(w, 1); b8(w, 0); b8(w, 0xFF); b8(w, 1); n++;
    return n;
}

static void write_mp(struct vm *vm)
{
    struct tw w = at(vm, FW_MP_CONFIG);
    str(&w, "PCMP", 4);
    b16(&w, 0);                     /* base table length, below */
    b8(&w, 4);                      /* spec revision 1.4 */
    b8(&w, 0);                      /* checksum */
    str(&w, "VMM", 8);
    str(&w, "PC", 12);
    b32(&w, 0); b16(&w, 0);         /* no OEM table */
    uint8_t *count = w.p;
    b16(&w, 0);
    b32(&w, LAPIC_BASE);
    b16(&w, 0); b8(&w, 0); b8(&w, 0);   /* no extended table */
    int n = mp_entries(&w);
    uint16_t len = w.p - w.base;
    count[0] = n; count[1] = n >> 8;
    w.base[4] = len; w.base[5] = len >> 8;
    w.base[7] = checksum(w.base, len);
}

/* One floating pointer structure (MP 1.4 section 4.1) at `pa`. */
static void write_mp_float(struct vm *vm, uint32_t pa)
{
    struct tw f = at(vm, pa);
    str(&f, "_MP_", 4);
    b32(&f, FW_MP_CONFIG);
    b8(&f, 1);                      /* length in 16-byte paragraphs */
    b8(&f, 4);
    b8(&f, 0);                      /* checksum */
    zero(&f, 5);                    /* config table present; virtual-wire mode */
    f.base[10] = checksum(f.base, 16);
}

/* ---- ACPI 1.0 ---- */

static void acpi_header(struct tw *w, const char *sig, uint8_t rev)
{
    str(w, sig, 4);
    b32(w, 0);                      /* length, set by acpi_finish */
    b8(w, rev);
    b8(w, 0);
    str(w, "VMM", 6);
    str(w, "VMMPC", 8);
    b32(w, 1);
    str(w, "VMM", 4);
    b32(w, 1);
}

static void acpi_finish(struct tw *w)
{
    uint32_t len = w->p - w->base;
    memcpy(w->base + 4, &len, 4);
    w->base[9] = checksum(w->base, len);
}

static void write_fadt(struct vm *vm)
{
    struct tw w = at(vm, FW_FADT);
    acpi_header(&w, "FACP", 1);
    b32(&w, FW_FACS);
    b32(&w, FW_DSDT);
    b8(&w, 0); b8(&w, 0);           /* INT_MODEL, reserved */
    b16(&w, ACPI_SCI_IRQ);
    b32(&w, 0);                     /* no SMI_CMD: the machine is always in ACPI mode */
    zero(&w, 4);                    /* ACPI_ENABLE/DISABLE, S4BIOS_REQ, reserved */
    b32(&w, ACPI_PM1A_EVT); b32(&w, 0);
    b32(&w, ACPI_PM1A_CNT); b32(&w, 0);
    b32(&w, 0);                     /* PM2 */
    b32(&w, ACPI_PM_TMR);
    b32(&w, 0); b32(&w, 0);         /* GPE0/1 */
    b8(&w, 4); b8(&w, 2); b8(&w, 0); b8(&w, 4);     /* block lengths */
    b8(&w, 0); b8(&w, 0); b8(&w, 0); b8(&w, 0);
    b16(&w, 101); b16(&w, 1001);    /* C2/C3 not supported */
    b16(&w, 0); b16(&w, 0);         /* flush size/stride */
    b8(&w, 0); b8(&w, 0);           /* duty cycle */
    b8(&w, 0x0D); b8(&w, 0);        /* RTC day alarm index, no month alarm */
    b8(&w, 0x32);                   /* RTC century index */
    zero(&w, 3);
    b32(&w, 0x35);                  /* WBINVD, PROC_C1, no power/sleep buttons */
    acpi_finish(&w);
}

static void write_madt(struct vm *vm)
{
    struct tw w = at(vm, FW_MADT);
    acpi_header(&w, "APIC", 1);
    b32(&w, LAPIC_BASE);
    b32(&w, 1);                     /* PCAT_COMPAT: 8259s present */
    b8(&w, 0); b8(&w, 8); b8(&w, 0); b8(&w, 0); b32(&w, 1);
    b8(&w, 1); b8(&w, 12); b8(&w, IOAPIC_ID); b8(&w, 0); b32(&w, IOAPIC_BASE); b32(&w, 0);
    b8(&w, 2); b8(&w, 10); b8(&w, 0); b8(&w, 0); b32(&w, 2); b16(&w, 0);
    b8(&w, 2); b8(&w, 10); b8(&w, 0); b8(&w, ACPI_SCI_IRQ); b32(&w, ACPI_SCI_IRQ); b16(&w, 0x000D);
    b8(&w, 4); b8(&w, 6); b8(&w, 0xFF); b16(&w, 0); b8(&w, 1);
    acpi_finish(&w);
}

static void write_dsdt(struct vm *vm)
{
    /* Name (_S5, Package (4) { Zero, Zero, Zero, Zero }) */
    static const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    struct tw w = at(vm, FW_DSDT);
    acpi_header(&w, "DSDT", 1);
    memcpy(w.p, aml, sizeof aml);
    w.p += sizeof aml;
    acpi_finish(&w);
}

static void write_facs(struct vm *vm)
{
    struct tw w = at(vm, FW_FACS);
    str(&w, "FACS", 4);
    b32(&w, 64);
    zero(&w, 56);                   /* signature, waking vector, lock, flags */
}

static void write_rsdt(struct vm *vm)
{
    struct tw w = at(vm, FW_RSDT);
    acpi_header(&w, "RSDT", 1);
    b32(&w, FW_FADT);
    b32(&w, FW_MADT);
    acpi_finish(&w);
}

/* One RSDP (ACPI 1.0b section 5.2.4) at `pa`. */
static void write_rsdp(struct vm *vm, uint32_t pa)
{
    struct tw r = at(vm, pa);
    str(&r, "RSD PTR ", 8);
    b8(&r, 0);
    str(&r, "VMM", 6);
    b8(&r, 0);                      /* revision 0: ACPI 1.0 */
    b32(&r, FW_RSDT);
    r.base[8] = checksum(r.base, 20);
}

int firmware_tables_write(struct vm *vm)
{
    if (!guest_mem_is_ram(vm_mem(vm), FW_MP_FLOAT, FW_END - FW_MP_FLOAT) ||
        bios_data_write(vm) < 0)
        return -1;
    memset(vm_mem(vm)->ram + FW_MP_FLOAT, 0, FW_END - FW_MP_FLOAT);
    write_mp(vm);
    write_facs(vm);
    write_dsdt(vm);
    write_fadt(vm);
    write_madt(vm);
    write_rsdt(vm);
    /* Each pointer where every search the specifications allow finds it:
     * the first KiB of the EBDA (which is also the last KiB below 640 KiB)
     * and the system BIOS segment. */
    write_mp_float(vm, FW_EBDA_MP_FLOAT);
    write_mp_float(vm, FW_MP_FLOAT);
    write_rsdp(vm, FW_EBDA_RSDP);
    write_rsdp(vm, FW_RSDP);
    return 0;
}
