/*
 * pg_teach - the teaching kernel of docs/popek-goldberg.md: a small kernel
 * that uses each sensitive instruction of Robin and Irvine's list (and
 * CPUID) the way a kernel does, and prints, one row each, what it got
 * beside what a CPU at CPL 0 gives.  Under the binary translator every row
 * matches; under --ring0=direct (trap-and-emulate) the ones that do not
 * trap answer with the host's state, and vmm's silent-instruction report
 * names the same sites.  tests/guests/pg-table.sh runs both and prints the
 * rows side by side.
 *
 * Row format: "pg: NAME | got | want | ok" (or "| DIFFERS").  The kernel
 * always ends with PASS: which rows differ is what is being shown.
 */
#include "rt.h"

#define LDT_SEL   (RT_GDT_FREE << 3)        /* the LDT's descriptor in the GDT */
#define GATE_SEL  0x04                      /* LDT entry 0, RPL 0: a call gate */
#define PCPU_SEL  RT_TSS                    /* GDT entry 5, taken over (see check_mov_sreg) */
#define PCPU_MAGIC 0x50435055u

static uint64_t ldt[2];
static uint32_t pcpu_area[0x2000 / 4] __attribute__((aligned(4096)));
static volatile uint32_t landed;            /* which label a far transfer reached */
static volatile uint32_t saved_if;          /* IF in the frame INT 0x30 saw */
static volatile uint32_t pushed_cs;         /* the return CS a far call pushed */
static int differs, rows;

/* s, then spaces up to width w (rt_printf has no field widths). */
static void padded(const char *s, size_t w)
{
    rt_puts(s);
    for (size_t n = strlen(s); n < w; n++)
        rt_putc(' ');
}

static void row(const char *name, const char *got, const char *want)
{
    bool same = strcmp(got, want) == 0;
    rt_puts("pg: ");
    padded(name, 9);
    rt_puts(" | ");
    padded(got, 28);
    rt_puts(" | ");
    padded(want, 28);
    rt_printf(" | %s\n", same ? "ok" : "DIFFERS");
    differs += !same;
    rows++;
}

static void hex(char *b, uint32_t v)
{
    static const char d[] = "0123456789abcdef";
    b[0] = '0';
    b[1] = 'x';
    for (int i = 0; i < 4; i++)
        b[2 + i] = d[(v >> (12 - 4 * i)) & 15];
    b[6] = 0;
}

/* A tiny formatter: rt_printf prints, it does not format into memory. */
static void fmt_dtr(char *b, const struct dtr32 *d)
{
    static const char x[] = "0123456789abcdef";
    const char *p = "base 0x";
    while (*p)
        *b++ = *p++;
    for (int i = 0; i < 8; i++)
        *b++ = x[(d->base >> (28 - 4 * i)) & 15];
    p = " limit ";
    while (*p)
        *b++ = *p++;
    hex(b, d->limit);
}

static void fmt_u32(char *b, const char *pre, uint32_t v)
{
    static const char x[] = "0123456789abcdef";
    while (*pre)
        *b++ = *pre++;
    *b++ = '0';
    *b++ = 'x';
    for (int i = 0; i < 8; i++)
        *b++ = x[(v >> (28 - 4 * i)) & 15];
    *b = 0;
}

static void fmt_sel(char *b, uint32_t v)
{
    hex(b, v & 0xFFFF);
}

/* A row of two selectors (or 16-bit values). */
static void row(const char *name, const char *got, const char *want);
static void row_sel(const char *name, uint32_t got, uint32_t want)
{
    char g[8], w[8];
    fmt_sel(g, got);
    fmt_sel(w, want);
    row(name, g, w);
}

/* pre and a one-digit value: "IF=1". */
static void fmt_bit(char *b, const char *pre, uint32_t v)
{
    while (*pre)
        *b++ = *pre++;
    *b++ = (char)('0' + (v % 10));
    *b = 0;
}

/* ---- descriptor-table and machine-status stores ---- */

static void check_stores(void)
{
    struct dtr32 g, i;
    char got[40], want[40];
    asm volatile("sgdt %0" : "=m"(g));
    fmt_dtr(got, &g);
    fmt_dtr(want, &rt_gdtr);
    row("SGDT", got, want);
    asm volatile("sidt %0" : "=m"(i));
    fmt_dtr(got, &i);
    fmt_dtr(want, &rt_idtr);
    row("SIDT", got, want);

    uint16_t v;
    asm volatile("sldt %0" : "=m"(v));
    row_sel("SLDT", v, LDT_SEL);
    asm volatile("str %0" : "=m"(v));
    row_sel("STR", v, RT_TSS);

    uint32_t cr0;
    asm volatile("mov %%cr0, %0" : "=r"(cr0));      /* privileged: traps, right everywhere */
    asm volatile("smsw %0" : "=m"(v));
    row_sel("SMSW", v, cr0 & 0xFFFF);
}

/* ---- flags ---- */

static void int30_handler(struct trap_frame *f)
{
    if (f->vector != 0x30)
        rt_fail(127, "unexpected exception: vector %u error 0x%x at %x:%x", f->vector, f->error,
                f->cs, f->eip);
    saved_if = f->eflags & EFL_IF;
}

static void check_flags(void)
{
    uint32_t f;
    char got[40], want[40];
    /* PUSHF after CLI: is the kernel's own IF visible? */
    asm volatile("cli; pushfl; popl %0" : "=r"(f) :: "memory");
    fmt_bit(got, "IF=", (f & EFL_IF) >> 9);
    fmt_bit(want, "IF=", 0);
    row("PUSHF", got, want);

    /* POPF to disable interrupts (as local_irq_restore does): STI traps
     * and sets the virtual IF; the POPF that clears it again must take
     * effect.  INT 0x30 (a trap gate) shows the IF the CPU saves. */
    rt_hook = int30_handler;
    asm volatile("sti; pushl $0x2; popfl; int $0x30" ::: "memory", "cc");
    rt_hook = 0;
    asm volatile("cli");
    fmt_bit(got, "IF=", saved_if >> 9);
    fmt_bit(want, "IF=", 0);
    row("POPF", got, want);
}

/* ---- descriptor inspection ---- */

static void check_inspection(void)
{
    uint32_t v = 0, zf;
    char got[40], want[40];
    asm volatile("xorl %0, %0; larl %2, %0; setz %b1; movzbl %b1, %1"
                 : "=&r"(v), "=&q"(zf) : "r"((uint32_t)RT_KCODE) : "cc");
    if (zf) fmt_u32(got, "ZF=1 ", v); else fmt_bit(got, "ZF=", 0);
    fmt_u32(want, "ZF=1 ", (uint32_t)(rt_gdt[1] >> 32) & 0x00F0FF00u);
    row("LAR", got, want);

    asm volatile("xorl %0, %0; lsll %2, %0; setz %b1; movzbl %b1, %1"
                 : "=&r"(v), "=&q"(zf) : "r"((uint32_t)RT_KDATA) : "cc");
    if (zf) fmt_u32(got, "ZF=1 ", v); else fmt_bit(got, "ZF=", 0);
    fmt_u32(want, "ZF=1 ", 0xFFFFFFFFu);
    row("LSL", got, want);

    asm volatile("verr %w1; setz %b0; movzbl %b0, %0" : "=&q"(zf) : "r"((uint32_t)RT_KCODE) : "cc");
    fmt_bit(got, "ZF=", zf);
    fmt_bit(want, "ZF=", 1);
    row("VERR", got, want);

    asm volatile("verw %w1; setz %b0; movzbl %b0, %0" : "=&q"(zf) : "r"((uint32_t)RT_KDATA) : "cc");
    fmt_bit(got, "ZF=", zf);
    fmt_bit(want, "ZF=", 1);
    row("VERW", got, want);
}

/* ---- segment registers ---- */

static void check_segments(void)
{
    uint32_t v;
    char got[40], want[40];
    /* "Am I the kernel?": the CPL is CS's RPL. */
    asm volatile("movl %%cs, %0" : "=r"(v));
    fmt_bit(got, "CPL ", v & 3);
    fmt_bit(want, "CPL ", 0);
    row("MOV r,CS", got, want);

    asm volatile("pushl %%ds; popl %0" : "=r"(v));
    row_sel("PUSH DS", v, RT_KDATA);

    /* Save and restore DS around some work, as an interrupt entry does:
     * the restored DS must be the kernel's data segment. */
    asm volatile("pushl %%ds; popl %%ds; movl %%ds, %0" : "=r"(v));
    row_sel("POP DS", v, RT_KDATA);

    /* A per-CPU data segment in FS (GDT entry 5), read through at once. */
    asm volatile("movl %1, %%eax; movw %%ax, %%fs; movl %%fs:0x1000, %0; movl %2, %%eax; movw %%ax, %%fs"
                 : "=&r"(v) : "i"(PCPU_SEL), "i"(RT_KDATA) : "eax", "memory");
    fmt_u32(got, "fs:[0x1000] ", v);
    fmt_u32(want, "fs:[0x1000] ", PCPU_MAGIC);
    row("MOV FS,r", got, want);
}

/* ---- control transfers ---- */

/* Far CALL and far JMP through the call gate in LDT entry 0: the gate
 * sends them to gate_target (CS 0x08); a far pointer's own offset is
 * ignored by the CPU.  The offset given is ptr_target's. */
extern char gate_call_target[], ptr_call_target[], gate_jmp_target[], ptr_jmp_target[];
asm(".text\n"
    "gate_call_target: movl $1, landed; movl 4(%esp), %eax; movl %eax, pushed_cs; lret\n"
    "ptr_call_target:  movl $2, landed; movl 4(%esp), %eax; movl %eax, pushed_cs; lret\n"
    "gate_jmp_target:  movl $1, landed; jmp far_jmp_back\n"
    "ptr_jmp_target:   movl $2, landed; jmp far_jmp_back\n");

/* LDT entry 0 as a flat ring-3 code segment (selector USER_CS_SEL). */
#define USER_CS_SEL (GATE_SEL | 3)
static uint8_t ring0_stack[1024] __attribute__((aligned(16)));
static uint8_t user_stack[256] __attribute__((aligned(16)));
static volatile uint32_t ret_from_cpl;
uint32_t kernel_esp;
extern char ret_resume[];

static void set_user_code(void)
{
    ldt[0] = rt_seg_desc(0, 0xFFFFFFFFu, ACC_CODE3, FLG_4K32);
}

static void int31_handler(struct trap_frame *f)
{
    if (f->vector != 0x31)
        rt_fail(127, "unexpected exception: vector %u error 0x%x at %x:%x", f->vector, f->error,
                f->cs, f->eip);
    ret_from_cpl = f->cs & 3;
    f->eip = (uint32_t)ret_resume;      /* back to the kernel, at CPL 0 */
    f->cs = RT_KCODE;
}

/* Point the call gate in LDT entry 0 at `target` in the kernel's CS. */
static void set_gate(const char *target)
{
    uint32_t t = (uint32_t)target;
    ldt[0] = (uint64_t)(t & 0xFFFF) | (uint64_t)RT_KCODE << 16 | (uint64_t)0x8C << 40 |
             (uint64_t)(t >> 16) << 48;
}

static void check_transfers(void)
{
    char got[40], want[40];
    static const char *where[3] = { "nowhere", "the gate's target", "the pointer's offset" };

    set_gate(gate_call_target);
    landed = 0;
    asm volatile("lcall %0, $ptr_call_target" :: "i"(GATE_SEL) : "eax", "memory");
    row("CALL far", where[landed], where[1]);
    row_sel("CALL CS", pushed_cs, RT_KCODE);

    set_gate(gate_jmp_target);
    landed = 0;
    asm volatile("ljmp %0, $ptr_jmp_target\nfar_jmp_back:" :: "i"(GATE_SEL) : "memory");
    /* Back in the kernel's own CS (the CPU's jump through the gate loaded
     * it; the host's jump left the mirror of it). */
    row("JMP far", where[landed], where[1]);

    /* Enter ring 3 the first time by a far RET (the kernel has pushed the
     * user SS:ESP and CS:EIP), to a code segment in LDT entry 0; the
     * user code comes back at once by INT 0x31, whose handler reports the
     * privilege it was called from (the RPL of the CS the CPU saved). */
    set_user_code();
    ret_from_cpl = 0xFF;
    rt_tss.esp0 = (uint32_t)(ring0_stack + sizeof ring0_stack);
    rt_hook = int31_handler;
    asm volatile("movl %%esp, kernel_esp\n\t"
                 "pushl %0; pushl %1; pushl %2; pushl $user_code; lret\n"
                 "user_code: int $0x31\n"
                 "ret_resume: movl %%cs:kernel_esp, %%esp\n\t"   /* DS is null here */
                 "movl %3, %%eax; movw %%ax, %%ds; movw %%ax, %%es"
                 :: "i"(RT_UDATA), "r"(user_stack + sizeof user_stack), "i"(USER_CS_SEL),
                    "i"(RT_KDATA) : "eax", "memory");
    rt_hook = 0;
    fmt_bit(got, "caller CPL ", ret_from_cpl);
    fmt_bit(want, "caller CPL ", 3);
    row("RET far", got, want);

    /* INT n through a DPL-0 gate from CPL 0: the handler runs. */
    saved_if = 0xFF;
    rt_hook = int30_handler;
    asm volatile("int $0x30" ::: "memory");
    rt_hook = 0;
    row("INT n", saved_if != 0xFF ? "handler ran" : "no handler", "handler ran");
}

static void check_cpuid(void)
{
    uint32_t r[4];
    char got[40], want[40];
    cpuid(0, r);
    fmt_u32(got, "max leaf ", r[0]);
    fmt_u32(want, "max leaf ", 2);        /* the virtual model (docs/cpu-model.md) */
    row("CPUID", got, want);
}

static void setup(void)
{
    /* An LDT whose entry 0 is a call gate to the kernel's code segment. */
    set_gate(gate_call_target);
    rt_gdt_set(RT_GDT_FREE, rt_seg_desc((uint32_t)ldt, sizeof ldt - 1, ACC_LDT, 0));
    asm volatile("lldt %w0" :: "r"(LDT_SEL));
    /* GDT entry 5 becomes a per-CPU data segment (TR keeps its cached
     * descriptor); its word at 0x1000 is the magic. */
    pcpu_area[0x1000 / 4] = PCPU_MAGIC;
    rt_gdt_set(5, rt_seg_desc((uint32_t)pcpu_area, sizeof pcpu_area - 1, ACC_DATA0, FLG_BYTE32));
    rt_idt_default(0x30, GATE_TRAP0);
    rt_idt_default(0x31, GATE_TRAP3);       /* ring 3 may call it */
}

void test_main(void)
{
    setup();
    check_stores();
    check_flags();
    check_inspection();
    check_segments();
    check_transfers();
    check_cpuid();
    rt_printf("pg: %d of %d rows differ from a CPU at CPL 0\n", differs, rows);

}
