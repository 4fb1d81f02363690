/*
 * monitor/loader.c - read the kernel file, recognise its format and hand it
 * to the format's loader; helpers shared by the format loaders.
 *
 * Recognition order (as GRUB does for Multiboot kernels):
 *   1. a Multiboot v1 header in the first 8 KiB -> loader_multiboot.c
 *      (a.out-kludge addresses when header flag 16 is set, else ELF32);
 *   2. an ELF file -> loader_elf.c, then the same Multiboot entry state, so
 *      that plain ELF test guests find EAX = 0x2BADB002 and EBX = info too.
 * Before both, a Linux setup header ("HdrS" at 0x202) means a bzImage,
 * booted through the Linux boot protocol (loader_linux.c).
 * Guest RAM is written only through vm->mem.ram.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "monitor/loader.h"
#include "monitor/bootparam.h"
#include "monitor/options.h"
#include "monitor/vm.h"

/* Refuse absurd files before malloc'ing them: nothing bigger fits in RAM. */
#define KERNEL_MAX_BYTES (3072ull << 20)

int loader_error(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, errlen, "%s: ", path);
    if (n < 0 || (size_t)n >= errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - n, fmt, ap);
    va_end(ap);
    return -1;
}

int loader_open_regular(const char *path, int *fd, uint64_t *size, char *err, size_t errlen)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * refused as not a regular file); it changes nothing for a file. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0)
        return loader_error(err, errlen, path, "cannot open: %s", strerror(errno));
    if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        return loader_error(err, errlen, path, "not a regular file");
    }
    *size = st.st_size;
    return 0;
}

int loader_read_buf(const char *path, int fd, void *buf, uint64_t size, char *err, size_t errlen)
{
    uint8_t *dst = buf;
    for (uint64_t done = 0; done < size; ) {
        ssize_t n = pread(fd, dst + done, size - done, (off_t)done);
        if (n <= 0)
            return loader_error(err, errlen, path, "read error at offset 0x%llx: %s",
                                (unsigned long long)done, n < 0 ? strerror(errno) : "short file");
        done += (uint64_t)n;
    }
    return 0;
}

int loader_read_file(struct vm *vm, const char *path, int fd, uint64_t pa, uint64_t size,
                       char *err, size_t errlen)
{
    return loader_read_buf(path, fd, guest_phys_ptr(&vm->mem, pa, size), size, err, errlen);
}

int loader_check_ram(struct vm *vm, const char *path, const char *what,
                     uint64_t pa, uint64_t len, char *err, size_t errlen)
{
    if (guest_mem_is_ram(&vm->mem, pa, len))
        return 0;
    return loader_error(err, errlen, path,
                        "%s [0x%llx, 0x%llx) does not fit in guest RAM (--mem %llu MiB)",
                        what, (unsigned long long)pa, (unsigned long long)(pa + len),
                        (unsigned long long)(vm->mem.size >> 20));
}

void loader_copy(struct vm *vm, uint64_t pa, const void *src, uint64_t filesz, uint64_t memsz)
{
    uint8_t *dst = guest_phys_ptr(&vm->mem, pa, memsz);
    memcpy(dst, src, filesz);
    memset(dst + filesz, 0, memsz - filesz);
}

/* Read the whole file into a malloc'ed buffer. */
static int read_file(const char *path, struct kernel_image *k, char *err, size_t errlen)
{
    int fd;
    uint64_t size;
    if (loader_open_regular(path, &fd, &size, err, errlen) < 0)
        return -1;
    if (size > KERNEL_MAX_BYTES) {
        close(fd);
        return loader_error(err, errlen, path, "file of %llu bytes is larger than any guest RAM",
                            (unsigned long long)size);
    }
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return loader_error(err, errlen, path, "out of memory");
    }
    int r = loader_read_buf(path, fd, buf, size, err, errlen);
    close(fd);
    if (r < 0) {
        free(buf);
        return -1;
    }
    *k = (struct kernel_image){ .path = path, .data = buf, .size = size };
    return 0;
}

static bool is_elf(const struct kernel_image *k)
{
    return k->size >= 4 && memcmp(k->data, "\177ELF", 4) == 0;
}

bool loader_kernel_needs_firmware(const char *path)
{
    uint8_t hdr[LX_HDR_MAX_END];
    char err[256], why[160];
    int fd;
    uint64_t size;
    if (loader_open_regular(path, &fd, &size, err, sizeof err) < 0)
        return false;
    bool ok = size >= sizeof hdr && loader_read_buf(path, fd, hdr, sizeof hdr, err, sizeof err) == 0;
    close(fd);
    /* The image is the header only, with the file's size: the two checks
     * read nothing past LX_HDR_MAX_END. */
    struct kernel_image k = { .path = path, .data = hdr, .size = size };
    return ok && linux_probe(&k) && linux_needs_firmware(&k, why, sizeof why);
}

/* A Linux kernel starts at its 32-bit entry, unless --bios asks for the
 * firmware or that entry cannot start it: then the firmware runs its
 * real-mode setup code, as under QEMU. */
static int load_linux(struct vm *vm, const struct kernel_image *k, char *err, size_t errlen)
{
    char why[160];
    if (vm->opt.bios)
        return linux_fw_load(vm, k, vm->opt.bios, err, errlen);
    if (!linux_needs_firmware(k, why, sizeof why))
        return linux_load(vm, k, err, errlen);
    if (access(VMM_DEFAULT_BIOS, R_OK) != 0)
        return loader_error(err, errlen, k->path, "%s, so only its real-mode setup code can start "
                            "it, which needs a firmware: %s is not there (Debian package seabios)",
                            why, VMM_DEFAULT_BIOS);
    fprintf(stderr, "vmm: %s: %s: booting it through the firmware (%s)\n", k->path, why,
            VMM_DEFAULT_BIOS);
    return linux_fw_load(vm, k, VMM_DEFAULT_BIOS, err, errlen);
}

int loader_load(struct vm *vm, char *err, size_t errlen)
{
    struct kernel_image k;
    struct load_result r = { 0 };
    size_t hdr_off;
    int rc;

    if (vm->opt.bios && !vm->opt.kernel)
        return loader_load_bios(vm, err, errlen);
    if (!vm->opt.kernel) {
        snprintf(err, errlen, "no kernel given");
        return -1;
    }
    if (read_file(vm->opt.kernel, &k, err, errlen) < 0)
        return -1;

    if (linux_probe(&k)) {
        rc = load_linux(vm, &k, err, errlen);
        free((void *)k.data);
        return rc;
    }
    if (vm->opt.bios) {
        free((void *)k.data);
        return loader_error(err, errlen, k.path, "--bios with a Multiboot or ELF kernel: only a "
                            "Linux kernel (bzImage) is handed to the firmware");
    }
    rc = mb_probe(&k, &hdr_off, err, errlen);
    if (rc > 0)
        rc = mb_load_kernel(vm, &k, hdr_off, &r, err, errlen);
    else if (rc == 0 && is_elf(&k))
        rc = loader_elf32(vm, &k, &r, err, errlen);
    else if (rc == 0)
        rc = loader_error(err, errlen, k.path,
                          "not an ELF file and no Multiboot header in the first %d bytes (offset 0x0)",
                          8192);
    free((void *)k.data);
    if (rc < 0)
        return -1;
    return mb_boot(vm, &r, err, errlen);
}
