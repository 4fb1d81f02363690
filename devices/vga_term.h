/*
 * devices/vga_term.h - the VGA text screen drawn on a VT100/ANSI terminal.
 *
 * Contract: vga_term_render() turns a text screen (devices/vga.h, struct
 * vga_screen) into the escape sequences that make a terminal show it,
 * given what the previous call drew (struct vga_term): only the rows that
 * changed are rewritten, from their first to their last changed cell;
 * nothing at all (0 bytes) when neither the cells nor the cursor changed.
 * A new geometry, palette or blink mode (and the first call, or one after
 * vga_term_invalidate()) clears the terminal and draws everything.
 * Output, per frame:
 *   cells changed: ESC[?25l (hide the cursor while drawing), then per row
 *     ESC[row;colH and the cells, each attribute change as
 *     ESC[0;<fg>;<bg>[;5]m (fg 30-37 or 90-97 for bright, bg 40-47, or
 *     100-107 when attribute bit 7 is a bright background rather than
 *     blink), each character code page 437 as UTF-8 (0 as a space);
 *   a full redraw starts with ESC[0m ESC[H ESC[2J;
 *   then the cursor: ESC[?25l when the CRTC hides it, else (if anything
 *     changed) ESC[<1|3> q when its shape changed (blinking block or
 *     underline), ESC[row;colH ESC[?25h.
 * out must hold VGA_TERM_BUF bytes.
 */
#ifndef DEVICES_VGA_TERM_H
#define DEVICES_VGA_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devices/vga.h"

#define VGA_TERM_BUF (VGA_MAX_ROWS * (VGA_MAX_COLS * 20 + 16) + 128)

struct vga_term {
    bool valid;                     /* prev is what the terminal shows */
    int cols, rows;
    uint16_t prev[VGA_MAX_ROWS * VGA_MAX_COLS];
    uint8_t colour[16];
    bool blink;
    bool cursor_on, cursor_block, shape_set;
    int cursor_row, cursor_col;
};

void vga_term_invalidate(struct vga_term *t);
size_t vga_term_render(struct vga_term *t, const struct vga_screen *s, char *out);
/* Code page 437 character c as a UTF-8 string. */
const char *vga_term_glyph(uint8_t c);

#endif
