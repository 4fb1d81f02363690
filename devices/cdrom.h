/*
 * devices/cdrom.h - the command set of a read-only CD-ROM drive (SCSI
 * primary commands and MMC, as ATAPI carries them), over an image file of
 * 2048-byte sectors: one data track, one session, the disc always in the
 * tray unless the guest opens it (START STOP UNIT with LoEj): then
 * commands that need the disc answer NOT READY / MEDIUM NOT PRESENT until
 * the guest closes the tray again on the same image.
 *
 * Contract: cdrom_open() takes an image whose size is a non-zero multiple
 * of 2048 bytes (a regular file or a block device; anything else, an empty
 * or ragged image, or one a writer holds locked, is refused with a message
 * naming the file) and locks it shared.  cdrom_command() runs one 12-byte
 * command descriptor block, every byte of which may be anything: it
 * answers GOOD (true) with cdrom->len bytes of data-in (0 for a command
 * without data, never more than the CDB's allocation length) or CHECK
 * CONDITION (false) with the sense key and additional sense code set for
 * REQUEST SENSE (fixed format).  cdrom_data() then hands the data-in out in
 * pieces of any size, in order; the sectors of a READ are read from the
 * image as they are asked for, so a transfer of any length needs no buffer
 * of that length.  A host read error ends it with MEDIUM ERROR.
 *
 * Commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, START STOP UNIT,
 * PREVENT ALLOW MEDIUM REMOVAL, READ CAPACITY, READ(10), READ(12), SEEK(10),
 * READ TOC/PMA/ATIP (formats 0 and 1, LBA or MSF), GET CONFIGURATION
 * (profile CD-ROM), GET EVENT STATUS NOTIFICATION (polled, media class),
 * MODE SENSE(10) (pages 0x01, 0x2A, 0x3F), READ DISC INFORMATION,
 * MECHANISM STATUS, SET CD SPEED.  Anything else is ILLEGAL REQUEST /
 * INVALID COMMAND OPERATION CODE.  The drive comes up with a UNIT
 * ATTENTION (NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED) that the
 * first command other than INQUIRY, REQUEST SENSE, GET CONFIGURATION or GET
 * EVENT STATUS NOTIFICATION reports, as a drive does after power-on with a
 * disc inserted.
 */
#ifndef DEVICES_CDROM_H
#define DEVICES_CDROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_SECTOR   2048
#define CD_CDB_LEN  12
#define CD_REPLY_MAX 256            /* the longest answer that is not sector data */

/* Sense keys (SPC-3 table 27) */
#define SENSE_NONE            0x0
#define SENSE_NOT_READY       0x2
#define SENSE_MEDIUM_ERROR    0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION  0x6

/* Additional sense codes */
#define ASC_UNRECOVERED_READ  0x11
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_MEDIUM_CHANGED    0x28  /* NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED */
#define ASC_SAVING_PARAMS     0x39
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_REMOVAL_PREVENTED 0x53  /* ASCQ 0x02: MEDIUM REMOVAL PREVENTED */

struct cdrom {
    int fd;
    uint32_t sectors;               /* 2048-byte sectors on the disc */
    uint8_t sense_key, asc, ascq;   /* of the last CHECK CONDITION, until REQUEST SENSE */
    bool unit_attention;            /* a medium change not yet reported */
    bool new_media;                 /* ... and not yet reported as a media event */
    bool locked;                    /* PREVENT ALLOW MEDIUM REMOVAL */
    bool tray_open;                 /* ejected by the guest: no medium */
    bool removed;                   /* ... and not yet reported as a media event */
    /* the data-in of the last command */
    uint64_t len, pos;              /* bytes in all, bytes handed out */
    uint64_t image_off;             /* READ: the image offset of byte 0 */
    bool from_image;                /* READ: from the image, else from reply[] */
    uint8_t reply[CD_REPLY_MAX];
    /* counters for --stats */
    uint64_t commands, checks, unknown_cmds;
};

int cdrom_open(struct cdrom *cd, const char *path, char *err, size_t errlen);
void cdrom_close(struct cdrom *cd);
bool cdrom_command(struct cdrom *cd, const uint8_t cdb[CD_CDB_LEN]);
/* The next n bytes of data-in (n <= len - pos); false on a host read error,
 * after which the command has ended in CHECK CONDITION. */
bool cdrom_data(struct cdrom *cd, uint8_t *dst, uint32_t n);
/* End the command in CHECK CONDITION for a reason of the transport (the
 * packet interface's byte count limit): always false. */
bool cdrom_check(struct cdrom *cd, uint8_t key, uint8_t asc, uint8_t ascq);

#endif
