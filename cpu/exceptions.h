/*
 * cpu/exceptions.h - protected-mode event delivery and return.
 *
 * Contract: cpu_deliver() does what the processor does for an exception,
 * an external interrupt or INT n in protected mode (Intel SDM vol. 3A,
 * chapter 6): reads the IDT gate (interrupt and trap gates, 16- and 32-bit;
 * task gates switch tasks through cpu/task.c), checks it (present, DPL for
 * software interrupts, code-segment checks), switches to the inner stack
 * from the TSS on a privilege change, pushes the frame (SS:ESP on privilege
 * change, EFLAGS, CS, EIP, error code), clears TF/NT/RF/VM and, for an
 * interrupt gate, IF, and loads CS:EIP.  A fault while delivering becomes #DF;
 * a fault while delivering #DF is a triple fault (vm_stop with
 * VMM_EXIT_TRIPLE and a report).
 *
 * In real-address mode (CR0.PE = 0) the same entry points deliver through
 * the interrupt vector table and return with the real-mode IRET
 * (cpu/realmode.h), under the same double-fault rules.  An event that
 * interrupts virtual-8086 code goes through the IDT to a ring-0 handler
 * with the frame of cpu/v86.h (v86_deliver), a task gate saving VM = 1 in
 * the old TSS; IRET at CPL 0 with VM = 1 in the popped EFLAGS enters the
 * mode (v86_iret_enter), and IRET inside it is the real-mode one.
 *
 * On entry c->eip is the address that will be pushed: the faulting
 * instruction for a fault, the next instruction for a trap, INT n or an
 * external interrupt.
 */
#ifndef CPU_EXCEPTIONS_H
#define CPU_EXCEPTIONS_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

enum event_kind {
    EV_EXCEPTION,   /* processor exception (fault or trap, the caller set eip) */
    EV_EXTINT,      /* external interrupt: gate DPL not checked */
    EV_SOFTINT,     /* INT n, INT3, INTO: gate DPL must be >= CPL, else #GP(vector*8+2) */
};

/* Returns 0 when the guest is ready to run the handler, -1 when the run must
 * stop (triple fault or unsupported gate: vm_stop was called). */
int cpu_deliver(struct vcpu *c, int vector, enum event_kind kind, bool has_error, uint32_t error);

/* Raise a processor exception at the current instruction (c->eip unchanged).
 * Vectors 8, 10-14 and 17 carry `error`; it is ignored for the others.
 * For #PF the caller must have set c->cr2 to the faulting linear address
 * first (the segments.h functions and mmu faults reported by them already
 * did); cpu_raise does not touch CR2. */
int cpu_raise(struct vcpu *c, int vector, uint32_t error);

/* INT n / INT3 / INTO with c->eip already past the instruction and
 * insn_eip its own address.  Same as cpu_deliver(EV_SOFTINT), except that a
 * fault raised while delivering (gate DPL < CPL, bad stack, ...) is reported
 * at insn_eip, as the processor does; cpu_deliver can only report it at
 * c->eip. */
int cpu_soft_int(struct vcpu *c, int vector, uint32_t insn_eip);

/* Which vectors push an error code. */
bool cpu_vector_has_error(int vector);

/* IRET with 32-bit (op32) or 16-bit operand size, at CPL 0..3: same-level
 * return, return to an outer level (ring 3: reloads SS:ESP and nulls data
 * segments whose DPL < new CPL), return to virtual-8086 mode from CPL 0,
 * and the IRET of virtual-8086 code (whose IOPL check, like every
 * instruction's, is v86_insn_fault's).  With EFLAGS.NT set outside
 * virtual-8086 mode, IRET is a task return: the caller uses task_return()
 * (cpu/task.h) instead.
 * Every IRET, even one that faults or returns to a nested task, ends NMI
 * blocking (cpu_iret_ends_nmi_blocking; cpu_iret calls it itself); with an
 * NMI latched it arms the poll page so that the run loop takes it before
 * the next instruction.
 * Returns 0, or -1 after raising the exception the check calls for (the
 * caller just resumes the guest), or -2 when the run must stop. */
int cpu_iret(struct vcpu *c, bool op32);
void cpu_iret_ends_nmi_blocking(struct vcpu *c);

#endif
