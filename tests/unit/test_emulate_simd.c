/*
 * tests/unit/test_emulate_simd.c - the MMX/SSE/SSE2/SSE3 forms of the
 * emulator (cpu/em_simd.c) beyond what test_emulate_table.c compares with
 * the host: that cpu/simd_forms.h holds exactly the model's encodings
 * (every 0F xx with each mandatory prefix, register and memory forms,
 * decoded by Zydis), and the rules the host cannot show in a user-mode
 * stub: #UD instead of #XM without CR4.OSXMMEXCPT, #GP(0) for a misaligned
 * 128-bit operand (and none for LDDQU), #MF before an MMX form with an x87
 * exception pending, CR0.EM/TS and CR4.OSFXSR, a store that faults leaving
 * memory and registers alone, EMMS.  Expected values from the SDM.
 */
#include "emulate_fixture.h"
#include "cpu/fpu.h"
#include "cpu/simd_forms.h"

static void sse_on(void)
{
    c->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
}

static void simd_setup(void)
{
    setup();
    sse_on();
}

TestSuite(emulate_simd, .init = simd_setup, .fini = teardown);

static uint32_t mxcsr(void)
{
    uint32_t m;
    memcpy(&m, c->fx_guest + FX_MXCSR, 4);
    return m;
}

static void set_mxcsr(uint32_t m)
{
    memcpy(c->fx_guest + FX_MXCSR, &m, 4);
}

static void set_xmm(int i, uint32_t a, uint32_t b, uint32_t d, uint32_t e)
{
    uint32_t v[4] = { a, b, d, e };
    memcpy(c->fx_guest + FX_XMM(i), v, 16);
}

static bool model_simd(const ZydisDecodedInstruction *in)
{
    ZydisISAExt x = in->meta.isa_ext;
    return in->opcode_map == ZYDIS_OPCODE_MAP_0F && cpu_model_insn(in) != MODEL_UD &&
           (x == ZYDIS_ISA_EXT_MMX || x == ZYDIS_ISA_EXT_SSE || x == ZYDIS_ISA_EXT_SSE2 ||
            x == ZYDIS_ISA_EXT_SSE3);
}

/* Every encoding pfx 0F op ModRM imm8 that Zydis decodes as an MMX, SSE,
 * SSE2 or SSE3 instruction of the model runs in the emulator to its end,
 * never a stop and, with MXCSR masking everything and an aligned operand,
 * no exception.  In 16-bit code (CS.D = 0) as in 32-bit: the mandatory
 * prefix 66 means the same in both (SDM vol. 2A, 2.1.2). */
static unsigned sweep(bool code16)
{
    static const uint8_t pfxs[4] = { 0, 0x66, 0xF3, 0xF2 };
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, code16 ? ZYDIS_MACHINE_MODE_LEGACY_16 : ZYDIS_MACHINE_MODE_LEGACY_32,
                     code16 ? ZYDIS_STACK_WIDTH_16 : ZYDIS_STACK_WIDTH_32);
    uint32_t start = code16 ? 0 : CODE;
    if (code16) {           /* CS at CODE, DS and ES at DATA: [bx+si] = [di] = DATA */
        seg_set_raw(&c->seg[S_CS], K_CS, CODE, 0xFFFF, 0x009B);
        seg_set_raw(&c->seg[S_DS], K_DS, DATA, 0xFFFF, 0x0093);
        seg_set_raw(&c->seg[S_ES], K_DS, DATA, 0xFFFF, 0x0093);
    }
    uint32_t base = code16 ? 0 : DATA;
    unsigned tried = 0;
    uint8_t fx0[512];
    memcpy(fx0, c->fx_guest, sizeof fx0);     /* FNINIT's state, MXCSR 0x1F80 */
    for (int p = 0; p < 4; p++)
        for (unsigned op = 0; op < 256; op++)
            for (unsigned form = 0; form < 16; form++) {
                /* ModRM.reg 0-7 with [eax] or [bx+si] (mod 0, rm 0), then with register 1 */
                unsigned modrm = (form & 7) << 3 | (form < 8 ? 0x00 : 0xC1);
                uint8_t b[6];
                unsigned n = 0;
                if (pfxs[p])
                    b[n++] = pfxs[p];
                b[n++] = 0x0F;
                b[n++] = (uint8_t)op;
                b[n++] = (uint8_t)modrm;
                b[n++] = 0x05;
                b[n++] = 0x90;
                ZydisDecodedInstruction in;
                ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
                if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, b, n, &in, ops)) || !model_simd(&in))
                    continue;
                c->eip = start;
                memcpy(c->fx_guest, fx0, sizeof fx0);   /* after LDMXCSR, FXRSTOR */
                memset(c->gpr, 0, sizeof c->gpr);
                c->gpr[R_EAX] = c->gpr[R_EDI] = base;
                c->gpr[R_ESP] = STACK;
                memcpy(ram + c->seg[S_CS].base + start, b, n);
                enum em_result r = emulate_step(c, &info);
                const char *name = ZydisMnemonicGetString(in.mnemonic);
                cr_assert_eq(r, EM_OK, "%02x 0F %02x %02x (%s): the emulator stopped", pfxs[p], op,
                             modrm, name);
                cr_assert_eq(c->eip, start + in.length, "%02x 0F %02x %02x (%s): eip %#x", pfxs[p],
                             op, modrm, name, c->eip);
                tried++;
            }
    return tried;
}

Test(emulate_simd, every_model_encoding_runs)
{
    unsigned n32 = sweep(false), n16 = sweep(true);
    cr_log_info("%u model SIMD encodings run in 32-bit code, %u in 16-bit code", n32, n16);
    cr_assert_gt(n32, 3000);
    cr_assert_eq(n16, n32);
}

/* The other way round: every row of cpu/simd_forms.h, in each form it
 * lists, is an encoding Zydis decodes as a model SIMD instruction with
 * that mandatory prefix, so no row lets the host run something the model
 * lacks. */
struct row { uint8_t pfx, op, digit, imm, forms; };
#define ROW(pfx, op, digit, imm, forms, flags) { pfx, op, digit, imm, forms },
static const struct row rows[] = { SIMD_FORMS(ROW) };

Test(emulate_simd, every_row_is_a_model_encoding)
{
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (int mem = 0; mem < 2; mem++) {
            const struct row *r = &rows[i];
            if (!(r->forms & (mem ? SF_MEM : SF_REG)))
                continue;
            unsigned reg = r->digit == SF_R ? 2 : r->digit;
            uint8_t b[6];
            unsigned n = 0;
            if (r->pfx)
                b[n++] = r->pfx;
            b[n++] = 0x0F;
            b[n++] = r->op;
            b[n++] = (uint8_t)((mem ? 0x00 : 0xC0) | reg << 3 | 3);
            b[n++] = 0x07;
            ZydisDecodedInstruction in;
            ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
            cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b, n, &in, ops)),
                      "row %zu (%02x 0F %02x) form %d: not an instruction", i, r->pfx, r->op, mem);
            cr_assert(model_simd(&in), "row %zu (%02x 0F %02x): %s is not a model SIMD instruction",
                      i, r->pfx, r->op, ZydisMnemonicGetString(in.mnemonic));
            cr_assert_eq(in.length, n - (r->imm == SF_NOIMM), "row %zu: the immediate", i);
            uint8_t mandatory = 0;
            for (int k = 0; k < in.raw.prefix_count; k++)
                if (in.raw.prefixes[k].type == ZYDIS_PREFIX_TYPE_MANDATORY)
                    mandatory = in.raw.prefixes[k].value;
            cr_assert_eq(mandatory, r->pfx, "row %zu (%02x 0F %02x): mandatory prefix %02x", i,
                         r->pfx, r->op, mandatory);
        }
}

/* ---------------- the rules ---------------- */

/* DIVSS 1.0 / 0 with divide-by-zero unmasked: the exception is #XM with
 * CR4.OSXMMEXCPT, #UD without (SDM vol. 1 11.5.3.2 step 2); either way ZE
 * is set and XMM0 keeps its value.  Masked, the quotient is +inf. */
Test(emulate_simd, unmasked_exception_is_xm_or_ud)
{
    static const uint8_t divss[] = { 0xF3, 0x0F, 0x5E, 0xC1 };     /* divss xmm0, xmm1 */
    for (int osxmm = 1; osxmm >= 0; osxmm--) {
        reset();
        c->cr4 |= CR4_OSFXSR | (osxmm ? CR4_OSXMMEXCPT : 0);
        set_xmm(0, 0x3F800000, 0x11111111, 0x22222222, 0x33333333);
        set_xmm(1, 0, 0, 0, 0);
        set_mxcsr(0x1F80 & ~0x0200u);                              /* ZM clear */
        cr_assert_eq(run_bytes(divss, sizeof divss), EM_OK);
        check_exc(osxmm ? EXC_XM : EXC_UD, false, 0, CODE);
        cr_assert_eq(mxcsr(), 0x1D84, "ZE set: %#x", mxcsr());
        uint32_t x0;
        memcpy(&x0, c->fx_guest + FX_XMM(0), 4);
        cr_assert_eq(x0, 0x3F800000, "destination unchanged");
    }
    reset();
    sse_on();
    set_xmm(0, 0x3F800000, 0, 0, 0);
    set_xmm(1, 0, 0, 0, 0);
    cr_assert_eq(run_bytes(divss, sizeof divss), EM_OK);
    cr_assert_eq(c->eip, CODE + 4);
    uint32_t x0;
    memcpy(&x0, c->fx_guest + FX_XMM(0), 4);
    cr_assert_eq(x0, 0x7F800000, "masked: +inf");
    cr_assert_eq(mxcsr(), 0x1F84);
}

/* A 128-bit legacy-SSE memory operand must be 16-byte aligned, else
 * #GP(0) before it is read (SDM vol. 1 11.4.1); LDDQU is explicitly
 * unaligned, and 64-bit and smaller operands have no such rule. */
Test(emulate_simd, misaligned_128_bit_operand_is_gp0)
{
    set_xmm(0, 1, 2, 3, 4);
    c->gpr[R_EBX] = DATA + 4;
    RUN(0x0F, 0x58, 0x03);                                      /* addps xmm0, [ebx] */
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    sse_on();
    c->gpr[R_EBX] = DATA + 4;
    RUN(0x66, 0x0F, 0xFE, 0x03);                                /* paddd xmm0, [ebx] */
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    sse_on();
    c->gpr[R_EBX] = DATA + 4;
    put32(DATA + 4, 0xAABBCCDD);
    RUN(0xF2, 0x0F, 0xF0, 0x03);                                /* lddqu xmm0, [ebx] */
    cr_assert_eq(c->eip, CODE + 4, "LDDQU: no alignment rule");
    cr_assert_eq(get32(DATA + 4), 0xAABBCCDD);
    uint32_t x0;
    memcpy(&x0, c->fx_guest + FX_XMM(0), 4);
    cr_assert_eq(x0, 0xAABBCCDD);
    c->eip = CODE;
    RUN(0x0F, 0x16, 0x03);                                      /* movhps xmm0, [ebx]: m64 */
    cr_assert_eq(c->eip, CODE + 3);
    c->eip = CODE;
    c->gpr[R_EBX] = DATA + 1;
    RUN(0x0F, 0x58, 0x43, 0x0F);                                /* addps xmm0, [ebx+15] */
    cr_assert_eq(c->eip, CODE + 4, "the address, not the base register, is aligned");
}

/* An instruction with an MMX operand waits for a pending unmasked x87
 * exception (#MF), as a waiting x87 instruction does; CVTPI2PS waits in
 * its memory form too, and EMMS; an SSE form without MMX operands does
 * not wait. */
Test(emulate_simd, mmx_forms_wait_for_x87_exceptions)
{
    static const uint8_t paddb[] = { 0x0F, 0xFC, 0xC1 };            /* paddb mm0, mm1 */
    static const uint8_t cvtpi2ps[] = { 0x0F, 0x2A, 0x03 };         /* cvtpi2ps xmm0, [ebx] */
    static const uint8_t emms[] = { 0x0F, 0x77 };
    static const uint8_t pshufw[] = { 0x0F, 0x70, 0xC1, 0x1B };     /* pshufw mm0, mm1, 0x1b */
    const uint8_t *mmx[] = { paddb, cvtpi2ps, emms, pshufw };
    const size_t len[] = { 3, 3, 2, 4 };
    for (int i = 0; i < 4; i++) {
        reset();
        sse_on();
        c->gpr[R_EBX] = DATA;
        c->fx_guest[FX_FCW] = 0x7B;                 /* ZM clear */
        c->fx_guest[FX_FSW] = 0x84;                 /* ZE and ES: pending */
        uint8_t before[512];
        memcpy(before, c->fx_guest, sizeof before);
        cr_assert_eq(run_bytes(mmx[i], len[i]), EM_OK);
        check_exc(EXC_MF, false, 0, CODE);
        cr_assert_arr_eq(c->fx_guest, before, sizeof before, "form %d: nothing changed", i);
    }
    c->eip = CODE;
    RUN(0x0F, 0x58, 0xC1);                                      /* addps xmm0, xmm1 */
    cr_assert_eq(c->eip, CODE + 3, "no MMX operand: no wait");
}

/* CR0.EM: #UD for MMX and SSE forms; CR0.TS: #NM; CR4.OSFXSR clear: #UD
 * for a form with XMM registers, while MMX forms (PSHUFW too, an SSE
 * instruction on MMX registers) run (SDM vol. 3A 2.5, Table 2-2). */
Test(emulate_simd, control_bits)
{
    static const uint8_t paddb[] = { 0x0F, 0xFC, 0xC1 };
    static const uint8_t addps[] = { 0x0F, 0x58, 0xC1 };
    static const uint8_t pshufw[] = { 0x0F, 0x70, 0xC1, 0x1B };
    static const uint8_t cvtpi2ps[] = { 0x0F, 0x2A, 0xC1 };     /* cvtpi2ps xmm0, mm1 */
    reset();
    c->cr0 |= CR0_EM;
    sse_on();
    run_bytes(paddb, 3);
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    c->cr0 |= CR0_EM;
    sse_on();
    run_bytes(addps, 3);
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    c->cr0 |= CR0_TS;
    sse_on();
    run_bytes(paddb, 3);
    check_exc(EXC_NM, false, 0, CODE);
    reset();
    c->cr0 |= CR0_TS;
    sse_on();
    run_bytes(addps, 3);
    check_exc(EXC_NM, false, 0, CODE);
    reset();                                                    /* OSFXSR clear */
    run_bytes(addps, 3);
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    run_bytes(cvtpi2ps, 3);
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    run_bytes(paddb, 3);
    cr_assert_eq(c->eip, CODE + 3, "MMX without OSFXSR");
    c->eip = CODE;
    run_bytes(pshufw, 4);
    cr_assert_eq(c->eip, CODE + 4, "PSHUFW without OSFXSR");
}

/* Faults on the memory operand leave everything as it was: a load from a
 * page that is not present (#PF, XMM0 and MXCSR unchanged), a store
 * through a read-only segment (#GP(0)) and to a read-only page (#PF with
 * W), memory unchanged. */
Test(emulate_simd, memory_faults_are_precise)
{
    put32(0x20000, 0x21000 | 0x23);
    for (uint32_t i = 0; i < 1024; i++)
        put32(0x21000 + 4 * i, i << 12 | (i == DATA >> 12 ? 0x21 : i == (DATA >> 12) + 1 ? 0 : 0x23));
    c->cr3 = 0x20000;
    c->cr0 |= CR0_PG | CR0_WP;
    set_xmm(0, 0x3F800000, 0x3F800000, 0x3F800000, 0x3F800000);
    set_xmm(1, 0x01020304, 0x05060708, 0x090A0B0C, 0x0D0E0F10);
    uint8_t before[512];
    memcpy(before, c->fx_guest, sizeof before);
    c->gpr[R_EBX] = DATA + 4096;
    RUN(0x0F, 0x5E, 0x03);                                      /* divps xmm0, [ebx] */
    check_exc(EXC_PF, true, 0, CODE);
    cr_assert_eq(c->cr2, DATA + 4096);
    cr_assert_arr_eq(c->fx_guest, before, sizeof before, "registers and MXCSR unchanged");
    c->eip = CODE;
    c->gpr[R_ESP] = STACK;
    c->gpr[R_EBX] = DATA + 8;
    put32(DATA + 8, 0xCAFEBABE);
    RUN(0x0F, 0x17, 0x0B);                                      /* movhps [ebx], xmm1 */
    check_exc(EXC_PF, true, PFERR_P | PFERR_W, CODE);
    cr_assert_eq(get32(DATA + 8), 0xCAFEBABE);
    c->eip = CODE;
    c->gpr[R_ESP] = STACK;
    c->cr0 &= ~CR0_PG;
    seg_set_raw(&c->seg[S_DS], RO_SEL, 0, 0xFFFFFFFFu, 0xC091);
    RUN(0x66, 0x0F, 0x13, 0x0B);                                /* movlpd [ebx], xmm1 */
    check_exc(EXC_GP, true, 0, CODE);
    cr_assert_eq(get32(DATA + 8), 0xCAFEBABE);
}

/* EMMS tags every x87 register empty (SDM vol. 2A, EMMS); an MMX
 * instruction had tagged them valid. */
Test(emulate_simd, emms_empties_the_tags)
{
    RUN(0x0F, 0xEF, 0xC0);                                      /* pxor mm0, mm0 */
    cr_assert_eq(c->fx_guest[FX_FTW], 0xFF);
    c->eip = CODE;
    RUN(0x0F, 0x77);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(c->fx_guest[FX_FTW], 0x00);
}

/* CLFLUSH (SSE2's cacheability control, SDM vol. 1 11.4.4): nothing to
 * flush, but the checks of a byte load: #GP(0) beyond DS's limit, #SS(0)
 * through SS, #PF (a read) for a page that is not present; allowed
 * through an execute-only code segment, where a load is #GP(0). */
Test(emulate_simd, clflush_checks_like_a_byte_load)
{
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0x12345678);
    RUN(0x0F, 0xAE, 0x3B);                                      /* clflush [ebx] */
    cr_assert_eq(c->eip, CODE + 3);
    cr_assert_eq(get32(DATA), 0x12345678);
    c->eip = CODE;
    seg_set_raw(&c->seg[S_DS], K_DS, 0, 0xFFFF, 0x0093);
    RUN(0x0F, 0xAE, 0x3B);
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    seg_set_raw(&c->seg[S_SS], K_DS, 0, 0xFFFFF, 0xC093);      /* 4 KiB granular: 4 GiB */
    c->seg[S_SS].limit = 0xFFFF;
    c->gpr[R_EBX] = DATA;
    RUN(0x36, 0x0F, 0xAE, 0x3B);                                /* clflush ss:[ebx] */
    check_exc(EXC_SS, true, 0, CODE);
    reset();
    seg_set_raw(&c->seg[S_CS], K_CS, 0, 0xFFFFFFFFu, 0xC099);  /* execute-only */
    c->gpr[R_EBX] = DATA;
    RUN(0x2E, 0x0F, 0xAE, 0x3B);                                /* clflush cs:[ebx] */
    cr_assert_eq(c->eip, CODE + 4, "execute-only: allowed");
    c->eip = CODE;
    RUN(0x2E, 0x8B, 0x03);                                      /* mov eax, cs:[ebx] */
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    put32(0x20000, 0x000000E3);                                 /* 0-4 MiB, 4 MiB page */
    c->cr3 = 0x20000;
    c->cr4 |= CR4_PSE;
    c->cr0 |= CR0_PG;
    c->gpr[R_EBX] = 0x00400000;                                 /* no PDE */
    RUN(0x0F, 0xAE, 0x3B);
    check_exc(EXC_PF, true, 0, CODE);
    cr_assert_eq(c->cr2, 0x00400000);
}
