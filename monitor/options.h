/*
 * monitor/options.h - the vmm command line.
 *
 * Contract: options_parse() fills struct vm_options from argv.  QEMU's
 * single-dash spellings (-kernel, -serial, -display, ... and -nographic
 * for --display none) are accepted as well.  Returns 0 to run, 1 when --help was printed (exit 0), 2 for --host-info (the caller
 * prints host_facts_print(), exit 0), -1 with a one-line message in err[]
 * for an unknown option or a value out of range (exit VMM_EXIT_USAGE).
 */
#ifndef MONITOR_OPTIONS_H
#define MONITOR_OPTIONS_H

/* The firmware booted when no kernel is given (Debian package seabios:
 * the bios.bin QEMU boots by default). */
#define VMM_DEFAULT_BIOS "/usr/share/seabios/bios.bin"
/* The VGA BIOS the firmware runs under --display curses (the same package:
 * SeaVGABIOS for a plain ISA VGA, QEMU's -vga std without its PCI part). */
#define VMM_DEFAULT_VGA_BIOS "/usr/share/seabios/vgabios-isavga.bin"

#include <stddef.h>
#include <stdio.h>
#include "monitor/vm.h"

int options_parse(int argc, char **argv, struct vm_options *o, char *err, size_t errlen);
void options_usage(FILE *out);
/* "START-END", two hex numbers with START <= END (--trace-mmu): 0, or -1. */
int options_range(const char *v, uint32_t *lo, uint32_t *hi);

#endif
