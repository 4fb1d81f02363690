/*
 * bench/syscall/host_gsbase.c - does the host kernel keep a GS base that
 * user code wrote with WRGSBASE across context switches?  (docs/host.md,
 * docs/translator.md "Segment bases, and why GS holds the kernel view
 * only".)
 *
 * Two processes share CPU 0.  The checker writes its GS base with WRGSBASE
 * and reads it back 30 million times, yielding now and then; the other one
 * set its own base with arch_prctl(ARCH_SET_GS) and yields in a loop.  A
 * kernel that saves the live base at a switch (it advertises FSGSBASE in
 * AT_HWCAP2) never changes the checker's base; one that does not puts back
 * the base it saved, and the checker counts every change.  Prints
 * "gsbase_lost N" and exits 0; exits 77 where WRGSBASE raises #UD.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define CHECKS 30000000L

static void no_fsgsbase(int sig)
{
    (void)sig;
    puts("host_gsbase: WRGSBASE raises #UD here (CR4.FSGSBASE off): nothing to measure");
    _exit(77);
}

static void pin_cpu0(void)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    sched_setaffinity(0, sizeof s, &s);
}

int main(void)
{
    signal(SIGILL, no_fsgsbase);
    uint64_t probe;
    __asm__ volatile("rdgsbase %0" : "=r"(probe));
    pin_cpu0();
    pid_t other = fork();
    if (other == 0) {
        syscall(SYS_arch_prctl, ARCH_SET_GS, 0x12345000ul);
        for (;;)
            sched_yield();
    }
    const uint64_t mine = 0x5555000;
    long lost = 0;
    __asm__ volatile("wrgsbase %0" :: "r"(mine));
    for (long i = 0; i < CHECKS; i++) {
        uint64_t now;
        __asm__ volatile("rdgsbase %0" : "=r"(now));
        if (now != mine) {
            lost++;
            __asm__ volatile("wrgsbase %0" :: "r"(mine));
        }
        if (i % 10000 == 0)
            sched_yield();
    }
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    printf("gsbase_lost %ld of %ld checks (kernel advertises FSGSBASE: %s)\n", lost, CHECKS,
           (getauxval(AT_HWCAP2) & 2) ? "yes" : "no");
    return 0;
}
