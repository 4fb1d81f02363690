/*
 * cpu/tss.c - stacks: the inner stacks of the 32-bit TSS and the stack
 * frames that far CALL/RET, event delivery and IRET push and pop.
 *
 * This file has the privilege-change use of the TSS (SS0:ESP0 ..
 * SS2:ESP2, Intel SDM vol. 3A 7.2.1 and 6.12.1); task switching through the
 * TSS is cpu/task.c.  A 16-bit TSS stops the run as unsupported.  Stacks must be 32-bit
 * (SS.B = 1): 16-bit stack segments only occur in 16-bit protected-mode
 * code, which this monitor does not run.
 */
#include <stdio.h>
#include <string.h>
#include "cpu/segments.h"
#include "shadow_mmu/mmu.h"
#include "cpu/machine.h"

#define MAX_FRAME 40    /* items: SS, ESP, 31 call-gate parameters, CS, EIP */

static int stack_unsupported(struct vcpu *c, const struct seg *ss)
{
    char msg[96];
    snprintf(msg, sizeof msg, "16-bit stack segment (SS=%#06x, B=0)", ss->sel);
    vm_unsupported(c->vm, msg);
    return -2;
}

/* SS holds no usable segment only after a task switch faulted before it
 * qualified the new task's SS (cpu/task.c loads the selectors with
 * unusable caches first): any stack access is then #SS. */
static bool stack_unusable(const struct seg *ss)
{
    return !SEG_ATTR_P(ss->attr);
}

static int stack_fault(struct vcpu *c, const struct mmu_fault *f, int *vec, uint32_t *err)
{
    c->cr2 = f->cr2;
    return seg_fail(vec, err, EXC_PF, f->error);
}

int stack_push_frame(struct vcpu *c, const struct seg *ss, uint32_t esp,
                     const uint32_t *vals, int n, unsigned width, int cpl,
                     uint32_t ss_err, int *vec, uint32_t *err)
{
    uint8_t buf[MAX_FRAME * 4];
    uint32_t size = (uint32_t)n * width, off = esp - size;
    struct mmu_fault f;

    if (n > MAX_FRAME || stack_unusable(ss))
        return seg_fail(vec, err, EXC_SS, ss_err);
    if (!SEG_ATTR_DB(ss->attr))
        return stack_unsupported(c, ss);
    if (!seg_range_ok(ss, off, size))
        return seg_fail(vec, err, EXC_SS, ss_err);
    /* The last item pushed is at the lowest address. */
    for (int i = 0; i < n; i++)
        memcpy(buf + (size_t)i * width, &vals[n - 1 - i], width);
    if (mmu_write(c, ss->base + off, buf, size, cpl == 3 ? ACC_USER : 0, &f) == MMU_PAGE_FAULT)
        return stack_fault(c, &f, vec, err);
    return 0;
}

int stack_pop_frame(struct vcpu *c, const struct seg *ss, uint32_t esp,
                    uint32_t *vals, int n, unsigned width, int cpl,
                    uint32_t ss_err, int *vec, uint32_t *err)
{
    uint8_t buf[MAX_FRAME * 4];
    uint32_t size = (uint32_t)n * width;
    struct mmu_fault f;

    if (n > MAX_FRAME || stack_unusable(ss))
        return seg_fail(vec, err, EXC_SS, ss_err);
    if (!SEG_ATTR_DB(ss->attr))
        return stack_unsupported(c, ss);
    if (!seg_range_ok(ss, esp, size))
        return seg_fail(vec, err, EXC_SS, ss_err);
    if (mmu_read(c, ss->base + esp, buf, size, cpl == 3 ? ACC_USER : 0, &f) == MMU_PAGE_FAULT)
        return stack_fault(c, &f, vec, err);
    for (int i = 0; i < n; i++) {
        vals[i] = 0;
        memcpy(&vals[i], buf + (size_t)i * width, width);
    }
    return 0;
}

/* 32-bit TSS layout: ESPn at 4 + 8n, SSn at 8 + 8n (SDM vol. 3A figure 7-2).
 * The TSS is read with supervisor rights: it is a system structure. */
int tss_inner_stack(struct vcpu *c, int cpl, uint16_t *ss, uint32_t *esp, int *vec, uint32_t *err)
{
    unsigned type = SEG_ATTR_TYPE(c->tr.attr);
    uint32_t off = 4 + 8 * (uint32_t)cpl;
    struct mmu_fault f;

    if (SEG_ATTR_S(c->tr.attr) || (type != SYS_TSS32_AVAIL && type != SYS_TSS32_BUSY)) {
        char msg[96];
        snprintf(msg, sizeof msg, "stack switch through a 16-bit or invalid TSS (TR=%#06x, type %u)",
                 c->tr.sel, type);
        vm_unsupported(c->vm, msg);
        return -2;
    }
    /* ESPn (4 bytes) and SSn (2 bytes) must both lie inside the TSS limit. */
    if (off + 5 > c->tr.limit)
        return seg_fail(vec, err, EXC_TS, SEL_ERR(c->tr.sel));
    if (mmu_read(c, c->tr.base + off, esp, 4, 0, &f) == MMU_PAGE_FAULT ||
        mmu_read(c, c->tr.base + off + 4, ss, 2, 0, &f) == MMU_PAGE_FAULT)
        return stack_fault(c, &f, vec, err);
    return 0;
}

int tss_switch_push(struct vcpu *c, int cpl, const uint32_t *vals, int n, unsigned width,
                    struct inner_stack *out, int *vec, uint32_t *err)
{
    struct seg tmp;
    int r;

    if ((r = tss_inner_stack(c, cpl, &out->sel, &out->esp, vec, err)))
        return r;
    /* SDM 6.12.1: a bad stack selector in the TSS is #TS(sel), a stack
     * segment that is not present or too small is #SS(sel). */
    if (seg_check_stack(c, out->sel, cpl, EXC_TS, &out->d, vec, err))
        return -1;
    seg_set_raw(&tmp, out->sel, desc_base(out->d), desc_limit(out->d), desc_attr(out->d));
    r = stack_push_frame(c, &tmp, out->esp, vals, n, width, cpl, SEL_ERR(out->sel), vec, err);
    if (r)
        return r;
    out->esp -= (uint32_t)n * width;
    return 0;
}
