/*
 * tests/unit/test_task.c - hardware task switching (cpu/task.c) through its
 * three ways in: far JMP/CALL (seg_far_jmp/seg_far_call), IRET with NT
 * (task_return) and a task gate in the IDT (cpu_deliver); paging off.
 *
 * Guest layout: GDT 0x1000, IDT 0x2000, the running task's TSS at 0x3000
 * (selector 0x28, TR), a second TSS at 0x3100 (selector 0x38), ring-0
 * stacks 0x8000 (old task) and 0x9000 (new task), handlers at 0x4000+.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/exceptions.h"
#include "cpu/segments.h"
#include "cpu/task.h"
#include "monitor/vm.h"

#define GDT 0x1000u
#define IDT 0x2000u
#define TSS_OLD 0x3000u
#define TSS_NEW 0x3100u
#define LDT 0x5000u
#define HANDLER(v) (0x4000u + (v) * 0x10u)

enum {
    CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x18, DATA3 = 0x20, TSS_OLD_SEL = 0x28,
    NP_DATA = 0x30, TSS_NEW_SEL = 0x38, GATE = 0x40, LDT_SEL = 0x48, GATE3 = 0x50,
    TSS16_SEL = 0x58,
};

static struct vm *vm;
static struct vcpu *c;
static int vec;
static uint32_t err;

static void wr32(uint32_t pa, uint32_t v) { memcpy(vm->mem.ram + pa, &v, 4); }
static void wr16(uint32_t pa, uint16_t v) { memcpy(vm->mem.ram + pa, &v, 2); }
static uint32_t rd32(uint32_t pa) { uint32_t v; memcpy(&v, vm->mem.ram + pa, 4); return v; }
static uint16_t rd16(uint32_t pa) { uint16_t v; memcpy(&v, vm->mem.ram + pa, 2); return v; }

static void set_desc(unsigned sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint32_t a = GDT + (sel & ~7u);
    wr32(a, (limit & 0xFFFF) | (base << 16));
    wr32(a + 4, ((base >> 16) & 0xFF) | ((uint32_t)access << 8) |
                (limit & 0xF0000) | ((uint32_t)flags << 20) | (base & 0xFF000000u));
}

static void set_task_gate(uint32_t at, uint16_t tss_sel, uint8_t access)
{
    wr32(at, (uint32_t)tss_sel << 16);
    wr32(at + 4, (uint32_t)access << 8);
}

static bool busy(unsigned sel) { return (rd32(GDT + (sel & ~7u) + 4) >> 9) & 1; }

/* The new task: ring 0, flat, EIP 0x6000, ESP 0x9000, registers 0x100+i. */
static void new_tss(void)
{
    memset(vm->mem.ram + TSS_NEW, 0, 0x68);
    wr32(TSS_NEW + TSS_EIP, 0x6000);
    wr32(TSS_NEW + TSS_EFLAGS, FL_FIXED | FL_CF);
    for (int i = 0; i < 8; i++)
        wr32(TSS_NEW + TSS_GPR + 4 * i, 0x100 + i);
    wr32(TSS_NEW + TSS_GPR + 4 * R_ESP, 0x9000);
    for (int s = 0; s < S_NSEG; s++)
        wr16(TSS_NEW + TSS_SREG + 4 * s, s == S_CS ? CODE0 : DATA0);
    wr16(TSS_NEW + TSS_IOMAP, 0x68);
}

static void setup(void)
{
    char msg[128];
    vm = vm_alloc();
    cr_assert_eq(guest_mem_init(&vm->mem, 16, msg, sizeof msg), 0, "%s", msg);
    c = &vm->cpu;
    c->vm = vm;
    vcpu_reset_protected_flat(c);

    set_desc(CODE0, 0, 0xFFFFF, 0x9A, 0xC);
    set_desc(DATA0, 0, 0xFFFFF, 0x92, 0xC);
    set_desc(CODE3, 0, 0xFFFFF, 0xFA, 0xC);
    set_desc(DATA3, 0, 0xFFFFF, 0xF2, 0xC);
    set_desc(TSS_OLD_SEL, TSS_OLD, 0x67, 0x89, 0);
    set_desc(NP_DATA, 0, 0xFFFFF, 0x12, 0xC);          /* data, not present */
    set_desc(TSS_NEW_SEL, TSS_NEW, 0x67, 0x89, 0);
    set_task_gate(GDT + GATE, TSS_NEW_SEL, 0x85);         /* DPL 0 */
    set_desc(LDT_SEL, LDT, 0xF, 0x82, 0);
    set_task_gate(GDT + GATE3, TSS_NEW_SEL, 0xE5);        /* DPL 3 */
    set_desc(TSS16_SEL, TSS_NEW, 0x2B, 0x81, 0);          /* 16-bit TSS */
    c->gdtr = (struct dtr){ GDT, 0x7F };
    c->idtr = (struct dtr){ IDT, 0x7FF };
    for (unsigned v = 0; v < 32; v++) {
        wr32(IDT + v * 8, (HANDLER(v) & 0xFFFF) | (CODE0 << 16));
        wr32(IDT + v * 8 + 4, 0x8E00);
    }
    cr_assert_eq(seg_load_tr(c, TSS_OLD_SEL, &vec, &err), 0);
    new_tss();
    c->gpr[R_ESP] = 0x8000;
    c->gpr[R_EBX] = 0xB0B0;
    c->eip = 0x1234;
}

static void teardown(void)
{
    guest_mem_destroy(&vm->mem);
    free(vm);
}

#define assert_fault(call, v, e) do {                               \
        cr_assert_eq((call), -1);                                   \
        cr_assert_eq(vec, (v), "vector %d, expected %d", vec, (v)); \
        cr_assert_eq(err, (uint32_t)(e), "error %#x, expected %#x", err, (uint32_t)(e)); \
    } while (0)

/* Nothing of the old task changed: a fault before the commit point. */
static void assert_unchanged(void)
{
    cr_assert_eq(c->tr.sel, TSS_OLD_SEL);
    cr_assert_eq(c->eip, 0x1234);
    cr_assert_eq(c->gpr[R_EBX], 0xB0B0);
    cr_assert(busy(TSS_OLD_SEL));
    cr_assert_not(busy(TSS_NEW_SEL));
    cr_assert_eq(rd32(TSS_OLD + TSS_EIP), 0);
    cr_assert_eq(c->cr0 & CR0_TS, 0);
}

TestSuite(task, .init = setup, .fini = teardown);

Test(task, jmp_saves_old_loads_new)
{
    cr_assert_eq(seg_far_jmp(c, TSS_NEW_SEL, 0xDEAD, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(SEG_ATTR_TYPE(c->tr.attr), SYS_TSS32_BUSY);
    cr_assert_eq(c->eip, 0x6000);
    cr_assert_eq(c->gpr[R_EBX], 0x103);
    cr_assert_eq(c->gpr[R_ESP], 0x9000);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_CF);      /* no NT for JMP */
    cr_assert(c->cr0 & CR0_TS);
    cr_assert_not(busy(TSS_OLD_SEL));
    cr_assert(busy(TSS_NEW_SEL));
    cr_assert_eq(rd16(TSS_NEW + TSS_LINK), 0);
    cr_assert_eq(rd32(TSS_OLD + TSS_EIP), 0x1239);
    cr_assert_eq(rd32(TSS_OLD + TSS_GPR + 4 * R_EBX), 0xB0B0);
    cr_assert_eq(rd32(TSS_OLD + TSS_GPR + 4 * R_ESP), 0x8000);
    cr_assert_eq(rd16(TSS_OLD + TSS_SREG + 4 * S_CS), 0x08);
}

Test(task, call_through_gate_nests_and_iret_returns)
{
    vcpu_set_eflags(c, FL_FIXED | FL_ZF);
    cr_assert_eq(seg_far_call(c, GATE, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert(vcpu_get_eflags(c) & FL_NT);
    cr_assert_eq(rd16(TSS_NEW + TSS_LINK), TSS_OLD_SEL);
    cr_assert(busy(TSS_OLD_SEL));
    cr_assert(busy(TSS_NEW_SEL));
    c->eip = 0x6010;                        /* the IRET, 1 byte */
    cr_assert_eq(task_return(c, 0x6011), 0);
    cr_assert_eq(c->tr.sel, TSS_OLD_SEL);
    cr_assert_eq(c->eip, 0x1239);
    cr_assert_eq(c->gpr[R_EBX], 0xB0B0);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_ZF);
    cr_assert(busy(TSS_OLD_SEL));
    cr_assert_not(busy(TSS_NEW_SEL));
    cr_assert_eq(rd32(TSS_NEW + TSS_EIP), 0x6011);          /* resumes after its IRET */
    cr_assert_eq(rd32(TSS_NEW + TSS_EFLAGS) & FL_NT, 0);   /* NT cleared in the saved image */
}

Test(task, gate_and_tss_dpl)
{
    c->cpl = 3;
    c->seg[S_CS].sel = CODE3 | 3;
    assert_fault(seg_far_jmp(c, GATE | 3, 0, true, 0x1239, &vec, &err), EXC_GP, GATE);
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL | 3, 0, true, 0x1239, &vec, &err), EXC_GP, TSS_NEW_SEL);
    /* A DPL-3 gate lets ring 3 reach a DPL-0 TSS. */
    cr_assert_eq(seg_far_call(c, GATE3 | 3, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
}

Test(task, busy_not_present_small)
{
    assert_fault(seg_far_jmp(c, TSS_OLD_SEL, 0, true, 0x1239, &vec, &err), EXC_GP, TSS_OLD_SEL);
    set_task_gate(GDT + GATE, TSS_OLD_SEL, 0x85);
    assert_fault(seg_far_call(c, GATE, 0, true, 0x1239, &vec, &err), EXC_GP, TSS_OLD_SEL);
    set_task_gate(GDT + GATE, TSS_NEW_SEL, 0x05);          /* gate not present */
    assert_fault(seg_far_call(c, GATE, 0, true, 0x1239, &vec, &err), EXC_NP, GATE);
    set_task_gate(GDT + GATE, DATA0, 0x85);                /* names no TSS */
    assert_fault(seg_far_call(c, GATE, 0, true, 0x1239, &vec, &err), EXC_GP, DATA0);
    set_desc(TSS_NEW_SEL, TSS_NEW, 0x67, 0x09, 0);         /* TSS not present */
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_NP, TSS_NEW_SEL);
    set_desc(TSS_NEW_SEL, TSS_NEW, 0x66, 0x89, 0);         /* limit < 0x67 */
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_TS, TSS_NEW_SEL);
    assert_unchanged();
}

Test(task, tss_in_ldt_is_gp_task_gate_in_ldt_works)
{
    set_desc(LDT_SEL, LDT, 0xF, 0x82, 0);
    wr32(LDT + 8, rd32(GDT + TSS_NEW_SEL));                 /* a TSS descriptor in the LDT */
    wr32(LDT + 12, rd32(GDT + TSS_NEW_SEL + 4));
    cr_assert_eq(seg_load_ldtr(c, LDT_SEL, &vec, &err), 0);
    assert_fault(seg_far_jmp(c, 0x0C, 0, true, 0x1239, &vec, &err), EXC_GP, 0x0C);
    set_task_gate(LDT + 8, TSS_NEW_SEL, 0x85);
    cr_assert_eq(seg_far_call(c, 0x0C, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(c->ldtr.sel, 0);                          /* the new TSS's LDT field */
}

/* A TSS whose EFLAGS has VM set: its selectors are paragraphs, loaded
 * without descriptors (0x10 would be a ring-0 data segment otherwise),
 * and the task runs at CPL 3. */
Test(task, into_v86_loads_segments_as_paragraphs)
{
    wr32(TSS_NEW + TSS_EFLAGS, FL_FIXED | FL_VM | FL_IF);
    for (int s = 0; s < S_NSEG; s++)
        wr16(TSS_NEW + TSS_SREG + 4 * s, 0x1230 + s);
    cr_assert_eq(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_VM | FL_IF), FL_VM | FL_IF);
    cr_assert_eq(c->cpl, 3);
    for (int s = 0; s < S_NSEG; s++) {
        cr_assert_eq(c->seg[s].sel, 0x1230 + s);
        cr_assert_eq(c->seg[s].base, (0x1230u + s) << 4);
        cr_assert_eq(c->seg[s].limit, 0xFFFF);
        cr_assert_eq(c->seg[s].attr, 0xF3);
    }
    cr_assert_eq(c->eip, 0x6000);
    cr_assert_eq(c->gpr[R_ESP], 0x9000);
    /* The old task was saved as it ran, and stays 32-bit protected. */
    cr_assert_eq(rd32(TSS_OLD + TSS_EIP), 0x1239);
    cr_assert_eq(rd32(TSS_OLD + TSS_EFLAGS) & FL_VM, 0);
}

Test(task, sixteen_bit_tss_stops_with_report)
{
    cr_assert_eq(seg_far_jmp(c, TSS16_SEL, 0, true, 0x1239, &vec, &err), -2);
    cr_assert_eq(vm->exit_status, VMM_EXIT_UNSUPPORTED);
    assert_unchanged();
}

/* Faults after the commit point: in the new task, which stays switched to. */
static void assert_committed(void)
{
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(c->eip, 0x6000);
    cr_assert_eq(c->gpr[R_EBX], 0x103);
    cr_assert(busy(TSS_NEW_SEL));
    cr_assert_eq(rd32(TSS_OLD + TSS_EIP), 0x1239);
    cr_assert(c->cr0 & CR0_TS);
}

Test(task, bad_ldt_is_ts_ldt)
{
    wr16(TSS_NEW + TSS_LDT, DATA0);
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_TS, DATA0);
    assert_committed();
    cr_assert_eq(c->ldtr.sel, DATA0);                       /* the selector, unusable */
    cr_assert_eq(c->ldtr.attr, 0);
}

Test(task, bad_segments_after_commit)
{
    wr16(TSS_NEW + TSS_SREG + 4 * S_SS, CODE0);            /* SS not writable data */
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_TS, CODE0);
    assert_committed();
    cr_assert_eq(c->seg[S_SS].sel, CODE0);                  /* the selector, unusable cache */
    cr_assert_eq(c->seg[S_SS].attr, 0);
}

Test(task, segment_not_present_after_commit)
{
    wr16(TSS_NEW + TSS_SREG + 4 * S_DS, NP_DATA);
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_NP, NP_DATA);
    assert_committed();
}

Test(task, null_cs_after_commit)
{
    wr16(TSS_NEW + TSS_SREG + 4 * S_CS, 0);
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_TS, 0);
    assert_committed();
}

/* #TS(CS) through an interrupt gate: the new task's SS is not qualified
 * yet, so the push is #SS, then #DF, then a triple fault (a task gate for
 * #TS is what the SDM advises). */
Test(task, bad_cs_through_an_interrupt_gate_shuts_down)
{
    wr16(TSS_NEW + TSS_SREG + 4 * S_CS, DATA0);
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_TS, DATA0);
    cr_assert_eq(cpu_raise(c, vec, err), -1);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
}

Test(task, eip_beyond_cs_limit_is_gp0)
{
    wr32(TSS_NEW + TSS_EIP, 0xFFFFFFFFu);
    set_desc(CODE0, 0, 0xFFFF, 0x9A, 0x4);                 /* 64 KiB code */
    assert_fault(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), EXC_GP, 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
}

Test(task, iret_link_not_busy_is_ts)
{
    wr16(TSS_OLD + TSS_LINK, TSS_NEW_SEL);
    vcpu_set_eflags(c, FL_FIXED | FL_NT);
    cr_assert_eq(task_return(c, 0x1235), -1);              /* #TS raised at the IRET */
    cr_assert_eq(c->eip, HANDLER(EXC_TS));
    cr_assert_eq(rd32(0x8000 - 16), TSS_NEW_SEL);          /* error code pushed */
    cr_assert_eq(rd32(0x8000 - 12), 0x1234);                /* EIP of the IRET */
    cr_assert_eq(c->tr.sel, TSS_OLD_SEL);
}

Test(task, idt_task_gate_pushes_error_code)
{
    set_task_gate(IDT + EXC_GP * 8, TSS_NEW_SEL, 0x85);
    vcpu_set_eflags(c, FL_FIXED);
    cr_assert_eq(cpu_raise(c, EXC_GP, 0x18), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(c->eip, 0x6000);
    cr_assert_eq(c->gpr[R_ESP], 0x9000 - 4);
    cr_assert_eq(rd32(0x9000 - 4), 0x18);
    cr_assert(vcpu_get_eflags(c) & FL_NT);
    cr_assert_eq(rd16(TSS_NEW + TSS_LINK), TSS_OLD_SEL);
    cr_assert_eq(rd32(TSS_OLD + TSS_EIP), 0x1234);         /* the faulting instruction */
    cr_assert(rd32(TSS_OLD + TSS_EFLAGS) & FL_RF);         /* a fault: RF in the saved image */
    cr_assert(busy(TSS_OLD_SEL));
    cr_assert_eq(vm->stats.exceptions[EXC_GP], 1);
}

Test(task, idt_task_gate_to_busy_tss_is_gp_ext)
{
    set_task_gate(IDT + 0x40 * 8, TSS_OLD_SEL, 0x85);
    cr_assert_eq(cpu_deliver(c, 0x40, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(rd32(0x8000 - 16), TSS_OLD_SEL | 1);      /* EXT */
}

Test(task, t_flag_gives_db_in_the_new_task)
{
    wr16(TSS_NEW + TSS_TRAP, 1);
    cr_assert_eq(seg_far_call(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->tr.sel, TSS_NEW_SEL);
    cr_assert_eq(c->eip, HANDLER(EXC_DB));
    cr_assert(c->dr[6] & 0x8000);                           /* DR6.BT */
    cr_assert_eq(rd32(0x9000 - 12), 0x6000);                /* pushed EIP: the task's first */
}

Test(task, dr7_local_enables_cleared)
{
    c->dr[7] = 0x400 | 0xFF;
    cr_assert_eq(seg_far_jmp(c, TSS_NEW_SEL, 0, true, 0x1239, &vec, &err), 0);
    cr_assert_eq(c->dr[7], 0x400 | 0xAA);
}
