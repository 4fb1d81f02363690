/*
 * tests/unit/test_v86.c - virtual-8086 mode (cpu/v86.c through
 * cpu/emulate.c, cpu/exceptions.c, cpu/realmode.c and cpu/task.c):
 * entry by IRET at CPL 0 and by task switch, real-mode segments with a
 * 0xFFFF limit, the IOPL-sensitive instructions at IOPL 0 and 3, the I/O
 * bitmap, the instructions the mode refuses, page faults with the user
 * bit, the ring-0 frame and the null data segments on every exit, and the
 * IRET back.
 *
 * The machine is emulate_fixture.h's: a TSS whose ring-0 stack is
 * K_DS:STACK0 with ports 0x70-0x71 open in its bitmap, and an IDT of
 * 32-bit interrupt gates to HANDLER(v) in K_CS (DPL 3 for 3, 4 and 0x80).
 */
#include "emulate_fixture.h"
#include "cpu/exceptions.h"
#include "cpu/task.h"
#include "cpu/v86.h"
#include "devices/device.h"

/* The virtual-8086 task: code at 2000:0100, stack 4000:1000. */
#define V_CS 0x2000u
#define V_IP 0x0100u
#define V_SS 0x4000u
#define V_SP 0x1000u
#define V_DS 0x3000u
#define V_ES 0x5000u
#define V_FS 0x6000u
#define V_GS 0x7000u
#define V_FL (FL_FIXED | FL_VM | FL_IF)
#define IOPL(n) ((uint32_t)(n) << 12)
#define V_FRAME 36u                 /* GS FS DS ES SS ESP EFLAGS CS EIP */

static void put16(uint32_t pa, uint16_t v) { memcpy(ram + pa, &v, 2); }

/* Ring 0 runs IRETD with a virtual-8086 frame (EFLAGS | VM) on its stack. */
static enum em_result iret_to_v86(uint32_t eflags)
{
    const uint32_t f[9] = { V_IP, V_CS, eflags, V_SP, V_SS, V_ES, V_DS, V_FS, V_GS };
    c->gpr[R_ESP] = STACK - sizeof f;
    memcpy(ram + c->gpr[R_ESP], f, sizeof f);
    c->eip = CODE;
    return RUN(0xCF);                                        /* iretd */
}

static void enter_v86(int iopl)
{
    cr_assert_eq(iret_to_v86(V_FL | IOPL(iopl)), EM_OK);
    cr_assert(cpu_v86(c));
}

/* The event `vec` left virtual-8086 mode for its ring-0 handler: the
 * frame on the TSS's ring-0 stack, VM clear, null data segments. */
static void check_exit(int vec, bool has_err, uint32_t errc, uint16_t ip, uint16_t sp)
{
    uint32_t at = STACK0 - V_FRAME - (has_err ? 4 : 0);
    cr_assert_eq(c->eip, HANDLER(vec), "expected vector %d, eip %#x", vec, c->eip);
    cr_assert_eq(c->seg[S_CS].sel, K_CS);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->seg[S_SS].sel, K_DS);
    cr_assert_eq(c->gpr[R_ESP], at);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_VM | FL_TF | FL_RF | FL_NT | FL_IF), 0);
    if (has_err) {
        cr_assert_eq(get32(at), errc, "error code %#x", get32(at));
        at += 4;
    }
    cr_assert_eq(get32(at), ip, "pushed eip %#x", get32(at));
    cr_assert_eq(get32(at + 4), V_CS);
    cr_assert(get32(at + 8) & FL_VM, "pushed eflags %#x", get32(at + 8));
    cr_assert_eq(get32(at + 12), sp);
    cr_assert_eq(get32(at + 16), V_SS);
    cr_assert_eq(get32(at + 20), V_ES);
    cr_assert_eq(get32(at + 24), V_DS);
    cr_assert_eq(get32(at + 28), V_FS);
    cr_assert_eq(get32(at + 32), V_GS);
    static const int data[] = { S_ES, S_DS, S_FS, S_GS };
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(c->seg[data[i]].sel, 0);
        cr_assert_eq(SEG_ATTR_P(c->seg[data[i]].attr), 0);
    }
}

static void check_gp0_at(uint16_t ip)
{
    check_exit(EXC_GP, true, 0, ip, V_SP);
}

TestSuite(v86, .init = setup, .fini = teardown);

/* ---- entering ---- */

Test(v86, iret_at_cpl0_enters_with_paragraph_segments)
{
    cr_assert_eq(iret_to_v86(V_FL | IOPL(3) | FL_VIP | FL_AC | 0xFFC00000u), EM_OK);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->eip, V_IP);
    cr_assert_eq(c->gpr[R_ESP], V_SP);
    cr_assert_eq(vcpu_get_eflags(c), V_FL | IOPL(3) | FL_VIP | FL_AC,
                 "eflags %#x: loaded whole, reserved bits clear", vcpu_get_eflags(c));
    static const uint16_t sel[S_NSEG] = { V_ES, V_CS, V_SS, V_DS, V_FS, V_GS };
    for (int s = 0; s < S_NSEG; s++) {
        cr_assert_eq(c->seg[s].sel, sel[s]);
        cr_assert_eq(c->seg[s].base, (uint32_t)sel[s] << 4);
        cr_assert_eq(c->seg[s].limit, 0xFFFF);
        cr_assert_eq(c->seg[s].attr, V86_SEG_ATTR);
    }
}

Test(v86, iret_to_v86_masks_eip_to_16_bits)
{
    const uint32_t f[9] = { 0x12340100, V_CS, V_FL, V_SP, V_SS, V_ES, V_DS, V_FS, V_GS };
    c->gpr[R_ESP] = STACK - sizeof f;
    memcpy(ram + c->gpr[R_ESP], f, sizeof f);
    cr_assert_eq(RUN(0xCF), EM_OK);
    cr_assert_eq(c->eip, 0x0100);
}

/* All 36 bytes must lie in the ring-0 stack segment: #SS(0) at the IRET,
 * nothing changed. */
Test(v86, iret_to_v86_checks_the_whole_frame)
{
    seg_set_raw(&c->seg[S_SS], K_DS, 0, STACK - 36 + 20, 0x4093);
    uint32_t esp = STACK - 36;
    cr_assert_eq(iret_to_v86(V_FL), EM_OK);
    cr_assert_eq(c->eip, HANDLER(EXC_SS));
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(vcpu_get_eflags(c) & FL_VM, 0);
    cr_assert_eq(get32(c->gpr[R_ESP]), 0);                   /* error code */
    cr_assert_eq(get32(c->gpr[R_ESP] + 4), CODE);
    cr_assert_eq(c->gpr[R_ESP], esp - 16);
}

/* A task gate in the IDT from ring 0 into a TSS whose EFLAGS has VM set. */
Test(v86, task_switch_enters_v86)
{
    const uint32_t tss2 = 0x5000, sel2 = 0x48;
    gdt_set(TSS_SEL, TSS, IOMAP + 128, 0x00008B00);          /* the running task: busy */
    gdt_set(sel2, tss2, 0x67, 0x00008900);
    c->gdtr.limit = 0x4F;
    memset(ram + tss2, 0, 0x68);
    put32(tss2 + TSS_EIP, V_IP);
    put32(tss2 + TSS_EFLAGS, V_FL | IOPL(3));
    put32(tss2 + TSS_GPR + 4 * R_ESP, V_SP);
    static const uint16_t sel[S_NSEG] = { V_ES, V_CS, V_SS, V_DS, V_FS, V_GS };
    for (int s = 0; s < S_NSEG; s++)
        put16(tss2 + TSS_SREG + 4 * s, sel[s]);
    put32(IDT + 0x41 * 8, (uint32_t)sel2 << 16);
    put32(IDT + 0x41 * 8 + 4, 0x8500);
    c->eip = CODE + 2;
    cr_assert_eq(cpu_soft_int(c, 0x41, CODE), 0);
    cr_assert(cpu_v86(c));
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->tr.sel, sel2);
    cr_assert_eq(c->eip, V_IP);
    cr_assert_eq(c->seg[S_SS].base, V_SS << 4);
    cr_assert_eq(c->seg[S_CS].attr, V86_SEG_ATTR);
    cr_assert(vcpu_get_eflags(c) & FL_NT);
    /* The V86 task's code runs: inc ax */
    c->gpr[R_EAX] = 41;
    cr_assert_eq(RUN(0x40), EM_OK);
    cr_assert_eq(c->gpr[R_EAX], 42);
}

/* ---- running: segments, limits, prefixes, arithmetic ---- */

Test(v86, segment_loads_are_paragraphs)
{
    enter_v86(3);
    seg_set_raw(&c->seg[S_DS], V_DS, V_DS << 4, 0xFFFF, 0);    /* whatever was cached */
    c->gpr[R_EAX] = 0x1234;
    cr_assert_eq(RUN(0x8E, 0xD8), EM_OK);                    /* mov ds, ax */
    cr_assert_eq(c->seg[S_DS].sel, 0x1234);
    cr_assert_eq(c->seg[S_DS].base, 0x12340);
    cr_assert_eq(c->seg[S_DS].limit, 0xFFFF);
    cr_assert_eq(c->seg[S_DS].attr, V86_SEG_ATTR);
    put16((V_DS << 4) + 0x500, 0x0040);
    put16((V_DS << 4) + 0x502, 0x5678);
    c->seg[S_DS] = (struct seg){ V_DS, V_DS << 4, 0xFFFF, V86_SEG_ATTR };
    cr_assert_eq(RUN(0xC4, 0x36, 0x00, 0x05), EM_OK);        /* les si, [0x500] */
    cr_assert_eq(c->seg[S_ES].base, 0x56780);
    cr_assert_eq(c->seg[S_ES].attr, V86_SEG_ATTR);
    cr_assert_eq(c->gpr[R_ESI] & 0xFFFF, 0x40);
    c->gpr[R_EBX] = 0x0008;                                  /* a GDT index in PM: not here */
    cr_assert_eq(RUN(0x8E, 0xD3), EM_OK);                    /* mov ss, bx */
    cr_assert_eq(c->seg[S_SS].base, 0x80);
    cr_assert(info.irq_shadow);
}

Test(v86, arithmetic_memory_and_prefixes)
{
    enter_v86(3);
    uint32_t ds = V_DS << 4;
    put16(ds + 0x10, 1000);
    c->gpr[R_EBX] = 0x10;
    c->gpr[R_EAX] = 234;
    cr_assert_eq(RUN(0x01, 0x07), EM_OK);                    /* add [bx], ax */
    cr_assert_eq(get16(ds + 0x10), 1234);
    cr_assert_eq(c->eip, V_IP + 2);
    cr_assert_eq(RUN(0x66, 0xB8, 0x78, 0x56, 0x34, 0x12), EM_OK);   /* mov eax, 0x12345678 */
    cr_assert_eq(c->gpr[R_EAX], 0x12345678);
    c->gpr[R_ESI] = 0x20;
    cr_assert_eq(RUN(0x67, 0x66, 0x89, 0x06), EM_OK);        /* mov [esi], eax */
    cr_assert_eq(get32(ds + 0x20), 0x12345678);
    cr_assert_eq(RUN(0x50), EM_OK);                          /* push ax: a 16-bit SP */
    cr_assert_eq(c->gpr[R_ESP], V_SP - 2);
    cr_assert_eq(get16((V_SS << 4) + V_SP - 2), 0x5678);
}

/* Offsets past 0xFFFF: #GP(0) through DS, #SS(0) through SS. */
Test(v86, limit_is_0xffff)
{
    enter_v86(3);
    cr_assert_eq(RUN(0x67, 0x8B, 0x05, 0x00, 0x00, 0x01, 0x00), EM_OK);   /* mov ax, [dword 0x10000] */
    check_gp0_at(V_IP);

    reset();
    enter_v86(3);
    c->gpr[R_EBX] = 0xFFFF;
    cr_assert_eq(RUN(0x8B, 0x07), EM_OK);                    /* mov ax, [bx]: bytes FFFF, 10000 */
    check_gp0_at(V_IP);

    reset();
    enter_v86(3);
    c->gpr[R_EBP] = 0xFFFF;
    cr_assert_eq(RUN(0x8B, 0x46, 0x00), EM_OK);              /* mov ax, [bp]: SS */
    check_exit(EXC_SS, true, 0, V_IP, V_SP);
}

Test(v86, far_call_ret_and_jmp)
{
    enter_v86(3);
    cr_assert_eq(RUN(0x9A, 0x34, 0x12, 0x00, 0x28), EM_OK);  /* call 2800:1234 */
    cr_assert_eq(c->seg[S_CS].sel, 0x2800);
    cr_assert_eq(c->seg[S_CS].base, 0x28000);
    cr_assert_eq(c->seg[S_CS].attr, V86_SEG_ATTR);
    cr_assert_eq(c->eip, 0x1234);
    cr_assert_eq(get16((V_SS << 4) + V_SP - 2), V_CS);
    cr_assert_eq(get16((V_SS << 4) + V_SP - 4), V_IP + 5);
    cr_assert_eq(RUN(0xCB), EM_OK);                          /* retf */
    cr_assert_eq(c->seg[S_CS].sel, V_CS);
    cr_assert_eq(c->eip, V_IP + 5);
    cr_assert_eq(c->gpr[R_ESP], V_SP);
    cr_assert_eq(RUN(0xEA, 0x00, 0x03, 0x00, 0x30), EM_OK);  /* jmp 3000:0300 */
    cr_assert_eq(c->seg[S_CS].base, 0x30000);
    cr_assert_eq(c->eip, 0x300);
    cr_assert(cpu_v86(c));
}

/* ---- IOPL-sensitive instructions ---- */

struct insn { uint8_t b[3]; unsigned n; const char *name; };
static const struct insn sensitive[] = {
    { { 0xFA }, 1, "cli" }, { { 0xFB }, 1, "sti" }, { { 0x9C }, 1, "pushf" },
    { { 0x9D }, 1, "popf" }, { { 0x66, 0x9C }, 2, "pushfd" }, { { 0x66, 0x9D }, 2, "popfd" },
    { { 0xCD, 0x80 }, 2, "int 0x80" }, { { 0xCF }, 1, "iret" }, { { 0x66, 0xCF }, 2, "iretd" },
};

Test(v86, iopl_sensitive_instructions_gp_below_iopl3)
{
    for (int iopl = 0; iopl < 3; iopl++)
        for (unsigned i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++) {
            reset();
            enter_v86(iopl);
            put32((V_SS << 4) + V_SP, 0);       /* what POPF/IRET would pop */
            run_bytes(sensitive[i].b, sensitive[i].n);
            cr_assert_eq(c->eip, HANDLER(EXC_GP), "%s at IOPL %d", sensitive[i].name, iopl);
            check_gp0_at(V_IP);
        }
}

Test(v86, cli_sti_at_iopl3)
{
    enter_v86(3);
    cr_assert_eq(RUN(0xFA), EM_OK);                          /* cli */
    cr_assert_eq(vcpu_get_eflags(c) & FL_IF, 0);
    cr_assert_eq(RUN(0xFB), EM_OK);                          /* sti */
    cr_assert(vcpu_get_eflags(c) & FL_IF);
    cr_assert(info.irq_shadow);
    cr_assert_eq(c->eip, V_IP + 2);
}

/* PUSHF pushes VM and RF clear; POPF changes IF but neither IOPL nor VM. */
Test(v86, pushf_popf_at_iopl3)
{
    enter_v86(3);
    vcpu_set_eflags(c, vcpu_get_eflags(c) | FL_CF | FL_RF);
    cr_assert_eq(RUN(0x66, 0x9C), EM_OK);                    /* pushfd */
    uint32_t pushed = get32((V_SS << 4) + V_SP - 4);
    cr_assert_eq(pushed, (V_FL | IOPL(3) | FL_CF) & ~FL_VM, "pushed %#x", pushed);
    put32((V_SS << 4) + V_SP - 4, FL_FIXED | FL_ZF);        /* IOPL 0, IF 0, VM 0 */
    cr_assert_eq(RUN(0x66, 0x9D), EM_OK);                    /* popfd */
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_VM | IOPL(3) | FL_ZF);
    cr_assert_eq(c->gpr[R_ESP], V_SP);
    c->gpr[R_ESP] = V_SP - 2;
    put16((V_SS << 4) + V_SP - 2, FL_FIXED | FL_IF | FL_NT);
    cr_assert_eq(RUN(0x9D), EM_OK);                          /* popf */
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_VM | IOPL(3) | FL_IF | FL_NT);
}

/* IRET inside the mode at IOPL 3: IP, CS, FLAGS from the 16-bit stack,
 * IOPL kept, NT ignored (no task return). */
Test(v86, iret_within_v86_at_iopl3)
{
    enter_v86(3);
    vcpu_set_eflags(c, vcpu_get_eflags(c) | FL_NT);
    uint32_t ss = V_SS << 4;
    put16(ss + V_SP, 0x0200);
    put16(ss + V_SP + 2, 0x2100);
    put16(ss + V_SP + 4, FL_FIXED | FL_CF);                  /* IOPL 0, IF 0 */
    cr_assert_eq(RUN(0xCF), EM_OK);
    cr_assert_eq(c->seg[S_CS].sel, 0x2100);
    cr_assert_eq(c->seg[S_CS].base, 0x21000);
    cr_assert_eq(c->eip, 0x200);
    cr_assert_eq(c->gpr[R_ESP], V_SP + 6);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_VM | IOPL(3) | FL_CF);
    /* 32-bit: VM, VIF, VIP and IOPL stay as they are */
    put32(ss + V_SP + 6, 0x0300);
    put32(ss + V_SP + 10, 0x2200);
    put32(ss + V_SP + 14, FL_FIXED | FL_IF | FL_VIF);
    cr_assert_eq(RUN(0x66, 0xCF), EM_OK);
    cr_assert_eq(c->eip, 0x300);
    cr_assert_eq(vcpu_get_eflags(c), FL_FIXED | FL_VM | IOPL(3) | FL_IF);
    cr_assert(cpu_v86(c));
}

/* INT n at IOPL 3 goes through the IDT to ring 0, with the gate's DPL
 * checked against CPL 3. */
Test(v86, int_n_at_iopl3_reaches_the_ring0_handler)
{
    enter_v86(3);
    cr_assert_eq(RUN(0xCD, 0x80), EM_OK);                    /* gate 0x80 has DPL 3 */
    check_exit(0x80, false, 0, V_IP + 2, V_SP);
    cr_assert_eq(vm->stats.exceptions[0x80], 1);

    reset();
    enter_v86(3);
    cr_assert_eq(RUN(0xCD, 0x21), EM_OK);                    /* DPL 0: #GP(0x21*8+2) */
    check_exit(EXC_GP, true, 0x21 * 8 + 2, V_IP, V_SP);
}

/* INT3 and INTO are not IOPL-sensitive: at IOPL 0 they reach the IDT. */
Test(v86, int3_and_into_ignore_iopl)
{
    enter_v86(0);
    cr_assert_eq(RUN(0xCC), EM_OK);
    check_exit(EXC_BP, false, 0, V_IP + 1, V_SP);

    reset();
    enter_v86(0);
    vcpu_set_eflags(c, vcpu_get_eflags(c) | FL_OF);
    cr_assert_eq(RUN(0xCE), EM_OK);
    check_exit(EXC_OF, false, 0, V_IP + 1, V_SP);
}

/* The handler returns with IRETD to the instruction after INT n, with
 * every segment and SP as they were. */
Test(v86, iret_from_the_handler_returns_to_v86)
{
    enter_v86(3);
    c->gpr[R_EAX] = 7;
    cr_assert_eq(RUN(0xCD, 0x80), EM_OK);
    check_exit(0x80, false, 0, V_IP + 2, V_SP);
    cr_assert_eq(RUN(0xCF), EM_OK);                          /* iretd at HANDLER(0x80) */
    cr_assert(cpu_v86(c));
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->eip, V_IP + 2);
    cr_assert_eq(c->gpr[R_ESP], V_SP);
    cr_assert_eq(c->seg[S_DS].base, V_DS << 4);
    cr_assert_eq(c->seg[S_GS].sel, V_GS);
    cr_assert_eq(RUN(0x40), EM_OK);                          /* inc ax */
    cr_assert_eq(c->gpr[R_EAX], 8);
}

/* ---- the I/O permission bitmap counts whatever IOPL says ---- */

static unsigned port_writes;
static void count_write(void *o, uint16_t port, int size, uint32_t v)
{
    (void)o; (void)port; (void)size; (void)v;
    port_writes++;
}
static uint32_t zero_read(void *o, uint16_t port, int size)
{
    (void)o; (void)port; (void)size;
    return 0;
}
static const struct device_ops count_ops = { .name = "count", .pio_read = zero_read,
                                              .pio_write = count_write };

Test(v86, io_bitmap_whatever_iopl)
{
    for (int iopl = 0; iopl <= 3; iopl += 3) {
        reset();
        port_writes = 0;
        cr_assert_eq(io_register_pio(&vm->io, 0x70, 2, &count_ops, NULL), 0);
        cr_assert_eq(io_register_pio(&vm->io, 0x80, 1, &count_ops, NULL), 0);
        enter_v86(iopl);
        cr_assert_eq(RUN(0xE6, 0x70), EM_OK);                /* out 0x70, al: open */
        cr_assert_eq(port_writes, 1);
        cr_assert_eq(c->eip, V_IP + 2);
        c->gpr[R_EDX] = 0x80;
        cr_assert_eq(RUN(0xEE), EM_OK);                      /* out dx, al: closed */
        cr_assert_eq(port_writes, 1, "IOPL %d", iopl);
        check_gp0_at(V_IP + 2);
    }
}

/* ---- instructions the mode refuses ---- */

Test(v86, privileged_instructions_gp)
{
    static const struct insn priv[] = {
        { { 0xF4 }, 1, "hlt" }, { { 0x0F, 0x22, 0xC0 }, 3, "mov cr0, eax" },
        { { 0x0F, 0x01, 0x17 }, 3, "lgdt [bx]" }, { { 0x0F, 0x06 }, 2, "clts" },
        { { 0x0F, 0x32 }, 2, "rdmsr" }, { { 0x0F, 0x01, 0xF0 }, 3, "lmsw ax" },
    };
    for (unsigned i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        reset();
        enter_v86(3);
        run_bytes(priv[i].b, priv[i].n);
        cr_assert_eq(c->eip, HANDLER(EXC_GP), "%s", priv[i].name);
        check_gp0_at(V_IP);
    }
}

Test(v86, protected_mode_only_instructions_ud)
{
    static const struct insn ud[] = {
        { { 0x0F, 0x02, 0xC0 }, 3, "lar" }, { { 0x0F, 0x03, 0xC0 }, 3, "lsl" },
        { { 0x0F, 0x00, 0xE0 }, 3, "verr" }, { { 0x0F, 0x00, 0xE8 }, 3, "verw" },
        { { 0x63, 0xC0 }, 2, "arpl" }, { { 0x0F, 0x00, 0xC0 }, 3, "sldt" },
        { { 0x0F, 0x00, 0xC8 }, 3, "str" }, { { 0x0F, 0x00, 0xD0 }, 3, "lldt" },
        { { 0x0F, 0x00, 0xD8 }, 3, "ltr" },
    };
    for (unsigned i = 0; i < sizeof ud / sizeof ud[0]; i++) {
        reset();
        enter_v86(3);
        run_bytes(ud[i].b, ud[i].n);
        cr_assert_eq(c->eip, HANDLER(EXC_UD), "%s", ud[i].name);
        check_exit(EXC_UD, false, 0, V_IP, V_SP);
    }
}

/* ---- page faults ---- */

/* Identity paging of the first 4 MiB, user pages, with one page absent
 * and one supervisor-only. */
static void user_paging(uint32_t absent, uint32_t supervisor)
{
    const uint32_t pd = 0x80000, pt = 0x81000;
    put32(pd, pt | 0x7);
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t a = i * 4096;
        put32(pt + i * 4, a == absent ? 0 : a | (a == supervisor ? 0x3 : 0x7));
    }
    c->cr3 = pd;
    c->cr0 |= CR0_PG;
}

Test(v86, page_fault_sets_cr2_and_the_user_bit)
{
    uint32_t ds = V_DS << 4;
    user_paging(ds + 0x1000, ds + 0x2000);
    enter_v86(3);
    cr_assert_eq(RUN(0xA1, 0x10, 0x10), EM_OK);              /* mov ax, [0x1010] */
    cr_assert_eq(c->cr2, ds + 0x1010);
    check_exit(EXC_PF, true, 0x4, V_IP, V_SP);               /* user read, not present */

    reset();
    user_paging(ds + 0x1000, ds + 0x2000);
    enter_v86(3);
    cr_assert_eq(RUN(0xA3, 0x02, 0x20), EM_OK);              /* mov [0x2002], ax */
    cr_assert_eq(c->cr2, ds + 0x2002);
    check_exit(EXC_PF, true, 0x7, V_IP, V_SP);               /* user write, protection */
}

/* A fetch from an absent page: the fault is at the instruction. */
Test(v86, page_fault_on_fetch)
{
    user_paging((V_CS << 4) + 0x1000, 0);
    enter_v86(3);
    cr_assert_eq(RUN(0xE9, 0xFD, 0x0E), EM_OK);              /* jmp 0x1000 */
    cr_assert_eq(c->eip, 0x1000);
    cr_assert_eq(emulate_step(c, &info), EM_OK);
    cr_assert_eq(c->cr2, (V_CS << 4) + 0x1000);
    check_exit(EXC_PF, true, 0x4, 0x1000, V_SP);
}

/* ---- leaving: external interrupts, trap gates, bad gates ---- */

Test(v86, external_interrupt_frame_and_null_segments)
{
    enter_v86(0);
    vcpu_set_eflags(c, vcpu_get_eflags(c) | FL_TF | FL_NT | FL_RF);
    cr_assert_eq(cpu_deliver(c, 0x30, EV_EXTINT, false, 0), 0);
    check_exit(0x30, false, 0, V_IP, V_SP);
    uint32_t pushed = get32(STACK0 - V_FRAME + 8);
    cr_assert_eq(pushed, V_FL | FL_TF | FL_NT | FL_RF, "pushed %#x", pushed);
    cr_assert_eq(vm->stats.interrupts[0x30], 1);
}

Test(v86, trap_gate_keeps_if)
{
    put32(IDT + 0x80 * 8 + 4, (get32(IDT + 0x80 * 8 + 4) & ~0xF00u) | 0xF00);
    enter_v86(3);
    cr_assert_eq(RUN(0xCD, 0x80), EM_OK);
    cr_assert_eq(c->eip, HANDLER(0x80));
    cr_assert(vcpu_get_eflags(c) & FL_IF);
    cr_assert_eq(vcpu_get_eflags(c) & FL_VM, 0);
}

/* A gate whose code segment is not ring 0 (here ring-3 code) cannot
 * take an event from virtual-8086 mode: #GP(selector). */
Test(v86, gate_to_non_ring0_code_is_gp)
{
    put32(IDT + 0x80 * 8, (U_CS << 16) | (get32(IDT + 0x80 * 8) & 0xFFFF));
    enter_v86(3);
    cr_assert_eq(RUN(0xCD, 0x80), EM_OK);
    check_exit(EXC_GP, true, U_CS & ~3u, V_IP, V_SP);
}

/* A task gate from virtual-8086 code: VM = 1 and the paragraph selectors
 * are saved in the old TSS, and IRET from the handler task brings the
 * task back in virtual-8086 mode. */
Test(v86, task_gate_saves_vm_and_task_return_restores_it)
{
    const uint32_t tss2 = 0x5000, sel2 = 0x48, h = 0x18000;
    gdt_set(TSS_SEL, TSS, IOMAP + 128, 0x00008B00);          /* TR: busy */
    gdt_set(sel2, tss2, 0x67, 0x00008900);
    c->gdtr.limit = 0x4F;
    memset(ram + tss2, 0, 0x68);
    put32(tss2 + TSS_EIP, h);
    put32(tss2 + TSS_EFLAGS, FL_FIXED);
    put32(tss2 + TSS_GPR + 4 * R_ESP, 0x8800);
    for (int s = 0; s < S_NSEG; s++)
        put16(tss2 + TSS_SREG + 4 * s, s == S_CS ? K_CS : K_DS);
    put32(IDT + 0x41 * 8, (uint32_t)sel2 << 16);
    put32(IDT + 0x41 * 8 + 4, 0xE500);                       /* task gate, DPL 3 */
    enter_v86(3);
    cr_assert_eq(RUN(0xCD, 0x41), EM_OK);
    cr_assert_eq(c->tr.sel, sel2);
    cr_assert_eq(c->eip, h);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(vcpu_get_eflags(c) & (FL_VM | FL_NT), FL_NT);
    cr_assert(get32(TSS + TSS_EFLAGS) & FL_VM);
    cr_assert_eq(get32(TSS + TSS_EIP), V_IP + 2);
    cr_assert_eq(get16(TSS + TSS_SREG + 4 * S_CS), V_CS);
    cr_assert_eq(get16(TSS + TSS_SREG + 4 * S_DS), V_DS);
    cr_assert_eq(get32(TSS + TSS_GPR + 4 * R_ESP), V_SP);
    cr_assert_eq(RUN(0xCF), EM_OK);                          /* iretd with NT: task return */
    cr_assert_eq(c->tr.sel, TSS_SEL);
    cr_assert(cpu_v86(c));
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->eip, V_IP + 2);
    cr_assert_eq(c->seg[S_DS].base, V_DS << 4);
    cr_assert_eq(c->seg[S_CS].attr, V86_SEG_ATTR);
}

/* The model has no VME: CR4.VME and CR4.PVI cannot be set. */
Test(v86, no_vme_in_the_model)
{
    uint32_t id[4];
    cpu_cpuid(c, 1, 0, id);
    cr_assert_eq(id[3] & 2, 0, "CPUID.1:EDX.VME");
    c->gpr[R_EAX] = CR4_VME;
    cr_assert_eq(RUN(0x0F, 0x22, 0xE0), EM_OK);              /* mov cr4, eax */
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
    cr_assert_eq(c->cr4, 0);
    reset();
    c->gpr[R_EAX] = CR4_PVI;
    cr_assert_eq(RUN(0x0F, 0x22, 0xE0), EM_OK);
    cr_assert_eq(c->eip, HANDLER(EXC_GP));
}
