/*
 * multiboot - the hand-off a Multiboot v1 loader promises (Multiboot 0.6.96
 * section 3.2 and 3.3): EAX magic (checked by the runtime), the info
 * structure's flags, memory sizes that match --mem and the memory map, the
 * --append command line, --initrd as module 0, page-aligned as our header
 * asks, and nothing of it overlapping the kernel image.
 * The runner starts it with --mem 64 --append "<CMDLINE>" --initrd
 * multiboot_module.txt.
 */
#include "rt.h"

#define CMDLINE "multiboot guest test cmdline=1"
#define MODULE_TEXT "multiboot module: 0123456789\n"
#define MEM_MIB 64

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4], mmap_length, mmap_addr;
};
struct mb_module { uint32_t mod_start, mod_end, string, reserved; };
struct mb_mmap { uint32_t size; uint64_t addr, len; uint32_t type; } __attribute__((packed));

extern char __image_end[];         /* lib/link.ld */

static bool overlaps_image(uint32_t start, uint32_t end)
{
    return start < (uint32_t)__image_end && end > 0x100000;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

void test_main(void)
{
    const struct mb_info *mb = (const struct mb_info *)rt_mb_info;
    CHECK(1, !overlaps_image(rt_mb_info, rt_mb_info + sizeof *mb), "the info structure at 0x%x overlaps the kernel", rt_mb_info);
    CHECK(2, (mb->flags & 0x1) && (mb->flags & 0x40),
          "info flags 0x%x lack mem_* (bit 0) or mmap_* (bit 6), which header flag 1 asks for", mb->flags);

    /* Memory sizes: lower memory is at most 640 KiB; upper memory is the
     * RAM from 1 MiB up to the first hole: the end of the 64 MiB, less what
     * firmware tables may reserve at the top (at most 1 MiB here). */
    CHECK(3, mb->mem_lower >= 512 && mb->mem_lower <= 640, "mem_lower %u KiB", mb->mem_lower);
    CHECK(4, mb->mem_upper <= MEM_MIB * 1024 - 1024 && mb->mem_upper >= MEM_MIB * 1024 - 2048,
          "mem_upper %u KiB with --mem 64 (want 62464..64512)", mb->mem_upper);

    /* The memory map: entries hold size (of the rest) first. */
    uint64_t usable = 0;
    bool upper_found = false;
    CHECK(5, !overlaps_image(mb->mmap_addr, mb->mmap_addr + mb->mmap_length), "the memory map overlaps the kernel");
    for (uint32_t off = 0; off < mb->mmap_length;) {
        const struct mb_mmap *e = (const struct mb_mmap *)(mb->mmap_addr + off);
        CHECK(6, e->size >= 20, "memory map entry with size %u", e->size);
        if (e->type == 1) {
            usable += e->len;
            if (e->addr == 0x100000) {
                upper_found = true;
                CHECK_EQ(7, (uint32_t)e->len, mb->mem_upper * 1024, "length of the usable region at 1 MiB");
            }
            CHECK(8, e->addr + e->len <= (uint64_t)MEM_MIB << 20, "usable region past the end of RAM");
        }
        off += e->size + 4;
    }
    CHECK(9, upper_found, "no usable memory map region at 1 MiB");
    CHECK(10, usable >= ((uint64_t)MEM_MIB << 20) - (1 << 20) && usable <= ((uint64_t)MEM_MIB << 20),
          "usable memory in the map: %u KiB", (uint32_t)(usable >> 10));

    /* The command line (GRUB puts the kernel's path first; we allow that). */
    CHECK(11, mb->flags & 0x4, "info flags 0x%x lack the command line (bit 2)", mb->flags);
    const char *cmd = (const char *)mb->cmdline;
    CHECK(12, ends_with(cmd, CMDLINE), "command line \"%s\"", cmd);
    CHECK(13, !overlaps_image(mb->cmdline, mb->cmdline + strlen(cmd) + 1), "the command line overlaps the kernel");

    /* The module. */
    CHECK(14, mb->flags & 0x8, "info flags 0x%x lack modules (bit 3)", mb->flags);
    CHECK_EQ(15, mb->mods_count, 1, "mods_count");
    const struct mb_module *m = (const struct mb_module *)mb->mods_addr;
    CHECK_EQ(16, m->mod_end - m->mod_start, sizeof MODULE_TEXT - 1, "module size");
    CHECK_EQ(17, m->mod_start & 0xFFF, 0, "module start alignment (header flag 0 asks for pages)");
    CHECK(18, memcmp((const void *)m->mod_start, MODULE_TEXT, sizeof MODULE_TEXT - 1) == 0,
          "module contents differ from multiboot_module.txt");
    CHECK(19, !overlaps_image(m->mod_start, m->mod_end), "the module overlaps the kernel");
    CHECK(20, m->mod_end <= (uint32_t)MEM_MIB << 20, "the module lies past the end of RAM");
}
