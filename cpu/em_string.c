/*
 * cpu/em_string.c - the string instructions MOVS STOS LODS CMPS SCAS, in
 * 8, 16 and 32 bits, with REP/REPE/REPNE (SDM vol. 2, "REP/REPE/REPZ/
 * REPNE/REPNZ"; INS and OUTS are in em_io.c).
 *
 * The source is DS:(E)SI, segment overridable; the destination is
 * ES:(E)DI, never overridden.  The address size picks (E)CX/(E)SI/(E)DI
 * (0x67: CX/SI/DI, wrapping at 64 KiB); with 32 bits they wrap at 4 GiB,
 * upwards with DF=0 and downwards with DF=1, like every 32-bit offset.
 *
 * Each iteration commits (E)SI/(E)DI/(E)CX and the flags after its memory
 * accesses succeeded, so a fault leaves them describing the remaining work
 * and EIP at the instruction: restarting it continues where it stopped, as
 * on the processor.  A REP instruction runs at most STR_BATCH iterations
 * per call; if work remains, EIP stays and the run loop comes back to it
 * (through the translator or the emulator), so a long REP on emulated
 * memory lets interrupts in between batches as the processor lets them in
 * between iterations.
 */
#include "cpu/em_internal.h"
#include "cpu/em_hostop.h"

enum str_kind { MOVS, STOS, LODS, CMPS, SCAS };

struct strop {
    int mnemonic;
    enum str_kind kind;
    unsigned bytes;
};

static const struct strop string_ops[] = {
    { ZYDIS_MNEMONIC_MOVSB, MOVS, 1 }, { ZYDIS_MNEMONIC_MOVSW, MOVS, 2 },
    { ZYDIS_MNEMONIC_MOVSD, MOVS, 4 }, { ZYDIS_MNEMONIC_STOSB, STOS, 1 },
    { ZYDIS_MNEMONIC_STOSW, STOS, 2 }, { ZYDIS_MNEMONIC_STOSD, STOS, 4 },
    { ZYDIS_MNEMONIC_LODSB, LODS, 1 }, { ZYDIS_MNEMONIC_LODSW, LODS, 2 },
    { ZYDIS_MNEMONIC_LODSD, LODS, 4 }, { ZYDIS_MNEMONIC_CMPSB, CMPS, 1 },
    { ZYDIS_MNEMONIC_CMPSW, CMPS, 2 }, { ZYDIS_MNEMONIC_CMPSD, CMPS, 4 },
    { ZYDIS_MNEMONIC_SCASB, SCAS, 1 }, { ZYDIS_MNEMONIC_SCASW, SCAS, 2 },
    { ZYDIS_MNEMONIC_SCASD, SCAS, 4 },
};

static ZydisRegister accumulator(unsigned bytes)
{
    return bytes == 1 ? ZYDIS_REGISTER_AL : bytes == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX;
}

/* One instruction's fixed parameters. */
struct str {
    const struct strop *op;
    int src_seg;                /* DS or the override */
    uint32_t mask;              /* 0xFFFF or 0xFFFFFFFF */
    int32_t step;               /* +-bytes by DF */
};

/* One element: the memory accesses, then the index registers. */
static bool iteration(struct em *e, const struct str *s)
{
    struct vcpu *c = e->c;
    unsigned n = s->op->bytes;
    uint32_t si = c->gpr[R_ESI] & s->mask, di = c->gpr[R_EDI] & s->mask;
    uint32_t a = 0, b = 0;
    uint64_t f;

    switch (s->op->kind) {
    case MOVS:  /* destination checked first: a device read is not lost */
        if (!em_seg_probe_write(e, S_ES, di, n) || !em_seg_read(e, s->src_seg, si, &a, n) ||
            !em_seg_write(e, S_ES, di, &a, n))
            return false;
        break;
    case STOS:
        a = c->gpr[R_EAX];
        if (!em_seg_write(e, S_ES, di, &a, n))
            return false;
        break;
    case LODS:
        if (!em_seg_read(e, s->src_seg, si, &a, n))
            return false;
        em_reg_set(c, accumulator(n), a);
        break;
    case CMPS:  /* [source] - [destination] */
        if (!em_seg_read(e, s->src_seg, si, &a, n) || !em_seg_read(e, S_ES, di, &b, n))
            return false;
        f = em_host_flags(c);
        em_host_cmp[host_width_index(n)](a, b, &f);
        em_commit_flags(c, f);
        break;
    case SCAS:  /* accumulator - [destination] */
        if (!em_seg_read(e, S_ES, di, &b, n))
            return false;
        f = em_host_flags(c);
        em_host_cmp[host_width_index(n)](c->gpr[R_EAX], b, &f);
        em_commit_flags(c, f);
        break;
    }
    if (s->op->kind == MOVS || s->op->kind == LODS || s->op->kind == CMPS)
        em_reg_step(c, R_ESI, s->mask, s->step);
    if (s->op->kind != LODS)
        em_reg_step(c, R_EDI, s->mask, s->step);
    return true;
}

/* The segment of the (E)SI operand: DS unless overridden. */
static int source_segment(const struct em *e)
{
    for (int i = 0; i < e->in->operand_count; i++) {
        const ZydisDecodedOperand *o = &e->op[i];
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (o->mem.base == ZYDIS_REGISTER_ESI || o->mem.base == ZYDIS_REGISTER_SI))
            return em_sreg_index(o->mem.segment);
    }
    return S_DS;
}

/* Does REPE/REPNE end the loop after this CMPS/SCAS element? */
static bool cond_ends(const struct em *e, const struct strop *op)
{
    if (op->kind != CMPS && op->kind != SCAS)
        return false;
    bool zf = vcpu_get_eflags(e->c) & FL_ZF;
    if (e->in->attributes & ZYDIS_ATTRIB_HAS_REPE)
        return !zf;
    return (e->in->attributes & ZYDIS_ATTRIB_HAS_REPNE) && zf;
}

static bool has_xmm(const struct em *e)
{
    for (int i = 0; i < e->in->operand_count; i++)
        if (e->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(e->op[i].reg.value) == ZYDIS_REGCLASS_XMM)
            return true;
    return false;
}

enum em_result em_string(struct em *e)
{
    struct vcpu *c = e->c;
    /* MOVSD and CMPSD are also SSE2's scalar-double move and compare. */
    if (has_xmm(e))
        return e->in->mnemonic == ZYDIS_MNEMONIC_MOVSD ? em_sse_mov(e) : em_simd(e);
    const struct strop *op = EM_LOOKUP(string_ops, e->in->mnemonic);
    struct str s = {
        .op = op, .src_seg = source_segment(e), .mask = em_str_mask(e),
        .step = (int32_t)c->str_step * (int32_t)op->bytes,
    };
    if (!em_str_rep(e)) {
        if (!iteration(e, &s))
            return e->res;
        return em_done(e);
    }
    for (unsigned i = 0; c->gpr[R_ECX] & s.mask; i++) {
        if (i == STR_BATCH)
            return EM_OK;                   /* EIP stays: more to do */
        if (!iteration(e, &s))
            return e->res;
        em_reg_step(c, R_ECX, s.mask, -1);
        if (cond_ends(e, op))
            break;
    }
    return em_done(e);
}
