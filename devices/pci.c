/*
 * devices/pci.c - PCI configuration space (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2 "Configuration Mechanism #1"; Intel 82441FX and 82371SB
 * datasheets for the register defaults).
 */
#include <string.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/pci.h"
#include "devices/platform.h"
#include "shadow_mmu/shadow.h"

static void put16(uint8_t *c, int off, uint16_t v) { c[off] = v; c[off + 1] = v >> 8; }

/* Common header fields; the command register's I/O, memory and bus-master
 * enables, latency timer and interrupt line are writable. */
static void header(struct pci_func *f, uint16_t vendor, uint16_t device,
                   uint8_t rev, uint32_t class, uint8_t htype)
{
    put16(f->cfg, 0x00, vendor);
    put16(f->cfg, 0x02, device);
    f->cfg[0x08] = rev;
    f->cfg[0x09] = class;
    f->cfg[0x0A] = class >> 8;
    f->cfg[0x0B] = class >> 16;
    f->cfg[0x0E] = htype;
    f->wmask[0x04] = 0x07;
    f->wmask[0x0D] = 0xFF;
    f->wmask[0x3C] = 0xFF;
}

static void host_bridge(struct pci_func *f)
{
    f->devfn = 0;
    header(f, 0x8086, 0x1237, 0x02, 0x060000, 0x00);
    put16(f->cfg, 0x04, 0x0006);
    put16(f->cfg, 0x06, 0x0280);    /* fast back-to-back, medium DEVSEL */
    memset(&f->wmask[0x59], 0xFF, 7);   /* PAM0-6: BIOS shadow control */
    f->cfg[0x72] = 0x02;            /* SMRAM */
    f->wmask[0x72] = 0x78;
}

/*
 * The PAM registers (82441FX datasheet, "PAM - Programmable Attribute Map
 * Registers"): PAM0 bits 5:4 govern 0xF0000-0xFFFFF (64 KiB), each nibble
 * of PAM1-PAM6 one 16 KiB region from 0xC0000 up (low nibble first); in
 * each field bit 0 is RE (reads from DRAM) and bit 1 WE (writes to DRAM,
 * else to the PCI side, where the ROM ignores them).  This model keeps the
 * RAM copy for reads whatever RE says (the loader puts the firmware's last
 * 128 KiB there at power-on, the bytes the ROM side shows until the
 * firmware writes); it applies WE, one bit per 4 KiB page.
 */
#define PAM0 0x59

static uint64_t pam_write_discards(const struct pci_func *f)
{
    uint64_t ro = 0;
    for (int r = 0; r < 12; r++) {          /* 0xC0000-0xEFFFF, 16 KiB each */
        uint8_t field = f->cfg[PAM0 + 1 + r / 2] >> (r % 2 ? 4 : 0);
        if (!(field & 2))
            ro |= 0xFull << (4 * r);
    }
    if (!(f->cfg[PAM0] & 0x20))             /* 0xF0000-0xFFFFF */
        ro |= 0xFFFFull << 48;
    return ro;
}

/* With a firmware, the host bridge's PAM registers decide which shadow
 * pages discard writes (guest_mem.shadow_ro). */
static void pam_apply(struct pci *p)
{
    if (p->vm && p->pam_on)
        shadow_write_discard(p->vm, pam_write_discards(&p->f[0]));
}

static void isa_bridge(struct pci_func *f)
{
    f->devfn = 1 << 3;
    header(f, 0x8086, 0x7000, 0x00, 0x060100, 0x80);   /* multi-function */
    put16(f->cfg, 0x04, 0x0007);
    put16(f->cfg, 0x06, 0x0200);
    for (int i = 0x60; i <= 0x63; i++) {
        f->cfg[i] = 0x80;           /* PIRQA-D routing: disabled */
        f->wmask[i] = 0x8F;
    }
    f->cfg[0x4C] = 0x4D;            /* ISA recovery timer */
    f->wmask[0x4C] = 0xFF;
    f->cfg[0x4E] = 0x03;            /* X-bus chip select: BIOS enable */
    f->wmask[0x4E] = 0xFF;
}

/*
 * PIIX3 IDE (82371SB function 1, 8086:7010): both channels in legacy mode
 * (programming interface 0x80: ports 0x1F0/0x170 and IRQ 14/15 as on an
 * ISA PC, bus-master capable).  The bus-master BAR (BAR4) reads as zero,
 * so no DMA is offered and drivers fall back to PIO; the IDE timing
 * registers (IDETIM, 0x40-0x43) are kept for the firmware, which sets
 * their decode-enable bits (bit 15) as its first step.  The channels
 * answer whatever those bits say: devices/ide.c decodes its ports always.
 */
static void ide_function(struct pci_func *f)
{
    f->devfn = (1 << 3) | 1;
    header(f, 0x8086, 0x7010, 0x00, 0x010180, 0x00);
    put16(f->cfg, 0x06, 0x0280);    /* fast back-to-back, medium DEVSEL */
    memset(&f->wmask[0x40], 0xFF, 4);
    f->wmask[0x04] |= 0x04;         /* bus master enable, though nothing masters */
}

/*
 * PIIX4 power management (82371AB function 3, 8086:7113), as QEMU's
 * i440FX machine pairs it with the PIIX3: a firmware that finds it sets
 * its I/O base (PMBA, 0x40) and enable (PMREGMISC, 0x80) and then builds
 * ACPI tables whose PM1a blocks are there; the block (devices/acpi_pm.c)
 * moves where PMBA says once PMREGMISC enables it.  DEVACTB (0x58) says the APM control port already
 * raises SMIs (bit 25), which tells the firmware that SMM is set up: this
 * machine has no SMM, and a firmware that tried to relocate it would wait
 * forever for the SMI handler's answer on port 0xB3.
 */
#define PM_DEVFN ((1 << 3) | 3)

static void pm_function(struct pci_func *f)
{
    f->devfn = PM_DEVFN;
    header(f, 0x8086, 0x7113, 0x03, 0x068000, 0x00);
    put16(f->cfg, 0x06, 0x0280);
    f->cfg[0x3D] = 1;               /* INTA: the SCI */
    f->cfg[0x40] = 0x01;            /* PMBA: I/O space indicator */
    f->wmask[0x40] = 0xC0;
    f->wmask[0x41] = 0xFF;
    f->wmask[0x80] = 0x01;          /* PMREGMISC: PMIOSE */
    f->cfg[0x5B] = 0x02;            /* DEVACTB.APMC_EN */
    f->cfg[0x90] = 0x01;            /* SMBBA: I/O space indicator */
    f->wmask[0x90] = 0xF0;
    f->wmask[0x91] = 0xFF;
    f->wmask[0xD2] = 0x0F;          /* SMBHSTCFG */
}

static struct pci_func *lookup(struct pci *p, int bus, int devfn)
{
    if (bus != 0)
        return NULL;
    for (int i = 0; i < p->nfuncs; i++)
        if (p->f[i].devfn == devfn)
            return &p->f[i];
    return NULL;
}

uint32_t pci_config_read(struct pci *p, int bus, int devfn, int off, int size)
{
    struct pci_func *f = lookup(p, bus, devfn);
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)(f ? f->cfg[(off + i) & 0xFF] : 0xFF) << (8 * i);
    return v;
}

static void config_write(struct pci *p, int bus, int devfn, int off, int size, uint32_t v)
{
    struct pci_func *f = lookup(p, bus, devfn);
    if (!f)
        return;                     /* master abort: dropped */
    for (int i = 0; i < size; i++, v >>= 8) {
        int o = (off + i) & 0xFF;
        f->cfg[o] = (f->cfg[o] & ~f->wmask[o]) | (v & f->wmask[o]);
    }
    if (devfn == 0 && off <= PAM0 + 6 && off + size > PAM0)
        pam_apply(p);
    /* The PM function's base and enable decide where the ACPI block is. */
    if (devfn == PM_DEVFN && p->vm && (f->cfg[0x80] & 1) &&
        ((off <= 0x41 && off + size > 0x40) || (off <= 0x80 && off + size > 0x80)))
        acpi_pm_move(&platform_of(p->vm)->pm, (uint16_t)((f->cfg[0x40] | f->cfg[0x41] << 8) & 0xFFC0));
}

static bool decode(struct pci *p, uint16_t port, int *bus, int *devfn, int *off)
{
    if (!(p->addr & 0x80000000u))
        return false;               /* enable bit off: data port does nothing */
    *bus = (p->addr >> 16) & 0xFF;
    *devfn = (p->addr >> 8) & 0xFF;
    *off = (p->addr & 0xFC) + (port - 0xCFC);
    return true;
}

static uint32_t pci_pio_read(void *opaque, uint16_t port, int size)
{
    struct pci *p = opaque;
    int bus, devfn, off;
    if (port == 0xCF8 && size == 4)
        return p->addr;
    if (port == 0xCF9 && size == 1)
        return p->rcr;
    if (port < 0xCFC || !decode(p, port, &bus, &devfn, &off))
        return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFF : 0xFF;
    return pci_config_read(p, bus, devfn, off, size);
}

static void pci_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct pci *p = opaque;
    int bus, devfn, off;
    if (port == 0xCF8 && size == 4) {
        p->addr = value & 0x80FFFFFCu;
    } else if (port == 0xCF9 && size == 1) {
        p->rcr = value & 0x0E;
        if (value & 0x04) {         /* RCR.RCPU: reset now (bit 1 chooses hard/soft) */
            platform_reset(p->vm);
        }
    } else if (port >= 0xCFC && decode(p, port, &bus, &devfn, &off)) {
        config_write(p, bus, devfn, off, size, value);
    }
}

static const struct device_ops pci_ops = {
    .name = "pci-config",
    .pio_read = pci_pio_read,
    .pio_write = pci_pio_write,
};

int pci_init(struct pci *p, struct vm *vm, struct io_bus *bus, bool with_ide)
{
    *p = (struct pci){ .vm = vm, .nfuncs = 2, .pam_on = with_ide };
    host_bridge(&p->f[0]);
    isa_bridge(&p->f[1]);
    if (with_ide) {
        ide_function(&p->f[p->nfuncs++]);
        pm_function(&p->f[p->nfuncs++]);
    }
    pam_apply(p);                   /* PAM0-6 reset to 0: every region to the ROM side */
    return io_register_pio(bus, 0xCF8, 8, &pci_ops, p);
}
