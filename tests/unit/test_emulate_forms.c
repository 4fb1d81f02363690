/*
 * tests/unit/test_emulate_forms.c - the emulator's memory-touching forms
 * whose meaning differs in 64-bit mode, so that test_emulate_table.c cannot
 * compare them with the host: 16-bit addressing of string instructions
 * (SI/DI/CX, 64 KiB wrap), the 4 GiB wrap of 32-bit string registers in
 * both directions, segment overrides on the string source, a fault in the
 * middle of REP (registers exact, restartable), long REP batches, PUSH/POP
 * with a memory operand, MOVBE, the FPU/SSE control bits, MMX register
 * state, and read-modify-write destinations that must not be written.
 * Expected values are computed by hand from the SDM.
 */
#include "emulate_fixture.h"

TestSuite(emulate_forms, .init = setup, .fini = teardown);

/* PDE 0: 0-4 MiB identity, writable; PDE 1023: linear 0xFFC00000 -> 8 MiB. */
static void paging_wrap(void)
{
    put32(0x20000, 0x000000E3);
    put32(0x20000 + 1023 * 4, 0x008000E3);
    c->cr3 = 0x20000;
    c->cr4 |= CR4_PSE;
    c->cr0 |= CR0_PG | CR0_WP;
}

/* Run the instruction at CODE to completion (a REP may take several calls). */
static void run_all(const uint8_t *b, size_t n)
{
    run_bytes(b, n);
    for (int i = 0; i < 100 && c->eip == CODE; i++)
        emulate_step(c, &info);
}
#define RUN_ALL(...) ({ const uint8_t b_[] = { __VA_ARGS__ }; run_all(b_, sizeof b_); })

/* ---------------- 16-bit addressing ---------------- */

Test(emulate_forms, addr16_rep_movsb_wraps_at_64k)
{
    ram[0xFFFE] = 0x11; ram[0xFFFF] = 0x22; ram[0x0000] = 0x33; ram[0x0001] = 0x44;
    c->gpr[R_ESI] = 0xABCDFFFE;
    c->gpr[R_EDI] = 0x12340100;
    c->gpr[R_ECX] = 0x55550004;
    RUN_ALL(0x67, 0xF3, 0xA4);                  /* a16 rep movsb */
    cr_assert_eq(c->eip, CODE + 3);
    cr_assert_eq(get32(0x100), 0x44332211);
    cr_assert_eq(c->gpr[R_ESI], 0xABCD0002, "SI wrapped, upper half kept");
    cr_assert_eq(c->gpr[R_EDI], 0x12340104);
    cr_assert_eq(c->gpr[R_ECX], 0x55550000, "CX counted, upper half kept");
}

Test(emulate_forms, addr16_movsb_down_wraps)
{
    ram[0x0001] = 0xA1; ram[0x0000] = 0xA0; ram[0xFFFF] = 0x9F;
    c->gpr[R_ESI] = 0x00000001;
    c->gpr[R_EDI] = 0x00000201;
    c->gpr[R_ECX] = 0xFFFF0003;
    vcpu_set_eflags(c, FL_DF);
    RUN_ALL(0x67, 0xF3, 0xA4);
    cr_assert_eq(ram[0x201], 0xA1);
    cr_assert_eq(ram[0x200], 0xA0);
    cr_assert_eq(ram[0x1FF], 0x9F);
    cr_assert_eq(c->gpr[R_ESI], 0x0000FFFE);
    cr_assert_eq(c->gpr[R_EDI], 0x000001FE);
    cr_assert_eq(c->gpr[R_ECX], 0xFFFF0000);
}

Test(emulate_forms, addr16_stos_scas_cmps_lods)
{
    c->gpr[R_EDI] = 0x7777FFFC;
    c->gpr[R_ECX] = 0x00010003;                 /* CX = 3, ECX would be 65539 */
    c->gpr[R_EAX] = 0xBEEF;
    RUN_ALL(0x67, 0xF3, 0x66, 0xAB);            /* a16 rep stosw */
    cr_assert_eq(get16(0xFFFC), 0xBEEF);
    cr_assert_eq(get16(0xFFFE), 0xBEEF);
    cr_assert_eq(get16(0x0000), 0xBEEF);
    cr_assert_eq(c->gpr[R_EDI], 0x77770002);
    cr_assert_eq(c->gpr[R_ECX], 0x00010000);
    ram[0x0002] = 0x5A;
    c->gpr[R_EDI] = 0x7777FFFF;
    c->gpr[R_ECX] = 0x10;
    c->gpr[R_EAX] = 0x5A;
    ram[0xFFFF] = 0; ram[0] = 0xEF; ram[1] = 0xBE;
    RUN_ALL(0x67, 0xF2, 0xAE);                  /* a16 repne scasb: found at 0x0002 */
    cr_assert_eq(c->gpr[R_EDI], 0x77770003);
    cr_assert_eq(c->gpr[R_ECX], 0x10 - 4);
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    c->gpr[R_ESI] = 0x1234FFFF;
    RUN_ALL(0x67, 0xAC);                        /* a16 lodsb */
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 0);
    cr_assert_eq(c->gpr[R_ESI], 0x12340000);
    memcpy(ram + 0x300, ram + 0xFFFE, 2);
    memcpy(ram + 0x302, ram, 2);
    c->gpr[R_ESI] = 0xFFFE;
    c->gpr[R_EDI] = 0x300;
    c->gpr[R_ECX] = 4;
    RUN_ALL(0x67, 0xF3, 0xA6);                  /* a16 repe cmpsb: equal across the wrap */
    cr_assert_eq(c->gpr[R_ESI], 0x0002);
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
}

/* ---------------- the 4 GiB wrap ---------------- */

Test(emulate_forms, rep_movsb_wraps_at_4g_upwards)
{
    paging_wrap();
    ram[0xBFFFFE] = 1; ram[0xBFFFFF] = 2; ram[0] = 3; ram[1] = 4;
    c->gpr[R_ESI] = 0xFFFFFFFE;
    c->gpr[R_EDI] = 0x300;
    c->gpr[R_ECX] = 4;
    RUN_ALL(0xF3, 0xA4);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(get32(0x300), 0x04030201);
    cr_assert_eq(c->gpr[R_ESI], 2);
    cr_assert_eq(c->gpr[R_EDI], 0x304);
}

Test(emulate_forms, rep_stosd_wraps_at_4g_downwards)
{
    paging_wrap();
    c->gpr[R_EDI] = 4;
    c->gpr[R_ECX] = 3;
    c->gpr[R_EAX] = 0xC0FFEE00;
    vcpu_set_eflags(c, FL_DF);
    RUN_ALL(0xF3, 0xAB);
    cr_assert_eq(get32(4), 0xC0FFEE00);
    cr_assert_eq(get32(0), 0xC0FFEE00);
    cr_assert_eq(get32(0xBFFFFC), 0xC0FFEE00, "linear 0xFFFFFFFC");
    cr_assert_eq(c->gpr[R_EDI], 0xFFFFFFF8);
    cr_assert_eq(c->gpr[R_ECX], 0);
}

Test(emulate_forms, lodsd_scasd_wrap_both_ways)
{
    paging_wrap();
    put32(0xBFFFFC, 0x13579BDF);
    c->gpr[R_ESI] = 0xFFFFFFFC;
    RUN_ALL(0xAD);                              /* lodsd, DF=0: ESI -> 0 */
    cr_assert_eq(c->gpr[R_EAX], 0x13579BDF);
    cr_assert_eq(c->gpr[R_ESI], 0);
    c->gpr[R_EDI] = 0;
    vcpu_set_eflags(c, FL_DF);
    put32(0, 0x13579BDF);
    RUN_ALL(0xAF);                              /* scasd, DF=1: EDI -> 0xFFFFFFFC */
    cr_assert_eq(c->gpr[R_EDI], 0xFFFFFFFC);
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
}

/* ---------------- segments ---------------- */

Test(emulate_forms, source_segment_override)
{
    seg_set_raw(&c->seg[S_FS], FS_SEL, 0x50000, 0xFFFFFFFFu, 0xC093);
    ram[0x50010] = 0x77;
    ram[0x10] = 0x11;
    c->gpr[R_ESI] = 0x10;
    c->gpr[R_EDI] = 0x20;
    RUN_ALL(0x64, 0xA4);                        /* movsb fs:[esi] -> es:[edi] */
    cr_assert_eq(ram[0x20], 0x77);
    c->gpr[R_EDI] = 0x30;
    c->gpr[R_EAX] = 0x99;
    RUN_ALL(0x64, 0xAA);                        /* stosb: ES, the override does not apply */
    cr_assert_eq(ram[0x30], 0x99);
    cr_assert_eq(ram[0x50030], 0);
    c->gpr[R_ESI] = 0x10;
    RUN_ALL(0x64, 0xAC);                        /* lodsb fs:[esi] */
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 0x77);
}

Test(emulate_forms, rmw_on_read_only_segment_and_page)
{
    seg_set_raw(&c->seg[S_DS], RO_SEL, 0, 0xFFFFFFFFu, 0xC091);
    c->gpr[R_EBX] = DATA;
    put32(DATA, 5);
    RUN(0x09, 0x03);                            /* or [ebx], eax */
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    /* 4 KiB pages, all writable but DATA's: a locked RMW faults on its
     * read for ownership, with W set in the error code. */
    put32(0x20000, 0x21000 | 0x23);
    for (uint32_t i = 0; i < 1024; i++)
        put32(0x21000 + 4 * i, i << 12 | (i == DATA >> 12 ? 0x21 : 0x23));
    c->cr3 = 0x20000;
    c->cr0 |= CR0_PG | CR0_WP;
    c->gpr[R_EBX] = DATA;
    c->gpr[R_ECX] = 3;
    RUN(0xF0, 0x0F, 0xAB, 0x0B);                /* lock bts [ebx], ecx */
    check_exc(EXC_PF, true, PFERR_P | PFERR_W, CODE);
    cr_assert_eq(c->cr2, DATA);
    cr_assert_eq(get32(DATA), 0);
}

/* ---------------- REP: faults and batches ---------------- */

Test(emulate_forms, fault_inside_rep_is_exact_and_restartable)
{
    put32(0x20000, 0x00000083);                 /* 0-4 MiB; above: absent */
    c->cr3 = 0x20000;
    c->cr4 |= CR4_PSE;
    c->cr0 |= CR0_PG;
    put32(0x3FFFF8, 0xAAAAAAAA);
    put32(0x3FFFFC, 0xBBBBBBBB);
    c->gpr[R_ESI] = 0x3FFFF8;
    c->gpr[R_EDI] = 0x100;
    c->gpr[R_ECX] = 4;
    RUN(0xF3, 0xA5);                            /* rep movsd into the hole */
    check_exc(EXC_PF, true, 0, CODE);
    cr_assert_eq(c->cr2, 0x400000);
    cr_assert_eq(c->gpr[R_ESI], 0x400000);
    cr_assert_eq(c->gpr[R_EDI], 0x108);
    cr_assert_eq(c->gpr[R_ECX], 2);
    cr_assert_eq(get32(0x104), 0xBBBBBBBB);
    /* The handler maps the page and returns to the instruction. */
    put32(0x20004, 0x00400083);
    put32(0x400000, 0xCCCCCCCC);
    put32(0x400004, 0xDDDDDDDD);
    c->eip = CODE;
    RUN_ALL(0xF3, 0xA5);
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert_eq(get32(0x108), 0xCCCCCCCC);
    cr_assert_eq(get32(0x10C), 0xDDDDDDDD);
    cr_assert_eq(c->gpr[R_EDI], 0x110);
}

Test(emulate_forms, long_rep_runs_in_batches)
{
    c->gpr[R_EDI] = DATA;
    c->gpr[R_ECX] = 10000;
    c->gpr[R_EAX] = 0x5C;
    RUN(0xF3, 0xAA);
    cr_assert_eq(c->eip, CODE, "more to do: EIP stays");
    cr_assert_lt(c->gpr[R_ECX], 10000u);
    cr_assert_eq(c->gpr[R_EDI], DATA + (10000 - c->gpr[R_ECX]));
    RUN_ALL(0xF3, 0xAA);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert_eq(ram[DATA + 9999], 0x5C);
    cr_assert_eq(ram[DATA + 10000], 0);
}

/* ---------------- stack with memory operands ---------------- */

Test(emulate_forms, push_pop_memory)
{
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0x01020304);
    RUN(0xFF, 0x33);                            /* push dword [ebx] */
    cr_assert_eq(get32(STACK - 4), 0x01020304);
    cr_assert_eq(c->gpr[R_ESP], STACK - 4);
    RUN(0x66, 0xFF, 0x33);                      /* push word [ebx] */
    cr_assert_eq(get16(STACK - 6), 0x0304);
    cr_assert_eq(c->gpr[R_ESP], STACK - 6);
    RUN(0x66, 0x8F, 0x43, 0x08);                /* pop word [ebx+8] */
    cr_assert_eq(get16(DATA + 8), 0x0304);
    /* POP [ESP+4]: the address uses ESP after the pop (SDM vol. 2, POP). */
    put32(STACK - 4, 0xFEEDF00D);
    RUN(0x8F, 0x44, 0x24, 0x04);
    cr_assert_eq(c->gpr[R_ESP], STACK);
    cr_assert_eq(get32(STACK + 4), 0xFEEDF00D);
}

/* ---------------- what the model lacks; FPU/SSE control bits ---------------- */

Test(emulate_forms, movbe_is_invalid)
{
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x38, 0xF0, 0x03);                /* movbe eax, [ebx] */
    check_exc(EXC_UD, false, 0, CODE);
}

Test(emulate_forms, sse_moves_obey_cr0_cr4)
{
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x10, 0x03);                      /* movups xmm0, [ebx]: OSFXSR clear */
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    c->cr4 |= CR4_OSFXSR;
    c->cr0 |= CR0_TS;
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x10, 0x03);
    check_exc(EXC_NM, false, 0, CODE);
    reset();
    c->cr0 |= CR0_EM;
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x6F, 0x03);                      /* movq mm0, [ebx] under EM */
    check_exc(EXC_UD, false, 0, CODE);
}

Test(emulate_forms, mmx_move_sets_tags_and_top)
{
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0x11223344);
    put32(DATA + 4, 0x55667788);
    c->fx_guest[2] = 0x00; c->fx_guest[3] = 0x38;   /* FSW.TOP = 7 */
    c->fx_guest[4] = 0x00;                          /* all empty */
    RUN(0x0F, 0x6F, 0x1B);                      /* movq mm3, [ebx] */
    cr_assert_eq(c->eip, CODE + 3);
    uint32_t lo, hi;
    memcpy(&lo, c->fx_guest + 32 + 48, 4);
    memcpy(&hi, c->fx_guest + 32 + 52, 4);
    cr_assert_eq(lo, 0x11223344);
    cr_assert_eq(hi, 0x55667788);
    cr_assert_eq(c->fx_guest[32 + 48 + 8], 0xFF, "exponent bits set to ones");
    cr_assert_eq(c->fx_guest[32 + 48 + 9], 0xFF);
    cr_assert_eq(c->fx_guest[3] & 0x38, 0, "TOP = 0");
    cr_assert_eq(c->fx_guest[4], 0xFF, "all tags valid");
}

Test(emulate_forms, divide_error_is_a_fault)
{
    c->gpr[R_EBX] = DATA;
    c->gpr[R_EAX] = 100;
    RUN(0xF7, 0x33);                            /* div dword [ebx] = 0 */
    check_exc(EXC_DE, false, 0, CODE);
    cr_assert_eq(c->gpr[R_EAX], 100);
}

/* ---- x87 memory forms (cpu/em_x87.c) -------------------------------------- */

/* The guest's FXSAVE image as after FNINIT (all exceptions masked, round to
 * nearest) and, when push, FLD of v. */
static void x87_image(bool push, double v)
{
    _Alignas(16) uint8_t mine[512];
    if (push)
        __asm__ volatile("fxsave64 %0\n\tfninit\n\tfldl %2\n\tfxsave64 %1\n\tfxrstor64 %0"
                         : "=m"(mine), "=m"(*(uint8_t(*)[512])c->fx_guest) : "m"(v));
    else
        __asm__ volatile("fxsave64 %0\n\tfninit\n\tfxsave64 %1\n\tfxrstor64 %0"
                         : "=m"(mine), "=m"(*(uint8_t(*)[512])c->fx_guest));
}

static uint16_t x87_fsw(void)
{
    uint16_t v;
    memcpy(&v, c->fx_guest + 2, 2);
    return v;
}

Test(emulate_forms, x87_store_and_load_through_memory)
{
    x87_image(true, 3.75);
    c->gpr[R_EBX] = DATA;
    RUN(0xDB, 0x1B);                            /* fistp dword [ebx] */
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(get32(DATA), 4, "3.75 rounded to nearest: %d", (int)get32(DATA));
    cr_assert_eq(x87_fsw() & 0x3800, 0, "the stack popped: TOP back to 0");
    cr_assert_eq(c->fx_guest[4], 0, "ST0 empty again");
    uint64_t fdp;
    memcpy(&fdp, c->fx_guest + 16, 8);
    cr_assert_eq(fdp, DATA, "last operand pointer is the guest's offset");

    reset();
    x87_image(false, 0);
    float f = 2.5f;
    memcpy(ram + DATA, &f, 4);
    c->gpr[R_EBX] = DATA;
    RUN(0xD9, 0x03);                            /* fld dword [ebx] */
    cr_assert_eq(c->eip, CODE + 2);
    RUN(0xDD, 0x5B, 0x08);                      /* fstp qword [ebx+8], next */
    cr_assert_eq(c->eip, CODE + 5);
    double d;
    memcpy(&d, ram + DATA + 8, 8);
    cr_assert_eq(d, 2.5, "stored %f", d);

    reset();
    x87_image(false, 0);
    c->gpr[R_EBX] = DATA;
    RUN(0xD9, 0x3B);                            /* fnstcw [ebx] */
    cr_assert_eq(get16(DATA), 0x037F, "FNINIT's control word, got 0x%x", get16(DATA));
}

/* An invalid-operation exception, unmasked, pending in the image: IE and
 * ES in FSW, IM clear in FCW (FXRSTOR keeps ES only with such a flag). */
static void pending_invalid(void)
{
    c->fx_guest[0] &= ~1;
    c->fx_guest[2] |= 0x81;
}

Test(emulate_forms, x87_faults)
{
    x87_image(true, 1.0);
    c->cr0 |= CR0_TS;
    c->gpr[R_EBX] = DATA;
    RUN(0xD9, 0x13);                            /* fst dword [ebx] under TS */
    check_exc(EXC_NM, false, 0, CODE);

    reset();
    x87_image(true, 1.0);
    pending_invalid();
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0xAAAAAAAA);
    RUN(0xD9, 0x13);                            /* fst: waits, so #MF first */
    check_exc(EXC_MF, false, 0, CODE);
    cr_assert_eq(get32(DATA), 0xAAAAAAAA, "nothing stored");
    reset();
    x87_image(true, 1.0);
    pending_invalid();
    c->gpr[R_EBX] = DATA;
    RUN(0xDD, 0x3B);                            /* fnstsw [ebx]: no wait */
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert(get16(DATA) & 0x80, "FSW with ES stored");
}

Test(emulate_forms, leave_32_and_16)
{
    c->gpr[R_EBP] = STACK - 8;
    c->gpr[R_ESP] = STACK - 64;
    put32(STACK - 8, 0x12345678);
    RUN(0xC9);                                  /* leave */
    cr_assert_eq(c->eip, CODE + 1);
    cr_assert_eq(c->gpr[R_ESP], STACK - 4);
    cr_assert_eq(c->gpr[R_EBP], 0x12345678);
    reset();
    c->gpr[R_EBP] = STACK - 8;                  /* a 32-bit stack: ESP := EBP whole */
    c->gpr[R_ESP] = STACK - 64;
    put32(STACK - 8, 0x12345678);
    RUN(0x66, 0xC9);                            /* leavew: BP := pop16, EBP's top kept */
    cr_assert_eq(c->gpr[R_ESP], STACK - 6);
    cr_assert_eq(c->gpr[R_EBP], ((STACK - 8) & 0xFFFF0000u) | 0x5678u, "EBP 0x%x", c->gpr[R_EBP]);
}

Test(emulate_forms, sign_extensions_of_eax)
{
    c->gpr[R_EAX] = 0x12348081u;
    RUN(0x66, 0x98);                            /* cbw */
    cr_assert_eq(c->gpr[R_EAX], 0x1234FF81u);
    RUN(0x98);                                  /* cwde */
    cr_assert_eq(c->gpr[R_EAX], 0xFFFFFF81u);
    c->gpr[R_EDX] = 0x55555555u;
    RUN(0x99);                                  /* cdq */
    cr_assert_eq(c->gpr[R_EDX], 0xFFFFFFFFu);
    c->gpr[R_EAX] = 0x00007000u;
    RUN(0x66, 0x99);                            /* cwd */
    cr_assert_eq(c->gpr[R_EDX], 0xFFFF0000u);
    cr_assert_eq(c->eip, CODE + 6);
}
