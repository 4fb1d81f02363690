/*
 * devices/debugcon.h - QEMU's debug console on I/O port 0x402, where
 * SeaBIOS writes its log (vmm --bios-log FILE).
 *
 * Contract: debugcon_open() (before devices_init()) opens FILE for writing
 * (created, truncated; non-blocking, so a FIFO without a reader is refused
 * at once instead of waited for) and makes the device exist; it returns -1
 * with a message naming the file when the file cannot be written (a
 * directory, a path without permission).  devices_init() then registers
 * port 0x402: every byte written there (the low byte of a wider write) is
 * written to the file at once, unbuffered; a read returns 0xE9, the value
 * that tells SeaBIOS (QEMU_DEBUGCON_READBACK) that someone listens.  A
 * write the file refuses (a full FIFO, a reader gone, a full disk) drops
 * the byte and is counted; it never stops the guest.
 * Without debugcon_open() nothing is registered at 0x402: the port reads
 * all ones, as on QEMU without -debugcon, and SeaBIOS keeps quiet there.
 * debugcon_close() (devices_destroy()) closes the file.
 */
#ifndef DEVICES_DEBUGCON_H
#define DEVICES_DEBUGCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct io_bus;

#define DEBUGCON_PORT     0x402
#define DEBUGCON_READBACK 0xE9

struct debugcon {
    bool open;                  /* debugcon_open() succeeded: the port exists */
    int fd;
    uint64_t bytes, dropped;    /* written to the file / refused by it */
};

int debugcon_open(struct vm *vm, const char *path, char *err, size_t errlen);
int debugcon_init(struct debugcon *d, struct io_bus *bus);
void debugcon_close(struct debugcon *d);

#endif
