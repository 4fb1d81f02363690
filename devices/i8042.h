/*
 * devices/i8042.h - the PS/2 keyboard controller (8042) and port 0x92.
 *
 * Contract: ports 0x60 (data) and 0x64 (status/command), with a keyboard
 * and a minimal PS/2 mouse behind it that answer the probe and reset
 * sequences.  No host keystrokes are fed in: the host terminal is the
 * serial console (COM1), so the keyboard stays silent (documented choice).
 * Reset through command 0xFE (or any pulse of output bit 0, the output-port
 * write 0xD1, or port 0x92 bit 0) ends the run with status 0 and
 * "guest reset".  The A20 gate (output port bit 1, port 0x92 bit 1) reads
 * back as written and goes to vm_set_a20(), which wraps physical addresses
 * at 1 MiB while it is closed (paging off; cpu/machine.h).
 */
#ifndef DEVICES_I8042_H
#define DEVICES_I8042_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define I8042_QUEUE 16

struct i8042 {
    struct vm *vm;
    uint8_t status, cmd_byte, outport, port92;
    uint8_t pending;            /* controller command waiting for its data byte */
    uint8_t kbd_param, aux_param; /* device command waiting for its parameter */
    uint8_t q[I8042_QUEUE];     /* output buffer queue */
    bool q_aux[I8042_QUEUE];
    int head, count;
    int irq1, irq12;
    uint64_t unknown_cmds;
};

int i8042_init(struct i8042 *k, struct vm *vm, struct io_bus *bus);

#endif
