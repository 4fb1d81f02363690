/*
 * devices/vga_text.h - the text screen printed as plain text (--vga-dump).
 *
 * Contract: vga_text_dump() prints the text screen the VGA shows
 * (devices/vga.h: its geometry, start address and memory window; 80x25
 * from 0xB8000 unless the guest programmed the card otherwise) as lines
 * of text, code page 437 line-drawing characters approximated by ASCII,
 * trailing blanks and trailing empty lines dropped.
 */
#ifndef DEVICES_VGA_TEXT_H
#define DEVICES_VGA_TEXT_H

#include <stdio.h>

struct vm;

#define VGA_TEXT_BASE 0xB8000u
#define VGA_WINDOW    0xA0000u      /* the VGA's memory window, 128 KiB */
#define VGA_WINDOW_SIZE 0x20000u
#define VGA_COLS 80
#define VGA_ROWS 25

void vga_text_dump(struct vm *vm, FILE *out);

#endif
