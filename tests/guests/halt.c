/*
 * halt - HLT with interrupts disabled stops the processor for good (only an
 * NMI or SMI could wake it, and there are none): the monitor must end the run
 * with its halt status, 4.
 */
#include "rt.h"

void test_main(void)
{
    rt_puts("halt: CLI; HLT\n");
    asm volatile("cli; hlt" ::: "memory");
    rt_fail(1, "execution continued after CLI; HLT");
}
