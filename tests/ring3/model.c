/*
 * tests/ring3/model.c - the virtual CPU is the only CPU a guest sees: each
 * instruction the model lacks raises #UD, and a misaligned SSE operand or
 * FXSAVE area #GP(0), at the instruction, at CPL 3 and at CPL 0 - never a
 * stop of the VM, never the host's own answer (docs/cpu-model.md, "The
 * instruction set follows CPUID").  One row per instruction
 * (model_user.asm holds the bytes); the kernel checks vector, error code and
 * EIP in its handler and resumes after the instruction.
 *
 * Directly executed ring 3 cannot hide an instruction the host CPU has (a
 * Popek-Goldberg gap, docs/popek-goldberg.md): without "strict" on the
 * command line, a CPL-3 row that raised nothing is reported as silent and
 * not failed.  ctest runs it strict with --translate-ring3, and as it comes
 * on the host's default engine.  CPL-0 rows are always strict: ring 0 is
 * always translated.  Some rows trap on every host, so they are strict at
 * CPL 3 too: SYSCALL (Intel raises #UD in compatibility mode; AMD enters
 * the host kernel, so the monitor keeps it from running, cpu/host_facts.h),
 * SYSRET and INVPCID (#GP at CPL 3 on both vendors), RSM (#UD outside SMM),
 * CLAC (#UD at CPL 3), and the misaligned operands (#GP(0) on both: the
 * alignment of MOVAPS, MOVDQA, FXSAVE and FXRSTOR is checked whatever AMD's
 * MXCSR.MM says, APM vol. 4 and SDM vol. 2).
 */
#include "lib3.h"

#define ROW(x, v, what) { #x, v, what, m_##x, n_##x, false }
#define ROW_ANY_HOST(x, v, what) { #x, v, what, m_##x, n_##x, true }
#define LABELS(x) extern char m_##x[], n_##x[]
LABELS(syscall); LABELS(sysret); LABELS(rdtscp); LABELS(xgetbv); LABELS(xsave);
LABELS(invpcid); LABELS(monitor); LABELS(mwait); LABELS(rsm); LABELS(vmcall);
LABELS(vmmcall); LABELS(vmxon); LABELS(pfadd); LABELS(vzeroupper); LABELS(vpaddd);
LABELS(popcnt); LABELS(pshufb); LABELS(pminsd); LABELS(crc32); LABELS(movbe);
LABELS(rdrand); LABELS(rdseed); LABELS(adcx); LABELS(aesenc); LABELS(clac);
LABELS(rdpid); LABELS(prefetchw); LABELS(movaps); LABELS(movdqa); LABELS(fxsave);
LABELS(fxrstor);

extern uint32_t u_model(void);
#define ECX_MARK 0x5EC5EC5Eu    /* model_user.asm puts it in ECX before each row */

struct row {
    const char *name;
    uint32_t vector;
    const char *what;
    const char *eip, *resume;
    bool any_host;              /* traps on every host, run directly or not */
};

static const struct row rows[] = {
    ROW_ANY_HOST(syscall, 6, "SYSCALL (no SYSCALL in the model)"),
    ROW_ANY_HOST(sysret, 6, "SYSRET"),
    ROW(rdtscp, 6, "RDTSCP"),
    ROW(xgetbv, 6, "XGETBV (no XSAVE, CR4.OSXSAVE clear)"),
    ROW(xsave, 6, "XSAVE"),
    ROW_ANY_HOST(invpcid, 6, "INVPCID"),
    ROW(monitor, 6, "MONITOR"),
    ROW(mwait, 6, "MWAIT"),
    ROW_ANY_HOST(rsm, 6, "RSM outside SMM"),
    ROW(vmcall, 6, "VMCALL (no VMX)"),
    ROW(vmmcall, 6, "VMMCALL (no SVM)"),
    ROW(vmxon, 6, "VMXON"),
    ROW(pfadd, 6, "3DNow! PFADD"),
    ROW(vzeroupper, 6, "VEX VZEROUPPER (no AVX)"),
    ROW(vpaddd, 6, "VEX VPADDD"),
    ROW(popcnt, 6, "POPCNT"),
    ROW(pshufb, 6, "SSSE3 PSHUFB"),
    ROW(pminsd, 6, "SSE4.1 PMINSD"),
    ROW(crc32, 6, "SSE4.2 CRC32"),
    ROW(movbe, 6, "MOVBE"),
    ROW(rdrand, 6, "RDRAND"),
    ROW(rdseed, 6, "RDSEED"),
    ROW(adcx, 6, "ADCX"),
    ROW(aesenc, 6, "AESENC"),
    ROW_ANY_HOST(clac, 6, "CLAC (no SMAP)"),
    ROW(rdpid, 6, "RDPID"),
    ROW(prefetchw, 6, "PREFETCHW (no 3DNow! prefetch)"),
    ROW_ANY_HOST(movaps, 13, "MOVAPS from a misaligned operand"),
    ROW_ANY_HOST(movdqa, 13, "MOVDQA from a misaligned operand"),
    ROW_ANY_HOST(fxsave, 13, "FXSAVE to a misaligned area"),
    ROW_ANY_HOST(fxrstor, 13, "FXRSTOR from a misaligned area"),
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static bool strict, user_pass;
static unsigned next_row, raised, silent;

/* The row whose instruction is at eip: the rows run in order, but one the
 * host answered silently at CPL 3 raises nothing, so search from next_row. */
static int row_at(uint32_t eip)
{
    for (unsigned i = next_row; i < N_ROWS; i++)
        if ((uint32_t)rows[i].eip == eip)
            return (int)i;
    return -1;
}

static void on_event(struct r3_frame *f)
{
    int i = row_at(f->t.eip);
    int n = user_pass ? 10 : 50;
    if (i < 0)
        rt_fail(n, "%s: vector %u error 0x%x at EIP 0x%x, which is no row's instruction",
                user_pass ? "CPL 3" : "CPL 0", f->t.vector, f->t.error, f->t.eip);
    for (unsigned j = next_row; j < (unsigned)i; j++) {
        /* Rows before it ran without an exception. */
        if (user_pass && !strict && !rows[j].any_host) {
            rt_printf("model: CPL 3 %s: silent: the host CPU ran it (direct execution)\n",
                      rows[j].what);
            silent++;
        } else {
            rt_fail(n + 1, "%s: %s raised nothing", user_pass ? "CPL 3" : "CPL 0", rows[j].what);
        }
    }
    const struct row *r = &rows[i];
    if (f->t.vector != r->vector || (r->vector == 13 && f->t.error != 0))
        rt_fail(n + 2, "%s: %s: vector %u error 0x%x, want %u%s", user_pass ? "CPL 3" : "CPL 0",
                r->what, f->t.vector, f->t.error, r->vector, r->vector == 13 ? " error 0" : "");
    /* An exception leaves the registers as they were (SYSCALL, were it
     * run by the host, would have put its return address in ECX). */
    if (f->t.ecx != ECX_MARK)
        rt_fail(n + 4, "%s: %s: ECX 0x%x, want 0x%x as before it", user_pass ? "CPL 3" : "CPL 0",
                r->what, f->t.ecx, ECX_MARK);
    if (user_pass)
        r3_check_user_frame(n + 3, f, RT_ANY, r->what);
    rt_printf("model: CPL %u %s: %s at its EIP\n", user_pass ? 3 : 0, r->what,
              r->vector == 6 ? "#UD" : "#GP(0)");
    raised++;
    f->t.eip = (uint32_t)r->resume;
    next_row = (unsigned)i + 1;
}

static bool cmdline_has(const char *word)
{
    const struct { uint32_t flags, mem_lower, mem_upper, boot_device, cmdline; } *mb =
        (const void *)rt_mb_info;
    if (!(mb->flags & 4))
        return false;
    const char *s = (const char *)mb->cmdline;
    for (; *s; s++) {
        const char *a = s, *b = word;
        while (*b && *a == *b)
            a++, b++;
        if (!*b && (*a == ' ' || *a == '\0'))
            return true;
    }
    return false;
}

/* The rows the last pass did not reach raised nothing either. */
static void finish_pass(int n)
{
    for (unsigned j = next_row; j < N_ROWS; j++) {
        if (user_pass && !strict && !rows[j].any_host) {
            rt_printf("model: CPL 3 %s: silent: the host CPU ran it (direct execution)\n",
                      rows[j].what);
            silent++;
        } else {
            rt_fail(n, "%s: %s raised nothing", user_pass ? "CPL 3" : "CPL 0", rows[j].what);
        }
    }
}

void test_main(void)
{
    strict = cmdline_has("strict");
    r3_init();
    r3_paging_on();
    /* SSE on, as a kernel that uses it sets it up: MOVAPS then checks its
     * operand's alignment instead of raising #UD. */
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    r3_on_event = on_event;

    user_pass = false;
    u_model();
    finish_pass(60);
    CHECK_EQ(61, raised, N_ROWS, "CPL-0 rows that raised their exception");
    rt_printf("model: CPL 0: %u instructions, each raised its exception\n", raised);

    user_pass = true;
    next_row = raised = 0;
    uint32_t v = r3_run(u_model, 0x2);
    CHECK_EQ(20, v, 1, "value of the user program's SYS_EXIT");
    finish_pass(21);
    CHECK_EQ(22, raised + silent, N_ROWS, "CPL-3 rows accounted for");
    rt_printf("model: CPL 3: %u instructions raised their exception, %u silent (%s)\n", raised,
              silent, strict ? "strict" : "direct execution allowed");
}
