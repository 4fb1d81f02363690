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

/* ---- the rest of the ICR on a single CPU (SDM vol. 3A 10.6.1) ---- */

#define ICR_NMI 0x400u
#define SH_SELF 0x40000u
#define SH_ALL 0x80000u
#define SH_OTHERS 0xC0000u

Test(lapic, nmi_ipi_to_self_and_shorthands)
{
    struct vm *vm = enabled();
    static const struct { uint32_t icr, dest; bool self; const char *what; } cases[] = {
        { ICR_NMI | SH_SELF, 0, true, "self" },
        { ICR_NMI | SH_ALL, 0, true, "all including self" },
        { ICR_NMI | SH_OTHERS, 0, false, "all excluding self" },
        { ICR_NMI, 0, true, "physical, our ID 0" },
        { ICR_NMI, 1u << 24, false, "physical, absent ID 1" },
        { ICR_NMI, 0xFFu << 24, true, "physical broadcast" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm->cpu.nmi_pending = false;
        wr(vm, 0x310, cases[i].dest);
        wr(vm, 0x300, cases[i].icr);
        cr_assert_eq(vm->cpu.nmi_pending, cases[i].self, "NMI to %s", cases[i].what);
        cr_assert_eq(rd(vm, 0x300) & 0x1000, 0, "delivery status idle after %s", cases[i].what);
        cr_assert_not(irq_intr_pending(vm), "an NMI is no maskable interrupt (%s)", cases[i].what);
    }
    cr_assert_not(vm->stop);
    devtest_free(vm);
}

Test(lapic, init_deassert_smi_and_sipi_do_nothing)
{
    struct vm *vm = enabled();
    wr(vm, 0x300, SH_ALL | 0x8500);             /* INIT level de-assert, broadcast (xv6's) */
    wr(vm, 0x300, 0x8500);                      /* to ourselves */
    cr_assert_not(vm->stop);
    cr_assert_eq(rd(vm, 0x300) & 0x1000, 0);
    wr(vm, 0x300, SH_SELF | 0x200);             /* SMI to ourselves */
    cr_assert_eq(platform_of(vm)->lapic.smis_ignored, 1);
    wr(vm, 0x300, SH_OTHERS | 0x4500);          /* INIT to everybody else */
    wr(vm, 0x300, SH_OTHERS | 0x4608);          /* SIPI to everybody else */
    wr(vm, 0x300, SH_ALL | 0x4608);             /* SIPI to a running BSP: ignored */
    cr_assert_not(vm->stop);
    cr_assert_not(vm->cpu.nmi_pending);
    cr_assert_not(irq_intr_pending(vm));
    cr_assert_eq(rd(vm, 0x300) & 0x1000, 0);
    devtest_free(vm);
}

Test(lapic, init_to_self_resets_the_machine)
{
    struct vm *vm = enabled();
    wr(vm, 0x300, SH_SELF | 0x4500);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_OK);
    cr_assert(platform_of(vm)->reset);
    devtest_free(vm);
}

Test(lapic, illegal_vector_to_anyone_sets_send_illegal)
{
    struct vm *vm = enabled();
    wr(vm, 0x310, 1u << 24);
    wr(vm, 0x300, 0x0F);                        /* fixed, vector 15, to absent ID 1 */
    wr(vm, 0x280, 0);
    cr_assert_eq(rd(vm, 0x280), 0x20);
    wr(vm, 0x300, SH_SELF | 0x100 | 0x03);      /* lowest priority, vector 3 */
    wr(vm, 0x280, 0);
    cr_assert_eq(rd(vm, 0x280), 0x20);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(lapic, lint1_nmi_on_a_rising_edge)
{
    struct vm *vm = enabled();
    struct lapic *l = &platform_of(vm)->lapic;
    wr(vm, 0x360, 0x400);                       /* LINT1: NMI, as Linux sets it up */
    cr_assert_eq(rd(vm, 0x360), 0x400);
    lapic_set_lint(l, 1, true);
    cr_assert(vm->cpu.nmi_pending);
    vm->cpu.nmi_pending = false;
    lapic_set_lint(l, 1, true);                 /* still high: no new edge */
    cr_assert_not(vm->cpu.nmi_pending);
    lapic_set_lint(l, 1, false);
    wr(vm, 0x360, 0x10400);                     /* masked */
    lapic_set_lint(l, 1, true);
    cr_assert_not(vm->cpu.nmi_pending);
    devtest_free(vm);
}

Test(lapic, lint0_nmi_from_the_8259)
{
    struct vm *vm = enabled();
    devtest_pic_init(vm, 1);
    wr(vm, 0x350, 0x400);                       /* LINT0 NMI instead of ExtINT */
    irq_pulse(vm, 1);
    cr_assert_not(irq_intr_pending(vm), "the 8259 does not reach INTR through LINT0 in NMI mode");
    cr_assert(vm->cpu.nmi_pending, "its INTR edge is an NMI");
    devtest_free(vm);
}
