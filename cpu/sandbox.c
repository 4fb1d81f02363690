/*
 * cpu/sandbox.c - the seccomp filters of cpu/sandbox.h.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "cpu/sandbox.h"

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

/* What the monitor does after start-up: guest memory and translation
 * (mmap family, modify_ldt), timers and signals, console and disk I/O on
 * open descriptors, the gdb connection (accept on the listening socket),
 * and leaving (exit, abort's tgkill). */
static const int allowed[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_lseek,
    SYS_fsync, SYS_fdatasync, SYS_close, SYS_fstat, SYS_newfstatat, SYS_ioctl, SYS_fcntl,
    SYS_poll, SYS_ppoll, SYS_pselect6, SYS_select,
    SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_brk, SYS_mremap, SYS_modify_ldt,
    SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_sigaltstack,
    SYS_timer_settime, SYS_timer_gettime, SYS_timer_delete, SYS_clock_gettime,
    SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday,
    SYS_accept, SYS_accept4, SYS_recvfrom, SYS_sendto, SYS_shutdown, SYS_setsockopt,
    SYS_getpid, SYS_gettid, SYS_tgkill, SYS_futex, SYS_sched_yield,
    SYS_sysinfo,                        /* glibc qsort sizes its buffer with it */
    SYS_prctl,                          /* PR_SET_TSC around direct execution */
    SYS_arch_prctl,                     /* ARCH_SET_GS/FS where WRGSBASE is not kept (cpu/host.h) */
    SYS_exit, SYS_exit_group,
};

int sandbox_confine(void)
{
    enum { N = sizeof allowed / sizeof allowed[0] };
    struct sock_filter f[N + 6];
    unsigned short n = 0;
    /* Only the x86-64 ABI is judged here; i386 calls meet the trap filter. */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < N; i++)     /* match: jump to the ALLOW at the end */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i],
                                              (unsigned char)(N - i), 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return install(f, n);
}
