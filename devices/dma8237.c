/*
 * devices/dma8237.c - the two 8237A DMA controllers and their page
 * registers, as wired in the PC/AT.
 */
#include <string.h>
#include "cpu/machine.h"
#include "shadow_mmu/mmu.h"
#include "devices/device.h"
#include "devices/dma8237.h"

#define MODE_AUTOINIT 0x10
#define MODE_DECREMENT 0x20
#define CMD_DISABLE 0x04        /* command register: controller disabled */

/* Page register port (0x80 + index) of each channel, as the AT wired them. */
static const uint8_t page_port[DMA_CHANNELS] = { 0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA };

static struct dma_channel *chan(struct dma8237 *d, int ch)
{
    return &d->c[ch / 4].ch[ch % 4];
}

/* Registers 0-7 (address and count of channels 0-3) through the flip-flop. */
static uint8_t addr_count_read(struct dma_ctrl *c, int reg)
{
    struct dma_channel *h = &c->ch[reg / 2];
    uint16_t v = reg & 1 ? h->count : h->addr;
    bool high = c->flipflop;
    c->flipflop = !c->flipflop;
    return high ? v >> 8 : v & 0xFF;
}

static void addr_count_write(struct dma_ctrl *c, int reg, uint8_t v)
{
    struct dma_channel *h = &c->ch[reg / 2];
    uint16_t *base = reg & 1 ? &h->base_count : &h->base_addr;
    *base = c->flipflop ? (uint16_t)((*base & 0x00FF) | v << 8) : (uint16_t)((*base & 0xFF00) | v);
    c->flipflop = !c->flipflop;
    /* Writing the base writes the current register too. */
    if (reg & 1)
        h->count = *base;
    else
        h->addr = *base;
}

static void master_clear(struct dma_ctrl *c)
{
    c->command = c->status = c->request = 0;
    c->flipflop = false;
    c->mask = 0x0F;
}

static uint8_t ctrl_read(struct dma_ctrl *c, int reg)
{
    uint8_t v;
    switch (reg) {
    case 0x8:                   /* status: TC bits 0-3 (cleared by the read), requests 4-7 */
        v = (uint8_t)(c->status | c->request << 4);
        c->status = 0;
        return v;
    case 0xD:                   /* temporary register (memory-to-memory only) */
        return 0;
    case 0xF:                   /* all mask bits (as the PC chipsets' 8237s read them) */
        return 0xF0 | c->mask;
    default:
        return reg < 8 ? addr_count_read(c, reg) : 0xFF;
    }
}

static void ctrl_write(struct dma_ctrl *c, int reg, uint8_t v)
{
    switch (reg) {
    case 0x8: c->command = v; break;
    case 0x9: c->request = (uint8_t)((c->request & ~(1u << (v & 3))) | ((v >> 2 & 1) << (v & 3))); break;
    case 0xA: c->mask = (uint8_t)((c->mask & ~(1u << (v & 3))) | ((v >> 2 & 1) << (v & 3))); break;
    case 0xB: c->ch[v & 3].mode = v; break;
    case 0xC: c->flipflop = false; break;
    case 0xD: master_clear(c); break;
    case 0xE: c->mask = 0; break;
    case 0xF: c->mask = v & 0x0F; break;
    default:
        if (reg < 8)
            addr_count_write(c, reg, v);
    }
}

/* Ports 0x00-0x0F: the first 8237's registers; 0xC0-0xDF: the second's,
 * at even ports (its A0 line is the system's A1); 0x81-0x8F: pages. */
static uint32_t dma_pio_read(void *opaque, uint16_t port, int size)
{
    struct dma8237 *d = opaque;
    (void)size;
    if (port >= 0x80 && port <= 0x8F)
        return d->pages[port - 0x80];
    if (port >= 0xC0)
        return (port & 1) ? 0xFF : ctrl_read(&d->c[1], (port - 0xC0) >> 1);
    return ctrl_read(&d->c[0], port & 0xF);
}

static void dma_pio_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct dma8237 *d = opaque;
    (void)size;
    uint8_t v = (uint8_t)value;
    if (port >= 0x80 && port <= 0x8F) {
        d->pages[port - 0x80] = v;
        for (int ch = 0; ch < DMA_CHANNELS; ch++)
            if (page_port[ch] == port - 0x80)
                chan(d, ch)->page = v;
    } else if (port >= 0xC0) {
        if (!(port & 1))
            ctrl_write(&d->c[1], (port - 0xC0) >> 1, v);
    } else {
        ctrl_write(&d->c[0], port & 0xF, v);
    }
}

static const struct device_ops dma_ops = {
    .name = "8237 DMA", .pio_read = dma_pio_read, .pio_write = dma_pio_write,
};

int dma_init(struct dma8237 *d, struct vm *vm, struct io_bus *bus)
{
    *d = (struct dma8237){ .vm = vm };
    master_clear(&d->c[0]);
    master_clear(&d->c[1]);
    if (io_register_pio(bus, 0x00, 16, &dma_ops, d) < 0 ||
        io_register_pio(bus, 0x81, 15, &dma_ops, d) < 0 ||
        io_register_pio(bus, 0xC0, 32, &dma_ops, d) < 0)
        return -1;
    return 0;
}

bool dma_ready(const struct dma8237 *d, int ch)
{
    if (ch < 0 || ch >= DMA_CHANNELS || ch == 4)
        return false;
    const struct dma_ctrl *c = &d->c[ch / 4];
    /* Channels 0-3 reach the bus through channel 4, the cascade. */
    if (ch < 4 && ((d->c[1].mask & 1) || (d->c[1].command & CMD_DISABLE)))
        return false;
    return !(c->mask >> (ch % 4) & 1) && !(c->command & CMD_DISABLE);
}

/* Guest RAM at pa for one unit of a transfer, or NULL when pa is not RAM
 * (beyond it, or memory a device answers: the ROM, the VGA window). */
static uint8_t *ram_at(struct dma8237 *d, uint32_t pa, uint32_t n)
{
    struct vm *vm = d->vm;
    if (io_mmio_claimed(vm_io(vm), pa))
        return NULL;
    return guest_phys_ptr(vm_mem(vm), pa, n);
}

size_t dma_transfer(struct dma8237 *d, int ch, uint8_t *buf, size_t len, bool device_writes, bool *tc)
{
    *tc = false;
    if (!dma_ready(d, ch))
        return 0;
    struct dma_ctrl *c = &d->c[ch / 4];
    struct dma_channel *h = chan(d, ch);
    uint32_t unit = ch < 4 ? 1 : 2;
    enum dma_type type = (enum dma_type)(h->mode >> 2 & 3);
    bool to_mem = type == DMA_WRITE && device_writes;
    bool from_mem = type == DMA_READ && !device_writes;
    size_t done = 0;
    while (done + unit <= len) {
        /* Byte channels: page = A23-A16, the address A15-A0.  Word
         * channels: page bits 7-1 = A23-A17, the address A16-A1. */
        uint32_t pa = unit == 1 ? (uint32_t)h->page << 16 | h->addr
                                : (uint32_t)(h->page & 0xFE) << 16 | (uint32_t)h->addr << 1;
        uint8_t *ram = (to_mem || from_mem) ? ram_at(d, pa, unit) : NULL;
        if (to_mem && ram) {
            mmu_store_ram(d->vm, pa, buf + done, unit);
        } else if (from_mem) {
            if (ram)
                memcpy(buf + done, ram, unit);
            else
                memset(buf + done, 0xFF, unit);
        }
        if ((to_mem || from_mem) && !ram)
            d->dropped += unit;
        done += unit;
        h->addr = (uint16_t)(h->mode & MODE_DECREMENT ? h->addr - 1 : h->addr + 1);
        if (h->count-- == 0) {
            *tc = true;
            c->status |= (uint8_t)(1u << (ch % 4));
            if (h->mode & MODE_AUTOINIT) {
                h->addr = h->base_addr;
                h->count = h->base_count;
            } else {
                c->mask |= (uint8_t)(1u << (ch % 4));
            }
            break;
        }
    }
    d->bytes += done;
    return done;
}
