/*
 * devices/fw_cfg.c - QEMU's firmware configuration interface at 0x510:
 * what a QEMU-like PC tells its firmware about itself (RAM, CPUs, where
 * the serial console is), one selected item read a byte at a time.
 */
#include <string.h>
#include "devices/device.h"
#include "devices/fw_cfg.h"
#include "devices/bios_data.h"

static void le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void le32(uint8_t *p, uint32_t v) { le16(p, v); le16(p + 2, v >> 16); }
static void le64(uint8_t *p, uint64_t v) { le32(p, v); le32(p + 4, v >> 32); }
static void be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void be32(uint8_t *p, uint32_t v) { be16(p, v >> 16); be16(p + 2, v); }

static void add_item(struct fw_cfg *f, uint16_t key, const uint8_t *data, uint32_t len)
{
    if (f->nitems < FW_CFG_MAX_ITEMS)
        f->items[f->nitems++] = (struct fw_cfg_item){ key, len, data };
}

/* A file is an item at the next key from 0x20 plus its directory entry;
 * callers add them in name order, as QEMU keeps its directory sorted. */
static void add_file(struct fw_cfg *f, const char *name, const uint8_t *data, uint32_t len)
{
    if (f->nfiles >= FW_CFG_MAX_FILES)
        return;
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
    uint8_t *e = f->dir + 4 + f->nfiles * FW_CFG_DIR_ENTRY;
    be32(e, len);
    be16(e + 4, key);
    be16(e + 6, 0);
    strncpy((char *)e + 8, name, FW_CFG_NAME_LEN - 1);     /* zero-padded, NUL-terminated */
    f->nfiles++;
    be32(f->dir, f->nfiles);
    add_item(f, key, data, len);
}

/* "etc/e820" lists the machine's RAM as QEMU lists it for SeaBIOS: type-1
 * ranges of installed memory, not the map a BIOS hands a kernel (that one,
 * with the EBDA and the BIOS area reserved, is the firmware's to make:
 * bios_memory_map() is vmm's stand-in for it without --bios).  RAM starts
 * at 0 and is contiguous here; it never reaches 4 GiB (--mem <= 3072), but
 * memory above would go above 4 GiB, as on QEMU.  The CMOS sizes, which
 * SeaBIOS reads first, come from the same ram_bytes (devices/cmos_rtc.c). */
static uint32_t ram_map(uint8_t *out, uint64_t ram_bytes)
{
    const uint64_t below_4g_max = 1ull << 32;
    uint64_t low = ram_bytes < below_4g_max ? ram_bytes : below_4g_max;
    uint32_t n = 0;
    le64(out, 0);
    le64(out + 8, low);
    le32(out + 16, FW_MEM_USABLE);
    n++;
    if (ram_bytes > low) {
        uint8_t *e = out + FW_CFG_E820_ENTRY;
        le64(e, below_4g_max);
        le64(e + 8, ram_bytes - low);
        le32(e + 16, FW_MEM_USABLE);
        n++;
    }
    return n * FW_CFG_E820_ENTRY;
}

static void select_key(struct fw_cfg *f, uint16_t key)
{
    f->selector = key;
    f->offset = 0;
    f->cur = NULL;
    uint16_t k = key & (uint16_t)~FW_CFG_WRITE_CHANNEL;
    for (unsigned i = 0; i < f->nitems; i++)
        if (f->items[i].key == k) {
            f->cur = &f->items[i];
            break;
        }
}

static uint8_t read_byte(struct fw_cfg *f)
{
    if (!f->cur || f->offset >= f->cur->len)
        return 0;
    return f->cur->data[f->offset++];
}

static uint32_t fw_cfg_read(void *opaque, uint16_t port, int size)
{
    struct fw_cfg *f = opaque;
    (void)port;
    if (size != 1) {
        f->bad_widths++;
        return size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
    }
    return read_byte(f);
}

static void fw_cfg_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct fw_cfg *f = opaque;
    (void)port;
    if (size == 2)
        select_key(f, (uint16_t)value);
    else if (size == 1)
        f->data_writes++;       /* the data port is read-only since QEMU 2.4 */
    else
        f->bad_widths++;
}

static const struct device_ops fw_cfg_ops = {
    .name = "fw_cfg",
    .pio_read = fw_cfg_read,
    .pio_write = fw_cfg_write,
};

int fw_cfg_init(struct fw_cfg *f, struct io_bus *bus, uint64_t ram_bytes, uint16_t sercon,
                const uint8_t *vga_bios, uint32_t vga_bios_len)
{
    static const uint8_t signature[4] = { 'Q', 'E', 'M', 'U' };
    memset(f, 0, sizeof *f);
    le32(f->id, FW_CFG_VERSION);
    le64(f->ram_size, ram_bytes);
    le16(f->nb_cpus, 1);
    le16(f->max_cpus, 1);
    le64(f->numa, 0);                   /* node count; no per-CPU or per-node data follows */
    le16(f->boot_menu, 0);              /* SeaBIOS's etc/show-boot-menu: no menu, no wait */
    f->irq0_override[0] = 1;            /* the PIT's IRQ0 reaches I/O APIC pin 2 (devices/platform.c) */
    le16(f->sercon_port, sercon);       /* mirror the BIOS screen to COM1, QEMU's -nographic */
    be32(f->dir, 0);

    add_item(f, FW_CFG_SIGNATURE, signature, sizeof signature);
    add_item(f, FW_CFG_ID, f->id, sizeof f->id);
    add_item(f, FW_CFG_RAM_SIZE, f->ram_size, sizeof f->ram_size);
    add_item(f, FW_CFG_NB_CPUS, f->nb_cpus, sizeof f->nb_cpus);
    add_item(f, FW_CFG_NUMA, f->numa, sizeof f->numa);
    add_item(f, FW_CFG_BOOT_MENU, f->boot_menu, sizeof f->boot_menu);
    add_item(f, FW_CFG_MAX_CPUS, f->max_cpus, sizeof f->max_cpus);
    add_item(f, FW_CFG_IRQ0_OVERRIDE, f->irq0_override, sizeof f->irq0_override);
    /* The directory item's length grows with each file added below. */
    add_item(f, FW_CFG_FILE_DIR, f->dir, 4);
    struct fw_cfg_item *dir = &f->items[f->nitems - 1];
    f->bootorder_entry = f->dir + 4 + f->nfiles * FW_CFG_DIR_ENTRY;
    add_file(f, "bootorder", (const uint8_t *)f->bootorder, 0);
    f->bootorder_item = &f->items[f->nitems - 1];
    add_file(f, "etc/e820", f->e820, ram_map(f->e820, ram_bytes));
    if (sercon)
        add_file(f, "etc/sercon-port", f->sercon_port, sizeof f->sercon_port);
    if (vga_bios)
        add_file(f, "vgaroms/vgabios.bin", vga_bios, vga_bios_len);
    dir->len = 4 + f->nfiles * FW_CFG_DIR_ENTRY;
    return io_register_pio(bus, FW_CFG_PORT_SEL, 2, &fw_cfg_ops, f);
}

void fw_cfg_boot_order(struct fw_cfg *f, const char *bootorder, bool menu)
{
    size_t len = strlen(bootorder);
    if (len >= sizeof f->bootorder) {
        len = sizeof f->bootorder - 1;
        while (len && bootorder[len - 1] != '\n')
            len--;
    }
    memcpy(f->bootorder, bootorder, len);
    f->bootorder[len] = '\0';
    /* SeaBIOS reads the file's size from the directory and the item. */
    f->bootorder_item->len = (uint32_t)len;
    be32(f->bootorder_entry, (uint32_t)len);
    le16(f->boot_menu, menu ? 1 : 0);
}
