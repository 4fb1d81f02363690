/*
 * tests/unit/test_fpu.c - cpu/fpu.c: which instructions are x87, WAIT, MMX
 * or SSE for the CR0/CR4 rules, the rules themselves (SDM vol. 3A 2.5,
 * Table 2-2), and the gate pages that carry them into translated code.
 */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include "cpu/fpu.h"
#include "cpu/vcpu.h"

static enum fpu_class class_of(const uint8_t *bytes, size_t n)
{
    ZydisDecoder d;
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, bytes, n, &ins, ops)), "undecodable");
    return fpu_class(&ins, ops);
}
#define CLASS(k, ...) do { \
        static const uint8_t b_[] = { __VA_ARGS__ }; \
        cr_assert_eq(class_of(b_, sizeof b_), (k), "%s: class %d, want %d", #__VA_ARGS__, \
                     class_of(b_, sizeof b_), (k)); \
    } while (0)

Test(fpu, classes)
{
    CLASS(FPU_X87, 0xD9, 0xE8);                     /* fld1 */
    CLASS(FPU_X87, 0xDF, 0xE0);                     /* fnstsw ax: no-wait forms too */
    CLASS(FPU_X87, 0xDB, 0xE3);                     /* fninit */
    CLASS(FPU_X87, 0xDA, 0xC1);                     /* fcmovb */
    CLASS(FPU_X87, 0xDB, 0xF1);                     /* fcomi */
    CLASS(FPU_X87, 0x0F, 0xAE, 0x00);               /* fxsave [eax]: #NM under EM too */
    CLASS(FPU_X87, 0x0F, 0xAE, 0x08);               /* fxrstor [eax] */
    CLASS(FPU_WAIT, 0x9B);                          /* fwait */
    CLASS(FPU_MMX, 0x0F, 0x77);                     /* emms */
    CLASS(FPU_MMX, 0x0F, 0x6F, 0xC1);               /* movq mm0, mm1 */
    CLASS(FPU_MMX, 0x0F, 0xFC, 0xC1);               /* paddb mm0, mm1 */
    CLASS(FPU_MMX, 0x0F, 0x70, 0xC1, 0x00);         /* pshufw (SSE, MMX registers) */
    CLASS(FPU_MMX, 0x0F, 0x38, 0x00, 0xC1);         /* pshufb mm0, mm1 (SSSE3) */
    CLASS(FPU_SSE, 0x0F, 0x28, 0xC1);               /* movaps */
    CLASS(FPU_SSE, 0x0F, 0x58, 0xC1);               /* addps */
    CLASS(FPU_SSE, 0x66, 0x0F, 0xEF, 0xC1);         /* pxor xmm0, xmm1 */
    CLASS(FPU_SSE, 0x66, 0x0F, 0x7E, 0xC0);         /* movd eax, xmm0 */
    CLASS(FPU_SSE, 0x0F, 0x2A, 0xC1);               /* cvtpi2ps xmm0, mm1 */
    CLASS(FPU_SSE, 0x0F, 0xAE, 0x10);               /* ldmxcsr */
    CLASS(FPU_SSE, 0x0F, 0xAE, 0x18);               /* stmxcsr */
    CLASS(FPU_SSE, 0x66, 0x0F, 0x38, 0x17, 0xC1);   /* ptest (SSE4.1) */
    CLASS(FPU_SSE, 0xF2, 0x0F, 0xF0, 0x00);         /* lddqu (SSE3) */
    CLASS(FPU_NONE, 0x0F, 0xAE, 0xF8);              /* sfence */
    CLASS(FPU_NONE, 0x0F, 0xAE, 0xE8);              /* lfence */
    CLASS(FPU_NONE, 0x0F, 0xAE, 0xF0);              /* mfence */
    CLASS(FPU_NONE, 0xF3, 0x90);                    /* pause */
    CLASS(FPU_NONE, 0x0F, 0x18, 0x00);              /* prefetchnta */
    CLASS(FPU_NONE, 0x0F, 0xAE, 0x38);              /* clflush */
    CLASS(FPU_NONE, 0x0F, 0xC3, 0x00);              /* movnti */
    CLASS(FPU_NONE, 0xF2, 0x0F, 0x38, 0xF1, 0xC1);  /* crc32 */
    CLASS(FPU_NONE, 0xF3, 0x0F, 0xB8, 0xC1);        /* popcnt */
    CLASS(FPU_NONE, 0x01, 0xC8);                    /* add eax, ecx */
    CLASS(FPU_NONE, 0x0F, 0xC7, 0x08);              /* cmpxchg8b */
}

#define TS CR0_TS
#define EM CR0_EM
#define MP CR0_MP
#define FXSR CR4_OSFXSR

Test(fpu, rules)
{
    /* Nothing set (with OSFXSR for SSE): everything runs. */
    for (int k = FPU_NONE; k < FPU_NCLASSES; k++)
        cr_assert_eq(fpu_fault(k, MP, FXSR), 0, "class %d", k);
    /* TS: every class #NM but WAIT, which needs MP too. */
    cr_assert_eq(fpu_fault(FPU_X87, TS, FXSR), EXC_NM);
    cr_assert_eq(fpu_fault(FPU_MMX, TS, FXSR), EXC_NM);
    cr_assert_eq(fpu_fault(FPU_SSE, TS, FXSR), EXC_NM);
    cr_assert_eq(fpu_fault(FPU_WAIT, TS, FXSR), 0);
    cr_assert_eq(fpu_fault(FPU_WAIT, TS | MP, FXSR), EXC_NM);
    cr_assert_eq(fpu_fault(FPU_NONE, TS | MP | EM, 0), 0);
    /* EM: x87 #NM, MMX and SSE #UD (before any #NM of TS), WAIT unaffected. */
    cr_assert_eq(fpu_fault(FPU_X87, EM, FXSR), EXC_NM);
    cr_assert_eq(fpu_fault(FPU_MMX, EM, FXSR), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_SSE, EM, FXSR), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_MMX, EM | TS, FXSR), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_SSE, EM | TS, FXSR), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_WAIT, EM | MP, FXSR), 0);
    /* OSFXSR clear: SSE #UD (even with TS), MMX and x87 unaffected. */
    cr_assert_eq(fpu_fault(FPU_SSE, MP, 0), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_SSE, TS, 0), EXC_UD);
    cr_assert_eq(fpu_fault(FPU_MMX, MP, 0), 0);
    cr_assert_eq(fpu_fault(FPU_X87, MP, 0), 0);
    /* Unmasked SIMD floating-point exceptions: #XM only with OSXMMEXCPT. */
    cr_assert_eq(fpu_simd_fp_vector(FXSR | CR4_OSXMMEXCPT), EXC_XM);
    cr_assert_eq(fpu_simd_fp_vector(FXSR), EXC_UD);
}

/* ---- the gate pages: readable exactly when the rule says "runs" ---- */

static sigjmp_buf probe_env;
static void probe_handler(int sig) { (void)sig; siglongjmp(probe_env, 1); }

static bool readable(uint64_t addr)
{
    struct sigaction sa = { .sa_handler = probe_handler }, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    bool ok = false;
    if (sigsetjmp(probe_env, 1) == 0) {
        (void)*(volatile uint8_t *)(uintptr_t)addr;
        ok = true;
    }
    sigaction(SIGSEGV, &old, NULL);
    return ok;
}

Test(fpu, gates)
{
    char err[128];
    cr_assert_eq(fpu_gate_init(err, sizeof err), 0, "%s", err);
    static const uint32_t cr0s[] = { 0, MP, EM, TS, MP | TS, EM | TS, MP | EM | TS };
    static const uint32_t cr4s[] = { 0, FXSR };
    for (size_t i = 0; i < sizeof cr0s / sizeof cr0s[0]; i++)
        for (size_t j = 0; j < 2; j++) {
            uint64_t g = fpu_gate_for(cr0s[i] | CR0_PE | CR0_PG, cr4s[j] | CR4_PSE);
            for (int k = FPU_X87; k < FPU_NCLASSES; k++) {
                uint64_t a = g + (uint64_t)(k - 1) * 4096 + 123;
                int want = fpu_fault(k, cr0s[i], cr4s[j]), vec = -1;
                cr_assert_eq(readable(a), want == 0, "cr0 %#x cr4 %#x class %d", cr0s[i],
                             cr4s[j], k);
                cr_assert_eq(fpu_gate_fault(a, &vec), want != 0);
                if (want)
                    cr_assert_eq(vec, want, "vector of the gate fault");
            }
        }
    int vec;
    cr_assert_not(fpu_gate_fault(0x1000, &vec), "not a gate address");
}
