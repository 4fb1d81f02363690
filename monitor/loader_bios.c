/*
 * monitor/loader_bios.c - vmm --bios FILE: boot a PC firmware image from
 * the reset vector instead of loading a kernel.
 *
 * The image (a multiple of 64 KiB, 64 to 256 KiB: SeaBIOS's bios.bin is
 * 128 or 256 KiB) becomes the ROM that ends at 4 GiB (devices/rom.h), and
 * its last 128 KiB are also copied to 0xE0000-0xFFFFF (the last 64 KiB to
 * 0xF0000 for a 64 KiB image), where a PC's chipset shows the same ROM
 * below 1 MiB.  That copy is plain writable RAM: the chipset's PAM
 * registers, which make it read-only or write-through to RAM, are not
 * modelled (docs/usage.md).  The CPU starts in its RESET state (SDM vol.
 * 3A 9.1.1), real mode at F000:FFF0 = 0xFFFFFFF0.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/loader.h"
#include "monitor/vm.h"
#include "cpu/realmode.h"
#include "devices/rom.h"
#include "devices/platform.h"

#define LOW_ALIAS_MAX (128u * 1024)     /* 0xE0000-0xFFFFF */
#define VGA_BIOS_MAX  (128u * 1024)     /* 0xC0000-0xDFFFF */

int loader_load_bios(struct vm *vm, char *err, size_t errlen)
{
    const char *path = vm->opt.bios;
    int fd;
    uint64_t size;
    if (loader_open_regular(path, &fd, &size, err, errlen) < 0)
        return -1;
    if (size == 0 || size % ROM_BLOCK || size > ROM_MAX_SIZE) {
        close(fd);
        return loader_error(err, errlen, path, "firmware image of %llu bytes: must be 64, 128, "
                            "192 or 256 KiB", (unsigned long long)size);
    }
    if (vm->mem.size < 0x100000)
        return close(fd), loader_error(err, errlen, path, "guest RAM must cover the first MiB");
    uint8_t *rom = malloc(size);
    if (!rom)
        return close(fd), loader_error(err, errlen, path, "out of memory");
    int r = loader_read_buf(path, fd, rom, size, err, errlen);
    close(fd);
    if (r < 0) {
        free(rom);
        return -1;
    }
    uint32_t low = size < LOW_ALIAS_MAX ? (uint32_t)size : LOW_ALIAS_MAX;
    loader_copy(vm, 0x100000 - low, rom + size - low, low, low);
    devices_firmware(vm, rom, (uint32_t)size);
    vcpu_reset_power_on(&vm->cpu);
    return 0;
}

/* The VGA BIOS for --display: an option ROM (0x55 0xAA, at most the
 * 128 KiB from 0xC0000 to 0xDFFFF where a PC's ROMs go) that SeaBIOS gets
 * through fw_cfg and runs; the platform keeps it. */
int loader_load_vga_bios(struct vm *vm, const char *path, char *err, size_t errlen)
{
    int fd;
    uint64_t size;
    if (loader_open_regular(path, &fd, &size, err, errlen) < 0)
        return -1;
    if (size < 512 || size > VGA_BIOS_MAX) {
        close(fd);
        return loader_error(err, errlen, path, "VGA BIOS of %llu bytes: must be 512 bytes to 128 KiB",
                            (unsigned long long)size);
    }
    uint8_t *rom = malloc(size);
    if (!rom)
        return close(fd), loader_error(err, errlen, path, "out of memory");
    int r = loader_read_buf(path, fd, rom, size, err, errlen);
    close(fd);
    if (r == 0 && (rom[0] != 0x55 || rom[1] != 0xAA))
        r = loader_error(err, errlen, path, "not an option ROM (no 55 AA at offset 0)");
    if (r < 0) {
        free(rom);
        return -1;
    }
    devices_vga_bios(vm, rom, (uint32_t)size);
    return 0;
}
