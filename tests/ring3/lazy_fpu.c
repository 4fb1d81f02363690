/*
 * tests/ring3/lazy_fpu.c - lazy FPU switching as a guest kernel (Linux
 * before 4.x, Windows XP) does it: CR0.TS set at a task switch, the first
 * FPU/MMX/SSE instruction raises #NM, the handler does CLTS (and would
 * restore the task's state) and IRETs to the instruction.
 *   A. CR0.TS and user SSE (MOVAPS, ADDPS, PXOR) and MMX (PADDB, MOVQ): each
 *      raises #NM at its own EIP with the general registers and its XMM/MMX
 *      registers unchanged; after CLTS it runs and gives the right result.
 *   B. CR0.EM (TS clear): user SSE and MMX raise #UD, x87 #NM, WAIT runs.
 *   C. Ring 0 with CR0.TS: FLD1 and MOVAPS raise #NM in ring 0.
 *   D. CR0.TS held while a user loop without FPU work takes 16 page faults,
 *      makes 16 system calls and spins through timer interrupts (under vmm
 *      all of it is translated ring 3): its sum is right, and its first SSE
 *      instruction then raises #NM.
 *   F. Code run translated (CR0.TS) and then, after its #NM and CLTS, an SSE
 *      store by ring 3 run directly into the same page: the store completes.
 *   G. Linear page 0 (mapped in the host only where vmm holds CAP_SYS_RAWIO,
 *      emulated otherwise) read and written by ring 3 with CR0.TS set.
 *   H. GS with a base and variables below it (i386 TLS): base + offset wraps
 *      around 4 GiB; run with CR0.TS clear and set, and in ring 0.
 *   E. Timing, printed only: an integer loop and 5000 system calls from
 *      ring 3, with CR0.TS clear and set (what a lazy-FPU guest pays under
 *      vmm until its task's first FPU instruction; docs/direct.md "FPU").
 * SDM vol. 3A 2.5 and Table 2-2; vol. 1 13.x (CR4.OSFXSR set here).
 */
#include "lib3.h"

#define SYS_SET_TS (SYS_TEST + 0)
#define SYS_SET_EM (SYS_TEST + 1)
#define SYS_ADD    (SYS_TEST + 2)
#define SYS_NOP    (SYS_TEST + 3)
#define IRQ0_VECTOR 0x20

extern uint32_t u_simd_nm(void), u_em(void), u_busy(void), u_compute(void), u_syscalls(void),
    u_smc(void), u_page0(void), u_tls(void);
extern uint8_t u_out[64], demand[16 * 4096];
extern const uint32_t x_old[4], x_a[4], x_b[4];
extern const uint64_t m_old, m_old1;
extern char nm_movaps[], nm_addps[], nm_pxor[], nm_paddb[], nm_movq[];
extern char em_sse[], em_wait[], em_x87[], em_mmx[], busy_nm[], smc_nm[];
extern char k_nm_fld[], k_nm_movaps[];

volatile uint32_t ticks_user;           /* read by ring 3 */

/* The faults expected from ring 3, in order, and what must be unchanged. */
struct want {
    const char *what;
    const char *eip;
    uint32_t vector;
    int xmm, mmx;                       /* register to compare, -1 none */
    const uint32_t *xmm_val;
    const uint64_t *mmx_val;
};
static const struct want *wants;
static unsigned nwant, got;
static uint32_t sys_sum, pf_count, ts_syscalls;
static volatile bool in_busy, kernel_nm_ok;
static const char *volatile kernel_nm_eip;

static void xmm_get(int r, uint32_t v[4])
{
    if (r == 0)
        asm volatile("movdqu %%xmm0, %0" : "=m"(*(uint32_t(*)[4])v));
    else
        asm volatile("movdqu %%xmm1, %0" : "=m"(*(uint32_t(*)[4])v));
}

static uint64_t mmx_get(int r)
{
    uint64_t v;
    if (r == 0)
        asm volatile("movq %%mm0, %0" : "=m"(v));
    else
        asm volatile("movq %%mm1, %0" : "=m"(v));
    return v;
}

static void check_regs(int n, const struct r3_frame *f, const char *what)
{
    r3_check_user_frame(n, f, RT_ANY, what);
    if (f->t.esi != 0x5151A0A0 || f->t.edi != 0xD1D1E0E0 || f->t.ebp != 0xB0B0C0C0 ||
        f->t.ebx != 0xB1B2B3B4)
        rt_fail(n, "%s: ESI/EDI/EBP/EBX changed: %x %x %x %x", what, f->t.esi, f->t.edi,
                f->t.ebp, f->t.ebx);
}

/* A fault from a SIMD/x87 instruction in ring 3: the expected one, at its
 * EIP, nothing changed; then CLTS (or EM cleared) and retry. */
static void on_fpu_fault(struct r3_frame *f)
{
    if (got >= nwant)
        rt_fail(10, "vector %u at EIP 0x%x after the last expected fault", f->t.vector, f->t.eip);
    const struct want *w = &wants[got];
    if (f->t.vector != w->vector || f->t.eip != (uint32_t)w->eip)
        rt_fail(11, "%s: got vector %u at EIP 0x%x, want %u at 0x%x", w->what, f->t.vector,
                f->t.eip, w->vector, (uint32_t)w->eip);
    check_regs(12, f, w->what);
    write_cr0(read_cr0() & ~(CR0_TS | CR0_EM));     /* CLTS (and EM off) */
    if (w->xmm >= 0) {
        uint32_t v[4];
        xmm_get(w->xmm, v);
        for (int i = 0; i < 4; i++)
            CHECK(13, v[i] == w->xmm_val[i], "%s: xmm%d dword %d changed: 0x%x, was 0x%x",
                  w->what, w->xmm, i, v[i], w->xmm_val[i]);
    }
    if (w->mmx >= 0) {
        uint64_t v = mmx_get(w->mmx);
        CHECK(14, v == *w->mmx_val, "%s: mm%d changed: 0x%x%08x", w->what, w->mmx,
              (uint32_t)(v >> 32), (uint32_t)v);
    }
    rt_printf("lazy_fpu: %s: vector %u at EIP 0x%x, registers unchanged\n", w->what,
              f->t.vector, f->t.eip);
    got++;
}

static void on_demand_fault(struct r3_frame *f)
{
    uint32_t cr2 = read_cr2(), page = cr2 & ~0xFFFu;
    CHECK(20, cr2 == (uint32_t)demand + pf_count * 4096 + 8, "CR2 0x%x of demand fault %u", cr2,
          pf_count);
    CHECK_EQ(21, f->t.error, 6, "#PF error code (user write, not present)");
    CHECK(22, read_cr0() & CR0_TS, "CR0.TS cleared during the busy loop");
    *r3_pte(page) = page | PTE_P | PTE_W | PTE_U;
    r3_invlpg(page);
    pf_count++;
}

static void on_event(struct r3_frame *f)
{
    struct trap_frame *t = &f->t;
    if (!r3_from_user(t) && t->vector == IRQ0_VECTOR) {
        outb(0x20, 0x20);               /* a tick in the kernel after D's run (IF on) */
        return;
    }
    if (!r3_from_user(t)) {
        /* C: the kernel's own FPU instruction with CR0.TS. */
        CHECK(30, t->vector == 7 && t->eip == (uint32_t)kernel_nm_eip,
              "ring 0: vector %u at 0x%x, want #NM at 0x%x", t->vector, t->eip,
              (uint32_t)kernel_nm_eip);
        asm volatile("clts");
        kernel_nm_ok = true;
        return;
    }
    switch (t->vector) {
    case IRQ0_VECTOR:
        if (in_busy && got == 0)        /* before the loop's #NM and CLTS */
            CHECK(31, read_cr0() & CR0_TS, "CR0.TS cleared during the busy loop (timer)");
        ticks_user++;
        outb(0x20, 0x20);
        return;
    case 0x80:
        if (t->eax == SYS_SET_TS) {
            write_cr0(read_cr0() | CR0_TS);
        } else if (t->eax == SYS_SET_EM) {
            write_cr0(read_cr0() | CR0_EM);
        } else if (t->eax == SYS_NOP) {
            if (read_cr0() & CR0_TS)
                ts_syscalls++;
        } else if (t->eax == SYS_ADD) {
            CHECK(32, read_cr0() & CR0_TS, "CR0.TS cleared during the busy loop (syscall)");
            sys_sum += t->ebx;
            t->ebx = 0xB1B2B3B4;        /* the loop's pattern back */
        } else {
            rt_fail(33, "unknown system call %u", t->eax);
        }
        return;
    case 14:
        on_demand_fault(f);
        return;
    case 6:
    case 7:
        on_fpu_fault(f);
        return;
    default:
        rt_fail(39, "unexpected vector %u error 0x%x at %x:%x", t->vector, t->error, t->cs, t->eip);
    }
}

static const struct want simd_wants[] = {
    { "movaps xmm0 with CR0.TS", nm_movaps, 7, 0, -1, x_old, NULL },
    { "addps xmm0, xmm1 with CR0.TS", nm_addps, 7, 0, -1, x_a, NULL },
    { "pxor xmm1, xmm0 with CR0.TS", nm_pxor, 7, 1, -1, x_b, NULL },
    { "paddb mm0 with CR0.TS", nm_paddb, 7, -1, 0, NULL, &m_old },
    { "movq mm1, mm0 with CR0.TS", nm_movq, 7, -1, 1, NULL, &m_old1 },
};
static const struct want em_wants[] = {
    { "addps with CR0.EM -> #UD", em_sse, 6, -1, -1, NULL, NULL },
    { "fld1 with CR0.EM -> #NM", em_x87, 7, -1, -1, NULL, NULL },
    { "paddb mm0 with CR0.EM -> #UD", em_mmx, 6, -1, -1, NULL, NULL },
};
static const struct want busy_wants[] = {
    { "movaps after the busy loop with CR0.TS", busy_nm, 7, -1, -1, NULL, NULL },
};

static const struct want smc_wants[] = {
    { "movaps before a store into its own page, with CR0.TS", smc_nm, 7, -1, -1, NULL, NULL },
};

static void expect(const struct want *w, unsigned n)
{
    wants = w;
    nwant = n;
    got = 0;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void part_a(void)
{
    expect(simd_wants, 5);
    CHECK_EQ(1, r3_run(u_simd_nm, 0x2), 1, "user program A");
    CHECK_EQ(2, got, 5, "#NM faults from SSE/MMX with CR0.TS");
    static const uint32_t sum[4] = { 0x41300000, 0x41B00000, 0x42040000, 0x42300000 };
    for (int i = 0; i < 4; i++) {
        CHECK(3, rd32(u_out + 4 * i) == sum[i], "addps result dword %d: 0x%x", i, rd32(u_out + 4 * i));
        CHECK(4, rd32(u_out + 16 + 4 * i) == (sum[i] ^ x_b[i]), "pxor result dword %d: 0x%x", i,
              rd32(u_out + 16 + 4 * i));
    }
    CHECK_EQ(5, rd32(u_out + 32), 0x15161718, "paddb result (low)");
    CHECK_EQ(5, rd32(u_out + 36), 0x11121314, "paddb result (high)");
    CHECK_EQ(6, rd32(u_out + 40), 0x15161718, "movq result");
    rt_printf("lazy_fpu: A: 5 SSE/MMX #NM with CR0.TS, each at its EIP; results right after CLTS\n");
}

static void part_b(void)
{
    write_cr0(read_cr0() | CR0_EM);
    expect(em_wants, 3);
    CHECK_EQ(7, r3_run(u_em, 0x2), 2, "user program B");
    CHECK_EQ(8, got, 3, "faults with CR0.EM");
    CHECK_EQ(9, rd32(u_out + 48), 0x3F800000, "fld1 result after EM cleared");
    rt_printf("lazy_fpu: B: CR0.EM: SSE and MMX #UD, x87 #NM, WAIT ran\n");
}

static void part_c(void)
{
    uint32_t one, v;
    write_cr0(read_cr0() | CR0_TS);
    kernel_nm_eip = k_nm_fld;
    kernel_nm_ok = false;
    asm volatile(".globl k_nm_fld\nk_nm_fld: fld1\n\tfstps %0" : "=m"(one));
    CHECK(40, kernel_nm_ok, "no #NM from fld1 in ring 0 with CR0.TS");
    CHECK_EQ(41, one, 0x3F800000, "fld1 in ring 0 after CLTS");
    write_cr0(read_cr0() | CR0_TS);
    kernel_nm_eip = k_nm_movaps;
    kernel_nm_ok = false;
    asm volatile(".globl k_nm_movaps\nk_nm_movaps: movaps %1, %%xmm2\n\tmovd %%xmm2, %0"
                 : "=r"(v) : "m"(*(const uint32_t(*)[4])x_a));   /* xmm2: unused by kernel code (no SSE) */
    CHECK(42, kernel_nm_ok, "no #NM from movaps in ring 0 with CR0.TS");
    CHECK_EQ(43, v, 0x3F800000, "movaps in ring 0 after CLTS");
    rt_printf("lazy_fpu: C: ring 0: #NM from fld1 and movaps with CR0.TS\n");
}

static void part_d(void)
{
    for (uint32_t i = 0; i < 16; i++) {
        *r3_pte((uint32_t)demand + i * 4096) = 0;
        r3_invlpg((uint32_t)demand + i * 4096);
    }
    expect(busy_wants, 1);
    r3_timer_start(1000);
    write_cr0(read_cr0() | CR0_TS);
    in_busy = true;
    uint32_t sum = r3_run(u_busy, 0x202);
    in_busy = false;
    outb(0x21, 0xFF);
    CHECK_EQ(50, pf_count, 16, "demand faults in the busy loop");
    CHECK_EQ(51, sys_sum, 120, "sum the kernel got through system calls");
    CHECK_EQ(52, sum, 120, "sum over the demand pages");
    CHECK(53, ticks_user >= 3, "only %u timer interrupts reached the busy loop", ticks_user);
    CHECK_EQ(54, got, 1, "#NM at the SSE instruction after the busy loop");
    rt_printf("lazy_fpu: D: busy loop with CR0.TS: %u page faults, 16 system calls, "
              "%u timer interrupts, sum %u, then #NM\n", pf_count, ticks_user, sum);
}

static void part_f(void)
{
    expect(smc_wants, 1);
    write_cr0(read_cr0() | CR0_TS);
    CHECK_EQ(70, r3_run(u_smc, 0x2), 0x40000000, "value read back after the SSE store");
    CHECK_EQ(71, got, 1, "#NM before the store");
    rt_printf("lazy_fpu: F: SSE store into a page with translated ring-3 code, after CLTS: done\n");
}

static void part_g(void)
{
    *r3_pte(0) = PTE_P | PTE_W | PTE_U;
    r3_invlpg(0);
    write_cr0(read_cr0() | CR0_TS);
    CHECK_EQ(72, r3_run(u_page0, 0x2), 0x12345679, "value ring 3 read back from page 0");
    CHECK(73, read_cr0() & CR0_TS, "CR0.TS cleared during the page-0 run");
    write_cr0(read_cr0() & ~CR0_TS);
    uint32_t v;
    asm volatile("movl 0x24, %0" : "=r"(v));    /* linear 0x24: not a C pointer */
    CHECK_EQ(74, v, 0x12345679, "page 0 after ring 3 wrote it");
    *r3_pte(0) = 0;
    r3_invlpg(0);
    rt_printf("lazy_fpu: G: ring 3 with CR0.TS wrote and read linear page 0\n");
}

uint16_t tls_sel;                       /* read by ring 3 */
static uint32_t tls_block[4];

static void part_h(void)
{
    enum { TLS_GDT = RT_GDT_FREE };
    uint32_t base = (uint32_t)&tls_block[2];         /* variables at base-8, base-4 */
    rt_gdt_set(TLS_GDT, rt_seg_desc(base, 0xFFFFF, ACC_DATA3, FLG_4K32));
    tls_sel = (uint16_t)(TLS_GDT << 3 | 3);
    for (int ts = 0; ts < 2; ts++) {
        tls_block[0] = 0;
        tls_block[1] = 100;
        write_cr0(ts ? read_cr0() | CR0_TS : read_cr0() & ~CR0_TS);
        CHECK_EQ(80 + 2 * ts, r3_run(u_tls, 0x2), 112, "sum read through GS at negative offsets");
        CHECK_EQ(81 + 2 * ts, tls_block[0], 12, "variable at GS:-8 after mov and add");
    }
    write_cr0(read_cr0() & ~CR0_TS);
    /* The same wrap in the kernel (ring 0, always translated under vmm). */
    uint32_t v;
    asm volatile("mov %1, %%fs\n\tmovl %%fs:-4, %0\n\tmov %2, %%fs"
                 : "=r"(v) : "r"((uint32_t)tls_sel), "r"((uint32_t)RT_KDATA));
    CHECK_EQ(84, v, 100, "ring 0: FS:-4 with FS based at the TLS block");
    rt_printf("lazy_fpu: H: GS base + negative offsets (wrapping at 4 GiB), CR0.TS clear and set, "
              "and in ring 0\n");
}

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Guest TSC ticks (ns under vmm, docs/cpu-model.md) of one ring-3 run. */
static uint32_t timed_run(uint32_t (*fn)(void), bool ts, uint32_t *value)
{
    write_cr0(ts ? read_cr0() | CR0_TS : read_cr0() & ~CR0_TS);
    uint64_t t0 = tsc();
    *value = r3_run(fn, 0x2);
    uint64_t t1 = tsc();
    CHECK_EQ(60, (read_cr0() & CR0_TS) != 0, ts, "CR0.TS changed by a timed run");
    write_cr0(read_cr0() & ~CR0_TS);
    return (uint32_t)((t1 - t0) / 1000);
}

static void part_e(void)
{
    uint32_t v0, v1, s0, s1;
    uint32_t c0 = timed_run(u_compute, false, &v0), c1 = timed_run(u_compute, true, &v1);
    CHECK_EQ(61, v1, v0, "integer loop result with CR0.TS");
    uint32_t y0 = timed_run(u_syscalls, false, &s0), y1 = timed_run(u_syscalls, true, &s1);
    CHECK_EQ(62, s1, 5, "system-call loop with CR0.TS");
    CHECK_EQ(63, ts_syscalls, 5000, "system calls that came with CR0.TS set");
    rt_printf("lazy_fpu: E: 2*10^7-iteration loop: %u us with CR0.TS clear, %u us with it set; "
              "5000 int 0x80: %u us clear, %u us set (guest TSC)\n", c0, c1, y0, y1);
}

void test_main(void)
{
    uint32_t a = 1, b, c, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    CHECK((1), (d & (3u << 24)) == (3u << 24), "CPUID.1:EDX 0x%x lacks FXSR/SSE", d);
    r3_init();
    r3_on_event = on_event;
    r3_paging_on();
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    part_a();
    part_b();
    part_c();
    part_d();
    part_f();
    part_g();
    part_h();
    part_e();
}
