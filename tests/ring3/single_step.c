/*
 * tests/ring3/single_step.c - EFLAGS.TF in ring 3: the #DB trap after each
 * instruction, with the EIP of the next one (a jump reports its target),
 * the user registers as the instruction left them, DR6.BS set and the
 * frame from CPL 3.  After the fifth trap the handler clears TF in the
 * saved EFLAGS, so IRET ends the stepping.
 */
#include "lib3.h"

#define DR6_BS 0x4000u

extern uint32_t u_step(void);
extern char s_i1[], s_i2[], s_i3[], s_i4[], s_i5[], s_after[];

static const struct {
    const char *eip;
    uint32_t eax;
} steps[] = {
    { s_i2, 1 }, { s_i3, 3 }, { s_i4, 3 }, { s_i5, 12 }, { s_after, 13 },
};
#define N_STEPS (sizeof steps / sizeof steps[0])

static unsigned traps;
static uint32_t user_esp;

static uint32_t read_dr6(void) { uint32_t v; asm volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(uint32_t v) { asm volatile("mov %0, %%dr6" :: "r"(v)); }

static void on_debug(struct r3_frame *f)
{
    int n = 10 + 4 * (int)traps;
    if (traps >= N_STEPS)
        rt_fail(1, "a trap after TF was cleared: vector %u at %x:%x eflags 0x%x",
                f->t.vector, f->t.cs, f->t.eip, f->t.eflags);
    CHECK_EQ(n, f->t.vector, 1, "vector of a single-step trap");
    r3_check_user_frame(n + 1, f, RT_ANY, "single-step frame");
    if (traps == 0)
        user_esp = f->esp;
    CHECK_EQ(n + 1, f->esp, user_esp, "user ESP during the steps");
    if (f->t.eip != (uint32_t)steps[traps].eip || f->t.eax != steps[traps].eax)
        rt_fail(n + 2, "step %u: EIP 0x%x EAX %u, want EIP 0x%x EAX %u", traps + 1,
                f->t.eip, f->t.eax, (uint32_t)steps[traps].eip, steps[traps].eax);
    CHECK(n + 3, f->t.eflags & EFL_TF, "step %u: TF clear in the saved EFLAGS 0x%x",
          traps + 1, f->t.eflags);
    uint32_t dr6 = read_dr6();
    CHECK(n + 3, dr6 & DR6_BS, "step %u: DR6 0x%x without BS (single step)", traps + 1, dr6);
    write_dr6(0);                       /* DR6 is sticky: the handler clears it */
    rt_printf("single_step: trap %u at EIP 0x%x, EAX %u, DR6 0x%x\n", traps + 1,
              f->t.eip, f->t.eax, dr6);
    if (++traps == N_STEPS)
        f->t.eflags &= ~EFL_TF;
}

void test_main(void)
{
    r3_init();
    write_dr6(0);
    r3_on_event = on_debug;
    uint32_t v = r3_run(u_step, 0x2);
    CHECK_EQ(2, traps, N_STEPS, "single-step traps");
    CHECK_EQ(3, v & 0xFF, 13, "EAX at the end of the stepped code");
    CHECK_EQ(4, (v >> 8) & EFL_TF, 0, "TF as ring 3 reads it after the handler cleared it");
    rt_printf("single_step: 5 traps from ring 3 with the right EIPs, registers and DR6.BS\n");

    /* Again with CR0.TS set (lazy FPU): under vmm ring 3 is then translated,
     * and the monitor steps it itself instead of the host's TF. */
    traps = 0;
    write_cr0(read_cr0() | CR0_TS);
    v = r3_run(u_step, 0x2);
    write_cr0(read_cr0() & ~CR0_TS);
    CHECK_EQ(5, traps, N_STEPS, "single-step traps (CR0.TS)");
    CHECK_EQ(6, v & 0xFF, 13, "EAX at the end of the stepped code (CR0.TS)");
    CHECK_EQ(7, (v >> 8) & EFL_TF, 0, "TF as ring 3 reads it after the handler cleared it (CR0.TS)");
    rt_printf("single_step: 5 traps again with CR0.TS set\n");
}
