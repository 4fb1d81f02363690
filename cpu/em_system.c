/*
 * cpu/em_system.c - system instructions: control and debug registers,
 * descriptor-table registers, MSRs, CPUID, time-stamp and performance
 * counters, cache and TLB maintenance, HLT.
 *
 * All of them but CPUID, RDTSC/RDPMC (by CR4) and the "store" forms (SGDT,
 * SIDT, SLDT, STR, SMSW: not privileged since the model offers no UMIP) are
 * privileged: #GP(0) at CPL > 0 (Intel SDM vol. 3A 2.8 and 5.9).
 */
#include "cpu/em_internal.h"
#include "cpu/segments.h"
#include "cpu/cpuid.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/mmu.h"

static bool privileged(struct em *e)
{
    if (e->c->cpl == 0)
        return true;
    return em_fail(e, EXC_GP, 0);
}

/* ---------------- control registers (SDM vol. 3A 2.5) ---------------- */

/* CR0 bits that exist; writes to the others are ignored in 32-bit mode. */
#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
                     CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4 bits of the features the CPUID model offers (docs/cpu-model.md); any
 * other bit (VME, PVI, MCE, UMIP, VMXE, ...) is #GP(0). */
#define CR4_OFFERED (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | \
                     CR4_OSXMMEXCPT)

/* PAE paging is on, or would be with these CR0 and CR4 values. */
static bool pae_paging(uint32_t cr0, uint32_t cr4)
{
    return (cr0 & CR0_PG) && (cr4 & CR4_PAE);
}

/* SDM vol. 3A 4.4.1: a MOV to CR0, CR3 or CR4 that leaves PAE paging on
 * after changing what the PDPTEs depend on loads them; a present PDPTE
 * with a reserved bit set makes the MOV fault with #GP(0), changing
 * nothing. */
static bool load_pdptes(struct em *e, uint32_t cr3)
{
    if (mmu_load_pdptes(e->c, cr3))
        return true;
    return em_fail(e, EXC_GP, 0);
}

static bool write_cr0(struct em *e, uint32_t v)
{
    struct vcpu *c = e->c;
    v = (v & CR0_DEFINED) | CR0_ET;         /* ET is hardwired to 1 since the P6 */
    if ((v & CR0_PG) && !(v & CR0_PE))
        return em_fail(e, EXC_GP, 0);
    if ((v & CR0_NW) && !(v & CR0_CD))
        return em_fail(e, EXC_GP, 0);
    /* Clearing PE returns to real mode (SDM vol. 3A 9.9.2): the segment
     * caches keep what protected mode loaded until real-mode loads
     * replace selector and base (cpu/realmode.h); the CPL is 0 already,
     * since only CPL 0 gets here. */
    if (pae_paging(v, c->cr4) && ((v ^ c->cr0) & (CR0_PG | CR0_CD | CR0_NW)) &&
        !load_pdptes(e, c->cr3))
        return false;
    c->cr0 = v;
    return true;
}

static bool write_cr4(struct em *e, uint32_t v)
{
    struct vcpu *c = e->c;
    if (v & ~CR4_OFFERED)
        return em_fail(e, EXC_GP, 0);
    if (pae_paging(c->cr0, v) && ((v ^ c->cr4) & (CR4_PAE | CR4_PGE | CR4_PSE)) &&
        !load_pdptes(e, c->cr3))
        return false;
    c->cr4 = v;
    return true;
}

/* MOV CRn, r32 / MOV r32, CRn.  The register operand is always a GPR (mod is
 * ignored by the hardware, and Zydis decodes it so). */
enum em_result em_mov_cr(struct em *e)
{
    struct vcpu *c = e->c;
    bool to_cr = ZydisRegisterGetClass(e->op[0].reg.value) == ZYDIS_REGCLASS_CONTROL;
    ZydisRegister crr = e->op[to_cr ? 0 : 1].reg.value;
    ZydisRegister gpr = e->op[to_cr ? 1 : 0].reg.value;
    int n = ZydisRegisterGetId(crr);

    if (n == 1 || n > 4)
        return em_ud(e);
    if (!privileged(e))
        return e->res;
    if (!to_cr) {
        uint32_t v = n == 0 ? c->cr0 : n == 2 ? c->cr2 : n == 3 ? c->cr3 : c->cr4;
        em_reg_set(c, gpr, v);
        return em_done(e);
    }
    uint32_t v = em_reg_get(c, gpr);
    switch (n) {
    case 0:
        if (!write_cr0(e, v))
            return e->res;
        break;
    case 2:
        c->cr2 = v;
        break;
    case 3:
        if (pae_paging(c->cr0, c->cr4) && !load_pdptes(e, v))
            return e->res;
        /* All 32 bits are kept: the directory base (31:12) with PCD and
         * PWT, or with PAE the PDPT base (31:5); the rest is ignored by the
         * walks (struct pg_format's cr3_mask). */
        c->cr3 = v;
        e->tlb.wrote_cr3 = true;
        break;
    case 4:
        if (!write_cr4(e, v))
            return e->res;
        break;
    }
    return em_done(e);
}

/* ---------------- debug registers (SDM vol. 3A 17.2) ---------------- */

#define DR6_FIXED 0xFFFF0FF0u    /* reserved bits that read as 1 (bit 12 reads 0) */
#define DR7_GD    0x00002000u
#define DR7_FIXED 0x00000400u
#define DR7_MBZ   0x0000D800u    /* bits 11, 12, 14, 15 */

/* MOV DRn, r32 / MOV r32, DRn.  Only the register file is modelled: the
 * breakpoints DR7 enables are not armed (the translator does not check
 * them); DR7.GD is honoured. */
enum em_result em_mov_dr(struct em *e)
{
    struct vcpu *c = e->c;
    bool to_dr = ZydisRegisterGetClass(e->op[0].reg.value) == ZYDIS_REGCLASS_DEBUG;
    ZydisRegister drr = e->op[to_dr ? 0 : 1].reg.value;
    ZydisRegister gpr = e->op[to_dr ? 1 : 0].reg.value;
    int n = ZydisRegisterGetId(drr);

    if (n > 7)
        return em_ud(e);
    if (!privileged(e))
        return e->res;
    if (n == 4 || n == 5) {                 /* aliases of DR6/DR7 unless CR4.DE */
        if (c->cr4 & CR4_DE)
            return em_ud(e);
        n += 2;
    }
    if (c->dr[7] & DR7_GD) {                /* general detect: #DB fault, GD cleared */
        c->dr[6] |= DR6_BD;
        c->dr[7] &= ~DR7_GD;
        return em_raise(e, EXC_DB, 0);
    }
    if (!to_dr) {
        em_reg_set(c, gpr, c->dr[n]);
        return em_done(e);
    }
    uint32_t v = em_reg_get(c, gpr);
    if (n == 6)
        v = (v & ~DR6_FIXED & ~0x1000u) | DR6_FIXED;
    else if (n == 7)
        v = (v & ~DR7_MBZ) | DR7_FIXED;
    c->dr[n] = v;
    return em_done(e);
}

/* ---------------- simple privileged instructions ---------------- */

/* HLT: the run loop waits for an interrupt when it sees EM_HALT; EIP already
 * points past HLT, which is the address an interrupt handler returns to. */
enum em_result em_hlt(struct em *e)
{
    if (!privileged(e))
        return e->res;
    em_done(e);
    return EM_HALT;
}

enum em_result em_clts(struct em *e)
{
    if (!privileged(e))
        return e->res;
    e->c->cr0 &= ~CR0_TS;
    return em_done(e);
}

/* INVLPG m: computes the address but accesses nothing (no fault from the
 * page tables).  Dropping the shadow mapping is the caller's business: the
 * linear address goes to it through em_info. */
enum em_result em_invlpg(struct em *e)
{
    if (e->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_ud(e);
    if (!privileged(e))
        return e->res;
    int sreg;
    uint32_t off;
    em_op_addr(e, &e->op[0], &sreg, &off);
    e->tlb.invlpg = true;
    e->tlb.invlpg_lin = e->c->seg[sreg].base + off;
    return em_done(e);
}

/* Caches are not modelled: guest RAM is host RAM, always coherent. */
enum em_result em_wbinvd(struct em *e)
{
    return privileged(e) ? em_done(e) : e->res;
}

enum em_result em_invd(struct em *e)
{
    return privileged(e) ? em_done(e) : e->res;
}

enum em_result em_rdmsr(struct em *e)
{
    struct vcpu *c = e->c;
    uint64_t v;
    if (!privileged(e))
        return e->res;
    if (cpu_rdmsr(c, c->gpr[R_ECX], &v) < 0)
        return em_gp0(e);
    c->gpr[R_EAX] = (uint32_t)v;
    c->gpr[R_EDX] = (uint32_t)(v >> 32);
    return em_done(e);
}

enum em_result em_wrmsr(struct em *e)
{
    struct vcpu *c = e->c;
    if (!privileged(e))
        return e->res;
    uint64_t v = ((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX];
    if (cpu_wrmsr(c, c->gpr[R_ECX], v) < 0)
        return em_gp0(e);
    return em_done(e);
}

enum em_result em_rdtsc(struct em *e)
{
    struct vcpu *c = e->c;
    if ((c->cr4 & CR4_TSD) && c->cpl > 0)
        return em_gp0(e);
    uint64_t t = cpu_rdtsc(c);
    c->gpr[R_EAX] = (uint32_t)t;
    c->gpr[R_EDX] = (uint32_t)(t >> 32);
    return em_done(e);
}

/* RDPMC: the P6 family has two counters (ECX 0 and 1).  The model offers no
 * event-select MSRs (WRMSR to them is #GP), so the counters can never be
 * started and read as zero. */
enum em_result em_rdpmc(struct em *e)
{
    struct vcpu *c = e->c;
    if (c->cpl > 0 && !(c->cr4 & CR4_PCE))
        return em_gp0(e);
    if (c->gpr[R_ECX] > 1)
        return em_gp0(e);
    c->gpr[R_EAX] = c->gpr[R_EDX] = 0;
    return em_done(e);
}

enum em_result em_cpuid(struct em *e)
{
    struct vcpu *c = e->c;
    uint32_t out[4];
    if (c->cpl > 0)
        vm_stats(c->vm)->direct_cpuid++;   /* ring 3: trapped by CPUID faulting */
    cpu_cpuid(c, c->gpr[R_EAX], c->gpr[R_ECX], out);
    c->gpr[R_EAX] = out[0];
    c->gpr[R_EBX] = out[1];
    c->gpr[R_ECX] = out[2];
    c->gpr[R_EDX] = out[3];
    return em_done(e);
}

/* ---------------- descriptor-table registers ---------------- */

/* LGDT/LIDT m16&32: with a 16-bit operand size only 24 bits of the base
 * are loaded (SDM vol. 2, LGDT). */
static enum em_result load_dtr(struct em *e, struct dtr *d)
{
    uint8_t b[6];
    if (e->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_ud(e);
    if (!privileged(e) || !em_read_mem_op(e, 0, b, 6))
        return e->res;
    uint32_t base = em_le(b + 2, 4);
    d->limit = em_le(b, 2);
    d->base = em_op32(e) ? base : base & 0x00FFFFFFu;
    return em_done(e);
}

/* SGDT/SIDT m: limit and base; a 16-bit operand size stores the base's
 * low 24 bits and a zero byte. */
static enum em_result store_dtr(struct em *e, const struct dtr *d)
{
    if (e->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return em_ud(e);
    uint32_t base = em_op32(e) ? d->base : d->base & 0x00FFFFFFu;
    uint8_t b[6] = { d->limit, d->limit >> 8, base, base >> 8, base >> 16, base >> 24 };
    int sreg;
    uint32_t off;
    em_op_addr(e, &e->op[0], &sreg, &off);
    if (!em_seg_write(e, sreg, off, b, 6))
        return e->res;
    return em_done(e);
}

enum em_result em_lgdt(struct em *e) { return load_dtr(e, &e->c->gdtr); }
enum em_result em_lidt(struct em *e) { return load_dtr(e, &e->c->idtr); }
enum em_result em_sgdt(struct em *e) { return store_dtr(e, &e->c->gdtr); }
enum em_result em_sidt(struct em *e) { return store_dtr(e, &e->c->idtr); }

/* SLDT/STR/SMSW r/m: a 32-bit register gets the value zero-extended (the
 * P6 and later do so), memory gets 16 bits (the operand's size). */
static enum em_result store16(struct em *e, uint32_t v)
{
    if (!em_write_op(e, 0, v))
        return e->res;
    return em_done(e);
}

enum em_result em_sldt(struct em *e) { return store16(e, e->c->ldtr.sel); }
enum em_result em_str(struct em *e) { return store16(e, e->c->tr.sel); }

/* SMSW r32 stores all of CR0 on the processors we model; memory 16 bits. */
enum em_result em_smsw(struct em *e)
{
    uint32_t v = e->c->cr0;
    if (e->op[0].type == ZYDIS_OPERAND_TYPE_MEMORY || em_op_bytes(e, 0) < 4)
        v &= 0xFFFF;
    return store16(e, v);
}

typedef int seg_loader(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err);

static enum em_result load_system_seg(struct em *e, seg_loader *load)
{
    uint32_t sel;
    int vec;
    uint32_t err;
    if (!privileged(e) || !em_read_op(e, 0, &sel))
        return e->res;
    if (load(e->c, sel & 0xFFFF, &vec, &err) < 0)
        return em_raise(e, vec, err);
    return em_done(e);
}

enum em_result em_lldt(struct em *e) { return load_system_seg(e, seg_load_ldtr); }
enum em_result em_ltr(struct em *e) { return load_system_seg(e, seg_load_tr); }

/* LMSW loads MP, EM, TS and can set PE but never clear it (SDM vol. 2). */
enum em_result em_lmsw(struct em *e)
{
    uint32_t v;
    if (!privileged(e) || !em_read_op(e, 0, &v))
        return e->res;
    uint32_t keep = e->c->cr0 & ~(uint32_t)(CR0_MP | CR0_EM | CR0_TS);
    e->c->cr0 = keep | (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
    return em_done(e);
}
