/*
 * tests/diff/guest_main.c - the guest side: the same cases run at ring 0
 * under the monitor; lines go out on COM1 and the run ends through the
 * debug-exit port (write 0 -> vmm exit status 1).
 */
#include "runner.h"
#include "guest_com1.h"

void guest_main(void)
{
    int r = diff_run_all(com1_puts);
    outb(DEBUG_EXIT, r ? 1 : 0);
}
