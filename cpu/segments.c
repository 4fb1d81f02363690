/*
 * cpu/segments.c - descriptor tables, segment-register loads, LLDT/LTR,
 * LAR/LSL/VERR/VERW and far JMP/CALL/RET (a far JMP/CALL to a TSS or a task
 * gate is a task switch: cpu/task.c).
 *
 * References: Intel SDM vol. 3A 3.4-3.5 (descriptors), 5.5-5.8 (privilege
 * checks, call gates, stack switching), vol. 2 pages of MOV, POP, LDS/LSS,
 * LLDT, LTR, LAR, LSL, VERR/VERW, JMP, CALL, RET.  Stack pushes and pops
 * live in cpu/tss.c, event delivery and IRET in cpu/exceptions.c.
 */
#include <stdio.h>
#include "cpu/segments.h"
#include "cpu/task.h"
#include "cpu/realmode.h"
#include "cpu/v86.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"

/* ---- descriptor tables ---- */

/* Base and limit of the table a selector indexes.  A selector with TI = 1
 * while LDTR holds null has no table: #GP(sel). */
static bool table_of(const struct vcpu *c, uint16_t sel, uint32_t *base, uint32_t *limit)
{
    if (sel & SEL_TI) {
        if (SEL_IS_NULL(c->ldtr.sel) || !SEG_ATTR_P(c->ldtr.attr))
            return false;
        *base = c->ldtr.base;
        *limit = c->ldtr.limit;
    } else {
        *base = c->gdtr.base;
        *limit = c->gdtr.limit;
    }
    return true;
}

static int page_fault(struct vcpu *c, const struct mmu_fault *f, int *vec, uint32_t *err)
{
    c->cr2 = f->cr2;
    return seg_fail(vec, err, EXC_PF, f->error);
}

int seg_read_desc(struct vcpu *c, uint16_t sel, struct desc *d, int fault_vec,
                  int *vec, uint32_t *err)
{
    uint32_t base, limit, off = sel & ~7u;
    struct mmu_fault f;

    if (!fault_vec)
        fault_vec = EXC_GP;
    if (!table_of(c, sel, &base, &limit) || off + 7 > limit)
        return seg_fail(vec, err, fault_vec, SEL_ERR(sel));
    if (mmu_read(c, base + off, d, sizeof *d, 0, &f) == MMU_PAGE_FAULT)
        return page_fault(c, &f, vec, err);
    return 0;
}

/* Write back the type byte (descriptor byte 5) after setting bits in it:
 * the accessed bit of a loaded segment, the busy bit of a TSS. */
static int write_type(struct vcpu *c, uint16_t sel, struct desc *d, uint32_t bits,
                      int *vec, uint32_t *err)
{
    uint32_t base, limit;
    struct mmu_fault f;

    if ((d->hi & (bits << 8)) == (bits << 8))
        return 0;
    if (!table_of(c, sel, &base, &limit))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    uint8_t b = (uint8_t)((d->hi >> 8) | bits);
    if (mmu_write(c, base + (sel & ~7u) + 5, &b, 1, 0, &f) == MMU_PAGE_FAULT)
        return page_fault(c, &f, vec, err);
    d->hi |= bits << 8;
    return 0;
}

int seg_set_accessed(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err)
{
    return write_type(c, sel, d, DESC_TYPE_A, vec, err);
}

void seg_set_raw(struct seg *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

void seg_commit(struct vcpu *c, int sreg, uint16_t sel, struct desc d)
{
    seg_set_raw(&c->seg[sreg], sel, desc_base(d), desc_limit(d), desc_attr(d));
    if (sreg == S_CS)
        c->cpl = SEL_RPL(sel);      /* CPL is the RPL of CS (SDM 5.5) */
}

/* A null selector in DS/ES/FS/GS: loadable, but the register is unusable
 * (P = 0 in the cache), so any access through it raises #GP. */
static void load_null(struct vcpu *c, int sreg, uint16_t sel)
{
    seg_set_raw(&c->seg[sreg], sel, 0, 0, 0);
}

bool seg_range_ok(const struct seg *s, uint32_t off, uint32_t len)
{
    uint32_t last = off + len - 1;

    if (len == 0)
        return true;
    if (last < off)
        return false;                           /* wraps around 4 GiB */
    if (SEG_ATTR_S(s->attr) && !(SEG_ATTR_TYPE(s->attr) & DESC_TYPE_CODE) &&
        (SEG_ATTR_TYPE(s->attr) & DESC_TYPE_CE)) {
        /* expand-down: valid offsets are (limit, 0xFFFF or 0xFFFFFFFF] */
        uint32_t top = SEG_ATTR_DB(s->attr) ? 0xFFFFFFFFu : 0xFFFFu;
        return off > s->limit && last <= top;
    }
    return last <= s->limit;
}

/* ---- checks ---- */

int seg_check_stack(struct vcpu *c, uint16_t sel, int cpl, int fault_vec,
                    struct desc *d, int *vec, uint32_t *err)
{
    if (SEL_IS_NULL(sel))
        return seg_fail(vec, err, fault_vec, 0);
    if (seg_read_desc(c, sel, d, fault_vec, vec, err))
        return -1;
    if (SEL_RPL(sel) != cpl || !desc_is_writable_data(*d) || desc_dpl(*d) != cpl)
        return seg_fail(vec, err, fault_vec, SEL_ERR(sel));
    if (!desc_present(*d))
        return seg_fail(vec, err, EXC_SS, SEL_ERR(sel));
    return seg_set_accessed(c, sel, d, vec, err);
}

/* Code segment that will run at `new_cpl`: a conforming segment needs
 * DPL <= new CPL, a non-conforming one DPL == new CPL (SDM 5.8.1.1, 5.8.1.2);
 * with check_rpl, a non-conforming target also needs RPL <= new CPL. */
static int check_code(struct vcpu *c, uint16_t sel, int new_cpl, bool check_rpl,
                      struct desc *d, int *vec, uint32_t *err)
{
    if (SEL_IS_NULL(sel))
        return seg_fail(vec, err, EXC_GP, 0);
    if (seg_read_desc(c, sel, d, EXC_GP, vec, err))
        return -1;
    if (!desc_is_code(*d))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (desc_is_conforming(*d) ? desc_dpl(*d) > new_cpl
                               : desc_dpl(*d) != new_cpl || (check_rpl && SEL_RPL(sel) > new_cpl))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(*d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    return seg_set_accessed(c, sel, d, vec, err);
}

int seg_check_gate_code(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err)
{
    if (SEL_IS_NULL(sel))
        return seg_fail(vec, err, EXC_GP, 0);
    if (seg_read_desc(c, sel, d, EXC_GP, vec, err))
        return -1;
    if (!desc_is_code(*d) || desc_dpl(*d) > c->cpl)
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(*d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    return seg_set_accessed(c, sel, d, vec, err);
}

int seg_check_ret_code(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err)
{
    if (SEL_IS_NULL(sel))
        return seg_fail(vec, err, EXC_GP, 0);
    if (SEL_RPL(sel) < c->cpl)
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    return check_code(c, sel, SEL_RPL(sel), true, d, vec, err);
}

void seg_null_outer_data(struct vcpu *c)
{
    static const int sregs[] = { S_ES, S_DS, S_FS, S_GS };
    for (unsigned i = 0; i < sizeof sregs / sizeof sregs[0]; i++) {
        const struct seg *s = &c->seg[sregs[i]];
        bool conforming = SEG_ATTR_S(s->attr) &&
            (SEG_ATTR_TYPE(s->attr) & (DESC_TYPE_CODE | DESC_TYPE_CE)) == (DESC_TYPE_CODE | DESC_TYPE_CE);
        if (!conforming && SEG_ATTR_DPL(s->attr) < c->cpl)
            load_null(c, sregs[i], 0);
    }
}

/* ---- register loads ---- */

int seg_load_data(struct vcpu *c, int sreg, uint16_t sel, int *vec, uint32_t *err)
{
    struct desc d;

    if (sreg == S_CS || sreg < 0 || sreg >= S_NSEG)
        return seg_fail(vec, err, EXC_UD, 0);     /* MOV CS, ... is #UD */
    if (cpu_real_segments(c)) {
        rm_load_seg(c, sreg, sel);
        return 0;
    }
    if (sreg == S_SS) {
        if (seg_check_stack(c, sel, c->cpl, EXC_GP, &d, vec, err))
            return -1;
        seg_commit(c, S_SS, sel, d);
        return 0;
    }
    if (SEL_IS_NULL(sel)) {
        load_null(c, sreg, sel);
        return 0;
    }
    if (seg_read_desc(c, sel, &d, EXC_GP, vec, err))
        return -1;
    if (!desc_is_data(d) && !desc_is_readable_code(d))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    /* Conforming code is readable from any level; everything else needs
     * max(CPL, RPL) <= DPL (SDM 5.6). */
    if (!desc_is_conforming(d) && (SEL_RPL(sel) > desc_dpl(d) || c->cpl > desc_dpl(d)))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    if (seg_set_accessed(c, sel, &d, vec, err))
        return -1;
    seg_commit(c, sreg, sel, d);
    return 0;
}

int seg_load_code(struct vcpu *c, uint16_t sel, int new_cpl, int *vec, uint32_t *err)
{
    struct desc d;

    if (check_code(c, sel, new_cpl, true, &d, vec, err))
        return -1;
    seg_commit(c, S_CS, (sel & ~3u) | new_cpl, d);
    return 0;
}

int seg_load_stack(struct vcpu *c, uint16_t sel, int cpl, int *vec, uint32_t *err)
{
    struct desc d;

    if (seg_check_stack(c, sel, cpl, EXC_GP, &d, vec, err))
        return -1;
    seg_commit(c, S_SS, sel, d);
    return 0;
}

/* LLDT and LTR: CPL 0 only, the selector must name the GDT. */
static int check_system_sel(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err)
{
    if (c->cpl != 0)
        return seg_fail(vec, err, EXC_GP, 0);
    if (sel & SEL_TI)
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    return seg_read_desc(c, sel, d, EXC_GP, vec, err);
}

int seg_load_ldtr(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err)
{
    struct desc d;

    if (c->cpl != 0)
        return seg_fail(vec, err, EXC_GP, 0);
    if (SEL_IS_NULL(sel)) {
        seg_set_raw(&c->ldtr, sel, 0, 0, 0);      /* LDTR unusable */
        return 0;
    }
    if (check_system_sel(c, sel, &d, vec, err))
        return -1;
    if (desc_s(d) || desc_type(d) != SYS_LDT)
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    seg_set_raw(&c->ldtr, sel, desc_base(d), desc_limit(d), desc_attr(d));
    return 0;
}

int seg_load_tr(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err)
{
    struct desc d;

    if (c->cpl != 0 || SEL_IS_NULL(sel))
        return seg_fail(vec, err, EXC_GP, 0);
    if (check_system_sel(c, sel, &d, vec, err))
        return -1;
    if (desc_s(d) || (desc_type(d) != SYS_TSS16_AVAIL && desc_type(d) != SYS_TSS32_AVAIL))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    if (write_type(c, sel, &d, DESC_TYPE_RW, vec, err))     /* mark busy */
        return -1;
    seg_set_raw(&c->tr, sel, desc_base(d), desc_limit(d), desc_attr(d));
    return 0;
}

/* ---- LAR, LSL, VERR, VERW: never fault on a bad selector, they report
 * through ZF (SDM vol. 2).  A page fault on the descriptor read is
 * reported as "not valid" too (the bool interface has no exception path);
 * CR2 is left alone. ---- */

/* System types LAR and LSL accept (SDM vol. 2, LAR and LSL tables). */
#define LAR_SYS_TYPES ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | \
                       (1u << 9) | (1u << 0xB) | (1u << 0xC))
#define LSL_SYS_TYPES ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 9) | (1u << 0xB))

static bool peek_desc(struct vcpu *c, uint16_t sel, struct desc *d)
{
    uint32_t cr2 = c->cr2, err;
    int vec;
    bool ok = !SEL_IS_NULL(sel) && seg_read_desc(c, sel, d, EXC_GP, &vec, &err) == 0;
    c->cr2 = cr2;
    return ok;
}

/* The DPL rule of LAR/LSL/VERR/VERW: conforming code is always visible,
 * anything else needs DPL >= CPL and DPL >= RPL. */
static bool visible(const struct vcpu *c, uint16_t sel, struct desc d)
{
    return desc_is_conforming(d) || (desc_dpl(d) >= c->cpl && desc_dpl(d) >= SEL_RPL(sel));
}

static bool lar_lsl_valid(struct vcpu *c, uint16_t sel, uint32_t sys_types, struct desc *d)
{
    if (!peek_desc(c, sel, d))
        return false;
    if (!desc_s(*d) && !(sys_types & (1u << desc_type(*d))))
        return false;
    return visible(c, sel, *d);
}

bool seg_lar(struct vcpu *c, uint16_t sel, uint32_t *access_rights)
{
    struct desc d;

    if (!lar_lsl_valid(c, sel, LAR_SYS_TYPES, &d))
        return false;
    *access_rights = d.hi & 0x00F0FF00u;
    return true;
}

bool seg_lsl(struct vcpu *c, uint16_t sel, uint32_t *limit)
{
    struct desc d;

    if (!lar_lsl_valid(c, sel, LSL_SYS_TYPES, &d))
        return false;
    *limit = desc_limit(d);
    return true;
}

bool seg_verr(struct vcpu *c, uint16_t sel)
{
    struct desc d;

    if (!peek_desc(c, sel, &d) || !desc_s(d))
        return false;
    if (!desc_is_data(d) && !desc_is_readable_code(d))
        return false;
    return visible(c, sel, d);
}

bool seg_verw(struct vcpu *c, uint16_t sel)
{
    struct desc d;

    if (!peek_desc(c, sel, &d) || !desc_is_writable_data(d))
        return false;
    return visible(c, sel, d);
}

/* ---- far JMP / CALL / RET (SDM 5.8.3 - 5.8.6) ---- */

/* A far JMP/CALL target that is not a code segment must be a call gate
 * (returns 0), or a task gate or a TSS descriptor: a task switch (returns
 * 1; busy TSSs included, task_far raises #GP for them). */
static int classify_system(uint16_t sel, struct desc d, int *vec, uint32_t *err)
{
    switch (desc_type(d)) {
    case SYS_CALLGATE16:
    case SYS_CALLGATE32:
        return 0;
    case SYS_TASKGATE:
    case SYS_TSS16_AVAIL:
    case SYS_TSS32_AVAIL:
    case SYS_TSS16_BUSY:
    case SYS_TSS32_BUSY:
        return 1;
    default:
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    }
}

/* Call-gate checks shared by JMP and CALL (SDM 5.8.4): gate DPL >= CPL and
 * >= RPL, gate present, then the target code segment. */
static int through_gate(struct vcpu *c, uint16_t sel, struct desc gate, uint16_t *cs,
                        uint32_t *off, struct desc *cd, int *vec, uint32_t *err)
{
    if (desc_dpl(gate) < c->cpl || desc_dpl(gate) < SEL_RPL(sel))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (!desc_present(gate))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
    *cs = gate_selector(gate);
    *off = gate_offset(gate, desc_type(gate) == SYS_CALLGATE32);
    return seg_check_gate_code(c, *cs, cd, vec, err);
}

/* Read the far-transfer target; *gate tells a call gate from a code segment.
 * Returns 1 for a task gate or TSS (in *d). */
static int read_target(struct vcpu *c, uint16_t sel, struct desc *d, bool *gate,
                       int *vec, uint32_t *err)
{
    if (SEL_IS_NULL(sel))
        return seg_fail(vec, err, EXC_GP, 0);
    if (seg_read_desc(c, sel, d, EXC_GP, vec, err))
        return -1;
    *gate = !desc_s(*d);
    if (!*gate && !desc_is_code(*d))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    return *gate ? classify_system(sel, *d, vec, err) : 0;
}

int seg_far_jmp(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                int *vec, uint32_t *err)
{
    struct desc d, cd;
    bool gate;
    uint16_t cs = sel;
    int r;

    if (cpu_real_segments(c))
        return rm_far_jmp(c, sel, off, op32, vec, err);
    if (!op32)
        off &= 0xFFFF;
    if ((r = read_target(c, sel, &d, &gate, vec, err)) == 1)
        return task_far(c, sel, d, false, eip_next, vec, err);   /* the offset is ignored */
    if (r)
        return r;
    if (gate) {
        if (through_gate(c, sel, d, &cs, &off, &cd, vec, err))
            return -1;
        /* JMP never changes privilege: a non-conforming target must be at CPL. */
        if (!desc_is_conforming(cd) && desc_dpl(cd) != c->cpl)
            return seg_fail(vec, err, EXC_GP, SEL_ERR(cs));
    } else if (check_code(c, sel, c->cpl, true, &cd, vec, err)) {
        return -1;
    }
    if (off > desc_limit(cd))
        return seg_fail(vec, err, EXC_GP, 0);
    seg_commit(c, S_CS, (cs & ~3u) | c->cpl, cd);
    c->eip = off;
    return 0;
}

/* Same-level CALL: push CS and the return address on the current stack. */
static int call_same_level(struct vcpu *c, uint16_t cs, struct desc cd, uint32_t off,
                           unsigned width, uint32_t eip_next, int *vec, uint32_t *err)
{
    uint32_t frame[2] = { c->seg[S_CS].sel, eip_next };
    int r;

    if (off > desc_limit(cd))
        return seg_fail(vec, err, EXC_GP, 0);
    r = stack_push_frame(c, &c->seg[S_SS], c->gpr[R_ESP], frame, 2, width, c->cpl, 0, vec, err);
    if (r)
        return r;
    c->gpr[R_ESP] -= 2 * width;
    seg_commit(c, S_CS, (cs & ~3u) | c->cpl, cd);
    c->eip = off;
    return 0;
}

/* CALL through a call gate to a more privileged non-conforming segment
 * (SDM 5.8.5, figure 5-13): switch to the TSS stack of the target DPL and
 * push the old SS:ESP, the gate's parameters copied from the old stack, and
 * the return address. */
static int call_inner(struct vcpu *c, struct desc gate, uint16_t cs, struct desc cd,
                      uint32_t off, uint32_t eip_next, int *vec, uint32_t *err)
{
    unsigned width = desc_type(gate) == SYS_CALLGATE32 ? 4 : 2;
    unsigned nparam = gate_param_count(gate);
    int new_cpl = desc_dpl(cd), n = 0, r;
    uint32_t params[32], frame[36];
    struct inner_stack st;

    /* The parameters are read from the caller's stack at the caller's CPL. */
    r = stack_pop_frame(c, &c->seg[S_SS], c->gpr[R_ESP], params, nparam, width, c->cpl, 0,
                        vec, err);
    if (r)
        return r;
    frame[n++] = c->seg[S_SS].sel;
    frame[n++] = width == 4 ? c->gpr[R_ESP] : c->gpr[R_ESP] & 0xFFFF;
    for (int i = (int)nparam - 1; i >= 0; i--)
        frame[n++] = params[i];
    frame[n++] = c->seg[S_CS].sel;
    frame[n++] = eip_next;
    if ((r = tss_switch_push(c, new_cpl, frame, n, width, &st, vec, err)))
        return r;
    if (off > desc_limit(cd))
        return seg_fail(vec, err, EXC_GP, 0);
    seg_commit(c, S_SS, st.sel, st.d);
    c->gpr[R_ESP] = st.esp;
    seg_commit(c, S_CS, (cs & ~3u) | new_cpl, cd);
    c->eip = off;
    return 0;
}

int seg_far_call(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                 int *vec, uint32_t *err)
{
    struct desc d, cd;
    bool gate;
    int r;

    if (cpu_real_segments(c))
        return rm_far_call(c, sel, off, op32, eip_next, vec, err);
    if ((r = read_target(c, sel, &d, &gate, vec, err)) == 1)
        return task_far(c, sel, d, true, eip_next, vec, err);    /* the offset is ignored */
    if (r)
        return r;
    if (!op32) {
        off &= 0xFFFF;
        eip_next &= 0xFFFF;
    }
    if (!gate) {
        if (check_code(c, sel, c->cpl, true, &cd, vec, err))
            return -1;
        return call_same_level(c, sel, cd, off, op32 ? 4 : 2, eip_next, vec, err);
    }
    uint16_t cs;
    if (through_gate(c, sel, d, &cs, &off, &cd, vec, err))
        return -1;
    if (!desc_is_conforming(cd) && desc_dpl(cd) < c->cpl)
        return call_inner(c, d, cs, cd, off, eip_next, vec, err);
    return call_same_level(c, cs, cd, off, desc_type(d) == SYS_CALLGATE32 ? 4 : 2,
                           eip_next, vec, err);
}

int seg_far_ret(struct vcpu *c, bool op32, uint16_t pop_bytes, int *vec, uint32_t *err)
{
    unsigned w = op32 ? 4 : 2;
    uint32_t v[2], esp = c->gpr[R_ESP];
    struct desc cd, sd;
    int r;

    if (cpu_real_segments(c))
        return rm_far_ret(c, op32, pop_bytes, vec, err);
    if ((r = stack_pop_frame(c, &c->seg[S_SS], esp, v, 2, w, c->cpl, 0, vec, err)))
        return r;
    uint32_t eip = v[0];
    uint16_t cs = (uint16_t)v[1];
    if (seg_check_ret_code(c, cs, &cd, vec, err))
        return -1;
    esp += 2 * w + pop_bytes;
    if (SEL_RPL(cs) == c->cpl) {
        if (eip > desc_limit(cd))
            return seg_fail(vec, err, EXC_GP, 0);
        seg_commit(c, S_CS, cs, cd);
        c->gpr[R_ESP] = esp;
        c->eip = eip;
        return 0;
    }
    /* Return to an outer level: the caller's SS:ESP follows the parameters. */
    if ((r = stack_pop_frame(c, &c->seg[S_SS], esp, v, 2, w, c->cpl, 0, vec, err)))
        return r;
    uint16_t ss = (uint16_t)v[1];
    if (seg_check_stack(c, ss, SEL_RPL(cs), EXC_GP, &sd, vec, err))
        return -1;
    if (eip > desc_limit(cd))
        return seg_fail(vec, err, EXC_GP, 0);
    seg_commit(c, S_CS, cs, cd);
    seg_commit(c, S_SS, ss, sd);
    c->gpr[R_ESP] = v[0] + pop_bytes;   /* a 16-bit pop is zero-extended */
    c->eip = eip;
    seg_null_outer_data(c);
    return 0;
}
