/*
 * tests/unit/test_vga_term.c - the terminal renderer: exact escape
 * sequences for a screen, no output when nothing changed, only the changed
 * part of a row redrawn, the cursor, code page 437 as UTF-8.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "devices/vga_term.h"

static const uint8_t ansi_default[16] = { 0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15 };

/* A 4x2 screen of blanks (grey on black), the cursor at row 1 col 2. */
static void small_screen(struct vga_screen *s)
{
    memset(s, 0, sizeof *s);
    s->cols = 4;
    s->rows = 2;
    for (int i = 0; i < 8; i++)
        s->cell[i] = ' ' | 0x07 << 8;
    memcpy(s->colour, ansi_default, 16);
    s->blink = true;
    s->cursor_on = true;
    s->cursor_row = 1;
    s->cursor_col = 2;
}

static struct vga_term term;
static char out[VGA_TERM_BUF];

static const char *render(const struct vga_screen *s)
{
    size_t n = vga_term_render(&term, s, out);
    out[n] = '\0';
    return out;
}

Test(vga_term, first_frame_exact_sequence)
{
    static struct vga_screen s;
    small_screen(&s);
    s.cell[0] = 'H' | 0x1E << 8;                /* yellow on blue */
    s.cell[1] = 0xC9 | 0x9F << 8;               /* bright white on blue, blinking */
    vga_term_invalidate(&term);
    cr_assert_str_eq(render(&s),
        "\x1b[?25l\x1b[0m\x1b[H\x1b[2J"
        "\x1b[1;1H\x1b[0;93;44mH\x1b[0;97;44;5m\xe2\x95\x94\x1b[0;37;40m  "
        "\x1b[2;1H    "
        "\x1b[3 q\x1b[2;3H\x1b[?25h");
}

Test(vga_term, unchanged_screen_draws_nothing)
{
    static struct vga_screen s;
    small_screen(&s);
    vga_term_invalidate(&term);
    render(&s);
    cr_assert_eq(vga_term_render(&term, &s, out), 0);
    cr_assert_eq(vga_term_render(&term, &s, out), 0);
}

Test(vga_term, only_the_changed_cells_of_a_row)
{
    static struct vga_screen s;
    small_screen(&s);
    vga_term_invalidate(&term);
    render(&s);
    s.cell[5] = 'x' | 0x07 << 8;
    s.cell[6] = 'y' | 0x70 << 8;                /* black on grey */
    cr_assert_str_eq(render(&s),
        "\x1b[?25l\x1b[2;2H\x1b[0;37;40mx\x1b[0;30;47my\x1b[2;3H\x1b[?25h");
}

Test(vga_term, cursor_moves_alone)
{
    static struct vga_screen s;
    small_screen(&s);
    vga_term_invalidate(&term);
    render(&s);
    s.cursor_row = 0;
    s.cursor_col = 3;
    cr_assert_str_eq(render(&s), "\x1b[1;4H\x1b[?25h");
    s.cursor_block = true;
    cr_assert_str_eq(render(&s), "\x1b[1 q\x1b[1;4H\x1b[?25h");
    s.cursor_on = false;
    cr_assert_str_eq(render(&s), "\x1b[?25l");
    cr_assert_eq(vga_term_render(&term, &s, out), 0);
}

Test(vga_term, bright_background_without_blink)
{
    static struct vga_screen s;
    small_screen(&s);
    s.blink = false;
    s.cell[0] = 'a' | 0xC1 << 8;                /* blue on bright red */
    vga_term_invalidate(&term);
    render(&s);
    cr_assert(strstr(out, "\x1b[0;34;101ma") != NULL, "%s", out);
}

Test(vga_term, palette_change_redraws_everything)
{
    static struct vga_screen s;
    small_screen(&s);
    vga_term_invalidate(&term);
    render(&s);
    s.colour[7] = 15;
    render(&s);
    cr_assert(strstr(out, "\x1b[2J") != NULL);
    cr_assert(strstr(out, "\x1b[0;97;40m") != NULL);
}

Test(vga_term, code_page_437)
{
    cr_assert_str_eq(vga_term_glyph(0), " ");
    cr_assert_str_eq(vga_term_glyph('A'), "A");
    cr_assert_str_eq(vga_term_glyph(0x01), "\xe2\x98\xba");    /* smiling face */
    cr_assert_str_eq(vga_term_glyph(0xB3), "\xe2\x94\x82");    /* vertical line */
    cr_assert_str_eq(vga_term_glyph(0xDB), "\xe2\x96\x88");    /* full block */
    cr_assert_str_eq(vga_term_glyph(0xE1), "\xc3\x9f");        /* sharp s / beta */
}
