/*
 * cpu/emulate.h - the monitor's interpreter for the instructions that the
 * translator does not run natively: every privileged and sensitive one,
 * those with no 64-bit form (BCD, ARPL, LDS/LES, BOUND, INTO, PUSH/POP of
 * segment registers, far transfers, ...), and every instruction whose
 * memory operand lies on an emulated page (device MMIO, a traced page
 * table, translated code): integer arithmetic, bit operations, exchanges,
 * string instructions with any prefix, MMX/SSE moves.
 *
 * Contract: emulate_one() decodes the instruction at CS:EIP (fetched through
 * the guest's address space) and carries it out on struct vcpu exactly as
 * the processor would at the current CPL, raising the guest exception the
 * processor would raise (#GP for privileged instructions at CPL > 0, #UD,
 * #PF through the page tables, ...).  Each instruction has one handler,
 * named in its row of cpu/insn_table.h (the list the translator's
 * K_EMULATE class comes from too).  An instruction outside the CPU model
 * (cpu_model_insn()) raises #UD; any other instruction without a handler
 * stops the guest with a report.
 */
#ifndef CPU_EMULATE_H
#define CPU_EMULATE_H

#include <stdbool.h>
#include "cpu/vcpu.h"

enum em_result {
    EM_OK = 0,          /* executed (or an exception was delivered): resume */
    EM_HALT,            /* HLT executed: wait for an interrupt */
    EM_STOP,            /* the run must stop (vm_stop was called) */
    EM_DECLINED,        /* emulate_step_handled(): no handler, nothing done */
};

enum em_result emulate_one(struct vcpu *c);

/* EFLAGS after POPF/POPFD pops `popped` at the current CPL and IOPL (SDM
 * vol. 2, POPF): the bits it may not change kept, RF clear.  Shared with
 * the translator's light POPFD (bt/xl_callout.c). */
uint32_t em_popf_eflags(const struct vcpu *c, uint32_t popped, bool op32);

/* What a completed instruction did to the address translation, for the
 * shadow MMU's caches: a MOV to CR3 (a reload flushes the TLB even with
 * the same value), an INVLPG of one page. */
struct em_tlb {
    bool wrote_cr3;
    bool invlpg;
    uint32_t invlpg_lin;    /* the page INVLPG named (linear) */
};

/* What the caller of emulate_step() needs to know beyond the result. */
struct em_info {
    int mnemonic;           /* Zydis mnemonic, ZYDIS_MNEMONIC_INVALID if undecodable */
    unsigned length;        /* instruction length in bytes, 0 if not fetched */
    /* Interrupt shadow (Intel SDM vol. 3A 6.8.3): STI that set IF, MOV SS
     * and POP SS block maskable interrupts (and, for SS, debug traps) until
     * the *next* instruction has completed.  struct vcpu has no field for
     * it, so the run loop must keep this and not deliver an external
     * interrupt before the next instruction boundary. */
    bool irq_shadow;
    struct em_tlb tlb;
};

/* emulate_one() plus the details above (info may be NULL). */
enum em_result emulate_step(struct vcpu *c, struct em_info *info);

/* emulate_step() for an instruction the host CPU refused with #GP(0) when
 * it ran it for the guest (directly at CPL 3): one with no handler here is
 * not sensitive, so the cause is the guest's own operand (a misaligned
 * MOVAPS/MOVDQA operand or FXSAVE area, reserved MXCSR bits in FXRSTOR),
 * and the modelled CPU raises the same #GP(0) instead of the VM stopping. */
enum em_result emulate_after_host_gp0(struct vcpu *c, struct em_info *info);

/* emulate_step() for an instruction the monitor may also run another way
 * (a write of translated code to a page that holds translations): one the
 * emulator has no handler for is left alone (EM_DECLINED) instead of
 * stopping the run. */
enum em_result emulate_step_handled(struct vcpu *c, struct em_info *info);

/* Does emulate_one() have a handler for this Zydis mnemonic (a row of
 * cpu/insn_table.h)?  The translator asks before it sends an instruction
 * that is not sensitive to the emulator because of its segment. */
bool emulate_supports(int zydis_mnemonic);

/* SYSENTER on the virtual CPU (cpu/em_control.c); false when IA32_SYSENTER_CS
 * is null or CR0.PE clear, nothing changed: the caller raises #GP(0). */
bool cpu_sysenter(struct vcpu *c);

#endif
