/*
 * devices/i8042.c - 8042 keyboard controller (IBM PC/AT Technical
 * Reference, "Keyboard Controller"), keyboard and mouse command answers
 * (IBM PS/2 Hardware Interface Technical Reference).
 */
#include <stdio.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "devices/i8042.h"
#include "devices/keymap.h"
#include "devices/irq.h"
#include "devices/platform.h"

#define ST_OBF   0x01
#define ST_SYS   0x04
#define ST_CMD   0x08
#define ST_UNLOCKED 0x10
#define ST_AUXOBF 0x20
#define CB_KBDINT 0x01
#define CB_AUXINT 0x02
#define CB_SYS    0x04
#define CB_KBDDIS 0x10
#define CB_AUXDIS 0x20
#define CB_XLATE  0x40
#define ACK 0xFA

static void update(struct i8042 *k)
{
    k->status &= ~(ST_OBF | ST_AUXOBF);
    int irq1 = 0, irq12 = 0;
    if (k->count) {
        bool aux = k->q_aux[k->head];
        k->status |= ST_OBF | (aux ? ST_AUXOBF : 0);
        irq1 = !aux && (k->cmd_byte & CB_KBDINT);
        irq12 = aux && (k->cmd_byte & CB_AUXINT);
    }
    if (irq1 != k->irq1 && k->vm)
        irq_set_level(k->vm, 1, irq1);
    if (irq12 != k->irq12 && k->vm)
        irq_set_level(k->vm, 12, irq12);
    k->irq1 = irq1;
    k->irq12 = irq12;
}

static void push(struct i8042 *k, uint8_t v, bool aux)
{
    if (k->count == I8042_QUEUE)
        return;
    int i = (k->head + k->count++) % I8042_QUEUE;
    k->q[i] = v;
    k->q_aux[i] = aux;
}

/* The keyboard sends its next byte when the controller's output buffer is
 * free and the interface and the keyboard are enabled. */
static void kbd_feed(struct i8042 *k)
{
    while (!k->count && k->key_count && k->scanning && !(k->cmd_byte & CB_KBDDIS)) {
        uint8_t b = k->keys[k->key_head];
        k->key_head = (k->key_head + 1) % I8042_KEYS;
        k->key_count--;
        if (k->cmd_byte & CB_XLATE) {
            if (b == KEY_BREAK) {
                k->key_break = true;
                continue;
            }
            if (b != KEY_E0) {
                b = keymap_set1(b) | (k->key_break ? 0x80 : 0);
                k->key_break = false;
            }
        }
        push(k, b, false);
    }
}

static void kbd_clear(struct i8042 *k)
{
    k->key_count = 0;
    k->key_break = false;
}

void i8042_keys(struct i8042 *k, const uint8_t *set2, size_t n)
{
    if (!k->scanning)
        return;                     /* a keyboard that does not scan sees no keys */
    for (size_t i = 0; i < n; i++) {
        if (k->key_count == I8042_KEYS) {
            k->key_overruns += n - i;
            break;
        }
        k->keys[(k->key_head + k->key_count++) % I8042_KEYS] = set2[i];
    }
    kbd_feed(k);
    update(k);
}

static void reset_machine(struct i8042 *k)
{
    platform_reset(k->vm);
}

static void set_a20(struct i8042 *k, bool on)
{
    vm_set_a20(k->vm, on);
    k->outport = (k->outport & ~0x02) | (on ? 0x02 : 0);
    k->port92 = (k->port92 & ~0x02) | (on ? 0x02 : 0);
}

static void write_outport(struct i8042 *k, uint8_t v)
{
    set_a20(k, v & 0x02);
    k->outport = v;
    if (!(v & 0x01))
        reset_machine(k);           /* bit 0 drives the CPU reset line (active low) */
}

/* Keyboard device commands (bytes written to port 0x60). */
static void kbd_command(struct i8042 *k, uint8_t v)
{
    k->cmd_byte &= ~CB_KBDDIS;      /* writing to the keyboard enables its clock */
    if (k->kbd_param) {
        uint8_t cmd = k->kbd_param;
        k->kbd_param = 0;
        push(k, ACK, false);
        if (cmd == 0xF0 && v == 0)
            push(k, 0x02, false);   /* current scancode set */
        return;
    }
    switch (v) {
    case 0xFF:                                                     /* reset, BAT ok */
        kbd_clear(k);
        k->scanning = true;
        push(k, ACK, false); push(k, 0xAA, false); break;
    case 0xF2: push(k, ACK, false); push(k, 0xAB, false); push(k, 0x83, false); break;
    case 0xEE: push(k, 0xEE, false); break;                        /* echo */
    case 0xED: case 0xF0: case 0xF3:
        k->kbd_param = v; push(k, ACK, false); break;
    case 0xF4: k->scanning = true; push(k, ACK, false); break;
    case 0xF5: kbd_clear(k); k->scanning = false; push(k, ACK, false); break;
    case 0xF6: case 0xF7: case 0xF8: case 0xF9:
    case 0xFA: case 0xFB: case 0xFC: case 0xFD:
        push(k, ACK, false); break;
    default:
        k->unknown_cmds++;
        push(k, 0xFE, false);       /* resend: not understood */
    }
}

/* A minimal PS/2 mouse (standard 3-byte protocol, ID 0). */
static void aux_command(struct i8042 *k, uint8_t v)
{
    if (k->aux_param) {
        k->aux_param = 0;
        push(k, ACK, true);
        return;
    }
    switch (v) {
    case 0xFF: push(k, ACK, true); push(k, 0xAA, true); push(k, 0x00, true); break;
    case 0xF2: push(k, ACK, true); push(k, 0x00, true); break;
    case 0xE9: push(k, ACK, true); push(k, 0x00, true); push(k, 0x02, true);
               push(k, 0x64, true); break;                         /* status */
    case 0xEB: push(k, ACK, true); push(k, 0x08, true); push(k, 0, true);
               push(k, 0, true); break;                            /* read data */
    case 0xE8: case 0xF3: k->aux_param = v; push(k, ACK, true); break;
    case 0xE6: case 0xE7: case 0xEA: case 0xEC: case 0xEE: case 0xF0:
    case 0xF4: case 0xF5: case 0xF6:
        push(k, ACK, true); break;
    default:
        k->unknown_cmds++;
        push(k, 0xFE, true);
    }
}

static void data_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    switch (cmd) {
    case 0: kbd_command(k, v); break;
    case 0x60:
        k->cmd_byte = v;
        k->status = (k->status & ~ST_SYS) | (v & CB_SYS);
        break;
    case 0xD1: write_outport(k, v); break;
    case 0xD2: push(k, v, false); break;
    case 0xD3: push(k, v, true); break;
    case 0xD4: aux_command(k, v); break;
    default: break;                 /* 0x61-0x7F: controller RAM, not kept */
    }
}

static void controller_command(struct i8042 *k, uint8_t c)
{
    if (c >= 0x60 && c <= 0x7F) { k->pending = c; return; }
    if (c >= 0x21 && c <= 0x3F) { push(k, 0, false); return; }
    if (c >= 0xF0) {                /* pulse output lines: bit clear = pulse */
        if (!(c & 0x01))
            reset_machine(k);
        return;
    }
    switch (c) {
    case 0x20: push(k, k->cmd_byte, false); break;
    case 0xA7: k->cmd_byte |= CB_AUXDIS; break;
    case 0xA8: k->cmd_byte &= ~CB_AUXDIS; break;
    case 0xA9: push(k, 0x00, false); break;     /* aux interface test: ok */
    case 0xAA:                                  /* controller self-test */
        push(k, 0x55, false);
        k->status |= ST_SYS;
        break;
    case 0xAB: push(k, 0x00, false); break;     /* keyboard interface test: ok */
    case 0xAD: k->cmd_byte |= CB_KBDDIS; break;
    case 0xAE: k->cmd_byte &= ~CB_KBDDIS; break;
    case 0xC0: push(k, 0x80, false); break;     /* input port: keyboard not locked */
    case 0xD0: push(k, k->outport, false); break;
    case 0xD1: case 0xD2: case 0xD3: case 0xD4: k->pending = c; break;
    case 0xDD: set_a20(k, false); break;
    case 0xDF: set_a20(k, true); break;
    default: k->unknown_cmds++; break;          /* the 8042 ignores it */
    }
}

static uint32_t i8042_read(void *opaque, uint16_t port, int size)
{
    struct i8042 *k = opaque;
    uint8_t v;
    switch (port) {
    case 0x60:
        if (!k->count)
            return k->q[(k->head + I8042_QUEUE - 1) % I8042_QUEUE]; /* last byte again */
        v = k->q[k->head];
        k->head = (k->head + 1) % I8042_QUEUE;
        k->count--;
        /* Reading the output buffer empties it and drops IRQ1/IRQ12; the
         * next queued byte fills it again and raises a new edge (the ISA
         * inputs are edge-triggered), as the 8042 does a moment later. */
        if (k->irq1 && k->vm)
            irq_set_level(k->vm, 1, 0);
        if (k->irq12 && k->vm)
            irq_set_level(k->vm, 12, 0);
        k->irq1 = k->irq12 = 0;
        kbd_feed(k);
        update(k);
        return v;
    case 0x64:
        return k->status;
    default:                        /* 0x92 */
        return k->port92;
    }
}

static void i8042_write(void *opaque, uint16_t port, int size, uint32_t value)
{
    struct i8042 *k = opaque;
    switch (port) {
    case 0x60:
        k->status &= ~ST_CMD;
        data_write(k, value);
        break;
    case 0x64:
        k->status |= ST_CMD;
        controller_command(k, value);
        break;
    default:                        /* 0x92: System Control Port A */
        set_a20(k, value & 0x02);
        if (value & 0x01)
            reset_machine(k);       /* fast reset */
        break;
    }
    kbd_feed(k);
    update(k);
}

static const struct device_ops i8042_ops = {
    .name = "i8042",
    .pio_read = i8042_read,
    .pio_write = i8042_write,
};

int i8042_init(struct i8042 *k, struct vm *vm, struct io_bus *bus)
{
    *k = (struct i8042){ .vm = vm, .scanning = true };
    k->status = ST_UNLOCKED | ST_SYS;
    k->cmd_byte = CB_KBDINT | CB_AUXINT | CB_SYS | 0x40;    /* 0x47: translate */
    k->outport = 0x03;              /* A20 on, reset line inactive */
    k->port92 = 0x02;
    if (io_register_pio(bus, 0x60, 1, &i8042_ops, k) < 0 ||
        io_register_pio(bus, 0x64, 1, &i8042_ops, k) < 0 ||
        io_register_pio(bus, 0x92, 1, &i8042_ops, k) < 0)
        return -1;
    return 0;
}
