/*
 * devices/firmware_tables.h - the platform tables a PC BIOS leaves in
 * memory: Intel MultiProcessor Specification 1.4 and ACPI 1.0.
 *
 * Contract: firmware_tables_write() writes the BIOS data area and EBDA
 * (devices/bios_data.h) and the tables into guest RAM in the system BIOS
 * area (0xF0000-0xF0FFF, which the loaders' memory maps mark reserved and
 * which is RAM-backed here), with a second copy of the MP floating pointer
 * and of the RSDP in the first KiB of the EBDA.  devices_init() calls it; a
 * loader may call it again (the result is the same, but for the BDA's tick
 * count, which follows the clock).  Layout:
 *   0x9FC10  MP floating pointer (EBDA copy, MP 1.4 search a / b)
 *   0x9FC20  ACPI RSDP (EBDA copy)
 *   0xF0000  MP floating pointer ("_MP_", found by the 0xF0000-0xFFFFF scan)
 *   0xF0010  MP configuration table: 1 processor, buses PCI 0 and ISA 1,
 *            IOAPIC id 1, ISA IRQ 0-15 (IRQ0 on pin 2), ExtINT->LINT0,
 *            NMI->LINT1
 *   0xF0400  ACPI RSDP (revision 0, found by the 0xE0000-0xFFFFF scan)
 *   0xF0440  RSDT -> FADT, MADT
 *   0xF0480  FADT (revision 1): PM1a at 0x600/0x604, PM timer 0x608, SCI 9
 *   0xF0500  MADT: local APIC 0, IOAPIC 1 at 0xFEC00000 GSI 0, overrides
 *            IRQ0->GSI2 and IRQ9 level/high, LINT1 NMI
 *   0xF0600  DSDT: only \_S5 = Package {0, 0, 0, 0}
 *   0xF0640  FACS
 */
#ifndef DEVICES_FIRMWARE_TABLES_H
#define DEVICES_FIRMWARE_TABLES_H

struct vm;

#define FW_MP_FLOAT   0xF0000u
#define FW_MP_CONFIG  0xF0010u
#define FW_RSDP       0xF0400u
#define FW_RSDT       0xF0440u
#define FW_FADT       0xF0480u
#define FW_MADT       0xF0500u
#define FW_DSDT       0xF0600u
#define FW_FACS       0xF0640u
#define FW_END        0xF1000u
#define FW_EBDA_MP_FLOAT 0x9FC10u
#define FW_EBDA_RSDP     0x9FC20u

/* Returns 0, or -1 when guest RAM does not cover the first MiB. */
int firmware_tables_write(struct vm *vm);

#endif
