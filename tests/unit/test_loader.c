/*
 * Unit tests of the kernel loaders (monitor/loader*.c) and of the reports of
 * monitor/vm.c on a loaded kernel.  Every image is written byte by byte by
 * the test into a temporary directory, then loaded into a 16 MiB guest.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor/vm.h"
#include "monitor/loader.h"
#include "monitor/multiboot.h"
#include "monitor/symbols.h"

#define MIB 0x100000u
#define RAM_MIB 16

static char tmpdir[64];
static struct vm *vm;
static char err[512];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/vmm-loadtest.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    vm = vm_alloc();
    cr_assert_not_null(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, RAM_MIB, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    vm->opt.mem_mib = RAM_MIB;
    /* Poison RAM so that zero-filling and untouched areas can be told apart. */
    memset(vm->mem.ram, 0xAA, vm->mem.size);
}

static void teardown(void)
{
    char cmd[128];
    guest_mem_destroy(&vm->mem);
    free(vm);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(loader, .init = setup, .fini = teardown);

/* Path of a file in the test's directory; a few stay valid at a time. */
static char *tmp_path(const char *name)
{
    static char paths[8][160];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
    return p;
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

/* ---- image builders ---- */

struct tseg {
    uint32_t paddr;
    const void *data;
    uint32_t filesz, memsz;
};

/* ELF32 i386 ET_EXEC: header, program headers, then the segments' bytes. */
static size_t build_elf(uint8_t *buf, size_t cap, uint32_t entry, const struct tseg *s, int n)
{
    Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;
    Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof *eh);
    size_t pos = 0x100;

    memset(buf, 0, cap);
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_386;
    eh->e_version = EV_CURRENT;
    eh->e_entry = entry;
    eh->e_phoff = sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof *ph;
    eh->e_phnum = (Elf32_Half)n;
    for (int i = 0; i < n; i++) {
        ph[i] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = (Elf32_Off)pos,
                              .p_vaddr = s[i].paddr, .p_paddr = s[i].paddr,
                              .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
                              .p_flags = PF_R | PF_W | PF_X, .p_align = 16 };
        cr_assert_leq(pos + s[i].filesz, cap);
        memcpy(buf + pos, s[i].data, s[i].filesz);
        pos = (pos + s[i].filesz + 15) & ~15ul;
    }
    return pos;
}

static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfd };      /* cli; hlt; jmp $-1 */
static const uint8_t data[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* A two-segment kernel: text at 1 MiB, data + bss at 1 MiB + 8 KiB. */
static size_t std_elf(uint8_t *buf, size_t cap)
{
    const struct tseg segs[] = {
        { MIB, code, sizeof code, sizeof code },
        { MIB + 0x2000, data, sizeof data, 0x1800 },
    };
    return build_elf(buf, cap, MIB, segs, 2);
}

/* Multiboot a.out-kludge image: `pad` bytes, the 32-byte header, the code.
 * Loaded at load_addr; entry right after the header. */
static size_t build_kludge(uint8_t *buf, size_t cap, size_t pad, uint32_t flags,
                           uint32_t load_addr, uint32_t bss_end)
{
    size_t size = pad + MB_HEADER_AOUT_SIZE + sizeof code;
    struct mb_header h = {
        .magic = MB_HEADER_MAGIC, .flags = flags | MB_HF_AOUT_KLUDGE,
        .header_addr = load_addr + (uint32_t)pad, .load_addr = load_addr,
        .load_end_addr = load_addr + (uint32_t)size, .bss_end_addr = bss_end,
        .entry_addr = load_addr + (uint32_t)pad + MB_HEADER_AOUT_SIZE,
    };
    h.checksum = -(h.magic + h.flags);
    cr_assert_leq(size, cap);
    memset(buf, 0x5A, pad);
    memcpy(buf + pad, &h, MB_HEADER_AOUT_SIZE);
    memcpy(buf + pad + MB_HEADER_AOUT_SIZE, code, sizeof code);
    return size;
}

/* ---- checks of the boot state ---- */

static struct mb_info read_info(void)
{
    struct mb_info info;
    uint32_t pa = vm->cpu.gpr[R_EBX];
    cr_assert_leq(pa + sizeof info, vm->mem.size);
    memcpy(&info, vm->mem.ram + pa, sizeof info);
    return info;
}

static const char *guest_str(uint32_t pa)
{
    cr_assert_lt(pa, vm->mem.size);
    cr_assert_not_null(memchr(vm->mem.ram + pa, 0, vm->mem.size - pa));
    return (const char *)vm->mem.ram + pa;
}

static void assert_multiboot_state(uint32_t entry)
{
    struct vcpu *c = &vm->cpu;
    cr_assert_eq(c->eip, entry, "eip 0x%x", c->eip);
    cr_assert_eq(c->gpr[R_EAX], MB_BOOT_MAGIC);
    cr_assert(c->cr0 & CR0_PE);
    cr_assert_not(c->cr0 & CR0_PG);
    cr_assert_not(vcpu_get_eflags(c) & FL_IF);
    cr_assert_eq(c->cpl, 0);
    for (int s = 0; s < S_NSEG; s++) {
        cr_assert_eq(c->seg[s].base, 0);
        cr_assert_eq(c->seg[s].limit, 0xFFFFFFFFu);
    }
    cr_assert(SEG_ATTR_DB(c->seg[S_CS].attr));
}

static void assert_info_common(const struct mb_info *info, const char *cmdline)
{
    uint32_t want = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
                    MB_INFO_LOADER_NAME;
    cr_assert_eq(info->flags, want, "flags 0x%x", info->flags);
    cr_assert_eq(info->mem_lower, 639);
    cr_assert_eq(info->mem_upper, (RAM_MIB - 1) * 1024);
    cr_assert_str_eq(guest_str(info->cmdline), cmdline);
    cr_assert_str_eq(guest_str(info->boot_loader_name), "vmm");

    static const struct { uint64_t base, len; uint32_t type; } map[] = {
        { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xA0000, 0x60000, 2 },
        { MIB, (RAM_MIB - 1) * (uint64_t)MIB, 1 },
    };
    cr_assert_eq(info->mmap_length, 4 * sizeof(struct mb_mmap_entry));
    uint32_t p = info->mmap_addr;
    for (size_t i = 0; i < 4; i++) {
        struct mb_mmap_entry e;
        memcpy(&e, vm->mem.ram + p, sizeof e);
        cr_assert_eq(e.size, 20);
        cr_assert_eq(e.base_addr, map[i].base, "entry %zu base 0x%llx", i,
                     (unsigned long long)e.base_addr);
        cr_assert_eq(e.length, map[i].len, "entry %zu length", i);
        cr_assert_eq(e.type, map[i].type, "entry %zu type", i);
        p += e.size + 4;
    }
}

static int load(const char *path)
{
    vm->opt.kernel = path;
    err[0] = '\0';
    return loader_load(vm, err, sizeof err);
}

/* ---- good images ---- */

Test(loader, plain_elf)
{
    uint8_t buf[4096];
    const char *path = write_file("k.elf", buf, std_elf(buf, sizeof buf));
    cr_assert_eq(load(path), 0, "%s", err);

    cr_assert_arr_eq(vm->mem.ram + MIB, code, sizeof code);
    cr_assert_arr_eq(vm->mem.ram + MIB + 0x2000, data, sizeof data);
    for (uint32_t a = MIB + 0x2000 + sizeof data; a < MIB + 0x3800; a++)
        cr_assert_eq(vm->mem.ram[a], 0, "bss byte 0x%x not zeroed", a);
    cr_assert_eq(vm->mem.ram[MIB + 0x3800], 0xAA, "wrote past p_memsz");
    cr_assert_eq(vm->mem.ram[MIB + sizeof code], 0xAA, "wrote between segments");

    assert_multiboot_state(MIB);
    /* info on the first page boundary above the kernel's last byte */
    cr_assert_eq(vm->cpu.gpr[R_EBX], MIB + 0x4000);
    struct mb_info info = read_info();
    assert_info_common(&info, "");
    cr_assert_eq(info.mods_count, 0);
}

Test(loader, append_and_initrd_module)
{
    uint8_t buf[4096], rd[10000];
    for (size_t i = 0; i < sizeof rd; i++)
        rd[i] = (uint8_t)(i * 7);
    const char *rdpath = write_file("initrd.img", rd, sizeof rd);
    const char *path = write_file("k.elf", buf, std_elf(buf, sizeof buf));
    vm->opt.append = "console=ttyS0 root=/dev/ram0";
    vm->opt.initrd = rdpath;
    cr_assert_eq(load(path), 0, "%s", err);

    struct mb_info info = read_info();
    assert_info_common(&info, "console=ttyS0 root=/dev/ram0");
    cr_assert_eq(info.mods_count, 1);
    struct mb_module mod;
    memcpy(&mod, vm->mem.ram + info.mods_addr, sizeof mod);
    cr_assert_eq(mod.mod_start % 4096, 0, "module not page aligned: 0x%x", mod.mod_start);
    cr_assert_eq(mod.mod_end - mod.mod_start, sizeof rd);
    cr_assert_geq(mod.mod_start, MIB + 0x3800, "module overlaps the kernel");
    cr_assert_str_eq(guest_str(mod.string), rdpath);
    cr_assert_arr_eq(vm->mem.ram + mod.mod_start, rd, sizeof rd);

    /* the info area (structure, map, list, strings) lies between the kernel
     * and the module */
    uint32_t info_pa = vm->cpu.gpr[R_EBX];
    uint32_t pieces[] = { info_pa, info.mmap_addr, info.mods_addr, info.cmdline,
                          info.boot_loader_name, mod.string };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        cr_assert_geq(pieces[i], MIB + 0x3800);
        cr_assert_lt(pieces[i], mod.mod_start);
    }
}

Test(loader, low_kernel_gets_info_above_1mib)
{
    uint8_t buf[4096];
    const struct tseg seg = { 0x8000, code, sizeof code, sizeof code };
    const char *path = write_file("low.elf", buf, build_elf(buf, sizeof buf, 0x8000, &seg, 1));
    cr_assert_eq(load(path), 0, "%s", err);
    assert_multiboot_state(0x8000);
    cr_assert_eq(vm->cpu.gpr[R_EBX], MIB);
    cr_assert_arr_eq(vm->mem.ram + 0x8000, code, sizeof code);
}

Test(loader, multiboot_aout_kludge)
{
    uint8_t buf[4096];
    size_t n = build_kludge(buf, sizeof buf, 64, MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO,
                            2 * MIB, 2 * MIB + 0x5000);
    const char *path = write_file("mb.bin", buf, n);
    vm->opt.append = "test=1";
    cr_assert_eq(load(path), 0, "%s", err);

    uint32_t entry = 2 * MIB + 64 + MB_HEADER_AOUT_SIZE;
    assert_multiboot_state(entry);
    cr_assert_arr_eq(vm->mem.ram + 2 * MIB, buf, n);             /* whole file from load_addr */
    for (uint32_t a = 2 * MIB + (uint32_t)n; a < 2 * MIB + 0x5000; a++)
        cr_assert_eq(vm->mem.ram[a], 0, "bss byte 0x%x", a);
    cr_assert_eq(vm->cpu.gpr[R_EBX], 2 * MIB + 0x5000);
    struct mb_info info = read_info();
    assert_info_common(&info, "test=1");
}

Test(loader, multiboot_kludge_load_addr_before_header_and_rest_of_file)
{
    /* load_end_addr = 0: load to the end of the file; load_addr below
     * header_addr: the bytes before the header are loaded too. */
    uint8_t buf[4096];
    size_t n = build_kludge(buf, sizeof buf, 256, 0, 3 * MIB, 0);
    struct mb_header *h = (struct mb_header *)(buf + 256);
    h->load_end_addr = 0;
    cr_assert_eq(load(write_file("mb0.bin", buf, n)), 0, "%s", err);
    cr_assert_arr_eq(vm->mem.ram + 3 * MIB, buf, n);
    cr_assert_eq(vm->cpu.eip, 3 * MIB + 256 + MB_HEADER_AOUT_SIZE);
    cr_assert_eq(vm->cpu.gpr[R_EBX], 3 * MIB + 4096);
}

/* An ELF segment that starts with a Multiboot header (flags 3, no
 * address fields), then the code. */
static void mb_elf_segment(uint8_t seg0[16 + sizeof code])
{
    struct mb_header h = { .magic = MB_HEADER_MAGIC, .flags = 3 };
    h.checksum = -(h.magic + h.flags);
    memcpy(seg0, &h, 12);
    memset(seg0 + 12, 0, 4);
    memcpy(seg0 + 16, code, sizeof code);
}

Test(loader, multiboot_header_in_elf_without_kludge)
{
    /* an ELF whose first segment carries a Multiboot header (flags 3) */
    uint8_t seg0[16 + sizeof code];
    mb_elf_segment(seg0);
    const struct tseg seg = { MIB, seg0, sizeof seg0, sizeof seg0 };
    uint8_t buf[4096];
    size_t n = build_elf(buf, sizeof buf, MIB + 16, &seg, 1);
    cr_assert_eq(load(write_file("mbelf.elf", buf, n)), 0, "%s", err);
    assert_multiboot_state(MIB + 16);
    cr_assert_arr_eq(vm->mem.ram + MIB, seg0, sizeof seg0);
}

/* A higher-half Multiboot ELF (GNU Mach's layout: linked at 0xC1000000,
 * loaded at 16 MiB; here at 4 MiB): the CPU starts at the entry's loaded address, as
 * GRUB starts it, since paging is off at entry. */
Test(loader, multiboot_elf_linked_above_its_load_address)
{
    uint8_t seg0[16 + sizeof code];
    mb_elf_segment(seg0);
    const struct tseg seg = { 4 * MIB, seg0, sizeof seg0, sizeof seg0 };
    uint8_t buf[4096];
    size_t n = build_elf(buf, sizeof buf, 0xC1000000u + 16, &seg, 1);
    Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(Elf32_Ehdr));
    ph->p_vaddr = 0xC1000000u;
    cr_assert_eq(load(write_file("higher.elf", buf, n)), 0, "%s", err);
    assert_multiboot_state(4 * MIB + 16);
    cr_assert_arr_eq(vm->mem.ram + 4 * MIB, seg0, sizeof seg0);
}

/* ---- bad input: -1 and a message naming the file ---- */

static void assert_refused(const char *path, const char *what)
{
    cr_assert_eq(load(path), -1, "%s accepted", path);
    cr_assert(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
              "message does not start with the file name: %s", err);
    cr_assert(strstr(err, what), "message lacks \"%s\": %s", what, err);
    cr_assert_null(strchr(err, '\n'), "not one line: %s", err);
}

Test(loader, missing_file)
{
    assert_refused(tmp_path("nope.elf"), "cannot open");
}

Test(loader, unreadable_file)
{
    assert_refused(tmpdir, "not a regular file");
    uint8_t buf[4096];
    const char *path = write_file("secret.elf", buf, std_elf(buf, sizeof buf));
    assert_refused(tmp_path("secret.elf/k"), "cannot open: Not a directory");
    chmod(path, 0);
    if (access(path, R_OK) != 0)            /* root reads mode-000 files anyway */
        assert_refused(path, "cannot open: Permission denied");
}

Test(loader, empty_and_text_files)
{
    assert_refused(write_file("empty", "", 0), "not an ELF file and no Multiboot header");
    assert_refused(write_file("text", "#!/bin/sh\necho hi\n", 18),
                   "not an ELF file and no Multiboot header");
}

Test(loader, truncated_segment)
{
    uint8_t buf[4096];
    size_t n = std_elf(buf, sizeof buf);
    Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(Elf32_Ehdr));
    ph[1].p_filesz = 0x200;                     /* runs past the end of the file */
    ph[1].p_memsz = 0x200;
    const char *path = write_file("trunc.elf", buf, n);
    assert_refused(path, "truncated");
    cr_assert(strstr(err, "offset 0x"), "%s", err);
    /* validation comes before copying: segment 0 was not written */
    cr_assert_eq(vm->mem.ram[MIB], 0xAA);
}

Test(loader, truncated_headers)
{
    uint8_t buf[4096];
    std_elf(buf, sizeof buf);
    assert_refused(write_file("hdr.elf", buf, 30), "ELF");
    /* program header table cut off */
    assert_refused(write_file("ph.elf", buf, sizeof(Elf32_Ehdr) + 40), "program header");
}

Test(loader, wrong_class_machine_type)
{
    uint8_t buf[4096];
    size_t n = std_elf(buf, sizeof buf);
    Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;

    eh->e_machine = EM_X86_64;
    assert_refused(write_file("x86_64.elf", buf, n), "not an i386 ELF");
    eh->e_machine = EM_386;
    eh->e_type = ET_DYN;
    assert_refused(write_file("dyn.elf", buf, n), "not an executable");
    eh->e_type = ET_EXEC;
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    assert_refused(write_file("class64.elf", buf, n), "not a 32-bit ELF");
}

Test(loader, no_load_segment)
{
    uint8_t buf[4096];
    size_t n = std_elf(buf, sizeof buf);
    Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(Elf32_Ehdr));
    ph[0].p_type = ph[1].p_type = PT_NOTE;
    assert_refused(write_file("nolo.elf", buf, n), "no PT_LOAD");
}

Test(loader, segment_outside_ram)
{
    uint8_t buf[4096];
    const struct tseg above = { RAM_MIB * MIB, code, sizeof code, sizeof code };
    assert_refused(write_file("above.elf", buf, build_elf(buf, sizeof buf, MIB, &above, 1)),
                   "does not fit in guest RAM");
    /* larger than --mem: 32 MiB of bss in a 16 MiB guest */
    const struct tseg huge = { MIB, code, sizeof code, 32 * MIB };
    assert_refused(write_file("huge.elf", buf, build_elf(buf, sizeof buf, MIB, &huge, 1)),
                   "--mem 16 MiB");
    /* 32-bit wrap-around */
    const struct tseg wrap = { 0xFFFFF000u, code, sizeof code, 0x2000 };
    assert_refused(write_file("wrap.elf", buf, build_elf(buf, sizeof buf, MIB, &wrap, 1)),
                   "does not fit");
}

Test(loader, no_room_for_info)
{
    uint8_t buf[4096];
    const struct tseg top = { RAM_MIB * MIB - 4096, code, sizeof code, 4096 };
    const char *path = write_file("top.elf", buf, build_elf(buf, sizeof buf, MIB, &top, 1));
    assert_refused(path, "Multiboot information");
}

Test(loader, bad_multiboot_checksum)
{
    uint8_t buf[4096];
    size_t n = build_kludge(buf, sizeof buf, 8, 0, 2 * MIB, 0);
    buf[8 + 8] ^= 1;
    assert_refused(write_file("cksum.bin", buf, n), "bad Multiboot checksum");
    cr_assert(strstr(err, "offset 0x10"), "%s", err);
}

Test(loader, multiboot_required_flags)
{
    uint8_t buf[4096];
    size_t n = build_kludge(buf, sizeof buf, 0, MB_HF_VIDEO_MODE, 2 * MIB, 0);
    assert_refused(write_file("video.bin", buf, n), "graphics mode");
    n = build_kludge(buf, sizeof buf, 0, 1u << 5, 2 * MIB, 0);
    assert_refused(write_file("bit5.bin", buf, n), "unknown features");
    /* optional bits 17..31 are ignored */
    n = build_kludge(buf, sizeof buf, 0, 1u << 20, 2 * MIB, 0);
    cr_assert_eq(load(write_file("bit20.bin", buf, n)), 0, "%s", err);
}

Test(loader, multiboot_kludge_inconsistent)
{
    uint8_t buf[4096];
    size_t n = build_kludge(buf, sizeof buf, 0, 0, 2 * MIB, 0);
    struct mb_header *h = (struct mb_header *)buf;
    h->load_end_addr += 0x100;                  /* more than the file holds */
    assert_refused(write_file("short.bin", buf, n), "truncated");

    n = build_kludge(buf, sizeof buf, 0, 0, 2 * MIB, 0);
    h->load_addr = h->header_addr + 4;          /* text after the header? */
    assert_refused(write_file("order.bin", buf, n), "load_addr");

    n = build_kludge(buf, sizeof buf, 0, 0, 2 * MIB, 2 * MIB + 4);
    assert_refused(write_file("bss.bin", buf, n), "bss_end_addr");

    n = build_kludge(buf, sizeof buf, 0, 0, RAM_MIB * MIB - 8, 0);
    assert_refused(write_file("edge.bin", buf, n), "does not fit");

    /* header cut after its first three words */
    n = build_kludge(buf, sizeof buf, 0, 0, 2 * MIB, 0);
    assert_refused(write_file("cut.bin", buf, 16), "address fields missing");
}

Test(loader, multiboot_without_kludge_not_elf)
{
    uint8_t buf[64] = { 0 };
    struct mb_header h = { .magic = MB_HEADER_MAGIC, .flags = 0 };
    h.checksum = -h.magic;
    memcpy(buf + 4, &h, 12);
    assert_refused(write_file("flat.bin", buf, sizeof buf), "not an ELF file");
}

Test(loader, initrd_missing_or_too_big)
{
    uint8_t buf[4096];
    const char *path = write_file("k.elf", buf, std_elf(buf, sizeof buf));
    vm->opt.initrd = tmp_path("no-initrd");
    cr_assert_eq(load(path), -1);
    cr_assert(strstr(err, vm->opt.initrd) && strstr(err, "cannot open"), "%s", err);

    const char *big = tmp_path("big.img");
    int fd = open(big, O_CREAT | O_WRONLY, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, 20 * MIB), 0);   /* sparse: costs no disk */
    close(fd);
    vm->opt.initrd = big;
    cr_assert_eq(load(path), -1);
    cr_assert(strncmp(err, big, strlen(big)) == 0 && strstr(err, "does not fit"), "%s", err);
}

/* ---- monitor/vm.c reports on a loaded kernel ---- */

/* Run fn with stderr going to a temporary file; return what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    static char text[8192];
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(text, 1, sizeof text - 1, tmp);
    text[n] = '\0';
    fclose(tmp);
    return text;
}

static void report_unsupported(void)
{
    vm_unsupported(vm, "test operation");
}

static void dump_state(void)
{
    vm_dump_state(vm, stderr);
}

static void stop_with_message(void)
{
    vm_stop(vm, 0x43, "guest wrote %d", 0x21);
}

Test(loader, vm_unsupported_report)
{
    uint8_t buf[4096];
    cr_assert_eq(load(write_file("k.elf", buf, std_elf(buf, sizeof buf))), 0, "%s", err);
    vm->cpu.eip = MIB + 1;                      /* at the hlt */
    char *text = capture_stderr(report_unsupported);
    static const char *const must[] = {
        "vmm: unsupported: test operation\n", "mode protected, CPL 0",
        "0008:00100001 (linear 00100001)", "f4 ", "hlt",
        "EAX=2badb002", "EIP=00100001", "CS =0008 00000000 ffffffff", "CR0=00000011",
        "GDT=", "IDT=", "TR =", "LDT=",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(text, must[i]), "missing \"%s\" in:\n%s", must[i], text);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
}

Test(loader, vm_dump_state_registers)
{
    uint8_t buf[4096];
    cr_assert_eq(load(write_file("k.elf", buf, std_elf(buf, sizeof buf))), 0, "%s", err);
    vm->cpu.gpr[R_ECX] = 0x12345678;
    vm->cpu.gpr[R_ESP] = 0x9000;
    vcpu_set_eflags(&vm->cpu, FL_FIXED | FL_ZF | FL_CF | FL_IF);
    char *text = capture_stderr(dump_state);
    cr_assert(strstr(text, "ECX=12345678"), "%s", text);
    cr_assert(strstr(text, "ESP=00009000"), "%s", text);
    cr_assert(strstr(text, "EFL=00000243 [--I--Z--C]"), "%s", text);
    cr_assert(strstr(text, "EBX=00104000"), "%s", text);
    cr_assert_not(vm->stop);
}

Test(loader, vm_stop_message_and_status)
{
    char *text = capture_stderr(stop_with_message);
    cr_assert_str_eq(text, "vmm: guest wrote 33\n");
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0x43);
    vm->stop = false;
    text = capture_stderr(report_unsupported);  /* nothing loaded: CS:EIP 0:0 */
    cr_assert(strstr(text, "unsupported: test operation"), "%s", text);
}
