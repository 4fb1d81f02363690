/*
 * bench/syscall/guest_main.c - the guest system-call round trip (issue 3).
 *
 * A Multiboot kernel that enters ring 3 and runs N `int 0x80` round trips
 * to a handler that is a bare IRET (syscall_user.asm): the cost of one
 * privilege change down through a DPL-3 trap gate (stack from TSS.SS0:ESP0)
 * and one IRET back.  Under vmm each round trip is a host trap (seccomp
 * SIGSYS), the monitor's event delivery, the translated handler and the
 * return to direct execution (docs/direct.md); bench/run-all.sh compares it
 * with the bare host signal round trip (host_signal.c).
 *
 * Timed at CPL 0 around the whole ring-3 run (one IRET and one exit call
 * more than N round trips: noise at N = 200000).
 */
#include "bench_guest.h"

#define N_CALLS 200000u
#define REPS 3

extern uint32_t u_calls;
extern uint32_t u_syscall_loop(void);
extern char sys_iret[];

void test_main(void)
{
    uint64_t best = ~0ull;
    uint32_t done = 0;

    bench_user_init();
    rt_idt_set(0x80, (uint32_t)sys_iret, RT_KCODE, GATE_TRAP3);
    rt_puts("unit ticks\n");
    for (int r = 0; r < REPS; r++) {
        u_calls = N_CALLS;
        uint64_t t0 = bench_rdtsc();
        done = bench_user_call(u_syscall_loop);
        uint64_t t = bench_rdtsc() - t0;
        if (t < best)
            best = t;
    }
    bench_report("int80_roundtrip", best, done, N_CALLS);
    rt_puts("end\n");
}
