/*
 * devices/debugcon.c - port 0x402: the firmware's log, one byte per write,
 * into the file of vmm --bios-log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/debugcon.h"
#include "devices/platform.h"

/* SeaBIOS reads the port once and logs there only when it reads back 0xE9
 * (the value of Bochs's port-E9 hack, which QEMU's debugcon keeps). */
static uint32_t debugcon_read(void *opaque, uint16_t port, int size)
{
    (void)opaque, (void)port, (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct debugcon *d = opaque;
    uint8_t c = (uint8_t)value;
    (void)port, (void)size;
    /* Unbuffered: the log is complete up to the last byte however the run
     * ends.  A byte the file will not take now is lost, never waited for. */
    if (write(d->fd, &c, 1) == 1)
        d->bytes++;
    else
        d->dropped++;
}

static const struct device_ops debugcon_ops = {
    .name = "debugcon",
    .pio_read = debugcon_read,
    .pio_write = debugcon_write,
};

int debugcon_open(struct vm *vm, const char *path, char *err, size_t errlen)
{
    struct debugcon *d = &platform_of(vm)->debugcon;
    /* O_NONBLOCK: opening a FIFO for writing with no reader fails at once
     * (ENXIO) instead of blocking until one comes. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "--bios-log %s: %s", path,
                 errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
        return -1;
    }
    /* A FIFO whose reader goes away must not end the run: its writes fail. */
    signal(SIGPIPE, SIG_IGN);
    if (d->open)
        close(d->fd);
    d->fd = fd;
    d->open = true;
    return 0;
}

int debugcon_init(struct debugcon *d, struct io_bus *bus)
{
    if (!d->open)
        return 0;
    return io_register_pio(bus, DEBUGCON_PORT, 1, &debugcon_ops, d);
}

void debugcon_close(struct debugcon *d)
{
    if (d->open)
        close(d->fd);
    d->open = false;
}
