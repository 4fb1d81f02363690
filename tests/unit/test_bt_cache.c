/*
 * tests/unit/test_bt_cache.c - how translated code leaves and is dropped:
 * sensitive instructions that exit to cpu/emulate.c, host faults that come
 * back as guest exceptions at the exact instruction, self-modifying code,
 * and the translation cache itself (bt/tc.c: lookup, flush, invalidation of
 * one page, unchaining, host-address-to-guest-EIP mapping).
 *
 * The guest programs are hand-assembled 32-bit code run by bt_harness.h.
 */
#include <Zydis/Zydis.h>
#include "bt_harness.h"
#include "cpu/cpuid.h"

TestSuite(sensitive, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(fault, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(smc, .init = bth_setup, .fini = bth_teardown, .timeout = 20);
TestSuite(cache, .init = bth_setup, .fini = bth_teardown, .timeout = 20);

/* ---- sensitive: each ends the TU with an exit to cpu/emulate.c ---- */

Test(sensitive, cli_sti_seen_by_pushf)
{
    static const uint8_t code[] = {
        0xFB,                                    /* 10000: sti */
        0x9C,                                    /* 10001: pushfd */
        0x58,                                    /* 10002: pop eax */
        0xA3, 0x00, 0x00, 0x02, 0x00,            /* 10003: mov [0x20000], eax */
        0xFA,                                    /* 10008: cli */
        0x9C,                                    /* 10009: pushfd */
        0x5B,                                    /* 1000a: pop ebx */
        BTH_EXIT(1),                             /* 1000b: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert(bth_rd32(BTH_DATA) & FL_IF, "pushfd after sti");
    cr_assert(!(REG(EBX) & FL_IF), "pushfd after cli");
    cr_assert(!(bth_eflags() & FL_IF));
    /* PUSHFD reads only virtual state: translated inline (bt/xl_system.c). */
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_PUSHFD], 0);
}

/* POPF loads the arithmetic flags and DF; DF then steers string instructions. */
Test(sensitive, pushf_popf)
{
    static const uint8_t code[] = {
        0x68, 0xD5, 0x0C, 0x00, 0x00,            /* 10000: push 0x00000CD5 */
        0x9D,                                    /* 10005: popfd */
        0x9C,                                    /* 10006: pushfd */
        0x58,                                    /* 10007: pop eax */
        0xA3, 0x00, 0x00, 0x02, 0x00,            /* 10008: mov [0x20000], eax */
        0xBF, 0x07, 0x01, 0x02, 0x00,            /* 1000d: mov edi, 0x20107 */
        0xB0, 0x5A,                              /* 10012: mov al, 0x5A */
        0xAA,                                    /* 10014: stosb */
        0x6A, 0x02,                              /* 10015: push 0x2 */
        0x9D,                                    /* 10017: popfd */
        0x9C,                                    /* 10018: pushfd */
        0x5B,                                    /* 10019: pop ebx */
        BTH_EXIT(1),                             /* 1001a: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(bth_rd32(BTH_DATA), 0xCD7, "CF PF AF ZF SF DF OF and bit 1");
    cr_assert_eq(bth_rd8(BTH_DATA + 0x107), 0x5A);
    cr_assert_eq(REG(EDI), BTH_DATA + 0x106, "stosb went down with DF=1 from popfd");
    cr_assert_eq(REG(EBX), 0x2);
    cr_assert_eq(bth_eflags(), 0x2);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_POPFD], 0, "popfd is a light callout");
    cr_assert_eq(bth_stats()->bt_light, 2);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_PUSHFD], 0, "pushfd is inline");
}

Test(sensitive, lgdt_sgdt_lidt_sidt_round_trip)
{
    static const uint8_t code[] = {
        0x0F, 0x01, 0x15, 0x00, 0x18, 0x00, 0x00, /* 10000: lgdt [0x1800] */
        0x0F, 0x01, 0x05, 0x00, 0x00, 0x02, 0x00, /* 10007: sgdt [0x20000] */
        0x0F, 0x01, 0x1D, 0x08, 0x18, 0x00, 0x00, /* 1000e: lidt [0x1808] */
        0x0F, 0x01, 0x0D, 0x08, 0x00, 0x02, 0x00, /* 10015: sidt [0x20008] */
        BTH_EXIT(1),                             /* 1001c: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_descriptor_tables(BTH_CODE);
    RUN(code);
    cr_assert_eq(bth_cpu()->gdtr.base, BTH_GDT);
    cr_assert_eq(bth_cpu()->gdtr.limit, 23);
    cr_assert_eq(bth_cpu()->idtr.base, BTH_IDT);
    cr_assert_eq(bth_cpu()->idtr.limit, 255);
    cr_assert_eq(memcmp(bth_vm->mem.ram + BTH_DATA, bth_vm->mem.ram + BTH_GDTR, 6), 0, "sgdt");
    cr_assert_eq(memcmp(bth_vm->mem.ram + BTH_DATA + 8, bth_vm->mem.ram + BTH_IDTR, 6), 0, "sidt");
    const struct stats *s = bth_stats();
    cr_assert_eq(s->callouts[ZYDIS_MNEMONIC_LGDT], 1);
    cr_assert_eq(s->callouts[ZYDIS_MNEMONIC_SGDT], 1);
    cr_assert_eq(s->callouts[ZYDIS_MNEMONIC_LIDT], 1);
    cr_assert_eq(s->callouts[ZYDIS_MNEMONIC_SIDT], 1);
}

Test(sensitive, mov_cr0)
{
    static const uint8_t code[] = {
        0x0F, 0x20, 0xC0,                        /* 10000: mov eax, cr0 */
        0x89, 0xC3,                              /* 10003: mov ebx, eax */
        0x83, 0xC8, 0x20,                        /* 10005: or eax, 0x20 */
        0x0F, 0x22, 0xC0,                        /* 10008: mov cr0, eax */
        0x0F, 0x20, 0xC1,                        /* 1000b: mov ecx, cr0 */
        BTH_EXIT(1),                             /* 1000e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(EBX), CR0_PE | CR0_ET, "CR0 after reset");
    cr_assert_eq(REG(ECX), CR0_PE | CR0_ET | CR0_NE);
    cr_assert_eq(bth_cpu()->cr0, CR0_PE | CR0_ET | CR0_NE);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_MOV], 1,
                 "mov cr0, eax leaves; the reads of CR0 are inline, the other movs copied");
}

Test(sensitive, cpuid_vendor)
{
    static const uint8_t code[] = {
        0x31, 0xC0,                              /* 10000: xor eax, eax */
        0x0F, 0xA2,                              /* 10002: cpuid */
        0x89, 0x1D, 0x00, 0x00, 0x02, 0x00,      /* 10004: mov [0x20000], ebx */
        0x89, 0x15, 0x04, 0x00, 0x02, 0x00,      /* 1000a: mov [0x20004], edx */
        0x89, 0x0D, 0x08, 0x00, 0x02, 0x00,      /* 10010: mov [0x20008], ecx */
        BTH_EXIT(1),                             /* 10016: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(memcmp(bth_vm->mem.ram + BTH_DATA, "GenuineIntel", 12), 0,
                 "vendor %.12s", (const char *)bth_vm->mem.ram + BTH_DATA);
    cr_assert_geq(bth_eax(), 1, "max basic leaf");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_CPUID], 1);
}

/* COM1 scratch register (0x3FF) and the master PIC's mask register (0x21). */
Test(sensitive, in_out_ports)
{
    static const uint8_t code[] = {
        0x66, 0xBA, 0xFF, 0x03,                  /* 10000: mov dx, 0x3FF */
        0xB0, 0x5A,                              /* 10004: mov al, 0x5A */
        0xEE,                                    /* 10006: out dx, al */
        0x31, 0xC0,                              /* 10007: xor eax, eax */
        0xEC,                                    /* 10009: in al, dx */
        0x89, 0xC3,                              /* 1000a: mov ebx, eax */
        0xB0, 0xA5,                              /* 1000c: mov al, 0xA5 */
        0xE6, 0x21,                              /* 1000e: out 0x21, al */
        0x31, 0xC0,                              /* 10010: xor eax, eax */
        0xE4, 0x21,                              /* 10012: in al, 0x21 */
        0x89, 0xC1,                              /* 10014: mov ecx, eax */
        BTH_EXIT(1),                             /* 10016: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(EBX), 0x5A, "out dx / in dx through the 16550 scratch register");
    cr_assert_eq(REG(ECX), 0xA5, "out imm8 / in imm8 through the PIC IMR");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_IN], 2);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_OUT], 3, "two here, one for the debug exit");
}

Test(sensitive, mov_from_segment_registers)
{
    static const uint8_t code[] = {
        0x8C, 0xC8,                              /* 10000: mov eax, cs */
        0x89, 0xC3,                              /* 10002: mov ebx, eax */
        0x8C, 0xD9,                              /* 10004: mov ecx, ds */
        0x66, 0x8C, 0xD2,                        /* 10006: mov dx, ss */
        BTH_EXIT(1),                             /* 10009: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_set_regs(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 0, 0);
    RUN(code);
    cr_assert_eq(REG(EBX), 0x08, "mov eax, cs zero-extends (P6 and later)");
    cr_assert_eq(REG(ECX), 0x10);
    cr_assert_eq(REG(EDX), 0xFFFF0010u, "mov dx, ss writes 16 bits");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_MOV], 0, "reads of selectors are inline");
}

/* RDTSC runs inline (bt_rdtsc, no exit) and gives the guest TSC that WRMSR
 * set, counting at 1 GHz, with the other registers and the flags kept. */
Test(sensitive, rdtsc_inline_reads_the_guest_tsc)
{
    static const uint8_t code[] = {
        0xB9, 0x10, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 0x10 (IA32_TSC) */
        0x31, 0xC0,                              /* 10005: xor eax, eax */
        0xBA, 0x00, 0x10, 0x00, 0x00,            /* 10007: mov edx, 0x1000 */
        0x0F, 0x30,                              /* 1000c: wrmsr: TSC = 0x1000_00000000 */
        0xBB, 0x11, 0x11, 0x11, 0x11,            /* 1000e: mov ebx, 0x11111111 */
        0xBE, 0x22, 0x22, 0x22, 0x22,            /* 10013: mov esi, 0x22222222 */
        0xBF, 0x33, 0x33, 0x33, 0x33,            /* 10018: mov edi, 0x33333333 */
        0xB9, 0x44, 0x44, 0x44, 0x44,            /* 1001d: mov ecx, 0x44444444 */
        0xF9,                                    /* 10022: stc */
        0x0F, 0x31,                              /* 10023: rdtsc */
        0xA3, 0x00, 0x00, 0x02, 0x00,            /* 10025: mov [0x20000], eax */
        0x89, 0x15, 0x04, 0x00, 0x02, 0x00,      /* 1002a: mov [0x20004], edx */
        0x0F, 0x31,                              /* 10030: rdtsc */
        0xA3, 0x08, 0x00, 0x02, 0x00,            /* 10032: mov [0x20008], eax */
        0x89, 0x15, 0x0C, 0x00, 0x02, 0x00,      /* 10037: mov [0x2000c], edx */
        BTH_EXIT(1),                             /* 1003d: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    const uint64_t set = 0x100000000000ull;
    RUN(code);
    uint64_t t1 = bth_rd32(BTH_DATA) | (uint64_t)bth_rd32(BTH_DATA + 4) << 32;
    uint64_t t2 = bth_rd32(BTH_DATA + 8) | (uint64_t)bth_rd32(BTH_DATA + 12) << 32;
    uint64_t now = cpu_rdtsc(bth_cpu());
    cr_assert(t1 >= set && t1 - set < 10000000000ull, "first read %#llx", (unsigned long long)t1);
    cr_assert(t2 >= t1 && now >= t2, "monotonic: %#llx %#llx %#llx", (unsigned long long)t1,
              (unsigned long long)t2, (unsigned long long)now);
    cr_assert_eq(REG(EBX), 0x11111111u);
    cr_assert_eq(REG(ESI), 0x22222222u);
    cr_assert_eq(REG(EDI), 0x33333333u);
    cr_assert_eq(REG(ECX), 0x44444444u);
    cr_assert(bth_eflags() & FL_CF, "CF kept across the helper");
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_RDTSC], 0, "rdtsc is inline");
}

/* ---- fault: a host signal in translated code is the guest's exception at
 * the guest instruction that caused it, with the state before it ---- */

/* #DE (SIGFPE) in the middle of a TU: the handler sees the EIP of the DIV,
 * CS 0x08 loaded from the GDT the guest set up, the instructions before it
 * done and the one after it not. */
Test(fault, divide_by_zero_in_the_middle_of_a_block)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xBB, 0x34, 0x12, 0x00, 0x00,            /* 1000e: mov ebx, 0x1234 */
        0xB9, 0x00, 0x00, 0x00, 0x00,            /* 10013: mov ecx, 0 */
        0xB8, 0x64, 0x00, 0x00, 0x00,            /* 10018: mov eax, 100 */
        0x31, 0xD2,                              /* 1001d: xor edx, edx */
        0x90,                                    /* 1001f: nop */
        0xF7, 0xF1,                              /* 10020: div ecx */
        0xBB, 0x99, 0x99, 0x00, 0x00,            /* 10022: mov ebx, 0x9999 */
        BTH_EXIT(1),                             /* 10027: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_install_handler();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x10020, "pushed EIP %#x, the DIV is at 0x10020", REG(ESI));
    cr_assert_eq(REG(EDI), 0x08, "pushed CS");
    cr_assert_eq(REG(EBX), 0x1234, "the mov after the DIV must not have run");
    cr_assert_eq(bth_eax(), 100, "EAX as before the DIV");
    cr_assert_eq(REG(EDX), 0);
    cr_assert_eq(REG(ESP), BTH_STACK_TOP - 12, "EIP, CS, EFLAGS pushed");
    cr_assert_eq(bth_stats()->exceptions[EXC_DE], 1);
    cr_assert_geq(bth_stats()->exits[EXIT_EXCEPTION], 1);
}

/* IDIV overflow (0x80000000 / -1) is #DE too; the three adds before it in
 * the same TU count, the one after does not. */
Test(fault, idiv_overflow)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xB9, 0xFF, 0xFF, 0xFF, 0xFF,            /* 1000e: mov ecx, -1 */
        0xB8, 0x00, 0x00, 0x00, 0x80,            /* 10013: mov eax, 0x80000000 */
        0xBA, 0xFF, 0xFF, 0xFF, 0xFF,            /* 10018: mov edx, -1 */
        0x83, 0xC3, 0x01,                        /* 1001d: add ebx, 1 */
        0x83, 0xC3, 0x02,                        /* 10020: add ebx, 2 */
        0x83, 0xC3, 0x04,                        /* 10023: add ebx, 4 */
        0xF7, 0xF9,                              /* 10026: idiv ecx */
        0x83, 0xC3, 0x08,                        /* 10028: add ebx, 8 */
        BTH_EXIT(1),                             /* 1002b: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_install_handler();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x10026, "pushed EIP %#x, the IDIV is at 0x10026", REG(ESI));
    cr_assert_eq(REG(EBX), 7);
    cr_assert_eq(bth_eax(), 0x80000000u);
    cr_assert_eq(REG(EDX), 0xFFFFFFFFu);
    cr_assert_eq(bth_stats()->exceptions[EXC_DE], 1);
}

/* UD2 is emulated: #UD is a fault, the pushed EIP is the UD2's. */
Test(fault, ud2_raises_ud_at_the_instruction)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xBB, 0x07, 0x00, 0x00, 0x00,            /* 1000e: mov ebx, 7 */
        0x0F, 0x0B,                              /* 10013: ud2 */
        BTH_EXIT(1),                             /* 10015: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_install_handler();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x10013);
    cr_assert_eq(REG(EBX), 7);
    cr_assert_eq(bth_stats()->exceptions[EXC_UD], 1);
    cr_assert_eq(bth_stats()->callouts[ZYDIS_MNEMONIC_UD2], 1);
}

/* INT3 is a trap: the pushed EIP is the next instruction's. */
Test(fault, int3_is_a_trap)
{
    static const uint8_t code[] = {
        BTH_LOAD_TABLES,                         /* 10000: lgdt [0x1800] ; lidt [0x1808] */
        0xBB, 0x07, 0x00, 0x00, 0x00,            /* 1000e: mov ebx, 7 */
        0xCC,                                    /* 10013: int3 */
        BTH_EXIT(1),                             /* 10014: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_install_handler();
    bth_load(BTH_CODE, code, sizeof code);
    bth_run_expect(BTH_EXC_CODE);
    cr_assert_eq(REG(ESI), 0x10014);
    cr_assert_eq(bth_stats()->exceptions[EXC_BP], 1);
}

/* ---- smc: a write to a page holding translations drops them ---- */

/* Writes of translated code to its code pages, by the emulator or by the
 * one-instruction path. */
static uint64_t smc_writes(void)
{
    return bth_stats()->bt_smc_faults + bth_stats()->bt_smc_emulated;
}

/* The loop rewrites the immediate of an instruction it has already run. */
Test(smc, loop_rewrites_its_own_immediate)
{
    static const uint8_t code[] = {
        0xB9, 0x03, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 3 */
        0x31, 0xF6,                              /* 10005: xor esi, esi */
        /* top: */
        /* insn: */
        0xB8, 0x11, 0x11, 0x11, 0x11,            /* 10007: mov eax, 0x11111111 */
        0x01, 0xC6,                              /* 1000c: add esi, eax */
        0xC7, 0x05, 0x08, 0x00, 0x01, 0x00, 0x22, 0x22, 0x22, 0x22, /* 1000e: mov dword [insn + 1], 0x22222222 */
        0x49,                                    /* 10018: dec ecx */
        0x75, 0xEC,                              /* 10019: jnz top */
        BTH_EXIT(1),                             /* 1001b: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(ESI), 0x11111111u + 2 * 0x22222222u,
                 "esi %#x: the new immediate must be seen from the second iteration", REG(ESI));
    cr_assert_eq(bth_eax(), 0x22222222u);
    cr_assert_geq(smc_writes(), 1);
    cr_assert_geq(bth_stats()->bt_invalidated, 1);
}

/* The store rewrites the very next instruction of its own TU. */
Test(smc, store_into_the_next_instruction)
{
    static const uint8_t code[] = {
        0xC6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42, /* 10000: mov byte [next + 1], 0x42 */
        /* next: */
        0xB3, 0x00,                              /* 10007: mov bl, 0 */
        BTH_EXIT(1),                             /* 10009: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    RUN(code);
    cr_assert_eq(REG(EBX), 0x42, "mov bl, 0 was rewritten to mov bl, 0x42 before it ran");
    cr_assert_eq(bth_stats()->bt_smc_emulated, 1, "the emulator did the write");
    cr_assert_eq(bth_stats()->bt_smc_faults, 0);
    cr_assert_eq(bth_stats()->bt_partial_invalidations, 1, "the TU of the written bytes dropped");
}

/* REP MOVSB runs as the host's own REP MOVSB on kernel-view pointers; this
 * one starts on a data page and runs into a page of translated code, so the
 * write fault comes in the middle of the copy with RSI/RDI/RCX half-way and
 * holding host pointers.  After the fix-up and the SMC exit the copy ends
 * exactly as on hardware and the next call runs the new code. */
static const uint8_t smc_rep[] = {
        0xE8, 0xFB, 0x1F, 0x00, 0x00,            /* 10000: call 0x12000 */
        0x89, 0x1D, 0x10, 0x00, 0x02, 0x00,      /* 10005: mov [0x20010], ebx */
        0xBE, 0x00, 0x00, 0x02, 0x00,            /* 1000b: mov esi, 0x20000 */
        0xBF, 0xFD, 0x1F, 0x01, 0x00,            /* 10010: mov edi, 0x11FFD */
        0xB9, 0x08, 0x00, 0x00, 0x00,            /* 10015: mov ecx, 8 */
        0xFC,                                    /* 1001a: cld */
        0xF3, 0xA4,                              /* 1001b: rep movsb */
        0x89, 0x35, 0x14, 0x00, 0x02, 0x00,      /* 1001d: mov [0x20014], esi */
        0x89, 0x3D, 0x18, 0x00, 0x02, 0x00,      /* 10023: mov [0x20018], edi */
        0x89, 0x0D, 0x1C, 0x00, 0x02, 0x00,      /* 10029: mov [0x2001C], ecx */
        0xE8, 0xCC, 0x1F, 0x00, 0x00,            /* 1002f: call 0x12000 */
        BTH_EXIT(1),                             /* 10034: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
};
static const uint8_t smc_rep_f[] = {
        0xBB, 0x11, 0x11, 0x11, 0x11,            /* 12000: mov ebx, 0x11111111 */
        0xC3,                                    /* 12005: ret */
};
static const uint8_t smc_rep_new[8] = {
    0xAA, 0xBB, 0xCC,                       /* three bytes for page 0x11000 */
    0xBB, 0x77, 0x77, 0x77, 0x77,           /* mov ebx, 0x77777777 over the mov at 0x12000 */
};

static void smc_rep_run(void)
{
    bth_load(0x12000, smc_rep_f, sizeof smc_rep_f);
    bth_load(BTH_DATA, smc_rep_new, sizeof smc_rep_new);
    bth_run_code(smc_rep, sizeof smc_rep);
}

Test(smc, rep_movs_into_translated_code)
{
    smc_rep_run();
    cr_assert_eq(bth_rd32(BTH_DATA + 0x10), 0x11111111u, "first call ran the old code");
    cr_assert_eq(REG(EBX), 0x77777777u, "second call ran the copied code");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x14), BTH_DATA + 8, "esi after rep movsb");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x18), 0x12005, "edi after rep movsb");
    cr_assert_eq(bth_rd32(BTH_DATA + 0x1C), 0, "ecx after rep movsb");
    cr_assert_eq(memcmp(bth_vm->mem.ram + 0x11FFD, smc_rep_new, 8), 0);
    cr_assert_geq(smc_writes(), 1);
}

/* A chained jump to page B stays correct when the guest rewrites B: the
 * chain into the dropped TU must go back through its exit stub. */
Test(smc, chained_branch_into_a_rewritten_page)
{
    static const uint8_t a[] = {
        0xB9, 0x04, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 4 */
        0x31, 0xF6,                              /* 10005: xor esi, esi */
        /* loopA: */
        0xE9, 0xF4, 0x0F, 0x00, 0x00,            /* 10007: jmp 0x11000 */
        /* backA: */
        0x83, 0xF9, 0x02,                        /* 1000c: cmp ecx, 2 */
        0x75, 0x0A,                              /* 1000f: jne skip */
        0xC7, 0x05, 0x02, 0x10, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, /* 10011: mov dword [0x11002], 0x100 */
        /* skip: */
        0x49,                                    /* 1001b: dec ecx */
        0x75, 0xE9,                              /* 1001c: jnz loopA */
        0x89, 0xF0,                              /* 1001e: mov eax, esi */
        BTH_EXIT(1),                             /* 10020: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    static const uint8_t b[] = {
        0x81, 0xC6, 0x01, 0x00, 0x00, 0x00,      /* 11000: add esi, strict dword 1 */
        0xE9, 0x01, 0xF0, 0xFF, 0xFF,            /* 11006: jmp 0x1000C */
    };
    bth_load(0x11000, b, sizeof b);
    RUN(a);
    cr_assert_eq(bth_eax(), 3 + 0x100, "esi %#x: iterations 1-3 add 1, iteration 4 adds 0x100",
                 bth_eax());
    cr_assert_gt(bth_stats()->bt_chained, 0);
    cr_assert_geq(smc_writes(), 1);
}

/* A loop that writes a variable in its own page (real-mode code does so
 * all the time): the emulator does each write, the loop's TU stays. */
static const uint8_t data_beside_code[] = {
        0xB9, 0x10, 0x00, 0x00, 0x00,            /* 10000: mov ecx, 16 (patched) */
        /* top: */
        0x01, 0x0D, 0x00, 0x08, 0x01, 0x00,      /* 10005: add [0x10800], ecx */
        0x49,                                    /* 1000b: dec ecx */
        0x75, 0xF7,                              /* 1000c: jnz top */
        0xA1, 0x00, 0x08, 0x01, 0x00,            /* 1000e: mov eax, [0x10800] */
        BTH_EXIT(1),
};

Test(smc, data_writes_beside_code_keep_its_translation)
{
    RUN(data_beside_code);
    cr_assert_eq(bth_eax(), 16 * 17 / 2);
    cr_assert_eq(bth_stats()->bt_smc_emulated, 16);
    cr_assert_eq(bth_stats()->bt_smc_faults, 0);
    cr_assert_eq(bth_stats()->bt_invalidated, 0, "a TU was dropped for a write beside it");
}

/* Written BT_DATA_WRITES times, the page is taken for data: its TUs go and
 * it stays writable until code on it is translated again. */
Test(smc, a_page_written_often_is_taken_for_data)
{
    uint8_t code[sizeof data_beside_code];
    memcpy(code, data_beside_code, sizeof code);
    code[1] = 200;
    RUN(code);
    cr_assert_eq(bth_eax(), 200 * 201 / 2);
    cr_assert_geq(bth_stats()->bt_smc_faults, 1, "never taken for data");
    cr_assert_geq(bth_stats()->bt_smc_emulated, BT_DATA_WRITES - 1);
    cr_assert_lt(bth_stats()->bt_smc_emulated, 200, "every write emulated");
}

/* ---- cache: the translation cache seen from the monitor ---- */

static const uint8_t simple[] = {
        0xB8, 0x01, 0x00, 0x00, 0x00,            /* 10000: mov eax, 1 */
        0xBB, 0x02, 0x00, 0x00, 0x00,            /* 10005: mov ebx, 2 */
        0x01, 0xD8,                              /* 1000a: add eax, ebx */
        0x50,                                    /* 1000c: push eax */
        0x59,                                    /* 1000d: pop ecx */
        BTH_EXIT(1),                             /* 1000e: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
};
static const uint32_t simple_eips[] = {
    0x10000, 0x10005, 0x1000A, 0x1000C, 0x1000D, 0x1000E, 0x10013, 0x10015,
};
#define NSIMPLE (sizeof simple_eips / sizeof simple_eips[0])

Test(cache, tc_find_after_translation)
{
    bth_run_code(simple, sizeof simple);
    cr_assert_eq(bth_eax(), 3);
    cr_assert_eq(REG(ECX), 3);
    struct tc *tc = bth_vm->tc;
    struct tu *tu = tc_find(tc, BTH_CODE, false);
    cr_assert_not_null(tu, "no TU for 0x10000 after running it");
    cr_assert(tu->valid);
    cr_assert_eq(tu->eip, BTH_CODE);
    cr_assert_eq(tu->lin, BTH_CODE);
    cr_assert_eq(tu->page[0], BTH_CODE);
    cr_assert_eq(tu->page[1], BTH_CODE);
    cr_assert_eq(tu->ninsn, NSIMPLE, "the out that ends the TU is part of it");
    cr_assert_eq(tu->guest_len, sizeof simple);
    cr_assert_null(tc_find(tc, BTH_CODE + 5, false), "no TU starts at the second instruction");
    cr_assert_eq(bth_stats()->bt_blocks, 1);
    cr_assert_eq(bth_stats()->bt_guest_insns, NSIMPLE);
    cr_assert_eq(bth_vm->mem.code_pages[BTH_CODE / GUEST_PAGE_SIZE], 1, "code page write-protected");
    cr_assert_eq(tc->lookup_keys[0][tc_lookup_slot(BTH_CODE)], BTH_CODE, "installed in the lookup table");
    cr_assert_eq(tc->lookup_code[0][tc_lookup_slot(BTH_CODE)], (uint64_t)(uintptr_t)tu->code);
}

/* CPL-3 translations (ring 3 with CR0.TS/EM, monitor/run.c) and CPL-0 ones
 * of the same address never meet: separate TUs, separate lookup tables,
 * and bt_drop_user drops only the CPL-3 ones. */
Test(cache, cpl3_tus_are_a_mode_of_their_own)
{
    bth_run_code(simple, sizeof simple);
    struct tc *tc = bth_vm->tc;
    struct vcpu *c = bth_cpu();
    struct tu *k = tc_find(tc, BTH_CODE, false);
    cr_assert_not_null(k);
    cr_assert_null(tc_find(tc, BTH_CODE, true), "a CPL-0 TU found at CPL 3");
    bth_vm->stop = false;           /* the run ended at its debug-exit OUT */
    c->cpl = 3;
    c->eip = BTH_CODE;
    void *code = bt_find_or_translate(bth_vm, false);
    cr_assert_not_null(code);
    struct tu *u = tc_find(tc, BTH_CODE, true);
    cr_assert_not_null(u, "no CPL-3 TU after translating at CPL 3");
    cr_assert(u->user && !k->user);
    cr_assert_eq(u->code, code);
    cr_assert_neq(u->code, k->code);
    cr_assert_eq(tc->lookup_code[1][tc_lookup_slot(BTH_CODE)], (uint64_t)(uintptr_t)u->code);
    cr_assert_eq(tc->lookup_code[0][tc_lookup_slot(BTH_CODE)], (uint64_t)(uintptr_t)k->code);
    bt_prepare_segments(c);
    cr_assert_eq(c->bt.xview, 0, "CPL 3 runs in the user view");
    cr_assert_eq(c->bt.lookup_table, (uint64_t)(uintptr_t)tc->lookup_base[1]);
    bt_drop_user(bth_vm);
    cr_assert_null(tc_find(tc, BTH_CODE, true), "CPL-3 TU kept by bt_drop_user");
    cr_assert_eq(tc_find(tc, BTH_CODE, false), k, "CPL-0 TU dropped by bt_drop_user");
    cr_assert_neq(tc->lookup_keys[1][tc_lookup_slot(BTH_CODE)], BTH_CODE);
    c->cpl = 0;
    bt_prepare_segments(c);
    cr_assert_eq(c->bt.xview, c->bt.kview);
}

/* CPL-3 TUs are kept per address space: bt_check_user (after a CR3 load
 * or INVLPG) keeps them while their code pages map as when they were
 * made, and drops those of a page that now maps elsewhere. */
Test(cache, cpl3_tus_checked_against_their_code_pages)
{
    bth_run_code(simple, sizeof simple);
    struct tc *tc = bth_vm->tc;
    struct vcpu *c = bth_cpu();
    bth_vm->stop = false;
    c->cpl = 3;
    c->eip = BTH_CODE;
    cr_assert_not_null(bt_find_or_translate(bth_vm, false));
    struct tu *u = tc_find(tc, BTH_CODE, 1);
    cr_assert_not_null(u);
    cr_assert_eq(u->table, 1, "CPL 3 in shadow view 0: table 1");
    cr_assert_eq(tc->user[0].ncode, 1, "one code page recorded");
    cr_assert_eq(tc->user[0].code_lin[0], BTH_CODE & ~0xFFFu);
    bt_check_user(bth_vm);
    cr_assert_eq(tc_find(tc, BTH_CODE, 1), u, "unchanged mapping: kept");
    cr_assert_eq(bth_vm->stats.bt_user_drops, 0);
    tc->user[0].code_pa[0] ^= 0x1000;       /* as if it had mapped another frame */
    bt_check_user(bth_vm);
    cr_assert_null(tc_find(tc, BTH_CODE, 1), "a TU of a remapped code page survived");
    cr_assert_eq(bth_vm->stats.bt_user_drops, 1);
    cr_assert_eq(tc->user[0].ncode, 0, "the page is forgotten");
    cr_assert_neq(tc->lookup_keys[1][tc_lookup_slot(BTH_CODE)], BTH_CODE, "still in the lookup table");
    cr_assert_not_null(tc_find(tc, BTH_CODE, 0), "the CPL-0 TU is not concerned");
    /* The TU sleeps: once its page maps the frame it came from again (here
     * at once: paging is off), it is found without a new translation. */
    cr_assert(u->dormant && !u->valid);
    cr_assert_eq(tc_revive(bth_vm, BTH_CODE, 1, 0), u, "a dormant TU of an unchanged page not revived");
    cr_assert(u->valid && !u->dormant);
    cr_assert_eq(bth_vm->stats.bt_user_revived, 1);
    cr_assert_eq(tc_find(tc, BTH_CODE, 1), u);
    cr_assert_eq(tc->user[0].ncode, 1, "its code page is recorded again");
    /* A write to the page kills it, dormant or not: no revival after. */
    tc->user[0].code_pa[0] ^= 0x1000;
    bt_check_user(bth_vm);
    bt_invalidate_page(bth_vm, BTH_CODE & ~0xFFFu);
    cr_assert(!u->dormant && !u->valid);
    cr_assert_null(tc_revive(bth_vm, BTH_CODE, 1, 0), "a TU of a written page revived");
    c->cpl = 0;
}

Test(cache, flush_empties_it_and_the_guest_still_runs)
{
    bth_run_code(simple, sizeof simple);
    struct tc *tc = bth_vm->tc;
    bt_flush(bth_vm, "unit test");
    cr_assert_null(tc_find(tc, BTH_CODE, false));
    cr_assert_eq(tc->ntus, 0);
    cr_assert_eq(bth_stats()->bt_flushes, 1);
    cr_assert_eq(bth_vm->mem.code_pages[BTH_CODE / GUEST_PAGE_SIZE], 0, "code page unprotected");
    cr_assert_neq(tc->lookup_keys[0][tc_lookup_slot(BTH_CODE)], BTH_CODE, "lookup table emptied");
    bth_set_regs(0, 0, 0, 0, 0, 0, 0);
    bth_cpu()->gpr[R_ESP] = BTH_STACK_TOP;
    bth_run_code(simple, sizeof simple);
    cr_assert_eq(bth_eax(), 3);
    cr_assert_eq(REG(ECX), 3);
    cr_assert_not_null(tc_find(tc, BTH_CODE, false), "translated again");
    cr_assert_eq(bth_stats()->bt_blocks, 2);
}

/*
 * Four TUs: T1 on page A (0x10000), T2 a single instruction that starts on
 * A and ends on B (0x11000), T3 on B, T4 on C (0x12000).  Dropping page B
 * must drop exactly T2 and T3, unchain T1's jump into T2, and the rewritten
 * bytes of B must be what runs next.
 */
Test(cache, invalidate_page_drops_exactly_its_tus)
{
    static const uint8_t pa[] = {
        0xB8, 0x01, 0x00, 0x00, 0x00,            /* 10000: mov eax, 1 */
        0xE9, 0xF3, 0x0F, 0x00, 0x00,            /* 10005: jmp 0x10FFD */
    };
    static const uint8_t pab[] = {
        0xBB, 0x78, 0x56, 0x34, 0x12,            /* 10ffd: mov ebx, 0x12345678 */
        0x83, 0xC0, 0x02,                        /* 11002: add eax, 2 */
        0xE9, 0xF6, 0x0F, 0x00, 0x00,            /* 11005: jmp 0x12000 */
    };
    static const uint8_t pc[] = {
        0x83, 0xC0, 0x04,                        /* 12000: add eax, 4 */
        BTH_EXIT(1),                             /* 12003: mov [0x3000], eax ; mov al, 1 ; out 0xf4, al */
    };
    bth_load(0x10FFD, pab, sizeof pab);
    bth_load(0x12000, pc, sizeof pc);
    RUN(pa);
    cr_assert_eq(bth_eax(), 7);
    cr_assert_eq(REG(EBX), 0x12345678);
    struct tc *tc = bth_vm->tc;
    struct tu *t1 = tc_find(tc, 0x10000, false), *t2 = tc_find(tc, 0x10FFD, false);
    struct tu *t3 = tc_find(tc, 0x11002, false), *t4 = tc_find(tc, 0x12000, false);
    cr_assert(t1 && t2 && t3 && t4, "four TUs");
    cr_assert_eq(t2->page[0], 0x10000);
    cr_assert_eq(t2->page[1], 0x11000, "the straddling instruction covers page B too");
    cr_assert_gt(bth_stats()->bt_chained, 0, "T1 -> T2 -> T3 -> T4 chained");

    bt_invalidate_page(bth_vm, 0x11000);
    cr_assert_eq(bth_stats()->bt_invalidated, 2);
    cr_assert_not_null(tc_find(tc, 0x10000, false), "T1 (page A only) survives");
    cr_assert_null(tc_find(tc, 0x10FFD, false), "T2 (pages A and B) is dropped");
    cr_assert_null(tc_find(tc, 0x11002, false), "T3 (page B) is dropped");
    cr_assert_not_null(tc_find(tc, 0x12000, false), "T4 (page C) survives");
    cr_assert_eq(bth_vm->mem.code_pages[0x11], 0);
    cr_assert_eq(bth_vm->mem.code_pages[0x10], 1);
    cr_assert_eq(bth_vm->mem.code_pages[0x12], 1);

    bth_wr8(0x11001, 0x99);         /* mov ebx, 0x99345678 */
    bth_wr8(0x11004, 0x08);         /* add eax, 8 */
    bth_cpu()->eip = BTH_CODE;
    bth_run_expect(1);
    cr_assert_eq(bth_eax(), 13, "eax %u: T1's chained jump still led to the dropped T2", bth_eax());
    cr_assert_eq(REG(EBX), 0x99345678u);
}

/* Inside the native REP MOVSB, bt_host_fault also says that RSI and RDI hold
 * host pointers (TU_FIX_*), so that the signal handler makes them offsets. */
Test(cache, host_fault_reports_string_fixups)
{
    smc_rep_run();
    struct tc *tc = bth_vm->tc;
    struct tu *tu = tc_find(tc, 0x10005, false);
    cr_assert_not_null(tu, "TU after the first call");
    const struct tu_map *m = &tc->map[tu->map_first];
    unsigned i = 0;
    while (i < tu->ninsn && !(m[i].eip == 0x1001B && m[i].fix))
        i++;
    cr_assert_lt(i, tu->ninsn, "no map entry with fix-ups for the rep movsb at 0x1001b");
    uint32_t eip = 0;
    unsigned fix = 0;
    cr_assert(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)(tu->code + m[i].host_off), &eip, &fix));
    cr_assert_eq(eip, 0x1001B);
    cr_assert_eq(fix, TU_FIX_ESI | TU_FIX_EDI);
}

/* bt_host_fault maps every host address of a TU's code to the guest
 * instruction it was made from, and says no outside the TUs. */
Test(cache, host_fault_maps_host_addresses_to_guest_eips)
{
    bth_run_code(simple, sizeof simple);
    struct tc *tc = bth_vm->tc;
    struct tu *tu = tc_find(tc, BTH_CODE, false);
    cr_assert_not_null(tu);
    const struct tu_map *m = &tc->map[tu->map_first];
    for (unsigned i = 0; i < NSIMPLE; i++) {
        cr_assert_eq(m[i].eip, simple_eips[i], "map entry %u", i);
        uint32_t end = i + 1 < NSIMPLE ? m[i + 1].host_off : tu->code_len;
        cr_assert_lt(m[i].host_off, end, "instruction %u has host code", i);
        uint32_t eip = 0;
        unsigned fix = 99;
        cr_assert(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)(tu->code + m[i].host_off), &eip, &fix));
        cr_assert_eq(eip, simple_eips[i], "first host byte of instruction %u -> %#x", i, eip);
        cr_assert_eq(fix, 0, "no string instruction here");
        eip = 0;
        cr_assert(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)(tu->code + end - 1), &eip, &fix));
        cr_assert_eq(eip, simple_eips[i], "last host byte of instruction %u -> %#x", i, eip);
    }
    uint32_t eip = 0xDEAD;
    unsigned fix;
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)tc->base, &eip, &fix),
                  "the exit trampoline belongs to no TU");
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)tc->free, &eip, &fix), "past the last TU");
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)(tc->end - 1), &eip, &fix));
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)tc->base - 1, &eip, &fix), "below the TC");
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)bth_vm, &eip, &fix), "monitor data");
    cr_assert_not(bt_host_fault(bth_vm, (uint64_t)(uintptr_t)&bt_flush, &eip, &fix), "monitor code");
    cr_assert_eq(eip, 0xDEAD, "guest_eip untouched when the answer is no");
}

/* Paging for the CPL-0 coherence tests: a page table mapping the first
 * 4 MiB 1:1 (directory entry 0) and a 4 MiB page at 4 MiB (entry 1). */
#define PG_PD 0x30000u
#define PG_PT 0x31000u
static void paging_on(void)
{
    struct vcpu *c = bth_cpu();
    for (uint32_t i = 0; i < 1024; i++)
        bth_wr32(PG_PT + i * 4, i << 12 | 3);
    bth_wr32(PG_PD, PG_PT | 3);
    bth_wr32(PG_PD + 4, 0x400000u | 0x83);          /* P, W, PS */
    c->cr3 = PG_PD;
    c->cr4 |= CR4_PSE;
    c->cr0 |= CR0_PG;
    shadow_reset(bth_vm);
}

static void paging_off(void)
{
    bth_cpu()->cr0 &= ~CR0_PG;
    shadow_reset(bth_vm);
}

/* CPL-0 TUs are one set for every address space, kept while their code
 * pages map the frames they were made from (bt/tc_kernel.c): a page found
 * mapping another frame at a flush point (bt_check_kernel) puts its TUs to
 * sleep - out of the lookup table, incoming branches unchained - and
 * tc_revive wakes them when the page maps that frame again. */
Test(cache, cpl0_tus_checked_against_their_code_pages)
{
    static const uint8_t code[] = {
        0xE9, 0xFB, 0x0F, 0x00, 0x00,            /* 10000: jmp 0x11000 */
    };
    static const uint8_t next[] = {
        0xB8, 0x05, 0x00, 0x00, 0x00,            /* 11000: mov eax, 5 */
        BTH_EXIT(1),
    };
    bth_load(0x11000, next, sizeof next);
    RUN(code);
    cr_assert_eq(bth_eax(), 5);
    struct tc *tc = bth_vm->tc;
    struct tu *t1 = tc_find(tc, BTH_CODE, 0), *t2 = tc_find(tc, 0x11000, 0);
    cr_assert(t1 && t2);
    cr_assert_neq(t2->links, -1, "T1's jump chained into T2");
    struct tc_region *r = tc->kern.reg[0];
    uint32_t i = 0x11;
    cr_assert_not_null(r, "region 0 recorded");
    cr_assert(r->bits[i / 32] >> (i % 32) & 1, "code page 0x11 recorded");
    cr_assert_eq(r->frame[i], i, "paging off: linear page = frame");
    paging_on();
    bt_check_kernel(bth_vm, true, 0);
    cr_assert_eq(tc_find(tc, 0x11000, 0), t2, "the same frame under paging: kept");
    cr_assert_eq(bth_stats()->bt_kernel_drops, 0);

    bth_wr32(PG_PT + i * 4, 0x50000u | 3);          /* page 0x11 -> frame 0x50 */
    bt_check_kernel(bth_vm, false, 0x11000 + (4u << 20));
    cr_assert_eq(tc_find(tc, 0x11000, 0), t2, "INVLPG of another region checked this one");
    bt_check_kernel(bth_vm, false, 0x11000 + 0x123);
    cr_assert_null(tc_find(tc, 0x11000, 0), "a TU of a remapped code page survived INVLPG");
    cr_assert(t2->dormant && !t2->valid);
    cr_assert_eq(tc_find(tc, BTH_CODE, 0), t1, "the TU of an unchanged page went too");
    cr_assert_eq(bth_stats()->bt_kernel_drops, 1);
    cr_assert_not(r->bits[i / 32] >> (i % 32) & 1, "the page is forgotten");
    cr_assert_neq(tc->lookup_keys[0][tc_lookup_slot(0x11000)], 0x11000, "still in the lookup table");
    cr_assert_eq(t2->links, -1, "T1's jump still chained into it");
    cr_assert_null(tc_revive(bth_vm, 0x11000, 0, 0), "revived while the page maps another frame");

    bth_wr32(PG_PT + i * 4, 0x11000u | 3);
    cr_assert_eq(tc_revive(bth_vm, 0x11000, 0, 0), t2, "the page maps its frame again: revived");
    cr_assert(t2->valid && !t2->dormant);
    cr_assert_eq(bth_stats()->bt_kernel_revived, 1);
    cr_assert(r->bits[i / 32] >> (i % 32) & 1, "recorded again");
    cr_assert_eq(r->frame[i], i);
    bt_check_kernel(bth_vm, true, 0);
    bt_invalidate_page(bth_vm, 0x11000);
    cr_assert_null(tc_revive(bth_vm, 0x11000, 0, 0), "a TU of a written frame revived");
    paging_off();
}

/* Through the live tables: a PTE remapped (a new translation of the new
 * frame), mapped back (the first TU serves again), and a 4 MiB page whose
 * region is checked with one comparison until its directory entry
 * changes. */
Test(cache, cpl0_tus_follow_ptes_and_4mib_pages)
{
    struct vcpu *c = bth_cpu();
    struct tc *tc = bth_vm->tc;
    bth_load(BTH_CODE, simple, sizeof simple);
    bth_load(0x50000, simple, sizeof simple);
    bth_wr8(0x50001, 7);                            /* mov eax, 7 */
    bth_load(0x401000, simple, sizeof simple);
    paging_on();

    c->eip = BTH_CODE;
    void *first = bt_find_or_translate(bth_vm, false);
    cr_assert_not_null(first);
    bth_wr32(PG_PT + 0x10 * 4, 0x50000u | 3);       /* the PTE now names frame 0x50 */
    bt_check_kernel(bth_vm, false, BTH_CODE);
    cr_assert_null(tc_find(tc, BTH_CODE, 0), "INVLPG left the TU of the old frame");
    void *second = bt_find_or_translate(bth_vm, false);
    cr_assert_neq(second, first, "the old translation served the new frame");
    cr_assert_eq(tc_find(tc, BTH_CODE, 0)->page[0], 0x50000u);
    bth_wr32(PG_PT + 0x10 * 4, BTH_CODE | 3);
    bt_check_kernel(bth_vm, true, 0);               /* a CR3 load */
    cr_assert_eq(bt_find_or_translate(bth_vm, false), first, "mapped back: the first TU revived");
    cr_assert_eq(bth_stats()->bt_kernel_revived, 1);

    c->eip = 0x401000;
    cr_assert_not_null(bt_find_or_translate(bth_vm, false));
    bt_check_kernel(bth_vm, true, 0);
    cr_assert_eq(tc->kern.reg[1]->pde, 0x400000u | 0x81, "region 1 checked under its 4 MiB page");
    cr_assert_not_null(tc_find(tc, 0x401000, 0));
    bth_wr32(PG_PD + 4, 0x800000u | 0x83);          /* another 4 MiB frame */
    bt_check_kernel(bth_vm, true, 0);
    cr_assert_null(tc_find(tc, 0x401000, 0), "a TU of the old 4 MiB frame survived");
    cr_assert_not_null(tc_find(tc, BTH_CODE, 0), "region 0 is not concerned");
    paging_off();
}
