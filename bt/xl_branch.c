/*
 * bt/xl_branch.c - CALL, RET, JMP, Jcc, LOOP/LOOPE/LOOPNE/JECXZ (and their
 * CX-counting forms): direct targets through exit stubs patched later,
 * indirect ones through the lookup table.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"

/* next EIP + displacement; in 16-bit code with a 16-bit operand size the
 * processor cuts it to 16 bits (IP wraps within the segment). */
uint32_t xl_branch_target(const struct xlat *x)
{
    uint32_t t = x->next_eip + (uint32_t)x->ops[0].imm.value.s;
    return x->t16 && x->ins.operand_width == 16 ? t & 0xFFFF : t;
}

void xl_call(struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    static const uint8_t movi = 0xC7;
    if (t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        uint32_t target = x->next_eip + (uint32_t)t->imm.value.s;
        emit_mem(&x->e, guest_mem_fl(x), &movi, 1, 0, H_RSP, -1, 1, -4);
        emit_u32(&x->e, x->next_eip);
        emit_lea(&x->e, H_RSP, H_RSP, -4);
        emit_goto(x, target);
    } else {
        if (t->type == ZYDIS_OPERAND_TYPE_REGISTER)
            emit_rr(&x->e, 0, 0x89, gpr_id(t->reg.value), H_R8);   /* mov r8d, reg */
        else
            emit_load_guest_mem_r8(x, t, 32);
        emit_mem(&x->e, guest_mem_fl(x), &movi, 1, 0, H_RSP, -1, 1, -4);
        emit_u32(&x->e, x->next_eip);
        emit_lea(&x->e, H_RSP, H_RSP, -4);
        emit_indirect(x);
    }
    x->ended = true;
}

void xl_ret(struct xlat *x)
{
    uint32_t extra = x->ins.operand_count_visible ? (uint32_t)x->ops[0].imm.value.u : 0;
    emit_load_stack(x, 32, H_R8, 0);
    emit_lea(&x->e, H_RSP, H_RSP, 4 + (int32_t)extra);
    emit_indirect(x);
    x->ended = true;
}

void xl_jmp(struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    if (t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        emit_goto(x, x->next_eip + (uint32_t)t->imm.value.s);
    } else {
        if (t->type == ZYDIS_OPERAND_TYPE_REGISTER)
            emit_rr(&x->e, 0, 0x89, gpr_id(t->reg.value), H_R8);
        else
            emit_load_guest_mem_r8(x, t, 32);
        emit_indirect(x);
    }
    x->ended = true;
}

void xl_jcc(struct xlat *x)
{
    int cc = x->ins.opcode & 0xF;           /* 0x7x or 0x0F 0x8x */
    uint32_t target = xl_branch_target(x);
    add_stub(x, emit_jcc(&x->e, cc, x->e.p), target);
}

/* LOOP/LOOPE/LOOPNE/JECXZ: with 0x67 the host uses ECX, as the guest does. */
void xl_loop(struct xlat *x)
{
    uint32_t target = xl_branch_target(x);
    uint8_t op = x->ins.opcode;             /* E0..E3 */
    uint8_t seq[] = { 0x67, op, 0x02, 0xEB, 0x05 };  /* taken -> +2: jmp stub; else skip */
    emit_bytes(&x->e, seq, sizeof seq);
    emit_goto(x, target);
}

/*
 * LOOP, LOOPE, LOOPNE and JCXZ with 0x67 count in CX, which 64-bit mode cannot say: CX is
 * decremented into r10w and merged back, and tested for zero (with JRCXZ on
 * a zero-extended copy) without touching the guest's flags.
 */
void xl_loop_cx(struct xlat *x)
{
    struct emit *e = &x->e;
    uint32_t target = xl_branch_target(x);
    uint8_t op = x->ins.opcode;
    static const uint8_t test_cx[] = { 0x49, 0x89, 0xCB,        /* mov r11, rcx */
                                       0x0F, 0xB7, 0xC9 };      /* movzx ecx, cx */
    static const uint8_t restore[] = { 0x4C, 0x89, 0xD9 };      /* mov rcx, r11 */
    if (op == 0xE3) {                                           /* jcxz: taken when CX = 0 */
        emit_bytes(e, test_cx, sizeof test_cx);
        emit_byte(e, 0xE3); emit_byte(e, 5);                    /* jrcxz taken */
        emit_bytes(e, restore, sizeof restore);
        emit_byte(e, 0xEB); emit_byte(e, 8);                    /* jmp out */
        emit_bytes(e, restore, sizeof restore);                 /* taken: */
        emit_goto(x, target);
        return;                                                 /* out: */
    }
    static const uint8_t dec_cx[] = { 0x44, 0x8D, 0x51, 0xFF,  /* lea r10d, [rcx-1] */
                                      0x66, 0x44, 0x89, 0xD1 }; /* mov cx, r10w */
    bool cond = op != 0xE2;
    emit_bytes(e, dec_cx, sizeof dec_cx);
    emit_bytes(e, test_cx, sizeof test_cx);
    emit_byte(e, 0xE3); emit_byte(e, (uint8_t)(cond ? 12 : 10)); /* jrcxz zero */
    emit_bytes(e, restore, sizeof restore);
    if (cond) {                     /* LOOPE needs ZF=1, LOOPNE ZF=0 */
        emit_byte(e, op == 0xE1 ? 0x75 : 0x74);
        emit_byte(e, 10);                                       /* to out */
    }
    emit_goto(x, target);
    emit_byte(e, 0xEB); emit_byte(e, 3);                        /* jmp out */
    emit_bytes(e, restore, sizeof restore);                     /* zero: */
}                                                               /* out: */
