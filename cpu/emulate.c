/*
 * cpu/emulate.c - fetch, decode and dispatch of emulated instructions, and
 * the operand helpers every handler group (cpu/em_*.c) shares.
 *
 * One instruction: fetch up to 15 bytes at CS.base+EIP through the guest's
 * page tables, decode with Zydis in the mode CS.D and SS.B select, find the
 * handler by mnemonic, run it.  Handlers leave EIP at the instruction when
 * they raise a fault and move it on (em_done) when they complete.
 */
#include <stdio.h>
#include <string.h>
#include "cpu/em_internal.h"
#include "cpu/exceptions.h"
#include "cpu/cpuid.h"
#include "cpu/realmode.h"
#include "cpu/v86.h"
#include "cpu/decode_cache.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/device.h"

/* The dispatch, from the rows of cpu/insn_table.h. */
#define EM_ENTRY(M, m, class) [ZYDIS_MNEMONIC_##M] = em_##m,
static em_handler *const handlers[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
    INSN_TABLE(EM_ENTRY)
};
#undef EM_ENTRY

bool emulate_supports(int mnemonic)
{
    return mnemonic > 0 && mnemonic <= ZYDIS_MNEMONIC_MAX_VALUE && handlers[mnemonic];
}

/* The ABSENT rows of cpu/insn_table.h: instructions the modelled CPU does
 * not have (its CPUID does not advertise them, or, like RSM, they exist
 * only in a mode it never enters), so it raises #UD at them at any CPL.
 * step() raises that #UD already for everything cpu_model_insn() leaves
 * out; this handler makes the table's answer the same by construction, so
 * that no sensitive row lacks a handler and none reaches the host. */
enum em_result em_absent(struct em *e)
{
    return em_ud(e);
}

/* ---------------- results ---------------- */

enum em_result em_raise(struct em *e, int vector, uint32_t error)
{
    e->res = cpu_raise(e->c, vector, error) < 0 ? EM_STOP : EM_OK;
    return e->res;
}

bool em_fail(struct em *e, int vec, uint32_t err)
{
    em_raise(e, vec, err);
    return false;
}

enum em_result em_unsupported(struct em *e, const char *what)
{
    vm_unsupported(e->c->vm, what);
    return e->res = EM_STOP;
}

static bool page_fault(struct em *e, const struct mmu_fault *f)
{
    e->c->cr2 = f->cr2;
    return em_fail(e, EXC_PF, f->error);
}

/* ---------------- registers and flags ---------------- */

uint32_t em_reg_get(const struct vcpu *c, ZydisRegister r)
{
    int id = ZydisRegisterGetId(r);
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR32:
        return c->gpr[id];
    case ZYDIS_REGCLASS_GPR16:
        return c->gpr[id] & 0xFFFF;
    case ZYDIS_REGCLASS_GPR8:     /* AL CL DL BL AH CH DH BH */
        return id < 4 ? c->gpr[id] & 0xFF : (c->gpr[id - 4] >> 8) & 0xFF;
    case ZYDIS_REGCLASS_SEGMENT:
        return c->seg[em_sreg_index(r)].sel;
    default:
        return 0;
    }
}

void em_reg_set(struct vcpu *c, ZydisRegister r, uint32_t v)
{
    int id = ZydisRegisterGetId(r);
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR32:
        c->gpr[id] = v;
        break;
    case ZYDIS_REGCLASS_GPR16:
        c->gpr[id] = (c->gpr[id] & 0xFFFF0000u) | (v & 0xFFFF);
        break;
    case ZYDIS_REGCLASS_GPR8:
        if (id < 4)
            c->gpr[id] = (c->gpr[id] & ~0xFFu) | (v & 0xFF);
        else
            c->gpr[id - 4] = (c->gpr[id - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
        break;
    default:
        break;
    }
}

int em_sreg_index(ZydisRegister r)
{
    /* Zydis orders ES CS SS DS FS GS like the hardware encoding. */
    return r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS ? (int)(r - ZYDIS_REGISTER_ES) : -1;
}

void em_set_flags(struct vcpu *c, uint32_t mask, uint32_t value)
{
    vcpu_set_eflags(c, (vcpu_get_eflags(c) & ~mask) | (value & mask));
}

uint32_t em_szp8(uint8_t v)
{
    uint32_t f = v ? 0 : FL_ZF;
    if (v & 0x80)
        f |= FL_SF;
    if (!__builtin_parity(v))
        f |= FL_PF;
    return f;
}

/* ---------------- memory through segments ---------------- */

/* Protection and limit checks of a data access (Intel SDM vol. 3A 5.3 and
 * 5.6), then the linear address.  Faults are #SS(0) through SS, #GP(0)
 * otherwise.  Real mode checks the limit of the segment cache only (SDM
 * vol. 3A 20.1.1: no protection checks; the type bits left by protected
 * mode do not count there, so a write through CS works); so does
 * virtual-8086 mode, whose segments are all writable data (cpu/v86.h). */
enum seg_use { SEG_READ, SEG_WRITE, SEG_FLUSH };

static bool seg_check(struct em *e, int sreg, uint32_t off, uint32_t n, enum seg_use use,
                      uint32_t *lin)
{
    bool write = use == SEG_WRITE;
    const struct seg *s = &e->c->seg[sreg];
    int vec = sreg == S_SS ? EXC_SS : EXC_GP;
    unsigned type = SEG_ATTR_TYPE(s->attr);
    bool code = type & 8;

    bool real = cpu_real_segments(e->c);
    if (!real && (!SEG_ATTR_P(s->attr) || !SEG_ATTR_S(s->attr)))
        return em_fail(e, vec, 0);          /* null or unusable */
    if (!real && (write ? (code || !(type & 2)) : (code && !(type & 2) && use != SEG_FLUSH)))
        return em_fail(e, vec, 0);          /* read-only data, execute-only code */
    uint64_t end = (uint64_t)off + n - 1;
    if (!code && (type & 4)) {              /* expand-down: valid above the limit */
        uint64_t top = SEG_ATTR_DB(s->attr) ? 0xFFFFFFFFull : 0xFFFFull;
        if (off <= s->limit || end > top)
            return em_fail(e, vec, 0);
    } else if (end > s->limit) {
        return em_fail(e, vec, 0);
    }
    *lin = s->base + off;
    return true;
}

uint64_t em_seg_room(const struct vcpu *c, int sreg, uint32_t off)
{
    const struct seg *s = &c->seg[sreg];
    unsigned type = SEG_ATTR_TYPE(s->attr);
    if ((!(type & 8) && (type & 4)) || off > s->limit)
        return 0;
    return (uint64_t)s->limit - off + 1;
}

bool em_seg_read(struct em *e, int sreg, uint32_t off, void *buf, uint32_t n)
{
    uint32_t lin;
    struct mmu_fault f;
    if (!seg_check(e, sreg, off, n, SEG_READ, &lin))
        return false;
    if (mmu_read(e->c, lin, buf, n, e->acc, &f) == MMU_PAGE_FAULT)
        return page_fault(e, &f);
    return true;
}

bool em_seg_write(struct em *e, int sreg, uint32_t off, const void *buf, uint32_t n)
{
    uint32_t lin;
    struct mmu_fault f;
    if (!seg_check(e, sreg, off, n, SEG_WRITE, &lin))
        return false;
    if (mmu_write(e->c, lin, buf, n, e->acc, &f) == MMU_PAGE_FAULT)
        return page_fault(e, &f);
    return true;
}

bool em_seg_probe_write(struct em *e, int sreg, uint32_t off, uint32_t n)
{
    uint32_t lin, pa;
    struct mmu_fault f;
    if (!seg_check(e, sreg, off, n, SEG_WRITE, &lin))
        return false;
    for (uint32_t done = 0; done < n;) {
        uint32_t a = lin + done;
        if (mmu_translate(e->c, a, e->acc | ACC_WRITE | ACC_NOSET, &pa, &f) == MMU_PAGE_FAULT)
            return page_fault(e, &f);
        done += GUEST_PAGE_SIZE - (a & (GUEST_PAGE_SIZE - 1));
    }
    return true;
}

/* CLFLUSH's checks: those of a byte load, except that an execute-only code
 * segment is allowed (SDM vol. 2A, CLFLUSH); nothing is read, so a device
 * register is not touched, and no accessed bit is set. */
bool em_seg_probe_flush(struct em *e, int sreg, uint32_t off)
{
    uint32_t lin, pa;
    struct mmu_fault f;
    if (!seg_check(e, sreg, off, 1, SEG_FLUSH, &lin))
        return false;
    if (mmu_translate(e->c, lin, e->acc | ACC_NOSET, &pa, &f) == MMU_PAGE_FAULT)
        return page_fault(e, &f);
    return true;
}

void em_op_addr(struct em *e, const ZydisDecodedOperand *o, int *sreg, uint32_t *off)
{
    uint64_t a = (uint64_t)o->mem.disp.value;
    if (o->mem.base != ZYDIS_REGISTER_NONE)
        a += em_reg_get(e->c, o->mem.base);
    if (o->mem.index != ZYDIS_REGISTER_NONE)
        a += (uint64_t)em_reg_get(e->c, o->mem.index) * o->mem.scale;
    *off = e->in->address_width == 16 ? (uint32_t)a & 0xFFFF : (uint32_t)a;
    *sreg = em_sreg_index(o->mem.segment);
}

bool em_read_mem_op(struct em *e, int i, void *buf, uint32_t n)
{
    int sreg;
    uint32_t off;
    em_op_addr(e, &e->op[i], &sreg, &off);
    return em_seg_read(e, sreg, off, buf, n);
}

/* ---------------- operands ---------------- */

unsigned em_op_bytes(const struct em *e, int i)
{
    return e->op[i].size / 8;
}

static uint32_t size_mask(unsigned bytes)
{
    return bytes >= 4 ? 0xFFFFFFFFu : (1u << (bytes * 8)) - 1;
}

bool em_read_op(struct em *e, int i, uint32_t *v)
{
    const ZydisDecodedOperand *o = &e->op[i];
    unsigned n = em_op_bytes(e, i);
    switch (o->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        *v = em_reg_get(e->c, o->reg.value) & size_mask(n);
        return true;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        *v = (uint32_t)o->imm.value.u & size_mask(n);
        return true;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
        uint32_t x = 0;
        if (n > 4 || !em_read_mem_op(e, i, &x, n))
            return n > 4 ? em_fail(e, EXC_UD, 0) : false;
        *v = x;
        return true;
    }
    default:
        return em_fail(e, EXC_UD, 0);
    }
}

bool em_write_op(struct em *e, int i, uint32_t v)
{
    const ZydisDecodedOperand *o = &e->op[i];
    unsigned n = em_op_bytes(e, i);
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        em_reg_set(e->c, o->reg.value, v);
        return true;
    }
    if (o->type != ZYDIS_OPERAND_TYPE_MEMORY || n > 4)
        return em_fail(e, EXC_UD, 0);
    int sreg;
    uint32_t off;
    em_op_addr(e, o, &sreg, &off);
    return em_seg_write(e, sreg, off, &v, n);   /* little endian: low bytes first */
}

/* ---------------- stack ---------------- */

uint32_t em_sp_mask(const struct vcpu *c)
{
    return SEG_ATTR_DB(c->seg[S_SS].attr) ? 0xFFFFFFFFu : 0xFFFFu;
}

bool em_stack_read(struct em *e, uint32_t delta, void *buf, uint32_t n)
{
    uint32_t m = em_sp_mask(e->c);
    return em_seg_read(e, S_SS, (e->c->gpr[R_ESP] + delta) & m, buf, n);
}

bool em_stack_write(struct em *e, uint32_t delta, const void *buf, uint32_t n)
{
    uint32_t m = em_sp_mask(e->c);
    return em_seg_write(e, S_SS, (e->c->gpr[R_ESP] + delta) & m, buf, n);
}

void em_sp_add(struct vcpu *c, int32_t delta)
{
    uint32_t m = em_sp_mask(c);
    c->gpr[R_ESP] = (c->gpr[R_ESP] & ~m) | ((c->gpr[R_ESP] + delta) & m);
}

bool em_stack_push(struct em *e, uint32_t v, unsigned bytes)
{
    if (!em_stack_write(e, -bytes, &v, bytes))
        return false;
    em_sp_add(e->c, -(int32_t)bytes);
    return true;
}

bool em_stack_pop(struct em *e, uint32_t *v, unsigned bytes)
{
    uint32_t x = 0;
    if (!em_stack_read(e, 0, &x, bytes))
        return false;
    em_sp_add(e->c, bytes);
    *v = x;
    return true;
}

/* ---------------- fetch and decode ---------------- */

/* Instructions fetched outside RAM must come from a ROM (the firmware at
 * the top of 4 GiB, devices/rom.h); any other device memory stops the run. */
static bool fetch_from_rom(struct em *e, uint32_t lin, uint32_t len)
{
    uint32_t pa0, pa1;
    if (len == 0)
        len = 1;
    if (mmu_translate(e->c, lin, e->acc | ACC_FETCH | ACC_NOSET, &pa0, NULL) == MMU_PAGE_FAULT ||
        mmu_translate(e->c, lin + len - 1, e->acc | ACC_FETCH | ACC_NOSET, &pa1, NULL) == MMU_PAGE_FAULT)
        return false;
    struct io_bus *bus = vm_io(e->c->vm);
    return io_mmio_fetchable(bus, pa0, 1) && io_mmio_fetchable(bus, pa1, 1);
}

/* The decoding mode: CS.D gives the default operand and address size,
 * SS.B the stack width (cpu/decode_cache.h's key). */
static unsigned decode_mode(const struct vcpu *c)
{
    return (SEG_ATTR_DB(c->seg[S_CS].attr) ? DC_MODE_CS32 : 0) |
           (SEG_ATTR_DB(c->seg[S_SS].attr) ? DC_MODE_SS32 : 0);
}

/* The instruction at lin from the decode cache, when its bytes are still
 * those in RAM there: the fetch that fetch_decode would do (no bytes past
 * the CS limit, `avail`; accessed bits set as it sets them), without
 * Zydis.  false: decode it (nothing changed). */
static bool fetch_cached(struct em *e, uint32_t lin, uint32_t avail, unsigned mode)
{
    struct vcpu *c = e->c;
    uint32_t pa;
    uint32_t n = GUEST_PAGE_SIZE - (lin & (GUEST_PAGE_SIZE - 1));
    if (n > avail)
        n = avail;
    if (mmu_translate(c, lin, e->acc | ACC_FETCH | ACC_NOSET, &pa, NULL) != MMU_OK)
        return false;
    const uint8_t *bytes = guest_phys_ptr(vm_mem(c->vm), pa, n);
    if (!bytes || !dc_lookup(c->vm, lin, mode, bytes, n, &e->in, &e->op))
        return false;
    if (c->cr0 & CR0_PG)            /* the walk above left the A bits alone */
        mmu_translate(c, lin, e->acc | ACC_FETCH, &pa, NULL);
    return true;
}

/* Fetch and decode the instruction at CS:EIP.  The bytes are read page by
 * page, so an instruction that ends on a page boundary does not touch the
 * following (possibly unmapped) page; bytes past the CS limit are not
 * fetched and an instruction that needs them is #GP(0).  An instruction
 * decoded before from the same bytes comes from the decode cache. */
static bool fetch_decode(struct em *e)
{
    struct vcpu *c = e->c;
    const struct seg *cs = &c->seg[S_CS];
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    struct mmu_fault f;
    ZydisDecoder dec;

    if (c->eip > cs->limit)
        return em_fail(e, EXC_GP, 0);
    uint32_t avail = ZYDIS_MAX_INSTRUCTION_LENGTH;
    if ((uint64_t)cs->limit - c->eip + 1 < avail)
        avail = cs->limit - c->eip + 1;
    uint32_t lin = cs->base + c->eip;
    unsigned mode = decode_mode(c);
    if (fetch_cached(e, lin, avail, mode)) {
        vm_stats(c->vm)->em_decode_cached++;
        goto decoded;
    }
    vm_stats(c->vm)->em_decoded++;
    uint32_t n = GUEST_PAGE_SIZE - (lin & (GUEST_PAGE_SIZE - 1));
    if (n > avail)
        n = avail;

    ZydisDecoderInit(&dec,
                     (mode & DC_MODE_CS32) ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
                     (mode & DC_MODE_SS32) ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
    e->in = &e->fresh.in;
    e->op = e->fresh.op;
    enum mmu_result r = mmu_read(c, lin, buf, n, e->acc | ACC_FETCH, &f);
    if (r == MMU_PAGE_FAULT)
        return page_fault(e, &f);
    ZyanStatus st = ZydisDecoderDecodeFull(&dec, buf, n, &e->fresh.in, e->fresh.op);
    bool one_page = true;
    if (st == ZYDIS_STATUS_NO_MORE_DATA && n < avail) {
        enum mmu_result r2 = mmu_read(c, lin + n, buf + n, avail - n, e->acc | ACC_FETCH, &f);
        if (r2 == MMU_PAGE_FAULT)
            return page_fault(e, &f);
        if (r2 != MMU_OK)
            r = r2;
        st = ZydisDecoderDecodeFull(&dec, buf, avail, &e->fresh.in, e->fresh.op);
        one_page = false;
    }
    if (r == MMU_NOT_RAM && !fetch_from_rom(e, lin, st == ZYAN_STATUS_SUCCESS ? e->in->length : avail)) {
        em_unsupported(e, "instruction fetch from a non-RAM address");
        return false;
    }
    if (st == ZYDIS_STATUS_NO_MORE_DATA || st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
        return em_fail(e, EXC_GP, 0);       /* runs past the CS limit or > 15 bytes */
    if (ZYAN_FAILED(st))
        return em_fail(e, EXC_UD, 0);
    if (r == MMU_OK && one_page)
        dc_store(c->vm, lin, mode, buf, e->in, e->op);
decoded:
    /* Not cut to 16 bits in 16-bit code: running on past offset 0xFFFF is
     * #GP(0) at the next fetch with a 64 KiB CS limit (a 286 or later does
     * not wrap IP), and goes on at 0x10000 with a 4 GiB one, as in
     * translated code; branches with a 16-bit operand size cut their
     * targets themselves (near_target). */
    e->next_eip = c->eip + e->in->length;
    return true;
}

enum step_mode { STEP_NORMAL, STEP_HOST_GP0, STEP_DECLINE };

static enum em_result step(struct vcpu *c, struct em_info *info, enum step_mode mode)
{
    /* Not `= { ... }`: that would clear e.fresh, a kilobyte, at every
     * instruction; fetch_decode sets e.in and e.op before any use. */
    struct em e;
    e.c = c;
    e.in = NULL;
    e.op = NULL;
    e.next_eip = 0;
    e.acc = c->cpl == 3 ? ACC_USER : 0;
    e.irq_shadow = false;
    e.tlb = (struct em_tlb){ 0 };
    e.res = EM_OK;
    enum em_result r;

    if (info)
        *info = (struct em_info){ .mnemonic = ZYDIS_MNEMONIC_INVALID };
    if (!fetch_decode(&e))
        return e.res;
    if (info) {
        info->mnemonic = e.in->mnemonic;
        info->length = e.in->length;
    }
    em_handler *h = handlers[e.in->mnemonic];
    int rm_vec = cpu_real_mode(c) ? rm_insn_fault(e.in->mnemonic)
               : cpu_v86(c) ? v86_insn_fault(c, e.in->mnemonic) : -1;
    if (cpu_model_insn(e.in) == MODEL_UD) {
        r = em_ud(&e);                      /* not in the CPU model */
    } else if (rm_vec >= 0) {
        r = em_raise(&e, rm_vec, 0);        /* not in real or virtual-8086 mode */
    } else if (h) {
        r = h(&e);
    } else if (em_x87_mem_form(&e)) {
        r = em_x87_mem(&e);
    } else if (em_x87_reg_form(&e)) {
        r = em_x87_reg(&e);
    } else if (em_simd_form(&e)) {
        r = em_simd(&e);
    } else if (mode == STEP_HOST_GP0) {
        r = em_raise(&e, EXC_GP, 0);
    } else if (mode == STEP_DECLINE) {
        r = EM_DECLINED;
    } else {
        char what[64];
        snprintf(what, sizeof what, "emulation of '%s'", ZydisMnemonicGetString(e.in->mnemonic));
        r = em_unsupported(&e, what);
    }
    if (info) {
        info->irq_shadow = e.irq_shadow && r == EM_OK;
        info->tlb = e.tlb;
    }
    return r;
}

enum em_result emulate_step(struct vcpu *c, struct em_info *info)
{
    return step(c, info, STEP_NORMAL);
}

enum em_result emulate_after_host_gp0(struct vcpu *c, struct em_info *info)
{
    return step(c, info, STEP_HOST_GP0);
}

enum em_result emulate_step_handled(struct vcpu *c, struct em_info *info)
{
    return step(c, info, STEP_DECLINE);
}

enum em_result emulate_one(struct vcpu *c)
{
    return emulate_step(c, NULL);
}
