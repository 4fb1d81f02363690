/*
 * cpu/host.c - signals, poll pages and the host timer (see cpu/host.h).
 *
 * Why a signal handler at all: translated code runs in the monitor's own
 * process, so a guest page fault, a guest divide error or a write to a page
 * holding translated code reaches us as SIGSEGV/SIGFPE with the host
 * registers in the ucontext.  Those registers ARE the guest's (eax..edi,
 * arithmetic flags), so the handler copies them into struct vcpu, finds the
 * guest instruction from the host RIP, and resumes at bt_exit_signal, which
 * returns from bt_enter() to the run loop.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ucontext.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include "cpu/host.h"
#include "cpu/host_facts.h"
#include "bt/bt.h"
#include "bt/tc.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/guest_mem.h"
#include "cpu/direct.h"
#include "cpu/host_clock.h"
#include "cpu/fpu.h"
#include "cpu/sandbox.h"

extern char bt_exit_signal[];
extern char direct_exit[];
extern char host_signal_entry[];

/* Signals carry no user pointer: the one VM of this process. */
static struct vm *host_vm;
static timer_t host_timer;
static bool host_timer_made;
static bool armed_irq, armed_any;

#define ALTSTACK_SIZE (256 * 1024)

static const int gregs_of_gpr[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
                                     REG_RSP, REG_RBP, REG_RSI, REG_RDI };

static void (*fatal_hooks[HOST_FATAL_HOOKS])(void);

void host_at_fatal(void (*fn)(void))
{
    for (int i = 0; i < HOST_FATAL_HOOKS; i++)
        if (!fatal_hooks[i] || fatal_hooks[i] == fn) {
            fatal_hooks[i] = fn;
            return;
        }
}

static void fatal_host_fault(int sig, siginfo_t *si, ucontext_t *uc)
{
    char buf[200];
    int n = snprintf(buf, sizeof buf, "vmm: internal error: signal %d (vector %lld, error %#llx) at "
                     "rip=%llx addr=%p\n", sig, (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
                     (unsigned long long)uc->uc_mcontext.gregs[REG_ERR],
                     (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], si->si_addr);
    if (write(2, buf, (size_t)n) < 0) {}
    if (host_vm)
        vm_dump_state(host_vm, stderr);
    for (int i = 0; i < HOST_FATAL_HOOKS && fatal_hooks[i]; i++)
        fatal_hooks[i]();
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void exit_to_monitor(ucontext_t *uc, struct vcpu *c, uint32_t eip, enum bt_exit why)
{
    greg_t *g = uc->uc_mcontext.gregs;
    for (int r = 0; r < 8; r++)
        c->gpr[r] = (uint32_t)g[gregs_of_gpr[r]];
    c->rflags = (uint64_t)g[REG_EFL];
    c->eip = eip;
    c->bt.exit_reason = why;
    g[REG_EFL] &= ~(greg_t)FL_AC;       /* translated ring 3's alignment checks end here */
    g[REG_R15] = (greg_t)(uintptr_t)c;
    g[REG_RIP] = (greg_t)(uintptr_t)bt_exit_signal;
}

/*
 * A native REP MOVS/STOS (bt/xl_string.c: host pointers view + ESI/EDI)
 * that ran off its 4 GiB window: into the guard below or above a kernel
 * view (shadow_mmu/guest_mem.h), or, in the user view, above 4 GiB or down
 * to non-canonical addresses (#GP).  The guest's 32-bit ESI/EDI wrap
 * there; the fix of RSI/RDI left them wrapped (exit_to_monitor keeps 32
 * bits) with ECX exact, so running the instruction on from there is what
 * the processor does.
 */
static bool string_wrapped(int sig, int trapno, uint64_t addr, uint64_t kv)
{
    if (sig != SIGSEGV)
        return false;
    return trapno == 13 || (trapno == 14 && (addr < kv || addr - kv >= KVIEW_WINDOW));
}

static void on_fault(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct vm *vm = host_vm;
    greg_t *g = uc->uc_mcontext.gregs;
    uint32_t eip;
    unsigned fix;
    if (!vm || !bt_host_fault(vm, (uint64_t)g[REG_RIP], &eip, &fix))
        fatal_host_fault(sig, si, uc);
    struct vcpu *c = vm_cpu(vm);
    /* A REP MOVS/STOS run natively on host pointers: back to guest offsets. */
    if (fix & TU_FIX_ESI)
        g[REG_RSI] = (greg_t)((uint64_t)g[REG_RSI] - c->bt.xview);
    if (fix & TU_FIX_EDI)
        g[REG_RDI] = (greg_t)((uint64_t)g[REG_RDI] - c->bt.xview);
    uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
    uint64_t kv = c->bt.xview;      /* the view translated code runs in: kernel, or user at CPL 3 */
    int trapno = (int)g[REG_TRAPNO];

    if (fix && string_wrapped(sig, trapno, addr, kv)) {
        vm_stats(vm)->bt_wrap_steps++;
        exit_to_monitor(uc, c, eip, EXIT_POLL);
        return;
    }
    if (sig == SIGSEGV && (addr == c->bt.poll_irq || addr == c->bt.poll_any)) {
        exit_to_monitor(uc, c, eip, EXIT_POLL);
        return;
    }
    if (sig == SIGSEGV && addr == c->bt.guard_trap) {
        /* An FS/GS access while that segment has a limit: emulate it. */
        exit_to_monitor(uc, c, eip, EXIT_EMULATE);
        return;
    }
    c->bt.exc_has_error = false;
    c->bt.exc_error = 0;
    c->bt.exit_arg = 0;
    if (sig == SIGSEGV && fpu_gate_fault(addr, &c->bt.exc_vector)) {
        /* An FPU/MMX/SSE instruction that CR0.TS/EM/MP or CR4.OSFXSR
         * forbid: #NM or #UD at it (cpu/fpu.h). */
        exit_to_monitor(uc, c, eip, EXIT_EXCEPTION);
        return;
    }
    if (sig == SIGSEGV && trapno == 14 && addr >= kv && addr - kv < KVIEW_WINDOW) {
        /* A miss in the view of the running code (kernel view, or the
         * user view at CPL 3): the run loop asks the shadow MMU whether it
         * is hidden, a guest #PF, MMIO, or a write to translated code. */
        bool write = g[REG_ERR] & 2;
        uint64_t lin = addr - kv;
        c->bt.exc_vector = EXC_PF;
        c->bt.exc_has_error = true;
        c->bt.exc_error = write ? 2u : 0;
        c->bt.exit_arg = lin;
        exit_to_monitor(uc, c, eip, EXIT_EXCEPTION);
        return;
    }
    switch (sig) {
    case SIGFPE:
        c->bt.exc_vector = trapno == 16 ? EXC_MF : trapno == 19 ? EXC_XM : EXC_DE;
        break;
    case SIGILL:
        c->bt.exc_vector = EXC_UD;
        break;
    case SIGTRAP:
        c->bt.exc_vector = trapno == 3 ? EXC_BP : EXC_DB;
        break;
    default:
        /* A #GP or a fault outside the kernel view from translated code:
         * the translation scheme broke; let the run loop report it. */
        c->bt.exc_vector = trapno;
        c->bt.exc_has_error = true;
        c->bt.exc_error = (uint32_t)g[REG_ERR];
        c->bt.exit_arg = addr;
        break;
    }
    exit_to_monitor(uc, c, eip, EXIT_EXCEPTION);
}

/* Host timer deadline armed now (host_timer_at); REARMED after on_timer
 * set a short one of its own. */
#define REARMED (UINT64_MAX - 1)
#define REARM_NS 20000
static uint64_t timer_deadline = UINT64_MAX;
static volatile uint8_t *kick_byte;

void host_kick_byte(volatile uint8_t *byte)
{
    kick_byte = byte;
}

static void on_timer(void)
{
    struct vm *vm = host_vm;
    if (kick_byte)
        *kick_byte = 1;
    /* Between direct_run's last look at the timer and the IRETQ into ring
     * 3: the poll page below means nothing to ring 3, so fire again soon,
     * when ring 3 runs, and let that signal bring it back to the loop. */
    if (vm && direct_active && host_timer_made) {
        struct itimerspec its = { .it_value = { .tv_nsec = REARM_NS } };
        timer_settime(host_timer, 0, &its, NULL);
        timer_deadline = REARMED;
    }
    if (vm)
        host_poll_kick(vm);
}

/* SIGINT/SIGTERM: stop at the next block boundary, with statistics. */
static void on_terminate(int sig)
{
    struct vm *vm = host_vm;
    if (!vm)
        _exit(128 + sig);
    vm_stop_on_signal(vm, sig);
    if (kick_byte)
        *kick_byte = 1;
    host_poll_kick(vm);
}

/*
 * A signal while guest ring-3 code ran: record the guest state and leave
 * through direct_exit in 64-bit mode on the monitor's stack.
 */
#define HOST_CS32 0x23          /* the host's flat 32-bit user code selector */
#define EFAULT_RET 0xFFFFFFF2u  /* -EFAULT as a 32-bit register */

/*
 * The host's compat SYSENTER entry reads the word at the caller's EBP (the
 * vDSO convention, docs/direct.md).  When EBP points at nothing readable
 * there, it skips the system call and returns to its vDSO landing pad with
 * EAX = -EFAULT, CS = 0x23 and RIP truncated to 32 bits, where the fetch
 * faults: that SIGSEGV is the guest's SYSENTER, not an escape.  (Escaped
 * code that mimics it only enters the guest kernel, in the guest's own
 * segments.)
 */
static bool host_failed_sysenter(int sig, const siginfo_t *si, const greg_t *g)
{
    return sig == SIGSEGV && direct_active && (uint16_t)g[REG_CSGSFS] == HOST_CS32 &&
           (uint32_t)g[REG_RAX] == EFAULT_RET && (uint64_t)g[REG_RIP] < (1ull << 32) &&
           (uint64_t)(uintptr_t)si->si_addr == (uint64_t)g[REG_RIP];
}

static void direct_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct vm *vm = host_vm;
    struct vcpu *c = vm_cpu(vm);
    greg_t *g = uc->uc_mcontext.gregs;
    uint32_t efl = (uint32_t)g[REG_EFL];
    for (int r = 0; r < 8; r++)
        c->gpr[r] = (uint32_t)g[gregs_of_gpr[r]];
    c->eip = (uint32_t)g[REG_RIP];
    c->rflags = efl & FL_ARITH;
    c->str_step = (efl & FL_DF) ? -1 : 1;
    c->eflags = (c->eflags & ~(FL_TF | FL_AC | FL_NT | FL_ID)) | (efl & (FL_TF | FL_AC | FL_NT | FL_ID));
    c->bt.exc_vector = (int)g[REG_TRAPNO];
    c->bt.exc_error = (uint32_t)g[REG_ERR];
    c->bt.exc_has_error = false;
    c->bt.exit_arg = (uint64_t)(uintptr_t)si->si_addr;
    /* Copied now: a later signal taken in the monitor overwrites them. */
    for (int i = 0; i < 4; i++)
        c->bt.ring3_sel[i] = host_seen_sel[i];
    if (sig == SIGSEGV && (uint16_t)g[REG_CSGSFS] == HOST_CS32) {
        /* A SYSENTER whose EBP the host's entry could not read
         * (host_failed_sysenter): EAX, the system-call number, is lost;
         * the guest kernel gets the SYSENTER with the host's -EFAULT in
         * EAX, and EBP, as for any SYSENTER, from the reported RSP. */
        c->bt.exit_reason = EXIT_SYSCALL;
        c->bt.exc_vector = -1;
        c->gpr[R_EBP] = (uint32_t)g[REG_RSP];
        sig = 0;
    }
    switch (sig) {
    case 0:
        break;
    case SIGSYS:
        /* int 0x80 comes back from the guest's own code segment with RIP
         * after the instruction.  SYSENTER (Intel) or SYSCALL (AMD) from
         * 32-bit code enters the host's compat entry, which reports CS 0x23
         * and a landing pad in the host's vDSO as RIP: only the registers
         * are the guest's (cpu/host_facts.h says which of the two it is). */
        switch (host_ring3_event(host_plan(), SIGSYS,
                                 !direct_is_guest_cs((uint16_t)g[REG_CSGSFS]), NULL)) {
        case R3_SYSCALL:
            /* The model has no SYSCALL: #UD.  Linux's compat entry kept
             * neither its address nor ECX (RCX here is the caller's EBP),
             * so guest code never gets here: where this entry exists the
             * SYSCALL guard (host_plan()->syscall_guard, monitor/pg_watch.h)
             * raises the #UD before the instruction runs.  What remains is
             * code that got around the guard; its EIP is a guess. */
            c->bt.exit_reason = EXIT_EXCEPTION;
            c->bt.exc_vector = EXC_UD;
            c->eip = (uint32_t)g[REG_RCX] - 2;
            vm_stats(vm)->direct_syscall_ud++;
            break;
        case R3_INT80:
            c->bt.exit_reason = EXIT_SYSCALL;
            c->bt.exc_vector = 0x80;
            break;
        default:
            /* The host's SYSENTER entry assumes the vDSO convention (EBP
             * holds the user ESP and was pushed): it reports EBP as the
             * stack pointer and reloads EBP from the stack.  The guest's
             * EBP at SYSENTER is therefore the reported RSP. */
            c->bt.exit_reason = EXIT_SYSCALL;
            c->bt.exc_vector = -1;
            c->gpr[R_EBP] = (uint32_t)g[REG_RSP];
            break;
        }
        break;
    case SIGALRM:
    case SIGINT:
    case SIGTERM:
    case SIGHUP:
        if (sig != SIGALRM)
            vm_stop_on_signal(vm, sig);
        c->bt.exit_reason = EXIT_POLL;
        break;
    case SIGFPE:
        c->bt.exc_vector = c->bt.exc_vector == 16 ? EXC_MF : c->bt.exc_vector == 19 ? EXC_XM : EXC_DE;
        c->bt.exit_reason = EXIT_EXCEPTION;
        break;
    case SIGILL:
        c->bt.exc_vector = EXC_UD;
        c->bt.exit_reason = EXIT_EXCEPTION;
        break;
    case SIGTRAP:
        c->bt.exc_vector = c->bt.exc_vector == 3 ? EXC_BP : EXC_DB;
        c->bt.exit_reason = EXIT_EXCEPTION;
        break;
    default:                /* SIGSEGV, SIGBUS: the vector the host CPU raised */
        c->bt.exc_has_error = true;
        c->bt.exit_reason = EXIT_EXCEPTION;
        break;
    }
    g[REG_R15] = (greg_t)(uintptr_t)c;
    g[REG_RSP] = (greg_t)c->bt.host_rsp;
    g[REG_RIP] = (greg_t)(uintptr_t)direct_exit;
    g[REG_EFL] = FL_FIXED | FL_IF;
    /* CS = 0x33 (64-bit user code), SS = 0x2b: sigreturn restores both. */
    g[REG_CSGSFS] = (greg_t)(0x33ull | (0x2bull << 48));
}

/* The refused call of a SIGSYS, with its arguments (x86-64 or i386 order). */
static void describe_call(char *buf, size_t len, const siginfo_t *si, const greg_t *g)
{
    uint64_t a[6] = { (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI], (uint64_t)g[REG_RDX],
                      (uint64_t)g[REG_R10], (uint64_t)g[REG_R8], (uint64_t)g[REG_R9] };
    if (si->si_arch == AUDIT_ARCH_I386) {
        snprintf(buf, len, "i386 system call %d", si->si_syscall);
        return;
    }
    sandbox_describe(buf, len, si->si_syscall, a);
}

/*
 * Code that is neither the monitor's (64-bit, above 4 GiB) nor the guest's
 * mirrored ring-3 segment: guest code that far-jumped out of its segments.
 * Stop everything (cpu/sandbox.h).
 */
static void contained(int sig, siginfo_t *si, ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    char call[200] = "no system call", buf[320];
    if (sig == SIGSYS)
        describe_call(call, sizeof call, si, g);
    int n = snprintf(buf, sizeof buf,
                     "vmm: guest code escaped direct execution: signal %d (%s) "
                     "at cs=%#x rip=%#llx; stopped by the sandbox\n",
                     sig, call, (unsigned)(uint16_t)g[REG_CSGSFS], (unsigned long long)g[REG_RIP]);
    if (write(2, buf, (size_t)n) < 0) {}
    exit(VMM_EXIT_CONTAINED);
}

/* Every signal of the monitor, after host_signal_entry restored FS. */
void host_on_signal(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    uint16_t cs = (uint16_t)g[REG_CSGSFS];
    if (sig == SIGALRM)
        host_clock_timer_signal();
    if (host_vm && (direct_is_guest_cs(cs) || (sig == SIGSYS && cs == HOST_CS32 && direct_active) ||
                    host_failed_sysenter(sig, si, g))) {
        direct_signal(sig, si, uc);
        return;
    }
    if (host_vm && (cs != 0x33 || (uint64_t)g[REG_RIP] < (1ull << 32)))
        contained(sig, si, uc);
    switch (sig) {
    case SIGALRM:
        on_timer();
        return;
    case SIGINT:
    case SIGTERM:
    case SIGHUP:
        on_terminate(sig);
        return;
    case SIGSYS: {
        char call[200], buf[320];
        describe_call(call, sizeof call, si, g);
        int n = snprintf(buf, sizeof buf, "vmm: the sandbox refused system call %s at rip=%#llx "
                         "(cpu/sandbox_table.c lists what the monitor may use)\n", call,
                         (unsigned long long)g[REG_RIP]);
        if (write(2, buf, (size_t)n) < 0) {}
        fatal_host_fault(sig, si, uc);
        return;
    }
    default:
        on_fault(sig, si, uc);
    }
}

void host_poll_kick(struct vm *vm)
{
    struct vcpu *c = vm_cpu(vm);
    if (!armed_irq && c->bt.poll_irq) {
        mprotect((void *)(uintptr_t)c->bt.poll_irq, 4096, PROT_NONE);
        armed_irq = true;
    }
}

void host_poll_arm(struct vm *vm, bool irq, bool any)
{
    struct vcpu *c = vm_cpu(vm);
    if (irq != armed_irq) {
        mprotect((void *)(uintptr_t)c->bt.poll_irq, 4096, irq ? PROT_NONE : PROT_READ);
        armed_irq = irq;
    }
    if (any != armed_any) {
        mprotect((void *)(uintptr_t)c->bt.poll_any, 4096, any ? PROT_NONE : PROT_READ);
        armed_any = any;
    }
}

void host_timer_at(struct vm *vm, uint64_t deadline_ns)
{
    if (!host_timer_made || deadline_ns == timer_deadline)
        return;
    struct itimerspec its = { 0 };
    if (deadline_ns != UINT64_MAX) {
        its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    timer_settime(host_timer, TIMER_ABSTIME, &its, NULL);
    timer_deadline = deadline_ns;
}

int host_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct vcpu *c = vm_cpu(vm);
    host_vm = vm;
    /* host_signal_entry puts this FS base back before any C runs, when
     * directly executed guest code may have loaded FS: by WRFSBASE where
     * user code may use it, else through the kernel. */
    const struct host_plan *plan = host_plan();
    syscall(SYS_arch_prctl, ARCH_GET_FS, &host_fsbase);
    host_fs_restore = !plan->ring3_direct ? 0 : host_facts()->fsgsbase_insn ? 1 : 2;
    c->bt.gs_by_insn = plan->gsbase_insn;
    c->bt.gs_kept = 0;
    stack_t ss = { .ss_sp = malloc(ALTSTACK_SIZE), .ss_size = ALTSTACK_SIZE };
    if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0) {
        snprintf(err, errlen, "cannot set up the signal stack");
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void *)host_signal_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGALRM);
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) < 0) {
            snprintf(err, errlen, "cannot install signal handlers");
            return -1;
        }
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Any other signal would be delivered on the guest's stack pointer:
     * block them all while the VM runs. */
    sigset_t block;
    sigfillset(&block);
    int handled[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGALRM, SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigdelset(&block, handled[i]);
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
    if (timer_create(CLOCK_MONOTONIC, &sev, &host_timer) == 0)
        host_timer_made = true;
    /* The two poll pages: readable until something needs the monitor. */
    void *p = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the poll pages");
        return -1;
    }
    c->bt.poll_irq = (uint64_t)(uintptr_t)p;
    c->bt.poll_any = (uint64_t)(uintptr_t)p + 4096;
    /* Segment-limit guards for FS/GS accesses (bt/xl_helpers.c, seg_enter). */
    c->bt.guard_ok = (uint64_t)(uintptr_t)p + 2 * 4096;
    c->bt.guard_trap = (uint64_t)(uintptr_t)p + 3 * 4096;
    mprotect((void *)(uintptr_t)c->bt.guard_trap, 4096, PROT_NONE);
    c->bt.seglimit_guard[0] = c->bt.seglimit_guard[1] = c->bt.guard_ok;
    armed_irq = armed_any = false;
    return 0;
}

void host_gs_sync(struct vcpu *c)
{
    if (c->bt.gs_by_insn || c->bt.gs_kept == c->bt.gs_base)
        return;
    syscall(SYS_arch_prctl, ARCH_SET_GS, c->bt.gs_base);
    c->bt.gs_kept = c->bt.gs_base;
}

void host_gs_forget(struct vcpu *c)
{
    c->bt.gs_kept = 0;
}

void host_fini(struct vm *vm)
{
    if (host_timer_made) {
        timer_delete(host_timer);
        host_timer_made = false;
    }
    signal(SIGSEGV, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGTRAP, SIG_DFL);
    /* SIGSYS keeps its handler: the filter outlives the run, and a call it
     * refuses on the way out (closing, restoring the terminal) must still
     * be named in a report rather than kill vmm silently. */
    host_vm = NULL;
}
