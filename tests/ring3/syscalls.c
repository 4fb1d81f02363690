/*
 * tests/ring3/syscalls.c - 1000 system calls from ring 3 (int 0x80 through a
 * DPL-3 trap gate).  The kernel returns EBX*2+1 in EAX and checks every frame
 * (CS/SS are the guest's user selectors, the pushed SS:ESP is the user stack
 * at the INT, EIP is the instruction after it); ring 3 checks every result
 * and that no other register changed (syscalls_user.asm, u_check_regs).
 * After every call ring 3 also reads the TSC: it must be the guest's (not
 * the host's), between the kernel's reads in the call before and after
 * (under vmm RDTSC traps in ring 3, and the trap stays on across system
 * calls that do not read the clock: cpu/host_clock.h).
 */
#include "lib3.h"

#define N_CALLS 1000
#define SYS_DOUBLE SYS_TEST

extern uint32_t u_syscalls(void);
extern char u_sys_ret[];
extern volatile uint32_t u_i, u_sys_esp, u_regs[8];
uint32_t u_ok;                          /* ring 3's count of good results */
static uint64_t k_tsc;                  /* the kernel's TSC in the last call */
static uint64_t u_tsc;                  /* ring 3's TSC after the last call */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint32_t calls;                  /* the kernel's count */
static const uint32_t pattern[8] = {    /* u_regs order: eax ecx edx ebx esp ebp esi edi */
    0, 0x11111111, 0x22222222, 0, 0, 0x55555555, 0x33333333, 0x44444444,
};
static const char *const reg_what[8] = {
    "EAX after int 0x80", "ECX preserved", "EDX preserved", "EBX preserved",
    "ESP preserved", "EBP preserved", "ESI preserved", "EDI preserved",
};

/* Runs at CPL 3, after each call. */
void u_check_regs(void)
{
    uint32_t i = u_i;
    for (int r = 0; r < 8; r++) {
        uint32_t want = i ^ pattern[r];
        if (r == 0)
            want = 2 * i + 1;
        else if (r == 4)
            want = u_sys_esp;
        U_CHECK_EQ(10 + r, u_regs[r], want, reg_what[r]);
    }
    /* Not the host's counter: at most a second of guest time (10^10 ticks
     * even at 10 GHz) after the kernel's read. */
    u_tsc = rdtsc();
    U_CHECK_EQ(18, u_tsc >= k_tsc, 1, "ring-3 TSC not before the kernel's in the call");
    U_CHECK_EQ(19, u_tsc - k_tsc < 10000000000ull, 1, "ring-3 TSC is the guest's (near the kernel's)");
    u_ok++;
}

static void on_syscall(struct r3_frame *f)
{
    CHECK_EQ(1, f->t.vector, 0x80, "vector of the event from the user loop");
    CHECK_EQ(2, f->t.eax, SYS_DOUBLE, "system-call number");
    r3_check_user_frame(3, f, u_sys_esp, "int 0x80 frame");
    CHECK_EQ(4, f->t.eip, (uint32_t)u_sys_ret, "EIP pushed by int 0x80 (the next instruction)");
    CHECK_EQ(5, f->t.ebx, calls, "EBX argument (the loop counter)");
    CHECK_EQ(6, f->t.eflags & (EFL_IF | EFL_IOPL | EFL_TF | 0x2u), 0x2u,
             "user EFLAGS IF/IOPL/TF as r3_run set them");
    if (calls == 0)
        rt_printf("syscalls: first frame: vector 0x%x, CS:EIP %x:%x, SS:ESP %x:%x, EFLAGS 0x%x\n",
                  f->t.vector, f->t.cs, f->t.eip, f->ss, f->esp, f->t.eflags);
    uint64_t t = rdtsc();
    CHECK(7, t >= u_tsc, "kernel TSC before ring 3's read after the previous call");
    k_tsc = t;
    f->t.eax = f->t.ebx * 2 + 1;
    calls++;
}

void test_main(void)
{
    r3_init();
    r3_on_event = on_syscall;
    uint32_t ok = r3_run(u_syscalls, 0x2);
    CHECK_EQ(20, calls, N_CALLS, "system calls the kernel saw");
    CHECK_EQ(21, ok, N_CALLS, "results ring 3 found right");
    rt_printf("syscalls: %u calls from ring 3: results and registers checked in ring 3, "
              "frames checked in the kernel\n", ok);
}
