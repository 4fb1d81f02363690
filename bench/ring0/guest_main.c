/*
 * bench/ring0/guest_main.c - the kernels as a ring-0 Multiboot guest.
 * Times are RDTSC ticks: nanoseconds under vmm (its TSC runs at 1 GHz, see
 * cpu/cpuid.h), host TSC ticks under QEMU TCG.  Output on COM1; the run ends
 * with a write of 0 to the debug-exit port 0xF4.
 */
#include "kernels.h"
#include "guest_com1.h"          /* tests/diff/ */

uint64_t bench_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void bench_puts(const char *s)
{
    com1_puts(s);
}

void guest_main(void)
{
    bench_puts("unit ticks\n");
    bench_run_all(3);
    bench_puts("end\n");
    outb(DEBUG_EXIT, 0);
}
