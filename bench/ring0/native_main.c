/*
 * bench/ring0/native_main.c - the kernels as a native 32-bit Linux program.
 * Times are clock_gettime(CLOCK_MONOTONIC) nanoseconds.  Also prints the host
 * TSC frequency (measured against that clock), which bench/run.sh needs to
 * turn a TCG guest's RDTSC ticks (host TSC ticks) into nanoseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "kernels.h"

uint64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_puts(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint64_t tsc_hz(void)
{
    uint64_t t0 = bench_now(), c0 = rdtsc(), t1, c1;
    do
        t1 = bench_now();
    while (t1 - t0 < 200000000ull);
    c1 = rdtsc();
    return (c1 - c0) * 1000000000ull / (t1 - t0);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    printf("unit ns\ntsc_hz %llu\n", (unsigned long long)tsc_hz());
    bench_run_all(reps);
    puts("end");
    return 0;
}
