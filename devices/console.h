/*
 * devices/console.h - the host terminal as the serial console (COM1).
 *
 * Contract: console_open() takes the host input fd (stdin): a terminal is
 * put in raw mode (restored by console_close() and at process exit), a pipe
 * or file is read as it is, until end of file.  Input is escaped as in QEMU:
 * Ctrl-A x ends the run with status 0, Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A h prints the list, Ctrl-A c (monitor prompt) is not implemented and
 * says so.  console_pump() moves bytes into the UART as its FIFO has room;
 * console_take() hands them to another consumer (the keyboard under
 * --display, devices/display.h); console_wait() blocks until input
 * arrives on any of the given consoles or the deadline passes, and
 * buffers it.  console_restore_now() gives the terminal its settings back
 * (atexit and the monitor's fatal-error path call it too; safe in a
 * signal handler).
 */
#ifndef DEVICES_CONSOLE_H
#define DEVICES_CONSOLE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct vm;
struct uart;

#define CONSOLE_BUF 512
#define CONSOLE_WAIT_MAX 2

struct console {
    int in_fd;                  /* -1 once closed or at end of file */
    bool raw;                   /* terminal switched to raw mode by us */
    bool escape;                /* the previous byte was Ctrl-A */
    uint8_t buf[CONSOLE_BUF];   /* host input not yet taken by the UART */
    int head, count;
    uint64_t last_poll_ns;
};

void console_open(struct console *c, int in_fd);
void console_close(struct console *c);
/* Read what the host has (without blocking) and feed the UART. */
void console_pump(struct vm *vm, struct console *c, struct uart *u);
/* Up to max bytes of host input (after the Ctrl-A commands). */
size_t console_take(struct vm *vm, struct console *c, uint8_t *out, size_t max);
/* Sleep until host input on one of cs[0..n) or deadline_ns (host monotonic). */
void console_wait(struct vm *vm, struct console *const *cs, int n, uint64_t deadline_ns);
void console_restore_now(void);

#endif
