/*
 * devices/rom.c - the firmware ROM at the top of 4 GiB (contract in
 * devices/rom.h).  On a PC the flash holding the BIOS is decoded just
 * below 4 GiB so that the reset vector at 0xFFFFFFF0 (SDM vol. 3A 9.1.4)
 * is its last paragraph; it is read-only to the processor.
 */
#include <string.h>
#include "devices/rom.h"
#include "devices/device.h"
#include "devices/platform.h"

static uint32_t rom_read(void *opaque, uint64_t addr, int size)
{
    const struct rom *r = opaque;
    uint64_t off = addr - (0x100000000ull - r->size);
    uint32_t v = 0;
    if (off < r->size)
        memcpy(&v, r->data + off, off + size <= r->size ? (size_t)size : r->size - off);
    return v;
}

/* Writes to a ROM go nowhere. */
static void rom_write(void *opaque, uint64_t addr, int size, uint32_t value)
{
    (void)opaque, (void)addr, (void)size, (void)value;
}

static const struct device_ops rom_ops = {
    .name = "firmware ROM",
    .mmio_read = rom_read,
    .mmio_write = rom_write,
    .fetch = true,
};

void devices_firmware(struct vm *vm, uint8_t *data, uint32_t size)
{
    struct rom *r = &platform_of(vm)->rom;
    r->data = data;
    r->size = size;
}

int rom_init(struct rom *r, struct io_bus *bus)
{
    if (!r->data)
        return 0;
    return io_register_mmio(bus, 0x100000000ull - r->size, r->size, &rom_ops, r);
}
