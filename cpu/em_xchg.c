/*
 * cpu/em_xchg.c - the exchanges: XCHG, XADD, CMPXCHG, CMPXCHG8B, with any
 * operand form.  The memory operand is checked for writing before it is
 * read and written before any register changes, so a fault leaves the
 * instruction restartable.  XCHG with memory is locked by definition and
 * the others accept LOCK; with one virtual CPU and no other thread on guest
 * memory every read-modify-write here is atomic as it stands.
 */
#include "cpu/em_internal.h"
#include "cpu/em_hostop.h"

static ZydisRegister accumulator(unsigned bytes)
{
    return bytes == 1 ? ZYDIS_REGISTER_AL : bytes == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX;
}

/* XCHG r/m, r (or r, r/m, or the short 90+r forms). */
enum em_result em_xchg(struct em *e)
{
    int m = em_is_mem(e, 1) ? 1 : 0, r = 1 - m;
    uint32_t a, b;
    if (!em_read_rmw(e, m, &a) || !em_read_op(e, r, &b) || !em_write_op(e, m, b))
        return e->res;
    em_write_op(e, r, a);                   /* a register: cannot fail */
    return em_done(e);
}

/* XADD r/m, r: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (in that order,
 * which matters for XADD r, r with one register twice). */
enum em_result em_xadd(struct em *e)
{
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s;
    if (!em_read_rmw(e, 0, &d) || !em_read_op(e, 1, &s))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    uint32_t sum = em_host_add[host_width_index(n)](d, s, &f);
    if (em_is_mem(e, 0)) {
        if (!em_write_op(e, 0, sum))
            return e->res;
        em_write_op(e, 1, d);
    } else {
        em_write_op(e, 1, d);
        em_write_op(e, 0, sum);
    }
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* CMPXCHG r/m, r: flags of CMP accumulator, DEST.  Equal: DEST = SRC.
 * Otherwise the accumulator receives DEST, and DEST is written back with
 * its own value: the processor always writes the destination (SDM vol. 2,
 * CMPXCHG), which a device register sees. */
enum em_result em_cmpxchg(struct em *e)
{
    struct vcpu *c = e->c;
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s, acc = em_reg_get(c, accumulator(n));
    if (!em_read_rmw(e, 0, &d) || !em_read_op(e, 1, &s))
        return e->res;
    uint64_t f = em_host_flags(c);
    em_host_cmp[host_width_index(n)](acc, d, &f);
    bool equal = f & FL_ZF;
    if (!em_write_op(e, 0, equal ? s : d))
        return e->res;
    if (!equal)
        em_reg_set(c, accumulator(n), d);
    em_commit_flags(c, f);
    return em_done(e);
}

/* CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX, ZF = 1;
 * otherwise EDX:EAX = m64, ZF = 0, and m64 is written back.  Only ZF
 * changes.  The register form does not decode (#UD). */
enum em_result em_cmpxchg8b(struct em *e)
{
    struct vcpu *c = e->c;
    int sreg;
    uint32_t off;
    uint64_t m;
    em_op_addr(e, &e->op[0], &sreg, &off);
    if (!em_seg_probe_write(e, sreg, off, 8) || !em_seg_read(e, sreg, off, &m, 8))
        return e->res;
    uint64_t cmp = (uint64_t)c->gpr[R_EDX] << 32 | c->gpr[R_EAX];
    bool equal = m == cmp;
    uint64_t w = equal ? (uint64_t)c->gpr[R_ECX] << 32 | c->gpr[R_EBX] : m;
    if (!em_seg_write(e, sreg, off, &w, 8))
        return e->res;
    if (!equal) {
        c->gpr[R_EAX] = (uint32_t)m;
        c->gpr[R_EDX] = (uint32_t)(m >> 32);
    }
    em_set_flags(c, FL_ZF, equal ? FL_ZF : 0);
    return em_done(e);
}
