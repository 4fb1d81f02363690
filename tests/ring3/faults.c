/*
 * tests/ring3/faults.c - every way ring-3 code can fault or trap, checked in
 * the guest kernel's handler: vector, error code, EIP (the faulting
 * instruction for faults, the next one for traps), CR2 for page faults, and
 * a frame that came from CPL 3 with the guest's user selectors and the
 * user ESP.  The handler then resumes user code after the instruction.
 * Paging is on (identity map, all user pages except three test pages).
 * The user program runs twice: with CR0.TS clear, then with CR0.TS set
 * (lazy FPU; under vmm ring 3 is then translated instead of run directly,
 * docs/direct.md "FPU"), where every case must come out the same.
 */
#include "lib3.h"

#define ERR_NONE RT_ANY

uint8_t ro_page[4096] __attribute__((aligned(4096)));   /* user, read-only */
uint8_t sup_page[4096] __attribute__((aligned(4096)));  /* supervisor only */
uint8_t np_page[4096] __attribute__((aligned(4096)));   /* not present */

extern uint32_t u_faults(void);
extern volatile uint32_t u_fault_esp;

#define LABELS(x) extern char f_##x[], r_##x[]
LABELS(ud); LABELS(de); LABELS(bp); LABELS(of); LABELS(br); LABELS(cli);
LABELS(sti); LABELS(hlt); LABELS(in); LABELS(out); LABELS(movcr0);
LABELS(int81); LABELS(ds0); LABELS(dsnp); LABELS(ssnp); LABELS(ac);
LABELS(pfro); LABELS(pfsup); LABELS(pfnpr); LABELS(pfnpw); LABELS(pffetch);

struct fault_case {
    const char *what;
    uint32_t vector, error;
    const char *eip;        /* EIP the frame must hold */
    const char *resume;     /* where user code goes on */
    const uint8_t *cr2;     /* #PF only */
};

/* Faults report the instruction itself, traps (INT3, INTO) the next one
 * (SDM vol. 3 6.5).  #GP for an INT n through a gate of lower DPL has the
 * IDT bit set: vector*8 + 2 (SDM vol. 3 6.13). */
#define FAULT(x, v, e, what) { what, v, e, f_##x, r_##x, NULL }
#define TRAP(x, v, what)     { what, v, ERR_NONE, r_##x, r_##x, NULL }
#define PF(x, e, addr, what) { what, 14, e, f_##x, r_##x, addr }
/* An instruction fetch from a page that is not there: EIP is the target. */
#define PF_FETCH(x, target, what) { what, 14, 4, (const char *)(target), r_##x, target }
static const struct fault_case cases[] = {
    FAULT(ud, 6, ERR_NONE, "ud2 -> #UD"),
    FAULT(de, 0, ERR_NONE, "div by zero -> #DE"),
    TRAP(bp, 3, "int3 -> #BP (trap: EIP after it)"),
    TRAP(of, 4, "into with OF=1 -> #OF (trap)"),
    FAULT(br, 5, ERR_NONE, "bound out of range -> #BR"),
    FAULT(cli, 13, 0, "cli -> #GP(0)"),
    FAULT(sti, 13, 0, "sti -> #GP(0)"),
    FAULT(hlt, 13, 0, "hlt -> #GP(0)"),
    FAULT(in, 13, 0, "in al,dx with IOPL 0 -> #GP(0)"),
    FAULT(out, 13, 0, "out dx,al with IOPL 0 -> #GP(0)"),
    FAULT(movcr0, 13, 0, "mov eax,cr0 -> #GP(0)"),
    FAULT(int81, 13, 0x81 * 8 + 2, "int 0x81 through a DPL-0 gate -> #GP(0x40a)"),
    FAULT(ds0, 13, 0x10, "mov ds,0x10 (DPL 0) -> #GP(0x10)"),
    FAULT(dsnp, 11, 0x38, "mov ds,0x3b (not present) -> #NP(0x38)"),
    FAULT(ssnp, 12, 0x38, "mov ss,0x3b (not present) -> #SS(0x38)"),
    FAULT(ac, 17, 0, "misaligned load with CR0.AM and EFLAGS.AC -> #AC(0)"),
    PF(pfro, 7, ro_page + 0x10, "write to a read-only user page -> #PF(7)"),
    PF(pfsup, 5, sup_page + 0x20, "read of a supervisor page -> #PF(5)"),
    PF(pfnpr, 4, np_page + 0x30, "read of a not-present page -> #PF(4)"),
    PF(pfnpw, 6, np_page + 0x40, "write to a not-present page -> #PF(6)"),
    PF_FETCH(pffetch, np_page, "jump into a not-present page -> #PF(4) at the target"),
};
#define N_CASES (sizeof cases / sizeof cases[0])

static unsigned next_case;
static bool ts_run;                     /* second run: CR0.TS set throughout */

static void on_fault(struct r3_frame *f)
{
    if (ts_run)
        CHECK(9, read_cr0() & CR0_TS, "CR0.TS cleared during the second run");
    if (next_case >= N_CASES)
        rt_fail(1, "an exception after the last case: vector %u error 0x%x at %x:%x",
                f->t.vector, f->t.error, f->t.cs, f->t.eip);
    const struct fault_case *c = &cases[next_case];
    int n = 10 + 3 * (int)next_case;    /* three check numbers per case */

    if (f->t.vector != c->vector || (c->error != ERR_NONE && f->t.error != c->error))
        rt_fail(n, "%s: got vector %u error 0x%x at EIP 0x%x", c->what,
                f->t.vector, f->t.error, f->t.eip);
    if (f->t.eip != (uint32_t)c->eip)
        rt_fail(n, "%s: EIP in the frame 0x%x, want 0x%x", c->what, f->t.eip, (uint32_t)c->eip);
    if (c->cr2 && read_cr2() != (uint32_t)c->cr2)
        rt_fail(n, "%s: CR2 0x%x, want 0x%x", c->what, read_cr2(), (uint32_t)c->cr2);
    r3_check_user_frame(n + 1, f, u_fault_esp, c->what);
    if (f->t.esi != 0x5151A0A0 || f->t.edi != 0xD1D1E0E0 || f->t.ebp != 0xB0B0C0C0 ||
        (f->t.ds & 0xFFFF) != RT_UDATA)
        rt_fail(n + 2, "%s: user ESI/EDI/EBP/DS changed: %x %x %x %x", c->what,
                f->t.esi, f->t.edi, f->t.ebp, f->t.ds);
    rt_printf("faults: %s%s: ok (EIP 0x%x", ts_run ? "[CR0.TS] " : "", c->what, f->t.eip);
    if (c->cr2)
        rt_printf(", CR2 0x%x", read_cr2());
    rt_printf(")\n");
    f->t.eip = (uint32_t)c->resume;
    next_case++;
}

void test_main(void)
{
    r3_init();
    /* INT3 and INTO are software interrupts: their gates need DPL 3 (SDM
     * vol. 3 6.12.1.1); INT 0x81 keeps the default DPL-0 gate. */
    rt_idt_default(3, GATE_INT3);
    rt_idt_default(4, GATE_INT3);
    rt_gdt_set(7, rt_seg_desc(0, 0xFFFFF, ACC_DATA3 & 0x7F, FLG_4K32));

    r3_paging_on();
    *r3_pte((uint32_t)ro_page) &= ~PTE_W;
    *r3_pte((uint32_t)sup_page) &= ~PTE_U;
    *r3_pte((uint32_t)np_page) = 0;
    r3_invlpg((uint32_t)ro_page);
    r3_invlpg((uint32_t)sup_page);
    r3_invlpg((uint32_t)np_page);
    write_cr0(read_cr0() | CR0_AM);     /* alignment checks at CPL 3 */

    r3_on_event = on_fault;
    uint32_t v = r3_run(u_faults, 0x2);
    CHECK_EQ(2, v, 1, "value of the user program's SYS_EXIT");
    CHECK_EQ(3, next_case, N_CASES, "exceptions taken from ring 3");
    rt_printf("faults: %u exceptions from ring 3, each with its error code, EIP, CR2 and frame\n",
              next_case);

    /* Again with CR0.TS: nothing here uses the FPU, so TS stays set. */
    next_case = 0;
    ts_run = true;
    write_cr0(read_cr0() | CR0_TS);
    v = r3_run(u_faults, 0x2);
    CHECK_EQ(4, v, 1, "value of the user program's SYS_EXIT (CR0.TS)");
    CHECK_EQ(5, next_case, N_CASES, "exceptions taken from ring 3 (CR0.TS)");
    CHECK(6, read_cr0() & CR0_TS, "CR0.TS cleared by the second run");
    write_cr0(read_cr0() & ~CR0_TS);
    rt_printf("faults: with CR0.TS set: the same %u exceptions\n", next_case);
}
