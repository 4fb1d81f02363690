/*
 * bt/xl_string.c - MOVS, STOS, LODS, CMPS, SCAS with and without REP.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "bt/tc.h"

/*
 * REP MOVS and REP STOS through flat segments run as the host's own REP
 * MOVS/STOS on host pointers (xview + ESI/EDI), which keeps the processor's
 * fast block copy.  DF is made the guest's for the duration.  A fault in the
 * middle leaves RSI/RDI/RCX exactly where the copy stopped; the map entry's
 * TU_FIX_* flags tell the signal handler to turn them back into offsets.
 */
static void xl_string_native(struct xlat *x, bool movs)
{
    struct emit *e = &x->e;
    static const uint8_t ld = 0x8B;
    static const uint8_t enter[] = { 0x4A, 0x8D, 0x3C, 0x0F };      /* lea rdi, [rdi+r9] */
    static const uint8_t enter_si[] = { 0x4A, 0x8D, 0x34, 0x0E };   /* lea rsi, [rsi+r9] */
    static const uint8_t df[] = {
        0x4D, 0x8B, 0x57, VCPU_OFF_STR_STEP, /* mov r10, [r15+str_step] */
        0x4D, 0x8D, 0x52, 0x01,             /* lea r10, [r10+1]: 0 when DF=1 */
        0x49, 0x89, 0xCB,                   /* mov r11, rcx */
        0x4C, 0x89, 0xD1,                   /* mov rcx, r10 */
        0xE3, 0x05,                         /* jrcxz set_df */
        0x4C, 0x89, 0xD9,                   /* mov rcx, r11 */
        0xEB, 0x04,                         /* jmp go */
        0x4C, 0x89, 0xD9,                   /* set_df: mov rcx, r11 */
        0xFD,                               /* std */
    };
    emit_mem(e, EM_W, &ld, 1, H_R9, H_R15, -1, 1, VCPU_OFF_XVIEW);  /* mov r9, [r15+xview] */
    emit_bytes(e, enter, sizeof enter);
    if (movs)
        emit_bytes(e, enter_si, sizeof enter_si);
    emit_bytes(e, df, sizeof df);
    record_map(x, TU_FIX_EDI | (movs ? TU_FIX_ESI : 0));
    if (x->ins.operand_width == 16 && (x->ins.opcode & 1))
        emit_byte(e, 0x66);
    emit_byte(e, 0xF3);
    emit_byte(e, x->ins.opcode);            /* rep movs/stos, 64-bit addresses */
    record_map(x, 0);
    static const uint8_t leave[] = {
        0xFC,                               /* cld */
        0x49, 0xF7, 0xD1,                   /* not r9 */
        0x42, 0x8D, 0x7C, 0x0F, 0x01,       /* lea edi, [rdi+r9+1] */
    };
    static const uint8_t leave_si[] = { 0x42, 0x8D, 0x74, 0x0E, 0x01 };  /* lea esi, [rsi+r9+1] */
    emit_bytes(e, leave, sizeof leave);
    if (movs)
        emit_bytes(e, leave_si, sizeof leave_si);
}

/* The segment of the [ESI] operand (DS unless overridden); ES:[EDI]
 * cannot be overridden. */
static int source_segment(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++) {
        const ZydisDecodedOperand *o = &x->ops[i];
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && gpr_id(o->mem.base) == R_ESI)
            return seg_index(o->mem.segment);
    }
    return S_DS;
}

/*
 * String instructions.  The step (+1/-1 for DF) is in vcpu->str_step; the
 * loop keeps ESI/EDI/ECX exact after every element, so a fault in the middle
 * of a REP leaves the registers as the processor would.
 */
void xl_string(struct xlat *x)
{
    struct emit *e = &x->e;
    uint8_t op = x->ins.opcode;
    int w = (op & 1) ? x->ins.operand_width : 8;
    int size = w / 8;
    unsigned o16 = w == 16 ? EM_O16 : 0;
    unsigned byte = w == 8;
    bool rep = x->ins.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
    bool cond = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
    int src_seg = source_segment(x);
    bool movs = (op & ~1) == 0xA4, stos = (op & ~1) == 0xAA;
    if (rep && (stos || (movs && seg_is_static(x->c, src_seg))) && seg_is_static(x->c, S_ES)) {
        xl_string_native(x, movs);
        return;
    }
    /* ES with a base (the destination) is rare enough for the emulator. */
    if (!seg_is_static(x->c, S_ES) && op != 0xAC && op != 0xAD) {
        xl_emulate(x);
        return;
    }
    static const uint8_t mov = 0x8B;        /* mov r9, [r15+str_step] */
    emit_mem(e, EM_W, &mov, 1, H_R9, H_R15, -1, 1, VCPU_OFF_STR_STEP);
    uint8_t *top = e->p, *jz_done = NULL;
    if (rep) {
        static const uint8_t jecxz[] = { 0x67, 0xE3, 0x00 };
        emit_bytes(e, jecxz, sizeof jecxz);
        jz_done = e->p - 1;
    }
    uint8_t ld = byte ? 0x8A : 0x8B, st = byte ? 0x88 : 0x89, cmp = byte ? 0x3A : 0x3B;
    unsigned fl = o16 | (byte ? EM_BYTE_REX : 0), g = guest_mem_fl(x);
    /* The source [DS:ESI] (or another segment): ESI itself, or ESI plus
     * the segment base computed into r11. */
    int src = H_RSI;
    if (!seg_is_static(x->c, src_seg) && (op & ~1) != 0xAA && (op & ~1) != 0xAE) {
        emit_linear_r11(x, src_seg, H_RSI, -1, 1, 0, false, 0);
        src = H_R11;
    }
    switch (op & ~1) {
    case 0xA4:  /* movs: [esi] -> [edi] */
        emit_mem(e, fl | g, &ld, 1, H_R8, src, -1, 1, 0);
        emit_mem(e, fl | g, &st, 1, H_R8, H_RDI, -1, 1, 0);
        break;
    case 0xA6:  /* cmps: flags of [esi] - [edi] */
        emit_mem(e, fl | g, &ld, 1, H_R8, src, -1, 1, 0);
        emit_mem(e, fl | g, &cmp, 1, H_R8, H_RDI, -1, 1, 0);
        break;
    case 0xAA:  /* stos: eax -> [edi] */
        emit_mem(e, o16 | g, &st, 1, H_RAX, H_RDI, -1, 1, 0);
        break;
    case 0xAC:  /* lods: [esi] -> eax */
        emit_mem(e, o16 | g, &ld, 1, H_RAX, src, -1, 1, 0);
        break;
    case 0xAE:  /* scas: flags of eax - [edi] */
        emit_mem(e, o16 | g, &cmp, 1, H_RAX, H_RDI, -1, 1, 0);
        break;
    }
    static const uint8_t lea = 0x8D;
    if ((op & ~1) == 0xA4 || (op & ~1) == 0xA6 || (op & ~1) == 0xAC)
        emit_mem(e, EM_A32, &lea, 1, H_RSI, H_RSI, H_R9, size, 0);   /* esi += step*size */
    if ((op & ~1) != 0xAC)
        emit_mem(e, EM_A32, &lea, 1, H_RDI, H_RDI, H_R9, size, 0);
    if (rep) {
        emit_lea(e, H_RCX, H_RCX, -1);
        uint8_t *jcond = NULL;
        if (cond) {                         /* REPE stops on ZF=0, REPNE on ZF=1 */
            bool repne = x->ins.attributes & ZYDIS_ATTRIB_HAS_REPNE;
            emit_byte(e, repne ? 0x74 : 0x75);
            emit_byte(e, 0);
            jcond = e->p - 1;
        }
        emit_byte(e, 0xEB);
        emit_byte(e, (uint8_t)(int8_t)(top - (e->p + 1)));
        *jz_done = (uint8_t)(e->p - (jz_done + 1));
        if (jcond)
            *jcond = (uint8_t)(e->p - (jcond + 1));
    }
}
