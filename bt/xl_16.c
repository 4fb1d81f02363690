/*
 * bt/xl_16.c - 16-bit code under the translator: real mode and 16-bit code
 * segments at CPL 0 (firmware, boot loaders, the BIOS calls of protected-
 * mode software).
 *
 * A 16-bit instruction is translated through its 32-bit-mode twin: the same
 * bytes with the operand-size (0x66) and address-size (0x67) prefixes
 * toggled mean, in 32-bit code, the same operation on the same operands
 * (SDM vol. 1 3.6: the D flag of CS chooses the default, the prefixes the
 * other size).  The twin is decoded again and accepted only if the decoder
 * sees the same mnemonic and the same operands, so instructions where a
 * prefix is part of the opcode (SSE's 66) keep their meaning or go to the
 * emulator.  The twin then takes the 32-bit classes and translations
 * (bt/classify.c, bt/xl_copy.c), with two differences for 16-bit code:
 *  - every segment base is read from struct vcpu at run time (real-mode
 *    code reloads DS and ES all the time), and 16-bit addresses are cut to
 *    16 bits before the base is added;
 *  - the limits are part of the TU's mode key (bt_mode_key): a 16-bit
 *    address through a segment of 64 KiB or more cannot pass its limit, a
 *    32-bit address through a 64 KiB segment is checked at run time, other
 *    segments leave the access to the emulator.
 * The stack (SS:SP with a 16-bit SP) and near branches (IP-sized targets,
 * IP | CS selector << 16 as the lookup key) are rewritten here.  What is
 * neither goes to the emulator, which decodes by CS.D: far transfers, INT,
 * IRET, POPF, segment loads, string instructions, I/O, HLT.
 *
 * Not modelled: the type and presence checks of a protected-mode data
 * segment (as for 32-bit translated code).
 */
#include <stddef.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "cpu/cpuid.h"
#include "cpu/emulate.h"
#include "shadow_mmu/shadow.h"

const ZydisDecoder *xl_decoder16(void)
{
    static ZydisDecoder d;
    static bool init;
    if (!init) {
        ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
        init = true;
    }
    return &d;
}

/* ---- the mode --------------------------------------------------------- */

bool bt_code16(const struct vcpu *c)
{
    const struct seg *cs = &c->seg[S_CS];
    if (c->eflags & FL_VM)
        return true;                        /* virtual-8086 mode: CPL 3, 64 KiB segments */
    return c->cpl == 0 && !SEG_ATTR_DB(cs->attr) &&
           (cs->limit == 0xFFFF || cs->limit == 0xFFFFFFFFu);
}

/* A 64 KiB code segment: EIP beyond 0xFFFF is #GP(0).  The other code
 * segment taken, 4 GiB (SeaBIOS returns to real mode with the limit of its
 * 16-bit protected-mode segment), lets a 32-bit operand size branch
 * anywhere. */
static bool cs_64k(const struct vcpu *c)
{
    return c->seg[S_CS].limit == 0xFFFF;
}

int seg_limit_class(const struct seg *s)
{
    bool expand_down = SEG_ATTR_S(s->attr) && !(s->attr & 8) && (s->attr & 4);
    if (expand_down || s->limit < 0xFFFF)
        return LIM_SMALL;
    if (s->limit == 0xFFFF)
        return LIM_64K;
    return s->limit == 0xFFFFFFFFu ? LIM_4G : LIM_BIG;
}

/* CS base in bits 0-31; in bits 32-47 the limit classes of ES..GS (2
 * bits each), SS.B, and for virtual-8086 mode a bit and the address space
 * (the shadow view: CPL-3 code is translated for the user view of one
 * address space); the CS selector in bits 48-63. */
uint64_t bt_mode_key(const struct vcpu *c)
{
    if (!bt_code16(c))
        return 0;
    uint64_t limits = 0;
    for (int s = 0; s < 6; s++)
        limits |= (uint64_t)seg_limit_class(&c->seg[s]) << (2 * s);
    limits |= (uint64_t)SEG_ATTR_DB(c->seg[S_SS].attr) << 12;
    if (c->eflags & FL_VM)
        limits |= 1u << 13 | (uint64_t)(shadow_current_view(c->vm) & 3) << 14;
    return c->seg[S_CS].base | limits << 32 | (uint64_t)c->seg[S_CS].sel << 48;
}

/* A 16-bit stack the rewrites below can address: SP (SS.B clear) in a
 * segment of 64 KiB or more. */
static bool stack16_ok(const struct vcpu *c)
{
    return !SEG_ATTR_DB(c->seg[S_SS].attr) && seg_limit_class(&c->seg[S_SS]) != LIM_SMALL;
}

/* ---- the 32-bit twin ---------------------------------------------------- */

static bool is_flags(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_FLAGS || r == ZYDIS_REGISTER_EFLAGS;
}

/* The decoder names the flags register by the mode's width (FLAGS in
 * 16-bit code, EFLAGS in 32-bit code): the same bits for an instruction
 * that reads or writes the arithmetic flags. */
static bool same_operand(const ZydisDecodedOperand *a, const ZydisDecodedOperand *b)
{
    if (a->type == ZYDIS_OPERAND_TYPE_REGISTER && b->type == a->type &&
        a->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN && is_flags(a->reg.value) &&
        is_flags(b->reg.value))
        return a->visibility == b->visibility && a->actions == b->actions;
    if (a->type != b->type || a->size != b->size || a->visibility != b->visibility)
        return false;
    switch (a->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return a->reg.value == b->reg.value;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        return a->mem.type == b->mem.type && a->mem.segment == b->mem.segment &&
               a->mem.base == b->mem.base && a->mem.index == b->mem.index &&
               a->mem.scale == b->mem.scale && a->mem.disp.value == b->mem.disp.value;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        return a->imm.value.u == b->imm.value.u;
    default:
        return true;
    }
}

/* The bytes with 0x66 (t66) and/or 0x67 (t67) toggled: removed where
 * present, else added in front. */
static int toggled(const struct xlat *x, bool t66, bool t67, uint8_t out[16])
{
    const ZydisDecodedInstruction *ins = &x->ins;
    bool has66 = false, has67 = false;
    for (int i = 0; i < ins->raw.prefix_count; i++) {
        has66 |= x->bytes[i] == 0x66;
        has67 |= x->bytes[i] == 0x67;
    }
    int n = 0;
    if (t66 && !has66)
        out[n++] = 0x66;
    if (t67 && !has67)
        out[n++] = 0x67;
    for (int i = 0; i < ins->length; i++) {
        bool prefix = i < ins->raw.prefix_count;
        if (prefix && ((t66 && x->bytes[i] == 0x66) || (t67 && x->bytes[i] == 0x67)))
            continue;
        if (n == 15)
            return -1;
        out[n++] = x->bytes[i];
    }
    return n;
}

/*
 * Replace x->ins, x->ops and x->bytes by the 32-bit twin of the 16-bit
 * instruction, if one decodes to the same operation; false if none does.
 * Both prefixes toggled first (the usual case: an operand-size-sensitive
 * instruction), then the address size alone (SSE, x87, byte forms, which
 * a 0x66 would change or which ignore it), then the operand size alone.
 */
static bool twin32(struct xlat *x)
{
    static const bool tries[3][2] = { { true, true }, { false, true }, { true, false } };
    for (int t = 0; t < 3; t++) {
        uint8_t b[16] = { 0 };
        int n = toggled(x, tries[t][0], tries[t][1], b);
        ZydisDecodedInstruction ins;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (n < 0 || ZYAN_FAILED(ZydisDecoderDecodeFull(xl_decoder(), b, (ZyanUSize)n, &ins, ops)) ||
            ins.length != n || ins.mnemonic != x->ins.mnemonic ||
            ins.operand_count != x->ins.operand_count || ins.operand_width != x->ins.operand_width ||
            ins.address_width != x->ins.address_width || ins.opcode_map != x->ins.opcode_map ||
            ins.opcode != x->ins.opcode)
            continue;
        bool same = true;
        for (int i = 0; i < ins.operand_count && same; i++)
            same = same_operand(&x->ops[i], &ops[i]);
        if (!same)
            continue;
        x->ins = ins;
        memcpy(x->ops, ops, sizeof ops);
        memcpy(x->bytes, b, sizeof b);
        return true;
    }
    return false;
}

/* ---- classes ------------------------------------------------------------ */

/* A memory operand of a stack or branch instruction: a 16-bit address
 * through a segment of 64 KiB or more (a 32-bit one goes to the
 * emulator: rare in such instructions). */
static bool operand16_ok(const struct xlat *x, const ZydisDecodedOperand *o)
{
    if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
        return true;
    return x->ins.address_width == 16 &&
           seg_limit_class(&x->c->seg[seg_index(o->mem.segment)]) != LIM_SMALL;
}

static enum kind stack_kind(const struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (!stack16_ok(x->c))
        return K_EMULATE;
    switch (ins->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
        return operand16_ok(x, &x->ops[0]) ? K_STACK16 : K_EMULATE;
    case ZYDIS_MNEMONIC_POP:
        /* POP Sreg loads a segment: the emulator's. */
        if (x->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(x->ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
            return K_EMULATE;
        return operand16_ok(x, &x->ops[0]) ? K_STACK16 : K_EMULATE;
    case ZYDIS_MNEMONIC_LEAVE:
        return K_STACK16;
    default:                                /* PUSHF, PUSHFD: IOPL in V86 */
        return x->user ? K_EMULATE : K_STACK16;
    }
}

/* Near CALL, RET and JMP: a direct target must lie within the 64 KiB
 * limit (else the emulator raises #GP(0)); an indirect one is checked at
 * run time. */
static enum kind branch_kind(const struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    if (x->ins.mnemonic != ZYDIS_MNEMONIC_JMP && !stack16_ok(x->c))
        return K_EMULATE;
    if (x->ins.mnemonic != ZYDIS_MNEMONIC_RET && t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
        xl_branch_target(x) > 0xFFFF && cs_64k(x->c))
        return K_EMULATE;
    if (x->ins.mnemonic != ZYDIS_MNEMONIC_RET && !operand16_ok(x, t))
        return K_EMULATE;
    return K_BRANCH16;
}

/* The memory operand of a string instruction through SI (its source) or
 * DI (ES, its destination). */
static const ZydisDecodedOperand *string_operand(const struct xlat *x, ZydisRegister index)
{
    for (int i = 0; i < x->ins.operand_count; i++)
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && x->ops[i].mem.base == index)
            return &x->ops[i];
    return NULL;
}

static bool is_lods_stos_movs(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
        return true;
    default:
        return false;
    }
}

/* A string operand's segment: one a 16-bit offset cannot pass (64 KiB or
 * more), or for a 32-bit offset one of 4 GiB or 64 KiB (checked at run
 * time, emit_linear_r11). */
static bool string_segment_ok(const struct xlat *x, const ZydisDecodedOperand *o)
{
    int lc = seg_limit_class(&x->c->seg[seg_index(o->mem.segment)]);
    return x->ins.address_width == 16 ? lc != LIM_SMALL : lc == LIM_4G || lc == LIM_64K;
}

/* LODS, STOS and MOVS one element at a time (no REP), through SI and DI
 * (or ESI and EDI with 0x67: iPXE's flat-real-mode prefix runs its CRC32
 * of its own image as `addr32 lodsb`); the REP forms, which the emulator
 * runs in batches, and the comparing ones are the emulator's. */
static enum kind string_kind(const struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (!is_lods_stos_movs(ins->mnemonic) ||
        (ins->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE)))
        return K_EMULATE;
    bool a16 = ins->address_width == 16;
    const ZydisDecodedOperand *src = string_operand(x, a16 ? ZYDIS_REGISTER_SI : ZYDIS_REGISTER_ESI);
    const ZydisDecodedOperand *dst = string_operand(x, a16 ? ZYDIS_REGISTER_DI : ZYDIS_REGISTER_EDI);
    if ((src && !string_segment_ok(x, src)) || (dst && !string_segment_ok(x, dst)))
        return K_EMULATE;
    return K_STRING16;
}

enum kind classify16(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (cpu_model_insn(ins) == MODEL_UD || ins->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
        return K_EMULATE;
    enum kind mk = mnemonic_kind(ins->mnemonic);
    switch (mk) {
    case K_PUSH: case K_POP: case K_LEAVE:
        return stack_kind(x);
    case K_CALL: case K_RET: case K_JMP:
        return branch_kind(x);
    case K_JCC: case K_LOOP:
        if (xl_branch_target(x) > 0xFFFF && cs_64k(x->c))
            return K_EMULATE;
        return mk == K_LOOP && ins->address_width == 16 ? K_LOOP_CX : mk;
    case K_CLI: case K_STI:
        return x->user ? K_EMULATE : mk;    /* IOPL in V86 */
    case K_CLD: case K_STD:
        return mk;
    case K_PUSHA: case K_POPA: case K_ENTER:
        return K_EMULATE;                   /* the rest of the stack is the emulator's */
    default:
        break;
    }
    if (is_string_opcode(ins))
        return string_kind(x);
    switch (ins->mnemonic) {
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
        return stack_kind(x);               /* the emulator's in V86 (IOPL) */
    case ZYDIS_MNEMONIC_PUSHA: case ZYDIS_MNEMONIC_POPA:
        return K_EMULATE;                   /* the 16-bit forms, as PUSHAD and POPAD */
    /* The x87 environment and state images have a 16-bit layout in 16-bit
     * code that the twin's prefix alone would have to carry: emulated. */
    case ZYDIS_MNEMONIC_FNSTENV: case ZYDIS_MNEMONIC_FLDENV: case ZYDIS_MNEMONIC_FNSAVE:
    case ZYDIS_MNEMONIC_FRSTOR: case ZYDIS_MNEMONIC_FXSAVE: case ZYDIS_MNEMONIC_FXRSTOR:
        return K_EMULATE;
    default:
        break;
    }
    if (!twin32(x))
        return K_EMULATE;
    enum kind k = classify_kind(x);
    switch (k) {
    case K_MOV_FROM_CR: case K_RDTSC:       /* #GP, CR4.TSD: the CPL-3 rules in V86 */
        return x->user ? K_EMULATE : k;
    case K_COPY: case K_INCDEC_SHORT: case K_EMULATE: case K_MOV_FROM_SREG:
    case K_CLD: case K_STD:
        return k;
    default:                                /* light callouts: protected-mode rules */
        return K_EMULATE;
    }
}

/* ---- the stack: SS:SP ------------------------------------------------------ */

/* r11d := SS.base + ((SP + off) & 0xFFFF), for `size` bytes */
static void stack_addr(struct xlat *x, int32_t off, unsigned size)
{
    emit_linear_r11(x, S_SS, H_RSP, -1, 1, off, true, size);
}

/* SP += d, the rest of ESP and the flags unchanged: lea sp, [rsp + d] */
static void sp_add(struct xlat *x, int32_t d)
{
    static const uint8_t lea = 0x8D;
    emit_mem(&x->e, EM_O16, &lea, 1, H_RSP, H_RSP, -1, 1, d);
}

/* Store the low w bits of reg at SS:SP - w/8 (a write of 16 bits into a
 * 4-byte slot for PUSH Sreg with a 32-bit operand, as processors do),
 * then move SP. */
static void push_reg(struct xlat *x, int w, int slot, int reg)
{
    static const uint8_t mov = 0x89;
    stack_addr(x, -slot, (unsigned)slot);
    emit_mem(&x->e, guest_mem_fl(x) | (w == 16 ? EM_O16 : 0), &mov, 1, reg, H_R11, -1, 1, 0);
    sp_add(x, -slot);
}

/* r8d := the w-bit value at SS:SP (zero-extended) */
static void load_top(struct xlat *x, int w, int32_t off)
{
    static const uint8_t mov = 0x8B, movzx[] = { 0x0F, 0xB7 };
    stack_addr(x, off, (unsigned)w / 8);
    if (w == 16)
        emit_mem(&x->e, guest_mem_fl(x), movzx, 2, H_R8, H_R11, -1, 1, 0);
    else
        emit_mem(&x->e, guest_mem_fl(x), &mov, 1, H_R8, H_R11, -1, 1, 0);
}

static void mov_imm(struct emit *e, int reg, uint32_t v)
{
    emit_byte(e, (uint8_t)(0x41));          /* r8..r15 */
    emit_byte(e, (uint8_t)(0xB8 + (reg & 7)));
    emit_u32(e, v);
}

static void push16(struct xlat *x)
{
    const ZydisDecodedOperand *src = &x->ops[0];
    int w = x->ins.operand_width, sz = w / 8;
    if (src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ZydisRegisterGetClass(src->reg.value) == ZYDIS_REGCLASS_SEGMENT) {
        emit_sel_r9(x, src->reg.value);
        push_reg(x, 16, sz, H_R9);
    } else if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        push_reg(x, w, sz, gpr_id(src->reg.value));
    } else if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        mov_imm(&x->e, H_R9, (uint32_t)src->imm.value.u);
        push_reg(x, w, sz, H_R9);
    } else {
        /* The operand is read with the old SP, as the processor does. */
        emit_load_guest_mem_r8(x, src, w);
        push_reg(x, w, sz, H_R8);
    }
}

static void pop16(struct xlat *x)
{
    const ZydisDecodedOperand *dst = &x->ops[0];
    int w = x->ins.operand_width, sz = w / 8;
    load_top(x, w, 0);
    if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        /* SP moves first: POP SP leaves SP = the value popped. */
        sp_add(x, sz);
        emit_rr(&x->e, w == 16 ? EM_O16 : 0, 0x89, H_R8, gpr_id(dst->reg.value));
        return;
    }
    /* A 16-bit address cannot use SP: the destination is the same before
     * and after SP moves.  The store may fault: SP moves after it. */
    static const uint8_t mov = 0x89;
    emit_guest_mem(x, dst, w == 16 ? EM_O16 : 0, &mov, 1, H_R8, 0);
    sp_add(x, sz);
}

/* LEAVE: SP := BP, then pop BP (or EBP). */
static void leave16(struct xlat *x)
{
    static const uint8_t mov = 0x8B, movzx[] = { 0x0F, 0xB7 }, lea = 0x8D;
    int w = x->ins.operand_width, sz = w / 8;
    emit_linear_r11(x, S_SS, H_RBP, -1, 1, 0, true, (unsigned)sz);
    if (w == 16)
        emit_mem(&x->e, guest_mem_fl(x), movzx, 2, H_R8, H_R11, -1, 1, 0);
    else
        emit_mem(&x->e, guest_mem_fl(x), &mov, 1, H_R8, H_R11, -1, 1, 0);
    emit_mem(&x->e, EM_O16, &lea, 1, H_RSP, H_RBP, -1, 1, sz);     /* lea sp, [rbp + sz] */
    emit_rr(&x->e, w == 16 ? EM_O16 : 0, 0x89, H_R8, H_RBP);
}

void xl_stack16(struct xlat *x)
{
    switch (x->ins.mnemonic) {
    case ZYDIS_MNEMONIC_PUSH: push16(x); break;
    case ZYDIS_MNEMONIC_POP: pop16(x); break;
    case ZYDIS_MNEMONIC_LEAVE: leave16(x); break;
    default:                                /* PUSHF, PUSHFD */
        emit_eflags_r9(x);
        push_reg(x, x->ins.operand_width, x->ins.operand_width / 8, H_R9);
        break;
    }
}

/* ---- LODS, STOS, MOVS -------------------------------------------------- */

/* SI or DI (ESI or EDI with a 32-bit address size) += the element size
 * in the direction of DF (vcpu->str_step is +1 or -1): lea si, [rsi + r10
 * * size], flags untouched. */
static void step_index(struct xlat *x, int reg, int size, bool a16)
{
    static const uint8_t mov = 0x8B, lea = 0x8D;
    emit_mem(&x->e, EM_W, &mov, 1, H_R10, H_R15, -1, 1, VCPU_OFF_STR_STEP);
    emit_mem(&x->e, a16 ? EM_O16 : 0, &lea, 1, reg, reg, H_R10, size, 0);
}

void xl_string16(struct xlat *x)
{
    bool a16 = x->ins.address_width == 16;
    const ZydisDecodedOperand *src = string_operand(x, a16 ? ZYDIS_REGISTER_SI : ZYDIS_REGISTER_ESI);
    const ZydisDecodedOperand *dst = string_operand(x, a16 ? ZYDIS_REGISTER_DI : ZYDIS_REGISTER_EDI);
    int w = x->ins.operand_width, size = w / 8;
    unsigned fl = guest_mem_fl(x) | (w == 16 ? EM_O16 : 0);
    uint8_t load = w == 8 ? 0x8A : 0x8B, store = w == 8 ? 0x88 : 0x89;
    /* The accesses first (each may fault), SI and DI last. */
    if (src && dst) {                       /* MOVS: through r8 */
        emit_linear_r11(x, seg_index(src->mem.segment), H_RSI, -1, 1, 0, a16, (unsigned)size);
        emit_mem(&x->e, fl, &load, 1, H_R8, H_R11, -1, 1, 0);
        emit_linear_r11(x, S_ES, H_RDI, -1, 1, 0, a16, (unsigned)size);
        emit_mem(&x->e, fl, &store, 1, H_R8, H_R11, -1, 1, 0);
    } else if (src) {                       /* LODS: into AL, AX, EAX */
        emit_linear_r11(x, seg_index(src->mem.segment), H_RSI, -1, 1, 0, a16, (unsigned)size);
        emit_mem(&x->e, fl, &load, 1, H_RAX, H_R11, -1, 1, 0);
    } else {                                /* STOS: from AL, AX, EAX */
        emit_linear_r11(x, S_ES, H_RDI, -1, 1, 0, a16, (unsigned)size);
        emit_mem(&x->e, fl, &store, 1, H_RAX, H_R11, -1, 1, 0);
    }
    if (src)
        step_index(x, H_RSI, size, a16);
    if (dst)
        step_index(x, H_RDI, size, a16);
}

/* ---- near branches ------------------------------------------------------- */

static void beyond_miss(struct xlat *x)
{
    emit_jmp(&x->e, x->tc->miss_stub);
}

/*
 * An indirect target with a 32-bit operand size, in a 64 KiB code segment,
 * may lie beyond the limit: the processor raises #GP(0) before the branch
 * changes anything, so the branch leaves for the emulator, which raises
 * it.  (In a 4 GiB segment the target is valid: indirect16 sends it to the
 * run loop, since the lookup key holds 16 bits of IP.)
 */
static void check_target(struct xlat *x)
{
    if (x->ins.operand_width != 16 && cs_64k(x->c))
        emit_if_beyond_16(x, H_R8, emit_exit_emulate);
}

/*
 * To the IP in r8d through the lookup table of 16-bit code, keyed by
 * IP | CS selector << 16 (the TU's own CS: near branches keep it); a miss
 * leaves with r8d = IP (tc->miss_stub).  Flags untouched, as emit_indirect.
 */
static void indirect16(struct xlat *x)
{
    if (x->ins.operand_width != 16 && !cs_64k(x->c) && !x->single)
        emit_if_beyond_16(x, H_R8, beyond_miss);
    emit_indirect_keyed(x, (uint32_t)x->c->seg[S_CS].sel << 16);
}

/* r8d := the target of an indirect CALL or JMP (zero-extended). */
static void load_target(struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    int w = x->ins.operand_width;
    if (t->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        if (w == 16) {
            static const uint8_t movzx[] = { 0x44, 0x0F, 0xB7 };    /* movzx r8d, r16 */
            emit_bytes(&x->e, movzx, sizeof movzx);
            emit_byte(&x->e, (uint8_t)(0xC0 | gpr_id(t->reg.value)));
        } else {
            emit_rr(&x->e, 0, 0x89, gpr_id(t->reg.value), H_R8);   /* mov r8d, r32 */
        }
        return;
    }
    static const uint8_t movzx[] = { 0x0F, 0xB7 }, mov = 0x8B;
    if (w == 16)
        emit_guest_mem(x, t, 0, movzx, 2, H_R8, 0);
    else
        emit_guest_mem(x, t, 0, &mov, 1, H_R8, 0);
}

static void call16(struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    int w = x->ins.operand_width;
    bool direct = t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    if (!direct) {
        load_target(x);
        check_target(x);
    }
    mov_imm(&x->e, H_R9, x->next_eip);
    push_reg(x, w, w / 8, H_R9);
    if (direct)
        emit_goto(x, xl_branch_target(x));
    else
        indirect16(x);
}

static void ret16(struct xlat *x)
{
    int w = x->ins.operand_width;
    uint32_t extra = x->ins.operand_count_visible ? (uint32_t)x->ops[0].imm.value.u : 0;
    load_top(x, w, 0);
    check_target(x);
    sp_add(x, w / 8 + (int32_t)extra);
    indirect16(x);
}

static void jmp16(struct xlat *x)
{
    if (x->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        emit_goto(x, xl_branch_target(x));
        return;
    }
    load_target(x);
    check_target(x);
    indirect16(x);
}

void xl_branch16(struct xlat *x)
{
    switch (x->ins.mnemonic) {
    case ZYDIS_MNEMONIC_CALL: call16(x); break;
    case ZYDIS_MNEMONIC_RET: ret16(x); break;
    default: jmp16(x); break;
    }
    x->ended = true;
}
