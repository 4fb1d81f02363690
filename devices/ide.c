/*
 * devices/ide.c - ATA/ATAPI-6 (T13/1410D) PIO data-in / data-out / non-data
 * protocols on the legacy ISA IDE ports.  A packet device's commands go
 * to devices/atapi.c.
 *
 * Commands complete at once: BSY is never seen.  Each DRQ block raises
 * INTRQ (unless nIEN), which a read of the status register clears.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/atapi.h"
#include "devices/ide.h"
#include "devices/image.h"
#include "devices/irq.h"
#include "devices/platform.h"

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DRDY 0x40
#define ER_ABRT 0x04
#define ER_IDNF 0x10
#define ER_UNC  0x40
#define SEL_DEV 0x10
#define SEL_LBA 0x40
#define CTL_NIEN 0x02
#define CTL_SRST 0x04

static struct ide *ide_of(struct ide_channel *c)
{
    return &platform_of(c->vm)->ide;
}

static struct ide_drive *cur(struct ide_channel *c)
{
    return &c->d[(c->select & SEL_DEV) ? 1 : 0];
}

static void set_irq(struct ide_channel *c)
{
    int level = c->intrq && !(c->devctl & CTL_NIEN);
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set_level(c->vm, c->irq, level);
    }
}

static void assert_intrq(struct ide_channel *c)
{
    c->intrq = true;
    set_irq(c);
}

struct ide_drive *ide_selected(struct ide_channel *c)
{
    return cur(c);
}

void ide_interrupt(struct ide_channel *c)
{
    assert_intrq(c);
}

static void done(struct ide_channel *c)
{
    c->status = ST_DRDY | ST_DSC;
    c->pos = c->len = 0;
    assert_intrq(c);
}

static void fail(struct ide_channel *c, uint8_t error)
{
    c->error = error;
    c->status = ST_DRDY | ST_DSC | ST_ERR;
    c->pos = c->len = 0;
    c->left = 0;
    ide_of(c)->errors++;
    assert_intrq(c);
}

void ide_abort(struct ide_channel *c)
{
    fail(c, ER_ABRT);
}

/* The signature of the selected device after reset or diagnostics: a
 * packet device's in LBA mid/high tells the host to use IDENTIFY PACKET. */
static void signature(struct ide_channel *c)
{
    bool packet = cur(c)->atapi;
    c->nsector = c->sector = 1;
    c->lcyl = packet ? 0x14 : 0;
    c->hcyl = packet ? 0xEB : 0;
    c->select &= SEL_DEV;
    c->error = 0x01;                /* diagnostics passed */
    c->status = ST_DRDY | ST_DSC;
}

void ide_signature(struct ide_channel *c)
{
    signature(c);
}

/* Starting sector from the task file; false when out of range. */
static bool task_lba(struct ide_channel *c, struct ide_drive *d, uint64_t *lba)
{
    if (c->select & SEL_LBA) {
        *lba = (uint64_t)(c->select & 0x0F) << 24 | c->hcyl << 16 | c->lcyl << 8 | c->sector;
    } else {
        unsigned cyl = c->lcyl | c->hcyl << 8, head = c->select & 0x0F;
        if (c->sector == 0 || c->sector > d->cur_spt || head >= d->cur_heads)
            return false;
        *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + c->sector - 1;
    }
    return true;
}

/* After a command the task file names the last sector reached (LBA mode). */
static void store_lba(struct ide_channel *c, uint64_t lba)
{
    if (!(c->select & SEL_LBA))
        return;
    c->sector = lba;
    c->lcyl = lba >> 8;
    c->hcyl = lba >> 16;
    c->select = (c->select & 0xF0) | ((lba >> 24) & 0x0F);
}

void ide_ata_string(uint16_t *w, int words, const char *s)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%-*s", words * 2, s);
    for (int i = 0; i < words; i++)
        w[i] = (uint8_t)tmp[2 * i] << 8 | (uint8_t)tmp[2 * i + 1];
}

static void identify(struct ide_channel *c, struct ide_drive *d)
{
    uint16_t w[256] = { 0 };
    uint32_t lba28 = d->sectors > 0x0FFFFFFF ? 0x0FFFFFFF : d->sectors;
    uint32_t chs = (uint32_t)d->cyls * d->heads * d->spt;
    w[0] = 0x0040;                  /* fixed device */
    w[1] = d->cyls; w[3] = d->heads; w[6] = d->spt;
    ide_ata_string(&w[10], 10, d->serial);
    ide_ata_string(&w[23], 4, "1.0");
    ide_ata_string(&w[27], 20, "VMM PIO ATA DISK");
    w[47] = 0x8000 | IDE_MAX_MULT;
    w[49] = 0x0200;                 /* LBA; no DMA */
    w[51] = 0x0200;                 /* PIO mode 2 timing */
    w[53] = 0x0003;                 /* words 54-58 and 64-70 valid */
    w[54] = d->cyls; w[55] = d->cur_heads; w[56] = d->cur_spt;
    w[57] = chs; w[58] = chs >> 16;
    w[59] = d->mult ? 0x0100 | d->mult : 0;
    w[60] = lba28; w[61] = lba28 >> 16;
    w[64] = 0x0003;                 /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x007E;                 /* ATA-1 .. ATA-6 */
    w[82] = 0x4020;                 /* write cache */
    w[83] = 0x5000;                 /* FLUSH CACHE */
    w[84] = 0x4000;
    w[85] = 0x0020;
    w[86] = 0x1000;
    w[87] = 0x4000;
    ide_identify_data(c, w);
}

void ide_identify_data(struct ide_channel *c, const uint16_t w[256])
{
    for (int i = 0; i < 256; i++) {
        c->buf[2 * i] = w[i];
        c->buf[2 * i + 1] = w[i] >> 8;
    }
    c->pos = 0; c->len = IDE_SECTOR; c->left = 0;
    c->status = ST_DRDY | ST_DSC | ST_DRQ;
    assert_intrq(c);
}

/* Begin the next DRQ block of a read, or finish. */
static void read_block(struct ide_channel *c)
{
    struct ide_drive *d = cur(c);
    if (!c->left) {
        done(c);
        return;
    }
    int n = c->left < (uint32_t)c->block ? (int)c->left : c->block;
    if (!image_io(d->fd, c->buf, (size_t)n * IDE_SECTOR, c->lba * IDE_SECTOR, false)) {
        store_lba(c, c->lba);
        fail(c, ER_UNC | ER_ABRT);
        return;
    }
    store_lba(c, c->lba + n - 1);
    c->lba += n;
    c->left -= n;
    c->pos = 0;
    c->len = n * IDE_SECTOR;
    c->status = ST_DRDY | ST_DSC | ST_DRQ;
    assert_intrq(c);
}

static void write_ready(struct ide_channel *c)
{
    int n = c->left < (uint32_t)c->block ? (int)c->left : c->block;
    c->pos = 0;
    c->len = n * IDE_SECTOR;
    c->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* A DRQ block of a write has been filled by the guest. */
static void write_block(struct ide_channel *c)
{
    struct ide_drive *d = cur(c);
    int n = c->len / IDE_SECTOR;
    if (!image_io(d->fd, c->buf, c->len, c->lba * IDE_SECTOR, true)) {
        store_lba(c, c->lba);
        fail(c, ER_UNC | ER_ABRT);
        return;
    }
    store_lba(c, c->lba + n - 1);
    c->lba += n;
    c->left -= n;
    if (!c->left) {
        done(c);
        return;
    }
    write_ready(c);
    assert_intrq(c);
}

static void start_rw(struct ide_channel *c, struct ide_drive *d, bool write, int block)
{
    uint64_t lba;
    uint32_t count = c->nsector ? c->nsector : 256;
    if (write && d->ro) {
        fail(c, ER_ABRT);
        return;
    }
    if (!task_lba(c, d, &lba) || lba + count > d->sectors) {
        fail(c, ER_IDNF | ER_ABRT);
        return;
    }
    c->lba = lba;
    c->left = count;
    c->block = block;
    if (write)
        write_ready(c);             /* PIO data-out: no interrupt before the first block */
    else
        read_block(c);
}

static void set_features(struct ide_channel *c)
{
    switch (c->feature) {
    case 0x02: case 0x82:           /* write cache on/off: pwrite goes through anyway */
    case 0x55: case 0xAA:           /* read look-ahead off/on */
        done(c);
        break;
    case 0x03:                      /* transfer mode: PIO default or PIO flow control */
        if ((c->nsector & 0xF8) == 0x00 || (c->nsector & 0xF8) == 0x08)
            done(c);
        else
            fail(c, ER_ABRT);       /* DMA modes are not emulated */
        break;
    default:
        fail(c, ER_ABRT);
    }
}

/* Commands that ATA and packet devices answer alike; false for others. */
static bool common_command(struct ide_channel *c, uint8_t cmd)
{
    switch (cmd) {
    case 0xEF: set_features(c); return true;
    case 0x90:                      /* EXECUTE DEVICE DIAGNOSTIC */
        signature(c);
        assert_intrq(c);
        return true;
    case 0xE5: case 0x98:           /* CHECK POWER MODE: active */
        c->nsector = 0xFF;
        done(c);
        return true;
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xE6:
    case 0x94: case 0x95: case 0x96: case 0x97: case 0x99:
        done(c);                    /* standby/idle/sleep: nothing to do */
        return true;
    }
    return false;
}

static void command(struct ide_channel *c, uint8_t cmd)
{
    struct ide_drive *d = cur(c);
    if (!d->present)
        return;                     /* commands to an absent device are ignored */
    c->cmd = cmd;
    c->error = 0;
    c->sig_pending = c->packet_out = false;
    if (common_command(c, cmd))
        return;
    if (d->atapi) {
        atapi_command(c, d, cmd);
        return;
    }
    switch (cmd) {
    case 0xEC:                      /* IDENTIFY DEVICE */
        identify(c, d);
        break;
    case 0x20: case 0x21: start_rw(c, d, false, 1); break;
    case 0x30: case 0x31: start_rw(c, d, true, 1); break;
    case 0xC4: case 0xC5:           /* READ/WRITE MULTIPLE */
        if (!d->mult)
            fail(c, ER_ABRT);
        else
            start_rw(c, d, cmd == 0xC5, d->mult);
        break;
    case 0xC6:                      /* SET MULTIPLE MODE */
        if (c->nsector > IDE_MAX_MULT || (c->nsector & (c->nsector - 1))) {
            fail(c, ER_ABRT);
        } else {
            d->mult = c->nsector;
            done(c);
        }
        break;
    case 0x40: case 0x41: {         /* READ VERIFY SECTORS */
        uint64_t lba;
        uint32_t n = c->nsector ? c->nsector : 256;
        if (!task_lba(c, d, &lba) || lba + n > d->sectors)
            fail(c, ER_IDNF | ER_ABRT);
        else
            done(c);
        break;
    }
    case 0xE7: case 0xEA:           /* FLUSH CACHE (EXT) */
        if (fsync(d->fd) < 0 && errno != EINVAL)
            fail(c, ER_ABRT);
        else
            done(c);
        break;
    case 0x91:                      /* INITIALIZE DEVICE PARAMETERS */
        if (!c->nsector) {
            fail(c, ER_ABRT);
            break;
        }
        d->cur_heads = (c->select & 0x0F) + 1;
        d->cur_spt = c->nsector;
        done(c);
        break;
    case 0x70:                      /* SEEK: nothing to wait for */
        done(c);
        break;
    default:
        if (cmd >= 0x10 && cmd <= 0x1F) {   /* RECALIBRATE */
            done(c);
            break;
        }
        ide_of(c)->unknown_cmds++;
        fail(c, ER_ABRT);           /* includes IDENTIFY PACKET: not ATAPI */
    }
}

static void data_in(struct ide_channel *c, int size, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < size && c->pos < c->len; i++)
        *v |= (uint32_t)c->buf[c->pos++] << (8 * i);
    if (c->pos == c->len && (c->status & ST_DRQ)) {
        if (c->cmd == 0xA0)
            atapi_block_done(c);
        else if (c->cmd == 0xEC || c->cmd == 0xA1 || !c->left)
            done(c);
        else
            read_block(c);
    }
}

static void data_out(struct ide_channel *c, int size, uint32_t v)
{
    for (int i = 0; i < size && c->pos < c->len; i++, v >>= 8)
        c->buf[c->pos++] = v;
    if (c->pos == c->len && (c->status & ST_DRQ)) {
        if (c->packet_out)
            atapi_packet(c);
        else
            write_block(c);
    }
}

static bool writing(struct ide_channel *c)
{
    return c->packet_out || c->cmd == 0x30 || c->cmd == 0x31 || c->cmd == 0xC5;
}

/*
 * No device on the cable: nothing drives the bus or latches the task file,
 * so every register reads 0xFF and writes are lost.  Linux's libata relies
 * on that (ata_devchk writes 0x55/0xAA to the sector count and LBA low
 * registers and reads them back); a task file that kept the values made it
 * IDENTIFY a phantom disk and wait out three timeouts (45 s) per device.
 */
static bool empty_cable(const struct ide_channel *c)
{
    return !c->d[0].present && !c->d[1].present;
}

static uint8_t status(struct ide_channel *c)
{
    if (!cur(c)->present)
        return 0x00;                /* device 0 answers for an absent device 1 */
    return c->status;
}

static uint32_t ide_read(void *opaque, uint16_t port, int size)
{
    struct ide_channel *c = opaque;
    uint32_t v;
    if (empty_cable(c))
        return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFF : 0xFF;
    if (port == c->ctl)
        return status(c);           /* alternate status: no side effect */
    switch (port - c->base) {
    case 0:
        if (!(c->status & ST_DRQ) || writing(c) || !cur(c)->present)
            return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFF : 0xFF;
        data_in(c, size, &v);
        return v;
    case 1: return cur(c)->present ? c->error : 0;
    case 2: return c->nsector;
    case 3: return c->sector;
    case 4: return c->lcyl;
    case 5: return c->hcyl;
    case 6: return c->select | 0xA0;
    default:
        v = status(c);
        c->intrq = false;           /* reading Status acknowledges INTRQ */
        set_irq(c);
        return v;
    }
}

/* Multiple mode comes up enabled with the largest block, as a BIOS leaves
 * it (and as QEMU's drive does): Linux's libata uses READ/WRITE MULTIPLE
 * only when IDENTIFY word 59 shows a current setting, one interrupt per
 * 16 sectors instead of per sector.  SET MULTIPLE MODE 0 turns it off. */
#define IDE_DEFAULT_MULT IDE_MAX_MULT

static void soft_reset(struct ide_channel *c)
{
    for (int i = 0; i < 2; i++)
        c->d[i].mult = IDE_DEFAULT_MULT;
    c->pos = c->len = 0;
    c->left = 0;
    c->intrq = false;
    c->packet_out = false;
    signature(c);
    c->sig_pending = true;
}

/* After a reset each device has put its own signature in its task file;
 * this channel keeps one, so the one of the device selected is shown
 * (Linux and SeaBIOS select each device in turn to read them), until the
 * host writes another register of the task file for a command. */
static void select_device(struct ide_channel *c, uint8_t value)
{
    bool changed = (c->select ^ value) & SEL_DEV;
    c->select = value & 0x5F;
    if (c->sig_pending && changed && cur(c)->present) {
        signature(c);
        c->select = value & 0x5F;
    }
}

static void ide_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct ide_channel *c = opaque;
    if (empty_cable(c))
        return;
    if (port == c->ctl) {
        if ((c->devctl & CTL_SRST) && !(value & CTL_SRST))
            soft_reset(c);          /* reset completes when SRST is cleared */
        c->devctl = value;
        set_irq(c);
        return;
    }
    switch (port - c->base) {
    case 0:
        if ((c->status & ST_DRQ) && writing(c))
            data_out(c, size, value);
        break;
    case 1: c->feature = value; c->sig_pending = false; break;
    case 2: c->nsector = value; c->sig_pending = false; break;
    case 3: c->sector = value; c->sig_pending = false; break;
    case 4: c->lcyl = value; c->sig_pending = false; break;
    case 5: c->hcyl = value; c->sig_pending = false; break;
    case 6: select_device(c, value); break;
    default: command(c, value); break;
    }
}

static const struct device_ops ide_ops = {
    .name = "ide",
    .pio_read = ide_read,
    .pio_write = ide_write,
};

int ide_init(struct ide *ide, struct vm *vm, struct io_bus *bus)
{
    static const uint16_t base[2] = { 0x1F0, 0x170 }, ctl[2] = { 0x3F6, 0x376 };
    static const int irq[2] = { 14, 15 };
    for (int i = 0; i < 2; i++) {
        struct ide_channel *c = &ide->ch[i];
        c->vm = vm;
        c->base = base[i];
        c->ctl = ctl[i];
        c->irq = irq[i];
        signature(c);
        if (io_register_pio(bus, base[i], 8, &ide_ops, c) < 0 ||
            io_register_pio(bus, ctl[i], 1, &ide_ops, c) < 0)
            return -1;
    }
    return 0;
}

static void geometry(struct ide_drive *d)
{
    uint64_t cyls = d->sectors / (16 * 63);
    d->heads = d->cur_heads = 16;
    d->spt = d->cur_spt = 63;
    d->cyls = cyls > 16383 ? 16383 : cyls ? cyls : 1;
}

struct ide_drive *ide_slot(struct ide *ide, int slot)
{
    return slot >= 0 && slot < IDE_SLOTS ? &ide->ch[slot / 2].d[slot % 2] : NULL;
}

static int free_slot(struct ide *ide)
{
    for (int i = 0; i < IDE_SLOTS; i++)
        if (!ide_slot(ide, i)->present)
            return i;
    return -1;
}

int ide_attach(struct vm *vm, const char *path, bool ro, char *err, size_t errlen)
{
    struct ide *ide = &platform_of(vm)->ide;
    int slot = free_slot(ide);
    if (slot < 0) {
        snprintf(err, errlen, "%s: at most 4 IDE drives (--cdrom takes the secondary master)", path);
        return -1;
    }
    uint64_t size;
    int fd = image_open(path, ro, IDE_SECTOR, &size, err, errlen);
    if (fd < 0)
        return -1;
    struct ide_drive *d = ide_slot(ide, slot);
    *d = (struct ide_drive){ .present = true, .ro = ro, .fd = fd,
                             .sectors = size / IDE_SECTOR, .mult = IDE_DEFAULT_MULT };
    snprintf(d->serial, sizeof d->serial, "VMM%05d", slot);
    geometry(d);
    ide->ndisks++;
    return 0;
}

int ide_attach_cdrom(struct vm *vm, const char *path, char *err, size_t errlen)
{
    struct ide *ide = &platform_of(vm)->ide;
    struct ide_drive *d = ide_slot(ide, IDE_CDROM_SLOT);
    if (d->present) {
        snprintf(err, errlen, "%s: the secondary master, the CD-ROM's place, is taken", path);
        return -1;
    }
    struct cdrom cd;
    if (cdrom_open(&cd, path, err, errlen) < 0)
        return -1;
    *d = (struct ide_drive){ .present = true, .ro = true, .fd = cd.fd, .atapi = true, .cd = cd };
    snprintf(d->serial, sizeof d->serial, "VMMCD%03d", IDE_CDROM_SLOT);
    ide->ndisks++;
    /* The signature a reset left, as the firmware will find it. */
    struct ide_channel *c = &ide->ch[IDE_CDROM_SLOT / 2];
    if (cur(c) == d)
        signature(c);
    return 0;
}

void ide_destroy(struct ide *ide)
{
    for (int i = 0; i < 4; i++) {
        struct ide_drive *d = &ide->ch[i / 2].d[i % 2];
        if (d->present) {
            if (d->atapi) {
                cdrom_close(&d->cd);
            } else {
                if (!d->ro)
                    fsync(d->fd);
                close(d->fd);
            }
            d->present = false;
        }
    }
    ide->ndisks = 0;
}
