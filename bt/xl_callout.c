/*
 * bt/xl_callout.c - light callouts: sensitive instructions that translated
 * ring-0 code carries out through a C function called on the monitor's
 * stack (bt_callout in bt/entry.S) instead of an exit to the run loop and
 * the emulator's decoder.  Linux's return to user mode runs them every time:
 * POP DS/ES/FS, MOV to DS/ES/FS, VERW (MDS buffer clearing), and POPFD
 * (local_irq_restore); IRETD that stays in ring 0 (sync_core's IRET to
 * itself, returns from interrupts taken in the kernel).
 *
 * Each one reads its operand in translated code first (a guest stack or
 * memory access that may fault, at the instruction's EIP like any other)
 * and hands it over in vcpu->callout_arg; the C function then applies the
 * same cpu/ functions as the emulator (seg_load_data, seg_verw,
 * em_popf_eflags).  Whenever the fast path cannot finish the instruction
 * exactly as the emulator would - a load that faults (#GP/#NP/#SS/#PF), a
 * load that changes the segment assumptions of the translations
 * (bt_segment_key), POPFD setting TF or enabling an interrupt that waits -
 * it changes nothing and leaves with EXIT_EMULATE at the instruction, so
 * the emulator does it and raises what the guest must see.  IRETD is done
 * whole by cpu_iret (as the emulator does it); when it did more than a
 * return within ring 0 the run loop takes over at the new CS:EIP.
 */
#include <stddef.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "cpu/segments.h"
#include "cpu/emulate.h"
#include "cpu/exceptions.h"
#include "devices/irq.h"
#include "cpu/counters.h"

/* ---- the C side: int fn(struct vcpu *), 0 = go on, 1 = exit ---- */

static int fall_back(struct vcpu *c)
{
    c->bt.exit_reason = EXIT_EMULATE;          /* c->eip is the instruction's */
    return 1;
}

/* MOV/POP to a data segment register: seg_load_data does the descriptor
 * checks and sets the accessed bit; on failure nothing has changed but CR2,
 * which is put back before the emulator repeats the load. */
static int load_sreg(struct vcpu *c, int s)
{
    struct seg old = c->seg[s];
    uint32_t cr2 = c->cr2, err;
    int vec;
    if (seg_load_data(c, s, (uint16_t)c->bt.callout_arg, &vec, &err) < 0 ||
        bt_segment_key(c) != c->bt.tc->seg_key) {
        c->seg[s] = old;
        c->cr2 = cr2;
        return fall_back(c);
    }
    bt_prepare_segments(c);
    c->bt.tc->stats->bt_light++;
    return 0;
}

static int co_load_es(struct vcpu *c) { return load_sreg(c, S_ES); }
static int co_load_ds(struct vcpu *c) { return load_sreg(c, S_DS); }
static int co_load_fs(struct vcpu *c) { return load_sreg(c, S_FS); }
static int co_load_gs(struct vcpu *c) { return load_sreg(c, S_GS); }

/* VERW: ZF = the selector names a data segment writable at this CPL. */
static int co_verw(struct vcpu *c)
{
    bool ok = seg_verw(c, (uint16_t)c->bt.callout_arg);
    c->rflags = (c->rflags & ~(uint64_t)FL_ZF) | (ok ? FL_ZF : 0);
    c->bt.tc->stats->bt_light++;
    return 0;
}

/* POPFD.  TF would need a debug trap after the instruction, and IF turning
 * on while an interrupt waits must let the run loop deliver it at once (no
 * interrupt shadow after POPF): both go to the emulator. */
static int co_popfd(struct vcpu *c)
{
    uint32_t f = em_popf_eflags(c, c->bt.callout_arg, true);
    if ((f & FL_TF) || ((f & FL_IF) && !c->vif && irq_intr_pending(c->vm)))
        return fall_back(c);
    /* AC changes whether translated ring 3 checks alignment (host_ac). */
    if ((f ^ vcpu_get_eflags(c)) & FL_AC)
        return fall_back(c);
    vcpu_set_eflags(c, f);
    c->bt.tc->stats->bt_light++;
    return 0;
}

/* IRETD: cpu_iret checks and pops everything (or raises the exception).
 * Translated code goes on at the popped EIP only for a plain return within
 * ring 0 that keeps the segment assumptions, has no TF and enables no
 * interrupt that waits; otherwise the run loop resumes at the new CS:EIP
 * (EXIT_POLL: nothing left but to look at interrupts).  NT (a task return)
 * is the emulator's to report. */
static int co_iretd(struct vcpu *c)
{
    bool vif = c->vif;
    if (c->eflags & FL_NT)
        return fall_back(c);
    int r = cpu_iret(c, true);
    c->bt.tc->stats->bt_light++;
    if (r == 0 && c->cpl == 0 && bt_segment_key(c) == c->bt.tc->seg_key &&
        !(c->eflags & FL_TF) && !(c->vif && !vif && irq_intr_pending(c->vm))) {
        bt_prepare_segments(c);
        return 0;
    }
    c->bt.exit_reason = EXIT_POLL;
    return 1;
}

/* ---- the translation side ---- */

static int sreg_data(ZydisRegister r)
{
    switch (r) {
    case ZYDIS_REGISTER_ES: return S_ES;
    case ZYDIS_REGISTER_DS: return S_DS;
    case ZYDIS_REGISTER_FS: return S_FS;
    case ZYDIS_REGISTER_GS: return S_GS;
    default: return -1;                     /* CS, SS (interrupt shadow): emulated */
    }
}

static bool is_reg(const ZydisDecodedOperand *o, ZydisRegisterClass k)
{
    return o->type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(o->reg.value) == k;
}

enum kind classify_light(const struct xlat *x)
{
    const ZydisDecodedInstruction *ins = &x->ins;
    const ZydisDecodedOperand *o = x->ops;
    switch (ins->mnemonic) {
    case ZYDIS_MNEMONIC_POP:
        if (ins->operand_width == 32 && is_reg(&o[0], ZYDIS_REGCLASS_SEGMENT) &&
            sreg_data(o[0].reg.value) >= 0)
            return K_POP_SREG;
        break;
    case ZYDIS_MNEMONIC_MOV:
        if (is_reg(&o[0], ZYDIS_REGCLASS_SEGMENT) && sreg_data(o[0].reg.value) >= 0 &&
            (is_reg(&o[1], ZYDIS_REGCLASS_GPR32) || is_reg(&o[1], ZYDIS_REGCLASS_GPR16)))
            return K_MOV_TO_SREG;
        break;
    case ZYDIS_MNEMONIC_VERW:
        if (is_reg(&o[0], ZYDIS_REGCLASS_GPR16) || is_reg(&o[0], ZYDIS_REGCLASS_GPR32))
            return K_VERW;
        if (o[0].type == ZYDIS_OPERAND_TYPE_MEMORY && ins->address_width == 32) {
            int s = seg_index(o[0].mem.segment);
            if (s == S_FS || s == S_GS || bt_seg_unlimited(&x->c->seg[s]))
                return K_VERW;
        }
        break;
    case ZYDIS_MNEMONIC_POPFD:
        if (ins->operand_width == 32)
            return K_POPFD;
        break;
    case ZYDIS_MNEMONIC_IRETD:
        return K_IRETD;
    default:
        break;
    }
    return K_COPY;                          /* not a light callout */
}

/* mov [r15+callout_arg], r8d */
static void emit_arg_r8(struct xlat *x)
{
    static const uint8_t st = 0x89;
    emit_mem(&x->e, 0, &st, 1, H_R8, H_R15, -1, 1, VCPU_OFF_CALLOUT_ARG);
}

/* vcpu->eip = this instruction; r11 = fn; r10 = where to go on; jump. */
static void emit_callout(struct xlat *x, int (*fn)(struct vcpu *))
{
    struct emit *e = &x->e;
    emit_ctx_store_imm32(e, VCPU_OFF_EIP, x->eip);
    emit_byte(e, 0x49);
    emit_byte(e, 0xBB);                                             /* mov r11, imm64 */
    emit_u64(e, (uint64_t)(uintptr_t)fn);
    static const uint8_t lea_r10[] = { 0x4C, 0x8D, 0x15, 5, 0, 0, 0 }; /* lea r10, [rip+5] */
    emit_bytes(e, lea_r10, sizeof lea_r10);
    emit_jmp(e, x->tc->callout_tramp);                              /* 5 bytes */
}

static int (*const load_fn[S_NSEG])(struct vcpu *) = {
    [S_ES] = co_load_es, [S_DS] = co_load_ds, [S_FS] = co_load_fs, [S_GS] = co_load_gs,
};

/* POP DS/ES/FS/GS: the slot is read (4 bytes, as the emulator does) before
 * anything changes; ESP moves only after the load succeeded. */
void xl_pop_sreg(struct xlat *x)
{
    emit_load_stack(x, 32, H_R8, 0);
    emit_arg_r8(x);
    emit_callout(x, load_fn[sreg_data(x->ops[0].reg.value)]);
    emit_lea(&x->e, H_RSP, H_RSP, 4);
}

/* MOV DS/ES/FS/GS, r16/r32 */
void xl_mov_to_sreg(struct xlat *x)
{
    emit_rr(&x->e, 0, 0x89, gpr_id(x->ops[1].reg.value), H_R8);   /* mov r8d, reg */
    emit_arg_r8(x);
    emit_callout(x, load_fn[sreg_data(x->ops[0].reg.value)]);
}

/* VERW r/m16 */
void xl_verw(struct xlat *x)
{
    const ZydisDecodedOperand *o = &x->ops[0];
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER)
        emit_rr(&x->e, 0, 0x89, gpr_id(o->reg.value), H_R8);
    else
        emit_load_guest_mem_r8(x, o, 16);
    emit_arg_r8(x);
    emit_callout(x, co_verw);
}

/* POPFD */
void xl_popfd(struct xlat *x)
{
    emit_load_stack(x, 32, H_R8, 0);
    emit_arg_r8(x);
    emit_callout(x, co_popfd);
    emit_lea(&x->e, H_RSP, H_RSP, 4);
}

/* IRETD: on to the popped EIP through the lookup table. */
void xl_iretd(struct xlat *x)
{
    static const uint8_t ld_eip[] = { 0x45, 0x8B, 0x47, VCPU_OFF_EIP };  /* mov r8d, [r15+eip] */
    emit_callout(x, co_iretd);
    emit_bytes(&x->e, ld_eip, sizeof ld_eip);
    emit_indirect(x);
    x->ended = true;
}
