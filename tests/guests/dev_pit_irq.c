/*
 * dev_pit_irq - the PIT's channel 0 through the 8259 at a measured rate.
 *
 * The 8259 pair is set up as Linux does (IRQ0 -> vector 0x20, everything
 * else masked), PIT channel 0 runs in mode 2 at 250 Hz (Linux's HZ), and
 * the interrupts are counted against the TSC (1 GHz under vmm,
 * docs/cpu-model.md) for 400 ms: the rate must be within 5 % of the
 * programmed one.  Then, at 1000 Hz, the 8259 rules: an interrupt that is
 * not acknowledged with an EOI stays in service and blocks further IRQ0s
 * (ISR bit 0 set) until a non-specific EOI; a masked IRQ0 is not delivered
 * but is latched in the IRR and delivered once unmasked.  Finally a second
 * rate (100 Hz) checks that a reprogrammed count takes effect.
 *
 * Why not measure at 1000 Hz: the device models coalesce PIT periods that
 * pass while vmm is not scheduled (docs/devices.md, "Time"); on a loaded
 * host a process is often held off for more than a millisecond, so a
 * 1000 Hz count comes out 5-10 % low there while 250 Hz stays exact.
 */
#include "dev_common.h"

#define RATE_HZ 250
#define FAST_HZ 1000
#define RATE2_HZ 100
#define SLOW_HZ 19             /* about the slowest the 16-bit count allows */

static volatile uint32_t ticks;
static volatile bool no_eoi;

static void irq0(struct trap_frame *f)
{
    (void)f;
    ticks++;
    if (!no_eoi)
        pic_eoi(0);
}

static void spin_ns(uint64_t ns)
{
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < ns)
        ;
}

static void check_rate(int n, uint32_t hz)
{
    uint32_t want = pit_rate_mhz(hz);
    uint32_t got = dev_measure_rate(n, &ticks, 400000000ull);
    rt_printf("dev_pit_irq: programmed %u.%03u Hz, measured %u.%03u Hz\n",
              want / 1000, want % 1000, got / 1000, got % 1000);
    CHECK(n + 1, within_pct(got, want, 5), "rate %u mHz is not within 5%% of %u mHz", got, want);
}

void test_main(void)
{
    dev_irq_init();
    dev_handlers[PIC_VEC_MASTER] = irq0;
    pic_setup(0xFFFE);
    CHECK_EQ(1, inb(0x21), 0xFE, "master IMR after init");
    CHECK_EQ(2, inb(0xA1), 0xFF, "slave IMR after init");
    pit_rate(RATE_HZ);

    check_rate(3, RATE_HZ);

    /* No EOI: IRQ0 stays in service, so no second IRQ0 is taken (same
     * priority is blocked by the ISR bit), and the IRR latches the next
     * edge. */
    pit_rate(FAST_HZ);
    no_eoi = true;
    uint32_t t0 = ticks;
    sti();
    spin_ns(20000000);
    cli();
    CHECK(5, ticks - t0 == 1, "without EOI: %u interrupts in 20 ms, want exactly 1", ticks - t0);
    CHECK_EQ(6, pic_read_reg(0x0B) & 1, 1, "ISR bit 0 while IRQ0 is in service");
    CHECK_EQ(7, pic_read_reg(0x0A) & 1, 1, "IRR bit 0 (the next edge latched)");
    no_eoi = false;
    pic_eoi(0);                         /* non-specific EOI ends the service */
    CHECK_EQ(8, pic_read_reg(0x0B) & 1, 0, "ISR bit 0 after a non-specific EOI");
    t0 = ticks;
    sti();
    spin_ns(20000000);
    cli();
    CHECK(9, ticks - t0 >= 5, "after the EOI: %u interrupts in 20 ms at 1000 Hz", ticks - t0);

    /* Masked: nothing delivered, but the request waits in the IRR. */
    outb(0x21, 0xFF);
    t0 = ticks;
    sti();
    spin_ns(20000000);
    cli();
    CHECK_EQ(10, ticks - t0, 0, "interrupts delivered while IRQ0 was masked");
    /* Slow the PIT down before unmasking (mode 2 keeps OUT high across
     * the reprogramming, so the latched request stays): at 1000 Hz a host
     * that holds vmm off for a millisecond lets a second edge in between
     * the unmask and the CLI below, and this check would count it. */
    pit_rate(SLOW_HZ);
    CHECK_EQ(11, pic_read_reg(0x0A) & 1, 1, "IRR bit 0 while masked");
    outb(0x21, 0xFE);
    sti();
    asm volatile("nop" ::: "memory");   /* the STI shadow */
    asm volatile("nop" ::: "memory");
    cli();
    CHECK(12, ticks - t0 == 1, "unmasking delivered %u interrupts, want the 1 pending", ticks - t0);

    /* A second rate. */
    pit_rate(RATE2_HZ);
    check_rate(13, RATE2_HZ);
    outb(0x21, 0xFF);
}
