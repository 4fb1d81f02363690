/*
 * tests/unit/devtest.h - a VM with the PC platform for device unit tests.
 */
#ifndef TESTS_UNIT_DEVTEST_H
#define TESTS_UNIT_DEVTEST_H

#include <stdlib.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "monitor/vm.h"
#include "devices/irq.h"
#include "devices/platform.h"

/* The platform with 16 MiB; with firmware_size, a firmware image of that
 * many zero bytes (as --bios gives it: devices_firmware). */
static inline struct vm *devtest_vm_with(size_t firmware_size)
{
    char err[256];
    struct vm *vm = vm_alloc();
    cr_assert(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, 16, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    if (firmware_size) {
        uint8_t *image = calloc(1, firmware_size);
        cr_assert(image);
        devices_firmware(vm, image, firmware_size);
    }
    cr_assert_eq(devices_init(vm, err, sizeof err), 0, "%s", err);
    return vm;
}

static inline struct vm *devtest_vm(void)
{
    return devtest_vm_with(0);
}

static inline void devtest_free(struct vm *vm)
{
    devices_destroy(vm);
    guest_mem_destroy(&vm->mem);
    free(vm);
}

static inline void outb(struct vm *vm, uint16_t port, uint8_t v)
{
    io_pio_write(&vm->io, port, 1, v);
}

static inline uint8_t inb(struct vm *vm, uint16_t port)
{
    return io_pio_read(&vm->io, port, 1);
}

/* Linux's init_8259A(): vectors 0x30-0x3F, cascade on IR2, 8086 mode. */
static inline void devtest_pic_init(struct vm *vm, int auto_eoi)
{
    outb(vm, 0x21, 0xFF); outb(vm, 0xA1, 0xFF);
    outb(vm, 0x20, 0x11); outb(vm, 0x21, 0x30); outb(vm, 0x21, 0x04);
    outb(vm, 0x21, auto_eoi ? 0x03 : 0x01);
    outb(vm, 0xA0, 0x11); outb(vm, 0xA1, 0x38); outb(vm, 0xA1, 0x02);
    outb(vm, 0xA1, 0x01);
    outb(vm, 0x21, 0x00); outb(vm, 0xA1, 0x00);
}

#endif
