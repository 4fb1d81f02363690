/*
 * devices/atapi.c - the packet interface of an IDE drive (ATA/ATAPI-6
 * 8.23 PACKET and 9.10 the PACKET PIO data-in protocol, SFF-8020i): the
 * CDB in through the data port, the answer out in DRQ blocks no larger
 * than the host allows, the status with the sense key last.
 */
#include <string.h>
#include "devices/atapi.h"
#include "devices/cdrom.h"
#include "devices/ide.h"

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DRDY 0x40
#define ER_ABRT 0x04
#define IR_COD  0x01                /* interrupt reason: command or status, not data */
#define IR_IO   0x02                /* ... to the host */
#define FEAT_DMA 0x01
#define FEAT_OVL 0x02

static void identify_packet(struct ide_channel *c, struct ide_drive *d)
{
    uint16_t w[256] = { 0 };
    /* ATAPI, CD-ROM, removable, DRQ within 50 us of PACKET (no interrupt
     * before the CDB), 12-byte packets. */
    w[0] = 0x8000 | 0x05 << 8 | 0x0080 | 0x0040;
    ide_ata_string(&w[10], 10, d->serial);
    ide_ata_string(&w[23], 4, "1.0");
    ide_ata_string(&w[27], 20, "VMM ATAPI CD-ROM");
    w[49] = 0x0200;                 /* LBA; no DMA: there is no bus master */
    w[51] = 0x0200;                 /* PIO mode 2 timing */
    w[53] = 0x0002;                 /* words 64-70 valid */
    w[64] = 0x0003;                 /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x007E;                 /* ATA-1 .. ATA-6 */
    w[82] = 0x0210;                 /* DEVICE RESET, PACKET */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x0210;
    w[87] = 0x4000;
    ide_identify_data(c, w);
}

/* The last phase: status, with the sense key for CHECK CONDITION. */
static void status_phase(struct ide_channel *c, const struct cdrom *cd, bool good)
{
    c->nsector = IR_IO | IR_COD;
    c->pos = c->len = 0;
    if (good) {
        c->error = 0;
        c->status = ST_DRDY | ST_DSC;
    } else {
        c->error = (uint8_t)(cd->sense_key << 4) |
                   (cd->sense_key == SENSE_ILLEGAL_REQUEST ? ER_ABRT : 0);
        c->status = ST_DRDY | ST_DSC | ST_ERR;
    }
    ide_interrupt(c);
}

/* The bytes of the next DRQ block: what is left, but no more than the
 * byte count limit (made even when more follows, so that the next block
 * starts on a word) and the channel's buffer.  0 when the limit admits
 * nothing. */
static uint32_t block_size(const struct ide_channel *c, uint64_t left)
{
    uint32_t limit = c->byte_limit == 0xFFFF ? 0xFFFE : c->byte_limit;
    uint64_t n = left <= limit ? left : (limit & ~1u);
    if (n > sizeof c->buf)
        n = sizeof c->buf;
    return (uint32_t)n;
}

static void next_block(struct ide_channel *c, struct cdrom *cd)
{
    uint64_t left = cd->len - cd->pos;
    if (!left) {
        status_phase(c, cd, true);
        return;
    }
    uint32_t n = block_size(c, left);
    if (!cdrom_data(cd, c->buf, n)) {
        status_phase(c, cd, false);
        return;
    }
    c->pos = 0;
    c->len = (int)n;
    c->lcyl = n;
    c->hcyl = n >> 8;
    c->nsector = IR_IO;
    c->status = ST_DRDY | ST_DSC | ST_DRQ;
    ide_interrupt(c);
}

void atapi_packet(struct ide_channel *c)
{
    struct ide_drive *d = ide_selected(c);
    struct cdrom *cd = &d->cd;
    c->packet_out = false;
    if (!d->atapi) {                /* the host selected the other device meanwhile */
        ide_abort(c);
        return;
    }
    if (!cdrom_command(cd, c->buf)) {
        status_phase(c, cd, false);
        return;
    }
    if (cd->len && !block_size(c, cd->len)) {
        cdrom_check(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        status_phase(c, cd, false);
        return;
    }
    next_block(c, cd);
}

void atapi_block_done(struct ide_channel *c)
{
    struct ide_drive *d = ide_selected(c);
    if (!d->atapi) {
        ide_abort(c);
        return;
    }
    next_block(c, &d->cd);
}

static void packet_command(struct ide_channel *c)
{
    if (c->feature & (FEAT_DMA | FEAT_OVL)) {
        ide_abort(c);               /* no bus master, no overlapped commands */
        return;
    }
    c->byte_limit = (uint16_t)(c->lcyl | c->hcyl << 8);
    c->nsector = IR_COD;
    c->pos = 0;
    c->len = CD_CDB_LEN;
    c->packet_out = true;
    c->status = ST_DRDY | ST_DSC | ST_DRQ;
}

void atapi_command(struct ide_channel *c, struct ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case 0xA0:
        packet_command(c);
        break;
    case 0xA1:                      /* IDENTIFY PACKET DEVICE */
        identify_packet(c, d);
        break;
    case 0x08:                      /* DEVICE RESET: the signature, no interrupt */
        d->cd.len = d->cd.pos = 0;
        c->pos = c->len = 0;
        ide_signature(c);
        break;
    case 0xEC:                      /* IDENTIFY DEVICE: abort, showing what we are */
        ide_signature(c);
        ide_abort(c);
        break;
    default:
        ide_abort(c);
    }
}
