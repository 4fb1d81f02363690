/*
 * tests/unit/test_acpi_pm.c - PM timer and the S5 power-off request.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include "devtest.h"
#include "devices/acpi_pm.h"
#include "devices/firmware_tables.h"

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

Test(acpi_pm, unpromised_sleep_types_do_nothing)
{
    struct vm *vm = devtest_vm();
    for (unsigned typ = 1; typ < 8; typ++) {
        io_pio_write(&vm->io, ACPI_PM1A_CNT, 2, 0x2001 | (typ << 10));
        cr_assert_not(vm->stop, "SLP_TYP %u", typ);
        uint16_t cnt = io_pio_read(&vm->io, ACPI_PM1A_CNT, 2);
        cr_assert_eq(cnt & 0x2000, 0, "SLP_EN reads 0");
        cr_assert_eq((cnt >> 10) & 7, typ, "SLP_TYP reads back");
        cr_assert_eq(io_pio_read(&vm->io, ACPI_PM1A_EVT, 2) & 0x8000, 0, "no WAK_STS");
    }
    cr_assert_eq(platform_of(vm)->pm.sleeps_ignored, 7);
    devtest_free(vm);
}

Test(acpi_pm, dsdt_promises_only_s5)
{
    struct vm *vm = devtest_vm();
    const uint8_t *d = vm->mem.ram + FW_DSDT;
    uint32_t len;
    memcpy(&len, d + 4, 4);
    for (char s = '0'; s <= '4'; s++) {
        char name[5] = { '_', 'S', s, '_', 0 };
        cr_assert_null(memmem(d, len, name, 4), "the DSDT names %s", name);
    }
    cr_assert_not_null(memmem(d, len, "_S5_", 4));
    devtest_free(vm);
}
