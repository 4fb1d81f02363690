/*
 * cpu/segments.h - descriptor tables and segment-register loads.
 *
 * Contract: every load of a segment register, LDTR or TR goes through here,
 * with the checks of Intel SDM vol. 3A 5.x and the exception the processor
 * would raise.  Functions return 0 on success, or -1 with *vec and *err set
 * to the exception to raise (e.g. EXC_GP with the selector's index as error
 * code, EXC_NP, EXC_SS, EXC_TS); nothing is changed on failure.
 * Descriptors are read through the guest's linear address space (GDT/LDT
 * base + index*8) with supervisor rights; setting the accessed bit writes the
 * descriptor back as hardware does.
 */
#ifndef CPU_SEGMENTS_H
#define CPU_SEGMENTS_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

struct desc {
    uint32_t lo, hi;
};

static inline uint32_t desc_base(struct desc d)
{
    return (d.lo >> 16) | ((d.hi & 0xFF) << 16) | (d.hi & 0xFF000000u);
}
static inline uint32_t desc_limit(struct desc d)
{
    uint32_t l = (d.lo & 0xFFFF) | (d.hi & 0x000F0000u);
    return (d.hi & (1u << 23)) ? (l << 12) | 0xFFF : l;
}
static inline uint16_t desc_attr(struct desc d)
{
    return ((d.hi >> 8) & 0xFF) | (((d.hi >> 20) & 0xF) << 12);
}

/* Read the descriptor a selector names.  -1 with #GP(sel & ~3) (or the vector
 * given by `fault_vec`) when it lies outside the table. */
int seg_read_desc(struct vcpu *c, uint16_t sel, struct desc *d, int fault_vec,
                  int *vec, uint32_t *err);

/* MOV/POP/LDS... to DS, ES, FS, GS (null allowed) or SS (null is #GP). */
int seg_load_data(struct vcpu *c, int sreg, uint16_t sel, int *vec, uint32_t *err);
/* Load CS for a far JMP/CALL/RET/IRET to a code segment at privilege `new_cpl`
 * (conforming and non-conforming rules); call gates are not handled here. */
int seg_load_code(struct vcpu *c, uint16_t sel, int new_cpl, int *vec, uint32_t *err);
/* Load SS for a privilege change to `cpl` (RPL and DPL must equal cpl). */
int seg_load_stack(struct vcpu *c, uint16_t sel, int cpl, int *vec, uint32_t *err);
int seg_load_ldtr(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err);
int seg_load_tr(struct vcpu *c, uint16_t sel, int *vec, uint32_t *err);   /* marks the TSS busy */

/* Fill a segment register from a descriptor without checks (reset, loaders). */
void seg_set_raw(struct seg *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr);

/* LAR/LSL/VERR/VERW: true (ZF=1) when the selector passes the checks. */
bool seg_lar(struct vcpu *c, uint16_t sel, uint32_t *access_rights);
bool seg_lsl(struct vcpu *c, uint16_t sel, uint32_t *limit);
bool seg_verr(struct vcpu *c, uint16_t sel);
bool seg_verw(struct vcpu *c, uint16_t sel);

/* Far JMP / CALL / RET through code segments and call gates (32- or 16-bit
 * operand size).  eip_next is the address after the instruction (pushed by
 * CALL).  Returns as above. */
int seg_far_jmp(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, int *vec, uint32_t *err);
int seg_far_call(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                 int *vec, uint32_t *err);
int seg_far_ret(struct vcpu *c, bool op32, uint16_t pop_bytes, int *vec, uint32_t *err);

/* The ring-0 stack of the TSS for privilege level `cpl` (32-bit TSS). */
int tss_inner_stack(struct vcpu *c, int cpl, uint16_t *ss, uint32_t *esp, int *vec, uint32_t *err);

#endif
