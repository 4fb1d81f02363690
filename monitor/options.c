/*
 * monitor/options.c - the vmm command line.
 *
 * Every option is one row of opt_table[]: its name, the name of its value,
 * the help text, its kind (flag, string, bounded number) and the field of
 * struct vm_options it fills.  The getopt_long table, the defaults and the
 * --help text are all generated from it, so a new option (--disk, --gdb, ...)
 * is one row plus its field in struct vm_options.  The PC-platform options
 * (--disk, --vga-dump, --reboot) fill struct dev_options instead
 * (monitor/dev_options.h): their rows say so with `dev`.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "monitor/options.h"
#include "monitor/dev_options.h"

#define MEM_DEFAULT_MIB 128
#define MEM_MIN_MIB     2
#define MEM_MAX_MIB     3072   /* leave room below 4 GiB for MMIO (PCI hole, APICs) */

enum opt_kind {
    OPT_FLAG,           /* bool, set to true */
    OPT_FLAG_VALUE,     /* bool, set to true; an optional =VALUE (checked) goes to the
                           const char * field at off_value */
    OPT_STRING,         /* const char *, points into argv */
    OPT_UINT,           /* uint64_t, decimal, within [min, max] */
    OPT_LIST,           /* struct opt_list: each use appends, at most max values */
    OPT_HELP,           /* print the usage, options_parse() returns 1 */
    OPT_HOST_INFO,      /* options_parse() returns 2: print the host's facts */
};

struct opt_desc {
    const char *name;
    const char *metavar;        /* NULL for OPT_FLAG / OPT_HELP */
    const char *help;
    enum opt_kind kind;
    size_t off;                 /* field of struct vm_options (dev_options with dev) */
    uint64_t min, max, dflt;    /* OPT_UINT; max is the capacity of an OPT_LIST */
    bool required;              /* OPT_STRING that must be given */
    bool dev;                   /* off is a field of struct dev_options */
    int (*check)(const char *v, char *err, size_t n);  /* optional check of a value */
    size_t off_value;           /* OPT_FLAG_VALUE: where the optional value goes */
};

#define FIELD(f) offsetof(struct vm_options, f)
#define OPT_REQ(name, metavar, f, help) { name, metavar, help, OPT_STRING, FIELD(f), 0, 0, 0, true, false, NULL, 0 }
#define OPT_S(name, metavar, f, help)   { name, metavar, help, OPT_STRING, FIELD(f), 0, 0, 0, false, false, NULL, 0 }
#define OPT_FILE(name, f, req, chk, help) \
                                        { name, "FILE", help, OPT_STRING, FIELD(f), 0, 0, 0, req, false, chk, 0 }
#define OPT_U(name, metavar, f, lo, hi, d, help) \
                                        { name, metavar, help, OPT_UINT, FIELD(f), lo, hi, d, false, false, NULL, 0 }
#define OPT_F(name, f, help)            { name, NULL, help, OPT_FLAG, FIELD(f), 0, 0, 0, false, false, NULL, 0 }
#define OPT_FV(name, metavar, f, fv, chk, help) \
                                        { name, metavar, help, OPT_FLAG_VALUE, FIELD(f), 0, 0, 0, false, \
                                          false, chk, FIELD(fv) }
#define DEV_FIELD(f) offsetof(struct dev_options, f)
#define DEV_S(name, metavar, f, chk, help) \
                                        { name, metavar, help, OPT_STRING, DEV_FIELD(f), 0, 0, 0, false, \
                                          true, chk, 0 }
#define DEV_F(name, f, help)            { name, NULL, help, OPT_FLAG, DEV_FIELD(f), 0, 0, 0, false, true, NULL, 0 }
#define DEV_S(name, metavar, f, chk, help) \
                                        { name, metavar, help, OPT_STRING, DEV_FIELD(f), 0, 0, 0, false, true, chk, 0 }
#define DEV_L(name, metavar, f, max, chk, help) \
                                        { name, metavar, help, OPT_LIST, DEV_FIELD(f), 0, max, 0, \
                                          false, true, chk, 0 }

static int check_disk(const char *v, char *err, size_t n);
static int check_cdrom(const char *v, char *err, size_t n);
static int check_fda(const char *v, char *err, size_t n);
static int check_fdb(const char *v, char *err, size_t n);
static int check_boot(const char *v, char *err, size_t n);
static int check_kernel(const char *v, char *err, size_t n);
static int check_initrd(const char *v, char *err, size_t n);
static int check_bios(const char *v, char *err, size_t n);
static int check_symbols(const char *v, char *err, size_t n);
static int check_ring0(const char *v, char *err, size_t n);
static int check_accel(const char *v, char *err, size_t n);
static int check_stats(const char *v, char *err, size_t n);
static int check_range(const char *v, char *err, size_t n);
static int check_display(const char *v, char *err, size_t n);

static const struct opt_desc opt_table[] = {
    OPT_FILE("kernel", kernel, true, check_kernel,
             "guest kernel: Multiboot v1 image, ELF32 i386 or Linux bzImage\n"
             "                       (without it vmm boots --bios, by default\n"
             "                       " VMM_DEFAULT_BIOS " when installed).  A Linux\n"
             "                       kernel without a usable 32-bit entry (ipxe.lkrn, memdisk,\n"
             "                       a zImage) boots through that firmware, as under QEMU\n"
             "                       (docs/linux-guest.md)"),
    OPT_FILE("initrd", initrd, false, check_initrd,
             "initial ramdisk: Multiboot module 0, or a Linux kernel's initrd"),
    OPT_S("append", "CMDLINE", append, "kernel command line"),
    OPT_U("mem", "MIB", mem_mib, MEM_MIN_MIB, MEM_MAX_MIB, MEM_DEFAULT_MIB,
          "guest RAM in MiB, 2..3072 (default 128)"),
    OPT_FILE("bios", bios, false, check_bios,
             "boot a PC firmware image (64, 128, 192 or 256 KiB, e.g. SeaBIOS's\n"
             "                       bios.bin) from the reset vector in real mode; with --kernel\n"
             "                       (a Linux kernel) the firmware boots that kernel, its --initrd\n"
             "                       and --append, as QEMU's -kernel; not with --accel kvm\n"
             "                       (docs/usage.md)"),
    OPT_S("bios-log", "FILE", bios_log, "write what the guest sends to I/O port 0x402 (QEMU's debugcon:\n"
          "                       SeaBIOS's log) to FILE, created or truncated; the port reads\n"
          "                       0xE9.  Without it nothing answers at 0x402 (docs/usage.md)"),
    OPT_FV("stats", "json", stats, stats_format, check_stats,
           "at the end, print the counters to stderr grouped by mechanism\n"
           "                       (=json: as one JSON object, each with its meaning)"),
    OPT_F("trace", trace, "disassemble each new translation unit to stderr"),
    OPT_FILE("symbols", symbols, false, check_symbols, "guest kernel symbols for --trace, --perf-map and reports: an ELF\n"
          "                       file (vmlinux) or a System.map (default: the --kernel ELF)"),
    { "trace-mmu", "START-END", "log hidden faults, trace faults and changed page-table entries\n"
      "                       for guest linear addresses START to END (hex) on stderr\n"
      "                       (docs/labs/mmu-tracing.md)", OPT_STRING, FIELD(trace_mmu), 0, 0, 0,
      false, false, check_range, 0 },
    OPT_S("serial", "SPEC", serial, "where COM1, the guest's console, goes: stdio (default),\n"
          "                       file:PATH, pipe:PATH (PATH.in, PATH.out), unix:PATH[,server],\n"
          "                       none (QEMU's spellings; docs/labs/serial-backends.md)"),
    DEV_S("display", "TYPE", display, check_display,
          "none (default, also -nographic): the terminal is the serial\n"
          "                       console; curses: the VGA text screen on the terminal and the keys on\n"
          "                       the PS/2 keyboard (stdout must be a terminal; COM1 then goes\n"
          "                       nowhere unless --serial says; a firmware gets the VGA BIOS\n"
          "                       " VMM_DEFAULT_VGA_BIOS "; Ctrl-A x quits)\n"
          "                       (QEMU's -display; docs/usage.md)"),
    OPT_F("share-report", share_report, "at the end, report how many guest pages are identical to\n"
          "                       others and what sharing them would free (docs/labs/page-sharing.md)"),
    OPT_F("perf-map", perf_map, "write /tmp/perf-PID.map naming each translation unit by its guest\n"
          "                       address and symbol, for `perf report` (docs/usage.md)"),
    OPT_F("no-sandbox", no_sandbox, "do not confine vmm with Landlock and the system-call filter once\n"
          "                       the guest runs (i386 system calls still trap; docs/security.md)"),
    OPT_F("syscall-guard", syscall_guard, "where the host's compat SYSCALL entry loses a guest SYSCALL's\n"
          "                       address (AMD; --host-info), run pages holding 0F 05 translated\n"
          "                       or stepped so a guest SYSCALL gets #UD at its own EIP; costs a\n"
          "                       scan of every page run directly (docs/host.md)"),
    OPT_F("translate-ring3", translate_ring3, "run guest ring 3 through the translator, never directly\n"
          "                       (as while CR0.TS/EM is set; docs/translator.md)"),
    { "accel", "ENGINE", "what runs the guest: bt (default: the binary translator with\n"
      "                       ring 3 direct), kvm (the host's VT-x/AMD-V through /dev/kvm,\n"
      "                       the same devices), auto (kvm where it can run the guest, else\n"
      "                       bt; says which) (docs/bt-vs-vt.md)",
      OPT_STRING, FIELD(accel), 0, 0, 0, false, false, check_accel, 0 },
    { "ring0", "MODE", "how guest ring 0 runs: translate (default: the binary translator)\n"
      "                       or direct (trap-and-emulate: deprivileged on the host CPU, the\n"
      "                       silent-instruction report at exit; docs/popek-goldberg.md)",
      OPT_STRING, FIELD(ring0), 0, 0, 0, false, false, check_ring0, 0 },
    OPT_F("no-pg-watch", no_pg_watch, "with --ring0=direct: no silent-instruction watch, so no report\n"
          "                       and no single-stepping (the naive monitor at full speed)"),
    OPT_S("pg-report", "FILE", pg_report, "watch directly run guest code for sensitive instructions that\n"
          "                       do not trap and write the report to FILE at exit (with\n"
          "                       --ring0=direct it also goes to stderr)"),
    OPT_F("emulate-page0", emulate_page0, "never map guest linear page 0 in the host, even where vmm may\n"
          "                       (CAP_SYS_RAWIO): emulate its accesses (docs/direct.md)"),
    OPT_U("time-limit", "SECONDS", time_limit, 1, 1000000, 0,
          "end the run after SECONDS of host time (exit status 16): for guests\n"
          "                       that hang or spin after a panic, as under --ring0=direct"),
    OPT_U("gdb", "PORT", gdb_port, 1, 65535, 0, "serve the gdb remote protocol on 127.0.0.1:PORT (docs/gdb.md)"),
    OPT_F("gdb-wait", gdb_wait, "with --gdb: wait for gdb before the first guest instruction"),
    DEV_L("disk", "FILE[,ro]", disks, DEV_MAX_DISKS, check_disk,
          "attach a raw disk image (a multiple of 512 bytes) as the next IDE\n"
          "                       drive: primary master, primary slave, secondary master,\n"
          "                       secondary slave (repeat, at most 4; the secondary master\n"
          "                       is skipped with --cdrom); ,ro: read-only"),
    DEV_S("cdrom", "FILE", cdrom, check_cdrom,
          "attach a CD-ROM image (ISO 9660, a multiple of 2048 bytes) read-only\n"
          "                       as the ATAPI secondary master, as QEMU's -cdrom (also spelt\n"
          "                       -cdrom); the firmware boots it when no disk boots (docs/usage.md)"),
    DEV_S("fda", "FILE[,ro]", fd[0], check_fda,
          "attach a floppy image as drive A: (QEMU's -fda): 160, 180, 320,\n"
          "                       360, 720 KiB, 1.2, 1.44 or 2.88 MB, the format by the size;\n"
          "                       ,ro: write-protected.  The firmware boots it when no hard disk\n"
          "                       does, or first with --boot a (docs/usage.md)"),
    DEV_S("fdb", "FILE[,ro]", fd[1], check_fdb, "attach a floppy image as drive B: (QEMU's -fdb)"),
    DEV_S("boot", "ORDER", boot, check_boot,
          "the firmware's boot order, QEMU's letters: a, b the floppy drives,\n"
          "                       c the hard disks, d the CD-ROM: --boot d,\n"
          "                       --boot order=dc[,menu=on|off][,strict=on|off] (default: c,\n"
          "                       a, then d, as QEMU)"),
    DEV_F("vga-dump", vga_dump, "print the final VGA text screen (0xB8000) on stdout at exit"),
    DEV_F("reboot", reboot, "a guest reset (i8042 0xFE, port 0x92, 0xCF9) boots the kernel\n"
          "                       again instead of ending the run (docs/usage.md)"),
    { "host-info", NULL, "print what this host's CPU and kernel allow and what vmm does\n"
      "                       about each (docs/host.md), and exit", OPT_HOST_INFO, 0, 0, 0, 0,
      false, false, NULL, 0 },
    { "help", NULL, "print this help and exit", OPT_HELP, 0, 0, 0, 0, false, false, NULL, 0 },
};
#define NOPTS (sizeof opt_table / sizeof opt_table[0])

static int set_uint(const struct opt_desc *d, uint64_t *dst, const char *v,
                    char *err, size_t n)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno) {
        snprintf(err, n, "--%s %s: not a number", d->name, v);
        return -1;
    }
    if (x < d->min || x > d->max) {
        snprintf(err, n, "--%s %s: must be %llu to %llu", d->name, v,
                 (unsigned long long)d->min, (unsigned long long)d->max);
        return -1;
    }
    *dst = x;
    return 0;
}

int disk_spec(const char *spec, char *path, size_t n, bool *ro)
{
    size_t len = strlen(spec);
    *ro = len >= 3 && strcmp(spec + len - 3, ",ro") == 0;
    if (*ro)
        len -= 3;
    if (len == 0 || len >= n)
        return -1;
    memcpy(path, spec, len);
    path[len] = '\0';
    return 0;
}

/*
 * Input files must be regular files: a FIFO would block the open (or the
 * reads) until some other process writes to it, and a character device such
 * as /dev/zero never ends, so vmm would hang instead of refusing.  stat()
 * does not open the file, so it cannot block; the loaders open with
 * O_NONBLOCK and check again with fstat(), in case the path changes between
 * the two.  A path that does not exist is left to the loader, whose message
 * says why it cannot be opened.  A disk may also be a block device: it has a
 * fixed size and random access, as an image file has (devices/ide.c).
 */
static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

static int check_input_file(const char *opt, const char *path, bool blk_ok, char *err, size_t n)
{
    struct stat st;
    if (stat(path, &st) < 0 || S_ISREG(st.st_mode) || (blk_ok && S_ISBLK(st.st_mode)))
        return 0;
    snprintf(err, n, "--%s %s: not a regular file%s (%s)", opt, path,
             blk_ok ? " or block device" : "", file_kind(st.st_mode));
    return -1;
}

static int check_kernel(const char *v, char *err, size_t n)
{
    return check_input_file("kernel", v, false, err, n);
}

static int check_initrd(const char *v, char *err, size_t n)
{
    return check_input_file("initrd", v, false, err, n);
}

static int check_bios(const char *v, char *err, size_t n)
{
    return check_input_file("bios", v, false, err, n);
}

static int check_symbols(const char *v, char *err, size_t n)
{
    return check_input_file("symbols", v, false, err, n);
}

static int check_ring0(const char *v, char *err, size_t n)
{
    if (strcmp(v, "translate") == 0 || strcmp(v, "direct") == 0)
        return 0;
    snprintf(err, n, "--ring0 %s: must be translate or direct", v);
    return -1;
}

static int check_accel(const char *v, char *err, size_t n)
{
    if (strcmp(v, "bt") == 0 || strcmp(v, "kvm") == 0 || strcmp(v, "auto") == 0)
        return 0;
    snprintf(err, n, "--accel %s: must be bt, kvm or auto", v);
    return -1;
}

int options_range(const char *v, uint32_t *lo, uint32_t *hi)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(v, &end, 16);
    if (end == v || *end != '-' || errno || a > 0xFFFFFFFFul)
        return -1;
    const char *w = end + 1;
    unsigned long b = strtoul(w, &end, 16);
    if (end == w || *end || errno || b > 0xFFFFFFFFul || b < a)
        return -1;
    *lo = (uint32_t)a;
    *hi = (uint32_t)b;
    return 0;
}

static int check_range(const char *v, char *err, size_t n)
{
    uint32_t lo, hi;
    if (options_range(v, &lo, &hi) == 0)
        return 0;
    snprintf(err, n, "--trace-mmu %s: want START-END, two hex linear addresses, START <= END", v);
    return -1;
}

static int check_display(const char *v, char *err, size_t n)
{
    if (strcmp(v, "curses") == 0 || strcmp(v, "none") == 0)
        return 0;
    snprintf(err, n, "--display %s: must be curses or none", v);
    return -1;
}

static int check_stats(const char *v, char *err, size_t n)
{
    if (strcmp(v, "json") == 0 || strcmp(v, "text") == 0)
        return 0;
    snprintf(err, n, "--stats=%s: must be text or json", v);
    return -1;
}

static int check_disk(const char *v, char *err, size_t n)
{
    char path[4096];
    bool ro;
    if (disk_spec(v, path, sizeof path, &ro) < 0) {
        snprintf(err, n, "--disk '%s': needs a file name (FILE or FILE,ro)", v);
        return -1;
    }
    return check_input_file("disk", path, true, err, n);
}

static int check_cdrom(const char *v, char *err, size_t n)
{
    return check_input_file("cdrom", v, true, err, n);
}

static int check_floppy(const char *opt, const char *v, char *err, size_t n)
{
    char path[4096];
    bool ro;
    if (disk_spec(v, path, sizeof path, &ro) < 0) {
        snprintf(err, n, "--%s '%s': needs a file name (FILE or FILE,ro)", opt, v);
        return -1;
    }
    return check_input_file(opt, path, true, err, n);
}

static int check_fda(const char *v, char *err, size_t n)
{
    return check_floppy("fda", v, err, n);
}

static int check_fdb(const char *v, char *err, size_t n)
{
    return check_floppy("fdb", v, err, n);
}

/* The letters l of the --boot value v (for the messages). */
static int boot_letters(const char *v, const char *l, struct boot_spec *b, char *err, size_t n)
{
    size_t k = 0;
    if (!*l) {
        snprintf(err, n, "--boot: an empty boot order");
        return -1;
    }
    for (; *l; l++) {
        if (*l >= 'n' && *l <= 'p') {
            snprintf(err, n, "--boot %s: '%c': vmm has no network boot; the letters are a, b "
                     "(floppy), c (hard disk) and d (CD-ROM)", v, *l);
            return -1;
        }
        if (*l < 'a' || *l > 'd') {
            snprintf(err, n, "--boot %s: '%c' is no boot device: a, b (floppy), c (hard disk) or d "
                     "(CD-ROM)", v, *l);
            return -1;
        }
        if (memchr(b->order, *l, k)) {
            snprintf(err, n, "--boot %s: '%c' is given twice", v, *l);
            return -1;
        }
        b->order[k++] = *l;
    }
    b->order[k] = '\0';
    return 0;
}

static int on_off(const char *key, const char *v, bool *out, char *err, size_t n)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0) {
        *out = v[1] == 'n';
        return 0;
    }
    snprintf(err, n, "--boot %s=%s: must be on or off", key, v);
    return -1;
}

int boot_spec(const char *v, struct boot_spec *b, char *err, size_t n)
{
    char buf[64];
    *b = (struct boot_spec){ .order = "cad" };
    if (!strchr(v, '='))
        return boot_letters(v, v, b, err, n);
    if (strlen(v) >= sizeof buf) {
        snprintf(err, n, "--boot %s: too long", v);
        return -1;
    }
    strcpy(buf, v);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *val = strchr(kv, '=');
        if (!val) {
            snprintf(err, n, "--boot %s: '%s' is not KEY=VALUE", v, kv);
            return -1;
        }
        *val++ = '\0';
        int r = strcmp(kv, "order") == 0 ? boot_letters(v, val, b, err, n)
              : strcmp(kv, "menu") == 0 ? on_off(kv, val, &b->menu, err, n)
              : strcmp(kv, "strict") == 0 ? on_off(kv, val, &b->strict, err, n)
              : (snprintf(err, n, "--boot %s: unknown key '%s' (order, menu, strict)", v, kv), -1);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int check_boot(const char *v, char *err, size_t n)
{
    struct boot_spec b;
    return boot_spec(v, &b, err, n);
}

static int add_to_list(const struct opt_desc *d, struct opt_list *l, const char *v,
                       char *err, size_t n)
{
    if (l->n >= d->max || l->n >= sizeof l->v / sizeof l->v[0]) {
        snprintf(err, n, "--%s %s: at most %llu of them", d->name, v, (unsigned long long)d->max);
        return -1;
    }
    l->v[l->n++] = v;
    return 0;
}

/* Store the value of option d; -1 with err[] set when it is not acceptable. */
static int set_option(const struct opt_desc *d, struct vm_options *o, struct dev_options *dev,
                      const char *v, char *err, size_t n)
{
    void *field = (d->dev ? (char *)dev : (char *)o) + d->off;
    if (d->check && v && d->check(v, err, n) < 0)
        return -1;
    switch (d->kind) {
    case OPT_FLAG:
        *(bool *)field = true;
        return 0;
    case OPT_FLAG_VALUE:
        *(bool *)field = true;
        if (v)
            *(const char **)((char *)o + d->off_value) = v;
        return 0;
    case OPT_STRING:
        *(const char **)field = v;
        return 0;
    case OPT_UINT:
        return set_uint(d, field, v, err, n);
    case OPT_LIST:
        return add_to_list(d, field, v, err, n);
    case OPT_HELP:
    case OPT_HOST_INFO:
        break;
    }
    return -1;
}

/* enum vmm_status, for the EXIT STATUS section of --help. */
static const struct { const char *code, *meaning; } exit_table[] = {
    { "0", "the guest powered off or reset cleanly" },
    { "2", "usage error or bad input file (kernel, initrd, firmware, disk image)" },
    { "4", "the guest halted with interrupts disabled (nothing can wake it)" },
    { "6", "the guest used an operation the monitor does not implement" },
    { "8", "triple fault (a fault while delivering a double fault; the guest is stopped)" },
    { "10", "internal error of the monitor" },
    { "12", "guest code left direct execution (a far jump to the host's 64-bit\n"
            "           code selector) and was stopped by the sandbox" },
    { "14", "the debugger killed the guest (gdb's kill command; docs/gdb.md)" },
    { "16", "the run reached --time-limit" },
    { "odd", "(v << 1) | 1 for a value v written to the debug-exit port 0xF4,\n"
             "           as QEMU's isa-debug-exit does" },
};

/* "--name METAVAR", quoted when the value is free text, as in the synopsis. */
static void option_head(const struct opt_desc *d, bool quote, char *buf, size_t n)
{
    bool q = quote && d->metavar && strcmp(d->metavar, "CMDLINE") == 0;
    if (d->kind == OPT_FLAG_VALUE) {
        snprintf(buf, n, "--%s[=%s]", d->name, d->metavar);
        return;
    }
    snprintf(buf, n, "--%s%s%s%s%s", d->name, d->metavar ? " " : "", q ? "\"" : "",
             d->metavar ? d->metavar : "", q ? "\"" : "");
}

void options_usage(FILE *out)
{
    char head[48];
    int col = fprintf(out, "usage: vmm");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_desc *d = &opt_table[i];
        option_head(d, true, head, sizeof head);
        int w = (int)strlen(head) + (d->required ? 1 : 3);
        if (col + w > 78)
            col = fprintf(out, "\n          ");
        col += fprintf(out, d->required ? " %s" : " [%s]", head);
    }
    fprintf(out,
            "\n\n"
            "Run a 32-bit x86 guest kernel without hardware virtualization: ring 0 through\n"
            "a binary translator, ring 3 directly, shadow page tables, emulated PC devices.\n"
            "\n"
            "options (a value may also be given as --opt=value):\n");
    for (size_t i = 0; i < NOPTS; i++) {
        option_head(&opt_table[i], false, head, sizeof head);
        fprintf(out, "  %-20s %s\n", head, opt_table[i].help);
    }
    fprintf(out, "\nEXIT STATUS\n");
    for (size_t i = 0; i < sizeof exit_table / sizeof exit_table[0]; i++)
        fprintf(out, "  %-8s %s\n", exit_table[i].code, exit_table[i].meaning);
}

static int parse(int argc, char **argv, struct vm_options *o, struct dev_options *dev,
                 char *err, size_t errlen);

static void options_defaults(struct vm_options *o, struct dev_options *dev)
{
    memset(o, 0, sizeof *o);
    memset(dev, 0, sizeof *dev);
    for (size_t i = 0; i < NOPTS; i++)
        if (opt_table[i].kind == OPT_UINT)
            *(uint64_t *)((char *)o + opt_table[i].off) = opt_table[i].dflt;
}

int options_parse(int argc, char **argv, struct vm_options *o, char *err, size_t errlen)
{
    struct dev_options dev;
    return options_parse_dev(argc, argv, o, &dev, err, errlen);
}

/* QEMU's single-dash spellings: -display, -serial, -kernel, ... for any
 * option of the table (the value follows as the next argument, as QEMU
 * takes it), and -nographic for --display none.  The new argument lives
 * as long as the process: getopt's optarg may point into it. */
static char *qemu_spelling(char *a)
{
    static char none[] = "--display=none";
    if (strcmp(a, "-nographic") == 0 || strcmp(a, "--nographic") == 0)
        return none;
    if (a[0] != '-' || a[1] == '-' || strlen(a) < 3)
        return a;
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(a + 1, opt_table[i].name) == 0) {
            char *dd = malloc(strlen(a) + 2);
            if (!dd)
                return a;
            dd[0] = '-';
            strcpy(dd + 1, a);
            return dd;
        }
    return a;
}

int options_parse_dev(int argc, char **argv, struct vm_options *o, struct dev_options *dev,
                      char *err, size_t errlen)
{
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < argc; i++)
        args[i] = i ? qemu_spelling(argv[i]) : argv[i];
    int r = parse(argc, args, o, dev, err, errlen);
    free(args);
    return r;
}

static int parse(int argc, char **argv, struct vm_options *o, struct dev_options *dev,
                 char *err, size_t errlen)
{
    struct option longopts[NOPTS + 1];

    options_defaults(o, dev);
    for (size_t i = 0; i < NOPTS; i++)
        longopts[i] = (struct option){ opt_table[i].name,
                                       opt_table[i].kind == OPT_FLAG_VALUE ? optional_argument
                                       : opt_table[i].metavar ? required_argument : no_argument,
                                       NULL, (int)(0x100 + i) };
    longopts[NOPTS] = (struct option){ 0 };

    optind = 0;         /* glibc: full re-initialisation, so parsing can be repeated */
    opterr = 0;         /* our own one-line messages */
    for (;;) {
        int prev = optind ? optind : 1;
        int c = getopt_long(argc, argv, "+h", longopts, NULL);
        if (c == -1)
            break;
        if (c == 'h')
            c = 0x100 + (int)(NOPTS - 1);
        if (c == '?' || c == ':') {
            const char *bad = prev < argc ? argv[prev] : "?";
            if (optopt && optopt < 0x100)
                snprintf(err, errlen, "unknown option '-%c' (see vmm --help)", optopt);
            else if (optopt >= 0x100)
                snprintf(err, errlen, "option '--%s' needs a value (see vmm --help)",
                         opt_table[optopt - 0x100].name);
            else
                snprintf(err, errlen, "unknown option '%s' (see vmm --help)", bad);
            return -1;
        }
        const struct opt_desc *d = &opt_table[c - 0x100];
        if (d->kind == OPT_HELP) {
            options_usage(stdout);
            return 1;
        }
        if (d->kind == OPT_HOST_INFO)
            return 2;
        if (set_option(d, o, dev, optarg, err, errlen) < 0) {
            size_t len = strlen(err);
            snprintf(err + len, errlen - len, " (see vmm --help)");
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see vmm --help)", argv[optind]);
        return -1;
    }
    /* Without a kernel to load, a PC boots its firmware: Debian's SeaBIOS,
     * QEMU's default BIOS, when the package is there (and not under
     * --accel kvm, which runs no firmware yet). */
    if (!o->kernel && !o->bios && !o->initrd && !o->append &&
        !(o->accel && strcmp(o->accel, "kvm") == 0) && access(VMM_DEFAULT_BIOS, R_OK) == 0)
        o->bios = VMM_DEFAULT_BIOS;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_desc *d = &opt_table[i];
        /* --bios boots a firmware in place of the kernel. */
        bool replaced = !d->dev && d->off == FIELD(kernel) && o->bios;
        if (d->required && !replaced && !*(const char **)((char *)o + d->off)) {
            snprintf(err, errlen, "--%s %s is required (see vmm --help)", d->name, d->metavar);
            return -1;
        }
    }
    if (dev->boot && !o->bios) {
        snprintf(err, errlen, "--boot %s: only a firmware boots from a drive; with --kernel and no "
                 "--bios, vmm loads the kernel itself", dev->boot);
        return -1;
    }
    /* With --kernel the firmware gets the kernel, its initrd and command
     * line through fw_cfg (monitor/loader_fwlinux.c); without, it boots
     * from a disk and they would go nowhere. */
    if (o->bios && !o->kernel && (o->initrd || o->append)) {
        snprintf(err, errlen, "--bios %s: %s needs --kernel (the firmware boots a kernel it is "
                 "given, else from a drive)", o->bios, o->initrd ? "--initrd" : "--append");
        return -1;
    }
    return 0;
}
