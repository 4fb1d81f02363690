/*
 * cpu/cpuid.h - the virtual CPU model: CPUID, MSRs and the TSC.
 *
 * Contract: the guest sees one fixed, documented processor (docs/cpu-model.md):
 * a "GenuineIntel" Pentium-M-class part (family 6, model 13), with FPU, DE,
 * TSC, MSR, CX8, SEP (SYSENTER), CMOV, PSE, PAE and NX (EFER.NXE), PGE,
 * APIC, CLFLUSH, MMX, FXSR, SSE, SSE2, SSE3, MTRR and PAT (cpu/memtype.h),
 * and no VMX/SVM, no hypervisor bit, no SYSCALL, no long mode, no AVX.
 * The TSC advances with host time at VCPU_TSC_HZ.  (Under --accel kvm the
 * same leaves go to KVM, with the two changes cpu/kvm.h names.)
 */
#ifndef CPU_CPUID_H
#define CPU_CPUID_H

#include <stdint.h>
#include <Zydis/Zydis.h>
#include "cpu/vcpu.h"

#define VCPU_TSC_HZ 1000000000ull  /* 1 GHz: one tick per host nanosecond */

void cpu_cpuid(struct vcpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* 0 on success, -1 when the MSR does not exist (the caller raises #GP(0)). */
int cpu_rdmsr(struct vcpu *c, uint32_t msr, uint64_t *value);
int cpu_wrmsr(struct vcpu *c, uint32_t msr, uint64_t value);

uint64_t cpu_rdtsc(struct vcpu *c);

/*
 * What the model does with an instruction, by its ISA extension: the one
 * table that the translator's classification (bt/classify.c) and the
 * emulator (cpu/emulate.c) both consult, so that an instruction the model
 * lacks raises #UD in translated and emulated code alike.
 */
enum model_insn {
    MODEL_NATIVE,       /* in the model, same meaning on the host */
    MODEL_REP_BSF,      /* F3 0F BC/BD: the model's REP BSF/BSR (the REP ignored),
                         * which the host would run as TZCNT/LZCNT */
    MODEL_UD,           /* not in the model: #UD */
};
enum model_insn cpu_model_insn(const ZydisDecodedInstruction *in);

#endif
