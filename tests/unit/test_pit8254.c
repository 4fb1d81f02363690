/*
 * tests/unit/test_pit8254.c - 8254 modes, latches and the port 0x61 path.
 */
#include <time.h>
#include "devtest.h"

static uint64_t ns_of_ticks(uint64_t t)
{
    return t * 1000000000ull / PIT_HZ + 1;
}

Test(pit, mode2_rate_generator)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    outb(vm, 0x43, 0x34);                       /* ch0, lobyte/hibyte, mode 2 */
    outb(vm, 0x40, 1193 & 0xFF);
    outb(vm, 0x40, 1193 >> 8);
    uint64_t t0 = p->ch[0].load_ns;
    cr_assert_eq(pit_counter(p, 0, t0), 1193);
    cr_assert_eq(pit_counter(p, 0, t0 + ns_of_ticks(100)), 1093);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(1191)), 1);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(1192)), 0);  /* low at count 1 */
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(1193)), 1);  /* reload */
    cr_assert_eq(pit_counter(p, 0, t0 + ns_of_ticks(1193 + 3)), 1190);
    devtest_free(vm);
}

Test(pit, mode3_square_wave)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    outb(vm, 0x43, 0x36);                       /* ch0 mode 3 */
    outb(vm, 0x40, 100);
    outb(vm, 0x40, 0);
    uint64_t t0 = p->ch[0].load_ns;
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(10)), 1);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(60)), 0);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(110)), 1);
    cr_assert_eq(pit_counter(p, 0, t0 + ns_of_ticks(10)), 80);   /* counts by two */
    devtest_free(vm);
}

Test(pit, latch_freezes_value)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x43, 0x34);
    outb(vm, 0x40, 0xFF);
    outb(vm, 0x40, 0xFF);                       /* 65535 ticks = 55 ms */
    outb(vm, 0x43, 0x00);                       /* counter latch ch0 */
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    uint16_t v = inb(vm, 0x40);
    v |= inb(vm, 0x40) << 8;
    cr_assert(v > 0xFFFF - 2000, "latched %u", v);
    uint16_t live = inb(vm, 0x40);
    live |= inb(vm, 0x40) << 8;
    cr_assert(live < v - 2000, "live %u latched %u", live, v);  /* 2 ms later */
    devtest_free(vm);
}

Test(pit, readback_status)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x43, 0xB0);                       /* ch2, lo/hi, mode 0 */
    outb(vm, 0x43, 0xE8);                       /* read-back: status only, ch2 */
    cr_assert_eq(inb(vm, 0x42), 0x70);          /* OUT low, null count, rw=3, mode 0 */
    outb(vm, 0x42, 0x10);
    outb(vm, 0x42, 0x00);
    outb(vm, 0x43, 0xE8);
    cr_assert_eq(inb(vm, 0x42), 0x30);          /* count loaded */
    devtest_free(vm);
}

Test(pit, channel2_gate_and_port61)
{
    /* Linux pit_calibrate_tsc(): gate on, speaker off, mode 0, poll OUT2. */
    struct vm *vm = devtest_vm();
    outb(vm, 0x61, (inb(vm, 0x61) & ~0x02) | 0x01);
    outb(vm, 0x43, 0xB0);
    outb(vm, 0x42, 1193 & 0xFF);                /* 1 ms */
    outb(vm, 0x42, 1193 >> 8);
    cr_assert_eq(inb(vm, 0x61) & 0x20, 0);
    uint64_t start = host_now_ns(), end;
    while (!(inb(vm, 0x61) & 0x20))
        ;
    end = host_now_ns();
    uint64_t took = end - start;
    cr_assert(took >= 900000 && took < 20000000, "OUT2 rose after %llu ns",
              (unsigned long long)took);
    cr_assert_eq(inb(vm, 0x61) & 0x03, 0x01);
    devtest_free(vm);
}

Test(pit, bcd_counting)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    outb(vm, 0x43, 0x31);                       /* ch0 mode 0 BCD */
    outb(vm, 0x40, 0x00);
    outb(vm, 0x40, 0x10);                       /* 1000 decimal */
    uint64_t t0 = p->ch[0].load_ns;
    cr_assert_eq(pit_counter(p, 0, t0 + ns_of_ticks(1)), 0x0999);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(999)), 0);
    cr_assert_eq(pit_out(p, 0, t0 + ns_of_ticks(1000)), 1);
    devtest_free(vm);
}

Test(pit, irq0_at_the_programmed_rate)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    devtest_pic_init(vm, 1);
    outb(vm, 0x43, 0x34);
    outb(vm, 0x40, 11932 & 0xFF);               /* 100 Hz, Linux's LATCH */
    outb(vm, 0x40, 11932 >> 8);
    uint64_t t0 = p->ch[0].load_ns, d = pit_deadline(p);
    cr_assert(d > t0 + 9990000 && d < t0 + 10010000);
    pit_tick(p, d - 1000);
    cr_assert_not(irq_intr_pending(vm));
    pit_tick(p, d);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    uint64_t d2 = pit_deadline(p);
    cr_assert(d2 > d + 9990000 && d2 < d + 10010000);
    /* Ten periods missed at once (the host did not run the monitor): one
     * interrupt now, the other nine kept and raised one at a time, each once
     * the previous one was taken; the grid of edges stays where it was. */
    uint64_t late = d + 105000000;          /* half a period after the tenth edge */
    pit_tick(p, late);
    cr_assert_eq(p->irqs, 2);
    cr_assert_eq(p->backlog, 9, "backlog %llu", (unsigned long long)p->backlog);
    cr_assert_lt(pit_deadline(p), late, "a missed tick is due at once");
    pit_tick(p, late + 1000);
    cr_assert_eq(p->irqs, 2, "not while IRQ0 still waits");
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    pit_tick(p, late + 2000);
    cr_assert_eq(p->irqs, 3, "the next missed tick after the first was taken");
    cr_assert_eq(p->backlog, 8);
    p->backlog = 0;
    cr_assert(pit_deadline(p) > late && pit_deadline(p) <= late + 5010000, "back on the grid");
    devtest_free(vm);
}

/* Edges missed while IRQ0 is masked are not kept: hardware would have lost
 * them too (only one request waits in the IRR). */
Test(pit, no_backlog_while_masked)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    devtest_pic_init(vm, 1);
    outb(vm, 0x21, 0xFF);                       /* IRQ0 masked */
    outb(vm, 0x43, 0x34);
    outb(vm, 0x40, 11932 & 0xFF);               /* 100 Hz */
    outb(vm, 0x40, 11932 >> 8);
    uint64_t d = pit_deadline(p);
    pit_tick(p, d + 105000000);                 /* ten periods late */
    cr_assert_eq(p->backlog, 0, "masked: nothing kept (backlog %llu)", (unsigned long long)p->backlog);
    outb(vm, 0x21, 0xFE);
    cr_assert(irq_intr_pending(vm), "the one latched request");
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    cr_assert_not(irq_intr_pending(vm), "and no more");
    devtest_free(vm);
}

Test(pit, mode0_one_shot)
{
    struct vm *vm = devtest_vm();
    struct pit *p = &platform_of(vm)->pit;
    outb(vm, 0x43, 0x30);
    outb(vm, 0x40, 100);
    outb(vm, 0x40, 0);
    uint64_t d = pit_deadline(p);
    pit_tick(p, d);
    cr_assert_eq(p->irqs, 1);
    cr_assert_eq(pit_deadline(p), UINT64_MAX);  /* terminal count: no more edges */
    devtest_free(vm);
}
