/*
 * devices/pci.h - PCI configuration mechanism #1 and the chipset functions.
 *
 * Contract: 0xCF8 (CONFIG_ADDRESS, 32-bit) and 0xCFC-0xCFF (CONFIG_DATA,
 * 1/2/4 bytes).  Bus 0 holds an i440FX-like host bridge at 00:00.0
 * (8086:1237) and a PIIX3-like ISA bridge at 00:01.0 (8086:7000); every
 * other function reads all ones.  A byte write to 0xCF9 (PIIX reset
 * control) with bit 2 set resets the machine: the run ends with status 0.
 *
 * With the firmware-booted PC's functions (pci_init's ide_function), the
 * host bridge's PAM registers (0x59-0x5F) take effect on writes: a region
 * of 0xC0000-0xFFFFF whose write-enable bit is clear discards every write
 * to it (shadow_mmu/shadow.h, shadow_write_discard), from power-on, when
 * they are all 0, until the firmware enables them.  Reads always come from
 * the RAM copy.  A reset starts a new machine (vmm --reboot), whose PAM
 * registers are 0 again.
 */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define PCI_NFUNCS 4

struct pci_func {
    uint8_t devfn;              /* device << 3 | function, on bus 0 */
    uint8_t cfg[256];
    uint8_t wmask[256];         /* bits the guest may change */
};

struct pci {
    struct vm *vm;
    uint32_t addr;              /* CONFIG_ADDRESS */
    uint8_t rcr;                /* 0xCF9 reset control */
    bool pam_on;                /* the PAM registers' write enables apply */
    int nfuncs;                 /* f[0..nfuncs) answer */
    struct pci_func f[PCI_NFUNCS];
};

/* The i440FX host bridge (00:00.0) and the PIIX3 ISA bridge (00:01.0);
 * with ide_function (the firmware-booted PC), also the PIIX3 IDE function
 * (00:01.1), through which a PC firmware finds the disks on the legacy IDE
 * ports, and the PIIX4 power-management function (00:01.3), for which it
 * builds ACPI tables. */
int pci_init(struct pci *p, struct vm *vm, struct io_bus *bus, bool ide_function);
/* Configuration read of bus 0 as mechanism #1 would do it (tests, tables). */
uint32_t pci_config_read(struct pci *p, int bus, int devfn, int off, int size);

#endif
