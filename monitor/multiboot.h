/*
 * monitor/multiboot.h - the Multiboot v1 boot protocol (Multiboot
 * Specification 0.6.96): the header a kernel carries, the information
 * structure the boot loader hands it in EBX, and the state at entry.
 *
 * All structures are little-endian guest memory layouts; they are written
 * into guest RAM with memcpy, never through pointers into guest memory
 * (guest RAM offsets need not be aligned for the host).
 */
#ifndef MONITOR_MULTIBOOT_H
#define MONITOR_MULTIBOOT_H

#include <stdint.h>

#define MB_HEADER_MAGIC      0x1BADB002u   /* in the kernel image */
#define MB_BOOT_MAGIC        0x2BADB002u   /* in EAX at entry */
#define MB_SEARCH_BYTES      8192          /* the header lies within the first 8 KiB ... */
#define MB_HEADER_ALIGN      4             /* ... on a 32-bit boundary */

/* Header flags.  Bits 0..15 are requirements: a loader that does not
 * understand one that is set must refuse the kernel (spec 3.1.2). */
#define MB_HF_PAGE_ALIGN     (1u << 0)     /* modules on 4 KiB boundaries */
#define MB_HF_MEMORY_INFO    (1u << 1)     /* mem_* (and mmap) must be given */
#define MB_HF_VIDEO_MODE     (1u << 2)     /* video mode table must be given */
#define MB_HF_REQUIRED_MASK  0x0000FFFFu
#define MB_HF_AOUT_KLUDGE    (1u << 16)    /* address fields of the header are valid */

struct mb_header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;          /* magic + flags + checksum == 0 (mod 2^32) */
    /* valid when MB_HF_AOUT_KLUDGE */
    uint32_t header_addr;       /* physical address of `magic` once loaded */
    uint32_t load_addr;         /* physical address of the start of the text */
    uint32_t load_end_addr;     /* end of text+data; 0: the rest of the file */
    uint32_t bss_end_addr;      /* end of bss (zeroed); 0: no bss */
    uint32_t entry_addr;        /* where to jump */
    /* valid when MB_HF_VIDEO_MODE (we refuse such kernels) */
    uint32_t mode_type, width, height, depth;
} __attribute__((packed));

#define MB_HEADER_MIN_SIZE   12u           /* magic, flags, checksum */
#define MB_HEADER_AOUT_SIZE  32u           /* ... and the address fields */

/* Info-structure flags: which fields are valid. */
#define MB_INFO_MEMORY       (1u << 0)
#define MB_INFO_BOOTDEV      (1u << 1)
#define MB_INFO_CMDLINE      (1u << 2)
#define MB_INFO_MODS         (1u << 3)
#define MB_INFO_MEM_MAP      (1u << 6)
#define MB_INFO_LOADER_NAME  (1u << 9)

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower;         /* KiB of RAM from 0 (at most 640) */
    uint32_t mem_upper;         /* KiB of RAM from 1 MiB up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;           /* physical address of a C string */
    uint32_t mods_count;
    uint32_t mods_addr;         /* physical address of struct mb_module[] */
    uint32_t syms[4];
    uint32_t mmap_length;       /* bytes of memory map */
    uint32_t mmap_addr;         /* physical address of the first struct mb_mmap_entry */
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;  /* physical address of a C string */
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t  framebuffer_bpp;
    uint8_t  framebuffer_type;
    uint8_t  color_info[6];
} __attribute__((packed));

struct mb_module {
    uint32_t mod_start;         /* physical, first byte */
    uint32_t mod_end;           /* physical, one past the last byte */
    uint32_t string;            /* physical address of a C string */
    uint32_t reserved;
} __attribute__((packed));

/* One memory-map entry.  `size` counts the bytes after itself (20), so the
 * next entry is at (this + size + 4). */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
} __attribute__((packed));

#define MB_MMAP_AVAILABLE    1
#define MB_MMAP_RESERVED     2

_Static_assert(sizeof(struct mb_header) == 48, "multiboot header layout");
_Static_assert(sizeof(struct mb_info) == 116, "multiboot info layout");
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

#endif
