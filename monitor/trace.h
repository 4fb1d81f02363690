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

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct symtab;

void trace_disasm(FILE *out, const struct symtab *syms, uint32_t addr,
                  const uint8_t *code, size_t len, size_t max_insns);
/* One instruction as "bytes  mnemonic operands" into buf. */
void trace_format_insn(char *buf, size_t buflen, uint32_t addr, const uint8_t *code, size_t len);

#endif
