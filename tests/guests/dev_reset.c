/*
 * dev_reset - the machine reset through the keyboard controller
 * (command 0xFE pulses the CPU reset line) ends vmm with status 0.  Before
 * it, the guest writes a line on the VGA text screen (row 2, white on blue)
 * that `vmm --vga-dump` must print at exit.
 *
 * With "reboot" on the command line (guest.dev_reboot: vmm --reboot --disk
 * IMAGE --append reboot) it counts its boots in sector 0 of the primary
 * master ("boots N"): boot 1 resets through the i8042, boot 2 through the
 * PIIX reset control register 0xCF9, boot 3 passes.  vmm must boot the
 * kernel again after each reset; dev_ide.sh checks "boots 3" on the host.
 */
#include "dev_common.h"

#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01

static uint8_t ide_wait(int n)
{
    uint8_t st;
    for (uint32_t i = 0; (st = inb(0x1F7)) & ST_BSY; i++)
        CHECK(n, i < 10000000, "IDE busy");
    CHECK(n, !(st & ST_ERR), "IDE error 0x%x", inb(0x1F1));
    return st;
}

static void ide_cmd(uint8_t cmd)
{
    outb(0x3F6, 0x02);                  /* nIEN: polled */
    outb(0x1F6, 0xE0);
    outb(0x1F2, 1);
    outb(0x1F3, 0);
    outb(0x1F4, 0);
    outb(0x1F5, 0);
    outb(0x1F7, cmd);
}

/* Sector 0 says "boots N\n" (or anything else: 0 boots so far). */
static uint32_t count_boot(void)
{
    static uint8_t s[512];
    ide_cmd(0x20);
    CHECK(1, ide_wait(1) & ST_DRQ, "READ SECTORS: no data");
    asm volatile("cld; rep insw" :: "D"(s), "c"(256), "d"(0x1F0) : "memory");
    uint32_t n = 0;
    if (memcmp(s, "boots ", 6) == 0)
        for (int i = 6; s[i] >= '0' && s[i] <= '9'; i++)
            n = n * 10 + (s[i] - '0');
    n++;
    memset(s, 0, sizeof s);
    memcpy(s, "boots ", 6);
    s[6] = (uint8_t)('0' + n % 10);
    s[7] = '\n';
    ide_cmd(0x30);
    CHECK(2, ide_wait(2) & ST_DRQ, "WRITE SECTORS: no DRQ");
    asm volatile("cld; rep outsw" :: "S"(s), "c"(256), "d"(0x1F0) : "memory");
    ide_wait(3);
    ide_cmd(0xE7);                      /* FLUSH CACHE */
    ide_wait(4);
    return n;
}

static void vga_line(int row, const char *text)
{
    volatile uint16_t *vga = (volatile uint16_t *)0xB8000 + row * 80;
    for (int i = 0; text[i]; i++)
        vga[i] = 0x1F00 | (uint8_t)text[i];
}

static void i8042_reset(void)
{
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
        ;                               /* input buffer empty */
    outb(0x64, 0xFE);
}

void test_main(void)
{
    if (strcmp(dev_cmdline(), "reboot") != 0) {
        vga_line(2, "dev_reset: on the VGA text screen");
        rt_puts("dev_reset: i8042 command 0xFE\n");
        i8042_reset();
        rt_fail(10, "still running after the i8042 reset");
    }
    uint32_t n = count_boot();
    rt_printf("dev_reset: boot %u\n", n);
    if (n == 1) {
        i8042_reset();
        rt_fail(11, "still running after the i8042 reset");
    }
    if (n == 2) {
        outb(0xCF9, 0x06);              /* RCR: hard reset, reset CPU */
        rt_fail(12, "still running after the 0xCF9 reset");
    }
    CHECK_EQ(13, n, 3, "boot count");
}
