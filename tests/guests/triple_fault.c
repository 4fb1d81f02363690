/*
 * triple_fault - an IDT with limit 0 and then UD2: #UD cannot be delivered
 * (#GP), neither can the #GP (#DF), nor the #DF: a triple fault, which shuts
 * the processor down (SDM vol. 3 section 6.15, interrupt 8).  The monitor
 * must end the run with its triple-fault status, 5.
 */
#include "rt.h"

void test_main(void)
{
    static const struct dtr32 empty = { .limit = 0, .base = 0 };
    rt_puts("triple_fault: loading an empty IDT, then UD2\n");
    asm volatile("lidt %0; ud2" :: "m"(empty) : "memory");
    rt_fail(1, "execution continued after UD2 with an empty IDT");
}
