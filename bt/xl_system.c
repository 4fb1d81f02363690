/*
 * bt/xl_system.c - sensitive instructions that translated ring-0 code can
 * carry out on struct vcpu itself, without leaving for the emulator: they
 * only read virtual state.  PUSHFD composes the guest's EFLAGS (arithmetic
 * flags from the host, IF, DF and the rest from struct vcpu); PUSH Sreg and
 * MOV from Sreg read the guest's selectors; MOV from CR0/CR2/CR3/CR4 reads
 * the guest's control registers; RDTSC reads the guest TSC through a light
 * helper (bt_rdtsc in bt/entry.S).  At CPL 0 none of them can fault on
 * their own, so the only fault left is the guest memory access.
 */
#include <stddef.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"

static int sreg_of(ZydisRegister r)
{
    switch (r) {
    case ZYDIS_REGISTER_ES: return S_ES;
    case ZYDIS_REGISTER_CS: return S_CS;
    case ZYDIS_REGISTER_SS: return S_SS;
    case ZYDIS_REGISTER_DS: return S_DS;
    case ZYDIS_REGISTER_FS: return S_FS;
    default: return S_GS;
    }
}

static int sel_off(int s)
{
    return (int)(offsetof(struct vcpu, seg) + (size_t)s * sizeof(struct seg) + offsetof(struct seg, sel));
}

/* movzx r9d, word [r15 + off] */
static void load_r9_u16(struct emit *e, int off)
{
    static const uint8_t movzx[] = { 0x0F, 0xB7 };
    emit_mem(e, 0, movzx, 2, H_R9, H_R15, -1, 1, off);
}

/*
 * PUSHFD.  The host flags are read with PUSHFQ on a scratch stack inside
 * struct vcpu (RSP holds the guest's ESP, which must not be pushed on), the
 * image is composed with flag-changing instructions, and POPFQ puts the
 * guest's arithmetic flags back exactly as they were.
 */
void emit_eflags_r9(struct xlat *x)
{
    struct emit *e = &x->e;
    int scratch = VCPU_OFF_SCRATCH + 8;
    int eflags = (int)offsetof(struct vcpu, eflags);
    static const uint8_t save_rsp[] = { 0x49, 0x89, 0xE0 };            /* mov r8, rsp */
    static const uint8_t lea = 0x8D, mov = 0x8B, orr = 0x0B;
    emit_bytes(e, save_rsp, sizeof save_rsp);
    emit_mem(e, EM_W, &lea, 1, H_RSP, H_R15, -1, 1, scratch);          /* lea rsp, [r15+scratch] */
    static const uint8_t body1[] = {
        0x9C,                                   /* pushfq */
        0x4C, 0x8B, 0x0C, 0x24,                 /* mov r9, [rsp] */
        0x41, 0x81, 0xE1, 0xD5, 0x08, 0x00, 0x00, /* and r9d, CF|PF|AF|ZF|SF|OF */
        0x45, 0x0F, 0xB6, 0x57, VCPU_OFF_VIF,   /* movzx r10d, byte [r15+vif] */
        0x41, 0xC1, 0xE2, 0x09,                 /* shl r10d, 9: IF */
        0x45, 0x09, 0xD1,                       /* or r9d, r10d */
        0x4D, 0x8B, 0x57, VCPU_OFF_STR_STEP,    /* mov r10, [r15+str_step] */
        0x49, 0xC1, 0xEA, 0x3F,                 /* shr r10, 63: 1 when the step is -1 */
        0x41, 0xC1, 0xE2, 0x0A,                 /* shl r10d, 10: DF */
        0x45, 0x09, 0xD1,                       /* or r9d, r10d */
    };
    emit_bytes(e, body1, sizeof body1);
    emit_mem(e, 0, &orr, 1, H_R9, H_R15, -1, 1, eflags);               /* or r9d, [r15+eflags] */
    static const uint8_t body2[] = {
        0x9D,                                   /* popfq: the guest's flags again */
        0x4C, 0x89, 0xC4,                       /* mov rsp, r8 */
    };
    emit_bytes(e, body2, sizeof body2);
    (void)mov;
}

void xl_pushfd(struct xlat *x)
{
    emit_eflags_r9(x);
    emit_store_stack(x, 32, H_R9, -4);
    emit_lea(&x->e, H_RSP, H_RSP, -4);
}

void emit_sel_r9(struct xlat *x, ZydisRegister r)
{
    load_r9_u16(&x->e, sel_off(sreg_of(r)));
}

/* PUSH ES/CS/SS/DS/FS/GS with a 32-bit operand: like current processors,
 * only the low 16 bits of the slot are written. */
void xl_push_sreg(struct xlat *x)
{
    load_r9_u16(&x->e, sel_off(sreg_of(x->ops[0].reg.value)));
    emit_store_stack(x, 16, H_R9, -4);
    emit_lea(&x->e, H_RSP, H_RSP, -4);
}

/* MOV r/m, Sreg: a register destination gets the zero-extended selector
 * (or its low 16 bits with a 16-bit operand); memory gets 16 bits. */
void xl_mov_from_sreg(struct xlat *x)
{
    const ZydisDecodedOperand *dst = &x->ops[0];
    load_r9_u16(&x->e, sel_off(sreg_of(x->ops[1].reg.value)));
    if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        bool r16 = ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_GPR16;
        emit_rr(&x->e, r16 ? EM_O16 : 0, 0x89, H_R9, gpr_id(dst->reg.value)); /* mov reg, r9 */
        return;
    }
    static const uint8_t st = 0x89;
    emit_guest_mem(x, dst, EM_O16, &st, 1, H_R9, 0);
}

/* MOV r32, CR0/CR2/CR3/CR4 (CPL 0: no fault). */
void xl_mov_from_cr(struct xlat *x)
{
    int off;
    switch (x->ops[1].reg.value) {
    case ZYDIS_REGISTER_CR0: off = (int)offsetof(struct vcpu, cr0); break;
    case ZYDIS_REGISTER_CR2: off = (int)offsetof(struct vcpu, cr2); break;
    case ZYDIS_REGISTER_CR3: off = (int)offsetof(struct vcpu, cr3); break;
    default: off = (int)offsetof(struct vcpu, cr4); break;
    }
    static const uint8_t mov = 0x8B;
    emit_mem(&x->e, 0, &mov, 1, gpr_id(x->ops[0].reg.value), H_R15, -1, 1, off);
}

/*
 * RDTSC: EDX:EAX := the guest TSC, computed by the same cpu_rdtsc() as the
 * emulator's RDTSC and ring 3's trapped one (1 GHz: host CLOCK_MONOTONIC
 * ns + tsc_offset), so all three agree and never go backwards.  CR4.TSD
 * only restricts CPL > 0, and translated code is CPL 0.  No exit: a jump to
 * bt_rdtsc with the return address in r10.
 */
void xl_rdtsc(struct xlat *x)
{
    static const uint8_t lea_r10[] = { 0x4C, 0x8D, 0x15, 5, 0, 0, 0 }; /* lea r10, [rip+5] */
    emit_bytes(&x->e, lea_r10, sizeof lea_r10);
    emit_jmp(&x->e, x->tc->rdtsc_tramp);                              /* 5 bytes */
}
