/*
 * tests/unit/test_kvm.c - the KVM engine's side of the CPU (cpu/kvm.h):
 * the state moved between struct vcpu and KVM's register structures, the
 * CPUID table KVM gets, and the probe's answer on this host.  Nothing here
 * needs a /dev/kvm that runs 32-bit guests (the nested-KVM tests,
 * ctest -L kvm, run the engine itself).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include "cpu/kvm.h"
#include "cpu/cpuid.h"
#include "cpu/segments.h"

static struct vcpu *cpu;

static void setup(void)
{
    cpu = aligned_alloc(64, sizeof *cpu);
    cr_assert_not_null(cpu);
    memset(cpu, 0, sizeof *cpu);
    vcpu_reset_protected_flat(cpu);
}

static void teardown(void)
{
    free(cpu);
}

TestSuite(kvm, .init = setup, .fini = teardown);

/* A ring-3 state as a kernel leaves it: user segments, a null FS (not
 * usable), an LDT and a TSS loaded, paging with PAE and NX. */
static void user_state(struct vcpu *c)
{
    for (int r = 0; r < 8; r++)
        c->gpr[r] = 0x11111111u * (uint32_t)(r + 1);
    c->eip = 0x08048123;
    vcpu_set_eflags(c, FL_FIXED | FL_IF | FL_DF | FL_CF | FL_ZF | 0x3000);
    seg_set_raw(&c->seg[S_CS], 0x73, 0, 0xFFFFFFFFu, 0xC0FB);
    seg_set_raw(&c->seg[S_SS], 0x7B, 0, 0xFFFFFFFFu, 0xC0F3);
    seg_set_raw(&c->seg[S_DS], 0x7B, 0, 0xFFFFFFFFu, 0xC0F3);
    seg_set_raw(&c->seg[S_ES], 0x7B, 0, 0xFFFFFFFFu, 0xC0F3);
    seg_set_raw(&c->seg[S_FS], 0, 0, 0, 0);
    seg_set_raw(&c->seg[S_GS], 0x33, 0xC1234000u, 0xFFF, 0x40F3);
    seg_set_raw(&c->ldtr, 0x88, 0xC0100000u, 0x27, 0x0082);
    seg_set_raw(&c->tr, 0x80, 0xC0200000u, 0x67, 0x008B);
    c->gdtr = (struct dtr){ 0xC0300000u, 0xFF };
    c->idtr = (struct dtr){ 0xC0301000u, 0x7FF };
    c->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    c->cr2 = 0xBFFFF000u;
    c->cr3 = 0x01234000u;
    c->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR;
    c->efer = EFER_NXE;
    c->cpl = 3;
}

Test(kvm, state_round_trip)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    user_state(cpu);
    kvm_state_from_x86(&cpu->arch, &r, &s);
    cr_assert_eq(r.rip, 0x08048123);
    cr_assert_eq(r.rflags, FL_FIXED | FL_IF | FL_DF | FL_CF | FL_ZF | 0x3000);
    cr_assert_eq(r.rdi, 0x88888888u);
    cr_assert_eq(s.cs.selector, 0x73);
    cr_assert_eq(s.cs.dpl, 3);
    cr_assert_eq(s.cs.type, 0xB);
    cr_assert_eq(s.cs.db, 1);
    cr_assert_eq(s.cs.g, 1);
    cr_assert_eq(s.gs.base, 0xC1234000u);
    cr_assert_eq(s.gs.limit, 0xFFF);
    cr_assert_eq(s.gs.g, 0);
    /* A null data selector leaves the register unusable (VT-x's view). */
    cr_assert_eq(s.fs.unusable, 1);
    cr_assert_eq(s.ss.unusable, 0);
    cr_assert_eq(s.tr.type, 11);
    cr_assert_eq(s.ldt.base, 0xC0100000u);
    cr_assert_eq(s.efer, EFER_NXE);

    struct vcpu *back = aligned_alloc(64, sizeof *back);
    cr_assert_not_null(back);
    memset(back, 0, sizeof *back);
    kvm_state_to_x86(&back->arch, &r, &s);
    cr_assert_eq(memcmp(back->gpr, cpu->gpr, sizeof cpu->gpr), 0);
    cr_assert_eq(back->eip, cpu->eip);
    cr_assert_eq(vcpu_get_eflags(back), vcpu_get_eflags(cpu));
    for (int i = 0; i < S_NSEG; i++) {
        cr_assert_eq(back->seg[i].sel, cpu->seg[i].sel, "segment %d", i);
        cr_assert_eq(back->seg[i].base, cpu->seg[i].base, "segment %d", i);
        cr_assert_eq(back->seg[i].limit, cpu->seg[i].limit, "segment %d", i);
        cr_assert_eq(back->seg[i].attr, cpu->seg[i].attr, "segment %d", i);
    }
    cr_assert_eq(back->tr.attr, cpu->tr.attr);
    cr_assert_eq(back->ldtr.base, cpu->ldtr.base);
    cr_assert_eq(back->gdtr.base, cpu->gdtr.base);
    cr_assert_eq(back->idtr.limit, cpu->idtr.limit);
    cr_assert_eq(back->cr3, cpu->cr3);
    cr_assert_eq(back->cr4, cpu->cr4);
    cr_assert_eq(back->cpl, 3, "the CPL comes from SS.DPL");
    free(back);
}

/* Before the guest's first LTR, TR is given to KVM as a usable busy TSS
 * (VT-x refuses to enter otherwise); CR0.ET is always set. */
Test(kvm, entry_state_without_a_task_register)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    seg_set_raw(&cpu->tr, 0, 0, 0, 0);
    cpu->cr0 = CR0_PE;
    kvm_state_from_x86(&cpu->arch, &r, &s);
    cr_assert_eq(s.tr.present, 1);
    cr_assert_eq(s.tr.type, 11);
    cr_assert_eq(s.tr.s, 0);
    cr_assert_eq(s.cr0, CR0_PE | CR0_ET);
    cr_assert_eq(s.cs.selector, 0x08, "the Multiboot entry state");
    cr_assert_eq(s.cs.base, 0);
    cr_assert_eq(s.cs.limit, 0xFFFFFFFFu);
}

/* KVM gets the model's CPUID, with 48 linear-address bits (KVM refuses
 * 32) and the engine's brand string. */
Test(kvm, cpuid_table_is_the_model)
{
    struct kvm_cpuid_entry2 e[64];
    int n = kvm_cpuid_table(cpu, e, 64);
    cr_assert_gt(n, 5);
    bool seen1 = false, seen8 = false;
    char brand[49] = { 0 };
    for (int i = 0; i < n; i++) {
        uint32_t model[4];
        cpu_cpuid(cpu, e[i].function, e[i].index, model);
        if (e[i].function == 1) {
            seen1 = true;
            cr_assert_eq(e[i].eax, model[0]);
            cr_assert_eq(e[i].ecx, model[2]);
            cr_assert_eq(e[i].edx, model[3]);
        } else if (e[i].function == 0x80000008u) {
            seen8 = true;
            cr_assert_eq(e[i].eax & 0xFF, model[0] & 0xFF, "physical bits as the model's");
            cr_assert_eq((e[i].eax >> 8) & 0xFF, 48);
        } else if (e[i].function >= 0x80000002u && e[i].function <= 0x80000004u) {
            uint32_t regs[4] = { e[i].eax, e[i].ebx, e[i].ecx, e[i].edx };
            memcpy(brand + (e[i].function - 0x80000002u) * 16, regs, 16);
        } else {
            cr_assert_eq(e[i].eax, model[0], "leaf %#x", e[i].function);
            cr_assert_eq(e[i].ebx, model[1], "leaf %#x", e[i].function);
            cr_assert_eq(e[i].ecx, model[2], "leaf %#x", e[i].function);
            cr_assert_eq(e[i].edx, model[3], "leaf %#x", e[i].function);
        }
    }
    cr_assert(seen1 && seen8);
    cr_assert_str_eq(brand, "vmm virtual CPU (KVM)");
    cr_assert_eq(kvm_cpuid_table(cpu, e, 3), 3, "never more than max entries");
}

/* On this host the probe either passes or says why not, in one line that
 * names /dev/kvm (what vmm --accel kvm prints before exiting with 2). */
Test(kvm, probe_answers_with_a_reason)
{
    char why[256] = "";
    if (kvm_probe(why, sizeof why) == 0)
        return;
    cr_assert_neq(why[0], '\0');
    cr_assert_not_null(strstr(why, "/dev/kvm"), "%s", why);
    cr_assert_null(strchr(why, '\n'));
}

Test(kvm, exit_names)
{
    cr_assert_str_eq(kvm_exit_name(KVM_EXIT_IO), "io");
    cr_assert_str_eq(kvm_exit_name(KVM_EXIT_MMIO), "mmio");
    cr_assert_str_eq(kvm_exit_name(KVM_EXIT_HLT), "hlt");
    cr_assert_str_eq(kvm_exit_name(KVM_EXIT_SHUTDOWN), "shutdown");
    cr_assert_str_eq(kvm_exit_name(1000), "other");
}
