/*
 * tests/unit/test_display.c - the display's glue: typed bytes reach the
 * keyboard as set-1 codes with IRQ1, waiting while its buffer is full; a
 * frame is drawn at most every DISPLAY_FRAME_NS and only when something
 * changed; closing restores attributes and cursor.  Pipes stand in for the
 * terminal (display_open() leaves the tty check to its caller).
 */
#define _GNU_SOURCE     /* pipe2 */
#include <fcntl.h>
#include <string.h>
#include "devtest.h"
#include "devices/display.h"

struct rig { struct vm *vm; struct display *d; int kw, sr; };

static struct rig open_rig(void)
{
    int in[2], out[2];
    struct rig r = { .vm = devtest_vm() };
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe2(out, O_NONBLOCK), 0);
    r.d = &platform_of(r.vm)->display;
    display_open(r.d, in[0], out[1]);
    r.kw = in[1];
    r.sr = out[0];
    return r;
}

static size_t drain(int fd, char *buf, size_t n)
{
    ssize_t got = read(fd, buf, n - 1);
    buf[got > 0 ? got : 0] = '\0';
    return got > 0 ? (size_t)got : 0;
}

static void tick(struct rig *r, uint64_t now)
{
    struct platform *p = platform_of(r->vm);
    display_tick(r->d, r->vm, &p->vga, &p->kbc, now);
}

Test(display, frames_only_when_due_and_changed)
{
    static char buf[1 << 16];
    struct rig r = open_rig();
    r.vm->mem.ram[0xB8000] = 'X';
    tick(&r, 1000);
    cr_assert_gt(drain(r.sr, buf, sizeof buf), 0);
    cr_assert(strstr(buf, "\x1b[2J") && strchr(buf, 'X'), "the first frame draws everything");
    r.vm->mem.ram[0xB8002] = 'Y';
    tick(&r, 1000 + DISPLAY_FRAME_NS / 2);
    cr_assert_eq(drain(r.sr, buf, sizeof buf), 0, "not before the next frame is due");
    tick(&r, 1000 + DISPLAY_FRAME_NS);
    drain(r.sr, buf, sizeof buf);
    cr_assert_str_eq(buf, "\x1b[?25l\x1b[1;2H\x1b[0;30;40mY\x1b[1;1H\x1b[?25h");  /* attribute 0 */
    tick(&r, 1000 + 2 * DISPLAY_FRAME_NS);
    cr_assert_eq(drain(r.sr, buf, sizeof buf), 0, "nothing changed: nothing written");
    display_close(r.d, r.vm, &platform_of(r.vm)->vga);
    drain(r.sr, buf, sizeof buf);
    cr_assert(strstr(buf, "\x1b[26;1H") && strstr(buf, "\x1b[0m\x1b[0 q\x1b[?25h"), "%s", buf);
    devtest_free(r.vm);
}

Test(display, typed_keys_reach_the_keyboard_and_wait_for_room)
{
    struct rig r = open_rig();
    struct i8042 *k = &platform_of(r.vm)->kbc;
    /* 30 Shift+letters: 180 bytes of set 2, more than the keyboard holds */
    char typed[31];
    memset(typed, 'A', 30);
    typed[30] = '\0';
    cr_assert_eq(write(r.kw, typed, 30), 30);
    tick(&r, 1000);
    cr_assert_leq(k->key_count, I8042_KEYS);
    cr_assert_eq(k->key_overruns, 0);
    cr_assert_gt(r.d->ntyped, 0, "the rest waits");
    int makes = 0;
    for (int i = 0; i < 1000 && makes < 30; i++) {
        if (!(inb(r.vm, 0x64) & 0x01)) {
            tick(&r, 1000);
            continue;
        }
        if (inb(r.vm, 0x60) == 0x1E)           /* set-1 make code of A */
            makes++;
    }
    cr_assert_eq(makes, 30, "every key arrived");
    devtest_free(r.vm);
}
