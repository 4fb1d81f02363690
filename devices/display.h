/*
 * devices/display.h - --display curses: the VGA text screen on the host
 * terminal and the terminal's keys on the PS/2 keyboard, as QEMU's
 * `-display curses` and a VMware text console do.
 *
 * Contract: display_open() takes the terminal (out_fd must be one: the
 * caller checks it and refuses the option otherwise), clears it and puts
 * in_fd in raw mode through a console (devices/console.h: the Ctrl-A
 * commands stay, Ctrl-A x quits).  display_tick() passes the keys typed
 * since the last call to the keyboard (devices/keymap.h, i8042_keys) as
 * its buffer has room (typed bytes wait, never lost to an overrun) and,
 * every DISPLAY_FRAME_NS, draws what changed on the screen
 * (devices/vga_term.h); display_deadline() is the next frame.
 * display_close() draws the last frame, puts the cursor under the screen
 * and restores the terminal (attributes, cursor, termios); so do exit()
 * and a fatal error of the monitor (display_restore_now(), safe in a
 * signal handler).
 */
#ifndef DEVICES_DISPLAY_H
#define DEVICES_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/console.h"
#include "devices/vga.h"
#include "devices/vga_term.h"

struct vm;
struct vga;
struct i8042;

#define DISPLAY_FRAME_NS (1000000000ull / 30)

struct display {
    bool open;
    int out_fd;
    struct console keys;        /* the terminal's input */
    uint8_t typed[64];          /* typed bytes waiting for room in the keyboard */
    size_t ntyped;
    struct vga_term term;
    struct vga_screen screen;
    char out[VGA_TERM_BUF];
    uint64_t next_frame_ns;
    uint64_t frames, bytes, keys_dropped;
};

void display_open(struct display *d, int in_fd, int out_fd);
void display_tick(struct display *d, struct vm *vm, struct vga *v, struct i8042 *k, uint64_t now_ns);
uint64_t display_deadline(const struct display *d);
void display_close(struct display *d, struct vm *vm, struct vga *v);
void display_restore_now(void);

#endif
