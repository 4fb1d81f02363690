/*
 * devices/ioapic.c - 82093AA I/O APIC (Intel datasheet 290566).
 */
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/platform.h"

#define RE_MASKED   (1ull << 16)
#define RE_LEVEL    (1ull << 15)
#define RE_REMOTE   (1ull << 14)
#define RE_DELIVS   (1ull << 12)
#define RE_LOGICAL  (1ull << 11)
#define RE_RO       (RE_REMOTE | RE_DELIVS)

static struct lapic *lapic_of(struct ioapic *io)
{
    return &platform_of(io->vm)->lapic;
}

static bool dest_match(struct ioapic *io, uint64_t re)
{
    struct lapic *l = lapic_of(io);
    uint32_t dest = re >> 56;
    if (re & RE_LOGICAL)
        return (dest & (l->ldr >> 24)) != 0;
    return dest == l->id || dest == 0xFF;
}

static void deliver(struct ioapic *io, int pin)
{
    uint64_t re = io->redir[pin];
    int mode = (re >> 8) & 7;
    if (mode == 4) {
        /* NMI: an edge message with no vector, no remote IRR and no EOI
         * (82093AA datasheet: NMI entries must be edge-triggered). */
        if (dest_match(io, re)) {
            lapic_nmi(lapic_of(io));
            io->delivered++;
        }
        return;
    }
    switch (mode) {
    case 0: case 1:
        break;
    case 2:                 /* SMI: the model has no SMM (as the local APIC's SMI) */
        if (dest_match(io, re))
            lapic_of(io)->smis_ignored++;
        return;
    case 5:                 /* INIT to the only processor: its warm reset */
        if (dest_match(io, re))
            platform_reset(io->vm);
        return;
    case 7:
        /* ExtINT: the processor asks the 8259 for the vector.  Pin 0 is the
         * 8259's INTR (virtual wire through the I/O APIC: ioapic_extint_open);
         * no other pin has an 8259 behind it on this board. */
        if (pin == 0)
            return;
        /* fall through */
    default:
        vm_stop(io->vm, VMM_EXIT_UNSUPPORTED,
                "IOAPIC pin %d: delivery mode %d is not emulated", pin, mode);
        return;
    }
    if (re & RE_LEVEL)
        io->redir[pin] |= RE_REMOTE;
    if (!dest_match(io, re))
        return;
    lapic_accept(lapic_of(io), re & 0xFF, re & RE_LEVEL);
    io->delivered++;
}

bool ioapic_extint_open(struct ioapic *io)
{
    uint64_t re = io->redir[0];
    return !(re & RE_MASKED) && ((re >> 8) & 7) == 7 && dest_match(io, re);
}

/* A level entry fires while its input is high and remote IRR is clear. */
static void service_level(struct ioapic *io, int pin)
{
    uint64_t re = io->redir[pin];
    if ((re & RE_LEVEL) && !(re & RE_MASKED) && !(re & RE_REMOTE) &&
        (io->level >> pin & 1))
        deliver(io, pin);
}

void ioapic_set_irq(struct ioapic *io, int gsi, int level)
{
    if (gsi < 0 || gsi >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << gsi;
    bool rising = level && !(io->level & bit);
    if (level) io->level |= bit; else io->level &= ~bit;
    uint64_t re = io->redir[gsi];
    if (re & RE_LEVEL)
        service_level(io, gsi);
    else if (rising && !(re & RE_MASKED))
        deliver(io, gsi);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t re = io->redir[pin];
        if ((re & RE_LEVEL) && (re & 0xFF) == (uint64_t)vector && (re & RE_REMOTE)) {
            io->redir[pin] &= ~RE_REMOTE;
            service_level(io, pin);
        }
    }
}

static uint32_t reg_read(struct ioapic *io, uint8_t idx)
{
    if (idx >= 0x10 && idx < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t re = io->redir[(idx - 0x10) / 2];
        return idx & 1 ? re >> 32 : (uint32_t)re;
    }
    switch (idx) {
    case 0: return io->id << 24;
    case 1: return (IOAPIC_PINS - 1) << 16 | 0x11;
    case 2: return io->id << 24;    /* arbitration ID */
    default: return 0;
    }
}

static void reg_write(struct ioapic *io, uint8_t idx, uint32_t v)
{
    if (idx == 0) {
        io->id = (v >> 24) & 0x0F;
        return;
    }
    if (idx < 0x10 || idx >= 0x10 + 2 * IOAPIC_PINS)
        return;
    int pin = (idx - 0x10) / 2;
    uint64_t re = io->redir[pin];
    if (idx & 1)
        re = (re & 0xFFFFFFFFull) | (uint64_t)(v & 0xFF000000u) << 32;
    else
        re = (re & (0xFFFFFFFF00000000ull | RE_RO)) | (v & ~(uint32_t)RE_RO & 0x1FFFF);
    if (!(re & RE_LEVEL))
        re &= ~RE_REMOTE;
    io->redir[pin] = re;
    service_level(io, pin);         /* unmasking a held level line fires it */
}

static uint32_t ioapic_mmio_read(void *opaque, uint64_t addr, int size)
{
    struct ioapic *io = opaque;
    switch (addr - IOAPIC_BASE) {
    case 0x00: return io->sel;
    case 0x10: return reg_read(io, io->sel);
    default: return 0;
    }
}

static void ioapic_mmio_write(void *opaque, uint64_t addr, int size, uint32_t value)
{
    struct ioapic *io = opaque;
    switch (addr - IOAPIC_BASE) {
    case 0x00: io->sel = value; break;
    case 0x10: reg_write(io, io->sel, value); break;
    case 0x40: ioapic_eoi(io, value & 0xFF); break;  /* EOI register of later versions */
    }
}

static const struct device_ops ioapic_ops = {
    .name = "ioapic",
    .mmio_read = ioapic_mmio_read,
    .mmio_write = ioapic_mmio_write,
};

int ioapic_init(struct ioapic *io, struct vm *vm, struct io_bus *bus)
{
    *io = (struct ioapic){ .vm = vm, .id = IOAPIC_ID };
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redir[i] = RE_MASKED;
    return io_register_mmio(bus, IOAPIC_BASE, 0x100, &ioapic_ops, io);
}
