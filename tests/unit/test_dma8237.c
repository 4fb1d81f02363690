/*
 * tests/unit/test_dma8237.c - the 8237 pair through its ports: the
 * flip-flop, masks, status, autoinitialize, word channels, and transfers
 * bounded by the count and by guest RAM.
 */
#include <string.h>
#include "devtest.h"
#include "devices/dma8237.h"

static struct dma8237 *dma(struct vm *vm) { return &platform_of(vm)->dma; }

/* Channel 2 as a floppy driver programs it: mode, address, count - 1, page. */
static void program2(struct vm *vm, uint8_t mode, uint32_t addr, uint16_t len)
{
    outb(vm, 0x0A, 0x06);               /* mask channel 2 */
    outb(vm, 0x0C, 0);
    outb(vm, 0x04, addr & 0xFF);
    outb(vm, 0x04, addr >> 8 & 0xFF);
    outb(vm, 0x0C, 0);
    outb(vm, 0x05, (len - 1) & 0xFF);
    outb(vm, 0x05, (len - 1) >> 8);
    outb(vm, 0x0B, mode);
    outb(vm, 0x81, addr >> 16);
    outb(vm, 0x0A, 0x02);               /* unmask */
}

Test(dma8237, flipflop_and_readback)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x0C, 0);
    outb(vm, 0x02, 0x34); outb(vm, 0x02, 0x12);
    outb(vm, 0x0C, 0);
    cr_assert_eq(inb(vm, 0x02), 0x34);
    cr_assert_eq(inb(vm, 0x02), 0x12);
    /* Second controller: registers at even ports from 0xC0. */
    outb(vm, 0xD8, 0);
    outb(vm, 0xC4, 0xCD); outb(vm, 0xC4, 0xAB);     /* channel 5 address */
    cr_assert_eq(dma(vm)->c[1].ch[1].addr, 0xABCD);
    outb(vm, 0x8B, 0x07);                           /* channel 5's page */
    cr_assert_eq(dma(vm)->c[1].ch[1].page, 0x07);
    cr_assert_eq(inb(vm, 0x8B), 0x07);
    devtest_free(vm);
}

Test(dma8237, masks_and_master_clear)
{
    struct vm *vm = devtest_vm();
    cr_assert_eq(inb(vm, 0x0F) & 0x0F, 0x0F, "all masked after power-on");
    outb(vm, 0xDE, 0);                              /* second: clear masks (cascade open) */
    outb(vm, 0x0E, 0);
    cr_assert_eq(inb(vm, 0x0F) & 0x0F, 0);
    cr_assert(dma_ready(dma(vm), 2));
    outb(vm, 0x0A, 0x06);
    cr_assert_not(dma_ready(dma(vm), 2));
    outb(vm, 0x0F, 0x00);
    outb(vm, 0xD4, 0x04);                           /* mask channel 4: the cascade */
    cr_assert_not(dma_ready(dma(vm), 2), "channels 0-3 need the cascade");
    outb(vm, 0xD4, 0x00);
    outb(vm, 0x0D, 0);                              /* master clear */
    cr_assert_eq(inb(vm, 0x0F) & 0x0F, 0x0F);
    devtest_free(vm);
}

Test(dma8237, write_transfer_stops_at_terminal_count)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0xDE, 0);
    program2(vm, 0x46, 0x12000, 100);               /* single, write (to memory), channel 2 */
    uint8_t buf[512];
    memset(buf, 0x5A, sizeof buf);
    memset(vm->mem.ram + 0x12000, 0, 512);
    bool tc;
    size_t n = dma_transfer(dma(vm), 2, buf, sizeof buf, true, &tc);
    cr_assert_eq(n, 100, "bounded by the count");
    cr_assert(tc);
    cr_assert_eq(vm->mem.ram[0x12000 + 99], 0x5A);
    cr_assert_eq(vm->mem.ram[0x12000 + 100], 0, "nothing past the count");
    cr_assert_eq(inb(vm, 0x08) & 0x04, 0x04, "TC status of channel 2");
    cr_assert_eq(inb(vm, 0x08) & 0x04, 0, "cleared by the read");
    cr_assert_not(dma_ready(dma(vm), 2), "masked at TC without autoinit");
    devtest_free(vm);
}

Test(dma8237, read_transfer_autoinit_and_decrement)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0xDE, 0);
    for (int i = 0; i < 16; i++)
        vm->mem.ram[0x3000 + i] = (uint8_t)i;
    program2(vm, 0x4A | 0x10 | 0x20, 0x300F, 16);   /* read, autoinit, decrement */
    uint8_t buf[16];
    bool tc;
    cr_assert_eq(dma_transfer(dma(vm), 2, buf, 16, false, &tc), 16);
    cr_assert(tc);
    cr_assert_eq(buf[0], 15);
    cr_assert_eq(buf[15], 0);
    cr_assert(dma_ready(dma(vm), 2), "autoinit: still unmasked");
    cr_assert_eq(dma(vm)->c[0].ch[2].addr, 0x300F, "reloaded");
    devtest_free(vm);
}

Test(dma8237, word_channel)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0xDE, 0);
    outb(vm, 0xD8, 0);
    outb(vm, 0xC4, 0x00); outb(vm, 0xC4, 0x08);     /* channel 5: word address 0x0800 */
    outb(vm, 0xC6, 1); outb(vm, 0xC6, 0);           /* 2 words */
    outb(vm, 0xD6, 0x45);                           /* single, write, channel 5 */
    outb(vm, 0x8B, 0x02);                           /* page: bits 23-17 */
    outb(vm, 0xD4, 0x01);                           /* unmask channel 5 */
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    bool tc;
    cr_assert_eq(dma_transfer(dma(vm), 5, buf, 8, true, &tc), 4);
    cr_assert(tc);
    cr_assert_eq(memcmp(vm->mem.ram + 0x21000, buf, 4), 0, "0x20000 | 0x800 << 1");
    devtest_free(vm);
}

Test(dma8237, beyond_ram_touches_nothing)
{
    struct vm *vm = devtest_vm();                   /* 16 MiB of RAM */
    outb(vm, 0xDE, 0);
    /* The last 16 bytes of RAM, then 0x1000000 and up: not RAM. */
    program2(vm, 0x46, 0xFFFFF0, 64);
    uint8_t buf[64];
    memset(buf, 0xA5, sizeof buf);
    bool tc;
    cr_assert_eq(dma_transfer(dma(vm), 2, buf, 64, true, &tc), 64);
    cr_assert_eq(vm->mem.ram[0xFFFFFF], 0xA5);
    /* The address wraps inside the page's 64 KiB: 0xFF0000 onwards. */
    cr_assert_eq(vm->mem.ram[0xFF0000], 0xA5, "address wraps in its 64 KiB block");
    devtest_free(vm);
}

/* A machine with 4 MiB of RAM: the page registers reach 16 MiB. */
Test(dma8237, above_ram_dropped)
{
    char err[256];
    struct vm *vm = vm_alloc();
    cr_assert_eq(guest_mem_init(&vm->mem, 4, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    cr_assert_eq(devices_init(vm, err, sizeof err), 0, "%s", err);
    outb(vm, 0xDE, 0);
    /* The last bytes of RAM: the address wraps to the block's start
     * (0x3F0000), never past the end of RAM. */
    program2(vm, 0x46, 0x3FFFF0, 64);
    uint8_t buf[64];
    memset(buf, 0xA5, sizeof buf);
    bool tc;
    cr_assert_eq(dma_transfer(dma(vm), 2, buf, 64, true, &tc), 64);
    cr_assert(tc);
    cr_assert_eq(vm->mem.ram[0x3FFFFF], 0xA5);
    cr_assert_eq(vm->mem.ram[0x3F0000 + 47], 0xA5);
    cr_assert_eq(dma(vm)->dropped, 0);
    /* Just above RAM: nothing lands. */
    program2(vm, 0x46, 0x400000, 64);
    cr_assert_eq(dma_transfer(dma(vm), 2, buf, 64, true, &tc), 64);
    cr_assert_eq(dma(vm)->dropped, 64);
    /* Reads from above RAM give all ones. */
    program2(vm, 0x4A, 0x800000, 32);
    cr_assert_eq(dma_transfer(dma(vm), 2, buf, 32, false, &tc), 32);
    cr_assert_eq(buf[0], 0xFF);
    cr_assert_eq(buf[31], 0xFF);
    devtest_free(vm);
}
