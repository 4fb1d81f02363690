/*
 * bench/syscall/host_syscall.c - the host's own floors under a guest system
 * call run by direct execution: what one trapped i386 system call costs a
 * 64-bit process on this host, with nothing of vmm in it.
 *
 * vmm runs guest ring-3 code in 32-bit compatibility mode under a seccomp
 * filter that answers every i386 system call with SIGSYS (cpu/sandbox.c).
 * This program does the same: it installs that filter, far-jumps to 32-bit
 * code (the host's flat compat selector 0x23; the program is linked below
 * 4 GiB, -no-pie) and loops N times over one trapping instruction; a SIGSYS
 * (or SIGSEGV) handler on a sigaltstack, as in vmm, resumes after it.
 *   int $0x80   -> the host's i386 system-call gate -> seccomp -> SIGSYS
 *   sysenter    -> Intel: the host's compat SYSENTER entry -> seccomp ->
 *                  SIGSYS; the kernel reports the vDSO landing pad as RIP
 *                  and EBP as the stack pointer (the vDSO convention: push
 *                  ebp; mov ebp, esp; sysenter), so the handler sets RIP
 *                  itself, as vmm does when it emulates the guest's
 *                  SYSENTER (row host_sigsys_sysenter).  AMD: #UD in
 *                  compatibility mode -> SIGILL (row host_sigill_sysenter)
 *   int $0x40   -> #GP (host gate 0x40 has DPL 0) -> SIGSEGV, from 32-bit
 *                  code: the plain signal floor in the same mode
 *   ud2         -> #UD -> SIGILL in 64-bit code (host_sigill_ud2): the floor
 *                  under an AMD host's SYSENTER.  The 32-bit rows are left
 *                  out, with a line on stderr, on a host that runs no 32-bit
 *                  user code (docs/host.md)
 * More host costs on vmm's paths, for reference (figures in docs/ cite them):
 *   host_prctl_tsc_pair  prctl(PR_SET_TSC) to PR_TSC_SIGSEGV and back (what
 *                        entering and leaving ring 3 cost before the RDTSC
 *                        trap was switched lazily, cpu/host_clock.h)
 *   host_clock_gettime_syscall  clock_gettime as a system call, not through
 *                        the vDSO (the alternative to switching that trap off)
 *   host_fxsave_fxrstor  one FXSAVE64 plus one FXRSTOR64 (each switch between
 *                        the monitor and guest code does one pair)
 *   host_mmap_hole, host_mmap_reserved  one MAP_FIXED | MAP_POPULATE mmap of
 *                        a memfd page into an empty range, or into a
 *                        PROT_NONE reservation the host must split (the user
 *                        view is a hole, the kernel views reservations:
 *                        shadow_mmu/hostmap.c)
 *   host_unmap_hole, host_unmap_reserved  emptying those pages again, per
 *                        page: munmap, or mapping the reservation back
 *   host_cpuid           CPUID leaf 0 (on a host that is a VM, an exit)
 *   host_cpuid_faulting  the same with CPUID faulting on (arch_prctl
 *                        ARCH_SET_CPUID), so that it raises SIGSEGV and the
 *                        handler skips it, as for guest ring 3 (cpu/direct.c);
 *                        left out where the CPU has no CPUID faulting
 * Prints "bench NAME NS CHECKSUM OPS" (best of 3 runs, CLOCK_MONOTONIC) and
 * "end".  bench/run-all.sh runs it next to host_signal and the guests.
 */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <asm/prctl.h>
#include <cpuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define N_TRAPS 200000u
#define REPS 3

static volatile uint32_t traps;
uint64_t saved_rsp;                         /* the 64-bit stack, while 32-bit code runs */
uint32_t stack32[4096] __attribute__((aligned(16)));

/* run32(n, entry): run the 32-bit loop `entry` n times (ECX = n) on stack32
 * and come back to 64-bit mode. */
uint32_t run32(uint32_t n, void (*entry)(void));
void loop_int80(void), loop_sysenter(void), loop_int40(void), sysenter_back(void);

asm(".text\n"
    "run32:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %rsp, saved_rsp(%rip)\n"
    "  mov %edi, %ecx\n"
    "  lea stack32+16384(%rip), %rsp\n"
    "  pushq $0x23\n"                       /* the host's flat 32-bit user code */
    "  push %rsi\n"
    "  lretq\n"
    "back64:\n"
    "  mov saved_rsp(%rip), %rsp\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n"
    ".code32\n"
    "loop_int80:\n"
    "  int $0x80\n"
    "  dec %ecx\n"
    "  jnz loop_int80\n"
    "  ljmp $0x33, $back64\n"
    "loop_sysenter:\n"                      /* ECX is the counter: keep it in EDI */
    "  mov %ecx, %edi\n"
    "1:\n"
    "  push %ebp\n"
    "  mov %esp, %ebp\n"
    "  sysenter\n"
    "sysenter_back:\n"
    "  pop %ebp\n"
    "  dec %edi\n"
    "  jnz 1b\n"
    "  ljmp $0x33, $back64\n"
    "loop_int40:\n"
    "  int $0x40\n"
    "  dec %ecx\n"
    "  jnz loop_int40\n"
    "  ljmp $0x33, $back64\n"
    ".code64\n");

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Which signal the last SYSENTER came back as: SIGSYS (Intel, the compat
 * entry) or SIGILL (AMD: #UD in compatibility mode). */
static volatile int sysenter_signal;

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    const uint8_t *ip = (const uint8_t *)(uintptr_t)g[REG_RIP];
    (void)si;
    if (sig == SIGSEGV) {
        g[REG_RIP] += 2;                    /* int $0x40 */
    } else if (sig == SIGILL) {
        if (ip[0] == 0x0F && ip[1] == 0x34)
            sysenter_signal = SIGILL;       /* AMD: every register intact */
        g[REG_RIP] += 2;                    /* sysenter, or ud2 */
    } else if ((uint16_t)g[REG_CSGSFS] == 0x23 && g[REG_RIP] != 0 &&
               (uint64_t)g[REG_RIP] >= (1ull << 32)) {
        /* SYSENTER: RIP is the vDSO landing pad; RSP is the caller's EBP,
         * i.e. its ESP, and EBP was reloaded from the stack. */
        g[REG_RIP] = (greg_t)(uintptr_t)sysenter_back;
        sysenter_signal = SIGSYS;
    }
    traps++;
}

static int trap_i386_syscalls(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void prctl_pair(void)
{
    if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) || prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0)) {
        perror("host_syscall: prctl(PR_SET_TSC)");
        exit(1);
    }
}

static void fx_pair(void)
{
    static uint8_t area[512] __attribute__((aligned(16)));
    asm volatile("fxsave64 %0; fxrstor64 %0" : "+m"(area));
}

static void clock_syscall(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}

/* Two bytes, as the SIGSEGV handler's skip expects (int $0x40's length). */
static void cpuid0(void)
{
    uint32_t a = 0, b, c = 0, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

/* Best of REPS runs of n calls of fn, as a bench line. */
static void time_calls(const char *name, void (*fn)(void), uint32_t n)
{
    uint64_t best = ~0ull;
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (uint32_t i = 0; i < n; i++)
            fn();
        uint64_t t = now_ns() - t0;
        if (t < best)
            best = t;
    }
    printf("bench %s %llu %u %u\n", name, (unsigned long long)best, n, n);
}

/*
 * N_MAPS single-page mmaps of scattered memfd pages (so that no two merge
 * into one VMA, as guest frames rarely follow each other) at every other
 * page of a range that is empty, or reserved PROT_NONE; then the range
 * emptied again (munmap, or the reservation mapped back over it).  Best of
 * REPS, two bench lines per kind: per mmap, and per page emptied.
 */
#define N_MAPS 2000u
static void time_mmaps(int memfd, uint8_t *range, bool reserved)
{
    uint64_t len = 2ull * N_MAPS * 4096, best_map = ~0ull, best_unmap = ~0ull;
    for (int r = 0; r < REPS; r++) {
        if (reserved)
            mmap(range, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        uint64_t t0 = now_ns();
        for (uint32_t i = 0; i < N_MAPS; i++)
            if (mmap(range + 2ull * i * 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED |
                     MAP_POPULATE, memfd, (off_t)((i * 7919u) % 16000u) * 4096) == MAP_FAILED) {
                perror("host_syscall: mmap");
                exit(1);
            }
        uint64_t t1 = now_ns();
        if (reserved)
            mmap(range, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        else
            munmap(range, len);
        uint64_t t2 = now_ns();
        if (t1 - t0 < best_map)
            best_map = t1 - t0;
        if (t2 - t1 < best_unmap)
            best_unmap = t2 - t1;
    }
    munmap(range, len);
    printf("bench host_mmap_%s %llu %u %u\n", reserved ? "reserved" : "hole",
           (unsigned long long)best_map, N_MAPS, N_MAPS);
    printf("bench host_unmap_%s %llu %u %u\n", reserved ? "reserved" : "hole",
           (unsigned long long)best_unmap, N_MAPS, N_MAPS);
}

static void mmap_costs(void)
{
    int memfd = memfd_create("host_syscall", 0);
    uint64_t len = 2ull * N_MAPS * 4096;
    uint8_t *range = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memfd < 0 || ftruncate(memfd, 16000ull * 4096) < 0 || range == MAP_FAILED) {
        perror("host_syscall: memfd");
        exit(1);
    }
    time_mmaps(memfd, range, false);
    time_mmaps(memfd, range, true);
    close(memfd);
}

/* ud2 in 64-bit code: the host's own #UD -> SIGILL round trip, the floor
 * under a guest SYSENTER on an AMD host. */
static void ud2_once(void)
{
    __asm__ volatile("ud2");
}

/* Whether the host runs 32-bit user code at all: selector 0x23 must be a
 * present, 32-bit (D=1, L=0) code segment (LAR gives its attributes).  A
 * kernel without IA32 emulation, or a paravirtualized one, has none. */
static bool host_has_compat32(void)
{
    uint32_t ar = 0;
    uint8_t ok = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok) : "r"(0x23u) : "cc");
    return ok && (ar & 0x8000) && (ar & 0x0800) && (ar & 0x400000) && !(ar & 0x200000);
}

static const struct {
    const char *name;
    void (*entry)(void);
} variants[] = {
    { "host_sigsys_int80", loop_int80 },
    { "host_sigsys_sysenter", loop_sysenter },
    { "host_sigsegv_gp32", loop_int40 },
};

int main(void)
{
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    struct sigaction sa;

    if ((uint64_t)(uintptr_t)run32 >= (1ull << 32)) {
        fprintf(stderr, "host_syscall: must be linked below 4 GiB (-no-pie)\n");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaltstack(&ss, NULL) || sigaction(SIGSYS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
        perror("host_syscall: signal set-up");
        return 1;
    }
    if (trap_i386_syscalls() < 0) {
        perror("host_syscall: seccomp");
        return 1;
    }
    if (sigaction(SIGILL, &sa, NULL)) {
        perror("host_syscall: signal set-up");
        return 1;
    }
    printf("unit ns\n");
    traps = 0;
    time_calls("host_sigill_ud2", ud2_once, N_TRAPS);
    bool compat = host_has_compat32();
    if (!compat)
        fprintf(stderr, "host_syscall: this host runs no 32-bit user code (selector 0x23): "
                "the int80, sysenter and gp32 rows are left out\n");
    for (unsigned v = 0; compat && v < sizeof variants / sizeof variants[0]; v++) {
        uint64_t best = ~0ull;
        for (int r = 0; r < REPS; r++) {
            traps = 0;
            uint64_t t0 = now_ns();
            run32(N_TRAPS, variants[v].entry);
            uint64_t t = now_ns() - t0;
            if (traps != N_TRAPS) {
                fprintf(stderr, "host_syscall: %s: %u traps, want %u\n", variants[v].name,
                        traps, N_TRAPS);
                return 1;
            }
            if (t < best)
                best = t;
        }
        const char *name = variants[v].name;
        if (variants[v].entry == loop_sysenter && sysenter_signal == SIGILL)
            name = "host_sigill_sysenter";  /* AMD: #UD, not the compat entry */
        printf("bench %s %llu %u %u\n", name, (unsigned long long)best, N_TRAPS, N_TRAPS);
    }
    time_calls("host_prctl_tsc_pair", prctl_pair, N_TRAPS);
    time_calls("host_clock_gettime_syscall", clock_syscall, N_TRAPS);
    time_calls("host_fxsave_fxrstor", fx_pair, N_TRAPS);
    mmap_costs();
    /* Last: CPUID faulting stays on for the rest of the process. */
    time_calls("host_cpuid", cpuid0, N_TRAPS / 20);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0) {
        traps = 0;
        time_calls("host_cpuid_faulting", cpuid0, N_TRAPS / 20);
        if (traps != REPS * (N_TRAPS / 20)) {
            fprintf(stderr, "host_syscall: %u CPUID traps, want %u\n", traps, REPS * (N_TRAPS / 20));
            return 1;
        }
    } else {
        fprintf(stderr, "host_syscall: no CPUID faulting on this CPU: host_cpuid_faulting left out\n");
    }
    puts("end");
    return 0;
}
