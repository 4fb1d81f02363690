/*
 * tests/unit/test_realmode.c - real-address mode in the emulator
 * (cpu/realmode.c through cpu/emulate.c, cpu/segments.c and
 * cpu/exceptions.c): segment loads keep the hidden limit, far transfers,
 * delivery through the IVT with its limit and the double-fault rules,
 * IRET, 16/32-bit stacks, the mode switches and the reset state.
 */
#include "emulate_fixture.h"
#include "cpu/exceptions.h"
#include "cpu/realmode.h"
#include "cpu/fpu.h"

#define RM_CS   0x1000u             /* code at 1000:0100 = 0x10100 */
#define RM_IP   0x0100u

/* Real mode with CS 1000, the data segments and SS at 0, SP 0x8000, the
 * IVT at 0 with its reset limit. */
static void real_mode(void)
{
    c->cr0 = CR0_ET;
    seg_set_raw(&c->seg[S_CS], RM_CS, RM_CS << 4, 0xFFFF, 0x009B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0, 0, 0xFFFF, 0x0093);
    c->idtr = (struct dtr){ 0, 0x3FF };
    c->eip = RM_IP;
    c->gpr[R_ESP] = 0x8000;
    vcpu_set_eflags(c, FL_FIXED);
    memset(ram, 0, 0x400);
}

static void rm_setup(void)
{
    setup();
    real_mode();
}

static void ivt_set(unsigned v, uint16_t seg, uint16_t off)
{
    put32(v * 4, (uint32_t)seg << 16 | off);
}

TestSuite(realmode, .init = rm_setup, .fini = teardown);

Test(realmode, mov_sreg_sets_base_and_keeps_the_limit)
{
    /* A 4 GiB limit left by protected mode survives: "unreal" mode. */
    seg_set_raw(&c->seg[S_DS], 0x10, 0, 0xFFFFFFFFu, 0xC093);
    c->gpr[R_EAX] = 0x1234;
    cr_assert_eq(RUN(0x8E, 0xD8), EM_OK);                   /* mov ds, ax */
    cr_assert_eq(c->seg[S_DS].sel, 0x1234);
    cr_assert_eq(c->seg[S_DS].base, 0x12340);
    cr_assert_eq(c->seg[S_DS].limit, 0xFFFFFFFFu);
    cr_assert_eq(c->seg[S_DS].attr, 0xC093);
    cr_assert_eq(c->eip, RM_IP + 2);
    /* and a 32-bit address above 1 MiB reads through it */
    put32(0x12340 + 0x200000, 0xDEADBEEF);
    cr_assert_eq(RUN(0x66, 0x67, 0xA1, 0x00, 0x00, 0x20, 0x00), EM_OK);   /* mov eax, [dword 0x200000] */
    cr_assert_eq(c->gpr[R_EAX], 0xDEADBEEF);
}

Test(realmode, offset_beyond_a_64k_limit_is_gp_through_the_ivt)
{
    ivt_set(EXC_GP, 0x2000, 0x0040);
    cr_assert_eq(RUN(0x67, 0x8B, 0x05, 0x00, 0x00, 0x01, 0x00), EM_OK);   /* mov ax, [dword 0x10000] */
    cr_assert_eq(c->seg[S_CS].sel, 0x2000);
    cr_assert_eq(c->eip, 0x40);
    cr_assert_eq(get16(0x8000 - 6), RM_IP, "no error code: IP on top");
}

/* Running on past offset 0xFFFF: with a 64 KiB CS limit the next fetch is
 * #GP(0) (a 286 or later does not wrap IP); with a 4 GiB limit ("unreal"
 * CS) execution goes on at 0x10000. */
Test(realmode, ip_does_not_wrap_past_ffff)
{
    ivt_set(EXC_GP, 0x2000, 0x0040);
    c->eip = 0xFFFF;
    cr_assert_eq(RUN(0x90), EM_OK);                          /* nop at FFFF */
    cr_assert_eq(c->eip, 0x10000u);
    cr_assert_eq(emulate_step(c, &info), EM_OK);             /* the fetch at 0x10000 */
    cr_assert_eq(c->seg[S_CS].sel, 0x2000, "no #GP through the IVT");
    cr_assert_eq(c->eip, 0x40);

    real_mode();
    seg_set_raw(&c->seg[S_CS], RM_CS, RM_CS << 4, 0xFFFFFFFFu, 0x809B);
    c->eip = 0xFFFF;
    cr_assert_eq(RUN(0x90), EM_OK);
    cr_assert_eq(c->eip, 0x10000u, "a 4 GiB CS goes on past 0xFFFF");
}

Test(realmode, pop_and_lds_load_selector_and_base)
{
    put32(0x7FFE, 0x00004321);
    c->gpr[R_ESP] = 0x7FFE;
    cr_assert_eq(RUN(0x07), EM_OK);                          /* pop es */
    cr_assert_eq(c->seg[S_ES].base, 0x43210);
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
    put32(0x500, 0x56780099);
    cr_assert_eq(RUN(0xC5, 0x36, 0x00, 0x05), EM_OK);        /* lds si, [0x500] */
    cr_assert_eq(c->seg[S_DS].sel, 0x5678);
    cr_assert_eq(c->seg[S_DS].base, 0x56780);
    cr_assert_eq(c->gpr[R_ESI] & 0xFFFF, 0x0099);
}

Test(realmode, far_jmp_call_ret)
{
    cr_assert_eq(RUN(0x9A, 0x34, 0x12, 0x00, 0x20), EM_OK);  /* call 2000:1234 */
    cr_assert_eq(c->seg[S_CS].sel, 0x2000);
    cr_assert_eq(c->seg[S_CS].base, 0x20000);
    cr_assert_eq(c->seg[S_CS].limit, 0xFFFF);
    cr_assert_eq(c->eip, 0x1234);
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 4);
    cr_assert_eq(get16(0x7FFC), RM_IP + 5);
    cr_assert_eq(get16(0x7FFE), RM_CS);
    cr_assert_eq(RUN(0xCB), EM_OK);                          /* retf */
    cr_assert_eq(c->seg[S_CS].sel, RM_CS);
    cr_assert_eq(c->eip, RM_IP + 5);
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
    cr_assert_eq(RUN(0xEA, 0x00, 0x03, 0x00, 0x30), EM_OK);  /* jmp 3000:0300 */
    cr_assert_eq(c->seg[S_CS].base, 0x30000);
    cr_assert_eq(c->eip, 0x300);
}

Test(realmode, int_n_pushes_flags_cs_ip_and_clears_if_tf)
{
    ivt_set(0x21, 0x2000, 0x0030);
    vcpu_set_eflags(c, FL_FIXED | FL_IF | FL_TF | FL_CF);
    c->gpr[R_ESP] = 0x12348000;         /* only SP counts: SS.B = 0 */
    cr_assert_eq(RUN(0xCD, 0x21), EM_OK);
    cr_assert_eq(c->seg[S_CS].sel, 0x2000);
    cr_assert_eq(c->seg[S_CS].base, 0x20000);
    cr_assert_eq(c->eip, 0x30);
    cr_assert_eq(c->gpr[R_ESP], 0x12348000 - 6);
    cr_assert_eq(get16(0x7FFA), RM_IP + 2);
    cr_assert_eq(get16(0x7FFC), RM_CS);
    cr_assert_eq(get16(0x7FFE), FL_FIXED | FL_IF | FL_TF | FL_CF);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_IF | FL_TF), 0);
    cr_assert_eq(RUN(0xCF), EM_OK);                          /* iret */
    cr_assert_eq(c->seg[S_CS].sel, RM_CS);
    cr_assert_eq(c->eip, RM_IP + 2);
    cr_assert_eq(c->gpr[R_ESP], 0x12348000);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_IF | FL_TF | FL_CF);
}

Test(realmode, sp_wraps_at_64k)
{
    ivt_set(0x21, 0x2000, 0x0030);
    c->gpr[R_ESP] = 0;
    cr_assert_eq(RUN(0xCD, 0x21), EM_OK);
    cr_assert_eq(c->gpr[R_ESP], 0xFFFA);
    cr_assert_eq(get16(0xFFFA), RM_IP + 2);
}

Test(realmode, divide_error_pushes_the_faulting_ip)
{
    ivt_set(EXC_DE, 0x2000, 0x0010);
    c->gpr[R_EAX] = 1;
    c->gpr[R_EBX] = 0;
    cr_assert_eq(RUN(0xF6, 0xF3), EM_OK);                    /* div bl */
    cr_assert_eq(c->eip, 0x10);
    cr_assert_eq(get16(0x7FFA), RM_IP);
}

Test(realmode, external_interrupt_through_cpu_deliver)
{
    ivt_set(0x08, 0x2000, 0x0050);
    vcpu_set_eflags(c, FL_FIXED | FL_IF);
    cr_assert_eq(cpu_deliver(c, 0x08, EV_EXTINT, false, 0), 0);
    cr_assert_eq(c->eip, 0x50);
    cr_assert_eq(get16(0x7FFA), RM_IP);
    cr_assert_eq(vcpu_get_eflags(c) & FL_IF, 0);
}

Test(realmode, vector_beyond_the_ivt_limit_is_gp)
{
    c->idtr.limit = 0x83;               /* vectors 0..0x20 */
    ivt_set(EXC_GP, 0x2000, 0x0060);
    cr_assert_eq(RUN(0xCD, 0x40), EM_OK);
    cr_assert_eq(c->eip, 0x60);
    cr_assert_eq(get16(0x7FFA), RM_IP, "#GP at the INT instruction");
}

Test(realmode, gp_and_df_beyond_the_limit_shut_down)
{
    c->idtr.limit = 3;                  /* vector 0 only */
    cr_assert_eq(RUN(0xCD, 0x40), EM_STOP);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, VMM_EXIT_TRIPLE);
}

Test(realmode, o32_push_and_iretd)
{
    cr_assert_eq(RUN(0x66, 0x6A, 0x7F), EM_OK);              /* push dword 0x7f */
    cr_assert_eq(c->gpr[R_ESP], 0x8000 - 4);
    cr_assert_eq(get32(0x7FFC), 0x7F);
    /* IRETD: EIP, CS, EFLAGS as dwords; VM stays clear */
    put32(0x7FF4, 0x0200);
    put32(0x7FF8, 0x3000);
    put32(0x7FFC, FL_FIXED | FL_VM | FL_CF);
    c->gpr[R_ESP] = 0x7FF4;
    cr_assert_eq(RUN(0x66, 0xCF), EM_OK);
    cr_assert_eq(c->seg[S_CS].base, 0x30000);
    cr_assert_eq(c->eip, 0x200);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_CF);
}

Test(realmode, protected_mode_only_instructions)
{
    ivt_set(EXC_UD, 0x2000, 0x0070);
    cr_assert_eq(RUN(0x0F, 0x00, 0xD0), EM_OK);              /* lldt ax */
    cr_assert_eq(c->eip, 0x70);
}

Test(realmode, mov_cr0_switches_both_ways)
{
    c->gpr[R_EAX] = CR0_PE | CR0_ET;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0), EM_OK);              /* mov cr0, eax */
    cr_assert(c->cr0 & CR0_PE);
    cr_assert_eq(c->seg[S_CS].base, RM_CS << 4, "the real-mode CS cache stays");
    c->gpr[R_EAX] = CR0_ET;
    cr_assert_eq(RUN(0x0F, 0x22, 0xC0), EM_OK);
    cr_assert_eq(c->cr0 & CR0_PE, 0);
    /* LMSW cannot clear PE */
    c->cr0 |= CR0_PE;
    c->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0x01, 0xF0), EM_OK);              /* lmsw ax */
    cr_assert(c->cr0 & CR0_PE);
}

Test(realmode, reset_state)
{
    vcpu_reset_power_on(c);
    cr_assert_eq(c->cr0, 0x60000010);
    cr_assert_eq(c->seg[S_CS].sel, 0xF000);
    cr_assert_eq(c->seg[S_CS].base, 0xFFFF0000u);
    cr_assert_eq(vcpu_linear_ip(c), 0xFFFFFFF0u);
    cr_assert_eq(c->gpr[R_EDX], 0x6D8);
    cr_assert_eq(c->idtr.limit, 0x3FF);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED);
    cr_assert(cpu_real_mode(c));
}

/* The x87 register and no-operand forms run on the host FPU against the
 * guest's image (cpu/em_x87.c): FNINIT, FLD1, FADD, FNSTSW AX. */
Test(realmode, x87_register_forms)
{
    c->gpr[R_EAX] = 0xABCD1234;
    cr_assert_eq(RUN(0xDB, 0xE3), EM_OK);                   /* fninit */
    cr_assert_eq(RUN(0xD9, 0xE8), EM_OK);                   /* fld1 */
    cr_assert_eq(RUN(0xD9, 0xE8), EM_OK);                   /* fld1 */
    cr_assert_eq(RUN(0xDE, 0xC1), EM_OK);                   /* faddp st1, st0 */
    cr_assert_eq(RUN(0xDF, 0xE0), EM_OK);                   /* fnstsw ax */
    cr_assert_eq(c->gpr[R_EAX], 0xABCD0000u | (7u << 11), "TOP 7 (one value), upper EAX kept");
    cr_assert_eq(c->eip, RM_IP + 10, "five two-byte instructions");
}

/* FCOMI sets ZF, PF and CF from the comparison; FCMOVB reads CF. */
Test(realmode, x87_fcomi_and_fcmov_use_eflags)
{
    cr_assert_eq(RUN(0xDB, 0xE3), EM_OK);                   /* fninit */
    cr_assert_eq(RUN(0xD9, 0xE8), EM_OK);                   /* fld1: st1 after the next */
    cr_assert_eq(RUN(0xD9, 0xEE), EM_OK);                   /* fldz: st0 */
    vcpu_set_eflags(c, FL_FIXED | FL_ZF | FL_OF);
    cr_assert_eq(RUN(0xDB, 0xF1), EM_OK);                   /* fcomi st0, st1: 0 < 1 */
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_CF, "CF set; ZF, PF, OF cleared");
    cr_assert_eq(RUN(0xDA, 0xC1), EM_OK);                   /* fcmovb st0, st1: CF set, moves */
    cr_assert_eq(RUN(0xDE, 0xD9), EM_OK);                   /* fcompp: 1 == 1 */
    c->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0xDF, 0xE0), EM_OK);                   /* fnstsw ax */
    cr_assert_eq(c->gpr[R_EAX] & 0x4500, 0x4000, "C3 alone: equal");
}

/* The blanks of the SDM's opcode map are #UD (never run on the host), even
 * those some processors take as aliases: FSTP1 (D9 D8), FFREEP (DF C0),
 * and the reserved D9 D1. */
Test(realmode, x87_reserved_register_encodings_are_ud)
{
    ivt_set(EXC_UD, 0x2000, 0x0070);
    static const uint8_t enc[][2] = { { 0xD9, 0xD8 }, { 0xDF, 0xC0 }, { 0xD9, 0xD1 } };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        real_mode();
        ivt_set(EXC_UD, 0x2000, 0x0070);
        cr_assert_eq(RUN(enc[i][0], enc[i][1]), EM_OK);
        cr_assert_eq(c->eip, 0x70, "%02x %02x", enc[i][0], enc[i][1]);
    }
}

/* FXSAVE/FXRSTOR (cpu/em_sse.c): the image round-trips, a misaligned
 * operand is #GP(0), and with CR4.OSFXSR an MXCSR bit outside the host's
 * MXCSR_MASK is #GP(0) with the state unchanged. */
Test(realmode, fxsave_fxrstor)
{
    ivt_set(EXC_GP, 0x2000, 0x0080);
    c->gpr[R_ESI] = 0x800;
    cr_assert_eq(RUN(0xDB, 0xE3), EM_OK);                       /* fninit */
    cr_assert_eq(RUN(0x0F, 0xAE, 0x04), EM_OK);                 /* fxsave [si] */
    cr_assert_eq(ram[0x800] | ram[0x801] << 8, 0x037F, "FCW in the image");
    real_mode();
    ivt_set(EXC_GP, 0x2000, 0x0080);
    c->gpr[R_ESI] = 0x808;
    cr_assert_eq(RUN(0x0F, 0xAE, 0x04), EM_OK);                 /* fxsave [si], misaligned */
    cr_assert_eq(c->eip, 0x80, "#GP(0) for an operand not 16-byte aligned");
    real_mode();
    ivt_set(EXC_GP, 0x2000, 0x0080);
    c->cr4 |= CR4_OSFXSR;
    c->gpr[R_ESI] = 0x800;
    put32(0x800 + 24, 0xFFFFFFFFu);                             /* MXCSR: reserved bits */
    uint8_t before[512];
    memcpy(before, c->fx_guest, sizeof before);
    cr_assert_eq(RUN(0x0F, 0xAE, 0x0C), EM_OK);                 /* fxrstor [si] */
    cr_assert_eq(c->eip, 0x80, "#GP(0) for reserved MXCSR bits");
    cr_assert_arr_eq(c->fx_guest, before, sizeof before, "nothing restored");
}

/* 0F D8-DF are MMX instructions, not x87 ones: PSUBUSW mm1, [bx+si]
 * (0F D9 08) has the ModRM byte of the reserved x87 form D9 /1, which the
 * host refuses; PSUBUSW mm0, mm1 (0F D9 C1) that of FXCH st1.  Neither may
 * reach an x87 routine: each subtracts words with unsigned saturation, and
 * the x87 image changes only as an MMX instruction changes it (SDM vol. 1
 * 9.5.1): after FLD1 (TOP = 7) MM1 is the physical register R1, stored in
 * the slot of ST(2); the instruction sets TOP to 0, so the slots rotate
 * (ST(7) is now R7, the 1.0 FLD1 pushed), and tags every register valid. */
Test(realmode, mmx_opcodes_are_not_x87_forms)
{
    static const uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F };
    cr_assert_eq(RUN(0xDB, 0xE3), EM_OK);                   /* fninit */
    cr_assert_eq(RUN(0xD9, 0xE8), EM_OK);                   /* fld1 */
    cr_assert_eq(c->fx_guest[FX_FSW + 1] >> 3 & 7, 7, "TOP = 7 after FLD1");
    uint64_t r1 = 0x0005000400030002ull, m = 0x0000000500010001ull, r0 = 0x0001000100090008ull;
    memcpy(c->fx_guest + FX_MM(2), &r1, 8);                 /* R1 = ST(1 - 7 mod 8) */
    memcpy(c->fx_guest + FX_MM(1), &r0, 8);                 /* R0 = ST(1) */
    real_mode();
    c->gpr[R_EBX] = 0x600;
    c->gpr[R_ESI] = 0x10;
    memcpy(ram + 0x610, &m, 8);
    cr_assert_eq(RUN(0x0F, 0xD9, 0x08), EM_OK);             /* psubusw mm1, [bx+si] */
    cr_assert_eq(c->eip, RM_IP + 3);
    uint64_t got;
    memcpy(&got, c->fx_guest + FX_MM(1), 8);
    cr_assert_eq(got, 0x0005000000020001ull, "MM1 = %#llx", (unsigned long long)got);
    cr_assert_eq(c->fx_guest[FX_MM(1) + 8] & c->fx_guest[FX_MM(1) + 9], 0xFF, "exponent ones");
    cr_assert_arr_eq(c->fx_guest + FX_MM(7), one, 10, "R7 = 1.0, now ST(7)");
    cr_assert_eq(c->fx_guest[FX_FSW + 1] >> 3 & 7, 0, "TOP = 0");
    cr_assert_eq(c->fx_guest[FX_FTW], 0xFF, "all valid");
    real_mode();
    cr_assert_eq(RUN(0x0F, 0xD9, 0xC1), EM_OK);             /* psubusw mm0, mm1 */
    memcpy(&got, c->fx_guest + FX_MM(0), 8);
    cr_assert_eq(got, 0x0000000100070007ull, "MM0 = %#llx, not FXCH", (unsigned long long)got);
    cr_assert_arr_eq(c->fx_guest + FX_MM(7), one, 10, "ST(7) untouched");
}

/* FLDENV, FLDCW and FRSTOR wait (SDM vol. 1 8.6): an unmasked exception
 * pending in the guest's x87 image is the guest's #MF before them, never
 * the host FPU's (a SIGFPE in the monitor); FNSTCW does not wait. */
Test(realmode, x87_loads_wait_for_a_pending_exception)
{
    static const uint8_t waits[][2] = { { 0xD9, 0x24 }, { 0xD9, 0x2C }, { 0xDD, 0x24 } };
    for (size_t i = 0; i <= sizeof waits / sizeof waits[0]; i++) {
        real_mode();
        ivt_set(EXC_MF, 0x2000, 0x0090);
        c->gpr[R_ESI] = 0x800;
        cr_assert_eq(RUN(0xDB, 0xE3), EM_OK);                   /* fninit */
        uint16_t fcw = 0x037B, fsw = 0x0084;    /* ZE unmasked; ZE and ES set */
        memcpy(c->fx_guest + FX_FCW, &fcw, 2);
        memcpy(c->fx_guest + FX_FSW, &fsw, 2);
        if (i == sizeof waits / sizeof waits[0]) {
            cr_assert_eq(RUN(0xD9, 0x3C), EM_OK);               /* fnstcw [si] */
            cr_assert_eq(c->eip, RM_IP + 2 + 2, "FNSTCW does not wait");
            cr_assert_eq(ram[0x800] | ram[0x801] << 8, 0x037B);
        } else {
            cr_assert_eq(RUN(waits[i][0], waits[i][1]), EM_OK);
            cr_assert_eq(c->eip, 0x90, "%02x %02x: #MF", waits[i][0], waits[i][1]);
        }
    }
}
