/*
 * devices/cmos_rtc.c - RTC and CMOS (Motorola MC146818A datasheet).
 *
 * Time is not stepped: each read converts the host wall clock (plus the
 * guest's offset) to the register format.  While register B.SET is on,
 * the time registers are frozen copies the guest may overwrite; clearing
 * SET turns them back into an offset.
 */
#include <string.h>
#include <time.h>
#include "devices/cmos_rtc.h"
#include "devices/bios_data.h"
#include "cpu/host_clock.h"
#include "devices/device.h"
#include "devices/irq.h"

enum {
    R_SEC = 0, R_ASEC = 1, R_MIN = 2, R_AMIN = 3, R_HOUR = 4, R_AHOUR = 5,
    R_WDAY = 6, R_MDAY = 7, R_MON = 8, R_YEAR = 9,
    R_A = 0x0A, R_B = 0x0B, R_C = 0x0C, R_D = 0x0D, R_CENTURY = 0x32,
};
#define A_UIP  0x80
#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04     /* 1 = binary */
#define B_24H  0x02
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10
#define UIP_NS 244000ull

static void wall_now(struct timespec *ts)
{
    host_clock(CLOCK_REALTIME, ts);
}

static uint8_t enc(struct rtc *r, unsigned v)
{
    return (r->ram[R_B] & B_DM) ? v : (v / 10) << 4 | v % 10;
}

static int dec(struct rtc *r, uint8_t v)
{
    return (r->ram[R_B] & B_DM) ? v : (v >> 4) * 10 + (v & 0xF);
}

static uint8_t enc_hour(struct rtc *r, int h)
{
    if (r->ram[R_B] & B_24H)
        return enc(r, h);
    int h12 = h % 12 ? h % 12 : 12;
    return enc(r, h12) | (h >= 12 ? 0x80 : 0);
}

static int dec_hour(struct rtc *r, uint8_t v)
{
    if (r->ram[R_B] & B_24H)
        return dec(r, v);
    int h = dec(r, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Write the current guest time into the time registers. */
static void snapshot(struct rtc *r)
{
    struct timespec ts;
    wall_now(&ts);
    time_t t = ts.tv_sec + r->offset_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    r->ram[R_SEC] = enc(r, tm.tm_sec);
    r->ram[R_MIN] = enc(r, tm.tm_min);
    r->ram[R_HOUR] = enc_hour(r, tm.tm_hour);
    r->ram[R_WDAY] = enc(r, tm.tm_wday + 1);
    r->ram[R_MDAY] = enc(r, tm.tm_mday);
    r->ram[R_MON] = enc(r, tm.tm_mon + 1);
    /* The guest may set a date before year 0 (century 0, year 0, day 0):
     * the year register still counts 0..99 within the century, and the
     * century stops at 0 as a register that holds no sign must. */
    long year = tm.tm_year + 1900L, yy = (year % 100 + 100) % 100;
    r->ram[R_YEAR] = enc(r, (unsigned)yy);
    r->ram[R_CENTURY] = enc(r, year < 0 ? 0 : (unsigned)(year / 100));
}

/* The time registers become the guest's clock: keep their offset. */
static void adopt(struct rtc *r)
{
    struct tm tm = {
        .tm_sec = dec(r, r->ram[R_SEC]), .tm_min = dec(r, r->ram[R_MIN]),
        .tm_hour = dec_hour(r, r->ram[R_HOUR]), .tm_mday = dec(r, r->ram[R_MDAY]),
        .tm_mon = dec(r, r->ram[R_MON]) - 1,
        .tm_year = dec(r, r->ram[R_CENTURY]) * 100 + dec(r, r->ram[R_YEAR]) - 1900,
    };
    struct timespec ts;
    wall_now(&ts);
    r->offset_s = (int64_t)timegm(&tm) - ts.tv_sec;
}

static bool is_time_reg(int i)
{
    return i <= R_YEAR && i != R_ASEC && i != R_AMIN && i != R_AHOUR;
}

static uint64_t periodic_ns(struct rtc *r)
{
    int rs = r->ram[R_A] & 0xF;
    if (!rs || ((r->ram[R_A] >> 4) & 7) != 2)
        return 0;                   /* no rate, or the divider is not running */
    int shift = rs <= 2 ? rs + 6 : rs - 1;
    return (1000000000ull << shift) / 32768;
}

static void update_irq(struct rtc *r)
{
    uint8_t b = r->ram[R_B], c = r->ram[R_C] & 0x70;
    int level = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
                ((c & C_UF) && (b & B_UIE));
    if (level)
        r->ram[R_C] |= C_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        if (level)
            r->irqs++;
        if (r->vm)
            irq_set_level(r->vm, 8, level);
    }
}

static bool alarm_match(struct rtc *r)
{
    snapshot(r);
    static const int pairs[3][2] = { { R_ASEC, R_SEC }, { R_AMIN, R_MIN }, { R_AHOUR, R_HOUR } };
    for (int i = 0; i < 3; i++) {
        uint8_t a = r->ram[pairs[i][0]];
        if ((a & 0xC0) != 0xC0 && a != r->ram[pairs[i][1]])
            return false;           /* 0xC0-0xFF is "don't care" */
    }
    return true;
}

/* Bring the flags of register C up to now_ns. */
static void advance(struct rtc *r, uint64_t now)
{
    uint64_t per = periodic_ns(r);
    if (per && now >= r->next_periodic_ns) {
        r->ram[R_C] |= C_PF;
        r->next_periodic_ns += ((now - r->next_periodic_ns) / per + 1) * per;
    }
    if (!(r->ram[R_B] & B_SET) && now >= r->next_second_ns) {
        struct timespec ts;
        wall_now(&ts);
        r->next_second_ns = now + (1000000000ull - ts.tv_nsec);
        r->ram[R_C] |= C_UF;
        if (alarm_match(r))
            r->ram[R_C] |= C_AF;
    }
    update_irq(r);
}

static uint8_t rtc_reg_read(struct rtc *r, int i)
{
    uint64_t now = host_now_ns();
    if (is_time_reg(i) || i == R_CENTURY) {
        if (!(r->ram[R_B] & B_SET))
            snapshot(r);
        return r->ram[i];
    }
    if (i == R_A) {
        struct timespec ts;
        wall_now(&ts);
        bool uip = !(r->ram[R_B] & B_SET) && ts.tv_nsec >= 1000000000 - (long)UIP_NS;
        return (r->ram[R_A] & 0x7F) | (uip ? A_UIP : 0);
    }
    if (i == R_C) {
        advance(r, now);
        uint8_t v = r->ram[R_C];
        r->ram[R_C] = 0;            /* reading C acknowledges every flag */
        update_irq(r);
        return v;
    }
    return r->ram[i];
}

static void rtc_reg_write(struct rtc *r, int i, uint8_t v)
{
    if (is_time_reg(i) || i == R_CENTURY) {
        if (!(r->ram[R_B] & B_SET))
            snapshot(r);
        r->ram[i] = v;
        if (!(r->ram[R_B] & B_SET))
            adopt(r);
        return;
    }
    switch (i) {
    case R_A:
        r->ram[R_A] = v & 0x7F;
        r->next_periodic_ns = host_now_ns() + periodic_ns(r);
        break;
    case R_B:
        if ((v & B_SET) && !(r->ram[R_B] & B_SET)) {
            snapshot(r);
            v &= ~B_UIE;            /* SET clears UIE (datasheet) */
        }
        if (!(v & B_SET) && (r->ram[R_B] & B_SET)) {
            r->ram[R_B] = v;
            adopt(r);
        }
        if ((v & B_PIE) && !(r->ram[R_B] & B_PIE))
            r->next_periodic_ns = host_now_ns() + periodic_ns(r);
        r->ram[R_B] = v;
        update_irq(r);
        break;
    case R_C: case R_D:
        break;                      /* read-only */
    default:
        r->ram[i] = v;
    }
}

static uint32_t rtc_pio_read(void *opaque, uint16_t port, int size)
{
    struct rtc *r = opaque;
    if (port == 0x70)
        return 0xFF;                /* the index register is write-only */
    return rtc_reg_read(r, r->index);
}

static void rtc_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct rtc *r = opaque;
    if (port == 0x70) {
        r->index = value & 0x7F;
        r->nmi_masked = value & 0x80;
    } else {
        rtc_reg_write(r, r->index, value);
    }
}

static const struct device_ops rtc_ops = {
    .name = "cmos-rtc",
    .pio_read = rtc_pio_read,
    .pio_write = rtc_pio_write,
};

uint32_t rtc_seconds_of_day(struct rtc *r)
{
    struct timespec ts;
    wall_now(&ts);
    int64_t t = (int64_t)ts.tv_sec + r->offset_s;
    return (uint32_t)(((t % 86400) + 86400) % 86400);
}

uint64_t rtc_deadline(struct rtc *r)
{
    uint64_t d = UINT64_MAX;
    uint8_t b = r->ram[R_B];
    if ((b & B_PIE) && periodic_ns(r))
        d = r->next_periodic_ns;
    if ((b & (B_UIE | B_AIE)) && !(b & B_SET) && r->next_second_ns < d)
        d = r->next_second_ns;
    return d;
}

void rtc_tick(struct rtc *r, uint64_t now_ns)
{
    if (now_ns >= rtc_deadline(r))
        advance(r, now_ns);
}

static void set16(uint8_t *ram, int lo, uint64_t v)
{
    if (v > 0xFFFF)
        v = 0xFFFF;
    ram[lo] = v & 0xFF;
    ram[lo + 1] = v >> 8;
}

/* The standard checksum of bytes 0x10-0x2D, at 0x2E (high) and 0x2F. */
static void checksum(uint8_t *m)
{
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += m[i];
    m[0x2E] = sum >> 8;
    m[0x2F] = sum & 0xFF;
}

/* The memory-size bytes of the IBM AT BIOS and later BIOSes (as QEMU's
 * SeaBIOS reads them). */
static void fill_cmos(struct rtc *r, uint64_t ram_bytes)
{
    uint8_t *m = r->ram;
    m[R_A] = 0x26;                  /* 32.768 kHz divider, 1024 Hz rate */
    m[R_B] = B_24H;                 /* BCD, 24 h */
    m[R_D] = 0x80;                  /* valid RAM and time */
    m[0x14] = 0x02;                 /* equipment: FPU, VGA, no floppy (rtc_floppies()) */
    set16(m, 0x15, FW_CONV_MEM_END / 1024); /* base memory, KiB: 640 (the BDA's 639 excludes the EBDA) */
    uint64_t ext_kib = ram_bytes > (1 << 20) ? (ram_bytes - (1 << 20)) >> 10 : 0;
    set16(m, 0x17, ext_kib);        /* memory above 1 MiB, KiB (max 63 MiB) */
    set16(m, 0x30, ext_kib);
    uint64_t above16 = ram_bytes > (16 << 20) ? (ram_bytes - (16 << 20)) >> 16 : 0;
    set16(m, 0x34, above16);        /* memory above 16 MiB, 64 KiB units */
    uint64_t above4g = ram_bytes > (4ull << 30) ? (ram_bytes - (4ull << 30)) >> 16 : 0;
    m[0x5B] = above4g; m[0x5C] = above4g >> 8; m[0x5D] = above4g >> 16;
    checksum(m);
    snapshot(r);
}

void rtc_floppies(struct rtc *r, uint8_t types)
{
    uint8_t *m = r->ram;
    int n = !!(types & 0xF0) + !!(types & 0x0F);
    m[0x10] = types;
    /* Equipment byte: bit 0 floppy drives present, bits 7-6 their number - 1. */
    m[0x14] = (uint8_t)((m[0x14] & 0x3E) | (n ? 1 | (n - 1) << 6 : 0));
    checksum(m);
}

int rtc_init(struct rtc *r, struct vm *vm, struct io_bus *bus, uint64_t ram_bytes)
{
    *r = (struct rtc){ .vm = vm };
    fill_cmos(r, ram_bytes);
    uint64_t now = host_now_ns();
    r->next_periodic_ns = now + periodic_ns(r);
    struct timespec ts;
    wall_now(&ts);
    r->next_second_ns = now + (1000000000ull - ts.tv_nsec);
    return io_register_pio(bus, 0x70, 2, &rtc_ops, r);
}
