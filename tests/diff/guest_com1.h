/*
 * tests/diff/guest_com1.h - the output of a bare ring-0 guest started by
 * guest_start.asm (no runtime, no interrupts): polled writes to COM1 and the
 * debug-exit port.  Used by tests/diff/guest_main.c and
 * bench/ring0/guest_main.c.
 */
#ifndef DIFF_GUEST_COM1_H
#define DIFF_GUEST_COM1_H

#include <stdint.h>

#define COM1 0x3F8
#define LSR_THRE 0x20           /* line status: transmit holding register empty */
#define DEBUG_EXIT 0xF4         /* debug-exit port: writing 0 ends the run, vmm status 1 */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Each byte once the transmit holding register is empty: the UART has no
 * interrupt set up, so the guest waits on the line status register. */
static inline void com1_puts(const char *s)
{
    for (; *s; s++) {
        while (!(inb(COM1 + 5) & LSR_THRE))
            ;
        outb(COM1, (uint8_t)*s);
    }
}

#endif
