/*
 * tests/unit/test_ioapic.c - redirection entries, edge and level delivery,
 * remote IRR, masking.
 */
#include "devtest.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"

static uint32_t io_rd(struct vm *vm, uint8_t idx)
{
    uint32_t v;
    io_mmio_write(&vm->io, IOAPIC_BASE, 4, idx);
    cr_assert(io_mmio_read(&vm->io, IOAPIC_BASE + 0x10, 4, &v));
    return v;
}

static void io_wr(struct vm *vm, uint8_t idx, uint32_t v)
{
    io_mmio_write(&vm->io, IOAPIC_BASE, 4, idx);
    io_mmio_write(&vm->io, IOAPIC_BASE + 0x10, 4, v);
}

static void route(struct vm *vm, int pin, uint32_t lo, uint8_t dest)
{
    io_wr(vm, 0x11 + 2 * pin, (uint32_t)dest << 24);
    io_wr(vm, 0x10 + 2 * pin, lo);
}

static struct vm *setup(void)
{
    struct vm *vm = devtest_vm();
    io_mmio_write(&vm->io, LAPIC_BASE + 0xF0, 4, 0x1FF);    /* APIC on, LINT0 masked */
    return vm;
}

static void eoi(struct vm *vm)
{
    io_mmio_write(&vm->io, LAPIC_BASE + 0xB0, 4, 0);
}

Test(ioapic, identification)
{
    struct vm *vm = setup();
    cr_assert_eq(io_rd(vm, 0), IOAPIC_ID << 24);
    cr_assert_eq(io_rd(vm, 1), 0x00170011);
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        cr_assert_eq(io_rd(vm, 0x10 + 2 * pin) & 0x10000, 0x10000);
    devtest_free(vm);
}

Test(ioapic, edge_irq0_on_pin2)
{
    struct vm *vm = setup();
    route(vm, 2, 0x30, 0);
    irq_pulse(vm, 0);                           /* the PIT's IRQ0 */
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    eoi(vm);
    irq_set_level(vm, 0, 1);
    irq_set_level(vm, 0, 1);                    /* no second edge */
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    eoi(vm);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(ioapic, masked_edge_is_lost)
{
    struct vm *vm = setup();
    route(vm, 4, 0x10000 | 0x34, 0);
    irq_pulse(vm, 4);
    cr_assert_not(irq_intr_pending(vm));
    route(vm, 4, 0x34, 0);
    cr_assert_not(irq_intr_pending(vm));        /* edges are not remembered */
    devtest_free(vm);
}

Test(ioapic, level_remote_irr)
{
    struct vm *vm = setup();
    route(vm, 9, 0x8000 | 0x49, 0);             /* level, active high */
    irq_set_level(vm, 9, 1);
    cr_assert_eq(io_rd(vm, 0x10 + 18) & 0x4000, 0x4000);   /* remote IRR */
    cr_assert_eq(irq_intr_ack(vm), 0x49);
    cr_assert_not(irq_intr_pending(vm));
    eoi(vm);                                    /* still asserted: fires again */
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x49);
    irq_set_level(vm, 9, 0);
    eoi(vm);
    cr_assert_eq(io_rd(vm, 0x10 + 18) & 0x4000, 0);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(ioapic, unmask_held_level_line)
{
    struct vm *vm = setup();
    route(vm, 11, 0x18000 | 0x4B, 0);           /* level, masked */
    irq_set_level(vm, 11, 1);
    cr_assert_not(irq_intr_pending(vm));
    route(vm, 11, 0x8000 | 0x4B, 0);
    cr_assert_eq(irq_intr_ack(vm), 0x4B);
    devtest_free(vm);
}

Test(ioapic, destinations)
{
    struct vm *vm = setup();
    io_mmio_write(&vm->io, LAPIC_BASE + 0xD0, 4, 0x01000000);  /* LDR: bit 0 */
    route(vm, 5, 0x800 | 0x35, 0x02);           /* logical, another CPU */
    irq_pulse(vm, 5);
    cr_assert_not(irq_intr_pending(vm));
    route(vm, 5, 0x800 | 0x35, 0x01);
    irq_pulse(vm, 5);
    cr_assert_eq(irq_intr_ack(vm), 0x35);
    eoi(vm);
    route(vm, 6, 0x36, 3);                      /* physical APIC ID 3: nobody */
    irq_pulse(vm, 6);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

/* Pin 0 in ExtINT mode is the 8259's INTR as a virtual wire: the 8259's
 * interrupt reaches the CPU and the 8259 supplies its vector. */
Test(ioapic, extint_pin0_is_the_8259_virtual_wire)
{
    struct vm *vm = setup();
    io_wr(vm, 0x11, 0);                         /* pin 0, still masked: */
    devtest_pic_init(vm, 0);                    /* vectors 0x30-0x3F */
    irq_pulse(vm, 1);                           /* keyboard IRQ1 at the 8259 */
    cr_assert_not(irq_intr_pending(vm), "LINT0 masked and pin 0 masked");
    route(vm, 0, 0x700, 0);                     /* pin 0: ExtINT, to APIC 0 */
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x31, "the 8259's vector for IRQ1");
    cr_assert_not(vm->stop);
    route(vm, 3, 0x700, 0);                     /* ExtINT on a pin with no 8259 */
    irq_pulse(vm, 3);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
    devtest_free(vm);
}

Test(ioapic, smi_is_ignored_and_init_resets)
{
    struct vm *vm = setup();
    route(vm, 4, 0x200, 0);                     /* SMI */
    irq_pulse(vm, 4);
    cr_assert_eq(platform_of(vm)->lapic.smis_ignored, 1);
    cr_assert_not(irq_intr_pending(vm));
    cr_assert_not(vm->stop);
    route(vm, 5, 0x500, 1);                     /* INIT to APIC ID 1: nobody */
    irq_pulse(vm, 5);
    cr_assert_not(platform_of(vm)->reset);
    route(vm, 5, 0x500, 0);                     /* INIT to us: a warm reset */
    irq_pulse(vm, 5);
    cr_assert(platform_of(vm)->reset);
    devtest_free(vm);
}

Test(ioapic, nmi_mode_sets_the_cpu_nmi_latch)
{
    struct vm *vm = setup();
    route(vm, 2, 0x400, 0);                     /* IRQ0 as NMI (the old IO-APIC watchdog) */
    irq_pulse(vm, 0);
    cr_assert(vm->cpu.nmi_pending);
    cr_assert_not(irq_intr_pending(vm), "no vector goes to the IRR");
    cr_assert_not(vm->stop);
    vm->cpu.nmi_pending = false;
    route(vm, 2, 0x400, 1);                     /* to APIC ID 1: nobody */
    irq_pulse(vm, 0);
    cr_assert_not(vm->cpu.nmi_pending);
    devtest_free(vm);
}
