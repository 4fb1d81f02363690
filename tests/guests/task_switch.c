/*
 * task_switch - hardware task switching (Intel SDM vol. 3A chapter 8; vol. 2
 * JMP, CALL, IRET, INT n): far JMP and CALL to a TSS and through task gates
 * (GDT and LDT), IRET through the back link, a task gate in the IDT for an
 * interrupt (INT n), for #GP (error code on the new task's stack) and for
 * #DF, the busy bits and the back link, the saved state of the old task,
 * CR0.TS, CR3 and LDTR loaded from the new TSS, the T flag's #DB, and the
 * faults of a switch: #TS for a TSS limit below 0x67, #NP for a TSS that is
 * not present, #GP for a busy TSS, #TS for an IRET whose back link is not
 * busy, and #TS(CS) after the commit point, handled by a #TS task.
 *
 * The main program runs in the runtime's TSS (RT_TSS, TR at entry).  Each
 * task runs an assembly stub that records what it sees, calls its C body,
 * and goes back by IRET (nested: CALL, INT n, exceptions) or by a far JMP to
 * RT_TSS (JMP); the stub loops, since a task resumes after that instruction
 * the next time it is entered.
 */
#include "rt.h"
#include "paging_guest.h"

_Static_assert(RT_TSS == 0x28, "the task stubs jump back to 0x28");

#define SEL(i) ((uint16_t)((i) << 3))
enum {
    G_TSS_A = RT_GDT_FREE,  /* JMP target */
    G_TSS_CALL,             /* CALL target, also through G_GATE and the LDT gate */
    G_GATE,                 /* task gate (GDT) -> G_TSS_CALL */
    G_TSS_INT,              /* IDT task gate for INT 0x40 */
    G_TSS_EXC,              /* IDT task gate for #GP and #DF, one after the other */
    G_TSS_BAD,              /* limit 0x60 < 0x67, then not present */
    G_LDT,                  /* an LDT holding a task gate */
    G_TSS_T,                /* T flag set; CR3 of a second address space */
    G_TSS_BADCS,            /* CS is a data segment: #TS after the commit point */
    G_TSS_TS,               /* the #TS handler task */
};
_Static_assert(G_TSS_TS < RT_GDT_ENTRIES, "GDT too small");
#define LDT_GATE_SEL ((uint16_t)(1 << 3 | 4))   /* LDT entry 1, TI = 1 */

#define EFL_NT 0x4000u
#define CR0_TS 0x8u
#define DR6_BT 0x8000u
#define INT_VEC 0x40

static struct tss32 tss_a, tss_call, tss_int, tss_exc, tss_bad, tss_t, tss_badcs, tss_ts;
static uint8_t stk_a[2048], stk_call[2048], stk_int[2048], stk_exc[2048], stk_t[2048],
    stk_ts[2048] __attribute__((aligned(16)));
static uint64_t ldt[2] __attribute__((aligned(8)));

/* What the tasks saw: their registers at entry (ESP after the error code,
 * if any, is popped), TR, EFLAGS, CR0, LDTR, CR3. */
struct seen {
    uint32_t count, eax, esi, tr, eflags, cr0, ldtr, cr3, error, esp, marker;
    bool main_busy, self_busy;  /* the busy bits of RT_TSS and of the task's TSS */
};
volatile struct seen seen_a, seen_call, seen_int, seen_exc, seen_t, seen_ts;

/* The stubs (cdecl bodies; the tasks run with flat ring-0 segments). */
#define STUB(name, pop_error, back) \
    asm(".text\n" #name "_entry:\n\t" \
        "movl %eax, seen_" #name "+4\n\t" \
        "movl %esi, seen_" #name "+8\n\t" \
        pop_error \
        "movl %esp, seen_" #name "+36\n\t" \
        "call " #name "_body\n\t" \
        back "\n\t" \
        "jmp " #name "_entry\n")
#define POP_ERROR(name) "popl seen_" #name "+32\n\t"
void a_entry(void), call_entry(void), int_entry(void), exc_entry(void), t_entry(void),
    ts_entry(void);

static uint32_t str(void) { uint32_t v = 0; asm volatile("str %0" : "=r"(v)); return v & 0xFFFF; }
static uint32_t sldt(void) { uint32_t v = 0; asm volatile("sldt %0" : "=r"(v)); return v & 0xFFFF; }
static bool busy(int index) { return (rt_gdt[index] >> 41) & 1; }
static uint32_t esp_now(void) { uint32_t v; asm volatile("movl %%esp, %0" : "=r"(v)); return v; }

static void record(volatile struct seen *s)
{
    s->count++;
    s->main_busy = busy(RT_TSS >> 3);
    s->self_busy = busy(str() >> 3);
    s->tr = str();
    s->eflags = read_eflags();
    s->cr0 = READ_CR(0);
    s->ldtr = sldt();
    s->cr3 = READ_CR(3);
}

/* ---- the tasks ---- */

/* Entered by JMP: not nested, so no back link and NT clear. */
void a_body(void) { record(&seen_a); }
STUB(a, "", "ljmp $0x28, $0");

void call_body(void) { record(&seen_call); }
STUB(call, "", "iret");

/* INT 0x40, and #DE (no error code) with paging on: then it reads the
 * second address space and moves main on past the DIV. */
static volatile uint32_t int_resume, int_saved_eip;
static volatile bool paging_on;
static const uint32_t second_space = 0x40000000u;
void int_body(void)
{
    record(&seen_int);
    if (paging_on)
        seen_int.marker = peek(second_space);
    int_saved_eip = rt_tss.eip;
    if (int_resume) {
        rt_tss.eip = int_resume;
        int_resume = 0;
    }
}
STUB(int, "", "iret");

/* #GP and #DF through task gates.  The faulting instruction would fault
 * again: the handler moves the main task's saved EIP on to exc_resume (and,
 * for #DF, makes the #GP gate present again). */
static volatile uint32_t exc_resume, exc_saved_eip;
void exc_body(void)
{
    record(&seen_exc);
    exc_saved_eip = rt_tss.eip;
    rt_tss.eip = exc_resume;
    rt_idt_default(13, GATE_INT0);
}
STUB(exc, POP_ERROR(exc), "iret");

/* Entered with the T flag: #DB (DR6.BT) before its first instruction. */
void t_body(void)
{
    record(&seen_t);
    seen_t.marker = peek(second_space);
}
STUB(t, "", "iret");

/* #TS after the commit point of a switch to tss_badcs: the #TS task sees
 * the half-switched task in its back link, then goes back to main by JMP. */
static volatile uint32_t ts_link, ts_badcs_eip, ts_badcs_cs;
void ts_body(void)
{
    record(&seen_ts);
    ts_link = tss_ts.link;
    ts_badcs_eip = tss_badcs.eip;
    ts_badcs_cs = tss_badcs.cs;
    /* The abandoned task stays busy (it was entered by JMP, then nested). */
    rt_gdt[G_TSS_BADCS] &= ~(1ull << 41);
}
STUB(ts, POP_ERROR(ts), "ljmp $0x28, $0");

/* ---- set-up ---- */

static void tss_init(struct tss32 *t, void (*entry)(void), uint8_t *stack, uint32_t size)
{
    memset(t, 0, sizeof *t);
    t->eip = (uint32_t)entry;
    t->eflags = 0x2;
    t->esp = (uint32_t)stack + size;
    t->cs = RT_KCODE;
    t->ss = t->ds = t->es = t->fs = t->gs = RT_KDATA;
    t->cr3 = READ_CR(3);
    t->iomap = sizeof *t;
}

static uint64_t task_gate(uint16_t tss_sel, int dpl)
{
    return (uint64_t)tss_sel << 16 | (uint64_t)(0x85 | dpl << 5) << 40;
}

static void tss_desc(int index, struct tss32 *t, uint32_t limit, uint8_t access)
{
    rt_gdt_set(index, rt_seg_desc((uint32_t)t, limit, access, 0));
}

static void setup(void)
{
    tss_init(&tss_a, a_entry, stk_a, sizeof stk_a);
    tss_a.eax = 0xA0A0A0A0;
    tss_init(&tss_call, call_entry, stk_call, sizeof stk_call);
    tss_init(&tss_int, int_entry, stk_int, sizeof stk_int);
    tss_init(&tss_exc, exc_entry, stk_exc, sizeof stk_exc);
    tss_init(&tss_bad, a_entry, stk_a, sizeof stk_a);
    tss_init(&tss_t, t_entry, stk_t, sizeof stk_t);
    tss_t.trap = 1;
    tss_init(&tss_badcs, a_entry, stk_a, sizeof stk_a);
    tss_badcs.cs = RT_KDATA;
    tss_init(&tss_ts, ts_entry, stk_ts, sizeof stk_ts);
    tss_desc(G_TSS_A, &tss_a, 0x67, ACC_TSS32);
    tss_desc(G_TSS_CALL, &tss_call, 0x67, ACC_TSS32);
    rt_gdt_set(G_GATE, task_gate(SEL(G_TSS_CALL), 0));
    tss_desc(G_TSS_INT, &tss_int, 0x67, ACC_TSS32);
    tss_desc(G_TSS_EXC, &tss_exc, 0x67, ACC_TSS32);
    tss_desc(G_TSS_BAD, &tss_bad, 0x60, ACC_TSS32);
    ldt[0] = 0;
    ldt[1] = task_gate(SEL(G_TSS_CALL), 0);
    rt_gdt_set(G_LDT, rt_seg_desc((uint32_t)ldt, sizeof ldt - 1, ACC_LDT, 0));
    tss_desc(G_TSS_T, &tss_t, 0x67, ACC_TSS32);
    tss_desc(G_TSS_BADCS, &tss_badcs, 0x67, ACC_TSS32);
    tss_desc(G_TSS_TS, &tss_ts, 0x67, ACC_TSS32);
    rt_idt[INT_VEC] = task_gate(SEL(G_TSS_INT), 0);
}

/* ---- the checks ---- */

/* JMP to a TSS: no nesting; busy bits move; the old state is saved. */
static void check_jmp(void)
{
    uint32_t after, esi;
    asm volatile("movl $1f, %[after]\n\t"
                 "movl $0x5151A5A5, %%esi\n\t"
                 "ljmp %[sel], $0\n"
                 "1:\tmovl %%esi, %[esi]"
                 : [after] "=m"(after), [esi] "=r"(esi) : [sel] "i"(SEL(G_TSS_A)) : "esi", "memory");
    CHECK_EQ(1, seen_a.count, 1, "task A ran once");
    CHECK_EQ(2, seen_a.eax, 0xA0A0A0A0, "EAX loaded from task A's TSS");
    CHECK_EQ(3, seen_a.tr, SEL(G_TSS_A), "TR in task A");
    CHECK(4, !(seen_a.eflags & EFL_NT), "NT set in a task entered by JMP");
    CHECK(5, seen_a.cr0 & CR0_TS, "CR0.TS clear after a task switch");
    CHECK(6, !seen_a.main_busy && seen_a.self_busy, "busy bits in task A: main %d (want 0), A %d (want 1)",
          seen_a.main_busy, seen_a.self_busy);
    CHECK_EQ(7, tss_a.link, 0, "back link written by a JMP");
    CHECK_EQ(8, rt_tss.eip, after, "main's EIP saved in its TSS (the instruction after JMP)");
    CHECK_EQ(9, rt_tss.esi, 0x5151A5A5, "main's ESI saved in its TSS");
    CHECK_EQ(10, esi, 0x5151A5A5, "main's ESI after the JMP back");
    CHECK_EQ(11, str(), RT_TSS, "TR after the JMP back");
    CHECK(12, busy(RT_TSS >> 3) && !busy(G_TSS_A), "busy bits after the JMP back");
    CHECK(13, READ_CR(0) & CR0_TS, "CR0.TS clear after the JMP back");
    CHECK_EQ(14, rt_tss.cs, RT_KCODE, "main's CS saved");
    CHECK_EQ(15, rt_tss.ss, RT_KDATA, "main's SS saved");
    asm volatile("clts");
    rt_printf("task_switch: JMP to a TSS and back\n");
}

/* CALL to a TSS, directly, through a GDT task gate and through an LDT task
 * gate; IRET back through the link. */
static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far_ptr;
static void call_task(uint16_t sel)
{
    uint32_t after;
    far_ptr.off = 0;
    far_ptr.sel = sel;
    asm volatile("movl $1f, %[after]\n\t"
                 "lcall *%[ptr]\n"
                 "1:"
                 : [after] "=m"(after) : [ptr] "m"(far_ptr) : "memory");
    CHECK_EQ(20, rt_tss.eip, after, "main's EIP saved by CALL (the next instruction)");
}

static void check_call(void)
{
    static const uint16_t sels[3] = { SEL(G_TSS_CALL), SEL(G_GATE), LDT_GATE_SEL };
    uint16_t ldt_sel = SEL(G_LDT);
    asm volatile("lldt %0" :: "r"(ldt_sel));
    rt_tss.ldt = SEL(G_LDT);
    for (int i = 0; i < 3; i++) {
        call_task(sels[i]);
        CHECK_EQ(21, seen_call.count, i + 1, "the called task ran");
        CHECK_EQ(22, seen_call.tr, SEL(G_TSS_CALL), "TR in the called task");
        CHECK(23, seen_call.eflags & EFL_NT, "NT clear in a task entered by CALL");
        CHECK_EQ(24, tss_call.link, RT_TSS, "back link of the called task");
        CHECK(25, seen_call.main_busy && seen_call.self_busy,
              "busy bits in the called task: main %d, called %d", seen_call.main_busy, seen_call.self_busy);
        CHECK_EQ(26, seen_call.ldtr, 0, "LDTR loaded from the called task's TSS");
        CHECK(27, !(read_eflags() & EFL_NT), "NT set in main after the IRET back");
        CHECK(28, busy(RT_TSS >> 3) && !busy(G_TSS_CALL), "busy bits after the IRET back");
        CHECK_EQ(29, sldt(), SEL(G_LDT), "main's LDTR after the IRET back");
        CHECK_EQ(30, str(), RT_TSS, "TR after the IRET back");
    }
    /* The called task resumes after its IRET: its stub loops. */
    CHECK_EQ(31, seen_call.esp, (uint32_t)stk_call + sizeof stk_call,
             "the called task's ESP at its third entry");
    asm volatile("clts");
    rt_printf("task_switch: CALL to a TSS, through GDT and LDT task gates, IRET back\n");
}

/* INT n through a task gate of the IDT. */
static void check_int(void)
{
    uint32_t esp0 = esp_now(), eax = 0;
    asm volatile("movl $0x77, %%eax\n\tint %[v]\n\tmovl %%eax, %[eax]"
                 : [eax] "=r"(eax) : [v] "i"(INT_VEC) : "eax", "memory");
    CHECK_EQ(40, seen_int.count, 1, "the interrupt task ran");
    CHECK_EQ(41, seen_int.eax, 0, "EAX in the interrupt task (its TSS's)");
    CHECK_EQ(42, rt_tss.eax, 0x77, "main's EAX saved");
    CHECK_EQ(43, eax, 0x77, "main's EAX after the IRET back");
    CHECK(44, seen_int.eflags & EFL_NT, "NT clear in the interrupt task");
    CHECK_EQ(45, tss_int.link, RT_TSS, "back link of the interrupt task");
    CHECK_EQ(46, esp_now(), esp0, "main's ESP moved (nothing is pushed on it)");
    asm volatile("clts");
    rt_printf("task_switch: INT 0x%x through a task gate\n", INT_VEC);
}

/* Load FS with a TSS selector: #GP(selector).  The exception task resumes
 * main after the instruction, whose address is returned. */
static uint32_t load_fs_fault(void)
{
    uint32_t insn;
    asm volatile("movl $1f, %[resume]\n\t"
                 "movl $2f, %[insn]\n"
                 "2:\tmovw %[bad], %%fs\n"
                 "1:"
                 : [resume] "=m"(exc_resume), [insn] "=m"(insn)
                 : [bad] "r"(SEL(G_TSS_A)) : "memory");
    return insn;
}

/* #GP through a task gate: the error code on the handler task's stack. */
static void check_gp_task(void)
{
    rt_idt[13] = task_gate(SEL(G_TSS_EXC), 0);
    uint32_t insn = load_fs_fault();
    CHECK_EQ(50, seen_exc.count, 1, "the #GP task ran");
    CHECK_EQ(51, seen_exc.error, SEL(G_TSS_A), "#GP error code on the task's stack");
    CHECK_EQ(52, seen_exc.esp, (uint32_t)stk_exc + sizeof stk_exc,
             "the #GP task's ESP with the error code popped");
    CHECK_EQ(53, exc_saved_eip, insn, "main's saved EIP: the faulting instruction");
    CHECK_EQ(54, tss_exc.link, RT_TSS, "back link of the #GP task");
    CHECK_EQ(55, rt_idt[13] >> 40 & 0x1F, 0x0E, "the #GP task restored the IDT entry");
    asm volatile("clts");
    rt_printf("task_switch: #GP through a task gate, error code 0x%x\n", seen_exc.error);
}

/* #DF through a task gate: #GP whose gate is not present gives #NP, and
 * #GP then #NP is a double fault. */
static void check_df_task(void)
{
    rt_idt[8] = task_gate(SEL(G_TSS_EXC), 0);
    rt_idt[13] &= ~(1ull << 47);                     /* #GP gate not present */
    uint32_t insn = load_fs_fault();
    CHECK_EQ(60, seen_exc.count, 2, "the #DF task ran");
    CHECK_EQ(61, seen_exc.error, 0, "#DF error code on the task's stack");
    CHECK_EQ(62, exc_saved_eip, insn, "main's saved EIP at the #DF: the faulting instruction");
    CHECK_EQ(63, tss_exc.link, RT_TSS, "back link of the #DF task");
    CHECK(64, !busy(G_TSS_EXC) && busy(RT_TSS >> 3), "busy bits after the #DF task's IRET");
    rt_idt_default(8, GATE_INT0);
    asm volatile("clts");
    rt_printf("task_switch: #DF through a task gate\n");
}

/* Faults before the commit point change nothing. */
static void check_faults(void)
{
    uint32_t n0;
    n0 = rt_trap.count;
    TRY("ljmp %0, $0", :: "i"(SEL(G_TSS_BAD)) : "memory");
    rt_check_exc(70, n0, 10, SEL(G_TSS_BAD), rt_try_insn, "JMP to a TSS with limit 0x60");
    tss_desc(G_TSS_BAD, &tss_bad, 0x67, ACC_TSS32 & 0x7F);
    n0 = rt_trap.count;
    TRY("ljmp %0, $0", :: "i"(SEL(G_TSS_BAD)) : "memory");
    rt_check_exc(71, n0, 11, SEL(G_TSS_BAD), rt_try_insn, "JMP to a TSS that is not present");
    n0 = rt_trap.count;
    TRY("ljmp %0, $0", :: "i"(RT_TSS) : "memory");
    rt_check_exc(72, n0, 13, RT_TSS, rt_try_insn, "JMP to the busy TSS of the running task");
    n0 = rt_trap.count;
    TRY("lcall %0, $0", :: "i"(RT_TSS) : "memory");
    rt_check_exc(73, n0, 13, RT_TSS, rt_try_insn, "CALL to a busy TSS");
    CHECK(74, busy(RT_TSS >> 3) && !busy(G_TSS_BAD), "busy bits after the faults");
    CHECK_EQ(75, str(), RT_TSS, "TR after the faults");
    CHECK(76, !(READ_CR(0) & CR0_TS), "CR0.TS set by a switch that faulted");

    /* IRET with NT set and a back link that is not a busy TSS: #TS(link). */
    rt_tss.link = SEL(G_TSS_A);
    n0 = rt_trap.count;
    TRY("pushfl\n\torl %0, (%%esp)\n\tpopfl\n\tiret", :: "i"(EFL_NT) : "memory");
    write_eflags(read_eflags() & ~EFL_NT);
    rt_check_exc(77, n0, 10, SEL(G_TSS_A), rt_try_insn + 9, "IRET to a back link that is not busy");
    rt_printf("task_switch: #TS (limit), #NP, #GP (busy), #TS (IRET link) before the commit point\n");
}

/* The T flag: #DB with DR6.BT at the new task's first instruction, in that
 * task.  Its CR3 maps linear 0x40000000 elsewhere (4 MiB pages). */
static volatile uint32_t db_eip, db_dr6, db_tr;
static void db_hook(struct trap_frame *f)
{
    if (f->vector != 1)
        rt_fail(81, "vector %u in the T-flag task", f->vector);
    db_eip = f->eip;
    asm volatile("movl %%dr6, %0" : "=r"(db_dr6));
    db_tr = str();
}

static uint32_t pd1[1024] __attribute__((aligned(4096))), pd2[1024] __attribute__((aligned(4096)));
static void check_t_flag_and_cr3(void)
{
    for (int i = 0; i < 1024; i++)
        pd1[i] = pd2[i] = 0;
    for (uint32_t i = 0; i < 8; i++)                 /* identity: the first 32 MiB */
        pd1[i] = pd2[i] = i << 22 | PTE_P | PTE_W | PTE_PS;
    pd1[second_space >> 22] = 0x01000000u | PTE_P | PTE_W | PTE_PS;   /* 16 MiB */
    pd2[second_space >> 22] = 0x01400000u | PTE_P | PTE_W | PTE_PS;   /* 20 MiB */
    *(volatile uint32_t *)0x01000000u = 0x11111111;
    *(volatile uint32_t *)0x01400000u = 0x22222222;
    WRITE_CR(4, READ_CR(4) | CR4_PSE);
    WRITE_CR(3, (uint32_t)pd1);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
    CHECK_EQ(80, peek(second_space), 0x11111111, "main's address space");
    rt_tss.cr3 = (uint32_t)pd1;
    tss_t.cr3 = (uint32_t)pd2;
    rt_hook = db_hook;
    uint32_t n0 = rt_trap.count;
    asm volatile("lcall %0, $0" :: "i"(SEL(G_TSS_T)) : "memory");
    rt_hook = NULL;
    CHECK_EQ(82, rt_trap.count - n0, 1, "exceptions during the switch to the T-flag task");
    CHECK_EQ(83, db_eip, (uint32_t)t_entry, "#DB reported at the new task's first instruction");
    CHECK(84, db_dr6 & DR6_BT, "DR6.BT clear (DR6 = 0x%x)", db_dr6);
    CHECK_EQ(85, db_tr, SEL(G_TSS_T), "TR in the #DB handler");
    CHECK_EQ(86, seen_t.count, 1, "the T-flag task ran");
    CHECK_EQ(87, seen_t.cr3, (uint32_t)pd2, "CR3 loaded from the new TSS");
    CHECK_EQ(88, seen_t.marker, 0x22222222, "the new task's address space");
    CHECK_EQ(89, READ_CR(3), (uint32_t)pd1, "CR3 after the IRET back");
    CHECK_EQ(90, peek(second_space), 0x11111111, "main's address space after the IRET back");

    /* #DE raised by translated code (not by the emulator, whose caller
     * compares CR3) through a task gate to a task with the other CR3. */
    tss_int.cr3 = (uint32_t)pd2;
    rt_idt[0] = task_gate(SEL(G_TSS_INT), 0);
    paging_on = true;
    uint32_t insn;
    asm volatile("movl $1f, %[resume]\n\t"
                 "movl $2f, %[insn]\n\t"
                 "movl $1, %%eax\n\t"
                 "xorl %%edx, %%edx\n\t"
                 "xorl %%ecx, %%ecx\n"
                 "2:\tdivl %%ecx\n"
                 "1:"
                 : [resume] "=m"(int_resume), [insn] "=m"(insn) :: "eax", "ecx", "edx", "memory");
    paging_on = false;
    rt_idt_default(0, GATE_INT0);
    CHECK_EQ(91, seen_int.count, 2, "the #DE task ran");
    CHECK_EQ(92, seen_int.cr3, (uint32_t)pd2, "CR3 in the #DE task");
    CHECK_EQ(93, seen_int.marker, 0x22222222, "the #DE task's address space");
    CHECK_EQ(94, int_saved_eip, insn, "main's saved EIP at the #DE: the DIV");
    CHECK_EQ(95, peek(second_space), 0x11111111, "main's address space after the #DE task");
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    asm volatile("clts");
    rt_printf("task_switch: T flag #DB and CR3 of the new task, by CALL and by #DE\n");
}

/* A fault after the commit point belongs to the new task: JMP to a TSS
 * whose CS is a data segment; #TS(CS) goes through the #TS task gate, with
 * the half-switched task in its back link. */
static void check_after_commit(void)
{
    rt_idt[10] = task_gate(SEL(G_TSS_TS), 0);
    uint32_t after;
    asm volatile("movl $1f, %[after]\n\t"
                 "ljmp %[sel], $0\n"
                 "1:"
                 : [after] "=m"(after) : [sel] "i"(SEL(G_TSS_BADCS)) : "memory");
    CHECK_EQ(100, seen_ts.count, 1, "the #TS task ran");
    CHECK_EQ(101, seen_ts.error, RT_KDATA, "#TS error code: the new task's CS");
    CHECK_EQ(102, ts_link, SEL(G_TSS_BADCS), "back link of the #TS task: the new task");
    CHECK_EQ(103, ts_badcs_eip, (uint32_t)a_entry, "the new task's EIP saved at the #TS");
    CHECK_EQ(104, ts_badcs_cs, RT_KDATA, "the new task's CS selector saved at the #TS");
    CHECK_EQ(105, rt_tss.eip, after, "main's EIP saved by the JMP");
    CHECK_EQ(106, str(), RT_TSS, "TR after the #TS task's JMP back");
    rt_idt_default(10, GATE_INT0);
    asm volatile("clts");
    rt_printf("task_switch: #TS(CS) after the commit point, in the new task\n");
}

void test_main(void)
{
    setup();
    check_jmp();
    check_call();
    check_int();
    check_gp_task();
    check_df_task();
    check_faults();
    check_t_flag_and_cr3();
    check_after_commit();
}
