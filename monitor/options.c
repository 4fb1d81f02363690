/*
 * monitor/options.c - the vmm command line.
 *
 * Every option is one row of opt_table[]: its name, whether it takes a
 * value, the help text and the function that stores the value.  The
 * getopt_long table and the --help text are both generated from it, so a new
 * option (--disk, --gdb, ...) is one row plus, when it has a value, one small
 * setter.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/options.h"

#define MEM_DEFAULT_MIB 128
#define MEM_MIN_MIB     2
#define MEM_MAX_MIB     3072   /* leave room below 4 GiB for MMIO (PCI hole, APICs) */

struct opt_desc {
    const char *name;
    const char *metavar;        /* NULL: a flag without value */
    const char *help;
    /* Store the value; -1 with err[] set when it is not acceptable. */
    int (*set)(struct vm_options *o, const char *val, char *err, size_t errlen);
};

static int set_kernel(struct vm_options *o, const char *v, char *err, size_t n)
{
    o->kernel = v;
    return 0;
}

static int set_initrd(struct vm_options *o, const char *v, char *err, size_t n)
{
    o->initrd = v;
    return 0;
}

static int set_append(struct vm_options *o, const char *v, char *err, size_t n)
{
    o->append = v;
    return 0;
}

static int set_mem(struct vm_options *o, const char *v, char *err, size_t n)
{
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno) {
        snprintf(err, n, "--mem %s: not a number of MiB", v);
        return -1;
    }
    if (mib < MEM_MIN_MIB || mib > MEM_MAX_MIB) {
        snprintf(err, n, "--mem %s: guest RAM must be %d to %d MiB",
                 v, MEM_MIN_MIB, MEM_MAX_MIB);
        return -1;
    }
    o->mem_mib = mib;
    return 0;
}

static int set_stats(struct vm_options *o, const char *v, char *err, size_t n)
{
    o->stats = true;
    return 0;
}

static int set_trace(struct vm_options *o, const char *v, char *err, size_t n)
{
    o->trace = true;
    return 0;
}

/* --help is handled by options_parse itself (set == NULL). */
static const struct opt_desc opt_table[] = {
    { "kernel", "FILE",    "guest kernel: Multiboot v1 image or ELF32 i386 (required)", set_kernel },
    { "initrd", "FILE",    "file loaded as Multiboot module 0 (initial ramdisk)", set_initrd },
    { "append", "CMDLINE", "kernel command line (Multiboot cmdline)", set_append },
    { "mem",    "MIB",     "guest RAM in MiB, 2..3072 (default 128)", set_mem },
    { "stats",  NULL,      "print translator, exit and interrupt counters to stderr at the end", set_stats },
    { "trace",  NULL,      "disassemble each new translation unit to stderr", set_trace },
    { "help",   NULL,      "print this help and exit", NULL },
};
#define NOPTS (sizeof opt_table / sizeof opt_table[0])

/* enum vmm_status, for the EXIT STATUS section of --help. */
static const struct { const char *code, *meaning; } exit_table[] = {
    { "0", "the guest powered off or reset cleanly" },
    { "1", "internal error of the monitor" },
    { "2", "usage error or bad input file (kernel, initrd)" },
    { "4", "the guest halted with interrupts disabled (nothing can wake it)" },
    { "5", "triple fault (a fault while delivering a double fault; the guest is stopped)" },
    { "6", "the guest used an operation the monitor does not implement" },
    { "odd", "(v << 1) | 1 for a value v written to the debug-exit port 0xF4,\n"
             "           as QEMU's isa-debug-exit does" },
};

void options_usage(FILE *out)
{
    fprintf(out,
            "usage: vmm --kernel FILE [--initrd FILE] [--append \"CMDLINE\"] [--mem MIB]\n"
            "           [--stats] [--trace] [--help]\n"
            "\n"
            "Run a 32-bit x86 guest kernel without hardware virtualization: ring 0 through\n"
            "a binary translator, ring 3 directly, shadow page tables, emulated PC devices.\n"
            "\n"
            "options (a value may also be given as --opt=value):\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char head[48];
        const struct opt_desc *d = &opt_table[i];
        snprintf(head, sizeof head, "--%s%s%s", d->name, d->metavar ? " " : "",
                 d->metavar ? d->metavar : "");
        fprintf(out, "  %-20s %s\n", head, d->help);
    }
    fprintf(out, "\nEXIT STATUS\n");
    for (size_t i = 0; i < sizeof exit_table / sizeof exit_table[0]; i++)
        fprintf(out, "  %-8s %s\n", exit_table[i].code, exit_table[i].meaning);
}

static void options_defaults(struct vm_options *o)
{
    memset(o, 0, sizeof *o);
    o->mem_mib = MEM_DEFAULT_MIB;
}

int options_parse(int argc, char **argv, struct vm_options *o, char *err, size_t errlen)
{
    struct option longopts[NOPTS + 1];

    options_defaults(o);
    for (size_t i = 0; i < NOPTS; i++)
        longopts[i] = (struct option){ opt_table[i].name,
                                       opt_table[i].metavar ? required_argument : no_argument,
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
        if (!d->set) {
            options_usage(stdout);
            return 1;
        }
        if (d->set(o, optarg, err, errlen) < 0) {
            size_t len = strlen(err);
            snprintf(err + len, errlen - len, " (see vmm --help)");
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see vmm --help)", argv[optind]);
        return -1;
    }
    if (!o->kernel) {
        snprintf(err, errlen, "no kernel given: --kernel FILE is required (see vmm --help)");
        return -1;
    }
    return 0;
}
