/*
 * bt/xl_helpers.c - emitting the host instructions every translation class
 * shares: guest memory operands through GS (and segment bases through
 * wrgsbase), stack slots, exits to the monitor, exit stubs and the
 * flag-preserving indirect-branch lookup.
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "monitor/vm.h"
#include "cpu/emulate.h"

/* ---- helpers ----------------------------------------------------------- */

int gpr_id(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_NONE ? -1 : ZydisRegisterGetId(r);
}

int seg_index(ZydisRegister r)
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
bool seg_is_static(const struct vcpu *c, int s)
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

/*
 * Around an access through a segment with a base: GS = xview + base.
 * FS and GS are not part of the translation key (their bases and limits
 * change at every guest context switch), so their limit is checked at run
 * time: the access first reads one byte of vcpu->seglimit_guard[], a page
 * that the run loop makes unreadable while that segment has a limit; the
 * fault sends this one instruction to the emulator, which checks it (only
 * for instructions the emulator knows; others go unchecked).
 */
void seg_enter(struct xlat *x, int s)
{
    if ((s == S_FS || s == S_GS) && emulate_supports(x->ins.mnemonic)) {
        static const uint8_t mov = 0x8B, movb = 0x8A;
        emit_mem(&x->e, EM_W, &mov, 1, H_R11, H_R15, -1, 1,
                 VCPU_OFF_SEGLIMIT + (s == S_GS ? 8 : 0));       /* mov r11, [r15+guard] */
        emit_mem(&x->e, 0, &movb, 1, H_R11, H_R11, -1, 1, 0);    /* mov r11b, [r11] */
    }
    if (!seg_is_static(x->c, s))
        emit_set_gsbase(&x->e, VCPU_OFF_SEGBASE + 8 * s);
}

void seg_leave(struct xlat *x, int s)
{
    if (!seg_is_static(x->c, s))
        emit_set_gsbase(&x->e, VCPU_OFF_XVIEW);
}

/* The (first) explicit memory operand of the instruction, or NULL. */
const ZydisDecodedOperand *mem_operand(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++)
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            x->ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
            return &x->ops[i];
    return NULL;
}

/* Emit `op reg, <the guest's memory operand>` through GS, with disp_adj
 * added to the displacement (POP m32 addresses memory after ESP moved). */
void emit_guest_mem(struct xlat *x, const ZydisDecodedOperand *m, unsigned fl,
                           const uint8_t *op, int oplen, int reg, int32_t disp_adj)
{
    int base = gpr_id(m->mem.base), index = gpr_id(m->mem.index);
    emit_mem(&x->e, fl | EM_GS | EM_A32, op, oplen, reg, base, index,
             m->mem.scale ? m->mem.scale : 1, (int32_t)m->mem.disp.value + disp_adj);
}

/* mov r8d/r8w, <guest memory operand> */
void emit_load_guest_mem_r8(struct xlat *x, const ZydisDecodedOperand *m, int width)
{
    static const uint8_t mov = 0x8B;
    int s = seg_index(m->mem.segment);
    seg_enter(x, s);
    emit_guest_mem(x, m, width == 16 ? EM_O16 : 0, &mov, 1, H_R8, 0);
    seg_leave(x, s);
}

/* mov gs:[esp + disp], reg  (width 16 or 32) */
void emit_store_stack(struct emit *e, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x89;
    emit_mem(e, EM_GS | EM_A32 | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

void emit_load_stack(struct emit *e, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x8B;
    emit_mem(e, EM_GS | EM_A32 | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

/* lea r32, [base + disp]: moves a pointer without touching the flags. */
void emit_lea(struct emit *e, int reg, int base, int32_t disp)
{
    static const uint8_t lea = 0x8D;
    emit_mem(e, EM_A32, &lea, 1, reg, base, -1, 1, disp);
}

void emit_exit(struct xlat *x, uint32_t eip, enum bt_exit why)
{
    emit_ctx_store_imm32(&x->e, VCPU_OFF_EIP, eip);
    emit_ctx_store_imm32(&x->e, VCPU_OFF_REASON, why);
    emit_jmp(&x->e, x->tc->exit_tramp);
}

/* A direct branch to guest eip `target`: a jump to an exit stub for now. */
void add_stub(struct xlat *x, uint8_t *site, uint32_t target)
{
    x->stubs[x->nstubs].site = site;
    x->stubs[x->nstubs].target = target;
    x->nstubs++;
}

void emit_goto(struct xlat *x, uint32_t target)
{
    add_stub(x, emit_jmp(&x->e, x->e.p), target);
}

/*
 * Indirect branch to the guest EIP in r8d, without touching the guest's
 * flags: the table slot is tc_lookup_slot(eip) (bt/tc.h, computed with
 * mov, bswap, lea and movzx, none of which write flags), the key compare is done as
 * ecx = key + ~target + 1 with LEA and tested with JRCXZ.
 */
void emit_indirect(struct xlat *x)
{
    struct emit *e = &x->e;
    /* A single step must not run on into the target's translation: the
     * miss path hands the target to the run loop. */
    if (x->single) {
        emit_jmp(e, x->tc->miss_stub);
        return;
    }
    static const uint8_t seq1[] = {
        0x45, 0x89, 0xC1,                   /* mov r9d, r8d */
        0x41, 0x0F, 0xC9,                   /* bswap r9d */
        0x47, 0x8D, 0x0C, 0x08,             /* lea r9d, [r8 + r9] */
        0x45, 0x0F, 0xB7, 0xC9,             /* movzx r9d, r9w */
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
