/*
 * tests/unit/test_vga.c - the VGA register file (index/data pairs, the
 * attribute flip-flop, the DAC, mono/colour CRTC) and the text screen it
 * describes (geometry, start address, cursor, colours).
 */
#include <string.h>
#include "devtest.h"
#include "devices/vga.h"
#include "devices/vga_text.h"

static struct vga *vga_of(struct vm *vm) { return &platform_of(vm)->vga; }

Test(vga, sequencer_and_graphics_controller_read_back)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3C4, 0x02);
    outb(vm, 0x3C5, 0x04);
    io_pio_write(&vm->io, 0x3CE, 2, 0x0506);    /* outw: GC 6 = 0x05 */
    outb(vm, 0x3C4, 0x02);
    cr_assert_eq(inb(vm, 0x3C5), 0x04);
    cr_assert_eq(inb(vm, 0x3CE), 0x06);
    cr_assert_eq(inb(vm, 0x3CF), 0x05);
    cr_assert_eq(io_pio_read(&vm->io, 0x3C4, 2), 0x0402);
    outb(vm, 0x3C2, 0x63);
    cr_assert_eq(inb(vm, 0x3CC), 0x63);
    devtest_free(vm);
}

Test(vga, attribute_flip_flop_is_reset_by_input_status)
{
    struct vm *vm = devtest_vm();
    inb(vm, 0x3DA);                             /* flip-flop: index */
    outb(vm, 0x3C0, 0x01);
    outb(vm, 0x3C0, 0x3A);                      /* palette 1 = 0x3A */
    outb(vm, 0x3C0, 0x02);                      /* index again */
    outb(vm, 0x3C0, 0x33);
    outb(vm, 0x3C0, 0x01);                      /* an index write ... */
    inb(vm, 0x3DA);                             /* ... undone: next write is an index */
    outb(vm, 0x3C0, 0x21);                      /* index 1, palette address source on */
    cr_assert_eq(inb(vm, 0x3C0), 0x21);
    cr_assert_eq(inb(vm, 0x3C1), 0x3A);
    outb(vm, 0x3C0, 0x3B);                      /* data: reads do not move the flip-flop */
    cr_assert_eq(inb(vm, 0x3C1), 0x3B);
    outb(vm, 0x3C0, 0x22);
    cr_assert_eq(inb(vm, 0x3C1), 0x33);
    cr_assert_eq(vga_of(vm)->attr[1], 0x3B);
    devtest_free(vm);
}

Test(vga, dac_indexes_advance_after_blue)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3C8, 0x10);
    for (int i = 0; i < 6; i++)
        outb(vm, 0x3C9, 0x40 | i);              /* bits 6-7 dropped: 6-bit DAC */
    cr_assert_eq(inb(vm, 0x3C8), 0x12);
    outb(vm, 0x3C7, 0x11);
    cr_assert_eq(inb(vm, 0x3C7), 0x03);         /* read mode */
    cr_assert_eq(inb(vm, 0x3C9), 3);
    cr_assert_eq(inb(vm, 0x3C9), 4);
    cr_assert_eq(inb(vm, 0x3C9), 5);
    outb(vm, 0x3C7, 0x07);                      /* default palette: colour 7 */
    cr_assert_eq(inb(vm, 0x3C9), 0x2A);
    devtest_free(vm);
}

Test(vga, crtc_follows_misc_colour_bit)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3D4, 0x0E);
    outb(vm, 0x3D5, 0x12);
    cr_assert_eq(inb(vm, 0x3B5), 0xFF, "mono CRTC absent in colour mode");
    outb(vm, 0x3C2, 0x66);                      /* mono addressing */
    cr_assert_eq(inb(vm, 0x3D4), 0xFF);
    outb(vm, 0x3B4, 0x0E);
    cr_assert_eq(inb(vm, 0x3B5), 0x12, "the same registers at 0x3B4");
    outb(vm, 0x3C0, 0x05);                      /* flip-flop -> data */
    inb(vm, 0x3BA);                             /* mono status resets it */
    outb(vm, 0x3C0, 0x30);
    cr_assert_eq(inb(vm, 0x3C0), 0x30);
    devtest_free(vm);
}

Test(vga, crtc_write_protect)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3D4, 0x11);
    outb(vm, 0x3D5, 0x8E);                      /* protect 0-7 */
    outb(vm, 0x3D4, 0x01);
    outb(vm, 0x3D5, 0x27);
    cr_assert_eq(inb(vm, 0x3D5), 0x4F, "horizontal display end protected");
    outb(vm, 0x3D4, 0x07);
    outb(vm, 0x3D5, 0x00);
    cr_assert_eq(inb(vm, 0x3D5), 0x0F, "only bit 4 of the overflow register changes");
    outb(vm, 0x3D4, 0x11);
    outb(vm, 0x3D5, 0x0E);
    outb(vm, 0x3D4, 0x01);
    outb(vm, 0x3D5, 0x27);
    cr_assert_eq(inb(vm, 0x3D5), 0x27);
    devtest_free(vm);
}

Test(vga, graphics_mode_counted_not_shown)
{
    struct vm *vm = devtest_vm();
    cr_assert_not(vga_of(vm)->graphics);
    outb(vm, 0x3CE, 0x06);
    outb(vm, 0x3CF, 0x05);                      /* graphics, 0xA0000 64 KiB */
    cr_assert(vga_of(vm)->graphics);
    cr_assert_eq(vga_of(vm)->graphics_sets, 1);
    struct vga_screen s;
    vga_screen(vga_of(vm), vm->mem.ram + VGA_WINDOW, &s);
    cr_assert_eq(s.cell[0] & 0xFF, 'v', "a notice instead of pixels");
    outb(vm, 0x3CF, 0x0E);                      /* back to text */
    cr_assert_not(vga_of(vm)->graphics);
    devtest_free(vm);
}

Test(vga, mode3_screen_cursor_and_start_address)
{
    struct vm *vm = devtest_vm();
    uint8_t *fb = vm->mem.ram + VGA_TEXT_BASE;
    fb[0] = 'A'; fb[1] = 0x1F;
    fb[160 * 2] = 'B';                          /* cell 160: row 2 */
    struct vga_screen s;
    vga_screen(vga_of(vm), vm->mem.ram + VGA_WINDOW, &s);
    cr_assert_eq(s.cols, 80);
    cr_assert_eq(s.rows, 25);
    cr_assert_eq(s.cell[0], 'A' | 0x1F << 8);
    cr_assert(s.cursor_on && s.cursor_row == 0 && s.cursor_col == 0);
    cr_assert_not(s.cursor_block, "scan lines 13-14 of 16: an underline");
    cr_assert_eq(s.colour[1], 4, "VGA blue is ANSI 4");
    cr_assert_eq(s.colour[6], 3, "brown (palette 0x14) is ANSI yellow");
    cr_assert_eq(s.colour[15], 15);
    outb(vm, 0x3D4, 0x0C); outb(vm, 0x3D5, 0x00);
    outb(vm, 0x3D4, 0x0D); outb(vm, 0x3D5, 80);    /* start at row 1 */
    outb(vm, 0x3D4, 0x0E); outb(vm, 0x3D5, 0x00);
    outb(vm, 0x3D4, 0x0F); outb(vm, 0x3D5, 165);   /* cursor at cell 165 */
    vga_screen(vga_of(vm), vm->mem.ram + VGA_WINDOW, &s);
    cr_assert_eq(s.cell[80] & 0xFF, 'B', "row 2 of memory is screen row 1");
    cr_assert(s.cursor_on && s.cursor_row == 1 && s.cursor_col == 5);
    outb(vm, 0x3D4, 0x0A); outb(vm, 0x3D5, 0x20);  /* cursor off */
    vga_screen(vga_of(vm), vm->mem.ram + VGA_WINDOW, &s);
    cr_assert_not(s.cursor_on);
    devtest_free(vm);
}

Test(vga, eight_line_font_gives_50_rows)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3D4, 0x09);
    outb(vm, 0x3D5, 0x47);                      /* maximum scan line 7 */
    struct vga_screen s;
    vga_screen(vga_of(vm), vm->mem.ram + VGA_WINDOW, &s);
    cr_assert_eq(s.rows, 50);
    devtest_free(vm);
}
