/*
 * cpu/em_misc.c - the ordinary instructions that only flags, one register
 * or nothing at all: CLC STC CMC CLD STD, LAHF SAHF, BSWAP, the NOPs and
 * hints (NOP, PAUSE, the fences, the prefetches), CLFLUSH and FWAIT.
 *
 * Translated code copies all of these; the emulator needs them where it
 * runs every instruction, in real mode (cpu/realmode.h), and where it takes
 * over one instruction for the translator.
 */
#include "cpu/em_internal.h"
#include "cpu/fpu.h"

/* ---------------- flag instructions (SDM vol. 2) ---------------- */

static enum em_result set_eflags_bits(struct em *e, uint32_t clear, uint32_t set, uint32_t flip)
{
    uint32_t f = vcpu_get_eflags(e->c);
    vcpu_set_eflags(e->c, ((f & ~clear) | set) ^ flip);
    return em_done(e);
}

enum em_result em_clc(struct em *e) { return set_eflags_bits(e, FL_CF, 0, 0); }
enum em_result em_stc(struct em *e) { return set_eflags_bits(e, 0, FL_CF, 0); }
enum em_result em_cmc(struct em *e) { return set_eflags_bits(e, 0, 0, FL_CF); }
enum em_result em_cld(struct em *e) { return set_eflags_bits(e, FL_DF, 0, 0); }
enum em_result em_std(struct em *e) { return set_eflags_bits(e, 0, FL_DF, 0); }

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF.  SAHF: the reverse, for those five. */
#define AH_FLAGS (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)

enum em_result em_lahf(struct em *e)
{
    struct vcpu *c = e->c;
    uint32_t ah = (vcpu_get_eflags(c) & AH_FLAGS) | FL_FIXED;
    c->gpr[R_EAX] = (c->gpr[R_EAX] & 0xFFFF00FFu) | ah << 8;
    return em_done(e);
}

enum em_result em_sahf(struct em *e)
{
    uint32_t ah = (e->c->gpr[R_EAX] >> 8) & AH_FLAGS;
    return set_eflags_bits(e, AH_FLAGS, ah, 0);
}

/* ---------------- BSWAP (SDM vol. 2: the 16-bit form is undefined; it
 * clears the register's low word on Intel processors) ---------------- */

enum em_result em_bswap(struct em *e)
{
    struct vcpu *c = e->c;
    int r = ZydisRegisterGetId(e->op[0].reg.value) & 7;
    uint32_t v = c->gpr[r];
    if (em_op32(e))
        c->gpr[r] = __builtin_bswap32(v);
    else
        c->gpr[r] = v & 0xFFFF0000u;
    return em_done(e);
}

/* ---------------- nothing to do ---------------- */

/* NOP (90 and the 0F 1F /0 forms, whose memory operand is never
 * accessed), PAUSE, LFENCE/MFENCE/SFENCE and the PREFETCH hints: no
 * architectural effect, and a prefetch never faults. */
enum em_result em_nop(struct em *e) { return em_done(e); }

/* CLFLUSH m8: the model has no cache to write back, so what is left are
 * the checks, those of a byte load but allowed through an execute-only
 * segment (SDM vol. 2A, CLFLUSH): #GP(0)/#SS(0) beyond the limit or through
 * an unusable segment, #PF for an unmapped page; CR0.EM/TS do not apply. */
enum em_result em_clflush(struct em *e)
{
    const ZydisDecodedOperand *m = em_mem_operand(e);
    int sreg;
    uint32_t off;
    if (!m)
        return em_ud(e);
    em_op_addr(e, m, &sreg, &off);
    if (!em_seg_probe_flush(e, sreg, off))
        return e->res;
    return em_done(e);
}

/* FWAIT: #NM when CR0.MP and CR0.TS are set; otherwise a pending unmasked
 * x87 exception is the guest's #MF (SDM vol. 1, 8.6), decided as for the
 * x87 instructions the emulator runs (em_x87.c). */
enum em_result em_fwait(struct em *e)
{
    struct vcpu *c = e->c;
    int v = fpu_fault(FPU_WAIT, c->cr0, c->cr4);
    if (v)
        return em_raise(e, v, 0);
    if (em_x87_pending(c))
        return em_raise(e, EXC_MF, 0);
    return em_done(e);
}
