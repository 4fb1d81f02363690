/*
 * tests/unit/test_segments.c - segment-register loads, LLDT/LTR,
 * LAR/LSL/VERR/VERW, far JMP/CALL/RET and call gates (cpu/segments.c,
 * cpu/tss.c), on a guest with paging off.
 *
 * Guest layout: GDT 0x1000, LDT 0x5000, TSS 0x3000 (SS0:ESP0 = 0x10:0x9000),
 * ring-0 stack top 0x8000, ring-3 stack top 0x7000.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/segments.h"
#include "monitor/vm.h"

#define GDT 0x1000u
#define LDT 0x5000u
#define TSS 0x3000u

enum {
    SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x18, SEL_DATA3 = 0x20,
    SEL_TSS = 0x28, SEL_NP = 0x30, SEL_RODATA = 0x38, SEL_XCODE = 0x40,
    SEL_CONF = 0x48, SEL_LDT = 0x50, SEL_GATE3 = 0x58, SEL_DATA1 = 0x60,
    SEL_TASKGATE = 0x68, SEL_GATE0 = 0x70, SEL_SMALL = 0x78,
};

static struct vm *vm;
static struct vcpu *c;
static int vec;
static uint32_t err;

static void wr32(uint32_t pa, uint32_t v) { memcpy(vm->mem.ram + pa, &v, 4); }
static uint32_t rd32(uint32_t pa) { uint32_t v; memcpy(&v, vm->mem.ram + pa, 4); return v; }

static void set_desc(uint32_t table, unsigned sel, uint32_t base, uint32_t limit,
                     uint8_t access, uint8_t flags)
{
    uint32_t a = table + (sel & ~7u);
    wr32(a, (limit & 0xFFFF) | (base << 16));
    wr32(a + 4, ((base >> 16) & 0xFF) | ((uint32_t)access << 8) |
                (limit & 0xF0000) | ((uint32_t)flags << 20) | (base & 0xFF000000u));
}

static void set_callgate(unsigned sel, uint16_t target, uint32_t off, uint8_t access,
                         unsigned params)
{
    uint32_t a = GDT + (sel & ~7u);
    wr32(a, (off & 0xFFFF) | ((uint32_t)target << 16));
    wr32(a + 4, (off & 0xFFFF0000u) | ((uint32_t)access << 8) | params);
}

static void setup(void)
{
    char msg[128];
    vm = vm_alloc();
    cr_assert_eq(guest_mem_init(&vm->mem, 16, msg, sizeof msg), 0, "%s", msg);
    c = &vm->cpu;
    c->vm = vm;
    vcpu_reset_protected_flat(c);

    set_desc(GDT, SEL_CODE0, 0, 0xFFFFF, 0x9A, 0xC);
    set_desc(GDT, SEL_DATA0, 0, 0xFFFFF, 0x92, 0xC);
    set_desc(GDT, SEL_CODE3, 0, 0xFFFFF, 0xFA, 0xC);
    set_desc(GDT, SEL_DATA3, 0, 0xFFFFF, 0xF2, 0xC);
    set_desc(GDT, SEL_TSS, TSS, 0x67, 0x89, 0x0);
    set_desc(GDT, SEL_NP, 0, 0xFFFFF, 0x12, 0xC);       /* data, P = 0 */
    set_desc(GDT, SEL_RODATA, 0x10000, 0xFFF, 0x90, 0x4);
    set_desc(GDT, SEL_XCODE, 0, 0xFFFFF, 0x98, 0xC);    /* execute-only */
    set_desc(GDT, SEL_CONF, 0, 0xFFFFF, 0x9E, 0xC);     /* conforming, readable, DPL 0 */
    set_desc(GDT, SEL_LDT, LDT, 0x1F, 0x82, 0x0);
    set_callgate(SEL_GATE3, SEL_CODE0, 0x4000, 0xEC, 2); /* DPL 3, 2 parameters */
    set_desc(GDT, SEL_DATA1, 0, 0xFFFFF, 0xB2, 0xC);    /* DPL 1 */
    set_callgate(SEL_TASKGATE, SEL_TSS, 0, 0xE5, 0);
    set_callgate(SEL_GATE0, SEL_CODE0, 0x4000, 0x8C, 0); /* DPL 0 */
    set_desc(GDT, SEL_SMALL, 0, 0xFFF, 0x9A, 0x4);      /* code, limit 0xFFF bytes */
    set_desc(LDT, 0x04, 0x20000, 0xFFFF, 0x92, 0x4);    /* LDT entry 0: data */
    c->gdtr = (struct dtr){ GDT, 0x7F };
    wr32(TSS + 4, 0x9000);
    wr32(TSS + 8, SEL_DATA0);
    cr_assert_eq(seg_load_tr(c, SEL_TSS, &vec, &err), 0);
    c->gpr[R_ESP] = 0x8000;
    vec = -1;
    err = 0xFFFF;
}

static void teardown(void)
{
    guest_mem_destroy(&vm->mem);
    free(vm);
}

static void to_ring3(uint32_t esp, uint32_t eip)
{
    seg_set_raw(&c->seg[S_CS], SEL_CODE3 | 3, 0, 0xFFFFFFFFu, 0xC0FB);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], SEL_DATA3 | 3, 0, 0xFFFFFFFFu, 0xC0F3);
    c->cpl = 3;
    c->gpr[R_ESP] = esp;
    c->eip = eip;
}

#define assert_fault(call, v, e) do {                               \
        cr_assert_eq((call), -1);                                   \
        cr_assert_eq(vec, (v), "vector %d, expected %d", vec, (v)); \
        cr_assert_eq(err, (uint32_t)(e), "error %#x, expected %#x", err, (uint32_t)(e)); \
    } while (0)

TestSuite(load, .init = setup, .fini = teardown);

Test(load, null_selector)
{
    assert_fault(seg_load_data(c, S_SS, 0, &vec, &err), EXC_GP, 0);
    assert_fault(seg_load_data(c, S_SS, 3, &vec, &err), EXC_GP, 0);
    cr_assert_eq(c->seg[S_SS].sel, 0x10);                  /* unchanged */
    cr_assert_eq(seg_load_data(c, S_DS, 0, &vec, &err), 0);
    cr_assert_eq(c->seg[S_DS].sel, 0);
    cr_assert_eq(SEG_ATTR_P(c->seg[S_DS].attr), 0);
}

Test(load, not_present)
{
    assert_fault(seg_load_data(c, S_DS, SEL_NP, &vec, &err), EXC_NP, SEL_NP);
    assert_fault(seg_load_data(c, S_SS, SEL_NP, &vec, &err), EXC_SS, SEL_NP);
    cr_assert_eq(c->seg[S_DS].sel, 0x10);
}

Test(load, wrong_type)
{
    assert_fault(seg_load_data(c, S_DS, SEL_XCODE, &vec, &err), EXC_GP, SEL_XCODE);
    assert_fault(seg_load_data(c, S_ES, SEL_TSS, &vec, &err), EXC_GP, SEL_TSS);
    assert_fault(seg_load_data(c, S_SS, SEL_RODATA, &vec, &err), EXC_GP, SEL_RODATA);
    assert_fault(seg_load_data(c, S_SS, SEL_CODE0, &vec, &err), EXC_GP, SEL_CODE0);
    /* readable code is fine in a data register */
    cr_assert_eq(seg_load_data(c, S_FS, SEL_CODE0, &vec, &err), 0);
    cr_assert_eq(c->seg[S_FS].sel, SEL_CODE0);
}

Test(load, beyond_gdt_limit)
{
    assert_fault(seg_load_data(c, S_DS, 0x80, &vec, &err), EXC_GP, 0x80);
    assert_fault(seg_load_data(c, S_DS, 0x83, &vec, &err), EXC_GP, 0x80);
}

Test(load, rpl_dpl_rules)
{
    /* CPL 0: RPL 3 > DPL 0 */
    assert_fault(seg_load_data(c, S_DS, SEL_DATA0 | 3, &vec, &err), EXC_GP, SEL_DATA0);
    /* SS: RPL must equal CPL, DPL must equal CPL */
    assert_fault(seg_load_data(c, S_SS, SEL_DATA3 | 3, &vec, &err), EXC_GP, SEL_DATA3);
    assert_fault(seg_load_data(c, S_SS, SEL_DATA1, &vec, &err), EXC_GP, SEL_DATA1);
    /* CPL 0 may load a less privileged data segment */
    cr_assert_eq(seg_load_data(c, S_GS, SEL_DATA3 | 3, &vec, &err), 0);
    to_ring3(0x7000, 0);
    assert_fault(seg_load_data(c, S_DS, SEL_DATA0 | 3, &vec, &err), EXC_GP, SEL_DATA0);
    assert_fault(seg_load_data(c, S_DS, SEL_DATA1 | 3, &vec, &err), EXC_GP, SEL_DATA1);
    /* conforming readable code is exempt from the DPL check */
    cr_assert_eq(seg_load_data(c, S_DS, SEL_CONF | 3, &vec, &err), 0);
    cr_assert_eq(seg_load_data(c, S_SS, SEL_DATA3 | 3, &vec, &err), 0);
}

Test(load, cache_and_accessed_bit)
{
    uint8_t *type = vm->mem.ram + GDT + SEL_RODATA + 5;
    cr_assert_eq(*type, 0x90);
    cr_assert_eq(seg_load_data(c, S_ES, SEL_RODATA, &vec, &err), 0);
    cr_assert_eq(*type, 0x91);                              /* written back */
    cr_assert_eq(c->seg[S_ES].base, 0x10000);
    cr_assert_eq(c->seg[S_ES].limit, 0xFFF);
    cr_assert_eq(c->seg[S_ES].attr, 0x4091);
}

Test(load, ldt)
{
    assert_fault(seg_load_data(c, S_DS, 0x04, &vec, &err), EXC_GP, 0x04);  /* LDTR null */
    assert_fault(seg_load_ldtr(c, SEL_DATA0, &vec, &err), EXC_GP, SEL_DATA0);
    cr_assert_eq(seg_load_ldtr(c, SEL_LDT, &vec, &err), 0);
    cr_assert_eq(c->ldtr.base, LDT);
    cr_assert_eq(c->ldtr.limit, 0x1F);
    cr_assert_eq(seg_load_data(c, S_DS, 0x04, &vec, &err), 0);
    cr_assert_eq(c->seg[S_DS].base, 0x20000);
    assert_fault(seg_load_data(c, S_DS, 0x24, &vec, &err), EXC_GP, 0x24);  /* beyond LDT limit */
    to_ring3(0x7000, 0);
    assert_fault(seg_load_ldtr(c, SEL_LDT, &vec, &err), EXC_GP, 0);
}

Test(load, ltr_marks_busy)
{
    /* setup() loaded TR */
    cr_assert_eq(vm->mem.ram[GDT + SEL_TSS + 5], 0x8B);
    cr_assert_eq(c->tr.base, TSS);
    cr_assert_eq(SEG_ATTR_TYPE(c->tr.attr), SYS_TSS32_BUSY);
    assert_fault(seg_load_tr(c, SEL_TSS, &vec, &err), EXC_GP, SEL_TSS);
    assert_fault(seg_load_tr(c, 0, &vec, &err), EXC_GP, 0);
}

Test(load, code_segment_rules)
{
    cr_assert_eq(seg_load_code(c, SEL_CODE3 | 3, 3, &vec, &err), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CODE3 | 3);
    /* non-conforming needs DPL == new CPL */
    assert_fault(seg_load_code(c, SEL_CODE0, 3, &vec, &err), EXC_GP, SEL_CODE0);
    /* conforming takes the new CPL as RPL */
    cr_assert_eq(seg_load_code(c, SEL_CONF, 3, &vec, &err), 0);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CONF | 3);
    cr_assert_eq(c->cpl, 3);
    assert_fault(seg_load_code(c, SEL_DATA3, 3, &vec, &err), EXC_GP, SEL_DATA3);
    assert_fault(seg_load_code(c, 0, 3, &vec, &err), EXC_GP, 0);
}

TestSuite(query, .init = setup, .fini = teardown);

Test(query, lar_lsl)
{
    uint32_t v = 0;
    cr_assert(seg_lar(c, SEL_CODE0, &v));
    cr_assert_eq(v, 0x00C09A00);
    cr_assert(seg_lsl(c, SEL_CODE0, &v));
    cr_assert_eq(v, 0xFFFFFFFFu);
    cr_assert(seg_lsl(c, SEL_TSS, &v));
    cr_assert_eq(v, 0x67);
    cr_assert(seg_lar(c, SEL_GATE3, &v));                   /* call gates: LAR yes */
    cr_assert_eq(v, 0x0000EC00);
    cr_assert_not(seg_lsl(c, SEL_GATE3, &v));               /* LSL no */
    cr_assert_not(seg_lar(c, 0, &v));
    cr_assert_not(seg_lar(c, 0x80, &v));                    /* beyond the limit */
    to_ring3(0x7000, 0);
    cr_assert_not(seg_lar(c, SEL_DATA0, &v));               /* DPL 0 < CPL 3 */
    cr_assert(seg_lar(c, SEL_CONF, &v));                    /* conforming: visible */
    cr_assert(seg_lsl(c, SEL_DATA3 | 3, &v));
    /* LAR never sets the accessed bit */
    cr_assert_eq(vm->mem.ram[GDT + SEL_DATA3 + 5], 0xF2);
}

Test(query, verr_verw)
{
    cr_assert(seg_verr(c, SEL_CODE0));
    cr_assert_not(seg_verr(c, SEL_XCODE));                  /* execute-only */
    cr_assert(seg_verr(c, SEL_RODATA));
    cr_assert_not(seg_verw(c, SEL_RODATA));
    cr_assert(seg_verw(c, SEL_DATA0));
    cr_assert_not(seg_verw(c, SEL_CODE0));
    cr_assert_not(seg_verr(c, SEL_TSS));
    cr_assert_not(seg_verw(c, 0));
    cr_assert_not(seg_verw(c, SEL_DATA0 | 3));              /* RPL 3 > DPL 0 */
    to_ring3(0x7000, 0);
    cr_assert(seg_verw(c, SEL_DATA3 | 3));
    cr_assert_not(seg_verw(c, SEL_DATA0));
    cr_assert(seg_verr(c, SEL_CODE3 | 3));
    cr_assert(seg_verr(c, SEL_CONF));
}

TestSuite(far, .init = setup, .fini = teardown);

Test(far, jmp_direct)
{
    cr_assert_eq(seg_far_jmp(c, SEL_CODE0, 0x123456, true, 0x1007, &vec, &err), 0);
    cr_assert_eq(c->eip, 0x123456);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CODE0);
    assert_fault(seg_far_jmp(c, SEL_CODE3 | 3, 0, true, 0x1007, &vec, &err), EXC_GP, SEL_CODE3);
    assert_fault(seg_far_jmp(c, SEL_SMALL, 0x1000, true, 0x1007, &vec, &err), EXC_GP, 0);
    cr_assert_eq(seg_far_jmp(c, SEL_SMALL, 0xFFF, true, 0x1007, &vec, &err), 0);
    assert_fault(seg_far_jmp(c, SEL_DATA0, 0, true, 0x1007, &vec, &err), EXC_GP, SEL_DATA0);
    /* a conforming segment runs at the caller's CPL */
    to_ring3(0x7000, 0);
    cr_assert_eq(seg_far_jmp(c, SEL_CONF, 0x10, true, 0x1007, &vec, &err), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CONF | 3);
}

Test(far, jmp_through_gate_cannot_raise_privilege)
{
    to_ring3(0x7000, 0);
    assert_fault(seg_far_jmp(c, SEL_GATE3 | 3, 0, true, 0x1007, &vec, &err), EXC_GP, SEL_CODE0);
    cr_assert_eq(c->cpl, 3);
}

Test(far, call_and_ret_same_level)
{
    c->eip = 0x1000;
    cr_assert_eq(seg_far_call(c, SEL_SMALL, 0x800, true, 0x1007, &vec, &err), 0);
    cr_assert_eq(c->seg[S_CS].sel, SEL_SMALL);
    cr_assert_eq(c->eip, 0x800);
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 8);
    cr_assert_eq(rd32(0x8000 - 8), 0x1007);
    cr_assert_eq(rd32(0x8000 - 4), SEL_CODE0);
    cr_assert_eq(seg_far_ret(c, true, 0, &vec, &err), 0);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CODE0);
    cr_assert_eq(c->eip, 0x1007);
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
}

Test(far, call_gate_to_inner_level_and_ret_to_outer)
{
    to_ring3(0x7000, 0x400000);
    wr32(0x7000, 0xAAAA1111);                  /* parameter 0 */
    wr32(0x7004, 0xBBBB2222);                  /* parameter 1 */
    cr_assert_eq(seg_far_call(c, SEL_GATE3 | 3, 0xDEAD, true, 0x400007, &vec, &err), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CODE0);
    cr_assert_eq(c->eip, 0x4000);              /* the gate's offset, not the operand */
    cr_assert_eq(c->seg[S_SS].sel, SEL_DATA0);
    cr_assert_eq(c->gpr[R_ESP], 0x9000 - 24);
    cr_assert_eq(rd32(0x9000 - 24), 0x400007);              /* EIP */
    cr_assert_eq(rd32(0x9000 - 20), SEL_CODE3 | 3);         /* CS */
    cr_assert_eq(rd32(0x9000 - 16), 0xAAAA1111);            /* params, same order */
    cr_assert_eq(rd32(0x9000 - 12), 0xBBBB2222);
    cr_assert_eq(rd32(0x9000 - 8), 0x7000);                 /* ESP */
    cr_assert_eq(rd32(0x9000 - 4), SEL_DATA3 | 3);          /* SS */

    /* The callee loads a ring-0 data segment, then RET 8 to ring 3. */
    cr_assert_eq(seg_load_data(c, S_DS, SEL_DATA0, &vec, &err), 0);
    cr_assert_eq(seg_far_ret(c, true, 8, &vec, &err), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->seg[S_CS].sel, SEL_CODE3 | 3);
    cr_assert_eq(c->eip, 0x400007);
    cr_assert_eq(c->seg[S_SS].sel, SEL_DATA3 | 3);
    cr_assert_eq(c->gpr[R_ESP], 0x7008);                    /* parameters released */
    cr_assert_eq(c->seg[S_DS].sel, 0);                      /* nulled: DPL 0 < CPL 3 */
    cr_assert_eq(c->seg[S_ES].sel, SEL_DATA3 | 3);          /* kept */
}

Test(far, call_gate_dpl_below_cpl)
{
    to_ring3(0x7000, 0x400000);
    assert_fault(seg_far_call(c, SEL_GATE0 | 3, 0, true, 0x400007, &vec, &err), EXC_GP, SEL_GATE0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->gpr[R_ESP], 0x7000);
}

Test(far, call_gate_bad_tss_stack_is_ts)
{
    wr32(TSS + 8, SEL_DATA3 | 3);              /* SS0 with RPL/DPL 3 */
    to_ring3(0x7000, 0x400000);
    assert_fault(seg_far_call(c, SEL_GATE3 | 3, 0, true, 0x400007, &vec, &err), EXC_TS, SEL_DATA3);
    wr32(TSS + 8, SEL_NP);
    assert_fault(seg_far_call(c, SEL_GATE3 | 3, 0, true, 0x400007, &vec, &err), EXC_SS, SEL_NP);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->seg[S_SS].sel, SEL_DATA3 | 3);
}

Test(far, ret_to_inner_level_is_gp)
{
    to_ring3(0x7000, 0x400000);
    wr32(0x7000, 0x1234);
    wr32(0x7004, SEL_CODE0);
    assert_fault(seg_far_ret(c, true, 0, &vec, &err), EXC_GP, SEL_CODE0);
    cr_assert_eq(c->gpr[R_ESP], 0x7000);
}

/* A task gate naming the running (busy) TSS: #GP(TSS selector), nothing
 * changes (the task switch itself: tests/unit/test_task.c). */
Test(far, task_gate_to_busy_tss)
{
    uint32_t eip = c->eip;
    assert_fault(seg_far_jmp(c, SEL_TASKGATE, 0, true, 0x1007, &vec, &err), EXC_GP, SEL_TSS);
    cr_assert_eq(c->tr.sel, SEL_TSS);
    cr_assert_eq(c->eip, eip);
    cr_assert(!vm->stop);
}

Test(far, call_gate16_same_level_pushes_words)
{
    set_callgate(SEL_GATE0, SEL_CODE0, 0x4321, 0x84, 0);   /* 16-bit gate, DPL 0 */
    cr_assert_eq(seg_far_call(c, SEL_GATE0, 0, true, 0x1007, &vec, &err), 0);
    cr_assert_eq(c->eip, 0x4321);
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 4);
    cr_assert_eq(rd32(0x8000 - 4), (SEL_CODE0 << 16) | 0x1007);
}

Test(far, sixteen_bit_stack_is_unsupported)
{
    set_desc(GDT, SEL_DATA1, 0, 0xFFFF, 0x92, 0x0);      /* B = 0 */
    cr_assert_eq(seg_load_data(c, S_SS, SEL_DATA1, &vec, &err), 0);
    cr_assert_eq(seg_far_call(c, SEL_CODE0, 0x10, true, 0x1007, &vec, &err), -2);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
}

Test(far, stack_limit_is_ss_fault)
{
    set_desc(GDT, SEL_DATA1, 0, 0x7FFF, 0x92, 0x4);      /* byte granular, limit 0x7FFF */
    cr_assert_eq(seg_load_data(c, S_SS, SEL_DATA1, &vec, &err), 0);
    c->gpr[R_ESP] = 0x8004;                              /* [0x7FFC, 0x8004) crosses the limit */
    assert_fault(seg_far_call(c, SEL_CODE0, 0x10, true, 0x1007, &vec, &err), EXC_SS, 0);
    cr_assert_eq(c->gpr[R_ESP], 0x8004);
}
