/*
 * devices/keymap.c - terminal bytes -> set-2 scan codes (IBM PS/2
 * Keyboard Technical Reference: scan code set 2; the 8042's translation
 * into set 1).
 */
#include <stdbool.h>
#include <string.h>
#include "devices/keymap.h"

#define EXT 0x100                   /* an E0-prefixed key */
#define MOD_SHIFT 1
#define MOD_ALT   2
#define MOD_CTRL  4

enum {
    K_ESC = 0x76, K_BKSP = 0x66, K_TAB = 0x0D, K_ENTER = 0x5A, K_SPACE = 0x29,
    K_LSHIFT = 0x12, K_LCTRL = 0x14, K_LALT = 0x11,
    K_UP = EXT | 0x75, K_DOWN = EXT | 0x72, K_LEFT = EXT | 0x6B, K_RIGHT = EXT | 0x74,
    K_HOME = EXT | 0x6C, K_END = EXT | 0x69, K_PGUP = EXT | 0x7D, K_PGDN = EXT | 0x7A,
    K_INS = EXT | 0x70, K_DEL = EXT | 0x71,
};

/* Set 2 and set 1 codes of each key sent here (the modifiers included):
 * the set-1 column is what the 8042 makes of the set-2 one. */
static const uint8_t codes[][2] = {
    { 0x76, 0x01 }, { 0x16, 0x02 }, { 0x1E, 0x03 }, { 0x26, 0x04 }, { 0x25, 0x05 },
    { 0x2E, 0x06 }, { 0x36, 0x07 }, { 0x3D, 0x08 }, { 0x3E, 0x09 }, { 0x46, 0x0A },
    { 0x45, 0x0B }, { 0x4E, 0x0C }, { 0x55, 0x0D }, { 0x66, 0x0E }, { 0x0D, 0x0F },
    { 0x15, 0x10 }, { 0x1D, 0x11 }, { 0x24, 0x12 }, { 0x2D, 0x13 }, { 0x2C, 0x14 },
    { 0x35, 0x15 }, { 0x3C, 0x16 }, { 0x43, 0x17 }, { 0x44, 0x18 }, { 0x4D, 0x19 },
    { 0x54, 0x1A }, { 0x5B, 0x1B }, { 0x5A, 0x1C }, { 0x14, 0x1D }, { 0x1C, 0x1E },
    { 0x1B, 0x1F }, { 0x23, 0x20 }, { 0x2B, 0x21 }, { 0x34, 0x22 }, { 0x33, 0x23 },
    { 0x3B, 0x24 }, { 0x42, 0x25 }, { 0x4B, 0x26 }, { 0x4C, 0x27 }, { 0x52, 0x28 },
    { 0x0E, 0x29 }, { 0x12, 0x2A }, { 0x5D, 0x2B }, { 0x1A, 0x2C }, { 0x22, 0x2D },
    { 0x21, 0x2E }, { 0x2A, 0x2F }, { 0x32, 0x30 }, { 0x31, 0x31 }, { 0x3A, 0x32 },
    { 0x41, 0x33 }, { 0x49, 0x34 }, { 0x4A, 0x35 }, { 0x59, 0x36 }, { 0x11, 0x38 },
    { 0x29, 0x39 }, { 0x58, 0x3A }, { 0x05, 0x3B }, { 0x06, 0x3C }, { 0x04, 0x3D },
    { 0x0C, 0x3E }, { 0x03, 0x3F }, { 0x0B, 0x40 }, { 0x83, 0x41 }, { 0x0A, 0x42 },
    { 0x01, 0x43 }, { 0x09, 0x44 }, { 0x78, 0x57 }, { 0x07, 0x58 },
    /* the E0 keys: the same translation, after the E0 */
    { 0x6C, 0x47 }, { 0x75, 0x48 }, { 0x7D, 0x49 }, { 0x6B, 0x4B }, { 0x74, 0x4D },
    { 0x69, 0x4F }, { 0x72, 0x50 }, { 0x7A, 0x51 }, { 0x70, 0x52 }, { 0x71, 0x53 },
};

uint8_t keymap_set1(uint8_t set2)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i][0] == set2)
            return codes[i][1];
    return 0;
}

/* US layout: the key of each printable character and whether it needs
 * Shift. */
static const char unshifted[] = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./ ";
static const char shifted[]   = "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>? ";
static const uint8_t key_of[]  = {
    0x0E, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55,
    0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43, 0x44, 0x4D, 0x54, 0x5B, 0x5D,
    0x1C, 0x1B, 0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C, 0x52,
    0x1A, 0x22, 0x21, 0x2A, 0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x29,
};

/* The key and modifiers of one ASCII byte; 0 when no key makes it. */
static int ascii_key(uint8_t b, int *mods)
{
    *mods = 0;
    switch (b) {
    case '\r': case '\n': return K_ENTER;
    case '\t': return K_TAB;
    case 0x7F: case 0x08: return K_BKSP;
    case 0x1B: return K_ESC;
    case 0x00: *mods = MOD_CTRL; return K_SPACE;
    case 0x1C: *mods = MOD_CTRL; return 0x5D;      /* Ctrl-\ */
    case 0x1D: *mods = MOD_CTRL; return 0x5B;      /* Ctrl-] */
    case 0x1E: *mods = MOD_CTRL | MOD_SHIFT; return 0x36;  /* Ctrl-^ */
    case 0x1F: *mods = MOD_CTRL | MOD_SHIFT; return 0x4E;  /* Ctrl-_ */
    }
    if (b >= 0x01 && b <= 0x1A) {
        *mods = MOD_CTRL;
        b = (uint8_t)(b - 1 + 'a');
    }
    if (b == 0 || b >= 0x80)
        return 0;
    const char *p = strchr(unshifted, b);
    if (!p && (p = strchr(shifted, b)) != NULL) {
        *mods |= MOD_SHIFT;
        return key_of[p - shifted];
    }
    return p ? key_of[p - unshifted] : 0;
}

struct out { uint8_t *p; size_t n, cap; bool full; };

static void emit(struct out *o, int key, bool brk)
{
    uint8_t b[3];
    int n = 0;
    if (key & EXT)
        b[n++] = KEY_E0;
    if (brk)
        b[n++] = KEY_BREAK;
    b[n++] = (uint8_t)key;
    for (int i = 0; i < n; i++)
        o->p[o->n++] = b[i];
}

/* Press and release key inside its modifiers, or nothing if it does not fit. */
static void press(struct out *o, int key, int mods)
{
    static const int mod_key[3] = { K_LSHIFT, K_LALT, K_LCTRL };
    size_t need = (key & EXT) ? 5 : 3;            /* [E0] k, [E0] F0 k */
    for (int m = 0; m < 3; m++)
        if (mods & (1 << m))
            need += 3;                              /* m, F0 m */
    if (o->full || o->n + need > o->cap) {
        o->full = true;
        return;
    }
    for (int m = 0; m < 3; m++)
        if (mods & (1 << m))
            emit(o, mod_key[m], false);
    emit(o, key, false);
    emit(o, key, true);
    for (int m = 2; m >= 0; m--)
        if (mods & (1 << m))
            emit(o, mod_key[m], true);
}

/* The key of a CSI or SS3 sequence's final byte, or of "ESC [ N ~". */
static int final_key(uint8_t f)
{
    switch (f) {
    case 'A': return K_UP;
    case 'B': return K_DOWN;
    case 'C': return K_RIGHT;
    case 'D': return K_LEFT;
    case 'H': return K_HOME;
    case 'F': return K_END;
    case 'P': return 0x05;          /* F1-F4 */
    case 'Q': return 0x06;
    case 'R': return 0x04;
    case 'S': return 0x0C;
    }
    return 0;
}

static int tilde_key(int n)
{
    static const int f[] = { [1] = K_HOME, [2] = K_INS, [3] = K_DEL, [4] = K_END, [5] = K_PGUP,
                             [6] = K_PGDN, [7] = K_HOME, [8] = K_END, [11] = 0x05, [12] = 0x06,
                             [13] = 0x04, [14] = 0x0C, [15] = 0x03, [17] = 0x0B, [18] = 0x83,
                             [19] = 0x0A, [20] = 0x01, [21] = 0x09, [23] = 0x78, [24] = 0x07 };
    return n > 0 && n < (int)(sizeof f / sizeof f[0]) ? f[n] : 0;
}

/* A sequence after ESC at in[0..n): its length, *key and *mods (0 key:
 * not understood). */
static size_t sequence(const uint8_t *in, size_t n, int *key, int *mods)
{
    *key = 0;
    *mods = 0;
    if (n >= 2 && in[0] == 'O') {                  /* SS3: ESC O x */
        *key = final_key(in[1]);
        return 2;
    }
    if (n >= 3 && in[0] == '[' && in[1] == '[') {  /* Linux console F1-F5 */
        static const int lf[5] = { 0x05, 0x06, 0x04, 0x0C, 0x03 };
        *key = in[2] >= 'A' && in[2] <= 'E' ? lf[in[2] - 'A'] : 0;
        return 3;
    }
    int p[2] = { 0, 0 }, np = 0;
    size_t i = 1;
    for (; i < n && ((in[i] >= '0' && in[i] <= '9') || in[i] == ';'); i++) {
        if (in[i] == ';') {
            np++;
        } else if (np < 2 && p[np] < 1000) {
            p[np] = p[np] * 10 + (in[i] - '0');
        }
    }
    if (i >= n)
        return n;                                  /* cut short: dropped */
    uint8_t f = in[i];
    *key = f == '~' ? tilde_key(p[0]) : f == 'Z' ? K_TAB : final_key(f);
    if (f == 'Z')
        *mods = MOD_SHIFT;
    if (np >= 1 && p[1] >= 2)
        *mods |= (p[1] - 1) & 7;                   /* xterm: 1 + shift|alt<<1|ctrl<<2 */
    return i + 1;
}

size_t keymap_translate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *used,
                        uint64_t *dropped)
{
    struct out o = { out, 0, cap, false };
    size_t i = 0;
    while (i < n) {
        int key, mods;
        size_t at = i;
        if (in[i] == 0x1B && i + 1 < n && (in[i + 1] == '[' || in[i + 1] == 'O') && i + 2 < n) {
            i += 1 + sequence(in + i + 1, n - i - 1, &key, &mods);
        } else if (in[i] == 0x1B && i + 1 < n) {   /* ESC x: Alt+x */
            key = ascii_key(in[i + 1], &mods);
            mods |= MOD_ALT;
            i += 2;
        } else {
            key = ascii_key(in[i], &mods);
            i++;
        }
        if (key)
            press(&o, key, mods);
        else if (dropped)
            (*dropped)++;
        if (o.full) {
            i = at;                 /* this key and the rest wait for room */
            break;
        }
    }
    if (used)
        *used = i;
    return o.n;
}
