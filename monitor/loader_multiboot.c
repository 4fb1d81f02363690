/*
 * monitor/loader_multiboot.c - Multiboot v1 (Multiboot Specification 0.6.96):
 * the kernel header, the a.out-kludge load, the information structure and
 * the machine state at entry.
 *
 * Boot-time memory layout chosen by vmm (docs/usage.md):
 *
 *   kernel image              where its header / ELF program headers say
 *   info area (page aligned)  at max(1 MiB, page_align(kernel end)):
 *       struct mb_info, memory map, module list, cmdline, loader name,
 *       module strings
 *   module 0 (--initrd)       at the next page boundary after the info area
 *
 * Nothing is placed below 1 MiB, so nothing lands in the PC hole where the
 * VGA text buffer lives even if the kernel itself is loaded low.  The command
 * line is exactly the --append text (GRUB would put the kernel path first;
 * our guests parse options only, so vmm does not).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "monitor/loader.h"
#include "monitor/multiboot.h"
#include "monitor/vm.h"
#include "devices/bios_data.h"

#define PAGE_ALIGN(x) (((x) + GUEST_PAGE_SIZE - 1) & ~(uint64_t)(GUEST_PAGE_SIZE - 1))
#define MIB 0x100000u

/* Physical memory map handed to the kernel: the one the BIOS reports with
 * E820 (devices/bios_data.h), in Multiboot's entry format. */
static int build_mmap(uint64_t size, struct mb_mmap_entry *m)
{
    struct fw_mem_range r[FW_MEM_RANGES];
    int n = bios_memory_map(size, r);
    for (int i = 0; i < n; i++)
        m[i] = (struct mb_mmap_entry){ 20, r[i].base, r[i].len,
                                       r[i].type == FW_MEM_USABLE ? MB_MMAP_AVAILABLE
                                                                  : MB_MMAP_RESERVED };
    return n;
}
#define MMAP_ENTRIES FW_MEM_RANGES

int mb_probe(const struct kernel_image *k, size_t *hdr_off, char *err, size_t errlen)
{
    size_t limit = k->size < MB_SEARCH_BYTES ? k->size : MB_SEARCH_BYTES;
    long bad = -1;

    for (size_t off = 0; off + 4 <= limit; off += MB_HEADER_ALIGN) {
        uint32_t w[3];
        memcpy(w, k->data + off, 4);
        if (w[0] != MB_HEADER_MAGIC)
            continue;
        if (off + MB_HEADER_MIN_SIZE > k->size)
            return loader_error(err, errlen, k->path,
                                "truncated Multiboot header (offset 0x%zx)", off);
        memcpy(w, k->data + off, sizeof w);
        if (w[0] + w[1] + w[2] == 0) {
            *hdr_off = off;
            return 1;
        }
        if (bad < 0)
            bad = (long)off;
    }
    if (bad >= 0) {
        uint32_t w[3];
        memcpy(w, k->data + bad, sizeof w);
        return loader_error(err, errlen, k->path,
                            "bad Multiboot checksum 0x%08x, expected 0x%08x (offset 0x%lx)",
                            w[2], -(w[0] + w[1]), bad + 8);
    }
    return 0;
}

/* Header flags 0..15 are requirements; refuse those vmm cannot meet. */
static int check_required_flags(const struct kernel_image *k, size_t off, uint32_t flags,
                                char *err, size_t errlen)
{
    /* Bit 0 (page-aligned modules) and bit 1 (memory information) are
     * always honoured: modules start on pages, mem_* and mmap are given. */
    uint32_t unmet = flags & MB_HF_REQUIRED_MASK & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO);
    if (unmet & MB_HF_VIDEO_MODE)
        return loader_error(err, errlen, k->path,
                            "Multiboot header requires a graphics mode (flag 2), which vmm "
                            "cannot provide (offset 0x%zx)", off + 4);
    if (unmet)
        return loader_error(err, errlen, k->path,
                            "Multiboot header requires unknown features (flags 0x%04x) "
                            "(offset 0x%zx)", unmet, off + 4);
    return 0;
}

/* Flag 16: the header says where the image goes (spec 3.1.3). */
static int load_aout_kludge(struct vm *vm, const struct kernel_image *k, size_t off,
                            const struct mb_header *h, struct load_result *r,
                            char *err, size_t errlen)
{
    uint64_t file_start, load_size, end;

    if (off + MB_HEADER_AOUT_SIZE > k->size)
        return loader_error(err, errlen, k->path,
                            "truncated Multiboot header: address fields missing (offset 0x%zx)",
                            off + MB_HEADER_MIN_SIZE);
    if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > off)
        return loader_error(err, errlen, k->path,
                            "Multiboot load_addr 0x%x does not fit header_addr 0x%x at file "
                            "offset 0x%zx (offset 0x%zx)",
                            h->load_addr, h->header_addr, off, off + 16);
    file_start = off - (h->header_addr - h->load_addr);
    if (h->load_end_addr == 0) {
        load_size = k->size - file_start;
    } else {
        if (h->load_end_addr < h->load_addr)
            return loader_error(err, errlen, k->path,
                                "Multiboot load_end_addr 0x%x below load_addr 0x%x (offset 0x%zx)",
                                h->load_end_addr, h->load_addr, off + 20);
        load_size = h->load_end_addr - h->load_addr;
        if (file_start + load_size > k->size)
            return loader_error(err, errlen, k->path,
                                "truncated: Multiboot image needs file bytes [0x%llx, 0x%llx) "
                                "but the file ends (offset 0x%zx)",
                                (unsigned long long)file_start,
                                (unsigned long long)(file_start + load_size), k->size);
    }
    end = h->load_addr + load_size;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < end)
            return loader_error(err, errlen, k->path,
                                "Multiboot bss_end_addr 0x%x below the end of the image 0x%llx "
                                "(offset 0x%zx)", h->bss_end_addr, (unsigned long long)end,
                                off + 24);
        end = h->bss_end_addr;
    }
    if (loader_check_ram(vm, k->path, "Multiboot image", h->load_addr, end - h->load_addr,
                         err, errlen) < 0)
        return -1;
    loader_copy(vm, h->load_addr, k->data + file_start, load_size, end - h->load_addr);
    r->entry = h->entry_addr;
    r->end = end;
    return 0;
}

int mb_load_kernel(struct vm *vm, const struct kernel_image *k, size_t off,
                   struct load_result *r, char *err, size_t errlen)
{
    struct mb_header h = { 0 };
    size_t avail = k->size - off;

    memcpy(&h, k->data + off, avail < sizeof h ? avail : sizeof h);
    if (check_required_flags(k, off, h.flags, err, errlen) < 0)
        return -1;
    if (h.flags & MB_HF_AOUT_KLUDGE)
        return load_aout_kludge(vm, k, off, &h, r, err, errlen);
    if (k->size < 4 || memcmp(k->data, "\177ELF", 4) != 0)
        return loader_error(err, errlen, k->path,
                            "Multiboot header without load addresses (flag 16) and not an ELF "
                            "file (offset 0x0)");
    return loader_elf32(vm, k, r, err, errlen);
}

/* ---- the information structure ---- */

struct mb_area {                 /* where each piece goes, guest-physical */
    uint64_t info, mmap, mods, cmdline, name, modname, end;
};

static void layout(uint64_t base, size_t cmdlen, size_t modnamelen, int nmods, struct mb_area *a)
{
    a->info = base;
    a->mmap = a->info + ((sizeof(struct mb_info) + 7) & ~7ul);
    a->mods = a->mmap + MMAP_ENTRIES * sizeof(struct mb_mmap_entry);
    a->cmdline = a->mods + nmods * sizeof(struct mb_module);
    a->name = a->cmdline + cmdlen + 1;
    a->modname = a->name + sizeof "vmm";
    a->end = a->modname + (nmods ? modnamelen + 1 : 0);
}

static void put(struct vm *vm, uint64_t pa, const void *src, size_t n)
{
    memcpy(guest_phys_ptr(&vm->mem, pa, n), src, n);
}

static void write_info(struct vm *vm, const struct mb_area *a, const char *cmdline,
                       const char *modname, uint64_t mod_pa, uint64_t mod_size)
{
    struct mb_mmap_entry mmap[MMAP_ENTRIES];
    int nmmap = build_mmap(vm->mem.size, mmap);
    struct mb_info info = {
        .flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
                 MB_INFO_LOADER_NAME,
        .mem_lower = FW_BASE_MEM_KIB,                   /* 639 KiB, as the BDA says */
        .mem_upper = (uint32_t)((vm->mem.size - MIB) / 1024),
        .cmdline = (uint32_t)a->cmdline,
        .mods_count = modname ? 1 : 0,
        .mods_addr = (uint32_t)a->mods,
        .mmap_length = nmmap * sizeof(struct mb_mmap_entry),
        .mmap_addr = (uint32_t)a->mmap,
        .boot_loader_name = (uint32_t)a->name,
    };
    put(vm, a->info, &info, sizeof info);
    put(vm, a->mmap, mmap, sizeof mmap);
    put(vm, a->cmdline, cmdline, strlen(cmdline) + 1);
    put(vm, a->name, "vmm", sizeof "vmm");
    if (modname) {
        struct mb_module mod = { (uint32_t)mod_pa, (uint32_t)(mod_pa + mod_size),
                                 (uint32_t)a->modname, 0 };
        put(vm, a->mods, &mod, sizeof mod);
        put(vm, a->modname, modname, strlen(modname) + 1);
    }
}

int mb_boot(struct vm *vm, const struct load_result *r, char *err, size_t errlen)
{
    const char *cmdline = vm->opt.append ? vm->opt.append : "";
    const char *initrd = vm->opt.initrd;
    struct mb_area a;
    uint64_t mod_pa = 0, mod_size = 0;
    int fd = -1;

    layout(PAGE_ALIGN(r->end > MIB ? r->end : MIB), strlen(cmdline),
           initrd ? strlen(initrd) : 0, initrd ? 1 : 0, &a);
    if (loader_check_ram(vm, vm->opt.kernel, "Multiboot information", a.info,
                         a.end - a.info, err, errlen) < 0)
        return -1;
    if (initrd) {
        if (loader_open_regular(initrd, &fd, &mod_size, err, errlen) < 0)
            return -1;
        mod_pa = PAGE_ALIGN(a.end);
        if (loader_check_ram(vm, initrd, "module", mod_pa, mod_size, err, errlen) < 0 ||
            loader_read_file(vm, initrd, fd, mod_pa, mod_size, err, errlen) < 0) {
            close(fd);
            return -1;
        }
        close(fd);
    }
    write_info(vm, &a, cmdline, initrd, mod_pa, mod_size);

    /* Machine state at entry (spec 3.2): protected mode, paging off, flat
     * segments, IF = 0, EAX = magic, EBX = physical address of the info. */
    vcpu_reset_protected_flat(&vm->cpu);
    vm->cpu.gpr[R_EAX] = MB_BOOT_MAGIC;
    vm->cpu.gpr[R_EBX] = (uint32_t)a.info;
    vm->cpu.eip = r->entry;
    return 0;
}
