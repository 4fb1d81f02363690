/*
 * monitor/loader.h - putting a guest kernel into memory.
 *
 * Contract: loader_load() opens vm->opt.kernel, recognises its format
 * (Multiboot v1 header in the first 8 KiB, else ELF32 i386 via libelf; Linux
 * bzImage), copies it into guest RAM, builds what the
 * format promises the kernel (Multiboot info with memory sizes, memory map,
 * command line, modules from --initrd) and sets the initial CPU state.
 * On bad input it changes nothing the user owns and returns -1 with a
 * one-line message naming the file and the problem (offset where it helps).
 */
#ifndef MONITOR_LOADER_H
#define MONITOR_LOADER_H

#include <stdbool.h>
#include <stddef.h>

struct vm;

int loader_load(struct vm *vm, char *err, size_t errlen);
/* --bios: the firmware image instead of a kernel (monitor/loader_bios.c):
 * the ROM at 4 GiB and its copy below 1 MiB, the CPU in its RESET state. */
int loader_load_bios(struct vm *vm, char *err, size_t errlen);
/* --display with a firmware: the VGA BIOS at path, handed to the platform
 * (devices_vga_bios()) for the firmware to run; -1 with err[] set when it
 * cannot be read or is no option ROM. */
int loader_load_vga_bios(struct vm *vm, const char *path, char *err, size_t errlen);
/* Is the file at path a Linux kernel that only the firmware can start
 * (linux_needs_firmware())?  Reads its header only; false for anything
 * unreadable or not Linux (loader_load() then says what is wrong). */
bool loader_kernel_needs_firmware(const char *path);

/* ---- shared by the loader's own files (loader*.c); not for other modules ---- */

#include <stdint.h>

/* A kernel file read whole into host memory. */
struct kernel_image {
    const char *path;
    const uint8_t *data;
    size_t size;
};

/* What a format loader placed in guest RAM. */
struct load_result {
    uint32_t entry;             /* EIP at kernel entry */
    uint64_t end;               /* one past the highest guest-physical byte loaded (bss included) */
};

/* Always returns -1, after writing "PATH: <message>" into err[]. */
int loader_error(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Is [pa, pa+len) inside guest RAM?  Else a "does not fit" message. */
int loader_check_ram(struct vm *vm, const char *path, const char *what,
                     uint64_t pa, uint64_t len, char *err, size_t errlen);

/* Open an input file (kernel, initial ramdisk, firmware), which must be a
 * regular file, and learn its size; -1 with err[] set (and nothing left
 * open) otherwise.  A FIFO is refused without waiting for a writer. */
int loader_open_regular(const char *path, int *fd, uint64_t *size, char *err, size_t errlen);
/* Read size bytes of fd from offset 0 into buf; a short file is an error
 * naming the offset. */
int loader_read_buf(const char *path, int fd, void *buf, uint64_t size, char *err, size_t errlen);
/* Read size bytes of fd into guest-physical pa (checked by the caller). */
int loader_read_file(struct vm *vm, const char *path, int fd, uint64_t pa, uint64_t size,
                     char *err, size_t errlen);

/* Copy filesz bytes to guest-physical pa and zero up to memsz (checked
 * with loader_check_ram first). */
void loader_copy(struct vm *vm, uint64_t pa, const void *src, uint64_t filesz, uint64_t memsz);

/* ELF32 i386 ET_EXEC: copy each PT_LOAD segment to its p_paddr. */
int loader_elf32(struct vm *vm, const struct kernel_image *k, struct load_result *r,
                 char *err, size_t errlen);

/* Multiboot v1.  mb_probe(): 1 and the header offset when the image has a
 * valid header, 0 when it has none, -1 with err[] set when it has a broken
 * one (bad checksum, truncated). */
int mb_probe(const struct kernel_image *k, size_t *hdr_off, char *err, size_t errlen);
/* Load a kernel with a Multiboot header (a.out kludge or ELF). */
int mb_load_kernel(struct vm *vm, const struct kernel_image *k, size_t hdr_off,
                   struct load_result *r, char *err, size_t errlen);
/* Build the info structure, command line and modules (--initrd) above
 * r->end and set the Multiboot entry state (EAX, EBX, EIP). */
int mb_boot(struct vm *vm, const struct load_result *r, char *err, size_t errlen);

#endif
