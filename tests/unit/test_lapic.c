/*
 * tests/unit/test_lapic.c - local APIC registers, priorities and timer as
 * Linux's apic.c programs them.
 */
#include "devtest.h"
#include "devices/lapic.h"

static uint32_t rd(struct vm *vm, unsigned off)
{
    uint32_t v = 0;
    cr_assert(io_mmio_read(&vm->io, LAPIC_BASE + off, 4, &v));
    return v;
}

static void wr(struct vm *vm, unsigned off, uint32_t v)
{
    cr_assert(io_mmio_write(&vm->io, LAPIC_BASE + off, 4, v));
}

static struct vm *enabled(void)
{
    struct vm *vm = devtest_vm();
    wr(vm, 0xF0, 0x1FF);                        /* software enable, spurious 0xFF */
    return vm;
}

Test(lapic, reset_state)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(rd(vm, 0x20), 0);
    cr_assert_eq(rd(vm, 0x30), 0x00050014);
    cr_assert_eq(rd(vm, 0xF0), 0xFF);
    cr_assert_eq(rd(vm, 0xE0), 0xFFFFFFFFu);
    for (unsigned off = 0x320; off <= 0x370; off += 0x10)
        cr_assert_eq(rd(vm, off), 0x10000, "LVT %#x", off);
    wr(vm, 0x350, 0x700);                       /* disabled: the mask stays */
    cr_assert_eq(rd(vm, 0x350), 0x10700);
    devtest_free(vm);
}

Test(lapic, timer_one_shot)
{
    struct vm *vm = enabled();
    struct lapic *l = &platform_of(vm)->lapic;
    wr(vm, 0x3E0, 0xB);                         /* divide by 1 */
    wr(vm, 0x320, 0x40);                        /* one-shot, vector 0x40 */
    wr(vm, 0x380, 1000000);                     /* 1 ms at 1 GHz */
    uint32_t c = rd(vm, 0x390);
    cr_assert(c > 0 && c <= 1000000);
    uint64_t d = lapic_deadline(l);
    cr_assert_eq(d, l->timer_start_ns + 1000000);
    lapic_tick(l, d - 1);
    cr_assert_not(irq_intr_pending(vm));
    lapic_tick(l, d);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x40);
    cr_assert_eq(rd(vm, 0x100 + 0x40 / 32 * 0x10), 1u << (0x40 % 32));  /* ISR */
    wr(vm, 0xB0, 0);                            /* EOI */
    cr_assert_eq(rd(vm, 0x100 + 0x40 / 32 * 0x10), 0);
    cr_assert_eq(lapic_deadline(l), UINT64_MAX);
    cr_assert_eq(rd(vm, 0x390), 0);
    devtest_free(vm);
}

Test(lapic, timer_periodic_with_divider)
{
    struct vm *vm = enabled();
    struct lapic *l = &platform_of(vm)->lapic;
    wr(vm, 0x3E0, 0x3);                         /* divide by 16 */
    wr(vm, 0x320, 0x20000 | 0xEF);              /* periodic, Linux's LOCAL_TIMER_VECTOR */
    wr(vm, 0x380, 62500);                       /* 62500 * 16 ns = 1 ms */
    uint64_t t0 = l->timer_start_ns;
    cr_assert_eq(lapic_deadline(l), t0 + 1000000);
    for (int i = 1; i <= 5; i++) {
        lapic_tick(l, t0 + i * 1000000ull);
        cr_assert_eq(irq_intr_ack(vm), 0xEF);
        wr(vm, 0xB0, 0);
        cr_assert_eq(lapic_deadline(l), t0 + (i + 1) * 1000000ull);
    }
    cr_assert_eq(l->timer_irqs, 5);
    /* Periods 6..10 pass while the monitor is not run: one interrupt now,
     * four kept and delivered one at a time after the previous one. */
    lapic_tick(l, t0 + 10500000);
    cr_assert_eq(l->timer_irqs, 6);
    cr_assert_eq(l->timer_backlog, 4);
    cr_assert_lt(lapic_deadline(l), t0 + 11000000, "a missed tick is due before the grid's next");
    lapic_tick(l, t0 + 10600000);
    cr_assert_eq(l->timer_irqs, 6, "not while the previous one is in the IRR");
    cr_assert_eq(irq_intr_ack(vm), 0xEF);
    wr(vm, 0xB0, 0);
    lapic_tick(l, t0 + 10700000);
    cr_assert_eq(l->timer_irqs, 7);
    cr_assert_eq(l->timer_backlog, 3);
    cr_assert_eq(irq_intr_ack(vm), 0xEF);
    wr(vm, 0xB0, 0);
    l->timer_backlog = 0;
    cr_assert_eq(lapic_deadline(l), t0 + 11000000, "the grid is where it was");
    cr_assert_eq(lapic_current_count(l, t0 + 500000), 62500 - 500000 / 16);
    wr(vm, 0x320, 0x10000 | 0x200EF);           /* masked: counts, no interrupt */
    lapic_tick(l, t0 + 14500000);               /* and missed periods are not kept */
    cr_assert_not(irq_intr_pending(vm));
    cr_assert_eq(l->timer_backlog, 0, "masked: nothing kept");
    devtest_free(vm);
}

Test(lapic, tpr_ppr_and_nesting)
{
    struct vm *vm = enabled();
    wr(vm, 0x80, 0x50);
    wr(vm, 0x300, 0x40000 | 0x45);              /* self IPI, class 4 */
    cr_assert_not(irq_intr_pending(vm));        /* blocked by TPR 5 */
    cr_assert_eq(rd(vm, 0xA0), 0x50);
    wr(vm, 0x300, 0x40000 | 0x61);
    cr_assert_eq(irq_intr_ack(vm), 0x61);
    cr_assert_eq(rd(vm, 0xA0), 0x60);           /* PPR from ISR */
    wr(vm, 0x80, 0x00);
    cr_assert_not(irq_intr_pending(vm));        /* 0x45 below in-service 0x61 */
    wr(vm, 0xB0, 0);
    cr_assert_eq(irq_intr_ack(vm), 0x45);
    wr(vm, 0xB0, 0);
    cr_assert_eq(irq_intr_ack(vm), 0xFF);       /* nothing: spurious vector */
    devtest_free(vm);
}

Test(lapic, esr_and_illegal_vector)
{
    struct vm *vm = enabled();
    wr(vm, 0x300, 0x40000 | 0x05);              /* vector < 16 */
    cr_assert_not(irq_intr_pending(vm));
    cr_assert_eq(rd(vm, 0x280), 0);             /* not latched yet */
    wr(vm, 0x280, 0);
    cr_assert_eq(rd(vm, 0x280), 0x20);          /* send illegal vector */
    wr(vm, 0x280, 0);
    cr_assert_eq(rd(vm, 0x280), 0);
    devtest_free(vm);
}

Test(lapic, ipis_to_absent_cpus)
{
    struct vm *vm = enabled();
    wr(vm, 0x310, 1u << 24);                    /* APIC ID 1: not present */
    wr(vm, 0x300, 0x4500);                      /* INIT, level assert */
    wr(vm, 0x300, 0x4608);                      /* SIPI */
    cr_assert_not(vm->stop);
    cr_assert_eq(rd(vm, 0x300) & 0x1000, 0);    /* delivery status idle */
    wr(vm, 0x300, 0xC0000 | 0x50);              /* all excluding self */
    cr_assert_not(irq_intr_pending(vm));
    wr(vm, 0x310, 0);
    wr(vm, 0x300, 0x50);                        /* physical destination 0: us */
    cr_assert_eq(irq_intr_ack(vm), 0x50);
    devtest_free(vm);
}

Test(lapic, lint0_extint_gates_the_8259)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 1);
    irq_pulse(vm, 1);
    cr_assert(irq_intr_pending(vm));            /* APIC disabled: 8259 straight in */
    wr(vm, 0xF0, 0x1FF);
    cr_assert_not(irq_intr_pending(vm));        /* enabled, LINT0 masked */
    wr(vm, 0x350, 0x700);                       /* LINT0 ExtINT (virtual wire) */
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x31);
    devtest_free(vm);
}

Test(lapic, tsc_deadline_mode_is_refused)
{
    struct vm *vm = enabled();
    wr(vm, 0x320, 0x40000 | 0x40);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
    devtest_free(vm);
}
