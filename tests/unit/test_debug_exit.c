/*
 * tests/unit/test_debug_exit.c - port 0xF4 ends the run with (v << 1) | 1.
 */
#include "devtest.h"

Test(debug_exit, byte_write)
{
    struct vm *vm = devtest_vm();
    cr_assert_not(vm->stop);
    outb(vm, 0xF4, 0x10);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0x21);
    devtest_free(vm);
}

Test(debug_exit, wider_writes)
{
    struct vm *vm = devtest_vm();
    io_pio_write(&vm->io, 0xF4, 2, 0x0003);
    cr_assert_eq(vm->exit_status, 7);
    io_pio_write(&vm->io, 0xF4, 4, 0x00000000);
    cr_assert_eq(vm->exit_status, 1);
    devtest_free(vm);
}
