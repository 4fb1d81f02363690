/*
 * dev_lapic_timer - the local APIC timer, and the PIT through the IOAPIC.
 *
 * With paging off, the local APIC (0xFEE00000) and the IOAPIC (0xFEC00000)
 * lie outside guest RAM: every access is a MOV to or from memory that vmm
 * emulates through its device bus.
 *
 * 1. The local APIC: ID 0 and version 0x14 with six LVT entries (the model's
 *    documented values), software-enabled through the spurious-interrupt
 *    vector register; the LVT timer in periodic mode, divide by 16, initial
 *    count for 250 Hz at the documented timer clock (LAPIC_TIMER_HZ = 1 GHz,
 *    docs/devices.md); the rate is measured against the TSC for 400 ms and
 *    must be within 5 %.  The current-count register runs down; masking the
 *    LVT stops the interrupts.
 * 2. The IOAPIC: ID 1, version 0x11 with 24 entries; with both 8259s masked,
 *    redirection entry 2 (ISA IRQ0, as the MP/ACPI tables say) sends vector
 *    0x50 to APIC 0; the PIT at 250 Hz must arrive there at its rate, each
 *    interrupt ended with an EOI to the local APIC.  Masking the entry stops
 *    them.
 */
#include "dev_common.h"

#define APIC_ID      0x020
#define APIC_VER     0x030
#define APIC_TPR     0x080
#define APIC_EOI     0x0B0
#define APIC_SVR     0x0F0
#define APIC_ISR0    0x100
#define APIC_LVT_T   0x320
#define APIC_TICR    0x380
#define APIC_TCCR    0x390
#define APIC_TDCR    0x3E0

#define LVT_MASKED   (1u << 16)
#define LVT_PERIODIC (1u << 17)

#define TIMER_VEC  0x40
#define IOAPIC_VEC 0x50
#define SPUR_VEC   0xFF
#define RATE_HZ 250
#define LAPIC_TIMER_HZ 1000000000u      /* docs/devices.md */
#define DIVIDE 16

static volatile uint32_t timer_ticks, pit_ticks, spurious;

static uint32_t apic_read(uint32_t reg) { return mmio_read(LAPIC + reg); }
static void apic_write(uint32_t reg, uint32_t v) { mmio_write(LAPIC + reg, v); }

static void timer_irq(struct trap_frame *f)
{
    (void)f;
    timer_ticks++;
    apic_write(APIC_EOI, 0);
}

static void pit_irq(struct trap_frame *f)
{
    (void)f;
    pit_ticks++;
    apic_write(APIC_EOI, 0);
}

static void spurious_irq(struct trap_frame *f)
{
    (void)f;
    spurious++;                         /* no EOI for the spurious vector (SDM 10.9) */
}

static void spin_ns(uint64_t ns)
{
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < ns)
        ;
}

/* An interrupt the APIC accepted before its source was masked stays in the
 * IRR and is still delivered (SDM 10.8.4): let it in before counting. */
static void drain_accepted(void)
{
    sti();
    asm volatile("nop; nop" ::: "memory");
    cli();
}

static void report(const char *what, uint32_t want, uint32_t got)
{
    rt_printf("dev_lapic_timer: %s programmed %u.%03u Hz, measured %u.%03u Hz\n",
              what, want / 1000, want % 1000, got / 1000, got % 1000);
}

static void lapic_timer(void)
{
    CHECK_EQ(1, apic_read(APIC_ID) >> 24, 0, "local APIC ID");
    CHECK_EQ(2, apic_read(APIC_VER) & 0x00FF00FF, 0x00050014, "local APIC version (0x14, max LVT 5)");
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, 0x100 | SPUR_VEC);
    CHECK_EQ(3, apic_read(APIC_SVR) & 0x1FF, 0x100 | SPUR_VEC, "SVR: enabled, vector 0xFF");

    uint32_t count = LAPIC_TIMER_HZ / DIVIDE / RATE_HZ;
    apic_write(APIC_TDCR, 0x3);         /* divide by 16: bits 3,1,0 = 0,1,1 */
    apic_write(APIC_LVT_T, LVT_PERIODIC | TIMER_VEC);
    apic_write(APIC_TICR, count);
    CHECK_EQ(4, apic_read(APIC_TICR), count, "initial count");
    uint32_t c1 = apic_read(APIC_TCCR);
    spin_ns(100000);
    uint32_t c2 = apic_read(APIC_TCCR);
    CHECK(5, c1 <= count && c2 < c1, "current count does not run down: %u then %u (initial %u)",
          c1, c2, count);

    uint32_t got = dev_measure_rate(6, &timer_ticks, 400000000ull);
    report("LAPIC timer", RATE_HZ * 1000, got);
    CHECK(7, within_pct(got, RATE_HZ * 1000, 5), "LAPIC timer rate %u mHz, want %u mHz within 5%%",
          got, RATE_HZ * 1000);
    CHECK_EQ(8, apic_read(APIC_ISR0 + 0x20) & 1, 0, "ISR bit of vector 0x40 after the EOIs");

    apic_write(APIC_LVT_T, LVT_MASKED | LVT_PERIODIC | TIMER_VEC);
    drain_accepted();
    uint32_t t0 = timer_ticks;
    sti();
    spin_ns(20000000);
    cli();
    CHECK_EQ(9, timer_ticks - t0, 0, "LAPIC timer interrupts while its LVT is masked");
    apic_write(APIC_TICR, 0);           /* a zero initial count stops the timer */
}

static void ioapic_pit(void)
{
    CHECK_EQ(10, (ioapic_read(0) >> 24) & 0xF, 1, "IOAPIC ID");
    CHECK_EQ(11, ioapic_read(1) & 0x00FF00FF, 0x00170011, "IOAPIC version (0x11, 24 entries)");

    pic_setup(0xFFFF);                  /* both 8259s fully masked */
    /* Entry 2 (ISA IRQ0): vector, fixed, physical, edge, active high, to APIC 0. */
    ioapic_write(0x10 + 2 * 2 + 1, 0u << 24);
    ioapic_write(0x10 + 2 * 2, IOAPIC_VEC);
    CHECK_EQ(12, ioapic_read(0x10 + 2 * 2) & 0x1FFFF, IOAPIC_VEC, "redirection entry 2 low");
    pit_rate(RATE_HZ);

    uint32_t want = pit_rate_mhz(RATE_HZ);
    uint32_t got = dev_measure_rate(13, &pit_ticks, 400000000ull);
    report("PIT via IOAPIC", want, got);
    CHECK(14, within_pct(got, want, 5), "PIT via IOAPIC rate %u mHz, want %u mHz within 5%%",
          got, want);

    ioapic_write(0x10 + 2 * 2, (1u << 16) | IOAPIC_VEC);
    drain_accepted();
    uint32_t t0 = pit_ticks;
    sti();
    spin_ns(20000000);
    cli();
    CHECK_EQ(15, pit_ticks - t0, 0, "PIT interrupts through a masked IOAPIC entry");
    CHECK_EQ(16, spurious, 0, "spurious APIC interrupts");
}

void test_main(void)
{
    dev_irq_init();
    dev_handlers[TIMER_VEC] = timer_irq;
    dev_handlers[IOAPIC_VEC] = pit_irq;
    dev_handlers[SPUR_VEC] = spurious_irq;
    pic_setup(0xFFFF);
    lapic_timer();
    ioapic_pit();
}
