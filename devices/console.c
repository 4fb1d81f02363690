#define _GNU_SOURCE
/*
 * devices/console.c - host terminal <-> COM1.
 *
 * The saved terminal settings are process state of the *host* (one
 * controlling terminal per process), not guest state, so they live in a
 * static here: the atexit() hook must find them even when the monitor exits
 * from deep inside an error path.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/console.h"
#include "devices/uart16550.h"
#include "devices/irq.h"
#include "cpu/host.h"

#define CTRL_A 0x01

static struct termios saved_tty;
static int saved_tty_fd = -1;

void console_restore_now(void)
{
    if (saved_tty_fd >= 0) {
        tcsetattr(saved_tty_fd, TCSAFLUSH, &saved_tty);
        saved_tty_fd = -1;
    }
}

/* Raw input (no echo, no line editing, no signals from ^C: the guest gets
 * them), output post-processing kept so that the host terminal still turns
 * "\n" into a new line for guests that send bare line feeds. */
static bool make_raw(int fd)
{
    struct termios t;
    if (!isatty(fd) || tcgetattr(fd, &t) < 0)
        return false;
    saved_tty = t;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSAFLUSH, &t) < 0)
        return false;
    if (saved_tty_fd < 0) {
        static bool hooked;
        if (!hooked)
        {
            atexit(console_restore_now);
            host_at_fatal(console_restore_now);
        }
        hooked = true;
    }
    saved_tty_fd = fd;
    return true;
}

void console_open(struct console *c, int in_fd)
{
    *c = (struct console){ .in_fd = in_fd };
    if (in_fd >= 0)
        c->raw = make_raw(in_fd);
}

void console_close(struct console *c)
{
    if (c->raw)
        console_restore_now();
    c->raw = false;
    c->in_fd = -1;
}

static void put(struct console *c, uint8_t b)
{
    if (c->count < CONSOLE_BUF)
        c->buf[(c->head + c->count++) % CONSOLE_BUF] = b;
}

static void escape_key(struct vm *vm, struct console *c, uint8_t b)
{
    switch (b) {
    case 'x': case 'X':
        vm_stop(vm, VMM_EXIT_OK, "terminated by Ctrl-A x");
        break;
    case CTRL_A:
        put(c, CTRL_A);
        break;
    case 'c': case 'C':
        fprintf(stderr, "\r\nvmm: Ctrl-A c: the monitor prompt is not implemented\r\n");
        break;
    case 'h': case 'H': case '?':
        fprintf(stderr, "\r\nCtrl-A x  quit\r\nCtrl-A h  this help\r\n"
                        "Ctrl-A Ctrl-A  send Ctrl-A\r\n");
        break;
    }
}

static void take(struct vm *vm, struct console *c, const uint8_t *p, ssize_t n)
{
    for (ssize_t i = 0; i < n; i++) {
        if (c->escape) {
            c->escape = false;
            escape_key(vm, c, p[i]);
        } else if (p[i] == CTRL_A) {
            c->escape = true;
        } else {
            put(c, p[i]);
        }
    }
}

/* Read once from the host if it has input and we have room. */
static void host_read(struct vm *vm, struct console *c)
{
    uint8_t tmp[CONSOLE_BUF];
    size_t room = CONSOLE_BUF - c->count;
    if (c->in_fd < 0 || room == 0)
        return;
    ssize_t n = read(c->in_fd, tmp, room);
    if (n > 0)
        take(vm, c, tmp, n);
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        c->in_fd = -1;              /* end of file: stop polling it */
}

/* Read what the host has, without blocking, if there is room. */
static void poll_read(struct vm *vm, struct console *c)
{
    if (c->in_fd >= 0 && c->count < CONSOLE_BUF) {
        struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
        if (poll(&p, 1, 0) > 0)
            host_read(vm, c);
    }
}

static void feed(struct console *c, struct uart *u)
{
    int room = uart_rx_room(u);
    while (room-- > 0 && c->count) {
        uart_receive(u, c->buf[c->head]);
        c->head = (c->head + 1) % CONSOLE_BUF;
        c->count--;
    }
}

void console_pump(struct vm *vm, struct console *c, struct uart *u)
{
    poll_read(vm, c);
    feed(c, u);
}

size_t console_take(struct vm *vm, struct console *c, uint8_t *out, size_t max)
{
    poll_read(vm, c);
    size_t n = 0;
    while (n < max && c->count) {
        out[n++] = c->buf[c->head];
        c->head = (c->head + 1) % CONSOLE_BUF;
        c->count--;
    }
    return n;
}

static bool can_read(const struct console *c)
{
    return c && c->in_fd >= 0 && c->count < CONSOLE_BUF;
}

void console_wait(struct vm *vm, struct console *const *cs, int n, uint64_t deadline_ns)
{
    uint64_t now = host_now_ns();
    if (deadline_ns <= now)
        return;
    struct pollfd p[CONSOLE_WAIT_MAX];
    int np = 0;
    for (int i = 0; i < n && np < CONSOLE_WAIT_MAX; i++)
        if (can_read(cs[i]))
            p[np++] = (struct pollfd){ .fd = cs[i]->in_fd, .events = POLLIN };
    /* Without any event source, wake up once a second so that the run loop
     * can look around; it costs nothing measurable. */
    uint64_t wait = deadline_ns - now;
    if (!np && wait > 1000000000ull)
        wait = 1000000000ull;
    struct timespec ts = { wait / 1000000000ull, wait % 1000000000ull };
    if (!np) {
        nanosleep(&ts, NULL);
        return;
    }
    if (ppoll(p, (nfds_t)np, deadline_ns == UINT64_MAX ? NULL : &ts, NULL) <= 0)
        return;
    for (int i = 0; i < n; i++)
        if (can_read(cs[i]))
            for (int j = 0; j < np; j++)
                if (p[j].fd == cs[i]->in_fd && p[j].revents)
                    host_read(vm, cs[i]);
}
