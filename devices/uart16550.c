/*
 * devices/uart16550.c - 16550A UART (NS PC16550D datasheet).
 *
 * Transmission is instantaneous: the THR empties as soon as it is written,
 * so LSR.THRE/TEMT are always set and a THR-empty interrupt follows every
 * write when IER.ETBEI is on.  The baud rate divisor only matters for the
 * receive character timeout (four character times, datasheet "FIFO
 * interrupt mode operation").
 */
#include <errno.h>
#include <unistd.h>
#include "devices/uart16550.h"
#include "devices/device.h"
#include "devices/irq.h"

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS 0x1E
#define MCR_LOOP 0x10
#define LCR_DLAB 0x80
#define FCR_ENABLE 0x01

static const int trigger_levels[4] = { 1, 4, 8, 14 };

static bool fifo_on(struct uart *u)
{
    return u->fcr & FCR_ENABLE;
}

static int rx_trigger(struct uart *u)
{
    return fifo_on(u) ? trigger_levels[u->fcr >> 6] : 1;
}

/* IIR value of the highest-priority pending interrupt (datasheet table 4). */
static uint8_t iir_source(struct uart *u)
{
    if ((u->ier & 0x04) && (u->lsr & LSR_ERRS))
        return 0x06;
    if ((u->ier & 0x01) && u->rx_count >= rx_trigger(u))
        return 0x04;
    if ((u->ier & 0x01) && u->timeout_ipending && u->rx_count)
        return 0x0C;
    if ((u->ier & 0x02) && u->thr_ipending)
        return 0x02;
    if ((u->ier & 0x08) && (u->msr & 0x0F))
        return 0x00;
    return 0x01;
}

static void update_irq(struct uart *u)
{
    /* On a real PC, OUT2 enables the buffer that drives the UART's INTR
     * onto the ISA IRQ line, so with OUT2 clear nothing arrives.  QEMU's
     * 16550 raises the line whatever OUT2 says, and guests written against
     * QEMU leave OUT2 clear and still expect receive interrupts: the line
     * follows INTR alone, as in QEMU (docs/devices.md). */
    int level = iir_source(u) != 0x01;
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->vm)
            irq_set_level(u->vm, u->irq, level);
    }
}

static void rx_push(struct uart *u, uint8_t b)
{
    int cap = fifo_on(u) ? UART_FIFO : 1;
    if (u->rx_count >= cap) {
        u->lsr |= LSR_OE;           /* the new character is lost */
        u->overruns++;
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = b;
    u->rx_count++;
    u->lsr |= LSR_DR;
    u->rx_bytes++;
}

static uint8_t rx_pop(struct uart *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO;
    if (--u->rx_count == 0)
        u->lsr &= ~LSR_DR;
    return b;
}

/* Modem status in loopback: the outputs are wired back to the inputs
 * (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD); otherwise a connected
 * terminal: CTS, DSR and DCD asserted. */
static void update_msr(struct uart *u)
{
    uint8_t lines;
    if (u->mcr & MCR_LOOP)
        lines = ((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
                ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4);
    else
        lines = 0xB0;
    uint8_t old = u->msr & 0xF0, delta = 0;
    delta |= ((old ^ lines) & 0x10) ? 0x01 : 0;        /* DCTS */
    delta |= ((old ^ lines) & 0x20) ? 0x02 : 0;        /* DDSR */
    delta |= ((old & 0x40) && !(lines & 0x40)) ? 0x04 : 0; /* TERI: RI went away */
    delta |= ((old ^ lines) & 0x80) ? 0x08 : 0;        /* DDCD */
    u->msr = lines | (u->msr & 0x0F) | delta;
}

static void transmit(struct uart *u, uint8_t b)
{
    u->tx_bytes++;
    if (u->mcr & MCR_LOOP) {
        rx_push(u, b);
        u->last_rx_ns = host_now_ns();
        u->timeout_ipending = false;
    } else if (u->out_fd >= 0) {
        while (write(u->out_fd, &b, 1) < 0 && errno == EINTR)
            ;
    }
    u->thr_ipending = true;         /* THR empties at once */
}

static void write_fcr(struct uart *u, uint8_t v)
{
    if ((v ^ u->fcr) & FCR_ENABLE)
        v |= 0x06;                  /* toggling FIFO mode clears both FIFOs */
    if (v & 0x02) {
        u->rx_count = u->rx_head = 0;
        u->lsr &= ~LSR_DR;
        u->timeout_ipending = false;
    }
    u->fcr = v & 0xC9;              /* enable, DMA mode, trigger level */
}

static void uart_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct uart *u = opaque;
    uint8_t v = value;
    bool dlab = u->lcr & LCR_DLAB;

    switch (port - u->base) {
    case RBR:
        if (dlab) u->dll = v; else transmit(u, v);
        break;
    case IER:
        if (dlab) { u->dlm = v; break; }
        /* Enabling ETBEI with the THR empty raises the interrupt at once;
         * Linux's 8250 driver checks for exactly this. */
        if ((v & 0x02) && !(u->ier & 0x02))
            u->thr_ipending = true;
        u->ier = v & 0x0F;
        break;
    case IIR: write_fcr(u, v); break;
    case LCR: u->lcr = v; break;
    case MCR: u->mcr = v & 0x1F; update_msr(u); break;
    case LSR: break;                /* factory test register on the 16550 */
    case MSR: break;
    case SCR: u->scr = v; break;
    }
    update_irq(u);
}

static uint32_t uart_read(void *opaque, uint16_t port, int size)
{
    struct uart *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t r = 0xFF;

    switch (port - u->base) {
    case RBR:
        if (dlab) { r = u->dll; break; }
        r = rx_pop(u);
        u->timeout_ipending = false;
        u->last_rx_ns = host_now_ns();
        break;
    case IER: r = dlab ? u->dlm : u->ier; break;
    case IIR:
        r = iir_source(u);
        if (r == 0x02)
            u->thr_ipending = false; /* reading IIR clears a THRE source */
        if (fifo_on(u))
            r |= 0xC0;
        break;
    case LCR: r = u->lcr; break;
    case MCR: r = u->mcr; break;
    case LSR:
        r = u->lsr | LSR_THRE | LSR_TEMT;
        if (u->lsr & LSR_ERRS && fifo_on(u))
            r |= 0x80;
        u->lsr &= ~LSR_ERRS;        /* error bits clear on read */
        break;
    case MSR:
        r = u->msr;
        u->msr &= 0xF0;             /* delta bits clear on read */
        break;
    case SCR: r = u->scr; break;
    }
    update_irq(u);
    return r;
}

static const struct device_ops uart_ops = {
    .name = "uart16550",
    .pio_read = uart_read,
    .pio_write = uart_write,
};

int uart_rx_room(struct uart *u)
{
    if (u->mcr & MCR_LOOP)
        return 0;                   /* the serial input pin is disconnected */
    return (fifo_on(u) ? UART_FIFO : 1) - u->rx_count;
}

void uart_receive(struct uart *u, uint8_t byte)
{
    rx_push(u, byte);
    u->last_rx_ns = host_now_ns();
    u->timeout_ipending = false;
    update_irq(u);
}

static uint64_t char_time_ns(struct uart *u)
{
    unsigned div = u->dll | (u->dlm << 8);
    if (!div)
        div = 1;
    /* 10 bits per character, 16 clocks per bit, 1.8432 MHz reference. */
    return (uint64_t)div * 160 * 1000000000ull / 1843200;
}

uint64_t uart_deadline(struct uart *u)
{
    if (!fifo_on(u) || !u->rx_count || u->timeout_ipending ||
        u->rx_count >= rx_trigger(u))
        return UINT64_MAX;
    return u->last_rx_ns + 4 * char_time_ns(u);
}

void uart_tick(struct uart *u, uint64_t now_ns)
{
    if (now_ns >= uart_deadline(u)) {
        u->timeout_ipending = true;
        update_irq(u);
    }
}

int uart_init(struct uart *u, struct vm *vm, struct io_bus *bus,
              uint16_t base, int irq, int out_fd)
{
    *u = (struct uart){ .vm = vm, .base = base, .irq = irq, .out_fd = out_fd };
    u->dll = 12;                    /* 9600 baud until the guest sets it */
    u->lsr = 0;
    update_msr(u);
    u->msr &= 0xF0;
    return io_register_pio(bus, base, 8, &uart_ops, u);
}
