/*
 * tests/unit/test_fw_cfg.c - the fw_cfg ports as SeaBIOS reads them: the
 * signature, the ID, the file directory, a file by its key, etc/e820
 * against the CMOS sizes, reads past the end and of unknown keys, ignored
 * writes; and no vmm BIOS tables in memory when a firmware boots.
 */
#include <string.h>
#include "devtest.h"
#include "devices/fw_cfg.h"
#include "devices/bios_data.h"
#include "shadow_mmu/guest_mem.h"

static void select_key(struct vm *vm, uint16_t key)
{
    io_pio_write(&vm->io, FW_CFG_PORT_SEL, 2, key);
}

static void read_bytes(struct vm *vm, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = inb(vm, FW_CFG_PORT_DATA);
}

static uint32_t get_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* Walk the directory as SeaBIOS's qemu_cfg_init does; the file's key and
 * size, or key 0 when it is not there. */
static uint16_t find_file(struct vm *vm, const char *name, uint32_t *size)
{
    uint8_t count[4], e[FW_CFG_DIR_ENTRY];
    select_key(vm, FW_CFG_FILE_DIR);
    read_bytes(vm, count, 4);
    for (uint32_t i = 0; i < get_be32(count); i++) {
        read_bytes(vm, e, sizeof e);
        if (strncmp((char *)e + 8, name, FW_CFG_NAME_LEN) == 0) {
            *size = get_be32(e);
            return get_be16(e + 4);
        }
    }
    return 0;
}

/* Select `key` and read its first n bytes as a little-endian number. */
static uint64_t item_le(struct vm *vm, uint16_t key, int n)
{
    uint8_t b[8];
    select_key(vm, key);
    read_bytes(vm, b, (size_t)n);
    return get_le(b, n);
}

Test(fw_cfg, signature_and_id)
{
    struct vm *vm = devtest_vm();
    uint8_t sig[4];
    select_key(vm, FW_CFG_SIGNATURE);
    read_bytes(vm, sig, 4);
    cr_assert_eq(memcmp(sig, "QEMU", 4), 0);
    /* Either port reads data (QEMU's combined ports); re-selecting rewinds. */
    select_key(vm, FW_CFG_SIGNATURE);
    cr_assert_eq(inb(vm, FW_CFG_PORT_SEL), 'Q');
    cr_assert_eq(item_le(vm, FW_CFG_ID, 4), 1, "traditional interface only, no DMA");
    devtest_free(vm);
}

Test(fw_cfg, legacy_keys)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(item_le(vm, FW_CFG_RAM_SIZE, 8), vm->mem.size);
    cr_assert_eq(item_le(vm, FW_CFG_NB_CPUS, 2), 1);
    cr_assert_eq(item_le(vm, FW_CFG_MAX_CPUS, 2), 1);
    cr_assert_eq(item_le(vm, FW_CFG_NUMA, 8), 0);
    cr_assert_eq(item_le(vm, FW_CFG_BOOT_MENU, 2), 0);
    cr_assert_eq(item_le(vm, FW_CFG_IRQ0_OVERRIDE, 1), 1);
    devtest_free(vm);
}

Test(fw_cfg, directory_format)
{
    struct vm *vm = devtest_vm();
    uint8_t count[4], e[FW_CFG_DIR_ENTRY];
    select_key(vm, FW_CFG_FILE_DIR);
    read_bytes(vm, count, 4);
    cr_assert_eq(get_be32(count), 3);
    static const struct { const char *name; uint32_t size; } want[] = {
        { "bootorder", 0 }, { "etc/e820", 20 }, { "etc/sercon-port", 2 },
    };
    for (int i = 0; i < 3; i++) {
        read_bytes(vm, e, sizeof e);
        cr_assert_eq(get_be32(e), want[i].size, "%s", want[i].name);
        cr_assert_eq(get_be16(e + 4), FW_CFG_FILE_FIRST + i);
        cr_assert_eq(get_be16(e + 6), 0, "reserved");
        cr_assert_str_eq((char *)e + 8, want[i].name);
        for (int j = 8 + (int)strlen(want[i].name); j < FW_CFG_DIR_ENTRY; j++)
            cr_assert_eq(e[j], 0, "name padded with zeros");
    }
    cr_assert_eq(inb(vm, FW_CFG_PORT_DATA), 0, "the directory ends there");
    uint32_t size;
    cr_assert_eq(find_file(vm, "etc/acpi/tables", &size), 0, "no ACPI tables: the firmware builds its own");
    cr_assert_eq(find_file(vm, "etc/table-loader", &size), 0);
    devtest_free(vm);
}

Test(fw_cfg, sercon_port_file)
{
    struct vm *vm = devtest_vm();
    uint32_t size;
    uint16_t key = find_file(vm, "etc/sercon-port", &size);
    cr_assert_eq(size, 2);
    cr_assert_eq(item_le(vm, key, 2), 0x3F8);
    devtest_free(vm);
}

/* etc/e820 is the RAM, one type-1 range from 0, the size SeaBIOS also reads
 * from the CMOS (0x34/0x35: 64 KiB units above 16 MiB); the map vmm hands
 * kernels itself marks usable only memory inside it. */
Test(fw_cfg, e820_is_the_ram)
{
    struct vm *vm = devtest_vm();
    uint32_t size;
    uint16_t key = find_file(vm, "etc/e820", &size);
    cr_assert_eq(size, FW_CFG_E820_ENTRY);
    uint8_t e[FW_CFG_E820_ENTRY];
    select_key(vm, key);
    read_bytes(vm, e, sizeof e);
    cr_assert_eq(get_le(e, 8), 0);
    cr_assert_eq(get_le(e + 8, 8), vm->mem.size);
    cr_assert_eq(get_le(e + 16, 4), FW_MEM_USABLE);
    outb(vm, 0x70, 0x34);
    uint32_t lo = inb(vm, 0x71);
    outb(vm, 0x70, 0x35);
    uint32_t hi = inb(vm, 0x71);
    cr_assert_eq((uint64_t)(lo | hi << 8) * 65536 + (16u << 20), get_le(e + 8, 8));
    struct fw_mem_range r[FW_MEM_RANGES];
    int n = bios_memory_map(vm->mem.size, r);
    for (int i = 0; i < n; i++)
        if (r[i].type == FW_MEM_USABLE)
            cr_assert_leq(r[i].base + r[i].len, get_le(e + 8, 8));
    devtest_free(vm);
}

Test(fw_cfg, reads_past_the_end_and_unknown_keys_are_zero)
{
    struct vm *vm = devtest_vm();
    uint8_t b[16];
    select_key(vm, FW_CFG_SIGNATURE);
    read_bytes(vm, b, 16);
    cr_assert_eq(memcmp(b, "QEMU", 4), 0);
    for (int i = 4; i < 16; i++)
        cr_assert_eq(b[i], 0);
    /* Keys nobody defined, an arch-local one, the last key: zeros. */
    static const uint16_t unknown[] = { 0x0002, 0x001F, 0x0020 + 3, 0x3FFF, 0x8000, 0x8003, 0xFFFF };
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++)
        cr_assert_eq(item_le(vm, unknown[k], 8), 0, "key 0x%04x", unknown[k]);
    /* Many reads past the end never run off the item. */
    select_key(vm, FW_CFG_NB_CPUS);
    for (int i = 0; i < 100000; i++)
        (void)inb(vm, FW_CFG_PORT_DATA);
    cr_assert_eq(platform_of(vm)->fw_cfg.offset, 2);
    /* The write-channel bit does not change what is read. */
    select_key(vm, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
    cr_assert_eq(inb(vm, FW_CFG_PORT_DATA), 'Q');
    devtest_free(vm);
}

Test(fw_cfg, writes_and_other_widths_change_nothing)
{
    struct vm *vm = devtest_vm();
    select_key(vm, FW_CFG_SIGNATURE);
    outb(vm, FW_CFG_PORT_DATA, 'X');            /* a data write: ignored */
    outb(vm, FW_CFG_PORT_SEL, FW_CFG_ID);       /* a byte is not a selection */
    cr_assert_eq(inb(vm, FW_CFG_PORT_DATA), 'Q');
    cr_assert_eq(io_pio_read(&vm->io, FW_CFG_PORT_DATA, 2), 0xFFFF);
    cr_assert_eq(io_pio_read(&vm->io, FW_CFG_PORT_DATA, 4), 0xFFFFFFFFu);
    io_pio_write(&vm->io, FW_CFG_PORT_SEL, 4, FW_CFG_ID);
    cr_assert_eq(inb(vm, FW_CFG_PORT_DATA), 'E', "neither moved the offset nor selected");
    select_key(vm, FW_CFG_SIGNATURE);
    cr_assert_eq(inb(vm, FW_CFG_PORT_DATA), 'Q');
    cr_assert_eq(platform_of(vm)->fw_cfg.data_writes, 2);
    cr_assert_eq(platform_of(vm)->fw_cfg.bad_widths, 3);
    devtest_free(vm);
}

/* With a firmware (--bios) the platform leaves the first MiB to it: no
 * MP or ACPI tables, no EBDA pointer of vmm's own. */
Test(fw_cfg, no_vmm_tables_under_a_firmware)
{
    struct vm *vm = devtest_vm_with(64 * 1024);
    const uint8_t *m = vm->mem.ram;
    for (uint32_t a = 0xE0000; a < 0x100000; a += 16) {
        cr_assert_neq(memcmp(m + a, "_MP_", 4), 0, "MP pointer at 0x%x", a);
        cr_assert_neq(memcmp(m + a, "RSD PTR ", 8), 0, "RSDP at 0x%x", a);
    }
    cr_assert_eq(m[0x40E] | m[0x40F], 0, "no EBDA segment");
    devtest_free(vm);
}

/* With the display on: the VGA BIOS as vgaroms/vgabios.bin, byte for byte,
 * and no etc/sercon-port (SeaBIOS then writes its screen through the VGA
 * BIOS only, as under QEMU with a VGA). */
Test(fw_cfg, vga_bios_file_and_no_sercon)
{
    static struct io_bus bus;
    static struct fw_cfg f;
    static const uint8_t rom[4] = { 0x55, 0xAA, 0x01, 0x42 };
    memset(&bus, 0, sizeof bus);
    cr_assert_eq(fw_cfg_init(&f, &bus, 16 << 20, 0, rom, sizeof rom), 0);
    uint8_t count[4], e[FW_CFG_DIR_ENTRY];
    io_pio_write(&bus, FW_CFG_PORT_SEL, 2, FW_CFG_FILE_DIR);
    for (int i = 0; i < 4; i++)
        count[i] = io_pio_read(&bus, FW_CFG_PORT_DATA, 1);
    uint16_t key = 0;
    for (uint32_t n = 0; n < get_be32(count); n++) {
        for (unsigned i = 0; i < sizeof e; i++)
            e[i] = io_pio_read(&bus, FW_CFG_PORT_DATA, 1);
        cr_assert_str_neq((char *)e + 8, "etc/sercon-port");
        if (strcmp((char *)e + 8, "vgaroms/vgabios.bin") == 0) {
            key = get_be16(e + 4);
            cr_assert_eq(get_be32(e), sizeof rom);
        }
    }
    cr_assert_neq(key, 0, "no vgaroms/vgabios.bin");
    io_pio_write(&bus, FW_CFG_PORT_SEL, 2, key);
    for (unsigned i = 0; i < sizeof rom; i++)
        cr_assert_eq(io_pio_read(&bus, FW_CFG_PORT_DATA, 1), rom[i]);
}

/* Select key on a bare bus and read n bytes. */
static void bus_item(struct io_bus *bus, uint16_t key, uint8_t *buf, size_t n)
{
    io_pio_write(bus, FW_CFG_PORT_SEL, 2, key);
    for (size_t i = 0; i < n; i++)
        buf[i] = io_pio_read(bus, FW_CFG_PORT_DATA, 1);
}

static uint32_t bus_le32(struct io_bus *bus, uint16_t key)
{
    uint8_t b[4];
    bus_item(bus, key, b, 4);
    return (uint32_t)get_le(b, 4);
}

/* A kernel for the firmware: QEMU's address, size and data items of each
 * part, KERNEL_ENTRY 0, genroms/linuxboot.bin added to the directory
 * after the files that were there, as linuxboot.bin reads them, and the
 * bootorder file naming that ROM. */
Test(fw_cfg, linux_boot_items_and_option_rom)
{
    static struct io_bus bus;
    static struct fw_cfg f;
    static const uint8_t setup[6] = "SETUP", kernel[7] = "KERNEL", cmdline[5] = "a=b", rom[4] = { 0x55, 0xAA, 1, 7 };
    static const uint8_t initrd[3] = { 1, 2, 3 };
    const struct fw_cfg_linux k = {
        .setup = { 0x10000, setup, sizeof setup }, .kernel = { 0x100000, kernel, sizeof kernel },
        .cmdline = { 0x20000, cmdline, 4 }, .initrd = { 0x7F00000, initrd, sizeof initrd },
        .rom = rom, .rom_len = sizeof rom,
    };
    memset(&bus, 0, sizeof bus);
    cr_assert_eq(fw_cfg_init(&f, &bus, 128 << 20, 0x3F8, NULL, 0), 0);
    unsigned files = f.nfiles;
    static const char drives[] = "/pci@i0cf8/*@1,1/drive@1/disk@0\n";    /* --boot d */
    fw_cfg_boot_order(&f, drives, true);
    fw_cfg_linux_boot(&f, &k);
    cr_assert_eq(f.nfiles, files + 1);

    struct { uint16_t addr, size, data; const struct fw_cfg_blob *b; } parts[] = {
        { FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA, &k.setup },
        { FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA, &k.kernel },
        { FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA, &k.cmdline },
        { FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA, &k.initrd },
    };
    for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        uint8_t buf[16];
        cr_assert_eq(bus_le32(&bus, parts[i].addr), parts[i].b->addr, "part %u address", i);
        cr_assert_eq(bus_le32(&bus, parts[i].size), parts[i].b->len, "part %u size", i);
        bus_item(&bus, parts[i].data, buf, parts[i].b->len + 1);
        cr_assert_eq(memcmp(buf, parts[i].b->data, parts[i].b->len), 0, "part %u bytes", i);
        cr_assert_eq(buf[parts[i].b->len], 0, "part %u: nothing past its end", i);
    }
    cr_assert_eq(bus_le32(&bus, FW_CFG_KERNEL_ENTRY), 0);

    uint8_t count[4], e[FW_CFG_DIR_ENTRY];
    bus_item(&bus, FW_CFG_FILE_DIR, count, 4);
    cr_assert_eq(get_be32(count), files + 1);
    for (uint32_t n = 0; n <= files; n++)
        for (unsigned i = 0; i < sizeof e; i++)
            e[i] = io_pio_read(&bus, FW_CFG_PORT_DATA, 1);
    cr_assert_str_eq((char *)e + 8, "genroms/linuxboot.bin", "the last entry");
    cr_assert_eq(get_be32(e), sizeof rom);
    uint8_t got[sizeof rom];
    bus_item(&bus, get_be16(e + 4), got, sizeof got);
    cr_assert_eq(memcmp(got, rom, sizeof rom), 0);

    /* The ROM boots first, as QEMU's boot index 0, then the drives in
     * their order; the boot menu stays as asked. */
    static const char order[] = "/rom@genroms/linuxboot.bin\n/pci@i0cf8/*@1,1/drive@1/disk@0\n";
    char text[sizeof order];
    bus_item(&bus, FW_CFG_FILE_DIR, count, 4);
    for (uint32_t n = 0; n <= files; n++) {
        for (unsigned i = 0; i < sizeof e; i++)
            e[i] = io_pio_read(&bus, FW_CFG_PORT_DATA, 1);
        if (strcmp((char *)e + 8, "bootorder") == 0)
            break;
    }
    cr_assert_str_eq((char *)e + 8, "bootorder");
    cr_assert_eq(get_be32(e), sizeof order - 1);
    bus_item(&bus, get_be16(e + 4), (uint8_t *)text, sizeof text);
    cr_assert_eq(memcmp(text, order, sizeof order - 1), 0);
    cr_assert_eq(text[sizeof order - 1], 0, "nothing past the file's end");
    cr_assert_eq(bus_le32(&bus, FW_CFG_BOOT_MENU) & 0xFFFF, 1);
}
