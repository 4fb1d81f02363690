/*
 * tests/diff/native_main.c - the native side: run the cases as 32-bit ring-3
 * code on the host CPU.  Maps the test area at its fixed address and reports
 * a crash with the case number instead of dying silently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "diff_layout.h"
#include "runner.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void out(const char *line)
{
    fputs(line, stdout);
}

static void crash(int sig)
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "diff-native: case %u died with signal %d\n",
                     (unsigned)diff_current, sig);
    fflush(stdout);
    (void)!write(2, msg, (size_t)n);
    _exit(3);
}

int main(void)
{
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    struct sigaction sa;
    void *p;

    p = mmap((void *)DIFF_AREA, DIFF_AREA_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)DIFF_AREA) {
        fprintf(stderr, "diff-native: cannot map the test area at 0x%x: %s\n",
                DIFF_AREA, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        return 2;
    }
    /* While a case runs, ESP points into the test area: signals need their own stack. */
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    return diff_run_all(out) ? 1 : 0;
}
