/*
 * tests/ring3/popek_goldberg.c - the teaching guest: ring 3 executes the
 * sensitive instructions that x86 lets user code run (Robin and Irvine's
 * list of the seventeen; docs/popek-goldberg.md) and the kernel prints, for
 * each, what ring 3 saw next to the guest's own value.
 *
 * SGDT and SIDT trap in hardware on a UMIP host.  Where the host kernel
 * passes the trap on, the monitor must answer them with the guest's
 * GDTR/IDTR; where the host kernel answers them itself (Linux's UMIP
 * emulation, with its fixed dummy values), no signal ever reaches the
 * monitor and they are one more silent gap.  The test fails on anything
 * else (a wrong value the monitor made up).  The rest
 * are reported, not judged: SMSW/STR/SLDT are answered by the host kernel,
 * CPUID by the host processor unless it has CPUID faulting (then by the
 * monitor: ring3.popek_goldberg_cpuid requires that), PUSHF shows the
 * host's IF and IOPL, MOV from
 * a segment register and LAR/LSL/VERR/VERW see the host's selectors.  Which
 * of them still match the guest depends on the engine (host LDT mirroring).
 *
 * Then the same again with CR0.TS set (a lazy-FPU kernel's state after a
 * task switch): vmm then translates ring 3 (docs/direct.md, "FPU"), and
 * every row must match the guest ("pg[TS]:" lines).
 */
#include "lib3.h"

struct pg_seen {
    struct dtr32 gdtr; uint16_t pad0;
    struct dtr32 idtr; uint16_t pad1;
    uint16_t smsw, str, sldt, cs, ss, ds;
    uint32_t pushf;
    uint32_t cpuid[4];                  /* EAX, EBX, EDX, ECX: vendor in EBX EDX ECX */
    uint32_t lar, lar_zf, lsl, lsl_zf;
    uint32_t verr_zf, verw_zf;
} __attribute__((packed));
_Static_assert(sizeof(struct pg_seen) == 72, "layout shared with popek_goldberg_user.asm");

struct pg_seen pg_seen;
extern uint32_t u_pg(void);

/* ---- a little formatting: rt_printf has no string buffers ---------------- */

struct line { char s[48]; int n; };

static void add_s(struct line *l, const char *s)
{
    while (*s && l->n < (int)sizeof l->s - 1)
        l->s[l->n++] = *s++;
    l->s[l->n] = 0;
}

static void add_x(struct line *l, uint32_t v, int digits)
{
    char b[12] = "0x";
    for (int i = 0; i < digits; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xF];
    b[2 + digits] = 0;
    add_s(l, b);
}

static void add_chars(struct line *l, uint32_t v)
{
    char b[5] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24), 0 };
    add_s(l, b);
}

static void put_padded(const char *s, int width)
{
    int n = (int)strlen(s);
    rt_puts(s);
    while (n++ < width)
        rt_putc(' ');
}

static const char *tag = "pg: ";       /* line prefix of the current table */
static unsigned mismatches;

/* One row: instruction, what ring 3 saw, the guest's value, verdict. */
static bool row(const char *insn, const struct line *seen, const struct line *guest,
                const char *mismatch)
{
    bool same = strcmp(seen->s, guest->s) == 0;
    mismatches += !same;
    rt_puts(tag);
    put_padded(insn, 10);
    put_padded(seen->s, 30);
    put_padded(guest->s, 30);
    rt_puts(same ? "matches guest" : mismatch);
    rt_putc('\n');
    return same;
}

#define SILENT "host value (silent: Popek-Goldberg gap)"

static void dtr_line(struct line *l, const struct dtr32 *d)
{
    add_s(l, "base ");
    add_x(l, d->base, 8);
    add_s(l, " limit ");
    add_x(l, d->limit, 4);
}

static void sel_line(struct line *l, uint32_t v) { add_x(l, v, 4); }

static void flags_line(struct line *l, uint32_t f)
{
    add_s(l, f & EFL_IF ? "IF=1" : "IF=0");
    char iopl[] = " IOPL=0";
    iopl[6] = (char)('0' + ((f & EFL_IOPL) >> 12));
    add_s(l, iopl);
}

static void cpuid_line(struct line *l, const uint32_t r[4])
{
    add_chars(l, r[1]);
    add_chars(l, r[2]);
    add_chars(l, r[3]);
    add_s(l, " max ");
    add_x(l, r[0], 2);
}

static void zf_line(struct line *l, uint32_t zf, uint32_t v, int digits)
{
    if (!zf) {
        add_s(l, "ZF=0 (refused)");
        return;
    }
    add_s(l, "ZF=1");
    if (digits) {
        add_s(l, " ");
        add_x(l, v, digits);
    }
}

static const struct dtr32 *dtr_of(const struct pg_seen *s, int idt) { return idt ? &s->idtr : &s->gdtr; }

/* Run the user program and print the table; returns whether SGDT and
 * SIDT gave an acceptable answer (*ok). */
static void run_and_compare(bool ok[2])
{
    uint32_t eflags = 0x2;              /* ring 3 runs with IF=0, IOPL=0 */
    r3_run(u_pg, eflags);
    mismatches = 0;

    /* The guest's own values, from its tables and the virtual CPU (ring 0). */
    uint32_t model[4], a = 0, b, c, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    model[0] = a, model[1] = b, model[2] = d, model[3] = c;
    uint64_t ucode = rt_gdt[RT_UCODE >> 3];
    /* LAR: descriptor bits 40..55 without the limit (SDM vol. 2 LAR); the
     * accessed bit is set by the CPU when CS was loaded, so it is ignored. */
    uint32_t lar_guest = (uint32_t)(ucode >> 32) & 0x00F0FE00;
    uint32_t lar_seen = pg_seen.lar & 0x00F0FE00;
    uint32_t lsl_guest = 0xFFFFFFFF;    /* 4 GiB, G=1 */

    rt_printf("%sring 3 ran each sensitive instruction once; the kernel compares with the guest's state\n", tag);
    rt_puts(tag);
    put_padded("insn", 10);
    put_padded("ring 3 saw", 30);
    put_padded("guest value", 30);
    rt_puts("verdict\n");

    /* Linux answers SGDT/SIDT from 32-bit code itself when UMIP traps them
     * (arch/x86/kernel/umip.c: UMIP_DUMMY_GDT_BASE, UMIP_DUMMY_IDT_BASE,
     * limit 0): then no signal ever reaches the monitor. */
    static const uint32_t linux_dummy[2] = { 0xFFFE0000, 0xFFFF0000 };
    static const char *const dt_name[2] = { "SGDT", "SIDT" };
    const struct dtr32 *dt_guest[2] = { &rt_gdtr, &rt_idtr };
    for (int i = 0; i < 2; i++) {
        struct line s = { 0 }, g = { 0 };
        dtr_line(&s, dtr_of(&pg_seen, i));
        dtr_line(&g, dt_guest[i]);
        bool host_umip = dtr_of(&pg_seen, i)->base == linux_dummy[i] && dtr_of(&pg_seen, i)->limit == 0;
        ok[i] = row(dt_name[i], &s, &g, host_umip ? "host UMIP answer (silent: Popek-Goldberg gap)"
                                                  : "WRONG: the monitor must answer") || host_umip;
    }

    struct { const char *insn; uint32_t seen, guest; } sels[] = {
        { "SMSW", pg_seen.smsw, read_cr0() & 0xFFFF },
        { "STR", pg_seen.str, RT_TSS },
        { "SLDT", pg_seen.sldt, 0 },
        { "MOV r,CS", pg_seen.cs, RT_UCODE },
        { "MOV r,SS", pg_seen.ss, RT_UDATA },
        { "MOV r,DS", pg_seen.ds, RT_UDATA },
    };
    for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        struct line s = { 0 }, g = { 0 };
        sel_line(&s, sels[i].seen);
        sel_line(&g, sels[i].guest);
        row(sels[i].insn, &s, &g, SILENT);
    }

    struct line s = { 0 }, g = { 0 };
    flags_line(&s, pg_seen.pushf);
    flags_line(&g, eflags);
    row("PUSHF", &s, &g, SILENT);

    s = (struct line){ 0 }, g = (struct line){ 0 };
    uint32_t seen_cpuid[4];
    memcpy(seen_cpuid, pg_seen.cpuid, sizeof seen_cpuid);
    cpuid_line(&s, seen_cpuid);
    cpuid_line(&g, model);
    row("CPUID 0", &s, &g, SILENT);

    s = (struct line){ 0 }, g = (struct line){ 0 };
    zf_line(&s, pg_seen.lar_zf, lar_seen, 8);
    zf_line(&g, 1, lar_guest, 8);
    row("LAR 0x1b", &s, &g, SILENT);

    s = (struct line){ 0 }, g = (struct line){ 0 };
    zf_line(&s, pg_seen.lsl_zf, pg_seen.lsl, 8);
    zf_line(&g, 1, lsl_guest, 8);
    row("LSL 0x1b", &s, &g, SILENT);

    s = (struct line){ 0 }, g = (struct line){ 0 };
    zf_line(&s, pg_seen.verr_zf, 0, 0);
    zf_line(&g, 1, 0, 0);
    row("VERR 0x1b", &s, &g, SILENT);

    s = (struct line){ 0 }, g = (struct line){ 0 };
    zf_line(&s, pg_seen.verw_zf, 0, 0);
    zf_line(&g, 1, 0, 0);
    row("VERW 0x23", &s, &g, SILENT);

}

void test_main(void)
{
    bool ok[2];
    r3_init();
    run_and_compare(ok);
    CHECK(1, ok[0], "SGDT in ring 3 gave neither the guest's GDTR nor the host's UMIP answer");
    CHECK(2, ok[1], "SIDT in ring 3 gave neither the guest's IDTR nor the host's UMIP answer");

    tag = "pg[TS]: ";
    write_cr0(read_cr0() | CR0_TS);
    run_and_compare(ok);
    write_cr0(read_cr0() & ~CR0_TS);
    CHECK(3, mismatches == 0, "with CR0.TS set %u rows differ from the guest's values", mismatches);
    rt_printf("pg[TS]: every row matches the guest\n");
}
