/*
 * devices/cdrom.c - a read-only CD-ROM drive's commands: SPC-3 for the
 * generic ones (TEST UNIT READY, REQUEST SENSE, INQUIRY...), MMC-5 for the
 * optical ones (READ TOC, GET CONFIGURATION...), the answers a drive with
 * a pressed data disc gives: one session, track 1 a data track from LBA 0,
 * the lead-out at the end of the image.
 *
 * Every field of the CDB comes from the guest: lengths are clipped to what
 * exists, LBAs checked against the disc before anything is read, reserved
 * values refused with INVALID FIELD IN CDB.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "devices/cdrom.h"
#include "devices/image.h"

#define PROFILE_CDROM 0x0008
#define TRACK_LEADOUT 0xAA
#define ADR_CONTROL_DATA 0x14       /* Q sub-channel: ADR 1 (position), a data track */
#define MSF_OFFSET 150              /* LBA 0 is 00:02:00 */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

int cdrom_open(struct cdrom *cd, const char *path, char *err, size_t errlen)
{
    uint64_t size;
    int fd = image_open(path, true, CD_SECTOR, &size, err, errlen);
    if (fd < 0)
        return -1;
    if (size / CD_SECTOR > UINT32_MAX) {
        snprintf(err, errlen, "%s: more than 2^32 sectors of 2048 bytes: no CD is that large", path);
        close(fd);
        return -1;
    }
    *cd = (struct cdrom){ .fd = fd, .sectors = (uint32_t)(size / CD_SECTOR),
                          .unit_attention = true, .new_media = true };
    return 0;
}

void cdrom_close(struct cdrom *cd)
{
    if (cd->fd >= 0)
        close(cd->fd);
    cd->fd = -1;
}

bool cdrom_check(struct cdrom *cd, uint8_t key, uint8_t asc, uint8_t ascq)
{
    cd->sense_key = key;
    cd->asc = asc;
    cd->ascq = ascq;
    cd->len = cd->pos = 0;
    cd->checks++;
    return false;
}

static bool invalid_field(struct cdrom *cd)
{
    return cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

/* GOOD with `len` bytes of reply[], cut to the allocation length. */
static bool reply(struct cdrom *cd, uint32_t len, uint32_t alloc)
{
    cd->len = len < alloc ? len : alloc;
    return true;
}

static bool request_sense(struct cdrom *cd, const uint8_t *cdb)
{
    uint8_t *r = cd->reply;
    memset(r, 0, 18);
    r[0] = 0x70;                    /* current error, fixed format */
    r[2] = cd->sense_key;
    r[7] = 10;                      /* additional sense length */
    r[12] = cd->asc;
    r[13] = cd->ascq;
    /* Sense data is reported once. */
    cd->sense_key = cd->asc = cd->ascq = 0;
    return reply(cd, 18, cdb[4]);
}

static void ascii(uint8_t *dst, size_t n, const char *s)
{
    memset(dst, ' ', n);
    memcpy(dst, s, strnlen(s, n));
}

static bool inquiry(struct cdrom *cd, const uint8_t *cdb)
{
    if (cdb[1] & 0x01)
        return invalid_field(cd);   /* no vital product data pages */
    uint8_t *r = cd->reply;
    memset(r, 0, 36);
    r[0] = 0x05;                    /* CD/DVD device */
    r[1] = 0x80;                    /* removable medium */
    r[2] = 0x05;                    /* SPC-3 */
    r[3] = 0x02;                    /* response data format 2 */
    r[4] = 36 - 5;
    ascii(r + 8, 8, "VMM");
    ascii(r + 16, 16, "VMM ATAPI CD-ROM");
    ascii(r + 32, 4, "1.0");
    return reply(cd, 36, be16(cdb + 3));
}

static bool read_capacity(struct cdrom *cd)
{
    put32(cd->reply, cd->sectors - 1);  /* the last LBA */
    put32(cd->reply + 4, CD_SECTOR);
    return reply(cd, 8, 8);
}

static bool in_range(const struct cdrom *cd, uint64_t lba, uint64_t count)
{
    return lba <= cd->sectors && count <= cd->sectors - lba;
}

static bool read_sectors(struct cdrom *cd, uint32_t lba, uint32_t count)
{
    if (!in_range(cd, lba, count))
        return cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    cd->from_image = true;
    cd->image_off = (uint64_t)lba * CD_SECTOR;
    cd->len = (uint64_t)count * CD_SECTOR;
    return true;
}

/* A TOC address: an LBA, or (msf) minute/second/frame with the 2 s pre-gap. */
static void toc_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (!msf) {
        put32(p, lba);
        return;
    }
    uint64_t f = (uint64_t)lba + MSF_OFFSET;
    uint64_t m = f / (75 * 60);
    p[0] = 0;
    p[1] = m > 0xFF ? 0xFF : (uint8_t)m;
    p[2] = (f / 75) % 60;
    p[3] = f % 75;
}

static void toc_entry(uint8_t *p, uint8_t track, uint32_t lba, bool msf)
{
    p[0] = 0;
    p[1] = ADR_CONTROL_DATA;
    p[2] = track;
    p[3] = 0;
    toc_addr(p + 4, lba, msf);
}

static bool read_toc(struct cdrom *cd, const uint8_t *cdb)
{
    bool msf = cdb[1] & 0x02;
    unsigned format = cdb[2] & 0x0F, track = cdb[6];
    uint16_t alloc = be16(cdb + 7);
    uint8_t *r = cd->reply;
    uint32_t len = 4;
    /* Before MMC the format was in the two top bits of the control byte. */
    if (!format)
        format = cdb[9] >> 6;
    memset(r, 0, 4 + 2 * 8);
    r[2] = r[3] = 1;                /* first and last track, or session */
    switch (format) {
    case 0:                         /* the TOC: track 1 from `track` on, and the lead-out */
        if (track > 1 && track != TRACK_LEADOUT)
            return invalid_field(cd);
        if (track <= 1) {
            toc_entry(r + len, 1, 0, msf);
            len += 8;
        }
        toc_entry(r + len, TRACK_LEADOUT, cd->sectors, msf);
        len += 8;
        break;
    case 1:                         /* session info: the first track of the last session */
        toc_entry(r + len, 1, 0, msf);
        len += 8;
        break;
    default:                        /* full TOC, PMA, ATIP, CD-TEXT: not on this disc */
        return invalid_field(cd);
    }
    put16(r, len - 2);
    return reply(cd, len, alloc);
}

static uint32_t mode_page(const struct cdrom *cd, uint8_t *p, unsigned page)
{
    if (page == 0x01) {             /* read error recovery parameters */
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 6;
        p[3] = 5;                   /* read retry count */
        return 8;
    }
    /* 0x2A: the CD/DVD capabilities and mechanical status page */
    memset(p, 0, 22);
    p[0] = 0x2A;
    p[1] = 20;
    p[2] = 0x00;                    /* reads CD-ROM (no CD-R/RW, no DVD) */
    p[4] = 0x40;                    /* multi-session */
    p[6] = 0x20 | 0x08 | 0x01 | (cd->locked ? 0x02 : 0);  /* tray, eject, lock (state) */
    put16(p + 8, 1412);             /* maximum read speed, kB/s (8x) */
    put16(p + 12, 256);             /* buffer, KiB */
    put16(p + 14, 1412);            /* current read speed */
    return 22;
}

static bool mode_sense10(struct cdrom *cd, const uint8_t *cdb)
{
    unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3F;
    uint8_t *r = cd->reply;
    uint32_t len = 8;
    if (pc == 3)
        return cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMS, 0);
    if (page != 0x01 && page != 0x2A && page != 0x3F)
        return invalid_field(cd);
    memset(r, 0, 8);
    r[2] = 0x01;                    /* medium type: 120 mm CD-ROM, data only */
    if (page == 0x01 || page == 0x3F)
        len += mode_page(cd, r + len, 0x01);
    if (page == 0x2A || page == 0x3F)
        len += mode_page(cd, r + len, 0x2A);
    /* PC 1 (changeable values): none can be changed. */
    if (pc == 1)
        for (uint32_t i = 8; i < len; i += r[i + 1] + 2)
            memset(r + i + 2, 0, r[i + 1]);
    put16(r, len - 2);
    return reply(cd, len, be16(cdb + 7));
}

/* GET CONFIGURATION features: code, then the feature's own bytes. */
static uint32_t feature(uint8_t *p, uint16_t code, uint8_t version, const uint8_t *data, uint8_t n)
{
    put16(p, code);
    p[2] = version << 2 | 0x03;     /* persistent, current */
    p[3] = n;
    memcpy(p + 4, data, n);
    return 4 + n;
}

static bool get_configuration(struct cdrom *cd, const uint8_t *cdb)
{
    static const uint8_t profiles[] = { PROFILE_CDROM >> 8, PROFILE_CDROM & 0xFF, 0x01, 0 };
    static const uint8_t core[] = { 0, 0, 0, 2, 0, 0, 0, 0 };   /* ATAPI */
    static const uint8_t removable[] = { 0x20 | 0x08 | 0x01, 0, 0, 0 };  /* tray, eject, lock */
    static const uint8_t random_read[] = { 0, 0, CD_SECTOR >> 8, 0, 0, 1, 0, 0 };
    static const uint8_t cd_read[] = { 0, 0, 0, 0 };
    static const struct { uint16_t code; uint8_t version; const uint8_t *data; uint8_t n; } f[] = {
        { 0x0000, 0, profiles, sizeof profiles },
        { 0x0001, 0, core, sizeof core },
        { 0x0003, 0, removable, sizeof removable },
        { 0x0010, 0, random_read, sizeof random_read },
        { 0x001E, 0, cd_read, sizeof cd_read },
    };
    unsigned rt = cdb[1] & 0x03;
    uint16_t start = be16(cdb + 2);
    uint8_t *r = cd->reply;
    uint32_t len = 8;
    if (rt == 3)
        return invalid_field(cd);
    memset(r, 0, 8);
    put16(r + 6, cd->tray_open ? 0 : PROFILE_CDROM);   /* no current profile without a disc */
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (rt == 2 ? f[i].code == start : f[i].code >= start)
            len += feature(r + len, f[i].code, f[i].version, f[i].data, f[i].n);
    put32(r, len - 4);
    return reply(cd, len, be16(cdb + 7));
}

static bool event_status(struct cdrom *cd, const uint8_t *cdb)
{
    uint8_t *r = cd->reply;
    if (!(cdb[1] & 0x01))
        return invalid_field(cd);   /* only polled operation, no asynchronous events */
    memset(r, 0, 8);
    r[3] = 0x10;                    /* supported: the media class */
    if (!(cdb[4] & 0x10)) {
        r[2] = 0x80;                /* no event available of the classes asked for */
        put16(r, 2);
        return reply(cd, 4, be16(cdb + 7));
    }
    r[2] = 0x04;                    /* media class */
    /* NewMedia or MediaRemoval once, then NoChg */
    r[4] = cd->new_media ? 0x02 : cd->removed ? 0x03 : 0x00;
    r[5] = cd->tray_open ? 0x01 : 0x02;     /* tray open and empty, or closed on a disc */
    cd->new_media = cd->removed = false;
    put16(r, 6);
    return reply(cd, 8, be16(cdb + 7));
}

static bool disc_information(struct cdrom *cd, const uint8_t *cdb)
{
    uint8_t *r = cd->reply;
    if (cdb[1] & 0x07)
        return invalid_field(cd);   /* track and POW resources: not on a pressed disc */
    memset(r, 0, 34);
    put16(r, 32);
    r[2] = 0x0E;                    /* last session complete, disc complete */
    r[3] = 1;                       /* first track */
    r[4] = 1;                       /* sessions */
    r[5] = r[6] = 1;                /* first and last track of the last session */
    r[7] = 0x20;                    /* unrestricted use */
    r[8] = 0x00;                    /* CD-DA or CD-ROM */
    put32(r + 16, 0xFFFFFFFF);      /* no lead-in start time */
    put32(r + 20, 0xFFFFFFFF);      /* no last possible lead-out */
    return reply(cd, 34, be16(cdb + 7));
}

static bool mechanism_status(struct cdrom *cd, const uint8_t *cdb)
{
    memset(cd->reply, 0, 8);        /* idle, no changer slots */
    cd->reply[1] = cd->tray_open ? 0x10 : 0;    /* door open */
    return reply(cd, 8, be16(cdb + 8));
}

/* LoEj opens the tray (Start 0) or closes it (Start 1): the same image
 * comes back in, as a disc just inserted (a unit attention, a media event). */
static bool start_stop(struct cdrom *cd, const uint8_t *cdb)
{
    bool loej = cdb[4] & 0x02, start = cdb[4] & 0x01;
    if (!loej)
        return true;                /* spinning up or down: nothing to do */
    if (!start) {
        if (cd->locked)
            return cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
        cd->removed = !cd->tray_open;
        cd->tray_open = true;
        cd->new_media = false;
    } else if (cd->tray_open) {
        cd->tray_open = cd->removed = false;
        cd->unit_attention = cd->new_media = true;
    }
    return true;
}

/* The commands that read the disc: NOT READY while the tray is open. */
static bool needs_medium(uint8_t op)
{
    return op == 0x00 || op == 0x25 || op == 0x28 || op == 0xA8 || op == 0x2B ||
           op == 0x43 || op == 0x51;
}

/* Commands that a pending UNIT ATTENTION does not stop (SPC-3 5.9.7;
 * MMC-5 for the two that report the drive's state). */
static bool passes_unit_attention(uint8_t op)
{
    return op == 0x12 || op == 0x03 || op == 0x46 || op == 0x4A;
}

static bool dispatch(struct cdrom *cd, const uint8_t *c)
{
    switch (c[0]) {
    case 0x00: return true;                         /* TEST UNIT READY: always a disc */
    case 0x03: return request_sense(cd, c);
    case 0x12: return inquiry(cd, c);
    case 0x1B: return start_stop(cd, c);
    case 0x1E: cd->locked = c[4] & 0x01; return true;   /* PREVENT ALLOW MEDIUM REMOVAL */
    case 0x25: return read_capacity(cd);
    case 0x28: return read_sectors(cd, be32(c + 2), be16(c + 7));
    case 0xA8: return read_sectors(cd, be32(c + 2), be32(c + 6));
    case 0x2B:                                      /* SEEK(10) */
        return in_range(cd, be32(c + 2), 1) ? true
             : cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    case 0x43: return read_toc(cd, c);
    case 0x46: return get_configuration(cd, c);
    case 0x4A: return event_status(cd, c);
    case 0x51: return disc_information(cd, c);
    case 0x5A: return mode_sense10(cd, c);
    case 0xBB: return true;                         /* SET CD SPEED: the one speed */
    case 0xBD: return mechanism_status(cd, c);
    default:
        cd->unknown_cmds++;
        return cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
    }
}

bool cdrom_command(struct cdrom *cd, const uint8_t cdb[CD_CDB_LEN])
{
    cd->commands++;
    cd->len = cd->pos = 0;
    cd->from_image = false;
    if (cd->unit_attention && !passes_unit_attention(cdb[0])) {
        cd->unit_attention = false;     /* reported once */
        return cdrom_check(cd, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
    }
    if (cd->tray_open && needs_medium(cdb[0]))
        return cdrom_check(cd, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);  /* tray open */
    if (cdb[0] != 0x03)
        cd->sense_key = cd->asc = cd->ascq = 0;     /* sense describes the last command only */
    return dispatch(cd, cdb);
}

bool cdrom_data(struct cdrom *cd, uint8_t *dst, uint32_t n)
{
    if (n > cd->len - cd->pos)
        n = (uint32_t)(cd->len - cd->pos);
    if (cd->from_image) {
        if (!image_io(cd->fd, dst, n, cd->image_off + cd->pos, false))
            return cdrom_check(cd, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
    } else {
        memcpy(dst, cd->reply + cd->pos, n);
    }
    cd->pos += n;
    return true;
}
