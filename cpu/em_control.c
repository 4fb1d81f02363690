/*
 * cpu/em_control.c - control transfers the translator does not run itself:
 * far JMP/CALL/RET (and their near forms, so that one handler serves the
 * mnemonic), INT n/INT3/INT1/INTO, BOUND, UD0/UD1/UD2, IRET, SYSENTER and
 * SYSEXIT.  Privilege and descriptor checks of far transfers and of event
 * delivery live in cpu/segments.c and cpu/exceptions.c.
 */
#include "cpu/em_internal.h"
#include "cpu/segments.h"
#include "cpu/exceptions.h"
#include "cpu/task.h"
#include "cpu/v86.h"

static bool is_far(const struct em *e)
{
    return e->in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
}

/* A segments.h status: 0 done, -1 raise vec/err, -2 stop (reported). */
/* Takes vec/err by pointer: the call that fills them is an argument of the
 * same expression, and C leaves the order of argument evaluation open. */
static enum em_result seg_status(struct em *e, int r, const int *vec, const uint32_t *err)
{
    if (r == 0)
        return EM_OK;
    if (r == -1)
        return em_raise(e, *vec, *err);
    return EM_STOP;
}

/* Target of a near branch: relative immediate, register or memory.  With a
 * 16-bit operand size the upper half of EIP is cleared. */
static bool near_target(struct em *e, uint32_t *t)
{
    const ZydisDecodedOperand *o = &e->op[0];
    uint32_t v;
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        v = e->next_eip + (uint32_t)o->imm.value.s;
    else if (!em_read_op(e, 0, &v))
        return false;
    *t = em_op32(e) ? v : v & 0xFFFF;
    if (*t > e->c->seg[S_CS].limit)
        return em_fail(e, EXC_GP, 0);
    return true;
}

/* Selector and offset of a far operand: ptr16:32 / ptr16:16 immediate, or
 * m16:32 / m16:16 (offset first, then the selector). */
static bool far_target(struct em *e, uint16_t *sel, uint32_t *off)
{
    const ZydisDecodedOperand *o = &e->op[0];
    if (o->type == ZYDIS_OPERAND_TYPE_POINTER) {
        *sel = o->ptr.segment;
        *off = o->ptr.offset;
        return true;
    }
    if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_fail(e, EXC_UD, 0);
    unsigned n = em_op32(e) ? 4 : 2;
    uint8_t b[6];
    if (!em_read_mem_op(e, 0, b, n + 2))
        return false;
    *off = em_le(b, n);
    *sel = em_le(b + n, 2);
    return true;
}

enum em_result em_jmp(struct em *e)
{
    int vec = 0;
    uint32_t err = 0, t;
    uint16_t sel;
    if (is_far(e)) {
        if (!far_target(e, &sel, &t))
            return e->res;
        return seg_status(e, seg_far_jmp(e->c, sel, t, em_op32(e), e->next_eip, &vec, &err), &vec, &err);
    }
    if (!near_target(e, &t))
        return e->res;
    e->c->eip = t;
    return EM_OK;
}

/* Jcc: the condition is the low nibble of the opcode (70+cc rel8,
 * 0F 80+cc rel16/32); taken, the target is checked as JMP's. */
enum em_result em_jcc(struct em *e)
{
    uint32_t t;
    if (!em_cond(e->c, e->in->opcode & 0xF))
        return em_done(e);
    if (!near_target(e, &t))
        return e->res;
    e->c->eip = t;
    return EM_OK;
}

/* LOOP, LOOPE, LOOPNE, JCXZ, JECXZ: the count is CX or ECX as the address
 * size says; LOOP* decrement it first (no flags change). */
enum em_result em_loop(struct em *e)
{
    struct vcpu *c = e->c;
    uint32_t mask = e->in->address_width == 16 ? 0xFFFFu : 0xFFFFFFFFu;
    ZydisMnemonic m = e->in->mnemonic;
    bool take;
    if (m == ZYDIS_MNEMONIC_JCXZ || m == ZYDIS_MNEMONIC_JECXZ) {
        take = (c->gpr[R_ECX] & mask) == 0;
    } else {
        em_reg_step(c, R_ECX, mask, -1);
        bool zf = vcpu_get_eflags(c) & FL_ZF;
        take = (c->gpr[R_ECX] & mask) != 0 && (m == ZYDIS_MNEMONIC_LOOP || (m == ZYDIS_MNEMONIC_LOOPE) == zf);
    }
    uint32_t t;
    if (!take)
        return em_done(e);
    if (!near_target(e, &t))
        return e->res;
    e->c->eip = t;
    return EM_OK;
}

enum em_result em_call(struct em *e)
{
    int vec = 0;
    uint32_t err = 0, t;
    uint16_t sel;
    if (is_far(e)) {
        if (!far_target(e, &sel, &t))
            return e->res;
        return seg_status(e, seg_far_call(e->c, sel, t, em_op32(e), e->next_eip, &vec, &err), &vec, &err);
    }
    if (!near_target(e, &t) || !em_stack_push(e, e->next_eip, em_op32(e) ? 4 : 2))
        return e->res;
    e->c->eip = t;
    return EM_OK;
}

enum em_result em_ret(struct em *e)
{
    struct vcpu *c = e->c;
    uint16_t pop = e->op[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? e->op[0].imm.value.u : 0;
    unsigned n = em_op32(e) ? 4 : 2;
    int vec = 0;
    uint32_t err = 0, t = 0;

    if (is_far(e))
        return seg_status(e, seg_far_ret(c, em_op32(e), pop, &vec, &err), &vec, &err);
    if (!em_stack_read(e, 0, &t, n))
        return e->res;
    if (t > c->seg[S_CS].limit)
        return em_gp0(e);
    em_sp_add(c, n + pop);
    c->eip = t;
    return EM_OK;
}

/* ---------------- software interrupts ---------------- */

/* INT n, INT3, INTO are traps: the pushed EIP is the next instruction,
 * while a fault in the delivery itself (gate DPL < CPL, ...) is reported at
 * the INT instruction (cpu_soft_int). */
static enum em_result soft_int(struct em *e, int vector)
{
    uint32_t insn = e->c->eip;
    e->c->eip = e->next_eip;
    return cpu_soft_int(e->c, vector, insn) < 0 ? EM_STOP : EM_OK;
}

enum em_result em_int(struct em *e) { return soft_int(e, e->op[0].imm.value.u & 0xFF); }
enum em_result em_int3(struct em *e) { return soft_int(e, EXC_BP); }

/* INT1 (ICEBP, F1) is a debug trap without the gate-DPL check. */
enum em_result em_int1(struct em *e)
{
    e->c->eip = e->next_eip;
    return cpu_deliver(e->c, EXC_DB, EV_EXCEPTION, false, 0) < 0 ? EM_STOP : EM_OK;
}

enum em_result em_into(struct em *e)
{
    if (vcpu_get_eflags(e->c) & FL_OF)
        return soft_int(e, EXC_OF);
    return em_done(e);
}

/* BOUND r, m: #BR (a fault) when the signed index lies outside [lower, upper]. */
enum em_result em_bound(struct em *e)
{
    unsigned n = em_op32(e) ? 4 : 2;
    uint8_t b[8];
    if (e->op[1].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_ud(e);
    if (!em_read_mem_op(e, 1, b, 2 * n))
        return e->res;
    int32_t idx, lo, hi;
    if (n == 4) {
        idx = (int32_t)e->c->gpr[ZydisRegisterGetId(e->op[0].reg.value)];
        lo = (int32_t)em_le(b, 4);
        hi = (int32_t)em_le(b + 4, 4);
    } else {
        idx = (int16_t)em_reg_get(e->c, e->op[0].reg.value);
        lo = (int16_t)em_le(b, 2);
        hi = (int16_t)em_le(b + 2, 2);
    }
    if (idx < lo || idx > hi)
        return em_raise(e, EXC_BR, 0);
    return em_done(e);
}

enum em_result em_ud0(struct em *e) { return em_ud(e); }
enum em_result em_ud1(struct em *e) { return em_ud(e); }
enum em_result em_ud2(struct em *e) { return em_ud(e); }

/* IRET with NT set returns to the task in the back link (a task switch,
 * cpu/task.c); the old task's saved EIP is the instruction after IRET. */
static enum em_result iret(struct em *e)
{
    /* Real mode has no tasks, and virtual-8086 mode returns within itself:
     * their IRET ignores NT (SDM vol. 2 IRET). */
    bool nt = (vcpu_get_eflags(e->c) & FL_NT) && !cpu_real_segments(e->c);
    if (nt)
        cpu_iret_ends_nmi_blocking(e->c);
    int r = nt ? task_return(e->c, e->next_eip) : cpu_iret(e->c, em_op32(e));
    return r == -2 ? EM_STOP : EM_OK;
}

enum em_result em_iret(struct em *e) { return iret(e); }
enum em_result em_iretd(struct em *e) { return iret(e); }

/* ---------------- SYSENTER / SYSEXIT (SDM vol. 2) ---------------- */

/* Both load flat segments from IA32_SYSENTER_CS without reading the GDT:
 * CS = SYSENTER_CS, SS = +8 for ring 0; CS = +16, SS = +24 (RPL 3) for
 * ring 3. */
#define FLAT_LIMIT 0xFFFFFFFFu
#define ATTR_CODE32(dpl) (0xC09B | (dpl) << 5)
#define ATTR_DATA32(dpl) (0xC093 | (dpl) << 5)

static void load_flat(struct vcpu *c, int sreg, uint16_t sel, uint16_t attr)
{
    seg_set_raw(&c->seg[sreg], sel, 0, FLAT_LIMIT, attr);
}

/* SYSENTER (SDM vol. 2B): flat CS/SS from IA32_SYSENTER_CS, ESP and EIP
 * from the MSRs, CPL 0, IF, VM and RF cleared.  One implementation for the
 * emulator and for a SYSENTER taken from directly executed ring 3.  False
 * (nothing changed) when IA32_SYSENTER_CS is null: the caller raises #GP(0). */
bool cpu_sysenter(struct vcpu *c)
{
    uint16_t cs = c->sysenter_cs & 0xFFFC;
    if (cs == 0 || !(c->cr0 & CR0_PE))
        return false;
    vcpu_set_eflags(c, vcpu_get_eflags(c) & ~(FL_VM | FL_IF | FL_RF));
    load_flat(c, S_CS, cs, ATTR_CODE32(0));
    load_flat(c, S_SS, cs + 8, ATTR_DATA32(0));
    c->cpl = 0;
    c->gpr[R_ESP] = c->sysenter_esp;
    c->eip = c->sysenter_eip;
    return true;
}

enum em_result em_sysenter(struct em *e)
{
    return cpu_sysenter(e->c) ? EM_OK : em_gp0(e);
}

enum em_result em_sysexit(struct em *e)
{
    struct vcpu *c = e->c;
    uint16_t cs = c->sysenter_cs & 0xFFFC;
    if (cs == 0 || c->cpl != 0)
        return em_gp0(e);
    load_flat(c, S_CS, (cs + 16) | 3, ATTR_CODE32(3));
    load_flat(c, S_SS, (cs + 24) | 3, ATTR_DATA32(3));
    c->cpl = 3;
    c->gpr[R_ESP] = c->gpr[R_ECX];
    c->eip = c->gpr[R_EDX];
    return EM_OK;
}
