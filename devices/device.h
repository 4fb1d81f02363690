/*
 * devices/device.h - the device-model interface.
 *
 * Contract: a device registers port ranges and/or guest-physical MMIO ranges
 * with one `struct device_ops` and an opaque pointer.  The monitor calls
 * the handlers for every guest access in a registered range (size 1, 2 or 4
 * bytes; port accesses wider than one byte arrive once at the base port).
 * A port or MMIO address that no device claims reads as all ones and ignores
 * writes, as on a PC bus, and is counted in the statistics.
 * Devices raise interrupts through irq_set_level() (devices/irq.h) and never
 * touch the CPU directly.
 */
#ifndef DEVICES_DEVICE_H
#define DEVICES_DEVICE_H

#include <stdint.h>
#include <stdbool.h>

struct vm;

struct device_ops {
    const char *name;
    uint32_t (*pio_read)(void *opaque, uint16_t port, int size);
    void (*pio_write)(void *opaque, uint16_t port, int size, uint32_t value);
    uint32_t (*mmio_read)(void *opaque, uint64_t addr, int size);
    void (*mmio_write)(void *opaque, uint64_t addr, int size, uint32_t value);
    bool fetch;         /* memory the CPU may fetch instructions from (a ROM) */
};

#define IO_MAX_PIO_RANGES 64
#define IO_MAX_MMIO_RANGES 16

struct io_range {
    uint64_t base, len;
    const struct device_ops *ops;
    void *opaque;
};

struct io_bus {
    struct io_range pio[IO_MAX_PIO_RANGES];
    int npio;
    int last_pio;                   /* index of the range last accessed */
    struct io_range mmio[IO_MAX_MMIO_RANGES];
    int nmmio;
    uint64_t unclaimed_pio, unclaimed_mmio;
    /* Every port and MMIO access, claimed or not: an access may change
     * what an interrupt controller or a timer does next, so the run loop
     * ends a run of interpreted instructions at one (monitor/run_bt.c). */
    uint64_t accesses;
};

int io_register_pio(struct io_bus *bus, uint16_t base, uint16_t len,
                    const struct device_ops *ops, void *opaque);
int io_register_mmio(struct io_bus *bus, uint64_t base, uint64_t len,
                     const struct device_ops *ops, void *opaque);
/* Move the port range registered for opaque to start at base, as a
 * chipset's base-address register does; -1 (nothing moved) if it would
 * overlap another device or run past port 0xFFFF. */
int io_move_pio(struct io_bus *bus, void *opaque, uint16_t base);

uint32_t io_pio_read(struct io_bus *bus, uint16_t port, int size);
void io_pio_write(struct io_bus *bus, uint16_t port, int size, uint32_t value);
/* Returns false when no device claims addr (the caller then treats it as
 * unassigned: reads all ones, writes dropped). */
bool io_mmio_read(struct io_bus *bus, uint64_t addr, int size, uint32_t *value);
/* Does a device claim this physical address? */
bool io_mmio_claimed(const struct io_bus *bus, uint64_t addr);
/* Does a ROM (device_ops.fetch) hold [addr, addr + len)? */
bool io_mmio_fetchable(const struct io_bus *bus, uint64_t addr, uint64_t len);
bool io_mmio_write(struct io_bus *bus, uint64_t addr, int size, uint32_t value);
/* An access of any width to device memory, as the CPU makes it: devices
 * take 1, 2 or 4 bytes, so a wider one (CMPXCHG8B, MOVQ, a 16-byte SSE
 * move) or an odd-sized piece of an access split at a page boundary
 * reaches them as naturally aligned pieces of at most 4 bytes, lowest
 * address first.  Unclaimed bytes read as all ones; writes to them are
 * dropped. */
void io_mmio_access(struct io_bus *bus, uint64_t addr, void *buf, uint32_t n, bool write);

#endif
