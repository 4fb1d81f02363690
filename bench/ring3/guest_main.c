/*
 * bench/ring3/guest_main.c - the compute kernels of bench/ring0 run at CPL 3
 * (directly executed guest user code against the same code run as
 * a native 32-bit Linux program; target 0.95 of native or better).
 *
 * The kernel side enters ring 3 once (bench_user_call) and the user side
 * runs bench_run_all() of bench/ring0/kernels.c, built with the same flags
 * as bench/ring0's native program.  Ring 3 cannot read the virtual TSC (vmm
 * leaves RDTSC untrapped in ring 3, where it reads the host's counter) nor
 * print, so bench_now() and bench_puts() are system calls to ring3_sys.asm:
 * the kernel reads the TSC, which is a nanosecond clock under vmm.  One
 * system call per measurement costs microseconds against kernels of tens
 * of milliseconds.
 */
#include "bench_guest.h"
#include "kernels.h"

#define SYS_NOW 1
#define SYS_PUTS 2
#define REPS 3

extern char ring3_sys[];

/* ---- ring 3 ---------------------------------------------------------------- */

uint64_t bench_now(void)
{
    uint32_t lo, hi;
    asm volatile("int $0x80" : "=a"(lo), "=d"(hi) : "a"(SYS_NOW) : "memory");
    return (uint64_t)hi << 32 | lo;
}

void bench_puts(const char *s)
{
    asm volatile("int $0x80" :: "a"(SYS_PUTS), "S"(s) : "memory");
}

static uint32_t user_main(void)
{
    bench_run_all(REPS);
    return 0;
}

/* ---- ring 0 ---------------------------------------------------------------- */

void test_main(void)
{
    bench_user_init();
    rt_idt_set(0x80, (uint32_t)ring3_sys, RT_KCODE, GATE_TRAP3);
    rt_puts("unit ticks\n");
    bench_user_call(user_main);
    rt_puts("end\n");
}
