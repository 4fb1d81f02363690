/*
 * cpu/em_x87.c - the x87 instructions the emulator carries out: those
 * with a memory operand (ESC opcodes D8-DF with ModRM.mod != 3) when that
 * operand is on an emulated page (device memory, unassigned physical
 * memory, a traced page table) or the code is interpreted (real mode,
 * virtual-8086 mode, 16-bit code): FLD, FST(P), FILD, FIST(P), FBLD,
 * FBSTP, the arithmetic and compare forms with a memory source, FLDCW,
 * FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR and FNSAVE; and, for
 * interpreted code, the register and no-operand forms (ModRM.mod 3:
 * FNINIT, FNSTSW AX, FLD1, FADDP, FCOMI, FCMOVcc, FSQRT, ...).  Translated
 * 32-bit code runs them natively everywhere else.
 *
 * The host FPU carries each out, so every rounding, tag and exception flag
 * is the processor's own: the operand is read from guest memory into a
 * bounce buffer, the same opcode runs on the guest's FXSAVE image with its
 * operand in that buffer (cpu/x87_stubs.S), and the buffer is written back
 * for the storing forms.  A store is checked for writing before it runs,
 * so a #PF leaves the FPU as it was.  An unmasked x87 exception already
 * pending in the image is the guest's #MF before any instruction but the
 * no-wait control forms (SDM vol. 1, 8.6); one the instruction leaves
 * pending stays in the image for the guest's next x87 instruction.
 * Afterwards the image's last-instruction and operand pointers are the
 * guest's EIP and operand offset, not the stub's.
 */
#include <string.h>
#include "cpu/em_internal.h"
#include "cpu/fpu.h"

/* An unmasked x87 exception is pending, as the processor decides it after
 * FXRSTOR: an exception flag whose mask bit is clear (the ES bit is
 * derived from these). */
bool em_x87_pending(const struct vcpu *c)
{
    uint16_t fsw, fcw;
    memcpy(&fsw, c->fx_guest + FX_FSW, 2);
    memcpy(&fcw, c->fx_guest + FX_FCW, 2);
    return fsw & ~fcw & 0x3Fu;
}

typedef void x87_stub(void *mem, void *guest_fx, void *host_fx);
extern x87_stub *const x87_stubs[64], *const x87_stubs16[4];
typedef void x87_reg_stub(void *guest_fx, void *host_fx, uint64_t flags, uint64_t out[2]);
extern const uint8_t x87_reg_stubs[];
#define X87_REG_STUB 32             /* bytes per register-form routine (cpu/x87_stubs.S) */


enum dir { X_READ, X_WRITE };

/* What form op (0-7 for D8-DF), reg does to its memory operand: direction,
 * size in bytes (0: the environment or state image, by operand size; the
 * reserved encodings never get here, Zydis rejects them), whether it is a
 * control form (the last-instruction pointers kept) and whether it is one
 * of the no-wait forms FNSTENV, FNSTCW, FNSAVE, FNSTSW (no #MF check).
 * The loading control forms FLDENV, FLDCW and FRSTOR do wait (SDM vol. 1
 * 8.6): an unmasked exception pending in the guest's image is its #MF
 * before them, and must never reach the host's FPU, where the same check
 * is a SIGFPE in the monitor. */
struct x87_form {
    unsigned char dir, size;
    bool control, nowait;
};

#define R(n)  { X_READ, n, false, false }
#define W(n)  { X_WRITE, n, false, false }
#define RC(n) { X_READ, n, true, false }    /* FLDENV, FLDCW, FRSTOR */
#define WC(n) { X_WRITE, n, true, true }    /* the no-wait stores */
static const struct x87_form forms[8][8] = {
    /* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR m32fp */
    { R(4), R(4), R(4), R(4), R(4), R(4), R(4), R(4) },
    /* D9: FLD m32, (reserved), FST m32, FSTP m32, FLDENV, FLDCW, FNSTENV, FNSTCW */
    { R(4), R(0), W(4), W(4), RC(0), RC(2), WC(0), WC(2) },
    /* DA: FIADD FIMUL FICOM FICOMP FISUB FISUBR FIDIV FIDIVR m32int */
    { R(4), R(4), R(4), R(4), R(4), R(4), R(4), R(4) },
    /* DB: FILD m32, FISTTP m32, FIST m32, FISTP m32, (reserved), FLD m80, (reserved), FSTP m80 */
    { R(4), W(4), W(4), W(4), R(0), R(10), R(0), W(10) },
    /* DC: FADD .. FDIVR m64fp */
    { R(8), R(8), R(8), R(8), R(8), R(8), R(8), R(8) },
    /* DD: FLD m64, FISTTP m64, FST m64, FSTP m64, FRSTOR, (reserved), FNSAVE, FNSTSW m16 */
    { R(8), W(8), W(8), W(8), RC(0), R(0), WC(0), WC(2) },
    /* DE: FIADD .. FIDIVR m16int */
    { R(2), R(2), R(2), R(2), R(2), R(2), R(2), R(2) },
    /* DF: FILD m16, FISTTP m16, FIST m16, FISTP m16, FBLD m80, FILD m64, FBSTP m80, FISTP m64 */
    { R(2), W(2), W(2), W(2), R(10), R(8), W(10), W(8) },
};
#undef R
#undef W
#undef RC
#undef WC

/* An ESC instruction (D8-DF of the one-byte opcode map) with a ModRM
 * byte.  Only the one-byte map: 0F D8-DF are MMX instructions (PSUBUSB ..
 * PANDN), 0F 38 D8-DF and 0F 3A DF AES ones, whose ModRM.reg would pick
 * an x87 stub of a different instruction, for D9 /1 an encoding the host
 * CPU refuses (SIGILL in the monitor). */
static bool esc_insn(const struct em *e)
{
    return e->in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && e->in->opcode >= 0xD8 &&
           e->in->opcode <= 0xDF && (e->in->attributes & ZYDIS_ATTRIB_HAS_MODRM);
}

/* Is this an ESC instruction with a memory operand?  Its opcode row (0-7)
 * and ModRM.reg then. */
bool em_x87_mem_form(const struct em *e)
{
    return esc_insn(e) && e->in->raw.modrm.mod != 3;
}

/* The environment forms' image sizes: FLDENV/FNSTENV 28 bytes (14 with a
 * 16-bit operand size), FRSTOR/FNSAVE 108 (94). */
static unsigned image_size(unsigned op, bool o16)
{
    return op == 1 ? (o16 ? 14 : 28) : (o16 ? 94 : 108);
}

enum em_result em_x87_mem(struct em *e)
{
    struct vcpu *c = e->c;
    int vec = fpu_fault(FPU_X87, c->cr0, c->cr4);
    if (vec)
        return em_raise(e, vec, 0);
    unsigned op = e->in->opcode - 0xD8, reg = e->in->raw.modrm.reg;
    const struct x87_form *f = &forms[op][reg];
    bool o16 = e->in->operand_width == 16;
    unsigned n = f->size ? f->size : image_size(op, o16);
    const ZydisDecodedOperand *m = em_mem_operand(e);
    if (!m)
        return em_raise(e, EXC_UD, 0);
    if (!f->nowait && em_x87_pending(c))
        return em_raise(e, EXC_MF, 0);
    int sreg;
    uint32_t off;
    em_op_addr(e, m, &sreg, &off);
    _Alignas(16) uint8_t buf[112] = { 0 };
    _Alignas(16) uint8_t host_fx[512];
    if (f->dir == X_READ ? !em_seg_read(e, sreg, off, buf, n) : !em_seg_probe_write(e, sreg, off, n))
        return e->res;
    bool env = f->control && f->size == 0;
    x87_stub *run = o16 && env ? x87_stubs16[(op == 5) * 2 + (reg == 6)] : x87_stubs[op * 8 + reg];
    run(buf, c->fx_guest, host_fx);
    if (!f->control) {
        uint64_t ip = c->eip, dp = off;
        memcpy(c->fx_guest + FX_FIP, &ip, 8);
        memcpy(c->fx_guest + FX_FDP, &dp, 8);
    }
    if (f->dir == X_WRITE && !em_seg_write(e, sreg, off, buf, n))
        return e->res;
    return em_done(e);
}

/* The register and no-operand forms the SDM's opcode map defines (vol. 2,
 * appendix A.4.2, ModRM C0-FF), one bit per ModRM byte C0-FF in each row
 * D8-DF.  The blanks of the map are #UD here, although some processors run
 * them as aliases (FSTP1, FCOM2, FFREEP, ...): a guest gets the same
 * answer on any host, and the host never executes a reserved encoding. */
static const uint64_t reg_forms[8] = {
    /* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR st0, st(i) */
    0xFFFFFFFFFFFFFFFFull,
    /* D9: FLD, FXCH (C0-CF), FNOP (D0), FCHS FABS (E0 E1), FTST FXAM (E4 E5),
     * the constants (E8-EE), F2XM1 .. FCOS (F0-FF) */
    0xFFFF7F3300010000ull | 0xFFFFull,
    /* DA: FCMOVB FCMOVE FCMOVBE FCMOVU (C0-DF), FUCOMPP (E9) */
    (1ull << 0x29) | 0xFFFFFFFFull,
    /* DB: FCMOVNB .. FCMOVNU (C0-DF), FNENI FNDISI FNCLEX FNINIT FNSETPM
     * (E0-E4), FUCOMI FCOMI (E8-F7) */
    0x00FFFF1F00000000ull | 0xFFFFFFFFull,
    /* DC: FADD FMUL st(i), st0 (C0-CF), FSUBR FSUB FDIVR FDIV st(i), st0 (E0-FF) */
    0xFFFFFFFF0000FFFFull,
    /* DD: FFREE (C0-C7), FST FSTP st(i) (D0-DF), FUCOM FUCOMP (E0-EF) */
    0x0000FFFFFFFF00FFull,
    /* DE: FADDP FMULP (C0-CF), FCOMPP (D9), FSUBRP FSUBP FDIVRP FDIVP (E0-FF) */
    0xFFFFFFFF0200FFFFull,
    /* DF: FNSTSW AX (E0), FUCOMIP FCOMIP (E8-F7) */
    0x00FFFF0100000000ull,
};

bool em_x87_reg_form(const struct em *e)
{
    return esc_insn(e) && e->in->raw.modrm.mod == 3;
}

/* The no-wait forms: FNENI FNDISI FNCLEX FNINIT FNSETPM (DB E0-E4) and
 * FNSTSW AX (DF E0) neither check for a pending exception nor change the
 * last-instruction pointer. */
static bool reg_form_control(unsigned op, unsigned low)
{
    return (op == 3 && low >= 0x20 && low <= 0x24) || (op == 7 && low == 0x20);
}

enum em_result em_x87_reg(struct em *e)
{
    struct vcpu *c = e->c;
    int vec = fpu_fault(FPU_X87, c->cr0, c->cr4);
    if (vec)
        return em_raise(e, vec, 0);
    unsigned op = e->in->opcode - 0xD8;
    unsigned low = (unsigned)e->in->raw.modrm.reg << 3 | e->in->raw.modrm.rm;    /* ModRM - 0xC0 */
    if (!(reg_forms[op] >> low & 1))
        return em_raise(e, EXC_UD, 0);
    bool control = reg_form_control(op, low);
    if (!control && em_x87_pending(c))
        return em_raise(e, EXC_MF, 0);
    const uint32_t arith = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF;
    uint32_t fl = vcpu_get_eflags(c);
    uint64_t out[2];
    _Alignas(16) uint8_t host_fx[512];
    x87_reg_stub *run = (x87_reg_stub *)(uintptr_t)(x87_reg_stubs + (op * 64 + low) * X87_REG_STUB);
    run(c->fx_guest, host_fx, fl & arith, out);
    vcpu_set_eflags(c, (fl & ~arith) | ((uint32_t)out[0] & arith));
    if (op == 7 && low == 0x20)
        c->gpr[R_EAX] = (c->gpr[R_EAX] & 0xFFFF0000u) | (uint16_t)out[1];
    if (!control) {
        uint64_t ip = c->eip;
        uint16_t fop = (uint16_t)((op << 8) | 0xC0 | low);
        memcpy(c->fx_guest + FX_FIP, &ip, 8);
        memcpy(c->fx_guest + FX_FOP, &fop, 2);
    }
    return em_done(e);
}
