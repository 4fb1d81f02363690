/*
 * tests/unit/test_uart16550.c - the 16550A as Linux's 8250 driver probes
 * and runs it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include "devtest.h"

#define COM1 0x3F8

static struct vm *setup(int pipefd[2])
{
    struct vm *vm = devtest_vm();
    devtest_pic_init(vm, 0);
    cr_assert_eq(pipe2(pipefd, O_NONBLOCK), 0);
    platform_of(vm)->com[0].out_fd = pipefd[1];
    return vm;
}

Test(uart, reset_state_and_transmit)
{
    int fd[2];
    struct vm *vm = setup(fd);
    cr_assert_eq(inb(vm, COM1 + 5), 0x60);      /* THRE | TEMT */
    cr_assert_eq(inb(vm, COM1 + 2), 0x01);      /* no interrupt */
    outb(vm, COM1, 'h');
    outb(vm, COM1, 'i');
    char buf[8];
    cr_assert_eq(read(fd[0], buf, sizeof buf), 2);
    cr_assert_eq(buf[0], 'h');
    cr_assert_eq(buf[1], 'i');
    devtest_free(vm);
}

Test(uart, divisor_latch_and_scratch)
{
    int fd[2];
    struct vm *vm = setup(fd);
    outb(vm, COM1 + 3, 0x80);                   /* DLAB */
    outb(vm, COM1 + 0, 0x01);
    outb(vm, COM1 + 1, 0x00);
    cr_assert_eq(inb(vm, COM1 + 0), 0x01);
    outb(vm, COM1 + 3, 0x03);                   /* 8N1 */
    cr_assert_eq(inb(vm, COM1 + 3), 0x03);
    outb(vm, COM1 + 7, 0xA5);
    cr_assert_eq(inb(vm, COM1 + 7), 0xA5);
    outb(vm, COM1, 'x');                        /* DLAB off: THR again */
    char c;
    cr_assert_eq(read(fd[0], &c, 1), 1);
    devtest_free(vm);
}

Test(uart, loopback_autoconfig)
{
    int fd[2];
    struct vm *vm = setup(fd);
    outb(vm, COM1 + 4, 0x1A);                   /* LOOP | OUT2 | RTS */
    cr_assert_eq(inb(vm, COM1 + 6) & 0xF0, 0x90);   /* DCD | CTS: 8250 autoconfig check */
    outb(vm, COM1, 0x55);
    cr_assert_eq(inb(vm, COM1 + 5) & 0x01, 0x01);
    cr_assert_eq(inb(vm, COM1), 0x55);
    cr_assert_eq(inb(vm, COM1 + 5) & 0x01, 0x00);
    char c;
    cr_assert_eq(read(fd[0], &c, 1), -1);       /* nothing left the chip */
    outb(vm, COM1 + 4, 0x0F);                   /* leave loopback */
    cr_assert_eq(inb(vm, COM1 + 6) & 0xF0, 0xB0);
    devtest_free(vm);
}

Test(uart, fifo_and_overrun)
{
    int fd[2];
    struct vm *vm = setup(fd);
    outb(vm, COM1 + 2, 0xC7);                   /* enable, clear, trigger 14 */
    cr_assert_eq(inb(vm, COM1 + 2) & 0xC0, 0xC0);   /* 16550A signature */
    outb(vm, COM1 + 4, 0x10);
    for (int i = 0; i < 17; i++)
        outb(vm, COM1, 'a' + i);
    cr_assert_eq(inb(vm, COM1 + 5) & 0x83, 0x83);   /* DR, OE, error in FIFO */
    cr_assert_eq(inb(vm, COM1 + 5) & 0x02, 0x00);   /* OE cleared by the read */
    for (int i = 0; i < 16; i++)
        cr_assert_eq(inb(vm, COM1), 'a' + i);
    cr_assert_eq(inb(vm, COM1 + 5) & 0x01, 0);
    outb(vm, COM1 + 2, 0x00);                   /* FIFO off: one holding register */
    outb(vm, COM1, '1');
    outb(vm, COM1, '2');
    cr_assert_eq(inb(vm, COM1 + 5) & 0x02, 0x02);
    cr_assert_eq(inb(vm, COM1), '1');
    devtest_free(vm);
}

Test(uart, iir_priorities)
{
    int fd[2];
    struct vm *vm = setup(fd);
    outb(vm, COM1 + 2, 0x07);                   /* FIFO, trigger 1 */
    outb(vm, COM1 + 4, 0x18);                   /* LOOP | OUT2 */
    cr_assert_eq(inb(vm, COM1 + 6), 0x83);      /* DCD from OUT2; CTS, DSR dropped */
    outb(vm, COM1 + 1, 0x0F);
    cr_assert_eq(inb(vm, COM1 + 2), 0xC2);      /* THR empty ... */
    cr_assert_eq(inb(vm, COM1 + 2), 0xC1);      /* ... cleared by reading IIR */
    for (int i = 0; i < 17; i++)
        outb(vm, COM1, 'x');                    /* data, overrun, and THRE again */
    cr_assert_eq(inb(vm, COM1 + 2), 0xC6);      /* line status first */
    inb(vm, COM1 + 5);
    cr_assert_eq(inb(vm, COM1 + 2), 0xC4);      /* then received data */
    for (int i = 0; i < 16; i++)
        inb(vm, COM1);
    cr_assert_eq(inb(vm, COM1 + 2), 0xC2);      /* then THR empty */
    outb(vm, COM1 + 4, 0x08);                   /* leaving loopback: MSR deltas */
    cr_assert_eq(inb(vm, COM1 + 2), 0xC0);      /* modem status last */
    cr_assert_neq(inb(vm, COM1 + 6) & 0x0F, 0);
    cr_assert_eq(inb(vm, COM1 + 2), 0xC1);
    devtest_free(vm);
}

Test(uart, thre_interrupt_reaches_pic)
{
    int fd[2];
    struct vm *vm = setup(fd);
    outb(vm, COM1 + 1, 0x02);                   /* ETBEI with THR empty */
    /* OUT2 off: the line is raised anyway, as QEMU's 16550 does (a real PC
     * would gate it). */
    cr_assert(irq_intr_pending(vm));
    outb(vm, COM1 + 4, 0x08);
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(irq_intr_ack(vm), 0x34);       /* IRQ4 */
    cr_assert_eq(inb(vm, COM1 + 2), 0x02);
    outb(vm, 0x20, 0x20);
    cr_assert_not(irq_intr_pending(vm));
    devtest_free(vm);
}

Test(uart, receive_and_char_timeout)
{
    int fd[2];
    struct vm *vm = setup(fd);
    struct uart *u = &platform_of(vm)->com[0];
    outb(vm, COM1 + 2, 0x47);                   /* FIFO, trigger 4 */
    outb(vm, COM1 + 4, 0x08);
    outb(vm, COM1 + 1, 0x01);
    cr_assert_eq(uart_rx_room(u), 16);
    uart_receive(u, 'k');
    cr_assert_eq(inb(vm, COM1 + 2), 0xC1);      /* below trigger: no interrupt yet */
    uint64_t due = uart_deadline(u);
    cr_assert_neq(due, UINT64_MAX);
    uart_tick(u, due);
    cr_assert_eq(inb(vm, COM1 + 2), 0xCC);      /* character timeout */
    cr_assert(irq_intr_pending(vm));
    cr_assert_eq(inb(vm, COM1), 'k');
    cr_assert_eq(inb(vm, COM1 + 2), 0xC1);
    for (int i = 0; i < 4; i++)
        uart_receive(u, '0' + i);
    cr_assert_eq(inb(vm, COM1 + 2), 0xC4);      /* trigger level reached */
    devtest_free(vm);
}
