/*
 * devices/lab_serial.h - lab 2 (docs/labs/serial-backends.md): where the
 * guest's serial console (COM1) goes, in QEMU's spellings.
 *
 * Contract: serial_open() turns a --serial SPEC into the console's input
 * and output descriptors, before the sandbox closes open() and socket():
 *   stdio               the terminal (stdin, stdout): the default
 *   file:PATH           output written to PATH (created or truncated), no input
 *   pipe:PATH           input from the FIFO PATH.in, output to the FIFO PATH.out
 *                       (both opened without blocking; output is dropped, not
 *                       waited for, while no one reads PATH.out)
 *   unix:PATH           connect to the Unix socket PATH
 *   unix:PATH,server    listen on PATH and wait for one client (message on stderr)
 *   none                nothing connected (output dropped, no input)
 * *in_fd may be -1 (no input).  Returns 0, or -1 with err[] set (a bad SPEC,
 * or the file or socket cannot be opened).
 */
#ifndef DEVICES_LAB_SERIAL_H
#define DEVICES_LAB_SERIAL_H

#include <stddef.h>

int serial_open(const char *spec, int *in_fd, int *out_fd, char *err, size_t errlen);

#endif
