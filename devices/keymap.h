/*
 * devices/keymap.h - bytes typed on a host terminal as PC keyboard scan
 * codes.
 *
 * Contract: keymap_translate() turns what a terminal in raw mode sends
 * (ASCII, control characters, the escape sequences of xterm, VT220 and
 * the Linux console for arrows, Home/End, Insert/Delete, PgUp/PgDn and
 * F1-F12, with xterm's ";<modifiers>" parameter) into the make and break
 * codes of scan code set 2 that a PS/2 keyboard sends: a key is made and
 * broken at once, inside the make and break of Shift, Ctrl or Alt when it
 * needs them ("A" is Shift+a, 0x01 is Ctrl+a, ESC x is Alt+x).  ESC at the
 * end of the input is the Esc key.  Bytes of nothing the keyboard has
 * (UTF-8 above ASCII, unknown sequences) are dropped and counted.  It
 * stops before the first key whose codes do not fit in cap: *used says how
 * many input bytes were consumed, the rest waits for room.
 * keymap_set1() is the 8042's translation of one set-2 code into set 1
 * (0 for a code no key here sends).
 */
#ifndef DEVICES_KEYMAP_H
#define DEVICES_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#define KEY_BREAK 0xF0              /* set 2: the next code is a release */
#define KEY_E0    0xE0              /* set 2 and set 1: an extended key follows */

/* Returns the number of bytes written to out (at most cap). */
size_t keymap_translate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *used,
                        uint64_t *dropped);
uint8_t keymap_set1(uint8_t set2);

#endif
