/*
 * devices/vga_text.c - text buffer dump and the CRTC register file.
 */
#include "cpu/machine.h"
#include "devices/device.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/vga_text.h"

static char ascii_of(uint8_t c)
{
    if (c >= 0x20 && c < 0x7F)
        return c;
    if (c == 0)
        return ' ';
    if (c == 0xB3 || c == 0xBA)
        return '|';
    if (c == 0xC4 || c == 0xCD)
        return '-';
    if ((c >= 0xB0 && c <= 0xB2) || (c >= 0xDB && c <= 0xDF))
        return '#';
    if (c >= 0xB4 && c <= 0xDA)
        return '+';                 /* corners and junctions */
    return '?';
}

void vga_text_dump(struct vm *vm, FILE *out)
{
    const uint8_t *fb = guest_phys_ptr(vm_mem(vm), VGA_TEXT_BASE, VGA_COLS * VGA_ROWS * 2);
    if (!fb)
        return;
    char lines[VGA_ROWS][VGA_COLS + 1];
    int last = -1;
    for (int r = 0; r < VGA_ROWS; r++) {
        int end = 0;
        for (int c = 0; c < VGA_COLS; c++) {
            lines[r][c] = ascii_of(fb[(r * VGA_COLS + c) * 2]);
            if (lines[r][c] != ' ')
                end = c + 1;
        }
        lines[r][end] = '\0';
        if (end)
            last = r;
    }
    for (int r = 0; r <= last; r++)
        fprintf(out, "%s\n", lines[r]);
}

static uint32_t vga_read(void *opaque, uint16_t port, int size)
{
    struct vga *v = opaque;
    switch (port) {
    case 0x3D4: return v->crtc_index;
    case 0x3D5: return v->crtc_index < sizeof v->crtc ? v->crtc[v->crtc_index] : 0xFF;
    case 0x3DA:
        v->status_toggle ^= 0x09;   /* vertical retrace and display-enable toggle */
        return v->status_toggle;
    default: return 0xFF;
    }
}

static void vga_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct vga *v = opaque;
    if (port == 0x3D4) {
        v->crtc_index = value;
        if (size == 2)              /* outw: index and data in one go */
            vga_write(v, 0x3D5, 1, value >> 8);
    } else if (port == 0x3D5 && v->crtc_index < sizeof v->crtc) {
        v->crtc[v->crtc_index] = value;
    }
}

static const struct device_ops vga_ops = {
    .name = "vga-crtc",
    .pio_read = vga_read,
    .pio_write = vga_write,
};

int vga_init(struct vga *v, struct io_bus *bus)
{
    *v = (struct vga){ 0 };
    v->crtc[0x0A] = 0x0D;           /* cursor start/end scan lines */
    v->crtc[0x0B] = 0x0E;
    if (io_register_pio(bus, 0x3D4, 2, &vga_ops, v) < 0 ||
        io_register_pio(bus, 0x3DA, 1, &vga_ops, v) < 0)
        return -1;
    return 0;
}
