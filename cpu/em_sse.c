/*
 * cpu/em_sse.c - the MMX and SSE moves a kernel makes on emulated pages
 * (device memory, traced page tables, code pages): MOVD MOVQ MOVSS MOVSD
 * MOVAPS MOVUPS MOVAPD MOVUPD MOVDQA MOVDQU and the non-temporal stores
 * MOVNTI MOVNTQ MOVNTDQ MOVNTPS MOVNTPD, and the masked stores MASKMOVQ and
 * MASKMOVDQU.
 *
 * While the monitor runs, the guest's x87/MMX/SSE registers are in its
 * FXSAVE image vcpu->fx_guest (cpu/switch.inc and bt/entry.S save them
 * there on every exit and load them on entry; SDM vol. 1, 10.5.1: XMMi at
 * 160 + 16i, FSW at 2, the abridged tag byte at 4, and MMi, the x87
 * physical register Ri, in the stack slot of ST(i - TOP): em_mm_reg()),
 * so the handler reads and writes that image.  Their arithmetic is
 * cpu/em_simd.c's.
 *
 * Checks, in the processor's order: CR0.EM/TS and CR4.OSFXSR as
 * cpu/fpu.h says (#UD or #NM), a pending x87 exception for a form with an
 * MMX register (#MF), then #GP(0) for a 16-byte-aligned form whose memory
 * operand is not aligned, then the access itself.
 */
#include <string.h>
#include "cpu/em_internal.h"
#include "cpu/fpu.h"


struct ssemov {
    int mnemonic;
    bool aligned;           /* #GP(0) unless the memory operand is 16-byte aligned */
    unsigned elem;          /* bytes moved (0: the whole destination) */
    bool merge;             /* register to register: only the low element changes */
};

static const struct ssemov sse_ops[] = {
    { ZYDIS_MNEMONIC_MOVD, false, 4, false },
    { ZYDIS_MNEMONIC_MOVQ, false, 8, false },
    { ZYDIS_MNEMONIC_MOVSS, false, 4, true },
    { ZYDIS_MNEMONIC_MOVSD, false, 8, true },
    { ZYDIS_MNEMONIC_MOVAPS, true, 0, false },
    { ZYDIS_MNEMONIC_MOVUPS, false, 0, false },
    { ZYDIS_MNEMONIC_MOVAPD, true, 0, false },
    { ZYDIS_MNEMONIC_MOVUPD, false, 0, false },
    { ZYDIS_MNEMONIC_MOVDQA, true, 0, false },
    { ZYDIS_MNEMONIC_MOVDQU, false, 0, false },
    { ZYDIS_MNEMONIC_MOVNTI, false, 0, false },
    { ZYDIS_MNEMONIC_MOVNTQ, false, 0, false },
    { ZYDIS_MNEMONIC_MOVNTDQ, true, 0, false },
    { ZYDIS_MNEMONIC_MOVNTPS, true, 0, false },
    { ZYDIS_MNEMONIC_MOVNTPD, true, 0, false },
};

static ZydisRegisterClass reg_class(const struct em *e, int i)
{
    return e->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER ? ZydisRegisterGetClass(e->op[i].reg.value)
                                                        : ZYDIS_REGCLASS_INVALID;
}

/* Where register operand i lives in the FXSAVE image, NULL for a GPR. */
static uint8_t *fx_reg(struct em *e, int i)
{
    int id = ZydisRegisterGetId(e->op[i].reg.value);
    switch (reg_class(e, i)) {
    case ZYDIS_REGCLASS_XMM: return e->c->fx_guest + FX_XMM(id);
    case ZYDIS_REGCLASS_MMX: return em_mm_reg(e->c, id);
    default: return NULL;
    }
}

static bool misaligned(struct em *e, int i)
{
    int sreg;
    uint32_t off;
    em_op_addr(e, &e->op[i], &sreg, &off);
    return (e->c->seg[sreg].base + off) & 15;
}

/* Source operand 1: n bytes into buf. */
static bool read_source(struct em *e, uint8_t *buf, unsigned n)
{
    if (em_is_mem(e, 1))
        return em_read_mem_op(e, 1, buf, n);
    uint8_t *r = fx_reg(e, 1);
    if (r) {
        memcpy(buf, r, n);
    } else {
        uint32_t v = em_reg_get(e->c, e->op[1].reg.value);
        memcpy(buf, &v, 4);
    }
    return true;
}

/* Destination operand 0 receives n bytes: memory exactly n; an XMM or MMX
 * register zero-extended to its width (or, when `merge`, only its low n
 * bytes); a GPR the low 4.  Writing an MMX register sets bits 64-79 of its
 * x87 slot to ones (SDM vol. 1, 9.5.1). */
static bool write_dest(struct em *e, const uint8_t *buf, unsigned n, bool merge)
{
    if (em_is_mem(e, 0)) {
        int sreg;
        uint32_t off;
        em_op_addr(e, &e->op[0], &sreg, &off);
        return em_seg_write(e, sreg, off, buf, n);
    }
    uint8_t *r = fx_reg(e, 0);
    if (!r) {
        uint32_t v;
        memcpy(&v, buf, 4);
        em_reg_set(e->c, e->op[0].reg.value, v);
        return true;
    }
    unsigned width = reg_class(e, 0) == ZYDIS_REGCLASS_XMM ? 16 : 8;
    if (!merge)
        memset(r, 0, width);
    memcpy(r, buf, n);
    if (width == 8)
        r[8] = r[9] = 0xFF;
    return true;
}

/* The checks before the operands: the FPU class's #UD or #NM, then, for
 * an instruction with an MMX register, a pending x87 exception (#MF, as
 * before any waiting x87 instruction; SDM vol. 3A 22.x, the MMX tables).
 * False with the exception raised. */
static bool sse_begin(struct em *e)
{
    int vec = fpu_fault(fpu_class(e->in, e->op), e->c->cr0, e->c->cr4);
    if (!vec && em_mmx_operand(e) && em_x87_pending(e->c))
        vec = EXC_MF;
    if (vec)
        em_raise(e, vec, 0);
    return !vec;
}

enum em_result em_sse_mov(struct em *e)
{
    const struct ssemov *t = EM_LOOKUP(sse_ops, e->in->mnemonic);
    if (!sse_begin(e))
        return e->res;
    for (int i = 0; i < 2; i++)
        if (t->aligned && em_is_mem(e, i) && misaligned(e, i))
            return em_gp0(e);
    unsigned dn = em_op_bytes(e, 0), sn = em_op_bytes(e, 1);
    unsigned n = t->elem ? t->elem : dn < sn ? dn : sn;
    if (n > dn || n > sn)
        n = dn < sn ? dn : sn;              /* MOVD r32/m32 with an MMX/XMM register */
    bool merge = t->merge && !em_is_mem(e, 0) && !em_is_mem(e, 1);
    uint8_t buf[16] = { 0 };
    if (!read_source(e, buf, n) || !write_dest(e, buf, n, merge))
        return e->res;
    if (em_mmx_operand(e))
        em_mmx_transition(e->c);
    return em_done(e);
}

/*
 * MASKMOVQ mm1, mm2 and MASKMOVDQU xmm1, xmm2: store the bytes of the first
 * register whose mask byte (the same byte of the second) has its top bit
 * set, to DS:(E)DI (a segment prefix may replace DS; SDM vol. 2B).  The
 * destination is implicit, which is why the translator cannot copy the
 * instruction: the host would store through its own RDI.  The whole
 * 8/16-byte destination is checked for writing first, so a fault leaves
 * memory untouched (the SDM lets a processor fault even for masked-off
 * bytes); then each selected byte is stored.
 */
enum em_result em_maskmov(struct em *e)
{
    if (!sse_begin(e))
        return e->res;
    const ZydisDecodedOperand *dst = em_mem_operand(e);
    uint8_t *data = fx_reg(e, 0), *mask = fx_reg(e, 1);
    if (!dst || !data || !mask)
        return em_raise(e, EXC_UD, 0);      /* a memory-form encoding: reserved */
    unsigned n = reg_class(e, 0) == ZYDIS_REGCLASS_XMM ? 16 : 8;
    int sreg;
    uint32_t off;
    em_op_addr(e, dst, &sreg, &off);
    if (!em_seg_probe_write(e, sreg, off, n))
        return e->res;
    for (unsigned i = 0; i < n; i++)
        if ((mask[i] & 0x80) && !em_seg_write(e, sreg, off + i, &data[i], 1))
            return e->res;
    if (em_mmx_operand(e))
        em_mmx_transition(e->c);
    return em_done(e);
}

/*
 * FXSAVE m512, FXRSTOR m512, STMXCSR m32 and LDMXCSR m32 (0F AE /0-/3),
 * which interpreted code meets (firmware and boot loaders save the FPU in
 * real mode; iPXE does, through unreal mode's 32-bit offsets).  They move
 * the guest's image vcpu->fx_guest to or from memory, in the 32-bit
 * format: FIP and FDP are 32 bits, and FCS and FDS are stored as zero, as
 * processors that deprecate them do (CPUID.7.0:EBX.13).  FXSAVE/FXRSTOR
 * are x87-class (#NM if CR0.EM or TS), the MXCSR forms SSE-class; the
 * 512-byte image must be 16-byte aligned (#GP(0)); an MXCSR with a bit
 * outside the host's MXCSR_MASK is #GP(0), before anything changes, so the
 * host's own FXRSTOR of the image can never fault.  Without CR4.OSFXSR
 * FXRSTOR leaves MXCSR and the XMM registers alone (SDM vol. 2A, FXRSTOR).
 */

static uint32_t host_mxcsr_mask(void)
{
    static uint32_t mask;
    if (!mask) {
        _Alignas(16) uint8_t img[512] = { 0 };
        __asm__ volatile("fxsave64 %0" : "=m"(img));
        memcpy(&mask, img + FX_MXCSR_MASK, 4);
        if (!mask)
            mask = 0xFFBF;          /* SDM vol. 1, 11.6.6: the default */
    }
    return mask;
}

/* The x87 code and data selectors are not kept: FCS and FDS, with the
 * upper halves of FIP and FDP beside them, read as 0 in an image stored
 * and are ignored in one loaded. */
static void fx_no_selectors(uint8_t *img)
{
    memset(img + 12, 0, 4);                     /* FCS, and FIP's upper half */
    memset(img + 20, 0, 4);                     /* FDS, and FDP's upper half */
}

/* The checks of all four, in the processor's order: the FPU class's #UD
 * or #NM, then the memory operand (16-byte aligned when align16).  False
 * with the exception raised. */
static bool fx_begin(struct em *e, enum fpu_class k, bool align16, int *sreg, uint32_t *off)
{
    int vec = fpu_fault(k, e->c->cr0, e->c->cr4);
    if (vec) {
        em_raise(e, vec, 0);
        return false;
    }
    const ZydisDecodedOperand *m = em_mem_operand(e);
    if (!m) {
        em_raise(e, EXC_UD, 0);
        return false;
    }
    em_op_addr(e, m, sreg, off);
    if (align16 && ((e->c->seg[*sreg].base + *off) & 15)) {
        em_gp0(e);
        return false;
    }
    return true;
}

enum em_result em_fxsave(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg;
    uint32_t off;
    if (!fx_begin(e, FPU_X87, true, &sreg, &off))
        return e->res;
    uint8_t img[512];
    memcpy(img, c->fx_guest, sizeof img);
    fx_no_selectors(img);
    uint32_t mask = host_mxcsr_mask();
    memcpy(img + FX_MXCSR_MASK, &mask, 4);
    if (!em_seg_probe_write(e, sreg, off, sizeof img) || !em_seg_write(e, sreg, off, img, sizeof img))
        return e->res;
    return em_done(e);
}

enum em_result em_fxrstor(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg;
    uint32_t off, mxcsr;
    if (!fx_begin(e, FPU_X87, true, &sreg, &off))
        return e->res;
    uint8_t img[512];
    if (!em_seg_read(e, sreg, off, img, sizeof img))
        return e->res;
    bool osfxsr = c->cr4 & CR4_OSFXSR;
    memcpy(&mxcsr, img + FX_MXCSR, 4);
    if (osfxsr && (mxcsr & ~host_mxcsr_mask()))
        return em_gp0(e);
    fx_no_selectors(img);
    memcpy(c->fx_guest, img, FX_MXCSR);                         /* x87 control and pointers */
    memcpy(c->fx_guest + FX_MM(0), img + FX_MM(0), FX_XMM(0) - FX_MM(0));   /* ST0-7 / MM0-7 */
    if (osfxsr) {
        memcpy(c->fx_guest + FX_MXCSR, img + FX_MXCSR, 4);
        memcpy(c->fx_guest + FX_XMM(0), img + FX_XMM(0), FX_LEGACY_END - FX_XMM(0));
    }
    return em_done(e);
}

enum em_result em_stmxcsr(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg;
    uint32_t off;
    if (!fx_begin(e, FPU_SSE, false, &sreg, &off) || !em_seg_write(e, sreg, off, c->fx_guest + FX_MXCSR, 4))
        return e->res;
    return em_done(e);
}

enum em_result em_ldmxcsr(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg;
    uint32_t off, mxcsr;
    if (!fx_begin(e, FPU_SSE, false, &sreg, &off) || !em_seg_read(e, sreg, off, &mxcsr, 4))
        return e->res;
    if (mxcsr & ~host_mxcsr_mask())
        return em_gp0(e);
    memcpy(c->fx_guest + FX_MXCSR, &mxcsr, 4);
    return em_done(e);
}
