/*
 * cpu/host_facts.c - probing the host at start-up (cpu/host_facts.h).
 *
 * A probe that runs foreign code (32-bit code, SYSENTER, a seccomp filter)
 * runs in a forked child and is judged by the signal the child dies of, so
 * that neither a fault nor a filter reaches the monitor.  The probes run
 * before the monitor confines itself and before any guest code runs.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/kvm.h>
#include "cpu/kvm.h"
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "cpu/host_facts.h"
#include "cpu/sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

#define HOST_CS32 0x23          /* Linux's flat 32-bit user code selector */
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

/* ---- probes (each in a child) ------------------------------------------ */

/* In the child: every i386 system call raises SIGSYS (the monitor's own
 * filter, cpu/sandbox.h), so that a SYSENTER or SYSCALL that enters the
 * kernel is seen as that, not run. */
static void child_trap_i386(void)
{
    if (sandbox_trap_i386() < 0)
        _exit(3);
}

/* In the child: put `code` in a page below 4 GiB and far-return into it as
 * 32-bit code (CS = 0x23), with ESP and EBP pointing into a readable page
 * below 4 GiB too.  The host's compat SYSENTER and SYSCALL entries read the
 * word at the user's EBP or ESP (the vDSO convention) before the system
 * call reaches seccomp; without a readable word there they skip the call
 * and return to a landing pad that faults, so the answer would be SIGSEGV
 * whatever the processor did.  The code must end the child with a signal. */
static void child_run32(const uint8_t *code, size_t n)
{
    uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED)
        _exit(4);
    memcpy(p, code, n);
    uint64_t stack = (uint64_t)(uintptr_t)(p + 8192 - 64);
    __asm__ volatile("movq %2, %%rsp\n\tmovq %2, %%rbp\n\t"
                     "pushq %0\n\tpushq %1\n\tlretq"
                     :: "i"(HOST_CS32), "r"((uint64_t)(uintptr_t)p), "r"(stack) : "memory");
    _exit(5);
}

enum probe { P_COMPAT32, P_SYSENTER, P_SYSCALL, P_RDGSBASE, P_CPUID_FAULT };

static void child(enum probe what)
{
    static const uint8_t ud2[] = { 0x0F, 0x0B };
    static const uint8_t sysenter[] = { 0xB8, 20, 0, 0, 0, 0x0F, 0x34, 0x0F, 0x0B };  /* eax=getpid */
    static const uint8_t sysc[] = { 0xB8, 20, 0, 0, 0, 0x0F, 0x05, 0x0F, 0x0B };
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);          /* dying here is the answer, not a crash */
    switch (what) {
    case P_COMPAT32:
        child_run32(ud2, sizeof ud2);
        break;
    case P_SYSENTER:
        child_trap_i386();
        child_run32(sysenter, sizeof sysenter);
        break;
    case P_SYSCALL:
        child_trap_i386();
        child_run32(sysc, sizeof sysc);
        break;
    case P_RDGSBASE: {
        uint64_t v;
        __asm__ volatile("rdgsbase %0" : "=r"(v));
        _exit(0);
    }
    case P_CPUID_FAULT:
        _exit(syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0 ? 0 : 1);
    }
    _exit(6);
}

/* Run probe `what` in a child: the signal that ended it, or 0 for
 * "exited 0", or -1 for any other end. */
static int probe(enum probe what)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child(what);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(st))
        return WTERMSIG(st);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static enum host_answer answer_of(int sig)
{
    switch (sig) {
    case SIGSYS: return HA_SIGSYS;
    case SIGILL: return HA_SIGILL;
    case SIGSEGV: case SIGBUS: return HA_SIGSEGV;
    default: return HA_OTHER;
    }
}

/* ---- facts that need no child ------------------------------------------ */

/* Can this process map host page 0?  mmap_min_addr forbids it unless the
 * process has CAP_SYS_RAWIO (Linux's cap_mmap_addr), as vmm run by root
 * has.  Tried with an inaccessible page, removed at once. */
static bool probe_page0(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    munmap(p, 4096);
    return p == NULL;
}

static void cpuid_string(unsigned leaf, char out[13])
{
    unsigned a, b, c, d;
    __cpuid(leaf, a, b, c, d);
    if (leaf == 0) {            /* vendor: EBX, EDX, ECX */
        memcpy(out, &b, 4);
        memcpy(out + 4, &d, 4);
        memcpy(out + 8, &c, 4);
    } else {                    /* hypervisor signature: EBX, ECX, EDX */
        memcpy(out, &b, 4);
        memcpy(out + 4, &c, 4);
        memcpy(out + 8, &d, 4);
    }
    out[12] = '\0';
    for (int i = 0; i < 12; i++)
        if (out[i] && (out[i] < 0x20 || out[i] > 0x7E))
            out[i] = '?';
}

static bool cpuinfo_has_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return false;
    char line[8192];
    bool found = false;
    size_t n = strlen(flag);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (char *p = strstr(line, flag); p; p = strstr(p + 1, flag))
            if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                found = true;
        break;
    }
    fclose(f);
    return found;
}

static unsigned long read_ulong_file(const char *path, unsigned long dflt)
{
    FILE *f = fopen(path, "re");
    unsigned long v = dflt;
    if (f) {
        if (fscanf(f, "%lu", &v) != 1)
            v = dflt;
        fclose(f);
    }
    return v;
}

void host_facts_probe_kvm(struct host_facts *f)
{
    f->kvm_runs32 = f->kvm_present ? kvm_probe(f->kvm_why, sizeof f->kvm_why) == 0 : 0;
    if (!f->kvm_present)
        snprintf(f->kvm_why, sizeof f->kvm_why, "no /dev/kvm");
}

static void probe_kvm(struct host_facts *f)
{
    f->kvm_runs32 = -1;
    f->kvm_api = -1;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    f->kvm_present = true;
    f->kvm_api = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
}

/* The sandbox's layers (cpu/sandbox.h): asked of the kernel, nothing set. */
static void probe_sandbox(struct host_facts *f)
{
    uint32_t trap = SECCOMP_RET_TRAP;
    f->seccomp_trap = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trap) == 0;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* _VERSION */);
    f->landlock_abi = abi > 0 ? (int)abi : 0;
}

static struct host_facts facts;
static struct host_plan plan;
static bool probed;

const struct host_facts *host_facts(void)
{
    if (probed)
        return &facts;
    struct host_facts *f = &facts;
    cpuid_string(0, f->vendor);
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    if (c & (1u << 31))
        cpuid_string(0x40000000, f->hypervisor);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(f->kernel, sizeof f->kernel, "%s", u.release);
    f->compat32 = probe(P_COMPAT32) == SIGILL;
    if (f->compat32) {
        f->sysenter32 = answer_of(probe(P_SYSENTER));
        f->syscall32 = answer_of(probe(P_SYSCALL));
    }
    f->umip = cpuinfo_has_flag("umip");
    f->cpuid_faulting = probe(P_CPUID_FAULT) == 0;
    f->fsgsbase_insn = probe(P_RDGSBASE) == 0;
    f->fsgsbase_kernel = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
    f->mmap_min_addr = read_ulong_file("/proc/sys/vm/mmap_min_addr", 4096);
    f->page0_maps = probe_page0();
    probe_sandbox(f);
    probe_kvm(f);
    plan = host_plan_from(f);
    probed = true;
    return f;
}

const struct host_plan *host_plan(void)
{
    host_facts();
    return &plan;
}

/* ---- decisions ----------------------------------------------------------- */

struct host_plan host_plan_from(const struct host_facts *f)
{
    struct host_plan p = { 0 };
    p.ring3_direct = f->compat32;
    /* SYSENTER: #UD on AMD (the monitor sees SIGILL at 0F 34 with every
     * register intact); Intel enters the compat entry (SIGSYS).  When the
     * probe could not tell, the vendor decides. */
    if (f->sysenter32 == HA_SIGILL)
        p.sysenter_is_ud = true;
    else if (f->sysenter32 != HA_SIGSYS)
        p.sysenter_is_ud = strcmp(f->vendor, "GenuineIntel") != 0;
    /* A SIGSYS from the compat entries is whichever of the two enters the
     * kernel: SYSCALL where SYSENTER is #UD. */
    p.compat_sigsys_is_syscall = p.sysenter_is_ud;
    /* SYSCALL in compatibility mode: #UD on Intel (SDM vol. 2B, SYSCALL:
     * "#UD If not in 64-bit mode"), a kernel entry on AMD (APM vol. 3,
     * SYSCALL: valid in legacy and compatibility mode with EFER.SCE).
     * Linux's compat entry then sets the return address to its vDSO
     * landing pad and stores the caller's EBP in ECX's slot: the
     * instruction's address and the guest's ECX are gone, and the model
     * needs #UD at it with ECX intact.  So unless the probe saw #UD, no
     * SYSCALL may run directly. */
    p.syscall_guard = f->compat32 && f->syscall32 != HA_SIGILL;
    /* A GS base written with WRGSBASE survives a context switch only where
     * the kernel knows about FSGSBASE (it then saves the live base); a kernel
     * that does not restores its own saved value instead. */
    p.gsbase_insn = f->fsgsbase_insn && f->fsgsbase_kernel;
    /* Guest programs linked at address 0 (teaching kernels' user programs)
     * run at full speed where the user view can hold page 0. */
    p.user_page0 = f->page0_maps;
    return p;
}

enum ring3_event host_ring3_event(const struct host_plan *p, int sig, bool from_compat_entry,
                                  const uint8_t insn[2])
{
    if (sig == SIGSYS) {
        if (!from_compat_entry)
            return R3_INT80;
        return p->compat_sigsys_is_syscall ? R3_SYSCALL : R3_SYSENTER;
    }
    if (sig == SIGILL && insn && insn[0] == 0x0F && insn[1] == 0x34 && p->sysenter_is_ud)
        return R3_SYSENTER;
    return R3_EXCEPTION;
}

/* ---- the table of --host-info ----------------------------------------- */

static const char *answer_text(enum host_answer a, bool is_sysenter)
{
    switch (a) {
    case HA_NOT_TRIED: return "not tried (no 32-bit code)";
    case HA_SIGSYS: return is_sysenter ? "kernel entry (Intel-like)" : "kernel entry (AMD-like)";
    case HA_SIGILL: return is_sysenter ? "#UD (AMD-like)" : "#UD (Intel-like)";
    case HA_SIGSEGV: return "#GP or fault";
    default: return "other";
    }
}

static void row(FILE *out, const char *fact, const char *value, const char *consequence)
{
    fprintf(out, "%-28s %-30s %s\n", fact, value, consequence);
}

void host_facts_print(const struct host_facts *f, FILE *out)
{
    struct host_plan p = host_plan_from(f);
    char buf[96];
    row(out, "host fact", "this host", "what vmm does");
    row(out, "---------", "---------", "-------------");
    row(out, "CPU vendor", f->vendor, p.sysenter_is_ud ? "expects AMD's answers below" :
        "expects Intel's answers below");
    row(out, "hypervisor", f->hypervisor[0] ? f->hypervisor : "none (bare metal)", "-");
    row(out, "kernel", f->kernel, "-");
    row(out, "32-bit user code (CS 0x23)", f->compat32 ? "runs" : "refused",
        f->compat32 ? "guest ring 3 runs directly" :
        "guest ring 3 is translated (no direct execution)");
    row(out, "SYSENTER in 32-bit code", answer_text(f->sysenter32, true),
        !f->compat32 ? "-" : p.sysenter_is_ud ? "guest SYSENTER taken from SIGILL at 0F 34" :
        "guest SYSENTER taken from the SIGSYS");
    row(out, "SYSCALL in 32-bit code", answer_text(f->syscall32, false),
        !f->compat32 ? "-" : f->syscall32 == HA_SIGILL
                                 ? "guest SYSCALL raises #UD (the model has none)"
                                 : "address lost: #UD exact only with --syscall-guard");
    row(out, "UMIP", f->umip ? "on (kernel emulates)" : "off",
        !f->compat32 ? "-" : f->umip ? "SGDT/SIDT/SMSW/STR/SLDT silent in ring 3" :
        "SGDT/SIDT/SMSW/STR/SLDT silent in ring 3 (host values)");
    row(out, "CPUID faulting", f->cpuid_faulting ? "yes" : "no",
        !f->compat32 ? "-" : f->cpuid_faulting ? "ring-3 CPUID sees the virtual model" :
        "ring-3 CPUID sees the host CPU");
    snprintf(buf, sizeof buf, "%s, kernel %s", f->fsgsbase_insn ? "usable" : "#UD",
             f->fsgsbase_kernel ? "keeps it" : "does not keep it");
    row(out, "RDGSBASE/WRGSBASE", buf, p.gsbase_insn ? "translated code's GS base by WRGSBASE" :
        "translated code's GS base by arch_prctl");
    row(out, "seccomp filters", f->seccomp_trap ? "yes" : "no",
        f->seccomp_trap ? "i386 calls trap; x86-64 calls limited (docs/security.md)" :
        "vmm refuses to run guest code");
    snprintf(buf, sizeof buf, "ABI %d", f->landlock_abi);
    row(out, "Landlock", f->landlock_abi ? buf : "absent",
        f->landlock_abi ? "no path opens once the guest runs" :
        "files confined by the system-call filter alone");
    if (f->kvm_present)
        snprintf(buf, sizeof buf, "present, API %d", f->kvm_api);
    row(out, "/dev/kvm", f->kvm_present ? buf : "absent",
        !f->kvm_present ? "--accel kvm refused, auto takes bt" :
        f->kvm_runs32 == 1 ? "--accel kvm and auto run the guest on it" :
        f->kvm_runs32 == 0 ? "--accel kvm refused, auto takes bt:" : "(not probed)");
    if (f->kvm_present && f->kvm_runs32 == 0)
        row(out, "", "", f->kvm_why);
    snprintf(buf, sizeof buf, "%lu", f->mmap_min_addr);
    row(out, "vm.mmap_min_addr", buf, "-");
    row(out, "host page 0 mappable", f->page0_maps ? "yes (CAP_SYS_RAWIO or limit 0)" : "no",
        p.user_page0 ? "guest linear page 0 mapped like any page" :
                       "guest linear page 0 emulated one access at a time");
}
