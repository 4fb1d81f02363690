/*
 * devices/ide.h - ATA disks on the two legacy IDE channels, PIO only.
 *
 * Contract: primary channel 0x1F0-0x1F7 / 0x3F6 on IRQ14, secondary
 * 0x170-0x177 / 0x376 on IRQ15, master and slave on each: slots 0-3 in
 * that order (QEMU's drive indexes).  ide_attach_cdrom() puts a CD-ROM
 * image (devices/cdrom.h, through the packet interface of devices/atapi.h)
 * in slot 2, the secondary master, where QEMU's -cdrom goes; ide_attach()
 * puts a disk image in the first free slot, so disks attached before or
 * after the CD never take its place.  Both may be called before or after
 * devices_init().  A disk image must be a non-empty multiple of 512 bytes;
 * a file that cannot be opened for writing needs ro = true.  Each image is
 * locked (flock, devices/image.h) so that two monitors cannot write the
 * same file.  Writes go to the file with
 * pwrite(2) at once, FLUSH CACHE calls fsync(2); the file is never
 * truncated or grown.  Commands: IDENTIFY DEVICE, READ/WRITE SECTORS,
 * READ/WRITE MULTIPLE, SET MULTIPLE MODE, READ VERIFY, FLUSH CACHE, SET
 * FEATURES, INITIALIZE DEVICE PARAMETERS, SEEK, RECALIBRATE, EXECUTE DEVICE
 * DIAGNOSTIC, power management no-ops; LBA28 and CHS.  Anything else aborts
 * (ERR + ABRT) and is counted.
 */
#ifndef DEVICES_IDE_H
#define DEVICES_IDE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "devices/cdrom.h"

struct vm;
struct io_bus;

#define IDE_MAX_MULT 16             /* sectors per READ/WRITE MULTIPLE block */
#define IDE_SECTOR 512
#define IDE_SLOTS 4
#define IDE_CDROM_SLOT 2            /* secondary master, QEMU's -cdrom (index 2) */

struct ide_drive {
    bool present, ro;
    int fd;
    uint64_t sectors;
    uint16_t cyls, heads, spt;      /* default translation */
    uint16_t cur_heads, cur_spt;    /* INITIALIZE DEVICE PARAMETERS */
    int mult;                       /* SET MULTIPLE MODE, 0 = off */
    char serial[21];
    bool atapi;                     /* a packet device: the CD-ROM */
    struct cdrom cd;
};

struct ide_channel {
    struct vm *vm;
    int irq, irq_level;
    uint16_t base, ctl;
    struct ide_drive d[2];
    /* the task file (shared by both drives on the cable) */
    uint8_t feature, error, nsector, sector, lcyl, hcyl, select, status, devctl;
    bool intrq;
    bool sig_pending;               /* reset: each device shows its signature when selected */
    bool packet_out;                /* PACKET: the host is writing the CDB */
    uint16_t byte_limit;            /* PACKET: the host's byte count limit per DRQ block */
    /* the data phase */
    uint8_t cmd;
    uint8_t buf[IDE_MAX_MULT * IDE_SECTOR];
    int pos, len;                   /* bytes in buf: transferred, total */
    uint64_t lba;                   /* next sector to transfer */
    uint32_t left;                  /* sectors left in the command */
    int block;                      /* sectors per DRQ block */
};

struct ide {
    struct ide_channel ch[2];
    int ndisks;
    uint64_t errors;                /* commands ended with ERR */
    uint64_t unknown_cmds;
};

int ide_init(struct ide *ide, struct vm *vm, struct io_bus *bus);
int ide_attach(struct vm *vm, const char *path, bool ro, char *err, size_t errlen);
int ide_attach_cdrom(struct vm *vm, const char *path, char *err, size_t errlen);
void ide_destroy(struct ide *ide);
/* Slot 0-3 of the channels, NULL past them. */
struct ide_drive *ide_slot(struct ide *ide, int slot);

/* For the packet layer (devices/atapi.c): the drive the task file
 * addresses; raise INTRQ (unless nIEN); end
 * the command with ERR and ABRT; the device signature of the selected
 * drive in the task file; an ATA identify string (words of two
 * characters, space-padded); a 256-word IDENTIFY block as the data-in. */
struct ide_drive *ide_selected(struct ide_channel *c);
void ide_interrupt(struct ide_channel *c);
void ide_abort(struct ide_channel *c);
void ide_signature(struct ide_channel *c);
void ide_ata_string(uint16_t *w, int words, const char *s);
void ide_identify_data(struct ide_channel *c, const uint16_t w[256]);

#endif
