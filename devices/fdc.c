/*
 * devices/fdc.c - the 82077AA floppy disk controller and its drives.
 *
 * The drive is an image file: sector (c, h, r) of a medium with H heads
 * and S sectors per track is at byte ((c * H + h) * S + r - 1) * 512.
 * No time passes in the model: a seek or a transfer is done when its
 * command's last byte arrives, so the firmware's wait for IRQ 6 ends at
 * its first look.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/dma8237.h"
#include "devices/fdc.h"
#include "devices/image.h"
#include "devices/irq.h"

/* DOR bits. */
#define DOR_SEL 0x03
#define DOR_NRESET 0x04
#define DOR_DMAGATE 0x08        /* PC-AT mode: gates both IRQ 6 and DRQ 2 */

/* MSR bits. */
#define MSR_RQM 0x80
#define MSR_DIO 0x40
#define MSR_NDM 0x20
#define MSR_CB 0x10

/* Status bits: ST0 interrupt codes and flags, ST1, ST2, ST3. */
#define ST0_ABNORMAL 0x40
#define ST0_INVALID 0x80
#define ST0_READY_CHANGED 0xC0
#define ST0_SEEK_END 0x20
#define ST0_EQUIP 0x10
#define ST0_NOT_READY 0x08
#define ST1_EN 0x80             /* end of cylinder: past EOT without terminal count */
#define ST1_DE 0x20             /* data error (the image could not be read or written) */
#define ST1_OR 0x10             /* overrun: the DMA channel did not answer */
#define ST1_ND 0x04             /* no data: no sector with that ID */
#define ST1_NW 0x02             /* not writable */
#define ST1_MA 0x01             /* missing address mark: nothing readable there */
#define ST2_DD 0x20
#define ST3_WP 0x40
#define ST3_RDY 0x20
#define ST3_T0 0x10
#define ST3_TS 0x08

#define SPECIFY_ND 0x01         /* second SPECIFY byte: non-DMA mode */
#define CONFIG_NOPOLL 0x10
#define CONFIG_DEFAULT 0x20     /* after reset: FIFO disabled, polling on */

enum { OP_READ, OP_WRITE, OP_FORMAT };

/* ---- the media ------------------------------------------------------- */

/* The formats a size stands for: heads, cylinders, sectors per track,
 * the data rate it is written at (the CCR/DSR code: 0 = 500 kb/s, 1 =
 * 300, 2 = 250, 3 = 1000) and the CMOS type of the drive that takes it. */
static const struct format {
    uint32_t kib;
    uint8_t heads, tracks, spt, rate, cmos;
} formats[] = {
    { 160, 1, 40, 8, 2, 1 }, { 180, 1, 40, 9, 1, 1 }, { 320, 2, 40, 8, 2, 1 },
    { 360, 2, 40, 9, 1, 1 }, { 720, 2, 80, 9, 2, 3 }, { 1200, 2, 80, 15, 0, 2 },
    { 1440, 2, 80, 18, 0, 4 }, { 2880, 2, 80, 36, 3, 5 },
};

int fdc_attach(struct fdc *f, int drive, const char *path, bool ro, char *err, size_t errlen)
{
    if (drive < 0 || drive >= FDC_DRIVES || f->d[drive].present) {
        snprintf(err, errlen, "%s: floppy drive %c is taken", path, 'A' + (drive & 1));
        return -1;
    }
    uint64_t size;
    int fd = image_open(path, ro, FDC_SECTOR, &size, err, errlen);
    if (fd < 0)
        return -1;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const struct format *m = &formats[i];
        if (size != (uint64_t)m->kib * 1024)
            continue;
        f->d[drive] = (struct fdc_drive){ .present = true, .ro = ro, .changed = true, .fd = fd,
                                          .heads = m->heads, .tracks = m->tracks, .spt = m->spt,
                                          .rate = m->rate, .cmos = m->cmos };
        return 0;
    }
    close(fd);
    snprintf(err, errlen, "%s: %llu bytes is no floppy format (160, 180, 320, 360, 720 KiB, "
             "1.2 MB = 1228800, 1.44 MB = 1474560 or 2.88 MB = 2949120 bytes)",
             path, (unsigned long long)size);
    return -1;
}

uint8_t fdc_cmos_types(const struct fdc *f)
{
    return (uint8_t)((f->d[0].present ? f->d[0].cmos << 4 : 0) | (f->d[1].present ? f->d[1].cmos : 0));
}

void fdc_destroy(struct fdc *f)
{
    for (int i = 0; i < FDC_DRIVES; i++)
        if (f->d[i].present) {
            if (!f->d[i].ro)
                fsync(f->d[i].fd);
            close(f->d[i].fd);
            f->d[i].present = false;
        }
}

static bool sector_io(struct fdc_drive *d, int c, int h, int r, uint8_t *buf, bool write)
{
    uint64_t lba = ((uint64_t)c * d->heads + h) * d->spt + r - 1;
    return image_io(d->fd, buf, FDC_SECTOR, lba * FDC_SECTOR, write);
}

/* ---- interrupt and phases -------------------------------------------- */

static void update_irq(struct fdc *f)
{
    irq_set_level(f->vm, FDC_IRQ, f->irq && (f->dor & DOR_DMAGATE));
}

static void set_irq(struct fdc *f, bool on)
{
    f->irq = on;
    update_irq(f);
}

static void to_command(struct fdc *f)
{
    f->phase = FDC_CMD;
    f->cmd_pos = 0;
}

static void result(struct fdc *f, const uint8_t *r, int n, bool irq)
{
    memcpy(f->res, r, (size_t)n);
    f->res_len = n;
    f->res_pos = 0;
    f->phase = FDC_RESULT;
    if (irq)
        set_irq(f, true);
}

/* The seven result bytes of a transfer or READ ID. */
static void result7(struct fdc *f, uint8_t st0, uint8_t st1, uint8_t st2,
                    uint8_t c, uint8_t h, uint8_t r, uint8_t n)
{
    const uint8_t res[7] = { st0, st1, st2, c, h, r, n };
    if (st0 & 0xC0)
        f->errors++;
    result(f, res, 7, true);
}

static void reset(struct fdc *f)
{
    to_command(f);
    f->res_len = f->res_pos = 0;
    f->buf_len = f->buf_pos = 0;
    memset(f->seek_st0, 0, sizeof f->seek_st0);
    f->reset_senses = 0;
    if (!f->lock) {
        f->config = CONFIG_DEFAULT;
        f->pretrk = 0;
    }
    f->perp &= 0x3C;
    set_irq(f, false);
}

/* Leaving reset: with polling on the controller reports each drive's
 * ready line as changed, an interrupt and four SENSE INTERRUPT STATUS. */
static void reset_done(struct fdc *f)
{
    if (!(f->config & CONFIG_NOPOLL)) {
        f->reset_senses = 4;
        set_irq(f, true);
    }
}

/* ---- commands --------------------------------------------------------- */

static struct fdc_drive *drive_of(struct fdc *f, int unit)
{
    return unit < FDC_DRIVES && f->d[unit].present ? &f->d[unit] : NULL;
}

static uint8_t pcn(struct fdc *f, int unit)
{
    return unit < FDC_DRIVES ? f->d[unit].cyl : 0;
}

static void cmd_specify(struct fdc *f)
{
    f->specify[0] = f->cmd[1];
    f->specify[1] = f->cmd[2];
    to_command(f);
}

static void cmd_sense_drive(struct fdc *f)
{
    int unit = f->cmd[1] & 3, head = f->cmd[1] >> 2 & 1;
    struct fdc_drive *d = drive_of(f, unit);
    uint8_t st3 = (uint8_t)(head << 2 | unit);
    if (d)
        st3 |= (d->ro ? ST3_WP : 0) | ST3_RDY | (d->cyl == 0 ? ST3_T0 : 0) | (d->heads == 2 ? ST3_TS : 0);
    result(f, &st3, 1, false);
}

static void seek_end(struct fdc *f, int unit, uint8_t st0)
{
    f->seek_st0[unit] = st0 + 1;
    to_command(f);
    set_irq(f, true);
}

/* A drive's head stepped: with a disk in, that clears its disk-change line. */
static void step(struct fdc_drive *d, uint8_t cyl)
{
    d->cyl = cyl;
    d->changed = false;
}

static void cmd_recalibrate(struct fdc *f)
{
    int unit = f->cmd[1] & 3;
    struct fdc_drive *d = drive_of(f, unit);
    if (d)
        step(d, 0);
    /* No drive: no track 0 signal after 79 steps, equipment check. */
    seek_end(f, unit, (uint8_t)(ST0_SEEK_END | unit | (d ? 0 : ST0_ABNORMAL | ST0_EQUIP)));
}

static void cmd_seek(struct fdc *f)
{
    int unit = f->cmd[1] & 3, head = f->cmd[1] >> 2 & 1;
    struct fdc_drive *d = drive_of(f, unit);
    if (d)
        step(d, f->cmd[2]);
    seek_end(f, unit, (uint8_t)(ST0_SEEK_END | head << 2 | unit));
}

static void cmd_sense_int(struct fdc *f)
{
    set_irq(f, false);
    if (f->reset_senses) {
        int unit = 4 - f->reset_senses--;
        const uint8_t r[2] = { (uint8_t)(ST0_READY_CHANGED | unit), pcn(f, unit) };
        result(f, r, 2, false);
        return;
    }
    for (int unit = 0; unit < 4; unit++)
        if (f->seek_st0[unit]) {
            const uint8_t r[2] = { (uint8_t)(f->seek_st0[unit] - 1), pcn(f, unit) };
            f->seek_st0[unit] = 0;
            result(f, r, 2, false);
            return;
        }
    const uint8_t inv = ST0_INVALID;
    result(f, &inv, 1, false);
}

static void cmd_version(struct fdc *f)
{
    const uint8_t v = 0x90;         /* the 82077AA's enhanced controller */
    result(f, &v, 1, false);
}

static void cmd_configure(struct fdc *f)
{
    f->config = f->cmd[2];
    f->pretrk = f->cmd[3];
    to_command(f);
}

static void cmd_dumpreg(struct fdc *f)
{
    const uint8_t r[10] = { pcn(f, 0), pcn(f, 1), 0, 0, f->specify[0], f->specify[1], f->eot,
                            (uint8_t)((f->lock ? 0x80 : 0) | (f->perp & 0x3F)), f->config, f->pretrk };
    result(f, r, 10, false);
}

static void cmd_perpendicular(struct fdc *f)
{
    uint8_t v = f->cmd[1];
    /* OW (bit 7) lets the drive bits D3-D0 be written; GAP and WGATE always are. */
    f->perp = (uint8_t)((v & 0x80 ? v & 0x3C : f->perp & 0x3C) | (v & 0x03));
    to_command(f);
}

static void cmd_lock(struct fdc *f)
{
    f->lock = f->cmd[0] >> 7;
    const uint8_t r = (uint8_t)(f->lock << 4);
    result(f, &r, 1, false);
}

/* Is there a readable track under head `head` of the unit, at the data
 * rate programmed?  0, or the ST1 bits of the failure (ST0 in *st0). */
static uint8_t track_check(struct fdc *f, int unit, int head, int cyl, uint8_t *st0)
{
    struct fdc_drive *d = drive_of(f, unit);
    *st0 = (uint8_t)(head << 2 | unit);
    if (!d) {
        *st0 |= ST0_ABNORMAL | ST0_NOT_READY;
        return ST1_MA;
    }
    if (head >= d->heads || cyl >= d->tracks || f->rate != d->rate) {
        *st0 |= ST0_ABNORMAL;
        return ST1_MA;
    }
    return 0;
}

static void cmd_read_id(struct fdc *f)
{
    int unit = f->cmd[1] & 3, head = f->cmd[1] >> 2 & 1;
    uint8_t st0, st1 = track_check(f, unit, head, pcn(f, unit), &st0);
    result7(f, st0, st1, 0, pcn(f, unit), (uint8_t)head, 1, 2);
}

static bool dma_mode(const struct fdc *f)
{
    return !(f->specify[1] & SPECIFY_ND);
}

/* The sector after (c, h, r), the last one moved, as a transfer reports
 * it: the next on the track, or sector 1 of the other head (MT) or of the
 * next cylinder once r was the EOT. */
static void next_chr(struct fdc *f, bool mt, int c, int h, int r, uint8_t *out)
{
    if (r != f->eot) {
        out[0] = (uint8_t)c, out[1] = (uint8_t)h, out[2] = (uint8_t)(r + 1);
    } else if (mt && h == 0) {
        out[0] = (uint8_t)c, out[1] = 1, out[2] = 1;
    } else {
        out[0] = (uint8_t)(c + 1), out[1] = (uint8_t)(mt ? 0 : h), out[2] = 1;
    }
}

/* Move sector i of the transfer through DMA; false when it failed, with
 * the ST1 bits in *st1.  *tc: the channel reached terminal count. */
static bool dma_sector(struct fdc *f, struct fdc_drive *d, int c, int i, bool write, bool *tc, uint8_t *st1)
{
    uint8_t sec[FDC_SECTOR];
    int h = f->secs[i][0], r = f->secs[i][1];
    if (!write && !sector_io(d, c, h, r, sec, false)) {
        *st1 = ST1_DE;
        return false;
    }
    size_t n = dma_transfer(f->dma, FDC_DMA_CHANNEL, sec, FDC_SECTOR, !write, tc);
    if (n < FDC_SECTOR && !*tc) {
        *st1 = ST1_OR;
        return false;
    }
    if (write) {
        /* Terminal count inside a sector: the rest is written as zeros. */
        memset(sec + n, 0, FDC_SECTOR - n);
        if (!sector_io(d, c, h, r, sec, true)) {
            *st1 = ST1_DE;
            return false;
        }
    }
    return true;
}

/* READ DATA / WRITE DATA: checks, the implied seek, the sector list. */
static void cmd_rw(struct fdc *f)
{
    bool write = (f->cmd[0] & 0x1F) == 0x05, mt = f->cmd[0] & 0x80;
    int unit = f->cmd[1] & 3, head = f->cmd[1] >> 2 & 1;
    uint8_t c = f->cmd[2], h = f->cmd[3], r = f->cmd[4], n = f->cmd[5];
    f->eot = f->cmd[6];
    uint8_t st0, st1 = track_check(f, unit, head, c, &st0);
    struct fdc_drive *d = drive_of(f, unit);
    if (!st1 && (n != 2 || r == 0 || r > d->spt))
        st1 = ST1_ND, st0 |= ST0_ABNORMAL;
    if (!st1 && write && d->ro)
        st1 = ST1_NW, st0 |= ST0_ABNORMAL;
    if (st1) {
        result7(f, st0, st1, 0, c, h, r, n);
        return;
    }
    d->cyl = c;                     /* the implied seek */
    /* From R to EOT on this head, then (MT) sectors 1 to EOT of head 1. */
    bool past = f->eot > d->spt || f->eot < r;  /* the track ends before EOT */
    int last = past ? d->spt : f->eot;
    f->nsecs = 0;
    for (int hh = head; hh < d->heads && hh <= (mt ? 1 : head); hh++)
        for (int s = hh == head ? r : 1; s <= last; s++) {
            f->secs[f->nsecs][0] = (uint8_t)hh;
            f->secs[f->nsecs++][1] = (uint8_t)s;
        }
    if (past && mt && head == 0)    /* EOT never met: no switch to head 1 */
        f->nsecs = (uint8_t)(last - r + 1);
    f->xfer_drive = (uint8_t)unit;
    f->xfer_op = write ? OP_WRITE : OP_READ;
    int lh = f->secs[f->nsecs - 1][0], lr = f->secs[f->nsecs - 1][1];
    uint8_t chr[3];
    next_chr(f, mt, c, lh, lr, chr);
    /* Running off the track's end (past): no sector EOT; in DMA mode,
     * reaching EOT without terminal count: end of cylinder. */
    uint8_t end_st1 = past ? ST1_ND : dma_mode(f) ? ST1_EN : 0;
    uint8_t end_st0 = (uint8_t)(lh << 2 | unit | (end_st1 ? ST0_ABNORMAL : 0));
    if (!dma_mode(f)) {
        if (past)                   /* the sector after the track's last is the one not found */
            chr[0] = c, chr[1] = (uint8_t)lh, chr[2] = (uint8_t)(lr + 1);
        const uint8_t res[7] = { end_st0, end_st1, 0, chr[0], chr[1], chr[2], n };
        memcpy(f->xfer_res, res, 7);
        f->buf_len = f->nsecs * FDC_SECTOR;
        f->buf_pos = 0;
        if (write) {
            f->phase = FDC_EXEC_IN;
        } else {
            for (int i = 0; i < f->nsecs; i++)
                if (!sector_io(d, c, f->secs[i][0], f->secs[i][1], f->buf + i * FDC_SECTOR, false)) {
                    result7(f, (uint8_t)(st0 | ST0_ABNORMAL), ST1_DE, ST2_DD, c, f->secs[i][0],
                            f->secs[i][1], n);
                    return;
                }
            f->phase = FDC_EXEC_OUT;
        }
        set_irq(f, true);           /* non-DMA: the interrupt asks for the data */
        return;
    }
    for (int i = 0; i < f->nsecs; i++) {
        bool tc = false;
        int sh = f->secs[i][0], sr = f->secs[i][1];
        if (!dma_sector(f, d, c, i, write, &tc, &st1)) {
            result7(f, (uint8_t)(sh << 2 | unit | ST0_ABNORMAL), st1, st1 == ST1_DE ? ST2_DD : 0,
                    c, (uint8_t)sh, (uint8_t)sr, n);
            return;
        }
        if (tc) {
            next_chr(f, mt, c, sh, sr, chr);
            result7(f, (uint8_t)(sh << 2 | unit), 0, 0, chr[0], chr[1], chr[2], n);
            return;
        }
    }
    if (past)
        chr[0] = c, chr[1] = (uint8_t)lh, chr[2] = (uint8_t)(lr + 1);
    result7(f, end_st0, end_st1, 0, chr[0], chr[1], chr[2], n);
}

/* FORMAT TRACK: the host supplies C, H, R, N for each sector; each
 * named sector of the track the head is on is filled with byte D. */
static void format_ids(struct fdc *f, const uint8_t *ids)
{
    int unit = f->xfer_drive, head = f->cmd[1] >> 2 & 1;
    struct fdc_drive *d = &f->d[unit];
    uint8_t sec[FDC_SECTOR], st0 = (uint8_t)(head << 2 | unit);
    memset(sec, f->cmd[5], sizeof sec);
    for (int i = 0; i < f->cmd[3]; i++) {
        const uint8_t *id = ids + 4 * i;
        /* An image holds only the medium's own layout: each ID must name
         * one of its sectors on this track. */
        if (id[0] != d->cyl || id[1] != head || id[2] == 0 || id[2] > d->spt || id[3] != 2) {
            result7(f, st0 | ST0_ABNORMAL, ST1_ND, 0, id[0], id[1], id[2], id[3]);
            return;
        }
        if (!sector_io(d, d->cyl, head, id[2], sec, true)) {
            result7(f, st0 | ST0_ABNORMAL, ST1_DE, 0, id[0], id[1], id[2], id[3]);
            return;
        }
    }
    result7(f, st0, 0, 0, d->cyl, (uint8_t)head, 1, 2);
}

static void cmd_format(struct fdc *f)
{
    int unit = f->cmd[1] & 3, head = f->cmd[1] >> 2 & 1;
    uint8_t st0, st1 = track_check(f, unit, head, pcn(f, unit), &st0);
    struct fdc_drive *d = drive_of(f, unit);
    if (!st1 && (f->cmd[2] != 2 || f->cmd[3] != d->spt))
        st1 = ST1_ND, st0 |= ST0_ABNORMAL;
    if (!st1 && d->ro)
        st1 = ST1_NW, st0 |= ST0_ABNORMAL;
    if (st1) {
        result7(f, st0, st1, 0, pcn(f, unit), (uint8_t)head, 1, f->cmd[2]);
        return;
    }
    f->xfer_drive = (uint8_t)unit;
    f->xfer_op = OP_FORMAT;
    f->buf_len = 4 * f->cmd[3];
    f->buf_pos = 0;
    if (!dma_mode(f)) {
        f->phase = FDC_EXEC_IN;
        set_irq(f, true);
        return;
    }
    bool tc;
    size_t n = dma_transfer(f->dma, FDC_DMA_CHANNEL, f->buf, (size_t)f->buf_len, false, &tc);
    if (n < (size_t)f->buf_len) {
        result7(f, st0 | ST0_ABNORMAL, ST1_OR, 0, d->cyl, (uint8_t)head, 1, 2);
        return;
    }
    format_ids(f, f->buf);
}

/* A non-DMA transfer's last byte went through the FIFO. */
static void pio_done(struct fdc *f)
{
    struct fdc_drive *d = &f->d[f->xfer_drive];
    if (f->xfer_op == OP_FORMAT) {
        format_ids(f, f->buf);
        return;
    }
    if (f->xfer_op == OP_WRITE)
        for (int i = 0; i < f->nsecs; i++)
            if (!sector_io(d, d->cyl, f->secs[i][0], f->secs[i][1], f->buf + i * FDC_SECTOR, true)) {
                result7(f, (uint8_t)(f->secs[i][0] << 2 | f->xfer_drive | ST0_ABNORMAL), ST1_DE,
                        ST2_DD, d->cyl, f->secs[i][0], f->secs[i][1], 2);
                return;
            }
    const uint8_t *r = f->xfer_res;
    result7(f, r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
}

/* Opcodes: the bits that must match (MT, MFM and SK are options of some). */
static const struct fdc_cmd {
    uint8_t mask, op, len;
    void (*run)(struct fdc *f);
} commands[] = {
    { 0x1F, 0x06, 9, cmd_rw },              /* READ DATA (MT, MFM, SK) */
    { 0x3F, 0x05, 9, cmd_rw },              /* WRITE DATA (MT, MFM) */
    { 0xBF, 0x0A, 2, cmd_read_id },         /* READ ID (MFM) */
    { 0xBF, 0x0D, 6, cmd_format },          /* FORMAT TRACK (MFM) */
    { 0xFF, 0x03, 3, cmd_specify },
    { 0xFF, 0x04, 2, cmd_sense_drive },
    { 0xFF, 0x07, 2, cmd_recalibrate },
    { 0xFF, 0x08, 1, cmd_sense_int },
    { 0xFF, 0x0F, 3, cmd_seek },
    { 0xFF, 0x10, 1, cmd_version },
    { 0xFF, 0x13, 4, cmd_configure },
    { 0xFF, 0x0E, 1, cmd_dumpreg },
    { 0xFF, 0x12, 2, cmd_perpendicular },
    { 0x7F, 0x14, 1, cmd_lock },
};

static const struct fdc_cmd *lookup(uint8_t b)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if ((b & commands[i].mask) == commands[i].op)
            return &commands[i];
    return NULL;
}

static void fifo_write(struct fdc *f, uint8_t v)
{
    if (f->phase == FDC_EXEC_IN) {
        f->buf[f->buf_pos++] = v;
        if (f->buf_pos >= f->buf_len)
            pio_done(f);
        return;
    }
    if (f->phase != FDC_CMD)
        return;                     /* the controller is not listening */
    f->cmd[f->cmd_pos++] = v;
    const struct fdc_cmd *c = lookup(f->cmd[0]);
    if (!c) {
        const uint8_t inv = ST0_INVALID;
        f->invalid++;
        result(f, &inv, 1, false);
        return;
    }
    if (f->cmd_pos == c->len) {
        f->commands++;
        c->run(f);
    }
}

static uint8_t fifo_read(struct fdc *f)
{
    if (f->phase == FDC_EXEC_OUT) {
        uint8_t v = f->buf[f->buf_pos++];
        if (f->buf_pos >= f->buf_len)
            pio_done(f);
        return v;
    }
    if (f->phase != FDC_RESULT)
        return 0xFF;
    set_irq(f, false);              /* reading the result clears the interrupt */
    uint8_t v = f->res[f->res_pos++];
    if (f->res_pos >= f->res_len)
        to_command(f);
    return v;
}

static uint8_t msr(const struct fdc *f)
{
    if (!(f->dor & DOR_NRESET))
        return 0;
    switch (f->phase) {
    case FDC_EXEC_OUT: return MSR_RQM | MSR_DIO | MSR_NDM | MSR_CB;
    case FDC_EXEC_IN: return MSR_RQM | MSR_NDM | MSR_CB;
    case FDC_RESULT: return MSR_RQM | MSR_DIO | MSR_CB;
    default: return (uint8_t)(MSR_RQM | (f->cmd_pos ? MSR_CB : 0));
    }
}

static void dor_write(struct fdc *f, uint8_t v)
{
    uint8_t old = f->dor;
    f->dor = v;
    if (!(v & DOR_NRESET))
        reset(f);
    else if (!(old & DOR_NRESET))
        reset_done(f);
    update_irq(f);
}

static uint32_t fdc_pio_read(void *opaque, uint16_t port, int size)
{
    struct fdc *f = opaque;
    (void)size;
    switch (port & 7) {
    case 2: return f->dor;
    case 3: return f->tdr;
    case 4: return msr(f);
    case 5: return f->dor & DOR_NRESET ? fifo_read(f) : 0xFF;
    case 7: {
        /* Only bit 7 is the FDC's: the rest of the byte belongs to the
         * IDE controller's register at the same port on real boards. */
        struct fdc_drive *d = drive_of(f, f->dor & DOR_SEL);
        return d && d->changed ? 0x80 : 0x00;
    }
    default: return 0xFF;
    }
}

static void fdc_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct fdc *f = opaque;
    uint8_t v = (uint8_t)value;
    (void)size;
    switch (port & 7) {
    case 2:
        dor_write(f, v);
        break;
    case 3:
        f->tdr = v & 3;
        break;
    case 4:                         /* DSR: data rate; bit 7 a software reset pulse */
        f->dsr = v & 0x7F;
        f->rate = v & 3;
        if (v & 0x80) {
            reset(f);
            reset_done(f);
        }
        break;
    case 5:
        if (f->dor & DOR_NRESET)
            fifo_write(f, v);
        break;
    case 7:                         /* CCR: data rate */
        f->rate = v & 3;
        break;
    }
}

static const struct device_ops fdc_ops = {
    .name = "82077AA FDC", .pio_read = fdc_pio_read, .pio_write = fdc_pio_write,
};

int fdc_init(struct fdc *f, struct vm *vm, struct io_bus *bus, struct dma8237 *dma)
{
    /* Drives may be attached before the controller comes up. */
    f->vm = vm;
    f->dma = dma;
    f->dor = DOR_NRESET | DOR_DMAGATE;  /* out of reset, as QEMU's PC starts */
    f->rate = 2;                    /* 250 kb/s after power-on */
    f->config = CONFIG_DEFAULT;
    reset(f);
    if (io_register_pio(bus, 0x3F0, 6, &fdc_ops, f) < 0 ||
        io_register_pio(bus, 0x3F7, 1, &fdc_ops, f) < 0)
        return -1;
    return 0;
}
