/*
 * tests/unit/test_emulate.c - the instruction emulator: system instructions,
 * CLI/STI/PUSHF/POPF, port I/O, segment-register instructions.
 * (test_emulate_exec.c covers control transfers, legacy arithmetic, stack
 * blocks and plain moves.)
 *
 * Each test places instruction bytes in guest RAM at EIP, runs
 * emulate_step(), and checks registers, flags, memory, EIP and, for faults,
 * the frame the exception pushed (emulate_fixture.h).
 */
#include "emulate_fixture.h"

TestSuite(emulate, .init = setup, .fini = teardown);

/* ---------------- CLI / STI / PUSHF / POPF ---------------- */

Test(emulate, cli_sti_and_shadow)
{
    c->vif = 1;
    cr_assert_eq(RUN(0xFA), EM_OK);
    cr_assert_eq(c->vif, 0);
    cr_assert_eq(c->eip, CODE + 1);
    cr_assert_not(info.irq_shadow);
    cr_assert_eq(RUN(0xFB), EM_OK);
    cr_assert_eq(c->vif, 1);
    cr_assert(info.irq_shadow, "STI that sets IF opens a one-instruction shadow");
    RUN(0xFB);
    cr_assert_not(info.irq_shadow, "STI with IF already set has no shadow");
}

Test(emulate, cli_user_iopl)
{
    user_mode();
    cr_assert_eq(RUN(0xFA), EM_OK);
    check_exc(EXC_GP, true, 0, CODE);
    cr_assert_eq(get32(STACK0 - 8), STACK, "ring-3 ESP saved on the ring-0 stack");

    reset();
    user_mode();
    vcpu_set_eflags(c, FL_IF | (3u << 12));
    RUN(0xFA);
    cr_assert_eq(c->eip, CODE + 1, "IOPL 3 lets ring 3 clear IF");
    cr_assert_eq(c->vif, 0);
}

Test(emulate, pushf_popf)
{
    vcpu_set_eflags(c, FL_CF | FL_IF | FL_RF | FL_DF);
    RUN(0x9C);                                  /* pushfd */
    uint32_t img = get32(STACK - 4);
    cr_assert_eq(img, FL_FIXED | FL_CF | FL_IF | FL_DF, "RF not pushed: %#x", img);
    put32(STACK - 4, FL_ZF | (3u << 12) | FL_RF);
    RUN(0x9D);                                  /* popfd at CPL 0 */
    uint32_t f = vcpu_get_eflags(c);
    cr_assert_eq(f, FL_FIXED | FL_ZF | (3u << 12), "got %#x", f);
    cr_assert_eq(c->str_step, 1);
    cr_assert_eq(c->gpr[R_ESP], STACK);

    /* 16-bit forms move 2 bytes */
    RUN(0x66, 0x9C);
    cr_assert_eq(c->gpr[R_ESP], STACK - 2);
    cr_assert_eq(get16(STACK - 2), (FL_FIXED | FL_ZF | (3u << 12)) & 0xFFFF);
}

Test(emulate, popf_user_keeps_if_and_iopl)
{
    user_mode();
    vcpu_set_eflags(c, FL_IF);
    c->gpr[R_ESP] = STACK - 4;
    put32(STACK - 4, FL_CF | (3u << 12));       /* tries IF=0, IOPL=3 */
    cr_assert_eq(RUN(0x9D), EM_OK);
    uint32_t f = vcpu_get_eflags(c);
    cr_assert_eq(f, FL_FIXED | FL_CF | FL_IF, "silently ignored: %#x", f);
}

/* ---------------- HLT and privileged system instructions ---------------- */

Test(emulate, hlt)
{
    cr_assert_eq(RUN(0xF4), EM_HALT);
    cr_assert_eq(c->eip, CODE + 1);
    user_mode();
    c->eip = CODE;
    cr_assert_eq(RUN(0xF4), EM_OK);
    check_exc(EXC_GP, true, 0, CODE);
}

Test(emulate, privileged_at_cpl3)
{
    static const uint8_t insns[][3] = {
        { 0x0F, 0x22, 0xC0 },   /* mov cr0, eax */
        { 0x0F, 0x20, 0xD8 },   /* mov eax, cr3 */
        { 0x0F, 0x06 },         /* clts */
        { 0x0F, 0x09 },         /* wbinvd */
        { 0x0F, 0x32 },         /* rdmsr */
        { 0x0F, 0x01, 0x10 },   /* lgdt [eax] */
        { 0x0F, 0x01, 0x38 },   /* invlpg [eax] */
        { 0x0F, 0x00, 0xD0 },   /* lldt ax */
        { 0x0F, 0x23, 0xF8 },   /* mov dr7, eax */
    };
    for (size_t i = 0; i < sizeof insns / sizeof insns[0]; i++) {
        reset();
        user_mode();
        c->gpr[R_EAX] = DATA;
        cr_assert_eq(run_bytes(insns[i], 3), EM_OK);
        check_exc(EXC_GP, true, 0, CODE);
    }
}

Test(emulate, unprivileged_stores_at_cpl3)
{
    user_mode();
    c->gpr[R_EAX] = DATA;
    RUN(0x0F, 0x01, 0x00);                      /* sgdt [eax] */
    cr_assert_eq(c->eip, CODE + 3);
    cr_assert_eq(get16(DATA), 0x47);
    cr_assert_eq(get32(DATA + 2), GDT);
    RUN(0x0F, 0x00, 0xC9);                      /* str ecx */
    cr_assert_eq(c->gpr[R_ECX], TSS_SEL);
    c->cr0 = CR0_PE | CR0_ET | CR0_WP | CR0_AM;
    RUN(0x0F, 0x01, 0xE2);                      /* smsw edx: all of CR0 */
    cr_assert_eq(c->gpr[R_EDX], c->cr0);
}

Test(emulate, lgdt_lidt_sgdt_sidt)
{
    uint8_t img[6] = { 0xFF, 0x01, 0x78, 0x56, 0x34, 0x12 };
    memcpy(ram + DATA, img, 6);
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x01, 0x13);                      /* lgdt [ebx] */
    cr_assert_eq(c->gdtr.base, 0x12345678u);
    cr_assert_eq(c->gdtr.limit, 0x1FF);
    RUN(0x66, 0x0F, 0x01, 0x1B);                /* o16 lidt [ebx]: 24-bit base */
    cr_assert_eq(c->idtr.base, 0x345678u);
    cr_assert_eq(c->idtr.limit, 0x1FF);
    c->gpr[R_EBX] = DATA + 16;
    RUN(0x66, 0x0F, 0x01, 0x03);                /* o16 sgdt [ebx] */
    cr_assert_eq(get16(DATA + 16), 0x1FF);
    cr_assert_eq(get32(DATA + 18), 0x00345678u, "high byte stored as zero");
    RUN(0x0F, 0x01, 0x0B);                      /* sidt [ebx] */
    cr_assert_eq(get32(DATA + 18), 0x345678u);
    cr_assert_eq(c->eip, CODE + 3 + 4 + 4 + 3);
}

Test(emulate, lldt_sldt_ltr_str)
{
    c->gpr[R_EAX] = LDT_SEL;
    RUN(0x0F, 0x00, 0xD0);                      /* lldt ax */
    cr_assert_eq(c->ldtr.sel, LDT_SEL);
    cr_assert_eq(c->ldtr.base, LDT);
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x00, 0x03);                      /* sldt [ebx] */
    cr_assert_eq(get16(DATA), LDT_SEL);
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    RUN(0x0F, 0x00, 0xC1);                      /* sldt ecx: zero-extended */
    cr_assert_eq(c->gpr[R_ECX], LDT_SEL);

    seg_set_raw(&c->tr, 0, 0, 0, 0);
    c->gpr[R_EAX] = TSS_SEL;
    RUN(0x0F, 0x00, 0xD8);                      /* ltr ax */
    cr_assert_eq(c->tr.sel, TSS_SEL);
    cr_assert_eq((get32(GDT + TSS_SEL + 4) >> 8) & 0xF, 0xB, "TSS marked busy");
    c->eip = CODE;
    RUN(0x0F, 0x00, 0xD8);                      /* ltr of a busy TSS: #GP(sel) */
    check_exc(EXC_GP, true, TSS_SEL, CODE);
}

Test(emulate, lmsw_smsw)
{
    c->cr0 = CR0_PE | CR0_ET | CR0_TS | CR0_WP;
    c->gpr[R_EAX] = 0x000E;                     /* PE=0 MP EM TS */
    RUN(0x0F, 0x01, 0xF0);                      /* lmsw ax */
    cr_assert_eq(c->cr0, CR0_PE | CR0_ET | CR0_MP | CR0_EM | CR0_TS | CR0_WP, "PE cannot be cleared");
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0xAAAAAAAAu);
    RUN(0x0F, 0x01, 0x23);                      /* smsw [ebx]: 16 bits */
    cr_assert_eq(get32(DATA), 0xAAAA0000u | (c->cr0 & 0xFFFF));
}

Test(emulate, mov_cr)
{
    c->gpr[R_EAX] = CR0_PG | CR0_ET;            /* PG without PE */
    RUN(0x0F, 0x22, 0xC0);
    check_exc(EXC_GP, true, 0, CODE);

    reset();
    c->gpr[R_EAX] = CR4_VME;
    RUN(0x0F, 0x22, 0xE0);                      /* mov cr4, eax: VME not offered */
    check_exc(EXC_GP, true, 0, CODE);

    reset();
    c->gpr[R_EAX] = CR4_PSE | CR4_PGE | CR4_OSFXSR;
    RUN(0x0F, 0x22, 0xE0);
    cr_assert_eq(c->cr4, CR4_PSE | CR4_PGE | CR4_OSFXSR);
    c->gpr[R_EDX] = 0x12345FFFu;
    RUN(0x0F, 0x22, 0xDA);                      /* mov cr3, edx */
    cr_assert_eq(c->cr3, 0x12345FFFu, "ignored bits are kept (PAE uses 11:5)");
    cr_assert(info.tlb.wrote_cr3, "the TLB flush reported");
    c->cr2 = 0xDEADBEEFu;
    RUN(0x0F, 0x20, 0xD1);                      /* mov ecx, cr2 */
    cr_assert_eq(c->gpr[R_ECX], 0xDEADBEEFu);
    c->gpr[R_EAX] = CR0_PE | CR0_WP | CR0_NE | 0x40;    /* bit 6 reserved: ignored */
    RUN(0x0F, 0x22, 0xC0);
    cr_assert_eq(c->cr0, CR0_PE | CR0_WP | CR0_NE | CR0_ET);
    cr_assert_eq(c->eip, CODE + 12);
}

Test(emulate, mov_dr)
{
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x23, 0xE0);                      /* mov dr4, eax -> DR6 */
    cr_assert_eq(c->dr[6], 0xFFFF0FF0u);
    c->gpr[R_EAX] = 0x000000FFu | 0x800;
    RUN(0x0F, 0x23, 0xF8);                      /* mov dr7, eax */
    cr_assert_eq(c->dr[7], 0x4FFu, "MBZ bit 11 cleared, bit 10 set: %#x", c->dr[7]);
    RUN(0x0F, 0x21, 0xEB);                      /* mov ebx, dr5 -> DR7 */
    cr_assert_eq(c->gpr[R_EBX], 0x4FFu);
    c->cr4 = CR4_DE;
    c->eip = CODE;
    RUN(0x0F, 0x21, 0xE3);                      /* mov ebx, dr4 with CR4.DE */
    check_exc(EXC_UD, false, 0, CODE);

    reset();
    c->dr[7] |= 0x2000;                         /* GD */
    RUN(0x0F, 0x21, 0xC0);
    check_exc(EXC_DB, false, 0, CODE);
    cr_assert(c->dr[6] & 0x2000, "DR6.BD");
    cr_assert_not(c->dr[7] & 0x2000, "GD cleared on entry to the handler");
}

Test(emulate, clts_invlpg_wbinvd_invd)
{
    c->cr0 |= CR0_TS;
    RUN(0x0F, 0x06);
    cr_assert_not(c->cr0 & CR0_TS);
    c->gpr[R_EAX] = 0xFFFFF000u;                /* unmapped: INVLPG never faults */
    RUN(0x0F, 0x01, 0x38);
    cr_assert(info.tlb.invlpg && !info.tlb.wrote_cr3);
    cr_assert_eq(info.tlb.invlpg_lin, 0xFFFFF000u);
    RUN(0x0F, 0x09);
    cr_assert_not(info.tlb.invlpg);
    RUN(0x0F, 0x08);
    cr_assert_eq(c->eip, CODE + 2 + 3 + 2 + 2);
    /* 16-bit addressing (0x67 in 32-bit code, as 16-bit code would form
     * it): invlpg fs:[bx+si+4] names FS.base + (BX + SI + 4) mod 64 KiB */
    seg_set_raw(&c->seg[S_FS], FS_SEL, 0x50000, 0xFFFFFFFFu, 0xC093);
    c->gpr[R_EBX] = 0xFFFF;
    c->gpr[R_ESI] = 0x0001;
    RUN(0x64, 0x67, 0x0F, 0x01, 0x78, 0x04);
    cr_assert(info.tlb.invlpg);
    cr_assert_eq(info.tlb.invlpg_lin, 0x50004u, "%#x", info.tlb.invlpg_lin);
}

Test(emulate, msr_and_tsc)
{
    c->gpr[R_ECX] = 0x174;
    c->gpr[R_EAX] = 0x60;
    c->gpr[R_EDX] = 0;
    RUN(0x0F, 0x30);                            /* wrmsr */
    cr_assert_eq(c->sysenter_cs, 0x60);
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x32);                            /* rdmsr */
    cr_assert_eq(c->gpr[R_EAX], 0x60);
    cr_assert_eq(c->gpr[R_EDX], 0);
    c->gpr[R_ECX] = 0xC0000081u;                /* STAR: no SYSCALL in the model */
    uint32_t at = c->eip;
    RUN(0x0F, 0x32);
    check_exc(EXC_GP, true, 0, at);

    reset();
    c->gpr[R_ECX] = 0x10;
    c->gpr[R_EDX] = 0x7;
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x30);                            /* TSC = 7 << 32 */
    RUN(0x0F, 0x31);                            /* rdtsc */
    uint64_t t = ((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX];
    cr_assert(t >= (7ull << 32) && t < (7ull << 32) + 1000000000ull, "tsc %#llx", (unsigned long long)t);

    user_mode();
    c->cr4 = CR4_TSD;
    at = c->eip;
    RUN(0x0F, 0x31);
    check_exc(EXC_GP, true, 0, at);
}

Test(emulate, rdpmc)
{
    user_mode();
    RUN(0x0F, 0x33);
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    user_mode();
    c->cr4 = CR4_PCE;
    c->gpr[R_ECX] = 1;
    c->gpr[R_EAX] = 5;
    RUN(0x0F, 0x33);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(c->gpr[R_EAX], 0);
}

Test(emulate, cpuid_instruction)
{
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0xA2);
    cr_assert_eq(c->gpr[R_EAX], 2);
    cr_assert_eq(memcmp(&c->gpr[R_EBX], "Genu", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_EDX], "ineI", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_ECX], "ntel", 4), 0);
    c->gpr[R_EAX] = 1;
    RUN(0x0F, 0xA2);
    cr_assert_eq(c->gpr[R_EAX], 0x6D8);
    cr_assert_eq(c->gpr[R_ECX] >> 31, 0, "no hypervisor bit");
}

/* ---------------- port I/O ---------------- */

struct fake_dev {
    int reads, writes;
    uint16_t port;
    int size;
    uint32_t value, next;
};

static uint32_t fake_read(void *o, uint16_t port, int size)
{
    struct fake_dev *d = o;
    d->reads++;
    d->port = port;
    d->size = size;
    return d->next++;
}

static void fake_write(void *o, uint16_t port, int size, uint32_t v)
{
    struct fake_dev *d = o;
    d->writes++;
    d->port = port;
    d->size = size;
    d->value = v;
}

static const struct device_ops fake_ops = { .name = "fake", .pio_read = fake_read, .pio_write = fake_write };

Test(emulate, in_out)
{
    struct fake_dev d = { .next = 0x11223344 };
    cr_assert_eq(io_register_pio(&vm->io, 0x70, 2, &fake_ops, &d), 0);
    c->gpr[R_EAX] = 0xAABBCCDDu;
    RUN(0xE6, 0x70);                            /* out 0x70, al */
    cr_assert_eq(d.writes, 1);
    cr_assert_eq(d.port, 0x70);
    cr_assert_eq(d.size, 1);
    cr_assert_eq(d.value, 0xDD);
    c->gpr[R_EDX] = 0x71;
    RUN(0x66, 0xED);                            /* in ax, dx */
    cr_assert_eq(d.port, 0x71);
    cr_assert_eq(d.size, 2);
    cr_assert_eq(c->gpr[R_EAX], 0xAABB3344u);
    RUN(0xE5, 0x70);                            /* in eax, 0x70 */
    cr_assert_eq(d.size, 4);
    cr_assert_eq(c->gpr[R_EAX], 0x11223345u);
    cr_assert_eq(c->eip, CODE + 2 + 2 + 2);
}

Test(emulate, io_bitmap_at_cpl3)
{
    struct fake_dev d = { 0 };
    io_register_pio(&vm->io, 0x70, 2, &fake_ops, &d);
    user_mode();
    c->gpr[R_EDX] = 0x70;
    RUN(0x66, 0xEF);                            /* out dx, ax: ports 0x70-0x71 open */
    cr_assert_eq(d.writes, 1);
    cr_assert_eq(c->eip, CODE + 2);
    c->gpr[R_EDX] = 0x71;
    RUN(0xEF);                                  /* out dx, eax: 0x72-0x74 closed */
    cr_assert_eq(d.writes, 1);
    check_exc(EXC_GP, true, 0, CODE + 2);

    reset();
    user_mode();
    RUN(0xE4, 0xF0);                            /* in al, 0xF0: bitmap bit set */
    check_exc(EXC_GP, true, 0, CODE);
}

Test(emulate, rep_ins_outs)
{
    struct fake_dev d = { .next = 0x100 };
    io_register_pio(&vm->io, 0x1F0, 8, &fake_ops, &d);
    c->gpr[R_EDX] = 0x1F0;
    c->gpr[R_EDI] = DATA;
    c->gpr[R_ECX] = 3;
    RUN(0xF3, 0x66, 0x6D);                      /* rep insw */
    cr_assert_eq(d.reads, 3);
    cr_assert_eq(get16(DATA), 0x100);
    cr_assert_eq(get16(DATA + 4), 0x102);
    cr_assert_eq(c->gpr[R_EDI], DATA + 6);
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert_eq(c->eip, CODE + 3);

    memcpy(ram + DATA + 0x100, "abc", 3);
    vcpu_set_eflags(c, FL_DF);
    c->gpr[R_ESI] = DATA + 0x102;
    c->gpr[R_ECX] = 3;
    RUN(0xF3, 0x6E);                            /* rep outsb, backwards */
    cr_assert_eq(d.writes, 3);
    cr_assert_eq(d.value, 'a', "last byte written is the lowest");
    cr_assert_eq(c->gpr[R_ESI], DATA + 0xFF);

    c->gpr[R_ECX] = 0;
    int r = d.reads;
    RUN(0xF3, 0x6C);                            /* rep insb with ECX = 0 */
    cr_assert_eq(d.reads, r);
}

/* REP INS/OUTS with a count of 2^32 - 1 run one batch per step (EIP stays,
 * ECX and EDI/ESI say what is left), as REP MOVS does, instead of holding
 * the monitor for 2^32 port accesses (found by tests/fuzz/fuzz_decode.c). */
Test(emulate, rep_ins_outs_in_batches)
{
    struct fake_dev d = { .next = 0x100 };
    io_register_pio(&vm->io, 0x1F0, 8, &fake_ops, &d);
    c->gpr[R_EDX] = 0x1F0;
    c->gpr[R_EDI] = DATA;
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0xF3, 0x6C), EM_OK);       /* rep insb */
    cr_assert_gt(d.reads, 0);
    cr_assert_lt(d.reads, 0x100000, "%d reads in one step", d.reads);
    cr_assert_eq(c->eip, CODE, "more to do: EIP stays at the instruction");
    cr_assert_eq(c->gpr[R_ECX], 0xFFFFFFFFu - d.reads);
    cr_assert_eq(c->gpr[R_EDI], DATA + d.reads);

    c->gpr[R_ESI] = DATA;
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    cr_assert_eq(RUN(0xF3, 0x6E), EM_OK);       /* rep outsb */
    cr_assert_gt(d.writes, 0);
    cr_assert_lt(d.writes, 0x100000, "%d writes in one step", d.writes);
    cr_assert_eq(c->eip, CODE);
    cr_assert_eq(c->gpr[R_ECX], 0xFFFFFFFFu - d.writes);
    cr_assert_eq(c->gpr[R_ESI], DATA + d.writes);
}

/* ---------------- segments ---------------- */

Test(emulate, mov_sreg_forms)
{
    c->gpr[R_EAX] = FS_SEL;
    RUN(0x8E, 0xE0);                            /* mov fs, ax */
    cr_assert_eq(c->seg[S_FS].sel, FS_SEL);
    cr_assert_eq(c->seg[S_FS].base, 0x50000);
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    RUN(0x8C, 0xE1);                            /* mov ecx, fs */
    cr_assert_eq(c->gpr[R_ECX], FS_SEL);
    put32(DATA, 0xFFFFFFFFu);
    c->gpr[R_EBX] = DATA;
    RUN(0x8C, 0x23);                            /* mov [ebx], fs */
    cr_assert_eq(get32(DATA), 0xFFFF0000u | FS_SEL);
    c->gpr[R_EDX] = K_DS;
    RUN(0x8E, 0xD2);                            /* mov ss, dx */
    cr_assert(info.irq_shadow);
    c->gpr[R_EAX] = 0x1233;                     /* beyond the GDT limit */
    uint32_t at = c->eip;
    RUN(0x8E, 0xD8);
    check_exc(EXC_GP, true, 0x1230, at);
}

Test(emulate, push_pop_sreg)
{
    put32(STACK - 4, 0xAAAAAAAAu);
    RUN(0x06);                                  /* push es */
    cr_assert_eq(c->gpr[R_ESP], STACK - 4);
    cr_assert_eq(get32(STACK - 4), 0xAAAA0000u | K_DS, "16-bit store in a 4-byte slot");
    put32(STACK - 4, FS_SEL);
    RUN(0x1F);                                  /* pop ds */
    cr_assert_eq(c->seg[S_DS].base, 0x50000);
    cr_assert_eq(c->gpr[R_ESP], STACK);
    cr_assert_not(info.irq_shadow);
    put32(STACK, K_DS);
    RUN(0x17);                                  /* pop ss */
    cr_assert(info.irq_shadow);
    cr_assert_eq(c->gpr[R_ESP], STACK + 4);
    put32(STACK + 4, 0);
    uint32_t at = c->eip;
    RUN(0x17);                                  /* pop ss with null: #GP(0) */
    check_exc(EXC_GP, true, 0, at);
}

Test(emulate, lds_lss)
{
    put32(DATA, 0x12345678u);
    put32(DATA + 4, FS_SEL);
    c->gpr[R_EBX] = DATA;
    RUN(0xC5, 0x33);                            /* lds esi, [ebx] */
    cr_assert_eq(c->gpr[R_ESI], 0x12345678u);
    cr_assert_eq(c->seg[S_DS].sel, FS_SEL);
    put32(DATA + 0x50000, 0x8000);              /* DS base is now 0x50000 */
    put32(DATA + 0x50004, K_DS);
    RUN(0x0F, 0xB2, 0x23);                      /* lss esp, [ebx] */
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
    cr_assert_eq(c->seg[S_SS].sel, K_DS);
}

Test(emulate, lar_lsl_verr_verw)
{
    c->gpr[R_ECX] = FS_SEL;
    RUN(0x0F, 0x02, 0xC1);                      /* lar eax, ecx */
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    cr_assert_eq(c->gpr[R_EAX], 0x00C09300u | 0x100, "with the accessed bit");
    RUN(0x0F, 0x03, 0xD1);                      /* lsl edx, ecx */
    cr_assert_eq(c->gpr[R_EDX], 0xFFFFFFFFu);
    c->gpr[R_ECX] = RO_SEL;
    RUN(0x0F, 0x00, 0xE1);                      /* verr cx */
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    RUN(0x0F, 0x00, 0xE9);                      /* verw cx: read-only */
    cr_assert_not(vcpu_get_eflags(c) & FL_ZF);
    c->gpr[R_ECX] = 0x1230;
    c->gpr[R_EAX] = 77;
    RUN(0x0F, 0x02, 0xC1);
    cr_assert_not(vcpu_get_eflags(c) & FL_ZF);
    cr_assert_eq(c->gpr[R_EAX], 77, "destination unchanged on failure");
}

Test(emulate, segment_protection)
{
    c->gpr[R_EAX] = RO_SEL;
    RUN(0x8E, 0xC0);                            /* mov es, ax (read-only data) */
    uint32_t at = c->eip;
    c->gpr[R_EBX] = DATA;
    RUN(0x26, 0x89, 0x03);                      /* mov es:[ebx], eax */
    check_exc(EXC_GP, true, 0, at);
}
