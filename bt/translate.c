/*
 * bt/translate.c - turning guest ring-0 code into host 64-bit code.
 *
 * One translation unit (TU) covers guest instructions from a start address
 * until an unconditional control transfer, a sensitive instruction, a page
 * boundary or BT_MAX_INSNS.  Conditional branches do not end it: the taken
 * side leaves through an exit stub, the fall-through goes on (a superblock).
 *
 * Each guest instruction is classified once (bt_classify, by mnemonic and
 * opcode) and handled by the translation routine of its class:
 *   copy     - copied byte for byte; an explicit memory operand gets GS and
 *              0x67 (and [disp32] becomes SIB-absolute, since mod=00 rm=101
 *              means RIP-relative in 64-bit mode)
 *   push/pop/call/ret/enter/leave/pusha/popa - rewritten through GS:[ESP]
 *   jmp/jcc/loop - exit stubs that are later patched into direct jumps
 *   string   - expanded into a loop over GS-based accesses
 *   cli/sti/cld/std - inline stores into struct vcpu
 *   emulate  - the TU ends with an exit; cpu/emulate.c carries it out
 *
 * Invariant that makes faults precise: within the host code of one guest
 * instruction, every host instruction that can fault comes before the first
 * one that changes guest-visible state.  A fault therefore always finds the
 * guest state of the start of that instruction (bt_host_fault maps it back).
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/bt.h"
#include "bt/tc.h"
#include "bt/emit.h"
#include "monitor/vm.h"
#include "monitor/trace.h"
#include "monitor/symbols.h"
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/shadow.h"
#include "cpu/exceptions.h"
#include "cpu/emulate.h"
#include "monitor/gdbstub.h"

enum kind {
    K_COPY = 0, K_EMULATE, K_PUSH, K_POP, K_PUSHA, K_POPA, K_CALL, K_RET,
    K_JMP, K_JCC, K_LOOP, K_STRING, K_CLI, K_STI, K_CLD, K_STD, K_LEAVE, K_ENTER,
    K_INCDEC_SHORT, K_COPY_ADDR16, K_LOOP_CX,
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
    int end_after;              /* >0: end the TU after this many more instructions (STI shadow) */
};

static void record_map(struct xlat *x, unsigned fix);

/* ---- classification ---------------------------------------------------- */

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
    /* Privileged or sensitive: the monitor must see them. */
    { ZYDIS_MNEMONIC_HLT, K_EMULATE }, { ZYDIS_MNEMONIC_IN, K_EMULATE },
    { ZYDIS_MNEMONIC_OUT, K_EMULATE }, { ZYDIS_MNEMONIC_INSB, K_EMULATE },
    { ZYDIS_MNEMONIC_INSW, K_EMULATE }, { ZYDIS_MNEMONIC_INSD, K_EMULATE },
    { ZYDIS_MNEMONIC_OUTSB, K_EMULATE }, { ZYDIS_MNEMONIC_OUTSW, K_EMULATE },
    { ZYDIS_MNEMONIC_OUTSD, K_EMULATE }, { ZYDIS_MNEMONIC_PUSHFD, K_EMULATE },
    { ZYDIS_MNEMONIC_PUSHF, K_EMULATE }, { ZYDIS_MNEMONIC_POPFD, K_EMULATE },
    { ZYDIS_MNEMONIC_POPF, K_EMULATE }, { ZYDIS_MNEMONIC_IRETD, K_EMULATE },
    { ZYDIS_MNEMONIC_IRET, K_EMULATE }, { ZYDIS_MNEMONIC_INT, K_EMULATE },
    { ZYDIS_MNEMONIC_INT3, K_EMULATE }, { ZYDIS_MNEMONIC_INTO, K_EMULATE },
    { ZYDIS_MNEMONIC_INT1, K_EMULATE }, { ZYDIS_MNEMONIC_BOUND, K_EMULATE },
    { ZYDIS_MNEMONIC_UD0, K_EMULATE }, { ZYDIS_MNEMONIC_UD1, K_EMULATE },
    { ZYDIS_MNEMONIC_UD2, K_EMULATE }, { ZYDIS_MNEMONIC_LGDT, K_EMULATE },
    { ZYDIS_MNEMONIC_LIDT, K_EMULATE }, { ZYDIS_MNEMONIC_SGDT, K_EMULATE },
    { ZYDIS_MNEMONIC_SIDT, K_EMULATE }, { ZYDIS_MNEMONIC_LLDT, K_EMULATE },
    { ZYDIS_MNEMONIC_SLDT, K_EMULATE }, { ZYDIS_MNEMONIC_LTR, K_EMULATE },
    { ZYDIS_MNEMONIC_STR, K_EMULATE }, { ZYDIS_MNEMONIC_LMSW, K_EMULATE },
    { ZYDIS_MNEMONIC_SMSW, K_EMULATE }, { ZYDIS_MNEMONIC_CLTS, K_EMULATE },
    { ZYDIS_MNEMONIC_INVLPG, K_EMULATE }, { ZYDIS_MNEMONIC_WBINVD, K_EMULATE },
    { ZYDIS_MNEMONIC_INVD, K_EMULATE }, { ZYDIS_MNEMONIC_RDMSR, K_EMULATE },
    { ZYDIS_MNEMONIC_WRMSR, K_EMULATE }, { ZYDIS_MNEMONIC_RDTSC, K_EMULATE },
    { ZYDIS_MNEMONIC_RDTSCP, K_EMULATE }, { ZYDIS_MNEMONIC_RDPMC, K_EMULATE },
    { ZYDIS_MNEMONIC_CPUID, K_EMULATE }, { ZYDIS_MNEMONIC_LAR, K_EMULATE },
    { ZYDIS_MNEMONIC_LSL, K_EMULATE }, { ZYDIS_MNEMONIC_VERR, K_EMULATE },
    { ZYDIS_MNEMONIC_VERW, K_EMULATE }, { ZYDIS_MNEMONIC_SYSENTER, K_EMULATE },
    { ZYDIS_MNEMONIC_SYSEXIT, K_EMULATE }, { ZYDIS_MNEMONIC_SYSCALL, K_EMULATE },
    { ZYDIS_MNEMONIC_SYSRET, K_EMULATE }, { ZYDIS_MNEMONIC_MONITOR, K_EMULATE },
    { ZYDIS_MNEMONIC_MWAIT, K_EMULATE }, { ZYDIS_MNEMONIC_XSETBV, K_EMULATE },
    { ZYDIS_MNEMONIC_XGETBV, K_EMULATE }, { ZYDIS_MNEMONIC_RSM, K_EMULATE },
    /* No 64-bit form: same meaning, but the host would decode something else. */
    { ZYDIS_MNEMONIC_DAA, K_EMULATE }, { ZYDIS_MNEMONIC_DAS, K_EMULATE },
    { ZYDIS_MNEMONIC_AAA, K_EMULATE }, { ZYDIS_MNEMONIC_AAS, K_EMULATE },
    { ZYDIS_MNEMONIC_AAM, K_EMULATE }, { ZYDIS_MNEMONIC_AAD, K_EMULATE },
    { ZYDIS_MNEMONIC_ARPL, K_EMULATE }, { ZYDIS_MNEMONIC_LDS, K_EMULATE },
    { ZYDIS_MNEMONIC_LES, K_EMULATE }, { ZYDIS_MNEMONIC_LFS, K_EMULATE },
    { ZYDIS_MNEMONIC_LGS, K_EMULATE }, { ZYDIS_MNEMONIC_LSS, K_EMULATE },
    { ZYDIS_MNEMONIC_SALC, K_EMULATE }, { ZYDIS_MNEMONIC_PUSHA, K_EMULATE },
    { ZYDIS_MNEMONIC_POPA, K_EMULATE },
};

static uint8_t kind_of_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static void classify_init(void)
{
    static bool done;
    if (done)
        return;
    for (size_t i = 0; i < sizeof kind_table / sizeof kind_table[0]; i++)
        kind_of_mnemonic[kind_table[i].m] = kind_table[i].kind;
    done = true;
}

static bool is_string_opcode(const ZydisDecodedInstruction *ins)
{
    return ins->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && ins->opcode >= 0xA4 &&
           ins->opcode <= 0xAF && ins->opcode != 0xA8 && ins->opcode != 0xA9;
}

/* ---- helpers ----------------------------------------------------------- */

static int gpr_id(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_NONE ? -1 : ZydisRegisterGetId(r);
}

static int seg_index(ZydisRegister r)
{
    switch (r) {
    case ZYDIS_REGISTER_ES: return S_ES;
    case ZYDIS_REGISTER_CS: return S_CS;
    case ZYDIS_REGISTER_SS: return S_SS;
    case ZYDIS_REGISTER_FS: return S_FS;
    case ZYDIS_REGISTER_GS: return S_GS;
    default: return S_DS;
    }
}

/* Can accesses through this segment use the kernel view's GS base as it is?
 * ES, SS, DS and CS with base 0 can (bt_segment_key guards the assumption);
 * FS and GS, and any segment with a base, need the base put in GS first. */
static bool seg_is_static(const struct vcpu *c, int s)
{
    return s != S_FS && s != S_GS && c->seg[s].base == 0;
}

/* GS base := [r15 + off], through r11: `mov r11, [r15+off]; wrgsbase r11`
 * (F3 REX.W+B 0F AE /3, unprivileged with CR4.FSGSBASE). */
static void emit_set_gsbase(struct emit *e, int off)
{
    static const uint8_t mov = 0x8B;
    static const uint8_t wrgsbase[] = { 0xF3, 0x49, 0x0F, 0xAE, 0xDB };
    emit_mem(e, EM_W, &mov, 1, H_R11, H_R15, -1, 1, off);
    emit_bytes(e, wrgsbase, sizeof wrgsbase);
}

/* Around an access through a segment with a base: GS = kview + base. */
static void seg_enter(struct xlat *x, int s)
{
    if (!seg_is_static(x->c, s))
        emit_set_gsbase(&x->e, VCPU_OFF_SEGBASE + 8 * s);
}

static void seg_leave(struct xlat *x, int s)
{
    if (!seg_is_static(x->c, s))
        emit_set_gsbase(&x->e, VCPU_OFF_KVIEW);
}

/* The (first) explicit memory operand of the instruction, or NULL. */
static const ZydisDecodedOperand *mem_operand(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++)
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            x->ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
            return &x->ops[i];
    return NULL;
}

/* Emit `op reg, <the guest's memory operand>` through GS, with disp_adj
 * added to the displacement (POP m32 addresses memory after ESP moved). */
static void emit_guest_mem(struct xlat *x, const ZydisDecodedOperand *m, unsigned fl,
                           const uint8_t *op, int oplen, int reg, int32_t disp_adj)
{
    int base = gpr_id(m->mem.base), index = gpr_id(m->mem.index);
    emit_mem(&x->e, fl | EM_GS | EM_A32, op, oplen, reg, base, index,
             m->mem.scale ? m->mem.scale : 1, (int32_t)m->mem.disp.value + disp_adj);
}

/* mov r8d/r8w, <guest memory operand> */
static void emit_load_guest_mem_r8(struct xlat *x, const ZydisDecodedOperand *m, int width)
{
    static const uint8_t mov = 0x8B;
    int s = seg_index(m->mem.segment);
    seg_enter(x, s);
    emit_guest_mem(x, m, width == 16 ? EM_O16 : 0, &mov, 1, H_R8, 0);
    seg_leave(x, s);
}

/* mov gs:[esp + disp], reg  (width 16 or 32) */
static void emit_store_stack(struct emit *e, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x89;
    emit_mem(e, EM_GS | EM_A32 | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

static void emit_load_stack(struct emit *e, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x8B;
    emit_mem(e, EM_GS | EM_A32 | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

/* lea r32, [base + disp]: moves a pointer without touching the flags. */
static void emit_lea(struct emit *e, int reg, int base, int32_t disp)
{
    static const uint8_t lea = 0x8D;
    emit_mem(e, EM_A32, &lea, 1, reg, base, -1, 1, disp);
}

static void emit_exit(struct xlat *x, uint32_t eip, enum bt_exit why)
{
    emit_ctx_store_imm32(&x->e, VCPU_OFF_EIP, eip);
    emit_ctx_store_imm32(&x->e, VCPU_OFF_REASON, why);
    emit_jmp(&x->e, x->tc->exit_tramp);
}

/* A direct branch to guest eip `target`: a jump to an exit stub for now. */
static void add_stub(struct xlat *x, uint8_t *site, uint32_t target)
{
    x->stubs[x->nstubs].site = site;
    x->stubs[x->nstubs].target = target;
    x->nstubs++;
}

static void emit_goto(struct xlat *x, uint32_t target)
{
    add_stub(x, emit_jmp(&x->e, x->e.p), target);
}

/*
 * Indirect branch to the guest EIP in r8d, without touching the guest's
 * flags: the table slot is eip & 0xFFFF (movzx), the key compare is done as
 * ecx = key + ~target + 1 with LEA and tested with JRCXZ.
 */
static void emit_indirect(struct xlat *x)
{
    struct emit *e = &x->e;
    static const uint8_t seq1[] = {
        0x45, 0x0F, 0xB7, 0xC8,             /* movzx r9d, r8w */
        0x49, 0x89, 0xCA,                   /* mov r10, rcx */
        0x43, 0x8B, 0x0C, 0x8E,             /* mov ecx, [r14 + r9*4] */
        0x45, 0x89, 0xC3,                   /* mov r11d, r8d */
        0x41, 0xF7, 0xD3,                   /* not r11d */
        0x42, 0x8D, 0x4C, 0x19, 0x01,       /* lea ecx, [rcx + r11 + 1] */
        0xE3, 0x08,                         /* jrcxz hit (over the next 8 bytes) */
        0x4C, 0x89, 0xD1,                   /* mov rcx, r10 */
    };
    emit_bytes(e, seq1, sizeof seq1);
    emit_jmp(e, x->tc->miss_stub);          /* 5 bytes: miss (r8d = target) */
    static const uint8_t seq2[] = {
        0x4C, 0x89, 0xD1,                   /* hit: mov rcx, r10 */
        0x43, 0xFF, 0xA4, 0xCE,             /* jmp [r14 + r9*8 + TC_LOOKUP_CODE_OFF] */
    };
    emit_bytes(e, seq2, sizeof seq2);
    emit_u32(e, TC_LOOKUP_CODE_OFF);
}

/* Stop the guest with a report naming the instruction being translated. */
static void xl_unsupported(struct xlat *x, const char *what)
{
    x->c->eip = x->eip;
    vm_unsupported(x->vm, what);
}

static bool is_adaptive(const struct tc *tc, uint32_t eip)
{
    for (uint32_t i = 0, h = (eip * 2654435761u) % TC_ADAPT_SLOTS; i < TC_ADAPT_SLOTS;
         i++, h = (h + 1) % TC_ADAPT_SLOTS) {
        if (tc->adaptive[h] == eip + 1)
            return true;
        if (tc->adaptive[h] == 0)
            return false;
    }
    return false;
}

static enum kind classify(struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    if (is_adaptive(x->tc, x->eip) && emulate_supports(ins->mnemonic))
        return K_EMULATE;       /* adaptive: keeps writing guest page tables */
    if (ins->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
        return K_EMULATE;                   /* VEX/EVEX/XOP/3DNow!: not in our CPU model */
    if (ins->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
        return K_EMULATE;
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
    if (m && m->mem.type == ZYDIS_MEMOP_TYPE_MEM &&
        !bt_seg_unlimited(&x->c->seg[seg_index(m->mem.segment)]) &&
        emulate_supports(ins->mnemonic))
        return K_EMULATE;
    if (is_string_opcode(ins))
        return K_STRING;
    if (ins->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && ins->opcode >= 0x40 && ins->opcode <= 0x4F)
        return K_INCDEC_SHORT;
    enum kind k = kind_of_mnemonic[ins->mnemonic];
    if (ins->address_width == 16) {   /* 0x67: 16-bit addressing, CX as counter */
        if (k == K_LOOP)
            return K_LOOP_CX;
        return k == K_COPY && m && (ins->attributes & ZYDIS_ATTRIB_HAS_MODRM) ? K_COPY_ADDR16
                                                                          : K_EMULATE;
    }
    /* Near branches with a 16-bit operand size truncate EIP: rare, emulated. */
    if ((k == K_CALL || k == K_RET || k == K_JMP || k == K_JCC || k == K_LOOP) &&
        ins->operand_width == 16)
        return K_EMULATE;
    if (k == K_ENTER && x->ops[1].imm.value.u != 0)
        return K_EMULATE;                   /* nesting level > 0 */
    return k;
}

/* ---- translation of each class ------------------------------------------ */

/* 0x82 is an alias of 0x80 that 64-bit mode does not have: rewrite the
 * opcode byte in the fetched copy before it is emitted. */
static void alias_0x82(struct xlat *x)
{
    if (x->ins.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && x->ins.opcode == 0x82)
        x->bytes[x->ins.raw.prefix_count] = 0x80;
}

/* Copy the instruction; give its memory operand GS and a 32-bit address. */
static void xl_copy(struct xlat *x)
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
static void xl_copy_addr16(struct xlat *x)
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
static void xl_incdec_short(struct xlat *x)
{
    uint8_t op = x->ins.opcode;
    if (x->ins.operand_width == 16)
        emit_byte(&x->e, 0x66);
    emit_byte(&x->e, 0xFF);
    emit_byte(&x->e, (uint8_t)(0xC0 | ((op >= 0x48) << 3) | (op & 7)));
}

static void xl_push(struct xlat *x)
{
    int w = x->ins.operand_width;
    int sz = w / 8;
    const ZydisDecodedOperand *src = &x->ops[0];
    if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        emit_store_stack(&x->e, w, gpr_id(src->reg.value), -sz);
    } else if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        static const uint8_t movi = 0xC7;
        emit_mem(&x->e, EM_GS | EM_A32 | (w == 16 ? EM_O16 : 0), &movi, 1, 0, H_RSP, -1, 1, -sz);
        if (w == 16)
            emit_u16(&x->e, (uint16_t)src->imm.value.u);
        else
            emit_u32(&x->e, (uint32_t)src->imm.value.u);
    } else {
        /* The operand is read with the old ESP, as the processor does. */
        emit_load_guest_mem_r8(x, src, w);
        emit_store_stack(&x->e, w, H_R8, -sz);
    }
    emit_lea(&x->e, H_RSP, H_RSP, -sz);
}

static void xl_pop(struct xlat *x)
{
    int w = x->ins.operand_width;
    int sz = w / 8;
    const ZydisDecodedOperand *dst = &x->ops[0];
    if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int r = gpr_id(dst->reg.value);
        emit_load_stack(&x->e, w, r, 0);
        if (r != R_ESP)                     /* POP ESP: ESP is the value popped */
            emit_lea(&x->e, H_RSP, H_RSP, sz);
        return;
    }
    /* POP m: the address is computed with ESP already incremented. */
    emit_load_stack(&x->e, w, H_R8, 0);
    int adj = gpr_id(dst->mem.base) == R_ESP ? sz : 0;
    static const uint8_t mov = 0x89;
    if (!seg_is_static(x->c, seg_index(dst->mem.segment))) {
        xl_unsupported(x, "POP to memory through a segment with a base");
        return;
    }
    emit_guest_mem(x, dst, w == 16 ? EM_O16 : 0, &mov, 1, H_R8, adj);
    emit_lea(&x->e, H_RSP, H_RSP, sz);
}

static void xl_pusha(struct xlat *x)
{
    /* EAX is pushed first (highest address), EDI last; ESP as it was. */
    for (int r = 0; r < 8; r++)
        emit_store_stack(&x->e, 32, r, -4 * (r + 1));
    emit_lea(&x->e, H_RSP, H_RSP, -32);
}

static void xl_popa(struct xlat *x)
{
    /* Touch both ends first: the 32 bytes span at most two pages, so after
     * these two loads nothing below can fault with registers half-loaded. */
    emit_load_stack(&x->e, 32, H_R8, 28);
    emit_load_stack(&x->e, 32, H_R8, 0);
    for (int r = 7; r >= 0; r--)
        if (r != R_ESP)
            emit_load_stack(&x->e, 32, r, 4 * (7 - r));
    emit_lea(&x->e, H_RSP, H_RSP, 32);
}

static void xl_call(struct xlat *x)
{
    const ZydisDecodedOperand *t = &x->ops[0];
    static const uint8_t movi = 0xC7;
    if (t->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        uint32_t target = x->next_eip + (uint32_t)t->imm.value.s;
        emit_mem(&x->e, EM_GS | EM_A32, &movi, 1, 0, H_RSP, -1, 1, -4);
        emit_u32(&x->e, x->next_eip);
        emit_lea(&x->e, H_RSP, H_RSP, -4);
        emit_goto(x, target);
    } else {
        if (t->type == ZYDIS_OPERAND_TYPE_REGISTER)
            emit_rr(&x->e, 0, 0x89, gpr_id(t->reg.value), H_R8);   /* mov r8d, reg */
        else
            emit_load_guest_mem_r8(x, t, 32);
        emit_mem(&x->e, EM_GS | EM_A32, &movi, 1, 0, H_RSP, -1, 1, -4);
        emit_u32(&x->e, x->next_eip);
        emit_lea(&x->e, H_RSP, H_RSP, -4);
        emit_indirect(x);
    }
    x->ended = true;
}

static void xl_ret(struct xlat *x)
{
    uint32_t extra = x->ins.operand_count_visible ? (uint32_t)x->ops[0].imm.value.u : 0;
    emit_load_stack(&x->e, 32, H_R8, 0);
    emit_lea(&x->e, H_RSP, H_RSP, 4 + (int32_t)extra);
    emit_indirect(x);
    x->ended = true;
}

static void xl_jmp(struct xlat *x)
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

static void xl_jcc(struct xlat *x)
{
    int cc = x->ins.opcode & 0xF;           /* 0x7x or 0x0F 0x8x */
    uint32_t target = x->next_eip + (uint32_t)x->ops[0].imm.value.s;
    add_stub(x, emit_jcc(&x->e, cc, x->e.p), target);
}

/* LOOP/LOOPE/LOOPNE/JECXZ: with 0x67 the host uses ECX, as the guest does. */
static void xl_loop(struct xlat *x)
{
    uint32_t target = x->next_eip + (uint32_t)x->ops[0].imm.value.s;
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
static void xl_loop_cx(struct xlat *x)
{
    struct emit *e = &x->e;
    uint32_t target = x->next_eip + (uint32_t)x->ops[0].imm.value.s;
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

static void xl_leave(struct xlat *x)
{
    static const uint8_t mov = 0x8B;
    emit_mem(&x->e, EM_GS | EM_A32, &mov, 1, H_R8, H_RBP, -1, 1, 0);  /* mov r8d, [ebp] */
    emit_lea(&x->e, H_RSP, H_RBP, 4);
    emit_rr(&x->e, 0, 0x89, H_R8, H_RBP);                              /* mov ebp, r8d */
}

static void xl_enter(struct xlat *x)
{
    uint32_t size = (uint32_t)x->ops[0].imm.value.u;
    emit_store_stack(&x->e, 32, H_RBP, -4);
    emit_lea(&x->e, H_RBP, H_RSP, -4);
    emit_lea(&x->e, H_RSP, H_RSP, -4 - (int32_t)size);
}

/*
 * REP MOVS and REP STOS through flat segments run as the host's own REP
 * MOVS/STOS on host pointers (kview + ESI/EDI), which keeps the processor's
 * fast block copy.  DF is made the guest's for the duration.  A fault in the
 * middle leaves RSI/RDI/RCX exactly where the copy stopped; the map entry's
 * TU_FIX_* flags tell the signal handler to turn them back into offsets.
 */
static void xl_string_native(struct xlat *x, bool movs)
{
    struct emit *e = &x->e;
    static const uint8_t enter[] = {
        0x4D, 0x8B, 0x4F, VCPU_OFF_KVIEW,   /* mov r9, [r15+kview] */
        0x4A, 0x8D, 0x3C, 0x0F,             /* lea rdi, [rdi+r9] */
    };
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

/*
 * String instructions.  The step (+1/-1 for DF) is in vcpu->str_step; the
 * loop keeps ESI/EDI/ECX exact after every element, so a fault in the middle
 * of a REP leaves the registers as the processor would.
 */
static void xl_string(struct xlat *x)
{
    struct emit *e = &x->e;
    uint8_t op = x->ins.opcode;
    int w = (op & 1) ? x->ins.operand_width : 8;
    int size = w / 8;
    unsigned o16 = w == 16 ? EM_O16 : 0;
    unsigned byte = w == 8;
    bool rep = x->ins.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
    bool cond = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
    int src_seg = (x->ins.attributes & ZYDIS_ATTRIB_HAS_SEGMENT) ? seg_index(x->ops[1].mem.segment) : S_DS;
    bool movs = (op & ~1) == 0xA4, stos = (op & ~1) == 0xAA;
    if (rep && (stos || (movs && seg_is_static(x->c, src_seg))) && seg_is_static(x->c, S_ES)) {
        xl_string_native(x, movs);
        return;
    }
    if (!seg_is_static(x->c, S_ES) && op != 0xAC && op != 0xAD) {
        xl_unsupported(x, "string instruction with a non-zero ES base");
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
    unsigned fl = o16 | (byte ? EM_BYTE_REX : 0);
    switch (op & ~1) {
    case 0xA4:  /* movs: [esi] -> [edi] */
        seg_enter(x, src_seg);
        emit_mem(e, fl | EM_GS | EM_A32, &ld, 1, H_R8, H_RSI, -1, 1, 0);
        seg_leave(x, src_seg);
        emit_mem(e, fl | EM_GS | EM_A32, &st, 1, H_R8, H_RDI, -1, 1, 0);
        break;
    case 0xA6:  /* cmps: flags of [esi] - [edi] */
        seg_enter(x, src_seg);
        emit_mem(e, fl | EM_GS | EM_A32, &ld, 1, H_R8, H_RSI, -1, 1, 0);
        seg_leave(x, src_seg);
        emit_mem(e, fl | EM_GS | EM_A32, &cmp, 1, H_R8, H_RDI, -1, 1, 0);
        break;
    case 0xAA:  /* stos: eax -> [edi] */
        emit_mem(e, o16 | EM_GS | EM_A32, &st, 1, H_RAX, H_RDI, -1, 1, 0);
        break;
    case 0xAC:  /* lods: [esi] -> eax */
        seg_enter(x, src_seg);
        emit_mem(e, o16 | EM_GS | EM_A32, &ld, 1, H_RAX, H_RSI, -1, 1, 0);
        seg_leave(x, src_seg);
        break;
    case 0xAE:  /* scas: flags of eax - [edi] */
        emit_mem(e, o16 | EM_GS | EM_A32, &cmp, 1, H_RAX, H_RDI, -1, 1, 0);
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

static void xl_emulate(struct xlat *x)
{
    emit_exit(x, x->eip, EXIT_EMULATE);
    x->ended = true;
}

/* ---- the TU loop -------------------------------------------------------- */

static const ZydisDecoder *decoder(void)
{
    static ZydisDecoder d;
    static bool init;
    if (!init) {
        ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
        init = true;
    }
    return &d;
}

/* Fetch and decode the instruction at x->eip.  0 ok; -1 fetch fault (f set);
 * -2 undecodable. */
static int fetch_decode(struct xlat *x, uint32_t *pa, struct mmu_fault *f)
{
    struct vcpu *c = x->c;
    x->lin = c->seg[S_CS].base + x->eip;
    if (mmu_translate(c, x->lin, ACC_READ, pa, f) != MMU_OK)
        return -1;
    /* Read up to 15 bytes, stopping short at a page we cannot read. */
    uint32_t n = 15;
    memset(x->bytes, 0, sizeof x->bytes);
    if (mmu_read(c, x->lin, x->bytes, n, ACC_READ, NULL) != MMU_OK) {
        n = GUEST_PAGE_SIZE - (x->lin & (GUEST_PAGE_SIZE - 1));
        if (n > 15)
            n = 15;
        mmu_read(c, x->lin, x->bytes, n, ACC_READ, NULL);
    }
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(decoder(), x->bytes, n, &x->ins, x->ops)))
        return -2;
    x->next_eip = x->eip + x->ins.length;
    return 0;
}

static void translate_one(struct xlat *x, enum kind k)
{
    switch (k) {
    case K_COPY: xl_copy(x); break;
    case K_INCDEC_SHORT: xl_incdec_short(x); break;
    case K_COPY_ADDR16: xl_copy_addr16(x); break;
    case K_LOOP_CX: xl_loop_cx(x); break;
    case K_PUSH: xl_push(x); break;
    case K_POP: xl_pop(x); break;
    case K_PUSHA: xl_pusha(x); break;
    case K_POPA: xl_popa(x); break;
    case K_CALL: xl_call(x); break;
    case K_RET: xl_ret(x); break;
    case K_JMP: xl_jmp(x); break;
    case K_JCC: xl_jcc(x); break;
    case K_LOOP: xl_loop(x); break;
    case K_LEAVE: xl_leave(x); break;
    case K_ENTER: xl_enter(x); break;
    case K_STRING: xl_string(x); break;
    case K_EMULATE: xl_emulate(x); break;
    case K_CLI: {
        static const uint8_t op = 0xC6;     /* mov byte [r15+vif], 0 */
        emit_mem(&x->e, 0, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_VIF);
        emit_byte(&x->e, 0);
        break;
    }
    case K_STI: {
        static const uint8_t op = 0xC6;
        emit_mem(&x->e, 0, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_VIF);
        emit_byte(&x->e, 1);
        /* Interrupts are recognised after the next instruction (the STI
         * shadow): end the TU there, and look at the "any event" page. */
        x->end_after = 2;
        break;
    }
    case K_CLD:
    case K_STD: {
        static const uint8_t op = 0xC7;     /* mov qword [r15+str_step], +-1 */
        emit_mem(&x->e, EM_W, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_STR_STEP);
        emit_u32(&x->e, k == K_CLD ? 1u : 0xFFFFFFFFu);
        break;
    }
    }
}

static void record_map(struct xlat *x, unsigned fix)
{
    struct tc *tc = x->tc;
    if (tc->nmap < TC_MAX_MAP) {
        tc->map[tc->nmap].host_off = (uint32_t)(x->e.p - x->tu->code);
        tc->map[tc->nmap].eip = x->eip;
        tc->map[tc->nmap].fix = (uint8_t)fix;
        tc->nmap++;
        x->tu->ninsn++;
    }
}

static void record_insn(struct xlat *x)
{
    record_map(x, 0);
}

static void emit_stubs(struct xlat *x)
{
    for (int i = 0; i < x->nstubs; i++) {
        uint8_t *stub = x->e.p;
        emit_ctx_store_imm32(&x->e, VCPU_OFF_EIP, x->stubs[i].target);
        /* mov r8, site ; mov [r15+exit_arg], r8 */
        emit_byte(&x->e, 0x49);
        emit_byte(&x->e, 0xB8);
        emit_u64(&x->e, (uint64_t)(uintptr_t)x->stubs[i].site);
        static const uint8_t st[] = { 0x4D, 0x89, 0x47, VCPU_OFF_EXIT_ARG };
        emit_bytes(&x->e, st, sizeof st);
        emit_ctx_store_imm32(&x->e, VCPU_OFF_REASON, EXIT_LINK);
        emit_jmp(&x->e, x->tc->exit_tramp);
        if (!x->e.overflow)
            patch_rel32(x->stubs[i].site, stub);
    }
}

/* Translate at the current CS:EIP into a new TU.  Returns NULL when the TC
 * is full (caller flushes and retries) or the first fetch faulted (the
 * exception has been raised: *raised = true). */
static struct tu *translate(struct vm *vm, bool single, bool *raised)
{
    struct tc *tc = vm->tc;
    struct vcpu *c = &vm->cpu;
    struct xlat x = { .vm = vm, .c = c, .tc = tc };
    *raised = false;
    if (tc->free + 4096 + BT_MAX_INSNS * 160 > tc->end || tc->ntus + 1 >= TC_MAX_TUS ||
        tc->nmap + BT_MAX_INSNS >= TC_MAX_MAP)
        return NULL;
    x.tu = tc_alloc(tc);
    x.tu->code = tc->free;
    x.tu->map_first = tc->nmap;
    x.e = (struct emit){ tc->free, tc->end, false };
    x.eip = c->eip;
    uint32_t first_pa = 0, max = single ? 1 : BT_MAX_INSNS;

    for (uint32_t n = 0; n < max && !x.ended; n++) {
        uint32_t pa;
        struct mmu_fault f;
        int r = fetch_decode(&x, &pa, &f);
        if (n == 0) {
            if (r == -1) {
                tc->nmap = x.tu->map_first;
                c->cr2 = f.cr2;
                cpu_raise(c, EXC_PF, f.error);
                *raised = true;
                return NULL;
            }
            x.tu->lin = x.lin;
            x.tu->eip = x.eip;
            x.tu->page[0] = x.tu->page[1] = pa & ~(GUEST_PAGE_SIZE - 1);
            first_pa = pa;
            record_insn(&x);
            /* Every TU starts by looking at the "deliverable interrupt" page. */
            static const uint8_t poll[] = { 0x45, 0x8A, 0x45, 0x00 };  /* mov r8b, [r13] */
            emit_bytes(&x.e, poll, sizeof poll);
        } else {
            /* Stop at a fault, an undecodable instruction or a new page: the
             * next TU will meet it as its first instruction. */
            if (r != 0 || (pa & ~(GUEST_PAGE_SIZE - 1)) != (first_pa & ~(GUEST_PAGE_SIZE - 1))) {
                emit_goto(&x, x.eip);
                x.ended = true;
                break;
            }
            record_insn(&x);
        }
        /* A debugger breakpoint: leave before the instruction (not for the
         * first instruction of a single step, which resumes from one). */
        if (vm->gdb && !(single && n == 0) && gdb_breakpoint_at(vm, x.lin)) {
            emit_exit(&x, x.eip, EXIT_DEBUG);
            x.ended = true;
            break;
        }
        if (r == -2) {                      /* let the emulator raise #UD or report */
            xl_emulate(&x);
            break;
        }
        /* An instruction that straddles a page boundary covers both pages. */
        uint32_t last_lin = x.lin + x.ins.length - 1, last_pa;
        if (((last_lin ^ x.lin) & ~(GUEST_PAGE_SIZE - 1)) &&
            mmu_translate(c, last_lin, ACC_READ | ACC_NOSET, &last_pa, NULL) == MMU_OK)
            x.tu->page[1] = last_pa & ~(GUEST_PAGE_SIZE - 1);
        enum kind k = classify(&x);
        translate_one(&x, k);
        if (vm->stop)
            return NULL;
        x.tu->guest_len = x.next_eip - x.tu->eip;
        vm->stats.bt_guest_insns++;
        x.eip = x.next_eip;
        if (x.end_after && --x.end_after == 0 && !x.ended) {
            /* After the STI shadow: if anything is pending, leave here. */
            x.lin = c->seg[S_CS].base + x.eip;
            record_insn(&x);
            static const uint8_t poll_any[] = { 0x45, 0x8A, 0x04, 0x24 };  /* mov r8b, [r12] */
            emit_bytes(&x.e, poll_any, sizeof poll_any);
            emit_goto(&x, x.eip);
            x.ended = true;
        }
    }
    if (!x.ended) {
        if (single) {
            emit_exit(&x, x.eip, EXIT_STEP);
        } else {
            /* Fell off the instruction limit, or the last insn was a jcc. */
            emit_goto(&x, x.eip);
        }
    }
    emit_stubs(&x);
    if (x.e.overflow) {
        tc->nmap = x.tu->map_first;
        return NULL;
    }
    x.tu->code_len = (uint32_t)(x.e.p - x.tu->code);
    tc->free = (uint8_t *)(((uintptr_t)x.e.p + 15) & ~(uintptr_t)15);
    vm->stats.bt_tc_bytes += x.tu->code_len;
    return x.tu;
}

void *bt_find_or_translate(struct vm *vm, bool single)
{
    struct vcpu *c = &vm->cpu;
    struct tc *tc = vm->tc;
    classify_init();
    uint64_t key = bt_segment_key(c);
    if (key != tc->seg_key)
        bt_flush(vm, "segment bases changed");
    uint32_t lin = c->seg[S_CS].base + c->eip;
    if (!single) {
        struct tu *tu = tc_find(tc, lin);
        if (tu)
            return tu->code;
    }
    bool raised;
    struct tu *tu = translate(vm, single, &raised);
    if (!tu && !raised && !vm->stop) {
        bt_flush(vm, "translation cache full");
        tu = translate(vm, single, &raised);
    }
    if (!tu)
        return NULL;
    tc_insert(tc, tu);
    if (single) {
        /* Not findable: it runs once, on a page that is being written. */
        tu->valid = false;
        tu->lin = ~0u;
    } else {
        vm->stats.bt_blocks++;
        shadow_code_page(vm, tu->page[0], true);
        if (tu->page[1] != tu->page[0])
            shadow_code_page(vm, tu->page[1], true);
        bt_lookup_install(vm, tu->eip, tu->code);
    }
    if (vm->opt.trace) {
        uint8_t code[BT_MAX_INSNS * 15];
        uint32_t n = tu->guest_len < sizeof code ? tu->guest_len : sizeof code;
        mmu_read(c, tu->lin == ~0u ? lin : tu->lin, code, n, ACC_READ | ACC_NOSET, NULL);
        fprintf(stderr, "[bt] TU #%u eip=%08x %u insns, %u host bytes%s\n", tc->ntus - 1,
                tu->eip, tu->ninsn, tu->code_len, single ? " (single step)" : "");
        trace_disasm(stderr, vm->syms, lin, code, n, BT_MAX_INSNS);
    }
    return tu->code;
}

bool bt_trace_fault(struct vm *vm, uint32_t eip)
{
    struct tc *tc = vm->tc;
    uint32_t h = (eip * 2654435761u) % TC_ADAPT_SLOTS;
    if (tc->trace_count[h].eip != eip) {
        tc->trace_count[h].eip = eip;
        tc->trace_count[h].count = 0;
    }
    if (++tc->trace_count[h].count < TC_ADAPT_AFTER || is_adaptive(tc, eip))
        return false;
    /* Can the emulator do it?  Then retranslate it as an exit. */
    struct xlat x = { .vm = vm, .c = &vm->cpu, .tc = tc, .eip = eip };
    uint32_t pa;
    struct mmu_fault f;
    if (fetch_decode(&x, &pa, &f) != 0 || !emulate_supports(x.ins.mnemonic))
        return false;
    for (uint32_t i = 0, s = h; i < TC_ADAPT_SLOTS; i++, s = (s + 1) % TC_ADAPT_SLOTS)
        if (tc->adaptive[s] == 0) {
            tc->adaptive[s] = eip + 1;
            break;
        }
    bt_invalidate_page(vm, pa);
    vm->stats.bt_adaptive++;
    return true;
}
