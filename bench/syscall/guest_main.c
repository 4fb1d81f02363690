/*
 * bench/syscall/guest_main.c - the guest system-call round trip.
 *
 * A Multiboot kernel that enters ring 3 and runs N `int 0x80` round trips
 * to a handler that is a bare IRET (syscall_user.asm): the cost of one
 * privilege change down through a DPL-3 trap gate (stack from TSS.SS0:ESP0)
 * and one IRET back.  Then N SYSENTER round trips to a handler that is a
 * bare SYSEXIT (IA32_SYSENTER_CS/ESP/EIP set with WRMSR), with the calling
 * convention of Linux's vDSO: the way a Linux guest's programs enter their
 * kernel on a CPU with SEP.  Under vmm each round trip is a host trap (seccomp
 * SIGSYS), the monitor's event delivery, the translated handler and the
 * return to direct execution (docs/direct.md); bench/run-all.sh compares
 * each with the host's own round trip of the same trap (host_syscall.c)
 * and with the bare host signal round trip (host_signal.c).
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
extern uint32_t u_sysenter_loop(void);
extern char sys_sysexit[];

static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static void wrmsr(uint32_t msr, uint32_t value)
{
    asm volatile("wrmsr" :: "c"(msr), "a"(value), "d"(0));
}

/* Best of REPS runs of N_CALLS round trips of the ring-3 loop fn. */
static void measure(const char *name, uint32_t (*fn)(void))
{
    uint64_t best = ~0ull;
    uint32_t done = 0;
    for (int r = 0; r < REPS; r++) {
        u_calls = N_CALLS;
        uint64_t t0 = bench_rdtsc();
        done = bench_user_call(fn);
        uint64_t t = bench_rdtsc() - t0;
        if (t < best)
            best = t;
    }
    bench_report(name, best, done, N_CALLS);
}

void test_main(void)
{
    bench_user_init();
    rt_idt_set(0x80, (uint32_t)sys_iret, RT_KCODE, GATE_TRAP3);
    /* SYSENTER_CS: kernel code; +8 kernel data, +16 user code, +24 user
     * data, the order of the runtime's GDT (rt.h). */
    wrmsr(0x174, RT_KCODE);
    wrmsr(0x175, (uint32_t)(sysenter_stack + sizeof sysenter_stack));
    wrmsr(0x176, (uint32_t)sys_sysexit);
    rt_puts("unit ticks\n");
    measure("int80_roundtrip", u_syscall_loop);
    measure("sysenter_roundtrip", u_sysenter_loop);
    rt_puts("end\n");
}
