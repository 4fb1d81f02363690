/*
 * monitor/loader_fwlinux.c - a Linux kernel booted through the firmware,
 * as QEMU boots every -kernel (hw/i386/x86.c, x86_load_linux).
 *
 * The real-mode setup code runs: the firmware (SeaBIOS) starts, finds
 * QEMU's option ROM linuxboot.bin among its fw_cfg files, and at boot time
 * that ROM reads the kernel's parts from fw_cfg, copies them into place and
 * jumps to setup segment + 0x20 : 0, as a real-mode boot loader would.
 * This is the path for images that have no usable 32-bit entry (iPXE's
 * ipxe.lkrn, syslinux's memdisk, zImages, protocols before 2.02) and for
 * any bzImage under --bios.  vmm's part is only the boot loader's header
 * patching and the layout, QEMU's own, per protocol version:
 *
 *   protocol            setup (real_addr)  command line           kernel
 *   < 2.00 or zImage    0x90000            0x9A000 - aligned len  0x10000
 *   2.00, 2.01          0x90000            0x9A000 - aligned len  0x100000
 *   2.02 and later      0x10000            0x20000                0x100000
 *
 * The initrd goes page-aligned just below min(initrd_addr_max + 1, RAM end
 * - LX_FW_TOP_RESERVE); the ROM moves it lower if the firmware's memory
 * report (INT 15h E801) says that memory is taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/bootparam.h"
#include "monitor/options.h"
#include "monitor/vm.h"
#include "devices/fw_cfg.h"
#include "devices/platform.h"

#define PROTO(maj, min)   ((uint16_t)((maj) << 8 | (min)))
#define LX_FW_ROM_MAX     (64u * 1024)

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The header fields below are read at their file offsets (boot.rst); the
 * caller has checked that the file holds the first LX_HDR_MAX_END bytes. */
static uint16_t hdr_version(const struct kernel_image *k)
{
    return get16(k->data + 0x206);
}

int linux_needs_firmware(const struct kernel_image *k, char *why, size_t len)
{
    if (k->size < LX_HDR_MAX_END)
        return 0;
    uint16_t v = hdr_version(k);
    size_t setup = ((k->data[0x1F1] ? k->data[0x1F1] : LX_DEFAULT_SETUP_SECTS) + 1) * (size_t)LX_SECTOR;
    if (setup >= k->size)
        return 0;               /* truncated: linux_load() says so */
    uint64_t end = LX_HIGH_LOAD + (k->size - setup);
    uint32_t code32 = get32(k->data + 0x214);

    if (v < LX_MIN_VERSION)
        snprintf(why, len, "Linux boot protocol %u.%02u has no 32-bit entry (2.02 or later)",
                 v >> 8, v & 0xFF);
    else if (!(k->data[0x211] & LX_LOADED_HIGH))
        snprintf(why, len, "a zImage (loadflags LOADED_HIGH clear) loads below 1 MiB");
    else if (get32(k->data + 0x1F4) == 0)
        snprintf(why, len, "the header declares no protected-mode kernel (syssize 0)");
    else if (code32 < LX_HIGH_LOAD || code32 >= end)
        snprintf(why, len, "code32_start 0x%x is outside the protected-mode kernel", code32);
    else
        return 0;
    return 1;
}

/* The kernel's own limit on the command line (boot.rst, cmdline_size):
 * 255 characters before 2.06. */
static uint32_t cmdline_max(const struct kernel_image *k, uint16_t v)
{
    return v >= PROTO(2, 6) ? get32(k->data + 0x238) : 255;
}

static void place_parts(const struct kernel_image *k, uint16_t v, size_t cmdlen,
                        struct lx_fw_layout *l)
{
    uint32_t aligned = (uint32_t)((cmdlen + 16) & ~(size_t)15);
    l->protocol = v;
    if (v < PROTO(2, 0) || !(k->data[0x211] & LX_LOADED_HIGH)) {
        l->real_addr = 0x90000;
        l->cmdline_addr = 0x9A000 - aligned;
        l->prot_addr = 0x10000;
    } else if (v < PROTO(2, 2)) {
        l->real_addr = 0x90000;
        l->cmdline_addr = 0x9A000 - aligned;
        l->prot_addr = LX_HIGH_LOAD;
    } else {
        l->real_addr = 0x10000;
        l->cmdline_addr = 0x20000;
        l->prot_addr = LX_HIGH_LOAD;
    }
}

/* The highest address the initrd may occupy (boot.rst, initrd_addr_max;
 * any 32-bit address with XLF_CAN_BE_LOADED_ABOVE_4G), and never the top
 * of RAM, where the firmware keeps its tables. */
static uint64_t initrd_top(const struct kernel_image *k, uint16_t v, uint64_t ram)
{
    uint64_t max = 0x37FFFFFF;
    if (v >= PROTO(2, 12) && (get16(k->data + 0x236) & LX_XLF_ABOVE_4G))
        max = UINT32_MAX;
    else if (v >= PROTO(2, 3))
        max = get32(k->data + 0x22C);
    if (max >= ram - LX_FW_TOP_RESERVE)
        max = ram - LX_FW_TOP_RESERVE - 1;
    return max;
}

static int place_initrd(const struct kernel_image *k, uint64_t ram, uint64_t size,
                        struct lx_fw_layout *l, char *err, size_t errlen)
{
    uint64_t top = initrd_top(k, l->protocol, ram);
    uint64_t kernel_end = (uint64_t)l->prot_addr + l->kernel_len;
    if (l->protocol < PROTO(2, 0))
        return loader_error(err, errlen, k->path, "Linux boot protocol %u.%02u takes no initrd "
                            "(2.00 or later) (offset 0x206)", l->protocol >> 8, l->protocol & 0xFF);
    if (size >= top || ((top - size) & ~0xFFFull) < kernel_end)
        return loader_error(err, errlen, k->path,
                            "initrd of %llu bytes does not fit between the kernel's end 0x%llx and "
                            "0x%llx (--mem %llu MiB, the firmware's tables above)",
                            (unsigned long long)size, (unsigned long long)kernel_end,
                            (unsigned long long)top, (unsigned long long)(ram >> 20));
    l->initrd_addr = (uint32_t)((top - size) & ~0xFFFull);
    l->initrd_len = (uint32_t)size;
    return 0;
}

int linux_fw_layout(const struct kernel_image *k, uint64_t ram, size_t cmdlen,
                    const uint64_t *initrd_size, struct lx_fw_layout *l, char *err, size_t errlen)
{
    if (k->size < LX_HDR_MAX_END)
        return loader_error(err, errlen, k->path, "truncated Linux setup header (offset 0x%zx)",
                            k->size);
    memset(l, 0, sizeof *l);
    uint16_t v = hdr_version(k);
    place_parts(k, v, cmdlen, l);
    l->setup_len = ((k->data[0x1F1] ? k->data[0x1F1] : LX_DEFAULT_SETUP_SECTS) + 1) * LX_SECTOR;
    if (l->setup_len > k->size)
        return loader_error(err, errlen, k->path, "truncated: setup_sects %u needs 0x%x bytes of "
                            "setup code, the file holds 0x%zx (offset 0x1f1)",
                            k->data[0x1F1], l->setup_len, k->size);
    l->kernel_len = (uint32_t)(k->size - l->setup_len);
    l->cmdline_len = (uint32_t)cmdlen + 1;
    if (cmdlen > cmdline_max(k, v))
        return loader_error(err, errlen, k->path, "command line of %zu bytes is longer than the "
                            "kernel accepts (cmdline_size %u) (offset 0x238)", cmdlen, cmdline_max(k, v));
    if (l->cmdline_addr + (uint64_t)l->cmdline_len > LX_LOW_END)
        return loader_error(err, errlen, k->path, "command line of %zu bytes does not fit below "
                            "0x%x", cmdlen, LX_LOW_END);
    /* The setup code and its heap end 512 bytes below the command line
     * (which a long one below 0x9A000 could push under the setup code). */
    if (l->cmdline_addr < l->real_addr + 0x200 ||
        l->setup_len > l->cmdline_addr - l->real_addr - 0x200)
        return loader_error(err, errlen, k->path, "setup code of 0x%x bytes at 0x%x runs into the "
                            "command line at 0x%x (offset 0x1f1)", l->setup_len, l->real_addr,
                            l->cmdline_addr);
    uint64_t kernel_limit = l->prot_addr < LX_HIGH_LOAD ? l->real_addr : ram;
    if (l->prot_addr + (uint64_t)l->kernel_len > kernel_limit)
        return loader_error(err, errlen, k->path, "protected-mode kernel [0x%x, 0x%llx) does not "
                            "fit below 0x%llx (--mem %llu MiB)", l->prot_addr,
                            (unsigned long long)l->prot_addr + l->kernel_len,
                            (unsigned long long)kernel_limit, (unsigned long long)(ram >> 20));
    if (initrd_size)
        return place_initrd(k, ram, *initrd_size, l, err, errlen);
    return 0;
}

/* "vga=" on the command line sets vid_mode, as QEMU does for the setup
 * code's video mode selection: normal, ext, ask or a number.  -1 when
 * the value is none of those. */
static int vga_mode(const char *cmdline, uint16_t *mode)
{
    const char *v = strstr(cmdline, "vga=");
    if (!v)
        return 0;
    v += 4;
    if (strncmp(v, "normal", 6) == 0)
        *mode = 0xFFFF;
    else if (strncmp(v, "ext", 3) == 0)
        *mode = 0xFFFE;
    else if (strncmp(v, "ask", 3) == 0)
        *mode = 0xFFFD;
    else {
        char *end;
        unsigned long m = strtoul(v, &end, 0);
        if (end == v || (*end && *end != ' ') || m > 0xFFFF)
            return -1;
        *mode = (uint16_t)m;
    }
    return 1;
}

int linux_fw_patch(uint8_t *setup, const struct lx_fw_layout *l, const char *cmdline)
{
    uint16_t v = l->protocol, mode;
    int vga = vga_mode(cmdline, &mode);
    if (vga < 0)
        return -1;
    if (vga)
        put16(setup + 0x1FA, mode);
    if (v >= PROTO(2, 2)) {
        put32(setup + 0x228, l->cmdline_addr);
    } else {
        /* The old command line protocol: magic and offset from the setup
         * segment in the boot sector (boot.rst, 0x20 and 0x22). */
        put16(setup + 0x20, 0xA33F);
        put16(setup + 0x22, (uint16_t)(l->cmdline_addr - l->real_addr));
    }
    if (v >= PROTO(2, 0))
        setup[0x210] = LX_LOADER_QEMU;
    if (v >= PROTO(2, 1)) {
        setup[0x211] |= LX_CAN_USE_HEAP;
        put16(setup + 0x224, (uint16_t)(l->cmdline_addr - l->real_addr - 0x200));
    }
    if (l->initrd_len) {
        put32(setup + 0x218, l->initrd_addr);
        put32(setup + 0x21C, l->initrd_len);
    }
    return 0;
}

/* ---- the files ---- */

static uint8_t *dup_bytes(const void *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p)
        memcpy(p, src, len);
    return p;
}

static int read_whole(const char *path, const char *what, uint64_t max, uint8_t **buf,
                      uint64_t *size, char *err, size_t errlen)
{
    int fd;
    if (loader_open_regular(path, &fd, size, err, errlen) < 0)
        return -1;
    if (*size > max) {
        close(fd);
        return loader_error(err, errlen, path, "%s of %llu bytes is larger than %llu bytes", what,
                            (unsigned long long)*size, (unsigned long long)max);
    }
    *buf = malloc(*size ? *size : 1);
    if (!*buf)
        return close(fd), loader_error(err, errlen, path, "out of memory");
    int r = loader_read_buf(path, fd, *buf, *size, err, errlen);
    close(fd);
    if (r < 0) {
        free(*buf);
        *buf = NULL;
    }
    return r;
}

/* QEMU's linuxboot.bin: an option ROM (55 AA) the firmware runs.  Its
 * absence is told about the kernel that needs it. */
static int read_rom(const char *kernel, struct fw_cfg_linux *f, char *err, size_t errlen)
{
    uint8_t *rom;
    uint64_t size;
    if (access(VMM_LINUXBOOT_ROM, R_OK) != 0)
        return loader_error(err, errlen, kernel, "booting it through the firmware needs QEMU's "
                            "option ROM %s, which cannot be read (Debian package "
                            "qemu-system-data)", VMM_LINUXBOOT_ROM);
    if (read_whole(VMM_LINUXBOOT_ROM, "option ROM", LX_FW_ROM_MAX, &rom, &size, err, errlen) < 0)
        return -1;
    if (size < 512 || rom[0] != 0x55 || rom[1] != 0xAA) {
        free(rom);
        return loader_error(err, errlen, VMM_LINUXBOOT_ROM, "not an option ROM (no 55 AA at offset 0)");
    }
    f->rom = rom;
    f->rom_len = (uint32_t)size;
    return 0;
}

static void free_parts(struct fw_cfg_linux *f)
{
    free((void *)f->setup.data);
    free((void *)f->kernel.data);
    free((void *)f->cmdline.data);
    free((void *)f->initrd.data);
    free((void *)f->rom);
}

/* Everything the firmware gets, in host memory, before anything is handed
 * over. */
static int build_parts(struct vm *vm, const struct kernel_image *k, struct fw_cfg_linux *f,
                       char *err, size_t errlen)
{
    const char *cmdline = vm->opt.append ? vm->opt.append : "";
    struct lx_fw_layout l;
    uint8_t *initrd = NULL;
    uint64_t initrd_size = 0;

    if (vm->opt.initrd && read_whole(vm->opt.initrd, "initrd", vm->mem.size, &initrd,
                                     &initrd_size, err, errlen) < 0)
        return -1;
    f->initrd = (struct fw_cfg_blob){ 0, initrd, 0 };
    if (linux_fw_layout(k, vm->mem.size, strlen(cmdline), initrd ? &initrd_size : NULL, &l,
                        err, errlen) < 0)
        return -1;
    f->setup = (struct fw_cfg_blob){ l.real_addr, dup_bytes(k->data, l.setup_len), l.setup_len };
    f->kernel = (struct fw_cfg_blob){ l.prot_addr, dup_bytes(k->data + l.setup_len, l.kernel_len),
                                      l.kernel_len };
    f->cmdline = (struct fw_cfg_blob){ l.cmdline_addr, dup_bytes(cmdline, l.cmdline_len),
                                       l.cmdline_len };
    f->initrd = (struct fw_cfg_blob){ l.initrd_addr, initrd, l.initrd_len };
    if (!f->setup.data || !f->kernel.data || !f->cmdline.data)
        return loader_error(err, errlen, k->path, "out of memory");
    if (linux_fw_patch((uint8_t *)f->setup.data, &l, cmdline) < 0)
        return loader_error(err, errlen, k->path, "--append: vga= must be normal, ext, ask or a "
                            "number");
    return read_rom(k->path, f, err, errlen);
}

int linux_fw_load(struct vm *vm, const struct kernel_image *k, const char *bios,
                  char *err, size_t errlen)
{
    struct fw_cfg_linux f = { 0 };
    if (vm->opt.accel_kvm)
        return loader_error(err, errlen, k->path, "--accel kvm: this kernel boots through the "
                            "firmware, which the KVM engine does not run yet (--accel bt)");
    if (build_parts(vm, k, &f, err, errlen) < 0) {
        free_parts(&f);
        return -1;
    }
    vm->opt.bios = bios;
    if (loader_load_bios(vm, err, errlen) < 0) {
        free_parts(&f);
        return -1;
    }
    devices_linux_boot(vm, &f);
    return 0;
}
