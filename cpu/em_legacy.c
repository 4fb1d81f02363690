/*
 * cpu/em_legacy.c - the 32-bit-only and segment-related instructions:
 * CLI/STI, the BCD adjustments (AAA AAS DAA DAS AAM AAD), ARPL, SALC,
 * LDS/LES/LFS/LGS/LSS, MOV to and from segment registers, LAR/LSL/VERR/VERW.
 * None of these has a 64-bit form the translator could copy.
 */
#include "cpu/em_internal.h"
#include "cpu/segments.h"

/* ---------------- CLI / STI (SDM vol. 2; no VME/PVI in the model) ---------------- */

enum em_result em_cli(struct em *e)
{
    if (e->c->cpl > em_iopl(e->c))
        return em_gp0(e);
    e->c->vif = 0;
    return em_done(e);
}

/* STI that sets IF delays interrupt recognition until after the next
 * instruction (so that "sti; hlt" and "sti; ret" cannot be interrupted in
 * between); reported to the caller through em_info.irq_shadow. */
enum em_result em_sti(struct em *e)
{
    if (e->c->cpl > em_iopl(e->c))
        return em_gp0(e);
    e->irq_shadow = !e->c->vif;
    e->c->vif = 1;
    return em_done(e);
}

/* ---------------- BCD adjustments (SDM vol. 2) ---------------- */
/* Flags the SDM calls undefined are set the way the P6 leaves them: SF, ZF,
 * PF from AL, OF clear. */

static uint8_t al(const struct vcpu *c) { return c->gpr[R_EAX] & 0xFF; }
static uint8_t ah(const struct vcpu *c) { return (c->gpr[R_EAX] >> 8) & 0xFF; }
static void set_ax(struct vcpu *c, uint8_t hi, uint8_t lo)
{
    c->gpr[R_EAX] = (c->gpr[R_EAX] & 0xFFFF0000u) | hi << 8 | lo;
}
static bool flag(const struct vcpu *c, uint32_t f) { return vcpu_get_eflags(c) & f; }

static enum em_result bcd_done(struct em *e, uint32_t cf_af)
{
    em_set_flags(e->c, FL_ARITH, cf_af | em_szp8(al(e->c)));
    return em_done(e);
}

/* AAA/AAS: adjust an unpacked-BCD sum/difference in AL, carry into AH. */
enum em_result em_aaa(struct em *e)
{
    struct vcpu *c = e->c;
    if ((al(c) & 0xF) > 9 || flag(c, FL_AF)) {
        uint16_t ax = (c->gpr[R_EAX] & 0xFFFF) + 0x106;
        set_ax(c, ax >> 8, ax & 0x0F);
        return bcd_done(e, FL_AF | FL_CF);
    }
    set_ax(c, ah(c), al(c) & 0x0F);
    return bcd_done(e, 0);
}

enum em_result em_aas(struct em *e)
{
    struct vcpu *c = e->c;
    if ((al(c) & 0xF) > 9 || flag(c, FL_AF)) {
        uint16_t ax = (c->gpr[R_EAX] & 0xFFFF) - 6;
        set_ax(c, (ax >> 8) - 1, ax & 0x0F);
        return bcd_done(e, FL_AF | FL_CF);
    }
    set_ax(c, ah(c), al(c) & 0x0F);
    return bcd_done(e, 0);
}

/* DAA/DAS: adjust a packed-BCD sum/difference in AL. */
enum em_result em_daa(struct em *e)
{
    struct vcpu *c = e->c;
    uint8_t old = al(c), a = old;
    bool cf = flag(c, FL_CF);
    uint32_t f = 0;
    if ((a & 0xF) > 9 || flag(c, FL_AF)) {
        a += 6;
        f |= FL_AF;
    }
    if (old > 0x99 || cf) {
        a += 0x60;
        f |= FL_CF;
    }
    set_ax(c, ah(c), a);
    return bcd_done(e, f);
}

enum em_result em_das(struct em *e)
{
    struct vcpu *c = e->c;
    uint8_t old = al(c), a = old;
    bool cf = flag(c, FL_CF);
    uint32_t f = 0;
    if ((a & 0xF) > 9 || flag(c, FL_AF)) {
        f |= FL_AF | ((a < 6 || cf) ? FL_CF : 0);
        a -= 6;
    }
    if (old > 0x99 || cf) {
        a -= 0x60;
        f |= FL_CF;
    }
    set_ax(c, ah(c), a);
    return bcd_done(e, f);
}

/* AAM imm8: AH = AL / imm, AL = AL % imm; a zero divisor is #DE. */
enum em_result em_aam(struct em *e)
{
    struct vcpu *c = e->c;
    uint8_t base = e->op[0].imm.value.u & 0xFF;
    if (base == 0)
        return em_raise(e, EXC_DE, 0);
    set_ax(c, al(c) / base, al(c) % base);
    return bcd_done(e, 0);
}

/* AAD imm8: AL = AL + AH * imm, AH = 0. */
enum em_result em_aad(struct em *e)
{
    struct vcpu *c = e->c;
    uint8_t base = e->op[0].imm.value.u & 0xFF;
    set_ax(c, 0, (uint8_t)(al(c) + ah(c) * base));
    return bcd_done(e, 0);
}

/* SALC (undocumented D6): AL = CF ? 0xFF : 0, flags unchanged. */
enum em_result em_salc(struct em *e)
{
    set_ax(e->c, ah(e->c), flag(e->c, FL_CF) ? 0xFF : 0);
    return em_done(e);
}

/* ARPL r/m16, r16: raise the destination selector's RPL to the source's. */
enum em_result em_arpl(struct em *e)
{
    uint32_t dst, src;
    if (!em_read_op(e, 0, &dst) || !em_read_op(e, 1, &src))
        return e->res;
    if ((dst & 3) < (src & 3)) {
        if (!em_write_op(e, 0, (dst & ~3u) | (src & 3)))
            return e->res;
        em_set_flags(e->c, FL_ZF, FL_ZF);
    } else {
        em_set_flags(e->c, FL_ZF, 0);
    }
    return em_done(e);
}

/* ---------------- segment loads ---------------- */

/* LDS/LES/LFS/LGS/LSS r, m16:32 (or m16:16): the segment is loaded first;
 * if it faults, the general register keeps its value. */
static enum em_result load_far_pointer(struct em *e, int sreg)
{
    unsigned n = em_op32(e) ? 4 : 2;
    uint8_t b[6];
    int vec;
    uint32_t err;
    if (e->op[1].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_ud(e);
    if (!em_read_mem_op(e, 1, b, n + 2))
        return e->res;
    uint32_t off = em_le(b, n);
    uint16_t sel = em_le(b + n, 2);
    if (seg_load_data(e->c, sreg, sel, &vec, &err) < 0)
        return em_raise(e, vec, err);
    em_reg_set(e->c, e->op[0].reg.value, off);
    return em_done(e);
}

enum em_result em_lds(struct em *e) { return load_far_pointer(e, S_DS); }
enum em_result em_les(struct em *e) { return load_far_pointer(e, S_ES); }
enum em_result em_lfs(struct em *e) { return load_far_pointer(e, S_FS); }
enum em_result em_lgs(struct em *e) { return load_far_pointer(e, S_GS); }
enum em_result em_lss(struct em *e) { return load_far_pointer(e, S_SS); }

/* MOV Sreg, r/m16 (CS is #UD; SS sets the interrupt shadow) and
 * MOV r/m, Sreg (a 32-bit register receives the selector zero-extended,
 * memory receives 16 bits). */
enum em_result em_mov_sreg(struct em *e)
{
    int dst = e->op[0].type == ZYDIS_OPERAND_TYPE_REGISTER ? em_sreg_index(e->op[0].reg.value) : -1;
    int vec;
    uint32_t err, v;
    if (dst < 0) {
        if (!em_write_op(e, 0, em_reg_get(e->c, e->op[1].reg.value)))
            return e->res;
        return em_done(e);
    }
    if (dst == S_CS)
        return em_ud(e);
    if (!em_read_op(e, 1, &v))
        return e->res;
    if (seg_load_data(e->c, dst, v & 0xFFFF, &vec, &err) < 0)
        return em_raise(e, vec, err);
    e->irq_shadow = dst == S_SS;
    return em_done(e);
}

/* ---------------- LAR / LSL / VERR / VERW ---------------- */

/* The selector operand: a register gives its low 16 bits. */
static bool selector_op(struct em *e, int i, uint16_t *sel)
{
    uint32_t v;
    if (!em_read_op(e, i, &v))
        return false;
    *sel = v & 0xFFFF;
    return true;
}

static enum em_result set_zf(struct em *e, bool ok)
{
    em_set_flags(e->c, FL_ZF, ok ? FL_ZF : 0);
    return em_done(e);
}

/* LAR/LSL write the destination only when the checks pass (ZF=1). */
enum em_result em_lar(struct em *e)
{
    uint16_t sel;
    uint32_t ar;
    if (!selector_op(e, 1, &sel))
        return e->res;
    bool ok = seg_lar(e->c, sel, &ar);
    if (ok)
        em_reg_set(e->c, e->op[0].reg.value, em_op32(e) ? ar : ar & 0xFF00);
    return set_zf(e, ok);
}

enum em_result em_lsl(struct em *e)
{
    uint16_t sel;
    uint32_t limit;
    if (!selector_op(e, 1, &sel))
        return e->res;
    bool ok = seg_lsl(e->c, sel, &limit);
    if (ok)
        em_reg_set(e->c, e->op[0].reg.value, limit);
    return set_zf(e, ok);
}

enum em_result em_verr(struct em *e)
{
    uint16_t sel;
    if (!selector_op(e, 0, &sel))
        return e->res;
    return set_zf(e, seg_verr(e->c, sel));
}

enum em_result em_verw(struct em *e)
{
    uint16_t sel;
    if (!selector_op(e, 0, &sel))
        return e->res;
    return set_zf(e, seg_verw(e->c, sel));
}
