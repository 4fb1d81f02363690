/*
 * cpu/exceptions.c - protected-mode event delivery through the IDT, the
 * double-fault rules, and IRET.
 *
 * Real mode takes its own path for one delivery attempt and for IRET
 * (cpu/realmode.c); the loop of serial faults, #DF and shutdown is shared.
 *
 * References: Intel SDM vol. 3A chapter 6 (6.10-6.13 IDT, gates, stack
 * frames, error codes; 6.15 table 6-5 for #DF), vol. 2 INT n and IRET
 * pseudocode.  Delivery is done in two phases: every check, read and push
 * is made first without touching the vcpu, so that a fault during delivery
 * leaves the interrupted state intact for the next event (#DF or a serial
 * fault); only then are SS:ESP, CS:EIP and EFLAGS committed.
 */
#include <stdio.h>
#include "cpu/exceptions.h"
#include "cpu/segments.h"
#include "cpu/task.h"
#include "cpu/realmode.h"
#include "cpu/v86.h"
#include "cpu/host.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"
#include "cpu/counters.h"

/* Exception classes of SDM vol. 3A table 6-4. */
enum exc_class { BENIGN, CONTRIBUTORY, PAGE_FAULT, DOUBLE_FAULT };

struct vector_info {
    const char *name;
    bool error;         /* pushes an error code */
    bool fault;         /* fault class: RF is set in the pushed EFLAGS */
    unsigned char cls;
};

static const struct vector_info vectors[32] = {
    [EXC_DE]  = { "#DE", false, true,  CONTRIBUTORY },
    [EXC_DB]  = { "#DB", false, false, BENIGN },
    [EXC_NMI] = { "NMI", false, false, BENIGN },
    [EXC_BP]  = { "#BP", false, false, BENIGN },
    [EXC_OF]  = { "#OF", false, false, BENIGN },
    [EXC_BR]  = { "#BR", false, true,  BENIGN },
    [EXC_UD]  = { "#UD", false, true,  BENIGN },
    [EXC_NM]  = { "#NM", false, true,  BENIGN },
    [EXC_DF]  = { "#DF", true,  false, DOUBLE_FAULT },
    [9]       = { "#CSO", false, false, BENIGN },
    [EXC_TS]  = { "#TS", true,  true,  CONTRIBUTORY },
    [EXC_NP]  = { "#NP", true,  true,  CONTRIBUTORY },
    [EXC_SS]  = { "#SS", true,  true,  CONTRIBUTORY },
    [EXC_GP]  = { "#GP", true,  true,  CONTRIBUTORY },
    [EXC_PF]  = { "#PF", true,  true,  PAGE_FAULT },
    [EXC_MF]  = { "#MF", false, true,  BENIGN },
    [EXC_AC]  = { "#AC", true,  true,  BENIGN },
    [EXC_MC]  = { "#MC", false, false, BENIGN },
    [EXC_XM]  = { "#XM", false, true,  BENIGN },
};

struct event {
    int vector;
    enum event_kind kind;
    bool has_error;
    uint32_t error;
};

static const char *vector_name(int v)
{
    return v >= 0 && v < 32 && vectors[v].name ? vectors[v].name : "int";
}

bool cpu_vector_has_error(int vector)
{
    return vector >= 0 && vector < 32 && vectors[vector].error;
}

/* INT n and external interrupts are benign whatever their vector. */
static int event_class(const struct event *ev)
{
    if (ev->kind != EV_EXCEPTION || ev->vector >= 32)
        return BENIGN;
    return vectors[ev->vector].cls;
}

/* Table 6-5: does `second`, raised while delivering `first`, make a #DF? */
static bool makes_double_fault(int first, int second)
{
    if (first == CONTRIBUTORY)
        return second == CONTRIBUTORY;
    if (first == PAGE_FAULT)
        return second == CONTRIBUTORY || second == PAGE_FAULT;
    return false;
}

/* ---- one delivery attempt ---- */

static int gate_error(int vector, int *vec, uint32_t *err)
{
    return seg_fail(vec, err, EXC_GP, (uint32_t)vector * 8 + 2);
}

/* Read and check the IDT gate (INT n pseudocode, first half). */
static int read_gate(struct vcpu *c, const struct event *ev, struct desc *g, int *vec, uint32_t *err)
{
    uint32_t off = (uint32_t)ev->vector * 8;
    struct mmu_fault f;

    if (off + 7 > c->idtr.limit)
        return gate_error(ev->vector, vec, err);
    if (mmu_read(c, c->idtr.base + off, g, sizeof *g, 0, &f) == MMU_PAGE_FAULT) {
        c->cr2 = f.cr2;
        return seg_fail(vec, err, EXC_PF, f.error);
    }
    switch (desc_s(*g) ? 0 : desc_type(*g)) {
    case SYS_TASKGATE: case SYS_INTGATE16: case SYS_TRAPGATE16:
    case SYS_INTGATE32: case SYS_TRAPGATE32:
        break;
    default:
        return gate_error(ev->vector, vec, err);
    }
    if (ev->kind == EV_SOFTINT && desc_dpl(*g) < c->cpl)
        return gate_error(ev->vector, vec, err);
    if (!desc_present(*g))
        return seg_fail(vec, err, EXC_NP, (uint32_t)ev->vector * 8 + 2);
    return 0;
}

/* The EFLAGS image the event saves (on the stack, or in the old TSS
 * through a task gate).  SDM 17.3.1.1: RF is set in the image of a fault. */
static uint32_t event_eflags(const struct vcpu *c, const struct event *ev)
{
    uint32_t fl = vcpu_get_eflags(c);
    if (ev->kind == EV_EXCEPTION && ev->vector < 32 && vectors[ev->vector].fault)
        fl |= FL_RF;
    return fl;
}

/* A task gate: the handler is a task (cpu/task.c).  -3: the switch was
 * done and a fault followed it, in the new task. */
static int deliver_task(struct vcpu *c, const struct event *ev, struct desc g, int *vec, uint32_t *err)
{
    int r = task_gate_event(c, g, event_eflags(c, ev), ev->has_error, ev->error, vec, err);
    if (r == 0)
        c->halted = false;
    return r;
}

static int deliver_once(struct vcpu *c, const struct event *ev, int *vec, uint32_t *err)
{
    struct desc g, cd;
    int r;

    if (cpu_real_mode(c))
        return rm_deliver_once(c, ev->vector, vec, err);
    if ((r = read_gate(c, ev, &g, vec, err)))
        return r;
    if (desc_type(g) == SYS_TASKGATE)
        return deliver_task(c, ev, g, vec, err);
    bool gate32 = desc_type(g) >= SYS_TSS32_AVAIL;
    bool intgate = (desc_type(g) & 7) == SYS_INTGATE16;
    unsigned width = gate32 ? 4 : 2;
    uint16_t cs = gate_selector(g);
    uint32_t eip = gate_offset(g, gate32);
    if (seg_check_gate_code(c, cs, &cd, vec, err))
        return -1;
    uint32_t pushed_fl = event_eflags(c, ev);
    if (cpu_v86(c)) {
        struct v86_gate vg = { cs, cd, eip, gate32, intgate };
        return v86_deliver(c, &vg, pushed_fl, ev->has_error, ev->error, vec, err);
    }

    uint32_t fl = vcpu_get_eflags(c);
    uint32_t frame[6];
    int n = 0;
    bool inner = !desc_is_conforming(cd) && desc_dpl(cd) < c->cpl;
    int new_cpl = inner ? desc_dpl(cd) : c->cpl;
    if (inner) {
        frame[n++] = c->seg[S_SS].sel;
        frame[n++] = c->gpr[R_ESP];
    }
    frame[n++] = pushed_fl;
    frame[n++] = c->seg[S_CS].sel;
    frame[n++] = c->eip;
    if (ev->has_error)
        frame[n++] = ev->error;
    if (!gate32)
        for (int i = 0; i < n; i++)
            frame[i] &= 0xFFFF;

    struct inner_stack st;
    if (inner)
        r = tss_switch_push(c, new_cpl, frame, n, width, &st, vec, err);
    else
        r = stack_push_frame(c, &c->seg[S_SS], c->gpr[R_ESP], frame, n, width, c->cpl, 0,
                             vec, err);
    if (r)
        return r;
    if (eip > desc_limit(cd))
        return seg_fail(vec, err, EXC_GP, 0);

    /* Commit. */
    if (inner) {
        seg_commit(c, S_SS, st.sel, st.d);
        c->gpr[R_ESP] = st.esp;
    } else {
        c->gpr[R_ESP] -= (uint32_t)n * width;
    }
    seg_commit(c, S_CS, (cs & ~3u) | new_cpl, cd);
    c->eip = eip;
    fl &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (intgate)
        fl &= ~FL_IF;
    vcpu_set_eflags(c, fl);
    c->halted = false;
    return 0;
}

/* ---- the event loop: serial faults, #DF, triple fault ---- */

static int triple_fault(struct vcpu *c, const int *chain, int len, int vec, uint32_t err)
{
    char hist[96];
    int used = 0;

    hist[0] = '\0';
    for (int i = 0; i < len && used < (int)sizeof hist - 16; i++)
        used += snprintf(hist + used, sizeof hist - used, "%s%d", i ? " -> " : "", chain[i]);
    vm_stop(c->vm, VMM_EXIT_TRIPLE,
            "triple fault: %s (vector %d, error %#x) while delivering #DF; events: %s",
            vector_name(vec), vec, err, hist);
    vm_dump_state(c->vm, stderr);
    c->bt.delivering = -1;
    return -1;
}

/* Deliver `ev`.  A fault raised while delivering is itself delivered (with
 * EIP = fault_eip, the instruction that caused the event), promoted to #DF
 * by table 6-5; a contributory or page fault while delivering #DF shuts the
 * processor down. */
static int deliver(struct vcpu *c, struct event ev, uint32_t fault_eip)
{
    int chain[8], len = 0;

    for (;;) {
        int vec;
        uint32_t err;

        if (len < 8)
            chain[len++] = ev.vector;
        c->bt.delivering = ev.vector;
        int r = deliver_once(c, &ev, &vec, &err);
        if (r == 0) {
            if (ev.kind == EV_EXTINT)
                vm_stats(c->vm)->interrupts[ev.vector]++;
            else
                vm_stats(c->vm)->exceptions[ev.vector]++;
            c->bt.events++;
            c->bt.last_vector = ev.vector;
            c->bt.last_error = ev.has_error ? ev.error : 0;
            c->bt.delivering = -1;
            return 0;
        }
        if (r == -2) {
            c->bt.delivering = -1;
            return -1;
        }
        /* EXT (error-code bit 0): the fault happened while delivering an
         * event external to the program (SDM 6.13). */
        if (ev.kind != EV_SOFTINT && vec != EXC_PF)
            err |= 1;
        /* After a task switch's commit point the fault belongs to the new
         * task: its EIP is the one to report (SDM 8.3). */
        if (r != -3)
            c->eip = fault_eip;
        struct event next = { vec, EV_EXCEPTION, cpu_vector_has_error(vec), err };
        int first = event_class(&ev), second = event_class(&next);
        if (first == DOUBLE_FAULT && second != BENIGN)
            return triple_fault(c, chain, len, vec, err);
        if (makes_double_fault(first, second))
            next = (struct event){ EXC_DF, EV_EXCEPTION, true, 0 };
        ev = next;
    }
}

int cpu_deliver(struct vcpu *c, int vector, enum event_kind kind, bool has_error, uint32_t error)
{
    struct event ev = { vector & 0xFF, kind, has_error, error };
    return deliver(c, ev, c->eip);
}

int cpu_soft_int(struct vcpu *c, int vector, uint32_t insn_eip)
{
    struct event ev = { vector & 0xFF, EV_SOFTINT, false, 0 };
    return deliver(c, ev, insn_eip);
}

int cpu_raise(struct vcpu *c, int vector, uint32_t error)
{
    return cpu_deliver(c, vector, EV_EXCEPTION, cpu_vector_has_error(vector), error);
}

/* ---- IRET (SDM vol. 2 IRET, protected-mode return) ---- */

/* EFLAGS bits an IRET may load at the current CPL and IOPL. */
static uint32_t iret_flags(const struct vcpu *c, uint32_t cur, uint32_t popped, bool op32)
{
    uint32_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT;
    int iopl = (cur & FL_IOPL) >> 12;

    if (op32)
        mask |= FL_RF | FL_AC | FL_ID;
    if (c->cpl <= iopl)
        mask |= FL_IF;
    if (c->cpl == 0) {
        mask |= FL_IOPL;
        if (op32)
            mask |= FL_VIF | FL_VIP;
    }
    return (cur & ~mask) | (popped & mask);
}

static int iret_fault(struct vcpu *c, int r, int vec, uint32_t err)
{
    if (r == -2)
        return -2;
    return cpu_raise(c, vec, err) < 0 ? -2 : -1;
}

/* Every IRET ends NMI blocking, even one that faults and a task return
 * (SDM vol. 3A 6.7.1); a latched NMI is then taken before the next
 * instruction, so translated code must come back to the run loop. */
void cpu_iret_ends_nmi_blocking(struct vcpu *c)
{
    if (c->nmi_blocked) {
        c->nmi_blocked = false;
        if (c->nmi_pending)
            host_poll_kick(c->vm);
    }
}

int cpu_iret(struct vcpu *c, bool op32)
{
    unsigned w = op32 ? 4 : 2;
    uint32_t cur = vcpu_get_eflags(c), v[3], esp = c->gpr[R_ESP];
    struct desc cd, sd;
    int vec, r;
    uint32_t err;

    if (cpu_real_mode(c) || cpu_v86(c))
        return rm_iret(c, op32);
    cpu_iret_ends_nmi_blocking(c);
    if (cur & FL_NT) {          /* the caller's: task_return() */
        vm_stop(c->vm, VMM_EXIT_ERROR, "internal error: cpu_iret with EFLAGS.NT set");
        return -2;
    }
    if ((r = stack_pop_frame(c, &c->seg[S_SS], esp, v, 3, w, c->cpl, 0, &vec, &err)))
        return iret_fault(c, r, vec, err);
    uint32_t eip = v[0], popped = v[2];
    uint16_t cs = (uint16_t)v[1];
    if (!op32)
        popped = (cur & 0xFFFF0000u) | (popped & 0xFFFF);
    if (op32 && (popped & FL_VM) && c->cpl == 0)
        return v86_iret_enter(c, eip, cs, popped);
    if (seg_check_ret_code(c, cs, &cd, &vec, &err))
        return iret_fault(c, -1, vec, err);
    esp += 3 * w;
    uint32_t fl = iret_flags(c, cur, popped, op32);

    if (SEL_RPL(cs) == c->cpl) {
        if (eip > desc_limit(cd))
            return iret_fault(c, -1, EXC_GP, 0);
        seg_commit(c, S_CS, cs, cd);
        c->gpr[R_ESP] = esp;
        c->eip = eip;
        vcpu_set_eflags(c, fl);
        return 0;
    }
    /* Return to an outer level: ESP and SS follow EFLAGS. */
    if ((r = stack_pop_frame(c, &c->seg[S_SS], esp, v, 2, w, c->cpl, 0, &vec, &err)))
        return iret_fault(c, r, vec, err);
    uint16_t ss = (uint16_t)v[1];
    if (seg_check_stack(c, ss, SEL_RPL(cs), EXC_GP, &sd, &vec, &err))
        return iret_fault(c, -1, vec, err);
    if (eip > desc_limit(cd))
        return iret_fault(c, -1, EXC_GP, 0);
    vcpu_set_eflags(c, fl);         /* uses the old CPL's rules, computed above */
    seg_commit(c, S_CS, cs, cd);
    seg_commit(c, S_SS, ss, sd);
    c->gpr[R_ESP] = v[0];
    c->eip = eip;
    seg_null_outer_data(c);
    return 0;
}
