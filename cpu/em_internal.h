/*
 * cpu/em_internal.h - shared state and helpers of the instruction emulator
 * (cpu/emulate.c and the cpu/em_*.c handler groups).  Not a public contract:
 * only the emulator's own files include it.
 *
 * Conventions of the helpers: a helper that touches guest state returns
 * true on success.  When it fails it has already raised the guest exception
 * the processor would raise (EIP still at the instruction, so the exception
 * is a fault) and left the result for emulate_one() in e->res; the handler
 * just does `return e->res;`.
 */
#ifndef CPU_EM_INTERNAL_H
#define CPU_EM_INTERNAL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <Zydis/Zydis.h>
#include "cpu/vcpu.h"
#include "cpu/emulate.h"
#include "cpu/insn_table.h"

struct em {
    struct vcpu *c;
    /* The decoded instruction and all ZYDIS_MAX_OPERAND_COUNT operands
     * (those past operand_count zero, as Zydis leaves them): in the decode
     * cache (cpu/decode_cache.h), or in `fresh` below. */
    const ZydisDecodedInstruction *in;
    const ZydisDecodedOperand *op;
    uint32_t next_eip;          /* EIP of the following instruction */
    unsigned acc;               /* ACC_USER at CPL 3, else 0 */
    bool irq_shadow;            /* STI, MOV SS, POP SS: block interrupts for one insn */
    struct em_tlb tlb;          /* MOV to CR3, INVLPG done (struct em_info) */
    enum em_result res;         /* result after a helper raised an exception */
    struct {                    /* an instruction Zydis decoded for this step */
        ZydisDecodedInstruction in;
        ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    } fresh;
};

typedef enum em_result em_handler(struct em *e);

/* ---- results and exceptions (emulate.c) ---- */
enum em_result em_raise(struct em *e, int vector, uint32_t error);
static inline enum em_result em_gp0(struct em *e) { return em_raise(e, EXC_GP, 0); }
static inline enum em_result em_ud(struct em *e) { return em_raise(e, EXC_UD, 0); }
/* Finish the instruction: EIP moves past it. */
static inline enum em_result em_done(struct em *e) { e->c->eip = e->next_eip; return EM_OK; }
/* Stop the run: the guest did something the monitor does not implement. */
enum em_result em_unsupported(struct em *e, const char *what);
/* A failed segments.h call: raise what it asked for.  Always returns false. */
bool em_fail(struct em *e, int vec, uint32_t err);

static inline bool em_op32(const struct em *e) { return e->in->operand_width == 32; }
static inline int em_iopl(const struct vcpu *c) { return (c->eflags & FL_IOPL) >> 12; }

/* ---- registers ---- */
uint32_t em_reg_get(const struct vcpu *c, ZydisRegister r);
void em_reg_set(struct vcpu *c, ZydisRegister r, uint32_t v);    /* 8/16 bits merge */
/* S_ES..S_GS for a Zydis segment register, -1 otherwise. */
int em_sreg_index(ZydisRegister r);
void em_set_flags(struct vcpu *c, uint32_t mask, uint32_t value);

/* ---- memory through segments ---- */
/* Segment and offset of a memory operand (address-size wrap applied). */
void em_op_addr(struct em *e, const ZydisDecodedOperand *o, int *sreg, uint32_t *off);
bool em_seg_read(struct em *e, int sreg, uint32_t off, void *buf, uint32_t n);
bool em_seg_write(struct em *e, int sreg, uint32_t off, const void *buf, uint32_t n);
/* Bytes from offset off up to segment sreg's limit (0 when off lies
 * beyond it, and for an expand-down segment).  No rights checked: for runs
 * of accesses one of which passed em_seg_read/em_seg_write. */
uint64_t em_seg_room(const struct vcpu *c, int sreg, uint32_t off);
/* Check a write as em_seg_write would, without writing or setting A/D bits. */
bool em_seg_probe_write(struct em *e, int sreg, uint32_t off, uint32_t n);
/* Check a CLFLUSH of the byte at sreg:off (a byte load's checks, an
 * execute-only segment allowed), without reading or setting A bits. */
bool em_seg_probe_flush(struct em *e, int sreg, uint32_t off);
/* Read n bytes of memory operand i (n may exceed the operand's own size). */
bool em_read_mem_op(struct em *e, int i, void *buf, uint32_t n);

/* ---- operands of up to 32 bits: register, memory, immediate ---- */
bool em_read_op(struct em *e, int i, uint32_t *v);
bool em_write_op(struct em *e, int i, uint32_t v);
unsigned em_op_bytes(const struct em *e, int i);

/* ---- stack (SS, ESP or SP by SS.B) ---- */
uint32_t em_sp_mask(const struct vcpu *c);
/* Read/write at ESP + delta without moving ESP. */
bool em_stack_read(struct em *e, uint32_t delta, void *buf, uint32_t n);
bool em_stack_write(struct em *e, uint32_t delta, const void *buf, uint32_t n);
void em_sp_add(struct vcpu *c, int32_t delta);
bool em_stack_push(struct em *e, uint32_t v, unsigned bytes);
bool em_stack_pop(struct em *e, uint32_t *v, unsigned bytes);

/* A little-endian 2- or 4-byte value from a byte buffer (far pointers,
 * descriptor-table images). */
static inline uint32_t em_le(const uint8_t *b, unsigned n)
{
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8;
    if (n == 4)
        v |= (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return v;
}

/* Arithmetic flags of an 8-bit result: SF, ZF, PF. */
uint32_t em_szp8(uint8_t v);

/* ---- handlers: em_<handler> of each row of cpu/insn_table.h ---- */
#define EM_DECLARE(M, m, class) em_handler em_##m;
INSN_TABLE(EM_DECLARE)
#undef EM_DECLARE

/* em_x87.c: the x87 memory forms (ESC D8-DF, ModRM.mod != 3), one handler
 * for all of them, chosen by opcode rather than by mnemonic. */
bool em_x87_mem_form(const struct em *e);
enum em_result em_x87_mem(struct em *e);
bool em_x87_reg_form(const struct em *e);
enum em_result em_x87_reg(struct em *e);
/* An unmasked x87 exception waits in the guest's FPU image (#MF is due). */
bool em_x87_pending(const struct vcpu *c);

/* em_simd.c: the MMX/SSE/SSE2/SSE3 instructions of cpu/simd_forms.h and
 * EMMS, dispatched by opcode map and ISA extension (em_simd_form). */
bool em_simd_form(const struct em *e);
enum em_result em_simd(struct em *e);
/* MMX register i (the x87 physical register Ri) in the guest's image. */
uint8_t *em_mm_reg(struct vcpu *c, int i);
/* What every instruction with an MMX register operand does to the x87
 * state: TOP = 0, all tags valid. */
void em_mmx_transition(struct vcpu *c);
bool em_mmx_operand(const struct em *e);

/* ---- data-processing helpers (em_operand.c) ---- */
static inline uint32_t em_mask(unsigned bytes)
{
    return bytes >= 4 ? 0xFFFFFFFFu : (1u << (bytes * 8)) - 1;
}
bool em_is_mem(const struct em *e, int i);
/* The instruction's memory operand, explicit or implicit (the last one
 * Zydis lists), or NULL. */
const ZydisDecodedOperand *em_mem_operand(const struct em *e);
/* Operand i as a source of `bytes` bytes (immediates sign-extended to it). */
bool em_read_src(struct em *e, int i, unsigned bytes, uint32_t *v);
/* Operand i as a read-modify-write destination (memory checked for writing first). */
bool em_read_rmw(struct em *e, int i, uint32_t *v);
/* The guest's arithmetic flags as a host RFLAGS image, and back (em_hostop.h). */
uint64_t em_host_flags(const struct vcpu *c);
void em_commit_flags(struct vcpu *c, uint64_t f);
/* Is condition code cc (0-15, the Jcc/SETcc/CMOVcc encoding) true? */
bool em_cond(const struct vcpu *c, unsigned cc);
/* String instructions: index/count register mask of the address size, any
 * REP prefix, and (E)SI/(E)DI/(E)CX moved by delta within that mask. */
uint32_t em_str_mask(const struct em *e);
bool em_str_rep(const struct em *e);
/* A REP string instruction (MOVS..SCAS, INS, OUTS) runs at most this many
 * iterations per emulate_step(); if work remains, EIP stays at it and the
 * run loop comes back, so interrupts get in between batches as the
 * processor lets them in between iterations, and a count of 2^32 - 1 does
 * not hold the monitor for minutes. */
#define STR_BATCH 4096
void em_reg_step(struct vcpu *c, int r, uint32_t mask, int32_t delta);
/* The row of a group's table whose first member (an int) is `mnemonic`. */
const void *em_lookup(const void *table, size_t n, size_t stride, int mnemonic);
#define EM_LOOKUP(table, mnemonic) \
    em_lookup((table), sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), (mnemonic))

/* MOV forms with control, debug and segment registers (em_system.c, em_legacy.c). */
enum em_result em_mov_cr(struct em *e);
enum em_result em_mov_dr(struct em *e);
enum em_result em_mov_sreg(struct em *e);

#endif
