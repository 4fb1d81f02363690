/*
 * tests/diff/gen.h - the differential-test case generator.
 *
 * Contract: gen_case() appends one case (nasm source using case.inc's CASE /
 * CASE_END) to g->out.  Everything is derived from the seed, so the same seed
 * and count give byte-identical output.  The generator keeps, per case:
 *  - which arithmetic flags currently hold an SDM-defined value (g->defined);
 *    an instruction that would read an undefined flag is preceded by a CMP
 *    that defines all six, and the final mask printed by the runners is
 *    g->defined | DF;
 *  - the exact buffer offset of every pointer register (EBX, ESI, EDI, EBP)
 *    and the stack depth, so every memory operand stays inside the 4 KiB
 *    buffer and every push/pop inside the private stack.
 * EAX, ECX and EDX are the value registers: random at entry, freely written.
 */
#ifndef TESTS_DIFF_GEN_H
#define TESTS_DIFF_GEN_H

#include <stdint.h>
#include <stdio.h>
#include "diff_layout.h"

enum preg { P_EBX, P_ESI, P_EDI, P_EBP, P_COUNT };

struct gen {
    FILE *out;
    uint64_t rng;
    unsigned defined;          /* arithmetic flags with a defined value */
    int poff[P_COUNT];         /* pointer register -> offset in buffer, -1 unknown */
    int esp;                   /* ESP - DIFF_AREA */
    int label;                 /* local label counter within the case */
    unsigned busy;             /* value registers (bit 0 eax, 1 ecx, 2 edx) not to write */
};

extern const char *const preg_name[P_COUNT];

uint32_t gen_rand(struct gen *g);
uint32_t gen_below(struct gen *g, uint32_t n);
int gen_range(struct gen *g, int lo, int hi);          /* inclusive */
uint32_t gen_value(struct gen *g);                      /* random with edge values */

void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flag bookkeeping: flags in `def` become defined, those in `undef` not. */
void flags_set(struct gen *g, unsigned def, unsigned undef);
/* Make sure every flag in `need` is defined before an instruction reads it. */
void flags_need(struct gen *g, unsigned need);

/* Operands.  Sizes are 8, 16 or 32.  Value registers only (never a pointer). */
const char *vreg(struct gen *g, int size);
const char *vreg_not(struct gen *g, int size, const char *avoid);
const char *reg_part(int idx, int size);  /* idx 0..2 = eax ecx edx family */
/* A memory operand of `size` bytes/8 inside the buffer, with the size keyword.
 * May emit a fixup instruction first (to bound the index register). */
const char *mem(struct gen *g, int size, char *buf);
/* Same, with `span` bytes reachable from the operand (bit strings). */
const char *mem_span(struct gen *g, int size, int span, char *buf);
const char *size_kw(int size);

/* Templates (gen_ops.c, gen_ops2.c). */
void gen_body_op(struct gen *g);
void gen_alu(struct gen *g);
void gen_unary(struct gen *g);
void gen_shift(struct gen *g);
void gen_shxd(struct gen *g);
void gen_muldiv(struct gen *g);
void gen_bits(struct gen *g);
void gen_cond(struct gen *g);
void gen_xchg(struct gen *g);
void gen_movx(struct gen *g);
void gen_lea(struct gen *g);
void gen_string(struct gen *g);
void gen_stack(struct gen *g);
void gen_flagops(struct gen *g);
void gen_loop(struct gen *g);

#endif
