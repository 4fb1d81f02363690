/*
 * cpu/host_clock.c - lazy switching of the RDTSC trap (cpu/host_clock.h).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include "cpu/host_clock.h"
#include "cpu/machine.h"

/* Not every device that needs the clock has a deadline the host timer
 * watches: devices_tick() also polls console input every millisecond.  So
 * at most this many run-loop passes in a row skip the tick (at ~1 us a
 * pass, well under that millisecond; one prctl pair in 128 passes). */
#define MAX_SKIPPED_TICKS 128

static bool tsc_trapped;
static unsigned skipped_ticks;
/* Timer signals so far, and their number at the run loop's last tick. */
static volatile uint64_t timer_signals;
static uint64_t signals_seen;

static void set_tsc(int mode)
{
    if (prctl(PR_SET_TSC, mode, 0, 0, 0) != 0) {
        /* Without it guest ring 3 would read the host's TSC, or the monitor
         * could not read its own clock: neither may pass silently. */
        fprintf(stderr, "vmm: prctl(PR_SET_TSC) failed: the RDTSC trap of direct execution "
                        "is not available on this host\n");
        exit(VMM_EXIT_ERROR);
    }
}

void host_tsc_trap(void)
{
    if (!tsc_trapped) {
        set_tsc(PR_TSC_SIGSEGV);
        tsc_trapped = true;
    }
}

void host_clock(clockid_t id, struct timespec *ts)
{
    if (tsc_trapped) {
        set_tsc(PR_TSC_ENABLE);
        tsc_trapped = false;
    }
    clock_gettime(id, ts);
}

void host_clock_timer_signal(void)
{
    timer_signals = timer_signals + 1;
}

bool host_timer_fired(void)
{
    return timer_signals != signals_seen;
}

bool host_time_due(void)
{
    if (tsc_trapped && !host_timer_fired() && ++skipped_ticks < MAX_SKIPPED_TICKS)
        return false;
    skipped_ticks = 0;
    signals_seen = timer_signals;
    return true;
}
