/*
 * dev_nmi - the local APIC's interrupt command register on a one-CPU
 * machine and NMI delivery (Intel SDM vol. 3A 10.6.1, 6.7.1).
 *
 * NMI IPIs reach the processor through IDT vector 2 whatever IF says, by
 * the shorthands self and all-including-self and by our own physical ID;
 * all-excluding-self reaches nobody.  The NMI handler runs with IF clear
 * (interrupt gate), and an NMI sent while it runs waits until its IRET
 * and is taken right after it.  LINT0 programmed as NMI turns the 8259's
 * INTR (the PIT on IRQ0) into one NMI per edge.  INIT level de-assert
 * broadcast (the arbitration-ID resynchronisation of MP-era kernels),
 * INIT and start-up IPIs to an absent CPU, an SMI to ourselves: nothing
 * happens, and the delivery status reads idle.  A fixed IPI with vector 15
 * sets "send illegal vector" (ESR bit 5).
 */
#include "dev_common.h"

#define ICR_LO (LAPIC + 0x300)
#define ICR_HI (LAPIC + 0x310)
#define ESR (LAPIC + 0x280)
#define LVT_LINT0 (LAPIC + 0x350)
#define DELIVS 0x1000u
#define NMI 0x400u
#define SH_SELF 0x40000u
#define SH_ALL 0x80000u
#define SH_OTHERS 0xC0000u

static volatile uint32_t nmis, nested_seen, handler_if, send_inside;
static volatile uint32_t nmi_eip, first_eip;

static void on_nmi(struct trap_frame *f)
{
    nmis++;
    handler_if |= f->handler_eflags & EFL_IF;
    nmi_eip = f->eip;
    if (send_inside) {
        send_inside = 0;
        first_eip = f->eip;
        uint32_t before = nmis;
        mmio_write(ICR_LO, SH_SELF | NMI);     /* blocked until our IRET */
        for (volatile int i = 0; i < 1000; i++)
            ;
        nested_seen = nmis - before;
    }
}

static void send(uint32_t dest, uint32_t lo)
{
    mmio_write(ICR_HI, dest << 24);
    mmio_write(ICR_LO, lo);
    while (mmio_read(ICR_LO) & DELIVS)
        ;
}

static void nmi_ipis(void)
{
    static const struct { uint32_t dest, lo, want; const char *what; } cases[] = {
        { 0, SH_SELF | NMI, 1, "self" },
        { 0, SH_ALL | NMI, 1, "all including self" },
        { 0, SH_OTHERS | NMI, 0, "all excluding self" },
        { 0, NMI, 1, "physical destination 0 (our ID)" },
        { 1, NMI, 0, "physical destination 1 (absent)" },
    };
    cli();
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t n0 = nmis;
        send(cases[i].dest, cases[i].lo);
        CHECK_EQ(1, nmis - n0, cases[i].want, cases[i].what);
    }
    CHECK_EQ(2, handler_if, 0, "IF inside the NMI handler");
    /* IF was clear all along: an NMI is not maskable. */
    CHECK_EQ(3, read_eflags() & EFL_IF, 0, "IF in the test");
    rt_printf("dev_nmi: NMI IPIs by self, all-including-self and our ID taken with IF=0, "
              "all-excluding-self and ID 1 reach nobody\n");
}

static void nmi_blocking(void)
{
    uint32_t n0 = nmis;
    send_inside = 1;
    send(0, SH_SELF | NMI);
    CHECK_EQ(10, nested_seen, 0, "an NMI taken inside the NMI handler before its IRET");
    CHECK_EQ(11, nmis - n0, 2, "NMIs after the handler's IRET");
    /* Taken before any instruction after the IRET: both frames hold the
     * same return address. */
    CHECK_EQ(12, nmi_eip, first_eip, "EIP of the NMI latched during the handler");
    rt_printf("dev_nmi: an NMI sent inside the handler waits for its IRET, then comes at once\n");
}

static void lint0_nmi(void)
{
    pic_setup(0xFFFE);              /* only IRQ0 */
    mmio_write(LVT_LINT0, NMI);     /* LINT0: NMI instead of ExtINT */
    uint32_t n0 = nmis;
    pit_rate(1000);
    uint64_t t0 = rdtsc();
    while (nmis == n0 && rdtsc() - t0 < TSC_HZ / 2)
        ;
    CHECK_EQ(20, nmis - n0, 1, "NMIs from the 8259's INTR through LINT0");
    /* Nobody acknowledges the 8259 (an NMI has no INTA cycle): INTR stays
     * up, so no further edge and no further NMI. */
    t0 = rdtsc();
    while (rdtsc() - t0 < TSC_HZ / 20)
        ;
    CHECK_EQ(21, nmis - n0, 1, "NMIs while INTR stays asserted");
    outb(0x21, 0xFF);
    outb(0x43, 0x30);               /* PIT channel 0 mode 0: stop the rate */
    mmio_write(LVT_LINT0, 0x10000);
    rt_printf("dev_nmi: LINT0 in NMI mode: the PIT's INTR edge is one NMI\n");
}

static void other_messages(void)
{
    uint32_t n0 = nmis;
    send(0, SH_ALL | 0x8500);       /* INIT level de-assert, broadcast */
    send(1, 0xC500);                /* INIT assert to ID 1 */
    send(1, 0x8500);                /* INIT de-assert to ID 1 */
    send(1, 0x0600 | 0x08);         /* start-up at 0x8000, twice */
    send(1, 0x0600 | 0x08);
    send(0, SH_SELF | 0x200);       /* SMI to ourselves: no SMM here */
    CHECK_EQ(30, nmis - n0, 0, "NMIs from INIT/SIPI/SMI");
    CHECK_EQ(31, mmio_read(LAPIC + 0x200 + 0x70) | mmio_read(LAPIC + 0x200), 0,
             "IRR after INIT/SIPI/SMI");
    mmio_write(ESR, 0);
    send(0, SH_SELF | 0x0F);        /* fixed, vector 15 */
    mmio_write(ESR, 0);
    CHECK_EQ(32, mmio_read(ESR), 0x20, "ESR after a fixed IPI with vector 15");
    mmio_write(ESR, 0);
    CHECK_EQ(33, mmio_read(ESR), 0, "ESR cleared");
    rt_printf("dev_nmi: INIT de-assert broadcast, INIT/SIPI to ID 1, SMI: no effect; "
              "vector 15 -> ESR 0x20\n");
}

void test_main(void)
{
    dev_irq_init();
    dev_handlers[2] = on_nmi;
    mmio_write(LAPIC + 0xF0, 0x1FF);    /* software enable */
    nmi_ipis();
    nmi_blocking();
    other_messages();
    lint0_nmi();
}
