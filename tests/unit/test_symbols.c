/*
 * Unit tests of monitor/symbols.c.  The ELF32 files are written byte by
 * byte by the test (no compiler at test time): a header, a .symtab and a
 * .strtab, nothing else.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/symbols.h"

struct tsym {
    const char *name;
    uint32_t value, size;
    int type, bind;
    uint16_t shndx;
};

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/vmm-symtest.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static char *tmp_path(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* An ELF32 i386 ET_EXEC file with the given symbols (entry 0 is the null
 * symbol, added here); `sht` is SHT_SYMTAB or SHT_DYNSYM. */
static size_t build_elf_with_symbols(uint8_t *buf, size_t cap, const struct tsym *syms,
                                     size_t n, uint32_t sht)
{
    Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;
    size_t strtab_off = 0x40, pos = strtab_off + 1;
    memset(buf, 0, cap);
    buf[strtab_off] = '\0';
    uint32_t name_off[32];
    for (size_t i = 0; i < n; i++) {
        name_off[i] = (uint32_t)(pos - strtab_off);
        strcpy((char *)buf + pos, syms[i].name);
        pos += strlen(syms[i].name) + 1;
    }
    size_t strtab_size = pos - strtab_off;
    size_t symtab_off = (pos + 15) & ~15ul;
    Elf32_Sym *st = (Elf32_Sym *)(buf + symtab_off);
    memset(&st[0], 0, sizeof st[0]);
    for (size_t i = 0; i < n; i++)
        st[i + 1] = (Elf32_Sym){
            .st_name = name_off[i], .st_value = syms[i].value, .st_size = syms[i].size,
            .st_info = ELF32_ST_INFO(syms[i].bind, syms[i].type), .st_shndx = syms[i].shndx,
        };
    size_t symtab_size = (n + 1) * sizeof(Elf32_Sym);
    size_t shoff = (symtab_off + symtab_size + 15) & ~15ul;
    Elf32_Shdr *sh = (Elf32_Shdr *)(buf + shoff);
    memset(sh, 0, 3 * sizeof *sh);
    sh[1] = (Elf32_Shdr){ .sh_type = sht, .sh_offset = (Elf32_Off)symtab_off,
                          .sh_size = (Elf32_Word)symtab_size, .sh_link = 2, .sh_info = 1,
                          .sh_addralign = 4, .sh_entsize = sizeof(Elf32_Sym) };
    sh[2] = (Elf32_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = (Elf32_Off)strtab_off,
                          .sh_size = (Elf32_Word)strtab_size, .sh_addralign = 1 };
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_386;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x1000;
    eh->e_ehsize = sizeof *eh;
    eh->e_shoff = (Elf32_Off)shoff;
    eh->e_shentsize = sizeof(Elf32_Shdr);
    eh->e_shnum = 3;
    eh->e_shstrndx = SHN_UNDEF;
    size_t total = shoff + 3 * sizeof(Elf32_Shdr);
    cr_assert_leq(total, cap);
    return total;
}

static const struct tsym kernel_syms[] = {
    { "start",     0x1000, 0x20,  STT_FUNC,    STB_GLOBAL, SHN_ABS },
    { "inner",     0x1008, 0,     STT_NOTYPE,  STB_LOCAL,  SHN_ABS },   /* label inside start */
    { "after",     0x1040, 0,     STT_NOTYPE,  STB_LOCAL,  SHN_ABS },
    { "table",     0x2000, 0x100, STT_OBJECT,  STB_GLOBAL, SHN_ABS },
    { "high",      0xC0100000u, 0x40, STT_FUNC, STB_GLOBAL, SHN_ABS },
    { "undefined", 0x3000, 0,     STT_FUNC,    STB_GLOBAL, SHN_UNDEF }, /* dropped */
    { "sect",      0x3000, 0,     STT_SECTION, STB_LOCAL,  SHN_ABS },   /* dropped */
    { "file.c",    0x3000, 0,     STT_FILE,    STB_LOCAL,  SHN_ABS },   /* dropped */
};
#define NKSYMS (sizeof kernel_syms / sizeof kernel_syms[0])

static struct symtab *load_kernel_syms(uint32_t sht)
{
    uint8_t buf[4096];
    size_t n = build_elf_with_symbols(buf, sizeof buf, kernel_syms, NKSYMS, sht);
    write_bytes(tmp_path("kernel.elf"), buf, n);
    struct symtab *s = symtab_load(tmp_path("kernel.elf"));
    cr_assert_not_null(s);
    return s;
}

static void assert_lookup(const struct symtab *s, uint32_t addr, const char *name, uint32_t off)
{
    uint32_t got_off = 0xdeadbeef;
    const char *got = symtab_lookup(s, addr, &got_off);
    if (!name) {
        cr_assert_null(got, "0x%x: expected no symbol, got %s", addr, got);
        return;
    }
    cr_assert_not_null(got, "0x%x: expected %s", addr, name);
    cr_assert_str_eq(got, name, "0x%x", addr);
    cr_assert_eq(got_off, off, "0x%x: offset 0x%x, expected 0x%x", addr, got_off, off);
}

TestSuite(symbols, .init = make_tmpdir, .fini = remove_tmpdir);

Test(symbols, exact_and_contained)
{
    struct symtab *s = load_kernel_syms(SHT_SYMTAB);
    assert_lookup(s, 0x1000, "start", 0);
    assert_lookup(s, 0x101f, "start", 0x1f);
    assert_lookup(s, 0x2000, "table", 0);
    assert_lookup(s, 0x20ff, "table", 0xff);
    assert_lookup(s, 0xC0100010u, "high", 0x10);
    symtab_free(s);
}

Test(symbols, sized_symbol_wins_over_inner_label)
{
    struct symtab *s = load_kernel_syms(SHT_SYMTAB);
    assert_lookup(s, 0x1010, "start", 0x10);
    /* the label itself is still found where nothing sized contains it */
    assert_lookup(s, 0x1040, "after", 0);
    symtab_free(s);
}

Test(symbols, nearest_below_within_64k)
{
    struct symtab *s = load_kernel_syms(SHT_SYMTAB);
    assert_lookup(s, 0x1020, "inner", 0x18);     /* past the end of start */
    assert_lookup(s, 0x2100, "table", 0x100);
    assert_lookup(s, 0x11fff, "table", 0xffff);
    assert_lookup(s, 0x12000, NULL, 0);         /* 64 KiB past table */
    assert_lookup(s, 0x0fff, NULL, 0);          /* below every symbol */
    symtab_free(s);
}

Test(symbols, undefined_section_and_file_symbols_are_dropped)
{
    struct symtab *s = load_kernel_syms(SHT_SYMTAB);
    uint32_t off;
    const char *name = symtab_lookup(s, 0x3000, &off);
    cr_assert_str_eq(name, "table");
    cr_assert_eq(off, 0x1000);
    symtab_free(s);
}

Test(symbols, dynsym_when_no_symtab)
{
    struct symtab *s = load_kernel_syms(SHT_DYNSYM);
    assert_lookup(s, 0x1004, "start", 4);
    symtab_free(s);
}

Test(symbols, no_symbols_is_null)
{
    static const struct tsym only_dropped[] = {
        { "x", 0x1000, 0, STT_SECTION, STB_LOCAL, SHN_ABS },
        { "y", 0x1000, 0, STT_FUNC, STB_GLOBAL, SHN_UNDEF },
    };
    uint8_t buf[4096];
    size_t n = build_elf_with_symbols(buf, sizeof buf, only_dropped, 2, SHT_SYMTAB);
    write_bytes(tmp_path("nosyms.elf"), buf, n);
    cr_assert_null(symtab_load(tmp_path("nosyms.elf")));
    /* an ELF without any section */
    ((Elf32_Ehdr *)buf)->e_shoff = 0;
    ((Elf32_Ehdr *)buf)->e_shnum = 0;
    write_bytes(tmp_path("nosections.elf"), buf, 52);
    cr_assert_null(symtab_load(tmp_path("nosections.elf")));
}

Test(symbols, not_elf_or_missing_is_null)
{
    write_bytes(tmp_path("text"), "hello, world\n", 13);
    cr_assert_null(symtab_load(tmp_path("text")));
    cr_assert_null(symtab_load(tmp_path("does-not-exist")));
    cr_assert_null(symtab_lookup(NULL, 0x1000, NULL));
    symtab_free(NULL);
}

/* A System.map (nm output), and /proc/kallsyms output with module names:
 * text and data symbols kept, other types dropped, blank lines skipped. */
Test(symbols, system_map)
{
    static const char map[] =
        "c1000000 T startup_32\n"
        "c1000100 t helper\n"
        "\n"
        "c1200000 D some_data\n"
        "c1300000 A absolute_dropped\n"
        "c1400000 t modfunc\t[ext4]\n";
    write_bytes(tmp_path("System.map"), map, sizeof map - 1);
    struct symtab *s = symtab_load(tmp_path("System.map"));
    cr_assert_not_null(s);
    assert_lookup(s, 0xc1000000u, "startup_32", 0);
    assert_lookup(s, 0xc10000ffu, "startup_32", 0xff);
    assert_lookup(s, 0xc1000123u, "helper", 0x23);
    assert_lookup(s, 0xc1200010u, "some_data", 0x10);
    assert_lookup(s, 0xc1300000u, NULL, 0);      /* 'A' dropped, some_data too far */
    assert_lookup(s, 0xc1400004u, "modfunc", 4);
    symtab_free(s);
}

/* Debian ships a placeholder System.map ("ffffffffffffffff B The real
 * System.map is in the linux-image-<version>-dbg package"): rejected, as is
 * any file with a line that is not "address type name". */
Test(symbols, malformed_system_map_is_null)
{
    static const char placeholder[] =
        "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n";
    write_bytes(tmp_path("placeholder"), placeholder, sizeof placeholder - 1);
    cr_assert_null(symtab_load(tmp_path("placeholder")));
    static const char half[] = "c1000000 T startup_32\nnot a symbol line\n";
    write_bytes(tmp_path("half"), half, sizeof half - 1);
    cr_assert_null(symtab_load(tmp_path("half")));
    write_bytes(tmp_path("empty"), "\n\n", 2);
    cr_assert_null(symtab_load(tmp_path("empty")));
}
