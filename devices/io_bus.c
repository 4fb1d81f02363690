/*
 * devices/io_bus.c - dispatch of port and MMIO accesses to device models.
 */
#include <string.h>
#include "devices/device.h"

static struct io_range *find(struct io_range *r, int n, uint64_t addr)
{
    for (int i = 0; i < n; i++)
        if (addr >= r[i].base && addr - r[i].base < r[i].len)
            return &r[i];
    return 0;
}

/* The port range of the last port access first: a guest talks to one
 * device port many times in a row (a sector is 256 reads of the IDE data
 * port), and ranges never overlap, so the hit is the range find() gives. */
static struct io_range *find_pio(struct io_bus *bus, uint16_t port)
{
    struct io_range *r = &bus->pio[bus->last_pio];
    if (bus->last_pio < bus->npio && port >= r->base && port - r->base < r->len)
        return r;
    r = find(bus->pio, bus->npio, port);
    if (r)
        bus->last_pio = (int)(r - bus->pio);
    return r;
}

static int add(struct io_range *r, int *n, int max, uint64_t base, uint64_t len,
               const struct device_ops *ops, void *opaque)
{
    if (*n >= max || len == 0)
        return -1;
    for (int i = 0; i < *n; i++)
        if (base < r[i].base + r[i].len && r[i].base < base + len)
            return -1;                      /* overlapping claims are a bug */
    r[*n] = (struct io_range){ base, len, ops, opaque };
    (*n)++;
    return 0;
}

int io_register_pio(struct io_bus *bus, uint16_t base, uint16_t len,
                    const struct device_ops *ops, void *opaque)
{
    return add(bus->pio, &bus->npio, IO_MAX_PIO_RANGES, base, len, ops, opaque);
}

int io_move_pio(struct io_bus *bus, void *opaque, uint16_t base)
{
    struct io_range *me = NULL;
    for (int i = 0; i < bus->npio; i++)
        if (bus->pio[i].opaque == opaque)
            me = &bus->pio[i];
    if (!me || (uint32_t)base + me->len > 0x10000)
        return -1;
    for (int i = 0; i < bus->npio; i++)
        if (&bus->pio[i] != me && base < bus->pio[i].base + bus->pio[i].len &&
            bus->pio[i].base < base + me->len)
            return -1;
    me->base = base;
    return 0;
}

int io_register_mmio(struct io_bus *bus, uint64_t base, uint64_t len,
                     const struct device_ops *ops, void *opaque)
{
    return add(bus->mmio, &bus->nmmio, IO_MAX_MMIO_RANGES, base, len, ops, opaque);
}

uint32_t io_pio_read(struct io_bus *bus, uint16_t port, int size)
{
    bus->accesses++;
    struct io_range *r = find_pio(bus, port);
    if (!r || !r->ops->pio_read) {
        bus->unclaimed_pio++;
        return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
    }
    return r->ops->pio_read(r->opaque, port, size);
}

void io_pio_write(struct io_bus *bus, uint16_t port, int size, uint32_t value)
{
    bus->accesses++;
    struct io_range *r = find_pio(bus, port);
    if (!r || !r->ops->pio_write) {
        bus->unclaimed_pio++;
        return;
    }
    r->ops->pio_write(r->opaque, port, size, value);
}

bool io_mmio_claimed(const struct io_bus *bus, uint64_t addr)
{
    for (int i = 0; i < bus->nmmio; i++)
        if (addr >= bus->mmio[i].base && addr - bus->mmio[i].base < bus->mmio[i].len)
            return true;
    return false;
}

bool io_mmio_fetchable(const struct io_bus *bus, uint64_t addr, uint64_t len)
{
    for (int i = 0; i < bus->nmmio; i++) {
        const struct io_range *r = &bus->mmio[i];
        if (r->ops->fetch && addr >= r->base && addr - r->base + len <= r->len)
            return true;
    }
    return false;
}

bool io_mmio_read(struct io_bus *bus, uint64_t addr, int size, uint32_t *value)
{
    bus->accesses++;
    struct io_range *r = find(bus->mmio, bus->nmmio, addr);
    if (!r || !r->ops->mmio_read) {
        bus->unclaimed_mmio++;
        return false;
    }
    *value = r->ops->mmio_read(r->opaque, addr, size);
    return true;
}

bool io_mmio_write(struct io_bus *bus, uint64_t addr, int size, uint32_t value)
{
    bus->accesses++;
    struct io_range *r = find(bus->mmio, bus->nmmio, addr);
    if (!r || !r->ops->mmio_write) {
        bus->unclaimed_mmio++;
        return false;
    }
    r->ops->mmio_write(r->opaque, addr, size, value);
    return true;
}

/* One device access of 1, 2 or 4 bytes. */
static void mmio_piece(struct io_bus *bus, uint64_t addr, uint8_t *buf, int n, bool write)
{
    uint32_t v = 0;
    if (write) {
        memcpy(&v, buf, (size_t)n);
        io_mmio_write(bus, addr, n, v);
    } else if (io_mmio_read(bus, addr, n, &v)) {
        memcpy(buf, &v, (size_t)n);
    } else {
        memset(buf, 0xFF, (size_t)n);
    }
}

/* (devices/device.h) */
void io_mmio_access(struct io_bus *bus, uint64_t addr, void *buf, uint32_t n, bool write)
{
    uint8_t *p = buf;
    if (n == 1 || n == 2 || n == 4) {
        mmio_piece(bus, addr, p, (int)n, write);
        return;
    }
    while (n) {
        uint32_t k = n >= 4 && !(addr & 3) ? 4 : n >= 2 && !(addr & 1) ? 2 : 1;
        mmio_piece(bus, addr, p, (int)k, write);
        addr += k;
        p += k;
        n -= k;
    }
}
