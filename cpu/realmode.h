/*
 * cpu/realmode.h - real-address mode (CR0.PE = 0): segment loads, far
 * transfers, event delivery through the interrupt vector table, IRET, and
 * the processor's reset state (Intel SDM vol. 3A chapter 20, 9.1.1; vol. 2
 * the "real-address mode" parts of the JMP, CALL, RET, INT n and IRET
 * pseudocode).
 *
 * Contract: the protected-mode paths (cpu/segments.c, cpu/exceptions.c)
 * call these when cpu_real_mode() is true, with the same return
 * conventions: 0 done; -1 with vec and err set to the exception to raise
 * (real mode has no error codes: *err is 0), nothing changed.
 *
 * A segment-register load in real mode sets the selector and base =
 * selector << 4 and leaves the hidden limit and attributes as they are,
 * CS included: the SDM (9.9.2) makes software give CS and the data
 * registers real-mode limits and attributes before it clears PE, and
 * nothing in the real-mode pseudocode of MOV Sreg, far JMP/CALL/RET, INT
 * or IRET touches them (Bochs and QEMU do the same).  That is what keeps a
 * 4 GiB data limit loaded in protected mode after the return to real mode
 * ("unreal" mode).  The CPL is 0 throughout.
 *
 * Virtual-8086 mode (cpu/v86.h) shares the far transfers, the segment
 * loads and IRET: the SDM's pseudocode gives both modes one branch.  There
 * a segment load also sets the limit and attributes (v86_load_seg), the
 * stack is reached with user rights at CPL 3 through the page tables, and
 * IRET keeps IOPL.
 */
#ifndef CPU_REALMODE_H
#define CPU_REALMODE_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

static inline bool cpu_real_mode(const struct vcpu *c)
{
    return !(c->cr0 & CR0_PE);
}

/* MOV/POP Sreg, LDS..LSS in real mode: selector and base only. */
void rm_load_seg(struct vcpu *c, int sreg, uint16_t sel);

int rm_far_jmp(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, int *vec, uint32_t *err);
int rm_far_call(struct vcpu *c, uint16_t sel, uint32_t off, bool op32, uint32_t eip_next,
                int *vec, uint32_t *err);
int rm_far_ret(struct vcpu *c, bool op32, uint16_t pop_bytes, int *vec, uint32_t *err);

/* One delivery attempt of an exception, interrupt or INT n through the IVT
 * at IDTR.base (4-byte offset:segment entries): a vector whose entry lies
 * beyond IDTR.limit is #GP, a stack without room for the 6-byte frame
 * #SS; otherwise FLAGS, CS and IP are pushed (16-bit, no error code), IF,
 * TF and AC cleared, CS:IP loaded.  cpu/exceptions.c runs the double-fault
 * rules around it, as in protected mode (SDM vol. 3A 20.1.4). */
int rm_deliver_once(struct vcpu *c, int vector, int *vec, uint32_t *err);

/* IRET: pops IP, CS, FLAGS (EIP, CS, EFLAGS with op32); EFLAGS.NT plays
 * no part; a new IP beyond the CS limit or a stack too small for the frame
 * is #GP(0)/#SS(0).  Returns as cpu_iret (cpu/exceptions.h): 0, -1 after raising
 * the fault, -2 when the run must stop. */
int rm_iret(struct vcpu *c, bool op32);

/* The instructions that neither real mode nor virtual-8086 mode
 * recognises (#UD): LLDT, SLDT, LTR, STR, LAR, LSL, VERR, VERW, ARPL. */
bool rm_unrecognised(int zydis_mnemonic);

/* Instructions that are not recognised in real mode (#UD: LLDT, SLDT,
 * LTR, STR, LAR, LSL, VERR, VERW, ARPL) or that fault there (#GP(0):
 * SYSENTER, SYSEXIT): the vector, or -1 for every other instruction. */
int rm_insn_fault(int zydis_mnemonic);

/* The processor's state after RESET (SDM vol. 3A 9.1.1, table 9-1): real
 * mode, CS = F000 with base FFFF0000, EIP = FFF0, the other segments base
 * 0, every limit FFFF, IDTR base 0 limit 3FF, CR0 = 60000010, EFLAGS = 2,
 * EDX = the processor signature (CPUID.1:EAX), the other registers 0. */
void vcpu_reset_power_on(struct vcpu *c);

#endif
