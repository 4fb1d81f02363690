/*
 * Unit tests of the Linux boot protocol loader (monitor/loader_linux.c),
 * reached through loader_load() as vmm does.  Every bzImage is synthetic:
 * a boot sector with the setup header, setup sectors, and a patterned
 * protected-mode payload, written by the test into a temporary directory
 * and loaded into a 64 MiB guest whose RAM is poisoned with 0xAA first.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/vm.h"
#include "monitor/loader.h"
#include "monitor/bootparam.h"
#include "cpu/segments.h"
#include "devices/firmware_tables.h"

#define MIB 0x100000u
#define RAM_MIB 64
#define POISON 0xAA

static char tmpdir[64];
static struct vm *vm;
static char err[512];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/vmm-lxtest.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    vm = vm_alloc();
    cr_assert_not_null(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, RAM_MIB, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    vm->opt.mem_mib = RAM_MIB;
    memset(vm->mem.ram, POISON, vm->mem.size);
}

static void teardown(void)
{
    char cmd[128];
    guest_mem_destroy(&vm->mem);
    free(vm);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(loader_linux, .init = setup, .fini = teardown);

static const char *write_file(const char *name, const void *data, size_t n)
{
    static char paths[4][160];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    return p;
}

/* ---- synthetic bzImages ---- */

struct bz {
    uint16_t version;
    uint8_t setup_sects;
    uint8_t loadflags;
    uint32_t code32_start;
    uint32_t initrd_addr_max;
    uint8_t relocatable;
    uint32_t kernel_alignment;
    uint32_t cmdline_size;
    uint64_t pref_address;
    uint32_t init_size;
    uint32_t payload;           /* bytes of protected-mode kernel */
    uint32_t syssize_extra;     /* paragraphs claimed beyond the payload */
};

/* A Debian-686-like header: protocol 2.15, relocatable, 16 MiB aligned. */
static struct bz linux_like(void)
{
    return (struct bz){
        .version = 0x020F, .setup_sects = 3, .loadflags = LX_LOADED_HIGH,
        .code32_start = 0x100000, .initrd_addr_max = 0x7FFFFFFF, .relocatable = 1,
        .kernel_alignment = 16 * MIB, .cmdline_size = 2047, .pref_address = 16 * MIB,
        .init_size = 4 * MIB, .payload = 0x3000,
    };
}

/* memtest86+ (boot/setup.S): protocol 2.12, not relocatable, 255-byte
 * command line, loaded at and entered at 1 MiB. */
static struct bz memtest_like(void)
{
    return (struct bz){
        .version = 0x020C, .setup_sects = 4, .loadflags = LX_LOADED_HIGH,
        .code32_start = 0x100000, .initrd_addr_max = 0xFFFFFFFF, .relocatable = 0,
        .kernel_alignment = 0, .cmdline_size = 255, .pref_address = 0x100000,
        .init_size = 0x60000, .payload = 0x5000,
    };
}

static uint8_t payload_byte(uint32_t i) { return (uint8_t)(i * 7 + 3); }

static size_t setup_bytes(const struct bz *b)
{
    return ((b->setup_sects ? b->setup_sects : 4) + 1) * 512u;
}

/* Fill buf (zeroed by the caller, big enough) and return the file size. */
static size_t build_bz(uint8_t *buf, const struct bz *b)
{
    struct setup_header h = {
        .setup_sects = b->setup_sects,
        .syssize = b->payload / 16 + b->syssize_extra,
        .vid_mode = 0xFFFF,
        .boot_flag = LX_BOOT_FLAG,
        .jump = { 0xEB, sizeof(struct setup_header) + LX_HDR_OFFSET - LX_HDRS_OFFSET },
        .header = LX_HDRS_MAGIC,
        .version = b->version,
        .kernel_version = 0x1234,
        .loadflags = b->loadflags,
        .code32_start = b->code32_start,
        .heap_end_ptr = 0x5000,
        .initrd_addr_max = b->initrd_addr_max,
        .kernel_alignment = b->kernel_alignment,
        .relocatable_kernel = b->relocatable,
        .cmdline_size = b->cmdline_size,
        .pref_address = b->pref_address,
        .init_size = b->init_size,
    };
    size_t off = setup_bytes(b);
    memcpy(buf + LX_HDR_OFFSET, &h, sizeof h);
    buf[0x1EF] = 0xFF;              /* the file's "sentinel" byte must not reach the zero page */
    for (uint32_t i = 0; i < b->payload; i++)
        buf[off + i] = payload_byte(i);
    return off + b->payload;
}

static const char *write_bz(const struct bz *b)
{
    size_t cap = setup_bytes(b) + b->payload;
    uint8_t *buf = calloc(1, cap);
    cr_assert_not_null(buf);
    size_t n = build_bz(buf, b);
    const char *path = write_file("bzImage", buf, n);
    free(buf);
    return path;
}

static int load(const char *kernel, const char *initrd, const char *append)
{
    vm->opt.kernel = kernel;
    vm->opt.initrd = initrd;
    vm->opt.append = append;
    err[0] = 0;
    return loader_load(vm, err, sizeof err);
}

static struct boot_params *zero_page(void)
{
    static struct boot_params bp;
    memcpy(&bp, vm->mem.ram + LX_BOOT_PARAMS, sizeof bp);
    return &bp;
}

static bool all_bytes(uint64_t pa, uint64_t n, uint8_t v)
{
    for (uint64_t i = 0; i < n; i++)
        if (vm->mem.ram[pa + i] != v)
            return false;
    return true;
}

/* ---- where things land ---- */

Test(loader_linux, probe_needs_hdrs_at_0x202)
{
    uint8_t buf[0x400] = { 0 };
    struct kernel_image k = { "x", buf, sizeof buf };
    cr_assert_eq(linux_probe(&k), 0);
    memcpy(buf + 0x202, "HdrS", 4);
    cr_assert_eq(linux_probe(&k), 1);
    k.size = 0x205;
    cr_assert_eq(linux_probe(&k), 0, "a file too short for the magic is not a bzImage");
}

Test(loader_linux, kernel_lands_at_1mib)
{
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, "console=ttyS0"), 0, "%s", err);
    for (uint32_t i = 0; i < b.payload; i++)
        cr_assert_eq(vm->mem.ram[MIB + i], payload_byte(i), "kernel byte %u", i);
    cr_assert(all_bytes(MIB + b.payload, 0x1000, POISON), "nothing written past the kernel");
    /* The setup sectors are not loaded anywhere (the 32-bit protocol does
     * not need them): the classic real-mode spot 0x90000 is untouched. */
    cr_assert(all_bytes(0x90000, 0x8000, POISON));
}

Test(loader_linux, setup_sects_zero_means_four)
{
    struct bz b = linux_like();
    b.setup_sects = 0;
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    cr_assert_eq(vm->mem.ram[MIB], payload_byte(0));
    cr_assert_eq(vm->mem.ram[MIB + 1], payload_byte(1));
}

/* ---- the zero page ---- */

Test(loader_linux, boot_params_header_and_loader_fields)
{
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, "console=ttyS0 quiet"), 0, "%s", err);
    struct boot_params *bp = zero_page();

    /* The header is copied from the file ... */
    cr_assert_eq(bp->hdr.boot_flag, LX_BOOT_FLAG);
    cr_assert_eq(bp->hdr.header, LX_HDRS_MAGIC);
    cr_assert_eq(bp->hdr.version, 0x020F);
    cr_assert_eq(bp->hdr.setup_sects, 3);
    cr_assert_eq(bp->hdr.kernel_version, 0x1234);
    cr_assert_eq(bp->hdr.code32_start, 0x100000);
    cr_assert_eq(bp->hdr.init_size, 4 * MIB);
    cr_assert_eq(bp->hdr.heap_end_ptr, 0x5000);
    cr_assert_eq(bp->hdr.loadflags, LX_LOADED_HIGH);
    /* ... with the loader's own fields filled in. */
    cr_assert_eq(bp->hdr.type_of_loader, 0xFF);
    cr_assert_eq(bp->hdr.cmd_line_ptr, LX_CMDLINE);
    cr_assert_str_eq((char *)vm->mem.ram + LX_CMDLINE, "console=ttyS0 quiet");
    cr_assert_eq(bp->hdr.ramdisk_image, 0);
    cr_assert_eq(bp->hdr.ramdisk_size, 0);
    cr_assert_eq(bp->sentinel, 0, "the zero page is zeroed: the kernel must not sanitize it");
    cr_assert_eq(bp->ext_ramdisk_image, 0);
    cr_assert_eq(bp->ext_cmd_line_ptr, 0);
    cr_assert_eq(bp->alt_mem_k, (RAM_MIB - 1) * 1024);
    cr_assert_eq(bp->screen_info.ext_mem_k, (RAM_MIB - 1) * 1024);
    cr_assert_eq(bp->acpi_rsdp_addr, FW_RSDP, "protocol 2.14+: RSDP address given");
}

Test(loader_linux, screen_info_is_80x25_vga_text)
{
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    struct boot_params *bp = zero_page();
    cr_assert_eq(bp->screen_info.orig_video_mode, 3);
    cr_assert_eq(bp->screen_info.orig_video_cols, 80);
    cr_assert_eq(bp->screen_info.orig_video_lines, 25);
    cr_assert_eq(bp->screen_info.orig_video_isVGA, 1);
    cr_assert_eq(bp->screen_info.orig_video_points, 16);
    cr_assert_eq(bp->screen_info.orig_x, 0);
    cr_assert_eq(bp->screen_info.orig_y, 0);
}

Test(loader_linux, no_append_gives_an_empty_command_line)
{
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    cr_assert_eq(zero_page()->hdr.cmd_line_ptr, LX_CMDLINE);
    cr_assert_eq(vm->mem.ram[LX_CMDLINE], 0);
}

Test(loader_linux, no_rsdp_field_before_2_14)
{
    struct bz b = memtest_like();
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    cr_assert_eq(zero_page()->acpi_rsdp_addr, 0);
}

Test(loader_linux, e820_table)
{
    static const struct lx_e820_entry want[] = {
        { 0,        0x9FC00,             LX_E820_RAM },
        { 0x9FC00,  0x400,               LX_E820_RESERVED },
        { 0xA0000,  0x60000,             LX_E820_RESERVED },   /* VGA, ROMs, BIOS */
        { MIB,      (RAM_MIB - 1) * MIB, LX_E820_RAM },
    };
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    struct boot_params *bp = zero_page();
    cr_assert_eq(bp->e820_entries, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(bp->e820_table[i].addr, want[i].addr, "entry %d", i);
        cr_assert_eq(bp->e820_table[i].size, want[i].size, "entry %d", i);
        cr_assert_eq(bp->e820_table[i].type, want[i].type, "entry %d", i);
    }
    cr_assert_eq(bp->e820_table[4].size, 0, "nothing after the 4 entries");
    /* Raw offsets, as the kernel reads them: e820_entries at 0x1E8, the
     * table at 0x2D0, 20 bytes an entry. */
    uint8_t *z = vm->mem.ram + LX_BOOT_PARAMS;
    uint32_t type3;
    cr_assert_eq(z[0x1E8], 4);
    memcpy(&type3, z + 0x2D0 + 3 * 20 + 16, 4);
    cr_assert_eq(type3, LX_E820_RAM);
}

/* ---- initrd ---- */

static const char *write_initrd(size_t n)
{
    uint8_t *d = malloc(n);
    cr_assert_not_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)(i ^ (i >> 8));
    const char *p = write_file("initrd", d, n);
    free(d);
    return p;
}

static void check_initrd_at(uint32_t pa, size_t n)
{
    struct boot_params *bp = zero_page();
    cr_assert_eq(bp->hdr.ramdisk_image, pa, "ramdisk_image 0x%x, expected 0x%x",
                 bp->hdr.ramdisk_image, pa);
    cr_assert_eq(bp->hdr.ramdisk_size, n);
    cr_assert_eq(pa & 0xFFF, 0, "page aligned");
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(vm->mem.ram[pa + i], (uint8_t)(i ^ (i >> 8)), "initrd byte %zu", i);
}

Test(loader_linux, initrd_as_high_as_possible)
{
    struct bz b = linux_like();
    size_t n = 5000;
    cr_assert_eq(load(write_bz(&b), write_initrd(n), NULL), 0, "%s", err);
    check_initrd_at((RAM_MIB * MIB - n) & ~0xFFFu, n);
}

Test(loader_linux, initrd_below_initrd_addr_max)
{
    struct bz b = linux_like();
    size_t n = 0x2345;
    b.initrd_addr_max = 32 * MIB - 1;        /* last byte it may occupy */
    cr_assert_eq(load(write_bz(&b), write_initrd(n), NULL), 0, "%s", err);
    check_initrd_at((32 * MIB - n) & ~0xFFFu, n);
}

Test(loader_linux, initrd_too_big_for_memory)
{
    struct bz b = linux_like();      /* kernel uses [16 MiB, 20 MiB) while decompressing */
    const char *rd = write_initrd(45 * MIB);
    cr_assert_eq(load(write_bz(&b), rd, NULL), -1);
    cr_assert(strstr(err, rd) == err, "message names the initrd: %s", err);
    cr_assert(strstr(err, "does not fit"), "%s", err);
    cr_assert(all_bytes(MIB, 0x1000, POISON), "nothing loaded on error");
    cr_assert(all_bytes(LX_BOOT_PARAMS, 0x1000, POISON), "no zero page on error");
}

Test(loader_linux, initrd_just_fits_above_the_kernel)
{
    struct bz b = linux_like();
    size_t n = 44 * MIB;             /* 64 - 20 MiB */
    cr_assert_eq(load(write_bz(&b), write_initrd(n), NULL), 0, "%s", err);
    cr_assert_eq(zero_page()->hdr.ramdisk_image, 20 * MIB);
}

/* ---- CPU state at entry ---- */

static void check_gdt_matches(int sreg)
{
    const struct seg *s = &vm->cpu.seg[sreg];
    struct desc d;
    cr_assert_leq((uint32_t)(s->sel | 7), vm->cpu.gdtr.limit, "selector inside the GDT");
    memcpy(&d, vm->mem.ram + vm->cpu.gdtr.base + (s->sel & ~7u), sizeof d);
    cr_assert_eq(desc_base(d), s->base);
    cr_assert_eq(desc_limit(d), s->limit);
    cr_assert_eq(desc_attr(d), s->attr);
    cr_assert(desc_present(d));
    cr_assert_eq(desc_dpl(d), 0);
}

Test(loader_linux, entry_state_32bit_protocol)
{
    struct bz b = linux_like();
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    struct vcpu *c = &vm->cpu;

    cr_assert_eq(c->eip, 0x100000);
    cr_assert_eq(c->gpr[R_ESI], LX_BOOT_PARAMS);
    cr_assert_eq(c->gpr[R_EBP], 0);
    cr_assert_eq(c->gpr[R_EDI], 0);
    cr_assert_eq(c->gpr[R_EBX], 0);
    cr_assert(c->cr0 & CR0_PE, "protected mode");
    cr_assert_not(c->cr0 & CR0_PG, "paging off");
    cr_assert_not(vcpu_get_eflags(c) & FL_IF, "interrupts off");
    cr_assert_eq(c->cpl, 0);

    cr_assert_eq(c->seg[S_CS].sel, LX_BOOT_CS);
    cr_assert_eq(c->seg[S_CS].attr, 0xC09B, "32-bit execute/read, 4 KiB granular");
    for (int s = 0; s < S_NSEG; s++) {
        cr_assert_eq(c->seg[s].base, 0);
        cr_assert_eq(c->seg[s].limit, 0xFFFFFFFFu);
        if (s != S_CS) {
            cr_assert_eq(c->seg[s].sel, LX_BOOT_DS);
            cr_assert_eq(c->seg[s].attr, 0xC093, "32-bit read/write data");
        }
        check_gdt_matches(s);
    }
    cr_assert_eq(c->gdtr.base, LX_GDT);
    cr_assert_eq(c->gdtr.limit, LX_GDT_ENTRIES * 8 - 1);
    cr_assert_eq(c->idtr.limit, 0, "null IDT, as the real-mode setup code leaves it");
}

Test(loader_linux, memtest_like_header_enters_at_code32_start)
{
    struct bz b = memtest_like();
    b.code32_start = 0x100000 + 0x200;
    cr_assert_eq(load(write_bz(&b), NULL, "btrace"), 0, "%s", err);
    cr_assert_eq(vm->cpu.eip, 0x100200);
    cr_assert_eq(vm->cpu.gpr[R_ESI], LX_BOOT_PARAMS);
    cr_assert_eq(vm->mem.ram[MIB], payload_byte(0), "still loaded at 1 MiB");
    cr_assert_eq(zero_page()->hdr.code32_start, 0x100200);
    cr_assert_str_eq((char *)vm->mem.ram + LX_CMDLINE, "btrace");
}

/* ---- bad input: one line naming the file, nothing loaded ---- */

static void expect_error(const char *path, const char *what)
{
    cr_assert(strstr(err, path) == err, "message starts with the file name: %s", err);
    cr_assert(strstr(err, what), "message says '%s': %s", what, err);
    cr_assert_null(strchr(err, '\n'), "one line");
    cr_assert(all_bytes(MIB, 0x1000, POISON), "nothing loaded on error");
}

Test(loader_linux, truncated_setup)
{
    uint8_t buf[0x800] = { 0 };
    build_bz(buf, &(struct bz){ .version = 0x020F, .setup_sects = 8, .loadflags = 1,
                                .code32_start = MIB });
    const char *p = write_file("short", buf, sizeof buf);   /* needs 9 * 512 */
    cr_assert_eq(load(p, NULL, NULL), -1);
    expect_error(p, "truncated");
}

Test(loader_linux, truncated_header)
{
    uint8_t buf[0x206] = { 0 };
    memcpy(buf + 0x202, "HdrS", 4);
    const char *p = write_file("hdr", buf, sizeof buf);
    cr_assert_eq(load(p, NULL, NULL), -1);
    expect_error(p, "truncated");
}

Test(loader_linux, syssize_beyond_the_file)
{
    struct bz b = linux_like();
    b.syssize_extra = 1;
    const char *p = write_bz(&b);
    cr_assert_eq(load(p, NULL, NULL), -1);
    expect_error(p, "syssize");
}

Test(loader_linux, syssize_rounded_up_to_a_paragraph)
{
    struct bz b = memtest_like();
    b.payload = 0x5008;             /* syssize 0x501 paragraphs: 8 bytes more than the file */
    b.syssize_extra = 1;
    cr_assert_eq(load(write_bz(&b), NULL, NULL), 0, "%s", err);
    cr_assert_eq(vm->mem.ram[MIB + 0x5007], payload_byte(0x5007));
}

/* The 32-bit entry's own refusals, which loader_load() never reaches for
 * such a kernel: linux_needs_firmware() sends it to the firmware first. */
static int direct(const struct bz *b)
{
    static uint8_t buf[0x10000];
    memset(buf, 0, sizeof buf);
    cr_assert_leq(setup_bytes(b) + b->payload, sizeof buf);
    struct kernel_image k = { "bzImage", buf, build_bz(buf, b) };
    char why[160];
    cr_assert_eq(linux_needs_firmware(&k, why, sizeof why), 1, "the firmware's: %s", why);
    err[0] = 0;
    return linux_load(vm, &k, err, sizeof err);
}

Test(loader_linux, old_protocol)
{
    struct bz b = linux_like();
    b.version = 0x0201;
    cr_assert_eq(direct(&b), -1);
    expect_error("bzImage", "2.01 is too old");
}

Test(loader_linux, zimage_refused)
{
    struct bz b = linux_like();
    b.loadflags = 0;
    cr_assert_eq(direct(&b), -1);
    expect_error("bzImage", "zImage");
}

Test(loader_linux, kernel_larger_than_ram)
{
    struct bz b = memtest_like();
    b.payload = RAM_MIB * MIB;
    const char *p = write_bz(&b);
    cr_assert_eq(load(p, NULL, NULL), -1);
    cr_assert(strstr(err, p) == err && strstr(err, "does not fit in guest RAM"), "%s", err);
}

Test(loader_linux, runtime_area_larger_than_ram)
{
    struct bz b = linux_like();
    b.init_size = 60 * MIB;          /* 16 MiB + 60 MiB > 64 MiB */
    const char *p = write_bz(&b);
    cr_assert_eq(load(p, NULL, NULL), -1);
    expect_error(p, "run-time area");
}

Test(loader_linux, command_line_too_long)
{
    struct bz b = memtest_like();
    char line[300];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = 0;
    const char *p = write_bz(&b);
    cr_assert_eq(load(p, NULL, line), -1);
    expect_error(p, "cmdline_size 255");
}

Test(loader_linux, code32_start_outside_the_kernel)
{
    struct bz b = memtest_like();
    b.code32_start = 0x8000;
    cr_assert_eq(direct(&b), -1);
    expect_error("bzImage", "code32_start");
}

Test(loader_linux, missing_initrd)
{
    struct bz b = linux_like();
    const char *rd = "/nonexistent/initrd.cpio";
    cr_assert_eq(load(write_bz(&b), rd, NULL), -1);
    expect_error(rd, "cannot open");
}

/* ---- through the firmware (monitor/loader_fwlinux.c) ---- */

static uint8_t fwbuf[0x40000];

/* The image of b in fwbuf, as loader_load() would hold it. */
static struct kernel_image fw_image(const struct bz *b)
{
    memset(fwbuf, 0, sizeof fwbuf);
    cr_assert_leq(setup_bytes(b) + b->payload, sizeof fwbuf);
    return (struct kernel_image){ "bzImage", fwbuf, build_bz(fwbuf, b) };
}

static const char *needs_firmware(const struct kernel_image *k)
{
    static char why[160];
    return linux_needs_firmware(k, why, sizeof why) ? why : NULL;
}

Test(loader_linux, which_kernels_need_the_firmware)
{
    struct bz b = linux_like();
    struct kernel_image k = fw_image(&b);
    cr_assert_null(needs_firmware(&k), "Debian-like: the 32-bit entry");
    b = memtest_like();
    k = fw_image(&b);
    cr_assert_null(needs_firmware(&k), "memtest-like: the 32-bit entry");

    b = linux_like();
    b.version = 0x0201;
    k = fw_image(&b);
    cr_assert(strstr(needs_firmware(&k), "2.01"));
    b = linux_like();
    b.loadflags = 0;
    k = fw_image(&b);
    cr_assert(strstr(needs_firmware(&k), "zImage"));
    b = linux_like();
    b.code32_start = 0;                     /* ipxe.lkrn's header */
    k = fw_image(&b);
    cr_assert(strstr(needs_firmware(&k), "code32_start 0x0"));
    b = linux_like();
    b.code32_start = MIB + b.payload;       /* one past the image */
    k = fw_image(&b);
    cr_assert_not_null(needs_firmware(&k));
    b = linux_like();
    k = fw_image(&b);
    memset(fwbuf + 0x1F4, 0, 4);            /* memdisk's: syssize 0 */
    cr_assert(strstr(needs_firmware(&k), "syssize 0"));
}

static struct lx_fw_layout layout_of(const struct bz *b, size_t cmdlen, const uint64_t *initrd, int rc)
{
    struct kernel_image k = fw_image(b);
    struct lx_fw_layout l;
    err[0] = 0;
    cr_assert_eq(linux_fw_layout(&k, RAM_MIB * MIB, cmdlen, initrd, &l, err, sizeof err), rc,
                 "%s", err);
    return l;
}

/* QEMU's layout for a 2.02+ kernel: setup at 0x10000, command line at
 * 0x20000, kernel at 1 MiB, the initrd page-aligned below the firmware's
 * tables at the top of RAM. */
Test(loader_linux, fw_layout_high_kernel)
{
    struct bz b = linux_like();
    uint64_t rd = 0x12345;
    struct lx_fw_layout l = layout_of(&b, 10, &rd, 0);
    cr_assert_eq(l.real_addr, 0x10000);
    cr_assert_eq(l.cmdline_addr, 0x20000);
    cr_assert_eq(l.prot_addr, MIB);
    cr_assert_eq(l.setup_len, 4 * 512);
    cr_assert_eq(l.kernel_len, b.payload);
    cr_assert_eq(l.cmdline_len, 11);
    uint64_t top = RAM_MIB * MIB - LX_FW_TOP_RESERVE - 1;
    cr_assert_eq(l.initrd_addr, (top - rd) & ~0xFFFull);
    cr_assert_eq(l.initrd_len, rd);
}

Test(loader_linux, fw_layout_initrd_below_initrd_addr_max)
{
    struct bz b = linux_like();
    b.initrd_addr_max = 32 * MIB - 1;
    uint64_t rd = 0x1000;
    struct lx_fw_layout l = layout_of(&b, 0, &rd, 0);
    cr_assert_eq(l.initrd_addr, 32 * MIB - 0x2000);
    struct lx_fw_layout none = layout_of(&b, 0, NULL, 0);
    cr_assert_eq(none.initrd_addr, 0);
    cr_assert_eq(none.initrd_len, 0);
}

/* Below 2.02 (and any zImage) the setup code runs at 0x90000 with the
 * command line just below 0x9A000, 16-byte aligned with room to spare. */
Test(loader_linux, fw_layout_old_and_low_kernels)
{
    struct bz b = linux_like();
    b.version = 0x0201;
    struct lx_fw_layout l = layout_of(&b, 20, NULL, 0);
    cr_assert_eq(l.real_addr, 0x90000);
    cr_assert_eq(l.cmdline_addr, 0x9A000 - 32);
    cr_assert_eq(l.prot_addr, MIB);
    b = linux_like();
    b.loadflags = 0;
    l = layout_of(&b, 0, NULL, 0);
    cr_assert_eq(l.real_addr, 0x90000);
    cr_assert_eq(l.cmdline_addr, 0x9A000 - 16);
    cr_assert_eq(l.prot_addr, 0x10000);
}

Test(loader_linux, fw_layout_refusals)
{
    struct bz b = linux_like();
    uint64_t rd = RAM_MIB * MIB;
    layout_of(&b, 0, &rd, -1);
    cr_assert(strstr(err, "initrd of") && strstr(err, "does not fit"), "%s", err);
    layout_of(&b, 2048, NULL, -1);
    cr_assert(strstr(err, "cmdline_size 2047"), "%s", err);
    b.setup_sects = 200;                    /* 100 KiB of setup code at 0x10000 */
    b.payload = 0x100;
    layout_of(&b, 0, NULL, -1);
    cr_assert(strstr(err, "runs into the command line"), "%s", err);
    b = linux_like();
    b.loadflags = 0;                        /* a zImage whose long command line, just */
    b.cmdline_size = 0x10000;               /* below 0x9A000, would reach its setup code */
    layout_of(&b, 0xA000, NULL, -1);
    cr_assert(strstr(err, "runs into the command line"), "%s", err);
    b = linux_like();
    b.loadflags = 0;                        /* a zImage ends below its setup at 0x90000 */
    b.payload = 0x80001;
    cr_assert_lt(setup_bytes(&b) + b.payload, sizeof fwbuf + 0x80000);
    b.payload = 0x30000;
    b.version = 0x01FF;
    rd = 0x1000;
    layout_of(&b, 0, &rd, -1);
    cr_assert(strstr(err, "takes no initrd"), "%s", err);
    b = linux_like();
    struct kernel_image k = fw_image(&b);
    k.size = 0x7FF;                         /* setup sectors cut short */
    struct lx_fw_layout l;
    cr_assert_eq(linux_fw_layout(&k, RAM_MIB * MIB, 0, NULL, &l, err, sizeof err), -1);
    cr_assert(strstr(err, "truncated"), "%s", err);
}

static uint16_t le16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32_at(const uint8_t *p) { return le16_at(p) | (uint32_t)le16_at(p + 2) << 16; }

/* The boot loader's header fields, as QEMU's x86_load_linux writes them. */
Test(loader_linux, fw_patch_2_02_and_later)
{
    struct bz b = linux_like();
    uint64_t rd = 0x5000;
    struct lx_fw_layout l = layout_of(&b, 9, &rd, 0);
    uint8_t *s = fwbuf;
    cr_assert_eq(linux_fw_patch(s, &l, "vga=ext x"), 0);
    cr_assert_eq(le32_at(s + 0x228), 0x20000, "cmd_line_ptr");
    cr_assert_eq(s[0x210], 0xB0, "type_of_loader: QEMU");
    cr_assert_eq(s[0x211], LX_LOADED_HIGH | LX_CAN_USE_HEAP);
    cr_assert_eq(le16_at(s + 0x224), 0xFE00, "heap_end_ptr: 512 bytes below the command line");
    cr_assert_eq(le32_at(s + 0x218), l.initrd_addr);
    cr_assert_eq(le32_at(s + 0x21C), 0x5000);
    cr_assert_eq(le16_at(s + 0x1FA), 0xFFFE, "vid_mode from vga=ext");
    cr_assert_eq(linux_fw_patch(s, &l, "quiet vga=0x317"), 0);
    cr_assert_eq(le16_at(s + 0x1FA), 0x317);
    cr_assert_eq(linux_fw_patch(s, &l, "vga=bogus"), -1);
}

Test(loader_linux, fw_patch_before_2_02)
{
    struct bz b = linux_like();
    b.version = 0x0201;
    struct lx_fw_layout l = layout_of(&b, 3, NULL, 0);
    uint8_t *s = fwbuf;
    cr_assert_eq(linux_fw_patch(s, &l, "abc"), 0);
    cr_assert_eq(le16_at(s + 0x20), 0xA33F, "the old command line magic");
    cr_assert_eq(le16_at(s + 0x22), l.cmdline_addr - 0x90000);
    cr_assert_eq(le32_at(s + 0x228), 0, "no cmd_line_ptr before 2.02");
    cr_assert_eq(le16_at(s + 0x224), l.cmdline_addr - 0x90000 - 0x200);
    cr_assert_eq(le32_at(s + 0x218), 0, "no initrd");
    cr_assert_eq(le16_at(s + 0x1FA), 0xFFFF, "vid_mode as in the file");
}
