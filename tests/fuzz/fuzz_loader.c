/*
 * tests/fuzz/fuzz_loader.c - the kernel loaders (monitor/loader*.c) on
 * arbitrary files: loader_load() reads the file, recognises a bzImage, a
 * Multiboot kernel or an ELF32 file, checks it against guest RAM and loads
 * it with its command line and initrd (or, for a kernel without a usable
 * 32-bit entry, hands it to the firmware: monitor/loader_fwlinux.c, which
 * then reads Debian's SeaBIOS and QEMU's linuxboot.bin from the host).  Whatever the bytes, it must return
 * 0 or -1 with a message naming the file, never read past the file nor
 * write outside guest RAM (guest_phys_ptr() gives NULL there, so a write
 * outside would crash; ASan catches reads past the file's buffer).
 *
 * Input: 4 bytes of options, then the kernel file.
 *   byte 0  bit 0: give an initrd; bits 1-7: --append of 32*n characters
 *   1..3    initrd size in units of 256 bytes, modulo twice the RAM (so
 *           that both fitting and too large are reached)
 */
#include "fuzz_common.h"
#include <fcntl.h>
#include "monitor/vm.h"
#include "monitor/loader.h"
#include "devices/irq.h"

#define RAM_MIB 32      /* Debian's bzImage asks for its run-time area at 16 MiB */
#define OPT_BYTES 4

static char kernel_path[128], initrd_path[128];
static char cmdline[128 * 32 + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(kernel_path, sizeof kernel_path, "%s/kernel", fuzz_scratch_dir());
    snprintf(initrd_path, sizeof initrd_path, "%s/initrd", fuzz_scratch_dir());
    return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t n, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot create %s", path);
    FUZZ_CHECK(n == 0 || write(fd, data, n) == (ssize_t)n, "short write to %s", path);
    FUZZ_CHECK(ftruncate(fd, size) == 0, "cannot size %s", path);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    uint32_t opt = fuzz_take(&in, 1);
    uint64_t initrd_size = (uint64_t)fuzz_take(&in, 3) * 256 % (2ull * RAM_MIB << 20);
    char err[512] = "";

    if (!kernel_path[0])
        LLVMFuzzerInitialize(NULL, NULL);
    write_file(kernel_path, in.p, in.left, in.left);
    size_t cmdlen = (opt >> 1) * 32;
    memset(cmdline, 'a', cmdlen);
    cmdline[cmdlen] = 0;
    if (opt & 1)
        write_file(initrd_path, NULL, 0, initrd_size);

    struct vm *vm = vm_alloc();
    FUZZ_CHECK(vm, "out of memory");
    FUZZ_CHECK(guest_mem_init(&vm->mem, RAM_MIB, err, sizeof err) == 0, "%s", err);
    vm->cpu.vm = vm;
    vm->opt.mem_mib = RAM_MIB;
    vm->opt.kernel = kernel_path;
    vm->opt.append = cmdlen ? cmdline : NULL;
    vm->opt.initrd = (opt & 1) ? initrd_path : NULL;

    int rc = loader_load(vm, err, sizeof err);
    if (getenv("FUZZ_VERBOSE"))         /* what each input did, for seeds */
        fprintf(stderr, "%s\n", rc == 0 ? "loaded" : err);
    FUZZ_CHECK(rc == 0 || rc == -1, "loader_load returned %d", rc);
    if (rc < 0)
        FUZZ_CHECK(strncmp(err, kernel_path, strlen(kernel_path)) == 0 ||
                   strncmp(err, initrd_path, strlen(initrd_path)) == 0,
                   "the error does not name the file: \"%s\"", err);
    else
        FUZZ_CHECK((vm->cpu.cr0 & 1) || vm->opt.bios,
                   "loaded, but the CPU is neither in protected mode nor at the firmware's reset");
    devices_destroy(vm);        /* a kernel for the firmware, and the firmware, are the platform's */
    guest_mem_destroy(&vm->mem);
    free(vm);
    return 0;
}
