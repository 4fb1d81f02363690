/*
 * monitor/loader_elf.c - ELF32 i386 executables (System V ABI, i386
 * supplement), read with libelf.
 *
 * Only the program headers matter to a boot loader: each PT_LOAD segment is
 * copied to its physical address p_paddr (what GRUB does; p_vaddr may be a
 * higher-half address the kernel maps itself), p_memsz - p_filesz bytes of
 * bss are zeroed, and the entry point is e_entry, made physical as GRUB
 * makes it: when e_entry lies inside a segment linked at another address
 * than it is loaded at (a higher-half kernel such as GNU Mach, p_vaddr
 * 0xC1000000 at p_paddr 0x1000000), the CPU starts at the same offset in
 * the loaded copy, since paging is off at entry.  Every segment is checked
 * against the file and against guest RAM before the first byte is copied.
 * Guest RAM covers the PC hole at 640 KiB..1 MiB (see guest_mem.h), so a
 * segment there is accepted like any other inside RAM.
 */
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include "monitor/loader.h"
#include "monitor/vm.h"

static int check_header(Elf *e, const struct kernel_image *k, GElf_Ehdr *eh,
                        char *err, size_t errlen)
{
    if (elf_kind(e) != ELF_K_ELF)
        return loader_error(err, errlen, k->path, "not an ELF file (offset 0x0)");
    if (gelf_getclass(e) != ELFCLASS32)
        return loader_error(err, errlen, k->path,
                            "not a 32-bit ELF file (EI_CLASS %d at offset 0x4)",
                            k->size > EI_CLASS ? k->data[EI_CLASS] : -1);
    if (!gelf_getehdr(e, eh))
        return loader_error(err, errlen, k->path, "truncated ELF header: %s (offset 0x0)",
                            elf_errmsg(-1));
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return loader_error(err, errlen, k->path, "not a little-endian ELF file (offset 0x5)");
    if (eh->e_machine != EM_386)
        return loader_error(err, errlen, k->path,
                            "not an i386 ELF file (e_machine %u at offset 0x12)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return loader_error(err, errlen, k->path,
                            "not an executable ELF file (e_type %u at offset 0x10)", eh->e_type);
    return 0;
}

/* Check one PT_LOAD segment against the file and guest RAM. */
static int check_segment(struct vm *vm, const struct kernel_image *k, size_t i,
                         const GElf_Phdr *ph, char *err, size_t errlen)
{
    char what[48];

    if (ph->p_filesz > ph->p_memsz)
        return loader_error(err, errlen, k->path,
                            "segment %zu: p_filesz 0x%llx > p_memsz 0x%llx", i,
                            (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (ph->p_offset > k->size || ph->p_filesz > k->size - ph->p_offset)
        return loader_error(err, errlen, k->path,
                            "truncated: segment %zu needs file bytes [0x%llx, 0x%llx) but the "
                            "file ends (offset 0x%zx)", i, (unsigned long long)ph->p_offset,
                            (unsigned long long)(ph->p_offset + ph->p_filesz), k->size);
    snprintf(what, sizeof what, "segment %zu", i);
    return loader_check_ram(vm, k->path, what, ph->p_paddr, ph->p_memsz, err, errlen);
}

static int load_segments(struct vm *vm, const struct kernel_image *k, Elf *e,
                         struct load_result *r, char *err, size_t errlen)
{
    size_t n;
    GElf_Phdr ph;
    bool any = false;

    if (elf_getphdrnum(e, &n) != 0)
        return loader_error(err, errlen, k->path, "bad program header table: %s", elf_errmsg(-1));
    /* Pass 1: validate everything, so bad input leaves RAM untouched. */
    for (size_t i = 0; i < n; i++) {
        if (!gelf_getphdr(e, (int)i, &ph))
            return loader_error(err, errlen, k->path, "truncated program header %zu: %s",
                                i, elf_errmsg(-1));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (check_segment(vm, k, i, &ph, err, errlen) < 0)
            return -1;
        any = true;
    }
    if (!any)
        return loader_error(err, errlen, k->path, "no PT_LOAD segment to load");
    /* Pass 2: copy. */
    r->end = 0;
    for (size_t i = 0; i < n; i++) {
        gelf_getphdr(e, (int)i, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        loader_copy(vm, ph.p_paddr, k->data + ph.p_offset, ph.p_filesz, ph.p_memsz);
        if (ph.p_paddr + ph.p_memsz > r->end)
            r->end = ph.p_paddr + ph.p_memsz;
    }
    return 0;
}

/* e_entry, or its loaded address when a PT_LOAD segment links it
 * elsewhere (the segments were validated by load_segments). */
static uint32_t physical_entry(Elf *e, const GElf_Ehdr *eh)
{
    size_t n;
    GElf_Phdr ph;
    if (elf_getphdrnum(e, &n) != 0)
        return (uint32_t)eh->e_entry;
    for (size_t i = 0; i < n; i++) {
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (eh->e_entry >= ph.p_vaddr && eh->e_entry - ph.p_vaddr < ph.p_memsz)
            return (uint32_t)(eh->e_entry - ph.p_vaddr + ph.p_paddr);
    }
    return (uint32_t)eh->e_entry;
}

int loader_elf32(struct vm *vm, const struct kernel_image *k, struct load_result *r,
                 char *err, size_t errlen)
{
    GElf_Ehdr eh;
    int rc = -1;

    if (elf_version(EV_CURRENT) == EV_NONE)
        return loader_error(err, errlen, k->path, "libelf: %s", elf_errmsg(-1));
    Elf *e = elf_memory((char *)k->data, k->size);
    if (!e)
        return loader_error(err, errlen, k->path, "not readable as ELF: %s (offset 0x0)",
                            elf_errmsg(-1));
    if (check_header(e, k, &eh, err, errlen) == 0 &&
        load_segments(vm, k, e, r, err, errlen) == 0) {
        r->entry = physical_entry(e, &eh);
        rc = 0;
    }
    elf_end(e);
    return rc;
}
