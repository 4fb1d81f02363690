/*
 * tests/ring3/nt_flag.c - EFLAGS.NT set by ring 3 (POPF may set it at any
 * CPL) across system calls.  NT is the guest's: ring 3 must read it back
 * as it set it.  Under direct execution the host kernel keeps the
 * interrupted code's NT when the monitor's signal handler returns, and an
 * IRETQ with NT set faults in 64-bit mode: the monitor must not enter the
 * guest, or run itself, with it (cpu/direct_entry.S, direct_exit).
 */
#include "lib3.h"

extern uint32_t u_nt(void);
static uint32_t calls;

static void on_syscall(struct r3_frame *f)
{
    CHECK_EQ(1, f->t.vector, 0x80, "vector of the event from ring 3");
    CHECK_EQ(2, f->t.eflags & 0x4000u, 0x4000u, "NT in the EFLAGS int 0x80 pushed");
    calls++;
}

void test_main(void)
{
    r3_init();
    r3_on_event = on_syscall;
    uint32_t nt = r3_run(u_nt, 0x2);
    CHECK_EQ(3, calls, 2, "system calls made with NT set");
    CHECK_EQ(4, nt, 0x4000u, "NT as ring 3 read it back");
    rt_printf("nt_flag: NT set by ring 3 kept across 2 system calls\n");
}
