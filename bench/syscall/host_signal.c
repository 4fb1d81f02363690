/*
 * bench/syscall/host_signal.c - the bare host signal round trip, the floor
 * under a guest system call run by direct execution (DESIGN.md: a trap from
 * guest code reaches the monitor as a signal; the target is a guest
 * system call within 2x of this).
 *
 * A 64-bit Linux program: N times an instruction that traps, a handler on a
 * sigaltstack (as in vmm) that steps RIP over it, and the return through
 * sigreturn.  Three traps, all 2-byte instructions:
 *   ud2         -> #UD -> SIGILL
 *   int $0x40   -> #GP (the host's gate 0x40 has DPL 0) -> SIGSEGV
 *   mov [page]  -> #PF on a PROT_NONE page -> SIGSEGV
 * Prints "bench NAME NS CHECKSUM OPS" lines (best of 3 runs, ns from
 * CLOCK_MONOTONIC; CHECKSUM = traps the handler saw) and the host TSC
 * frequency, which bench/run-all.sh needs to convert QEMU TCG ticks
 * (`host_signal --tsc` prints only that).  ud2 runs a tenth as many times:
 * where the host is itself a virtual machine, #UD may exit to the
 * hypervisor and cost several times a #GP.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define N_TRAPS 200000u
#define REPS 3

static volatile uint32_t traps;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void skip_insn(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig, (void)si;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    traps++;
}

static void trap_ud2(void *p) { (void)p; asm volatile("ud2" ::: "memory"); }
static void trap_int40(void *p) { (void)p; asm volatile("int $0x40" ::: "memory"); }
static void trap_store(void *p) { asm volatile("mov %%eax, (%0)" :: "r"(p), "a"(0) : "memory"); }

static const struct {
    const char *name;
    void (*fn)(void *);
    uint32_t n;
} variants[] = {
    { "host_sigill_ud2", trap_ud2, N_TRAPS / 10 },
    { "host_sigsegv_int40", trap_int40, N_TRAPS },
    { "host_sigsegv_pf", trap_store, N_TRAPS },
};

static uint64_t tsc_hz(void)
{
    uint64_t t0 = now_ns(), c0 = __builtin_ia32_rdtsc(), t1;
    do
        t1 = now_ns();
    while (t1 - t0 < 200000000ull);
    return (__builtin_ia32_rdtsc() - c0) * 1000000000ull / (t1 - t0);
}

int main(int argc, char **argv)
{
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    struct sigaction sa;

    if (argc > 1 && strcmp(argv[1], "--tsc") == 0) {
        printf("tsc_hz %llu\n", (unsigned long long)tsc_hz());
        return 0;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = skip_insn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaltstack(&ss, NULL) || sigaction(SIGILL, &sa, NULL) ||
        sigaction(SIGSEGV, &sa, NULL)) {
        perror("host_signal: signal set-up");
        return 1;
    }
    void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("host_signal: mmap");
        return 1;
    }

    printf("unit ns\ntsc_hz %llu\n", (unsigned long long)tsc_hz());
    for (unsigned v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        uint64_t best = ~0ull;
        uint32_t n = variants[v].n;
        for (int r = 0; r < REPS; r++) {
            traps = 0;
            uint64_t t0 = now_ns();
            for (uint32_t i = 0; i < n; i++)
                variants[v].fn(page);
            uint64_t t = now_ns() - t0;
            if (traps != n) {
                fprintf(stderr, "host_signal: %s: %u traps, want %u\n",
                        variants[v].name, traps, n);
                return 1;
            }
            if (t < best)
                best = t;
        }
        printf("bench %s %llu %u %u\n", variants[v].name, (unsigned long long)best, n, n);
    }
    puts("end");
    return 0;
}
