/*
 * devices/platform.h - the whole PC platform of one VM.
 *
 * Contract: struct platform holds every device model of a VM; it hangs off
 * vm->platform and is created by platform_of() on first use (so that
 * ide_attach() may run before or after devices_init()).  devices_init(),
 * devices_tick(), devices_wait() and devices_destroy() (devices/irq.h)
 * operate on it.  devices_stats_print() adds the device counters to
 * --stats.
 */
#ifndef DEVICES_PLATFORM_H
#define DEVICES_PLATFORM_H

#include <stdio.h>
#include "devices/pic8259.h"
#include "devices/uart16550.h"
#include "devices/console.h"
#include "devices/pit8254.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/acpi_pm.h"
#include "devices/ide.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/vga.h"
#include "devices/vga_text.h"
#include "devices/rom.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"
#include "devices/display.h"
#include "devices/dma8237.h"
#include "devices/fdc.h"

struct vm;

struct platform {
    struct vm *vm;
    bool ready;                 /* devices_init() done */
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct i8042 kbc;
    struct pci pci;
    struct acpi_pm pm;
    struct ide ide;
    struct dma8237 dma;
    struct fdc fdc;             /* the floppy controller: drives may attach before devices_init */
    struct lapic lapic;
    struct ioapic ioapic;
    struct vga vga;
    struct uart com[2];
    struct console con;
    uint64_t last_poll_ns;      /* last non-blocking look at host input */
    bool serial_set;            /* devices_serial() chose COM1's descriptors */
    int serial_in, serial_out;  /* COM1's input (-1: none) and output (--serial) */
    bool reset;                 /* the run ended in a guest reset (vmm --reboot boots again) */
    struct rom rom;             /* --bios: the firmware (devices/rom.h) */
    struct fw_cfg fw_cfg;       /* QEMU's firmware configuration (devices/fw_cfg.h) */
    struct debugcon debugcon;   /* --bios-log: port 0x402 (devices/debugcon.h) */
    bool display_on;            /* --display curses (devices_display()) */
    struct display display;     /* the screen on the terminal (devices/display.h) */
    const uint8_t *vga_bios;    /* the VGA BIOS handed to the firmware (devices_vga_bios()) */
    uint32_t vga_bios_len;
    char boot_order[8];         /* --boot: QEMU's letters (devices/bootorder.h) */
    bool boot_set, boot_menu, boot_strict;
};

struct platform *platform_of(struct vm *vm);
/* A reset of the whole machine (the CPU's RESET or INIT line from the
 * keyboard controller, port 0x92, 0xCF9 or an INIT IPI to the processor
 * itself): the run ends with status 0, and vmm --reboot boots again. */
void platform_reset(struct vm *vm);
void devices_stats_print(struct vm *vm, FILE *out);
/* Before devices_init(): COM1's input and output descriptors (--serial,
 * devices/lab_serial.h) instead of stdin and stdout. */
void devices_serial(struct vm *vm, int in_fd, int out_fd);
/* Before devices_init(): --display curses, the VGA screen and the keyboard
 * on the terminal (stdout and stdin; devices/display.h). */
void devices_display(struct vm *vm);
/* After the run: the last frame, and the terminal back as it was (before
 * the statistics are printed on it).  No effect without the display. */
void devices_display_end(struct vm *vm);
/* Before devices_init(): a VGA BIOS image (an option ROM of len bytes,
 * malloc'ed; the platform frees it) that fw_cfg offers the firmware as
 * "vgaroms/vgabios.bin". */
void devices_vga_bios(struct vm *vm, const uint8_t *rom, uint32_t len);
/* Before devices_init(): the firmware's boot order in QEMU's letters (c
 * hard disks, d CD-ROMs, a and b the floppy drives; others ignored), its
 * boot menu and strict (no other device).  Without it, a machine with a
 * CD-ROM or a floppy boots the hard disks first, then the floppy, then
 * the CD, as QEMU's default order ("cad"); one without gets an empty
 * bootorder file (the firmware's own order). */
void devices_boot(struct vm *vm, const char *order, bool menu, bool strict);

#endif
