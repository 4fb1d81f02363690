/*
 * cpu/em_stack.c - stack instructions the translator leaves to the monitor:
 * PUSHF/POPF (they read and write the virtual IF, IOPL, ...), PUSH/POP (all
 * forms, for segment registers in particular), PUSHA/POPA, ENTER.
 *
 * Multi-slot instructions read or write their whole block first, so a fault
 * leaves ESP and the registers unchanged and the instruction restartable.
 */
#include <string.h>
#include "cpu/em_internal.h"
#include "cpu/segments.h"

/* ---------------- PUSHF / POPF (SDM vol. 2, PUSHF and POPF) ---------------- */

/* The image pushed has VM and RF clear. */
static enum em_result pushf(struct em *e)
{
    uint32_t f = vcpu_get_eflags(e->c) & ~(FL_VM | FL_RF);
    if (!em_stack_push(e, f, em_op32(e) ? 4 : 2))
        return e->res;
    return em_done(e);
}

/* Which bits POPF may change in protected mode: IOPL only at CPL 0, IF only
 * at CPL <= IOPL (else left as is, silently: the classic Popek-Goldberg
 * trap); VM, VIF, VIP never; RF is cleared.  A 16-bit POPF changes only the
 * low 16 bits. */
static uint32_t popf_mask(const struct vcpu *c, bool op32)
{
    uint32_t m = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
    if (c->cpl == 0)
        m |= FL_IOPL;
    if (c->cpl <= em_iopl(c))
        m |= FL_IF;
    return op32 ? m : m & 0xFFFF;
}

uint32_t em_popf_eflags(const struct vcpu *c, uint32_t popped, bool op32)
{
    uint32_t m = popf_mask(c, op32);
    return ((vcpu_get_eflags(c) & ~m) | (popped & m)) & ~FL_RF;
}

static enum em_result popf(struct em *e)
{
    struct vcpu *c = e->c;
    uint32_t v;
    if (!em_stack_pop(e, &v, em_op32(e) ? 4 : 2))
        return e->res;
    vcpu_set_eflags(c, em_popf_eflags(c, v, em_op32(e)));
    return em_done(e);
}

enum em_result em_pushf(struct em *e) { return pushf(e); }
enum em_result em_pushfd(struct em *e) { return pushf(e); }
enum em_result em_popf(struct em *e) { return popf(e); }
enum em_result em_popfd(struct em *e) { return popf(e); }

/* ---------------- PUSH / POP ---------------- */

/* PUSH Sreg with a 32-bit operand size moves ESP by 4 but writes only the
 * 16-bit selector, leaving the upper half of the slot as it was (what
 * current Intel processors do, SDM vol. 2 PUSH). */
enum em_result em_push(struct em *e)
{
    const ZydisDecodedOperand *o = &e->op[0];
    unsigned n = em_op32(e) ? 4 : 2;
    uint32_t v;

    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && em_sreg_index(o->reg.value) >= 0) {
        uint16_t sel = em_reg_get(e->c, o->reg.value);
        if (!em_stack_write(e, -n, &sel, 2))
            return e->res;
        em_sp_add(e->c, -(int32_t)n);
        return em_done(e);
    }
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        v = (uint32_t)o->imm.value.u;       /* imm8 already sign-extended */
    else if (!em_read_op(e, 0, &v))
        return e->res;
    if (!em_stack_push(e, v, n))
        return e->res;
    return em_done(e);
}

/* POP Sreg loads the segment before ESP moves, so a failed load changes
 * nothing; POP SS holds off interrupts for one instruction so that the
 * following load of ESP completes the stack switch (SDM vol. 3A 6.8.3).
 * POP m with ESP as base uses ESP after the increment. */
enum em_result em_pop(struct em *e)
{
    struct vcpu *c = e->c;
    const ZydisDecodedOperand *o = &e->op[0];
    unsigned n = em_op32(e) ? 4 : 2;
    uint32_t v = 0;
    int vec;
    uint32_t err;

    if (!em_stack_read(e, 0, &v, n))
        return e->res;
    int sreg = o->type == ZYDIS_OPERAND_TYPE_REGISTER ? em_sreg_index(o->reg.value) : -1;
    if (sreg >= 0) {
        if (seg_load_data(c, sreg, v & 0xFFFF, &vec, &err) < 0)
            return em_raise(e, vec, err);
        em_sp_add(c, n);
        e->irq_shadow = sreg == S_SS;
        return em_done(e);
    }
    uint32_t old_esp = c->gpr[R_ESP];
    em_sp_add(c, n);
    if (!em_write_op(e, 0, v)) {
        c->gpr[R_ESP] = old_esp;
        return e->res;
    }
    return em_done(e);
}

/* ---------------- PUSHA / POPA ---------------- */

/* Memory order from the new ESP up: EDI ESI EBP ESP(original) EBX EDX ECX EAX. */
static enum em_result pusha(struct em *e)
{
    struct vcpu *c = e->c;
    unsigned n = em_op32(e) ? 4 : 2;
    uint8_t block[32];
    for (int i = 0; i < 8; i++) {
        uint32_t v = c->gpr[7 - i];
        memcpy(block + i * n, &v, n);
    }
    if (!em_stack_write(e, -8 * n, block, 8 * n))
        return e->res;
    em_sp_add(c, -8 * (int32_t)n);
    return em_done(e);
}

/* The saved ESP slot is skipped. */
static enum em_result popa(struct em *e)
{
    struct vcpu *c = e->c;
    unsigned n = em_op32(e) ? 4 : 2;
    uint8_t block[32];
    if (!em_stack_read(e, 0, block, 8 * n))
        return e->res;
    for (int i = 0; i < 8; i++) {
        int r = 7 - i;
        uint32_t v = 0;
        if (r == R_ESP)
            continue;
        memcpy(&v, block + i * n, n);
        c->gpr[r] = n == 4 ? v : (c->gpr[r] & 0xFFFF0000u) | v;
    }
    em_sp_add(c, 8 * n);
    return em_done(e);
}

enum em_result em_pusha(struct em *e) { return pusha(e); }
enum em_result em_pushad(struct em *e) { return pusha(e); }
enum em_result em_popa(struct em *e) { return popa(e); }
enum em_result em_popad(struct em *e) { return popa(e); }

/* ---------------- ENTER (SDM vol. 2, ENTER) ---------------- */

/* ENTER size, level: push EBP, copy level-1 frame pointers of the enclosing
 * frames, push the new frame pointer, allocate `size` bytes.  Works on
 * copies of ESP/EBP; they are committed only when every access succeeded.
 * (The limit check of the final ESP against SS is not made.) */
enum em_result em_enter(struct em *e)
{
    struct vcpu *c = e->c;
    unsigned n = em_op32(e) ? 4 : 2;
    uint32_t size = e->op[0].imm.value.u & 0xFFFF;
    unsigned level = e->op[1].imm.value.u & 31;
    uint32_t m = em_sp_mask(c);
    uint32_t sp = c->gpr[R_ESP], bp = c->gpr[R_EBP];
    uint32_t bpmask = n == 4 ? 0xFFFFFFFFu : 0xFFFFu;

#define PUSH_AT(val) do { uint32_t v_ = (val); sp = (sp & ~m) | ((sp - n) & m); \
        if (!em_seg_write(e, S_SS, sp & m, &v_, n)) return e->res; } while (0)
    PUSH_AT(bp);
    uint32_t frame = sp;
    for (unsigned i = 1; i < level; i++) {
        uint32_t v = 0;
        bp = (bp & ~bpmask) | ((bp - n) & bpmask);
        if (!em_seg_read(e, S_SS, bp & m, &v, n))
            return e->res;
        PUSH_AT(v);
    }
    if (level > 0)
        PUSH_AT(frame);
#undef PUSH_AT
    sp = (sp & ~m) | ((sp - size) & m);
    c->gpr[R_EBP] = (c->gpr[R_EBP] & ~bpmask) | (frame & bpmask);
    c->gpr[R_ESP] = sp;
    return em_done(e);
}

/* LEAVE: (E)SP := (E)BP by the stack's address size (SS.B), then (E)BP :=
 * pop by the operand size.  The pop is read before anything changes, so
 * a fault leaves both registers as they were. */
enum em_result em_leave(struct em *e)
{
    struct vcpu *c = e->c;
    unsigned n = em_op32(e) ? 4 : 2;
    uint32_t m = em_sp_mask(c);
    uint32_t sp = (c->gpr[R_ESP] & ~m) | (c->gpr[R_EBP] & m), v = 0;
    if (!em_seg_read(e, S_SS, sp & m, &v, n))
        return e->res;
    c->gpr[R_ESP] = (sp & ~m) | ((sp + n) & m);
    c->gpr[R_EBP] = n == 4 ? v : (c->gpr[R_EBP] & ~0xFFFFu) | (v & 0xFFFFu);
    return em_done(e);
}
