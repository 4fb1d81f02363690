/*
 * tests/escape/host_escape.c - the sandbox's layers, each on its own and
 * together, against what an escaped guest would try.  Every attack runs in
 * a forked child that installs the real layers (cpu/sandbox.c) for a
 * vmm-like set of descriptors (a pty as the console); the parent then
 * checks from outside that nothing changed: the pty received nothing, the
 * marker process lives, the canary file is unchanged and unread.
 *
 *   host_escape            run every case (exit 0, or 1 naming failures)
 *   host_escape --table    print the filter's table (docs/security.md)
 *
 * A case needing Landlock is skipped, with a message, where the host has
 * none; exit 77 when every case was skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include "cpu/sandbox.h"

enum layer { SECCOMP = 1, LANDLOCK = 2, BOTH = 3 };

static int pty_master = -1, pty_slave = -1, memfd = -1, report[2];
static pid_t marker;
static char canary[256];
static int failures, ran, skipped;
static bool have_landlock;

/* The child's SIGSYS: report the refused call's number, then end. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
    int nr = si->si_syscall;
    if (write(report[1], &nr, sizeof nr) < 0) {}
    _exit(42);
}

static void confine(enum layer l)
{
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigaction(SIGSYS, &sa, NULL);
    char note[200];
    if ((l & LANDLOCK) && sandbox_landlock(note, sizeof note) <= 0)
        _exit(50);
    struct sandbox_fds f = { .console = { pty_slave, -1 }, .out = { 1, 2, report[1] }, .nout = 3,
                             .memfd = memfd, .gdb_listen = -1, .pid = (int)getpid(),
                             .kvm_vcpu = -1 };
    if ((l & SECCOMP) && sandbox_seccomp(&f) < 0)
        _exit(51);
}

/* The attacks: each returns normally only if the call was refused with an
 * error (Landlock); the filter ends the child in on_sigsys instead. */
static int a_tiocsti(void) { char c = '!'; return ioctl(pty_slave, TIOCSTI, &c); }
static int a_tioclinux(void) { char c = 3; return ioctl(pty_slave, TIOCLINUX, &c); }
static int a_kill(void) { return kill(marker, SIGKILL); }
static int a_tgkill(void) { return (int)syscall(SYS_tgkill, marker, marker, SIGKILL); }
static int a_tkill(void) { return (int)syscall(SYS_tkill, marker, SIGKILL); }
static int a_open(void) { return open(canary, O_RDONLY); }
static int a_open_write(void) { return open(canary, O_WRONLY | O_TRUNC); }
static int a_stat(void) { struct stat st; return stat(canary, &st); }
static int a_exec(void) { char *argv[] = { "/bin/true", NULL }; return execve("/bin/true", argv, environ); }
static int a_socket(void) { return socket(AF_INET, SOCK_STREAM, 0); }
static int a_ptrace(void) { return (int)ptrace(PTRACE_ATTACH, marker, NULL, NULL); }
static int a_mmap_exec(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}
static int a_mprotect_exec(void)
{
    static char page[4096] __attribute__((aligned(4096)));
    return mprotect(page, sizeof page, PROT_READ | PROT_EXEC);
}
static int a_memfd_exec_high(void)       /* guest RAM, executable, but not in the user view */
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, memfd, 0);
    return p == MAP_FAILED ? -1 : 0;
}
static int a_bind(void)                  /* Landlock ABI 4: no TCP bind */
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    return s < 0 ? -1 : bind(s, (struct sockaddr *)&a, sizeof a);
}

/* What the run loop does must still work under both layers. */
static int ok_termios(void) { struct termios t; return tcgetattr(pty_slave, &t); }
static int ok_user_view_exec(void)
{
    void *want = (void *)0x40000000;
    void *p = mmap(want, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_FIXED, memfd, 0);
    return p == want ? 0 : -1;
}
static int ok_self_tgkill(void)
{
    signal(SIGUSR1, SIG_IGN);
    return (int)syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
}

struct attack {
    const char *name;
    int (*fn)(void);
    long nr;                    /* the call the filter must name */
    unsigned layers;            /* the layers that stop it on their own */
};

static const struct attack attacks[] = {
    { "TIOCSTI on the console", a_tiocsti, SYS_ioctl, SECCOMP },
    { "TIOCLINUX on the console", a_tioclinux, SYS_ioctl, SECCOMP },
    { "kill(marker)", a_kill, SYS_kill, SECCOMP | LANDLOCK },
    { "tgkill(marker)", a_tgkill, SYS_tgkill, SECCOMP | LANDLOCK },
    { "tkill(marker)", a_tkill, SYS_tkill, SECCOMP | LANDLOCK },
    { "open(canary, O_RDONLY)", a_open, SYS_openat, SECCOMP | LANDLOCK },
    { "open(canary, O_WRONLY|O_TRUNC)", a_open_write, SYS_openat, SECCOMP | LANDLOCK },
    { "stat(canary)", a_stat, SYS_newfstatat, SECCOMP },
    { "execve(/bin/true)", a_exec, SYS_execve, SECCOMP | LANDLOCK },
    { "socket(AF_INET)", a_socket, SYS_socket, SECCOMP },
    { "bind(127.0.0.1)", a_bind, SYS_socket, SECCOMP | LANDLOCK },
    { "ptrace(PTRACE_ATTACH, marker)", a_ptrace, SYS_ptrace, SECCOMP },
    { "mmap(PROT_EXEC, anonymous)", a_mmap_exec, SYS_mmap, SECCOMP },
    { "mprotect(PROT_EXEC) above 4 GiB", a_mprotect_exec, SYS_mprotect, SECCOMP },
    { "mmap(guest RAM, PROT_EXEC) above 4 GiB", a_memfd_exec_high, SYS_mmap, SECCOMP },
};

static const struct attack allowed[] = {
    { "tcgetattr(console)", ok_termios, 0, 0 },
    { "mmap(guest RAM, PROT_EXEC, fixed below 4 GiB)", ok_user_view_exec, 0, 0 },
    { "tgkill(self)", ok_self_tgkill, 0, 0 },
};

static void fail(const char *what, const char *layer, const char *why)
{
    printf("FAIL %s [%s]: %s\n", what, layer, why);
    failures++;
}

/* ---- the host's view afterwards --------------------------------------- */

static struct stat canary_st;

static void check_host(const char *what, const char *layer)
{
    char buf[64];
    ssize_t n = read(pty_master, buf, sizeof buf);     /* echo of an injected byte */
    int avail = 0;
    ioctl(pty_slave, FIONREAD, &avail);                /* the injected byte itself */
    if (n > 0 || avail > 0)
        fail(what, layer, "the terminal received input");
    if (waitpid(marker, NULL, WNOHANG) != 0 || kill(marker, 0) != 0)
        fail(what, layer, "the marker process died");
    struct stat st;
    if (stat(canary, &st) != 0 || st.st_size != canary_st.st_size ||
        st.st_mtim.tv_nsec != canary_st.st_mtim.tv_nsec || st.st_mtim.tv_sec != canary_st.st_mtim.tv_sec ||
        st.st_atim.tv_nsec != canary_st.st_atim.tv_nsec || st.st_atim.tv_sec != canary_st.st_atim.tv_sec)
        fail(what, layer, "the canary file changed or was read (size, mtime or atime)");
}

/* Run fn under the layers; 42 + the call's number (filter), 0 (refused
 * with an error), 1 (it succeeded), 50/51 (could not confine). */
static int run(int (*fn)(void), enum layer l, int *nr)
{
    *nr = -1;
    pid_t pid = fork();
    if (pid == 0) {
        confine(l);
        int r = fn();
        _exit(r < 0 ? 0 : 1);
    }
    int ws;
    waitpid(pid, &ws, 0);
    int st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (st == 42 && read(report[0], nr, sizeof *nr) != sizeof *nr)
        *nr = -1;
    return st;
}

static const char *layer_name(enum layer l)
{
    return l == SECCOMP ? "filter alone" : l == LANDLOCK ? "Landlock alone" : "both";
}

static void attack(const struct attack *a, enum layer l)
{
    if ((l & LANDLOCK) && !have_landlock) {
        skipped++;
        return;
    }
    if (l != BOTH && !(a->layers & l))
        return;                 /* not this layer's job */
    ran++;
    int nr, st = run(a->fn, l, &nr);
    char why[160];
    if (l & SECCOMP) {
        if (st != 42 || nr != a->nr) {
            snprintf(why, sizeof why, "want SIGSYS naming %s, got exit %d (call %d)",
                     sandbox_syscall_name((int)a->nr), st, nr);
            fail(a->name, layer_name(l), why);
        }
    } else if (st != 0) {
        snprintf(why, sizeof why, "Landlock let it through (exit %d)", st);
        fail(a->name, layer_name(l), why);
    }
    check_host(a->name, layer_name(l));
    printf("ok   %s [%s]\n", a->name, layer_name(l));
}

static void allowed_call(const struct attack *a)
{
    ran++;
    int nr, st = run(a->fn, have_landlock ? BOTH : SECCOMP, &nr);
    if (st != 1) {
        char why[120];
        snprintf(why, sizeof why, "a call vmm needs was refused (exit %d, call %d)", st, nr);
        fail(a->name, "both", why);
    } else {
        printf("ok   %s is allowed\n", a->name);
    }
}

static int setup(void)
{
    pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (pty_master < 0 || grantpt(pty_master) || unlockpt(pty_master))
        return -1;
    pty_slave = open(ptsname(pty_master), O_RDWR | O_NOCTTY | O_NONBLOCK);
    memfd = memfd_create("guest-ram", 0);
    if (pty_slave < 0 || memfd < 0 || ftruncate(memfd, 1 << 20) || pipe(report))
        return -1;
    snprintf(canary, sizeof canary, "%s/vmm-canary-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(canary);
    if (fd < 0 || write(fd, "canary\n", 7) != 7)
        return -1;
    close(fd);
    /* atime older than mtime, so that even relatime would update it on a read */
    struct timespec ts[2] = { { 1000000, 0 }, { 0, UTIME_OMIT } };
    utimensat(AT_FDCWD, canary, ts, 0);
    stat(canary, &canary_st);
    marker = fork();
    if (marker == 0) {
        for (;;)
            pause();
    }
    have_landlock = syscall(SYS_landlock_create_ruleset, NULL, 0, 1) > 0;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--table")) {
        sandbox_print_table(stdout);
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    if (setup() < 0) {
        perror("host_escape: setup");
        return 1;
    }
    if (!have_landlock)
        printf("SKIP the Landlock cases: this host has no Landlock\n");
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
        for (enum layer l = SECCOMP; l <= BOTH; l++)
            attack(&attacks[i], l);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        allowed_call(&allowed[i]);
    kill(marker, SIGKILL);
    waitpid(marker, NULL, 0);
    unlink(canary);
    printf("%d cases, %d failed, %d skipped\n", ran, failures, skipped);
    if (failures)
        return 1;
    return ran ? 0 : 77;
}
