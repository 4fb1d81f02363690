/*
 * tests/unit/test_vga_text.c - the text screen dump and CRTC registers.
 */
#include <string.h>
#include "devtest.h"
#include "devices/vga_text.h"

static void put(struct vm *vm, int row, int col, const char *s)
{
    uint8_t *fb = vm->mem.ram + VGA_TEXT_BASE;
    for (; *s; s++, col++) {
        fb[(row * VGA_COLS + col) * 2] = *s;
        fb[(row * VGA_COLS + col) * 2 + 1] = 0x07;
    }
}

Test(vga_text, dump)
{
    struct vm *vm = devtest_vm();
    put(vm, 0, 0, "Hello");
    put(vm, 2, 3, "World");
    vm->mem.ram[VGA_TEXT_BASE + (3 * VGA_COLS) * 2] = 0xC9;    /* box corner */
    vm->mem.ram[VGA_TEXT_BASE + (3 * VGA_COLS + 1) * 2] = 0xCD;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vga_text_dump(vm, f);
    fclose(f);
    cr_assert_str_eq(text, "Hello\n\n   World\n+-\n");
    free(text);
    devtest_free(vm);
}

Test(vga_text, empty_screen_prints_nothing)
{
    struct vm *vm = devtest_vm();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vga_text_dump(vm, f);
    fclose(f);
    cr_assert_eq(len, 0);
    free(text);
    devtest_free(vm);
}

Test(vga_text, crtc_cursor_registers)
{
    struct vm *vm = devtest_vm();
    outb(vm, 0x3D4, 0x0E);
    outb(vm, 0x3D5, 0x01);
    io_pio_write(&vm->io, 0x3D4, 2, 0x400F);    /* outw: index 0x0F, data 0x40 */
    outb(vm, 0x3D4, 0x0E);
    cr_assert_eq(inb(vm, 0x3D5), 0x01);
    outb(vm, 0x3D4, 0x0F);
    cr_assert_eq(inb(vm, 0x3D5), 0x40);
    uint8_t a = inb(vm, 0x3DA), b = inb(vm, 0x3DA);
    cr_assert_neq(a & 0x08, b & 0x08);          /* retrace toggles */
    devtest_free(vm);
}
