/*
 * tests/unit/test_cmos_rtc.c - RTC registers as Linux's mc146818 code and
 * BIOSes read them.
 */
#include <time.h>
#include "devtest.h"

static uint8_t cmos(struct vm *vm, uint8_t idx)
{
    outb(vm, 0x70, idx);
    return inb(vm, 0x71);
}

static void cmos_w(struct vm *vm, uint8_t idx, uint8_t v)
{
    outb(vm, 0x70, idx);
    outb(vm, 0x71, v);
}

static int bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

Test(rtc, bcd_time_matches_host)
{
    struct vm *vm = devtest_vm();
    for (int tries = 0; tries < 3; tries++) {
        time_t t = time(NULL);
        uint8_t s = cmos(vm, 0), m = cmos(vm, 2), h = cmos(vm, 4);
        if (time(NULL) != t)
            continue;               /* crossed a second: read again */
        struct tm tm;
        gmtime_r(&t, &tm);
        cr_assert_eq(bcd(s), tm.tm_sec);
        cr_assert_eq(bcd(m), tm.tm_min);
        cr_assert_eq(bcd(h), tm.tm_hour);
        cr_assert_eq(bcd(cmos(vm, 9)), tm.tm_year % 100);
        cr_assert_eq(bcd(cmos(vm, 0x32)), (tm.tm_year + 1900) / 100);
        break;
    }
    devtest_free(vm);
}

Test(rtc, set_time_binary_and_12h)
{
    struct vm *vm = devtest_vm();
    cmos_w(vm, 0x0B, 0x82);                     /* SET, 24 h, BCD */
    cmos_w(vm, 0, 0x58); cmos_w(vm, 2, 0x30); cmos_w(vm, 4, 0x15);
    cmos_w(vm, 7, 0x31); cmos_w(vm, 8, 0x12); cmos_w(vm, 9, 0x99);
    cmos_w(vm, 0x32, 0x19);
    cmos_w(vm, 0x0B, 0x02);                     /* run */
    cr_assert_eq(cmos(vm, 9), 0x99);
    cr_assert_eq(cmos(vm, 8), 0x12);
    cr_assert_eq(cmos(vm, 4), 0x15);
    cmos_w(vm, 0x0B, 0x04);                     /* binary, 12 h */
    cr_assert_eq(cmos(vm, 4), 0x83);            /* 3 PM */
    cr_assert_eq(cmos(vm, 2), 30);
    cmos_w(vm, 0x0B, 0x06);                     /* binary, 24 h */
    cr_assert_eq(cmos(vm, 4), 15);
    devtest_free(vm);
}

/* 00.00.0000 (day 0 of January of year 0) is the last day of year -1:
 * the year register must still hold a year of the century, 99 (found by
 * tests/fuzz/fuzz_devices.c: the negative year was shifted into BCD). */
Test(rtc, date_before_year_zero)
{
    struct vm *vm = devtest_vm();
    cmos_w(vm, 0x0B, 0x82);                     /* SET, 24 h, BCD */
    cmos_w(vm, 7, 0x00); cmos_w(vm, 8, 0x01); cmos_w(vm, 9, 0x00);
    cmos_w(vm, 0x32, 0x00);
    cmos_w(vm, 0x0B, 0x02);                     /* run */
    cr_assert_eq(cmos(vm, 9), 0x99);
    cr_assert_eq(cmos(vm, 8), 0x12);
    cr_assert_eq(cmos(vm, 7), 0x31);
    cr_assert_eq(cmos(vm, 0x32), 0x00);
    devtest_free(vm);
}

Test(rtc, update_in_progress)
{
    struct vm *vm = devtest_vm();
    /* UIP is set for the last 244 us of each wall-clock second.  Sleep to
     * 5 ms before that window and poll through it for 10 ms: on a busy host
     * a sleep wakes up late by a millisecond or more (the poll must have
     * started by then), and one descheduled at the wrong moment only costs
     * another attempt. */
    bool seen = false;
    uint8_t before = 0;
    for (int attempt = 0; attempt < 20 && !seen; attempt++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        long to_window = 1000000000L - 5000000L - now.tv_nsec;  /* 5 ms before the second */
        if (to_window > 0)
            nanosleep(&(struct timespec){ 0, to_window }, NULL);
        uint64_t end = host_now_ns() + 10000000;                /* poll for 10 ms */
        while (host_now_ns() < end)
            if (cmos(vm, 0x0A) & 0x80) {
                seen = true;
                before = cmos(vm, 0);
                break;
            }
    }
    cr_assert(seen, "UIP never seen in 20 windows before a second boundary");
    while (cmos(vm, 0x0A) & 0x80)
        ;
    cr_assert_neq(cmos(vm, 0), before);         /* the second ticked after UIP */
    cr_assert_eq(cmos(vm, 0x0A) & 0x7F, 0x26);
    devtest_free(vm);
}

Test(rtc, periodic_interrupt_irq8)
{
    struct vm *vm = devtest_vm();
    struct rtc *r = &platform_of(vm)->rtc;
    devtest_pic_init(vm, 0);
    cmos_w(vm, 0x0A, 0x26);                     /* 1024 Hz */
    cmos_w(vm, 0x0B, 0x42);                     /* PIE */
    uint64_t d = rtc_deadline(r), now = host_now_ns();
    cr_assert(d > now && d <= now + 977000, "deadline %lld ns away", (long long)(d - now));
    rtc_tick(r, d);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x38);
    cr_assert_eq(cmos(vm, 0x0C) & 0xC0, 0xC0);  /* IRQF | PF */
    cr_assert_eq(cmos(vm, 0x0C), 0x00);         /* cleared by the read */
    cr_assert_eq(cmos(vm, 0x0D), 0x80);
    devtest_free(vm);
}

Test(rtc, memory_size_bytes)
{
    struct vm *vm = devtest_vm();               /* 16 MiB */
    cr_assert_eq(cmos(vm, 0x15) | cmos(vm, 0x16) << 8, 640);
    cr_assert_eq(cmos(vm, 0x17) | cmos(vm, 0x18) << 8, 15 * 1024);
    cr_assert_eq(cmos(vm, 0x30) | cmos(vm, 0x31) << 8, 15 * 1024);
    cr_assert_eq(cmos(vm, 0x34) | cmos(vm, 0x35) << 8, 0);
    devtest_free(vm);
}
