/*
 * tests/unit/test_emulate_table.c - every memory-touching instruction form
 * of the emulator against the host CPU.
 *
 * Each form (a 32-bit encoding addressing [EBX], [EBP] or the string
 * registers) runs over a set of cases (register values, memory contents,
 * arithmetic flags, DF): once in the emulator on a guest page, once
 * natively in this 64-bit process on an ordinary buffer, inside a small
 * generated stub that loads the same registers and flags, runs the same
 * bytes and stores registers, flags, XMM0/XMM1/MM0/MM1 and MXCSR back.
 * Without REX these encodings mean the same in 64-bit mode; registers that
 * hold addresses are compared as offsets from their page.  A native fault
 * (SIGFPE, SIGSEGV, SIGILL) must match the exception the emulator
 * delivered (#DE or #XM, #GP, #UD), with registers and memory unchanged
 * and MXCSR as the kernel saw it at the fault.
 *
 * The guest page is, in turn: RAM; a test device's MMIO range (every
 * access goes through the device bus); a guest page table that the shadow
 * MMU traces (paging on, shadow_pt_written sees each write).
 *
 * Forms whose meaning differs in 64-bit mode (16-bit addressing, the 4 GiB
 * wrap, segment overrides, PUSH/POP, MOVBE) are checked against values
 * computed by hand at the end of the file.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/mman.h>
#include "emulate_fixture.h"
#include "cpu/fpu.h"
#include "monitor/run.h"
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/shadow_int.h"

#define WIN_LO   0x400u          /* compared window of the 4 KiB page */
#define WIN_HI   0xC00u
#define MMIO_PA  0xE0000000u
#define PD_PA    0x20000u
#define PT_PA    0x30000u        /* the traced page table */

enum { A_EBX = 1 << R_EBX, A_EBP = 1 << R_EBP, A_ESI = 1 << R_ESI, A_EDI = 1 << R_EDI };
#define A_ALL (A_EBX | A_EBP | A_ESI | A_EDI)

/* ---------------- forms and cases ---------------- */

struct form {
    const char *name;
    uint8_t b[12];
    uint8_t n;
    uint8_t addr;                /* registers that hold addresses (A_ALL unless said) */
};
#define FORM(name, ...) { name, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 0 }
#define FORM_A(name, addr, ...) { name, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), addr }

/* Registers (address registers as offsets into the page), the dwords at
 * EBX+0 and EBX+4, the arithmetic flags and DF; MXCSR (0: 0x1F80, every
 * exception masked) and the dwords of XMM0 and XMM1 (NULL: xmm_init). */
struct kase {
    uint32_t r[8];
    uint32_t m0, m1;
    uint32_t fl;
    uint32_t mxcsr;
    const uint32_t *xmm;
};

/* The state compared after a run. */
struct state {
    uint32_t r[8];
    uint32_t fl;
    uint8_t xmm[2][16];
    uint8_t mm[2][8];
    uint32_t mxcsr;
    int exc;                     /* vector delivered, -1 if none */
};

static uint8_t pattern(unsigned i) { return (uint8_t)(i * 0x9D + 0x3B); }

/* ---------------- the native side ---------------- */

/* ctx layout the stub uses: r[8] (rax..rdi) at 0, rflags at 64, xmm0 at
 * 72, xmm1 at 88, mm0 at 104, mm1 at 112, mxcsr at 120. */
struct ctx {
    uint64_t r[8];
    uint64_t flags;
    uint8_t xmm[2][16];
    uint8_t mm[2][8];
    uint32_t mxcsr;
};

/* push callee-saved; r15 = ctx; load xmm0, xmm1, mm0, mm1, MXCSR, the
 * GPRs; popfq */
static const uint8_t prologue[] = {
    0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x49, 0x89, 0xff,
    0xf3, 0x41, 0x0f, 0x6f, 0x47, 0x48, 0xf3, 0x41, 0x0f, 0x6f, 0x4f, 0x58,
    0x41, 0x0f, 0x6f, 0x47, 0x68, 0x41, 0x0f, 0x6f, 0x4f, 0x70,
    0x41, 0x0f, 0xae, 0x57, 0x78, 0x49, 0x8b, 0x07, 0x49, 0x8b, 0x4f, 0x08,
    0x49, 0x8b, 0x57, 0x10, 0x49, 0x8b, 0x5f, 0x18, 0x49, 0x8b, 0x6f, 0x28,
    0x49, 0x8b, 0x77, 0x30, 0x49, 0x8b, 0x7f, 0x38, 0x41, 0xff, 0x77, 0x40, 0x9d,
};
/* pushfq; pop flags; cld; store GPRs, xmm0, xmm1, mm0, mm1, MXCSR; emms;
 * restore; ret */
static const uint8_t epilogue[] = {
    0x9c, 0x41, 0x8f, 0x47, 0x40, 0xfc, 0x49, 0x89, 0x07, 0x49, 0x89, 0x4f, 0x08,
    0x49, 0x89, 0x57, 0x10, 0x49, 0x89, 0x5f, 0x18, 0x49, 0x89, 0x6f, 0x28,
    0x49, 0x89, 0x77, 0x30, 0x49, 0x89, 0x7f, 0x38, 0xf3, 0x41, 0x0f, 0x7f, 0x47, 0x48,
    0xf3, 0x41, 0x0f, 0x7f, 0x4f, 0x58, 0x41, 0x0f, 0x7f, 0x47, 0x68,
    0x41, 0x0f, 0x7f, 0x4f, 0x70, 0x41, 0x0f, 0xae, 0x5f, 0x78, 0x0f, 0x77,
    0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3,
};

static uint8_t native_page[4096] __attribute__((aligned(4096)));
static uint8_t *stub;
static sigjmp_buf native_env;
static volatile int native_sig, native_code;
static volatile uint32_t native_mxcsr;

/* The signal, its si_code, and MXCSR as the fault left it (the kernel's
 * saved FPU state: the exception flags a SIMD fault set). */
static void native_fault(int sig, siginfo_t *si, void *uc)
{
    ucontext_t *u = uc;
    native_sig = sig;
    native_code = si->si_code;
    native_mxcsr = u->uc_mcontext.fpregs ? u->uc_mcontext.fpregs->mxcsr : 0;
    siglongjmp(native_env, 1);
}

/* SIGFPE is #DE for DIV/IDIV (FPE_INTDIV, FPE_INTOVF), else a SIMD
 * floating-point exception (#XM: the fixture sets CR4.OSXMMEXCPT). */
static int vector_of_signal(int sig, int code)
{
    if (sig == SIGFPE)
        return code == FPE_INTDIV || code == FPE_INTOVF ? EXC_DE : EXC_XM;
    return sig == SIGILL ? EXC_UD : EXC_GP;
}

static const uint8_t xmm_init[2][16] = {
    { 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xA9, 0xBA, 0xCB, 0xDC, 0xED, 0xFE, 0x0F },
    { 0xF1, 0xE2, 0xD3, 0xC4, 0xB5, 0xA6, 0x97, 0x88, 0x79, 0x6A, 0x5B, 0x4C, 0x3D, 0x2E, 0x1F, 0x00 },
};
static const uint8_t mm_init[2][8] = {
    { 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F, 0x60, 0x71 },
    { 0x93, 0x84, 0x75, 0x66, 0x57, 0x48, 0x39, 0x2A },
};

static uint32_t case_mxcsr(const struct kase *k) { return k->mxcsr ? k->mxcsr : 0x1F80; }

static void case_xmm(const struct kase *k, uint8_t xmm[2][16])
{
    if (k->xmm)
        memcpy(xmm, k->xmm, 32);
    else
        memcpy(xmm, xmm_init, 32);
}

static void fill_page(uint8_t *p, const struct kase *k, unsigned base)
{
    for (unsigned i = WIN_LO; i < WIN_HI; i++)
        p[i] = pattern(i);
    memcpy(p + base, &k->m0, 4);
    memcpy(p + base + 4, &k->m1, 4);
}

static void run_native(const struct form *f, const struct kase *k, unsigned addr, struct state *s)
{
    struct ctx x = { .flags = FL_FIXED | (k->fl & (FL_ARITH | FL_DF)) };
    fill_page(native_page, k, k->r[R_EBX]);
    for (int r = 0; r < 8; r++)
        x.r[r] = (addr >> r & 1) ? (uint64_t)(uintptr_t)native_page + k->r[r] : k->r[r];
    case_xmm(k, x.xmm);
    memcpy(x.mm, mm_init, sizeof x.mm);
    x.mxcsr = case_mxcsr(k);
    memcpy(stub + sizeof prologue, f->b, f->n);
    memcpy(stub + sizeof prologue + f->n, epilogue, sizeof epilogue);
    __builtin___clear_cache((char *)stub, (char *)stub + 256);

    struct sigaction sa = { .sa_sigaction = native_fault, .sa_flags = SA_SIGINFO }, old[4];
    const int sigs[4] = { SIGFPE, SIGSEGV, SIGBUS, SIGILL };
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    s->exc = -1;
    struct ctx in = x;
    uint32_t own_mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(own_mxcsr));
    if (sigsetjmp(native_env, 1) == 0)
        ((void (*)(struct ctx *))stub)(&x);
    else {
        s->exc = vector_of_signal(native_sig, native_code);
        x = in;                          /* the stub stored nothing */
        if (s->exc == EXC_XM)
            x.mxcsr = native_mxcsr;
        __asm__ volatile("emms");
    }
    __asm__ volatile("ldmxcsr %0" :: "m"(own_mxcsr));
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
    for (int r = 0; r < 8; r++)
        s->r[r] = (addr >> r & 1) ? (uint32_t)(x.r[r] - (uintptr_t)native_page) : (uint32_t)x.r[r];
    s->fl = x.flags & (FL_ARITH | FL_DF);
    memcpy(s->xmm, x.xmm, sizeof s->xmm);
    memcpy(s->mm, x.mm, sizeof s->mm);
    s->mxcsr = x.mxcsr;
}

/* ---------------- the guest side ---------------- */

static uint32_t gbase;          /* guest linear address of the page */
static uint8_t *gpage;          /* where its bytes live in this process */
static uint8_t mmio_page[4096];
static unsigned mmio_accesses;

static uint32_t tdev_read(void *opaque, uint64_t addr, int size)
{
    uint32_t v = 0;
    mmio_accesses++;
    memcpy(&v, mmio_page + (addr - MMIO_PA), size);
    return v;
}

static void tdev_write(void *opaque, uint64_t addr, int size, uint32_t v)
{
    mmio_accesses++;
    memcpy(mmio_page + (addr - MMIO_PA), &v, size);
}

static const struct device_ops tdev = {
    .name = "emulator test memory", .mmio_read = tdev_read, .mmio_write = tdev_write,
};

static int delivered_vector(uint32_t eip)
{
    for (int v = 0; v < 32; v++)
        if (eip == HANDLER(v))
            return v;
    return -2;                  /* neither done nor an exception */
}

static void run_guest(const struct form *f, const struct kase *k, unsigned addr, struct state *s)
{
    fill_page(gpage, k, k->r[R_EBX]);
    for (int r = 0; r < 8; r++)
        c->gpr[r] = (addr >> r & 1) ? gbase + k->r[r] : k->r[r];
    c->gpr[R_ESP] = STACK;
    vcpu_set_eflags(c, FL_FIXED | (k->fl & (FL_ARITH | FL_DF)));
    case_xmm(k, (uint8_t (*)[16])(c->fx_guest + FX_XMM(0)));
    memcpy(c->fx_guest + FX_MM(0), mm_init[0], 8);
    memcpy(c->fx_guest + FX_MM(1), mm_init[1], 8);
    uint32_t mx = case_mxcsr(k);
    memcpy(c->fx_guest + FX_MXCSR, &mx, 4);
    c->eip = CODE;
    memcpy(ram + CODE, f->b, f->n);
    /* A REP instruction may take several calls: EIP stays until it is done. */
    for (int i = 0; i < 64 && c->eip == CODE; i++)
        cr_assert_eq(emulate_step(c, &info), EM_OK, "%s: emulator stopped", f->name);
    s->exc = c->eip == CODE + f->n ? -1 : delivered_vector(c->eip);
    for (int r = 0; r < 8; r++)
        s->r[r] = (addr >> r & 1) ? c->gpr[r] - gbase : c->gpr[r];
    s->fl = vcpu_get_eflags(c) & (FL_ARITH | FL_DF);
    memcpy(s->xmm, c->fx_guest + FX_XMM(0), sizeof s->xmm);
    memcpy(s->mm[0], c->fx_guest + FX_MM(0), 8);
    memcpy(s->mm[1], c->fx_guest + FX_MM(1), 8);
    memcpy(&s->mxcsr, c->fx_guest + FX_MXCSR, 4);
}

static void compare(const struct form *f, int ki, const struct state *g, const struct state *n)
{
    cr_assert_eq(g->exc, n->exc, "%s case %d: exception %d, host %d", f->name, ki, g->exc, n->exc);
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            cr_assert_eq(g->r[r], n->r[r], "%s case %d: reg %d = %#x, host %#x", f->name, ki, r,
                         g->r[r], n->r[r]);
    if (g->exc < 0)     /* a delivered exception changes IF/TF/DF's neighbours: compare ARITH */
        cr_assert_eq(g->fl, n->fl, "%s case %d: flags %#x, host %#x", f->name, ki, g->fl, n->fl);
    else
        cr_assert_eq(g->fl & FL_ARITH, n->fl & FL_ARITH, "%s case %d: flags", f->name, ki);
    cr_assert_arr_eq(g->xmm, n->xmm, sizeof g->xmm, "%s case %d: xmm", f->name, ki);
    cr_assert_arr_eq(g->mm, n->mm, sizeof g->mm, "%s case %d: mm0/mm1", f->name, ki);
    cr_assert_eq(g->mxcsr, n->mxcsr, "%s case %d: mxcsr %#x, host %#x", f->name, ki, g->mxcsr,
                 n->mxcsr);
    for (unsigned i = WIN_LO; i < WIN_HI; i++)
        cr_assert_eq(gpage[i], native_page[i], "%s case %d: byte +%#x = %#x, host %#x", f->name,
                     ki, i, gpage[i], native_page[i]);
}

static unsigned forms_run;

static void run_forms(const struct form *fs, size_t nf, const struct kase *ks, size_t nk)
{
    for (size_t i = 0; i < nf; i++)
        for (size_t j = 0; j < nk; j++) {
            unsigned addr = fs[i].addr ? fs[i].addr : A_ALL;
            struct state g, n;
            run_native(&fs[i], &ks[j], addr, &n);
            run_guest(&fs[i], &ks[j], addr, &g);
            compare(&fs[i], (int)j, &g, &n);
            forms_run++;
        }
}

#include "emulate_table_rows.h"

/* ---------------- the three kinds of page ---------------- */

static void common_init(void)
{
    stub = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                -1, 0);
    cr_assert_neq(stub, MAP_FAILED);
    memcpy(stub, prologue, sizeof prologue);
    c->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    forms_run = 0;
}

static void ram_setup(void)
{
    setup();
    common_init();
    gbase = DATA;
    gpage = ram + DATA;
}

static void mmio_setup(void)
{
    setup();
    common_init();
    cr_assert_eq(io_register_mmio(&vm->io, MMIO_PA, 4096, &tdev, NULL), 0);
    gbase = MMIO_PA;
    gpage = mmio_page;
    mmio_accesses = 0;
}

/* Paging on: a 4 MiB identity page for the low memory the fixture uses;
 * linear 0x40000000 through the page table at PT_PA, which the shadow MMU
 * has walked and so traces.  The rows address the page table itself. */
static void traced_setup(void)
{
    char err[256] = "";
    vm = vm_alloc();
    cr_assert(vm);
    vm->opt.mem_mib = 16;
    vm->opt.no_sandbox = true;
    cr_assert_eq(vm_create(vm, err, sizeof err), 0, "vm_create: %s", err);
    c = &vm->cpu;
    fixture_machine();
    common_init();
    put32(PD_PA, 0x000000E3);                   /* 0-4 MiB, P W A D PS */
    put32(PD_PA + 256 * 4, PT_PA | 0x23);
    put32(PT_PA, 0x00500000 | 0x23);
    c->cr3 = PD_PA;
    c->cr4 |= CR4_PSE;
    c->cr0 |= CR0_PG | CR0_WP;
    shadow_reset(vm);
    uint32_t pa, e;
    cr_assert_eq(shadow_fault(vm, 0x40000000u, false, &pa, &e), SHADOW_FIXED);
    cr_assert_eq(vm->shadow->ptp[PT_PA >> 12], PT_TRACED, "the page table is traced");
    gbase = PT_PA;
    gpage = ram + PT_PA;
}

static void traced_teardown(void)
{
    cr_assert_eq(vm->shadow->ptp[PT_PA >> 12] != PT_NONE, true, "still a page table");
    vm_destroy(vm);
    free(vm);
}

static void common_fini(void)
{
    munmap(stub, 4096);
}

static void ram_fini(void) { common_fini(); teardown(); }
static void mmio_fini(void) { common_fini(); teardown(); }
static void traced_fini(void) { common_fini(); traced_teardown(); }

static void all_rows(void)
{
    RUN_ALL_ROWS();
    cr_log_info("%u form x case runs", forms_run);
}

Test(emulate_table, on_ram, .init = ram_setup, .fini = ram_fini)
{
    all_rows();
}

Test(emulate_table, on_mmio_device, .init = mmio_setup, .fini = mmio_fini)
{
    all_rows();
    cr_assert_gt(mmio_accesses, forms_run, "the accesses reached the device");
}

Test(emulate_table, on_traced_page_table, .init = traced_setup, .fini = traced_fini)
{
    all_rows();
}
