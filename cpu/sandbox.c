/*
 * cpu/sandbox.c - the seccomp filters and the Landlock domain of
 * cpu/sandbox.h.  The x86-64 filter is compiled from cpu/sandbox_table.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "cpu/sandbox_int.h"

static const char *const syscall_names[] = {
#include "syscall_names.inc"
};

const char *sandbox_syscall_name(int nr)
{
    if (nr < 0 || (unsigned)nr >= sizeof syscall_names / sizeof syscall_names[0])
        return NULL;
    return syscall_names[nr];
}

static int install(struct sock_filter *f, unsigned short n)
{
    struct sock_fprog prog = { .len = n, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int sandbox_trap_i386(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return install(f, sizeof f / sizeof f[0]);
}

/* ---- the compiler of the table ---------------------------------------- */

#define MAX_INSNS 1024
#define MAX_FIXUPS 64
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* One rule's block ends where the next rule starts: every failed test
 * jumps there (its jf, or its jt for JSET), patched when the block ends. */
struct bpf {
    struct sock_filter f[MAX_INSNS];
    unsigned n;
    unsigned fail[MAX_FIXUPS];      /* instructions that jump to the block's end */
    bool fail_jt[MAX_FIXUPS];
    unsigned nfail;
    bool overflow;
};

static void op(struct bpf *b, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
    if (b->n >= MAX_INSNS) {
        b->overflow = true;
        return;
    }
    b->f[b->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void load(struct bpf *b, uint32_t off)
{
    op(b, BPF_LD | BPF_W | BPF_ABS, off, 0, 0);
}

/* A jump whose jf (or jt) goes to the end of the rule's block. */
static void jump_fail(struct bpf *b, uint16_t code, uint32_t k, uint8_t other, bool fail_on_true)
{
    if (b->nfail >= MAX_FIXUPS) {
        b->overflow = true;
        return;
    }
    b->fail[b->nfail] = b->n;
    b->fail_jt[b->nfail++] = fail_on_true;
    op(b, BPF_JMP | code | BPF_K, k, fail_on_true ? 0 : other, fail_on_true ? other : 0);
}

static void patch_fails(struct bpf *b)
{
    for (unsigned i = 0; i < b->nfail; i++) {
        unsigned at = b->fail[i];
        unsigned dist = b->n - (at + 1);
        if (dist > 255)
            b->overflow = true;
        if (b->fail_jt[i])
            b->f[at].jt = (uint8_t)dist;
        else
            b->f[at].jf = (uint8_t)dist;
    }
    b->nfail = 0;
}

/* The values an SB_IN compares with: constants, or descriptors by role. */
static unsigned values(const struct sb_cond *c, const struct sandbox_fds *fds, uint32_t *v)
{
    const int *src = NULL;
    int one, n = 1;
    switch (c->ref) {
    case SB_K:
        memcpy(v, c->k, sizeof c->k);
        return c->nk;
    case SB_CONSOLE: src = fds->console; n = 2; break;
    case SB_MEMFD: one = fds->memfd; src = &one; break;
    case SB_GDB_LISTEN: one = fds->gdb_listen; src = &one; break;
    case SB_PID: one = fds->pid; src = &one; break;
    case SB_KVM_VCPU: one = fds->kvm_vcpu; src = &one; break;
    case SB_OUT: src = fds->out; n = fds->nout; break;
    case SB_DISK: src = fds->disk; n = fds->ndisk; break;
    case SB_DISK_RW: src = fds->disk_rw; n = fds->ndisk_rw; break;
    }
    unsigned m = 0;
    for (int i = 0; i < n && i < SANDBOX_MAX_FDS; i++)
        if (src[i] >= 0)
            v[m++] = (uint32_t)src[i];
    return m;
}

/* [addr, addr + len) inside [0, 4 GiB): both high halves 0, and the 32-bit
 * sum does not wrap (or wraps to exactly 0: the range ends at 4 GiB). */
static void emit_low4g(struct bpf *b, unsigned a, unsigned l)
{
    load(b, ARG_HI(a));
    jump_fail(b, BPF_JEQ, 0, 0, false);
    load(b, ARG_HI(l));
    jump_fail(b, BPF_JEQ, 0, 0, false);
    load(b, ARG_LO(l));
    op(b, BPF_MISC | BPF_TAX, 0, 0, 0);
    load(b, ARG_LO(a));
    op(b, BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0);
    op(b, BPF_ST, 0, 0, 0);                         /* M[0] = end (mod 4 GiB) */
    load(b, ARG_LO(a));
    op(b, BPF_MISC | BPF_TAX, 0, 0, 0);
    op(b, BPF_LD | BPF_MEM, 0, 0, 0);
    op(b, BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0);      /* end >= addr: no wrap */
    jump_fail(b, BPF_JEQ, 0, 0, false);
}

/* One condition; false when it can never hold (an empty set). */
static bool emit_cond(struct bpf *b, const struct sb_cond *c, const struct sandbox_fds *fds)
{
    uint32_t v[SANDBOX_MAX_FDS > SB_MAX_K ? SANDBOX_MAX_FDS : SB_MAX_K];
    switch (c->op) {
    case SB_IN: {
        unsigned n = values(c, fds, v);
        if (n == 0)
            return false;
        load(b, ARG_LO(c->arg));
        for (unsigned i = 0; i + 1 < n; i++)    /* a match skips the rest */
            op(b, BPF_JMP | BPF_JEQ | BPF_K, v[i], (uint8_t)(n - 1 - i), 0);
        jump_fail(b, BPF_JEQ, v[n - 1], 0, false);
        return true;
    }
    case SB_NULL:
        load(b, ARG_LO(c->arg));
        jump_fail(b, BPF_JEQ, 0, 0, false);
        load(b, ARG_HI(c->arg));
        jump_fail(b, BPF_JEQ, 0, 0, false);
        return true;
    case SB_NOBITS:
        load(b, ARG_LO(c->arg));
        jump_fail(b, BPF_JSET, c->k[0], 0, true);
        return true;
    case SB_ALLBITS:
        load(b, ARG_LO(c->arg));
        op(b, BPF_ALU | BPF_AND | BPF_K, c->k[0], 0, 0);
        jump_fail(b, BPF_JEQ, c->k[0], 0, false);
        return true;
    case SB_LOW4G:
        emit_low4g(b, c->arg, c->k[0]);
        return true;
    }
    return true;
}

/* Rule i's block: the number, the conditions, ALLOW; every failure falls to
 * the next block.  Nothing at all for a rule that can never match. */
static void emit_rule(struct bpf *b, const struct sb_rule *r, const struct sandbox_fds *fds)
{
    unsigned start = b->n;
    load(b, offsetof(struct seccomp_data, nr));
    jump_fail(b, BPF_JEQ, (uint32_t)r->nr, 0, false);
    for (int i = 0; i < SB_MAX_COND && r->c[i].op != SB_END; i++)
        if (!emit_cond(b, &r->c[i], fds)) {
            b->n = start;
            b->nfail = 0;
            return;
        }
    op(b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
    patch_fails(b);
}

int sandbox_seccomp(const struct sandbox_fds *fds)
{
    static struct bpf b;
    memset(&b, 0, sizeof b);
    /* Only the x86-64 ABI is judged here; i386 calls meet the trap filter,
     * and x32 numbers (bit 30 set, same arch) match no rule. */
    load(&b, offsetof(struct seccomp_data, arch));
    op(&b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    op(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
    for (unsigned i = 0; i < sandbox_table_len; i++)
        emit_rule(&b, &sandbox_table[i], fds);
    op(&b, BPF_RET | BPF_K, SECCOMP_RET_TRAP, 0, 0);
    if (b.overflow) {
        errno = E2BIG;
        return -1;
    }
    return install(b.f, (unsigned short)b.n);
}

/* ---- Landlock --------------------------------------------------------- */

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION 1u
#define LL_NET_ALL 3ull                 /* BIND_TCP | CONNECT_TCP */
#define LL_SCOPE_ALL 3ull               /* ABSTRACT_UNIX_SOCKET | SIGNAL */

/* struct landlock_ruleset_attr as of ABI 6 (older kernels read a prefix). */
struct ll_attr {
    uint64_t handled_access_fs, handled_access_net, scoped;
};

/* Every file-system right the ABI knows: 13 in ABI 1, REFER (2),
 * TRUNCATE (3), IOCTL_DEV (5). */
static uint64_t ll_fs_rights(int abi)
{
    int bits = abi >= 5 ? 16 : abi >= 3 ? 15 : abi >= 2 ? 14 : 13;
    return (1ull << bits) - 1;
}

int sandbox_landlock(char *note, size_t notelen)
{
    note[0] = 0;
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0) {
        snprintf(note, notelen, "Landlock is not available on this host (%s): files are "
                 "confined by the system-call filter alone", strerror(errno));
        return 0;
    }
    struct ll_attr attr = {
        .handled_access_fs = ll_fs_rights(abi),
        .handled_access_net = abi >= 4 ? LL_NET_ALL : 0,
        .scoped = abi >= 6 ? LL_SCOPE_ALL : 0,
    };
    size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 16 : 8;
    if (abi < 6)
        snprintf(note, notelen, "Landlock ABI %d: no %s (ABI %d); the system-call filter "
                 "covers it", abi, abi < 4 ? "TCP or signal scoping" : "signal scoping",
                 abi < 4 ? 4 : 6);
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0)
        return -1;
    int r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -1
          : (int)syscall(SYS_landlock_restrict_self, fd, 0);
    close(fd);
    return r < 0 ? -1 : abi;
}

int sandbox_confine(const struct sandbox_fds *fds, FILE *report, char *err, size_t errlen)
{
    char note[200];
    if (sandbox_landlock(note, sizeof note) < 0) {
        snprintf(err, errlen, "cannot confine the monitor with Landlock: %s", strerror(errno));
        return -1;
    }
    if (note[0])
        fprintf(report, "vmm: %s\n", note);
    if (sandbox_seccomp(fds) < 0) {
        snprintf(err, errlen, "cannot confine the monitor with seccomp: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void sandbox_prepare_stream(FILE *f)
{
    if (!f)
        return;
    /* _IOFBF with no buffer allocates one now (glibc's doallocate, with
     * its fstat); _IOLBF afterwards keeps that buffer for a terminal. */
    bool tty = isatty(fileno(f));
    setvbuf(f, NULL, _IOFBF, 0);
    if (tty)
        setvbuf(f, NULL, _IOLBF, 0);
}

/* ---- reports and the printed table ------------------------------------ */

void sandbox_describe(char *buf, size_t len, int nr, const uint64_t args[6])
{
    const char *name = sandbox_syscall_name(nr);
    char num[24];
    if (!name) {
        snprintf(num, sizeof num, "syscall_%d", nr);
        name = num;
    }
    snprintf(buf, len, "%s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)", name,
             (unsigned long long)args[0], (unsigned long long)args[1],
             (unsigned long long)args[2], (unsigned long long)args[3],
             (unsigned long long)args[4], (unsigned long long)args[5]);
}

static const char *const ref_names[] = {
    [SB_CONSOLE] = "the console's input", [SB_OUT] = "stdout, stderr, the --perf-map file or the --reboot pipe",
    [SB_DISK] = "a --disk image", [SB_DISK_RW] = "a writable --disk image",
    [SB_MEMFD] = "the guest-RAM memfd", [SB_GDB_LISTEN] = "the --gdb listening socket",
    [SB_PID] = "vmm's own pid", [SB_KVM_VCPU] = "the KVM vCPU (--accel kvm)",
};

static void print_cond(FILE *f, const struct sb_cond *c)
{
    switch (c->op) {
    case SB_IN:
        if (c->ref == SB_K)
            fprintf(f, "%s %s %s", c->arg_name, c->nk > 1 ? "in" : "=", c->k_names);
        else
            fprintf(f, "%s = %s", c->arg_name, ref_names[c->ref]);
        break;
    case SB_NULL: fprintf(f, "%s = NULL", c->arg_name); break;
    case SB_NOBITS: fprintf(f, "%s without %s", c->arg_name, c->k_names); break;
    case SB_ALLBITS: fprintf(f, "%s with %s", c->arg_name, c->k_names); break;
    case SB_LOW4G: fprintf(f, "[%s, +len) below 4 GiB", c->arg_name); break;
    }
}

void sandbox_print_table(FILE *f)
{
    fprintf(f, "| system call | allowed when | needed for |\n| --- | --- | --- |\n");
    for (unsigned i = 0; i < sandbox_table_len; i++) {
        const struct sb_rule *r = &sandbox_table[i];
        fprintf(f, "| `%s` | ", r->name);
        if (r->c[0].op == SB_END)
            fprintf(f, "always");
        for (int j = 0; j < SB_MAX_COND && r->c[j].op != SB_END; j++) {
            if (j)
                fprintf(f, "; ");
            print_cond(f, &r->c[j]);
        }
        fprintf(f, " | %s |\n", r->why);
    }
    fprintf(f, "| anything else | never: SIGSYS, the run ends with a report naming the call | |\n");
}
