/*
 * monitor/loader_linux.c - the Linux/x86 boot protocol, 32-bit entry
 * (Documentation/x86/boot.rst), for bzImages (Debian's linux-image-*-686)
 * and for programs that borrow the protocol (memtest86+ia32.bin).
 *
 * vmm plays the part of a boot loader that has already run the kernel's
 * real-mode setup code's job itself: it does not load the setup sectors,
 * it fills the zero page as that code would after asking the BIOS (E820
 * memory map, 80x25 text mode) and it enters the protected-mode kernel
 * directly, as boot.rst's "32-bit BOOT PROTOCOL" section allows.
 *
 * Guest-physical layout (monitor/bootparam.h, docs/linux-guest.md):
 *
 *   0x10000   boot_params (the zero page), ESI at entry
 *   0x11000   GDT: null, unused, __BOOT_CS (0x10), __BOOT_DS (0x18)
 *   0x12000   command line (--append), NUL-terminated
 *   0x100000  protected-mode kernel: the file from (setup_sects+1)*512 on
 *   top       initrd: as high as possible below min(initrd_addr_max+1,
 *             RAM end), page aligned, above everything the kernel uses
 *
 * Every check is made before anything is written to guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "monitor/bootparam.h"
#include "monitor/vm.h"
#include "cpu/segments.h"
#include "devices/firmware_tables.h"
#include "devices/bios_data.h"

#define PROTO(maj, min)   ((uint16_t)((maj) << 8 | (min)))
#define PAGE_MASK_4K      0xFFFull
#define LOW_RAM_END       ((unsigned long long)FW_EBDA) /* conventional memory below the EBDA */
#define MIB               ((unsigned long long)FW_HIGH_MEM)

/* What linux_load() decided, before anything is written. */
struct lx_plan {
    struct setup_header hdr;        /* as in the file (zero past its end) */
    size_t hdr_end;                 /* file offset one past the header */
    size_t setup_bytes;             /* boot sector + setup sectors */
    uint64_t kernel_pa, kernel_len; /* the protected-mode image */
    uint64_t kernel_end;            /* one past everything the kernel uses early */
    const char *cmdline;
    size_t cmdlen;
    const char *initrd;             /* NULL: none */
    int initrd_fd;
    uint64_t initrd_pa, initrd_size;
};

int linux_probe(const struct kernel_image *k)
{
    uint32_t magic;
    if (k->size < LX_HDRS_OFFSET + 4)
        return 0;
    memcpy(&magic, k->data + LX_HDRS_OFFSET, 4);
    return magic == LX_HDRS_MAGIC;
}

/* ---- checks ---- */

static int read_header(const struct kernel_image *k, struct lx_plan *p, char *err, size_t errlen)
{
    struct setup_header *h = &p->hdr;
    size_t avail;

    if (k->size < offsetof(struct boot_params, hdr.version) + 2)
        return loader_error(err, errlen, k->path,
                            "truncated Linux setup header: no protocol version (offset 0x%zx)",
                            k->size);
    /* The header ends where the short jump at 0x200 lands (boot.rst). */
    p->hdr_end = LX_HDRS_OFFSET + k->data[0x201];
    if (p->hdr_end > LX_HDR_MAX_END)
        p->hdr_end = LX_HDR_MAX_END;
    avail = (p->hdr_end < k->size ? p->hdr_end : k->size) - LX_HDR_OFFSET;
    memset(h, 0, sizeof *h);
    memcpy(h, k->data + LX_HDR_OFFSET, avail < sizeof *h ? avail : sizeof *h);

    if (h->version < LX_MIN_VERSION)
        return loader_error(err, errlen, k->path,
                            "Linux boot protocol %u.%02u is too old: vmm needs 2.02 or later "
                            "(offset 0x206)", h->version >> 8, h->version & 0xFF);
    if (!(h->loadflags & LX_LOADED_HIGH))
        return loader_error(err, errlen, k->path,
                            "zImage (loadflags LOADED_HIGH clear): vmm loads only bzImages, "
                            "whose kernel goes at 1 MiB (offset 0x211)");
    p->setup_bytes = ((h->setup_sects ? h->setup_sects : LX_DEFAULT_SETUP_SECTS) + 1)
                     * (size_t)LX_SECTOR;
    if (p->setup_bytes < p->hdr_end || k->size <= p->setup_bytes)
        return loader_error(err, errlen, k->path,
                            "truncated: setup_sects %u needs 0x%zx bytes of setup code and a "
                            "kernel after them, but the file ends (offset 0x%zx)",
                            h->setup_sects, p->setup_bytes, k->size);
    p->kernel_len = k->size - p->setup_bytes;
    /* syssize counts 16-byte paragraphs (a full 32 bits from 2.04), rounded
     * up: memtest86+ 6.10's file is 8 bytes shorter than syssize * 16. */
    if (h->version >= PROTO(2, 4) && (uint64_t)h->syssize * 16 > p->kernel_len + 15)
        return loader_error(err, errlen, k->path,
                            "truncated: syssize says 0x%llx bytes of protected-mode kernel, the "
                            "file holds 0x%llx (offset 0x%zx)",
                            (unsigned long long)h->syssize * 16,
                            (unsigned long long)p->kernel_len, k->size);
    return 0;
}

/* Where the kernel runs while it decompresses (boot.rst, init_size): a
 * relocatable kernel moves to its load address (raised to pref_address)
 * rounded up to kernel_alignment; any other kernel to pref_address. */
static uint64_t runtime_start(const struct setup_header *h, uint64_t load)
{
    if (h->relocatable_kernel) {
        uint64_t a = h->kernel_alignment;
        if (load < h->pref_address)
            load = h->pref_address;
        if (a && !(a & (a - 1)))
            load = (load + a - 1) & ~(a - 1);
        return load;
    }
    return h->pref_address ? h->pref_address : load;
}

static int plan_kernel(struct vm *vm, const struct kernel_image *k, struct lx_plan *p,
                       char *err, size_t errlen)
{
    const struct setup_header *h = &p->hdr;

    p->kernel_pa = LX_HIGH_LOAD;
    if (loader_check_ram(vm, k->path, "protected-mode kernel", p->kernel_pa, p->kernel_len,
                         err, errlen) < 0)
        return -1;
    if (h->code32_start < p->kernel_pa || h->code32_start >= p->kernel_pa + p->kernel_len)
        return loader_error(err, errlen, k->path,
                            "code32_start 0x%x is outside the kernel loaded at [0x%llx, 0x%llx) "
                            "(offset 0x214)", h->code32_start,
                            (unsigned long long)p->kernel_pa,
                            (unsigned long long)(p->kernel_pa + p->kernel_len));
    p->kernel_end = p->kernel_pa + p->kernel_len;
    if (h->version >= PROTO(2, 10)) {
        uint64_t start = runtime_start(h, p->kernel_pa);
        if (start < LX_HIGH_LOAD)
            return loader_error(err, errlen, k->path,
                                "pref_address 0x%llx lies below 1 MiB (offset 0x258)",
                                (unsigned long long)h->pref_address);
        if (loader_check_ram(vm, k->path, "kernel's run-time area (pref_address + init_size)",
                             start, h->init_size, err, errlen) < 0)
            return -1;
        if (start + h->init_size > p->kernel_end)
            p->kernel_end = start + h->init_size;
    }
    return 0;
}

static int plan_cmdline(struct vm *vm, const struct kernel_image *k, struct lx_plan *p,
                        char *err, size_t errlen)
{
    /* Before 2.06 the limit was 255 characters (boot.rst, cmdline_size). */
    uint32_t max = p->hdr.version >= PROTO(2, 6) ? p->hdr.cmdline_size : 255;

    p->cmdline = vm->opt.append ? vm->opt.append : "";
    p->cmdlen = strlen(p->cmdline);
    if (p->cmdlen > max)
        return loader_error(err, errlen, k->path,
                            "command line of %zu bytes is longer than the kernel accepts "
                            "(cmdline_size %u) (offset 0x238)", p->cmdlen, max);
    if (LX_CMDLINE + p->cmdlen + 1 > LOW_RAM_END)
        return loader_error(err, errlen, k->path,
                            "command line of %zu bytes does not fit below 0x%llx",
                            p->cmdlen, LOW_RAM_END);
    return 0;
}

/* Highest page-aligned spot below min(initrd_addr_max + 1, RAM end). */
static int plan_initrd(struct vm *vm, struct lx_plan *p, char *err, size_t errlen)
{
    uint64_t top;

    p->initrd = vm->opt.initrd;
    p->initrd_fd = -1;
    if (!p->initrd)
        return 0;
    if (loader_open_regular(p->initrd, &p->initrd_fd, &p->initrd_size, err, errlen) < 0) {
        p->initrd_fd = -1;
        return -1;
    }

    /* initrd_addr_max is the last byte the initrd may occupy; before 2.03
     * it was fixed at 0x37FFFFFF. */
    top = (p->hdr.version >= PROTO(2, 3) ? p->hdr.initrd_addr_max : 0x37FFFFFFu) + 1ull;
    if (top > vm->mem.size)
        top = vm->mem.size;
    if (p->initrd_size > top || ((top - p->initrd_size) & ~PAGE_MASK_4K) < p->kernel_end)
        return loader_error(err, errlen, p->initrd,
                            "initrd of %llu bytes does not fit between the kernel's end 0x%llx "
                            "and 0x%llx (--mem %llu MiB, initrd_addr_max 0x%x)",
                            (unsigned long long)p->initrd_size,
                            (unsigned long long)p->kernel_end, (unsigned long long)top,
                            (unsigned long long)(vm->mem.size >> 20), p->hdr.initrd_addr_max);
    p->initrd_pa = (top - p->initrd_size) & ~PAGE_MASK_4K;
    return 0;
}

/* ---- writing ---- */

/* The memory map a PC BIOS reports through INT 15h, E820h. */
static int build_e820(uint64_t ram, struct lx_e820_entry *e)
{
    struct fw_mem_range r[FW_MEM_RANGES];
    int n = bios_memory_map(ram, r);
    for (int i = 0; i < n; i++)
        e[i] = (struct lx_e820_entry){ r[i].base, r[i].len,
                                       r[i].type == FW_MEM_USABLE ? LX_E820_RAM : LX_E820_RESERVED };
    return n;
}

/* The text-mode facts the real-mode setup code would have asked the video
 * BIOS for: mode 3, 80x25, VGA (INT 10h AH=12h BL=10h answers BX=0003h). */
static void fill_screen_info(struct lx_screen_info *s)
{
    s->orig_video_mode = 3;
    s->orig_video_cols = 80;
    s->orig_video_lines = 25;
    s->orig_video_isVGA = 1;
    s->orig_video_points = 16;
    s->orig_video_ega_bx = 0x0003;
}

static void write_boot_params(struct vm *vm, const struct kernel_image *k,
                              const struct lx_plan *p)
{
    struct boot_params bp;
    uint64_t ext_k = (vm->mem.size - MIB) >> 10;

    memset(&bp, 0, sizeof bp);     /* sentinel (0x1EF) included */
    memcpy((uint8_t *)&bp + LX_HDR_OFFSET, k->data + LX_HDR_OFFSET,
           p->hdr_end - LX_HDR_OFFSET);
    fill_screen_info(&bp.screen_info);
    bp.screen_info.ext_mem_k = ext_k > 0xFFFF ? 0xFFFF : (uint16_t)ext_k;
    bp.alt_mem_k = (uint32_t)ext_k;
    bp.e820_entries = (uint8_t)build_e820(vm->mem.size, bp.e820_table);

    bp.hdr.type_of_loader = LX_LOADER_UNDEFINED;
    bp.hdr.cmd_line_ptr = LX_CMDLINE;
    if (p->initrd) {
        bp.hdr.ramdisk_image = (uint32_t)p->initrd_pa;
        bp.hdr.ramdisk_size = (uint32_t)p->initrd_size;
    }
    /* No real-mode setup code runs, so its heap (heap_end_ptr,
     * CAN_USE_HEAP) means nothing; the file's values are left as they are. */
    if (p->hdr.version >= PROTO(2, 14))
        bp.acpi_rsdp_addr = FW_RSDP;
    memcpy(guest_phys_ptr(&vm->mem, LX_BOOT_PARAMS, sizeof bp), &bp, sizeof bp);
}

/* Flat 4 GiB segments, granularity 4 KiB, 32-bit, accessed (SDM vol. 3A
 * 3.4.5): code execute/read (type 0xB), data read/write (type 0x3). */
static const uint64_t boot_gdt[LX_GDT_ENTRIES] = {
    0,
    0,
    0x00CF9B000000FFFFull,      /* 0x10 __BOOT_CS */
    0x00CF93000000FFFFull,      /* 0x18 __BOOT_DS */
};

/* boot.rst, 32-bit BOOT PROTOCOL: protected mode, paging off, a GDT with
 * flat __BOOT_CS/__BOOT_DS, CS = __BOOT_CS, DS = ES = SS = __BOOT_DS,
 * interrupts off, ESI = boot_params, EBP = EDI = EBX = 0. */
static void set_entry_state(struct vm *vm, uint32_t entry)
{
    struct vcpu *c = &vm->cpu;

    vcpu_reset_protected_flat(c);           /* all GPRs 0, IF = 0, CR0 = PE|ET */
    c->gdtr = (struct dtr){ LX_GDT, sizeof boot_gdt - 1 };
    /* The real-mode setup code leaves a null IDT (limit 0): a fault before
     * the kernel loads its own ends in a triple fault, visibly. */
    c->idtr = (struct dtr){ 0, 0 };
    seg_set_raw(&c->seg[S_CS], LX_BOOT_CS, 0, 0xFFFFFFFFu, 0xC09B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], LX_BOOT_DS, 0, 0xFFFFFFFFu, 0xC093);
    c->gpr[R_ESI] = LX_BOOT_PARAMS;
    c->eip = entry;
}

int linux_load(struct vm *vm, const struct kernel_image *k, char *err, size_t errlen)
{
    struct lx_plan p = { .initrd_fd = -1 };
    int rc = -1;

    if (read_header(k, &p, err, errlen) < 0 ||
        plan_kernel(vm, k, &p, err, errlen) < 0 ||
        plan_cmdline(vm, k, &p, err, errlen) < 0 ||
        plan_initrd(vm, &p, err, errlen) < 0)
        goto out;

    loader_copy(vm, p.kernel_pa, k->data + p.setup_bytes, p.kernel_len, p.kernel_len);
    if (p.initrd && loader_read_file(vm, p.initrd, p.initrd_fd, p.initrd_pa, p.initrd_size,
                                     err, errlen) < 0)
        goto out;
    write_boot_params(vm, k, &p);
    memcpy(guest_phys_ptr(&vm->mem, LX_GDT, sizeof boot_gdt), boot_gdt, sizeof boot_gdt);
    memcpy(guest_phys_ptr(&vm->mem, LX_CMDLINE, p.cmdlen + 1), p.cmdline, p.cmdlen + 1);
    set_entry_state(vm, p.hdr.code32_start);
    rc = 0;
out:
    if (p.initrd_fd >= 0)
        close(p.initrd_fd);
    return rc;
}
