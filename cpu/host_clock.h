/*
 * cpu/host_clock.h - the monitor's host clocks and the RDTSC trap of direct
 * execution.
 *
 * Guest ring-3 code must read the guest's TSC, so RDTSC traps while it runs
 * (prctl PR_SET_TSC, PR_TSC_SIGSEGV: the host kernel sets CR4.TSD for this
 * thread).  The host's clock_gettime in the vDSO executes RDTSC itself, so
 * the monitor may not read a TSC-based clock while the trap is on.  Turning
 * it on and off costs two prctl calls (~0.45 us on the host measured in
 * docs/benchmarks.md, most of it the CR4 writes), more than the rest of the
 * monitor's share of a guest system call, so it is switched lazily:
 *
 * Contract:
 *  - host_tsc_trap() before running guest ring-3 code: the trap is on
 *    (one prctl only if it was off).
 *  - host_clock() is the only way the monitor reads CLOCK_MONOTONIC or
 *    CLOCK_REALTIME: it turns the trap off first if it is on.  (The
 *    *_COARSE clocks read no TSC and may be read directly.)
 *  - host_clock_timer_signal() is called from the SIGALRM handler (the
 *    host timer armed at the next device deadline has fired).
 *  - host_time_due() tells the run loop whether to tick the devices (which
 *    reads the clock): false while the trap has stayed on (no clock read)
 *    since ring 3 last ran and no timer signal came since the last tick, for
 *    at most 128 passes in a row.  When it answers true the loop ticks, and
 *    the timer signals so far count as seen.
 *  - host_timer_fired(): a timer signal came after the last tick (the
 *    loop must tick before it runs guest code that would not notice it).  The host timer, armed at the next device
 *    deadline, never fires early, so a skipped tick would not have found a
 *    timer due; the bound keeps the console input polled (devices_tick
 *    looks at it every millisecond, with no timer of its own).
 */
#ifndef CPU_HOST_CLOCK_H
#define CPU_HOST_CLOCK_H

#include <stdbool.h>
#include <time.h>

void host_tsc_trap(void);
void host_clock(clockid_t id, struct timespec *ts);
void host_clock_timer_signal(void);
bool host_time_due(void);
bool host_timer_fired(void);

#endif
