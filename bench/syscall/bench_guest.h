/*
 * bench/syscall/bench_guest.h - what the benchmark guests of bench/syscall,
 * bench/ring3 and bench/paging share, on top of tests/guests/lib (rt.h).
 *
 * Timing: RDTSC at CPL 0.  Under vmm the virtual TSC runs at 1 GHz
 * (VCPU_TSC_HZ in cpu/cpuid.h), so a tick is a nanosecond; under QEMU TCG
 * the guest reads the host TSC and bench/run-all.sh converts with the host
 * TSC frequency.  Ring-3 code never reads the TSC itself (under vmm a
 * ring-3 RDTSC traps to the monitor: an exit of its own in what is timed).
 *
 * Output on COM1, one line per measurement (the format of bench/ring0 with
 * an optional operation count):
 *     bench NAME TICKS CHECKSUM OPS
 * TICKS is the best of the repetitions for OPS operations; CHECKSUM must be
 * the same under every monitor.  The guest ends with "end" and a write of 0
 * to the debug-exit port (test_main returning: rt.c prints PASS and exits).
 *
 * Ring 3: bench_user_init() installs the exit gate (vector BENCH_EXIT_VECTOR,
 * DPL 3) and a kernel stack in TSS.ESP0; bench_user_call(fn) IRETs to fn at
 * CPL 3 (CS=RT_UCODE, SS=DS=ES=FS=GS=RT_UDATA, IF=0) on its own user stack
 * and returns fn's value, at CPL 0, when fn returns (user.asm).
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include "rt.h"

#define BENCH_EXIT_VECTOR 0x81

static inline uint64_t bench_rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The best (smallest) time of several repetitions: start at { ~0ull }. */
struct best {
    uint64_t ticks;
};

static inline void keep(struct best *b, uint64_t t)
{
    if (t < b->ticks)
        b->ticks = t;
}

void bench_report(const char *name, uint64_t ticks, uint32_t checksum, uint32_t ops);
void bench_put_u64(uint64_t v);

void bench_user_init(void);
uint32_t bench_user_call(uint32_t (*fn)(void));

/* user.asm */
extern char bench_user_exit_gate[];
uint32_t bench_user_enter(uint32_t (*fn)(void), uint32_t user_esp);

#endif
