/*
 * cpu/em_simd.c - every MMX, SSE, SSE2 and SSE3 instruction of the CPU
 * model that is not a move (those are cpu/em_sse.c's): the arithmetic,
 * logic, shuffle, compare, convert, pack/unpack and shift forms of
 * cpu/simd_forms.h, and EMMS.  Interpreted code (real mode,
 * virtual-8086 mode, 16-bit code) and instructions on emulated pages
 * reach them here.
 *
 * The host CPU carries each out (cpu/simd_stubs.S), so results, MXCSR
 * flags and EFLAGS (COMISS, UCOMISD, ...) are the processor's own: the
 * guest's operand registers are copied into an FXSAVE image of our making
 * (XMM0/MM0 for ModRM.reg, XMM1/MM1 for ModRM.rm), a GPR operand into EAX
 * or ECX, the memory operand into a buffer that the stub reaches through
 * RDI; the same encoding runs there, and what it wrote is copied back.
 *
 * Checks, in the processor's order: CR0.EM/TS and CR4.OSFXSR (cpu/fpu.h:
 * #UD or #NM); a pending unmasked x87 exception before an instruction with
 * an MMX operand (#MF, as before a waiting x87 instruction; SDM vol. 3A
 * 22.x, the MMX exception tables); #GP(0) for a 128-bit memory operand
 * that is not 16-byte aligned (SDM vol. 1 11.4.1: all but the explicitly
 * unaligned forms); the memory access (segment, limit, paging, the CPL-3
 * rights of virtual-8086 code); then the SIMD floating-point exceptions,
 * which the host decides as it runs the instruction under the guest's
 * MXCSR (run_guest_mxcsr): an unmasked one leaves the destination
 * unchanged, sets the flags the processor sets, and is #XM with
 * CR4.OSXMMEXCPT, #UD without (SDM vol. 1 11.5.3.2).  A memory destination
 * is checked for writing before anything runs and written before any
 * register changes, so a fault leaves the registers as they were.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include "cpu/em_internal.h"
#include "cpu/fpu.h"
#include "cpu/simd_forms.h"

struct simd_row {
    uint8_t pfx, op, digit, imm, forms, flags;
};
#define SIMD_ROW(pfx, op, digit, imm, forms, flags) { pfx, op, digit, imm, forms, flags },
static const struct simd_row rows[] = { SIMD_FORMS(SIMD_ROW) };
#undef SIMD_ROW

#define MX_MASKS 0x1F80u             /* MXCSR bits 7-12: every exception masked */

/* ---- the MMX registers in the FXSAVE image ---- */

static unsigned fx_top(const struct vcpu *c)
{
    uint16_t fsw;
    memcpy(&fsw, c->fx_guest + FX_FSW, 2);
    return (fsw & FSW_TOP) >> 11;
}

/* MMi is the x87 physical register Ri (SDM vol. 1, 9.5), which FXSAVE
 * stores in stack order: in slot ST(j) with j = i - TOP (vol. 1, 10.5.1). */
uint8_t *em_mm_reg(struct vcpu *c, int i)
{
    return c->fx_guest + FX_MM((i - fx_top(c)) & 7);
}

/* An instruction that uses an MMX register sets TOP to 0 and tags every
 * register valid (SDM vol. 1, 9.5.1): the slots rotate so that ST(i) is
 * Ri again.  The abridged tag bits are by physical register already. */
void em_mmx_transition(struct vcpu *c)
{
    unsigned top = fx_top(c);
    if (top) {
        uint8_t st[8][16];
        for (unsigned i = 0; i < 8; i++)
            memcpy(st[i], c->fx_guest + FX_MM((i - top) & 7), 16);
        memcpy(c->fx_guest + FX_MM(0), st, sizeof st);
        uint16_t fsw;
        memcpy(&fsw, c->fx_guest + FX_FSW, 2);
        fsw &= ~FSW_TOP;
        memcpy(c->fx_guest + FX_FSW, &fsw, 2);
    }
    c->fx_guest[FX_FTW] = 0xFF;
}

bool em_mmx_operand(const struct em *e)
{
    for (int i = 0; i < e->in->operand_count; i++)
        if (e->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(e->op[i].reg.value) == ZYDIS_REGCLASS_MMX)
            return true;
    return false;
}

/* ---- finding the row ---- */

bool em_simd_form(const struct em *e)
{
    ZydisISAExt x = e->in->meta.isa_ext;
    return e->in->opcode_map == ZYDIS_OPCODE_MAP_0F &&
           (x == ZYDIS_ISA_EXT_MMX || x == ZYDIS_ISA_EXT_SSE || x == ZYDIS_ISA_EXT_SSE2 ||
            x == ZYDIS_ISA_EXT_SSE3);
}

static uint8_t mandatory_prefix(const ZydisDecodedInstruction *in)
{
    uint8_t p = 0;
    for (int i = 0; i < in->raw.prefix_count; i++)
        if (in->raw.prefixes[i].type == ZYDIS_PREFIX_TYPE_MANDATORY)
            p = in->raw.prefixes[i].value;
    return p;
}

/* The host stub for this instruction, or NULL if no row has it. */
static const uint8_t *find_stub(const ZydisDecodedInstruction *in, const struct simd_row **row)
{
    uint8_t pfx = mandatory_prefix(in);
    bool mem = in->raw.modrm.mod != 3;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct simd_row *r = &rows[i];
        if (r->pfx != pfx || r->op != in->opcode ||
            (r->digit != SF_R && r->digit != in->raw.modrm.reg) ||
            !(r->forms & (mem ? SF_MEM : SF_REG)))
            continue;
        unsigned imm = r->imm == SF_IMM8 ? in->raw.imm[0].value.u & 0xFF
                     : r->imm == SF_PRED ? in->raw.imm[0].value.u & 7 : 0;
        *row = r;
        return simd_stubs[i][mem] + imm * SIMD_STUB_BYTES;
    }
    return NULL;
}

/* ---- operands ---- */

/* The slot of an operand: 0 for ModRM.reg, 1 for ModRM.rm, -1 for others
 * (the immediate, implicit flags). */
static int slot_of(const ZydisDecodedOperand *o)
{
    if (o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
        return -1;
    return o->encoding == ZYDIS_OPERAND_ENCODING_MODRM_REG ? 0
         : o->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM ? 1 : -1;
}

/* Where register operand o of the guest is, NULL for a GPR. */
static uint8_t *guest_reg(struct vcpu *c, const ZydisDecodedOperand *o)
{
    int id = ZydisRegisterGetId(o->reg.value);
    switch (ZydisRegisterGetClass(o->reg.value)) {
    case ZYDIS_REGCLASS_XMM: return c->fx_guest + FX_XMM(id);
    case ZYDIS_REGCLASS_MMX: return em_mm_reg(c, id);
    default: return NULL;
    }
}

/* Where slot `slot` of register operand o is in the host's image. */
static unsigned host_reg(const ZydisDecodedOperand *o, int slot)
{
    return ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_XMM ? FX_XMM(slot) : FX_MM(slot);
}

static uint32_t guest_mxcsr(const struct vcpu *c)
{
    uint32_t m;
    memcpy(&m, c->fx_guest + FX_MXCSR, 4);
    return m;
}

static void set_guest_mxcsr(struct vcpu *c, uint32_t m)
{
    memcpy(c->fx_guest + FX_MXCSR, &m, 4);
}

/* The host's image: x87 exceptions masked and none pending (the guest's
 * were checked: #MF), so only the guest's instruction can fault; MXCSR as
 * given; the register operands in their slots, GPRs in EAX/ECX, the
 * guest's arithmetic flags.  io->mem already holds the memory operand. */
static void load_io(struct em *e, struct simd_io *io, uint32_t mxcsr)
{
    memset(io->fx, 0, sizeof io->fx);
    uint16_t fcw = 0x037F;
    memcpy(io->fx + FX_FCW, &fcw, 2);
    memcpy(io->fx + FX_MXCSR, &mxcsr, 4);
    io->flags = em_host_flags(e->c);
    for (int i = 0; i < e->in->operand_count; i++) {
        const ZydisDecodedOperand *o = &e->op[i];
        int s = slot_of(o);
        if (s < 0 || o->type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        const uint8_t *g = guest_reg(e->c, o);
        if (g)
            memcpy(io->fx + host_reg(o, s), g, 16);
        else
            *(s ? &io->rcx : &io->rax) = em_reg_get(e->c, o->reg.value);
    }
}

/* Run the stub with this MXCSR; MXCSR afterwards. */
static uint32_t run(struct em *e, const uint8_t *stub, struct simd_io *io, uint32_t mxcsr)
{
    load_io(e, io, mxcsr);
    simd_host_run(stub, io);
    uint32_t m;
    memcpy(&m, io->fx + FX_MXCSR, 4);
    return m;
}

/*
 * Run the instruction under the guest's own MXCSR, so that the processor
 * decides the SIMD floating-point exceptions as well (SDM vol. 1 11.5.3:
 * an unmasked pre-computation exception reported alone, a lane's unmasked
 * overflow or underflow without its inexact flag, underflow unmasked
 * reported for any tiny result and masked only for a tiny inexact one,
 * ...).  With every exception masked, as operating systems leave MXCSR,
 * the host cannot fault.  Otherwise a fault is the host's #XM, which Linux
 * delivers as SIGFPE: caught for this one run, with MXCSR as the fault
 * left it, and the monitor's own x87/SSE state put back (the kernel gave
 * the handler a fresh one).  *mx: the guest's MXCSR afterwards.  True when
 * the instruction faulted; the destination is then unchanged.
 */
static sigjmp_buf fpe_env;              /* one VM, one vCPU per process */
static volatile uint32_t fpe_mxcsr;

static void fpe_caught(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    fpe_mxcsr = ((ucontext_t *)uc)->uc_mcontext.fpregs->mxcsr;
    siglongjmp(fpe_env, 1);
}

static bool run_catching(struct em *e, const uint8_t *stub, struct simd_io *io, uint32_t g,
                         uint32_t *mx)
{
    struct sigaction sa = { .sa_sigaction = fpe_caught, .sa_flags = SA_SIGINFO | SA_ONSTACK }, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old);
    bool faulted = sigsetjmp(fpe_env, 1) != 0;
    if (!faulted)
        *mx = run(e, stub, io, g);
    else {
        *mx = fpe_mxcsr;
        __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])io->host));
    }
    sigaction(SIGFPE, &old, NULL);
    return faulted;
}

static bool run_guest_mxcsr(struct em *e, const uint8_t *stub, struct simd_io *io, uint32_t *mx)
{
    uint32_t g = guest_mxcsr(e->c);
    if ((g & MX_MASKS) == MX_MASKS) {
        *mx = run(e, stub, io, g);
        return false;
    }
    return run_catching(e, stub, io, g, mx);
}

/* ---- the instruction ---- */

/* The explicit memory operand's index, or -1. */
static int mem_index(const struct em *e)
{
    for (int i = 0; i < e->in->operand_count; i++)
        if (e->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY && slot_of(&e->op[i]) == 1)
            return i;
    return -1;
}

/* The memory operand before the run: alignment, then the read or the
 * write check.  False with the exception raised. */
static bool mem_before(struct em *e, const struct simd_row *row, int m, struct simd_io *io)
{
    if (m < 0)
        return true;
    const ZydisDecodedOperand *o = &e->op[m];
    unsigned n = em_op_bytes(e, m);
    int sreg;
    uint32_t off;
    em_op_addr(e, o, &sreg, &off);
    if (n == 16 && !(row->flags & SF_UNALIGNED) && ((e->c->seg[sreg].base + off) & 15))
        return em_fail(e, EXC_GP, 0);
    if (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
        return em_seg_read(e, sreg, off, io->mem, n);
    return em_seg_probe_write(e, sreg, off, n);
}

/* What the instruction wrote: memory first (checked already), then the
 * registers. */
static bool write_back(struct em *e, int m, const struct simd_io *io)
{
    if (m >= 0 && (e->op[m].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
        int sreg;
        uint32_t off;
        em_op_addr(e, &e->op[m], &sreg, &off);
        if (!em_seg_write(e, sreg, off, io->mem, em_op_bytes(e, m)))
            return false;
    }
    if (em_mmx_operand(e))
        em_mmx_transition(e->c);
    for (int i = 0; i < e->in->operand_count; i++) {
        const ZydisDecodedOperand *o = &e->op[i];
        int s = slot_of(o);
        if (s < 0 || o->type != ZYDIS_OPERAND_TYPE_REGISTER ||
            !(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        uint8_t *g = guest_reg(e->c, o);
        bool xmm = ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_XMM;
        if (!g)
            em_reg_set(e->c, o->reg.value, (uint32_t)(s ? io->rcx : io->rax));
        else        /* an MMX register: its 8 bytes and the ones above (SDM vol. 1, 9.5.1) */
            memcpy(g, io->fx + host_reg(o, s), xmm ? 16 : 10);
    }
    em_commit_flags(e->c, io->flags);
    return true;
}

/* An instruction with an MMX operand waits for a pending x87 exception
 * (#MF) like any x87 instruction but the no-wait ones; CVTPI2PS and
 * CVTPI2PD have one even in their memory form (mm/m64). */
static bool waits_for_x87(const struct em *e)
{
    ZydisMnemonic mn = e->in->mnemonic;
    return em_mmx_operand(e) || mn == ZYDIS_MNEMONIC_CVTPI2PS || mn == ZYDIS_MNEMONIC_CVTPI2PD ||
           mn == ZYDIS_MNEMONIC_EMMS;
}

/* EMMS: every x87 tag empty (SDM vol. 2A, EMMS). */
static enum em_result emms(struct em *e)
{
    e->c->fx_guest[FX_FTW] = 0;
    return em_done(e);
}

enum em_result em_simd(struct em *e)
{
    struct vcpu *c = e->c;
    int vec = fpu_fault(fpu_class(e->in, e->op), c->cr0, c->cr4);
    if (vec)
        return em_raise(e, vec, 0);
    if (waits_for_x87(e) && em_x87_pending(c))
        return em_raise(e, EXC_MF, 0);
    if (e->in->mnemonic == ZYDIS_MNEMONIC_EMMS)
        return emms(e);
    const struct simd_row *row;
    const uint8_t *stub = find_stub(e->in, &row);
    if (!stub)
        return em_unsupported(e, "emulation of an MMX/SSE encoding outside cpu/simd_forms.h");
    int m = mem_index(e);
    struct simd_io io;
    memset(io.mem, 0, sizeof io.mem);
    if (!mem_before(e, row, m, &io))
        return e->res;
    uint32_t mx;
    if (run_guest_mxcsr(e, stub, &io, &mx)) {
        set_guest_mxcsr(c, mx);
        return em_raise(e, fpu_simd_fp_vector(c->cr4), 0);
    }
    if (!write_back(e, m, &io))
        return e->res;
    set_guest_mxcsr(c, mx);
    return em_done(e);
}
