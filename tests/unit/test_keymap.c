/*
 * tests/unit/test_keymap.c - terminal bytes -> set-2 make/break codes, and
 * the 8042's translation of them into set 1.
 */
#include <string.h>
#include <criterion/criterion.h>
#include "devices/keymap.h"

static uint8_t out[256];
static uint64_t dropped;

static size_t tr(const char *s)
{
    dropped = 0;
    return keymap_translate((const uint8_t *)s, strlen(s), out, sizeof out, NULL, &dropped);
}

#define EXPECT(s, ...) do {                                             \
        static const uint8_t want[] = { __VA_ARGS__ };                  \
        size_t n_ = tr(s);                                              \
        cr_assert_eq(n_, sizeof want, "%s: %zu bytes", #s, n_);         \
        cr_assert_arr_eq(out, want, sizeof want, "%s", #s);             \
    } while (0)

Test(keymap, letters_digits_space)
{
    EXPECT("a", 0x1C, 0xF0, 0x1C);
    EXPECT("z1 ", 0x1A, 0xF0, 0x1A, 0x16, 0xF0, 0x16, 0x29, 0xF0, 0x29);
}

Test(keymap, shifted_characters_inside_shift)
{
    EXPECT("A", 0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12);
    EXPECT("!", 0x12, 0x16, 0xF0, 0x16, 0xF0, 0x12);
    EXPECT("\"", 0x12, 0x52, 0xF0, 0x52, 0xF0, 0x12);
}

Test(keymap, control_keys)
{
    EXPECT("\r", 0x5A, 0xF0, 0x5A);
    EXPECT("\x7f", 0x66, 0xF0, 0x66);
    EXPECT("\t", 0x0D, 0xF0, 0x0D);
    EXPECT("\x1b", 0x76, 0xF0, 0x76);                       /* a lone ESC: the Esc key */
    EXPECT("\x03", 0x14, 0x21, 0xF0, 0x21, 0xF0, 0x14);     /* Ctrl-C */
}

Test(keymap, alt_prefix)
{
    EXPECT("\x1bx", 0x11, 0x22, 0xF0, 0x22, 0xF0, 0x11);
}

Test(keymap, cursor_and_editing_keys)
{
    EXPECT("\x1b[A", 0xE0, 0x75, 0xE0, 0xF0, 0x75);
    EXPECT("\x1bOD", 0xE0, 0x6B, 0xE0, 0xF0, 0x6B);
    EXPECT("\x1b[H", 0xE0, 0x6C, 0xE0, 0xF0, 0x6C);
    EXPECT("\x1b[4~", 0xE0, 0x69, 0xE0, 0xF0, 0x69);
    EXPECT("\x1b[2~", 0xE0, 0x70, 0xE0, 0xF0, 0x70);
    EXPECT("\x1b[3~", 0xE0, 0x71, 0xE0, 0xF0, 0x71);
    EXPECT("\x1b[5~\x1b[6~", 0xE0, 0x7D, 0xE0, 0xF0, 0x7D, 0xE0, 0x7A, 0xE0, 0xF0, 0x7A);
    EXPECT("\x1b[1;5C", 0x14, 0xE0, 0x74, 0xE0, 0xF0, 0x74, 0xF0, 0x14);   /* Ctrl+Right */
    EXPECT("\x1b[Z", 0x12, 0x0D, 0xF0, 0x0D, 0xF0, 0x12);                  /* Shift+Tab */
}

Test(keymap, function_keys)
{
    EXPECT("\x1bOP", 0x05, 0xF0, 0x05);
    EXPECT("\x1b[15~", 0x03, 0xF0, 0x03);                   /* F5 */
    EXPECT("\x1b[18~", 0x83, 0xF0, 0x83);                   /* F7 */
    EXPECT("\x1b[24~", 0x07, 0xF0, 0x07);                   /* F12 */
    EXPECT("\x1b[[A", 0x05, 0xF0, 0x05);                    /* Linux console F1 */
}

Test(keymap, unknown_input_dropped_and_counted)
{
    cr_assert_eq(tr("\xc3\xa9"), 0);                        /* UTF-8 e acute */
    cr_assert_eq(dropped, 2);
    cr_assert_eq(tr("\x1b[99~"), 0);
    cr_assert_eq(dropped, 1);
}

Test(keymap, a_key_that_does_not_fit_waits)
{
    size_t used;
    size_t n = keymap_translate((const uint8_t *)"aA\x1b[A", 6, out, 5, &used, NULL);
    cr_assert_eq(n, 3, "a fits, Shift+a (6 bytes) does not");
    cr_assert_eq(used, 1, "A and Up are left for later");
    n = keymap_translate((const uint8_t *)"\x1b[Ab", 4, out, 6, &used, NULL);
    cr_assert_eq(n, 5);
    cr_assert_eq(used, 3, "the whole sequence, then b waits");
}

Test(keymap, set1_translation)
{
    cr_assert_eq(keymap_set1(0x1C), 0x1E);                  /* A */
    cr_assert_eq(keymap_set1(0x76), 0x01);                  /* Esc */
    cr_assert_eq(keymap_set1(0x5A), 0x1C);                  /* Enter */
    cr_assert_eq(keymap_set1(0x75), 0x48);                  /* (E0) Up */
    cr_assert_eq(keymap_set1(0x83), 0x41);                  /* F7 */
    cr_assert_eq(keymap_set1(0x12), 0x2A);                  /* left Shift */
}
