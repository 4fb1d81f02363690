/*
 * devices/debug_exit.h - the test-guest exit port (QEMU isa-debug-exit).
 *
 * Contract: a write of value v to port 0xF4 (1, 2 or 4 bytes) ends the run
 * with status (v << 1) | 1, so a test guest's pass/fail code is always odd
 * and never confused with the monitor's own statuses.
 */
#ifndef DEVICES_DEBUG_EXIT_H
#define DEVICES_DEBUG_EXIT_H

struct vm;
struct io_bus;

#define DEBUG_EXIT_PORT 0xF4

int debug_exit_init(struct vm *vm, struct io_bus *bus);

#endif
