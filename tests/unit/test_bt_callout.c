/*
 * tests/unit/test_bt_callout.c - the light callouts of bt/xl_callout.c:
 * MOV/POP to DS, ES, FS, GS, VERW and POPFD run from translated code
 * without an exit, and hand over to the emulator (which raises the guest's
 * exception) whenever the fast path cannot finish them.
 *
 * The guest programs are hand-assembled 32-bit code run by bt_harness.h.
 */
#include <Zydis/Zydis.h>
#include "bt_harness.h"
#include "cpu/exceptions.h"

TestSuite(light, .init = bth_setup, .fini = bth_teardown, .timeout = 20);

/* GDT entry 3 (selector 0x18): read/write data at base 0x28000, not yet
 * accessed; the load must set the A bit as the processor does. */
static void data_segment_at_0x28000(void)
{
    bth_install_handler();
    bth_set_desc(3, BTH_DATA2, 0xFFFFF, 0x92, 0xC);
    bth_wr16(BTH_GDTR, 4 * 8 - 1);
}

Test(light, mov_and_pop_load_data_segments)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xB8, 0x18, 0x00, 0x00, 0x00,            /* 1000e: mov eax, 0x18 */
        0x8E, 0xE0,                              /* 10013: mov fs, eax */
        0x64, 0xC7, 0x05, 0x10, 0x00, 0x00, 0x00,
        0x78, 0x56, 0x34, 0x12,                  /* 10015: mov dword fs:[0x10], 0x12345678 */
        0x6A, 0x18,                              /* 10020: push 0x18 */
        0x0F, 0xA9,                              /* 10022: pop gs */
        0x65, 0x8B, 0x1D, 0x10, 0x00, 0x00, 0x00, /* 10024: mov ebx, gs:[0x10] */
        0x6A, 0x10,                              /* 1002b: push 0x10 */
        0x1F,                                    /* 1002d: pop ds */
        0x6A, 0x10,                              /* 1002e: push 0x10 */
        0x07,                                    /* 10030: pop es */
        0xB9, 0x10, 0x00, 0x00, 0x00,            /* 10031: mov ecx, 0x10 */
        0x8E, 0xC1,                              /* 10036: mov es, ecx */
        BTH_EXIT(1),                             /* 10038: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    RUN(code);
    struct vcpu *c = bth_cpu();
    cr_assert_eq(bth_rd32(BTH_DATA2 + 0x10), 0x12345678u, "the store went through FS's base");
    cr_assert_eq(REG(EBX), 0x12345678u, "GS has the same base after pop gs");
    cr_assert_eq(c->seg[S_FS].sel, 0x18);
    cr_assert_eq(c->seg[S_GS].base, BTH_DATA2);
    cr_assert_eq(c->seg[S_DS].sel, 0x10);
    cr_assert_eq(c->seg[S_ES].sel, 0x10);
    cr_assert(bth_rd8(BTH_GDT + 3 * 8 + 5) & 1, "accessed bit set in the descriptor");
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_MOV], 0);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_POP], 0);
    cr_assert_eq(bth_stats()->bt_light, 5);
}

/* A selector outside the GDT: the emulator repeats the load and raises
 * #GP(selector) at the POP, with ESP and DS as they were. */
Test(light, pop_ds_beyond_the_gdt_raises_gp)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x6A, 0x40,                              /* 1000e: push 0x40 */
        0x1F,                                    /* 10010: pop ds */
        BTH_EXIT(1),                             /* 10011: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x40, "error code: the selector");
    cr_assert_eq(REG(EDI), 0x10010, "EIP of the pop");
    cr_assert_eq(bth_stats()->exceptions[EXC_GP], 1);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_POP], 1, "the emulator raised it");
    cr_assert_eq(bth_rd32(BTH_STACK_TOP - 4), 0x40, "the slot was not popped");
    cr_assert_eq(bth_cpu()->seg[S_DS].sel, 0x10);
}

/* Loading a segment with a base into DS changes what translations assume
 * (bt_segment_key): the emulator does it, and the short stretch until DS
 * is flat again is interpreted (monitor/run_bt.c) instead of flushing the
 * TC on the way in and out. */
Test(light, pop_ds_with_a_base_goes_through_the_emulator)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x6A, 0x18,                              /* 1000e: push 0x18 */
        0x1F,                                    /* 10010: pop ds */
        0xC7, 0x05, 0x20, 0x00, 0x00, 0x00,
        0xEF, 0xBE, 0xAD, 0xDE,                  /* 10011: mov dword [0x20], 0xdeadbeef */
        0x6A, 0x10,                              /* 1001b: push 0x10 */
        0x1F,                                    /* 1001d: pop ds */
        BTH_EXIT(1),                             /* 1001e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA2 + 0x20), 0xDEADBEEFu);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_POP], 2, "both change the key");
    cr_assert_eq(bth_stats()->bt_flushes, 0);
    cr_assert_eq(bth_stats()->bt_unkeyed_steps, 3, "the mov, the push and the pop that ends it, interpreted");
}

Test(light, verw_register_and_memory)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xB8, 0x10, 0x00, 0x00, 0x00,            /* 1000e: mov eax, 0x10 */
        0x0F, 0x00, 0xE8,                        /* 10013: verw ax: writable data */
        0x0F, 0x94, 0xC3,                        /* 10016: setz bl */
        0x66, 0xC7, 0x05, 0x00, 0x00, 0x02, 0x00,
        0x08, 0x00,                              /* 10019: mov word [0x20000], 0x08 */
        0x0F, 0x00, 0x2D, 0x00, 0x00, 0x02, 0x00, /* 10022: verw [0x20000]: code */
        0x0F, 0x94, 0xC1,                        /* 10029: setz cl */
        0xF9,                                    /* 1002c: stc */
        0x0F, 0x00, 0xE8,                        /* 1002d: verw ax */
        BTH_EXIT(1),                             /* 10030: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    bth_set_regs(0, 0xFF, 0, 0xFF, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(EBX), 1, "ZF=1 for a writable data segment");
    cr_assert_eq(REG(ECX), 0, "ZF=0 for a code segment");
    cr_assert_eq(bth_eflags() & (FL_ZF | FL_CF), FL_ZF | FL_CF, "only ZF changes");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_VERW], 0);
}

/* POPFD: arithmetic flags, DF and IF from the stack; ESP moves by 4. */
Test(light, popfd_sets_if_df_and_arithmetic_flags)
{
    static const uint8_t code[] = {
        0x68, 0xC3, 0x06, 0x00, 0x00,            /* 10000: push 0x6C3: IF DF ZF CF bit 1 ... */
        0x9D,                                    /* 10005: popfd */
        0x9C,                                    /* 10006: pushfd */
        0x5B,                                    /* 10007: pop ebx */
        0x6A, 0x02,                              /* 10008: push 2 */
        0x9D,                                    /* 1000a: popfd */
        0x9C,                                    /* 1000b: pushfd */
        0x5E,                                    /* 1000c: pop esi */
        BTH_EXIT(1),                             /* 1000d: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(EBX), 0x6C3, "IF DF SF ZF CF and bit 1 read back");
    cr_assert_eq(REG(ESI), 0x2);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_POPFD], 0);
    cr_assert_eq(bth_stats()->bt_light, 2);
}

/* IRETD within ring 0 (Linux's sync_core: an IRET to itself) goes on in
 * translated code at the popped EIP, with the popped flags. */
Test(light, iretd_within_ring_0)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x68, 0xC3, 0x06, 0x00, 0x00,            /* 1000e: push 0x6C3: IF DF SF ZF CF */
        0x6A, 0x08,                              /* 10013: push 0x08 */
        0x68, 0x20, 0x00, 0x01, 0x00,            /* 10015: push 0x10020 */
        0xCF,                                    /* 1001a: iretd */
        0xBB, 0x01, 0x00, 0x00, 0x00,            /* 1001b: mov ebx, 1 (skipped) */
        0x90,                                    /* 10020: nop */
        0x9C,                                    /* 10021: pushfd */
        0x5E,                                    /* 10022: pop esi */
        BTH_EXIT(1),                             /* 10023: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    bth_set_regs(0, 0, 0, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(EBX), 0, "the iretd jumped");
    cr_assert_eq(REG(ESI), 0x6C3, "flags from the frame");
    cr_assert_eq(REG(ESP), BTH_STACK_TOP);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_IRETD], 0);
    cr_assert_eq(bth_stats()->exits[EXIT_POLL], 0, "no exit");
}

/* IRETD with a frame whose CS is beyond the GDT: cpu_iret raises #GP(CS)
 * at the IRETD and the run loop resumes at the handler. */
Test(light, iretd_with_a_bad_cs_raises_gp)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0x6A, 0x02,                              /* 1000e: push 2 */
        0x6A, 0x40,                              /* 10010: push 0x40 */
        0x68, 0x20, 0x00, 0x01, 0x00,            /* 10012: push 0x10020 */
        0xCF,                                    /* 10017: iretd */
        BTH_EXIT(1),                             /* 10018: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    data_segment_at_0x28000();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x40, "error code: the CS selector");
    cr_assert_eq(REG(EDI), 0x10017, "EIP of the iretd");
    cr_assert_eq(bth_stats()->exceptions[EXC_GP], 1);
}
