/*
 * dev_ide - the primary master IDE disk (ATA PIO), attached with
 * `vmm --disk dev_ide.img`; dev_ide.sh makes the image and checks it from
 * the host after the run.
 *
 * The image: 2048 sectors (1 MiB); sector n holds n in decimal, zero-padded
 * to 511 digits, and a newline.  The guest
 *   - IDENTIFY DEVICE: model "VMM PIO ATA DISK", LBA supported, LBA28
 *     capacity 2048 sectors;
 *   - READ SECTORS of sectors 5-7, compared with the pattern;
 *   - WRITE SECTORS of 100-101 and of the last sector, 2047, with the
 *     pattern of n + 500000, then FLUSH CACHE, and reads them back (the host
 *     checks the file: dev_ide.sh check);
 *   - a read past the end (2047 + 2 sectors, and 2048) ends with ERR and
 *     error IDNF|ABRT (0x14), an unknown command with ERR and ABRT (0x04),
 *     as docs/devices.md says;
 *   - a read with nIEN clear raises IRQ14 (slave 8259, vector 0x2E);
 *   - code written to sector 200 (not checked by dev_ide.sh) and read back
 *     by REP INSW into a page whose old code has just run (and so been
 *     translated): the call that follows runs the code from the disk, as
 *     the processor would after any write to the page (SDM vol. 3A 11.6).
 */
#include "dev_common.h"

#define DATA 0x1F0
#define ERROR 0x1F1
#define NSECT 0x1F2
#define LBA0 0x1F3
#define LBA1 0x1F4
#define LBA2 0x1F5
#define SELECT 0x1F6
#define STATUS 0x1F7
#define CMD 0x1F7
#define DEVCTL 0x3F6

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_DRDY 0x40
#define ST_BSY 0x80

#define SECTORS 2048
#define WRITE_BIAS 500000
#define IRQ14_VEC (PIC_VEC_SLAVE + 6)

static uint16_t buf[256];
static volatile uint32_t irqs;

/* Sector n of the pattern: n zero-padded to 511 digits, then '\n'. */
static void pattern(uint32_t n, uint8_t *b)
{
    for (int i = 510; i >= 0; i--, n /= 10)
        b[i] = (uint8_t)('0' + n % 10);
    b[511] = '\n';
}

static uint8_t wait_ready(int n)
{
    uint8_t st;
    for (uint32_t i = 0; (st = inb(STATUS)) & ST_BSY; i++)
        CHECK(n, i < 10000000, "drive stays busy (status 0x%x)", st);
    return st;
}

static void command(uint8_t cmd, uint32_t lba, uint8_t count)
{
    outb(SELECT, 0xE0 | ((lba >> 24) & 0x0F));   /* master, LBA */
    outb(NSECT, count);
    outb(LBA0, lba & 0xFF);
    outb(LBA1, (lba >> 8) & 0xFF);
    outb(LBA2, (lba >> 16) & 0xFF);
    outb(CMD, cmd);
}

static void read_block(int n, void *dst)
{
    uint8_t st = wait_ready(n);
    CHECK(n, (st & (ST_DRQ | ST_ERR)) == ST_DRQ, "no data to read: status 0x%x error 0x%x",
          st, inb(ERROR));
    asm volatile("cld; rep insw" : "+D"(dst), "=c"((int){0}) : "d"(DATA), "1"(256) : "memory");
}

static void write_block(int n, const void *src)
{
    uint8_t st = wait_ready(n);
    CHECK(n, (st & (ST_DRQ | ST_ERR)) == ST_DRQ, "drive wants no data: status 0x%x error 0x%x",
          st, inb(ERROR));
    asm volatile("cld; rep outsw" : "+S"(src), "=c"((int){0}) : "d"(DATA), "1"(256) : "memory");
}

static void check_sector(int n, uint32_t lba, uint32_t value)
{
    uint8_t want[512];
    pattern(value, want);
    CHECK(n, memcmp(buf, want, 512) == 0, "sector %u does not hold the pattern of %u: '%c%c%c...%c'",
          lba, value, ((char *)buf)[500], ((char *)buf)[501], ((char *)buf)[502],
          ((char *)buf)[510]);
}

static void identify(void)
{
    command(0xEC, 0, 0);
    read_block(1, buf);
    char model[41];
    for (int i = 0; i < 20; i++) {             /* ATA strings: two bytes per word, swapped */
        model[2 * i] = (char)(buf[27 + i] >> 8);
        model[2 * i + 1] = (char)(buf[27 + i] & 0xFF);
    }
    int len = 40;
    while (len > 0 && model[len - 1] == ' ')
        len--;
    model[len] = '\0';
    rt_printf("dev_ide: model \"%s\", %u sectors\n", model, buf[60] | (uint32_t)buf[61] << 16);
    CHECK(2, strcmp(model, "VMM PIO ATA DISK") == 0, "model \"%s\"", model);
    CHECK(3, buf[49] & (1u << 9), "IDENTIFY word 49: LBA not supported (0x%x)", buf[49]);
    CHECK_EQ(4, buf[60] | (uint32_t)buf[61] << 16, SECTORS, "LBA28 capacity (words 60-61)");
    CHECK_EQ(5, wait_ready(5) & (ST_DRQ | ST_ERR | ST_DRDY), ST_DRDY, "status after IDENTIFY");
}

static void read_known(void)
{
    command(0x20, 5, 3);
    for (uint32_t s = 5; s < 8; s++) {
        read_block(10, buf);
        check_sector(11, s, s);
    }
    CHECK_EQ(12, wait_ready(12) & (ST_DRQ | ST_ERR), 0, "status after READ SECTORS");
}

static void write_and_flush(uint32_t lba, uint8_t count)
{
    uint8_t b[512];
    command(0x30, lba, count);
    for (uint32_t s = lba; s < lba + count; s++) {
        pattern(s + WRITE_BIAS, b);
        write_block(20, b);
    }
    CHECK_EQ(21, wait_ready(21) & (ST_DRQ | ST_ERR | ST_DF), 0, "status after WRITE SECTORS");
    command(0xE7, 0, 0);                        /* FLUSH CACHE */
    CHECK_EQ(22, wait_ready(22) & (ST_DRQ | ST_ERR | ST_DF | ST_DRDY), ST_DRDY,
             "status after FLUSH CACHE");
    command(0x20, lba, count);
    for (uint32_t s = lba; s < lba + count; s++) {
        read_block(23, buf);
        check_sector(24, s, s + WRITE_BIAS);
    }
}

static void expect_error(int n, uint8_t cmd, uint32_t lba, uint8_t count, uint8_t error)
{
    command(cmd, lba, count);
    uint8_t st = wait_ready(n);
    CHECK(n, (st & (ST_ERR | ST_DRQ)) == ST_ERR, "command 0x%x at %u+%u: status 0x%x, want ERR",
          cmd, lba, count, st);
    CHECK_EQ(n + 1, inb(ERROR), error, "error register");
}

#define CODE_LBA 200

static uint8_t code_page[4096] __attribute__((aligned(4096)));

/* mov eax, v ; ret at p */
static void put_fn(uint8_t *p, uint32_t v)
{
    p[0] = 0xB8;
    memcpy(p + 1, &v, 4);
    p[5] = 0xC3;
}

static uint32_t run_code_page(void)
{
    return ((uint32_t (*)(void))code_page)();
}

static void read_code(void)
{
    uint8_t b[512];
    memset(b, 0xCC, sizeof b);
    put_fn(b, 0xD15C0001u);
    command(0x30, CODE_LBA, 1);
    write_block(50, b);
    CHECK_EQ(51, wait_ready(51) & (ST_DRQ | ST_ERR | ST_DF), 0, "status after writing the code");
    put_fn(code_page, 0x3E3E0001u);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(52, run_code_page(), 0x3E3E0001u, "the code in memory");
    command(0x20, CODE_LBA, 1);
    read_block(53, code_page);
    CHECK_EQ(54, run_code_page(), 0xD15C0001u, "the code read from the disk into the page");
}

static void ide_irq(struct trap_frame *f)
{
    (void)f;
    irqs++;
    inb(STATUS);                                /* reading Status clears INTRQ */
    pic_eoi(14);
}

static void read_with_irq(void)
{
    dev_irq_init();
    dev_handlers[IRQ14_VEC] = ide_irq;
    pic_setup(0xBFFF);                          /* IRQ14 (and the cascade) */
    outb(DEVCTL, 0x00);                         /* nIEN clear: INTRQ enabled */
    command(0x20, 9, 1);
    uint64_t t0 = rdtsc();
    while (!irqs) {
        sti_hlt();
        cli();
        CHECK(40, rdtsc() - t0 < TSC_HZ, "no IRQ14 for a second");
    }
    read_block(41, buf);
    check_sector(42, 9, 9);
    CHECK_EQ(43, irqs, 1, "IRQ14 count for one sector");
}

void test_main(void)
{
    outb(DEVCTL, 0x02);                         /* nIEN: polled */
    outb(SELECT, 0xE0);
    CHECK(0 + 6, (inb(STATUS) & (ST_BSY | ST_DRDY)) == ST_DRDY,
          "primary master not ready: status 0x%x (is --disk given?)", inb(STATUS));
    identify();
    read_known();
    write_and_flush(100, 2);
    write_and_flush(SECTORS - 1, 1);
    expect_error(30, 0x20, SECTORS - 1, 2, 0x14);   /* IDNF | ABRT */
    expect_error(32, 0x20, SECTORS, 1, 0x14);
    expect_error(34, 0x30, SECTORS, 1, 0x14);
    expect_error(36, 0xFF, 0, 1, 0x04);             /* unknown command: ABRT */
    read_code();
    read_with_irq();
    rt_puts("dev_ide: read, write, flush, errors and code read into translated code ok\n");
}
