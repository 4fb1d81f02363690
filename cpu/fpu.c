/*
 * cpu/fpu.c - the CR0/CR4 rules for FPU, MMX and SSE instructions and the
 * gate pages translated code reads before each of them (cpu/fpu.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include "cpu/fpu.h"
#include "cpu/vcpu.h"

/* ---- classes ----------------------------------------------------------- */

/* The class of each ISA extension; SIMD ones are refined by their operands. */
static const uint8_t class_of_ext[ZYDIS_ISA_EXT_MAX_VALUE + 1] = {
    [ZYDIS_ISA_EXT_X87] = FPU_X87,
    [ZYDIS_ISA_EXT_MMX] = FPU_MMX,
    [ZYDIS_ISA_EXT_SSE] = FPU_SSE, [ZYDIS_ISA_EXT_SSE2] = FPU_SSE,
    [ZYDIS_ISA_EXT_SSE3] = FPU_SSE, [ZYDIS_ISA_EXT_SSSE3] = FPU_SSE,
    [ZYDIS_ISA_EXT_SSE4] = FPU_SSE, [ZYDIS_ISA_EXT_AES] = FPU_SSE,
    [ZYDIS_ISA_EXT_PCLMULQDQ] = FPU_SSE, [ZYDIS_ISA_EXT_SHA] = FPU_SSE,
};

/* An SSE-family instruction follows the rule of the registers it uses:
 * XMM or MXCSR -> SSE (OSFXSR matters); only MMX registers -> MMX (PSHUFW,
 * PAVGB mm, PSHUFB mm...: their SDM exception lists name CR0.EM and TS but
 * not OSFXSR); neither -> none (SFENCE, LFENCE, MFENCE, MOVNTI, PREFETCHh,
 * CRC32, POPCNT: integer or memory-ordering instructions the bits do not
 * affect). */
static enum fpu_class simd_by_operands(const ZydisDecodedInstruction *ins,
                                       const ZydisDecodedOperand *ops)
{
    bool mmx = false;
    for (int i = 0; i < ins->operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
            continue;
        ZydisRegisterClass rc = ZydisRegisterGetClass(ops[i].reg.value);
        if (rc == ZYDIS_REGCLASS_XMM || ops[i].reg.value == ZYDIS_REGISTER_MXCSR)
            return FPU_SSE;
        if (rc == ZYDIS_REGCLASS_MMX)
            mmx = true;
    }
    return mmx ? FPU_MMX : FPU_NONE;
}

enum fpu_class fpu_class(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
    if (ins->mnemonic == ZYDIS_MNEMONIC_FWAIT)
        return FPU_WAIT;
    /* FXSAVE/FXRSTOR (Zydis: SSE) are #NM under EM as well as TS. */
    if (ins->meta.isa_set == ZYDIS_ISA_SET_FXSAVE)
        return FPU_X87;
    enum fpu_class k = class_of_ext[ins->meta.isa_ext];
    return k == FPU_SSE ? simd_by_operands(ins, ops) : k;
}

int fpu_fault(enum fpu_class k, uint32_t cr0, uint32_t cr4)
{
    bool ts = cr0 & CR0_TS, em = cr0 & CR0_EM;
    switch (k) {
    case FPU_X87:
        return em || ts ? EXC_NM : 0;
    case FPU_WAIT:
        return (cr0 & CR0_MP) && ts ? EXC_NM : 0;
    case FPU_MMX:
        return em ? EXC_UD : ts ? EXC_NM : 0;
    case FPU_SSE:
        return em || !(cr4 & CR4_OSFXSR) ? EXC_UD : ts ? EXC_NM : 0;
    default:
        return 0;
    }
}

int fpu_simd_fp_vector(uint32_t cr4)
{
    return (cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD;
}

/* ---- gate pages ---------------------------------------------------------- */

/* One block of four pages (X87, WAIT, MMX, SSE) for each combination of
 * CR0.MP, CR0.EM, CR0.TS and CR4.OSFXSR. */
#define GATE_PAGE 4096u
#define GATE_CLASSES (FPU_NCLASSES - 1)
#define GATE_COMBOS 16u
#define GATE_BLOCK (GATE_CLASSES * GATE_PAGE)

static uint8_t *gates;

static unsigned combo_of(uint32_t cr0, uint32_t cr4)
{
    return ((cr0 >> 1) & 7u) | ((cr4 & CR4_OSFXSR) ? 8u : 0u);   /* MP, EM, TS, OSFXSR */
}

static void combo_bits(unsigned combo, uint32_t *cr0, uint32_t *cr4)
{
    *cr0 = (combo & 7u) << 1;
    *cr4 = (combo & 8u) ? CR4_OSFXSR : 0;
}

int fpu_gate_init(char *err, unsigned long errlen)
{
    if (gates)
        return 0;
    uint8_t *p = mmap(NULL, GATE_COMBOS * GATE_BLOCK, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the FPU gate pages");
        return -1;
    }
    for (unsigned combo = 0; combo < GATE_COMBOS; combo++) {
        uint32_t cr0, cr4;
        combo_bits(combo, &cr0, &cr4);
        for (unsigned k = 1; k < FPU_NCLASSES; k++)
            if (fpu_fault((enum fpu_class)k, cr0, cr4) == 0 &&
                mprotect(p + combo * GATE_BLOCK + (k - 1) * GATE_PAGE, GATE_PAGE, PROT_READ) < 0) {
                snprintf(err, errlen, "cannot set up the FPU gate pages");
                return -1;
            }
    }
    gates = p;
    return 0;
}

uint64_t fpu_gate_for(uint32_t cr0, uint32_t cr4)
{
    return (uint64_t)(uintptr_t)(gates + combo_of(cr0, cr4) * GATE_BLOCK);
}

bool fpu_gate_fault(uint64_t addr, int *vector)
{
    uint64_t base = (uint64_t)(uintptr_t)gates;
    if (!gates || addr < base || addr >= base + GATE_COMBOS * GATE_BLOCK)
        return false;
    uint64_t off = addr - base;
    uint32_t cr0, cr4;
    combo_bits((unsigned)(off / GATE_BLOCK), &cr0, &cr4);
    *vector = fpu_fault((enum fpu_class)(off % GATE_BLOCK / GATE_PAGE + 1), cr0, cr4);
    return *vector != 0;
}
