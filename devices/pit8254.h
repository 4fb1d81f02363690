/*
 * devices/pit8254.h - Intel 8254 programmable interval timer and port 0x61.
 *
 * Contract: three channels clocked at 1.193182 MHz from host monotonic
 * time.  Channel 0's output drives ISA IRQ0 (a pulse at each rising edge of
 * OUT0, seen by pit_tick()); channel 2 is gated by port 0x61 bit 0 and its
 * output is read back in port 0x61 bit 5 (how guests calibrate their delay
 * loops and the TSC).  Channel 1 (DRAM refresh) counts but drives nothing.
 * Ports 0x40-0x43 and 0x61.
 */
#ifndef DEVICES_PIT8254_H
#define DEVICES_PIT8254_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

#define PIT_HZ 1193182ull

struct pit_channel {
    uint32_t count;             /* reload value, 1..65536 (10000 in BCD) */
    uint64_t load_ns;           /* host time counting started */
    uint8_t mode, rw, bcd;
    bool armed;                 /* a count has been written since the control word */
    bool gate;
    bool null_count;
    uint8_t read_state, write_state, write_lsb;
    bool count_latched, status_latched;
    uint8_t latch_state;
    uint16_t latched;
    uint8_t status;
    uint64_t next_edge;         /* tick of the next rising edge of OUT (channel 0 IRQ) */
};

struct pit {
    struct vm *vm;
    struct pit_channel ch[3];
    uint8_t port61;             /* bits 0-3 as written */
    uint64_t irqs;              /* IRQ0 pulses raised */
    uint64_t backlog;           /* periodic edges missed while the monitor was held up */
    bool reachable;             /* IRQ0 reached the processor at the last edge */
};

int pit_init(struct pit *p, struct vm *vm, struct io_bus *bus);
void pit_tick(struct pit *p, uint64_t now_ns);
uint64_t pit_deadline(struct pit *p);
/* For tests and the speaker port: the OUT pin of a channel at now_ns. */
int pit_out(struct pit *p, int ch, uint64_t now_ns);
uint16_t pit_counter(struct pit *p, int ch, uint64_t now_ns);

#endif
