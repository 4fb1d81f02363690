/*
 * bt/xl_copy.c - instructions copied as they are: the memory operand gets
 * GS and a 32-bit address size, 16-bit addressing is computed into r8, and
 * the encodings 64-bit mode lacks (0x82, short inc/dec) are re-encoded.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "monitor/vm.h"

/* 0x82 is an alias of 0x80 that 64-bit mode does not have: rewrite the
 * opcode byte in the fetched copy before it is emitted. */
static void alias_0x82(struct xlat *x)
{
    if (x->ins.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && x->ins.opcode == 0x82)
        x->bytes[x->ins.raw.prefix_count] = 0x80;
}

/* Copy the instruction; give its memory operand GS and a 32-bit address. */
void xl_copy(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    const ZydisDecodedOperand *m = mem_operand(x);
    bool xlat = ins->mnemonic == ZYDIS_MNEMONIC_XLAT;
    if (!m && !xlat) {
        alias_0x82(x);
        emit_bytes(&x->e, x->bytes, ins->length);
        return;
    }
    int s = m ? seg_index(m->mem.segment) : S_DS;
    if (xlat && (ins->attributes & ZYDIS_ATTRIB_HAS_SEGMENT))
        s = seg_index(x->ops[1].mem.segment);
    bool agen = m && m->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
    if (!agen)
        seg_enter(x, s);
    if (!agen)
        emit_byte(&x->e, 0x65);
    emit_byte(&x->e, 0x67);
    for (int i = 0; i < ins->raw.prefix_count; i++) {
        uint8_t p = x->bytes[i];
        if (p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65)
            continue;
        emit_byte(&x->e, p);
    }
    uint32_t op_start = ins->raw.prefix_count;
    alias_0x82(x);
    if (ins->attributes & ZYDIS_ATTRIB_HAS_MODRM) {
        uint32_t mo = ins->raw.modrm.offset;
        emit_bytes(&x->e, x->bytes + op_start, mo - op_start);
        uint8_t modrm = x->bytes[mo];
        if (ins->raw.modrm.mod == 0 && ins->raw.modrm.rm == 5) {
            /* [disp32]: in 64-bit mode this is [rip+disp32]; say SIB-absolute. */
            emit_byte(&x->e, (uint8_t)((modrm & 0xF8) | 4));
            emit_byte(&x->e, 0x25);
        } else {
            emit_byte(&x->e, modrm);
        }
        emit_bytes(&x->e, x->bytes + mo + 1, ins->length - mo - 1u);
    } else {
        emit_bytes(&x->e, x->bytes + op_start, ins->length - op_start);
    }
    if (!agen)
        seg_leave(x, s);
}

/*
 * A copied instruction with a 16-bit address (0x67 in 32-bit code): the
 * address (base + index + disp, wrapped to 16 bits) is computed into r8d
 * and the instruction re-encoded with [r8] as its memory operand.
 */
void xl_copy_addr16(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    const ZydisDecodedOperand *m = mem_operand(x);
    for (int i = 0; i < ins->operand_count; i++) {
        ZydisRegister r = x->ops[i].reg.value;
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH ||
             r == ZYDIS_REGISTER_BH)) {
            xl_unsupported(x, "16-bit addressing with a high-byte register operand");
            return;
        }
    }
    static const uint8_t lea = 0x8D, movzx[] = { 0x45, 0x0F, 0xB7, 0xC0 };  /* movzx r8d, r8w */
    emit_mem(&x->e, EM_A32, &lea, 1, H_R8, gpr_id(m->mem.base), gpr_id(m->mem.index), 1,
             (int32_t)m->mem.disp.value);
    emit_bytes(&x->e, movzx, sizeof movzx);
    bool agen = m->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
    int s = seg_index(m->mem.segment);
    if (!agen) {
        seg_enter(x, s);
        emit_byte(&x->e, 0x65);
    }
    emit_byte(&x->e, 0x67);
    for (int i = 0; i < ins->raw.prefix_count; i++) {
        uint8_t p = x->bytes[i];
        if (p != 0x67 && p != 0x26 && p != 0x2E && p != 0x36 && p != 0x3E && p != 0x64 && p != 0x65)
            emit_byte(&x->e, p);
    }
    emit_byte(&x->e, 0x41);                 /* REX.B: rm = r8 */
    uint32_t mo = ins->raw.modrm.offset, op_start = ins->raw.prefix_count;
    alias_0x82(x);
    emit_bytes(&x->e, x->bytes + op_start, mo - op_start);
    emit_byte(&x->e, (uint8_t)(x->bytes[mo] & 0x38));   /* mod 00, rm 000: [r8] */
    uint32_t rest = mo + 1u + ins->raw.disp.size / 8u;
    emit_bytes(&x->e, x->bytes + rest, ins->length - rest);
    if (!agen)
        seg_leave(x, s);
}

/* inc/dec r32 (0x40-0x4F) are REX prefixes in 64-bit mode: use FF /0, FF /1. */
void xl_incdec_short(struct xlat *x)
{
    uint8_t op = x->ins.opcode;
    if (x->ins.operand_width == 16)
        emit_byte(&x->e, 0x66);
    emit_byte(&x->e, 0xFF);
    emit_byte(&x->e, (uint8_t)(0xC0 | ((op >= 0x48) << 3) | (op & 7)));
}
