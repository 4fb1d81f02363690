/*
 * cpu/em_mov.c - data moves: MOV in all its forms (general registers,
 * memory, immediates; the control, debug and segment register forms are
 * passed on to their groups), MOVZX, MOVSX, XLAT and LEA.  The memory forms let
 * the monitor carry out a guest access that hit a device's MMIO range.
 */
#include "cpu/em_internal.h"

static ZydisRegisterClass reg_class(const ZydisDecodedOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_REGISTER ? ZydisRegisterGetClass(o->reg.value)
                                                  : ZYDIS_REGCLASS_INVALID;
}

static bool has_class(const struct em *e, ZydisRegisterClass k)
{
    return reg_class(&e->op[0]) == k || reg_class(&e->op[1]) == k;
}

enum em_result em_mov(struct em *e)
{
    uint32_t v;
    if (has_class(e, ZYDIS_REGCLASS_CONTROL))
        return em_mov_cr(e);
    if (has_class(e, ZYDIS_REGCLASS_DEBUG))
        return em_mov_dr(e);
    if (has_class(e, ZYDIS_REGCLASS_SEGMENT))
        return em_mov_sreg(e);
    if (!em_read_op(e, 1, &v) || !em_write_op(e, 0, v))
        return e->res;
    return em_done(e);
}

enum em_result em_movzx(struct em *e)
{
    uint32_t v;
    if (!em_read_op(e, 1, &v) || !em_write_op(e, 0, v))
        return e->res;
    return em_done(e);
}

enum em_result em_movsx(struct em *e)
{
    uint32_t v;
    if (!em_read_op(e, 1, &v))
        return e->res;
    v = em_op_bytes(e, 1) == 1 ? (uint32_t)(int8_t)v : (uint32_t)(int16_t)v;
    if (!em_write_op(e, 0, v))
        return e->res;
    return em_done(e);
}

/* XLAT: AL = [seg:(E)BX + AL], DS by default, segment overridable. */
enum em_result em_xlat(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg = em_sreg_index(e->op[0].mem.segment);
    uint32_t off = c->gpr[R_EBX] + (c->gpr[R_EAX] & 0xFF);
    uint8_t v;
    if (e->in->address_width == 16)
        off = ((c->gpr[R_EBX] & 0xFFFF) + (c->gpr[R_EAX] & 0xFF)) & 0xFFFF;
    if (!em_seg_read(e, sreg, off, &v, 1))
        return e->res;
    c->gpr[R_EAX] = (c->gpr[R_EAX] & ~0xFFu) | v;
    return em_done(e);
}

/* LEA r, m: the offset (no segment base), computed in the address size and
 * truncated to the operand size.  No memory is touched; it meets the
 * emulator in code fetched from an emulated page. */
enum em_result em_lea(struct em *e)
{
    int sreg;
    uint32_t off;
    em_op_addr(e, &e->op[1], &sreg, &off);
    em_reg_set(e->c, e->op[0].reg.value, off);
    return em_done(e);
}

/* CBW: AX := AL sign-extended; CWDE: EAX := AX sign-extended.  They reach
 * the emulator only as code fetched from an emulated page. */
enum em_result em_cbw(struct em *e)
{
    uint32_t *a = &e->c->gpr[R_EAX];
    if (e->in->mnemonic == ZYDIS_MNEMONIC_CBW)
        *a = (*a & 0xFFFF0000u) | (uint16_t)(int16_t)(int8_t)*a;
    else
        *a = (uint32_t)(int32_t)(int16_t)*a;
    return em_done(e);
}

/* CWD: DX := the sign of AX in every bit; CDQ: EDX := the sign of EAX. */
enum em_result em_cwd(struct em *e)
{
    struct vcpu *c = e->c;
    if (e->in->mnemonic == ZYDIS_MNEMONIC_CWD)
        c->gpr[R_EDX] = (c->gpr[R_EDX] & 0xFFFF0000u) | (c->gpr[R_EAX] & 0x8000u ? 0xFFFFu : 0);
    else
        c->gpr[R_EDX] = c->gpr[R_EAX] & 0x80000000u ? 0xFFFFFFFFu : 0;
    return em_done(e);
}
