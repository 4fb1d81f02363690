/*
 * bt/xlat.h - the translator's internal interface, shared by bt/translate.c
 * (the TU loop), bt/classify.c and the bt/xl_*.c files (one per class of
 * instructions).  Not a public contract: only bt/ includes it.
 */
#ifndef BT_XLAT_H
#define BT_XLAT_H

#include <stdint.h>
#include <stdbool.h>
#include <Zydis/Zydis.h>
#include "bt/bt.h"
#include "bt/tc.h"
#include "bt/emit.h"
#include "shadow_mmu/mmu.h"

enum kind {
    K_COPY = 0, K_EMULATE, K_PUSH, K_POP, K_PUSHA, K_POPA, K_CALL, K_RET,
    K_JMP, K_JCC, K_LOOP, K_STRING, K_CLI, K_STI, K_CLD, K_STD, K_LEAVE, K_ENTER,
    K_INCDEC_SHORT, K_LOOP_CX,
    K_PUSHFD, K_PUSH_SREG, K_MOV_FROM_SREG, K_MOV_FROM_CR, K_RDTSC,
    K_POP_SREG, K_MOV_TO_SREG, K_VERW, K_POPFD, K_IRETD,
    K_STACK16, K_BRANCH16,      /* 16-bit code: SS:SP stack, IP-sized targets (bt/xl_16.c) */
    K_STRING16,                 /* 16-bit code: LODS, STOS, MOVS without REP, through SI/DI */
};

#define MAX_STUBS (2 * BT_MAX_INSNS + 4)

struct xlat {
    struct vm *vm;
    struct vcpu *c;
    struct tc *tc;
    struct emit e;
    struct tu *tu;
    uint32_t eip, lin, next_eip;
    uint8_t bytes[16];
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    struct { uint8_t *site; uint32_t target; } stubs[MAX_STUBS];
    int nstubs;
    bool ended;
    bool user;                  /* CPL-3 translation (bt_user_mode) */
    bool t16;                   /* 16-bit code (bt_code16): x->ins is, after classify, the
                                 * instruction's 32-bit-mode twin (bt/xl_16.c) */
    bool single;                /* one instruction, then back to the run loop */
    int end_after;              /* >0: end the TU after this many more instructions (STI shadow) */
    bool stopped;               /* xl_unsupported stopped the run */
};


/* bt/translate.c: note where the host code of a guest instruction starts
 * (fix: TU_FIX_* registers holding host pointers there). */
void record_map(struct xlat *x, unsigned fix);
/* bt/translate.c: the decoder of guest code (32-bit mode, 32-bit stack). */
const ZydisDecoder *xl_decoder(void);
/* bt/xl_16.c: 16-bit code. */
const ZydisDecoder *xl_decoder16(void);
enum kind classify16(struct xlat *x);
void xl_stack16(struct xlat *x);
void xl_branch16(struct xlat *x);
void xl_string16(struct xlat *x);
/* Limit class of a segment for 16-bit code (part of bt_mode_key). */
enum { LIM_SMALL, LIM_64K, LIM_BIG, LIM_4G };
int seg_limit_class(const struct seg *s);
/* Does this segment need its base added (not flat, or 16-bit code)? */
bool seg_needs_base(const struct xlat *x, int s);
/* bt/classify.c: the class of a 32-bit instruction (the 16-bit twin's too). */
enum kind classify_kind(struct xlat *x);
/* bt/classify.c: the class a mnemonic has before its operands are looked
 * at (the translator's table over cpu/insn_table.h; classify_init first). */
enum kind mnemonic_kind(ZydisMnemonic m);
bool is_string_opcode(const ZydisDecodedInstruction *ins);
/* bt/xl_helpers.c: if the value in reg (H_R8, H_R11) does not fit in 16
 * bits, run beyond's code (flags untouched); emit_exit_emulate is one. */
void emit_if_beyond_16(struct xlat *x, int reg, void (*beyond)(struct xlat *));
void emit_exit_emulate(struct xlat *x);
/* bt/xl_branch.c: the target of a direct branch, IP-sized in 16-bit code. */
uint32_t xl_branch_target(const struct xlat *x);
/* bt/xl_system.c: r9d := the guest's EFLAGS image (PUSHF). */
void emit_eflags_r9(struct xlat *x);
/* bt/xl_system.c: r9d := the selector of segment register Sreg operand r. */
void emit_sel_r9(struct xlat *x, ZydisRegister r);
void classify_init(void);
void xl_unsupported(struct xlat *x, const char *what);
enum kind classify(struct xlat *x);
int gpr_id(ZydisRegister r);
int seg_index(ZydisRegister r);
bool seg_is_static(const struct vcpu *c, int s);
unsigned guest_mem_fl(const struct xlat *x);
/* r11d := the linear address of [base + index*scale + disp] through
 * segment s, for an access of `size` bytes (0: an address only), with the
 * limit checks 16-bit code needs (bt/xl_helpers.c). */
void emit_linear_r11(struct xlat *x, int s, int base, int index, int scale, int32_t disp,
                     bool addr16, unsigned size);
const ZydisDecodedOperand *mem_operand(const struct xlat *x);
void emit_guest_mem(struct xlat *x, const ZydisDecodedOperand *m, unsigned fl, const uint8_t *op, int oplen, int reg, int32_t disp_adj);
void emit_load_guest_mem_r8(struct xlat *x, const ZydisDecodedOperand *m, int width);
void emit_store_stack(struct xlat *x, int width, int reg, int32_t disp);
void emit_load_stack(struct xlat *x, int width, int reg, int32_t disp);
void emit_lea(struct emit *e, int reg, int base, int32_t disp);
void emit_exit(struct xlat *x, uint32_t eip, enum bt_exit why);
void add_stub(struct xlat *x, uint8_t *site, uint32_t target);
void emit_goto(struct xlat *x, uint32_t target);
void emit_indirect(struct xlat *x);
void emit_indirect_keyed(struct xlat *x, uint32_t key_hi);
void xl_copy(struct xlat *x);
void xl_incdec_short(struct xlat *x);
void xl_push(struct xlat *x);
void xl_pop(struct xlat *x);
void xl_pusha(struct xlat *x);
void xl_popa(struct xlat *x);
void xl_leave(struct xlat *x);
void xl_enter(struct xlat *x);
void xl_call(struct xlat *x);
void xl_ret(struct xlat *x);
void xl_jmp(struct xlat *x);
void xl_jcc(struct xlat *x);
void xl_loop(struct xlat *x);
void xl_loop_cx(struct xlat *x);
void xl_string(struct xlat *x);
void xl_emulate(struct xlat *x);
void *bt_find_or_translate(struct vm *vm, bool single);

void xl_pushfd(struct xlat *x);
void xl_push_sreg(struct xlat *x);
void xl_mov_from_sreg(struct xlat *x);
void xl_mov_from_cr(struct xlat *x);
void xl_rdtsc(struct xlat *x);
/* bt/xl_callout.c: light callouts; classify_light() says K_COPY for
 * instructions that are not among them. */
enum kind classify_light(const struct xlat *x);
void xl_pop_sreg(struct xlat *x);
void xl_mov_to_sreg(struct xlat *x);
void xl_verw(struct xlat *x);
void xl_popfd(struct xlat *x);
void xl_iretd(struct xlat *x);

#endif
