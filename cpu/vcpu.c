/*
 * cpu/vcpu.c - reset state and the split EFLAGS image.
 */
#include <string.h>
#include <stddef.h>
#include "cpu/vcpu.h"
#include "cpu/segments.h"
#include "cpu/memtype.h"

/* The translated code and the assembly depend on these offsets
 * (cpu/vcpu_layout.h). */
_Static_assert(offsetof(struct vcpu, gpr) == VCPU_OFF_GPR, "gpr");
_Static_assert(offsetof(struct vcpu, eip) == VCPU_OFF_EIP, "eip");
_Static_assert(offsetof(struct vcpu, rflags) == VCPU_OFF_RFLAGS, "rflags");
_Static_assert(offsetof(struct vcpu, str_step) == VCPU_OFF_STR_STEP, "str_step");
_Static_assert(offsetof(struct vcpu, vif) == VCPU_OFF_VIF, "vif");
_Static_assert(offsetof(struct vcpu, fx_guest) == VCPU_OFF_FX_GUEST, "fx_guest");
_Static_assert(offsetof(struct vcpu, bt) == VCPU_OFF_BT, "bt");
_Static_assert(offsetof(struct bt_context, exit_reason) == BT_OFF_REASON, "exit_reason");
_Static_assert(offsetof(struct bt_context, host_ac) == BT_OFF_HOST_AC, "host_ac");
_Static_assert(offsetof(struct bt_context, host_rsp) == BT_OFF_HOST_RSP, "host_rsp");
_Static_assert(offsetof(struct bt_context, exit_arg) == BT_OFF_EXIT_ARG, "exit_arg");
_Static_assert(offsetof(struct bt_context, gs_by_insn) == BT_OFF_GS_INSN, "gs_by_insn");
_Static_assert(offsetof(struct bt_context, callout_arg) == BT_OFF_CALLOUT_ARG, "callout_arg");
_Static_assert(offsetof(struct bt_context, lookup_table) == BT_OFF_LOOKUP, "lookup_table");
_Static_assert(offsetof(struct bt_context, poll_irq) == BT_OFF_POLL_IRQ, "poll_irq");
_Static_assert(offsetof(struct bt_context, poll_any) == BT_OFF_POLL_ANY, "poll_any");
_Static_assert(offsetof(struct bt_context, xview) == BT_OFF_XVIEW, "xview");
_Static_assert(offsetof(struct bt_context, gs_base) == BT_OFF_GS_BASE, "gs_base");
_Static_assert(offsetof(struct bt_context, gs_kept) == BT_OFF_GS_KEPT, "gs_kept");
_Static_assert(offsetof(struct bt_context, seglimit_guard) == BT_OFF_SEGLIMIT, "seglimit_guard");
_Static_assert(offsetof(struct bt_context, fpu_gate) == BT_OFF_FPU_GATE, "fpu_gate");
_Static_assert(offsetof(struct bt_context, scratch) == BT_OFF_SCRATCH, "scratch");
_Static_assert(offsetof(struct bt_context, fx_host) == BT_OFF_FX_HOST, "fx_host");
/* The hot fields of the state are reached with one-byte displacements. */
_Static_assert(VCPU_OFF_VIF < 0x80 && VCPU_OFF_STR_STEP < 0x80 && VCPU_OFF_EIP < 0x80, "disp8");

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

const char *vcpu_reg_name(int r)
{
    return (r >= 0 && r < 8) ? reg_names[r] : "?";
}

uint32_t x86_get_eflags(const struct x86_state *c)
{
    uint32_t f = c->eflags & ~(FL_ARITH | FL_IF | FL_DF);
    f |= (uint32_t)c->rflags & FL_ARITH;
    if (c->vif)
        f |= FL_IF;
    if (c->str_step < 0)
        f |= FL_DF;
    return f | FL_FIXED;
}

void x86_set_eflags(struct x86_state *c, uint32_t v)
{
    c->rflags = (c->rflags & ~(uint64_t)FL_ARITH) | (v & FL_ARITH) | FL_FIXED;
    c->vif = (v & FL_IF) != 0;
    c->str_step = (v & FL_DF) ? -1 : 1;
    c->eflags = (v & ~(FL_ARITH | FL_IF | FL_DF)) | FL_FIXED;
}

/* An FXSAVE image after FNINIT with MXCSR at its reset value. */
static void fx_reset(uint8_t *fx)
{
    memset(fx, 0, VCPU_FXSAVE_SIZE);
    fx[0] = 0x7F; fx[1] = 0x03;         /* FCW = 0x037F */
    fx[24] = 0x80; fx[25] = 0x1F;       /* MXCSR = 0x1F80 */
    fx[28] = 0xFF; fx[29] = 0xFF;       /* MXCSR_MASK */
}

void vcpu_reset_protected_flat(struct vcpu *c)
{
    memset(c->gpr, 0, sizeof c->gpr);
    c->eip = 0;
    c->cr0 = CR0_PE | CR0_ET;
    c->cr2 = c->cr3 = c->cr4 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xFFFF0FF0u;
    c->dr[7] = 0x400;
    c->cpl = 0;
    vcpu_set_eflags(c, FL_FIXED);
    /* Multiboot: CS a 32-bit read/execute segment, data segments read/write,
     * offset 0, limit 4 GiB.  The selector values are undefined; we use the
     * conventional 0x08/0x10. */
    seg_set_raw(&c->seg[S_CS], 0x08, 0, 0xFFFFFFFFu, 0xC09B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0x10, 0, 0xFFFFFFFFu, 0xC093);
    c->gdtr = (struct dtr){ 0, 0xFFFF };
    c->idtr = (struct dtr){ 0, 0x3FF };
    seg_set_raw(&c->ldtr, 0, 0, 0xFFFF, 0x0082);
    seg_set_raw(&c->tr, 0, 0, 0xFFFF, 0x008B);
    c->halted = false;
    c->nmi_pending = c->nmi_blocked = false;
    c->bt.delivering = -1;
    c->apic_base = 0xFEE00900ull;       /* BSP, enabled */
    c->efer = 0;                        /* NXE clear at reset (SDM vol. 3A 9.1) */
    memset(c->pdpte, 0, sizeof c->pdpte);
    memtype_reset(c);
    fx_reset(c->fx_guest);
}
