/*
 * tests/unit/test_bt_code16.c - real mode and 16-bit code segments through
 * the translator (bt/xl_16.c): 16-bit addressing with segment bases read
 * at run time, the SS:SP stack and its wrap, IP-sized and 32-bit near
 * branches (GCC -m16 code), the limit check of a 32-bit address, a code
 * page reached through two CS:IP aliases, self-modifying code, segment
 * reloads between translated accesses, unreal mode, a 4 GiB CS and 16-bit
 * protected mode.  Each test also checks that the code ran translated
 * (bt.code16_insns) and not in the interpreter (realmode.insns).
 *
 * Layout: code at 1000:0000 (BTH_CODE), DS = 2000 (BTH_DATA), SS = 8000
 * with SP 0x1000, the IVT at 0.  Programs end with `mov al, v ; out 0xf4,
 * al`; registers are checked in struct vcpu.
 */
#include <Zydis/Zydis.h>
#include "bt_harness.h"
#include "cpu/segments.h"
#include "cpu/realmode.h"

#define DS16 0x2000u
#define SS16 0x8000u

static void real_mode(uint16_t cs, uint16_t ip)
{
    struct vcpu *c = bth_cpu();
    c->cr0 = CR0_ET;
    seg_set_raw(&c->seg[S_CS], cs, (uint32_t)cs << 4, 0xFFFF, 0x009B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0, 0, 0xFFFF, 0x0093);
    seg_set_raw(&c->seg[S_DS], DS16, DS16 << 4, 0xFFFF, 0x0093);
    seg_set_raw(&c->seg[S_SS], SS16, SS16 << 4, 0xFFFF, 0x0093);
    c->idtr = (struct dtr){ 0, 0x3FF };
    c->eip = ip;
    c->gpr[R_ESP] = 0x1000;
    vcpu_set_eflags(c, FL_FIXED);
    c->cpl = 0;
}

static void setup16(void)
{
    bth_setup();
    real_mode(BTH_CODE >> 4, 0);
}

TestSuite(bt_code16, .init = setup16, .fini = bth_teardown);

static void run16(const uint8_t *code, size_t n, uint8_t expect)
{
    bth_load(BTH_CODE, code, n);
    bth_run_expect(expect);
}

static void assert_translated(void)
{
    cr_assert_gt(bth_stats()->bt16_guest_insns, 0, "no 16-bit code was translated");
    cr_assert_eq(bth_stats()->realmode_insns, 0, "%llu instructions interpreted",
                 (unsigned long long)bth_stats()->realmode_insns);
}

Test(bt_code16, addressing_modes_and_segment_bases)
{
    static const uint8_t code[] = {
        0xBB, 0x10, 0x00,                   /* mov bx, 0x10 */
        0xBE, 0x04, 0x00,                   /* mov si, 4 */
        0xC7, 0x00, 0x34, 0x12,             /* mov word [bx+si], 0x1234 */
        0x81, 0x00, 0x11, 0x11,             /* add word [bx+si], 0x1111 */
        0x8B, 0x00,                         /* mov ax, [bx+si] */
        0x8B, 0x0E, 0x14, 0x00,             /* mov cx, [0x14] */
        0x89, 0xC2,                         /* mov dx, ax */
        0xBD, 0x20, 0x00,                   /* mov bp, 0x20 */
        0xC7, 0x46, 0x02, 0x55, 0x55,       /* mov word [bp+2], 0x5555 (SS) */
        0x8B, 0x7E, 0x02,                   /* mov di, [bp+2] */
        0xA0, 0x15, 0x00,                   /* mov al, [0x15] (moffs) */
        0xB4, 0x00,                         /* mov ah, 0 */
        0xA3, 0x40, 0x00,                   /* mov [0x40], ax (moffs) */
        0xB0, 0x01, 0xE6, 0xF4,             /* mov al, 1 ; out 0xf4, al */
    };
    bth_vm->cpu.gpr[R_ECX] = 0xAAAA0000u;   /* 16-bit writes keep the high half */
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd16(BTH_DATA + 0x14), 0x2345);
    cr_assert_eq(REG(ECX), 0xAAAA2345u);
    cr_assert_eq(REG(EDX) & 0xFFFF, 0x2345);
    cr_assert_eq(bth_rd16((SS16 << 4) + 0x22), 0x5555, "[bp+2] goes through SS");
    cr_assert_eq(REG(EDI) & 0xFFFF, 0x5555);
    cr_assert_eq(bth_rd16(BTH_DATA + 0x40), 0x0023, "moffs forms through DS");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_MOV], 0, "a MOV was emulated");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_ADD], 0, "the ADD was emulated");
    assert_translated();
}

Test(bt_code16, stack_wraps_at_64k_and_keeps_the_high_half_of_esp)
{
    static const uint8_t code[] = {
        0xB8, 0xEF, 0xBE,                   /* mov ax, 0xbeef */
        0x50,                               /* push ax: SP 0 -> FFFE */
        0xE8, 0x05, 0x00,                   /* call f */
        0x5B,                               /* pop bx */
        0xB0, 0x01, 0xE6, 0xF4,
        0x89, 0xE1,                         /* f: mov cx, sp */
        0xC3,                               /* ret */
    };
    bth_vm->cpu.gpr[R_ESP] = 0x12340000u;
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd16((SS16 << 4) + 0xFFFE), 0xBEEF, "the push wrapped to SS:FFFE");
    cr_assert_eq(REG(ECX) & 0xFFFF, 0xFFFC);
    cr_assert_eq(REG(EBX) & 0xFFFF, 0xBEEF);
    cr_assert_eq(REG(ESP), 0x12340000u, "SP back to 0, bits 16-31 of ESP untouched");
    assert_translated();
}

Test(bt_code16, indirect_jmp_and_call_through_memory)
{
    static const uint8_t code[] = {
        0xC7, 0x06, 0x30, 0x00, 0x17, 0x00, /* mov word [0x30], t2 */
        0xB8, 0x0F, 0x00,                   /* mov ax, t1 */
        0xFF, 0xE0,                         /* jmp ax */
        0xB0, 0x02, 0xE6, 0xF4,
        0xFF, 0x16, 0x30, 0x00,             /* t1: call word [0x30] */
        0xB0, 0x01, 0xE6, 0xF4,
        0xBA, 0x77, 0x00,                   /* t2: mov dx, 0x77 */
        0xC3,
    };
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EDX) & 0xFFFF, 0x77);
    assert_translated();
}

/* GCC -m16 code: 32-bit pushes, CALL/RET with a 32-bit operand size and
 * [ESP+n] addressing in a 64 KiB stack segment. */
Test(bt_code16, o32_call_ret_and_a32_stack_operand)
{
    static const uint8_t code[] = {
        0x66, 0x68, 0x44, 0x33, 0x22, 0x11, /* push dword 0x11223344 */
        0x66, 0xE8, 0x07, 0x00, 0x00, 0x00, /* call dword f */
        0x83, 0xC4, 0x04,                   /* add sp, 4 */
        0xB0, 0x01, 0xE6, 0xF4,
        0x66, 0x67, 0x8B, 0x44, 0x24, 0x04, /* f: mov eax, [esp+4] */
        0x66, 0x89, 0xC3,                   /* mov ebx, eax */
        0x66, 0xC3,                         /* o32 ret */
    };
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EBX), 0x11223344u);
    cr_assert_eq(REG(ESP), 0x1000u);
    assert_translated();
}

/* A 32-bit offset beyond a 64 KiB limit: #GP(0) through the IVT, at the
 * instruction, before it changed anything. */
Test(bt_code16, a32_offset_beyond_64k_is_gp_at_the_instruction)
{
    static const uint8_t code[] = {
        0x66, 0xBE, 0x00, 0x00, 0x01, 0x00, /* mov esi, 0x10000 */
        0xB8, 0x5A, 0x5A,                   /* mov ax, 0x5a5a */
        0x67, 0x8B, 0x06,                   /* fault: mov ax, [esi] */
        0xB0, 0x02, 0xE6, 0xF4,
    };
    static const uint8_t handler[] = {
        0x5E,                               /* pop si: IP */
        0x5F,                               /* pop di: CS */
        0xB0, 0x7E, 0xE6, 0xF4,
    };
    bth_load(BTH_CODE + 0x100, handler, sizeof handler);
    bth_wr32(13 * 4, (BTH_CODE >> 4) << 16 | 0x100);
    run16(code, sizeof code, 0x7E);
    cr_assert_eq(REG(ESI) & 0xFFFF, 9, "IP of the faulting instruction");
    cr_assert_eq(REG(EDI) & 0xFFFF, BTH_CODE >> 4);
    cr_assert_eq(REG(EAX) & 0xFF00, 0x5A00, "AX unchanged by the faulting MOV");
    assert_translated();
}

/* One physical page reached as 17C0:0000 and as 1000:7C00 (a boot sector's
 * two usual views): each CS gets its own translation, with its own IPs. */
Test(bt_code16, one_page_through_two_cs_ip_aliases)
{
    static const uint8_t code[] = {
        0xE8, 0x00, 0x00,                   /* call next */
        0x5B,                               /* next: pop bx */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    bth_load(BTH_CODE + 0x7C00, code, sizeof code);
    real_mode(0x17C0, 0);
    bth_run_expect(1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 3);
    real_mode(BTH_CODE >> 4, 0x7C00);
    bth_run_expect(1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 0x7C03, "the second CS ran the first one's translation");
    real_mode(0x17C0, 0);
    bth_run_expect(1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 3);
    assert_translated();
}

Test(bt_code16, loop_and_jcxz_count_in_cx)
{
    static const uint8_t code[] = {
        0xB9, 0x05, 0x00,                   /* mov cx, 5 */
        0x31, 0xC0,                         /* xor ax, ax */
        0x40,                               /* l: inc ax */
        0xE2, 0xFD,                         /* loop l */
        0xE3, 0x04,                         /* jcxz ok */
        0xB0, 0x02, 0xE6, 0xF4,
        0x89, 0xC3,                         /* ok: mov bx, ax */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    bth_vm->cpu.gpr[R_ECX] = 0xABCD0000u;
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 5);
    cr_assert_eq(REG(ECX), 0xABCD0000u, "CX counted, bits 16-31 of ECX kept");
    assert_translated();
}

Test(bt_code16, self_modifying_code_through_cs)
{
    static const uint8_t code[] = {
        0xB9, 0x02, 0x00,                   /* mov cx, 2 */
        0xB3, 0x00,                         /* again: patch: mov bl, 0 */
        0x2E, 0xC6, 0x06, 0x04, 0x00, 0x42, /* mov byte [cs:patch+1], 0x42 */
        0xE2, 0xF6,                         /* loop again */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EBX) & 0xFF, 0x42, "the second pass ran the old code");
    assert_translated();
}

Test(bt_code16, data_segment_reload_between_translated_accesses)
{
    static const uint8_t code[] = {
        0xC7, 0x06, 0x00, 0x00, 0x11, 0x11, /* mov word [0], 0x1111 */
        0xB8, 0x00, 0x28,                   /* mov ax, 0x2800 */
        0x8E, 0xD8,                         /* mov ds, ax */
        0xC7, 0x06, 0x00, 0x00, 0x22, 0x22, /* mov word [0], 0x2222 */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd16(0x20000), 0x1111);
    cr_assert_eq(bth_rd16(0x28000), 0x2222);
    assert_translated();
}

/* "Unreal" mode: DS keeps a 4 GiB limit in real mode, and a 32-bit
 * address reaches beyond 1 MiB. */
Test(bt_code16, unreal_mode_data_segment)
{
    static const uint8_t code[] = {
        0x66, 0xBE, 0x00, 0x00, 0x20, 0x00, /* mov esi, 0x200000 */
        0x66, 0x67, 0xC7, 0x06, 0xBE, 0xBA, 0xFE, 0xCA, /* mov dword [esi], 0xcafebabe */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    seg_set_raw(&bth_cpu()->seg[S_DS], 0, 0, 0xFFFFFFFFu, 0x8093);
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd32(0x200000), 0xCAFEBABEu);
    assert_translated();
}

/* A 4 GiB CS (SeaBIOS returns to real mode with its 16-bit segment's
 * limit): a 32-bit operand size branches beyond IP 0xFFFF, directly and
 * indirectly. */
Test(bt_code16, four_gib_code_segment_runs_beyond_ip_ffff)
{
    static const uint8_t code[] = {
        0x66, 0xE9, 0xFA, 0xFF, 0x00, 0x00, /* jmp dword 0x10000 */
    };
    static const uint8_t far[] = {
        0xBB, 0x99, 0x00,                   /* mov bx, 0x99 */
        0x66, 0xB8, 0x20, 0x00, 0x01, 0x00, /* mov eax, 0x10020 */
        0x66, 0xFF, 0xE0,                   /* jmp eax */
    };
    static const uint8_t far2[] = {
        0xB9, 0x88, 0x00,                   /* mov cx, 0x88 */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    bth_load(BTH_CODE + 0x10000, far, sizeof far);
    bth_load(BTH_CODE + 0x10020, far2, sizeof far2);
    seg_set_raw(&bth_cpu()->seg[S_CS], BTH_CODE >> 4, BTH_CODE, 0xFFFFFFFFu, 0x809B);
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 0x99);
    cr_assert_eq(REG(ECX) & 0xFFFF, 0x88);
    assert_translated();
}

/* A 16-bit code segment in protected mode at CPL 0. */
Test(bt_code16, protected_mode_16bit_code_segment)
{
    static const uint8_t code[] = {
        0xB8, 0x34, 0x12,                   /* mov ax, 0x1234 */
        0x50,                               /* push ax */
        0x5B,                               /* pop bx */
        0x89, 0x1E, 0x10, 0x00,             /* mov [0x10], bx */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    struct vcpu *c = bth_cpu();
    c->cr0 = CR0_ET | CR0_PE;
    seg_set_raw(&c->seg[S_CS], 0x08, BTH_CODE, 0xFFFF, 0x009B);
    seg_set_raw(&c->seg[S_DS], 0x10, BTH_DATA, 0xFFFF, 0x0093);
    seg_set_raw(&c->seg[S_SS], 0x10, SS16 << 4, 0xFFFF, 0x0093);
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd16(BTH_DATA + 0x10), 0x1234);
    assert_translated();
}

/* LODS, STOS and MOVS one element at a time, both directions of DF, and
 * LODSB with a 32-bit address (iPXE's flat-real-mode CRC loop). */
Test(bt_code16, lods_stos_movs_follow_df)
{
    static const uint8_t code[] = {
        0xBE, 0x10, 0x00,                   /* mov si, 0x10 */
        0xBF, 0x20, 0x00,                   /* mov di, 0x20 */
        0xFC,                               /* cld */
        0xAC,                               /* lodsb: AL = 'A', SI = 0x11 */
        0xAA,                               /* stosb: ES:0x20 = 'A', DI = 0x21 */
        0xA4,                               /* movsb: ES:0x21 = 'B', SI = 0x12, DI = 0x22 */
        0xFD,                               /* std */
        0xAC,                               /* lodsb: AL = 'C', SI = 0x11 */
        0x89, 0xC3,                         /* mov bx, ax */
        0x66, 0xBE, 0x30, 0x00, 0x00, 0x00, /* mov esi, 0x30 */
        0xFC,                               /* cld */
        0x67, 0xAC,                         /* a32 lodsb: AL = DS:[ESI] */
        0x88, 0xC1,                         /* mov cl, al */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    bth_load(BTH_DATA + 0x10, "ABC", 3);
    bth_wr8(BTH_DATA + 0x30, 'Z');
    seg_set_raw(&bth_cpu()->seg[S_ES], DS16, DS16 << 4, 0xFFFF, 0x0093);
    run16(code, sizeof code, 1);
    cr_assert_eq(bth_rd8(BTH_DATA + 0x20), 'A');
    cr_assert_eq(bth_rd8(BTH_DATA + 0x21), 'B');
    cr_assert_eq(REG(EBX) & 0xFF, 'C');
    cr_assert_eq(REG(ECX) & 0xFF, 'Z');
    cr_assert_eq(REG(ESI), 0x31u, "ESI after the a32 LODSB");
    cr_assert_eq(REG(EDI) & 0xFFFF, 0x22);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_LODSB], 0, "a LODSB was emulated");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_MOVSB], 0, "the MOVSB was emulated");
    assert_translated();
}

/* A word at offset 0xFFFF of a 64 KiB segment ends beyond the limit: #GP
 * at the instruction (#SS through SS); a word at 0xFFFE does not; with a
 * 4 GiB DS ("unreal" mode) the same word is read whole. */
Test(bt_code16, a_word_at_ffff_of_a_64k_segment_faults)
{
    static const uint8_t code[] = {
        0xA1, 0xFE, 0xFF,                   /* mov ax, [0xfffe] */
        0x89, 0xC3,                         /* mov bx, ax */
        0xB8, 0x5A, 0x5A,                   /* mov ax, 0x5a5a */
        0xA1, 0xFF, 0xFF,                   /* fault: mov ax, [0xffff] */
        0xB0, 0x02, 0xE6, 0xF4,
    };
    static const uint8_t handler[] = {
        0x5E,                               /* pop si: IP */
        0xB0, 0x7E, 0xE6, 0xF4,
    };
    bth_wr16(BTH_DATA + 0xFFFE, 0x1234);
    bth_load(BTH_CODE + 0x100, handler, sizeof handler);
    bth_wr32(13 * 4, (BTH_CODE >> 4) << 16 | 0x100);
    run16(code, sizeof code, 0x7E);
    cr_assert_eq(REG(EBX) & 0xFFFF, 0x1234);
    cr_assert_eq(REG(ESI) & 0xFFFF, 8, "IP of the faulting instruction");
    cr_assert_eq(REG(EAX) & 0xFF00, 0x5A00, "AX unchanged by the faulting MOV");
    assert_translated();
}

Test(bt_code16, a_word_at_ffff_of_a_4g_segment_is_read_whole)
{
    static const uint8_t code[] = {
        0xA1, 0xFF, 0xFF,                   /* mov ax, [0xffff] */
        0x89, 0xC3,                         /* mov bx, ax */
        0xB0, 0x01, 0xE6, 0xF4,
    };
    bth_wr8(BTH_DATA + 0xFFFF, 0x34);
    bth_wr8(BTH_DATA + 0x10000, 0x12);
    seg_set_raw(&bth_cpu()->seg[S_DS], DS16, DS16 << 4, 0xFFFFFFFFu, 0x8093);
    run16(code, sizeof code, 1);
    cr_assert_eq(REG(EBX) & 0xFFFF, 0x1234);
    assert_translated();
}
