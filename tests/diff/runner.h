/*
 * tests/diff/runner.h - run every test case and print one line per case;
 * the same code is built into the native runner (ring 3 Linux, gcc -m32) and
 * the Multiboot guest (ring 0 under the monitor), so the two outputs must be
 * identical line for line.
 *
 * Line format (all hex):
 *   NNNNN name eax=.. ecx=.. edx=.. ebx=.. esp=.. ebp=.. esi=.. edi=.. fl=F/M buf=H stk=H
 * fl is EFLAGS & M, where M is the case's mask of SDM-defined flags (always
 * including DF); buf and stk hash the 4 KiB buffer and the private stack.
 * Registers are printed as they are: the area sits at the same address on
 * both sides (diff_layout.h), so pointers compare directly.
 */
#ifndef TESTS_DIFF_RUNNER_H
#define TESTS_DIFF_RUNNER_H

#include <stdint.h>

/* Exported by the generated (or hand-written) case object via case.inc. */
extern const uint32_t diff_ncases;
extern const void *const diff_cases[];
extern const uint32_t diff_masks[];
extern const char *const diff_names[];
extern const uint32_t diff_layout_check[2];

/* harness.asm */
void diff_run(const void *code);

typedef void (*diff_out_fn)(const char *line);

/* Index of the case being run (for a crash report). */
extern volatile uint32_t diff_current;

/* Run all cases, printing each line through out(), then "end N".  Returns 0,
 * or -1 (after printing why) when case.inc and diff_layout.h disagree. */
int diff_run_all(diff_out_fn out);

#endif
