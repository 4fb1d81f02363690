/*
 * devices/fw_cfg.h - QEMU's firmware configuration interface (fw_cfg), the
 * I/O-port form a PC firmware such as SeaBIOS reads at 0x510-0x511.
 *
 * Contract: fw_cfg_init() builds the items of a machine with `ram_bytes` of
 * RAM from address 0 and one CPU, a serial console at port `sercon` (0:
 * none) and a VGA BIOS (NULL: none; the caller keeps the image), and
 * registers ports 0x510-0x511 (QEMU's
 * "combined" ports, as SeaBIOS drives them):
 *   - a 16-bit write to either port selects the item of that key and puts
 *     the read offset at 0;
 *   - an 8-bit read from either port returns the selected item's next byte
 *     and advances the offset; past the item's end, and for a key with no
 *     item, it returns 0 and the offset stays where it is;
 *   - an 8-bit write is a data write, which this read-only interface
 *     ignores (counted); other widths are not accepted (reads all ones,
 *     writes nothing), as QEMU's port accepts only these.
 * Keys (QEMU's numbering): 0x0000 "QEMU", 0x0001 ID (bit 0, the traditional
 * interface; no DMA), 0x0003 RAM size, 0x0005 CPUs (1), 0x000D NUMA (no
 * nodes), 0x000E boot menu (0: none), 0x000F maximum CPUs (1), 0x0019 the
 * file directory, 0x8002 IRQ0 override (1: ISA IRQ0 is I/O APIC pin 2) and
 * the files from 0x0020: "bootorder" (empty until
 * fw_cfg_boot_order() fills it), "etc/e820" (the RAM),
 * "etc/sercon-port" (sercon, when not 0: SeaBIOS then mirrors its screen,
 * int 10h teletype output, to that UART and reads keys from it, as under
 * QEMU's -nographic), "vgaroms/vgabios.bin" (the VGA BIOS, which SeaBIOS
 * copies to 0xC0000 and runs as the VGA option ROM, as QEMU hands it its
 * ISA VGA's ROM).  Bit 14 of a key (QEMU's write channel) is
 * ignored on selection, as QEMU ignores it for reads.  No ACPI tables,
 * SMBIOS, kernel or initrd items: the firmware builds its own tables.
 * Multi-byte items are little-endian, except the directory, which is
 * big-endian (count, then per file: size, key, reserved, 56-byte name).
 */
#ifndef DEVICES_FW_CFG_H
#define DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;

#define FW_CFG_PORT_SEL       0x510
#define FW_CFG_PORT_DATA      0x511

#define FW_CFG_SIGNATURE      0x0000
#define FW_CFG_ID             0x0001
#define FW_CFG_RAM_SIZE       0x0003
#define FW_CFG_NB_CPUS        0x0005
#define FW_CFG_NUMA           0x000D
#define FW_CFG_BOOT_MENU      0x000E
#define FW_CFG_MAX_CPUS       0x000F
#define FW_CFG_FILE_DIR       0x0019
#define FW_CFG_FILE_FIRST     0x0020
#define FW_CFG_WRITE_CHANNEL  0x4000
#define FW_CFG_ARCH_LOCAL     0x8000
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)

#define FW_CFG_VERSION        0x01u     /* ID bit 0: the traditional interface */
#define FW_CFG_NAME_LEN       56
#define FW_CFG_DIR_ENTRY      (4 + 2 + 2 + FW_CFG_NAME_LEN)
#define FW_CFG_E820_ENTRY     20        /* address u64, length u64, type u32 */

#define FW_CFG_MAX_FILES      5
#define FW_CFG_MAX_ITEMS      16
#define FW_CFG_E820_MAX       2         /* RAM below and above 4 GiB */
#define FW_CFG_BOOTORDER_MAX  512       /* SeaBIOS's bootorder: one device path per line */

struct fw_cfg_item {
    uint16_t key;
    uint32_t len;
    const uint8_t *data;        /* into struct fw_cfg itself */
};

struct fw_cfg {
    struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
    unsigned nitems;
    const struct fw_cfg_item *cur;      /* the selected item; NULL: none */
    uint16_t selector;
    uint32_t offset;                    /* next byte of cur, <= cur->len */
    /* the items' contents */
    uint8_t id[4], ram_size[8], nb_cpus[2], numa[8], boot_menu[2], max_cpus[2], irq0_override[1];
    uint8_t e820[FW_CFG_E820_MAX * FW_CFG_E820_ENTRY];
    uint8_t sercon_port[2];
    char bootorder[FW_CFG_BOOTORDER_MAX];
    struct fw_cfg_item *bootorder_item;
    uint8_t *bootorder_entry;           /* its directory entry */
    uint8_t dir[4 + FW_CFG_MAX_FILES * FW_CFG_DIR_ENTRY];
    unsigned nfiles;
    uint64_t data_writes, bad_widths;   /* ignored accesses (--stats) */
};

int fw_cfg_init(struct fw_cfg *f, struct io_bus *bus, uint64_t ram_bytes, uint16_t sercon,
                const uint8_t *vga_bios, uint32_t vga_bios_len);
/* After fw_cfg_init(): the "bootorder" file (OpenFirmware device paths,
 * one per line, as SeaBIOS's boot.c matches them; longer text is cut at
 * the last whole line that fits) and the boot menu item (0x000E: menu
 * shows SeaBIOS's "Press ESC for boot menu"). */
void fw_cfg_boot_order(struct fw_cfg *f, const char *bootorder, bool menu);

#endif
