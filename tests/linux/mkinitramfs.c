/*
 * tests/linux/mkinitramfs.c - write a "newc" cpio archive (the format the
 * Linux kernel unpacks into its initramfs, Documentation/driver-api/
 * early-userspace/buffer-format.rst) from a list of entries, so that the
 * project needs neither the cpio package nor root rights (device nodes
 * are described, not created on the host).
 *
 * Usage: mkinitramfs LIST... OUTPUT
 *
 * The lists are read in order, as if they were one (the build adds the
 * kernel modules' list, tests/linux/kmodules.sh, to the hand-written one).
 * A LIST has one entry a line ('#' starts a comment); every entry is owned by
 * root (uid 0, gid 0) and has mtime 0, so the archive is reproducible:
 *
 *   dir   NAME MODE                    a directory
 *   file  NAME SOURCE MODE             a regular file, its bytes from SOURCE
 *   slink NAME TARGET                  a symbolic link (mode 0777)
 *   nod   NAME MODE c|b MAJOR MINOR    a character or block device node
 *
 * NAME is the path inside the archive (a leading '/' is dropped), MODE is
 * octal permission bits.  Parents must be listed before their children, as
 * the kernel creates entries in archive order.
 *
 * newc entry: the ASCII magic "070701", then 13 fields of 8 hex digits (ino,
 * mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize, check), the name with its NUL, padding to 4 bytes,
 * the data, padding to 4 bytes.  The archive ends with "TRAILER!!!".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_MAGIC "070701"

struct out {
    FILE *f;
    const char *path;
    uint64_t pos;
    uint32_t next_ino;
};

static const char *list_path;
static int lineno;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mkinitramfs: ");
    if (lineno)
        fprintf(stderr, "%s:%d: ", list_path, lineno);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void put(struct out *o, const void *p, size_t n)
{
    if (fwrite(p, 1, n, o->f) != n)
        die("%s: write error: %s", o->path, strerror(errno));
    o->pos += n;
}

static void pad4(struct out *o)
{
    static const char zero[4];
    put(o, zero, (4 - o->pos % 4) % 4);
}

/* One header and name; the caller writes the data (filesize bytes). */
static void header(struct out *o, const char *name, uint32_t mode, uint32_t filesize,
                   uint32_t rmajor, uint32_t rminor)
{
    char h[6 + 13 * 8 + 1];
    uint32_t namesize = strlen(name) + 1;
    uint32_t ino = strcmp(name, "TRAILER!!!") ? o->next_ino++ : 0;
    uint32_t nlink = S_ISDIR(mode) ? 2 : 1;

    snprintf(h, sizeof h, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             NEWC_MAGIC, ino, mode, 0u, 0u, nlink, 0u, filesize, 0u, 0u,
             rmajor, rminor, namesize, 0u);
    put(o, h, sizeof h - 1);
    put(o, name, namesize);
    pad4(o);
}

static uint32_t parse_mode(const char *s)
{
    char *end;
    unsigned long m = strtoul(s ? s : "", &end, 8);
    if (!s || *end || m > 07777)
        die("bad mode '%s' (octal permission bits)", s ? s : "");
    return (uint32_t)m;
}

static uint32_t parse_num(const char *s, const char *what)
{
    char *end;
    unsigned long v = strtoul(s ? s : "", &end, 10);
    if (!s || *end || v > 0xFFFFFFFFul)
        die("bad %s '%s'", what, s ? s : "");
    return (uint32_t)v;
}

static void add_file(struct out *o, const char *name, const char *src, uint32_t perm)
{
    FILE *in = fopen(src, "rb");
    struct stat st;
    char buf[65536];
    size_t n, total = 0;

    if (!in || fstat(fileno(in), &st) < 0)
        die("%s: %s", src, strerror(errno));
    if (!S_ISREG(st.st_mode) || st.st_size > 0xFFFFFFFF)
        die("%s: not a regular file below 4 GiB", src);
    header(o, name, S_IFREG | perm, (uint32_t)st.st_size, 0, 0);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        put(o, buf, n);
        total += n;
    }
    if (ferror(in) || total != (size_t)st.st_size)
        die("%s: read error or file changed while being read", src);
    fclose(in);
    pad4(o);
}

static void add_entry(struct out *o, char *line)
{
    char *kind = strtok(line, " \t\n");
    char *name = strtok(NULL, " \t\n");
    char *a = strtok(NULL, " \t\n"), *b = strtok(NULL, " \t\n");
    char *c = strtok(NULL, " \t\n"), *d = strtok(NULL, " \t\n");

    if (!kind || kind[0] == '#')
        return;
    if (!name)
        die("'%s' without a name", kind);
    while (*name == '/')
        name++;
    if (!*name)
        die("empty name");
    if (!strcmp(kind, "dir")) {
        header(o, name, S_IFDIR | parse_mode(a), 0, 0, 0);
    } else if (!strcmp(kind, "file")) {
        if (!a)
            die("file %s: no source", name);
        add_file(o, name, a, parse_mode(b));
    } else if (!strcmp(kind, "slink")) {
        if (!a)
            die("slink %s: no target", name);
        header(o, name, S_IFLNK | 0777, strlen(a), 0, 0);
        put(o, a, strlen(a));
        pad4(o);
    } else if (!strcmp(kind, "nod")) {
        if (!b || (strcmp(b, "c") && strcmp(b, "b")))
            die("nod %s: type must be c or b", name);
        header(o, name, (b[0] == 'c' ? S_IFCHR : S_IFBLK) | parse_mode(a), 0,
               parse_num(c, "major"), parse_num(d, "minor"));
    } else {
        die("unknown entry kind '%s' (dir, file, slink, nod)", kind);
    }
}

static void add_list(struct out *o, const char *path)
{
    char *line = NULL;
    size_t cap = 0;
    FILE *list;

    list_path = path;
    list = fopen(list_path, "r");
    if (!list)
        die("%s: %s", list_path, strerror(errno));
    while (getline(&line, &cap, list) > 0) {
        lineno++;
        add_entry(o, line);
    }
    if (ferror(list))
        die("read error");
    lineno = 0;
    free(line);
    fclose(list);
}

int main(int argc, char **argv)
{
    struct out o = { .next_ino = 1 };

    if (argc < 3) {
        fprintf(stderr, "usage: mkinitramfs LIST... OUTPUT\n");
        return 2;
    }
    o.path = argv[argc - 1];
    o.f = fopen(o.path, "wb");
    if (!o.f)
        die("%s: %s", o.path, strerror(errno));
    for (int i = 1; i < argc - 1; i++)
        add_list(&o, argv[i]);
    header(&o, "TRAILER!!!", 0, 0, 0, 0);
    /* Pad to a whole 512-byte block, as cpio -H newc does; the kernel
     * skips zero bytes after an archive. */
    while (o.pos % 512)
        put(&o, "", 1);
    if (fclose(o.f) != 0)
        die("%s: %s", o.path, strerror(errno));
    return 0;
}
