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
 *
 * Error codes are selector & 0xFFFC (EXT = 0; cpu/exceptions.c adds EXT for
 * faults raised while it delivers an event).  A page fault on a descriptor,
 * TSS or stack access is reported as *vec = EXC_PF, *err = the #PF error code,
 * and c->cr2 is already set (the processor loads CR2 as it detects the fault),
 * so the caller just does cpu_raise(c, *vec, *err).
 * Functions that return int may also return -2: the guest did something this
 * monitor does not implement (16-bit stack segment or TSS); vm_unsupported()
 * has already reported it and stopped the VM.
 * In real-address mode (CR0.PE = 0) and virtual-8086 mode the data loads
 * and far transfers have no descriptors to check: they go to
 * cpu/realmode.c.
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
 * CALL; saved in the old TSS by a task switch).  A selector naming a TSS or
 * a task gate is a task switch (cpu/task.h: on -1, c->eip is the new task's
 * when the fault came after the switch's commit point).  Returns as above. */
int seg_far_jmp(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                int *vec, uint32_t *err);
int seg_far_call(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                 int *vec, uint32_t *err);
int seg_far_ret(struct vcpu *c, bool op32, uint16_t pop_bytes, int *vec, uint32_t *err);

/* The ring-0 stack of the TSS for privilege level `cpl` (32-bit TSS). */
int tss_inner_stack(struct vcpu *c, int cpl, uint16_t *ss, uint32_t *esp, int *vec, uint32_t *err);

/* ---- descriptor fields (Intel SDM vol. 3A 3.4.5, 5.2) ---- */
#define SEL_TI          4u
#define SEL_RPL(s)      ((int)((s) & 3))
#define SEL_ERR(s)      ((uint32_t)((s) & 0xFFFCu))
#define SEL_IS_NULL(s)  (((s) & ~3u) == 0)

#define DESC_TYPE_A     0x1u    /* accessed (code/data) */
#define DESC_TYPE_RW    0x2u    /* readable code / writable data; busy for TSS */
#define DESC_TYPE_CE    0x4u    /* conforming code / expand-down data */
#define DESC_TYPE_CODE  0x8u

/* System descriptor types (S = 0), SDM vol. 3A table 3-2. */
enum {
    SYS_TSS16_AVAIL = 0x1, SYS_LDT = 0x2, SYS_TSS16_BUSY = 0x3, SYS_CALLGATE16 = 0x4,
    SYS_TASKGATE = 0x5, SYS_INTGATE16 = 0x6, SYS_TRAPGATE16 = 0x7,
    SYS_TSS32_AVAIL = 0x9, SYS_TSS32_BUSY = 0xB, SYS_CALLGATE32 = 0xC,
    SYS_INTGATE32 = 0xE, SYS_TRAPGATE32 = 0xF,
};

static inline unsigned desc_type(struct desc d) { return (d.hi >> 8) & 0xF; }
static inline bool desc_s(struct desc d)        { return (d.hi >> 12) & 1; }
static inline int desc_dpl(struct desc d)       { return (d.hi >> 13) & 3; }
static inline bool desc_present(struct desc d)  { return (d.hi >> 15) & 1; }
static inline bool desc_is_code(struct desc d)  { return desc_s(d) && (desc_type(d) & DESC_TYPE_CODE); }
static inline bool desc_is_data(struct desc d)  { return desc_s(d) && !(desc_type(d) & DESC_TYPE_CODE); }
static inline bool desc_is_conforming(struct desc d)
{
    return desc_is_code(d) && (desc_type(d) & DESC_TYPE_CE);
}
static inline bool desc_is_writable_data(struct desc d)
{
    return desc_is_data(d) && (desc_type(d) & DESC_TYPE_RW);
}
static inline bool desc_is_readable_code(struct desc d)
{
    return desc_is_code(d) && (desc_type(d) & DESC_TYPE_RW);
}
/* Gate fields: target selector, offset (16-bit gates use the low word only),
 * parameter count of a call gate. */
static inline uint16_t gate_selector(struct desc d) { return d.lo >> 16; }
static inline uint32_t gate_offset(struct desc d, bool gate32)
{
    return gate32 ? (d.lo & 0xFFFF) | (d.hi & 0xFFFF0000u) : (d.lo & 0xFFFF);
}
static inline unsigned gate_param_count(struct desc d) { return d.hi & 0x1F; }

static inline int seg_fail(int *vec, uint32_t *err, int v, uint32_t e)
{
    *vec = v;
    *err = e;
    return -1;
}

/* ---- two-phase loads, for transfers that must check everything before
 * changing anything (far CALL/RET, IRET, event delivery).  A check reads the
 * descriptor, applies the rules and sets its accessed bit; seg_commit()
 * then loads the register (for CS also c->cpl = RPL of `sel`). ---- */

/* Stack segment for privilege level `cpl`: null -> fault_vec(0); RPL, DPL or
 * type wrong -> fault_vec(sel); not present -> #SS(sel).  fault_vec is EXC_GP
 * for MOV/POP SS, RET and IRET, EXC_TS for a stack taken from the TSS. */
int seg_check_stack(struct vcpu *c, uint16_t sel, int cpl, int fault_vec,
                    struct desc *d, int *vec, uint32_t *err);
/* Target code segment of an interrupt, trap or call gate: null -> #GP(0);
 * not code or DPL > CPL -> #GP(sel); not present -> #NP(sel). */
int seg_check_gate_code(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err);
/* Code segment popped by far RET or IRET: RPL < CPL, conforming DPL > RPL,
 * non-conforming DPL != RPL -> #GP(sel); not present -> #NP(sel). */
int seg_check_ret_code(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err);
void seg_commit(struct vcpu *c, int sreg, uint16_t sel, struct desc d);
/* Set the accessed bit of the descriptor `sel` names, in memory and in *d. */
int seg_set_accessed(struct vcpu *c, uint16_t sel, struct desc *d, int *vec, uint32_t *err);
/* After a return to an outer level: ES, DS, FS and GS that hold a data or
 * non-conforming code segment with DPL < CPL are loaded with null (SDM
 * vol. 3A 5.8.6, RET and IRET pseudocode). */
void seg_null_outer_data(struct vcpu *c);
/* Is [off, off+len) inside the segment (expand-up or expand-down)? */
bool seg_range_ok(const struct seg *s, uint32_t off, uint32_t len);

/* ---- stack accesses of far transfers and event delivery (cpu/tss.c) ----
 * `vals` holds n items of `width` bytes (2 or 4) in push order: for a push,
 * vals[n-1] lands at the lowest address, esp - n*width; for a pop, vals[0]
 * comes from esp.  The whole frame is checked against the segment limit
 * (#SS(ss_err)) and the page tables first, so a fault writes nothing.  The
 * access is a user access when `cpl` is 3.  Only 32-bit stacks (SS.B = 1). */
int stack_push_frame(struct vcpu *c, const struct seg *ss, uint32_t esp,
                     const uint32_t *vals, int n, unsigned width, int cpl,
                     uint32_t ss_err, int *vec, uint32_t *err);
int stack_pop_frame(struct vcpu *c, const struct seg *ss, uint32_t esp,
                    uint32_t *vals, int n, unsigned width, int cpl,
                    uint32_t ss_err, int *vec, uint32_t *err);

/* The inner stack a privilege change to `cpl` switches to, with `vals`
 * already pushed on it (#TS / #SS checks of SDM vol. 3A 6.12.1 and 5.8.5).
 * Nothing in the vcpu changes: the caller commits ss/esp once every other
 * check has passed. */
struct inner_stack {
    uint16_t sel;
    struct desc d;
    uint32_t esp;       /* after the pushes */
};
int tss_switch_push(struct vcpu *c, int cpl, const uint32_t *vals, int n, unsigned width,
                    struct inner_stack *out, int *vec, uint32_t *err);

#endif
