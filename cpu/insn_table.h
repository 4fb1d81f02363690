/*
 * cpu/insn_table.h - the one list of the instructions the monitor carries
 * out itself: for each, its emulator handler and whether it is sensitive.
 *
 * Contract: INSN_TABLE(X) expands X(MNEMONIC, handler, CLASS) once per row:
 *  - MNEMONIC is the ZYDIS_MNEMONIC_ suffix (one row per mnemonic);
 *  - handler is the suffix of the cpu/em_*.c function em_<handler> that
 *    carries the instruction out (several mnemonics may share one);
 *  - CLASS is the suffix of an enum insn_class value: DEMAND for an
 *    instruction that runs natively unless its operands or the segment
 *    state demand the emulator (a memory operand through a segment with a
 *    limit or on an emulated page, 16-bit addressing, a segment, control
 *    or debug register operand, a stack that is not flat, a far branch);
 *    any other class is sensitive: it must reach the monitor every time
 *    it runs, never the host CPU.
 * From this list come the emulator's dispatch and emulate_supports()
 * (cpu/emulate.c), the handlers' declarations (cpu/em_internal.h) and the
 * translator's K_EMULATE class (bt/classify.c: every sensitive row, unless
 * bt/ has an inline translation of its own for it, such as CLI, STI,
 * PUSHFD or RDTSC).  So a sensitive row has a handler by construction, and
 * making an instruction sensitive is one line here.
 *
 * The x87 forms and the MMX/SSE/SSE2/SSE3 forms of cpu/simd_forms.h
 * (em_simd.c), dispatched by opcode rather than by mnemonic, and
 * the instructions outside the CPU model, which raise #UD before any
 * handler (cpu_model_insn(), cpu/cpuid.h), are not rows; the ABSENT rows
 * name the ones among the latter that a copy would let reach the host.
 * cpu/pg_sensitive.h is a different list: the sensitive instructions that
 * do not trap when run deprivileged on the host, for directly run code.
 */
#ifndef CPU_INSN_TABLE_H
#define CPU_INSN_TABLE_H

#include <stdbool.h>

enum insn_class {
    INSN_DEMAND = 0,    /* emulated only when an operand or the segments demand it */
    INSN_PRIV,          /* privileged, or reads or writes state the monitor virtualises */
    INSN_NO64,          /* no 64-bit form: on the host the bytes mean something else */
    INSN_IMPLICIT,      /* an implicit DS:[EDI] operand that a copy would reach
                         * through the host's RDI instead of the guest's segment */
    INSN_ABSENT,        /* not in the CPU model: #UD (em_absent), never the host's meaning */
};

/* Must every execution of an instruction of this class reach the monitor? */
static inline bool insn_sensitive(enum insn_class k)
{
    return k != INSN_DEMAND;
}

/* The sixteen mnemonics of a condition-code family (Jcc, SETcc, CMOVcc),
 * in the order of the encoding's condition field. */
#define INSN_CC(X, cc, h) \
    X(cc##O, h, DEMAND) X(cc##NO, h, DEMAND) X(cc##B, h, DEMAND) X(cc##NB, h, DEMAND) \
    X(cc##Z, h, DEMAND) X(cc##NZ, h, DEMAND) X(cc##BE, h, DEMAND) X(cc##NBE, h, DEMAND) \
    X(cc##S, h, DEMAND) X(cc##NS, h, DEMAND) X(cc##P, h, DEMAND) X(cc##NP, h, DEMAND) \
    X(cc##L, h, DEMAND) X(cc##NL, h, DEMAND) X(cc##LE, h, DEMAND) X(cc##NLE, h, DEMAND)

#define INSN_TABLE(X) \
    /* em_system.c: privileged (#GP(0) at CPL > 0), or reading virtual state \
     * (SGDT..SMSW store the guest's registers; RDTSC reads the guest's TSC, \
     * under CR4.TSD; CPUID names the model, not the host) */ \
    X(HLT, hlt, PRIV) X(CLTS, clts, PRIV) X(INVLPG, invlpg, PRIV) X(WBINVD, wbinvd, PRIV) \
    X(INVD, invd, PRIV) X(RDMSR, rdmsr, PRIV) X(WRMSR, wrmsr, PRIV) X(RDTSC, rdtsc, PRIV) \
    X(RDPMC, rdpmc, PRIV) X(CPUID, cpuid, PRIV) X(LGDT, lgdt, PRIV) X(LIDT, lidt, PRIV) \
    X(SGDT, sgdt, PRIV) X(SIDT, sidt, PRIV) X(LLDT, lldt, PRIV) X(SLDT, sldt, PRIV) \
    X(LTR, ltr, PRIV) X(STR, str, PRIV) X(LMSW, lmsw, PRIV) X(SMSW, smsw, PRIV) \
    /* em_io.c: ports are the monitor's devices, under IOPL and the TSS bitmap */ \
    X(IN, in, PRIV) X(OUT, out, PRIV) X(INSB, insb, PRIV) X(INSW, insw, PRIV) \
    X(INSD, insd, PRIV) X(OUTSB, outsb, PRIV) X(OUTSW, outsw, PRIV) X(OUTSD, outsd, PRIV) \
    /* em_stack.c: PUSHF/POPF read and write IF and IOPL; PUSHA/POPA with a \
     * 16-bit operand have no 64-bit form */ \
    X(PUSHF, pushf, PRIV) X(PUSHFD, pushfd, PRIV) X(POPF, popf, PRIV) X(POPFD, popfd, PRIV) \
    X(PUSH, push, DEMAND) X(POP, pop, DEMAND) X(PUSHA, pusha, NO64) X(PUSHAD, pushad, DEMAND) \
    X(POPA, popa, NO64) X(POPAD, popad, DEMAND) X(ENTER, enter, DEMAND) \
    X(LEAVE, leave, DEMAND) \
    /* em_control.c: interrupts and exceptions go through the guest's IDT; \
     * IRET, SYSENTER and SYSEXIT change CS and the CPL */ \
    X(JMP, jmp, DEMAND) X(CALL, call, DEMAND) X(RET, ret, DEMAND) X(INT, int, PRIV) \
    X(INT1, int1, PRIV) X(INT3, int3, PRIV) X(INTO, into, PRIV) X(BOUND, bound, PRIV) \
    X(UD0, ud0, PRIV) X(UD1, ud1, PRIV) X(UD2, ud2, PRIV) X(IRET, iret, PRIV) \
    X(IRETD, iretd, PRIV) X(SYSENTER, sysenter, PRIV) X(SYSEXIT, sysexit, PRIV) \
    INSN_CC(X, J, jcc) \
    X(LOOP, loop, DEMAND) X(LOOPE, loop, DEMAND) X(LOOPNE, loop, DEMAND) \
    X(JCXZ, loop, DEMAND) X(JECXZ, loop, DEMAND) \
    /* em_legacy.c: CLI/STI under IOPL; BCD, ARPL, SALC, LDS and LES have no \
     * 64-bit form (C4/C5 are VEX there); LFS/LGS/LSS, LAR, LSL, VERR and VERW \
     * read descriptors of the guest's tables at the guest's CPL */ \
    X(CLI, cli, PRIV) X(STI, sti, PRIV) X(AAA, aaa, NO64) X(AAS, aas, NO64) \
    X(DAA, daa, NO64) X(DAS, das, NO64) X(AAM, aam, NO64) X(AAD, aad, NO64) \
    X(ARPL, arpl, NO64) X(SALC, salc, NO64) X(LDS, lds, NO64) X(LES, les, NO64) \
    X(LFS, lfs, PRIV) X(LGS, lgs, PRIV) X(LSS, lss, PRIV) X(LAR, lar, PRIV) \
    X(LSL, lsl, PRIV) X(VERR, verr, PRIV) X(VERW, verw, PRIV) \
    /* em_mov.c */ \
    X(MOV, mov, DEMAND) X(MOVZX, movzx, DEMAND) X(MOVSX, movsx, DEMAND) \
    X(XLAT, xlat, DEMAND) X(LEA, lea, DEMAND) X(CBW, cbw, DEMAND) X(CWDE, cbw, DEMAND) \
    X(CWD, cwd, DEMAND) X(CDQ, cwd, DEMAND) \
    /* em_alu.c: two-operand, one-operand, shifts and rotates, multiply/divide */ \
    X(ADD, alu2, DEMAND) X(OR, alu2, DEMAND) X(ADC, alu2, DEMAND) X(SBB, alu2, DEMAND) \
    X(AND, alu2, DEMAND) X(SUB, alu2, DEMAND) X(XOR, alu2, DEMAND) X(CMP, alu2, DEMAND) \
    X(TEST, alu2, DEMAND) \
    X(INC, alu1, DEMAND) X(DEC, alu1, DEMAND) X(NEG, alu1, DEMAND) X(NOT, alu1, DEMAND) \
    X(SHL, shift, DEMAND) X(SHR, shift, DEMAND) X(SAR, shift, DEMAND) X(ROL, shift, DEMAND) \
    X(ROR, shift, DEMAND) X(RCL, shift, DEMAND) X(RCR, shift, DEMAND) \
    X(SHLD, shift, DEMAND) X(SHRD, shift, DEMAND) \
    X(MUL, muldiv, DEMAND) X(IMUL, muldiv, DEMAND) X(DIV, muldiv, DEMAND) \
    X(IDIV, muldiv, DEMAND) \
    /* em_bits.c: bit tests and scans, SETcc, CMOVcc */ \
    X(BT, bt, DEMAND) X(BTS, bt, DEMAND) X(BTR, bt, DEMAND) X(BTC, bt, DEMAND) \
    X(BSF, bscan, DEMAND) X(BSR, bscan, DEMAND) X(TZCNT, bscan, DEMAND) \
    X(LZCNT, bscan, DEMAND) X(MOVBE, movbe, DEMAND) \
    INSN_CC(X, SET, setcc) INSN_CC(X, CMOV, cmovcc) \
    /* em_misc.c: flags, BSWAP, the NOPs and hints, CLFLUSH, FWAIT */ \
    X(CLC, clc, DEMAND) X(STC, stc, DEMAND) X(CMC, cmc, DEMAND) X(CLD, cld, DEMAND) \
    X(STD, std, DEMAND) X(LAHF, lahf, DEMAND) X(SAHF, sahf, DEMAND) \
    X(BSWAP, bswap, DEMAND) X(NOP, nop, DEMAND) X(PAUSE, nop, DEMAND) \
    X(LFENCE, nop, DEMAND) X(MFENCE, nop, DEMAND) X(SFENCE, nop, DEMAND) \
    X(PREFETCHNTA, nop, DEMAND) X(PREFETCHT0, nop, DEMAND) X(PREFETCHT1, nop, DEMAND) \
    X(PREFETCHT2, nop, DEMAND) X(PREFETCHW, nop, DEMAND) X(CLFLUSH, clflush, DEMAND) \
    X(FWAIT, fwait, DEMAND) \
    /* em_xchg.c: exchanges */ \
    X(XCHG, xchg, DEMAND) X(XADD, xadd, DEMAND) X(CMPXCHG, cmpxchg, DEMAND) \
    X(CMPXCHG8B, cmpxchg8b, DEMAND) \
    /* em_string.c (MOVSD and CMPSD also name SSE2 forms: see there) */ \
    X(MOVSB, string, DEMAND) X(MOVSW, string, DEMAND) X(MOVSD, string, DEMAND) \
    X(STOSB, string, DEMAND) X(STOSW, string, DEMAND) X(STOSD, string, DEMAND) \
    X(LODSB, string, DEMAND) X(LODSW, string, DEMAND) X(LODSD, string, DEMAND) \
    X(CMPSB, string, DEMAND) X(CMPSW, string, DEMAND) X(CMPSD, string, DEMAND) \
    X(SCASB, string, DEMAND) X(SCASW, string, DEMAND) X(SCASD, string, DEMAND) \
    /* em_sse.c: MMX and SSE moves; MASKMOVQ/MASKMOVDQU store to DS:[EDI] */ \
    X(MOVD, sse_mov, DEMAND) X(MOVQ, sse_mov, DEMAND) X(MOVAPS, sse_mov, DEMAND) \
    X(MOVUPS, sse_mov, DEMAND) X(MOVAPD, sse_mov, DEMAND) X(MOVUPD, sse_mov, DEMAND) \
    X(MOVDQA, sse_mov, DEMAND) X(MOVDQU, sse_mov, DEMAND) X(MOVSS, sse_mov, DEMAND) \
    X(MOVNTI, sse_mov, DEMAND) X(MOVNTQ, sse_mov, DEMAND) X(MOVNTDQ, sse_mov, DEMAND) \
    X(MOVNTPS, sse_mov, DEMAND) X(MOVNTPD, sse_mov, DEMAND) \
    X(MASKMOVQ, maskmov, IMPLICIT) X(MASKMOVDQU, maskmov, IMPLICIT) \
    /* em_sse.c: the FPU image and MXCSR to and from memory */ \
    X(FXSAVE, fxsave, DEMAND) X(FXRSTOR, fxrstor, DEMAND) X(STMXCSR, stmxcsr, DEMAND) \
    X(LDMXCSR, ldmxcsr, DEMAND) \
    /* emulate.c, em_absent: outside the model, #UD as on the modelled \
     * Pentium M.  CPUID advertises no RDTSCP (80000001H:EDX.27), no \
     * SYSCALL (80000001H:EDX.11; an Intel CPU has SYSCALL/SYSRET only in \
     * 64-bit mode), no MONITOR (1:ECX.3), no XSAVE (1:ECX.26, so CR4.OSXSAVE \
     * cannot be set and XGETBV/XSETBV are #UD), no VMX (1:ECX.5: VMXON needs \
     * CR4.VMXE, the others VMX operation) and no SVM (an Intel part has none); \
     * RSM is #UD outside system-management mode, which this CPU never \
     * enters.  Copied, they would reach the host: a host that is itself a VM \
     * answers VMCALL from user mode without a fault. */ \
    X(RDTSCP, absent, ABSENT) X(SYSCALL, absent, ABSENT) X(SYSRET, absent, ABSENT) \
    X(MONITOR, absent, ABSENT) X(MWAIT, absent, ABSENT) X(XSETBV, absent, ABSENT) \
    X(XGETBV, absent, ABSENT) X(RSM, absent, ABSENT) \
    X(VMCALL, absent, ABSENT) X(VMLAUNCH, absent, ABSENT) X(VMRESUME, absent, ABSENT) \
    X(VMXON, absent, ABSENT) X(VMXOFF, absent, ABSENT) X(VMREAD, absent, ABSENT) \
    X(VMWRITE, absent, ABSENT) X(VMPTRLD, absent, ABSENT) X(VMPTRST, absent, ABSENT) \
    X(VMCLEAR, absent, ABSENT) X(VMFUNC, absent, ABSENT) X(INVEPT, absent, ABSENT) \
    X(INVVPID, absent, ABSENT) \
    X(VMMCALL, absent, ABSENT) X(VMRUN, absent, ABSENT) X(VMLOAD, absent, ABSENT) \
    X(VMSAVE, absent, ABSENT) X(STGI, absent, ABSENT) X(CLGI, absent, ABSENT) \
    X(SKINIT, absent, ABSENT) X(INVLPGA, absent, ABSENT)

#endif
