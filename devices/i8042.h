/*
 * devices/i8042.h - the PS/2 keyboard controller (8042) and port 0x92.
 *
 * Contract: ports 0x60 (data) and 0x64 (status/command), with a keyboard
 * and a minimal PS/2 mouse behind it that answer the probe and reset
 * sequences.  i8042_keys() is the keyboard's side of the cable: set-2
 * scan codes (devices/keymap.h) wait in the keyboard's own buffer
 * (I8042_KEYS bytes; more are lost and counted, as a keyboard overruns)
 * and reach the output buffer one at a time, each with IRQ1, while it is
 * empty, the keyboard interface is enabled (command byte bit 4 clear) and
 * the keyboard scans (0xF5 stops it and clears its buffer, 0xF4 and 0xFF
 * start it; keys pressed while it does not scan are lost).  With command byte bit 6 set (the default, as a BIOS leaves
 * it) the controller translates them into set 1, as the 8042 does (a
 * break prefix F0 becomes bit 7 of the next code); the keyboard always
 * sends set 2 (a request for another set is acknowledged and ignored).
 * Without --display the host terminal is the serial console (COM1), and
 * nothing reaches the keyboard.
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
#include <stddef.h>

struct vm;
struct io_bus;

#define I8042_QUEUE 16
#define I8042_KEYS  64

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
    uint8_t keys[I8042_KEYS];   /* the keyboard's buffer: set-2 codes */
    int key_head, key_count;
    bool scanning;              /* the keyboard sends keys (0xF4/0xF5) */
    bool key_break;             /* translation: F0 seen, the next code is a release */
    uint64_t key_overruns;
};

int i8042_init(struct i8042 *k, struct vm *vm, struct io_bus *bus);
/* Keys pressed: set-2 codes from the keyboard. */
void i8042_keys(struct i8042 *k, const uint8_t *set2, size_t n);

#endif
