/*
 * tests/unit/test_atapi.c - the ATAPI CD-ROM (devices/atapi.c,
 * devices/cdrom.c) driven through the port bus as a driver drives it:
 * PACKET, the CDB through the data port, DRQ blocks cut to the byte count
 * limit, the status phase with the sense key, REQUEST SENSE; the slots
 * --cdrom and --disk share; the firmware's boot order.
 */
#include <fcntl.h>
#include <string.h>
#include "devtest.h"
#include "devices/ide.h"
#include "devices/bootorder.h"

#define SECTORS 64                  /* a 128 KiB disc */
#define BASE 0x170                  /* the secondary channel: slot 2 */
#define CTL 0x376
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DRDY 0x40

static char path[64], disk_path[64];

static void make_file(char *p, size_t bytes)
{
    strcpy(p, "/tmp/vmm-atapi-XXXXXX");
    int fd = mkstemp(p);
    cr_assert(fd >= 0);
    uint8_t sec[CD_SECTOR];
    for (size_t s = 0; s < bytes / CD_SECTOR; s++) {
        for (size_t i = 0; i < sizeof sec; i++)
            sec[i] = (uint8_t)(s * 7 + i);
        cr_assert_eq(pwrite(fd, sec, sizeof sec, s * CD_SECTOR), (ssize_t)sizeof sec);
    }
    if (bytes % CD_SECTOR)
        cr_assert_eq(pwrite(fd, sec, bytes % CD_SECTOR, bytes / CD_SECTOR * CD_SECTOR),
                     (ssize_t)(bytes % CD_SECTOR));
    close(fd);
}

static uint8_t expect_byte(uint64_t off)
{
    return (uint8_t)(off / CD_SECTOR * 7 + off % CD_SECTOR);
}

static struct vm *setup(void)
{
    char err[256];
    make_file(path, SECTORS * CD_SECTOR);
    struct vm *vm = devtest_vm();
    cr_assert_eq(ide_attach_cdrom(vm, path, err, sizeof err), 0, "%s", err);
    devtest_pic_init(vm, 0);
    outb(vm, BASE + 6, 0xA0);       /* the master */
    return vm;
}

static void teardown(struct vm *vm)
{
    devtest_free(vm);
    unlink(path);
}

static uint16_t inw(struct vm *vm, uint16_t p) { return io_pio_read(&vm->io, p, 2); }
static void outw(struct vm *vm, uint16_t p, uint16_t v) { io_pio_write(&vm->io, p, 2, v); }

/* PACKET with a byte count limit, then the CDB; the status after it. */
static uint8_t packet(struct vm *vm, const uint8_t *cdb, uint16_t limit)
{
    outb(vm, BASE + 1, 0);
    outb(vm, BASE + 4, limit);
    outb(vm, BASE + 5, limit >> 8);
    outb(vm, BASE + 7, 0xA0);
    cr_assert_eq(inb(vm, CTL) & (ST_DRQ | ST_ERR), ST_DRQ, "no DRQ for the CDB");
    cr_assert_eq(inb(vm, BASE + 2) & 3, 1, "interrupt reason: CoD, to the device");
    cr_assert_not(irq_intr_pending(vm), "no interrupt before the CDB");
    for (int i = 0; i < 12; i += 2)
        outw(vm, BASE, cdb[i] | cdb[i + 1] << 8);
    return inb(vm, CTL);
}

struct xfer {
    size_t len;
    int blocks;
    uint16_t block[64];
    uint8_t status, error;
};

/* The data-in phase block by block, each announced by IRQ15 with reason
 * IO and its length in the cylinder registers, then the status phase. */
static void data_in(struct vm *vm, uint8_t *buf, size_t max, struct xfer *x)
{
    memset(x, 0, sizeof *x);
    while (inb(vm, CTL) & ST_DRQ) {
        cr_assert(irq_intr_pending(vm));
        cr_assert_eq(irq_intr_ack(vm), 0x3F);       /* IRQ15 */
        cr_assert_eq(inb(vm, BASE + 7) & ST_DRQ, ST_DRQ);  /* Status: acknowledges INTRQ */
        cr_assert_eq(inb(vm, BASE + 2) & 3, 2, "interrupt reason: data to the host");
        uint16_t n = inb(vm, BASE + 4) | inb(vm, BASE + 5) << 8;
        cr_assert(n > 0);
        if (x->blocks < 64)
            x->block[x->blocks] = n;
        x->blocks++;
        for (uint16_t i = 0; i < n; i += 2) {
            uint16_t w = inw(vm, BASE);
            if (x->len + i < max)
                buf[x->len + i] = w;
            if (x->len + i + 1 < max && i + 1 < n)
                buf[x->len + i + 1] = w >> 8;
        }
        x->len += n;
        outb(vm, 0x20, 0x20);
        outb(vm, 0xA0, 0x20);
    }
    cr_assert(irq_intr_pending(vm), "the status phase interrupts");
    irq_intr_ack(vm);
    outb(vm, 0x20, 0x20);
    outb(vm, 0xA0, 0x20);
    cr_assert_eq(inb(vm, BASE + 2) & 3, 3, "interrupt reason: status");
    x->error = inb(vm, BASE + 1);
    x->status = inb(vm, BASE + 7);
}

static void cmd(struct vm *vm, const uint8_t *cdb, uint16_t limit, uint8_t *buf, size_t max,
                struct xfer *x)
{
    packet(vm, cdb, limit);
    data_in(vm, buf, max, x);
}

static void expect_sense(struct vm *vm, uint8_t key, uint8_t asc, uint8_t ascq)
{
    const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
    uint8_t s[18];
    struct xfer x;
    cmd(vm, rs, 0xFFFE, s, sizeof s, &x);
    cr_assert_eq(x.status & ST_ERR, 0);
    cr_assert_eq(x.len, 18);
    cr_assert_eq(s[0], 0x70, "fixed format, current error");
    cr_assert_eq(s[7], 10);
    cr_assert_eq(s[2] & 0x0F, key, "sense key %#x, expected %#x", s[2] & 0x0F, key);
    cr_assert_eq(s[12], asc, "ASC %#x, expected %#x", s[12], asc);
    cr_assert_eq(s[13], ascq);
}

/* CHECK CONDITION: ERR, the sense key in the error register, then sense. */
static void expect_check(struct vm *vm, const struct xfer *x, uint8_t key, uint8_t asc, uint8_t ascq)
{
    cr_assert_eq(x->status & (ST_ERR | ST_DRQ), ST_ERR, "status %#x", x->status);
    cr_assert_eq(x->error >> 4, key);
    expect_sense(vm, key, asc, ascq);
}

/* A command that must end in ILLEGAL REQUEST with this ASC/ASCQ. */
static void expect_illegal(struct vm *vm, const uint8_t *cdb, uint16_t limit, uint8_t asc, uint8_t ascq)
{
    struct xfer x;
    uint8_t b[64];
    cmd(vm, cdb, limit, b, sizeof b, &x);
    expect_check(vm, &x, SENSE_ILLEGAL_REQUEST, asc, ascq);
}

/* Past the power-on UNIT ATTENTION. */
static void ready(struct vm *vm)
{
    const uint8_t tur[12] = { 0 };
    struct xfer x;
    cmd(vm, tur, 0, NULL, 0, &x);
    expect_check(vm, &x, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
}

Test(atapi, signature_and_identify)
{
    struct vm *vm = setup();
    cr_assert_eq(inb(vm, BASE + 4), 0x14);
    cr_assert_eq(inb(vm, BASE + 5), 0xEB);
    outb(vm, BASE + 7, 0xEC);                   /* IDENTIFY DEVICE: not for us */
    cr_assert_eq(inb(vm, BASE + 7) & (ST_ERR | ST_DRQ), ST_ERR);
    cr_assert_eq(inb(vm, BASE + 1), 0x04);      /* ABRT */
    cr_assert_eq(inb(vm, BASE + 4), 0x14);
    cr_assert_eq(inb(vm, BASE + 5), 0xEB);
    outb(vm, BASE + 7, 0xA1);                   /* IDENTIFY PACKET DEVICE */
    cr_assert_eq(inb(vm, BASE + 7) & ST_DRQ, ST_DRQ);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(vm, BASE);
    cr_assert_eq(inb(vm, BASE + 7) & ST_DRQ, 0);
    cr_assert_eq(w[0], 0x85C0, "ATAPI, CD-ROM, removable, 12-byte CDB: %#x", w[0]);
    cr_assert_eq(w[27], 'V' << 8 | 'M');
    cr_assert_eq(w[49] & 0x0300, 0x0200, "LBA, no DMA");
    teardown(vm);
}

Test(atapi, unit_attention_once_after_power_on)
{
    struct vm *vm = setup();
    const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 }, tur[12] = { 0 };
    uint8_t b[64];
    struct xfer x;
    cmd(vm, inq, 0xFFFE, b, sizeof b, &x);      /* INQUIRY passes a unit attention */
    cr_assert_eq(x.status & ST_ERR, 0);
    cr_assert_eq(x.len, 36);
    cr_assert_eq(b[0], 0x05);
    cr_assert_eq(b[1], 0x80);
    cr_assert(memcmp(b + 8, "VMM     ", 8) == 0);
    cmd(vm, tur, 0, NULL, 0, &x);
    cr_assert_eq(x.error, SENSE_UNIT_ATTENTION << 4);
    expect_check(vm, &x, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
    cmd(vm, tur, 0, NULL, 0, &x);
    cr_assert_eq(x.status & ST_ERR, 0, "ready once reported");
    expect_sense(vm, SENSE_NONE, 0, 0);
    teardown(vm);
}

Test(atapi, read_capacity_and_read10_in_blocks_of_the_limit)
{
    struct vm *vm = setup();
    ready(vm);
    const uint8_t cap[12] = { 0x25 };
    uint8_t b[5 * CD_SECTOR];
    struct xfer x;
    cmd(vm, cap, 8, b, sizeof b, &x);
    cr_assert_eq(x.len, 8);
    cr_assert_eq(b[3], SECTORS - 1);
    cr_assert_eq(b[6] << 8 | b[7], CD_SECTOR);
    /* SeaBIOS: a limit of one sector, one DRQ block per sector */
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 7, 0, 0, 3 };
    cmd(vm, rd, CD_SECTOR, b, sizeof b, &x);
    cr_assert_eq(x.status & ST_ERR, 0);
    cr_assert_eq(x.blocks, 3);
    cr_assert_eq(x.block[0], CD_SECTOR);
    for (size_t i = 0; i < 3 * CD_SECTOR; i++)
        cr_assert_eq(b[i], expect_byte(7 * CD_SECTOR + i), "byte %zu", i);
    /* an even limit that cuts sectors: 5000, 5000, the rest */
    const uint8_t rd12[12] = { 0xA8, 0, 0, 0, 0, 2, 0, 0, 0, 5 };
    cmd(vm, rd12, 5000, b, sizeof b, &x);
    cr_assert_eq(x.blocks, 3);
    cr_assert_eq(x.block[0], 5000);
    cr_assert_eq(x.block[1], 5000);
    cr_assert_eq(x.block[2], 5 * CD_SECTOR - 10000);
    for (size_t i = 0; i < 5 * CD_SECTOR; i++)
        cr_assert_eq(b[i], expect_byte(2 * CD_SECTOR + i), "byte %zu", i);
    /* an odd limit with more to come is used one less, so blocks stay even */
    cmd(vm, rd, 4097, b, sizeof b, &x);
    cr_assert_eq(x.block[0], 4096);
    cr_assert_eq(x.len, 3 * CD_SECTOR);
    /* 0xFFFF is taken as 0xFFFE; the channel's buffer cuts further */
    const uint8_t big[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, SECTORS };
    static uint8_t all[SECTORS * CD_SECTOR];
    cmd(vm, big, 0xFFFF, all, sizeof all, &x);
    cr_assert_eq(x.len, sizeof all);
    cr_assert_eq(x.block[0] % 2, 0);
    cr_assert(x.block[0] <= 0xFFFE);
    cr_assert_eq(all[sizeof all - 1], expect_byte(sizeof all - 1));
    teardown(vm);
}

Test(atapi, lba_out_of_range_and_huge_lengths)
{
    struct vm *vm = setup();
    ready(vm);
    struct xfer x;
    static const uint8_t out_of_range[][12] = {
        { 0x28, 0, 0, 0, 0, SECTORS - 1, 0, 0, 2 },             /* one sector past the end */
        { 0xA8, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF },        /* 2^32 - 1 sectors */
        { 0xA8, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2 },        /* an LBA that wraps */
        { 0x2B, 0, 0, 0, 0, SECTORS },                          /* SEEK past the end */
    };
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++)
        expect_illegal(vm, out_of_range[i], CD_SECTOR, ASC_LBA_OUT_OF_RANGE, 0);
    cmd(vm, out_of_range[0], CD_SECTOR, NULL, 0, &x);
    cr_assert_eq(x.error & 0x04, 0x04, "ABRT with ILLEGAL REQUEST");
    expect_sense(vm, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    const uint8_t none[12] = { 0x28, 0, 0, 0, 0, SECTORS, 0, 0, 0 };  /* 0 sectors at the end */
    cmd(vm, none, CD_SECTOR, NULL, 0, &x);
    cr_assert_eq(x.status & ST_ERR, 0);
    cr_assert_eq(x.blocks, 0);
    teardown(vm);
}

Test(atapi, unknown_opcodes_and_bad_fields)
{
    struct vm *vm = setup();
    ready(vm);
    for (unsigned op = 0xF0; op <= 0xFF; op++) {
        const uint8_t c[12] = { (uint8_t)op, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
        expect_illegal(vm, c, 0xFFFE, ASC_INVALID_OPCODE, 0);
    }
    static const struct { uint8_t cdb[12], asc; } bad[] = {
        { { 0x12, 0x01, 0x80, 0, 36 }, ASC_INVALID_FIELD },             /* INQUIRY VPD */
        { { 0x43, 0, 2, 0, 0, 0, 0, 0, 0xFF }, ASC_INVALID_FIELD },     /* full TOC */
        { { 0x5A, 0, 0x05, 0, 0, 0, 0, 0, 0xFF }, ASC_INVALID_FIELD },  /* mode page 5 */
        { { 0x5A, 0, 0xEA, 0, 0, 0, 0, 0, 0xFF }, ASC_SAVING_PARAMS },  /* saved values */
        { { 0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8 }, ASC_INVALID_FIELD },     /* asynchronous events */
        { { 0x46, 0x03 }, ASC_INVALID_FIELD },                          /* GET CONFIGURATION RT 3 */
        { { 0x51, 0x01, 0, 0, 0, 0, 0, 0, 0xFF }, ASC_INVALID_FIELD },  /* track resources */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_illegal(vm, bad[i].cdb, 0xFFFE, bad[i].asc, 0);
    teardown(vm);
}

Test(atapi, allocation_length_and_byte_count_limit)
{
    struct vm *vm = setup();
    ready(vm);
    uint8_t b[64];
    struct xfer x;
    const uint8_t inq0[12] = { 0x12, 0, 0, 0, 0 };
    cmd(vm, inq0, 0xFFFE, b, sizeof b, &x);     /* allocation length 0: no data phase */
    cr_assert_eq(x.status & ST_ERR, 0);
    cr_assert_eq(x.blocks, 0);
    const uint8_t inq35[12] = { 0x12, 0, 0, 0, 35 };
    memset(b, 0xEE, sizeof b);
    cmd(vm, inq35, 0xFFFE, b, sizeof b, &x);    /* odd: one block of 35, read as 18 words */
    cr_assert_eq(x.blocks, 1);
    cr_assert_eq(x.block[0], 35);
    cr_assert_eq(b[32], '1');
    const uint8_t inq36[12] = { 0x12, 0, 0, 0, 36 };
    expect_illegal(vm, inq36, 0, ASC_INVALID_FIELD, 0);     /* a limit of 0 with data to send */
    expect_illegal(vm, inq36, 1, ASC_INVALID_FIELD, 0);     /* 1, with more than 1 byte: nothing fits */
    const uint8_t inq1[12] = { 0x12, 0, 0, 0, 1 };
    cmd(vm, inq1, 1, b, sizeof b, &x);          /* 1 byte under a limit of 1 */
    cr_assert_eq(x.len, 1);
    cr_assert_eq(b[0], 0x05);
    cmd(vm, inq36, 3, b, sizeof b, &x);         /* odd limit 3: blocks of 2 */
    cr_assert_eq(x.blocks, 18);
    cr_assert_eq(x.block[0], 2);
    cr_assert_eq(b[1], 0x80);
    teardown(vm);
}

Test(atapi, toc_mode_sense_configuration_events)
{
    struct vm *vm = setup();
    uint8_t b[256];
    struct xfer x;
    const uint8_t ev[12] = { 0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8 };
    cmd(vm, ev, 0xFFFE, b, sizeof b, &x);       /* passes the unit attention */
    cr_assert_eq(x.len, 8);
    cr_assert_eq(b[2], 0x04, "media class");
    cr_assert_eq(b[4], 0x02, "NewMedia");
    cr_assert_eq(b[5], 0x02, "present, closed");
    cmd(vm, ev, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(b[4], 0x00, "NewMedia only once");
    const uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, gc, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(b[6] << 8 | b[7], 0x0008, "current profile CD-ROM");
    cr_assert_eq(x.len, (size_t)(b[2] << 8 | b[3]) + 4);
    const uint8_t gc_one[12] = { 0x46, 0x02, 0, 0x10, 0, 0, 0, 0, 0xFF };
    cmd(vm, gc_one, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 8 + 12, "RT 2: the one feature");
    cr_assert_eq(b[8] << 8 | b[9], 0x0010);
    ready(vm);
    const uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, toc, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 20);
    cr_assert_eq(b[0] << 8 | b[1], 18);
    cr_assert_eq(b[6], 1, "track 1");
    cr_assert_eq(b[5], 0x14, "a data track");
    cr_assert_eq(b[14], 0xAA, "the lead-out");
    cr_assert_eq(b[19], SECTORS, "at the end of the disc");
    const uint8_t toc_msf[12] = { 0x43, 0x02, 0, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, toc_msf, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(b[9], 0);                      /* track 1 at 00:02:00 */
    cr_assert_eq(b[10], 2);
    cr_assert_eq(b[11], 0);
    cr_assert_eq(b[18], (SECTORS + 150) / 75 % 60);
    cr_assert_eq(b[19], (SECTORS + 150) % 75);
    const uint8_t ses[12] = { 0x43, 0, 1, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, ses, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 12);
    cr_assert_eq(b[3], 1, "one session");
    const uint8_t ms[12] = { 0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, ms, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 8 + 8 + 22);
    cr_assert_eq(b[8], 0x01);
    cr_assert_eq(b[16], 0x2A);
    const uint8_t ms_short[12] = { 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 10 };
    cmd(vm, ms_short, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 10, "cut to the allocation length");
    cr_assert_eq(b[8], 0x2A);
    const uint8_t di[12] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    cmd(vm, di, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 34);
    cr_assert_eq(b[2] & 0x03, 0x02, "a complete disc");
    const uint8_t mech[12] = { 0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
    cmd(vm, mech, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(x.len, 8);
    teardown(vm);
}

Test(atapi, lock_eject_and_load)
{
    struct vm *vm = setup();
    ready(vm);
    struct xfer x;
    const uint8_t lock[12] = { 0x1E, 0, 0, 0, 1 }, unlock[12] = { 0x1E };
    const uint8_t eject[12] = { 0x1B, 0, 0, 0, 0x02 };
    cmd(vm, lock, 0, NULL, 0, &x);
    expect_illegal(vm, eject, 0, ASC_REMOVAL_PREVENTED, 0x02);
    cmd(vm, unlock, 0, NULL, 0, &x);
    cmd(vm, eject, 0, NULL, 0, &x);
    cr_assert_eq(x.status & ST_ERR, 0);
    /* the tray is open: no disc until it is closed again */
    const uint8_t tur[12] = { 0 }, rd[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
    const uint8_t ev[12] = { 0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8 };
    const uint8_t load[12] = { 0x1B, 0, 0, 0, 0x03 };
    uint8_t b[CD_SECTOR];
    cmd(vm, tur, 0, NULL, 0, &x);
    expect_check(vm, &x, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);
    cmd(vm, rd, CD_SECTOR, b, sizeof b, &x);
    expect_check(vm, &x, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);
    cmd(vm, ev, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(b[4], 0x03, "MediaRemoval");
    cr_assert_eq(b[5], 0x01, "tray open, no disc");
    cmd(vm, load, 0, NULL, 0, &x);
    cr_assert_eq(x.status & ST_ERR, 0);
    cmd(vm, ev, 0xFFFE, b, sizeof b, &x);
    cr_assert_eq(b[4], 0x02, "NewMedia after loading");
    cr_assert_eq(b[5], 0x02);
    cmd(vm, rd, CD_SECTOR, b, sizeof b, &x);    /* a disc just inserted */
    expect_check(vm, &x, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
    cmd(vm, rd, CD_SECTOR, b, sizeof b, &x);
    cr_assert_eq(x.len, CD_SECTOR);
    cr_assert_eq(b[1], expect_byte(1));
    teardown(vm);
}

Test(atapi, dma_is_aborted_and_device_reset_shows_the_signature)
{
    struct vm *vm = setup();
    outb(vm, BASE + 1, 0x01);                   /* PACKET by DMA: no bus master */
    outb(vm, BASE + 7, 0xA0);
    cr_assert_eq(inb(vm, BASE + 7) & (ST_ERR | ST_DRQ), ST_ERR);
    cr_assert_eq(inb(vm, BASE + 1), 0x04);
    irq_intr_ack(vm);
    outb(vm, 0x20, 0x20);
    outb(vm, 0xA0, 0x20);
    outb(vm, BASE + 4, 0x55);
    outb(vm, BASE + 7, 0x08);                   /* DEVICE RESET */
    cr_assert_not(irq_intr_pending(vm));
    cr_assert_eq(inb(vm, BASE + 4), 0x14);
    cr_assert_eq(inb(vm, BASE + 5), 0xEB);
    cr_assert_eq(inb(vm, BASE + 7) & (ST_ERR | ST_DRQ), 0);
    teardown(vm);
}

/* All four drives: one disk, then the CD, then two more disks (read-only
 * views of one image), whatever order they come in. */
static struct vm *full_machine(void)
{
    char err[256];
    make_file(path, SECTORS * CD_SECTOR);
    make_file(disk_path, 1 << 20);
    struct vm *vm = devtest_vm();
    cr_assert_eq(ide_attach(vm, disk_path, true, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ide_attach_cdrom(vm, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ide_attach(vm, disk_path, true, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ide_attach(vm, disk_path, true, err, sizeof err), 0, "%s", err);
    return vm;
}

Test(atapi, disks_skip_the_cdrom_slot_and_reset_shows_each_signature)
{
    char err[256];
    struct vm *vm = full_machine();
    struct ide *ide = &platform_of(vm)->ide;
    cr_assert(!ide_slot(ide, 0)->atapi && !ide_slot(ide, 1)->atapi);
    cr_assert(ide_slot(ide, 2)->atapi, "the CD keeps the secondary master");
    cr_assert(ide_slot(ide, 3)->present && !ide_slot(ide, 3)->atapi);
    cr_assert_eq(ide_attach(vm, disk_path, true, err, sizeof err), -1);
    cr_assert(strstr(err, "at most 4"), "%s", err);
    /* SRST on the secondary: each device's signature when selected */
    outb(vm, CTL, 0x04);
    outb(vm, CTL, 0x00);
    outb(vm, BASE + 6, 0xB0);
    cr_assert_eq(inb(vm, BASE + 4), 0x00, "the slave is a disk");
    outb(vm, BASE + 6, 0xA0);
    cr_assert_eq(inb(vm, BASE + 4), 0x14, "the master is a packet device");
    cr_assert_eq(inb(vm, BASE + 5), 0xEB);
    /* the firmware's order: QEMU's letters over the slots */
    char text[512];
    bootorder_text(ide, 0, "dc", true, text, sizeof text);
    cr_assert_str_eq(text, "/pci@i0cf8/ide@1,1/drive@1/disk@0\n"
                           "/pci@i0cf8/ide@1,1/drive@0/disk@0\n"
                           "/pci@i0cf8/ide@1,1/drive@0/disk@1\n"
                           "/pci@i0cf8/ide@1,1/drive@1/disk@1\n"
                           "HALT");
    bootorder_text(ide, 0, "c", false, text, 40);  /* what does not fit is left out */
    cr_assert_str_eq(text, "/pci@i0cf8/ide@1,1/drive@0/disk@0");
    devtest_free(vm);
    unlink(path);
    unlink(disk_path);
}

Test(atapi, image_size_must_be_whole_sectors)
{
    char err[256];
    make_file(path, SECTORS * CD_SECTOR + 512);
    struct vm *vm = devtest_vm();
    cr_assert_eq(ide_attach_cdrom(vm, path, err, sizeof err), -1);
    cr_assert(strstr(err, "multiple of 2048"), "%s", err);
    cr_assert(strstr(err, path), "the message names the file: %s", err);
    devtest_free(vm);
    unlink(path);
    make_file(path, 0);
    vm = devtest_vm();
    cr_assert_eq(ide_attach_cdrom(vm, path, err, sizeof err), -1);
    cr_assert(strstr(err, "empty"), "%s", err);
    devtest_free(vm);
    unlink(path);
}

Test(atapi, selecting_the_other_device_mid_command_ends_it)
{
    struct vm *vm = full_machine();                 /* a disk is the secondary slave */
    outb(vm, BASE + 6, 0xA0);
    outb(vm, BASE + 4, 0x00);
    outb(vm, BASE + 5, 0x08);
    outb(vm, BASE + 7, 0xA0);                   /* PACKET to the CD */
    outb(vm, BASE + 6, 0xB0);                   /* then the disk is selected */
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
    for (int i = 0; i < 12; i += 2)
        outw(vm, BASE, rd[i] | rd[i + 1] << 8);
    cr_assert_eq(inb(vm, BASE + 7) & (ST_ERR | ST_DRQ), ST_ERR, "aborted, no data");
    devtest_free(vm);
    unlink(path);
    unlink(disk_path);
}
