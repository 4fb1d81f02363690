/*
 * monitor/lab_idle.c - lab 1: HLT accounting (docs/labs/hlt-accounting.md).
 *
 * A halted guest costs nothing: the run loop sleeps in devices_wait()
 * until the next device deadline or event.  Summing those sleeps tells how
 * idle the guest is, the first thing an administrator asks of a VM (and
 * what `top` inside the guest calls "id").  The lab is to fill in the four
 * functions; the reference solution is built when VMM_LAB_SOLUTIONS is on
 * (the default, CMakeLists.txt), and the tests of docs/labs/ fail without it.
 */
#include "monitor/lab_idle.h"
#include "monitor/vm.h"
#include "devices/irq.h"

#if VMM_LAB_SOLUTIONS

void idle_begin(struct vm *vm)
{
    vm->idle.since = host_now_ns();
    vm->idle.halts++;
}

void idle_end(struct vm *vm)
{
    if (vm->idle.since) {
        vm->idle.halted_ns += host_now_ns() - vm->idle.since;
        vm->idle.since = 0;
    }
}

/* Milliseconds halted per second of run time. */
static uint64_t per_second(const struct vm *vm, uint64_t run_ns)
{
    return run_ns ? vm->idle.halted_ns * 1000 / run_ns : 0;
}

void idle_stats(const struct vm *vm, uint64_t run_ns, FILE *out)
{
    fprintf(out, "cpu.halts: %llu\ncpu.halted_ns: %llu\ncpu.halted_ms_per_s: %llu\n",
            (unsigned long long)vm->idle.halts, (unsigned long long)vm->idle.halted_ns,
            (unsigned long long)per_second(vm, run_ns));
}

void idle_print(const struct vm *vm, uint64_t run_ns, FILE *out)
{
    fprintf(out, "halted %llu.%03llu s of %llu.%03llu s run time (%llu ms per second), %llu HLTs\n",
            (unsigned long long)(vm->idle.halted_ns / 1000000000),
            (unsigned long long)(vm->idle.halted_ns / 1000000 % 1000),
            (unsigned long long)(run_ns / 1000000000), (unsigned long long)(run_ns / 1000000 % 1000),
            (unsigned long long)per_second(vm, run_ns), (unsigned long long)vm->idle.halts);
}

#else   /* the lab: account the sleeps of a halted guest */

void idle_begin(struct vm *vm) { (void)vm; }
void idle_end(struct vm *vm) { (void)vm; }

void idle_stats(const struct vm *vm, uint64_t run_ns, FILE *out)
{
    (void)vm, (void)run_ns, (void)out;     /* nothing accounted yet */
}

void idle_print(const struct vm *vm, uint64_t run_ns, FILE *out)
{
    (void)vm;
    (void)run_ns;
    fprintf(out, "not accounted: lab 1 of docs/labs/ is not done\n");
}

#endif
