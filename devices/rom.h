/*
 * devices/rom.h - the firmware ROM of a PC (vmm --bios FILE).
 *
 * Contract: devices_firmware() (before devices_init()) hands the platform a
 * firmware image of `size` bytes (a multiple of 64 KiB, at most 256 KiB;
 * the caller checked).  devices_init() then maps it read-only at the top of
 * the 32-bit physical address space, ending at 0xFFFFFFFF, where the
 * processor's first fetch after RESET (0xFFFFFFF0) finds it: an MMIO range
 * whose reads return the image and whose writes are ignored, and from
 * which instructions may be fetched (device_ops.fetch).  The caller copies
 * the image's last 128 KiB into RAM below 1 MiB itself (a PC's chipset
 * aliases them at 0xE0000-0xFFFFF; see docs/usage.md for what is left out).
 * With a firmware the platform writes none of its own BIOS tables (BDA,
 * EBDA, MP, ACPI): the firmware builds them.
 */
#ifndef DEVICES_ROM_H
#define DEVICES_ROM_H

#include <stdint.h>

struct vm;
struct io_bus;

struct rom {
    uint8_t *data;              /* owned by the platform; NULL: no firmware */
    uint32_t size;
};

#define ROM_MAX_SIZE (256u * 1024)
#define ROM_BLOCK    (64u * 1024)

/* Takes ownership of `data` (malloc'd). */
void devices_firmware(struct vm *vm, uint8_t *data, uint32_t size);
int rom_init(struct rom *r, struct io_bus *bus);

#endif
