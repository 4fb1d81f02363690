/*
 * devices/vga_text.c - the text screen as plain text.
 */
#include <stdlib.h>
#include "cpu/machine.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/platform.h"
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
    struct vga_screen *s = malloc(sizeof *s);
    if (!s)
        return;
    vga_screen(&platform_of(vm)->vga, guest_phys_ptr(vm_mem(vm), VGA_WINDOW, VGA_WINDOW_SIZE), s);
    char line[VGA_MAX_COLS + 1];
    int last = -1;
    for (int r = 0; r < s->rows; r++)
        for (int c = 0; c < s->cols; c++)
            if (ascii_of(s->cell[r * s->cols + c] & 0xFF) != ' ')
                last = r;
    for (int r = 0; r <= last; r++) {
        int end = 0;
        for (int c = 0; c < s->cols; c++) {
            line[c] = ascii_of(s->cell[r * s->cols + c] & 0xFF);
            if (line[c] != ' ')
                end = c + 1;
        }
        line[end] = '\0';
        fprintf(out, "%s\n", line);
    }
    free(s);
}
