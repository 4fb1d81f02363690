/*
 * devices/vga_term.c - text screen -> ANSI escape sequences.
 */
#include <stdio.h>
#include <string.h>
#include "devices/vga_term.h"

/* Code page 437 in UTF-8: the IBM PC's glyphs for 0x01-0x1F and 0x7F as
 * well, since text-mode screens show them (arrows, card suits, ...). */
static const char *const cp437[256] = {
    " ", "\xe2\x98\xba", "\xe2\x98\xbb", "\xe2\x99\xa5", "\xe2\x99\xa6", "\xe2\x99\xa3", "\xe2\x99\xa0", "\xe2\x80\xa2",
    "\xe2\x97\x98", "\xe2\x97\x8b", "\xe2\x97\x99", "\xe2\x99\x82", "\xe2\x99\x80", "\xe2\x99\xaa", "\xe2\x99\xab", "\xe2\x98\xbc",
    "\xe2\x96\xba", "\xe2\x97\x84", "\xe2\x86\x95", "\xe2\x80\xbc", "\xc2\xb6", "\xc2\xa7", "\xe2\x96\xac", "\xe2\x86\xa8",
    "\xe2\x86\x91", "\xe2\x86\x93", "\xe2\x86\x92", "\xe2\x86\x90", "\xe2\x88\x9f", "\xe2\x86\x94", "\xe2\x96\xb2", "\xe2\x96\xbc",
    " ", "!", "\"", "#", "$", "%", "&", "'",
    "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7",
    "8", "9", ":", ";", "<", "=", ">", "?",
    "@", "A", "B", "C", "D", "E", "F", "G",
    "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z", "[", "\\", "]", "^", "_",
    "`", "a", "b", "c", "d", "e", "f", "g",
    "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z", "{", "|", "}", "~", "\xe2\x8c\x82",
    "\xc3\x87", "\xc3\xbc", "\xc3\xa9", "\xc3\xa2", "\xc3\xa4", "\xc3\xa0", "\xc3\xa5", "\xc3\xa7",
    "\xc3\xaa", "\xc3\xab", "\xc3\xa8", "\xc3\xaf", "\xc3\xae", "\xc3\xac", "\xc3\x84", "\xc3\x85",
    "\xc3\x89", "\xc3\xa6", "\xc3\x86", "\xc3\xb4", "\xc3\xb6", "\xc3\xb2", "\xc3\xbb", "\xc3\xb9",
    "\xc3\xbf", "\xc3\x96", "\xc3\x9c", "\xc2\xa2", "\xc2\xa3", "\xc2\xa5", "\xe2\x82\xa7", "\xc6\x92",
    "\xc3\xa1", "\xc3\xad", "\xc3\xb3", "\xc3\xba", "\xc3\xb1", "\xc3\x91", "\xc2\xaa", "\xc2\xba",
    "\xc2\xbf", "\xe2\x8c\x90", "\xc2\xac", "\xc2\xbd", "\xc2\xbc", "\xc2\xa1", "\xc2\xab", "\xc2\xbb",
    "\xe2\x96\x91", "\xe2\x96\x92", "\xe2\x96\x93", "\xe2\x94\x82", "\xe2\x94\xa4", "\xe2\x95\xa1", "\xe2\x95\xa2", "\xe2\x95\x96",
    "\xe2\x95\x95", "\xe2\x95\xa3", "\xe2\x95\x91", "\xe2\x95\x97", "\xe2\x95\x9d", "\xe2\x95\x9c", "\xe2\x95\x9b", "\xe2\x94\x90",
    "\xe2\x94\x94", "\xe2\x94\xb4", "\xe2\x94\xac", "\xe2\x94\x9c", "\xe2\x94\x80", "\xe2\x94\xbc", "\xe2\x95\x9e", "\xe2\x95\x9f",
    "\xe2\x95\x9a", "\xe2\x95\x94", "\xe2\x95\xa9", "\xe2\x95\xa6", "\xe2\x95\xa0", "\xe2\x95\x90", "\xe2\x95\xac", "\xe2\x95\xa7",
    "\xe2\x95\xa8", "\xe2\x95\xa4", "\xe2\x95\xa5", "\xe2\x95\x99", "\xe2\x95\x98", "\xe2\x95\x92", "\xe2\x95\x93", "\xe2\x95\xab",
    "\xe2\x95\xaa", "\xe2\x94\x98", "\xe2\x94\x8c", "\xe2\x96\x88", "\xe2\x96\x84", "\xe2\x96\x8c", "\xe2\x96\x90", "\xe2\x96\x80",
    "\xce\xb1", "\xc3\x9f", "\xce\x93", "\xcf\x80", "\xce\xa3", "\xcf\x83", "\xc2\xb5", "\xcf\x84",
    "\xce\xa6", "\xce\x98", "\xce\xa9", "\xce\xb4", "\xe2\x88\x9e", "\xcf\x86", "\xce\xb5", "\xe2\x88\xa9",
    "\xe2\x89\xa1", "\xc2\xb1", "\xe2\x89\xa5", "\xe2\x89\xa4", "\xe2\x8c\xa0", "\xe2\x8c\xa1", "\xc3\xb7", "\xe2\x89\x88",
    "\xc2\xb0", "\xe2\x88\x99", "\xc2\xb7", "\xe2\x88\x9a", "\xe2\x81\xbf", "\xc2\xb2", "\xe2\x96\xa0", "\xc2\xa0",
};

const char *vga_term_glyph(uint8_t c)
{
    return cp437[c];
}

void vga_term_invalidate(struct vga_term *t)
{
    t->valid = false;
    t->shape_set = false;
}

static char *put(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *sgr(char *o, const struct vga_screen *s, uint8_t attr)
{
    int fg = s->colour[attr & 0x0F];
    int bg = s->colour[(attr >> 4) & (s->blink ? 0x07 : 0x0F)];
    bool blink = s->blink && (attr & 0x80);
    return o + sprintf(o, "\x1b[0;%d;%d%sm", fg < 8 ? 30 + fg : 90 + fg - 8,
                       bg < 8 ? 40 + bg : 100 + bg - 8, blink ? ";5" : "");
}

static bool same_look(const struct vga_term *t, const struct vga_screen *s)
{
    return t->valid && t->cols == s->cols && t->rows == s->rows && t->blink == s->blink &&
           memcmp(t->colour, s->colour, sizeof t->colour) == 0;
}

/* The changed cells of every row; returns the end of the output. */
static char *cells(struct vga_term *t, const struct vga_screen *s, bool full, char *o)
{
    int cur = -1;
    for (int r = 0; r < s->rows; r++) {
        const uint16_t *now = s->cell + r * s->cols, *was = t->prev + r * s->cols;
        int first = 0, last = s->cols - 1;
        if (!full) {
            while (first < s->cols && now[first] == was[first])
                first++;
            if (first == s->cols)
                continue;
            while (now[last] == was[last])
                last--;
        }
        o += sprintf(o, "\x1b[%d;%dH", r + 1, first + 1);
        for (int c = first; c <= last; c++) {
            uint8_t attr = now[c] >> 8;
            if (attr != cur)
                o = sgr(o, s, attr);
            cur = attr;
            o = put(o, cp437[now[c] & 0xFF]);
        }
    }
    return o;
}

size_t vga_term_render(struct vga_term *t, const struct vga_screen *s, char *out)
{
    char *o = out;
    bool full = !same_look(t, s);
    size_t n = (size_t)s->rows * s->cols;
    bool drawn = full || memcmp(t->prev, s->cell, n * sizeof s->cell[0]) != 0;
    if (drawn) {
        o = put(o, "\x1b[?25l");
        if (full)
            o = put(o, "\x1b[0m\x1b[H\x1b[2J");
        o = cells(t, s, full, o);
    }
    bool moved = s->cursor_on != t->cursor_on || s->cursor_row != t->cursor_row ||
                 s->cursor_col != t->cursor_col;
    bool reshaped = !t->shape_set || s->cursor_block != t->cursor_block;
    if (drawn || moved || (s->cursor_on && reshaped)) {
        if (!s->cursor_on) {
            o = put(o, "\x1b[?25l");
        } else {
            if (reshaped)
                o = put(o, s->cursor_block ? "\x1b[1 q" : "\x1b[3 q");
            o += sprintf(o, "\x1b[%d;%dH\x1b[?25h", s->cursor_row + 1, s->cursor_col + 1);
            t->shape_set = true;
            t->cursor_block = s->cursor_block;
        }
    }
    t->valid = true;
    t->cols = s->cols;
    t->rows = s->rows;
    t->blink = s->blink;
    memcpy(t->colour, s->colour, sizeof t->colour);
    memcpy(t->prev, s->cell, n * sizeof s->cell[0]);
    t->cursor_on = s->cursor_on;
    t->cursor_row = s->cursor_row;
    t->cursor_col = s->cursor_col;
    return (size_t)(o - out);
}
