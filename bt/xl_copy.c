/*
 * bt/xl_copy.c - instructions copied as they are: the memory operand gets
 * the guest view and a 32-bit address size; a segment base or 16-bit
 * addressing is computed into r11 and the operand re-encoded as [r11]; the
 * encodings 64-bit mode lacks (0x82, short inc/dec) are re-encoded.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "cpu/cpuid.h"

/* 0x82 is an alias of 0x80 that 64-bit mode does not have: rewrite the
 * opcode byte in the fetched copy before it is emitted. */
static void alias_0x82(struct xlat *x)
{
    if (x->ins.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && x->ins.opcode == 0x82)
        x->bytes[x->ins.raw.prefix_count] = 0x80;
}

static bool is_seg_prefix(uint8_t p)
{
    return p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65;
}

/* The instruction's legacy prefixes as copied: without segment prefixes
 * (the guest view is given by other means), the REP of the model's REP
 * BSF/BSR (the host would read TZCNT/LZCNT), and, with drop_a16, the
 * address-size prefix (a 16-bit address is computed beforehand). */
static void emit_prefixes(struct xlat *x, bool drop_a16)
{
    bool rep_bsf = cpu_model_insn(&x->ins) == MODEL_REP_BSF;
    for (int i = 0; i < x->ins.raw.prefix_count; i++) {
        uint8_t p = x->bytes[i];
        if (!is_seg_prefix(p) && !(p == 0xF3 && rep_bsf) && !(p == 0x67 && drop_a16))
            emit_byte(&x->e, p);
    }
}

/* A high-byte register (AH, CH, DH, BH) cannot be encoded with a REX
 * prefix, which an operand in r11 needs. */
static bool has_high_byte_reg(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++) {
        ZydisRegister r = x->ops[i].reg.value;
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH ||
             r == ZYDIS_REGISTER_BH))
            return true;
    }
    return false;
}

/* Copy the instruction as it is, its memory operand given the guest view
 * (guest_mem_fl) and a 32-bit address: for a flat segment and a 32-bit
 * address the guest's own addressing form does. */
static void copy_direct(struct xlat *x, bool agen)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (!agen && !x->user)
        emit_byte(&x->e, 0x65);
    emit_byte(&x->e, 0x67);
    emit_prefixes(x, false);
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
}

/*
 * The memory operand's linear address computed into r11d (a segment with
 * a base, or a 16-bit address, which 64-bit mode cannot form), then the
 * instruction re-encoded with [r11] in place of its ModRM memory operand:
 * prefixes (bar segment and address-size ones), REX.B, the opcode bytes,
 * ModRM with mod 00 rm 011, and the immediates.  An LEA (agen) gets the
 * offset only, as the processor gives.
 */
static void copy_computed(struct xlat *x, const ZydisDecodedOperand *m, bool agen)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (has_high_byte_reg(x)) {
        xl_emulate(x);
        return;
    }
    bool a16 = ins->address_width == 16;
    int s = agen ? S_DS : seg_index(m->mem.segment);
    int base = gpr_id(m->mem.base), index = gpr_id(m->mem.index);
    int scale = m->mem.scale ? m->mem.scale : 1;
    if (agen) {
        static const uint8_t lea = 0x8D, movzx[] = { 0x45, 0x0F, 0xB7, 0xDB };
        emit_mem(&x->e, EM_A32, &lea, 1, H_R11, base, index, scale, (int32_t)m->mem.disp.value);
        if (a16)
            emit_bytes(&x->e, movzx, sizeof movzx);     /* movzx r11d, r11w */
    } else {
        emit_linear_r11(x, s, base, index, scale, (int32_t)m->mem.disp.value, a16, m->size / 8u);
        if (!x->user)
            emit_byte(&x->e, 0x65);
    }
    emit_byte(&x->e, 0x67);
    emit_prefixes(x, true);
    emit_byte(&x->e, 0x41);                 /* REX.B: rm = r11 */
    if (!(ins->attributes & ZYDIS_ATTRIB_HAS_MODRM)) {
        /* MOV AL/AX/EAX <-> moffs (A0-A3) has no ModRM: its ModRM forms. */
        static const uint8_t as_modrm[4] = { 0x8A, 0x8B, 0x88, 0x89 };
        emit_byte(&x->e, as_modrm[(ins->opcode - 0xA0) & 3]);
        emit_byte(&x->e, 0x03);             /* mod 00, reg eax, rm 011: [r11] */
        return;
    }
    uint32_t mo = ins->raw.modrm.offset, op_start = ins->raw.prefix_count;
    alias_0x82(x);
    emit_bytes(&x->e, x->bytes + op_start, mo - op_start);
    emit_byte(&x->e, (uint8_t)((x->bytes[mo] & 0x38) | 3));    /* mod 00, rm 011: [r11] */
    uint32_t rest = mo + 1u;
    if (ins->raw.sib.offset)
        rest = ins->raw.sib.offset + 1u;
    if (ins->raw.disp.size)
        rest = ins->raw.disp.offset + ins->raw.disp.size / 8u;
    emit_bytes(&x->e, x->bytes + rest, ins->length - rest);
}

void xl_copy(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    const ZydisDecodedOperand *m = mem_operand(x);
    bool xlat = ins->mnemonic == ZYDIS_MNEMONIC_XLAT;
    if (!m && !xlat) {
        alias_0x82(x);
        emit_prefixes(x, false);
        emit_bytes(&x->e, x->bytes + ins->raw.prefix_count, ins->length - ins->raw.prefix_count);
        return;
    }
    bool a16 = ins->address_width == 16;
    if (xlat) {
        int s = (ins->attributes & ZYDIS_ATTRIB_HAS_SEGMENT) ? seg_index(x->ops[1].mem.segment)
                                                             : S_DS;
        if (!seg_needs_base(x, s) && !a16)
            copy_direct(x, false);
        else
            xl_emulate(x);          /* rare: the emulator has XLAT */
        return;
    }
    bool agen = m->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
    if (!a16 && (agen || !seg_needs_base(x, seg_index(m->mem.segment))))
        copy_direct(x, agen);
    else
        copy_computed(x, m, agen);
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
