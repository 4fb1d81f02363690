/*
 * tests/unit/test_pci.c - configuration mechanism #1 as a PCI probe does it.
 */
#include "devtest.h"
#include <string.h>
#include "shadow_mmu/mmu.h"

static uint32_t cfg_read(struct vm *vm, int bus, int dev, int fn, int off, int size)
{
    io_pio_write(&vm->io, 0xCF8, 4, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xFC));
    return io_pio_read(&vm->io, 0xCFC + (off & 3), size);
}

static void cfg_write(struct vm *vm, int dev, int off, int size, uint32_t v)
{
    io_pio_write(&vm->io, 0xCF8, 4, 0x80000000u | dev << 11 | (off & 0xFC));
    io_pio_write(&vm->io, 0xCFC + (off & 3), size, v);
}

Test(pci, mechanism1_probe)
{
    struct vm *vm = devtest_vm();
    /* Linux pci_check_type1(): write 0x80000000 to CF8, read it back. */
    io_pio_write(&vm->io, 0xCF8, 4, 0x80000000u);
    cr_assert_eq(io_pio_read(&vm->io, 0xCF8, 4), 0x80000000u);
    devtest_free(vm);
}

Test(pci, bridges)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 0, 4), 0x12378086u);
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 0x08, 4) >> 8, 0x060000u);
    cr_assert_eq(cfg_read(vm, 0, 1, 0, 0, 4), 0x70008086u);
    cr_assert_eq(cfg_read(vm, 0, 1, 0, 0x0A, 2), 0x0601);
    cr_assert_eq(cfg_read(vm, 0, 1, 0, 0x0E, 1), 0x80);   /* multi-function */
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 2, 2), 0x1237);     /* word at offset 2 */
    devtest_free(vm);
}

Test(pci, absent_functions_all_ones)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(cfg_read(vm, 0, 2, 0, 0, 4), 0xFFFFFFFFu);
    cr_assert_eq(cfg_read(vm, 0, 1, 1, 0, 4), 0xFFFFFFFFu);
    cr_assert_eq(cfg_read(vm, 1, 0, 0, 0, 4), 0xFFFFFFFFu);
    cr_assert_eq(cfg_read(vm, 0, 31, 7, 0, 2), 0xFFFF);
    io_pio_write(&vm->io, 0xCF8, 4, 0);                   /* enable bit off */
    cr_assert_eq(io_pio_read(&vm->io, 0xCFC, 4), 0xFFFFFFFFu);
    devtest_free(vm);
}

Test(pci, writable_and_read_only)
{
    struct vm *vm = devtest_vm();
    cfg_write(vm, 0, 0x00, 4, 0xDEADBEEF);                 /* IDs are read-only */
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 0, 4), 0x12378086u);
    cfg_write(vm, 1, 0x60, 1, 0x0B);                       /* PIRQA -> IRQ11 */
    cr_assert_eq(cfg_read(vm, 0, 1, 0, 0x60, 1), 0x0B);
    cfg_write(vm, 0, 0x59, 1, 0x30);                       /* PAM0 */
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 0x59, 1), 0x30);
    cfg_write(vm, 1, 0x3C, 1, 0x05);
    cr_assert_eq(cfg_read(vm, 0, 1, 0, 0x3C, 1), 0x05);
    devtest_free(vm);
}

Test(pci, cf9_reset)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0xCF9, 0x02);
    cr_assert_not(vm->stop);
    outb(vm, 0xCF9, 0x06);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0);
    devtest_free(vm);
}

/* The firmware-booted PC adds the PIIX3 IDE function: class IDE in legacy
 * mode, no bus-master BAR, IDETIM writable for the firmware's decode
 * enables. */
Test(pci, piix3_ide_function)
{
    struct pci p;
    struct io_bus bus = { 0 };
    cr_assert_eq(pci_init(&p, NULL, &bus, true), 0);
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 1, 0x00, 4), 0x70108086u);
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 1, 0x08, 4) >> 8, 0x010180u);
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 1, 0x20, 4), 0);          /* BAR4: no DMA */
    io_pio_write(&bus, 0xCF8, 4, 0x80000000u | 1 << 11 | 1 << 8 | 0x40);
    io_pio_write(&bus, 0xCFC, 2, 0x8000);                                 /* IDETIM primary */
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 1, 0x40, 2), 0x8000);
    /* And the PIIX4 PM function, with SMM reported as set up (no SMM here). */
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 3, 0x00, 4), 0x71138086u);
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 3, 0x08, 4) >> 8, 0x068000u);
    cr_assert_eq(pci_config_read(&p, 0, 1 << 3 | 3, 0x58, 4) & (1u << 25), 1u << 25);
    /* A kernel booted directly sees no such function. */
    struct pci q;
    struct io_bus bus2 = { 0 };
    cr_assert_eq(pci_init(&q, NULL, &bus2, false), 0);
    cr_assert_eq(pci_config_read(&q, 0, 1 << 3 | 1, 0x00, 4), 0xFFFFFFFFu);
}

/* ---- PAM: the shadow regions' write enables (with a firmware) ---------- */

static struct vm *firmware_vm(void)
{
    return devtest_vm_with(64 * 1024);
}

/* A 4-byte guest write through the monitor's and emulator's path (paging
 * off: linear = physical), then what RAM holds there. */
static uint32_t write_then_ram(struct vm *vm, uint32_t pa, uint32_t v)
{
    struct mmu_fault f;
    uint32_t got;
    cr_assert_neq(mmu_write(&vm->cpu, pa, &v, 4, 0, &f), MMU_PAGE_FAULT);
    memcpy(&got, vm->mem.ram + pa, 4);
    return got;
}

#define OLD 0x5A5A5A5Au
#define NEW 0x12345678u

static void fill_old(struct vm *vm)
{
    memset(vm->mem.ram + 0xC0000, 0x5A, 0x40000);
}

/* Power-on: PAM0-6 are 0, every region goes to the ROM side. */
Test(pci, pam_power_on_discards_writes)
{
    struct vm *vm = firmware_vm();
    fill_old(vm);
    for (uint32_t pa = 0xC0000; pa < 0x100000; pa += 0x4000)
        cr_assert_eq(write_then_ram(vm, pa + 0x10, NEW), OLD, "write at 0x%x kept", pa + 0x10);
    cr_assert_eq(vm->stats.shadow_writes_discarded, 16);
    cr_assert_eq(write_then_ram(vm, 0xBFFF0, NEW), NEW, "below 0xC0000: plain RAM");
    cr_assert_eq(write_then_ram(vm, 0x100000, NEW), NEW, "above 1 MiB: plain RAM");
    devtest_free(vm);
}

/* SeaBIOS's POST: make_bios_writable (PAM1-6 = 0x33, PAM0 = 0x30), then
 * make_bios_readonly with option ROMs up to 0xCBFFF: PAM1 = 0x11, PAM2 =
 * 0x31 (0xC8000 read-only, 0xCC000 read-write), PAM0 = 0x10. */
Test(pci, pam_seabios_life_cycle)
{
    struct vm *vm = firmware_vm();
    fill_old(vm);
    for (int i = 1; i <= 6; i++)
        cfg_write(vm, 0, 0x59 + i, 1, 0x33);
    cfg_write(vm, 0, 0x59, 1, 0x30);
    cr_assert_eq(write_then_ram(vm, 0xFFFF0, NEW), NEW, "F-segment writable");
    cr_assert_eq(write_then_ram(vm, 0xC0000, NEW), NEW, "option ROM space writable");
    cr_assert_eq(vm->stats.shadow_writes_discarded, 0);
    fill_old(vm);
    cfg_write(vm, 0, 0x5A, 1, 0x11);
    cfg_write(vm, 0, 0x5B, 1, 0x31);
    cfg_write(vm, 0, 0x59, 1, 0x10);
    cr_assert_eq(write_then_ram(vm, 0xFFFF5, NEW), OLD, "F-segment read-only");
    cr_assert_eq(write_then_ram(vm, 0xF0000, NEW), OLD);
    cr_assert_eq(write_then_ram(vm, 0xC4000, NEW), OLD, "PAM1 high nibble read-only");
    cr_assert_eq(write_then_ram(vm, 0xC8000, NEW), OLD, "PAM2 low nibble read-only");
    cr_assert_eq(write_then_ram(vm, 0xCC000, NEW), NEW, "PAM2 high nibble read-write");
    cr_assert_eq(write_then_ram(vm, 0xE0000, NEW), NEW, "PAM5 left read-write");
    /* A write across 0xCC000: the read-only half dropped, the other kept. */
    uint32_t v = NEW;
    struct mmu_fault f;
    mmu_write(&vm->cpu, 0xCBFFE, &v, 4, 0, &f);
    cr_assert_eq(vm->mem.ram[0xCBFFE], 0x5A);
    cr_assert_eq(vm->mem.ram[0xCBFFF], 0x5A);
    cr_assert_eq(vm->mem.ram[0xCC000], 0x34);
    cr_assert_eq(vm->mem.ram[0xCC001], 0x12);
    /* Reads keep coming from the RAM copy. */
    uint32_t r;
    cr_assert_eq(mmu_read(&vm->cpu, 0xFFFF5, &r, 4, 0, &f), MMU_OK);
    cr_assert_eq(r, OLD);
    devtest_free(vm);
}

/* Without a firmware the machine has no shadow life cycle: the first MiB
 * is RAM the loaders fill, whatever PAM holds. */
Test(pci, pam_without_firmware_has_no_effect)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(cfg_read(vm, 0, 0, 0, 0x59, 1), 0);
    cr_assert_eq(write_then_ram(vm, 0xF0000, NEW), NEW);
    cfg_write(vm, 0, 0x59, 1, 0x10);
    cr_assert_eq(write_then_ram(vm, 0xF0004, NEW), NEW);
    devtest_free(vm);
}
