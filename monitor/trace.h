/*
 * monitor/trace.h - human-readable output of what the guest runs.
 *
 * Contract: trace_disasm() prints guest code with Capstone in 32-bit mode,
 * one instruction a line: linear address, <symbol+off> when known, bytes and
 * disassembly.  Used by --trace (each new translation unit) and by the
 * reports of unsupported instructions and fatal errors.
 */
#ifndef MONITOR_TRACE_H
#define MONITOR_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct symtab;

void trace_disasm(FILE *out, const struct symtab *syms, uint32_t addr,
                  const uint8_t *code, size_t len, size_t max_insns);
/* The instruction alone ("popfd"), without address or bytes. */
void trace_insn_text(char *buf, size_t buflen, uint32_t addr, const uint8_t *code, size_t len);
/* One instruction as "bytes  mnemonic operands" into buf, decoded as
 * 16-bit code (real mode, virtual-8086 mode, a 16-bit segment) or 32-bit. */
void trace_format_insn(char *buf, size_t buflen, uint32_t addr, const uint8_t *code, size_t len,
                       bool code16);

/*
 * --perf-map: perf(1) names code in anonymous executable memory from
 * /tmp/perf-PID.map ("start size name" per line, hex).  Each translation
 * unit gets a line "guest:SYMBOL+OFF" (or "guest:0xEIP"), so `perf report`
 * shows the guest kernel's functions instead of [JIT] addresses.  The file
 * is opened before the sandbox closes open(); a TU made again after a
 * cache flush at the same host address gets a second line (perf keeps the
 * last one that covers an address).
 */
FILE *trace_perf_map_open(char *err, size_t errlen);
void trace_perf_map_tu(FILE *map, const struct symtab *syms, const void *host, uint32_t host_len,
                       uint32_t guest_lin);

#endif
