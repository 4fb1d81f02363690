/*
 * cpu/realmode.c - real-address mode: segment loads, far JMP/CALL/RET,
 * delivery through the interrupt vector table, IRET and the reset state
 * (contract in cpu/realmode.h; Intel SDM vol. 3A chapter 20 and 9.1.1,
 * vol. 2 the real-address-mode pseudocode of each instruction).
 */
#include <string.h>
#include <Zydis/Zydis.h>
#include "cpu/realmode.h"
#include "cpu/segments.h"
#include "cpu/cpuid.h"
#include "cpu/exceptions.h"
#include "cpu/v86.h"
#include "shadow_mmu/mmu.h"

void rm_load_seg(struct vcpu *c, int sreg, uint16_t sel)
{
    if (cpu_v86(c)) {
        v86_load_seg(c, sreg, sel);
        return;
    }
    c->seg[sreg].sel = sel;
    c->seg[sreg].base = (uint32_t)sel << 4;
}

/* ---- the stack: SS:SP, or SS:ESP when the cache says B = 1 ---- */

static uint32_t sp_mask(const struct vcpu *c)
{
    return SEG_ATTR_DB(c->seg[S_SS].attr) ? 0xFFFFFFFFu : 0xFFFFu;
}

/* The stack slot `k` items of `w` bytes above SP (k may be negative):
 * SP wraps within its 16 bits, and each item must lie inside the limit
 * ("IF stack not large enough ... THEN #SS"). */
static bool slot(const struct vcpu *c, int k, unsigned w, uint32_t *lin)
{
    uint32_t m = sp_mask(c);
    uint32_t off = (c->gpr[R_ESP] + (uint32_t)(k * (int)w)) & m;
    if (!seg_range_ok(&c->seg[S_SS], off, w))
        return false;
    *lin = c->seg[S_SS].base + off;
    return true;
}

/* Virtual-8086 code reaches its stack as a user (CPL 3) through the page
 * tables; real mode runs at CPL 0 and has no paging. */
static unsigned stack_acc(const struct vcpu *c)
{
    return c->cpl == 3 ? ACC_USER : 0;
}

static void sp_add(struct vcpu *c, int32_t delta)
{
    uint32_t m = sp_mask(c);
    c->gpr[R_ESP] = (c->gpr[R_ESP] & ~m) | ((c->gpr[R_ESP] + (uint32_t)delta) & m);
}

/* Push vals[0..n-1] (vals[n-1] lowest), checking every slot first. */
static int push(struct vcpu *c, const uint32_t *vals, int n, unsigned w, int *vec, uint32_t *err)
{
    uint32_t lin[4];
    struct mmu_fault f;
    for (int i = 0; i < n; i++)
        if (!slot(c, -(i + 1), w, &lin[i]))
            return seg_fail(vec, err, EXC_SS, 0);
    for (int i = 0; i < n; i++)
        if (mmu_write(c, lin[i], &vals[i], w, stack_acc(c), &f) == MMU_PAGE_FAULT) {
            c->cr2 = f.cr2;     /* virtual-8086 mode: real mode has no paging */
            return seg_fail(vec, err, EXC_PF, f.error);
        }
    sp_add(c, -(int32_t)(n * (int)w));
    return 0;
}

/* Read n items from SP up without moving SP. */
static int peek(struct vcpu *c, uint32_t *vals, int n, unsigned w, int *vec, uint32_t *err)
{
    struct mmu_fault f;
    for (int i = 0; i < n; i++) {
        uint32_t lin;
        vals[i] = 0;
        if (!slot(c, i, w, &lin))
            return seg_fail(vec, err, EXC_SS, 0);
        if (mmu_read(c, lin, &vals[i], w, stack_acc(c), &f) == MMU_PAGE_FAULT) {
            c->cr2 = f.cr2;
            return seg_fail(vec, err, EXC_PF, f.error);
        }
    }
    return 0;
}

/* ---- far transfers (SDM vol. 2 JMP, CALL, RET: real-address mode) ---- */

/* "IF tempEIP is beyond code segment limit THEN #GP(0)": the limit of the
 * CS cache, which a real-mode load keeps. */
static int load_cs_ip(struct vcpu *c, uint16_t sel, uint32_t off, int *vec, uint32_t *err)
{
    if (off > c->seg[S_CS].limit)
        return seg_fail(vec, err, EXC_GP, 0);
    rm_load_seg(c, S_CS, sel);
    c->eip = off;
    return 0;
}

int rm_far_jmp(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, int *vec, uint32_t *err)
{
    return load_cs_ip(c, sel, op32 ? off : off & 0xFFFF, vec, err);
}

int rm_far_call(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                int *vec, uint32_t *err)
{
    /* CS is pushed first (zero-extended with op32), then (E)IP. */
    uint32_t vals[2] = { c->seg[S_CS].sel, op32 ? eip_next : eip_next & 0xFFFF };
    if (!op32)
        off &= 0xFFFF;
    if (off > c->seg[S_CS].limit)
        return seg_fail(vec, err, EXC_GP, 0);
    if (push(c, vals, 2, op32 ? 4 : 2, vec, err))
        return -1;
    rm_load_seg(c, S_CS, sel);
    c->eip = off;
    return 0;
}

int rm_far_ret(struct vcpu *c, bool op32, uint16_t pop_bytes, int *vec, uint32_t *err)
{
    unsigned w = op32 ? 4 : 2;
    uint32_t v[2];
    if (peek(c, v, 2, w, vec, err))
        return -1;
    if (v[0] > c->seg[S_CS].limit)
        return seg_fail(vec, err, EXC_GP, 0);
    rm_load_seg(c, S_CS, (uint16_t)v[1]);
    c->eip = v[0];
    sp_add(c, (int32_t)(2 * w + pop_bytes));
    return 0;
}

/* ---- events (SDM vol. 3A 20.1.4; vol. 2 INT n, REAL-ADDRESS-MODE) ---- */

int rm_deliver_once(struct vcpu *c, int vector, int *vec, uint32_t *err)
{
    uint32_t off = (uint32_t)vector * 4;
    uint8_t ent[4];
    struct mmu_fault f;

    if (off + 3 > c->idtr.limit)
        return seg_fail(vec, err, EXC_GP, 0);
    if (mmu_read(c, c->idtr.base + off, ent, 4, 0, &f) == MMU_PAGE_FAULT) {
        c->cr2 = f.cr2;
        return seg_fail(vec, err, EXC_PF, f.error);
    }
    uint32_t fl = vcpu_get_eflags(c);
    uint32_t vals[3] = { fl & 0xFFFF, c->seg[S_CS].sel, c->eip & 0xFFFF };
    if (push(c, vals, 3, 2, vec, err))
        return -1;
    rm_load_seg(c, S_CS, (uint16_t)(ent[2] | ent[3] << 8));
    c->eip = ent[0] | ent[1] << 8;
    vcpu_set_eflags(c, fl & ~(FL_IF | FL_TF | FL_AC));
    c->halted = false;
    return 0;
}

/* EFLAGS bits a 32-bit IRET loads in real mode (vol. 2 IRET: tempEFLAGS
 * AND 257FD5H; VM, VIF and VIP (1A0000H) are kept).  In virtual-8086 mode
 * (RETURN-FROM-VIRTUAL-8086-MODE, IOPL 3) IOPL is kept too, with either
 * operand size. */
#define RM_IRET32_BITS 0x257FD5u

static uint32_t iret_bits(const struct vcpu *c, bool op32)
{
    uint32_t m = op32 ? RM_IRET32_BITS : 0xFFFFu;
    return cpu_v86(c) ? m & ~FL_IOPL : m;
}

int rm_iret(struct vcpu *c, bool op32)
{
    unsigned w = op32 ? 4 : 2;
    uint32_t v[3];
    int vec = EXC_GP;
    uint32_t err = 0;

    cpu_iret_ends_nmi_blocking(c);
    if (peek(c, v, 3, w, &vec, &err) || v[0] > c->seg[S_CS].limit)
        return cpu_raise(c, vec, err) < 0 ? -2 : -1;
    uint32_t cur = vcpu_get_eflags(c), m = iret_bits(c, op32);
    uint32_t fl = (v[2] & m) | (cur & ~m);
    rm_load_seg(c, S_CS, (uint16_t)v[1]);
    c->eip = v[0];
    sp_add(c, (int32_t)(3 * w));
    vcpu_set_eflags(c, fl);
    return 0;
}

bool rm_unrecognised(int m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_LLDT: case ZYDIS_MNEMONIC_SLDT: case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_STR: case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL:
    case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW: case ZYDIS_MNEMONIC_ARPL:
        return true;
    default:
        return false;
    }
}

int rm_insn_fault(int m)
{
    if (rm_unrecognised(m))
        return EXC_UD;
    switch (m) {
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT:
        return EXC_GP;
    default:
        return -1;
    }
}

/* ---- RESET (SDM vol. 3A 9.1.1, table 9-1) ---- */

void vcpu_reset_power_on(struct vcpu *c)
{
    uint32_t id[4];
    vcpu_reset_protected_flat(c);
    c->cr0 = CR0_CD | CR0_NW | CR0_ET;
    /* Segments: present, read/write, accessed; CS the same with its base
     * at FFFF0000 so that the first fetch is at FFFFFFF0, the top of the
     * address space where the firmware ROM ends. */
    seg_set_raw(&c->seg[S_CS], 0xF000, 0xFFFF0000u, 0xFFFF, 0x009B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0, 0, 0xFFFF, 0x0093);
    c->eip = 0xFFF0;
    c->gdtr = (struct dtr){ 0, 0xFFFF };
    c->idtr = (struct dtr){ 0, 0x3FF };
    cpu_cpuid(c, 1, 0, id);
    c->gpr[R_EDX] = id[0];
}
