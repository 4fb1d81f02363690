/*
 * devices/vga.c - the VGA register file (IBM VGA Technical Reference) and
 * the text screen it describes.
 */
#include <stdio.h>
#include <string.h>
#include "devices/device.h"
#include "devices/vga.h"

#define MISC_COLOUR      0x01       /* CRTC at 0x3D4, status at 0x3DA */
#define CRTC_PROTECT     0x80       /* register 0x11: registers 0-7 read-only */
#define ATTR_PAS         0x20       /* attribute index: palette address source */
#define ATTR_GRAPHICS    0x01       /* attribute 0x10 */
#define ATTR_BLINK       0x08
#define ATTR_P54S        0x80
#define GC_GRAPHICS      0x01       /* graphics controller 6 */
#define SEQ_SCREEN_OFF   0x20       /* sequencer 1 */
#define CURSOR_OFF       0x20       /* CRTC 0x0A */

/* Mode 3 as a VGA BIOS programs it: 80x25, 9x16 cells, 720x400. */
static const uint8_t mode3_seq[VGA_SEQ_REGS] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_gc[VGA_GC_REGS] = { 0, 0, 0, 0, 0, 0x10, 0x0E, 0x00, 0xFF };
static const uint8_t mode3_attr[VGA_ATTR_REGS] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,
    0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00 };
static const uint8_t mode3_crtc[VGA_CRTC_REGS] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E,
    0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF };

/* An EGA colour (6 bits: B G R at 2/3 intensity, b g r at 1/3) as DAC
 * levels: the DAC's first 64 entries after a BIOS mode set. */
static void ega_rgb(uint8_t e, uint8_t rgb[3])
{
    rgb[0] = (e & 0x04 ? 0x2A : 0) + (e & 0x20 ? 0x15 : 0);
    rgb[1] = (e & 0x02 ? 0x2A : 0) + (e & 0x10 ? 0x15 : 0);
    rgb[2] = (e & 0x01 ? 0x2A : 0) + (e & 0x08 ? 0x15 : 0);
}

static void note_mode(struct vga *v)
{
    bool g = (v->gc[6] & GC_GRAPHICS) || (v->attr[0x10] & ATTR_GRAPHICS);
    if (g && !v->graphics) {
        if (!v->graphics_sets)
            fprintf(stderr, "\r\nvmm: the guest set a VGA graphics mode; only text modes are "
                            "emulated and shown (docs/devices.md)\r\n");
        v->graphics_sets++;
    }
    v->graphics = g;
}

static bool crtc_here(const struct vga *v, uint16_t port)
{
    bool colour = v->misc & MISC_COLOUR;
    return (port & 0xFFF0) == (colour ? 0x3D0 : 0x3B0);
}

static uint8_t status1(struct vga *v)
{
    v->attr_data_next = false;
    v->status_toggle ^= 0x09;       /* vertical retrace and display-disabled toggle */
    return v->status_toggle;
}

static uint8_t dac_read_data(struct vga *v)
{
    uint8_t x = v->dac[v->dac_read][v->dac_comp];
    if (++v->dac_comp == 3) {
        v->dac_comp = 0;
        v->dac_read++;
    }
    return x;
}

static uint8_t read_byte(struct vga *v, uint16_t port)
{
    switch (port) {
    case 0x3C0: return v->attr_index;
    case 0x3C1: return (v->attr_index & 0x1F) < VGA_ATTR_REGS ? v->attr[v->attr_index & 0x1F] : 0;
    case 0x3C2: return 0x00;                        /* input status 0 */
    case 0x3C3: return v->enable;
    case 0x3C4: return v->seq_index;
    case 0x3C5: return v->seq_index < VGA_SEQ_REGS ? v->seq[v->seq_index] : 0xFF;
    case 0x3C6: return v->dac_mask;
    case 0x3C7: return v->dac_reading ? 0x03 : 0x00;
    case 0x3C8: return v->dac_write;
    case 0x3C9: return dac_read_data(v);
    case 0x3CA: return v->feature;
    case 0x3CC: return v->misc;
    case 0x3CE: return v->gc_index;
    case 0x3CF: return v->gc_index < VGA_GC_REGS ? v->gc[v->gc_index] : 0xFF;
    }
    if (!crtc_here(v, port))
        return 0xFF;
    switch (port & 0x0F) {
    case 0x4: return v->crtc_index;
    case 0x5: return v->crtc_index < VGA_CRTC_REGS ? v->crtc[v->crtc_index] : 0xFF;
    case 0xA: return status1(v);
    }
    return 0xFF;
}

static void attr_write(struct vga *v, uint8_t x)
{
    if (!v->attr_data_next) {
        v->attr_index = x & 0x3F;
    } else if ((v->attr_index & 0x1F) < VGA_ATTR_REGS) {
        v->attr[v->attr_index & 0x1F] = x;
        note_mode(v);
    }
    v->attr_data_next = !v->attr_data_next;
}

static void crtc_write(struct vga *v, uint8_t x)
{
    uint8_t i = v->crtc_index;
    if (i >= VGA_CRTC_REGS)
        return;
    if ((v->crtc[0x11] & CRTC_PROTECT) && i <= 7) {
        if (i == 7)                 /* line compare bit 8 stays writable */
            v->crtc[7] = (v->crtc[7] & ~0x10) | (x & 0x10);
        return;
    }
    v->crtc[i] = x;
}

static void dac_write_data(struct vga *v, uint8_t x)
{
    v->dac[v->dac_write][v->dac_comp] = x & 0x3F;
    if (++v->dac_comp == 3) {
        v->dac_comp = 0;
        v->dac_write++;
    }
}

static void write_byte(struct vga *v, uint16_t port, uint8_t x)
{
    switch (port) {
    case 0x3C0: attr_write(v, x); return;
    case 0x3C2: v->misc = x; return;
    case 0x3C3: v->enable = x & 0x01; return;
    case 0x3C4: v->seq_index = x & 0x07; return;
    case 0x3C5: if (v->seq_index < VGA_SEQ_REGS) v->seq[v->seq_index] = x; return;
    case 0x3C6: v->dac_mask = x; return;
    case 0x3C7: v->dac_read = x; v->dac_comp = 0; v->dac_reading = 1; return;
    case 0x3C8: v->dac_write = x; v->dac_comp = 0; v->dac_reading = 0; return;
    case 0x3C9: dac_write_data(v, x); return;
    case 0x3CE: v->gc_index = x & 0x0F; return;
    case 0x3CF:
        if (v->gc_index < VGA_GC_REGS) {
            v->gc[v->gc_index] = x;
            note_mode(v);
        }
        return;
    }
    if (!crtc_here(v, port))
        return;
    switch (port & 0x0F) {
    case 0x4: v->crtc_index = x; break;
    case 0x5: crtc_write(v, x); break;
    case 0xA: v->feature = x; break;
    }
}

static uint32_t vga_read(void *opaque, uint16_t port, int size)
{
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)read_byte(opaque, (uint16_t)(port + i)) << (8 * i);
    return v;
}

static void vga_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    for (int i = 0; i < size; i++)
        write_byte(opaque, (uint16_t)(port + i), (uint8_t)(value >> (8 * i)));
}

static const struct device_ops vga_ops = {
    .name = "vga",
    .pio_read = vga_read,
    .pio_write = vga_write,
};

int vga_init(struct vga *v, struct io_bus *bus)
{
    *v = (struct vga){ .misc = 0x67, .enable = 1, .attr_index = ATTR_PAS, .dac_mask = 0xFF };
    memcpy(v->seq, mode3_seq, sizeof v->seq);
    memcpy(v->gc, mode3_gc, sizeof v->gc);
    memcpy(v->attr, mode3_attr, sizeof v->attr);
    memcpy(v->crtc, mode3_crtc, sizeof v->crtc);
    for (int i = 0; i < 64; i++)
        ega_rgb((uint8_t)i, v->dac[i]);
    if (io_register_pio(bus, 0x3B4, 2, &vga_ops, v) < 0 ||
        io_register_pio(bus, 0x3BA, 1, &vga_ops, v) < 0 ||
        io_register_pio(bus, 0x3C0, 16, &vga_ops, v) < 0 ||
        io_register_pio(bus, 0x3D4, 2, &vga_ops, v) < 0 ||
        io_register_pio(bus, 0x3DA, 1, &vga_ops, v) < 0)
        return -1;
    return 0;
}

/* ---- the screen as scanned out ------------------------------------------ */

/* The sixteen colours of a default palette, in VGA order, as DAC levels,
 * and the terminal's number for each (ANSI order). */
static const uint8_t vga_to_ansi[16] = { 0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15 };
static const uint8_t default_ega[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,
                                         0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F };

static uint8_t nearest_colour(const uint8_t rgb[3])
{
    int best = 0, best_d = 1 << 30;
    for (int i = 0; i < 16; i++) {
        uint8_t ref[3];
        ega_rgb(default_ega[i], ref);
        int d = 0;
        for (int k = 0; k < 3; k++)
            d += (rgb[k] - ref[k]) * (rgb[k] - ref[k]);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return vga_to_ansi[best];
}

/* Colour index -> attribute palette -> DAC entry (with the colour select
 * register's high bits) -> the nearest terminal colour. */
static void palette(const struct vga *v, struct vga_screen *s)
{
    for (int i = 0; i < 16; i++) {
        uint8_t p = v->attr[i] & 0x3F;
        if (v->attr[0x10] & ATTR_P54S)
            p = (p & 0x0F) | ((v->attr[0x14] & 0x03) << 4);
        uint8_t dac = (uint8_t)((p | ((v->attr[0x14] & 0x0C) << 4)) & v->dac_mask);
        s->colour[i] = nearest_colour(v->dac[dac]);
    }
}

static int clamp(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static void put_text(struct vga_screen *s, int row, const char *text, uint8_t attr)
{
    for (int c = 0; text[c] && c < s->cols; c++)
        s->cell[row * s->cols + c] = (uint8_t)text[c] | attr << 8;
}

void vga_screen(const struct vga *v, const uint8_t *window, struct vga_screen *s)
{
    const uint8_t *c = v->crtc;
    int height = (c[9] & 0x1F) + 1;
    int lines = (c[0x12] | (c[7] & 0x02) << 7 | (c[7] & 0x40) << 3) + 1;
    if (c[9] & 0x80)
        lines /= 2;                 /* double scan */
    s->cols = clamp(c[1] + 1, 1, VGA_MAX_COLS);
    s->rows = clamp(lines / height, 1, VGA_MAX_ROWS);
    s->blink = v->attr[0x10] & ATTR_BLINK;
    palette(v, s);
    memset(s->cell, 0, sizeof s->cell);
    s->cursor_on = false;
    s->cursor_row = s->cursor_col = 0;
    bool off = (v->seq[1] & SEQ_SCREEN_OFF) || !(v->attr_index & ATTR_PAS);
    if (v->graphics) {
        put_text(s, 0, "vmm: the guest is in a VGA graphics mode, which is not shown", 0x07);
        return;
    }
    if (!window || off)
        return;
    /* The window the graphics controller maps (0xA0000 64/128 KiB,
     * 0xB0000 or 0xB8000 32 KiB); odd/even addressing puts cell n at
     * byte 2n of it. */
    static const uint32_t base[4] = { 0x00000, 0x00000, 0x10000, 0x18000 };
    static const uint32_t mask[4] = { 0x1FFFF, 0xFFFF, 0x7FFF, 0x7FFF };
    int map = (v->gc[6] >> 2) & 3;
    uint32_t stride = c[0x13] ? c[0x13] * 2u : (uint32_t)s->cols;
    uint32_t start = (uint32_t)c[0x0C] << 8 | c[0x0D];
    for (int r = 0; r < s->rows; r++)
        for (int col = 0; col < s->cols; col++) {
            uint32_t off_b = ((start + r * stride + col) * 2) & mask[map];
            const uint8_t *p = window + base[map] + off_b;
            s->cell[r * s->cols + col] = p[0] | p[1] << 8;
        }
    uint32_t cur = (uint32_t)c[0x0E] << 8 | c[0x0F];
    int cs = c[0x0A] & 0x1F, ce = c[0x0B] & 0x1F;
    if (cur >= start && !(c[0x0A] & CURSOR_OFF) && cs <= ce && cs < height) {
        uint32_t rel = cur - start;
        if (rel / stride < (uint32_t)s->rows && rel % stride < (uint32_t)s->cols) {
            s->cursor_on = true;
            s->cursor_row = (int)(rel / stride);
            s->cursor_col = (int)(rel % stride);
        }
    }
    s->cursor_block = ce - cs + 1 >= height / 2;
}
