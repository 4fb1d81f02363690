/*
 * devices/vga_text.h - the colour text-mode screen at 0xB8000.
 *
 * Contract: the text buffer is ordinary guest RAM (writes land there with
 * no exit); vga_text_dump() prints its 80x25 characters as text (code page
 * 437 line-drawing characters approximated by ASCII, trailing blanks
 * dropped).  The CRT controller index/data ports 0x3D4/0x3D5 keep their
 * registers (cursor position, start address) and 0x3DA reports retrace
 * toggling, so guests that program the cursor find a device; no
 * graphics modes, fonts or attribute controller are emulated.
 */
#ifndef DEVICES_VGA_TEXT_H
#define DEVICES_VGA_TEXT_H

#include <stdint.h>
#include <stdio.h>

struct vm;
struct io_bus;

#define VGA_TEXT_BASE 0xB8000u
#define VGA_COLS 80
#define VGA_ROWS 25

struct vga {
    uint8_t crtc_index;
    uint8_t crtc[0x19];
    uint8_t status_toggle;
};

int vga_init(struct vga *v, struct io_bus *bus);
void vga_text_dump(struct vm *vm, FILE *out);

#endif
