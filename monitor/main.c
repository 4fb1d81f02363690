/*
 * monitor/main.c - the vmm program: parse options, build the machine, load
 * the kernel, run it, report.
 *
 * Errors before the guest runs print one line "vmm: <message>" and exit with
 * VMM_EXIT_USAGE (bad option or input file, disk images included) or
 * VMM_EXIT_ERROR (the monitor itself failed).  After the run, the exit status
 * is the guest's (see enum vmm_status in monitor/vm.h).
 *
 * --reboot: once a guest runs, the monitor is confined by seccomp (no open,
 * no memfd_create: cpu/sandbox.h), so it cannot build a second machine in the
 * same process.  Each boot therefore runs in a child process: the parent
 * forks, the child builds the VM, loads the kernel, runs it and tells the
 * parent through a pipe whether the run ended in a guest reset; then the
 * parent boots again (a fresh CPU, RAM, devices and kernel image: what a
 * reset of a PC gives, except that RAM is not kept).  Any other end is the
 * exit status of vmm.
 */
#define _GNU_SOURCE     /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cpu/host_facts.h"
#include "cpu/kvm.h"
#include "monitor/vm.h"
#include "monitor/options.h"
#include "monitor/dev_options.h"
#include "monitor/pg_watch.h"
#include "monitor/lab_idle.h"
#include "shadow_mmu/lab_page_share.h"
#include "shadow_mmu/shadow.h"
#include "devices/lab_serial.h"
#include "devices/debugcon.h"
#include "devices/platform.h"
#include "monitor/run.h"
#include "monitor/loader.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"
#include "monitor/gdbstub.h"
#include "devices/irq.h"
#include "devices/ide.h"
#include "devices/vga_text.h"

static int fail(const char *msg, int status)
{
    fprintf(stderr, "vmm: %s\n", msg);
    return status;
}

/* --display curses with a firmware: the VGA BIOS it runs (int 10h), when
 * the package has it; without it the firmware's screen stays empty. */
static int firmware_vga_bios(struct vm *vm, char *err, size_t errlen)
{
    if (!vm->opt.bios)
        return 0;
    if (access(VMM_DEFAULT_VGA_BIOS, R_OK) != 0) {
        fprintf(stderr, "vmm: --display curses: no VGA BIOS (%s, Debian package seabios): the "
                "firmware cannot write on the screen\n", VMM_DEFAULT_VGA_BIOS);
        return 0;
    }
    return loader_load_vga_bios(vm, VMM_DEFAULT_VGA_BIOS, err, errlen);
}

/* --display curses takes the terminal: stdout must be one, and COM1
 * cannot have it too.  0, or the exit status of a refusal. */
static int check_display(const struct vm_options *o, const struct dev_options *dev)
{
    if (!dev_display_curses(dev))
        return 0;
    if (!isatty(STDOUT_FILENO))
        return fail("--display curses: stdout is not a terminal (the screen is drawn with "
                    "escape sequences; use --vga-dump for the screen as text)", VMM_EXIT_USAGE);
    if (o->serial && strcmp(o->serial, "stdio") == 0)
        return fail("--display curses and --serial stdio both want the terminal: send COM1 "
                    "elsewhere (--serial file:PATH, unix:PATH, none)", VMM_EXIT_USAGE);
    return 0;
}

/* --cdrom first, in the secondary master's slot, the floppies, then --disk in order
 * into the slots left: primary master, primary slave, secondary master
 * (without --cdrom), secondary slave; then the firmware's boot order. */
static int attach_disks(struct vm *vm, const struct dev_options *dev, char *err, size_t errlen)
{
    if (dev->cdrom && ide_attach_cdrom(vm, dev->cdrom, err, errlen) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        char path[4096];
        bool ro;
        if (dev->fd[i] && (disk_spec(dev->fd[i], path, sizeof path, &ro) < 0 ||
                           fdc_attach(&platform_of(vm)->fdc, i, path, ro, err, errlen) < 0))
            return -1;
    }
    if (dev->boot) {
        struct boot_spec b;
        if (boot_spec(dev->boot, &b, err, errlen) < 0)
            return -1;
        devices_boot(vm, b.order, b.menu, b.strict);
    }
    for (unsigned i = 0; i < dev->disks.n; i++) {
        char path[4096];
        bool ro;
        if (disk_spec(dev->disks.v[i], path, sizeof path, &ro) < 0) {
            snprintf(err, errlen, "--disk %s: bad value", dev->disks.v[i]);
            return -1;
        }
        if (ide_attach(vm, path, ro, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* The counters --stats reports that struct stats does not hold, as text
 * groups: the guest's idle time (lab 1) and the device models' own.
 * Malloc'ed; NULL when memory is short. */
static char *more_stats(struct vm *vm)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return NULL;
    fprintf(m, "# idle: the time the guest spent halted (docs/labs/hlt-accounting.md)\n");
    idle_stats(vm, host_now_ns() - vm->start_ns, m);
    fprintf(m, "# devices: the device models' own counters\n");
    devices_stats_print(vm, m);
    fclose(m);
    return text;
}

/* One boot of the machine, from nothing to the end of the run.  *reset says
 * whether the guest ended it by resetting the machine. */
static int boot(const struct vm_options *opt, const struct dev_options *dev, bool *reset)
{
    char err[512];
    int status;

    *reset = false;
    /* struct vm holds the statistics tables and the FXSAVE areas: too big
     * for the stack, and it must be zeroed. */
    struct vm *vm = vm_alloc();
    if (!vm)
        return fail("out of memory", VMM_EXIT_ERROR);
    vm->opt = *opt;
    vm->opt.ring0_direct = opt->ring0 && strcmp(opt->ring0, "direct") == 0;
    if (vm->opt.ring0_direct && !host_plan()->ring3_direct) {
        free(vm);
        return fail("--ring0=direct: this host cannot run 32-bit user code, so nothing can run "
                    "directly here (vmm --host-info)", VMM_EXIT_USAGE);
    }

    if (vm_create(vm, err, sizeof err) < 0) {
        free(vm);
        return fail(err, VMM_EXIT_ERROR);
    }
    uint32_t lo, hi;
    if (vm->shadow && opt->trace_mmu && options_range(opt->trace_mmu, &lo, &hi) == 0)
        shadow_trace_range(vm, lo, hi);
    if (attach_disks(vm, dev, err, sizeof err) < 0 || loader_load(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_USAGE);
        goto out;
    }
    if (opt->symbols) {
        vm->syms = symtab_load(opt->symbols);
        if (!vm->syms) {
            snprintf(err, sizeof err, "--symbols %s: cannot read it, or it is neither an ELF file "
                     "with symbols nor a System.map", opt->symbols);
            status = fail(err, VMM_EXIT_USAGE);
            goto out;
        }
    } else if (opt->kernel &&
               (opt->trace || opt->stats || opt->perf_map || opt->pg_report || vm->opt.ring0_direct)) {
        vm->syms = symtab_load(opt->kernel);
    }
    if (opt->perf_map && !(vm->perf_map = trace_perf_map_open(err, sizeof err))) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }
    if (opt->pg_report && !(vm->pg_report = fopen(opt->pg_report, "w"))) {
        snprintf(err, sizeof err, "--pg-report %s: %s", opt->pg_report, strerror(errno));
        status = fail(err, VMM_EXIT_USAGE);
        goto out;
    }
    if (((vm->opt.ring0_direct && !opt->no_pg_watch) || opt->pg_report) &&
        pg_watch_init(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }
    /* --syscall-guard: where the host's compat SYSCALL entry would take a
     * guest SYSCALL and lose its address (cpu/host_facts.h), no directly
     * run page may execute one unseen.  Not by default: the scan of every
     * page before it runs directly made a Debian system boot several times
     * slower, for an instruction no 32-bit guest program uses (the model
     * has none).  Under --accel kvm nothing runs directly. */
    if (vm->opt.syscall_guard && host_plan()->syscall_guard && !vm->opt.accel_kvm &&
        pg_watch_guard(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }
    if (dev_display_curses(dev) && firmware_vga_bios(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_USAGE);
        goto out;
    }
    if (dev_display_curses(dev)) {
        devices_display(vm);
        if (!opt->serial)
            devices_serial(vm, -1, -1);     /* the terminal shows the screen: COM1 goes nowhere */
    }
    if (opt->serial) {
        int in_fd, out_fd;
        if (serial_open(opt->serial, &in_fd, &out_fd, err, sizeof err) < 0) {
            status = fail(err, VMM_EXIT_USAGE);
            goto out;
        }
        devices_serial(vm, in_fd, out_fd);
    }
    if (opt->bios_log && debugcon_open(vm, opt->bios_log, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_USAGE);
        goto out;
    }
    if (devices_init(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }

    if (opt->gdb_port && gdb_init(vm, (int)opt->gdb_port, opt->gdb_wait, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }

    status = vm_run(vm);
    *reset = vm->platform->reset;
    devices_display_end(vm);            /* the terminal back before anything is printed on it */

    if (opt->stats) {
        char *more = more_stats(vm);
        if (opt->stats_format && strcmp(opt->stats_format, "json") == 0) {
            stats_print_json(&vm->stats, more, stderr);
        } else {
            stats_print(&vm->stats, stderr);
            fputs(more ? more : "", stderr);
        }
        free(more);
    }
    if (vm->opt.ring0_direct && pg_watch_records(vm))
        pg_watch_report(vm, stderr);
    struct page_share share;
    if (opt->share_report && page_share_scan(&vm->mem, &share) == 0)
        page_share_print(&share, stderr);
    if (vm->pg_report) {
        pg_watch_report(vm, vm->pg_report);
        fclose(vm->pg_report);
        vm->pg_report = NULL;
    }
    if (dev->vga_dump) {
        vga_text_dump(vm, stdout);
        fflush(stdout);
    }
out:
    devices_destroy(vm);        /* restores the terminal; safe when never created */
    if (vm->perf_map)
        fclose(vm->perf_map);
    if (vm->pg_report)
        fclose(vm->pg_report);
    pg_watch_destroy(vm);
    symtab_free(vm->syms);
    vm->syms = NULL;
    vm_destroy(vm);
    free(vm);
    return status;
}

/* The boot in progress under --reboot, for passing on SIGINT/SIGTERM/SIGHUP
 * that reach the parent (the child restores the terminal as it ends). */
static volatile pid_t boot_child;

static void forward_signal(int sig)
{
    if (boot_child > 0)
        kill(boot_child, sig);
}

/* Run one boot in a child; its exit status, *reset from the pipe. */
static int boot_in_child(const struct vm_options *opt, const struct dev_options *dev, bool *reset)
{
    int fds[2];
    *reset = false;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return fail("--reboot: cannot create a pipe", VMM_EXIT_ERROR);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return fail("--reboot: cannot fork", VMM_EXIT_ERROR);
    if (pid == 0) {
        bool r;
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        struct vm_options o = *opt;
        o.reset_pipe = fds[1] + 1;
        int st = boot(&o, dev, &r);
        if (r && write(fds[1], "R", 1) != 1)
            st = fail("--reboot: cannot report the reset", VMM_EXIT_ERROR);
        exit(st);
    }
    close(fds[1]);
    boot_child = pid;
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    boot_child = 0;
    char c;
    *reset = read(fds[0], &c, 1) == 1;
    close(fds[0]);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static int boot_loop(const struct vm_options *opt, const struct dev_options *dev)
{
    struct sigaction sa = { .sa_handler = forward_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (unsigned n = 2;; n++) {
        bool reset;
        int status = boot_in_child(opt, dev, &reset);
        if (!reset)
            return status;
        fprintf(stderr, "vmm: --reboot: booting %s again (boot %u)\n", opt->kernel ? opt->kernel : opt->bios, n);
    }
}

/* The options that belong to the binary translator's engine: under
 * --accel kvm the host CPU runs the guest and none of them has a meaning.
 * The first one given, or NULL. */
static const char *bt_only_option(const struct vm_options *o)
{
    return o->ring0 && strcmp(o->ring0, "direct") == 0 ? "--ring0 direct"
         : o->translate_ring3 ? "--translate-ring3" : o->pg_report ? "--pg-report"
         : o->no_pg_watch ? "--no-pg-watch" : o->trace ? "--trace" : o->perf_map ? "--perf-map"
         : o->trace_mmu ? "--trace-mmu" : o->emulate_page0 ? "--emulate-page0" : NULL;
}

/* --accel: which engine runs the guest.  kvm only where /dev/kvm runs
 * 32-bit guest code (cpu/kvm.h, kvm_probe: PVM does not); auto says what
 * it chose.  0, or the exit status of a refusal. */
static int choose_engine(struct vm_options *o)
{
    char why[256];
    const char *accel = o->accel ? o->accel : "bt";
    o->accel_kvm = false;
    if (strcmp(accel, "bt") == 0)
        return 0;
    const char *bt_opt = bt_only_option(o);
    bool kvm = strcmp(accel, "kvm") == 0;
    /* The KVM engine's state transfer (cpu/kvm.c) starts guests in
     * protected mode only. */
    /* A kernel without a usable 32-bit entry boots through the firmware
     * too (monitor/loader_fwlinux.c). */
    const char *fw = o->bios ? "--bios" :
                     o->kernel && loader_kernel_needs_firmware(o->kernel) ?
                     "a kernel booted through the firmware" : NULL;
    if (fw && kvm) {
        snprintf(why, sizeof why, "--accel kvm: %s is not supported by the KVM engine yet "
                 "(real mode runs under --accel bt)", fw);
        return fail(why, VMM_EXIT_USAGE);
    }
    if (fw) {
        fprintf(stderr, "vmm: --accel auto: using bt (%s needs it)\n", fw);
        return 0;
    }
    if (bt_opt && kvm) {
        snprintf(why, sizeof why, "--accel kvm: %s is an option of the binary translator "
                 "(--accel bt)", bt_opt);
        return fail(why, VMM_EXIT_USAGE);
    }
    if (bt_opt) {
        fprintf(stderr, "vmm: --accel auto: using bt (%s needs the binary translator)\n", bt_opt);
        return 0;
    }
    if (kvm_probe(why, sizeof why) < 0) {
        if (kvm) {
            char msg[320];
            snprintf(msg, sizeof msg, "--accel kvm: %s", why);
            return fail(msg, VMM_EXIT_USAGE);
        }
        fprintf(stderr, "vmm: --accel auto: using bt (%s)\n", why);
        return 0;
    }
    if (!kvm)
        fprintf(stderr, "vmm: --accel auto: using kvm (/dev/kvm runs 32-bit guests)\n");
    o->accel_kvm = true;
    return 0;
}

int main(int argc, char **argv)
{
    char err[512];
    struct vm_options opt;
    struct dev_options dev;
    bool reset;

    switch (options_parse_dev(argc, argv, &opt, &dev, err, sizeof err)) {
    case 1:
        return VMM_EXIT_OK;
    case 2: {
        struct host_facts f = *host_facts();
        host_facts_probe_kvm(&f);
        host_facts_print(&f, stdout);
        return VMM_EXIT_OK;
    }
    case -1:
        return fail(err, VMM_EXIT_USAGE);
    }
    int refused = choose_engine(&opt);
    if (!refused)
        refused = check_display(&opt, &dev);
    if (refused)
        return refused;
    if (dev.reboot)
        return boot_loop(&opt, &dev);
    return boot(&opt, &dev, &reset);
}
