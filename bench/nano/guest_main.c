/*
 * bench/nano/guest_main.c - the nanobenchmarks of Adams and Agesen
 * ("A comparison of software and hardware techniques for x86
 * virtualization", ASPLOS 2006) that the other benchmark guests lack, in
 * one ring-0 Multiboot guest run by bench/run-all.sh (group nano) under
 * every engine:
 *
 *   in_port    IN from a device register (the UART's line status)
 *   out_port   OUT to the POST port 0x80, which no device claims
 *   divzero    a divide by zero: #DE through the guest's IDT and back
 *   call_ret   a near CALL and RET (pure computation: no monitor at all)
 *
 * The system call (bench/syscall), page faults, PTE writes and CR3 switches
 * (bench/paging) are measured by their own guests.  Each prints
 * "bench NAME TICKS CHECKSUM OPS" (bench_guest.h), TICKS the best of REPS.
 */
#include "bench_guest.h"

#define REPS 3
#define N 20000u
#define UART_LSR 0x3FD
#define POST_PORT 0x80

static void bench_in(void)
{
    struct best b = { ~0ull };
    uint32_t sum = 0;
    for (unsigned r = 0; r < REPS; r++) {
        sum = 0;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < N; i++)
            sum += (inb(UART_LSR) & 0x20) != 0;     /* THR empty: always, no output waits */
        keep(&b, bench_rdtsc() - t0);
    }
    bench_report("in_port", b.ticks, sum, N);
}

static void bench_out(void)
{
    struct best b = { ~0ull };
    for (unsigned r = 0; r < REPS; r++) {
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < N; i++)
            outb(POST_PORT, (uint8_t)i);
        keep(&b, bench_rdtsc() - t0);
    }
    bench_report("out_port", b.ticks, N, N);
}

static void bench_divzero(void)
{
    struct best b = { ~0ull };
    uint32_t taken = 0;
    for (unsigned r = 0; r < REPS; r++) {
        uint32_t n0 = rt_trap.count;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < N; i++) {
            uint32_t lo = 1, hi = 0, zero = 0;
            TRY("divl %2", : "+a"(lo), "+d"(hi) : "r"(zero) : "cc", "memory");
        }
        keep(&b, bench_rdtsc() - t0);
        taken = rt_trap.count - n0;
    }
    CHECK(1, taken == N && rt_trap.f.vector == 0, "divzero: %u exceptions (vector %u), want %u #DE",
          taken, rt_trap.f.vector, N);
    bench_report("divzero", b.ticks, taken, N);
}

static __attribute__((noinline)) uint32_t step(uint32_t x)
{
    asm volatile("" : "+r"(x));
    return x * 3 + 1;
}

static void bench_call(void)
{
    struct best b = { ~0ull };
    uint32_t x = 0;
    for (unsigned r = 0; r < REPS; r++) {
        x = 0;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < N * 50; i++)
            x = step(x);
        keep(&b, bench_rdtsc() - t0);
    }
    bench_report("call_ret", b.ticks, x, N * 50);
}

void test_main(void)
{
    rt_puts("unit ticks\n");
    bench_in();
    bench_out();
    bench_divzero();
    bench_call();
    rt_puts("end\n");
}
