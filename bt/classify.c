/*
 * bt/classify.c - which translation class each guest instruction belongs to
 * (see the table in docs/translator.md): by mnemonic first, then by what
 * its operands say (segment, control and debug registers, far branches,
 * 16-bit addressing, segments with limits).
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "cpu/emulate.h"
#include "cpu/insn_table.h"
#include "cpu/cpuid.h"
#include "cpu/machine.h"

/* ---- classification ---------------------------------------------------- */

/* The translator's own classes by mnemonic, applied over the K_EMULATE of
 * the sensitive rows of cpu/insn_table.h: the inline translations (CLI and
 * STI among them) and the instructions translated without the emulator. */
static const struct { ZydisMnemonic m; uint8_t kind; } kind_table[] = {
    { ZYDIS_MNEMONIC_PUSH, K_PUSH }, { ZYDIS_MNEMONIC_POP, K_POP },
    { ZYDIS_MNEMONIC_PUSHAD, K_PUSHA }, { ZYDIS_MNEMONIC_POPAD, K_POPA },
    { ZYDIS_MNEMONIC_CALL, K_CALL }, { ZYDIS_MNEMONIC_RET, K_RET },
    { ZYDIS_MNEMONIC_JMP, K_JMP },
    { ZYDIS_MNEMONIC_JB, K_JCC }, { ZYDIS_MNEMONIC_JBE, K_JCC }, { ZYDIS_MNEMONIC_JL, K_JCC },
    { ZYDIS_MNEMONIC_JLE, K_JCC }, { ZYDIS_MNEMONIC_JNB, K_JCC }, { ZYDIS_MNEMONIC_JNBE, K_JCC },
    { ZYDIS_MNEMONIC_JNL, K_JCC }, { ZYDIS_MNEMONIC_JNLE, K_JCC }, { ZYDIS_MNEMONIC_JNO, K_JCC },
    { ZYDIS_MNEMONIC_JNP, K_JCC }, { ZYDIS_MNEMONIC_JNS, K_JCC }, { ZYDIS_MNEMONIC_JNZ, K_JCC },
    { ZYDIS_MNEMONIC_JO, K_JCC }, { ZYDIS_MNEMONIC_JP, K_JCC }, { ZYDIS_MNEMONIC_JS, K_JCC },
    { ZYDIS_MNEMONIC_JZ, K_JCC },
    { ZYDIS_MNEMONIC_LOOP, K_LOOP }, { ZYDIS_MNEMONIC_LOOPE, K_LOOP },
    { ZYDIS_MNEMONIC_LOOPNE, K_LOOP }, { ZYDIS_MNEMONIC_JECXZ, K_LOOP },
    { ZYDIS_MNEMONIC_JCXZ, K_LOOP },
    { ZYDIS_MNEMONIC_CLI, K_CLI }, { ZYDIS_MNEMONIC_STI, K_STI },
    { ZYDIS_MNEMONIC_CLD, K_CLD }, { ZYDIS_MNEMONIC_STD, K_STD },
    { ZYDIS_MNEMONIC_LEAVE, K_LEAVE }, { ZYDIS_MNEMONIC_ENTER, K_ENTER },
};

#define CLASS_OF(M, m, class) [ZYDIS_MNEMONIC_##M] = INSN_##class,
static const uint8_t class_of_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
    INSN_TABLE(CLASS_OF)
};
#undef CLASS_OF

static uint8_t kind_of_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1];

void classify_init(void)
{
    static bool done;
    if (done)
        return;
    for (int m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++)
        if (insn_sensitive(class_of_mnemonic[m]))
            kind_of_mnemonic[m] = K_EMULATE;
    for (size_t i = 0; i < sizeof kind_table / sizeof kind_table[0]; i++)
        kind_of_mnemonic[kind_table[i].m] = kind_table[i].kind;
    done = true;
}

enum kind mnemonic_kind(ZydisMnemonic m)
{
    return (enum kind)kind_of_mnemonic[m];
}

bool is_string_opcode(const ZydisDecodedInstruction *ins)
{
    return ins->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && ins->opcode >= 0xA4 &&
           ins->opcode <= 0xAF && ins->opcode != 0xA8 && ins->opcode != 0xA9;
}

/* Stop the guest with a report naming the instruction being translated. */
void xl_unsupported(struct xlat *x, const char *what)
{
    x->c->eip = x->eip;
    vm_unsupported(x->vm, what);
    x->stopped = true;
}

/*
 * At CPL 3 the inline forms that assume CPL 0 go to the emulator, which
 * applies the CPL-3 rules: CLI/STI (IOPL), MOV from CRn (#GP), RDTSC
 * (CR4.TSD).  PUSHFD, PUSH Sreg and MOV from Sreg read the same virtual
 * state at any CPL; the light callouts use the CPL-aware functions.
 */
static enum kind at_cpl3(enum kind k)
{
    return k == K_CLI || k == K_STI || k == K_MOV_FROM_CR || k == K_RDTSC ? K_EMULATE : k;
}


/* Does the instruction have a memory operand, explicit or implicit (the
 * stack of PUSH, DS:[EBX+AL] of XLAT, ...)?  LEA's counts too: its
 * address is sized. */
static bool touches_memory(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++)
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
            return true;
    return false;
}

/* The classes that reach the stack as [ESP] in the view. */
static bool uses_stack(enum kind k)
{
    return k == K_PUSH || k == K_POP || k == K_PUSHA || k == K_POPA || k == K_CALL ||
           k == K_RET || k == K_LEAVE || k == K_ENTER || k == K_PUSHFD || k == K_PUSH_SREG ||
           k == K_POP_SREG || k == K_POPFD || k == K_IRETD;
}

/* That is right only for a flat 32-bit stack: SS with base 0, no limit to
 * check and B set (ESP, not SP).  bt_segment_key keys translations on it;
 * any other stack goes to the emulator, which applies SS as the processor
 * does. */
bool bt_stack_flat(const struct vcpu *c)
{
    const struct seg *ss = &c->seg[S_SS];
    return ss->base == 0 && bt_seg_unlimited(ss) && SEG_ATTR_DB(ss->attr);
}

/* May a memory operand be reached by translated code without a limit
 * check?  32-bit code: through FS or GS (checked at run time,
 * emit_linear_r11) or a segment without a limit.  16-bit code: a 16-bit
 * address through a segment of 64 KiB or more, or a 32-bit one through a
 * 4 GiB segment or a 64 KiB one (checked at run time). */
static bool mem_translatable(const struct xlat *x, const ZydisDecodedOperand *m)
{
    int s = seg_index(m->mem.segment);
    if (!x->t16)
        return s == S_FS || s == S_GS || bt_seg_unlimited(&x->c->seg[s]);
    int lc = seg_limit_class(&x->c->seg[s]);
    if (x->ins.address_width == 16)
        return lc != LIM_SMALL;
    return lc == LIM_4G || lc == LIM_64K;
}

enum kind classify(struct xlat *x)
{
    enum kind k = classify_kind(x);
    if (uses_stack(k) && !bt_stack_flat(x->c))
        return K_EMULATE;
    return x->user ? at_cpl3(k) : k;
}

enum kind classify_kind(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    switch (cpu_model_insn(ins)) {          /* the model's instruction set (cpu/cpuid.h) */
    case MODEL_NATIVE:
        break;
    case MODEL_REP_BSF:
        return K_COPY;                      /* copied as BSF/BSR: xl_copy drops the REP */
    case MODEL_UD:
        return K_EMULATE;                   /* the emulator raises #UD */
    }
    if (ins->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
        return K_EMULATE;
    /* Sensitive, but reading only virtual state: done inline (xl_system.c). */
    if (ins->mnemonic == ZYDIS_MNEMONIC_PUSHFD && ins->operand_width == 32)
        return K_PUSHFD;
    if (ins->mnemonic == ZYDIS_MNEMONIC_RDTSC)
        return K_RDTSC;
    /* Sensitive, done by a C function without an exit (xl_callout.c). */
    enum kind light = classify_light(x);
    if (light != K_COPY)
        return light;
    if (ins->mnemonic == ZYDIS_MNEMONIC_PUSH && ins->operand_width == 32 &&
        x->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ZydisRegisterGetClass(x->ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return K_PUSH_SREG;
    if (ins->mnemonic == ZYDIS_MNEMONIC_MOV && x->ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ins->address_width == 32) {
        ZydisRegisterClass src = ZydisRegisterGetClass(x->ops[1].reg.value);
        ZydisRegister r = x->ops[1].reg.value;
        if (src == ZYDIS_REGCLASS_SEGMENT)
            return K_MOV_FROM_SREG;
        if (src == ZYDIS_REGCLASS_CONTROL && (r == ZYDIS_REGISTER_CR0 || r == ZYDIS_REGISTER_CR2 ||
                                               r == ZYDIS_REGISTER_CR3 || r == ZYDIS_REGISTER_CR4))
            return K_MOV_FROM_CR;
    }
    for (int i = 0; i < ins->operand_count; i++) {
        const ZydisDecodedOperand *op = &x->ops[i];
        if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
            ZydisRegisterClass rc = ZydisRegisterGetClass(op->reg.value);
            if (rc == ZYDIS_REGCLASS_SEGMENT || rc == ZYDIS_REGCLASS_CONTROL ||
                rc == ZYDIS_REGCLASS_DEBUG || rc == ZYDIS_REGCLASS_TEST)
                return K_EMULATE;
        }
    }
    const ZydisDecodedOperand *m = mem_operand(x);
    if (m && m->mem.type == ZYDIS_MEMOP_TYPE_MEM && !mem_translatable(x, m) &&
        emulate_supports(ins->mnemonic))
        return K_EMULATE;
    if (ins->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && ins->opcode >= 0x40 && ins->opcode <= 0x4F)
        return K_INCDEC_SHORT;
    enum kind k = kind_of_mnemonic[ins->mnemonic];
    /* 0x67: 16-bit addressing; LOOP/JCXZ count in CX, string instructions
     * use SI, DI and CX (the emulator does those).  An instruction with no
     * memory operand, explicit or implicit, has no address to size: the
     * prefix changes nothing, on the host either, so it is translated as
     * without it (the emulator, which has no handler for NOP, CLC, BSWAP,
     * the x87 and SSE register forms, ..., would stop the guest). */
    if (ins->address_width == 16) {
        if (k == K_LOOP)
            return K_LOOP_CX;
        if ((k == K_COPY || k == K_CLD || k == K_STD) && !touches_memory(x))
            return k;
        /* xl_copy computes the address of a ModRM operand, and of the
         * moffs of MOV A0-A3 (common in 16-bit code). */
        bool moffs = ins->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && ins->opcode >= 0xA0 &&
                     ins->opcode <= 0xA3;
        return k == K_COPY && m && ((ins->attributes & ZYDIS_ATTRIB_HAS_MODRM) || (x->t16 && moffs))
                   ? K_COPY
                   : K_EMULATE;
    }
    if (is_string_opcode(ins))
        return K_STRING;
    /* Near branches with a 16-bit operand size truncate EIP: rare, emulated. */
    if ((k == K_CALL || k == K_RET || k == K_JMP || k == K_JCC || k == K_LOOP) &&
        ins->operand_width == 16)
        return K_EMULATE;
    if (k == K_ENTER && x->ops[1].imm.value.u != 0)
        return K_EMULATE;                   /* nesting level > 0 */
    return k;
}
