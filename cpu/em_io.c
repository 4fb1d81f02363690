/*
 * cpu/em_io.c - port I/O: IN, OUT, INS, OUTS (with REP).
 *
 * Protection (Intel SDM vol. 1 19.5, "Protected-Mode I/O"):
 * at CPL <= IOPL every port is accessible; otherwise each byte of the access
 * must have a clear bit in the I/O permission bitmap of the current 32-bit
 * TSS, or the instruction is #GP(0).  Virtual-8086 code is checked against
 * the bitmap whatever IOPL says (SDM vol. 3A 20.2.8.1).
 */
#include <string.h>
#include "cpu/em_internal.h"
#include "cpu/v86.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"
#include "devices/device.h"

#define TSS32_IOMAP_OFF 102         /* 16-bit offset of the bitmap in a 32-bit TSS */
#define TSS32_MIN_LIMIT 103

/* Is [port, port+size) open to the current CPL? */
static bool io_allowed(struct em *e, uint16_t port, unsigned size)
{
    struct vcpu *c = e->c;
    unsigned type = SEG_ATTR_TYPE(c->tr.attr);
    struct mmu_fault f;
    uint16_t map_off, bits;

    if (c->cpl <= em_iopl(c) && !cpu_v86(c))
        return true;
    /* Only a 32-bit TSS (available 9 / busy 11) has a bitmap. */
    if ((type != 9 && type != 11) || c->tr.limit < TSS32_MIN_LIMIT)
        return em_fail(e, EXC_GP, 0);
    /* The TSS is read with supervisor rights, as the processor does. */
    if (mmu_read(c, c->tr.base + TSS32_IOMAP_OFF, &map_off, 2, 0, &f) == MMU_PAGE_FAULT)
        goto pf;
    uint32_t at = (uint32_t)map_off + port / 8;
    if (at + 1 > c->tr.limit)               /* both bytes must lie inside the TSS */
        return em_fail(e, EXC_GP, 0);
    if (mmu_read(c, c->tr.base + at, &bits, 2, 0, &f) == MMU_PAGE_FAULT)
        goto pf;
    if ((bits >> (port & 7)) & ((1u << size) - 1))
        return em_fail(e, EXC_GP, 0);
    return true;
pf:
    c->cr2 = f.cr2;
    return em_fail(e, EXC_PF, f.error);
}

/* The port operand of IN/OUT: imm8 or DX. */
static uint16_t port_of(struct em *e, int i)
{
    const ZydisDecodedOperand *o = &e->op[i];
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return o->imm.value.u & 0xFF;
    return e->c->gpr[R_EDX] & 0xFFFF;
}

enum em_result em_in(struct em *e)
{
    uint16_t port = port_of(e, 1);
    unsigned size = em_op_bytes(e, 0);
    if (!io_allowed(e, port, size))
        return e->res;
    em_reg_set(e->c, e->op[0].reg.value, io_pio_read(vm_io(e->c->vm), port, size));
    return em_done(e);
}

enum em_result em_out(struct em *e)
{
    uint16_t port = port_of(e, 0);
    unsigned size = em_op_bytes(e, 1);
    if (!io_allowed(e, port, size))
        return e->res;
    io_pio_write(vm_io(e->c->vm), port, size, em_reg_get(e->c, e->op[1].reg.value));
    return em_done(e);
}

/* ---------------- string forms ---------------- */

/* The count and index registers follow the address size (em_str_mask). */
struct strop {
    uint32_t mask;
    bool rep;
};

static struct strop strop_of(const struct em *e)
{
    return (struct strop){ .mask = em_str_mask(e), .rep = em_str_rep(e) };
}

/*
 * The rest of a REP INS's page at once, after an iteration that went
 * through the checks (em_seg_probe_write, em_seg_write): a disk sector
 * read by REP INSW in real mode is 256 iterations into one page.  Taken
 * only where the checks of the further iterations cannot fail or do
 * anything but the store, so that the device sees the same reads and
 * memory gets the same bytes: paging off (no page-table writes to trace,
 * no accessed or dirty bits), DF clear, ES not expand-down, the run inside
 * its limit and below the address-size wrap (the iteration that would
 * cross either goes the checked way and faults there), the page RAM
 * without translated code (whose invalidation the first write did).
 * Returns the iterations done, at most max, (E)DI and (E)CX moved on.
 */
static unsigned ins_run(struct em *e, struct strop s, uint16_t port, unsigned size, unsigned max)
{
    struct vcpu *c = e->c;
    uint32_t count = c->gpr[R_ECX] & s.mask, off = c->gpr[R_EDI] & s.mask, pa;
    if ((c->cr0 & CR0_PG) || c->str_step < 0 || !count)
        return 0;
    uint32_t lin = c->seg[S_ES].base + off;
    uint64_t k = count < max ? count : max;
    uint64_t to_page = (GUEST_PAGE_SIZE - (lin & (GUEST_PAGE_SIZE - 1))) / size;
    uint64_t to_wrap = ((uint64_t)s.mask - off + 1) / size;
    uint64_t to_limit = em_seg_room(c, S_ES, off) / size;
    k = k < to_page ? k : to_page;
    k = k < to_wrap ? k : to_wrap;
    k = k < to_limit ? k : to_limit;
    if (k == 0 || mmu_translate(c, lin, e->acc | ACC_WRITE | ACC_NOSET, &pa, NULL) != MMU_OK)
        return 0;
    struct guest_mem *m = vm_mem(c->vm);
    uint8_t *h = guest_phys_ptr(m, pa, k * size);
    if (!h || m->code_pages[pa / GUEST_PAGE_SIZE] || guest_mem_write_discarded(m, pa))
        return 0;                   /* the slow path (mmu_write) deals with it */
    struct io_bus *bus = vm_io(c->vm);
    for (uint64_t j = 0; j < k; j++) {
        uint32_t v = io_pio_read(bus, port, (int)size);
        memcpy(h + j * size, &v, size);     /* little endian: the low bytes */
    }
    em_reg_step(c, R_EDI, s.mask, (int32_t)(k * size));
    em_reg_step(c, R_ECX, s.mask, -(int32_t)k);
    return (unsigned)k;
}

/* INS: port -> ES:(E)DI.  ES cannot be overridden.  The destination is
 * checked before the port is read, so a fault does not lose device data;
 * after a fault in a REP loop, (E)CX and (E)DI describe the remaining work
 * and EIP still points at the instruction, so it simply restarts; so it
 * does after STR_BATCH iterations. */
static enum em_result ins(struct em *e, unsigned size)
{
    struct vcpu *c = e->c;
    struct strop s = strop_of(e);
    uint16_t port = c->gpr[R_EDX] & 0xFFFF;
    int32_t step = (int32_t)c->str_step * (int32_t)size;

    if (!io_allowed(e, port, size))
        return e->res;
    for (unsigned i = 0; !s.rep || (c->gpr[R_ECX] & s.mask); i++) {
        if (i == STR_BATCH)
            return EM_OK;                   /* EIP stays: more to do */
        uint32_t off = c->gpr[R_EDI] & s.mask;
        if (!em_seg_probe_write(e, S_ES, off, size))
            return e->res;
        uint32_t v = io_pio_read(vm_io(c->vm), port, size);
        if (!em_seg_write(e, S_ES, off, &v, size))
            return e->res;
        em_reg_step(c, R_EDI, s.mask, step);
        if (!s.rep)
            break;
        em_reg_step(c, R_ECX, s.mask, -1);
        i += ins_run(e, s, port, size, STR_BATCH - 1 - i);
    }
    return em_done(e);
}

/* OUTS: DS:(E)SI (segment overridable) -> port. */
static enum em_result outs(struct em *e, unsigned size)
{
    struct vcpu *c = e->c;
    struct strop s = strop_of(e);
    uint16_t port = c->gpr[R_EDX] & 0xFFFF;
    int32_t step = (int32_t)c->str_step * (int32_t)size;
    int sreg = S_DS;

    for (int i = 0; i < e->in->operand_count; i++)
        if (e->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
            sreg = em_sreg_index(e->op[i].mem.segment);
    if (!io_allowed(e, port, size))
        return e->res;
    for (unsigned i = 0; !s.rep || (c->gpr[R_ECX] & s.mask); i++) {
        if (i == STR_BATCH)
            return EM_OK;                   /* EIP stays: more to do */
        uint32_t v = 0;
        if (!em_seg_read(e, sreg, c->gpr[R_ESI] & s.mask, &v, size))
            return e->res;
        io_pio_write(vm_io(c->vm), port, size, v);
        em_reg_step(c, R_ESI, s.mask, step);
        if (!s.rep)
            break;
        em_reg_step(c, R_ECX, s.mask, -1);
    }
    return em_done(e);
}

enum em_result em_insb(struct em *e) { return ins(e, 1); }
enum em_result em_insw(struct em *e) { return ins(e, 2); }
enum em_result em_insd(struct em *e) { return ins(e, 4); }
enum em_result em_outsb(struct em *e) { return outs(e, 1); }
enum em_result em_outsw(struct em *e) { return outs(e, 2); }
enum em_result em_outsd(struct em *e) { return outs(e, 4); }
