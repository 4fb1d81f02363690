/*
 * cpu/em_alu.c - integer arithmetic with any operand form (memory, register,
 * immediate): the two-operand ALU group (ADD OR ADC SBB AND SUB XOR CMP
 * TEST), the one-operand group (INC DEC NEG NOT), shifts and rotates (SHL
 * SHR SAR ROL ROR RCL RCR SHLD SHRD), MUL IMUL DIV IDIV.  These meet the
 * emulator when their memory operand lies on an emulated page (a device's
 * MMIO range, a traced page table, a page of translated code) or when the
 * translator sends them here (a segment with a limit, 16-bit addressing).
 *
 * Each group is one table, mnemonic -> host operation (cpu/em_hostop.h)
 * per width; the handler moves the operands and the host instruction
 * computes the result and the flags.  A destination in memory is checked
 * for writing before it is read, and registers and flags change only after
 * the write succeeded, so a fault leaves the instruction restartable.
 * LOCK needs nothing more: Zydis refuses it (#UD) where the SDM does, and
 * the virtual machine has a single CPU and no other thread touching guest
 * memory, so the read-modify-write is atomic.
 */
#include "cpu/em_internal.h"
#include "cpu/em_hostop.h"

HOST_OP2(h_add, "add") HOST_OP2(h_or, "or") HOST_OP2(h_adc, "adc") HOST_OP2(h_sbb, "sbb")
HOST_OP2(h_and, "and") HOST_OP2(h_sub, "sub") HOST_OP2(h_xor, "xor") HOST_OP2(h_cmp, "cmp")
HOST_OP2(h_test, "test")
HOST_OP2_WIDE(h_imul2, "imul")
HOST_OP1(h_inc, "inc") HOST_OP1(h_dec, "dec") HOST_OP1(h_neg, "neg") HOST_OP1(h_not, "not")
HOST_SHIFT(h_shl, "shl") HOST_SHIFT(h_shr, "shr") HOST_SHIFT(h_sar, "sar")
HOST_SHIFT(h_rol, "rol") HOST_SHIFT(h_ror, "ror") HOST_SHIFT(h_rcl, "rcl") HOST_SHIFT(h_rcr, "rcr")
HOST_DSHIFT(h_shld, "shld") HOST_DSHIFT(h_shrd, "shrd")
HOST_ACC(h_mul, "mul") HOST_ACC(h_imul1, "imul") HOST_ACC(h_div, "div") HOST_ACC(h_idiv, "idiv")

host_op2 *const em_host_cmp[3] = HOST_W3(h_cmp);
host_op2 *const em_host_add[3] = HOST_W3(h_add);

/* ---------------- two operands: dst OP= src ---------------- */

struct alu2 {
    int mnemonic;
    host_op2 *op[3];
    bool writes;                /* CMP and TEST only set flags */
};

static const struct alu2 alu2_ops[] = {
    { ZYDIS_MNEMONIC_ADD, HOST_W3(h_add), true },
    { ZYDIS_MNEMONIC_OR, HOST_W3(h_or), true },
    { ZYDIS_MNEMONIC_ADC, HOST_W3(h_adc), true },
    { ZYDIS_MNEMONIC_SBB, HOST_W3(h_sbb), true },
    { ZYDIS_MNEMONIC_AND, HOST_W3(h_and), true },
    { ZYDIS_MNEMONIC_SUB, HOST_W3(h_sub), true },
    { ZYDIS_MNEMONIC_XOR, HOST_W3(h_xor), true },
    { ZYDIS_MNEMONIC_CMP, HOST_W3(h_cmp), false },
    { ZYDIS_MNEMONIC_TEST, HOST_W3(h_test), false },
};

enum em_result em_alu2(struct em *e)
{
    const struct alu2 *t = EM_LOOKUP(alu2_ops, e->in->mnemonic);
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s;
    if (!(t->writes ? em_read_rmw(e, 0, &d) : em_read_op(e, 0, &d)) ||
        !em_read_src(e, 1, n, &s))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    uint32_t r = t->op[host_width_index(n)](d, s, &f);
    if (t->writes && !em_write_op(e, 0, r))
        return e->res;
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* ---------------- one operand: dst = OP dst ---------------- */

struct alu1 {
    int mnemonic;
    host_op1 *op[3];
};

static const struct alu1 alu1_ops[] = {
    { ZYDIS_MNEMONIC_INC, HOST_W3(h_inc) },     /* CF kept */
    { ZYDIS_MNEMONIC_DEC, HOST_W3(h_dec) },
    { ZYDIS_MNEMONIC_NEG, HOST_W3(h_neg) },
    { ZYDIS_MNEMONIC_NOT, HOST_W3(h_not) },     /* no flags */
};

enum em_result em_alu1(struct em *e)
{
    const struct alu1 *t = EM_LOOKUP(alu1_ops, e->in->mnemonic);
    unsigned n = em_op_bytes(e, 0);
    uint32_t d;
    if (!em_read_rmw(e, 0, &d))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    uint32_t r = t->op[host_width_index(n)](d, &f);
    if (!em_write_op(e, 0, r))
        return e->res;
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* ---------------- shifts and rotates ---------------- */

/* The count (imm8, CL or the implicit 1) is masked to 5 bits by the host
 * instruction exactly as by a 32-bit processor; a count of 0 changes no
 * flag.  SHLD/SHRD take the bits shifted in from a register (operand 1)
 * and the count from operand 2. */
struct shift {
    int mnemonic;
    host_shift *op[3];
    bool dbl;
};

static const struct shift shift_ops[] = {
    { ZYDIS_MNEMONIC_SHL, HOST_W3(h_shl), false },
    { ZYDIS_MNEMONIC_SHR, HOST_W3(h_shr), false },
    { ZYDIS_MNEMONIC_SAR, HOST_W3(h_sar), false },
    { ZYDIS_MNEMONIC_ROL, HOST_W3(h_rol), false },
    { ZYDIS_MNEMONIC_ROR, HOST_W3(h_ror), false },
    { ZYDIS_MNEMONIC_RCL, HOST_W3(h_rcl), false },
    { ZYDIS_MNEMONIC_RCR, HOST_W3(h_rcr), false },
    { ZYDIS_MNEMONIC_SHLD, HOST_W2(h_shld), true },
    { ZYDIS_MNEMONIC_SHRD, HOST_W2(h_shrd), true },
};

enum em_result em_shift(struct em *e)
{
    const struct shift *t = EM_LOOKUP(shift_ops, e->in->mnemonic);
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s = 0, count;
    if (!em_read_rmw(e, 0, &d) || (t->dbl && !em_read_op(e, 1, &s)) ||
        !em_read_src(e, t->dbl ? 2 : 1, 1, &count))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    uint32_t r = t->op[host_width_index(n)](d, s, (uint8_t)count, &f);
    if (!em_write_op(e, 0, r))
        return e->res;
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* ---------------- multiply and divide ---------------- */

/* Would DIV/IDIV of the accumulator (AX, DX:AX or EDX:EAX) by the n-byte
 * divisor s raise #DE: a zero divisor or a quotient that does not fit in
 * n bytes (SDM vol. 2, DIV and IDIV)?  Checked in C so that the host
 * instruction that follows never faults. */
static bool divide_error(bool sgn, unsigned n, uint32_t a, uint32_t d, uint32_t s)
{
    unsigned bits = 8 * n;
    uint64_t lo = a & em_mask(n), hi = d & em_mask(n);
    uint64_t dividend = n == 1 ? a & 0xFFFF : hi << bits | lo;
    uint64_t divisor = s & em_mask(n);
    if (divisor == 0)
        return true;
    if (!sgn)
        return dividend / divisor > em_mask(n);
    int64_t sd = bits == 32 ? (int64_t)dividend
                            : (int64_t)(dividend << (64 - 2 * bits)) >> (64 - 2 * bits);
    int64_t sv = (int64_t)(divisor << (64 - bits)) >> (64 - bits);
    if (sv == -1 && sd == INT64_MIN)
        return true;
    int64_t q = sd / sv, max = (1ll << (bits - 1)) - 1;
    return q > max || q < -max - 1;
}

struct muldiv {
    int mnemonic;
    host_acc *op[3];
    bool divide, sgn;
};

static const struct muldiv muldiv_ops[] = {
    { ZYDIS_MNEMONIC_MUL, HOST_W3(h_mul), false, false },
    { ZYDIS_MNEMONIC_IMUL, HOST_W3(h_imul1), false, true },
    { ZYDIS_MNEMONIC_DIV, HOST_W3(h_div), true, false },
    { ZYDIS_MNEMONIC_IDIV, HOST_W3(h_idiv), true, true },
};

/* IMUL r, r/m and IMUL r, r/m, imm: dst = src * (dst or imm), truncated. */
static enum em_result imul_two(struct em *e)
{
    unsigned n = em_op_bytes(e, 0);
    uint32_t d, s;
    bool three = e->in->operand_count_visible == 3;
    if (!em_read_src(e, three ? 2 : 0, n, &d) || !em_read_op(e, 1, &s))
        return e->res;
    uint64_t f = em_host_flags(e->c);
    uint32_t r = (n == 2 ? h_imul2_16 : h_imul2_32)(d, s, &f);
    em_reg_set(e->c, e->op[0].reg.value, r);
    em_commit_flags(e->c, f);
    return em_done(e);
}

/* MUL, IMUL, DIV, IDIV r/m: AX / DX:AX / EDX:EAX with the operand. */
enum em_result em_muldiv(struct em *e)
{
    const struct muldiv *t = EM_LOOKUP(muldiv_ops, e->in->mnemonic);
    struct vcpu *c = e->c;
    if (e->in->operand_count_visible > 1)
        return imul_two(e);
    unsigned n = em_op_bytes(e, 0);
    uint32_t s, a = c->gpr[R_EAX], d = c->gpr[R_EDX];
    if (!em_read_op(e, 0, &s))
        return e->res;
    if (t->divide && divide_error(t->sgn, n, a, d, s))
        return em_raise(e, EXC_DE, 0);
    uint64_t f = em_host_flags(c);
    t->op[host_width_index(n)](&a, &d, s, &f);
    c->gpr[R_EAX] = a;
    c->gpr[R_EDX] = d;
    em_commit_flags(c, f);
    return em_done(e);
}
