/*
 * exceptions - exceptions raised by guest code reach the guest's IDT with
 * the right vector, error code and return address (faults: the faulting
 * instruction; traps: the next one), and with the registers and flags as the
 * instructions before them left them.  INT n through trap and interrupt
 * gates, not-present and out-of-limit gates, and IRET.
 * SDM vol. 3 chapter 6 (6.5 fault vs trap, 6.12 gates, 6.13 error codes).
 */
#include "rt.h"

#define SEL(index, rpl) ((uint16_t)((index) << 3 | (rpl)))
#define G_CODE2 RT_GDT_FREE
#define ARITH_DEFINED (EFL_CF | EFL_ZF | EFL_SF | EFL_OF | EFL_PF)

extern void sl_divide_error(void), sl_bound_range(void);
extern char sl_de_fault[], sl_br_fault[];
extern volatile uint32_t sl_mem[4], sl_saved_esp, sl_bounds[2];

static void check_divide_errors(void)
{
    uint32_t eax = 100, edx = 0, n0 = rt_trap.count;
    TRY("divl %2", : "+a"(eax), "+d"(edx) : "r"(0) : "memory");
    rt_check_exc(1, n0, 0, RT_ANY, rt_try_insn, "DIV by zero");
    CHECK(2, eax == 100 && edx == 0, "DIV by zero changed EDX:EAX to %x:%x", edx, eax);

    eax = 0x80000000;
    edx = 0xFFFFFFFF;
    n0 = rt_trap.count;
    TRY("idivl %2", : "+a"(eax), "+d"(edx) : "r"(-1) : "memory");
    rt_check_exc(3, n0, 0, RT_ANY, rt_try_insn, "IDIV -2^31 / -1 (quotient overflow)");

    eax = 0x1000;
    n0 = rt_trap.count;
    TRY("divb %b1", : "+a"(eax) : "q"(1) : "memory");
    rt_check_exc(4, n0, 0, RT_ANY, rt_try_insn, "DIV AX=0x1000 by BL=1 (quotient overflow)");
    CHECK_EQ(5, eax, 0x1000, "AX after the faulting 8-bit DIV");

    /* A memory divisor. */
    static volatile uint32_t zero;
    eax = 7;
    edx = 0;
    n0 = rt_trap.count;
    TRY("divl %2", : "+a"(eax), "+d"(edx) : "m"(zero) : "memory");
    rt_check_exc(6, n0, 0, RT_ANY, rt_try_insn, "DIV by a zero in memory");
}

static void check_invalid_opcodes(void)
{
    uint32_t n0 = rt_trap.count;
    TRY("ud2", ::: "memory");
    rt_check_exc(7, n0, 6, RT_ANY, rt_try_insn, "UD2");
    n0 = rt_trap.count;
    TRY(".byte 0xf0, 0x90", ::: "memory");      /* LOCK NOP */
    rt_check_exc(8, n0, 6, RT_ANY, rt_try_insn, "LOCK prefix on NOP");
    n0 = rt_trap.count;
    TRY(".byte 0x8e, 0xc8", ::: "memory");      /* MOV CS, AX */
    rt_check_exc(9, n0, 6, RT_ANY, rt_try_insn, "MOV CS, AX");
    n0 = rt_trap.count;
    TRY(".byte 0xf0; addl %%eax, %%ebx", ::: "memory");  /* LOCK on a register destination */
    rt_check_exc(10, n0, 6, RT_ANY, rt_try_insn, "LOCK ADD with a register destination");
}

static void check_traps(void)
{
    uint32_t n0 = rt_trap.count;
    TRY("int3", ::: "memory");
    rt_check_exc(11, n0, 3, RT_ANY, rt_try_next, "INT3 (trap: EIP after it)");
    n0 = rt_trap.count;
    TRY(".byte 0xcd, 0x03", ::: "memory");      /* INT 3, the two-byte form */
    rt_check_exc(12, n0, 3, RT_ANY, rt_try_next, "INT 3 (two-byte form)");

    n0 = rt_trap.count;
    TRY("movl $0x7fffffff, %%eax; addl $1, %%eax; into", ::: "eax", "memory");
    rt_check_exc(13, n0, 4, RT_ANY, rt_try_next, "INTO with OF=1");
    CHECK(14, rt_trap.f.eflags & EFL_OF, "EFLAGS pushed by INTO lacks OF (0x%x)", rt_trap.f.eflags);
    n0 = rt_trap.count;
    TRY("movl $1, %%eax; addl $1, %%eax; into", ::: "eax", "memory");
    rt_check_no_exc(15, n0, "INTO with OF=0");

    static volatile int32_t bounds[2] = { 10, 20 };
    static const int32_t probe[] = { 9, 10, 15, 20, 21, -5 };
    for (unsigned i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        bool out = probe[i] < 10 || probe[i] > 20;
        n0 = rt_trap.count;
        TRY("boundl %0, %1", :: "r"(probe[i]), "m"(bounds[0]) : "memory");
        if (out)
            rt_check_exc(16, n0, 5, RT_ANY, rt_try_insn, "BOUND out of range (#BR is a fault)");
        else
            rt_check_no_exc(17, n0, "BOUND within range");
    }
}

static void check_gp(void)
{
    uint32_t n0 = rt_trap.count;
    TRY("movw %w0, %%ds", :: "r"(0xFFF8) : "memory");
    rt_check_exc(18, n0, 13, 0xFFF8, rt_try_insn, "MOV DS of a selector past the GDT limit");
    n0 = rt_trap.count;
    TRY("movw %w0, %%es", :: "r"(RT_TSS) : "memory");
    rt_check_exc(19, n0, 13, RT_TSS, rt_try_insn, "MOV ES of a TSS selector");
}

static void check_gates(void)
{
    rt_idt_default(0x40, GATE_TRAP0);
    rt_idt_default(0x41, GATE_INT0);

    uint32_t n0 = rt_trap.count, after;
    asm volatile("sti" ::: "memory");
    TRY("int $0x40", ::: "memory");
    after = read_eflags();
    asm volatile("cli" ::: "memory");
    rt_check_exc(20, n0, 0x40, RT_ANY, rt_try_next, "INT 0x40 (trap gate)");
    CHECK(21, rt_trap.f.handler_eflags & EFL_IF, "IF cleared inside a trap gate handler");
    CHECK(22, rt_trap.f.eflags & EFL_IF, "EFLAGS pushed by INT lacks IF");
    CHECK(23, after & EFL_IF, "IF lost after IRET from a trap gate");

    n0 = rt_trap.count;
    asm volatile("sti" ::: "memory");
    TRY("int $0x41", ::: "memory");
    after = read_eflags();
    asm volatile("cli" ::: "memory");
    rt_check_exc(24, n0, 0x41, RT_ANY, rt_try_next, "INT 0x41 (interrupt gate)");
    CHECK(25, !(rt_trap.f.handler_eflags & EFL_IF), "IF still set inside an interrupt gate handler");
    CHECK(26, rt_trap.f.eflags & EFL_IF, "EFLAGS pushed by INT lacks IF");
    CHECK(27, after & EFL_IF, "IRET did not restore IF=1");

    /* The handler runs with IF=0 and the guest's other flags as pushed. */
    n0 = rt_trap.count;
    TRY("stc; int $0x41", ::: "memory");
    CHECK(28, rt_trap.f.eflags & EFL_CF, "EFLAGS pushed by INT lost CF");

    /* A not-present gate: #NP with the IDT bit in the error code. */
    rt_idt[0x42] &= ~(1ull << 47);
    n0 = rt_trap.count;
    TRY("int $0x42", ::: "memory");
    rt_check_exc(29, n0, 11, 0x42 * 8 + 2, rt_try_insn, "INT 0x42 through a not-present gate");
    rt_idt_default(0x42, GATE_INT0);

    /* A vector past the IDT limit: #GP with the IDT bit. */
    struct dtr32 small = { .limit = 0x43 * 8 - 1, .base = (uint32_t)rt_idt };
    asm volatile("lidt %0" :: "m"(small) : "memory");
    n0 = rt_trap.count;
    TRY("int $0x50", ::: "memory");
    asm volatile("lidt %0" :: "m"(rt_idtr) : "memory");
    rt_check_exc(30, n0, 13, 0x50 * 8 + 2, rt_try_insn, "INT 0x50 past the IDT limit");
}

/* IRET with a frame built by hand: new CS, new flags. */
static void check_iret(void)
{
    rt_gdt_set(G_CODE2, rt_seg_desc(0, 0xFFFFF, ACC_CODE0, FLG_4K32));
    uint32_t cs, fl;
    asm volatile("pushl %2\n\t"
                 "pushl %3\n\t"
                 "pushl $1f\n\t"
                 "iret\n"
                 "1:\tmovl %%cs, %0\n\t"
                 "pushfl\n\t"
                 "popl %1\n\t"
                 "cli\n\t"
                 "ljmp %4, $2f\n"
                 "2:"
                 : "=&r"(cs), "=&r"(fl)
                 : "i"(0x2 | EFL_CF | EFL_ZF | EFL_IF), "i"(SEL(G_CODE2, 0)), "i"(RT_KCODE)
                 : "memory", "cc");
    CHECK_EQ(31, cs, SEL(G_CODE2, 0), "CS after IRET to the second code segment");
    CHECK_EQ(32, fl & (EFL_CF | EFL_ZF | EFL_IF | EFL_SF), EFL_CF | EFL_ZF | EFL_IF, "EFLAGS after IRET");

    /* IRET to a data segment: #GP(selector), at the IRET. */
    uint32_t n0 = rt_trap.count;
    asm volatile("movl %%esp, %%ecx\n\t"
                 "pushl $2\n\t"
                 "pushl %0\n\t"
                 "pushl $1f\n\t"
                 "movl $2f, rt_try_insn\n\t"
                 "movl $1f, rt_resume\n"
                 "2:\tiret\n"
                 "1:\tmovl $0, rt_resume\n\t"
                 "movl %%ecx, %%esp"
                 :: "i"(RT_KDATA) : "ecx", "memory");
    rt_check_exc(33, n0, 13, RT_KDATA, rt_try_insn, "IRET to a data segment selector");
}

static void check_straight_line(void)
{
    uint32_t n0 = rt_trap.count;
    memset((void *)sl_mem, 0, sizeof sl_mem);
    sl_divide_error();
    const volatile struct trap_frame *f = &rt_trap.f;
    rt_check_exc(34, n0, 0, RT_ANY, (uint32_t)sl_de_fault, "#DE at the end of a long block");
    CHECK_EQ(35, f->eax, 100, "EAX at the #DE");
    CHECK_EQ(36, f->ebx, 0x22222222, "EBX at the #DE");
    CHECK_EQ(37, f->ecx, 0, "ECX at the #DE");
    CHECK_EQ(38, f->edx, 0, "EDX at the #DE");
    CHECK_EQ(39, f->esi, 0x77777777, "ESI at the #DE");
    CHECK_EQ(40, f->edi, 0x04030201, "EDI at the #DE");
    CHECK_EQ(41, f->ebp, 0x88, "EBP at the #DE");
    CHECK_EQ(42, f->eflags & ARITH_DEFINED, EFL_CF | EFL_ZF | EFL_PF, "arithmetic flags at the #DE");
    CHECK_EQ(43, rt_trap.esp, sl_saved_esp - 4, "ESP at the #DE");
    CHECK_EQ(44, *(volatile uint32_t *)rt_trap.esp, 0xAAAA5555, "the word pushed before the #DE");
    CHECK_EQ(45, sl_mem[0], 0x33333333, "store before the #DE");
    CHECK_EQ(46, sl_mem[1], 0x77777777, "store before the #DE");
    CHECK_EQ(47, sl_mem[2], 0, "store after the #DE (must not run)");
    CHECK_EQ(48, sl_mem[3], 0x88, "store before the #DE");

    n0 = rt_trap.count;
    sl_bound_range();
    rt_check_exc(49, n0, 5, RT_ANY, (uint32_t)sl_br_fault, "#BR after a loop, in the loop's tail");
    CHECK_EQ(50, f->eax, 21, "EAX at the #BR");
    CHECK_EQ(51, f->ebx, (uint32_t)sl_bounds, "EBX at the #BR");
    CHECK_EQ(52, f->ecx, 0x40, "ECX at the #BR");
    CHECK_EQ(53, f->edx, 0x7E0, "EDX at the #BR");
    CHECK_EQ(54, f->esi, 0xFFFFFFFF, "ESI at the #BR");
    CHECK_EQ(55, f->edi, 0x7FFFFFFF, "EDI at the #BR");
    CHECK_EQ(56, f->ebp, 3, "EBP at the #BR");
    CHECK_EQ(57, f->eflags & ARITH_DEFINED, EFL_OF | EFL_SF | EFL_PF, "arithmetic flags at the #BR");
    CHECK_EQ(58, rt_trap.esp, sl_saved_esp, "ESP at the #BR");
    CHECK_EQ(59, sl_mem[2], 0, "store after the #BR (must not run)");
}

/* The same faulting instruction many times: a translator that retranslates
 * trapping instructions must still report each one at the right place. */
static void check_repeated(void)
{
    for (int i = 0; i < 200; i++) {
        uint32_t n0 = rt_trap.count;
        TRY("ud2", ::: "memory");
        rt_check_exc(60, n0, 6, RT_ANY, rt_try_insn, "UD2 in a loop");
    }
}

void test_main(void)
{
    check_divide_errors();
    check_invalid_opcodes();
    check_traps();
    check_gp();
    check_gates();
    check_iret();
    check_straight_line();
    check_repeated();
}
