/*
 * devices/platform.c - assembling the PC, routing interrupt lines, time.
 *
 * Interrupt routing (the PC/AT wiring plus the APIC path): every ISA line
 * goes to the 8259 pair and to the IOAPIC (IRQ0 on pin 2, the others on the
 * pin of their number).  The 8259's INTR output reaches the CPU through the
 * local APIC's LINT0 (ExtINT) or directly while the APIC is disabled; the
 * IOAPIC's messages and the APIC timer go through the local APIC.
 *
 * The devices themselves are one table, pc_devices[] below: a row per
 * device with its life-cycle hooks, in the order they come up and tick
 * (host input is pumped into COM1 before COM1's own tick).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "shadow_mmu/guest_mem.h"
#include "cpu/host_clock.h"
#include "devices/irq.h"
#include "devices/platform.h"
#include "devices/debug_exit.h"
#include "devices/firmware_tables.h"
#include "devices/bootorder.h"

/* Host input is looked at without blocking at most this often. */
#define INPUT_POLL_NS 1000000ull

uint64_t host_now_ns(void)
{
    struct timespec ts;
    host_clock(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct platform *platform_of(struct vm *vm)
{
    struct platform **slot = vm_platform(vm);
    if (!*slot) {
        *slot = calloc(1, sizeof **slot);
        if (!*slot) {
            fprintf(stderr, "vmm: out of memory for the device models\n");
            abort();
        }
        (*slot)->vm = vm;
    }
    return *slot;
}

void platform_reset(struct vm *vm)
{
    platform_of(vm)->reset = true;
    vm_stop(vm, VMM_EXIT_OK, "guest reset");
}

void irq_set_level(struct vm *vm, int line, int level)
{
    struct platform *p = platform_of(vm);
    if (line < 0 || line >= 16)
        return;
    pic_set_irq(&p->pic, line, level);
    if (p->ready)
        ioapic_set_irq(&p->ioapic, line == 0 ? 2 : line, level);
}

/* The 8259's INTR reaches the processor through the local APIC's LINT0 or
 * the I/O APIC's pin 0, either programmed ExtINT (or the APIC disabled). */
static bool extint_open(struct platform *p)
{
    return lapic_extint_open(&p->lapic) || ioapic_extint_open(&p->ioapic);
}

bool irq_intr_pending(struct vm *vm)
{
    struct platform *p = *vm_platform(vm);
    if (!p || !p->ready)
        return false;
    /* The 8259's INTR is also the LINT0 input: an edge matters when LINT0
     * is programmed for a fixed vector or NMI instead of ExtINT. */
    lapic_set_lint(&p->lapic, 0, pic_intr(&p->pic));
    return lapic_pending(&p->lapic) || (extint_open(p) && pic_intr(&p->pic));
}

int irq_intr_ack(struct vm *vm)
{
    struct platform *p = platform_of(vm);
    if (lapic_pending(&p->lapic))
        return lapic_ack(&p->lapic);
    if (extint_open(p))
        return pic_ack(&p->pic);    /* ExtINT: the 8259 supplies the vector (IRQ7 if spurious) */
    return lapic_ack(&p->lapic);    /* the APIC's spurious vector */
}

/* ---- the machine's devices: one row each ------------------------------- */

/*
 * Each device's part in the platform's life: init registers its port and
 * MMIO ranges (and starts its timers), tick lets its time pass, deadline
 * says when it next needs a tick (UINT64_MAX: never), stats adds its
 * counters to --stats, destroy frees what init took.  NULL where a device
 * has no such part.  The hooks below adapt each model's own functions,
 * which take their own state, to the platform.
 */
struct pc_device {
    const char *name;
    int (*init)(struct platform *p, struct vm *vm, struct io_bus *bus);
    void (*tick)(struct platform *p, uint64_t now_ns);
    uint64_t (*deadline)(struct platform *p);
    void (*stats)(struct platform *p, FILE *out);
    void (*destroy)(struct platform *p);
};

static void stat(FILE *out, const char *name, uint64_t v)
{
    fprintf(out, "%s: %llu\n", name, (unsigned long long)v);
}

static int pic_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)vm;
    return pic_init(&p->pic, bus);
}

static int pit_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return pit_init(&p->pit, vm, bus);
}
static void pit_tick_(struct platform *p, uint64_t now) { pit_tick(&p->pit, now); }
static uint64_t pit_deadline_(struct platform *p) { return pit_deadline(&p->pit); }
static void pit_stats(struct platform *p, FILE *out) { stat(out, "pit_irq0_pulses", p->pit.irqs); }

static int rtc_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return rtc_init(&p->rtc, vm, bus, vm_mem(vm)->size);
}
static void rtc_tick_(struct platform *p, uint64_t now) { rtc_tick(&p->rtc, now); }
static uint64_t rtc_deadline_(struct platform *p) { return rtc_deadline(&p->rtc); }
static void rtc_stats(struct platform *p, FILE *out) { stat(out, "rtc_irq8", p->rtc.irqs); }

static int kbc_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return i8042_init(&p->kbc, vm, bus);
}
static void kbc_stats(struct platform *p, FILE *out)
{
    stat(out, "i8042_unknown_commands", p->kbc.unknown_cmds);
    stat(out, "i8042_key_overruns", p->kbc.key_overruns);
}

static int pci_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    /* The firmware-booted PC is the i440FX/PIIX3 a PC BIOS expects, with
     * the IDE function it finds disks through; a kernel loaded directly
     * keeps the bare ISA IDE ports its drivers already know. */
    return pci_init(&p->pci, vm, bus, p->rom.data != NULL);
}

static int pm_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return acpi_pm_init(&p->pm, vm, bus);
}
static void pm_stats(struct platform *p, FILE *out)
{
    stat(out, "acpi_sleeps_ignored", p->pm.sleeps_ignored);
}

static int ide_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return ide_init(&p->ide, vm, bus);
}
static void ide_stats(struct platform *p, FILE *out)
{
    stat(out, "ide_errors", p->ide.errors);
    stat(out, "ide_unknown_commands", p->ide.unknown_cmds);
    for (int i = 0; i < IDE_SLOTS; i++) {
        const struct ide_drive *d = ide_slot(&p->ide, i);
        if (d->present && d->atapi) {
            stat(out, "cdrom_commands", d->cd.commands);
            stat(out, "cdrom_check_conditions", d->cd.checks);
            stat(out, "cdrom_unknown_commands", d->cd.unknown_cmds);
        }
    }
}
static void ide_down(struct platform *p) { ide_destroy(&p->ide); }

/* The DMA controllers, and the floppy controller on channel 2 with its
 * drives' types in CMOS (the RTC is up by now). */
static int dma_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return dma_init(&p->dma, vm, bus);
}
static void dma_stats(struct platform *p, FILE *out)
{
    stat(out, "dma_bytes", p->dma.bytes);
    stat(out, "dma_bytes_not_ram", p->dma.dropped);
}

static int fdc_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    rtc_floppies(&p->rtc, fdc_cmos_types(&p->fdc));
    return fdc_init(&p->fdc, vm, bus, &p->dma);
}
static void fdc_stats(struct platform *p, FILE *out)
{
    stat(out, "fdc_commands", p->fdc.commands);
    stat(out, "fdc_errors", p->fdc.errors);
    stat(out, "fdc_invalid_commands", p->fdc.invalid);
}
static void fdc_down(struct platform *p) { fdc_destroy(&p->fdc); }

static int lapic_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return lapic_init(&p->lapic, vm, bus);
}
static void lapic_tick_(struct platform *p, uint64_t now) { lapic_tick(&p->lapic, now); }
static uint64_t lapic_deadline_(struct platform *p) { return lapic_deadline(&p->lapic); }
static void lapic_stats(struct platform *p, FILE *out)
{
    stat(out, "lapic_timer_irqs", p->lapic.timer_irqs);
    stat(out, "lapic_nmis", p->lapic.nmis);
    stat(out, "lapic_smis_ignored", p->lapic.smis_ignored);
}

static int ioapic_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return ioapic_init(&p->ioapic, vm, bus);
}
static void ioapic_stats(struct platform *p, FILE *out)
{
    stat(out, "ioapic_delivered", p->ioapic.delivered);
}

static int vga_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)vm;
    return vga_init(&p->vga, bus);
}
static void vga_stats(struct platform *p, FILE *out)
{
    stat(out, "vga_graphics_mode_sets", p->vga.graphics_sets);
}

/* COM1 is the guest's console (stdout, and stdin through the console
 * below); COM2 is there, connected to nothing. */
static int com1_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return uart_init(&p->com[0], vm, bus, 0x3F8, 4, p->serial_set ? p->serial_out : STDOUT_FILENO);
}
static int com2_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    return uart_init(&p->com[1], vm, bus, 0x2F8, 3, -1);
}
static void com1_tick(struct platform *p, uint64_t now) { uart_tick(&p->com[0], now); }
static void com2_tick(struct platform *p, uint64_t now) { uart_tick(&p->com[1], now); }
static uint64_t com1_deadline(struct platform *p) { return uart_deadline(&p->com[0]); }
static uint64_t com2_deadline(struct platform *p) { return uart_deadline(&p->com[1]); }
static void uart_stats(FILE *out, int n, const struct uart *u)
{
    fprintf(out, "com%d_tx_bytes: %llu\ncom%d_rx_bytes: %llu\ncom%d_overruns: %llu\n",
            n, (unsigned long long)u->tx_bytes, n, (unsigned long long)u->rx_bytes,
            n, (unsigned long long)u->overruns);
}
static void com1_stats(struct platform *p, FILE *out) { uart_stats(out, 1, &p->com[0]); }
static void com2_stats(struct platform *p, FILE *out) { uart_stats(out, 2, &p->com[1]); }

static int debug_exit_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)p;
    return debug_exit_init(vm, bus);
}

static bool has_cdrom(struct ide *ide)
{
    for (int i = 0; i < IDE_SLOTS; i++)
        if (ide_slot(ide, i)->present && ide_slot(ide, i)->atapi)
            return true;
    return false;
}

/* What a QEMU-like PC tells its firmware: RAM, CPUs, where its screen is:
 * COM1 (the serial console, QEMU's -nographic), or with --display the
 * VGA, whose BIOS it then gets; and the boot order. */
static int fw_cfg_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    if (fw_cfg_init(&p->fw_cfg, bus, vm_mem(vm)->size, p->display_on ? 0 : 0x3F8,
                    p->vga_bios, p->vga_bios_len) < 0)
        return -1;
    if (p->boot_set || has_cdrom(&p->ide) || fdc_cmos_types(&p->fdc)) {
        char text[FW_CFG_BOOTORDER_MAX];
        bootorder_text(&p->ide, fdc_cmos_types(&p->fdc), p->boot_set ? p->boot_order : "cad",
                       p->boot_strict, text, sizeof text);
        fw_cfg_boot_order(&p->fw_cfg, text, p->boot_menu);
    }
    return 0;
}
static void fw_cfg_stats(struct platform *p, FILE *out)
{
    stat(out, "fw_cfg_data_writes_ignored", p->fw_cfg.data_writes);
    stat(out, "fw_cfg_bad_widths", p->fw_cfg.bad_widths);
}

/* Port 0x402 exists only with --bios-log (debugcon_open()). */
static int debugcon_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)vm;
    return debugcon_init(&p->debugcon, bus);
}
static void debugcon_stats(struct platform *p, FILE *out)
{
    if (p->debugcon.open) {
        stat(out, "debugcon_bytes", p->debugcon.bytes);
        stat(out, "debugcon_dropped", p->debugcon.dropped);
    }
}
static void debugcon_down(struct platform *p) { debugcon_close(&p->debugcon); }

/* Host input reaches COM1 through the console: looked at without blocking
 * at most every INPUT_POLL_NS, and waited for by devices_wait(). */
static int console_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)vm, (void)bus;
    console_open(&p->con, p->serial_set ? p->serial_in : STDIN_FILENO);
    return 0;
}
static void console_tick(struct platform *p, uint64_t now)
{
    if (now - p->last_poll_ns >= INPUT_POLL_NS) {
        p->last_poll_ns = now;
        console_pump(p->vm, &p->con, &p->com[0]);
    }
}
static void console_down(struct platform *p) { console_close(&p->con); }

/* --display curses: the screen and keyboard on the terminal, after the
 * VGA and the keyboard controller it joins. */
static int display_up(struct platform *p, struct vm *vm, struct io_bus *bus)
{
    (void)vm, (void)bus;
    if (p->display_on)
        display_open(&p->display, STDIN_FILENO, STDOUT_FILENO);
    return 0;
}
static void display_tick_(struct platform *p, uint64_t now)
{
    display_tick(&p->display, p->vm, &p->vga, &p->kbc, now);
}
static uint64_t display_deadline_(struct platform *p) { return display_deadline(&p->display); }
static void display_stats(struct platform *p, FILE *out)
{
    if (p->display_on) {
        stat(out, "display_frames", p->display.frames);
        stat(out, "display_bytes", p->display.bytes);
        stat(out, "display_keys_dropped", p->display.keys_dropped);
    }
}
static void display_down(struct platform *p) { display_close(&p->display, p->vm, &p->vga); }

static const struct pc_device pc_devices[] = {
    /* name            init           tick          deadline          stats         destroy */
    { "8259 PIC",      pic_up,        NULL,         NULL,             NULL,         NULL },
    { "8254 PIT",      pit_up,        pit_tick_,    pit_deadline_,    pit_stats,    NULL },
    { "CMOS RTC",      rtc_up,        rtc_tick_,    rtc_deadline_,    rtc_stats,    NULL },
    { "i8042",         kbc_up,        NULL,         NULL,             kbc_stats,    NULL },
    { "PCI host",      pci_up,        NULL,         NULL,             NULL,         NULL },
    { "ACPI PM",       pm_up,         NULL,         NULL,             pm_stats,     NULL },
    { "IDE",           ide_up,        NULL,         NULL,             ide_stats,    ide_down },
    { "8237 DMA",      dma_up,        NULL,         NULL,             dma_stats,    NULL },
    { "floppy",        fdc_up,        NULL,         NULL,             fdc_stats,    fdc_down },
    { "local APIC",    lapic_up,      lapic_tick_,  lapic_deadline_,  lapic_stats,  NULL },
    { "I/O APIC",      ioapic_up,     NULL,         NULL,             ioapic_stats, NULL },
    { "VGA",           vga_up,        NULL,         NULL,             vga_stats,    NULL },
    { "console",       console_up,    console_tick, NULL,             NULL,         console_down },
    { "display",       display_up,    display_tick_, display_deadline_, display_stats, display_down },
    { "COM1",          com1_up,       com1_tick,    com1_deadline,    com1_stats,   NULL },
    { "COM2",          com2_up,       com2_tick,    com2_deadline,    com2_stats,   NULL },
    { "debug exit",    debug_exit_up, NULL,         NULL,             NULL,         NULL },
    { "fw_cfg",        fw_cfg_up,     NULL,         NULL,             fw_cfg_stats, NULL },
    { "debugcon",      debugcon_up,   NULL,         NULL,             debugcon_stats, debugcon_down },
};
#define N_DEVICES (sizeof pc_devices / sizeof pc_devices[0])

void devices_serial(struct vm *vm, int in_fd, int out_fd)
{
    struct platform *p = platform_of(vm);
    p->serial_set = true;
    p->serial_in = in_fd;
    p->serial_out = out_fd;
}

void devices_boot(struct vm *vm, const char *order, bool menu, bool strict)
{
    struct platform *p = platform_of(vm);
    snprintf(p->boot_order, sizeof p->boot_order, "%s", order);
    p->boot_set = true;
    p->boot_menu = menu;
    p->boot_strict = strict;
}

void devices_display(struct vm *vm)
{
    platform_of(vm)->display_on = true;
}

void devices_display_end(struct vm *vm)
{
    struct platform *p = *vm_platform(vm);
    if (p)
        display_close(&p->display, vm, &p->vga);
}

void devices_vga_bios(struct vm *vm, const uint8_t *rom, uint32_t len)
{
    struct platform *p = platform_of(vm);
    p->vga_bios = rom;
    p->vga_bios_len = len;
}

int devices_init(struct vm *vm, char *err, size_t errlen)
{
    struct platform *p = platform_of(vm);
    for (size_t i = 0; i < N_DEVICES; i++)
        if (pc_devices[i].init(p, vm, vm_io(vm)) < 0) {
            snprintf(err, errlen, "devices: %s: cannot register its port ranges (bus full or overlap)",
                     pc_devices[i].name);
            return -1;
        }
    if (rom_init(&p->rom, vm_io(vm)) < 0) {
        snprintf(err, errlen, "devices: cannot register the firmware ROM (MMIO bus full or overlap)");
        return -1;
    }
    /* A firmware builds its own tables; otherwise the platform stands in
     * for the BIOS that would have. */
    if (!p->rom.data && firmware_tables_write(vm) < 0) {
        snprintf(err, errlen, "devices: guest RAM does not cover the BIOS area for the MP/ACPI tables");
        return -1;
    }
    p->ready = true;
    return 0;
}

void devices_tick(struct vm *vm, uint64_t now_ns)
{
    struct platform *p = *vm_platform(vm);
    if (!p || !p->ready)
        return;
    for (size_t i = 0; i < N_DEVICES; i++)
        if (pc_devices[i].tick)
            pc_devices[i].tick(p, now_ns);
}

uint64_t devices_next_deadline_ns(struct vm *vm)
{
    struct platform *p = *vm_platform(vm);
    if (!p || !p->ready)
        return UINT64_MAX;
    uint64_t d = UINT64_MAX;
    for (size_t i = 0; i < N_DEVICES; i++)
        if (pc_devices[i].deadline) {
            uint64_t t = pc_devices[i].deadline(p);
            d = t < d ? t : d;
        }
    return d;
}

void devices_wait(struct vm *vm, uint64_t deadline_ns)
{
    struct platform *p = platform_of(vm);
    struct console *cs[CONSOLE_WAIT_MAX] = { &p->con, p->display.open ? &p->display.keys : NULL };
    console_wait(vm, cs, CONSOLE_WAIT_MAX, deadline_ns);
    console_pump(vm, &p->con, &p->com[0]);
}

void devices_stats_print(struct vm *vm, FILE *out)
{
    struct platform *p = *vm_platform(vm);
    if (!p)
        return;
    for (size_t i = 0; i < N_DEVICES; i++)
        if (pc_devices[i].stats)
            pc_devices[i].stats(p, out);
}

void devices_destroy(struct vm *vm)
{
    struct platform *p = *vm_platform(vm);
    if (!p)
        return;
    /* Every hook is safe on a device that never came up (the IDE drives
     * may be attached before devices_init). */
    for (size_t i = N_DEVICES; i-- > 0;)
        if (pc_devices[i].destroy)
            pc_devices[i].destroy(p);
    free(p->rom.data);
    free((void *)p->vga_bios);
    free(p);
    *vm_platform(vm) = NULL;
}
