/*
 * monitor/dev_options.h - the command-line options of the PC platform:
 * --disk FILE[,ro] (repeatable), --cdrom FILE, --fda/--fdb FILE[,ro],
 * --boot ORDER, --vga-dump,
 * --reboot, --display.
 *
 * Contract: options_parse_dev() is options_parse() plus these options, filled
 * into struct dev_options; options_parse() accepts them too and drops them.
 * They are kept apart from struct vm_options only because that struct lives
 * in monitor/vm.h (another module's header); the rows are ordinary rows of
 * the one option table in monitor/options.c.
 *
 * --disk values are checked for form here (at most DEV_MAX_DISKS, a non-empty
 * file name); whether the file is a usable image is ide_attach()'s verdict
 * (devices/ide.h), given before the guest starts; the same for --cdrom and
 * ide_attach_cdrom().  --boot is checked whole here (boot_spec()).
 */
#ifndef MONITOR_DEV_OPTIONS_H
#define MONITOR_DEV_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "monitor/vm.h"

#define DEV_MAX_DISKS 4     /* primary master, primary slave, secondary master, secondary slave */

/* A repeatable string option: the values in command-line order. */
struct opt_list {
    const char *v[DEV_MAX_DISKS];
    unsigned n;
};

struct dev_options {
    struct opt_list disks;      /* --disk FILE[,ro], as given */
    const char *cdrom;          /* --cdrom FILE: the secondary master */
    const char *fd[2];          /* --fda, --fdb FILE[,ro]: floppy drives A and B */
    const char *boot;           /* --boot ORDER, as given */
    bool vga_dump;              /* --vga-dump: print the text screen at exit */
    bool reboot;                /* --reboot: a guest reset boots the kernel again */
    const char *display;        /* --display curses|none (NULL: none, QEMU's -nographic) */
};

/* --display curses was asked for. */
static inline bool dev_display_curses(const struct dev_options *d)
{
    return d->display && d->display[0] == 'c';
}

int options_parse_dev(int argc, char **argv, struct vm_options *o, struct dev_options *dev,
                      char *err, size_t errlen);

/* Split a --disk value "FILE" or "FILE,ro" into the file name (copied into
 * path[n]) and the read-only flag.  -1 when the name is empty or too long. */
int disk_spec(const char *spec, char *path, size_t n, bool *ro);

/* A --boot value in QEMU's forms: "LETTERS" or comma-separated
 * order=LETTERS, menu=on|off, strict=on|off; letters a and b (floppy
 * drives A and B), c (the hard disks) and d (the CD-ROM), each at most
 * once (default: cad, QEMU's).  -1 with a message in err[]. */
struct boot_spec {
    char order[8];
    bool menu, strict;
};
int boot_spec(const char *v, struct boot_spec *b, char *err, size_t n);

#endif
