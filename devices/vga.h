/*
 * devices/vga.h - the VGA's register file and what it says about the text
 * screen (IBM VGA Technical Reference; the register layout every VGA BIOS,
 * SeaVGABIOS included, programs).
 *
 * Contract: vga_init() registers the VGA's ports and puts the registers in
 * the state a VGA BIOS leaves after setting mode 3 (80x25 colour text), so
 * a guest that never programs the card (a kernel that writes 0xB8000
 * directly) sees the usual screen.  Every register is stored and reads back
 * as written:
 *   0x3C2 misc output (write) / 0x3CC (read); 0x3C2 read: input status 0
 *   0x3C3 video subsystem enable
 *   0x3C4/0x3C5 sequencer (5 registers), 0x3CE/0x3CF graphics controller (9)
 *   0x3C0/0x3C1 attribute controller: one flip-flop alternates index and
 *     data on writes to 0x3C0; reading input status 1 resets it to index;
 *     bit 5 of the index (palette address source) is kept and read back
 *   0x3C6 DAC pixel mask, 0x3C7 DAC read index (write) / state (read),
 *     0x3C8 DAC write index, 0x3C9 DAC data (red, green, blue, 6 bits each;
 *     the index advances after blue)
 *   0x3D4/0x3D5 CRTC and 0x3DA input status 1 / feature control write when
 *     misc bit 0 is set (colour), 0x3B4/0x3B5 and 0x3BA when it is clear
 *     (mono); the other set then reads all ones and ignores writes, as on
 *     the card.  CRTC register 0x11 bit 7 write-protects registers 0-7
 *     (but bit 4 of register 7); 0x3CA reads feature control.
 *   Input status 1 alternates its retrace bits on each read.
 * Wider port accesses are taken as consecutive bytes (outw 0x3D4 = index
 * then data).  Only text modes are shown: a switch to a graphics mode
 * (graphics controller 6 bit 0 or attribute mode control bit 0) is counted
 * (graphics_sets, in --stats) and said once on stderr, never drawn.
 * Video memory 0xA0000-0xBFFFF is plain guest RAM (docs/devices.md).
 *
 * vga_screen() reads the text screen as the CRT controller would scan it
 * out: geometry, start address, cursor, colours through the attribute
 * palette and the DAC, from the memory window the graphics controller maps.
 */
#ifndef DEVICES_VGA_H
#define DEVICES_VGA_H

#include <stdint.h>
#include <stdbool.h>

struct io_bus;

#define VGA_SEQ_REGS   5
#define VGA_GC_REGS    9
#define VGA_ATTR_REGS  0x15
#define VGA_CRTC_REGS  0x19
#define VGA_MAX_COLS   132
#define VGA_MAX_ROWS   60

struct vga {
    uint8_t misc, enable, feature, status_toggle;
    uint8_t seq_index, seq[VGA_SEQ_REGS];
    uint8_t gc_index, gc[VGA_GC_REGS];
    uint8_t attr_index, attr[VGA_ATTR_REGS];
    bool attr_data_next;            /* the flip-flop: next 0x3C0 write is data */
    uint8_t crtc_index, crtc[VGA_CRTC_REGS];
    uint8_t dac_mask, dac_read, dac_write, dac_comp, dac_reading;
    uint8_t dac[256][3];
    bool graphics;                  /* a graphics mode is set */
    uint64_t graphics_sets;         /* text -> graphics switches (--stats) */
};

/* The text screen as scanned out: cell = character | attribute << 8;
 * colour[i] is the terminal colour (0-15, ANSI order: black, red, green,
 * yellow, blue, magenta, cyan, white, then their bright forms) nearest to
 * what colour index i of an attribute shows. */
struct vga_screen {
    int cols, rows;
    uint16_t cell[VGA_MAX_ROWS * VGA_MAX_COLS];
    uint8_t colour[16];
    bool blink;                     /* attribute bit 7 blinks (else bright background) */
    bool cursor_on, cursor_block;
    int cursor_row, cursor_col;
};

int vga_init(struct vga *v, struct io_bus *bus);
/* window: the guest's 0xA0000-0xBFFFF (128 KiB), or NULL (blank screen). */
void vga_screen(const struct vga *v, const uint8_t *window, struct vga_screen *s);

#endif
