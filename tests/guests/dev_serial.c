/*
 * dev_serial - the 16550A on COM1 driven by its interrupt (IRQ4 through the
 * 8259, vector 0x24), as the 8250 driver does.
 *
 * 1. Transmit: with the THR empty, enabling ETBEI (IER bit 1) raises the
 *    THR-empty interrupt (IIR 0x02); the handler reads IIR and writes the
 *    next byte each time, and clears ETBEI after the last one.  The line
 *    reaches the host's stdout: ctest matches it.
 * 2. Loopback (MCR bit 4): the modem outputs come back as inputs (MSR
 *    0xB0 for DTR|RTS|OUT2), each byte written comes back with the
 *    received-data interrupt (IIR 0x04, LSR DR); in FIFO mode with trigger
 *    level 8, seven bytes raise nothing (IIR 0xC1), the eighth raises IIR
 *    0xC4, and three bytes below the trigger level end with the character
 *    timeout (IIR 0xCC).  LSR is 0x60 (THRE|TEMT) when idle.
 */
#include "dev_common.h"

#define THR 0
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define IRQ4_VEC (PIC_VEC_MASTER + 4)

static const char tx_msg[] = "dev_serial: sent through the THR-empty interrupt\n";
static volatile uint32_t tx_pos, tx_irqs;
static volatile uint8_t rx_buf[64];
static volatile uint32_t rx_n, rx_irqs;
static volatile uint8_t last_iir;
static volatile bool bad_lsr;

static uint8_t rd(int reg) { return inb(COM1 + reg); }
static void wr(int reg, uint8_t v) { outb(COM1 + reg, v); }

static void com1_irq(struct trap_frame *f)
{
    (void)f;
    uint8_t iir = rd(IIR);
    last_iir = iir;
    switch (iir & 0x0F) {
    case 0x02:                          /* THR empty */
        tx_irqs++;
        if (tx_msg[tx_pos])
            wr(THR, (uint8_t)tx_msg[tx_pos++]);
        else
            wr(IER, rd(IER) & ~0x02);
        break;
    case 0x04:                          /* received data available */
    case 0x0C:                          /* character timeout */
        rx_irqs++;
        if (!(rd(LSR) & 0x01))
            bad_lsr = true;
        while ((rd(LSR) & 0x01) && rx_n < sizeof rx_buf)
            rx_buf[rx_n++] = rd(RBR);
        break;
    default:
        rt_fail(120, "unexpected IIR 0x%x", iir);
    }
    pic_eoi(4);
}

static void wait_for(volatile uint32_t *v, uint32_t want, int n)
{
    uint64_t t0 = rdtsc();
    while (*v < want) {
        sti_hlt();
        cli();
        if (rdtsc() - t0 > TSC_HZ)
            rt_fail(n, "waited a second: %u of %u", *v, want);
    }
}

static void set_divisor(uint16_t div)
{
    wr(LCR, 0x80);
    wr(0, div & 0xFF);
    wr(1, div >> 8);
    wr(LCR, 0x03);                      /* 8N1 */
}

static void transmit_by_interrupt(void)
{
    set_divisor(1);
    wr(FCR, 0);
    wr(IER, 0);
    CHECK_EQ(1, rd(LSR), 0x60, "LSR when idle (THRE|TEMT)");
    CHECK_EQ(2, rd(IIR), 0x01, "IIR with no interrupt enabled");
    wr(MCR, 0x0B);                      /* DTR, RTS, OUT2 (IRQ to the bus) */
    wr(IER, 0x02);                      /* ETBEI: the empty THR interrupts at once */
    wait_for(&tx_pos, sizeof tx_msg - 1, 3);
    wait_for(&tx_irqs, sizeof tx_msg, 4);
    CHECK_EQ(5, tx_irqs, sizeof tx_msg, "THR-empty interrupts (one per byte and a last one)");
    CHECK_EQ(6, rd(IER), 0, "IER after the handler cleared ETBEI");
    CHECK_EQ(7, rd(LSR) & 0x60, 0x60, "LSR THRE|TEMT after the message");
}

static void loopback_echo(void)
{
    static const char echo[] = "echo 0123";
    wr(MCR, 0x1B);                      /* LOOP, OUT2, RTS, DTR */
    CHECK_EQ(10, rd(MSR) & 0xF0, 0xB0, "MSR in loopback: DCD(OUT2) DSR(DTR) CTS(RTS)");
    wr(IER, 0x01);                      /* ERBFI */
    rx_n = 0;
    for (uint32_t i = 0; echo[i]; i++) {
        wr(THR, (uint8_t)echo[i]);
        CHECK_EQ(11, rd(IIR), 0x04, "IIR after a byte came back (received data)");
        wait_for(&rx_n, i + 1, 12);
        CHECK_EQ(13, rx_buf[i], echo[i], "byte echoed in loopback");
    }
    CHECK(14, !bad_lsr, "LSR DR was clear in a received-data interrupt");
    CHECK_EQ(15, rd(LSR), 0x60, "LSR after reading every byte");
    CHECK_EQ(16, rd(IIR), 0x01, "IIR with nothing pending");
}

static void loopback_fifo(void)
{
    set_divisor(12);                    /* 9600 baud: a 4 ms character timeout */
    wr(FCR, 0x87);                      /* FIFO on, clear both, trigger level 8 */
    rx_n = 0;
    rx_irqs = 0;
    for (int i = 0; i < 7; i++)
        wr(THR, (uint8_t)('a' + i));
    CHECK_EQ(20, rd(IIR), 0xC1, "IIR below the trigger level (FIFO on, nothing pending)");
    CHECK_EQ(21, rd(LSR) & 0x01, 1, "LSR DR with bytes in the FIFO");
    wr(THR, 'h');
    CHECK_EQ(22, rd(IIR), 0xC4, "IIR at the trigger level");
    wait_for(&rx_n, 8, 23);
    CHECK_EQ(24, rx_irqs, 1, "interrupts for 8 bytes at trigger level 8");
    CHECK(25, memcmp((const void *)rx_buf, "abcdefgh", 8) == 0, "FIFO bytes out of order");

    for (int i = 0; i < 3; i++)
        wr(THR, (uint8_t)('x' + i));
    wait_for(&rx_n, 11, 26);
    CHECK_EQ(27, last_iir, 0xCC, "IIR of the character timeout");
    CHECK(28, memcmp((const void *)rx_buf + 8, "xyz", 3) == 0, "bytes after the timeout");
    CHECK_EQ(29, rd(LSR), 0x60, "LSR after draining the FIFO");
}

void test_main(void)
{
    dev_irq_init();
    dev_handlers[IRQ4_VEC] = com1_irq;
    pic_setup(0xFFEF);
    transmit_by_interrupt();
    loopback_echo();
    loopback_fifo();
    wr(IER, 0);
    wr(FCR, 0);
    wr(MCR, 0x03);                      /* out of loopback: rt_puts reaches the host again */
    set_divisor(1);
    rt_puts("dev_serial: loopback echo and FIFO ok\n");
}
