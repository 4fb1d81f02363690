/*
 * devices/bios_data.h - what a PC BIOS leaves below 1 MiB besides the
 * MP/ACPI tables: the BIOS data area (BDA, 0x400-0x4FF), the extended BIOS
 * data area (EBDA) at the top of conventional memory, and the memory map
 * that INT 15h E820h reports.
 *
 * Contract: bios_data_write() fills the BDA as a BIOS leaves it before
 * INT 19h (IBM PC/AT Technical Reference, BDA layout as documented in
 * Ralf Brown's interrupt list "MEMORY 40h:xxxx"): COM1/COM2 at 0x3F8/0x2F8,
 * no LPT, the equipment word, 639 KiB of base memory, the EBDA segment,
 * the timer tick count since midnight matching the RTC's time of day,
 * and the video fields of 80x25 colour text mode 3.  The EBDA is 1 KiB at
 * FW_EBDA; its first word is its size in KiB.  The MP floating pointer and
 * the RSDP copies in the EBDA are written by firmware_tables_write().
 *
 * bios_memory_map() is the one map every loader hands over (Multiboot
 * mmap, the Linux zero page's e820) and that the CMOS and BDA sizes agree
 * with: [0, FW_EBDA) usable, the EBDA reserved, [0xA0000, 1 MiB) reserved
 * (VGA window, option ROMs, system BIOS with the tables), [1 MiB, RAM end)
 * usable.
 */
#ifndef DEVICES_BIOS_DATA_H
#define DEVICES_BIOS_DATA_H

#include <stdint.h>

struct vm;

#define FW_BDA            0x400u
#define FW_EBDA           0x9FC00u      /* 639 KiB: the EBDA takes the last KiB below 640 KiB */
#define FW_EBDA_KIB       1u
#define FW_BASE_MEM_KIB   (FW_EBDA / 1024)      /* BDA 0x413: 639 */
#define FW_CONV_MEM_END   0xA0000u      /* 640 KiB: CMOS 0x15 counts up to here */
#define FW_HIGH_MEM       0x100000u

/* Types as E820 numbers them (and Multiboot copies). */
#define FW_MEM_USABLE     1u
#define FW_MEM_RESERVED   2u

struct fw_mem_range {
    uint64_t base, len;
    uint32_t type;
};

#define FW_MEM_RANGES 4

/* The map for `ram_bytes` of RAM (at least 1 MiB): FW_MEM_RANGES entries
 * in ascending order; returns their number. */
int bios_memory_map(uint64_t ram_bytes, struct fw_mem_range out[FW_MEM_RANGES]);

/* BIOS timer ticks (IRQ0 at 1193182 / 65536 Hz) since midnight for a time
 * of day in seconds, as the BDA dword at 0x46C counts them. */
uint32_t bios_ticks_since_midnight(uint32_t seconds);

/* Fill the BDA and the EBDA header.  Returns 0, or -1 when guest RAM does
 * not cover the first MiB. */
int bios_data_write(struct vm *vm);

#endif
