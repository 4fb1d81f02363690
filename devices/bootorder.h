/*
 * devices/bootorder.h - QEMU's boot letters as the "bootorder" file a PC
 * firmware (SeaBIOS) reads through fw_cfg.
 *
 * Contract: bootorder_text() writes, for each letter of `order` in turn,
 * the OpenFirmware path of every attached IDE drive of that kind, one per
 * line: c the hard disks, d the CD-ROMs, each kind in slot order (primary
 * master first).  A drive is named as SeaBIOS names the drives of the
 * PIIX IDE function 00:01.1 (src/boot.c, bootprio_find_ata_device):
 * "/pci@i0cf8/ide@1,1/drive@CHANNEL/disk@UNIT".  strict adds the line
 * "HALT": no device left out of the list is tried.  Lines are separated
 * by newlines, none after the last.  Returns the length
 * written (always NUL-terminated; lines that do not fit are left out).
 * Other letters are the caller's to refuse.
 */
#ifndef DEVICES_BOOTORDER_H
#define DEVICES_BOOTORDER_H

#include <stdbool.h>
#include <stddef.h>

struct ide;

size_t bootorder_text(struct ide *ide, const char *order, bool strict, char *out, size_t n);

#endif
