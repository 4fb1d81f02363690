/*
 * tests/diff/guest_main.c - the guest side: the same cases run at ring 0
 * under the monitor; lines go out on COM1 and the run ends through the
 * debug-exit port (write 0 -> vmm exit status 1).
 */
#include <stdint.h>
#include "runner.h"

#define COM1 0x3F8
#define LSR_THRE 0x20           /* line status: transmit holding register empty */
#define DEBUG_EXIT 0xF4

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

static void serial_out(const char *s)
{
    for (; *s; s++) {
        while (!(inb(COM1 + 5) & LSR_THRE))
            ;
        outb(COM1, (uint8_t)*s);
    }
}

void guest_main(void)
{
    int r = diff_run_all(serial_out);
    outb(DEBUG_EXIT, r ? 1 : 0);
}
