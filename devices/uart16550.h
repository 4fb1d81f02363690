/*
 * devices/uart16550.h - National Semiconductor 16550A UART (COM1, COM2).
 *
 * Contract: eight registers at `base`, IRQ `irq` (gated by MCR.OUT2 as on a
 * PC).  Transmitted bytes go to out_fd at once (a write(2) per byte, so the
 * guest's console output is never held in a buffer); with out_fd < 0 they
 * are counted and dropped.  Received bytes are pushed by the host side with
 * uart_receive() when uart_rx_room() says the FIFO has room, so host input
 * is never lost to an overrun.  uart_tick() drives the character-timeout
 * interrupt of FIFO mode.
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define UART_FIFO 16

struct uart {
    struct vm *vm;
    uint16_t base;
    int irq, irq_level;
    int out_fd;

    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    uint8_t rx[UART_FIFO];
    int rx_head, rx_count;
    bool thr_ipending;          /* THR-empty interrupt latched, cleared by IIR read or THR write */
    bool timeout_ipending;      /* FIFO character timeout */
    uint64_t last_rx_ns;        /* last FIFO activity, for the timeout */

    uint64_t tx_bytes, rx_bytes, overruns;
};

int uart_init(struct uart *u, struct vm *vm, struct io_bus *bus,
              uint16_t base, int irq, int out_fd);
int uart_rx_room(struct uart *u);
void uart_receive(struct uart *u, uint8_t byte);
void uart_tick(struct uart *u, uint64_t now_ns);
/* Host time when the character timeout will be due, UINT64_MAX if none. */
uint64_t uart_deadline(struct uart *u);

#endif
