/*
 * cpu/cpuid.c - the virtual processor model: CPUID leaves, the MSRs that
 * exist, and the time-stamp counter.  docs/cpu-model.md explains each
 * choice.  The model is a P6-family part (family 6, model 13, stepping 8:
 * a Pentium M "Dothan" signature) with only the features this monitor
 * implements: PAE with NX, but no VME, SYSCALL, MCE/MCA, VMX, no hypervisor
 * bit; 32 physical address bits.
 * MTRR and PAT are offered as registers that keep their values
 * (cpu/memtype.c).
 */
#include <string.h>
#include <time.h>
#include <Zydis/Zydis.h>
#include "cpu/cpuid.h"
#include "cpu/host_clock.h"
#include "cpu/memtype.h"

/* CPUID.1:EDX feature bits (Intel SDM vol. 2, CPUID, table 3-11). */
#define F_FPU   (1u << 0)
#define F_DE    (1u << 2)
#define F_PSE   (1u << 3)
#define F_TSC   (1u << 4)
#define F_MSR   (1u << 5)
#define F_PAE   (1u << 6)
#define F_CX8   (1u << 8)
#define F_APIC  (1u << 9)
#define F_SEP   (1u << 11)
#define F_MTRR  (1u << 12)
#define F_PGE   (1u << 13)
#define F_CMOV  (1u << 15)
#define F_PAT   (1u << 16)
#define F_CLFSH (1u << 19)
#define F_MMX   (1u << 23)
#define F_FXSR  (1u << 24)
#define F_SSE   (1u << 25)
#define F_SSE2  (1u << 26)
/* CPUID.1:ECX */
#define F_SSE3  (1u << 0)

#define MODEL_EDX (F_FPU | F_DE | F_PSE | F_TSC | F_MSR | F_PAE | F_CX8 | F_APIC | F_SEP | F_MTRR | \
                   F_PGE | F_CMOV | F_PAT | F_CLFSH | F_MMX | F_FXSR | F_SSE | F_SSE2)
/* SSE3 instructions run natively (ring 3 directly, ring 0 copied by the
 * translator) and the host has them, so exposing them is safe. */
#define MODEL_ECX F_SSE3

#define MAX_BASIC_LEAF 2u
#define MAX_EXT_LEAF   0x80000008u
/* CPUID.80000001H:EDX bit 20: the execute-disable bit (EFER.NXE). */
#define F_NX    (1u << 20)
/* CPUID.80000008H:EAX: physical address bits (7:0), linear (15:8).  32
 * physical bits, as the Pentium M has: PAE entries' bits 62:32 are then
 * reserved (shadow_mmu/mmu.h). */
#define ADDR_SIZES ((32u << 8) | 32u)

/* Family 6, model 13 (0xD), stepping 8, type 0 (original OEM). */
#define SIGNATURE ((6u << 8) | (13u << 4) | 8u)
#define CLFLUSH_LINE_QWORDS 8u      /* 8 x 8 = 64-byte lines */
#define LOGICAL_CPUS 1u
#define APIC_BASE_ENABLE (1ull << 11)

static const char brand[48] = "vmm virtual CPU (binary translation)";

/* Leaf 2 descriptors of a Pentium M 7xx (SDM vol. 2, table 3-12):
 * 01 = one call; B0 ITLB 4K 128 entries 4-way; B3 DTLB 4K 128 entries
 * 4-way; 02 ITLB 4M 2 entries; F0 64-byte prefetching; 7D L2 2 MiB 8-way
 * 64-byte lines; 30 L1I 32 KiB 8-way; 04 DTLB 4M 8 entries 4-way;
 * 2C L1D 32 KiB 8-way 64-byte lines. */
static const uint32_t leaf2[4] = { 0x02B3B001u, 0x000000F0u, 0x00000000u, 0x2C04307Du };

static void basic_leaf(struct vcpu *c, uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case 0:
        out[0] = MAX_BASIC_LEAF;
        memcpy(&out[1], "Genu", 4);     /* EBX EDX ECX spell GenuineIntel */
        memcpy(&out[3], "ineI", 4);
        memcpy(&out[2], "ntel", 4);
        break;
    case 1:
        out[0] = SIGNATURE;
        /* EBX: brand index 0, CLFLUSH size, logical processors, initial APIC ID 0. */
        out[1] = CLFLUSH_LINE_QWORDS << 8 | LOGICAL_CPUS << 16 | 0u << 24;
        out[2] = MODEL_ECX;
        /* The APIC flag follows IA32_APIC_BASE's global enable, as on hardware. */
        out[3] = MODEL_EDX & ~((c->apic_base & APIC_BASE_ENABLE) ? 0 : F_APIC);
        break;
    default:
        memcpy(out, leaf2, sizeof leaf2);
        break;
    }
}

static void ext_leaf(uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case 0x80000000u:
        out[0] = MAX_EXT_LEAF;
        break;
    case 0x80000001u:
        /* NX (EDX 20); no SYSCALL (EDX 11) or LM (29). */
        out[3] = F_NX;
        break;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u:                   /* the brand string */
        memcpy(out, brand + (leaf - 0x80000002u) * 16, 16);
        break;
    case 0x80000008u:
        out[0] = ADDR_SIZES;
        break;
    default:                            /* 0x80000005..7: reserved on Intel, zero */
        break;
    }
}

void cpu_cpuid(struct vcpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof out[0]);
    if (leaf >= 0x80000000u && leaf <= MAX_EXT_LEAF)
        ext_leaf(leaf, out);
    else if (leaf <= MAX_BASIC_LEAF)
        basic_leaf(c, leaf, out);
    else    /* out of range: Intel parts answer with the highest basic leaf */
        basic_leaf(c, MAX_BASIC_LEAF, out);
}

/* ---------------- time-stamp counter ---------------- */

static uint64_t host_ns(void)
{
    struct timespec ts;
    host_clock(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* VCPU_TSC_HZ is 1 GHz: one tick per host nanosecond. */
uint64_t cpu_rdtsc(struct vcpu *c)
{
    return host_ns() + c->tsc_offset;
}

/* ---------------- MSRs ---------------- */

enum {
    MSR_TSC = 0x10,
    MSR_PLATFORM_ID = 0x17,
    MSR_APIC_BASE = 0x1B,
    MSR_BIOS_SIGN_ID = 0x8B,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MCG_CAP = 0x179,
    MSR_MCG_STATUS = 0x17A,
    MSR_MISC_ENABLE = 0x1A0,
    MSR_EFER = 0xC0000080u,
};

/* IA32_APIC_BASE: BSP flag (8, read-only), global enable (11), base
 * (12..31; the model has 32 physical address bits, so 32..63 are reserved). */
#define APIC_BASE_BSP      (1ull << 8)
#define APIC_BASE_WRITABLE (APIC_BASE_ENABLE | 0xFFFFF000ull)

int cpu_rdmsr(struct vcpu *c, uint32_t msr, uint64_t *value)
{
    switch (msr) {
    case MSR_TSC:          *value = cpu_rdtsc(c); return 0;
    case MSR_PLATFORM_ID:  *value = 0; return 0;        /* platform id 0 */
    case MSR_APIC_BASE:    *value = c->apic_base; return 0;
    case MSR_BIOS_SIGN_ID: *value = 0; return 0;        /* no microcode update loaded */
    case MSR_SYSENTER_CS:  *value = c->sysenter_cs; return 0;
    case MSR_SYSENTER_ESP: *value = c->sysenter_esp; return 0;
    case MSR_SYSENTER_EIP: *value = c->sysenter_eip; return 0;
    case MSR_MCG_CAP:      *value = 0; return 0;        /* no banks: MCA not offered */
    case MSR_MCG_STATUS:   *value = 0; return 0;
    case MSR_MISC_ENABLE:  *value = c->misc_enable; return 0;
    case MSR_EFER:         *value = c->efer; return 0;
    default:               return memtype_rdmsr(c, msr, value) == 0 ? 0 : -1;
    }
}

int cpu_wrmsr(struct vcpu *c, uint32_t msr, uint64_t value)
{
    switch (msr) {
    case MSR_TSC:
        /* Writing the TSC sets it: later reads count up from `value`. */
        c->tsc_offset = value - host_ns();
        return 0;
    case MSR_APIC_BASE:
        if (value & ~(APIC_BASE_WRITABLE | APIC_BASE_BSP))
            return -1;
        c->apic_base = (value & APIC_BASE_WRITABLE) | (c->apic_base & APIC_BASE_BSP);
        return 0;
    case MSR_BIOS_SIGN_ID:
        /* The microcode-revision latch that CPUID refills; there is no
         * microcode, so it always reads 0 and a write has no effect. */
        return 0;
    case MSR_SYSENTER_CS:  c->sysenter_cs = (uint32_t)value; return 0;
    case MSR_SYSENTER_ESP: c->sysenter_esp = (uint32_t)value; return 0;
    case MSR_SYSENTER_EIP: c->sysenter_eip = (uint32_t)value; return 0;
    case MSR_MCG_STATUS:
        return value == 0 ? 0 : -1;         /* nothing to clear without banks */
    case MSR_MISC_ENABLE:
        c->misc_enable = value;
        return 0;
    case MSR_EFER:
        /* Only NXE exists: no SYSCALL (SCE) and no long mode (LME, LMA). */
        if (value & ~EFER_NXE)
            return -1;
        c->efer = value;
        return 0;
    default:                                /* PLATFORM_ID, MCG_CAP are read-only */
        return memtype_wrmsr(c, msr, value) == 0 ? 0 : -1;
    }
}

/* ---- the instruction set of the model --------------------------------- */

/* The ISA extensions of the processor CPUID describes (leaf 1: FPU, MMX,
 * SSE, SSE2, SSE3, CLFLUSH; PAUSE and the hint NOPs that every processor
 * decodes).  CET's ENDBR32 and friends are NOPs on processors without CET,
 * as on a host that does not enable it.  Anything else (SSSE3, SSE4,
 * POPCNT, MOVBE, AES, RDRAND, RDTSCP, XSAVE, MONITOR, SYSCALL, VMX, SVM,
 * 3DNow!, VEX/EVEX/XOP encodings, ...) is #UD. */
static const ZydisISAExt model_exts[] = {
    ZYDIS_ISA_EXT_BASE, ZYDIS_ISA_EXT_X87, ZYDIS_ISA_EXT_MMX, ZYDIS_ISA_EXT_SSE,
    ZYDIS_ISA_EXT_SSE2, ZYDIS_ISA_EXT_SSE3, ZYDIS_ISA_EXT_CLFSH, ZYDIS_ISA_EXT_PAUSE,
    ZYDIS_ISA_EXT_CET,
};

enum model_insn cpu_model_insn(const ZydisDecodedInstruction *in)
{
    /* F3 0F BC/BD: REP BSF/BSR on a processor without BMI1/ABM (the REP
     * prefix ignored); the host would run TZCNT/LZCNT. */
    if (in->mnemonic == ZYDIS_MNEMONIC_TZCNT || in->mnemonic == ZYDIS_MNEMONIC_LZCNT)
        return MODEL_REP_BSF;
    if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
        return MODEL_UD;
    /* Zydis files SYSCALL/SYSRET under the base set (ISA set "AMD"); the
     * model has neither.  RSM is #UD outside system-management mode, which
     * the virtual CPU never enters. */
    if (in->meta.isa_set == ZYDIS_ISA_SET_AMD || in->mnemonic == ZYDIS_MNEMONIC_RSM)
        return MODEL_UD;
    for (size_t i = 0; i < sizeof model_exts / sizeof model_exts[0]; i++)
        if (in->meta.isa_ext == model_exts[i])
            return MODEL_NATIVE;
    return MODEL_UD;
}
