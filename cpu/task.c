/*
 * cpu/task.c - hardware task switching (see cpu/task.h for the contract).
 *
 * References: Intel SDM vol. 3A 8.3 (the steps of a task switch and the
 * commit point), 8.4 (nesting: back link, NT, busy bits, table 8-2), table
 * 8-1 / 7-1 ("Exception Conditions Checked During a Task Switch"), 17.3.1.5
 * (the T flag), 2.5 (CR0.TS); vol. 2 JMP, CALL, IRET and INT n pseudocode
 * (TASK-GATE, TASK-STATE-SEGMENT, TASK-RETURN).  The TSS and the GDT are
 * system structures: they are read and written with supervisor rights.
 */
#include <stdio.h>
#include <string.h>
#include "cpu/task.h"
#include "cpu/exceptions.h"
#include "cpu/v86.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"

enum source { SRC_JMP, SRC_CALL, SRC_IRET, SRC_INT };

#define DR6_BT      0x8000u     /* debug trap on task switch (TSS T flag) */
#define DR7_LOCAL   0x55u       /* L0-L3: cleared by every task switch (SDM 17.2.4) */
#define TSS_SAVE_END (TSS_SREG + 4 * S_NSEG)

/* What the new task's TSS holds. */
struct tss_image {
    uint32_t cr3, eip, eflags, gpr[8];
    uint16_t sreg[S_NSEG];      /* ES, CS, SS, DS, FS, GS: the order of enum S_* */
    uint16_t ldt;
    bool trap;
};

/* The TSS the switch goes to, and how it was reached. */
struct switch_to {
    uint16_t sel;
    struct desc d;
    enum source src;
    uint32_t eip, eflags;       /* what is saved as the old task's EIP and EFLAGS */
};

static int pf(struct vcpu *c, const struct mmu_fault *f, int *vec, uint32_t *err)
{
    c->cr2 = f->cr2;
    return seg_fail(vec, err, EXC_PF, f->error);
}

static bool tss_busy(struct desc d)   { return desc_type(d) & DESC_TYPE_RW; }
static bool tss_32bit(struct desc d)  { return desc_type(d) & DESC_TYPE_CODE; }

/* A TSS descriptor (available or busy, 16- or 32-bit) in the GDT: a
 * selector with TI set, beyond the GDT or naming anything else is
 * fault_vec(sel). */
static int read_tss_desc(struct vcpu *c, uint16_t sel, int fault_vec, struct desc *d,
                         int *vec, uint32_t *err)
{
    if (sel & SEL_TI)
        return seg_fail(vec, err, fault_vec, SEL_ERR(sel));
    if (seg_read_desc(c, sel, d, fault_vec, vec, err))
        return -1;
    if (desc_s(*d) || (desc_type(*d) & 5) != SYS_TSS16_AVAIL)      /* types 1, 3, 9, 11 */
        return seg_fail(vec, err, fault_vec, SEL_ERR(sel));
    return 0;
}

/* Can [lin, lin+len) be written with supervisor rights?  Checked for every
 * write of the switch before the first one, so that a page fault (SDM 8.3
 * step 5) leaves memory and the vcpu as they were. */
static int probe_write(struct vcpu *c, uint32_t lin, uint32_t len, int *vec, uint32_t *err)
{
    struct mmu_fault f;
    uint32_t pa;

    if (mmu_translate(c, lin, ACC_WRITE, &pa, &f) == MMU_PAGE_FAULT ||
        mmu_translate(c, lin + len - 1, ACC_WRITE, &pa, &f) == MMU_PAGE_FAULT)
        return pf(c, &f, vec, err);
    return 0;
}

static int unsupported(struct vcpu *c, const char *fmt, uint16_t sel, uint32_t eip)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, sel, eip);
    vm_unsupported(c->vm, msg);
    return -2;
}

/* ---- before the commit point ---- */

static int read_image(struct vcpu *c, const struct switch_to *to, struct tss_image *t,
                      int *vec, uint32_t *err)
{
    uint8_t b[TSS32_MIN_LIMIT + 1];
    struct mmu_fault f;

    if (mmu_read(c, desc_base(to->d), b, sizeof b, 0, &f) == MMU_PAGE_FAULT)
        return pf(c, &f, vec, err);
    memcpy(&t->cr3, b + TSS_CR3, 4);
    memcpy(&t->eip, b + TSS_EIP, 4);
    memcpy(&t->eflags, b + TSS_EFLAGS, 4);
    memcpy(t->gpr, b + TSS_GPR, sizeof t->gpr);
    for (int s = 0; s < S_NSEG; s++)
        memcpy(&t->sreg[s], b + TSS_SREG + 4 * s, 2);
    memcpy(&t->ldt, b + TSS_LDT, 2);
    t->trap = b[TSS_TRAP] & 1;
    return 0;
}

/* Every check of SDM 8.3 steps 3-5 that the callers have not made: both
 * TSSs 32-bit, the new one's limit, its image readable, every page the
 * switch writes reachable.  *old gets the current
 * TSS's descriptor when its busy bit is to be cleared. */
static int check_switch(struct vcpu *c, const struct switch_to *to, struct tss_image *t,
                        struct desc *old, int *vec, uint32_t *err)
{
    int r;

    if (!tss_32bit(to->d))
        return unsupported(c, "task switch to a 16-bit TSS (selector %#06x, EIP %#x)", to->sel, c->eip);
    if (desc_limit(to->d) < TSS32_MIN_LIMIT)
        return seg_fail(vec, err, EXC_TS, SEL_ERR(to->sel));
    if (SEG_ATTR_S(c->tr.attr) || !(SEG_ATTR_TYPE(c->tr.attr) & DESC_TYPE_CODE))
        return unsupported(c, "task switch from a 16-bit TSS (TR %#06x, EIP %#x)", c->tr.sel, c->eip);
    if ((r = read_image(c, to, t, vec, err)))
        return r;
    if (probe_write(c, c->tr.base + TSS_EIP, TSS_SAVE_END - TSS_EIP, vec, err))
        return -1;
    if ((to->src == SRC_CALL || to->src == SRC_INT) &&
        probe_write(c, desc_base(to->d) + TSS_LINK, 2, vec, err))
        return -1;
    if (to->src != SRC_IRET && probe_write(c, c->gdtr.base + (to->sel & ~7u) + 5, 1, vec, err))
        return -1;
    *old = (struct desc){ 0, 0 };
    if ((to->src == SRC_JMP || to->src == SRC_IRET) && !SEL_IS_NULL(c->tr.sel)) {
        if (seg_read_desc(c, c->tr.sel, old, EXC_TS, vec, err) ||
            probe_write(c, c->gdtr.base + (c->tr.sel & ~7u) + 5, 1, vec, err))
            return -1;
    }
    return 0;
}

/* ---- the writes of the switch (all pages probed: they cannot fault) ---- */

static void write_lin(struct vcpu *c, uint32_t lin, const void *buf, uint32_t n)
{
    struct mmu_fault f;
    mmu_write(c, lin, buf, n, 0, &f);
}

/* Set or clear the busy bit (type bit 1) in a TSS descriptor of the GDT. */
static void set_busy(struct vcpu *c, uint16_t sel, struct desc d, bool busy)
{
    uint8_t b = (uint8_t)(d.hi >> 8);
    b = busy ? b | DESC_TYPE_RW : b & ~DESC_TYPE_RW;
    write_lin(c, c->gdtr.base + (sel & ~7u) + 5, &b, 1);
}

/* SDM 8.3 step 9: the dynamic fields of the old TSS. */
static void save_old(struct vcpu *c, const struct switch_to *to)
{
    uint32_t v[2 + 8];

    v[0] = to->eip;
    v[1] = to->eflags;
    memcpy(v + 2, c->gpr, sizeof c->gpr);
    write_lin(c, c->tr.base + TSS_EIP, v, sizeof v);
    for (int s = 0; s < S_NSEG; s++)
        write_lin(c, c->tr.base + TSS_SREG + 4 * s, &c->seg[s].sel, 2);
}

/* ---- after the commit point: faults happen in the new task ---- */

/* LDTR of the new task (table 8-1: every error is #TS(LDT selector)). */
static int load_ldt(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err)
{
    struct desc d;

    seg_set_raw(&c->ldtr, sel, 0, 0, 0);          /* unusable until qualified */
    if (sel & SEL_TI)
        return seg_fail(vec, err, EXC_TS, SEL_ERR(sel));
    if (SEL_IS_NULL(sel))
        return 0;
    if (seg_read_desc(c, sel, &d, EXC_TS, vec, err))
        return -1;
    if (desc_s(d) || desc_type(d) != SYS_LDT || !desc_present(d))
        return seg_fail(vec, err, EXC_TS, SEL_ERR(sel));
    seg_set_raw(&c->ldtr, sel, desc_base(d), desc_limit(d), desc_attr(d));
    return 0;
}

/* Are the descriptor's type and DPL right for this register of a task
 * running at `cpl` (table 8-1; SDM 5.6 for data and 5.8.1 for code)? */
static bool seg_fits(int sreg, uint16_t sel, struct desc d, int cpl)
{
    int dpl = desc_dpl(d), rpl = SEL_RPL(sel);

    switch (sreg) {
    case S_CS:
        return desc_is_code(d) && (desc_is_conforming(d) ? dpl <= rpl : dpl == rpl);
    case S_SS:
        return desc_is_writable_data(d) && dpl == cpl && rpl == cpl;
    default:
        if (!desc_is_data(d) && !desc_is_readable_code(d))
            return false;
        return desc_is_conforming(d) || (dpl >= cpl && dpl >= rpl);
    }
}

/* One segment register of the new task: #TS(sel) for a bad selector or
 * descriptor, #SS(sel) or #NP(sel) when not present. */
static int load_seg(struct vcpu *c, int sreg, uint16_t sel, int cpl, int *vec, uint32_t *err)
{
    struct desc d;

    if (SEL_IS_NULL(sel))
        return sreg == S_CS || sreg == S_SS ? seg_fail(vec, err, EXC_TS, SEL_ERR(sel)) : 0;
    if (seg_read_desc(c, sel, &d, EXC_TS, vec, err))
        return -1;
    if (!seg_fits(sreg, sel, d, cpl))
        return seg_fail(vec, err, EXC_TS, SEL_ERR(sel));
    if (!desc_present(d))
        return seg_fail(vec, err, sreg == S_SS ? EXC_SS : EXC_NP, SEL_ERR(sel));
    if (seg_set_accessed(c, sel, &d, vec, err))
        return -1;
    seg_commit(c, sreg, sel, d);
    return 0;
}

/* SDM 8.3 steps 12-15: TR, CR3, EFLAGS, EIP and the registers, then LDTR and
 * the segment registers, which are qualified in the new task's context. */
static int load_new(struct vcpu *c, const struct switch_to *to, const struct tss_image *t,
                    int *vec, uint32_t *err)
{
    static const int order[S_NSEG] = { S_CS, S_SS, S_ES, S_DS, S_FS, S_GS };
    uint32_t fl = t->eflags;
    struct desc tr = to->d;
    int cpl = SEL_RPL(t->sreg[S_CS]);

    c->cr0 |= CR0_TS;
    tr.hi |= DESC_TYPE_RW << 8;                     /* TR caches the busy type */
    seg_set_raw(&c->tr, to->sel, desc_base(tr), desc_limit(tr), desc_attr(tr));
    if (c->cr0 & CR0_PG) {
        /* With PAE the new CR3's PDPTEs are loaded too (SDM vol. 3A
         * 4.4.1); reserved bits in one are #GP(0) in the new task. */
        if ((c->cr4 & CR4_PAE) && !mmu_load_pdptes(c, t->cr3))
            return seg_fail(vec, err, EXC_GP, 0);
        c->cr3 = t->cr3;
        vm_cr3_loaded(c->vm);
    }
    if (to->src == SRC_CALL || to->src == SRC_INT)
        fl |= FL_NT;
    vcpu_set_eflags(c, (fl & (FL_WRITABLE | FL_VM | FL_VIF | FL_VIP)) | FL_FIXED);
    c->eip = t->eip;
    memcpy(c->gpr, t->gpr, sizeof c->gpr);
    c->dr[7] &= ~DR7_LOCAL;
    /* A virtual-8086 task: its selectors are paragraph numbers, not
     * descriptor-table indexes, and it runs at CPL 3 (SDM vol. 3A 8.3
     * step 15 and 20.2.1); only the LDT is qualified. */
    if (fl & FL_VM) {
        v86_load_task(c, t->sreg);
        return load_ldt(c, t->ldt, vec, err);
    }
    /* The selectors first, with unusable caches, so that a fault leaves
     * the new task's selectors visible to its handler, as on the processor. */
    for (int s = 0; s < S_NSEG; s++)
        seg_commit(c, s, t->sreg[s], (struct desc){ 0, 0 });     /* CPL = RPL of CS */
    if (load_ldt(c, t->ldt, vec, err))
        return -1;
    for (int i = 0; i < S_NSEG; i++)
        if (load_seg(c, order[i], t->sreg[order[i]], cpl, vec, err))
            return -1;
    return 0;
}

/* The whole switch.  *committed tells a fault after the commit point. */
static int do_switch(struct vcpu *c, const struct switch_to *to, bool *trap, bool *committed,
                     int *vec, uint32_t *err)
{
    struct tss_image t;
    struct desc old;
    int r;

    *committed = false;
    if ((r = check_switch(c, to, &t, &old, vec, err)))
        return r;
    if (to->src == SRC_JMP || to->src == SRC_IRET) {
        if (!SEL_IS_NULL(c->tr.sel))
            set_busy(c, c->tr.sel, old, false);
    }
    save_old(c, to);
    if (to->src == SRC_CALL || to->src == SRC_INT)
        write_lin(c, desc_base(to->d) + TSS_LINK, &c->tr.sel, 2);
    if (to->src != SRC_IRET)
        set_busy(c, to->sel, to->d, true);
    *committed = true;
    *trap = t.trap;
    return load_new(c, to, &t, vec, err);
}

/* After a switch: a new EIP beyond the CS limit is #GP(0) in the new task;
 * then the T flag's debug trap, before the task's first instruction. */
static int finish(struct vcpu *c, bool trap, int *vec, uint32_t *err)
{
    if (c->eip > c->seg[S_CS].limit)
        return seg_fail(vec, err, EXC_GP, 0);
    if (trap) {
        c->dr[6] |= DR6_BT;
        if (cpu_deliver(c, EXC_DB, EV_EXCEPTION, false, 0) < 0)
            return -2;
    }
    return 0;
}

/* ---- the three ways in ---- */

int task_far(struct vcpu *c, uint16_t sel, struct desc d, bool call, uint32_t eip_next,
             int *vec, uint32_t *err)
{
    struct switch_to to = { sel, d, call ? SRC_CALL : SRC_JMP, eip_next, vcpu_get_eflags(c) };
    bool trap = false, committed;
    int r;

    if (desc_dpl(d) < c->cpl || desc_dpl(d) < SEL_RPL(sel))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));
    if (desc_type(d) == SYS_TASKGATE) {
        if (!desc_present(d))
            return seg_fail(vec, err, EXC_NP, SEL_ERR(sel));
        to.sel = gate_selector(d);
        if (read_tss_desc(c, to.sel, EXC_GP, &to.d, vec, err))
            return -1;
    } else if (sel & SEL_TI) {
        return seg_fail(vec, err, EXC_GP, SEL_ERR(sel));   /* a TSS lives in the GDT */
    }
    if (tss_busy(to.d))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(to.sel));
    if (!desc_present(to.d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(to.sel));
    if ((r = do_switch(c, &to, &trap, &committed, vec, err)))
        return r;
    return finish(c, trap, vec, err);
}

/* The back link of the current TSS: a busy TSS in the GDT (IRET pseudocode,
 * TASK-RETURN). */
static int back_link(struct vcpu *c, struct switch_to *to, int *vec, uint32_t *err)
{
    struct mmu_fault f;

    if (mmu_read(c, c->tr.base + TSS_LINK, &to->sel, 2, 0, &f) == MMU_PAGE_FAULT)
        return pf(c, &f, vec, err);
    if (read_tss_desc(c, to->sel, EXC_TS, &to->d, vec, err))
        return -1;
    if (!tss_busy(to->d))
        return seg_fail(vec, err, EXC_TS, SEL_ERR(to->sel));
    if (!desc_present(to->d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(to->sel));
    return 0;
}

int task_return(struct vcpu *c, uint32_t eip_next)
{
    struct switch_to to = { 0, { 0, 0 }, SRC_IRET, eip_next, vcpu_get_eflags(c) & ~FL_NT };
    bool trap = false, committed;
    int vec, r;
    uint32_t err;

    r = back_link(c, &to, &vec, &err);
    if (r == 0)
        r = do_switch(c, &to, &trap, &committed, &vec, &err);
    if (r == 0)
        r = finish(c, trap, &vec, &err);
    if (r != -1)
        return r;
    return cpu_raise(c, vec, err) < 0 ? -2 : -1;
}

int task_gate_event(struct vcpu *c, struct desc gate, uint32_t eflags, bool has_error,
                    uint32_t error, int *vec, uint32_t *err)
{
    struct switch_to to = { gate_selector(gate), { 0, 0 }, SRC_INT, c->eip, eflags };
    bool trap = false, committed;
    int r;

    if (read_tss_desc(c, to.sel, EXC_GP, &to.d, vec, err))
        return -1;
    if (tss_busy(to.d))
        return seg_fail(vec, err, EXC_GP, SEL_ERR(to.sel));
    if (!desc_present(to.d))
        return seg_fail(vec, err, EXC_NP, SEL_ERR(to.sel));
    if ((r = do_switch(c, &to, &trap, &committed, vec, err)))
        return r == -1 && committed ? -3 : r;
    /* INT n pseudocode, TASK-GATE: the error code goes on the new task's
     * stack (#SS(0) if it does not fit), then the EIP check. */
    if (has_error) {
        r = stack_push_frame(c, &c->seg[S_SS], c->gpr[R_ESP], &error, 1, 4, c->cpl, 0, vec, err);
        if (r)
            return r == -1 ? -3 : r;
        c->gpr[R_ESP] -= 4;
    }
    r = finish(c, trap, vec, err);
    return r == -1 ? -3 : r;
}
