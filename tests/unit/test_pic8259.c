/*
 * tests/unit/test_pic8259.c - the 8259 pair as Linux's i8259.c drives it.
 */
#include "devtest.h"

static uint8_t read_isr(struct vm *vm, uint16_t cmd)
{
    outb(vm, cmd, 0x0B);            /* OCW3: read ISR */
    uint8_t v = inb(vm, cmd);
    outb(vm, cmd, 0x0A);            /* back to IRR */
    return v;
}

Test(pic, init_ack_eoi)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    cr_assert_not(irq_intr_pending(vm));
    irq_pulse(vm, 0);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(inb(vm, 0x20), 0x01);          /* IRR */
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    cr_assert_eq(read_isr(vm, 0x20), 0x01);
    cr_assert_not(irq_intr_pending(vm));
    outb(vm, 0x20, 0x20);                       /* non-specific EOI */
    cr_assert_eq(read_isr(vm, 0x20), 0x00);
    devtest_free(vm);
}

Test(pic, masking_keeps_request)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    outb(vm, 0x21, 0x02);                       /* mask IRQ1 */
    cr_assert_eq(inb(vm, 0x21), 0x02);
    irq_pulse(vm, 1);
    cr_assert_not(irq_intr_pending(vm));
    outb(vm, 0x21, 0x00);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x31);
    devtest_free(vm);
}

Test(pic, cascade_slave_irq12)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_pulse(vm, 12);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x3C);
    cr_assert_eq(read_isr(vm, 0x20), 0x04);
    cr_assert_eq(read_isr(vm, 0xA0), 0x10);
    outb(vm, 0xA0, 0x20);                       /* Linux: EOI slave then master */
    outb(vm, 0x20, 0x62);                       /* specific EOI for IR2 */
    cr_assert_eq(read_isr(vm, 0x20), 0);
    cr_assert_eq(read_isr(vm, 0xA0), 0);
    devtest_free(vm);
}

Test(pic, priority_and_nesting)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_pulse(vm, 3);
    irq_pulse(vm, 1);
    cr_assert_eq(irq_intr_ack(vm), 0x31);       /* IRQ1 beats IRQ3 */
    cr_assert_not(irq_intr_pending(vm));        /* IRQ3 waits for IRQ1's EOI */
    irq_pulse(vm, 0);
    cr_assert(irq_intr_pending(vm));            /* IRQ0 may nest */
    cr_assert_eq(irq_intr_ack(vm), 0x30);
    outb(vm, 0x20, 0x20);                       /* ends IRQ0 (highest in service) */
    cr_assert_eq(read_isr(vm, 0x20), 0x02);
    outb(vm, 0x20, 0x20);
    cr_assert_eq(irq_intr_ack(vm), 0x33);
    devtest_free(vm);
}

Test(pic, spurious_irq7_and_irq15)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_pulse(vm, 4);
    outb(vm, 0x21, 0x10);                       /* masked before INTA */
    cr_assert_eq(irq_intr_ack(vm), 0x37);
    cr_assert_eq(read_isr(vm, 0x20), 0x00);     /* Linux's spurious test: ISR bit 7 clear */
    outb(vm, 0x21, 0x00);
    irq_pulse(vm, 9);
    outb(vm, 0xA1, 0x02);
    cr_assert_eq(irq_intr_ack(vm), 0x3F);       /* spurious IRQ15 */
    cr_assert_eq(read_isr(vm, 0xA0), 0x00);
    cr_assert_eq(read_isr(vm, 0x20), 0x04);     /* master saw a real IR2 */
    devtest_free(vm);
}

Test(pic, auto_eoi)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 1);
    irq_pulse(vm, 5);
    cr_assert_eq(irq_intr_ack(vm), 0x35);
    cr_assert_eq(read_isr(vm, 0x20), 0x00);
    devtest_free(vm);
}

Test(pic, edge_and_level)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_set_level(vm, 5, 1);
    cr_assert_eq(irq_intr_ack(vm), 0x35);
    outb(vm, 0x20, 0x20);
    cr_assert_not(irq_intr_pending(vm));        /* edge: a held line fires once */
    irq_set_level(vm, 5, 0);
    outb(vm, 0x4D0, 0x20);                      /* ELCR: IRQ5 level triggered */
    cr_assert_eq(inb(vm, 0x4D0), 0x20);
    outb(vm, 0x4D0, 0x07);
    cr_assert_eq(inb(vm, 0x4D0), 0x00);         /* IRQ0-2 cannot be level */
    outb(vm, 0x4D0, 0x20);
    irq_set_level(vm, 5, 1);
    cr_assert_eq(irq_intr_ack(vm), 0x35);
    outb(vm, 0x20, 0x20);
    cr_assert(irq_intr_pending(vm));            /* level: still asserted */
    irq_set_level(vm, 5, 0);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(pic, poll_mode)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_pulse(vm, 6);
    outb(vm, 0x20, 0x0C);                       /* OCW3 poll */
    cr_assert_eq(inb(vm, 0x20), 0x86);
    cr_assert_eq(read_isr(vm, 0x20), 0x40);
    outb(vm, 0x20, 0x0C);
    cr_assert_eq(inb(vm, 0x20), 0x00);          /* nothing more */
    devtest_free(vm);
}

Test(pic, rotation_on_eoi)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    irq_pulse(vm, 2 + 1);
    cr_assert_eq(irq_intr_ack(vm), 0x33);
    outb(vm, 0x20, 0xA0);                       /* rotate on non-specific EOI: IRQ3 lowest */
    irq_pulse(vm, 3);
    irq_pulse(vm, 6);
    cr_assert_eq(irq_intr_ack(vm), 0x36);       /* IRQ6 now beats IRQ3 */
    devtest_free(vm);
}
