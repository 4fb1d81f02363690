/*
 * cpu/v86.c - virtual-8086 mode: entry by IRET and by task switch, the
 * instructions the mode refuses, and the interrupt frame that leaves it
 * (contract in cpu/v86.h; Intel SDM vol. 3A chapter 20, vol. 2 IRET and
 * INT n pseudocode; AMD APM vol. 2 8.9).
 */
#include <Zydis/Zydis.h>
#include "cpu/v86.h"
#include "cpu/exceptions.h"
#include "cpu/realmode.h"

void v86_load_seg(struct vcpu *c, int sreg, uint16_t sel)
{
    seg_set_raw(&c->seg[sreg], sel, (uint32_t)sel << 4, 0xFFFF, V86_SEG_ATTR);
}

void v86_load_task(struct vcpu *c, const uint16_t sel[S_NSEG])
{
    for (int s = 0; s < S_NSEG; s++)
        v86_load_seg(c, s, sel[s]);
    c->cpl = 3;
}

int v86_insn_fault(const struct vcpu *c, int m)
{
    if (rm_unrecognised(m))
        return EXC_UD;
    switch (m) {
    case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI:
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
        return (c->eflags & FL_IOPL) != FL_IOPL ? EXC_GP : -1;
    default:
        return -1;
    }
}

/* ---- IRET from CPL 0 to virtual-8086 mode ---- */

/* The EFLAGS bits an IRET to virtual-8086 mode loads: all that exist. */
#define V86_IRET_FLAGS (FL_WRITABLE | FL_VM | FL_VIF | FL_VIP)

int v86_iret_enter(struct vcpu *c, uint32_t eip, uint16_t cs, uint32_t eflags)
{
    uint32_t v[6];
    int vec, r;
    uint32_t err;

    /* ESP, SS, ES, DS, FS, GS above EIP, CS, EFLAGS: all 36 bytes on the
     * ring-0 stack, or #SS(0) with nothing changed. */
    r = stack_pop_frame(c, &c->seg[S_SS], c->gpr[R_ESP] + 12, v, 6, 4, c->cpl, 0, &vec, &err);
    if (r == -2)
        return -2;
    if (r)
        return cpu_raise(c, vec, err) < 0 ? -2 : -1;
    uint16_t sel[S_NSEG];
    sel[S_CS] = cs;
    sel[S_SS] = (uint16_t)v[1];
    sel[S_ES] = (uint16_t)v[2];
    sel[S_DS] = (uint16_t)v[3];
    sel[S_FS] = (uint16_t)v[4];
    sel[S_GS] = (uint16_t)v[5];
    vcpu_set_eflags(c, (eflags & V86_IRET_FLAGS) | FL_FIXED);
    v86_load_task(c, sel);
    c->gpr[R_ESP] = v[0];
    c->eip = eip & 0xFFFF;
    return 0;
}

/* ---- INTERRUPT-FROM-VIRTUAL-8086-MODE ---- */

int v86_deliver(struct vcpu *c, const struct v86_gate *g, uint32_t pushed_fl,
                bool has_error, uint32_t error, int *vec, uint32_t *err)
{
    /* A conforming handler, or one at DPL 1..3, would run with the
     * virtual-8086 segments still loaded: the processor refuses it. */
    if (desc_is_conforming(g->cd) || desc_dpl(g->cd) != 0)
        return seg_fail(vec, err, EXC_GP, SEL_ERR(g->cs));

    static const int order[] = { S_GS, S_FS, S_DS, S_ES, S_SS };
    uint32_t frame[10];
    int n = 0;
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
        frame[n++] = c->seg[order[i]].sel;
    frame[n++] = c->gpr[R_ESP];
    frame[n++] = pushed_fl;
    frame[n++] = c->seg[S_CS].sel;
    frame[n++] = c->eip;
    if (has_error)
        frame[n++] = error;
    unsigned width = g->gate32 ? 4 : 2;
    if (!g->gate32)
        for (int i = 0; i < n; i++)
            frame[i] &= 0xFFFF;

    struct inner_stack st;
    int r = tss_switch_push(c, 0, frame, n, width, &st, vec, err);
    if (r)
        return r;
    if (g->eip > desc_limit(g->cd))
        return seg_fail(vec, err, EXC_GP, 0);

    /* Commit. */
    uint32_t fl = vcpu_get_eflags(c) & ~(FL_VM | FL_TF | FL_RF | FL_NT);
    if (g->intgate)
        fl &= ~FL_IF;
    vcpu_set_eflags(c, fl);
    seg_commit(c, S_SS, st.sel, st.d);
    c->gpr[R_ESP] = st.esp;
    seg_commit(c, S_CS, g->cs & ~3u, g->cd);
    c->eip = g->eip;
    static const int data[] = { S_ES, S_DS, S_FS, S_GS };
    for (unsigned i = 0; i < sizeof data / sizeof data[0]; i++)
        seg_set_raw(&c->seg[data[i]], 0, 0, 0, 0);
    c->halted = false;
    return 0;
}
