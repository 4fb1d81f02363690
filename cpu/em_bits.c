/*
 * cpu/em_bits.c - bit instructions with any operand form: BT BTS BTR BTC,
 * BSF BSR, SETcc, CMOVcc; and MOVBE, which the CPU model lacks.
 * Operations and flags come from the host instruction (cpu/em_hostop.h).
 */
#include "cpu/em_internal.h"
#include "cpu/em_hostop.h"

HOST_OP2_WIDE(h_bt, "bt") HOST_OP2_WIDE(h_bts, "bts") HOST_OP2_WIDE(h_btr, "btr")
HOST_OP2_WIDE(h_btc, "btc") HOST_OP2_WIDE(h_bsf, "bsf") HOST_OP2_WIDE(h_bsr, "bsr")

/* ---------------- BT, BTS, BTR, BTC ---------------- */

struct bitop {
    int mnemonic;
    host_op2 *op[3];
    bool writes;
};

static const struct bitop bit_ops[] = {
    { ZYDIS_MNEMONIC_BT, HOST_W2(h_bt), false },
    { ZYDIS_MNEMONIC_BTS, HOST_W2(h_bts), true },
    { ZYDIS_MNEMONIC_BTR, HOST_W2(h_btr), true },
    { ZYDIS_MNEMONIC_BTC, HOST_W2(h_btc), true },
};

/* Where the operand of a bit instruction lies.  With a memory operand and
 * a register offset the offset is a signed bit string index (SDM vol. 2,
 * BT: -2^31..2^31-1, or -2^15..2^15-1 with a 16-bit operand): the word or
 * doublework holding the bit is read at the effective address plus
 * (offset SAR 4) * 2 or (offset SAR 5) * 4.  An immediate offset, and any
 * offset with a register operand, selects a bit within the operand. */
static void bit_location(struct em *e, unsigned n, uint32_t off, int *sreg, uint32_t *at)
{
    em_op_addr(e, &e->op[0], sreg, at);
    if (e->op[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
        return;
    int32_t so = n == 2 ? (int16_t)off : (int32_t)off;
    int32_t delta = (so >> (n == 2 ? 4 : 5)) * (int32_t)n;
    *at += (uint32_t)delta;
    if (e->in->address_width == 16)
        *at &= 0xFFFF;
}

enum em_result em_bt(struct em *e)
{
    const struct bitop *t = EM_LOOKUP(bit_ops, e->in->mnemonic);
    unsigned n = em_op_bytes(e, 0);
    uint32_t off, d = 0, at = 0;
    int sreg = -1;
    if (!em_read_src(e, 1, n, &off))
        return e->res;
    if (em_is_mem(e, 0)) {
        bit_location(e, n, off, &sreg, &at);
        if ((t->writes && !em_seg_probe_write(e, sreg, at, n)) ||
            !em_seg_read(e, sreg, at, &d, n))
            return e->res;
    } else if (!em_read_op(e, 0, &d)) {
        return e->res;
    }
    uint64_t f = em_host_flags(e->c);
    uint32_t r = t->op[host_width_index(n)](d, off & (8 * n - 1), &f);
    if (t->writes && (sreg >= 0 ? !em_seg_write(e, sreg, at, &r, n) : !em_write_op(e, 0, r)))
        return e->res;
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* ---------------- BSF, BSR ---------------- */

/* A zero source sets ZF and leaves the destination as it was (the host
 * instruction runs on the old value).  The model has no BMI1 or ABM
 * (docs/cpu-model.md), so F3 0F BC/BD, which Zydis names TZCNT/LZCNT,
 * are BSF/BSR with an ignored prefix, as on the processors it models. */
struct scan {
    int mnemonic;
    host_op2 *op[3];
};

static const struct scan scan_ops[] = {
    { ZYDIS_MNEMONIC_BSF, HOST_W2(h_bsf) },
    { ZYDIS_MNEMONIC_BSR, HOST_W2(h_bsr) },
    { ZYDIS_MNEMONIC_TZCNT, HOST_W2(h_bsf) },
    { ZYDIS_MNEMONIC_LZCNT, HOST_W2(h_bsr) },
};

enum em_result em_bscan(struct em *e)
{
    const struct scan *t = EM_LOOKUP(scan_ops, e->in->mnemonic);
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s;
    if (!em_read_op(e, 0, &d) || !em_read_op(e, 1, &s))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    em_reg_set(e->c, e->op[0].reg.value, t->op[host_width_index(n)](d, s, &f));
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* ---------------- SETcc, CMOVcc ---------------- */

/* Row cc holds the two mnemonics of condition code cc. */
static const int cc_mnemonics[16][2] = {
    { ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_CMOVO },
    { ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_CMOVNO },
    { ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_CMOVB },
    { ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_CMOVNB },
    { ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_CMOVZ },
    { ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_CMOVNZ },
    { ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_CMOVBE },
    { ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_CMOVNBE },
    { ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_CMOVS },
    { ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_CMOVNS },
    { ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_CMOVP },
    { ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_CMOVNP },
    { ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_CMOVL },
    { ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_CMOVNL },
    { ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_CMOVLE },
    { ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_CMOVNLE },
};

static unsigned cond_of(const struct em *e, int kind)
{
    unsigned cc = 0;
    while (cc < 15 && cc_mnemonics[cc][kind] != (int)e->in->mnemonic)
        cc++;
    return cc;
}

enum em_result em_setcc(struct em *e)
{
    if (!em_write_op(e, 0, em_cond(e->c, cond_of(e, 0))))
        return e->res;
    return em_done(e);
}

/* The source is read whatever the condition (a fault is raised even when
 * nothing moves); the destination register changes only when it holds. */
enum em_result em_cmovcc(struct em *e)
{
    uint32_t v;
    if (!em_read_op(e, 1, &v))
        return e->res;
    if (em_cond(e->c, cond_of(e, 1)))
        em_reg_set(e->c, e->op[0].reg.value, v);
    return em_done(e);
}

/* MOVBE (0F 38 F0/F1): CPUID.1:ECX.MOVBE is clear in the model, so it is
 * an invalid opcode, as on the processors the model describes. */
enum em_result em_movbe(struct em *e)
{
    return em_ud(e);
}
