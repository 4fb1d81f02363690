/*
 * tests/unit/test_acpi_pm.c - PM timer and the S5 power-off request.
 */
#include <time.h>
#include "devtest.h"
#include "devices/acpi_pm.h"

Test(acpi_pm, timer_runs_at_3_58_mhz)
{
    struct vm *vm = devtest_vm();
    uint32_t a = io_pio_read(&vm->io, ACPI_PM_TMR, 4);
    struct timespec ts = { 0, 10000000 };
    uint64_t t0 = host_now_ns();
    nanosleep(&ts, NULL);
    uint32_t b = io_pio_read(&vm->io, ACPI_PM_TMR, 4);
    uint64_t dt = host_now_ns() - t0;
    uint32_t ticks = (b - a) & 0xFFFFFF;
    uint64_t expect = dt * ACPI_PM_TMR_HZ / 1000000000ull;
    cr_assert(ticks + 400 >= expect && ticks <= expect + 400, "%u ticks, expected ~%llu",
              ticks, (unsigned long long)expect);
    cr_assert_eq(a >> 24, 0);                   /* 24-bit timer */
    devtest_free(vm);
}

Test(acpi_pm, sci_en_and_poweroff)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(io_pio_read(&vm->io, ACPI_PM1A_CNT, 2) & 1, 1);
    io_pio_write(&vm->io, ACPI_PM1A_CNT, 2, 0x0001 | (0 << 10));
    cr_assert_not(vm->stop);
    io_pio_write(&vm->io, ACPI_PM1A_CNT, 2, 0x2001 | (0 << 10));    /* SLP_TYP 0 | SLP_EN */
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0);
    devtest_free(vm);
}

Test(acpi_pm, other_sleep_states_unsupported)
{
    struct vm *vm = devtest_vm();
    io_pio_write(&vm->io, ACPI_PM1A_CNT, 2, 0x2001 | (1 << 10));
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
    devtest_free(vm);
}
