/*
 * bench/ring0/guest_main.c - the kernels as a ring-0 Multiboot guest.
 * Times are RDTSC ticks: nanoseconds under vmm (its TSC runs at 1 GHz, see
 * cpu/cpuid.h), host TSC ticks under QEMU TCG.  Output on COM1; the run ends
 * with a write of 0 to the debug-exit port 0xF4.
 */
#include "kernels.h"

#define COM1 0x3F8
#define LSR_THRE 0x20

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

uint64_t bench_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void bench_puts(const char *s)
{
    for (; *s; s++) {
        while (!(inb(COM1 + 5) & LSR_THRE))
            ;
        outb(COM1, (uint8_t)*s);
    }
}

void guest_main(void)
{
    bench_puts("unit ticks\n");
    bench_run_all(3);
    bench_puts("end\n");
    outb(0xF4, 0);
}
