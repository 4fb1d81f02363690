/*
 * tests/ring3/timer_spin.c - timer interrupts must keep reaching ring 3
 * code that never traps.
 *
 * Ring 3 spins on a register loop (timer_spin_user.asm) while the PIT
 * interrupts at 20 kHz; the kernel counts the interrupts taken from ring 3
 * and the loop ends when it has seen TARGET of them.  Under vmm each of them
 * is a host timer signal that takes ring 3 back to the monitor.  A timer
 * signal that arrives while the monitor is on its way into ring 3 (after the
 * run loop looked, before the IRETQ) must not be lost: if it were, nothing
 * would ever stop the loop again and it would run to its bound with the
 * count stuck (cpu/direct.c, direct_run; cpu/host.c, on_timer).
 */
#include "lib3.h"

#define IRQ0_VECTOR 0x20
#define TIMER_HZ 20000u
#define TARGET 2000u

extern uint32_t u_spin(void);
volatile uint32_t ticks_user;           /* timer interrupts taken from ring 3 */
static uint32_t ticks_kernel;

static void on_event(struct r3_frame *f)
{
    struct trap_frame *t = &f->t;
    if (t->vector != IRQ0_VECTOR)
        rt_fail(1, "unexpected vector %u error 0x%x at %x:%x", t->vector, t->error, t->cs, t->eip);
    if (r3_from_user(t))
        ticks_user++;
    else
        ticks_kernel++;
    outb(0x20, 0x20);                   /* EOI to the master 8259 */
}

void test_main(void)
{
    r3_init();
    r3_on_event = on_event;
    r3_timer_start(TIMER_HZ);
    uint32_t left = r3_run(u_spin, 0x202);
    outb(0x21, 0xFF);
    CHECK(2, ticks_user >= TARGET, "only %u of %u timer interrupts reached the spinning ring 3 "
          "(%u spins left of 2^31; %u taken in the kernel)", ticks_user, TARGET, left, ticks_kernel);
    rt_printf("timer_spin: %u timer interrupts taken in a ring-3 loop that never traps\n",
              ticks_user);
}
