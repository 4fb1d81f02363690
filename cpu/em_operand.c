/*
 * cpu/em_operand.c - operand helpers of the data-processing groups
 * (em_alu.c, em_bits.c, em_xchg.c, em_string.c, em_sse.c): sources with
 * sign-extended immediates, read-modify-write destinations, condition
 * codes, string-register stepping, and the mnemonic tables' lookup.
 */
#include <stddef.h>
#include "cpu/em_internal.h"

bool em_is_mem(const struct em *e, int i)
{
    return e->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY;
}

const ZydisDecodedOperand *em_mem_operand(const struct em *e)
{
    const ZydisDecodedOperand *m = NULL;
    for (int i = 0; i < e->in->operand_count; i++)
        if (em_is_mem(e, i))
            m = &e->op[i];
    return m;
}

/* Zydis gives a signed immediate (imm8 of 83 /r, 6B, ...) sign-extended to
 * 64 bits: truncated to the operand size it is the value the CPU uses. */
bool em_read_src(struct em *e, int i, unsigned bytes, uint32_t *v)
{
    if (e->op[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        *v = (uint32_t)e->op[i].imm.value.u & em_mask(bytes);
        return true;
    }
    return em_read_op(e, i, v);
}

/* A read-modify-write destination is checked for writing before it is
 * read, as the processor's (locked) read for ownership does: a read-only
 * page faults with W=1 in the error code, a read-only segment is #GP before
 * any access, and a device register is not read by an instruction whose
 * write would fault. */
bool em_read_rmw(struct em *e, int i, uint32_t *v)
{
    if (em_is_mem(e, i)) {
        int sreg;
        uint32_t off;
        em_op_addr(e, &e->op[i], &sreg, &off);
        if (!em_seg_probe_write(e, sreg, off, em_op_bytes(e, i)))
            return false;
    }
    return em_read_op(e, i, v);
}

uint64_t em_host_flags(const struct vcpu *c)
{
    return FL_FIXED | (vcpu_get_eflags(c) & FL_ARITH);
}

void em_commit_flags(struct vcpu *c, uint64_t f)
{
    em_set_flags(c, FL_ARITH, (uint32_t)f);
}

/* Condition codes by their encoding (the low nibble of Jcc/SETcc/CMOVcc):
 * O, B, Z, BE, S, P, L, LE; an odd code is the negation of the even one
 * below it (SDM vol. 1 Appendix B). */
bool em_cond(const struct vcpu *c, unsigned cc)
{
    uint32_t f = vcpu_get_eflags(c);
    bool sf_ne_of = !(f & FL_SF) != !(f & FL_OF);
    bool r;
    switch (cc >> 1) {
    case 0: r = f & FL_OF; break;
    case 1: r = f & FL_CF; break;
    case 2: r = f & FL_ZF; break;
    case 3: r = f & (FL_CF | FL_ZF); break;
    case 4: r = f & FL_SF; break;
    case 5: r = f & FL_PF; break;
    case 6: r = sf_ne_of; break;
    default: r = (f & FL_ZF) || sf_ne_of; break;
    }
    return r != (cc & 1);
}

/* The address size picks the string registers: ECX/ESI/EDI, or CX/SI/DI
 * with a 0x67 prefix in 32-bit code; they wrap within that size. */
uint32_t em_str_mask(const struct em *e)
{
    return e->in->address_width == 16 ? 0xFFFFu : 0xFFFFFFFFu;
}

bool em_str_rep(const struct em *e)
{
    return e->in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                               ZYDIS_ATTRIB_HAS_REPNE);
}

void em_reg_step(struct vcpu *c, int r, uint32_t mask, int32_t delta)
{
    c->gpr[r] = (c->gpr[r] & ~mask) | ((c->gpr[r] + delta) & mask);
}

const void *em_lookup(const void *table, size_t n, size_t stride, int mnemonic)
{
    const char *p = table;
    for (size_t i = 0; i < n; i++, p += stride)
        if (*(const int *)p == mnemonic)
            return p;
    return NULL;
}
