/*
 * tests/unit/test_exceptions.c - IDT delivery, error codes, #DF, triple
 * fault and IRET (cpu/exceptions.c), on a guest with paging off.
 *
 * Guest layout: GDT 0x1000, IDT 0x2000, TSS 0x3000 (SS0:ESP0 = 0x10:0x9000),
 * ring-0 stack top 0x8000, ring-3 stack top 0x7000, handlers at 0x4000+.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/exceptions.h"
#include "cpu/segments.h"
#include "monitor/vm.h"
#include "shadow_mmu/mmu.h"

#define GDT 0x1000u
#define IDT 0x2000u
#define TSS 0x3000u
#define HANDLER(v) (0x4000u + (v) * 0x10u)

static struct vm *vm;
static struct vcpu *c;

static void wr32(uint32_t pa, uint32_t v) { memcpy(vm->mem.ram + pa, &v, 4); }
static uint32_t rd32(uint32_t pa) { uint32_t v; memcpy(&v, vm->mem.ram + pa, 4); return v; }

/* access = descriptor byte 5 (P DPL S type), flags = G D/B L AVL */
static void set_desc(uint32_t table, unsigned idx, uint32_t base, uint32_t limit,
                     uint8_t access, uint8_t flags)
{
    wr32(table + idx * 8, (limit & 0xFFFF) | (base << 16));
    wr32(table + idx * 8 + 4, ((base >> 16) & 0xFF) | ((uint32_t)access << 8) |
                              (limit & 0xF0000) | ((uint32_t)flags << 20) | (base & 0xFF000000u));
}

static void set_gate(unsigned vec, uint16_t sel, uint32_t off, uint8_t access)
{
    wr32(IDT + vec * 8, (off & 0xFFFF) | ((uint32_t)sel << 16));
    wr32(IDT + vec * 8 + 4, (off & 0xFFFF0000u) | ((uint32_t)access << 8));
}

enum { INTGATE0 = 0x8E, TRAPGATE0 = 0x8F, INTGATE3 = 0xEE, INTGATE16 = 0x86 };

static void setup(void)
{
    char err[128];
    vm = vm_alloc();
    cr_assert_eq(guest_mem_init(&vm->mem, 16, err, sizeof err), 0, "%s", err);
    c = &vm->cpu;
    c->vm = vm;
    vcpu_reset_protected_flat(c);

    set_desc(GDT, 1, 0, 0xFFFFF, 0x9A, 0xC);    /* 0x08 ring-0 code */
    set_desc(GDT, 2, 0, 0xFFFFF, 0x92, 0xC);    /* 0x10 ring-0 data */
    set_desc(GDT, 3, 0, 0xFFFFF, 0xFA, 0xC);    /* 0x18 ring-3 code */
    set_desc(GDT, 4, 0, 0xFFFFF, 0xF2, 0xC);    /* 0x20 ring-3 data */
    set_desc(GDT, 5, TSS, 0x67, 0x89, 0x0);     /* 0x28 32-bit TSS */
    set_desc(GDT, 6, 0, 0xFFFFF, 0x1A, 0xC);    /* 0x30 ring-0 code, not present */
    c->gdtr = (struct dtr){ GDT, 0x7F };
    c->idtr = (struct dtr){ IDT, 0x7FF };
    wr32(TSS + 4, 0x9000);                      /* ESP0 */
    wr32(TSS + 8, 0x10);                        /* SS0 */
    int vec; uint32_t e;
    cr_assert_eq(seg_load_tr(c, 0x28, &vec, &e), 0);

    for (unsigned v = 0; v < 32; v++)
        set_gate(v, 0x08, HANDLER(v), INTGATE0);
    c->gpr[R_ESP] = 0x8000;
    c->eip = 0x1234;
}

static void teardown(void)
{
    guest_mem_destroy(&vm->mem);
    free(vm);
}

/* Put the CPU at ring 3 with flat user segments. */
static void to_ring3(uint32_t esp, uint32_t eip)
{
    seg_set_raw(&c->seg[S_CS], 0x1B, 0, 0xFFFFFFFFu, 0xC0FB);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0x23, 0, 0xFFFFFFFFu, 0xC0F3);
    c->cpl = 3;
    c->gpr[R_ESP] = esp;
    c->eip = eip;
}

TestSuite(deliver, .init = setup, .fini = teardown);

Test(deliver, interrupt_gate_clears_if_trap_gate_keeps_it)
{
    set_gate(0x20, 0x08, 0x5000, INTGATE0);
    set_gate(0x21, 0x08, 0x5100, TRAPGATE0);
    vcpu_set_eflags(c, FL_IF | FL_TF | FL_FIXED);
    cr_assert_eq(cpu_deliver(c, 0x20, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, 0x5000);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_IF | FL_TF), 0);
    /* the pushed image still has IF and TF */
    cr_assert_eq(rd32(c->gpr[R_ESP] + 8), FL_IF | FL_TF | FL_FIXED);

    vcpu_set_eflags(c, FL_IF | FL_TF | FL_FIXED);
    cr_assert_eq(cpu_deliver(c, 0x21, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, 0x5100);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_IF | FL_TF), FL_IF);
    cr_assert_eq(vm->stats.interrupts[0x20], 1);
    cr_assert_eq(vm->stats.interrupts[0x21], 1);
    cr_assert_eq(vm->stats.exceptions[0x20], 0);
}

Test(deliver, same_level_frame_order)
{
    vcpu_set_eflags(c, FL_IF | FL_CF | FL_NT | FL_FIXED);
    cr_assert_eq(cpu_raise(c, EXC_GP, 0x18), 0);
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 16);
    cr_assert_eq(rd32(0x8000 - 16), 0x18);                  /* error code */
    cr_assert_eq(rd32(0x8000 - 12), 0x1234);                /* EIP */
    cr_assert_eq(rd32(0x8000 - 8), 0x08);                   /* CS */
    /* EFLAGS, with RF set because #GP is a fault (SDM 17.3.1.1) */
    cr_assert_eq(rd32(0x8000 - 4), FL_IF | FL_CF | FL_NT | FL_RF | FL_FIXED);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(c->seg[S_CS].sel, 0x08);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(vcpu_get_eflags(c), FL_CF | FL_FIXED);     /* IF, NT cleared */
    cr_assert_eq(vm->stats.exceptions[EXC_GP], 1);
    cr_assert_eq(c->bt.delivering, -1);
}

Test(deliver, trap_has_no_rf_and_16bit_gate_pushes_words)
{
    set_gate(EXC_BP, 0x08, 0x6000, INTGATE16);
    vcpu_set_eflags(c, FL_ZF | FL_FIXED);
    cr_assert_eq(cpu_deliver(c, EXC_BP, EV_SOFTINT, false, 0), 0);
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 6);
    uint8_t *m = vm->mem.ram;
    cr_assert_eq(m[0x8000 - 6] | m[0x8000 - 5] << 8, 0x1234);       /* IP */
    cr_assert_eq(m[0x8000 - 4] | m[0x8000 - 3] << 8, 0x08);         /* CS */
    cr_assert_eq(m[0x8000 - 2] | m[0x8000 - 1] << 8, FL_ZF | FL_FIXED);
    cr_assert_eq(c->eip, 0x6000);
}

Test(deliver, privilege_change_from_ring3)
{
    set_gate(0x80, 0x08, 0x5800, INTGATE3);
    to_ring3(0x7000, 0x400123);
    vcpu_set_eflags(c, FL_IF | FL_FIXED);
    cr_assert_eq(cpu_deliver(c, 0x80, EV_SOFTINT, false, 0), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->seg[S_CS].sel, 0x08);
    cr_assert_eq(c->seg[S_SS].sel, 0x10);
    cr_assert_eq(c->gpr[R_ESP], 0x9000 - 20);
    cr_assert_eq(rd32(0x9000 - 20), 0x400123);             /* EIP */
    cr_assert_eq(rd32(0x9000 - 16), 0x1B);                 /* CS */
    cr_assert_eq(rd32(0x9000 - 12), FL_IF | FL_FIXED);     /* EFLAGS */
    cr_assert_eq(rd32(0x9000 - 8), 0x7000);                /* ESP */
    cr_assert_eq(rd32(0x9000 - 4), 0x23);                  /* SS */
    cr_assert_eq(c->eip, 0x5800);
    cr_assert_eq(vm->stats.exceptions[0x80], 1);
    /* the data segments are left alone on entry */
    cr_assert_eq(c->seg[S_DS].sel, 0x23);
}

Test(deliver, error_code_vectors)
{
    static const int with[] = { EXC_DF, EXC_TS, EXC_NP, EXC_SS, EXC_GP, EXC_PF, EXC_AC };
    static const int without[] = { EXC_DE, EXC_DB, EXC_BP, EXC_UD, EXC_NM, EXC_MF, EXC_MC, EXC_XM };
    for (unsigned i = 0; i < sizeof with / sizeof with[0]; i++) {
        int v = with[i];
        cr_assert(cpu_vector_has_error(v), "vector %d", v);
        c->gpr[R_ESP] = 0x8000;
        c->eip = 0x1234;
        cr_assert_eq(cpu_raise(c, v, 0x100 + v * 4), 0);
        cr_assert_eq(c->gpr[R_ESP], 0x8000 - 16, "vector %d", v);
        cr_assert_eq(rd32(0x8000 - 16), 0x100 + v * 4, "vector %d", v);
        cr_assert_eq(rd32(0x8000 - 12), 0x1234);
        cr_assert_eq(c->eip, HANDLER(v));
    }
    for (unsigned i = 0; i < sizeof without / sizeof without[0]; i++) {
        int v = without[i];
        cr_assert_not(cpu_vector_has_error(v), "vector %d", v);
        c->gpr[R_ESP] = 0x8000;
        c->eip = 0x1234;
        cr_assert_eq(cpu_raise(c, v, 0xDEAD), 0);
        cr_assert_eq(c->gpr[R_ESP], 0x8000 - 12, "vector %d", v);
        cr_assert_eq(rd32(0x8000 - 12), 0x1234);
    }
}

Test(deliver, int_n_gate_dpl_below_cpl_is_gp)
{
    set_gate(0x30, 0x08, 0x5000, INTGATE0);     /* DPL 0 */
    to_ring3(0x7000, 0x400102);
    cr_assert_eq(cpu_soft_int(c, 0x30, 0x400100), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(rd32(0x9000 - 24), 0x30 * 8 + 2);          /* no EXT for INT n */
    cr_assert_eq(rd32(0x9000 - 20), 0x400100);              /* the INT instruction */
    cr_assert_eq(vm->stats.exceptions[0x30], 0);
    cr_assert_eq(vm->stats.exceptions[EXC_GP], 1);
}

Test(deliver, external_interrupt_ignores_gate_dpl)
{
    set_gate(0x30, 0x08, 0x5000, INTGATE0);
    to_ring3(0x7000, 0x400102);
    cr_assert_eq(cpu_deliver(c, 0x30, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, 0x5000);
}

Test(deliver, not_present_gate_is_np_with_ext)
{
    set_gate(0x40, 0x08, 0x5000, 0x0E);        /* P = 0 */
    cr_assert_eq(cpu_deliver(c, 0x40, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_NP));
    cr_assert_eq(rd32(0x8000 - 16), 0x40 * 8 + 2 + 1);
}

Test(deliver, beyond_idt_limit_is_gp)
{
    c->idtr.limit = 32 * 8 - 1;
    cr_assert_eq(cpu_deliver(c, 0x50, EV_SOFTINT, false, 0), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(rd32(0x8000 - 16), 0x50 * 8 + 2);
}

Test(deliver, not_a_gate_is_gp)
{
    set_gate(0x41, 0x08, 0x5000, 0x8C);        /* a call gate in the IDT */
    cr_assert_eq(cpu_deliver(c, 0x41, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(rd32(0x8000 - 16), 0x41 * 8 + 2 + 1);
}

Test(deliver, benign_then_contributory_is_serial)
{
    set_gate(EXC_UD, 0x30, 0x5000, INTGATE0);  /* code segment not present */
    cr_assert_eq(cpu_raise(c, EXC_UD, 0), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_NP));
    cr_assert_eq(rd32(0x8000 - 16), 0x30 + 1);              /* #NP(sel + EXT) */
    cr_assert_eq(rd32(0x8000 - 12), 0x1234);
    cr_assert_eq(vm->stats.exceptions[EXC_DF], 0);
}

Test(deliver, fault_while_delivering_becomes_df)
{
    set_gate(EXC_GP, 0x00, 0x5000, INTGATE0);  /* null code selector: #GP(EXT) */
    cr_assert_eq(cpu_raise(c, EXC_GP, 0x10), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_DF));
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 16);
    cr_assert_eq(rd32(0x8000 - 16), 0);                      /* #DF error code is 0 */
    cr_assert_eq(rd32(0x8000 - 12), 0x1234);
    cr_assert_eq(vm->stats.exceptions[EXC_DF], 1);
    cr_assert_eq(vm->stats.exceptions[EXC_GP], 0);
    cr_assert_not(vm->stop);
}

Test(deliver, page_fault_then_contributory_is_df)
{
    set_gate(EXC_PF, 0x08, 0x5000, 0x0E);      /* #PF gate not present: #NP */
    c->cr2 = 0xABC000;
    cr_assert_eq(cpu_raise(c, EXC_PF, PFERR_W), 0);
    cr_assert_eq(c->eip, HANDLER(EXC_DF));
    cr_assert_eq(rd32(0x8000 - 16), 0);
    cr_assert_eq(c->cr2, 0xABC000);
    cr_assert_eq(vm->stats.exceptions[EXC_DF], 1);
}

Test(deliver, stack_limit_fault_in_pf_and_df_is_triple_fault)
{
    /* A ring-0 stack whose limit lies below ESP: pushing the #PF frame is
     * #SS, so #DF, whose frame goes to the same stack: shutdown. */
    set_desc(GDT, 7, 0, 0x4000, 0x92, 0x4);    /* 0x38, byte granular */
    int vec; uint32_t e;
    cr_assert_eq(seg_load_data(c, S_SS, 0x38, &vec, &e), 0);
    c->cr2 = 0xABC000;
    cr_assert_eq(cpu_raise(c, EXC_PF, PFERR_W), -1);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
}

/* Paging on, identity map of the first 4 MiB with one page left out. */
static void identity_paging_without(uint32_t hole)
{
    const uint32_t pd = 0x10000, pt = 0x11000;
    wr32(pd, pt | 0x3);
    for (uint32_t i = 0; i < 1024; i++)
        wr32(pt + i * 4, i * 4096 == hole ? 0 : (i * 4096) | 0x3);
    c->cr3 = pd;
    c->cr0 |= CR0_PG;
}

Test(deliver, page_fault_reading_the_gate_sets_cr2)
{
    /* The IDT straddles a page boundary; gate 0x80 sits on the missing page. */
    memcpy(vm->mem.ram + 0x5C00, vm->mem.ram + IDT, 32 * 8);
    c->idtr.base = 0x5C00;
    identity_paging_without(0x6000);
    c->eip = 0x1236;
    cr_assert_eq(cpu_soft_int(c, 0x80, 0x1234), 0);
    cr_assert_eq(c->cr2, 0x6000);
    cr_assert_eq(c->eip, HANDLER(EXC_PF));
    cr_assert_eq(rd32(0x8000 - 16), 0);                      /* supervisor read, not present */
    cr_assert_eq(rd32(0x8000 - 12), 0x1234);                 /* restarts the INT */
    cr_assert_eq(vm->stats.exceptions[EXC_PF], 1);
    cr_assert_eq(vm->stats.exceptions[0x80], 0);
}

Test(deliver, page_fault_on_inner_stack_from_ring3)
{
    set_gate(0x80, 0x08, 0x5800, INTGATE3);
    identity_paging_without(0x8000);
    wr32(TSS + 4, 0x9000);                      /* the frame goes to 0x8FEC..0x8FFF */
    to_ring3(0x7000, 0x400123);
    /* #PF while delivering INT 0x80 is delivered through the same TSS
     * stack: a #PF in #PF is #DF, and #DF there again is a triple fault. */
    cr_assert_eq(cpu_soft_int(c, 0x80, 0x400121), -1);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
    cr_assert_eq(c->cr2 & ~0xFFFu, 0x8000);
    cr_assert_eq(c->cpl, 3);                    /* nothing committed */
}

Test(deliver, fault_while_delivering_df_is_triple_fault)
{
    set_gate(EXC_GP, 0x00, 0x5000, INTGATE0);
    set_gate(EXC_DF, 0x08, 0x5000, 0x0E);      /* #DF gate not present */
    uint32_t esp = c->gpr[R_ESP];
    cr_assert_eq(cpu_raise(c, EXC_GP, 0), -1);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
    cr_assert_eq(c->gpr[R_ESP], esp);          /* nothing was pushed */
    cr_assert_eq(c->bt.delivering, -1);
}

Test(deliver, privilege_change_bad_tss_stack_is_ts)
{
    set_gate(0x80, 0x08, 0x5800, INTGATE3);
    wr32(TSS + 8, 0x20);                        /* SS0 = ring-3 data: wrong DPL */
    to_ring3(0x7000, 0x400123);
    cr_assert_eq(cpu_deliver(c, 0x80, EV_SOFTINT, false, 0), -1);
    /* #TS(0x20) is delivered through the same broken TSS: #TS again, #DF,
     * which needs the same stack: triple fault. */
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
}

TestSuite(iret, .init = setup, .fini = teardown);

static void push_frame(const uint32_t *v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        c->gpr[R_ESP] -= 4;
        wr32(c->gpr[R_ESP], v[i]);
    }
}

Test(iret, same_level)
{
    uint32_t f[] = { 0x4444, 0x08, FL_IF | FL_CF | FL_FIXED };
    push_frame(f, 3);
    cr_assert_eq(cpu_iret(c, true), 0);
    cr_assert_eq(c->eip, 0x4444);
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
    cr_assert_eq(vcpu_get_eflags(c), FL_IF | FL_CF | FL_FIXED);
    cr_assert_eq(c->cpl, 0);
}

Test(iret, to_ring3_nulls_inner_data_segments)
{
    int vec; uint32_t e;
    cr_assert_eq(seg_load_data(c, S_ES, 0x23, &vec, &e), 0);   /* DPL 3: kept */
    cr_assert_eq(seg_load_data(c, S_DS, 0x10, &vec, &e), 0);   /* DPL 0: nulled */
    uint32_t f[] = { 0x400000, 0x1B, FL_IF | FL_IOPL | FL_FIXED, 0x7000, 0x23 };
    push_frame(f, 5);
    cr_assert_eq(cpu_iret(c, true), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->eip, 0x400000);
    cr_assert_eq(c->seg[S_CS].sel, 0x1B);
    cr_assert_eq(c->seg[S_SS].sel, 0x23);
    cr_assert_eq(c->gpr[R_ESP], 0x7000);
    cr_assert_eq(c->seg[S_ES].sel, 0x23);
    cr_assert_eq(c->seg[S_DS].sel, 0);
    cr_assert_eq(SEG_ATTR_P(c->seg[S_DS].attr), 0);
    cr_assert_eq(vcpu_get_eflags(c), FL_IF | FL_IOPL | FL_FIXED);  /* CPL 0 may set IOPL */
}

Test(iret, ring3_cannot_change_iopl_or_if)
{
    to_ring3(0x7000, 0x400000);
    vcpu_set_eflags(c, FL_IF | FL_FIXED);       /* IOPL 0 < CPL 3 */
    uint32_t f[] = { 0x400100, 0x1B, FL_IOPL | FL_CF | FL_FIXED };
    push_frame(f, 3);
    cr_assert_eq(cpu_iret(c, true), 0);
    cr_assert_eq(vcpu_get_eflags(c), FL_IF | FL_CF | FL_FIXED);
    cr_assert_eq(c->eip, 0x400100);
}

/* SDM vol. 3A 6.7.1: IRET ends NMI blocking, even when it faults. */
Test(iret, unblocks_nmis)
{
    uint32_t f[] = { 0x4444, 0x08, FL_FIXED };
    push_frame(f, 3);
    c->nmi_blocked = true;
    cr_assert_eq(cpu_iret(c, true), 0);
    cr_assert_not(c->nmi_blocked);
    uint32_t bad[] = { 0x400000, 0x1B, FL_FIXED, 0x7000, 0x10 };   /* #GP: SS DPL 0 */
    push_frame(bad, 5);
    c->nmi_blocked = c->nmi_pending = true;
    cr_assert_eq(cpu_iret(c, true), -1);
    cr_assert_not(c->nmi_blocked, "a faulting IRET unblocks NMIs too");
    cr_assert(c->nmi_pending, "the latched NMI waits for the run loop");
}

Test(iret, to_inner_level_is_gp)
{
    to_ring3(0x7000, 0x400000);
    uint32_t f[] = { 0x5000, 0x08, FL_FIXED };
    push_frame(f, 3);
    cr_assert_eq(cpu_iret(c, true), -1);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(rd32(0x9000 - 24), 0x08);                  /* #GP(CS) */
    cr_assert_eq(rd32(0x9000 - 20), 0x400000);              /* at the IRET */
}

Test(iret, bad_outer_ss_is_gp)
{
    uint32_t f[] = { 0x400000, 0x1B, FL_FIXED, 0x7000, 0x10 };   /* SS DPL 0 for CPL 3 */
    push_frame(f, 5);
    cr_assert_eq(cpu_iret(c, true), -1);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(rd32(0x8000 - 20 - 16), 0x10);
}

Test(iret, round_trip_through_int80)
{
    set_gate(0x80, 0x08, 0x5800, INTGATE3);
    to_ring3(0x7000, 0x400123);
    vcpu_set_eflags(c, FL_IF | FL_FIXED);
    cr_assert_eq(cpu_deliver(c, 0x80, EV_SOFTINT, false, 0), 0);
    cr_assert_eq(cpu_iret(c, true), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->eip, 0x400123);
    cr_assert_eq(c->gpr[R_ESP], 0x7000);
    cr_assert_eq(c->seg[S_SS].sel, 0x23);
    cr_assert_eq(c->seg[S_DS].sel, 0x23);
    cr_assert_eq(vcpu_get_eflags(c), FL_IF | FL_FIXED);
}
