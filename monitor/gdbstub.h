/*
 * monitor/gdbstub.h - a GDB remote-serial-protocol stub for the guest
 * (`vmm --gdb PORT [--gdb-wait]`, docs/gdb.md).
 *
 * Hook contract between the stub, the run loop (monitor/run.c) and the
 * translator (bt/):
 *
 *  - gdb_init() listens on 127.0.0.1:port only.  With wait, it blocks until
 *    gdb connects and serves it until gdb says continue or step: the guest
 *    stops before its first instruction.
 *  - gdb_poll() is called by the run loop at every return to the monitor.
 *    It never blocks: it accepts a new connection, and on a Ctrl-C (0x03)
 *    from gdb stops the guest with SIGINT (serves gdb until continue/step).
 *  - gdb_breakpoint_at() is asked by the translator (through
 *    vm_breakpoint_at(), cpu/machine.h) for every guest instruction it
 *    translates (Z0 software and Z1 hardware breakpoints both
 *    answer here); the translator then makes the TU exit before that
 *    instruction.  Changing the breakpoint set drops all translations
 *    (bt_flush) before the guest runs again.  Nothing is ever written into
 *    guest memory or the guest's debug registers.
 *  - gdb_stop() is called by the run loop when the guest reached a
 *    breakpoint (SIGTRAP, EIP at the instruction, not yet executed) or
 *    finished a single step (SIGTRAP).  It reports the stop and serves gdb
 *    until c/s/k/D.  After a breakpoint stop the run loop executes one
 *    instruction without breakpoint checks, so continuing does not stop at
 *    the same address again.
 *  - gdb_single_stepping() is true after `s`: the run loop runs exactly one
 *    guest instruction and calls gdb_stop(vm, SIGTRAP).
 *  - gdb_watch_active() is true while a watchpoint (Z2 write, Z3 read, Z4
 *    access) is set: the run loop then single-steps every instruction and
 *    calls gdb_check_watch() after each.  It returns true when it stopped the
 *    guest (it called gdb_stop itself, with a `watch:ADDR` stop reply); the
 *    run loop must then not report the same instruction again as a step.
 *    Writes are seen as value changes of the watched bytes; reads are seen by
 *    decoding each instruction's memory operands (Zydis) before it runs.
 *  - gdb_exit() is called when the guest ended: it sends W<status> if a
 *    debugger is connected, closes the sockets and frees the stub.
 *
 * All functions are no-ops returning false when no stub was set up, so the
 * run loop may call them unconditionally.  A client that disconnects (or
 * sends D) leaves the guest running with every breakpoint and watchpoint
 * removed; another gdb may connect later.  Malformed packets are answered
 * with an error or an empty reply, bad checksums with '-': the monitor
 * never stops because of what a client sends (except `k`).
 */
#ifndef MONITOR_GDBSTUB_H
#define MONITOR_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

int gdb_init(struct vm *vm, int port, bool wait, char *err, size_t errlen);
void gdb_poll(struct vm *vm);
bool gdb_breakpoint_at(struct vm *vm, uint32_t linear);
void gdb_stop(struct vm *vm, int signo);
bool gdb_single_stepping(struct vm *vm);
bool gdb_watch_active(struct vm *vm);
bool gdb_check_watch(struct vm *vm);
void gdb_exit(struct vm *vm, int status);

/* Is any breakpoint set?  Ring-3 code runs directly on the host CPU, where
 * no translation can end before a breakpoint: while this is true, the run
 * loop should single-step ring-3 code (TF) and ask gdb_breakpoint_at()
 * before each instruction. */
bool gdb_has_breakpoints(struct vm *vm);

/* Attach the stub to an already connected stream socket, with no listening
 * socket (unit tests drive the stub over a socketpair).  0, or -1 when a
 * stub is already set up for this vm or memory runs out. */
int gdb_attach_fd(struct vm *vm, int fd);

/* The listening socket, -1 when there is none (the sandbox lets accept
 * reach only it). */
int gdb_listen_fd(struct vm *vm);

/* Exit status of vmm when gdb kills the guest (`k`): even, as every status
 * of the monitor's own (enum vmm_status), so that it cannot be read as a
 * guest's debug-exit value. */
#define GDB_KILL_STATUS 14

#endif
