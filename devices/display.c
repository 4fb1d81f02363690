/*
 * devices/display.c - the VGA text screen on the host terminal, the
 * terminal's keys on the keyboard.
 *
 * The terminal is process state of the host, like the console's saved
 * termios: the fd to restore lives in a static so that exit() and the
 * fatal-error path find it wherever the monitor stops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "cpu/host.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/display.h"
#include "devices/i8042.h"
#include "devices/keymap.h"
#include "devices/vga_text.h"

/* Attributes off, the terminal's own cursor shape, cursor shown. */
#define LEAVE "\x1b[0m\x1b[0 q\x1b[?25h"

static int restore_fd = -1;

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void display_restore_now(void)
{
    if (restore_fd >= 0) {
        write_all(restore_fd, LEAVE "\r\n", sizeof LEAVE + 1);
        restore_fd = -1;
    }
    console_restore_now();
}

void display_open(struct display *d, int in_fd, int out_fd)
{
    static bool hooked;
    memset(d, 0, sizeof *d);
    d->out_fd = out_fd;
    console_open(&d->keys, in_fd);
    vga_term_invalidate(&d->term);
    if (!hooked) {
        atexit(display_restore_now);
        host_at_fatal(display_restore_now);
        hooked = true;
    }
    restore_fd = out_fd;
    d->open = true;
}

static void frame(struct display *d, struct vm *vm, struct vga *v)
{
    vga_screen(v, guest_phys_ptr(vm_mem(vm), VGA_WINDOW, VGA_WINDOW_SIZE), &d->screen);
    size_t n = vga_term_render(&d->term, &d->screen, d->out);
    if (n) {
        write_all(d->out_fd, d->out, n);
        d->frames++;
        d->bytes += n;
    }
}

/* Typed bytes -> scan codes, as many as the keyboard's buffer takes. */
static void keys(struct display *d, struct vm *vm, struct i8042 *k)
{
    uint8_t codes[I8042_KEYS];
    d->ntyped += console_take(vm, &d->keys, d->typed + d->ntyped, sizeof d->typed - d->ntyped);
    size_t room = (size_t)(I8042_KEYS - k->key_count), used;
    if (!d->ntyped || !k->scanning)
        return;
    size_t m = keymap_translate(d->typed, d->ntyped, codes, room, &used, &d->keys_dropped);
    if (used == 0 && m == 0 && room == I8042_KEYS)
        used = d->ntyped;               /* cannot happen: no key is that long */
    memmove(d->typed, d->typed + used, d->ntyped - used);
    d->ntyped -= used;
    i8042_keys(k, codes, m);
}

void display_tick(struct display *d, struct vm *vm, struct vga *v, struct i8042 *k, uint64_t now_ns)
{
    if (!d->open)
        return;
    keys(d, vm, k);
    if (now_ns >= d->next_frame_ns) {
        frame(d, vm, v);
        d->next_frame_ns = now_ns + DISPLAY_FRAME_NS;
    }
}

uint64_t display_deadline(const struct display *d)
{
    return d->open ? d->next_frame_ns : UINT64_MAX;
}

void display_close(struct display *d, struct vm *vm, struct vga *v)
{
    if (!d->open)
        return;
    frame(d, vm, v);
    char below[32];
    int n = snprintf(below, sizeof below, "\x1b[%d;1H", d->screen.rows + 1);
    write_all(d->out_fd, below, (size_t)n);
    display_restore_now();
    console_close(&d->keys);
    d->open = false;
}
