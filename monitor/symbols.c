/*
 * monitor/symbols.c - guest address -> "symbol+offset", from the kernel's
 * ELF symbol table (SHT_SYMTAB, else SHT_DYNSYM), read with libelf, or from
 * a System.map (`nm` output: "address type name" per line), which is what
 * a Linux kernel package ships beside its bzImage.
 *
 * Kept: named, defined symbols of type FUNC, OBJECT and NOTYPE (NOTYPE are
 * the labels of assembly guests).  Sorted by address; a lookup prefers a
 * sized symbol that contains the address, and otherwise takes the nearest
 * symbol below it if that is within 64 KiB.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitor/symbols.h"

#define NEAREST_WINDOW 0x10000u

struct sym {
    uint32_t addr, size;
    char *name;
};

struct symtab {
    struct sym *v;
    size_t n;
};

static bool wanted(const GElf_Sym *s)
{
    int type = GELF_ST_TYPE(s->st_info);
    return s->st_name != 0 && s->st_shndx != SHN_UNDEF &&
           (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE);
}

static int cmp_sym(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

static Elf_Scn *find_symtab(Elf *e, GElf_Shdr *sh)
{
    Elf_Scn *dyn = NULL;
    GElf_Shdr dsh;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        if (!gelf_getshdr(scn, sh))
            continue;
        if (sh->sh_type == SHT_SYMTAB)
            return scn;
        if (sh->sh_type == SHT_DYNSYM && !dyn) {
            dyn = scn;
            dsh = *sh;
        }
    }
    if (dyn)
        *sh = dsh;
    return dyn;
}

/* Append the wanted symbols of one section to t. */
static int read_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct symtab *t)
{
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || sh->sh_entsize == 0)
        return -1;
    size_t count = sh->sh_size / sh->sh_entsize;
    t->v = calloc(count ? count : 1, sizeof *t->v);
    if (!t->v)
        return -1;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym s;
        const char *name;
        if (!gelf_getsym(d, (int)i, &s) || !wanted(&s))
            continue;
        name = elf_strptr(e, sh->sh_link, s.st_name);
        if (!name || !*name)
            continue;
        t->v[t->n] = (struct sym){ (uint32_t)s.st_value, (uint32_t)s.st_size, strdup(name) };
        if (!t->v[t->n].name)
            return -1;
        t->n++;
    }
    return 0;
}

/* A System.map: text, data and bss symbols (nm types T t D d B b R r);
 * sizes are unknown, so lookups take the nearest symbol below. */
static struct symtab *load_system_map(int fd)
{
    FILE *f = fdopen(dup(fd), "r");
    if (!f)
        return NULL;
    struct symtab *t = calloc(1, sizeof *t);
    size_t cap = 0;
    char line[512], type, name[256];
    unsigned long addr;
    while (t && fgets(line, sizeof line, f)) {
        if (line[strspn(line, " \t\r\n")] == 0)
            continue;
        if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3 || addr > UINT32_MAX)
            goto bad;
        if (!strchr("TtDdBbRr", type))
            continue;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 4096;
            struct sym *v = realloc(t->v, cap * sizeof *v);
            if (!v)
                goto bad;
            t->v = v;
        }
        t->v[t->n] = (struct sym){ (uint32_t)addr, 0, strdup(name) };
        if (!t->v[t->n].name)
            goto bad;
        t->n++;
    }
    fclose(f);
    return t;
bad:
    fclose(f);
    symtab_free(t);
    return NULL;
}

struct symtab *symtab_load(const char *path)
{
    struct symtab *t = NULL;
    GElf_Shdr sh;
    Elf *e = NULL;
    int fd;

    /* A FIFO or a device (say /dev/zero) would block or never end: only a
     * regular file, opened without waiting for a FIFO's writer. */
    struct stat st;
    if (elf_version(EV_CURRENT) == EV_NONE || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    e = elf_begin(fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        t = load_system_map(fd);
        if (!t || t->n == 0) {
            symtab_free(t);
            t = NULL;
            goto out;
        }
        goto sort;
    }
    Elf_Scn *scn = find_symtab(e, &sh);
    if (!scn || !(t = calloc(1, sizeof *t)))
        goto out;
    if (read_symbols(e, scn, &sh, t) < 0 || t->n == 0) {
        symtab_free(t);
        t = NULL;
        goto out;
    }
sort:
    qsort(t->v, t->n, sizeof *t->v, cmp_sym);
out:
    if (e)
        elf_end(e);
    close(fd);
    return t;
}

/* Index of the last symbol with addr <= a, or -1. */
static long last_at_or_below(const struct symtab *s, uint32_t a)
{
    long lo = 0, hi = (long)s->n - 1, best = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (s->v[mid].addr <= a) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

const char *symtab_lookup(const struct symtab *s, uint32_t addr, uint32_t *offset)
{
    if (!s || s->n == 0)
        return NULL;
    long i = last_at_or_below(s, addr);
    if (i < 0 || addr - s->v[i].addr >= NEAREST_WINDOW)
        return NULL;
    /* A sized symbol containing addr wins over an unsized label nearer to it
     * (a function with local labels inside). */
    const struct sym *pick = &s->v[i];
    for (long j = i; j >= 0 && addr - s->v[j].addr < NEAREST_WINDOW; j--) {
        if (s->v[j].size && addr - s->v[j].addr < s->v[j].size) {
            pick = &s->v[j];
            break;
        }
    }
    if (offset)
        *offset = addr - pick->addr;
    return pick->name;
}

void symtab_free(struct symtab *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    free(s->v);
    free(s);
}
