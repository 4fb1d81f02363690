/*
 * single_step - EFLAGS.TF in ring 0 (translated code): a #DB trap with
 * DR6.BS after every instruction, EIP at the next one, counted from the
 * instruction after the POPF that set TF up to and including the POPF that
 * clears it (SDM vol. 3 17.3.1.4: TF is sampled as each instruction
 * starts).  Straight-line code, a direct jump, CALL and RET (an indirect
 * branch), CPUID (an emulated instruction) and INT3, which is delivered as
 * #BP and gets no single-step trap of its own; the handler runs with TF
 * clear and its IRET brings TF back.  The same guest passes under
 * qemu-system-i386, the reference for the exact list.
 */
#include "rt.h"

#define MAX_EVENTS 24

extern char ss_b[], ss_c[], ss_d[], ss_e[], ss_f[], ss_g[], ss_h[], ss_i[], ss_j[], ss_k[],
    ss_l[], ss_p[], ss_m[];

static volatile struct { uint32_t vector, eip, dr6, tf_in_handler; } ev[MAX_EVENTS];
static volatile uint32_t nev;

static void hook(struct trap_frame *f)
{
    uint32_t dr6;
    asm volatile("movl %%dr6, %0" : "=r"(dr6));
    asm volatile("movl %0, %%dr6" :: "r"(0u));          /* BS is sticky: clear it */
    if (nev < MAX_EVENTS)
        ev[nev] = (typeof(ev[0])){ f->vector, f->eip, dr6, f->handler_eflags & EFL_TF };
    nev++;
}

static void stepped_code(void)
{
    asm volatile(
        "pushfl\n\t"
        "orl $0x100, (%%esp)\n\t"
        "popfl\n"                       /* TF set: no trap after this POPF */
        "ss_b: nop\n"
        "ss_c: movl $1, %%eax\n"
        "ss_d: jmp ss_e\n\t"
        "ud2\n"
        "ss_e: call ss_g\n"
        "ss_f: jmp ss_h\n"
        "ss_g: ret\n"
        "ss_h: xorl %%eax, %%eax\n"
        "ss_i: cpuid\n"
        "ss_j: int3\n"
        "ss_k: pushfl\n"
        "ss_l: andl $~0x100, (%%esp)\n"
        "ss_p: popfl\n"                 /* TF clear, but it was set as POPF started */
        "ss_m: nop\n"
        ::: "eax", "ebx", "ecx", "edx", "memory", "cc");
}

void test_main(void)
{
    static const struct { uint32_t vector; const char *eip; } want[] = {
        { 1, ss_c }, { 1, ss_d }, { 1, ss_e }, { 1, ss_g }, { 1, ss_f }, { 1, ss_h },
        { 1, ss_i }, { 1, ss_j }, { 3, ss_k }, { 1, ss_l }, { 1, ss_p }, { 1, ss_m },
    };
    const uint32_t nwant = sizeof want / sizeof want[0];
    (void)ss_b;
    rt_hook = hook;
    stepped_code();
    rt_hook = 0;

    rt_printf("single_step: %u events in ring 0\n", nev);
    for (uint32_t i = 0; i < nev && i < MAX_EVENTS; i++)
        rt_printf("  #%u vector %u at 0x%x dr6 0x%x\n", i, ev[i].vector, ev[i].eip, ev[i].dr6);
    CHECK_EQ(1, nev, nwant, "events while TF was set");
    for (uint32_t i = 0; i < nwant; i++) {
        CHECK(2, ev[i].vector == want[i].vector && ev[i].eip == (uint32_t)want[i].eip,
              "event %u: vector %u at 0x%x, want vector %u at 0x%x", i, ev[i].vector, ev[i].eip,
              want[i].vector, (uint32_t)want[i].eip);
        if (ev[i].vector == 1)
            CHECK(3, ev[i].dr6 & 0x4000, "event %u: DR6 0x%x lacks BS", i, ev[i].dr6);
        CHECK(4, !ev[i].tf_in_handler, "event %u: the handler ran with TF set", i);
    }
}
