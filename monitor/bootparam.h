/*
 * monitor/bootparam.h - the Linux/x86 boot protocol (Documentation/x86/
 * boot.rst, "The Linux/x86 Boot Protocol", versions 2.02 to 2.15): the setup
 * header a bzImage carries at file offset 0x1F1, the zero page (struct
 * boot_params) the boot loader hands the kernel in ESI, and the machine
 * state of the 32-bit entry.  Written from the documented field table; only
 * the fields vmm reads or fills are named, the rest is padding whose offset
 * is checked by static asserts.
 *
 * All structures are little-endian guest layouts, copied with memcpy (guest
 * RAM offsets need not be aligned for the host).
 *
 * Contract of monitor/loader_linux.c (the bzImage loader, called from
 * loader_load() in monitor/loader.c):
 *   linux_probe() - 1 when the file carries "HdrS" at 0x202 (a Linux setup
 *                   header, any protocol version), else 0;
 *   linux_load()  - checks the header (protocol 2.02+, LOADED_HIGH, sizes),
 *                   lays out the boot (below), writes it into guest RAM and
 *                   sets the 32-bit entry state.  Returns 0, or -1 with a
 *                   one-line "FILE: problem (offset 0x..)" message in err[]
 *                   and nothing written, for bad input.
 */
#ifndef MONITOR_BOOTPARAM_H
#define MONITOR_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>
#include "monitor/loader.h"

/* ---- the setup header (file offset 0x1F1 = boot_params offset 0x1F1) ---- */

#define LX_HDR_OFFSET       0x1F1u
#define LX_HDRS_OFFSET      0x202u          /* "HdrS" */
#define LX_HDRS_MAGIC       0x53726448u     /* 'H' 'd' 'r' 'S' read little-endian */
#define LX_BOOT_FLAG        0xAA55u
#define LX_MIN_VERSION      0x0202u         /* cmd_line_ptr (32-bit command line) */
#define LX_DEFAULT_SETUP_SECTS 4            /* setup_sects == 0 means 4 */
#define LX_SECTOR           512u
#define LX_HIGH_LOAD        0x100000u       /* where LOADED_HIGH kernels go */

/* loadflags (0x211) */
#define LX_LOADED_HIGH      0x01u           /* protected-mode code at 0x100000 */
#define LX_KASLR_FLAG       0x02u           /* set by the kernel itself */
#define LX_QUIET_FLAG       0x20u
#define LX_KEEP_SEGMENTS    0x40u           /* obsolete since 2.x kernels of 2019 */
#define LX_CAN_USE_HEAP     0x80u           /* heap_end_ptr is valid (real-mode setup only) */

#define LX_LOADER_UNDEFINED 0xFFu           /* type_of_loader: "no assigned id" */
#define LX_LOADER_QEMU      0xB0u           /* type_of_loader: QEMU's id (0xB), version 0 */

/* xloadflags (0x236) */
#define LX_XLF_ABOVE_4G     0x02u           /* XLF_CAN_BE_LOADED_ABOVE_4G */

struct setup_header {
    uint8_t  setup_sects;       /* 0x1F1 sectors of real-mode setup after the boot sector */
    uint16_t root_flags;        /* 0x1F2 */
    uint32_t syssize;           /* 0x1F4 protected-mode size in 16-byte units (32 bits: 2.04+) */
    uint16_t ram_size;          /* 0x1F8 obsolete */
    uint16_t vid_mode;          /* 0x1FA */
    uint16_t root_dev;          /* 0x1FC */
    uint16_t boot_flag;         /* 0x1FE 0xAA55 */
    uint8_t  jump[2];           /* 0x200 short jump; jump[1] + 0x202 = end of the header */
    uint32_t header;            /* 0x202 "HdrS" */
    uint16_t version;           /* 0x206 protocol major << 8 | minor */
    uint32_t realmode_swtch;    /* 0x208 */
    uint16_t start_sys_seg;     /* 0x20C obsolete */
    uint16_t kernel_version;    /* 0x20E */
    uint8_t  type_of_loader;    /* 0x210 written by the loader */
    uint8_t  loadflags;         /* 0x211 */
    uint16_t setup_move_size;   /* 0x212 */
    uint32_t code32_start;      /* 0x214 32-bit entry point */
    uint32_t ramdisk_image;     /* 0x218 written: initrd physical address */
    uint32_t ramdisk_size;      /* 0x21C written: initrd size */
    uint32_t bootsect_kludge;   /* 0x220 obsolete */
    uint16_t heap_end_ptr;      /* 0x224 (2.01+) real-mode setup heap end */
    uint8_t  ext_loader_ver;    /* 0x226 (2.02+) */
    uint8_t  ext_loader_type;   /* 0x227 (2.02+) */
    uint32_t cmd_line_ptr;      /* 0x228 (2.02+) written: command line address */
    uint32_t initrd_addr_max;   /* 0x22C (2.03+) highest address the initrd may occupy */
    uint32_t kernel_alignment;  /* 0x230 (2.05+) physical alignment of a relocatable kernel */
    uint8_t  relocatable_kernel;/* 0x234 (2.05+) */
    uint8_t  min_alignment;     /* 0x235 (2.10+) log2 */
    uint16_t xloadflags;        /* 0x236 (2.12+) */
    uint32_t cmdline_size;      /* 0x238 (2.06+) longest command line, without the NUL */
    uint32_t hardware_subarch;  /* 0x23C (2.07+) */
    uint64_t hardware_subarch_data; /* 0x240 */
    uint32_t payload_offset;    /* 0x248 (2.08+) */
    uint32_t payload_length;    /* 0x24C */
    uint64_t setup_data;        /* 0x250 (2.09+) linked list of setup_data */
    uint64_t pref_address;      /* 0x258 (2.10+) preferred load address */
    uint32_t init_size;         /* 0x260 (2.10+) memory needed from the runtime start */
    uint32_t handover_offset;   /* 0x264 (2.11+) EFI handover entry */
    uint32_t kernel_info_offset;/* 0x268 (2.15+) */
} __attribute__((packed));

/* ---- the zero page ---- */

#define LX_E820_MAX         128
#define LX_E820_RAM         1
#define LX_E820_RESERVED    2

struct lx_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

/* The part of screen_info (offset 0) the real-mode setup code fills from
 * the video BIOS; vmm fills it as for 80x25 colour text mode 3. */
struct lx_screen_info {
    uint8_t  orig_x;            /* 0x00 cursor column */
    uint8_t  orig_y;            /* 0x01 cursor row */
    uint16_t ext_mem_k;         /* 0x02 */
    uint16_t orig_video_page;   /* 0x04 */
    uint8_t  orig_video_mode;   /* 0x06 BIOS video mode */
    uint8_t  orig_video_cols;   /* 0x07 */
    uint8_t  flags;             /* 0x08 */
    uint8_t  unused2;           /* 0x09 */
    uint16_t orig_video_ega_bx; /* 0x0A */
    uint16_t unused3;           /* 0x0C */
    uint8_t  orig_video_lines;  /* 0x0E */
    uint8_t  orig_video_isVGA;  /* 0x0F 1 = VGA text */
    uint16_t orig_video_points; /* 0x10 character height */
    uint8_t  rest[0x40 - 0x12];
} __attribute__((packed));

struct boot_params {
    struct lx_screen_info screen_info;  /* 0x000 */
    uint8_t  pad_040[0x070 - 0x040];    /* apm_bios_info, tboot_addr, ist_info */
    uint64_t acpi_rsdp_addr;            /* 0x070 (2.14+) */
    uint8_t  pad_078[0x0C0 - 0x078];
    uint32_t ext_ramdisk_image;         /* 0x0C0 high 32 bits of ramdisk_image */
    uint32_t ext_ramdisk_size;          /* 0x0C4 */
    uint32_t ext_cmd_line_ptr;          /* 0x0C8 */
    uint8_t  pad_0cc[0x1E0 - 0x0CC];    /* ..., edid_info, efi_info */
    uint32_t alt_mem_k;                 /* 0x1E0 KiB of memory above 1 MiB (E801) */
    uint32_t scratch;                   /* 0x1E4 the kernel's own */
    uint8_t  e820_entries;              /* 0x1E8 */
    uint8_t  eddbuf_entries;            /* 0x1E9 */
    uint8_t  edd_mbr_sig_buf_entries;   /* 0x1EA */
    uint8_t  kbd_status;                /* 0x1EB */
    uint8_t  secure_boot;               /* 0x1EC */
    uint8_t  pad_1ed[2];
    uint8_t  sentinel;                  /* 0x1EF must stay 0 (boot loader zeroed the page) */
    uint8_t  pad_1f0;
    struct setup_header hdr;            /* 0x1F1 */
    uint8_t  pad_hdr_end[0x290 - 0x1F1 - sizeof(struct setup_header)];
    uint32_t edd_mbr_sig_buffer[16];    /* 0x290 */
    struct lx_e820_entry e820_table[LX_E820_MAX]; /* 0x2D0 */
    uint8_t  pad_cd0[0x1000 - 0xCD0];   /* eddbuf ... */
} __attribute__((packed));

/* Bytes of the setup header that fit in boot_params (0x1F1 .. 0x290). */
#define LX_HDR_MAX_END      0x290u

_Static_assert(sizeof(struct setup_header) == 0x26C - 0x1F1, "setup_header layout");
_Static_assert(offsetof(struct setup_header, version) == 0x206 - 0x1F1, "version");
_Static_assert(offsetof(struct setup_header, code32_start) == 0x214 - 0x1F1, "code32_start");
_Static_assert(offsetof(struct setup_header, cmd_line_ptr) == 0x228 - 0x1F1, "cmd_line_ptr");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - 0x1F1, "pref_address");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0C0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, alt_mem_k) == 0x1E0, "alt_mem_k");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1E8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1EF, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == 0x1F1, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2D0, "e820_table");
_Static_assert(sizeof(struct boot_params) == 0x1000, "boot_params is one page");

/* ---- where vmm puts things (guest-physical; docs/linux-guest.md) ---- */

#define LX_BOOT_PARAMS      0x10000u        /* the zero page */
#define LX_GDT              0x11000u        /* null, unused, __BOOT_CS, __BOOT_DS */
#define LX_CMDLINE          0x12000u        /* the command line, NUL-terminated */
#define LX_LOW_END          0x9FC00u        /* start of the EBDA: low things stay below */

/* Selectors the 32-bit boot protocol requires (boot.rst, "32-bit BOOT
 * PROTOCOL"): GDT entries 2 and 3, flat 4 GiB. */
#define LX_BOOT_CS          0x10u
#define LX_BOOT_DS          0x18u
#define LX_GDT_ENTRIES      4

/* ---- monitor/loader_linux.c ---- */

struct vm;

int linux_probe(const struct kernel_image *k);
int linux_load(struct vm *vm, const struct kernel_image *k, char *err, size_t errlen);

/* ---- monitor/loader_fwlinux.c: through the firmware, as QEMU boots -kernel ---- */

/* Room the firmware keeps for its tables at the top of RAM, which the
 * initrd stays below (QEMU's acpi_data_size for a PC). */
#define LX_FW_TOP_RESERVE   0x28000u

/* Where QEMU's layout puts each part (guest-physical). */
struct lx_fw_layout {
    uint16_t protocol;
    uint32_t real_addr;         /* setup sectors, boot sector included */
    uint32_t setup_len;
    uint32_t prot_addr;         /* protected-mode part */
    uint32_t kernel_len;
    uint32_t cmdline_addr;
    uint32_t cmdline_len;       /* with its NUL */
    uint32_t initrd_addr, initrd_len;  /* 0, 0: none */
};

/* 1 and a reason in why[] when the 32-bit entry cannot start this kernel
 * (protocol before 2.02, a zImage, syssize 0, code32_start outside the
 * protected-mode part): only its real-mode setup code can.  0 otherwise,
 * and for a file too short to tell (linux_load() then says what is wrong). */
int linux_needs_firmware(const struct kernel_image *k, char *why, size_t len);
/* The layout for a RAM of `ram` bytes, a command line of cmdlen bytes and
 * an initrd of *initrd_size bytes (NULL: none); -1 with "FILE: problem
 * (offset ..)" in err[] when something does not fit or the header is
 * truncated. */
int linux_fw_layout(const struct kernel_image *k, uint64_t ram, size_t cmdlen,
                    const uint64_t *initrd_size, struct lx_fw_layout *l, char *err, size_t errlen);
/* Patch a copy of the setup sectors as the boot loader: command line
 * pointer (or the pre-2.02 magic), type_of_loader, CAN_USE_HEAP and
 * heap_end_ptr, ramdisk_image/size, vid_mode from "vga=".  -1 for a vga=
 * value that is no mode. */
int linux_fw_patch(uint8_t *setup, const struct lx_fw_layout *l, const char *cmdline);
/* Hand the kernel, vm->opt.initrd and vm->opt.append to the platform's
 * fw_cfg with QEMU's option ROM (VMM_LINUXBOOT_ROM) and load the firmware
 * `bios` as loader_load_bios() does. */
int linux_fw_load(struct vm *vm, const struct kernel_image *k, const char *bios,
                  char *err, size_t errlen);

#endif
