/*
 * tests/unit/test_i8042.c - the controller probe Linux's i8042.c performs,
 * keyboard answers, A20 and reset.
 */
#include "devtest.h"

static void wait_cmd(struct vm *vm, uint8_t c) { outb(vm, 0x64, c); }

static uint8_t read_data(struct vm *vm)
{
    cr_assert(inb(vm, 0x64) & 0x01, "output buffer empty");
    return inb(vm, 0x60);
}

Test(i8042, self_tests)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(inb(vm, 0x64) & 0x03, 0);      /* nothing to read, ready for input */
    wait_cmd(vm, 0xAA);
    cr_assert_eq(read_data(vm), 0x55);
    cr_assert(inb(vm, 0x64) & 0x04);            /* SYS flag */
    wait_cmd(vm, 0xAB);
    cr_assert_eq(read_data(vm), 0x00);
    wait_cmd(vm, 0xA9);
    cr_assert_eq(read_data(vm), 0x00);
    cr_assert_eq(inb(vm, 0x64) & 0x01, 0);
    devtest_free(vm);
}

Test(i8042, command_byte_and_irq1)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    wait_cmd(vm, 0x20);
    uint8_t cb = read_data(vm);
    cr_assert_eq(cb & 0x01, 0x01);
    cr_assert_eq(irq_intr_ack(vm), 0x31);       /* the reply raised IRQ1 */
    outb(vm, 0x20, 0x20);
    wait_cmd(vm, 0x60);
    outb(vm, 0x60, cb & ~0x03);                 /* interrupts off */
    wait_cmd(vm, 0x20);
    cr_assert_eq(read_data(vm), cb & ~0x03);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(i8042, keyboard_reset_and_id)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x60, 0xFF);
    cr_assert_eq(read_data(vm), 0xFA);
    cr_assert_eq(read_data(vm), 0xAA);
    outb(vm, 0x60, 0xF2);
    cr_assert_eq(read_data(vm), 0xFA);
    cr_assert_eq(read_data(vm), 0xAB);
    cr_assert_eq(read_data(vm), 0x83);
    outb(vm, 0x60, 0xED);                       /* set LEDs + parameter */
    cr_assert_eq(read_data(vm), 0xFA);
    outb(vm, 0x60, 0x07);
    cr_assert_eq(read_data(vm), 0xFA);
    outb(vm, 0x60, 0x42);                       /* not a keyboard command */
    cr_assert_eq(read_data(vm), 0xFE);
    cr_assert_eq(platform_of(vm)->kbc.unknown_cmds, 1);
    devtest_free(vm);
}

/* Each byte of a multi-byte reply raises its own IRQ1 edge: Linux reads
 * one byte per interrupt (the keyboard ID read at probe time waited for
 * timeouts, 2.6 s at every boot's power-off, without it). */
Test(i8042, one_interrupt_per_reply_byte)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    outb(vm, 0x60, 0xF2);                       /* GET ID: FA AB 83 */
    const uint8_t want[] = { 0xFA, 0xAB, 0x83 };
    for (int i = 0; i < 3; i++) {
        cr_assert(irq_intr_pending(vm), "IRQ1 for byte %d", i);
        cr_assert_eq(irq_intr_ack(vm), 0x31);
        cr_assert_eq(read_data(vm), want[i]);
        outb(vm, 0x20, 0x20);                   /* EOI */
    }
    cr_assert_not(irq_intr_pending(vm), "no interrupt once the queue is empty");
    devtest_free(vm);
}

Test(i8042, aux_loopback_and_mouse)
{
    struct vm *vm = devtest_vm();
    wait_cmd(vm, 0xD3);                         /* Linux i8042_check_aux */
    outb(vm, 0x60, 0x5A);
    cr_assert_eq(inb(vm, 0x64) & 0x21, 0x21);   /* AUX data */
    cr_assert_eq(inb(vm, 0x60), 0x5A);
    wait_cmd(vm, 0xD4);
    outb(vm, 0x60, 0xF2);
    cr_assert_eq(read_data(vm), 0xFA);
    cr_assert_eq(read_data(vm), 0x00);          /* standard mouse */
    devtest_free(vm);
}

Test(i8042, a20_output_port)
{
    struct vm *vm = devtest_vm();
    wait_cmd(vm, 0xD0);
    cr_assert_eq(read_data(vm) & 0x03, 0x03);
    cr_assert_eq(inb(vm, 0x92) & 0x02, 0x02);
    wait_cmd(vm, 0xD1);
    outb(vm, 0x60, 0xDF);                       /* A20 on, reset inactive */
    cr_assert_not(vm->stop);
    devtest_free(vm);
}

Test(i8042, reset_pulse_ends_run)
{
    struct vm *vm = devtest_vm();
    wait_cmd(vm, 0xFE);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0);
    devtest_free(vm);
}

Test(i8042, port92_fast_reset)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x92, 0x02);
    cr_assert_not(vm->stop);
    outb(vm, 0x92, 0x03);
    cr_assert(vm->stop);
    devtest_free(vm);
}

/* Keys from the terminal: set 2 from the keyboard, set 1 out of the
 * controller while it translates, one byte per IRQ1. */
Test(i8042, keys_translated_to_set1_with_irq1)
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    static const uint8_t shift_a[] = { 0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12 };
    i8042_keys(&platform_of(vm)->kbc, shift_a, sizeof shift_a);
    static const uint8_t want[] = { 0x2A, 0x1E, 0x9E, 0xAA };
    for (unsigned i = 0; i < sizeof want; i++) {
        cr_assert(irq_intr_pending(vm), "IRQ1 for byte %u", i);
        cr_assert_eq(irq_intr_ack(vm), 0x31);
        cr_assert_eq(read_data(vm), want[i]);
        outb(vm, 0x20, 0x20);
    }
    cr_assert_eq(inb(vm, 0x64) & 0x01, 0);
    devtest_free(vm);
}

Test(i8042, keys_in_set2_without_translation_and_held_while_disabled)
{
    struct vm *vm = devtest_vm();
    wait_cmd(vm, 0x60);
    outb(vm, 0x60, 0x05);                       /* no translation, IRQs off */
    wait_cmd(vm, 0xAD);                         /* keyboard interface off */
    static const uint8_t up[] = { 0xE0, 0x75, 0xE0, 0xF0, 0x75 };
    i8042_keys(&platform_of(vm)->kbc, up, sizeof up);
    cr_assert_eq(inb(vm, 0x64) & 0x01, 0, "held while the interface is off");
    wait_cmd(vm, 0xAE);
    for (unsigned i = 0; i < sizeof up; i++)
        cr_assert_eq(read_data(vm), up[i]);
    outb(vm, 0x60, 0xF5);                       /* stop scanning */
    cr_assert_eq(read_data(vm), 0xFA);
    i8042_keys(&platform_of(vm)->kbc, up, 2);
    cr_assert_eq(inb(vm, 0x64) & 0x01, 0, "a keyboard that does not scan sends nothing");
    outb(vm, 0x60, 0xF4);
    cr_assert_eq(read_data(vm), 0xFA);
    cr_assert_eq(inb(vm, 0x64) & 0x01, 0, "keys pressed while it did not scan are lost");
    i8042_keys(&platform_of(vm)->kbc, up, 2);
    cr_assert_eq(read_data(vm), 0xE0);
    devtest_free(vm);
}
