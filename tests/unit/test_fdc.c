/*
 * tests/unit/test_fdc.c - the floppy controller through its ports, with a
 * 1.44 MB image made here (each sector starts with its LBA and is filled
 * with its low byte), DMA channel 2 into guest RAM, and PIO.
 */
#include <fcntl.h>
#include <string.h>
#include "devtest.h"
#include "devices/fdc.h"
#include "devices/dma8237.h"
#include "devices/bootorder.h"

#define IMG 1474560
#define SPT 18
static char path[64];

static struct vm *setup(bool ro)
{
    char err[256];
    strcpy(path, "/tmp/vmm-fdc-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t sec[512];
    for (uint32_t s = 0; s < IMG / 512; s++) {
        memset(sec, (uint8_t)s, sizeof sec);
        memcpy(sec, &s, sizeof s);
        cr_assert_eq(pwrite(fd, sec, 512, s * 512), 512);
    }
    close(fd);
    struct vm *vm = devtest_vm();
    cr_assert_eq(fdc_attach(&platform_of(vm)->fdc, 0, path, ro, err, sizeof err), 0, "%s", err);
    devtest_pic_init(vm, 0);
    outb(vm, 0xDE, 0);                  /* the cascade open, as the BIOS leaves it */
    return vm;
}

static void teardown(struct vm *vm)
{
    devtest_free(vm);
    unlink(path);
}

static uint32_t lba_of(int c, int h, int r) { return (uint32_t)((c * 2 + h) * SPT + r - 1); }

static void cmd(struct vm *vm, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(inb(vm, 0x3F4) & 0xC0, 0x80, "RQM, host to FDC before byte %d", i);
        outb(vm, 0x3F5, b[i]);
    }
}

static int results(struct vm *vm, uint8_t *r)
{
    int n = 0;
    while ((inb(vm, 0x3F4) & 0xD0) == 0xD0 && n < 16)
        r[n++] = inb(vm, 0x3F5);
    return n;
}

static bool irq6(struct vm *vm) { return platform_of(vm)->pic.c[0].lines & 0x40; }

static void dma2(struct vm *vm, uint8_t mode, uint32_t addr, uint32_t len)
{
    outb(vm, 0x0A, 0x06);
    outb(vm, 0x0C, 0);
    outb(vm, 0x04, addr & 0xFF); outb(vm, 0x04, addr >> 8 & 0xFF);
    outb(vm, 0x0C, 0);
    outb(vm, 0x05, (len - 1) & 0xFF); outb(vm, 0x05, (len - 1) >> 8 & 0xFF);
    outb(vm, 0x0B, mode);
    outb(vm, 0x81, addr >> 16);
    outb(vm, 0x0A, 0x02);
}

/* READ or WRITE DATA (MT, MFM) of drive 0: C, H, R, N, EOT. */
static int rw(struct vm *vm, uint8_t op, int c, int h, int r, int n, int eot, uint8_t *res)
{
    const uint8_t b[9] = { op, (uint8_t)(h << 2), (uint8_t)c, (uint8_t)h, (uint8_t)r, (uint8_t)n,
                           (uint8_t)eot, 0x1B, 0xFF };
    cmd(vm, b, 9);
    return results(vm, res);
}

static void specify(struct vm *vm, bool pio)
{
    const uint8_t b[3] = { 0x03, 0xAF, (uint8_t)(pio ? 0x03 : 0x02) };
    cmd(vm, b, 3);
    cr_assert_eq(inb(vm, 0x3F4), 0x80, "no result phase");
}

Test(fdc, reset_four_sense_interrupts)
{
    struct vm *vm = setup(false);
    outb(vm, 0x3F2, 0x00);
    cr_assert_eq(inb(vm, 0x3F4), 0x00, "held in reset");
    outb(vm, 0x3F2, 0x0C);
    cr_assert(irq6(vm), "IRQ 6 after reset (polling)");
    uint8_t r[16];
    for (int i = 0; i < 4; i++) {
        const uint8_t s = 0x08;
        cmd(vm, &s, 1);
        cr_assert_eq(results(vm, r), 2);
        cr_assert_eq(r[0], 0xC0 | i, "ST0 of drive %d", i);
        cr_assert_eq(r[1], 0);
    }
    const uint8_t s = 0x08;
    cmd(vm, &s, 1);
    cr_assert_eq(results(vm, r), 1, "a fifth: invalid");
    cr_assert_eq(r[0], 0x80);
    teardown(vm);
}

Test(fdc, version_configure_dumpreg_lock_invalid)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    const uint8_t v = 0x10;
    cmd(vm, &v, 1);
    cr_assert_eq(results(vm, r), 1);
    cr_assert_eq(r[0], 0x90);
    const uint8_t cf[4] = { 0x13, 0x00, 0x57, 0x03 };
    cmd(vm, cf, 4);
    specify(vm, false);
    const uint8_t lk = 0x94;
    cmd(vm, &lk, 1);
    cr_assert_eq(results(vm, r), 1);
    cr_assert_eq(r[0], 0x10);
    const uint8_t dr = 0x0E;
    cmd(vm, &dr, 1);
    cr_assert_eq(results(vm, r), 10);
    cr_assert_eq(r[4], 0xAF);
    cr_assert_eq(r[7] & 0x80, 0x80, "LOCK");
    cr_assert_eq(r[8], 0x57);
    cr_assert_eq(r[9], 0x03);
    /* Locked: a reset keeps CONFIGURE's values. */
    outb(vm, 0x3F4, 0x80);
    for (int i = 0; i < 4; i++) {
        const uint8_t s = 0x08;
        cmd(vm, &s, 1);
        results(vm, r);
    }
    cmd(vm, &dr, 1);
    cr_assert_eq(results(vm, r), 10);
    cr_assert_eq(r[8], 0x57);
    const uint8_t bad = 0x1F;
    cmd(vm, &bad, 1);
    cr_assert_eq(results(vm, r), 1);
    cr_assert_eq(r[0], 0x80, "invalid command");
    cr_assert_not(irq6(vm));
    teardown(vm);
}

Test(fdc, recalibrate_seek_sense_drive)
{
    struct vm *vm = setup(true);
    uint8_t r[16];
    cr_assert_eq(inb(vm, 0x3F7) & 0x80, 0x80, "disk changed at power-on");
    const uint8_t sk[3] = { 0x0F, 0x04, 40 };
    cmd(vm, sk, 3);
    cr_assert(irq6(vm));
    const uint8_t s = 0x08;
    cmd(vm, &s, 1);
    cr_assert_eq(results(vm, r), 2);
    cr_assert_eq(r[0], 0x24, "seek end, head 1, drive 0");
    cr_assert_eq(r[1], 40);
    cr_assert_eq(inb(vm, 0x3F7) & 0x80, 0, "the step cleared disk change");
    const uint8_t sd[2] = { 0x04, 0x00 };
    cmd(vm, sd, 2);
    cr_assert_eq(results(vm, r), 1);
    cr_assert_eq(r[0], 0x40 | 0x20 | 0x08, "write-protected, ready, two-sided, not track 0");
    const uint8_t rc[2] = { 0x07, 0x00 };
    cmd(vm, rc, 2);
    cmd(vm, &s, 1);
    cr_assert_eq(results(vm, r), 2);
    cr_assert_eq(r[0], 0x20);
    cr_assert_eq(r[1], 0);
    /* Drive 1 is not there: recalibrate ends with equipment check. */
    const uint8_t rc1[2] = { 0x07, 0x01 };
    cmd(vm, rc1, 2);
    cmd(vm, &s, 1);
    cr_assert_eq(results(vm, r), 2);
    cr_assert_eq(r[0], 0x71);
    teardown(vm);
}

Test(fdc, read_data_dma_multitrack)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    specify(vm, false);
    outb(vm, 0x3F7, 0x00);              /* 500 kb/s: the 1.44 MB rate */
    /* Cylinder 3, head 0, sectors 17-18 then head 1 sectors 1-2 (MT). */
    dma2(vm, 0x46, 0x20000, 4 * 512);
    cr_assert_eq(rw(vm, 0xE6, 3, 0, 17, 2, 18, r), 7);
    cr_assert_eq(r[0], 0x04, "normal termination, ended on head 1");
    cr_assert_eq(r[1], 0);
    cr_assert_eq(r[3], 3); cr_assert_eq(r[4], 1); cr_assert_eq(r[5], 3, "next sector: 3 of head 1");
    uint32_t l;
    memcpy(&l, vm->mem.ram + 0x20000, 4); cr_assert_eq(l, lba_of(3, 0, 17));
    memcpy(&l, vm->mem.ram + 0x20000 + 1024, 4); cr_assert_eq(l, lba_of(3, 1, 1));
    memcpy(&l, vm->mem.ram + 0x20000 + 1536, 4); cr_assert_eq(l, lba_of(3, 1, 2));
    cr_assert_eq(vm->mem.ram[0x20000 + 2048], 0, "nothing past the DMA count");
    teardown(vm);
}

Test(fdc, read_data_pio)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    specify(vm, true);
    outb(vm, 0x3F7, 0x00);
    const uint8_t b[9] = { 0x46, 0x00, 79, 0, 18, 2, 18, 0x1B, 0xFF };
    cmd(vm, b, 9);
    cr_assert_eq(inb(vm, 0x3F4), 0xF0, "non-DMA execution, data to the host");
    uint8_t sec[512];
    for (int i = 0; i < 512; i++)
        sec[i] = inb(vm, 0x3F5);
    uint32_t l;
    memcpy(&l, sec, 4);
    cr_assert_eq(l, lba_of(79, 0, 18));
    cr_assert_eq(results(vm, r), 7);
    cr_assert_eq(r[0], 0x00);
    cr_assert_eq(r[3], 80, "past EOT without MT: next cylinder");
    teardown(vm);
}

Test(fdc, write_data_dma_and_readonly)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    specify(vm, false);
    outb(vm, 0x3F7, 0x00);
    memset(vm->mem.ram + 0x30000, 0xC3, 1024);
    dma2(vm, 0x4A, 0x30000, 1024);
    cr_assert_eq(rw(vm, 0xC5, 10, 1, 5, 2, 6, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0, "ST0 %02x ST1 %02x", r[0], r[1]);
    int fd = open(path, O_RDONLY);
    uint8_t sec[512];
    cr_assert_eq(pread(fd, sec, 512, (off_t)lba_of(10, 1, 6) * 512), 512);
    cr_assert_eq(sec[0], 0xC3);
    cr_assert_eq(sec[511], 0xC3);
    cr_assert_eq(pread(fd, sec, 512, (off_t)lba_of(10, 1, 7) * 512), 512);
    cr_assert_neq(sec[4], 0xC3, "the next sector untouched");
    close(fd);
    teardown(vm);

    vm = setup(true);
    specify(vm, false);
    outb(vm, 0x3F7, 0x00);
    dma2(vm, 0x4A, 0x30000, 512);
    cr_assert_eq(rw(vm, 0xC5, 0, 0, 1, 2, 1, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40);
    cr_assert_eq(r[1], 0x02, "NOT WRITABLE");
    fd = open(path, O_RDONLY);
    cr_assert_eq(pread(fd, sec, 512, 0), 512);
    cr_assert_eq(sec[4], 0, "image unchanged");
    close(fd);
    teardown(vm);
}

Test(fdc, hostile_values)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    specify(vm, false);
    outb(vm, 0x3F7, 0x00);
    dma2(vm, 0x46, 0x20000, 512);
    cr_assert_eq(rw(vm, 0xE6, 0, 0, 0, 2, 18, r), 7, "sector 0");
    cr_assert_eq(r[0] & 0xC0, 0x40); cr_assert_eq(r[1], 0x04);
    cr_assert_eq(rw(vm, 0xE6, 0, 0, 1, 3, 18, r), 7, "N = 3");
    cr_assert_eq(r[1], 0x04);
    cr_assert_eq(rw(vm, 0xE6, 0, 0, 19, 2, 19, r), 7, "sector past the track");
    cr_assert_eq(r[1], 0x04);
    cr_assert_eq(rw(vm, 0xE6, 200, 0, 1, 2, 18, r), 7, "cylinder past the disk");
    cr_assert_eq(r[0] & 0xC0, 0x40); cr_assert_eq(r[1], 0x01);
    outb(vm, 0x3F7, 0x02);              /* 250 kb/s: a 720K rate */
    cr_assert_eq(rw(vm, 0xE6, 0, 0, 1, 2, 1, r), 7, "wrong data rate");
    cr_assert_eq(r[1], 0x01);
    outb(vm, 0x3F7, 0x00);
    /* EOT beyond the track: 18 sectors move, then sector 19 is not found. */
    dma2(vm, 0x46, 0x20000, 0x10000 - 1);
    cr_assert_eq(rw(vm, 0x46, 1, 0, 17, 2, 40, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40); cr_assert_eq(r[1], 0x04); cr_assert_eq(r[5], 19);
    uint32_t l;
    memcpy(&l, vm->mem.ram + 0x20000 + 512, 4); cr_assert_eq(l, lba_of(1, 0, 18));
    /* DMA count larger than the transfer: EOT reached without TC. */
    dma2(vm, 0x46, 0x20000, 4096);
    cr_assert_eq(rw(vm, 0x46, 1, 0, 1, 2, 2, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40); cr_assert_eq(r[1], 0x80, "end of cylinder");
    /* Smaller: TC in the first sector ends the command normally. */
    memset(vm->mem.ram + 0x40000, 0, 1024);
    dma2(vm, 0x46, 0x40000, 100);
    cr_assert_eq(rw(vm, 0x46, 2, 0, 1, 2, 18, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0); cr_assert_eq(r[5], 2);
    cr_assert_eq(vm->mem.ram[0x40000 + 99], (uint8_t)lba_of(2, 0, 1));
    cr_assert_eq(vm->mem.ram[0x40000 + 100], 0);
    /* DMA masked: overrun. */
    outb(vm, 0x0A, 0x06);
    cr_assert_eq(rw(vm, 0x46, 0, 0, 1, 2, 1, r), 7);
    cr_assert_eq(r[1], 0x10);
    /* No drive 1. */
    const uint8_t b[9] = { 0x46, 0x01, 0, 0, 1, 2, 1, 0x1B, 0xFF };
    cmd(vm, b, 9);
    cr_assert_eq(results(vm, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0x40);
    teardown(vm);
}

Test(fdc, read_id_and_format)
{
    struct vm *vm = setup(false);
    uint8_t r[16];
    specify(vm, false);
    outb(vm, 0x3F7, 0x00);
    const uint8_t sk[3] = { 0x0F, 0x00, 5 };
    cmd(vm, sk, 3);
    const uint8_t s = 0x08;
    cmd(vm, &s, 1);
    results(vm, r);
    const uint8_t id[2] = { 0x4A, 0x04 };
    cmd(vm, id, 2);
    cr_assert_eq(results(vm, r), 7);
    cr_assert_eq(r[0], 0x04); cr_assert_eq(r[3], 5); cr_assert_eq(r[4], 1); cr_assert_eq(r[6], 2);
    /* FORMAT TRACK cylinder 5 head 1 with 0xE5 through DMA. */
    for (int i = 0; i < SPT; i++) {
        uint8_t *p = vm->mem.ram + 0x50000 + 4 * i;
        p[0] = 5, p[1] = 1, p[2] = (uint8_t)(i + 1), p[3] = 2;
    }
    dma2(vm, 0x4A, 0x50000, 4 * SPT);
    const uint8_t fm[6] = { 0x4D, 0x04, 2, SPT, 0x54, 0xE5 };
    cmd(vm, fm, 6);
    cr_assert_eq(results(vm, r), 7);
    cr_assert_eq(r[0] & 0xC0, 0, "ST0 %02x ST1 %02x", r[0], r[1]);
    int fd = open(path, O_RDONLY);
    uint8_t sec[512];
    cr_assert_eq(pread(fd, sec, 512, (off_t)lba_of(5, 1, 18) * 512), 512);
    cr_assert_eq(sec[0], 0xE5);
    close(fd);
    teardown(vm);
}

Test(fdc, cmos_types_and_bootorder)
{
    struct vm *vm = setup(false);
    struct platform *p = platform_of(vm);
    cr_assert_eq(fdc_cmos_types(&p->fdc), 0x40, "1.44 MB drive A");
    rtc_floppies(&p->rtc, fdc_cmos_types(&p->fdc));
    outb(vm, 0x70, 0x10);
    cr_assert_eq(inb(vm, 0x71), 0x40);
    outb(vm, 0x70, 0x14);
    cr_assert_eq(inb(vm, 0x71) & 0xC1, 0x01, "equipment: one floppy drive");
    char text[256];
    bootorder_text(&p->ide, 0x40, "cad", false, text, sizeof text);
    cr_assert_str_eq(text, "/pci@i0cf8/isa@1/fdc@03f0/floppy@0");
    bootorder_text(&p->ide, 0x40, "b", false, text, sizeof text);
    cr_assert_str_eq(text, "", "no drive B");
    /* Sizes that are no floppy format are refused with the file named. */
    char err[256];
    cr_assert_eq(fdc_attach(&p->fdc, 0, path, false, err, sizeof err), -1, "drive A taken");
    char odd[64] = "/tmp/vmm-fdc-odd-XXXXXX";
    int fd = mkstemp(odd);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, 1474560 - 512), 0);
    close(fd);
    cr_assert_eq(fdc_attach(&p->fdc, 1, odd, false, err, sizeof err), -1);
    cr_assert(strstr(err, odd) && strstr(err, "no floppy format"), "%s", err);
    unlink(odd);
    teardown(vm);
}
