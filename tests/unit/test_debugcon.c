/*
 * tests/unit/test_debugcon.c - port 0x402: bytes reach the --bios-log
 * file, reads say 0xE9; without the file the port is not there.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "devtest.h"
#include "devices/debugcon.h"

static struct vm *vm_with_log(const char *path)
{
    char err[256];
    struct vm *vm = vm_alloc();
    cr_assert(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, 16, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    cr_assert_eq(debugcon_open(vm, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(devices_init(vm, err, sizeof err), 0, "%s", err);
    return vm;
}

Test(debugcon, absent_without_a_log)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(inb(vm, DEBUGCON_PORT), 0xFF);
    outb(vm, DEBUGCON_PORT, 'x');           /* nobody there: dropped */
    devtest_free(vm);
}

Test(debugcon, bytes_reach_the_file_and_reads_say_e9)
{
    char path[] = "/tmp/vmm-debugcon-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct vm *vm = vm_with_log(path);
    cr_assert_eq(inb(vm, DEBUGCON_PORT), DEBUGCON_READBACK);
    for (const char *s = "SeaBIOS\n"; *s; s++)
        outb(vm, DEBUGCON_PORT, (uint8_t)*s);
    io_pio_write(&vm->io, DEBUGCON_PORT, 2, 0x2121);   /* the low byte only */
    cr_assert_eq(platform_of(vm)->debugcon.bytes, 9);
    devtest_free(vm);
    char buf[32] = { 0 };
    FILE *f = fopen(path, "r");
    cr_assert(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    unlink(path);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(buf, "SeaBIOS\n!");
}

Test(debugcon, bad_files_are_refused_by_name)
{
    char err[256] = "";
    struct vm *vm = vm_alloc();
    cr_assert(vm);
    cr_assert_eq(debugcon_open(vm, "/tmp", err, sizeof err), -1);
    cr_assert(strstr(err, "--bios-log /tmp: "), "%s", err);
    cr_assert_eq(debugcon_open(vm, "/nonexistent-dir/log", err, sizeof err), -1);
    cr_assert(strstr(err, "--bios-log /nonexistent-dir/log: "), "%s", err);
    char dir[] = "/tmp/vmm-debugcon-XXXXXX";
    cr_assert(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(debugcon_open(vm, fifo, err, sizeof err), -1);    /* no reader: at once */
    cr_assert(strstr(err, "FIFO with no reader"), "%s", err);
    unlink(fifo);
    rmdir(dir);
    devices_destroy(vm);
    free(vm);
}
