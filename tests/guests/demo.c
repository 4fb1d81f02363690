/*
 * demo - the guest the README boots: a greeting on COM1, then PASS through
 * the debug-exit port.
 */
#include "rt.h"

void test_main(void)
{
    rt_puts("Hello from a 32-bit guest\n");
}
