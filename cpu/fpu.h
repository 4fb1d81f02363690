/*
 * cpu/fpu.h - when an FPU, MMX or SSE instruction may run: CR0.TS, CR0.EM,
 * CR0.MP and CR4.OSFXSR (Intel SDM vol. 3A 2.5 and Table 2-2, vol. 1
 * 13.x), and the gate pages that make translated code obey them.
 *
 * Contract:
 *  - fpu_class() sorts a decoded instruction into the class whose rule
 *    applies (table-driven from Zydis' ISA extension, ISA set and operand
 *    registers); FPU_NONE for everything the control bits do not affect
 *    (integer code, PAUSE, fences, prefetches, MOVNTI, CRC32, POPCNT).
 *  - fpu_fault() is the rule: 0 (runs), EXC_NM or EXC_UD.
 *  - Gate pages: translated code reads one byte of
 *    vcpu->fpu_gate + (class - 1) * 4096 before each FPU/MMX/SSE
 *    instruction.  fpu_gate_for(cr0, cr4) is a block of four pages, one per
 *    class, readable exactly when fpu_fault() says 0 for those control bits,
 *    so the read faults precisely at the instruction when it must not run,
 *    and costs two loads when it may.  fpu_gate_fault() tells the signal
 *    handler whether a fault address is a gate and which exception it means.
 */
#ifndef CPU_FPU_H
#define CPU_FPU_H

#include <stdint.h>
#include <stdbool.h>
#include <Zydis/Zydis.h>

/* The guest's x87/MMX/SSE state while the monitor runs: its FXSAVE image
 * (64-bit format, vcpu->fx_guest; SDM vol. 1, 10.5.1). */
#define FX_FCW     0            /* control word */
#define FX_FSW     2            /* status word */
#define FX_FTW     4            /* abridged tag byte */
#define FX_FOP     6            /* last opcode (11 bits) */
#define FX_FIP     8            /* last instruction pointer (64 bits) */
#define FX_FDP     16           /* last operand pointer (64 bits) */
#define FX_MXCSR   24
#define FX_MXCSR_MASK 28
#define FX_LEGACY_END 416       /* bytes 416-511 are reserved or available */
#define FX_MM(i)   (32 + 16 * (i))
#define FX_XMM(i)  (160 + 16 * (i))
#define FSW_TOP    0x3800u

enum fpu_class {
    FPU_NONE = 0,
    FPU_X87,        /* ESC D8-DF, FXSAVE/FXRSTOR: #NM if EM or TS */
    FPU_WAIT,       /* WAIT/FWAIT: #NM if MP and TS */
    FPU_MMX,        /* MMX registers: #UD if EM, else #NM if TS */
    FPU_SSE,        /* XMM registers or MXCSR: #UD if EM or !OSFXSR, else #NM if TS */
    FPU_NCLASSES
};

enum fpu_class fpu_class(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops);
int fpu_fault(enum fpu_class k, uint32_t cr0, uint32_t cr4);
/* The vector of an unmasked SIMD floating-point exception (the host raised
 * #XM): #XM with CR4.OSXMMEXCPT, #UD without (SDM vol. 3A 2.5). */
int fpu_simd_fp_vector(uint32_t cr4);

/* Map the gate pages (once per process). */
int fpu_gate_init(char *err, unsigned long errlen);
uint64_t fpu_gate_for(uint32_t cr0, uint32_t cr4);
bool fpu_gate_fault(uint64_t addr, int *vector);

#endif
