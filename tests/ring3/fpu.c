/*
 * tests/ring3/fpu.c - the guest's FPU/SSE state in ring 3 under direct
 * execution:
 *   A. x87 stack, FCW/FSW/FTW, MXCSR and xmm0-7 loaded in ring 3 are the same
 *      after an int 0x80 whose kernel side prints (so the monitor's own code,
 *      C library included, runs in between);
 *   B. the same across timer interrupts (PIT IRQ 0) taken while ring 3 spins;
 *   C. unmasked x87 divide by zero gives #MF at the next WAIT, unmasked SSE
 *      divide by zero #XM at the DIVPS (CR0.NE, CR4.OSXMMEXCPT); then again
 *      with CR4.OSXMMEXCPT clear, where the DIVPS raises #UD instead;
 *   D. lazy FPU: with CR0.TS set by the kernel, the first x87 instruction,
 *      SSE instruction (MOVAPS) and WAIT (CR0.MP) each raise #NM in ring 3;
 *      the handler does CLTS and the instruction then runs.  (Under vmm,
 *      ring 3 with CR0.TS is translated, since directly executed SSE code
 *      cannot be made to trap: docs/direct.md, "FPU"; tests/ring3/lazy_fpu.c
 *      covers the rest.)
 * The kernel itself never touches FPU registers except to clear exceptions.
 */
#include "lib3.h"

#define SYS_NOISY  (SYS_TEST + 0)
#define SYS_SET_TS (SYS_TEST + 1)
#define IRQ0_VECTOR 0x20

extern uint32_t u_fpu_keep(void), u_fpu_nm(void), u_fpu_mf(void);
extern uint8_t u_fx_ref[512], u_fx_after[512];
extern volatile uint32_t u_nm_out[4], u_xm_out[4];
extern char nm_1[], nm_2[], nm_3[], mf_1[], xm_1[];

volatile uint32_t u_mode;               /* read by ring 3 */
volatile uint32_t ticks_user;           /* timer interrupts taken from ring 3 */
static uint32_t nm_count, mf_count, xm_count, ud_count;
/* The #NMs expected, in order. */
static const char *const nm_eips[] = { nm_1, nm_2, nm_3 };
static const char *const nm_what[] = { "fld1", "movaps", "fwait" };
#define NM_EXPECTED 3

/* FXSAVE layout (SDM vol. 1 10.5.1): FCW 0, FSW 2, abridged FTW 4, MXCSR 24,
 * ST0-7 from 32 (16 bytes each, 10 used), XMM0-7 from 160. */
struct fx_field { const char *name; unsigned off, len, stride, count; };
static const struct fx_field fx_fields[] = {
    { "FCW", 0, 2, 0, 1 }, { "FSW", 2, 2, 0, 1 }, { "FTW", 4, 1, 0, 1 },
    { "MXCSR", 24, 4, 0, 1 }, { "ST", 32, 10, 16, 8 }, { "XMM", 160, 16, 16, 8 },
};

static uint32_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }

static void check_fx_same(int n, const char *when)
{
    for (unsigned i = 0; i < sizeof fx_fields / sizeof fx_fields[0]; i++) {
        const struct fx_field *fl = &fx_fields[i];
        for (unsigned k = 0; k < fl->count; k++) {
            unsigned off = fl->off + k * fl->stride;
            if (memcmp(u_fx_ref + off, u_fx_after + off, fl->len) != 0)
                rt_fail(n, "%s: %s%c changed: first word 0x%x, was 0x%x", when, fl->name,
                        fl->count > 1 ? '0' + k : ' ', rd32(u_fx_after + off),
                        rd32(u_fx_ref + off));
        }
    }
}

/* What u_fpu_keep loaded must be in the reference image. */
static void check_fx_loaded(int n)
{
    static const uint8_t one80[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F };
    CHECK_EQ(n, rd16(u_fx_ref + 0), 0x0F7F, "FCW loaded in ring 3");
    CHECK_EQ(n, rd32(u_fx_ref + 24), 0x7F80, "MXCSR loaded in ring 3");
    CHECK(n, memcmp(u_fx_ref + 32, one80, 10) == 0, "ST0 is not 1.0 after FLD1 in ring 3");
    for (unsigned i = 0; i < 128; i++)
        CHECK_EQ(n, u_fx_ref[160 + i], (i * 37 + 11) & 0xFF, "xmm byte loaded in ring 3");
}

static void fpu_clear_x87(void) { asm volatile("fnclex"); }
static uint32_t fpu_status(void) { uint16_t sw; asm volatile("fnstsw %0" : "=a"(sw)); return sw; }
static uint32_t sse_mxcsr(void) { uint32_t m; asm volatile("stmxcsr %0" : "=m"(m)); return m; }
static void sse_set_mxcsr(uint32_t m) { asm volatile("ldmxcsr %0" :: "m"(m)); }

static void on_timer(struct r3_frame *f)
{
    if (r3_from_user(&f->t)) {
        r3_check_user_frame(30, f, RT_ANY, "timer interrupt from ring 3");
        CHECK(30, f->t.eflags & EFL_IF, "IF clear in the EFLAGS of an interrupted ring 3");
        ticks_user++;
    }
    outb(0x20, 0x20);                   /* EOI to the master 8259 */
}

static void on_event(struct r3_frame *f)
{
    struct trap_frame *t = &f->t;
    switch (t->vector) {
    case IRQ0_VECTOR:
        on_timer(f);
        return;
    case 0x80:
        r3_check_user_frame(31, f, RT_ANY, "int 0x80");
        if (t->eax == SYS_NOISY) {
            rt_printf("fpu: kernel side of int 0x80: printing through the emulated UART, "
                      "CR0 0x%x CR4 0x%x\n", read_cr0(), read_cr4());
            return;
        }
        if (t->eax == SYS_SET_TS) {
            write_cr0(read_cr0() | CR0_TS);
            return;
        }
        rt_fail(32, "unknown system call %u", t->eax);
    case 7:                             /* #NM */
        r3_check_user_frame(33, f, RT_ANY, "#NM frame");
        if (nm_count >= NM_EXPECTED || t->eip != (uint32_t)nm_eips[nm_count])
            rt_fail(33, "#NM number %u at EIP 0x%x (want %s at 0x%x)", nm_count + 1, t->eip,
                    nm_count < NM_EXPECTED ? nm_what[nm_count] : "none",
                    nm_count < NM_EXPECTED ? (uint32_t)nm_eips[nm_count] : 0);
        CHECK(34, read_cr0() & CR0_TS, "#NM at 0x%x with CR0.TS clear", t->eip);
        rt_printf("fpu: #NM at %s (EIP 0x%x), CLTS, retry\n", nm_what[nm_count], t->eip);
        asm volatile("clts");
        nm_count++;
        return;
    case 16:                            /* #MF */
        r3_check_user_frame(35, f, RT_ANY, "#MF frame");
        CHECK_EQ(35, t->eip, (uint32_t)mf_1, "EIP of #MF (the FWAIT after FDIVP)");
        CHECK_EQ(36, fpu_status() & 0x84, 0x84, "FSW ES|ZE at #MF");
        fpu_clear_x87();
        mf_count++;
        return;
    case 19: {                          /* #XM */
        r3_check_user_frame(37, f, RT_ANY, "#XM frame");
        CHECK_EQ(37, t->eip, (uint32_t)xm_1, "EIP of #XM (the DIVPS)");
        uint32_t m = sse_mxcsr();
        CHECK_EQ(38, m & 0x204, 0x004, "MXCSR ZE set, ZM clear at #XM");
        sse_set_mxcsr((m | 0x200) & ~0x3Fu);    /* mask ZM, clear the flags */
        xm_count++;
        return;
    }
    case 6: {                           /* #UD: an #XM with CR4.OSXMMEXCPT clear */
        r3_check_user_frame(40, f, RT_ANY, "#UD frame");
        CHECK_EQ(40, t->eip, (uint32_t)xm_1, "EIP of #UD (the DIVPS, OSXMMEXCPT clear)");
        CHECK(41, !(read_cr4() & CR4_OSXMMEXCPT), "#UD from DIVPS with CR4.OSXMMEXCPT set");
        uint32_t m = sse_mxcsr();
        CHECK_EQ(42, m & 0x204, 0x004, "MXCSR ZE set, ZM clear at #UD");
        sse_set_mxcsr((m | 0x200) & ~0x3Fu);
        ud_count++;
        return;
    }
    default:
        rt_fail(39, "unexpected vector %u error 0x%x at %x:%x", t->vector, t->error, t->cs, t->eip);
    }
}

static void fpu_enable(void)
{
    uint32_t a = 1, b, c, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    CHECK((1), (d & (3u << 24)) == (3u << 24), "CPUID.1:EDX 0x%x lacks FXSR/SSE", d);
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

void test_main(void)
{
    r3_init();
    r3_on_event = on_event;
    fpu_enable();

    u_mode = 0;
    r3_run(u_fpu_keep, 0x2);
    check_fx_loaded(2);
    check_fx_same(3, "across int 0x80");
    rt_printf("fpu: state kept across int 0x80 (x87 stack, FCW, FSW, FTW, MXCSR, xmm0-7)\n");

    u_mode = 1;
    r3_timer_start(1000);
    uint32_t left = r3_run(u_fpu_keep, 0x202);
    outb(0x21, 0xFF);
    CHECK(4, ticks_user >= 5, "only %u timer interrupts reached ring 3 in 2^30 spins (left %u)",
          ticks_user, left);
    check_fx_loaded(5);
    check_fx_same(6, "across timer interrupts");
    rt_printf("fpu: state kept across %u timer interrupts taken in ring 3\n", ticks_user);

    r3_run(u_fpu_mf, 0x2);
    CHECK_EQ(10, mf_count, 1, "#MF from an unmasked x87 divide by zero");
    CHECK_EQ(11, xm_count, 1, "#XM from an unmasked SSE divide by zero");
    CHECK_EQ(12, u_xm_out[0], 0x7F800000, "DIVPS result after the handler masked ZM (+inf)");
    rt_printf("fpu: #MF at the FWAIT and #XM at the DIVPS, both resumed\n");

    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    u_xm_out[0] = 0;
    r3_run(u_fpu_mf, 0x2);
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    CHECK_EQ(43, ud_count, 1, "#UD from an unmasked SSE divide by zero with CR4.OSXMMEXCPT clear");
    CHECK_EQ(44, xm_count, 1, "#XM with CR4.OSXMMEXCPT clear");
    CHECK_EQ(45, u_xm_out[0], 0x7F800000, "DIVPS result after the #UD handler masked ZM");
    rt_printf("fpu: with CR4.OSXMMEXCPT clear the DIVPS raised #UD, resumed\n");

    write_cr0(read_cr0() | CR0_TS);
    r3_run(u_fpu_nm, 0x2);
    if (nm_count != NM_EXPECTED)
        rt_fail(7, "lazy FPU: %u #NM of %u; %s with CR0.TS=1 ran in ring 3 without #NM",
                nm_count, NM_EXPECTED, nm_what[nm_count]);
    CHECK_EQ(8, u_nm_out[0], 0x3F800000, "fld1 result after the #NM (as float)");
    CHECK_EQ(9, u_nm_out[1], 0x3F800000, "movaps result after the #NM");
    rt_printf("fpu: lazy FPU: #NM from fld1, movaps and fwait with CR0.TS, each ran after CLTS\n");
}
