/*
 * bench/syscall/host_skas.c - what one exit of directly executed guest code
 * costs when the monitor lives in another host process (User-Mode Linux's
 * SKAS, gVisor's systrap), against today's exit inside vmm's own process.
 * The figures and the decision they led to: docs/security.md, "A separate
 * host process for directly executed code".
 *
 * The "guest" is a 64-bit loop in a forked child (this host runs no 32-bit
 * user code; the trapping instructions and the kernel paths are the same).
 * Each iteration puts a fresh value X in RDI and runs one trapping
 * instruction; the "monitor" emulates it and answers RAX = answer(X); the
 * guest checks RAX.  Three exits:
 *   ud2        #UD -> SIGILL; the monitor steps RIP over it (a sensitive
 *              instruction, or an AMD host's SYSENTER)
 *   syscall    a system call the child's seccomp filter answers with
 *              SECCOMP_RET_TRAP -> SIGSYS (vmm's guest system calls);
 *              under ptrace: PTRACE_SYSEMU, no filter (UML's way)
 *   store      mov %rdi,(%rsi) to a PROT_READ page of a memfd -> SIGSEGV;
 *              the monitor checks the fault address, writes X through its
 *              own writable mapping of the same memfd and steps RIP over
 *              it (a write-protected page-table page, or MMIO); the guest
 *              reads X back through its read-only view
 * Four models:
 *   in-process  the child's own SIGILL/SIGSYS/SIGSEGV handler, on a
 *               sigaltstack, emulates and returns through sigreturn (vmm
 *               today)
 *   ptrace      the parent is the child's tracer: waitpid, PTRACE_GETREGS
 *               (and PTRACE_GETSIGINFO for the fault address), emulate,
 *               PTRACE_SETREGS, resume with PTRACE_SYSEMU (for a signal
 *               stop that is PTRACE_CONT plus a stop at the next system
 *               call): UML's SKAS
 *   systrap     the child's signal handler (the stub) copies the general
 *               and FXSAVE registers to a page shared with the parent,
 *               wakes it with FUTEX_WAKE and sleeps in FUTEX_WAIT until
 *               the parent has answered in the page; then copies the
 *               registers back and returns through sigreturn: gVisor's
 *               systrap without its spinning
 *   futex       the same two futex hand-offs with no signal: the floor
 *               under systrap
 * The cross-process models run with both processes pinned to one CPU and
 * to two CPUs (sched_setaffinity).  Each run forks fresh children; the
 * table gives min and median over the runs of the time per round trip.
 *
 * host_skas [--runs R] [--iters N]   the table (defaults 5 runs of 10000)
 * host_skas --smoke                  one run of 300: checks every answer,
 *                                    prints the table, exits 0 (77 where
 *                                    ptrace, PTRACE_SYSEMU or seccomp is
 *                                    not available, 1 on a wrong answer)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

enum exit_kind { EXIT_UD2, EXIT_SYSCALL, EXIT_STORE, EXIT_PING, EXIT_DONE };
static const char *const kind_name[] = { "ud2 (SIGILL)", "syscall (SIGSYS / SYSEMU)",
                                         "store (SIGSEGV)", "futex ping-pong" };
#define N_SIG_KINDS 3                       /* ud2, syscall, store */
#define TRAP_NR SYS_getppid                 /* the system call the guest makes */
#define SLOTS 512                           /* 8-byte slots of the store page */

/* What a child reports back through shared memory. */
struct result {
    uint64_t ns[N_SIG_KINDS + 1];           /* per exit kind, the whole phase */
    uint32_t guest_bad, monitor_bad;        /* wrong answers, wrong requests */
    uint32_t exits;                         /* exits the in-process handler saw */
    int unavailable;                        /* errno of a missing host feature */
};

/* The systrap page: the stub's request and the monitor's answer. */
struct chan {
    uint32_t guest_seq, mon_seq;            /* futex words */
    uint32_t kind;
    int32_t sysnr;
    uint64_t addr;                          /* the fault address (CR2) */
    greg_t gregs[NGREG];
    uint8_t fpregs[512];                    /* FXSAVE image */
};

static struct result *res;                  /* MAP_SHARED, inherited */
static struct chan *chan;                   /* MAP_SHARED, inherited */
static uint64_t *ro_page, *rw_page;         /* one memfd page, mapped twice */
static volatile uint32_t exits_seen;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t answer(uint64_t x) { return ~x * 0x9E3779B97F4A7C15ull + 1; }

static long futex(uint32_t *w, int op, uint32_t v, const struct timespec *t)
{
    return syscall(SYS_futex, w, op, v, t, NULL, 0);
}

/* ---- the monitor's emulation, the same in every model ---- */

/* Emulates one exit given the trapped registers; returns 0 when the request
 * is what the guest loop makes, -1 otherwise (counted as monitor_bad). */
static int emulate(int kind, uint64_t *rip, uint64_t *rax, uint64_t rdi, uint64_t rsi,
                   uint64_t addr, long nr)
{
    int ok = 1;
    switch (kind) {
    case EXIT_UD2:
        ok = ((const uint8_t *)(uintptr_t)*rip)[0] == 0x0F;
        *rip += 2;
        break;
    case EXIT_SYSCALL:
        ok = nr == TRAP_NR;                 /* RIP is already past it */
        break;
    case EXIT_STORE:
        ok = addr == rsi && addr - (uintptr_t)ro_page < SLOTS * 8;
        if (ok)
            rw_page[(addr - (uintptr_t)ro_page) / 8] = rdi;
        *rip += 3;                          /* 48 89 3e */
        break;
    case EXIT_PING:
        break;
    default:
        ok = 0;
    }
    *rax = answer(rdi);
    return ok ? 0 : -1;
}

static int kind_of_signal(int sig)
{
    return sig == SIGILL ? EXIT_UD2 : sig == SIGSYS ? EXIT_SYSCALL
         : sig == SIGSEGV ? EXIT_STORE : -1;
}

/* ---- the guest side ---- */

static void chan_call(void);

static uint64_t trap(int kind, uint64_t x, uint64_t *slot)
{
    uint64_t r = 0;
    switch (kind) {
    case EXIT_UD2:
        asm volatile("ud2" : "+a"(r) : "D"(x) : "memory");
        break;
    case EXIT_SYSCALL:
        r = TRAP_NR;
        asm volatile("syscall" : "+a"(r) : "D"(x) : "rcx", "r11", "memory");
        break;
    case EXIT_STORE:
        asm volatile("movq %%rdi, (%%rsi)" : "+a"(r) : "D"(x), "S"(slot) : "memory");
        break;
    case EXIT_PING:
        chan->kind = EXIT_PING;
        chan->gregs[REG_RDI] = (greg_t)x;
        chan_call();
        r = (uint64_t)chan->gregs[REG_RAX];
        break;
    }
    return r;
}

/* n round trips of one kind; returns the wrong answers.  No system call
 * here: under PTRACE_SYSEMU every one would be a stop. */
static uint32_t guest_phase(int kind, uint32_t n, uint64_t seed)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = seed + i * 0x100000001B3ull;
        uint64_t *slot = ro_page + i % SLOTS;
        if (trap(kind, x, slot) != answer(x))
            bad++;
        if (kind == EXIT_STORE && *(volatile uint64_t *)slot != x)
            bad++;
    }
    return bad;
}

/* The guest phases timed from inside the child (in-process, systrap, futex). */
static void guest_timed(int first, int last, uint32_t n)
{
    for (int k = first; k <= last; k++) {
        uint64_t t0 = now_ns();
        res->guest_bad += guest_phase(k, n, (uint64_t)k << 40);
        res->ns[k] = now_ns() - t0;
    }
}

/* ---- child set-up ---- */

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s);
}

/* TRAP_NR -> SIGSYS, everything else allowed: only in the measured child. */
static int trap_one_syscall(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRAP_NR, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* The three handlers on a sigaltstack, then the filter; exits 77 without
 * seccomp. */
static void child_signals(void (*handler)(int, siginfo_t *, void *))
{
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaltstack(&ss, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGSYS, &sa, NULL);
    if (trap_one_syscall() < 0) {
        res->unavailable = errno;
        _exit(77);
    }
}

/* ---- model a: in-process ---- */

static void inproc_handler(int sig, siginfo_t *si, void *ctx)
{
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    uint64_t rip = (uint64_t)g[REG_RIP], rax;
    if (emulate(kind_of_signal(sig), &rip, &rax, (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI],
                (uintptr_t)si->si_addr, sig == SIGSYS ? si->si_syscall : -1))
        res->monitor_bad++;
    g[REG_RIP] = (greg_t)rip;
    g[REG_RAX] = (greg_t)rax;
    exits_seen++;
}

static void inproc_child(int cpu, uint32_t n)
{
    pin(cpu);
    child_signals(inproc_handler);
    guest_timed(EXIT_UD2, EXIT_STORE, n);
    res->exits = exits_seen;
    _exit(0);
}

/* ---- model c/d: systrap and the futex floor ---- */

/* Guest side of one hand-off: publish, wake the monitor, sleep until it
 * has answered. */
static void chan_call(void)
{
    uint32_t s = chan->guest_seq + 1;
    __atomic_store_n(&chan->guest_seq, s, __ATOMIC_RELEASE);
    futex(&chan->guest_seq, FUTEX_WAKE, 1, NULL);
    while (__atomic_load_n(&chan->mon_seq, __ATOMIC_ACQUIRE) != s)
        futex(&chan->mon_seq, FUTEX_WAIT, s - 1, NULL);
}

/* The stub: registers out to the page, wait, registers back in. */
static void stub_handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    chan->kind = (uint32_t)kind_of_signal(sig);
    chan->sysnr = sig == SIGSYS ? si->si_syscall : -1;
    chan->addr = (uintptr_t)si->si_addr;
    memcpy(chan->gregs, uc->uc_mcontext.gregs, sizeof chan->gregs);
    memcpy(chan->fpregs, uc->uc_mcontext.fpregs, sizeof chan->fpregs);
    chan_call();
    memcpy(uc->uc_mcontext.gregs, chan->gregs, sizeof chan->gregs);
    memcpy(uc->uc_mcontext.fpregs, chan->fpregs, sizeof chan->fpregs);
}

static void chan_child(int cpu, uint32_t n, int ping)
{
    pin(cpu);
    if (ping) {
        guest_timed(EXIT_PING, EXIT_PING, n);
    } else {
        child_signals(stub_handler);
        guest_timed(EXIT_UD2, EXIT_STORE, n);
    }
    chan->kind = EXIT_DONE;
    chan_call();
    _exit(0);
}

/* Monitor side: the next request after `last`; -1 if the child died. */
static int chan_wait(pid_t child, uint32_t last, uint32_t *seq)
{
    const struct timespec tick = { 1, 0 };
    while ((*seq = __atomic_load_n(&chan->guest_seq, __ATOMIC_ACQUIRE)) == last) {
        if (futex(&chan->guest_seq, FUTEX_WAIT, last, &tick) < 0 && errno == ETIMEDOUT &&
            waitpid(child, NULL, WNOHANG) != 0)
            return -1;
    }
    return 0;
}

/* Serves the child's requests until its EXIT_DONE. */
static int chan_monitor(pid_t child)
{
    uint32_t last = 0, s;
    for (;;) {
        if (chan_wait(child, last, &s) < 0)
            return -1;
        int kind = (int)chan->kind;
        if (kind != EXIT_DONE) {
            greg_t *g = chan->gregs;
            uint64_t rip = (uint64_t)g[REG_RIP], rax;
            if (emulate(kind, &rip, &rax, (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI], chan->addr,
                        chan->sysnr))
                res->monitor_bad++;
            g[REG_RIP] = (greg_t)rip;
            g[REG_RAX] = (greg_t)rax;
        }
        last = s;
        __atomic_store_n(&chan->mon_seq, s, __ATOMIC_RELEASE);
        futex(&chan->mon_seq, FUTEX_WAKE, 1, NULL);
        if (kind == EXIT_DONE)
            return 0;
    }
}

/* ---- model b: ptrace ---- */

static void ptrace_child(int cpu, uint32_t n)
{
    pin(cpu);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0) {
        res->unavailable = errno;
        _exit(77);
    }
    kill(getpid(), SIGSTOP);                /* the last system call before the loop */
    for (int k = EXIT_UD2; k <= EXIT_STORE; k++)
        res->guest_bad += guest_phase(k, n, (uint64_t)k << 40);
    syscall(SYS_exit_group, 0);             /* a SYSEMU stop: the tracer kills us */
    for (;;)
        ;
}

/* One stop: which exit it is, emulated through GETREGS/SETREGS. */
static int ptrace_serve(pid_t pid, int status, int want)
{
    struct user_regs_struct r;
    siginfo_t si = { 0 };
    int sig = WSTOPSIG(status);
    int kind = sig == (SIGTRAP | 0x80) ? EXIT_SYSCALL : kind_of_signal(sig);
    if (!WIFSTOPPED(status) || ptrace(PTRACE_GETREGS, pid, NULL, &r) < 0)
        return -1;
    if (kind == EXIT_STORE)
        ptrace(PTRACE_GETSIGINFO, pid, NULL, &si);
    uint64_t rip = r.rip, rax;
    int bad = kind != want ||
              emulate(kind, &rip, &rax, r.rdi, r.rsi, (uintptr_t)si.si_addr, (long)r.orig_rax);
    r.rip = rip;
    r.rax = rax;
    if (ptrace(PTRACE_SETREGS, pid, NULL, &r) < 0)
        return -1;
    return bad;
}

/* The tracer: n stops of each kind, timed from the first stop of a phase
 * to the first of the next (n round trips); the last phase ends at the
 * child's exit_group stop. */
static int ptrace_monitor(pid_t pid, uint32_t n)
{
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
        return WIFEXITED(st) && WEXITSTATUS(st) == 77 ? 77 : -1;
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
    if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) < 0) {
        res->unavailable = errno;
        return 77;
    }
    uint64_t t[N_SIG_KINDS + 1];
    for (uint32_t stop = 0; stop < N_SIG_KINDS * n; stop++) {
        if (waitpid(pid, &st, 0) < 0)
            return -1;
        if (stop % n == 0)
            t[stop / n] = now_ns();
        int bad = ptrace_serve(pid, st, (int)(stop / n));
        if (bad < 0)
            return -1;
        res->monitor_bad += (uint32_t)bad;
        ptrace(PTRACE_SYSEMU, pid, NULL, NULL);
    }
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    t[N_SIG_KINDS] = now_ns();
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, NULL, &r);
    if (r.orig_rax != SYS_exit_group)
        res->monitor_bad++;
    for (int k = 0; k < N_SIG_KINDS; k++)
        res->ns[k] = t[k + 1] - t[k];
    return 0;
}

/* ---- the driver ---- */

enum model { M_INPROC, M_PTRACE, M_SYSTRAP, M_FUTEX, N_MODELS };
static const char *const model_name[] = { "in-process signal (vmm today)", "ptrace (UML SKAS)",
                                          "systrap stub + futex (gVisor)",
                                          "futex hand-off only (floor)" };

/* One run of one model and placement into res; 0, 77 (unavailable) or -1. */
static int run_model(int model, int gcpu, int mcpu, uint32_t n)
{
    memset(res, 0, sizeof *res);
    memset(chan, 0, sizeof *chan);
    exits_seen = 0;
    pid_t pid = fork();
    if (pid == 0) {
        if (model == M_INPROC)
            inproc_child(gcpu, n);
        else if (model == M_PTRACE)
            ptrace_child(gcpu, n);
        else
            chan_child(gcpu, n, model == M_FUTEX);
    }
    cpu_set_t old;
    sched_getaffinity(0, sizeof old, &old);
    pin(mcpu);
    int rc = 0, st = 0;
    if (model == M_PTRACE) {
        rc = ptrace_monitor(pid, n);
        kill(pid, SIGKILL);
    } else if (model != M_INPROC) {
        rc = chan_monitor(pid);
    }
    sched_setaffinity(0, sizeof old, &old);
    waitpid(pid, &st, 0);
    if (model != M_PTRACE && WIFEXITED(st) && WEXITSTATUS(st) == 77)
        return 77;
    if (rc == 0 && model != M_PTRACE && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        rc = -1;
    if (rc == 0 && model == M_INPROC && res->exits != N_SIG_KINDS * n)
        rc = -1;
    return rc;
}

#define MAX_RUNS 64
struct row {
    int model, two_cpus, kind;
    double us[MAX_RUNS];
    int runs;
    const char *missing;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(struct row *r)
{
    qsort(r->us, (size_t)r->runs, sizeof r->us[0], cmp_double);
    return r->runs % 2 ? r->us[r->runs / 2] : (r->us[r->runs / 2 - 1] + r->us[r->runs / 2]) / 2;
}

static int n_rows;
static struct row rows[32];

static struct row *row_for(int model, int two, int kind)
{
    for (int i = 0; i < n_rows; i++)
        if (rows[i].model == model && rows[i].two_cpus == two && rows[i].kind == kind)
            return &rows[i];
    rows[n_rows] = (struct row){ .model = model, .two_cpus = two, .kind = kind };
    return &rows[n_rows++];
}

/* One run of every model and placement; -1 on a wrong answer. */
static int run_all(int cpu0, int cpu1, uint32_t n, int *skipped)
{
    for (int m = 0; m < N_MODELS; m++) {
        for (int two = 0; two <= (m != M_INPROC); two++) {
            int first = m == M_FUTEX ? EXIT_PING : EXIT_UD2;
            int last = m == M_FUTEX ? EXIT_PING : EXIT_STORE;
            if (two && cpu1 < 0) {
                for (int k = first; k <= last; k++)
                    row_for(m, two, k)->missing = "one CPU only";
                continue;
            }
            int rc = run_model(m, cpu0, two ? cpu1 : cpu0, n);
            if (rc == 0 && (res->guest_bad || res->monitor_bad))
                rc = -1;
            if (rc < 0) {
                fprintf(stderr, "host_skas: %s on %d CPU(s): wrong answers (guest %u, monitor %u)"
                        " or a dead child\n", model_name[m], two + 1, res->guest_bad, res->monitor_bad);
                return -1;
            }
            for (int k = first; k <= last; k++) {
                struct row *r = row_for(m, two, k);
                if (rc == 77) {
                    r->missing = m == M_PTRACE ? "no ptrace / PTRACE_SYSEMU" : "no seccomp filter";
                    *skipped = 1;
                } else {
                    r->us[r->runs++] = res->ns[k] / 1000.0 / n;
                }
            }
        }
    }
    return 0;
}

static void print_table(void)
{
    puts("| model | exit | CPUs | min us | median us | median / in-process |");
    puts("| --- | --- | --- | --- | --- | --- |");
    for (int i = 0; i < n_rows; i++) {
        struct row *r = &rows[i];
        printf("| %s | %s | %s | ", model_name[r->model], kind_name[r->kind],
               r->model == M_INPROC ? "1" : r->two_cpus ? "2" : "1 (shared)");
        if (r->missing || r->runs == 0) {
            printf("%s | | |\n", r->missing ? r->missing : "not run");
            continue;
        }
        double med = median(r);
        struct row *base = r->kind < N_SIG_KINDS ? row_for(M_INPROC, 0, r->kind) : NULL;
        printf("%.2f | %.2f | ", r->us[0], med);
        if (base && base->runs && !base->missing)
            printf("%.1f |\n", med / median(base));
        else
            puts("|");
    }
}

static int first_cpus(int *cpu0, int *cpu1)
{
    cpu_set_t s;
    *cpu0 = *cpu1 = -1;
    if (sched_getaffinity(0, sizeof s, &s) < 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &s))
            continue;
        if (*cpu0 < 0)
            *cpu0 = c;
        else if (*cpu1 < 0)
            *cpu1 = c;
    }
    return *cpu0 < 0 ? -1 : 0;
}

/* The store page (a memfd mapped read-only for the guest and writable for
 * the monitor) and the shared result and channel pages. */
static int map_pages(void)
{
    int fd = (int)syscall(SYS_memfd_create, "host_skas", 0);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        return -1;
    ro_page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    rw_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    res = mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    chan = mmap(NULL, sizeof *chan, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    close(fd);
    return ro_page == MAP_FAILED || rw_page == MAP_FAILED || res == MAP_FAILED ||
           chan == MAP_FAILED ? -1 : 0;
}

int main(int argc, char **argv)
{
    int runs = 5, smoke = 0, cpu0, cpu1, skipped = 0;
    uint32_t n = 10000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            smoke = 1, runs = 1, n = 300;
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            n = (uint32_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: host_skas [--smoke] [--runs R] [--iters N]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > MAX_RUNS || n < 1 || map_pages() < 0 || first_cpus(&cpu0, &cpu1) < 0) {
        fprintf(stderr, "host_skas: bad arguments or set-up failed\n");
        return 2;
    }
    for (int r = 0; r < runs; r++)
        if (run_all(cpu0, cpu1, n, &skipped) < 0)
            return 1;
    printf("host_skas: %d run(s) of %u round trips per row, CPUs %d and %d; us per round trip\n",
           runs, n, cpu0, cpu1);
    print_table();
    if (smoke && skipped) {
        puts("host_skas: SKIP: ptrace, PTRACE_SYSEMU or a seccomp filter is not available here");
        return 77;
    }
    if (smoke)
        puts("host_skas: every round trip returned the right values");
    return 0;
}
