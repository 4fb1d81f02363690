/*
 * devices/dma8237.h - the PC/AT's two Intel 8237A DMA controllers.
 *
 * Contract: the first 8237 (channels 0-3, byte transfers) answers at ports
 * 0x00-0x0F, the second (channels 4-7, word transfers; channel 4 is the
 * cascade from the first) at 0xC0-0xDF, one register every second port;
 * the page registers (address bits 16-23) at 0x81-0x8F.  Each channel has
 * a base and a current address and count (written low byte then high
 * byte through the controller's flip-flop), a mode (transfer type,
 * autoinitialize, increment or decrement), a mask bit and a request bit;
 * the status register holds each channel's terminal count (cleared when
 * read), the mask register all four masks.  Master clear masks every
 * channel and clears the flip-flop, status and requests.
 *
 * A device moves its data with dma_transfer(): at most the bytes its buffer
 * holds and at most what the channel's count has left, in the direction
 * the channel's mode names (a "write" transfer writes guest memory, a
 * "read" transfer reads it, verify touches nothing).  Addresses wrap inside
 * the 64 KiB (byte channels) or 128 KiB (word channels) block the page
 * register selects, as the hardware's do.  A byte whose address is not
 * guest RAM (past the end of RAM, or memory a device claims) is not
 * touched: writes are dropped and reads give 0xFF, so no guest
 * programming reaches host memory.  Writes to guest RAM drop the
 * translations and page-table shadows made from the pages they change.
 * When the count runs out the channel reaches terminal count: its status
 * bit is set and it is reloaded (autoinitialize) or masked.
 */
#ifndef DEVICES_DMA8237_H
#define DEVICES_DMA8237_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct io_bus;

#define DMA_CHANNELS 8

/* The mode register's transfer types (bits 3-2). */
enum dma_type { DMA_VERIFY = 0, DMA_WRITE = 1, DMA_READ = 2 };

struct dma_channel {
    uint16_t base_addr, base_count;     /* as programmed */
    uint16_t addr, count;               /* current: count is the units left minus one */
    uint8_t mode;
    uint8_t page;
};

struct dma_ctrl {
    struct dma_channel ch[4];
    bool flipflop;                      /* next address/count access is the high byte */
    uint8_t command, status, mask, request;
};

struct dma8237 {
    struct vm *vm;
    struct dma_ctrl c[2];
    uint8_t pages[16];                  /* 0x80-0x8F: the page registers and the spare ones */
    uint64_t bytes, dropped;            /* moved; not RAM and left alone */
};

int dma_init(struct dma8237 *d, struct vm *vm, struct io_bus *bus);
/* May channel ch (0-7) transfer: unmasked, its controller enabled? */
bool dma_ready(const struct dma8237 *d, int ch);
/* Move up to len bytes (a word channel: rounded down to whole words)
 * between buf and guest memory on channel ch, in the channel's direction
 * (device_writes: the device supplies buf; otherwise the device receives
 * into buf; a channel programmed the other way moves nothing through buf
 * but still counts).  Returns the bytes counted; *tc says whether the
 * channel reached terminal count. */
size_t dma_transfer(struct dma8237 *d, int ch, uint8_t *buf, size_t len, bool device_writes, bool *tc);

#endif
