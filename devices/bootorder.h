/*
 * devices/bootorder.h - QEMU's boot letters as the "bootorder" file a PC
 * firmware (SeaBIOS) reads through fw_cfg.
 *
 * Contract: bootorder_text() writes, for each letter of `order` in turn,
 * the OpenFirmware path of every attached drive of that kind, one per
 * line: c the hard disks, d the CD-ROMs, each kind in slot order (primary
 * master first), a floppy drive A, b floppy drive B.  A drive is named as
 * SeaBIOS names it (src/boot.c): an IDE drive of the PIIX IDE function
 * 00:01.1 "/pci@i0cf8/ide@1,1/drive@CHANNEL/disk@UNIT"
 * (bootprio_find_ata_device), a floppy drive of the controller at 0x3F0
 * behind the PIIX ISA bridge 00:01.0 "/pci@i0cf8/isa@1/fdc@03f0/floppy@N"
 * (bootprio_find_fdc_device).  `floppies` is CMOS register 0x10 (a
 * non-zero upper nibble: drive A is there, lower: drive B).  strict adds the line
 * "HALT": no device left out of the list is tried.  Lines are separated
 * by newlines, none after the last.  Returns the length
 * written (always NUL-terminated; lines that do not fit are left out).
 * Other letters are the caller's to refuse.
 */
#ifndef DEVICES_BOOTORDER_H
#define DEVICES_BOOTORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ide;

size_t bootorder_text(struct ide *ide, uint8_t floppies, const char *order, bool strict,
                      char *out, size_t n);

#endif
