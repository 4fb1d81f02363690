/*
 * devices/platform.c - assembling the PC, routing interrupt lines, time.
 *
 * Interrupt routing (the PC/AT wiring plus the APIC path): every ISA line
 * goes to the 8259 pair and to the IOAPIC (IRQ0 on pin 2, the others on the
 * pin of their number).  The 8259's INTR output reaches the CPU through the
 * local APIC's LINT0 (ExtINT) or directly while the APIC is disabled; the
 * IOAPIC's messages and the APIC timer go through the local APIC.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "monitor/vm.h"
#include "cpu/host_clock.h"
#include "devices/irq.h"
#include "devices/platform.h"
#include "devices/debug_exit.h"
#include "devices/firmware_tables.h"

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
    if (!vm->platform) {
        vm->platform = calloc(1, sizeof *vm->platform);
        if (!vm->platform) {
            fprintf(stderr, "vmm: out of memory for the device models\n");
            abort();
        }
        vm->platform->vm = vm;
    }
    return vm->platform;
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
    struct platform *p = vm->platform;
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

int devices_init(struct vm *vm, char *err, size_t errlen)
{
    struct platform *p = platform_of(vm);
    struct io_bus *bus = &vm->io;

    if (pic_init(&p->pic, bus) < 0 ||
        pit_init(&p->pit, vm, bus) < 0 ||
        rtc_init(&p->rtc, vm, bus, vm->mem.size) < 0 ||
        i8042_init(&p->kbc, vm, bus) < 0 ||
        pci_init(&p->pci, vm, bus) < 0 ||
        acpi_pm_init(&p->pm, vm, bus) < 0 ||
        ide_init(&p->ide, vm, bus) < 0 ||
        lapic_init(&p->lapic, vm, bus) < 0 ||
        ioapic_init(&p->ioapic, vm, bus) < 0 ||
        vga_init(&p->vga, bus) < 0 ||
        uart_init(&p->com[0], vm, bus, 0x3F8, 4, STDOUT_FILENO) < 0 ||
        uart_init(&p->com[1], vm, bus, 0x2F8, 3, -1) < 0 ||
        debug_exit_init(vm, bus) < 0) {
        snprintf(err, errlen, "devices: cannot register the port ranges (bus full or overlap)");
        return -1;
    }
    if (firmware_tables_write(vm) < 0) {
        snprintf(err, errlen, "devices: guest RAM does not cover the BIOS area for the MP/ACPI tables");
        return -1;
    }
    console_open(&p->con, STDIN_FILENO);
    p->ready = true;
    return 0;
}

void devices_tick(struct vm *vm, uint64_t now_ns)
{
    struct platform *p = vm->platform;
    if (!p || !p->ready)
        return;
    if (now_ns - p->last_poll_ns >= INPUT_POLL_NS) {
        p->last_poll_ns = now_ns;
        console_pump(vm, &p->con, &p->com[0]);
    }
    pit_tick(&p->pit, now_ns);
    lapic_tick(&p->lapic, now_ns);
    rtc_tick(&p->rtc, now_ns);
    for (int i = 0; i < 2; i++)
        uart_tick(&p->com[i], now_ns);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t devices_next_deadline_ns(struct vm *vm)
{
    struct platform *p = vm->platform;
    if (!p || !p->ready)
        return UINT64_MAX;
    uint64_t d = min64(pit_deadline(&p->pit), rtc_deadline(&p->rtc));
    d = min64(d, lapic_deadline(&p->lapic));
    for (int i = 0; i < 2; i++)
        d = min64(d, uart_deadline(&p->com[i]));
    return d;
}

void devices_wait(struct vm *vm, uint64_t deadline_ns)
{
    struct platform *p = platform_of(vm);
    console_wait(vm, &p->con, &p->com[0], deadline_ns);
}

void devices_stats_print(struct vm *vm, FILE *out)
{
    struct platform *p = vm->platform;
    if (!p)
        return;
    fprintf(out, "pit_irq0_pulses: %llu\nrtc_irq8: %llu\n",
            (unsigned long long)p->pit.irqs, (unsigned long long)p->rtc.irqs);
    fprintf(out, "lapic_timer_irqs: %llu\nioapic_delivered: %llu\n",
            (unsigned long long)p->lapic.timer_irqs, (unsigned long long)p->ioapic.delivered);
    fprintf(out, "lapic_nmis: %llu\nlapic_smis_ignored: %llu\nacpi_sleeps_ignored: %llu\n",
            (unsigned long long)p->lapic.nmis, (unsigned long long)p->lapic.smis_ignored,
            (unsigned long long)p->pm.sleeps_ignored);
    fprintf(out, "ide_errors: %llu\nide_unknown_commands: %llu\ni8042_unknown_commands: %llu\n",
            (unsigned long long)p->ide.errors, (unsigned long long)p->ide.unknown_cmds,
            (unsigned long long)p->kbc.unknown_cmds);
    for (int i = 0; i < 2; i++)
        fprintf(out, "com%d_tx_bytes: %llu\ncom%d_rx_bytes: %llu\ncom%d_overruns: %llu\n",
                i + 1, (unsigned long long)p->com[i].tx_bytes,
                i + 1, (unsigned long long)p->com[i].rx_bytes,
                i + 1, (unsigned long long)p->com[i].overruns);
}

void devices_destroy(struct vm *vm)
{
    struct platform *p = vm->platform;
    if (!p)
        return;
    console_close(&p->con);
    ide_destroy(&p->ide);
    free(p);
    vm->platform = NULL;
}
