/*
 * tests/unit/test_ide.c - ATA PIO commands against a temporary image file,
 * checked from the host with pread(2).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "devtest.h"
#include "devices/ide.h"

#define SECTORS 2048                /* 1 MiB image */

static char path[64];

static int make_image(size_t bytes)
{
    strcpy(path, "/tmp/vmm-ide-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t sec[512];
    for (size_t s = 0; s < bytes / 512; s++) {
        memset(sec, (uint8_t)s, sizeof sec);
        memcpy(sec, &s, sizeof s);
        cr_assert_eq(pwrite(fd, sec, 512, s * 512), 512);
    }
    if (bytes % 512)
        cr_assert_eq(pwrite(fd, sec, bytes % 512, bytes / 512 * 512), (ssize_t)(bytes % 512));
    return fd;
}

static struct vm *setup(int *fd, bool ro)
{
    char err[256];
    *fd = make_image(SECTORS * 512);
    struct vm *vm = devtest_vm();
    cr_assert_eq(ide_attach(vm, path, ro, err, sizeof err), 0, "%s", err);
    devtest_pic_init(vm, 0);
    return vm;
}

static void teardown(struct vm *vm, int fd)
{
    devtest_free(vm);
    close(fd);
    unlink(path);
}

static uint16_t inw(struct vm *vm, uint16_t p) { return io_pio_read(&vm->io, p, 2); }
static void outw(struct vm *vm, uint16_t p, uint16_t v) { io_pio_write(&vm->io, p, 2, v); }

static void lba28(struct vm *vm, uint32_t lba, uint8_t count)
{
    outb(vm, 0x1F2, count);
    outb(vm, 0x1F3, lba);
    outb(vm, 0x1F4, lba >> 8);
    outb(vm, 0x1F5, lba >> 16);
    outb(vm, 0x1F6, 0xE0 | ((lba >> 24) & 0x0F));
}

Test(ide, identify)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    outb(vm, 0x1F6, 0xA0);
    cr_assert_eq(inb(vm, 0x1F7) & 0xC9, 0x40);  /* DRDY, no BSY/DRQ/ERR */
    cr_assert_eq(inb(vm, 0x1F2), 1);            /* ATA signature */
    cr_assert_eq(inb(vm, 0x1F4), 0);
    cr_assert_eq(inb(vm, 0x1F5), 0);
    outb(vm, 0x1F7, 0xEC);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x3E);       /* IRQ14 */
    cr_assert_eq(inb(vm, 0x1F7) & 0x08, 0x08);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(vm, 0x1F0);
    cr_assert_eq(inb(vm, 0x1F7) & 0x08, 0);
    cr_assert_eq(w[0] & 0x8000, 0);             /* ATA device */
    cr_assert(w[49] & 0x0200);                  /* LBA */
    cr_assert_eq(w[60] | (uint32_t)w[61] << 16, SECTORS);
    cr_assert_eq(w[47] & 0xFF, IDE_MAX_MULT);
    cr_assert_eq(w[27] >> 8, 'V');              /* model string, byte-swapped words */
    cr_assert_eq(w[27] & 0xFF, 'M');
    teardown(vm, fd);
}

Test(ide, absent_devices)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    outb(vm, 0x1F6, 0xB0);                      /* slave: not there */
    cr_assert_eq(inb(vm, 0x1F7), 0x00);
    cr_assert_eq(inb(vm, 0x177), 0xFF);         /* secondary channel empty */
    outb(vm, 0x1F7, 0xEC);
    cr_assert_not(irq_intr_pending(vm));
    teardown(vm, fd);
}

/* An empty cable latches nothing: libata's device check (write 0x55/0xAA,
 * read back) must not find a device there, and no command raises IRQ15. */
Test(ide, empty_channel_floats)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    for (int dev = 0; dev < 2; dev++) {
        outb(vm, 0x176, 0xA0 | dev << 4);
        outb(vm, 0x172, 0x55);
        outb(vm, 0x173, 0xAA);
        cr_assert_eq(inb(vm, 0x172), 0xFF);
        cr_assert_eq(inb(vm, 0x173), 0xFF);
        cr_assert_eq(inb(vm, 0x176), 0xFF);
        cr_assert_eq(inb(vm, 0x171), 0xFF);
        cr_assert_eq(inb(vm, 0x376), 0xFF);     /* alternate status */
        cr_assert_eq(inw(vm, 0x170), 0xFFFF);
    }
    outb(vm, 0x376, 0x04);                      /* SRST on and off */
    outb(vm, 0x376, 0x00);
    outb(vm, 0x177, 0xEC);
    cr_assert_eq(inb(vm, 0x177), 0xFF);
    cr_assert_not(irq_intr_pending(vm));
    /* the primary channel, with its disk, is untouched */
    outb(vm, 0x1F2, 0x55);
    cr_assert_eq(inb(vm, 0x1F2), 0x55);
    teardown(vm, fd);
}

Test(ide, read_sectors_lba)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    lba28(vm, 100, 2);
    outb(vm, 0x1F7, 0x20);
    for (int s = 0; s < 2; s++) {
        cr_assert(irq_intr_pending(vm), "no IRQ for sector %d", s);
        cr_assert_eq(irq_intr_ack(vm), 0x3E);
        outb(vm, 0xA0, 0x20);                   /* EOI the slave, then the master */
        outb(vm, 0x20, 0x20);
        cr_assert_eq(inb(vm, 0x1F7) & 0x89, 0x08);
        uint8_t buf[512], want[512];
        for (int i = 0; i < 256; i++) {
            uint16_t v = inw(vm, 0x1F0);
            buf[2 * i] = v; buf[2 * i + 1] = v >> 8;
        }
        cr_assert_eq(pread(fd, want, 512, (100 + s) * 512), 512);
        cr_assert_arr_eq(buf, want, 512);
    }
    cr_assert_eq(inb(vm, 0x1F7) & 0x89, 0x00);
    cr_assert_eq(inb(vm, 0x1F3), 101);          /* last sector transferred */
    teardown(vm, fd);
}

Test(ide, write_sectors_and_flush)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    lba28(vm, 7, 1);
    outb(vm, 0x1F7, 0x30);
    cr_assert_eq(inb(vm, 0x3F6) & 0x08, 0x08);  /* DRQ at once, no IRQ yet */
    cr_assert_not(irq_intr_pending(vm));
    for (int i = 0; i < 128; i++)               /* 32-bit PIO */
        io_pio_write(&vm->io, 0x1F0, 4, 0xC0DE0000u | i);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(inb(vm, 0x1F7) & 0x89, 0x00);
    uint32_t got[128];
    cr_assert_eq(pread(fd, got, 512, 7 * 512), 512);
    for (int i = 0; i < 128; i++)
        cr_assert_eq(got[i], 0xC0DE0000u | i);
    outb(vm, 0x1F7, 0xE7);                      /* FLUSH CACHE */
    cr_assert_eq(inb(vm, 0x1F7) & 0x01, 0);
    struct stat st;
    fstat(fd, &st);
    cr_assert_eq(st.st_size, SECTORS * 512);    /* never grown or truncated */
    teardown(vm, fd);
}

Test(ide, multiple_mode)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    outb(vm, 0x1F6, 0xA0);
    outb(vm, 0x1F7, 0xEC);                      /* IDENTIFY: word 59 */
    uint16_t id[256];
    for (int i = 0; i < 256; i++)
        id[i] = inw(vm, 0x1F0);
    irq_intr_ack(vm);
    outb(vm, 0x20, 0x20);
    cr_assert_eq(id[59], 0x0100 | IDE_MAX_MULT, "multiple mode on at power-on: 0x%x", id[59]);
    outb(vm, 0x1F2, 0);
    outb(vm, 0x1F7, 0xC6);                      /* SET MULTIPLE 0: off */
    cr_assert_eq(inb(vm, 0x1F7) & 0x01, 0);
    lba28(vm, 0, 8);
    outb(vm, 0x1F7, 0xC4);                      /* READ MULTIPLE while it is off */
    cr_assert_eq(inb(vm, 0x1F7) & 0x01, 0x01);
    cr_assert_eq(inb(vm, 0x1F1), 0x04);         /* ABRT */
    outb(vm, 0x1F2, 3);
    outb(vm, 0x1F7, 0xC6);                      /* not a power of two */
    cr_assert_eq(inb(vm, 0x1F7) & 0x01, 0x01);
    outb(vm, 0x1F2, 4);
    outb(vm, 0x1F7, 0xC6);
    cr_assert_eq(inb(vm, 0x1F7) & 0x01, 0);
    lba28(vm, 16, 8);
    outb(vm, 0x1F7, 0xC5);                      /* WRITE MULTIPLE: 2 blocks of 4 */
    for (int blk = 0; blk < 2; blk++) {
        cr_assert_eq(inb(vm, 0x3F6) & 0x08, 0x08);
        for (int i = 0; i < 4 * 256; i++)
            outw(vm, 0x1F0, 0x1111 * (blk + 1));
        inb(vm, 0x1F7);                         /* acknowledge the block IRQ */
    }
    cr_assert_eq(inb(vm, 0x1F7) & 0x89, 0);
    uint16_t w;
    cr_assert_eq(pread(fd, &w, 2, (16 + 3) * 512 + 510), 2);
    cr_assert_eq(w, 0x1111);
    cr_assert_eq(pread(fd, &w, 2, (16 + 4) * 512), 2);
    cr_assert_eq(w, 0x2222);
    cr_assert_eq(pread(fd, &w, 2, 24 * 512 + 8), 2);
    cr_assert_neq(w, 0x2222);                   /* nothing past the command */
    teardown(vm, fd);
}

Test(ide, out_of_range_and_unknown)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    lba28(vm, SECTORS - 1, 2);
    outb(vm, 0x1F7, 0x20);
    cr_assert_eq(inb(vm, 0x1F7) & 0x09, 0x01);  /* ERR, no DRQ */
    cr_assert_eq(inb(vm, 0x1F1), 0x14);         /* IDNF | ABRT */
    outb(vm, 0x1F7, 0xA1);                      /* IDENTIFY PACKET: not ATAPI */
    cr_assert_eq(inb(vm, 0x1F1), 0x04);
    outb(vm, 0x1F7, 0x77);
    cr_assert_eq(inb(vm, 0x1F1), 0x04);
    struct ide *ide = &platform_of(vm)->ide;
    cr_assert_eq(ide->errors, 3);
    cr_assert_eq(ide->unknown_cmds, 2);
    teardown(vm, fd);
}

Test(ide, chs_addressing)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    /* CHS 1/2/3 with 16 heads, 63 sectors: LBA (1*16+2)*63+2 = 1136 */
    outb(vm, 0x1F2, 1);
    outb(vm, 0x1F3, 3);
    outb(vm, 0x1F4, 1);
    outb(vm, 0x1F5, 0);
    outb(vm, 0x1F6, 0xA2);
    outb(vm, 0x1F7, 0x20);
    uint64_t first;
    uint16_t *p = (uint16_t *)&first;
    for (int i = 0; i < 4; i++)
        p[i] = inw(vm, 0x1F0);
    cr_assert_eq(first, 1136);                  /* make_image put the LBA there */
    outb(vm, 0x1F3, 0);                         /* sector 0 does not exist in CHS */
    outb(vm, 0x1F7, 0x20);
    cr_assert_eq(inb(vm, 0x1F1) & 0x10, 0x10);
    teardown(vm, fd);
}

Test(ide, read_only_image)
{
    int fd;
    struct vm *vm = setup(&fd, true);
    lba28(vm, 0, 1);
    outb(vm, 0x1F7, 0x30);
    cr_assert_eq(inb(vm, 0x1F7) & 0x09, 0x01);
    cr_assert_eq(inb(vm, 0x1F1), 0x04);
    teardown(vm, fd);
}

Test(ide, soft_reset_and_nien)
{
    int fd;
    struct vm *vm = setup(&fd, false);
    outb(vm, 0x3F6, 0x02);                      /* nIEN */
    outb(vm, 0x1F7, 0xEC);
    cr_assert_not(irq_intr_pending(vm));
    outb(vm, 0x3F6, 0x06);                      /* SRST */
    outb(vm, 0x3F6, 0x00);
    cr_assert_eq(inb(vm, 0x1F7) & 0xC9, 0x40);
    cr_assert_eq(inb(vm, 0x1F1), 0x01);         /* diagnostic code */
    cr_assert_eq(inb(vm, 0x1F2), 1);
    teardown(vm, fd);
}

Test(ide, bad_images)
{
    char err[256];
    struct vm *vm = devtest_vm();
    int fd = make_image(1000);                  /* odd size */
    cr_assert_eq(ide_attach(vm, path, false, err, sizeof err), -1);
    cr_assert(strstr(err, "multiple of 512"), "%s", err);
    close(fd);
    unlink(path);
    fd = make_image(0);
    cr_assert_eq(ide_attach(vm, path, false, err, sizeof err), -1);
    cr_assert(strstr(err, "empty"), "%s", err);
    close(fd);
    unlink(path);
    cr_assert_eq(ide_attach(vm, "/nonexistent/disk.img", false, err, sizeof err), -1);
    cr_assert(strstr(err, "No such file"), "%s", err);
    if (geteuid() != 0) {
        fd = make_image(4096);
        chmod(path, 0444);
        cr_assert_eq(ide_attach(vm, path, false, err, sizeof err), -1);
        cr_assert(strstr(err, ",ro"), "%s", err);
        cr_assert_eq(ide_attach(vm, path, true, err, sizeof err), 0, "%s", err);
        close(fd);
        unlink(path);
    }
    devtest_free(vm);
}

Test(ide, image_locked_against_second_writer)
{
    char err[256];
    int fd = make_image(4096);
    struct vm *a = devtest_vm();
    cr_assert_eq(ide_attach(a, path, false, err, sizeof err), 0, "%s", err);
    struct vm *b = devtest_vm();
    cr_assert_eq(ide_attach(b, path, false, err, sizeof err), -1);
    cr_assert(strstr(err, "locked"), "%s", err);
    devtest_free(b);
    devtest_free(a);
    close(fd);
    unlink(path);
}
