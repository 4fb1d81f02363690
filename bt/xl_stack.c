/*
 * bt/xl_stack.c - PUSH, POP, PUSHAD, POPAD, ENTER and LEAVE rewritten
 * as accesses to [ESP] in the view (a flat 32-bit stack only: bt_stack_flat;
 * others are emulated): the memory access first, ESP moved last with LEA,
 * so a fault leaves the guest state of the instruction's start.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"

void xl_push(struct xlat *x)
{
    int w = x->ins.operand_width;
    int sz = w / 8;
    const ZydisDecodedOperand *src = &x->ops[0];
    if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        emit_store_stack(x, w, gpr_id(src->reg.value), -sz);
    } else if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        static const uint8_t movi = 0xC7;
        emit_mem(&x->e, guest_mem_fl(x) | (w == 16 ? EM_O16 : 0), &movi, 1, 0, H_RSP, -1, 1, -sz);
        if (w == 16)
            emit_u16(&x->e, (uint16_t)src->imm.value.u);
        else
            emit_u32(&x->e, (uint32_t)src->imm.value.u);
    } else {
        /* The operand is read with the old ESP, as the processor does. */
        emit_load_guest_mem_r8(x, src, w);
        emit_store_stack(x, w, H_R8, -sz);
    }
    emit_lea(&x->e, H_RSP, H_RSP, -sz);
}

void xl_pop(struct xlat *x)
{
    int w = x->ins.operand_width;
    int sz = w / 8;
    const ZydisDecodedOperand *dst = &x->ops[0];
    if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int r = gpr_id(dst->reg.value);
        emit_load_stack(x, w, r, 0);
        if (r != R_ESP)                     /* POP ESP: ESP is the value popped */
            emit_lea(&x->e, H_RSP, H_RSP, sz);
        return;
    }
    /* POP m: the address is computed with ESP already incremented. */
    emit_load_stack(x, w, H_R8, 0);
    int adj = gpr_id(dst->mem.base) == R_ESP ? sz : 0;
    static const uint8_t mov = 0x89;
    emit_guest_mem(x, dst, w == 16 ? EM_O16 : 0, &mov, 1, H_R8, adj);
    emit_lea(&x->e, H_RSP, H_RSP, sz);
}

void xl_pusha(struct xlat *x)
{
    /* EAX is pushed first (highest address), EDI last; ESP as it was. */
    for (int r = 0; r < 8; r++)
        emit_store_stack(x, 32, r, -4 * (r + 1));
    emit_lea(&x->e, H_RSP, H_RSP, -32);
}

void xl_popa(struct xlat *x)
{
    /* Touch both ends first: the 32 bytes span at most two pages, so after
     * these two loads nothing below can fault with registers half-loaded. */
    emit_load_stack(x, 32, H_R8, 28);
    emit_load_stack(x, 32, H_R8, 0);
    for (int r = 7; r >= 0; r--)
        if (r != R_ESP)
            emit_load_stack(x, 32, r, 4 * (7 - r));
    emit_lea(&x->e, H_RSP, H_RSP, 32);
}

void xl_leave(struct xlat *x)
{
    static const uint8_t mov = 0x8B;
    emit_mem(&x->e, guest_mem_fl(x), &mov, 1, H_R8, H_RBP, -1, 1, 0);  /* mov r8d, [ebp] */
    emit_lea(&x->e, H_RSP, H_RBP, 4);
    emit_rr(&x->e, 0, 0x89, H_R8, H_RBP);                              /* mov ebp, r8d */
}

void xl_enter(struct xlat *x)
{
    uint32_t size = (uint32_t)x->ops[0].imm.value.u;
    emit_store_stack(x, 32, H_RBP, -4);
    emit_lea(&x->e, H_RBP, H_RSP, -4);
    emit_lea(&x->e, H_RSP, H_RSP, -4 - (int32_t)size);
}
