/*
 * tests/unit/test_bt_translate.c - the binary translator (bt/translate.c),
 * class by class, on guest code that really runs translated.
 *
 * Each test writes hand-assembled 32-bit code (the assembly is beside every
 * instruction) at 0x10000, runs it through vm_run() until it writes to the
 * debug-exit port, then checks registers, flags, memory and the translator's
 * counters.  See bt_harness.h for the layout and the exit sequence.
 *
 * Suites: classify (copied instructions and the rewritten 32-bit-only
 * forms), stack, branch, string.  The instructions that leave translated
 * code (sensitive ones, faults) are in test_bt_cache.c.
 */
#include <Zydis/Zydis.h>
#include "bt_harness.h"
#include <criterion/parameterized.h>   /* after criterion.h: both define Test() */

TestSuite(classify, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(stack, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(branch, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(string, .init = bth_setup, .fini = bth_teardown, .timeout = 20);

/* ---- classify: copied with GS + 0x67, and the forms 64-bit mode lacks ---- */

/* mod=00 rm=101 is [disp32] in 32-bit code but [rip+disp32] in 64-bit code:
 * the copy must say SIB-absolute instead. */
Test(classify, alu_with_disp32_operands)
{
    static const uint8_t code[] = {
        0xC7, 0x05, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, /* 10000: mov dword [0x20000], 5 */
        0x83, 0x05, 0x00, 0x00, 0x02, 0x00, 0x10, /* 1000a: add dword [0x20000], 0x10 */
        0x83, 0x2D, 0x04, 0x00, 0x02, 0x00, 0x03, /* 10011: sub dword [0x20004], 3 */
        0x80, 0x0D, 0x08, 0x00, 0x02, 0x00, 0x80, /* 10018: or byte [0x20008], 0x80 */
        0x8B, 0x1D, 0x00, 0x00, 0x02, 0x00,      /* 1001f: mov ebx, [0x20000] */
        0x01, 0x1D, 0x0C, 0x00, 0x02, 0x00,      /* 10025: add [0x2000C], ebx */
        0x83, 0x3D, 0x00, 0x00, 0x02, 0x00, 0x15, /* 1002b: cmp dword [0x20000], 0x15 */
        0x0F, 0x94, 0xC1,                        /* 10032: sete cl */
        0xF7, 0x1D, 0x10, 0x00, 0x02, 0x00,      /* 10035: neg dword [0x20010] */
        BTH_EXIT(1),                             /* 1003b: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_wr32(BTH_DATA + 4, 100);
    bth_wr8(BTH_DATA + 8, 0x01);
    bth_wr32(BTH_DATA + 0xC, 0x1000);
    bth_wr32(BTH_DATA + 0x10, 1);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), 0x15);
    cr_assert_eq(REG(EBX), 0x15);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 97);
    cr_assert_eq(bth_rd8(BTH_DATA + 8), 0x81);
    cr_assert_eq(bth_rd32(BTH_DATA + 0xC), 0x1015);
    cr_assert_eq(REG(ECX), 1, "sete after cmp [disp32] that matched");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), 0xFFFFFFFFu);
    cr_assert(bth_eflags() & FL_CF, "neg of a non-zero value sets CF");
    cr_assert(bth_eflags() & FL_SF);
    cr_assert_eq(bth_stats()->bt_blocks, 1, "one TU: nothing here ends a block early");
}

/* SIB with no base (mod=00, base=101: [index*s + disp32]), and the usual
 * base+index, EBP- and ESP-based forms. */
Test(classify, sib_without_base_and_based_forms)
{
    static const uint8_t code[] = {
        0x8B, 0x04, 0x8D, 0x00, 0x00, 0x02, 0x00, /* 10000: mov eax, [0x20000 + ecx*4] */
        0x01, 0x14, 0xCD, 0x00, 0x01, 0x02, 0x00, /* 10007: add [0x20100 + ecx*8], edx */
        0xFF, 0x04, 0x7D, 0x00, 0x02, 0x02, 0x00, /* 1000e: inc dword [edi*2 + 0x20200] */
        0x8B, 0x74, 0x8B, 0x08,                  /* 10015: mov esi, [ebx + ecx*4 + 8] */
        0x89, 0x75, 0xFC,                        /* 10019: mov [ebp - 4], esi */
        0x8B, 0x54, 0x24, 0x04,                  /* 1001c: mov edx, [esp + 4] */
        BTH_EXIT(1),                             /* 10020: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 3, 0x11, 0x20300, 0x20404, 0, 0x10);
    bth_cpu()->gpr[R_ESP] = 0x8FFF0;
    bth_wr32(0x8FFF4, 0xCAFE);
    bth_wr32(BTH_DATA + 0xC, 0xAABBCCDD);
    bth_wr32(BTH_DATA + 0x118, 0x100);
    bth_wr32(BTH_DATA + 0x220, 41);
    bth_wr32(BTH_DATA + 0x314, 0x5555);
    RUN(code);
    cr_assert_eq(bth_eax(), 0xAABBCCDD, "mov eax, [0x20000 + ecx*4]");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x118), 0x111, "add [0x20100 + ecx*8], edx");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x220), 42, "inc dword [edi*2 + 0x20200]");
    cr_assert_eq(REG(ESI), 0x5555, "mov esi, [ebx + ecx*4 + 8]");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x400), 0x5555, "mov [ebp - 4], esi");
    cr_assert_eq(REG(EDX), 0xCAFE, "mov edx, [esp + 4]");
}

/* A0-A3: the moffs forms have no ModRM; with 0x67 the host reads a 32-bit
 * offset, as the guest encoded it. */
Test(classify, moffs_mov)
{
    static const uint8_t code[] = {
        0xA1, 0x00, 0x00, 0x02, 0x00,            /* 10000: mov eax, [0x20000] */
        0xA3, 0x04, 0x00, 0x02, 0x00,            /* 10005: mov [0x20004], eax */
        0xA0, 0x08, 0x00, 0x02, 0x00,            /* 1000a: mov al, [0x20008] */
        0xA2, 0x09, 0x00, 0x02, 0x00,            /* 1000f: mov [0x20009], al */
        0x66, 0xA1, 0x0C, 0x00, 0x02, 0x00,      /* 10014: mov ax, [0x2000C] */
        0x66, 0xA3, 0x10, 0x00, 0x02, 0x00,      /* 1001a: mov [0x20010], ax */
        0x89, 0xC3,                              /* 10020: mov ebx, eax */
        BTH_EXIT(1),                             /* 10022: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_wr32(BTH_DATA, 0x12345678);
    bth_wr8(BTH_DATA + 8, 0x9A);
    bth_wr16(BTH_DATA + 0xC, 0xBEEF);
    bth_wr32(BTH_DATA + 0x10, 0xFFFFFFFFu);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 0x12345678, "A3 stores what A1 loaded");
    cr_assert_eq(bth_rd8(BTH_DATA + 9), 0x9A, "A0/A2 byte forms");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), 0xFFFFBEEFu, "66 A3 stores 16 bits only");
    cr_assert_eq(REG(EBX), 0x1234BEEF, "66 A1 and A0 keep the rest of EAX");
}

/* XLAT: AL = [EBX + unsigned AL], with and without a segment prefix. */
Test(classify, xlat)
{
    static const uint8_t code[] = {
        0xB0, 0x05,                              /* 10000: mov al, 5 */
        0xD7,                                    /* 10002: xlatb */
        0x88, 0xC1,                              /* 10003: mov cl, al */
        0xB0, 0xFE,                              /* 10005: mov al, 0xFE */
        0x26, 0xD7,                              /* 10007: es xlatb */
        BTH_EXIT(1),                             /* 10009: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    for (unsigned i = 0; i < 256; i++)
        bth_wr8(BTH_DATA + 0x100 + i, (uint8_t)(i ^ 0x5A));
    bth_set_regs(0x11223300, 0, 0, BTH_DATA + 0x100, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(ECX) & 0xFF, 5 ^ 0x5A);
    cr_assert_eq(bth_eax(), 0x112233A4u, "AL=0xFE indexes 254, not -2; upper EAX kept");
    cr_assert_eq(REG(EBX), BTH_DATA + 0x100);
}

/* 0x40-0x4F are REX prefixes in 64-bit mode: inc/dec r32 and r16 must be
 * rewritten (FF /0, FF /1), keeping CF as INC/DEC do. */
Test(classify, inc_dec_short_forms)
{
    static const uint8_t code[] = {
        0xF9,                                    /* 10000: stc */
        0x40,                                    /* 10001: inc eax */
        0x4B,                                    /* 10002: dec ebx */
        0x47,                                    /* 10003: inc edi */
        0x0F, 0x90, 0xC1,                        /* 10004: seto cl */
        0x66, 0x40,                              /* 10007: inc ax */
        0x0F, 0x94, 0xC5,                        /* 10009: setz ch */
        0x44,                                    /* 1000c: inc esp */
        0x4C,                                    /* 1000d: dec esp */
        0x4D,                                    /* 1000e: dec ebp */
        0x66, 0x4A,                              /* 1000f: dec dx */
        BTH_EXIT(1),                             /* 10011: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0x1233FFFE, 0, 0xAAAA0001, 0, 0x1000, 0, 0x7FFFFFFF);
    RUN(code);
    cr_assert_eq(bth_eax(), 0x12330000, "inc eax then inc ax (16-bit wrap, upper half kept)");
    cr_assert_eq(REG(EBX), 0xFFFFFFFFu);
    cr_assert_eq(REG(EDI), 0x80000000u);
    cr_assert_eq(REG(ECX), 0x0101, "seto after inc edi (OF), setz after inc ax (ZF)");
    cr_assert_eq(REG(EDX), 0xAAAA0000u, "dec dx touches DX only");
    cr_assert_eq(REG(EBP), 0xFFF);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP, "inc esp; dec esp");
    uint32_t f = bth_eflags();
    cr_assert(f & FL_CF, "stc survives every inc/dec");
    cr_assert(f & FL_ZF);
    cr_assert(!(f & FL_OF));
}

/* 0x82 is an alias of 0x80 (ALU r/m8, imm8) that 64-bit mode does not have. */
Test(classify, alias_0x82_register_forms)
{
    static const uint8_t code[] = {
        0x82, 0xC0, 0x05,                        /* 10000: add al, 5 (0x82 = alias of 0x80) */
        0x82, 0xE9, 0x01,                        /* 10003: sub cl, 1 */
        0x82, 0xF2, 0x0F,                        /* 10006: xor dl, 0x0f */
        0x82, 0xF8, 0x07,                        /* 10009: cmp al, 7 */
        BTH_EXIT(1),                             /* 1000c: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0x102, 0x200, 0xF0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(bth_eax(), 0x107);
    cr_assert_eq(REG(ECX), 0x2FF, "sub cl, 1 borrows within CL only");
    cr_assert_eq(REG(EDX), 0xFF);
    cr_assert(bth_eflags() & FL_ZF, "cmp al, 7");
}

/* F3 0F BC/BD is REP BSF/BSR on the model (no BMI1/ABM): copied as BSF/BSR
 * without an exit.  On a zero source BSF leaves the destination alone and
 * sets ZF, where the host's TZCNT/LZCNT would write 32 and set CF. */
Test(classify, rep_bsf_runs_as_bsf)
{
    static const uint8_t code[] = {
        0xF3, 0x0F, 0xBC, 0xC1,                  /* rep bsf eax, ecx (TZCNT on the host) */
        0xF3, 0x0F, 0xBD, 0xD3,                  /* rep bsr edx, ebx (LZCNT on the host) */
        0xF3, 0x0F, 0xBC, 0xF7,                  /* rep bsf esi, edi */
        BTH_EXIT(1),
    };
    bth_set_regs(0x1234, 0, 0x5678, 0, 0, 0, 0x80);
    RUN(code);
    cr_assert_eq(bth_eax(), 0x1234, "BSF of 0 leaves the destination");
    cr_assert_eq(REG(EDX), 0x5678, "BSR of 0 leaves the destination");
    cr_assert_eq(REG(ESI), 7, "BSF of 0x80");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_TZCNT], 0, "copied, not emulated");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_LZCNT], 0, "copied, not emulated");
}

/* 0x67 on an instruction without a memory operand changes nothing: it is
 * translated as without the prefix, not sent to the emulator (which has no
 * handler for these and would stop the guest). */
Test(classify, address_size_prefix_without_memory_operand)
{
    static const uint8_t code[] = {
        0x67, 0x90,                              /* addr16 nop */
        0x67, 0xF9,                              /* addr16 stc */
        0x67, 0x0F, 0xC8,                        /* addr16 bswap eax */
        0x67, 0xFD,                              /* addr16 std */
        0x67, 0xD9, 0xE8,                        /* addr16 fld1 */
        0x67, 0xDD, 0xD8,                        /* addr16 fstp st0 */
        BTH_EXIT(1),
    };
    bth_set_regs(0x11223344, 0, 0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(bth_eax(), 0x44332211);
    cr_assert(bth_eflags() & FL_CF);
    cr_assert(bth_eflags() & FL_DF);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_NOP], 0, "not emulated");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_BSWAP], 0, "not emulated");
}

Test(classify, alias_0x82_memory_forms)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x82, 0x05, 0x00, 0x00, 0x02, 0x00, 0x07, /* 1000e: add byte [0x20000], 7 */
        0x82, 0x7B, 0x04, 0x10,                  /* 10015: cmp byte [ebx+4], 0x10 */
        BTH_EXIT(1),                             /* 10019: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_install_handler();
    bth_wr8(BTH_DATA, 0xF0);
    bth_wr8(BTH_DATA + 4, 0x10);
    bth_set_regs(0, 0, 0, BTH_DATA, 0, 0, 0);
    bth_load(BTH_CODE, code, sizeof code);
    int st = bth_run();
    cr_assert_eq(bth_stats()->exceptions[EXC_UD], 0,
                 "the guest took #UD at eip %#x: 0x82 with a memory operand must run as "
                 "0x80 (the host has no 0x82 in 64-bit mode)", REG(ESI));
    cr_assert_eq(st, 3, "exit status %d", st);
    cr_assert_eq(bth_rd8(BTH_DATA), 0xF7, "82 05 disp32 07 = add byte [0x20000], 7");
    cr_assert(bth_eflags() & FL_ZF, "82 7B 04 10 = cmp byte [ebx+4], 0x10");
}

/* LEA computes an address and never touches memory: no GS, but 0x67 so the
 * result wraps at 32 bits. */
Test(classify, lea)
{
    static const uint8_t code[] = {
        0x8D, 0x44, 0x8B, 0x10,                  /* 10000: lea eax, [ebx + ecx*4 + 0x10] */
        0x8D, 0x15, 0x34, 0x12, 0x00, 0xF0,      /* 10004: lea edx, [0xF0001234] */
        0x8D, 0x34, 0xF5, 0x00, 0x00, 0x00, 0x00, /* 1000a: lea esi, [esi*8] */
        0x8D, 0xBB, 0x00, 0x00, 0xFD, 0xFF,      /* 10011: lea edi, [ebx - 0x30000] */
        0x66, 0x8D, 0x6B, 0x05,                  /* 10017: lea bp, [ebx + 5] */
        BTH_EXIT(1),                             /* 1001b: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 3, 0, BTH_DATA, 0xABCD0000, 0x1111, 0);
    RUN(code);
    cr_assert_eq(bth_eax(), BTH_DATA + 0x1C);
    cr_assert_eq(REG(EDX), 0xF0001234u, "lea of an address outside RAM does not fault");
    cr_assert_eq(REG(ESI), 0x8888);
    cr_assert_eq(REG(EDI), 0xFFFF0000u);
    cr_assert_eq(REG(EBP), 0xABCD0005u, "16-bit lea keeps the upper half");
    cr_assert_eq(bth_stats()->exits[EXIT_EXCEPTION], 0);
}

/* 0x67 in 32-bit code: 16-bit addressing (BX/BP/SI/DI, wrapping at 64 KiB)
 * has no 64-bit encoding; the translator computes the address first. */
Test(classify, copied_with_16_bit_addressing)
{
    static const uint8_t code[] = {
        0x67, 0x8B, 0x05,                        /* 10000: mov eax, [a16 di] */
        0x67, 0x89, 0x40, 0x04,                  /* 10003: mov [a16 bx + si + 4], eax */
        0x67, 0x8B, 0x0E, 0x00, 0x81,            /* 10007: a16 mov ecx, [0x8100] */
        0x67, 0x8D, 0x53, 0x10,                  /* 1000c: lea edx, [a16 bp + di + 0x10] */
        0x66, 0x67, 0x81, 0x00, 0x34, 0x12,      /* 10010: add word [a16 bx + si], 0x1234 */
        0x67, 0xFE, 0x46, 0x02,                  /* 10016: inc byte [a16 bp + 2] */
        BTH_EXIT(1),                             /* 1001a: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 0, 0, 0xABCDFFF0, 0x1111FFF8, 0x22228014, 0x55558000);
    bth_wr32(0x8000, 0xCAFEBABE);
    bth_wr32(0x8100, 0x600DF00D);
    bth_wr16(0x8004, 0x1111);
    bth_wr8(0xFFFA, 0x41);
    RUN(code);
    cr_assert_eq(bth_eax(), 0xCAFEBABEu, "mov eax, [di]: DI only, not EDI");
    cr_assert_eq(bth_rd32(0x8008), 0xCAFEBABEu, "[bx+si+4] wraps at 64 KiB to 0x8008");
    cr_assert_eq(REG(ECX), 0x600DF00D, "a16 [disp16]");
    cr_assert_eq(REG(EDX), 0x8008, "lea edx, [bp+di+0x10] is the 16-bit offset");
    cr_assert_eq(bth_rd16(0x8004), 0x2345, "66 67 81 00 imm16: immediate after a 16-bit ModRM");
    cr_assert_eq(bth_rd8(0xFFFA), 0x42, "inc byte [bp+2]");
}

/* FS and GS with a base (GDT entry 0x18, base 0x20000): the translated code
 * switches the host GS base to the segment for the access and back to the
 * kernel view after it, for copied, stack and string instructions. */
Test(classify, segments_with_a_base)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x66, 0xB8, 0x18, 0x00,                  /* 1000e: mov ax, 0x18 */
        0x8E, 0xE0,                              /* 10012: mov fs, ax */
        0x8E, 0xE8,                              /* 10014: mov gs, ax */
        0x64, 0x8B, 0x1D, 0x10, 0x00, 0x00, 0x00, /* 10016: mov ebx, [fs:0x10] */
        0x65, 0xC7, 0x04, 0x8D, 0x04, 0x00, 0x00, 0x00, 0x77, 0x00, 0x00, 0x00, /* 1001d: mov dword [gs:ecx*4 + 4], 0x77 */
        0x64, 0xFF, 0x35, 0x14, 0x00, 0x00, 0x00, /* 10029: push dword [fs:0x14] */
        0x5A,                                    /* 10030: pop edx */
        0xBE, 0x18, 0x00, 0x00, 0x00,            /* 10031: mov esi, 0x18 */
        0x64, 0xAD,                              /* 10036: fs lodsd */
        0x89, 0xC5,                              /* 10038: mov ebp, eax */
        0xBE, 0x20, 0x00, 0x00, 0x00,            /* 1003a: mov esi, 0x20 */
        0xBF, 0x00, 0x80, 0x02, 0x00,            /* 1003f: mov edi, 0x28000 */
        0xB9, 0x04, 0x00, 0x00, 0x00,            /* 10044: mov ecx, 4 */
        0xF3, 0x64, 0xA4,                        /* 10049: rep fs movsb */
        0xB8, 0x0D, 0x60, 0x00, 0x00,            /* 1004c: mov eax, 0x600D */
        BTH_EXIT(1),                             /* 10051: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_descriptor_tables(BTH_CODE);
    bth_set_desc(3, BTH_DATA, 0xFFFFF, 0x92, 0xC);     /* 0x18: data, base 0x20000, 4 GiB */
    bth_wr16(BTH_GDTR, 4 * 8 - 1);
    bth_wr32(BTH_DATA + 0x10, 0x1234);
    bth_wr32(BTH_DATA + 0x14, 0x5678);
    bth_wr32(BTH_DATA + 0x18, 0x9ABC);
    bth_wr32(BTH_DATA + 0x20, 0x44332211);
    bth_set_regs(0, 2, 0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(EBX), 0x1234, "mov ebx, [fs:0x10]");
    cr_assert_eq(bth_rd32(BTH_DATA + 0xC), 0x77, "mov [gs:ecx*4+4]");
    cr_assert_eq(REG(EDX), 0x5678, "push [fs:0x14]");
    cr_assert_eq(REG(EBP), 0x9ABC, "fs lodsd");
    cr_assert_eq(bth_rd32(BTH_DATA2), 0x44332211, "rep fs movsb");
    cr_assert_eq(REG(ECX), 0);
    cr_assert_eq(bth_eax(), 0x600D, "the exit's store went through the kernel view again");
    cr_assert_eq(bth_rd32(BTH_DATA + BTH_SAVE_EAX), 0, "... not through FS/GS");
}

/* A mix of copied instructions with memory operands: prefixes (lock, 0x66,
 * 0x0F maps), immediates after the displacement, bit strings. */
Test(classify, copied_mix)
{
    static const uint8_t code[] = {
        0x0F, 0xC9,                              /* 10000: bswap ecx */
        0x87, 0x0D, 0x00, 0x00, 0x02, 0x00,      /* 10002: xchg [0x20000], ecx */
        0xF0, 0x0F, 0xC1, 0x15, 0x04, 0x00, 0x02, 0x00, /* 10008: lock xadd [0x20004], edx */
        0xB8, 0x07, 0x00, 0x00, 0x00,            /* 10010: mov eax, 7 */
        0xF0, 0x0F, 0xB1, 0x1D, 0x08, 0x00, 0x02, 0x00, /* 10015: lock cmpxchg [0x20008], ebx */
        0x0F, 0x94, 0x05, 0x0C, 0x00, 0x02, 0x00, /* 1001d: setz byte [0x2000C] */
        0x0F, 0xB6, 0x35, 0x10, 0x00, 0x02, 0x00, /* 10024: movzx esi, byte [0x20010] */
        0x0F, 0xBF, 0x3D, 0x12, 0x00, 0x02, 0x00, /* 1002b: movsx edi, word [0x20012] */
        0x6B, 0x2D, 0x14, 0x00, 0x02, 0x00, 0x03, /* 10032: imul ebp, [0x20014], 3 */
        0xB8, 0x23, 0x00, 0x00, 0x00,            /* 10039: mov eax, 35 */
        0x0F, 0xA3, 0x05, 0x18, 0x00, 0x02, 0x00, /* 1003e: bt [0x20018], eax */
        0x0F, 0x92, 0x05, 0x0D, 0x00, 0x02, 0x00, /* 10045: setc byte [0x2000D] */
        BTH_EXIT(1),                             /* 1004c: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 0x11223344, 5, 0x99, 0, 0, 0);
    bth_wr32(BTH_DATA, 0xAAAAAAAA);
    bth_wr32(BTH_DATA + 4, 10);
    bth_wr32(BTH_DATA + 8, 7);
    bth_wr8(BTH_DATA + 0x10, 0x80);
    bth_wr16(BTH_DATA + 0x12, 0x8001);
    bth_wr32(BTH_DATA + 0x14, 100);
    bth_wr8(BTH_DATA + 0x1C, 0x08);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), 0x44332211, "bswap then xchg");
    cr_assert_eq(REG(ECX), 0xAAAAAAAAu);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 15, "lock xadd");
    cr_assert_eq(REG(EDX), 10);
    cr_assert_eq(bth_rd32(BTH_DATA + 8), 0x99, "lock cmpxchg stored EBX");
    cr_assert_eq(bth_rd8(BTH_DATA + 0xC), 1, "setz [mem] after cmpxchg");
    cr_assert_eq(REG(ESI), 0x80);
    cr_assert_eq(REG(EDI), 0xFFFF8001u);
    cr_assert_eq(REG(EBP), 300, "imul r, [disp32], imm8");
    cr_assert_eq(bth_rd8(BTH_DATA + 0xD), 1, "bt [0x20018], 35 tests bit 3 of 0x2001C");
}

/* VMX, SVM and the other extensions the CPU model lacks raise #UD at the
 * instruction, as the modelled processor does, and never run on the host
 * (which, itself a VM, may answer VMCALL from user mode without a fault). */
Test(classify, absent_instructions_raise_ud)
{
    static const uint8_t vmcall[] = { 0x0F, 0x01, 0xC1 };
    static const uint8_t vmmcall[] = { 0x0F, 0x01, 0xD9 };
    static const uint8_t rdtscp[] = { 0x0F, 0x01, 0xF9 };
    static const uint8_t popcnt[] = { 0xF3, 0x0F, 0xB8, 0xC1 };
    static const uint8_t pshufb[] = { 0x66, 0x0F, 0x38, 0x00, 0xC1 };
    static const uint8_t vex[] = { 0xC5, 0xF8, 0x77 };      /* vzeroupper */
    const struct { const uint8_t *b; size_t n; } code[] = {
        { vmcall, sizeof vmcall }, { vmmcall, sizeof vmmcall }, { rdtscp, sizeof rdtscp },
        { popcnt, sizeof popcnt }, { pshufb, sizeof pshufb }, { vex, sizeof vex },
    };
    for (size_t k = 0; k < sizeof code / sizeof code[0]; k++) {
        uint8_t prog[32] = { BTH_LOAD_TABLES };
        memcpy(prog + BTH_LOAD_TABLES_LEN, code[k].b, code[k].n);
        bth_install_handler();
        bth_load(BTH_CODE, prog, BTH_LOAD_TABLES_LEN + code[k].n);
        bth_vm->cpu.eip = BTH_CODE;
        uint64_t before = bth_stats()->exceptions[EXC_UD];
        bth_run_expect(BTH_EXC_CODE);
        cr_assert_eq(bth_stats()->exceptions[EXC_UD], before + 1, "instruction %zu: #UD", k);
        cr_assert_eq(REG(ESI), BTH_CODE + BTH_LOAD_TABLES_LEN, "instruction %zu: at it", k);
    }
}

/* ---- stack: rewritten through GS:[ESP] ---- */

Test(stack, push_pop_registers_32_and_16)
{
    static const uint8_t code[] = {
        0x50,                                    /* 10000: push eax */
        0x66, 0x53,                              /* 10001: push bx */
        0x66, 0x59,                              /* 10003: pop cx */
        0x5A,                                    /* 10005: pop edx */
        0x56,                                    /* 10006: push esi */
        0x5F,                                    /* 10007: pop edi */
        BTH_EXIT(1),                             /* 10008: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0x11111111, 0xCCCC0000, 0, 0x2222, 0, 0x5A5A5A5A, 0);
    RUN(code);
    cr_assert_eq(REG(EDX), 0x11111111);
    cr_assert_eq(REG(ECX), 0xCCCC2222u, "pop cx keeps the upper half of ECX");
    cr_assert_eq(REG(EDI), 0x5A5A5A5A);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
    cr_assert_eq(bth_rd16(BTH_STACK_TOP - 6), 0x2222, "push bx moved ESP by 2");
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 4), 0x5A5A5A5A);
}

Test(stack, push_immediates)
{
    static const uint8_t code[] = {
        0x6A, 0xFF,                              /* 10000: push -1 */
        0x68, 0x78, 0x56, 0x34, 0x12,            /* 10002: push 0x12345678 */
        0x66, 0x6A, 0x80,                        /* 10007: push word -128 */
        0x66, 0x68, 0x34, 0x12,                  /* 1000a: push word 0x1234 */
        BTH_EXIT(1),                             /* 1000e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP - 12);
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 4), 0xFFFFFFFFu, "push imm8 sign-extends");
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 8), 0x12345678);
    cr_assert_eq(bth_rd16(BTH_STACK_TOP - 10), 0xFF80);
    cr_assert_eq(bth_rd16(BTH_STACK_TOP - 12), 0x1234);
}

Test(stack, push_pop_memory)
{
    static const uint8_t code[] = {
        0xFF, 0x35, 0x00, 0x00, 0x02, 0x00,      /* 10000: push dword [0x20000] */
        0x8F, 0x05, 0x04, 0x00, 0x02, 0x00,      /* 10006: pop dword [0x20004] */
        0x66, 0xFF, 0x35, 0x08, 0x00, 0x02, 0x00, /* 1000c: push word [0x20008] */
        0x66, 0x8F, 0x05, 0x0A, 0x00, 0x02, 0x00, /* 10013: pop word [0x2000A] */
        0xFF, 0x73, 0x08,                        /* 1001a: push dword [ebx + 8] */
        0x8F, 0x04, 0x8B,                        /* 1001d: pop dword [ebx + ecx*4] */
        BTH_EXIT(1),                             /* 10020: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_wr32(BTH_DATA, 0xDEADBEEF);
    bth_wr32(BTH_DATA + 8, 0x1234ABCD);
    bth_set_regs(0, 4, 0, BTH_DATA, 0, 0, 0);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 0xDEADBEEF);
    cr_assert_eq(bth_rd32(BTH_DATA + 8), 0xABCDABCDu, "pop word [0x2000A] wrote 16 bits");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), 0xABCDABCDu, "pop dword [ebx + ecx*4]");
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
}

/* PUSH ESP pushes the value before the push; POP ESP loads ESP with the
 * value popped (the increment is lost). */
Test(stack, push_esp_and_pop_esp)
{
    static const uint8_t code[] = {
        0x54,                                    /* 10000: push esp */
        0x8B, 0x04, 0x24,                        /* 10001: mov eax, [esp] */
        0x68, 0x00, 0xF8, 0x08, 0x00,            /* 10004: push 0x8F800 */
        0x5C,                                    /* 10009: pop esp */
        BTH_EXIT(1),                             /* 1000a: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(bth_eax(), BTH_STACK_TOP);
    cr_assert_eq(REG(ESP), 0x8F800);
}

/* POP m with an ESP base computes the address after ESP moved; PUSH m reads
 * its operand before (Intel SDM vol. 2B, POP and PUSH). */
Test(stack, pop_to_esp_based_memory)
{
    static const uint8_t code[] = {
        0x8F, 0x44, 0x24, 0x04,                  /* 10000: pop dword [esp + 4] */
        0xFF, 0x74, 0x24, 0x04,                  /* 10004: push dword [esp + 4] */
        0x8B, 0x04, 0x24,                        /* 10008: mov eax, [esp] */
        0x8F, 0x04, 0x24,                        /* 1000b: pop dword [esp] */
        BTH_EXIT(1),                             /* 1000e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_cpu()->gpr[R_ESP] = 0x8FFF0;
    bth_wr32(0x8FFF0, 0xAAAA0001);
    bth_wr32(0x8FFF4, 0xBBBB0002);
    bth_wr32(0x8FFF8, 0xCCCC0003);
    RUN(code);
    cr_assert_eq(bth_rd32(0x8FFF8), 0xAAAA0001u, "pop [esp+4] wrote at old ESP + 8");
    cr_assert_eq(bth_eax(), 0xAAAA0001u, "push [esp+4] read at old ESP + 4");
    cr_assert_eq(bth_rd32(0x8FFF4), 0xAAAA0001u, "pop [esp] wrote at the new ESP");
    cr_assert_eq(REG(ESP), 0x8FFF4);
}

Test(stack, pushad_popad)
{
    static const uint8_t code[] = {
        0x60,                                    /* 10000: pushad */
        0x8B, 0x44, 0x24, 0x0C,                  /* 10001: mov eax, [esp + 12] */
        0xA3, 0x00, 0x00, 0x02, 0x00,            /* 10005: mov [0x20000], eax */
        0xC7, 0x44, 0x24, 0x0C, 0x45, 0x23, 0x01, 0x00, /* 1000a: mov dword [esp + 12], 0x12345 */
        0xC7, 0x44, 0x24, 0x1C, 0x77, 0x77, 0x77, 0x77, /* 10012: mov dword [esp + 28], 0x77777777 */
        0x31, 0xC0,                              /* 1001a: xor eax, eax */
        0x31, 0xC9,                              /* 1001c: xor ecx, ecx */
        0x31, 0xD2,                              /* 1001e: xor edx, edx */
        0x31, 0xDB,                              /* 10020: xor ebx, ebx */
        0x31, 0xED,                              /* 10022: xor ebp, ebp */
        0x31, 0xF6,                              /* 10024: xor esi, esi */
        0x31, 0xFF,                              /* 10026: xor edi, edi */
        0x61,                                    /* 10028: popad */
        BTH_EXIT(1),                             /* 10029: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0xA0, 0xC1, 0xD2, 0xB3, 0xB5, 0x56, 0xD7);
    RUN(code);
    static const uint32_t image[8] = { 0xD7, 0x56, 0xB5, 0x12345, 0xB3, 0xD2, 0xC1, 0x77777777 };
    for (int i = 0; i < 8; i++)
        cr_assert_eq(bth_rd32(BTH_STACK_TOP - 32 + 4 * i), image[i], "pushad slot %d", i);
    cr_assert_eq(bth_rd32(BTH_DATA), BTH_STACK_TOP, "pushad stores ESP as it was");
    cr_assert_eq(bth_eax(), 0x77777777);
    cr_assert_eq(REG(ECX), 0xC1);
    cr_assert_eq(REG(EDX), 0xD2);
    cr_assert_eq(REG(EBX), 0xB3);
    cr_assert_eq(REG(EBP), 0xB5);
    cr_assert_eq(REG(ESI), 0x56);
    cr_assert_eq(REG(EDI), 0xD7);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP, "popad skips the stored ESP");
}

/* ENTER n,0 and LEAVE are rewritten; ENTER with a nesting level is emulated. */
Test(stack, enter_leave)
{
    static const uint8_t code[] = {
        0xC8, 0x10, 0x00, 0x00,                  /* 10000: enter 16, 0 */
        0x89, 0x25, 0x00, 0x00, 0x02, 0x00,      /* 10004: mov [0x20000], esp */
        0x89, 0x2D, 0x04, 0x00, 0x02, 0x00,      /* 1000a: mov [0x20004], ebp */
        0xC7, 0x45, 0xFC, 0x77, 0x00, 0x00, 0x00, /* 10010: mov dword [ebp - 4], 0x77 */
        0xC9,                                    /* 10017: leave */
        0x89, 0x25, 0x08, 0x00, 0x02, 0x00,      /* 10018: mov [0x20008], esp */
        0xC8, 0x08, 0x00, 0x01,                  /* 1001e: enter 8, 1 */
        0x89, 0x25, 0x0C, 0x00, 0x02, 0x00,      /* 10022: mov [0x2000C], esp */
        0x89, 0x2D, 0x10, 0x00, 0x02, 0x00,      /* 10028: mov [0x20010], ebp */
        0xC9,                                    /* 1002e: leave */
        BTH_EXIT(1),                             /* 1002f: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 0, 0, 0, 0x5555, 0, 0);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), BTH_STACK_TOP - 20, "esp after enter 16, 0");
    cr_assert_eq(bth_rd32(BTH_DATA + 4), BTH_STACK_TOP - 4, "ebp after enter 16, 0");
    cr_assert_eq(bth_rd32(BTH_DATA + 8), BTH_STACK_TOP, "leave");
    cr_assert_eq(bth_rd32(BTH_DATA + 0xC), BTH_STACK_TOP - 16, "esp after enter 8, 1");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), BTH_STACK_TOP - 4, "ebp after enter 8, 1");
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 8), BTH_STACK_TOP - 4, "enter 8, 1 pushed the frame pointer");
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 4), 0x5555);
    cr_assert_eq(REG(EBP), 0x5555);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_ENTER], 1, "only the nested enter is emulated");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_LEAVE], 0);
}

Test(stack, call_ret_direct_and_ret_imm16)
{
    static const uint8_t code[] = {
        0xE8, 0x1E, 0x00, 0x00, 0x00,            /* 10000: call f */
        /* after: */
        0x8B, 0x1D, 0x00, 0x00, 0x02, 0x00,      /* 10005: mov ebx, [0x20000] */
        0x6A, 0x11,                              /* 1000b: push 0x11 */
        0x6A, 0x22,                              /* 1000d: push 0x22 */
        0xE8, 0x1E, 0x00, 0x00, 0x00,            /* 1000f: call g */
        0x89, 0x25, 0x08, 0x00, 0x02, 0x00,      /* 10014: mov [0x20008], esp */
        BTH_EXIT(1),                             /* 1001a: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
        /* f: */
        0x8B, 0x04, 0x24,                        /* 10023: mov eax, [esp] */
        0xA3, 0x00, 0x00, 0x02, 0x00,            /* 10026: mov [0x20000], eax */
        0x89, 0x25, 0x04, 0x00, 0x02, 0x00,      /* 1002b: mov [0x20004], esp */
        0xC3,                                    /* 10031: ret */
        /* g: */
        0x8B, 0x4C, 0x24, 0x04,                  /* 10032: mov ecx, [esp + 4] */
        0x8B, 0x54, 0x24, 0x08,                  /* 10036: mov edx, [esp + 8] */
        0xC2, 0x08, 0x00,                        /* 1003a: ret 8 */
    };
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), BTH_CODE + 5, "call pushed the address after it");
    cr_assert_eq(REG(EBX), BTH_CODE + 5);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), BTH_STACK_TOP - 4);
    cr_assert_eq(REG(ECX), 0x22);
    cr_assert_eq(REG(EDX), 0x11);
    cr_assert_eq(bth_rd32(BTH_DATA + 8), BTH_STACK_TOP, "ret 8 dropped both arguments");
}

Test(stack, call_indirect_register_and_memory)
{
    static const uint8_t code[] = {
        0xB8, 0x2F, 0x00, 0x01, 0x00,            /* 10000: mov eax, f1 */
        0xFF, 0xD0,                              /* 10005: call eax */
        0xFF, 0x15, 0x3E, 0x00, 0x01, 0x00,      /* 10007: call [ptr_f2] */
        0xBB, 0x01, 0x00, 0x00, 0x00,            /* 1000d: mov ebx, 1 */
        0xFF, 0x14, 0x9D, 0x42, 0x00, 0x01, 0x00, /* 10012: call [table + ebx*4] */
        0x68, 0x2F, 0x00, 0x01, 0x00,            /* 10019: push f1 */
        0xFF, 0x14, 0x24,                        /* 1001e: call [esp] */
        0x83, 0xC4, 0x04,                        /* 10021: add esp, 4 */
        0x89, 0xF0,                              /* 10024: mov eax, esi */
        BTH_EXIT(1),                             /* 10026: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
        /* f1: */
        0x83, 0xC6, 0x01,                        /* 1002f: add esi, 1 */
        0xC3,                                    /* 10032: ret */
        /* f2: */
        0x83, 0xC6, 0x10,                        /* 10033: add esi, 0x10 */
        0xC3,                                    /* 10036: ret */
        /* f3: */
        0x81, 0xC6, 0x00, 0x01, 0x00, 0x00,      /* 10037: add esi, 0x100 */
        0xC3,                                    /* 1003d: ret */
        /* ptr_f2: */
        0x33, 0x00, 0x01, 0x00,                  /* 1003e: dd f2 */
        /* table: */
        0x2F, 0x00, 0x01, 0x00,                  /* 10042: dd f1 */
        0x37, 0x00, 0x01, 0x00,                  /* 10046: dd f3 */
    };
    RUN(code);
    cr_assert_eq(bth_eax(), 0x112, "f1 by register, f2 by [disp32], f3 by [table+ebx*4], f1 by [esp]");
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
}

/* ---- branch: exit stubs, chaining, the indirect lookup table ---- */

Test(branch, jcc_taken_and_not_taken_in_a_loop)
{
    static const uint8_t code[] = {
        0xB8, 0xF8, 0xFF, 0xFF, 0xFF,            /* 10000: mov eax, -8 */
        0xB9, 0x10, 0x00, 0x00, 0x00,            /* 10005: mov ecx, 16 */
        /* top: */
        0x83, 0xF8, 0x03,                        /* 1000a: cmp eax, 3 */
        0x7C, 0x06,                              /* 1000d: jl s0 */
        0xFF, 0x05, 0x00, 0x00, 0x02, 0x00,      /* 1000f: inc dword [0x20000] */
        /* s0: */
        0x83, 0xF8, 0x03,                        /* 10015: cmp eax, 3 */
        0x7F, 0x06,                              /* 10018: jg s1 */
        0xFF, 0x05, 0x04, 0x00, 0x02, 0x00,      /* 1001a: inc dword [0x20004] */
        /* s1: */
        0x83, 0xF8, 0x03,                        /* 10020: cmp eax, 3 */
        0x72, 0x06,                              /* 10023: jb s2 */
        0xFF, 0x05, 0x08, 0x00, 0x02, 0x00,      /* 10025: inc dword [0x20008] */
        /* s2: */
        0x83, 0xF8, 0x03,                        /* 1002b: cmp eax, 3 */
        0x77, 0x06,                              /* 1002e: ja s3 */
        0xFF, 0x05, 0x0C, 0x00, 0x02, 0x00,      /* 10030: inc dword [0x2000C] */
        /* s3: */
        0x83, 0xF8, 0x03,                        /* 10036: cmp eax, 3 */
        0x74, 0x06,                              /* 10039: jz s4 */
        0xFF, 0x05, 0x10, 0x00, 0x02, 0x00,      /* 1003b: inc dword [0x20010] */
        /* s4: */
        0x83, 0xF8, 0x03,                        /* 10041: cmp eax, 3 */
        0x75, 0x06,                              /* 10044: jnz s5 */
        0xFF, 0x05, 0x14, 0x00, 0x02, 0x00,      /* 10046: inc dword [0x20014] */
        /* s5: */
        0x83, 0xF8, 0x03,                        /* 1004c: cmp eax, 3 */
        0x78, 0x06,                              /* 1004f: js s6 */
        0xFF, 0x05, 0x18, 0x00, 0x02, 0x00,      /* 10051: inc dword [0x20018] */
        /* s6: */
        0x83, 0xF8, 0x03,                        /* 10057: cmp eax, 3 */
        0x79, 0x06,                              /* 1005a: jns s7 */
        0xFF, 0x05, 0x1C, 0x00, 0x02, 0x00,      /* 1005c: inc dword [0x2001C] */
        /* s7: */
        0x83, 0xF8, 0x03,                        /* 10062: cmp eax, 3 */
        0x70, 0x06,                              /* 10065: jo s8 */
        0xFF, 0x05, 0x20, 0x00, 0x02, 0x00,      /* 10067: inc dword [0x20020] */
        /* s8: */
        0x83, 0xF8, 0x03,                        /* 1006d: cmp eax, 3 */
        0x0F, 0x86, 0x06, 0x00, 0x00, 0x00,      /* 10070: jbe near s9 */
        0xFF, 0x05, 0x24, 0x00, 0x02, 0x00,      /* 10076: inc dword [0x20024] */
        /* s9: */
        0x83, 0xF8, 0x03,                        /* 1007c: cmp eax, 3 */
        0x0F, 0x8D, 0x06, 0x00, 0x00, 0x00,      /* 1007f: jge near s10 */
        0xFF, 0x05, 0x28, 0x00, 0x02, 0x00,      /* 10085: inc dword [0x20028] */
        /* s10: */
        0x83, 0xF8, 0x03,                        /* 1008b: cmp eax, 3 */
        0x0F, 0x8B, 0x06, 0x00, 0x00, 0x00,      /* 1008e: jnp near s11 */
        0xFF, 0x05, 0x2C, 0x00, 0x02, 0x00,      /* 10094: inc dword [0x2002C] */
        /* s11: */
        0x83, 0xF8, 0x03,                        /* 1009a: cmp eax, 3 */
        0x0F, 0x8E, 0x06, 0x00, 0x00, 0x00,      /* 1009d: jle near s12 */
        0xFF, 0x05, 0x30, 0x00, 0x02, 0x00,      /* 100a3: inc dword [0x20030] */
        /* s12: */
        0x40,                                    /* 100a9: inc eax */
        0x49,                                    /* 100aa: dec ecx */
        0x0F, 0x85, 0x59, 0xFF, 0xFF, 0xFF,      /* 100ab: jnz top */
        BTH_EXIT(1),                             /* 100b1: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    /* Not-taken counts of each jcc after cmp x, 3 for x = -8..7. */
    static const struct { const char *cc; uint32_t n; } want[] = {
        { "jl", 5 }, { "jg", 12 }, { "jb", 13 }, { "ja", 4 }, { "jz", 15 }, { "jnz", 1 },
        { "js", 5 }, { "jns", 11 }, { "jo", 16 }, { "jbe near", 12 }, { "jge near", 11 },
        { "jnp near", 8 }, { "jle near", 4 },
    };
    for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_eq(bth_rd32(BTH_DATA + 4 * i), want[i].n, "%s fell through %u times, expected %u",
                     want[i].cc, bth_rd32(BTH_DATA + 4 * i), want[i].n);
    cr_assert_eq(bth_eax(), 8);
    cr_assert_gt(bth_stats()->bt_chained, 0, "the loop's branches were chained");
}

Test(branch, loop_loope_loopne_jecxz)
{
    static const uint8_t code[] = {
        /* loop: ebx = 10 + 9 + ... + 1 */
        0xB9, 0x0A, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 10 */
        0x31, 0xDB,                              /* 10005: xor ebx, ebx */
        /* l1: */
        0x01, 0xCB,                              /* 10007: add ebx, ecx */
        0xE2, 0xFC,                              /* 10009: loop l1 */
        0x89, 0x1D, 0x00, 0x00, 0x02, 0x00,      /* 1000b: mov [0x20000], ebx */
        0x89, 0x0D, 0x04, 0x00, 0x02, 0x00,      /* 10011: mov [0x20004], ecx */
        /* loope: scan while the bytes are zero */
        0xBE, 0x00, 0x01, 0x02, 0x00,            /* 10017: mov esi, 0x20100 */
        0xB9, 0x64, 0x00, 0x00, 0x00,            /* 1001c: mov ecx, 100 */
        /* l2: */
        0x80, 0x3E, 0x00,                        /* 10021: cmp byte [esi], 0 */
        0x8D, 0x76, 0x01,                        /* 10024: lea esi, [esi + 1] */
        0xE1, 0xF8,                              /* 10027: loope l2 */
        0x89, 0x0D, 0x08, 0x00, 0x02, 0x00,      /* 10029: mov [0x20008], ecx */
        0x89, 0x35, 0x0C, 0x00, 0x02, 0x00,      /* 1002f: mov [0x2000C], esi */
        /* loopne: scan until a byte is 0x55 */
        0xBE, 0x00, 0x02, 0x02, 0x00,            /* 10035: mov esi, 0x20200 */
        0xB9, 0x64, 0x00, 0x00, 0x00,            /* 1003a: mov ecx, 100 */
        /* l3: */
        0x80, 0x3E, 0x55,                        /* 1003f: cmp byte [esi], 0x55 */
        0x8D, 0x76, 0x01,                        /* 10042: lea esi, [esi + 1] */
        0xE0, 0xF8,                              /* 10045: loopne l3 */
        0x89, 0x0D, 0x10, 0x00, 0x02, 0x00,      /* 10047: mov [0x20010], ecx */
        0x89, 0x35, 0x14, 0x00, 0x02, 0x00,      /* 1004d: mov [0x20014], esi */
        /* loope that runs out of ECX */
        0xBE, 0x00, 0x03, 0x02, 0x00,            /* 10053: mov esi, 0x20300 */
        0xB9, 0x05, 0x00, 0x00, 0x00,            /* 10058: mov ecx, 5 */
        /* l4: */
        0x80, 0x3E, 0x00,                        /* 1005d: cmp byte [esi], 0 */
        0x8D, 0x76, 0x01,                        /* 10060: lea esi, [esi + 1] */
        0xE1, 0xF8,                              /* 10063: loope l4 */
        0x0F, 0x94, 0x05, 0x18, 0x00, 0x02, 0x00, /* 10065: setz byte [0x20018] */
        0x89, 0x0D, 0x1C, 0x00, 0x02, 0x00,      /* 1006c: mov [0x2001C], ecx */
        /* jecxz taken, then not taken */
        0x31, 0xC9,                              /* 10072: xor ecx, ecx */
        0x31, 0xD2,                              /* 10074: xor edx, edx */
        0xE3, 0x05,                              /* 10076: jecxz j1 */
        0xBA, 0xAD, 0x0B, 0x00, 0x00,            /* 10078: mov edx, 0xBAD */
        /* j1: */
        0xB9, 0x01, 0x00, 0x00, 0x00,            /* 1007d: mov ecx, 1 */
        0xE3, 0x03,                              /* 10082: jecxz j2 */
        0x83, 0xCA, 0x10,                        /* 10084: or edx, 0x10 */
        /* j2: */
        BTH_EXIT(1),                             /* 10087: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_wr8(BTH_DATA + 0x100 + 7, 1);
    memset(bth_vm->mem.ram + BTH_DATA + 0x200, 0x11, 0x100);
    bth_wr8(BTH_DATA + 0x200 + 12, 0x55);
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), 55, "loop");
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 0);
    cr_assert_eq(bth_rd32(BTH_DATA + 8), 92, "loope stopped after the nonzero byte 7");
    cr_assert_eq(bth_rd32(BTH_DATA + 0xC), BTH_DATA + 0x108);
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), 87, "loopne stopped at the 0x55 at 12");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x14), BTH_DATA + 0x20D);
    cr_assert_eq(bth_rd8(BTH_DATA + 0x18), 1, "loope ran out of ECX with ZF=1");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x1C), 0);
    cr_assert_eq(REG(EDX), 0x10, "jecxz taken with ECX=0, not taken with ECX=1");
}

/* LOOP/JCXZ with 0x67 count in CX and leave the upper half of ECX alone. */
Test(branch, loop_and_jcxz_counting_in_cx)
{
    static const uint8_t code[] = {
        0x31, 0xDB,                              /* 10000: xor ebx, ebx */
        /* l1: */
        0x43,                                    /* 10002: inc ebx */
        0x67, 0xE2, 0xFC,                        /* 10003: a16 loop l1 */
        0x89, 0x0D, 0x00, 0x00, 0x02, 0x00,      /* 10006: mov [0x20000], ecx */
        0x89, 0xCE,                              /* 1000c: mov esi, ecx */
        0xB9, 0x00, 0x00, 0x02, 0x00,            /* 1000e: mov ecx, 0x00020000 */
        0x67, 0xE3, 0x05,                        /* 10013: a16 jcxz j1 */
        0xBE, 0xAD, 0x0B, 0x00, 0x00,            /* 10016: mov esi, 0xBAD */
        /* j1: */
        0xB9, 0x05, 0x00, 0x03, 0x00,            /* 1001b: mov ecx, 0x00030005 */
        0x31, 0xD2,                              /* 10020: xor edx, edx */
        /* l2: */
        0x42,                                    /* 10022: inc edx */
        0x83, 0xFA, 0x02,                        /* 10023: cmp edx, 2 */
        0x67, 0xE0, 0xF9,                        /* 10026: a16 loopne l2 */
        0x89, 0xCF,                              /* 10029: mov edi, ecx */
        /* CX = 0 counts 65536 times, the upper half of ECX untouched */
        0xB9, 0x00, 0x00, 0x07, 0x00,            /* 1002b: mov ecx, 0x00070000 */
        0x31, 0xED,                              /* 10030: xor ebp, ebp */
        /* l3: */
        0x45,                                    /* 10032: inc ebp */
        0x67, 0xE2, 0xFC,                        /* 10033: a16 loop l3 */
        0x89, 0x0D, 0x04, 0x00, 0x02, 0x00,      /* 10036: mov [0x20004], ecx */
        BTH_EXIT(1),                             /* 1003c: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0, 0x12340003, 0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(EBX), 3, "a16 loop ran CX=3 times");
    cr_assert_eq(bth_rd32(BTH_DATA), 0x12340000u);
    cr_assert_eq(REG(ESI), 0x12340000u, "a16 jcxz taken with CX=0 although ECX!=0");
    cr_assert_eq(REG(EDI), 0x00030003u, "a16 loopne stopped when ZF=1 after two rounds");
    cr_assert_eq(REG(EBP), 65536, "a16 loop from CX=0 runs 65536 times");
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 0x00070000u);
}

/* jmp [table + eax*4] and jmp reg: after the first visit of each target, the
 * lookup table answers without leaving translated code. */
Test(branch, indirect_jumps_through_a_table)
{
    static const uint8_t code[] = {
        0xB9, 0x2C, 0x01, 0x00, 0x00,            /* 10000: mov ecx, 300 */
        0x31, 0xDB,                              /* 10005: xor ebx, ebx */
        /* top: */
        0x89, 0xC8,                              /* 10007: mov eax, ecx */
        0x83, 0xE0, 0x03,                        /* 10009: and eax, 3 */
        0xFF, 0x24, 0x85, 0x3B, 0x00, 0x01, 0x00, /* 1000c: jmp [table + eax*4] */
        /* h0: */
        0x83, 0xC3, 0x01,                        /* 10013: add ebx, 1 */
        0xEB, 0x17,                              /* 10016: jmp next */
        /* h1: */
        0x83, 0xC3, 0x0A,                        /* 10018: add ebx, 10 */
        0xEB, 0x12,                              /* 1001b: jmp next */
        /* h2: */
        0x83, 0xC3, 0x64,                        /* 1001d: add ebx, 100 */
        0xEB, 0x0D,                              /* 10020: jmp next */
        /* h3: */
        0xBA, 0x29, 0x00, 0x01, 0x00,            /* 10022: mov edx, h3b */
        0xFF, 0xE2,                              /* 10027: jmp edx */
        /* h3b: */
        0x81, 0xC3, 0xE8, 0x03, 0x00, 0x00,      /* 10029: add ebx, 1000 */
        /* next: */
        0x49,                                    /* 1002f: dec ecx */
        0x75, 0xD5,                              /* 10030: jnz top */
        BTH_EXIT(1),                             /* 10032: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
        /* table: */
        0x13, 0x00, 0x01, 0x00,                  /* 1003b: dd h0 */
        0x18, 0x00, 0x01, 0x00,                  /* 1003f: dd h1 */
        0x1D, 0x00, 0x01, 0x00,                  /* 10043: dd h2 */
        0x22, 0x00, 0x01, 0x00,                  /* 10047: dd h3 */
    };
    RUN(code);
    cr_assert_eq(REG(EBX), 75 * 1111);
    uint64_t misses = bth_stats()->bt_lookup_misses;
    cr_assert_geq(misses, 5, "h0..h3 and h3b each miss once (%llu)", (unsigned long long)misses);
    cr_assert_leq(misses, 8, "300 indirect jumps, %llu lookup misses", (unsigned long long)misses);
}

Test(branch, call_ret_in_a_loop_uses_the_lookup_table)
{
    static const uint8_t code[] = {
        0xB9, 0xC8, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 200 */
        0x31, 0xF6,                              /* 10005: xor esi, esi */
        /* top: */
        0xE8, 0x0C, 0x00, 0x00, 0x00,            /* 10007: call f */
        0x49,                                    /* 1000c: dec ecx */
        0x75, 0xF8,                              /* 1000d: jnz top */
        BTH_EXIT(1),                             /* 1000f: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
        /* f: */
        0x01, 0xCE,                              /* 10018: add esi, ecx */
        0xC3,                                    /* 1001a: ret */
    };
    RUN(code);
    cr_assert_eq(REG(ESI), 200 * 201 / 2);
    cr_assert_leq(bth_stats()->bt_lookup_misses, 2, "200 returns, %llu misses",
                  (unsigned long long)bth_stats()->bt_lookup_misses);
}

/*
 * Two targets in the same lookup-table slot: the one displaced by the other
 * is put back the next time an indirect branch misses on it (found in the
 * TC), instead of missing on every later call.
 */
Test(branch, displaced_lookup_entry_is_put_back)
{
    static const uint8_t fa[] = { 0x46, 0xC3 };                     /* inc esi ; ret */
    static const uint8_t fb[] = { 0x81, 0xC6, 0x00, 0x01, 0x00, 0x00, 0xC3 }; /* add esi, 0x100 ; ret */
    static const uint8_t code[] = {
        0xB8, 0x00, 0x03, 0x01, 0x00,            /* 10000: mov eax, 0x10300 (fa) */
        0xBB, 0x00, 0x01, 0x03, 0x00,            /* 10005: mov ebx, 0x30100 (fb) */
        0xFF, 0xD0,                              /* 1000a: call eax */
        0xFF, 0xD3,                              /* 1000c: call ebx: takes fa's slot */
        0xB9, 0x64, 0x00, 0x00, 0x00,            /* 1000e: mov ecx, 100 */
        0xFF, 0xD0,                              /* 10013: top: call eax */
        0x49,                                    /* 10015: dec ecx */
        0x75, 0xFB,                              /* 10016: jnz top */
        BTH_EXIT(1),                             /* 10018: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    cr_assert_eq(tc_lookup_slot(0x10300), tc_lookup_slot(0x30100), "the test needs a shared slot");
    bth_load(0x10300, fa, sizeof fa);
    bth_load(0x30100, fb, sizeof fb);
    bth_set_regs(0, 0, 0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(ESI), 101 + 0x100);
    cr_assert_leq(bth_stats()->bt_lookup_misses, 8, "101 calls of fa, %llu misses",
                  (unsigned long long)bth_stats()->bt_lookup_misses);
}

/* ---- string: expanded into loops over GS-based accesses ---- */

/*
 * The string matrix: every MOVS/STOS/LODS/CMPS/SCAS in byte, word and dword
 * size, without and with REP/REPE/REPNE, with DF=0 and DF=1, and ECX = 0, 2
 * or 5.  The guest runs `cld|std ; [F3|F2] [66] op ; exit`; a reference
 * model of the instruction (Intel SDM vol. 2B, MOVS, CMPS, STOS, LODS, SCAS
 * and REP) predicts the registers, the flags and both buffers.  ESI and EDI
 * start in the middle of 0x200-byte buffers so that both directions fit.
 */
struct str_case {
    uint8_t op;         /* byte form: A4 movs, A6 cmps, AA stos, AC lods, AE scas */
    uint8_t size;       /* 1, 2, 4 */
    uint8_t rep;        /* 0, 0xF3 (rep/repe), 0xF2 (repne) */
    bool df;
    uint32_t count;     /* ECX */
    char name[40];
};

#define STR_SRC BTH_DATA
#define STR_DST BTH_DATA2
#define STR_MID 0x100u
#define STR_LEN 0x200u

struct str_state {
    uint32_t eax, ecx, esi, edi, flags;
    uint8_t src[STR_LEN], dst[STR_LEN];
};

static uint32_t get_n(const uint8_t *p, int n)
{
    uint32_t v = 0;
    memcpy(&v, p, (size_t)n);           /* the host is little-endian, as the guest */
    return v;
}

/* The arithmetic flags of a - b in `size` bytes. */
static uint32_t sub_flags(uint32_t a, uint32_t b, int size)
{
    int bits = 8 * size;
    uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1, r, f = 0;
    a &= mask;
    b &= mask;
    r = (a - b) & mask;
    if (a < b) f |= FL_CF;
    if (r == 0) f |= FL_ZF;
    if ((r >> (bits - 1)) & 1) f |= FL_SF;
    if ((((a ^ b) & (a ^ r)) >> (bits - 1)) & 1) f |= FL_OF;
    if (!__builtin_parity(r & 0xFF)) f |= FL_PF;
    if ((a ^ b ^ r) & 0x10) f |= FL_AF;
    return f;
}

static void str_model(const struct str_case *k, struct str_state *s)
{
    int step = k->df ? -k->size : k->size;
    uint32_t mask = k->size == 4 ? 0xFFFFFFFFu : (1u << (8 * k->size)) - 1;
    bool cond = k->op == 0xA6 || k->op == 0xAE;
    for (;;) {
        if (k->rep && s->ecx == 0)
            break;
        uint8_t *src = s->src + (s->esi - STR_SRC), *dst = s->dst + (s->edi - STR_DST);
        switch (k->op) {
        case 0xA4: memcpy(dst, src, k->size); break;
        case 0xAA: memcpy(dst, &s->eax, k->size); break;
        case 0xAC: s->eax = (s->eax & ~mask) | get_n(src, k->size); break;
        case 0xA6: s->flags = (s->flags & ~FL_ARITH) | sub_flags(get_n(src, k->size), get_n(dst, k->size), k->size); break;
        case 0xAE: s->flags = (s->flags & ~FL_ARITH) | sub_flags(s->eax, get_n(dst, k->size), k->size); break;
        }
        if (k->op == 0xA4 || k->op == 0xA6 || k->op == 0xAC)
            s->esi += (uint32_t)step;
        if (k->op != 0xAC)
            s->edi += (uint32_t)step;
        if (!k->rep)
            break;
        s->ecx--;
        if (cond && k->rep == 0xF3 && !(s->flags & FL_ZF))
            break;
        if (cond && k->rep == 0xF2 && (s->flags & FL_ZF))
            break;
    }
}

/* Buffers and registers before the instruction.  CMPS: the buffers are equal
 * except in element 3 of the walk; SCAS: EAX holds element 2 of the walk. */
static void str_init(const struct str_case *k, struct str_state *s)
{
    int step = k->df ? -k->size : k->size;
    uint32_t mask = k->size == 4 ? 0xFFFFFFFFu : (1u << (8 * k->size)) - 1;
    for (unsigned i = 0; i < STR_LEN; i++) {
        s->src[i] = (uint8_t)(i * 37 + 11);
        s->dst[i] = (uint8_t)(i * 53 + 7);
    }
    s->eax = k->op == 0xAA ? 0x8899AABBu : 0x11223344u;
    if (k->op == 0xA6) {
        memcpy(s->dst, s->src, STR_LEN);
        s->dst[STR_MID + 3 * step] ^= 0xFF;
    }
    if (k->op == 0xAE)
        s->eax = (0x9E9E9E9Eu & ~mask) | get_n(s->dst + STR_MID + 2 * step, k->size);
    s->ecx = k->count;
    s->esi = STR_SRC + STR_MID;
    s->edi = STR_DST + STR_MID;
    s->flags = FL_FIXED | FL_CF | FL_OF;
}

ParameterizedTestParameters(string, matrix)
{
    static struct str_case cases[200];
    static const uint8_t ops[] = { 0xA4, 0xAA, 0xAC, 0xA6, 0xAE };
    static const char *const names[] = { "movs", "stos", "lods", "cmps", "scas" };
    static const uint32_t counts[] = { 0, 2, 5 };
    size_t n = 0;
    for (int o = 0; o < 5; o++)
        for (int size = 1; size <= 4; size *= 2)
            for (int rep = 0; rep < (o >= 3 ? 3 : 2); rep++)
                for (int df = 0; df < 2; df++)
                    for (int i = rep ? 0 : 2; i < 3; i++) {
                        struct str_case *k = &cases[n++];
                        *k = (struct str_case){ ops[o], (uint8_t)size, rep == 0 ? 0 : rep == 1 ? 0xF3 : 0xF2,
                                                df == 1, counts[i], "" };
                        snprintf(k->name, sizeof k->name, "%s%s%c %s ecx=%u",
                                 rep == 0 ? "" : rep == 1 ? (o >= 3 ? "repe " : "rep ") : "repne ",
                                 names[o], "bwd"[size / 2 - (size == 4)], df ? "std" : "cld", counts[i]);
                    }
    return cr_make_param_array(struct str_case, cases, n);
}

ParameterizedTest(struct str_case *k, string, matrix)
{
    struct str_state want, got;
    str_init(k, &want);
    bth_load(STR_SRC, want.src, STR_LEN);
    bth_load(STR_DST, want.dst, STR_LEN);
    bth_set_regs(want.eax, want.ecx, 0, 0, 0, want.esi, want.edi);
    vcpu_set_eflags(bth_cpu(), want.flags);
    uint8_t code[8 + BTH_EXIT_LEN], n = 0;
    code[n++] = k->df ? 0xFD : 0xFC;                    /* std / cld */
    if (k->rep)
        code[n++] = k->rep;                             /* rep(e) / repne */
    if (k->size == 2)
        code[n++] = 0x66;                               /* 16-bit operands */
    code[n++] = (uint8_t)(k->op | (k->size > 1));       /* byte form, or word/dword form */
    static const uint8_t exit_seq[] = { BTH_EXIT(1) };
    memcpy(code + n, exit_seq, sizeof exit_seq);
    bth_run_code(code, n + sizeof exit_seq);

    str_model(k, &want);
    got.eax = bth_eax();
    got.ecx = REG(ECX);
    got.esi = REG(ESI);
    got.edi = REG(EDI);
    got.flags = bth_eflags();
    memcpy(got.src, bth_vm->mem.ram + STR_SRC, STR_LEN);
    memcpy(got.dst, bth_vm->mem.ram + STR_DST, STR_LEN);
    cr_assert_eq(got.eax, want.eax, "%s: eax %08x, expected %08x", k->name, got.eax, want.eax);
    cr_assert_eq(got.ecx, want.ecx, "%s: ecx %u, expected %u", k->name, got.ecx, want.ecx);
    cr_assert_eq(got.esi, want.esi, "%s: esi %08x, expected %08x", k->name, got.esi, want.esi);
    cr_assert_eq(got.edi, want.edi, "%s: edi %08x, expected %08x", k->name, got.edi, want.edi);
    cr_assert_eq(got.flags & FL_ARITH, want.flags & FL_ARITH, "%s: flags %03x, expected %03x",
                 k->name, got.flags & FL_ARITH, want.flags & FL_ARITH);
    cr_assert_eq(!!(got.flags & FL_DF), k->df, "%s: DF", k->name);
    for (unsigned i = 0; i < STR_LEN; i++) {
        cr_assert_eq(got.src[i], want.src[i], "%s: source byte +%#x", k->name, i);
        cr_assert_eq(got.dst[i], want.dst[i], "%s: destination byte +%#x is %02x, expected %02x",
                     k->name, i, got.dst[i], want.dst[i]);
    }
}

/* REP over several pages forward, a backward overlapping byte copy (what
 * memmove does), and a REP STOSD that ends just past a page. */
Test(string, rep_across_pages_and_backward_overlap)
{
    static const uint8_t code[] = {
        0xFC,                                    /* 10000: cld */
        0xBE, 0x00, 0x00, 0x04, 0x00,            /* 10001: mov esi, 0x40000 */
        0xBF, 0x00, 0x00, 0x05, 0x00,            /* 10006: mov edi, 0x50000 */
        0xB9, 0x00, 0x10, 0x00, 0x00,            /* 1000b: mov ecx, 0x1000 */
        0xF3, 0xA5,                              /* 10010: rep movsd */
        0x89, 0x35, 0x00, 0x00, 0x02, 0x00,      /* 10012: mov [0x20000], esi */
        0x89, 0x3D, 0x04, 0x00, 0x02, 0x00,      /* 10018: mov [0x20004], edi */
        0xFD,                                    /* 1001e: std */
        0xBE, 0xFF, 0x1F, 0x06, 0x00,            /* 1001f: mov esi, 0x61FFF */
        0xBF, 0x0F, 0x20, 0x06, 0x00,            /* 10024: mov edi, 0x6200F */
        0xB9, 0x00, 0x20, 0x00, 0x00,            /* 10029: mov ecx, 0x2000 */
        0xF3, 0xA4,                              /* 1002e: rep movsb */
        0x89, 0x35, 0x08, 0x00, 0x02, 0x00,      /* 10030: mov [0x20008], esi */
        0x89, 0x3D, 0x0C, 0x00, 0x02, 0x00,      /* 10036: mov [0x2000C], edi */
        0xFC,                                    /* 1003c: cld */
        0xBF, 0x00, 0x00, 0x07, 0x00,            /* 1003d: mov edi, 0x70000 */
        0xB8, 0xA5, 0xA5, 0xA5, 0xA5,            /* 10042: mov eax, 0xA5A5A5A5 */
        0xB9, 0x01, 0x10, 0x00, 0x00,            /* 10047: mov ecx, 0x1001 */
        0xF3, 0xAB,                              /* 1004c: rep stosd */
        BTH_EXIT(1),                             /* 1004e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    uint8_t *ram = bth_vm->mem.ram;
    for (unsigned i = 0; i < 0x4000; i++)
        ram[0x40000 + i] = (uint8_t)(i * 7 + i / 256);
    for (unsigned i = 0; i < 0x2010; i++)
        ram[0x60000 + i] = (uint8_t)(i * 13 + 1);
    uint8_t before[0x2010];
    memcpy(before, ram + 0x60000, sizeof before);
    RUN(code);
    cr_assert_eq(memcmp(ram + 0x50000, ram + 0x40000, 0x4000), 0, "rep movsd copied 16 KiB");
    cr_assert_eq(bth_rd32(BTH_DATA), 0x44000);
    cr_assert_eq(bth_rd32(BTH_DATA + 4), 0x54000);
    cr_assert_eq(memcmp(ram + 0x60010, before, 0x2000), 0, "std; rep movsb moved the block up by 16");
    cr_assert_eq(memcmp(ram + 0x60000, before, 0x10), 0);
    cr_assert_eq(bth_rd32(BTH_DATA + 8), 0x5FFFF);
    cr_assert_eq(bth_rd32(BTH_DATA + 0xC), 0x6000F);
    for (unsigned i = 0; i < 0x4004; i++)
        cr_assert_eq(ram[0x70000 + i], 0xA5, "rep stosd byte +%#x", i);
    cr_assert_eq(ram[0x74004], 0, "rep stosd wrote one dword too many");
    cr_assert_eq(REG(EDI), 0x74004);
    cr_assert_eq(REG(ECX), 0);
}
