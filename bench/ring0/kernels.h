/*
 * bench/ring0/kernels.h - the ring-0 compute benchmark, built twice from the
 * same source: as a Multiboot guest (timed with RDTSC, which the monitor runs
 * at 1 GHz, so ticks are nanoseconds) and as a native 32-bit Linux program
 * (timed with clock_gettime).  Each kernel returns a checksum: the two builds
 * must print the same checksums, or the comparison is void.
 */
#ifndef BENCH_RING0_KERNELS_H
#define BENCH_RING0_KERNELS_H

#include <stdint.h>

/* Provided by each build. */
uint64_t bench_now(void);               /* guest: TSC ticks; native: ns */
void bench_puts(const char *s);

/* Run every kernel `reps` times; print "bench NAME BEST CHECKSUM" per kernel
 * (BEST = the smallest time of the reps, in bench_now() units). */
void bench_run_all(int reps);

#endif
