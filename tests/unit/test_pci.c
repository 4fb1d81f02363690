/*
 * tests/unit/test_pci.c - configuration mechanism #1 as a PCI probe does it.
 */
#include "devtest.h"

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
