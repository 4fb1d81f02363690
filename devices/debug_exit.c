/*
 * devices/debug_exit.c - port 0xF4: the guest chooses the exit status.
 */
#include <stddef.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/debug_exit.h"

static void debug_exit_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct vm *vm = opaque;
    if (size == 1)
        value &= 0xFF;
    else if (size == 2)
        value &= 0xFFFF;
    vm_stop(vm, (int)((value << 1) | 1), NULL);
}

static const struct device_ops debug_exit_ops = {
    .name = "debug-exit",
    .pio_write = debug_exit_write,
};

int debug_exit_init(struct vm *vm, struct io_bus *bus)
{
    return io_register_pio(bus, DEBUG_EXIT_PORT, 1, &debug_exit_ops, vm);
}
